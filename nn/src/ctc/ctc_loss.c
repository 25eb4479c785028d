/* CTC loss: log-space forward-backward over the label sequence extended
 * with blanks (Graves et al. 2006), gradient through log-softmax. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "ctc_private.h"

void
dlnn_ctc_loss_cfg_init (dlnn_ctc_loss_cfg * cfg)
{
  memset (cfg, 0, sizeof (*cfg));
  cfg->blank = 0;
  cfg->reduction = DLNN_CTC_REDUCTION_MEAN;
  cfg->input_is_logits = 1;
  cfg->batch_first = 0;
  cfg->zero_infinity = 1;
}

size_t
dlnn_ctc_workspace_size (int64_t T, int64_t C, int64_t max_target_len)
{
  const int64_t lim = INT64_C (1) << 40;
  int64_t L, n;
  if (T < 0 || C < 1 || max_target_len < 0 || T > lim || C > lim
      || max_target_len > lim)
    return SIZE_MAX;
  L = 2 * max_target_len + 1;
  if (T > 0 && (C > lim / T || L > lim / T))
    return SIZE_MAX;
  n = T * C + 2 * T * L + C;
  if ((uint64_t) n > SIZE_MAX / sizeof (double))
    return SIZE_MAX;
  return (size_t) n * sizeof (double);
}

static inline const float *
frame_ptr (const dlnn_ctc_loss_cfg * cfg, const float *base, int64_t T,
    int64_t N, int64_t C, int64_t n, int64_t t)
{
  if (cfg->batch_first)
    return base + (n * T + t) * C;
  return base + (t * N + n) * C;
}

static inline float *
frame_ptr_mut (const dlnn_ctc_loss_cfg * cfg, float *base, int64_t T,
    int64_t N, int64_t C, int64_t n, int64_t t)
{
  if (cfg->batch_first)
    return base + (n * T + t) * C;
  return base + (t * N + n) * C;
}

/* Class of extended position s: blank at even s, label (s-1)/2 at odd. */
static inline int32_t
ext_label (const int32_t * l, int blank, int64_t s)
{
  return (s & 1) ? l[(s - 1) / 2] : blank;
}

/* Whether the transition s-2 -> s is allowed (skipping a blank). */
static inline int
can_skip (const int32_t * l, int64_t s)
{
  return (s & 1) && s >= 3 && l[(s - 1) / 2] != l[(s - 3) / 2];
}

/* Forward-backward of one sequence. lp [Tn, C] normalised log-probs,
 * alpha/beta [Tn, L]. Returns log p(l | x). */
static double
ctc_forward_backward (const double *lp, int64_t Tn, int64_t C,
    const int32_t * l, int64_t S, int blank, double *alpha, double *beta)
{
  const int64_t L = 2 * S + 1;
  int64_t t, s;
  double logp;

  for (s = 0; s < L; s++)
    alpha[s] = DLNN_CTC_NEG_INF;
  alpha[0] = lp[blank];
  if (S > 0)
    alpha[1] = lp[l[0]];
  for (t = 1; t < Tn; t++) {
    const double *prev = alpha + (t - 1) * L;
    double *cur = alpha + t * L;
    const double *lpt = lp + t * C;
    for (s = 0; s < L; s++) {
      double a = prev[s];
      if (s >= 1)
        a = dlnn_ctc_logaddexp (a, prev[s - 1]);
      if (can_skip (l, s))
        a = dlnn_ctc_logaddexp (a, prev[s - 2]);
      cur[s] = a == DLNN_CTC_NEG_INF ? a : a + lpt[ext_label (l, blank, s)];
    }
  }
  logp = alpha[(Tn - 1) * L + L - 1];
  if (L >= 2)
    logp = dlnn_ctc_logaddexp (logp, alpha[(Tn - 1) * L + L - 2]);
  if (!beta)
    return logp;

  /* beta[t][s]: log-prob of frames t+1.. given state s at frame t. */
  for (s = 0; s < L; s++)
    beta[(Tn - 1) * L + s] = DLNN_CTC_NEG_INF;
  beta[(Tn - 1) * L + L - 1] = 0.0;
  if (L >= 2)
    beta[(Tn - 1) * L + L - 2] = 0.0;
  for (t = Tn - 2; t >= 0; t--) {
    const double *next = beta + (t + 1) * L;
    double *cur = beta + t * L;
    const double *lpn = lp + (t + 1) * C;
    for (s = 0; s < L; s++) {
      double b = next[s] + lpn[ext_label (l, blank, s)];
      if (s + 1 < L)
        b = dlnn_ctc_logaddexp (b,
            next[s + 1] + lpn[ext_label (l, blank, s + 1)]);
      if (s + 2 < L && can_skip (l, s + 2))
        b = dlnn_ctc_logaddexp (b,
            next[s + 2] + lpn[ext_label (l, blank, s + 2)]);
      cur[s] = b;
    }
  }
  return logp;
}

static int64_t
min_frames (const int32_t * l, int64_t S)
{
  int64_t i, r = 0;
  for (i = 1; i < S; i++)
    if (l[i] == l[i - 1])
      r++;
  return S + r;
}

static dlnn_code
check_args (const dlnn_ctc_loss_cfg * cfg, const float *input, int64_t T,
    int64_t N, int64_t C, const int32_t * targets,
    const int64_t * input_lengths, const int64_t * target_lengths,
    float *loss, int64_t *max_s, dlnn_status * st)
{
  int64_t n, i, off = 0;
  if (!cfg || !input || !input_lengths || !target_lengths || !loss)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "ctc loss: NULL argument");
  if (T < 0 || N < 1 || C < 2)
    return dlnn_status_set (st, DLNN_ERR_SHAPE,
        "ctc loss: bad shape T=%lld N=%lld C=%lld (need N >= 1, C >= 2)",
        (long long) T, (long long) N, (long long) C);
  if (cfg->blank < 0 || cfg->blank >= C)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "ctc loss: blank %d outside [0, %lld)", cfg->blank, (long long) C);
  if (cfg->reduction != DLNN_CTC_REDUCTION_MEAN
      && cfg->reduction != DLNN_CTC_REDUCTION_SUM)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "ctc loss: unknown reduction %d", (int) cfg->reduction);
  *max_s = 0;
  for (n = 0; n < N; n++) {
    if (input_lengths[n] < 0 || input_lengths[n] > T)
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "ctc loss: input length %lld of sequence %lld outside [0, %lld]",
          (long long) input_lengths[n], (long long) n, (long long) T);
    if (target_lengths[n] < 0 || target_lengths[n] > (INT64_C (1) << 32))
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "ctc loss: bad target length %lld of sequence %lld",
          (long long) target_lengths[n], (long long) n);
    if (target_lengths[n] > 0 && !targets)
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "ctc loss: NULL targets");
    for (i = 0; i < target_lengths[n]; i++) {
      int32_t c = targets[off + i];
      if (c < 0 || c >= C || c == cfg->blank)
        return dlnn_status_set (st, DLNN_ERR_INVALID,
            "ctc loss: target %d at position %lld of sequence %lld is %s",
            (int) c, (long long) i, (long long) n,
            c == cfg->blank ? "the blank" : "out of range");
    }
    off += target_lengths[n];
    if (target_lengths[n] > *max_s)
      *max_s = target_lengths[n];
  }
  return DLNN_OK;
}

dlnn_code
dlnn_ctc_loss (const dlnn_ctc_loss_cfg * cfg, const float *input, int64_t T,
    int64_t N, int64_t C, const int32_t * targets,
    const int64_t * input_lengths, const int64_t * target_lengths,
    float *loss, float *seq_loss, float *grad, int *infeasible,
    void *workspace, size_t workspace_size, dlnn_status * st)
{
  int64_t n, t, c, s, off = 0, max_s = 0;
  double total = 0.0;
  size_t need;
  double *lp, *alpha, *beta, *post;
  dlnn_code code;

  code = check_args (cfg, input, T, N, C, targets, input_lengths,
      target_lengths, loss, &max_s, st);
  if (code != DLNN_OK)
    return code;
  need = dlnn_ctc_workspace_size (T, C, max_s);
  if (need == SIZE_MAX)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "ctc loss: sizes too large");
  if (!workspace || workspace_size < need)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "ctc loss: workspace of %zu bytes, need %zu", workspace_size, need);
  lp = workspace;

  if (grad) {
    for (n = 0; n < N; n++)
      for (t = 0; t < T; t++)
        memset (frame_ptr_mut (cfg, grad, T, N, C, n, t), 0,
            (size_t) C * sizeof (float));
  }

  for (n = 0; n < N; n++) {
    const int64_t Tn = input_lengths[n], S = target_lengths[n];
    const int64_t L = 2 * S + 1;
    const int32_t *l = targets ? targets + off : NULL;
    double logp, scale;
    int bad = 0;

    alpha = lp + Tn * C;
    beta = alpha + Tn * L;
    post = beta + Tn * L;
    off += S;
    if (infeasible)
      infeasible[n] = 0;

    /* Normalised log-probs of this sequence. */
    for (t = 0; t < Tn; t++) {
      const float *x = frame_ptr (cfg, input, T, N, C, n, t);
      double lse = 0.0;
      for (c = 0; c < C; c++)
        if (isnan (x[c]) || (cfg->input_is_logits && !isfinite (x[c])))
          return dlnn_status_set (st, DLNN_ERR_NUMERIC,
              "ctc loss: non-finite input at frame %lld of sequence %lld",
              (long long) t, (long long) n);
      if (cfg->input_is_logits)
        lse = dlnn_ctc_logsumexp_f (x, C);
      for (c = 0; c < C; c++)
        lp[t * C + c] = (double) x[c] - lse;
    }

    if (Tn == 0)
      logp = S == 0 ? 0.0 : DLNN_CTC_NEG_INF;
    else if (min_frames (l, S) > Tn)
      logp = DLNN_CTC_NEG_INF;
    else
      logp = ctc_forward_backward (lp, Tn, C, l, S, cfg->blank, alpha,
          grad ? beta : NULL);
    if (!isfinite (logp)) {
      if (!cfg->zero_infinity)
        return dlnn_status_set (st, DLNN_ERR_NUMERIC,
            "ctc loss: sequence %lld is infeasible: %lld labels (%lld "
            "frames needed with repeats), %lld frames", (long long) n,
            (long long) S, (long long) (S ? min_frames (l, S) : 0),
            (long long) Tn);
      bad = 1;
      if (infeasible)
        infeasible[n] = 1;
    }
    if (seq_loss)
      seq_loss[n] = bad ? 0.0f : (float) -logp;
    if (bad)
      continue;
    scale = 1.0;
    if (cfg->reduction == DLNN_CTC_REDUCTION_MEAN)
      scale = 1.0 / ((double) (S > 0 ? S : 1) * (double) N);
    total += -logp * scale;

    if (!grad)
      continue;
    for (t = 0; t < Tn; t++) {
      float *g = frame_ptr_mut (cfg, grad, T, N, C, n, t);
      const double *a = alpha + t * L, *b = beta + t * L;
      for (c = 0; c < C; c++)
        post[c] = DLNN_CTC_NEG_INF;
      for (s = 0; s < L; s++) {
        int32_t k = ext_label (l, cfg->blank, s);
        post[k] = dlnn_ctc_logaddexp (post[k], a[s] + b[s]);
      }
      for (c = 0; c < C; c++) {
        double p = exp (lp[t * C + c]);
        double q = post[c] == DLNN_CTC_NEG_INF ? 0.0 : exp (post[c] - logp);
        g[c] = (float) (scale * (p - q));
      }
    }
  }
  *loss = (float) total;
  if (!isfinite (*loss))
    return dlnn_status_set (st, DLNN_ERR_NUMERIC, "ctc loss: not finite");
  return DLNN_OK;
}
