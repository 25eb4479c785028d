/* Binary cross-entropy with logits (nn/src/train/loss_bce.c): values and
 * gradients against torch.nn.functional.binary_cross_entropy_with_logits
 * (float64, numbers below, made with the script in the comment), a hand
 * value, finite differences, extreme logits and errors. */
#include "dlnn/dlnn.h"
#include "dlnn-test.h"

#include <string.h>

/* /usr/bin/python3 (torch 1.13):
 *   z = torch.tensor (ZV, dtype=torch.float64).reshape (3, 4)
 *   y = torch.tensor (YV, dtype=torch.float64).reshape (3, 4)
 *   pw = torch.tensor (PW, dtype=torch.float64)
 *   for w in (None, pw):
 *     l = F.binary_cross_entropy_with_logits (z.requires_grad_ (), y,
 *         pos_weight=w); g, = torch.autograd.grad (l, z) */
static const float ZV[12] = { 0.5f, -1.25f, 3.0f, -40.0f, 100.0f, 0.0f,
  -2.5f, 1.75f, -0.3f, 7.5f, -100.0f, 0.01f
};
static const float YV[12] = { 1, 0, 1, 0, 0, 1, 0.25f, 1, 1, 1, 0, 0.5f };
static const float PW[4] = { 1.0f, 2.0f, 0.5f, 3.0f };
static const double TORCH_LOSS = 8.656660194903461;
static const double TORCH_LOSS_PW = 8.769631294973953;
static const double TORCH_GRAD[12] = { -3.1461722400e-02, 1.8558344902e-02,
  -3.9521560981e-03, 3.5402952127e-19, 8.3333333333e-02, -4.1666666667e-02,
  -1.4511818332e-02, -1.2337266503e-02, -4.7870209734e-02, -4.6064886410e-05,
  3.1000633134e-45, 2.0833159724e-04
};
static const double TORCH_GRAD_PW[12] = { -3.1461722400e-02,
  1.8558344902e-02, -1.9760780491e-03, 3.5402952127e-19, 8.3333333333e-02,
  -8.3333333333e-02, -4.8853410401e-03, -3.7011799508e-02, -4.7870209734e-02,
  -9.2129772821e-05, 3.1000633134e-45, -4.1250003472e-02
};

static void
test_bce_torch_values (void)
{
  dlnn_tensor *z = dlnn_tensor_new4 (2, 3, 4, 0, 0);
  dlnn_tensor *g = dlnn_tensor_new4 (2, 3, 4, 0, 0);
  dlnn_status st;
  float loss = -1;

  memcpy (z->data, ZV, sizeof (ZV));
  CHECK_OK (dlnn_bce_with_logits (z, YV, NULL, &loss, g, &st), &st);
  CHECK_CLOSE (loss, TORCH_LOSS, 1e-5);
  for (int i = 0; i < 12; i++)
    CHECK_CLOSE (g->data[i], TORCH_GRAD[i], 1e-7);
  CHECK_OK (dlnn_bce_with_logits (z, YV, PW, &loss, g, &st), &st);
  CHECK_CLOSE (loss, TORCH_LOSS_PW, 1e-5);
  for (int i = 0; i < 12; i++)
    CHECK_CLOSE (g->data[i], TORCH_GRAD_PW[i], 1e-7);
  /* no gradient buffer: same loss */
  CHECK_OK (dlnn_bce_with_logits (z, YV, NULL, &loss, NULL, &st), &st);
  CHECK_CLOSE (loss, TORCH_LOSS, 1e-5);
  dlnn_tensor_free (z);
  dlnn_tensor_free (g);
}

static void
test_bce_hand (void)
{
  /* z = 0: loss log 2 whatever y; gradient (0.5 - y) / (N K) */
  dlnn_tensor *z = dlnn_tensor_new4 (2, 1, 2, 0, 0);
  dlnn_tensor *g = dlnn_tensor_new4 (2, 1, 2, 0, 0);
  const float y[2] = { 1, 0 };
  dlnn_status st;
  float loss = 0;

  z->data[0] = z->data[1] = 0;
  CHECK_OK (dlnn_bce_with_logits (z, y, NULL, &loss, g, &st), &st);
  CHECK_CLOSE (loss, 0.69314718055995, 1e-7);
  CHECK_CLOSE (g->data[0], -0.25, 1e-7);
  CHECK_CLOSE (g->data[1], 0.25, 1e-7);
  dlnn_tensor_free (z);
  dlnn_tensor_free (g);
}

static double
ref_bce (const float *z, const float *y, const float *pw, int n)
{
  /* the textbook form -w y log s - (1 - y) log (1 - s), double precision,
   * for moderate logits only */
  double t = 0;
  for (int i = 0; i < n; i++) {
    double s = 1.0 / (1.0 + exp (-(double) z[i]));
    double w = pw ? pw[i % 4] : 1.0;
    t += -w * y[i] * log (s) - (1.0 - y[i]) * log (1.0 - s);
  }
  return t / n;
}

static void
test_bce_fd (void)
{
  dlnn_tensor *z = dlnn_tensor_new4 (2, 3, 4, 0, 0);
  dlnn_tensor *g = dlnn_tensor_new4 (2, 3, 4, 0, 0);
  dlnn_status st;
  float loss, zz[12];
  dlnn_rng rng;

  dlnn_rng_seed (&rng, 7);
  for (int i = 0; i < 12; i++)
    zz[i] = 4.0f * (dlnn_rng_uniform (&rng) - 0.5f);
  for (int w = 0; w < 2; w++) {
    const float *pw = w ? PW : NULL;
    memcpy (z->data, zz, sizeof (zz));
    CHECK_OK (dlnn_bce_with_logits (z, YV, pw, &loss, g, &st), &st);
    CHECK_CLOSE (loss, ref_bce (zz, YV, pw, 12), 1e-6);
    for (int i = 0; i < 12; i++) {
      float zp[12], zm[12];
      const float h = 1e-2f;
      memcpy (zp, zz, sizeof (zz));
      memcpy (zm, zz, sizeof (zz));
      zp[i] += h;
      zm[i] -= h;
      double fd = (ref_bce (zp, YV, pw, 12) - ref_bce (zm, YV, pw, 12)) /
          (2.0 * h);
      CHECK_CLOSE (g->data[i], fd, 2e-5);
    }
  }
  dlnn_tensor_free (z);
  dlnn_tensor_free (g);
}

static void
test_bce_extreme_and_errors (void)
{
  dlnn_tensor *z = dlnn_tensor_new4 (2, 1, 4, 0, 0);
  dlnn_tensor *g = dlnn_tensor_new4 (2, 1, 4, 0, 0);
  dlnn_tensor *bad = dlnn_tensor_new4 (2, 1, 3, 0, 0);
  const float y[4] = { 1, 0, 0, 1 };
  float ybad[4] = { 1, 0, 1.5f, 0 };
  float pwbad[4] = { 1, -1, 1, 1 };
  dlnn_status st;
  float loss = 0;

  /* right with huge margins: loss ~ 0; wrong by 1e4: loss 1e4 each */
  z->data[0] = 1e4f;
  z->data[1] = -1e4f;
  z->data[2] = 1e4f;
  z->data[3] = -1e4f;
  CHECK_OK (dlnn_bce_with_logits (z, y, NULL, &loss, g, &st), &st);
  CHECK_CLOSE (loss, (1e4 + 1e4) / 4, 1e-2);
  CHECK_CLOSE (g->data[0], 0, 1e-12);
  CHECK_CLOSE (g->data[2], 0.25, 1e-7);
  CHECK_CLOSE (g->data[3], -0.25, 1e-7);
  CHECK (dlnn_bce_with_logits (z, ybad, NULL, &loss, g, &st) ==
      DLNN_ERR_INVALID);
  CHECK (strstr (st.message, "outside [0, 1]") != NULL);
  CHECK (dlnn_bce_with_logits (z, y, pwbad, &loss, g, &st) ==
      DLNN_ERR_INVALID);
  CHECK (dlnn_bce_with_logits (z, y, NULL, &loss, bad, &st) ==
      DLNN_ERR_SHAPE);
  z->data[1] = NAN;
  CHECK (dlnn_bce_with_logits (z, y, NULL, &loss, g, &st) ==
      DLNN_ERR_NUMERIC);
  CHECK (dlnn_bce_with_logits (NULL, y, NULL, &loss, g, &st) ==
      DLNN_ERR_INVALID);
  dlnn_tensor_free (z);
  dlnn_tensor_free (g);
  dlnn_tensor_free (bad);
}

int
main (void)
{
  DLNN_RUN (test_bce_torch_values);
  DLNN_RUN (test_bce_hand);
  DLNN_RUN (test_bce_fd);
  DLNN_RUN (test_bce_extreme_and_errors);
  return dlnn_test_summary ();
}
