/* The pocketsphinx en-us trigram LM converted to ARPA by
 * scripts/make-lm.sh (made on first use at the path given; exit 77 when
 * sphinx_lm_convert or the model is missing): load time and memory, the
 * counts, and queries against the values printed on the file's own lines
 * (direct unigram, bigram and trigram, a bigram back-off bo(a) + p(b), a
 * trigram whose context is not listed). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "dlnn/ctc.h"
#include "dlnn-test.h"

#define LN10 2.302585092994045684

static int32_t
wid (const dlnn_ctc_lm * lm, const char *w)
{
  return dlnn_ctc_lm_word (lm, w, strlen (w));
}

static long
status_kb (const char *key)
{
  char line[256];
  long v = -1;
  FILE *f = fopen ("/proc/self/status", "r");
  if (!f)
    return -1;
  while (fgets (line, sizeof (line), f))
    if (strncmp (line, key, strlen (key)) == 0)
      v = atol (line + strlen (key));
  fclose (f);
  return v;
}

/* One n-gram line of the file: fields split at tabs/spaces. */
typedef struct arpa_line
{
  double prob, bo;
  char w[3][64];
  int n;
} arpa_line;

static int
parse_line (const char *s, int n, arpa_line * l)
{
  char buf[512];
  char *tok[6], *save = NULL, *p;
  int k = 0;
  snprintf (buf, sizeof (buf), "%s", s);
  for (p = strtok_r (buf, " \t\r\n", &save); p && k < 6;
      p = strtok_r (NULL, " \t\r\n", &save))
    tok[k++] = p;
  if (k != n + 1 && k != n + 2)
    return 0;
  l->n = n;
  l->prob = strtod (tok[0], NULL);
  l->bo = k == n + 2 ? strtod (tok[n + 1], NULL) : 0.0;
  for (p = NULL, k = 0; k < n; k++)
    snprintf (l->w[k], sizeof (l->w[k]), "%s", tok[k + 1]);
  return 1;
}

static double
q_line (const dlnn_ctc_lm * lm, const arpa_line * l, int skip_first)
{
  int32_t h[2];
  int k, nh = 0;
  for (k = skip_first; k < l->n - 1; k++)
    h[nh++] = wid (lm, l->w[k]);
  return dlnn_ctc_lm_logp (lm, h, nh, wid (lm, l->w[l->n - 1]));
}

static const char *en_us_path;

static void
test_en_us (void)
{
  const char *path = en_us_path;
  char line[512], sect = 0;
  struct timespec t0, t1;
  clock_t c0, c1;
  dlnn_status st;
  dlnn_ctc_lm *lm;
  long rss0, rss1, hwm;
  int64_t counts[4] = { 0, 0, 0, 0 }, seen[4] = { 0, 0, 0, 0 };
  arpa_line uni, bi, tri, bo_a, bo_b, tri_ctx_bi;
  int have_ctx_bi = 0, bi_a_b_listed = 0;
  FILE *f;
  rss0 = status_kb ("VmRSS:");
  c0 = clock ();
  clock_gettime (CLOCK_MONOTONIC, &t0);
  lm = dlnn_ctc_lm_load (path, &st);
  clock_gettime (CLOCK_MONOTONIC, &t1);
  c1 = clock ();
  rss1 = status_kb ("VmRSS:");
  hwm = status_kb ("VmHWM:");
  CHECK_MSG (lm != NULL, "load failed: %s", st.message);
  if (!lm)
    return;
  printf ("en-us LM: order %d, %lld/%lld/%lld n-grams, loaded in %.2f s "
      "(CPU %.2f s), "
      "model %.1f MB, RSS +%.1f MB (peak RSS %.1f MB)\n",
      dlnn_ctc_lm_order (lm), (long long) dlnn_ctc_lm_count (lm, 1),
      (long long) dlnn_ctc_lm_count (lm, 2),
      (long long) dlnn_ctc_lm_count (lm, 3),
      (double) (t1.tv_sec - t0.tv_sec) + 1e-9 * (double) (t1.tv_nsec -
          t0.tv_nsec), (double) (c1 - c0) / CLOCKS_PER_SEC,
      dlnn_ctc_lm_memory (lm) / 1048576.0,
      (rss1 - rss0) / 1024.0, hwm / 1024.0);
  /* Independent scan of the file: the counts, a unigram, the 1000th
   * bigram and trigram, and for back-off a bigram context a with a word b
   * such that "a b" is not listed. */
  f = fopen (path, "r");
  CHECK (f != NULL);
  if (!f)
    return;
  memset (&bo_a, 0, sizeof (bo_a));
  while (fgets (line, sizeof (line), f)) {
    int n;
    if (sscanf (line, "ngram %d=", &n) == 1 && n >= 1 && n <= 3)
      counts[n] = atoll (strchr (line, '=') + 1);
    if (line[0] == '\\') {
      sect = line[1];
      continue;
    }
    if (sect < '1' || sect > '3' || line[0] == '\n')
      continue;
    n = sect - '0';
    seen[n]++;
    if (n == 1 && seen[1] == 5000)
      parse_line (line, 1, &uni);
    if (n == 1 && seen[1] == 7000)
      parse_line (line, 1, &bo_b);
    if (n == 2 && seen[2] == 1000) {
      parse_line (line, 2, &bi);
      snprintf (bo_a.w[0], sizeof (bo_a.w[0]), "%s", bi.w[0]);
    }
    if (n == 2 && seen[2] > 1000 && bo_a.w[0][0]) {
      arpa_line l;
      if (parse_line (line, 2, &l) && strcmp (l.w[0], bo_a.w[0]) == 0
          && strcmp (l.w[1], bo_b.w[0]) == 0)
        bi_a_b_listed = 1;
    }
    if (n == 3 && seen[3] == 1000)
      parse_line (line, 3, &tri);
  }
  fclose (f);
  /* The bigram "w2 w3" of that trigram, for a trigram query whose
   * context "x w2" is not listed (x = </s>: nothing follows </s>). */
  f = fopen (path, "r");
  sect = 0;
  while (f && fgets (line, sizeof (line), f)) {
    arpa_line l;
    if (line[0] == '\\') {
      sect = line[1];
      continue;
    }
    if (sect == '2' && parse_line (line, 2, &l)
        && strcmp (l.w[0], tri.w[1]) == 0 && strcmp (l.w[1], tri.w[2]) == 0) {
      tri_ctx_bi = l;
      have_ctx_bi = 1;
    }
    if (sect == '1' && parse_line (line, 1, &l)
        && strcmp (l.w[0], bi.w[0]) == 0)
      bo_a = l;
  }
  if (f)
    fclose (f);
  CHECK (counts[1] == seen[1] && counts[2] == seen[2]
      && counts[3] == seen[3]);
  CHECK (dlnn_ctc_lm_count (lm, 1) == counts[1]);
  CHECK (dlnn_ctc_lm_count (lm, 2) == counts[2]);
  CHECK (dlnn_ctc_lm_count (lm, 3) == counts[3]);
  CHECK (dlnn_ctc_lm_bos (lm) >= 0 && dlnn_ctc_lm_eos (lm) >= 0);
  CHECK_CLOSE (q_line (lm, &uni, 0), uni.prob * LN10, 2e-4);
  CHECK_CLOSE (q_line (lm, &bi, 0), bi.prob * LN10, 2e-4);
  CHECK_CLOSE (q_line (lm, &tri, 0), tri.prob * LN10, 2e-4);
  printf ("P(%s) = %g, P(%s | %s) = %g, P(%s | %s %s) = %g (log10)\n",
      uni.w[0], q_line (lm, &uni, 0) / LN10, bi.w[1], bi.w[0],
      q_line (lm, &bi, 0) / LN10, tri.w[2], tri.w[0], tri.w[1],
      q_line (lm, &tri, 0) / LN10);
  if (!bi_a_b_listed) {
    int32_t h = wid (lm, bo_a.w[0]);
    double got = dlnn_ctc_lm_logp (lm, &h, 1, wid (lm, bo_b.w[0]));
    /* Not listed: bo(a) + p(b). */
    CHECK_CLOSE (got, (bo_a.bo + bo_b.prob) * LN10, 2e-4);
    printf ("P(%s | %s) = bo %g + p %g = %g\n", bo_b.w[0], bo_a.w[0],
        bo_a.bo, bo_b.prob, got / LN10);
  }
  CHECK (have_ctx_bi);
  if (have_ctx_bi) {
    int32_t h[2];
    h[0] = dlnn_ctc_lm_eos (lm);
    h[1] = wid (lm, tri.w[1]);
    CHECK_CLOSE (dlnn_ctc_lm_logp (lm, h, 2, wid (lm, tri.w[2])),
        tri_ctx_bi.prob * LN10, 2e-4);
  }
  dlnn_ctc_lm_free (lm);
}

static int
run_en_us (const char *path)
{
  char cmd[1024];
  const char *src = getenv ("DLNN_SOURCE_ROOT");
  if (access (path, R_OK) != 0) {
    int rc;
    snprintf (cmd, sizeof (cmd), "%s/scripts/make-lm.sh %s",
        src ? src : ".", path);
    rc = system (cmd);
    if (WIFEXITED (rc) && WEXITSTATUS (rc) == 77) {
      printf ("SKIP: sphinx_lm_convert or en-us.lm.bin missing "
          "(apt-get install sphinxbase-utils pocketsphinx-en-us)\n");
      return 77;
    }
    if (rc != 0) {
      fprintf (stderr, "make-lm.sh failed\n");
      return 1;
    }
  }
  en_us_path = path;
  DLNN_RUN (test_en_us);
  return dlnn_test_summary ();
}

int
main (int argc, char **argv)
{
  if (argc != 2) {
    fprintf (stderr, "usage: %s EN-US.arpa\n", argv[0]);
    return 2;
  }
  return run_en_us (argv[1]);
}
