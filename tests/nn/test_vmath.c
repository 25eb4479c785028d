/* dlnn_vexpf / dlnn_vsigmoidf / dlnn_vtanhf (nn/src/ops/vmath.h) and the
 * Sigmoid, Tanh and Softmax ops using them, against libm's double
 * precision exp / tanh on a dense sweep of inputs and on special values
 * (+-0, denormals, the overflow and underflow thresholds, +-inf, NaN).
 *
 * Error measure: relative error where the exact result is a normal float;
 * where it is below FLT_MIN (gradual underflow) the absolute error must not
 * exceed one denormal step (2^-149), where it is above FLT_MAX the result
 * must be +inf. */
#include "ops-harness.h"
#include "ops/vmath.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define D(...) ((const int64_t[]) { __VA_ARGS__ })

#define REL_TOL 2e-7
#define SWEEP_STEP 1e-4f

enum
{ F_EXP, F_SIGMOID, F_TANH };

static const char *const fname[] = { "exp", "sigmoid", "tanh" };

static double
ref_fn (int f, double x)
{
  switch (f) {
    case F_EXP:
      return exp (x);
    case F_SIGMOID:
      return x >= 0 ? 1.0 / (1.0 + exp (-x)) : exp (x) / (1.0 + exp (x));
    default:
      return tanh (x);
  }
}

/* Error of @got against @want in the measure above, scaled so that <= 1
 * passes. */
static double
err_units (float got, double want)
{
  if (isnan (want))
    return isnan (got) ? 0.0 : INFINITY;
  if (isnan (got))
    return INFINITY;
  if (fabs (want) > FLT_MAX)
    return isinf (got) && (got > 0) == (want > 0) ? 0.0 : INFINITY;
  if (fabs (want) < FLT_MIN)
    return fabs (got - want) / ldexp (1.0, -149);
  return fabs (got - want) / fabs (want) / REL_TOL;
}

/* Vectorisable loops, as in activation.c (not inlined into the checks). */
static void __attribute__((noinline))
run_fn (int f, const float *x, float *y, int64_t n)
{
  switch (f) {
    case F_EXP:
      for (int64_t i = 0; i < n; i++)
        y[i] = dlnn_vexpf (x[i]);
      break;
    case F_SIGMOID:
      for (int64_t i = 0; i < n; i++)
        y[i] = dlnn_vsigmoidf (x[i]);
      break;
    default:
      for (int64_t i = 0; i < n; i++)
        y[i] = dlnn_vtanhf (x[i]);
      break;
  }
}

/* Inputs: a sweep of [lo, hi] by SWEEP_STEP, and special values. */
static float *
make_inputs (float lo, float hi, int64_t * n)
{
  static const float special[] = {
    0.0f, -0.0f, 1e-45f, -1e-45f, 1e-40f, -1e-40f, 1e-38f, -1e-38f,
    1e-20f, -1e-20f, 1e-7f, -1e-7f, 0.625f, -0.625f, 0.62499994f,
    88.0f, -88.0f, 88.72283f, 88.722839f, 88.7228394f, 89.0f, -87.33654f,
    -87.336548f, -100.0f, 100.0f, -103.97208f, -103.972084f, -104.0f,
    -110.0f, 110.0f, 1e10f, -1e10f, FLT_MAX, -FLT_MAX, INFINITY, -INFINITY,
    NAN, -NAN,
  };
  int64_t ns = sizeof (special) / sizeof (special[0]);
  int64_t nw = (int64_t) ((hi - lo) / SWEEP_STEP) + 1;
  float *x = malloc (sizeof (float) * (size_t) (nw + ns));

  for (int64_t i = 0; i < nw; i++)
    x[i] = lo + (float) i * SWEEP_STEP;
  memcpy (x + nw, special, sizeof (special));
  *n = nw + ns;
  return x;
}

static void
check_fn (int f, float lo, float hi)
{
  int64_t n;
  float *x = make_inputs (lo, hi, &n);
  float *y = malloc (sizeof (float) * (size_t) n);
  double worst = 0.0;
  float worst_x = 0.0f;

  run_fn (f, x, y, n);
  for (int64_t i = 0; i < n; i++) {
    double e = err_units (y[i], ref_fn (f, x[i]));
    /* scalar call (not vectorised) must agree with the loop */
    float s = f == F_EXP ? dlnn_vexpf (x[i]) : f == F_SIGMOID ?
        dlnn_vsigmoidf (x[i]) : dlnn_vtanhf (x[i]);
    CHECK_MSG (err_units (s, ref_fn (f, x[i])) <= 1.0, "%s(%.9g) = %.9g",
        fname[f], x[i], s);
    if (!(e <= worst)) {
      worst = e;
      worst_x = x[i];
    }
  }
  fprintf (stderr, "  %s: %lld inputs, worst error %.3g x bound at %.9g\n",
      fname[f], (long long) n, worst, worst_x);
  CHECK_MSG (worst <= 1.0, "%s(%.9g): error %.3g x bound", fname[f], worst_x,
      worst);
  free (x);
  free (y);
}

static void
test_exp (void)
{
  check_fn (F_EXP, -105.0f, 90.0f);
  /* signs and exact values */
  CHECK (dlnn_vexpf (0.0f) == 1.0f && dlnn_vexpf (-0.0f) == 1.0f);
  CHECK (isinf (dlnn_vexpf (INFINITY)) && dlnn_vexpf (-INFINITY) == 0.0f);
  CHECK (isinf (dlnn_vexpf (88.7228394f)) && dlnn_vexpf (-104.0f) == 0.0f);
  CHECK (dlnn_vexpf (-100.0f) > 0.0f && dlnn_vexpf (-100.0f) < FLT_MIN);
  CHECK (isnan (dlnn_vexpf (NAN)) && isnan (dlnn_vexpf (-NAN)));
}

static void
test_sigmoid (void)
{
  check_fn (F_SIGMOID, -105.0f, 105.0f);
  CHECK (dlnn_vsigmoidf (0.0f) == 0.5f && dlnn_vsigmoidf (1e-40f) == 0.5f);
  CHECK (dlnn_vsigmoidf (INFINITY) == 1.0f);
  CHECK (dlnn_vsigmoidf (-INFINITY) == 0.0f);
  CHECK (isnan (dlnn_vsigmoidf (NAN)));
}

static void
test_tanh (void)
{
  check_fn (F_TANH, -20.0f, 20.0f);
  CHECK (dlnn_vtanhf (0.0f) == 0.0f && !signbit (dlnn_vtanhf (0.0f)));
  CHECK (dlnn_vtanhf (-0.0f) == 0.0f && signbit (dlnn_vtanhf (-0.0f)));
  CHECK (dlnn_vtanhf (1e-40f) == 1e-40f && dlnn_vtanhf (-1e-40f) == -1e-40f);
  CHECK (dlnn_vtanhf (INFINITY) == 1.0f && dlnn_vtanhf (-INFINITY) == -1.0f);
  CHECK (dlnn_vtanhf (100.0f) == 1.0f && dlnn_vtanhf (-100.0f) == -1.0f);
  CHECK (isnan (dlnn_vtanhf (NAN)));
}

/* The Sigmoid and Tanh ops (several threads' worth of elements) and
 * Softmax on the same kind of inputs. */
static void
test_ops (void)
{
  int64_t n;
  float *x = make_inputs (-30.0f, 30.0f, &n);

  for (int f = F_SIGMOID; f <= F_TANH; f++) {
    oc c;
    double worst = 0.0;
    oc_begin (&c, f == F_SIGMOID ? "Sigmoid" : "Tanh", "act", 1, 0, 1);
    oc_set_in (&c, 0, oc_rand (1, D (n), 1.0f));
    memcpy (c.in[0]->data, x, sizeof (float) * (size_t) n);
    CHECK_OK (oc_prepare (&c, 0), &c.st);
    CHECK_OK (oc_forward (&c), &c.st);
    for (int64_t i = 0; i < n; i++) {
      double e = err_units (c.out[0]->data[i], ref_fn (f, x[i]));
      if (!(e <= worst))
        worst = e;
    }
    CHECK_MSG (worst <= 1.0, "%s op: error %.3g x bound", fname[f], worst);
    oc_end (&c);
  }

  {
    /* rows of 1000 values in [-15, 15) (a classifier's logits) */
    oc c;
    int64_t rows = 3, len = 1000;
    oc_begin (&c, "Softmax", "sm", 1, 0, 1);
    oc_set_in (&c, 0, oc_rand (2, D (rows, len), 15.0f));
    CHECK_OK (oc_prepare (&c, 0), &c.st);
    CHECK_OK (oc_forward (&c), &c.st);
    for (int64_t r = 0; r < rows; r++) {
      const float *xr = c.in[0]->data + r * len;
      double mx = -INFINITY, s = 0.0;
      for (int64_t i = 0; i < len; i++)
        mx = xr[i] > mx ? xr[i] : mx;
      /* x - max as the op rounds it to float (that rounding, up to
       * 2e-6 relative on exp(x - max) for x - max near -30, is not exp's) */
      for (int64_t i = 0; i < len; i++)
        s += exp ((float) (xr[i] - (float) mx));
      for (int64_t i = 0; i < len; i++) {
        double want = exp ((float) (xr[i] - (float) mx)) / s;
        double got = c.out[0]->data[r * len + i];
        CHECK_MSG (fabs (got - want) <= 1e-6 * want + 1.5 * ldexp (1.0,
                -149), "softmax[%lld][%lld] = %.9g, want %.9g", (long long) r,
            (long long) i, got, want);
      }
    }
    oc_end (&c);
  }
  free (x);
}

int
main (void)
{
  dlnn_rng_seed (&oc_data_rng, 7);
  DLNN_RUN (test_exp);
  DLNN_RUN (test_sigmoid);
  DLNN_RUN (test_tanh);
  DLNN_RUN (test_ops);
  return dlnn_test_summary ();
}
