/* dltrain - per-tag precision, recall, F1 and thresholds of a tagger.
 *
 * A clip is positive for tag j when p[j] >= thr[j]. Precision tp/(tp+fp),
 * recall tp/(tp+fn), F1 2tp/(2tp+fp+fn); a tag with no positives in the
 * data and none predicted counts F1 = 1 (nothing to find, nothing wrongly
 * found), precision and recall likewise. The macro F1 is the mean over the
 * tags. */
#include "tag.h"

#include <math.h>
#include <stdlib.h>

static void
score_one (const float *p, const float *y, int n, int k, int j, float thr,
    dt_tag_scores * s)
{
  int64_t tp = 0, fp = 0, fn = 0, sup = 0;

  for (int i = 0; i < n; i++) {
    const int pos = p[(int64_t) i * k + j] >= thr;
    const int truth = y[(int64_t) i * k + j] >= 0.5f;
    sup += truth;
    tp += pos && truth;
    fp += pos && !truth;
    fn += !pos && truth;
  }
  s->tp = tp;
  s->fp = fp;
  s->fn = fn;
  s->support = sup;
  s->precision = tp + fp ? (double) tp / (double) (tp + fp) : 1.0;
  s->recall = tp + fn ? (double) tp / (double) (tp + fn) : 1.0;
  s->f1 = 2 * tp + fp + fn ? 2.0 * tp / (double) (2 * tp + fp + fn) : 1.0;
}

double
dt_tag_score (const float *p, const float *y, int n, int k, const float *thr,
    dt_tag_scores * out)
{
  double sum = 0;

  for (int j = 0; j < k; j++) {
    score_one (p, y, n, k, j, thr[j], &out[j]);
    sum += out[j].f1;
  }
  return k > 0 ? sum / k : 0.0;
}

void
dt_tag_best_thresholds (const float *p, const float *y, int n, int k,
    float *thr)
{
  for (int j = 0; j < k; j++) {
    double best = -1;
    float bt = 0.5f;
    for (int q = 5; q <= 95; q++) {
      const float t = (float) q / 100.0f;
      dt_tag_scores s;
      score_one (p, y, n, k, j, t, &s);
      if (s.f1 > best + 1e-12 || (fabs (s.f1 - best) <= 1e-12
              && fabsf (t - 0.5f) < fabsf (bt - 0.5f))) {
        best = s.f1;
        bt = t;
      }
    }
    thr[j] = bt;
  }
}

void
dt_tag_print_scores (FILE * f, char **labels, int k, const dt_tag_scores * s,
    const float *thr, double macro)
{
  fprintf (f, "%-12s %9s %9s %9s %9s %8s\n", "tag", "threshold",
      "precision", "recall", "f1", "support");
  for (int j = 0; j < k; j++)
    fprintf (f, "%-12s %9.2f %9.4f %9.4f %9.4f %8lld\n", labels[j],
        (double) thr[j], s[j].precision, s[j].recall, s[j].f1,
        (long long) s[j].support);
  fprintf (f, "macro_f1: %.4f\n", macro);
}

char *
dt_tag_format_thresholds (char **labels, int k, const float *thr)
{
  dt_str b;

  dt_str_init (&b);
  dt_str_add (&b, "{");
  for (int j = 0; j < k; j++) {
    if (j)
      dt_str_add (&b, ", ");
    dt_str_add_json (&b, labels[j]);
    dt_str_addf (&b, ": %.2f", (double) thr[j]);
  }
  dt_str_add (&b, "}");
  if (b.failed) {
    dt_str_free (&b);
    return NULL;
  }
  return b.s;
}
