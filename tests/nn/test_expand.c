/* Expand (nn/src/ops/expand.c): forward values against a naive
 * per-element index mapping written here, both broadcasting directions,
 * rank growth, errors, and finite-difference gradients (the sum over the
 * broadcast dimensions). */
#include "ops-harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define D(...) ((const int64_t[]) { __VA_ARGS__ })

static dlnn_tensor *
ints (int n, const int64_t * v)
{
  int64_t d = n;
  dlnn_tensor *t = dlnn_tensor_new (DLNN_INT64, 1, &d, NULL);
  for (int i = 0; t && i < n; i++)
    t->idata[i] = v[i];
  return t;
}

/* Naive Expand: output index -> input index by right-aligned dims. */
static void
naive_expand (const dlnn_tensor * x, int nd, const int64_t * od,
    double *ref)
{
  int64_t total = 1;
  for (int d = 0; d < nd; d++)
    total *= od[d];
  for (int64_t k = 0; k < total; k++) {
    int64_t rem = k, src = 0, stride = 1;
    for (int d = nd - 1; d >= 0; d--) {
      int64_t i = rem % od[d], xi = d - (nd - x->ndim);
      rem /= od[d];
      if (xi >= 0) {
        src += (x->dims[xi] == 1 ? 0 : i) * stride;
        stride *= x->dims[xi];
      }
    }
    ref[k] = x->data[src];
  }
}

typedef struct expand_case
{
  int xnd;
  int64_t xd[4];
  int sn;
  int64_t s[5];
  int ond;
  int64_t od[5];
} expand_case;

static void
test_expand_values (void)
{
  static const expand_case cases[] = {
    /* zero initial state idiom: [1, 1, H] -> [L, N, H] */
    {3, {1, 1, 5}, 3, {2, 3, 5}, 3, {2, 3, 5}},
    /* target 1 keeps a larger input dim (bidirectional broadcast) */
    {3, {2, 1, 4}, 3, {1, 3, 1}, 3, {2, 3, 4}},
    /* rank grows */
    {2, {3, 1}, 4, {2, 1, 3, 4}, 4, {2, 1, 3, 4}},
    /* shorter target than the input */
    {3, {2, 3, 1}, 1, {6}, 3, {2, 3, 6}},
    /* no broadcast at all */
    {2, {3, 4}, 2, {3, 4}, 2, {3, 4}},
    /* scalar-like input to a large inner row */
    {1, {1}, 2, {4, 37}, 2, {4, 37}},
  };
  for (size_t ci = 0; ci < sizeof (cases) / sizeof (cases[0]); ci++) {
    const expand_case *e = &cases[ci];
    oc c;
    double *ref;
    int64_t total = 1;
    int bad = 0;
    char label[64];

    snprintf (label, sizeof (label), "Expand case %zu", ci);
    for (int d = 0; d < e->ond; d++)
      total *= e->od[d];
    ref = calloc ((size_t) total, sizeof (double));
    oc_begin (&c, "Expand", "ex", 2, 0, 1);
    c.g->opset = 13;
    oc_set_in (&c, 0, oc_rand (e->xnd, e->xd, 1.0f));
    oc_set_in (&c, 1, ints (e->sn, e->s));
    CHECK_MSG (oc_prepare (&c, 0) == DLNN_OK, "%s: %s", label,
        c.st.message);
    if (c.out[0]) {
      CHECK_MSG (c.out[0]->ndim == e->ond, "%s: rank %d", label,
          c.out[0]->ndim);
      for (int d = 0; d < e->ond && d < c.out[0]->ndim; d++)
        if (c.out[0]->dims[d] != e->od[d])
          bad++;
      CHECK_MSG (bad == 0, "%s: wrong output dims", label);
      naive_expand (c.in[0], e->ond, e->od, ref);
      CHECK_OK (oc_forward (&c), &c.st);
      if (c.out[0]->size == total)
        CHECK_MSG (max_abs_diff (c.out[0]->data, ref, total) == 0.0,
            "%s: max diff %g", label,
            max_abs_diff (c.out[0]->data, ref, total));
    }
    oc_end (&c);
    free (ref);
  }
}

/* dL/dx for L = sum (y * r): exact sums (linear op), compared with
 * central differences and with the naive sum over broadcast positions. */
static void
test_expand_grad (void)
{
  oc c;
  dlnn_tensor *r;
  const int64_t od[4] = { 2, 3, 4, 5 };
  double naive[15] = { 0 };
  int bad = 0;

  oc_begin (&c, "Expand", "exg", 2, 0, 1);
  c.g->opset = 13;
  oc_set_in (&c, 0, oc_rand (3, D (3, 1, 5), 1.0f));
  oc_set_in (&c, 1, ints (4, od));
  CHECK_MSG (oc_prepare (&c, 1) == DLNN_OK, "%s", c.st.message);
  if (!c.out[0]) {
    oc_end (&c);
    return;
  }
  CHECK_OK (oc_forward (&c), &c.st);
  r = oc_rand (4, od, 1.0f);
  CHECK_OK (oc_backward (&c, r, 1), &c.st);
  for (int64_t k = 0; k < 120; k++) {
    int64_t w = k % 5, s = (k / 20) % 3;
    naive[s * 5 + w] += r->data[k];
  }
  for (int j = 0; j < 15; j++) {
    double ana = c.din[0]->data[j];
    float orig = c.in[0]->data[j];
    double lp = 0, lm = 0;
    c.in[0]->data[j] = orig + 1e-2f;
    oc_forward (&c);
    for (int64_t k = 0; k < 120; k++)
      lp += (double) c.out[0]->data[k] * r->data[k];
    c.in[0]->data[j] = orig - 1e-2f;
    oc_forward (&c);
    for (int64_t k = 0; k < 120; k++)
      lm += (double) c.out[0]->data[k] * r->data[k];
    c.in[0]->data[j] = orig;
    if (fabs (ana - naive[j]) > 1e-4 || fabs (ana - (lp - lm) / 2e-2) >
        1e-2 + 1e-2 * fabs (ana)) {
      if (bad++ < 3)
        fprintf (stderr, "dx[%d] analytic %g naive %g numeric %g\n", j, ana,
            naive[j], (lp - lm) / 2e-2);
    }
  }
  CHECK_MSG (bad == 0, "%d gradient mismatches", bad);
  dlnn_tensor_free (r);
  oc_end (&c);
}

static void
test_expand_errors (void)
{
  oc c;

  /* 3 does not broadcast to 4 */
  oc_begin (&c, "Expand", "bad", 2, 0, 1);
  oc_set_in (&c, 0, oc_rand (2, D (2, 3), 1.0f));
  oc_set_in (&c, 1, ints (2, D (2, 4)));
  CHECK (oc_prepare (&c, 0) == DLNN_ERR_SHAPE);
  CHECK_MSG (strstr (c.st.message, "Expand node 'bad'")
      && strstr (c.st.message, "does not broadcast"), "%s", c.st.message);
  oc_end (&c);
  /* a shape known only at run time (float data here) */
  oc_begin (&c, "Expand", "rt", 2, 0, 1);
  oc_set_in (&c, 0, oc_rand (1, D (3), 1.0f));
  oc_set_in (&c, 1, oc_rand (1, D (2), 1.0f));
  CHECK (oc_prepare (&c, 0) == DLNN_ERR_UNSUPPORTED);
  CHECK_MSG (strstr (c.st.message, "constant int64"), "%s", c.st.message);
  oc_end (&c);
  /* negative target dimension */
  oc_begin (&c, "Expand", "neg", 2, 0, 1);
  oc_set_in (&c, 0, oc_rand (1, D (1), 1.0f));
  oc_set_in (&c, 1, ints (2, D (2, -1)));
  CHECK (oc_prepare (&c, 0) == DLNN_ERR_SHAPE);
  oc_end (&c);
}

int
main (void)
{
  dlnn_rng_seed (&oc_data_rng, 4242);
  CHECK (dlnn_op_find ("Expand") && dlnn_op_find ("Expand")->backward);
  DLNN_RUN (test_expand_values);
  DLNN_RUN (test_expand_grad);
  DLNN_RUN (test_expand_errors);
  return dlnn_test_summary ();
}
