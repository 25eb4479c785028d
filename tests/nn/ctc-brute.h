/* Brute-force CTC references shared by test_ctc.c and
 * test_ctc_penalty.c: labellings keyed as base-(C + 1) numbers, the
 * probability of every labelling by enumerating all C^T paths, and the
 * small word vocabulary both test the constrained decoder with. */
#ifndef DLNN_TEST_CTC_BRUTE_H
#define DLNN_TEST_CTC_BRUTE_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#define MAX_T 6
#define MAX_KEYS 15625          /* (C + 1)^T for C = 4, T = 6 */

/* Uniform in [0, 1) from the 64-bit LCG state @s. */
static inline double
ctc_urand (uint64_t * s)
{
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double) (*s >> 11) / 9007199254740992.0;
}

/* Normalised log-probs (double) of logits [T, C]. */
static inline void
log_softmax_d (const double *x, int T, int C, double *lp)
{
  int t, c;
  for (t = 0; t < T; t++) {
    double m = x[t * C], s = 0;
    for (c = 1; c < C; c++)
      if (x[t * C + c] > m)
        m = x[t * C + c];
    for (c = 0; c < C; c++)
      s += exp (x[t * C + c] - m);
    for (c = 0; c < C; c++)
      lp[t * C + c] = x[t * C + c] - m - log (s);
  }
}

static inline int
label_key (const int32_t * l, int S, int C)
{
  int k = 0, i, p = 1;
  for (i = 0; i < S; i++) {
    k += (l[i] + 1) * p;
    p *= C + 1;
  }
  return k;
}

static inline int
key_label (int k, int C, int32_t * l)
{
  int S = 0;
  while (k) {
    l[S++] = k % (C + 1) - 1;
    k /= C + 1;
  }
  return S;
}

/* Probability of every labelling of log-probs @lp [T, C]: enumerate all
 * C^T paths. */
static inline void
brute_force (const double *lp, int T, int C, int blank, double *prob)
{
  int path[MAX_T], t, i, total = 1;
  memset (prob, 0, MAX_KEYS * sizeof (double));
  for (t = 0; t < T; t++)
    total *= C;
  for (i = 0; i < total; i++) {
    int32_t lab[MAX_T];
    int S = 0, v = i, prev = -1;
    double lpp = 0;
    for (t = 0; t < T; t++) {
      path[t] = v % C;
      v /= C;
      lpp += lp[t * C + path[t]];
      if (path[t] != blank && path[t] != prev)
        lab[S++] = path[t];
      prev = path[t];
    }
    prob[label_key (lab, S, C)] += exp (lpp);
  }
}

/* Vocabulary: words {1 2}, {2}, {1 1} (classes 1..3, 3 the separator). */
static const int32_t words[3][3] = { {1, 2}, {2}, {1, 1} };
static const int word_len[3] = { 2, 1, 2 };

static inline int
is_entry (const int32_t * l, int S, const int32_t e[][3], const int *len)
{
  int i;
  for (i = 0; i < 3; i++)
    if (len[i] == S && memcmp (l, e[i], (size_t) S * sizeof (*l)) == 0)
      return 1;
  return 0;
}

/* Words separated by single 3s, optional trailing 3 (the rule
 * dlnn_ctc_vocab documents). */
static inline int
allow_words (const int32_t * l, int S)
{
  int start = 0, i;
  if (S > 0 && l[S - 1] == 3)
    S--;
  if (S == 0)
    return 0;
  for (i = 0; i <= S; i++)
    if (i == S || l[i] == 3) {
      if (!is_entry (l + start, i - start, words, word_len))
        return 0;
      start = i + 1;
    }
  return 1;
}

#endif
