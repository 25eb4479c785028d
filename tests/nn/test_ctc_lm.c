/* N-gram language model (nn/src/ctc/ctc_lm*.c) and LM-scored CTC beam
 * search. References: hand-computed back-off values with the arithmetic
 * written out, tests/nn/lm_reference.py (an independent Python back-off
 * implementation) on every 1-, 2- and 3-word query over a tiny trigram
 * file, hand-computed beam scores; the converted pocketsphinx en-us LM is
 * tested in test_ctc_lm_en_us.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlnn/ctc.h"
#include "dlnn-test.h"

#define LN10 2.302585092994045684

static char tmpdir[64];

static const char tiny_arpa[] =
    "Some header text before \\data\\ is ignored.\n"
    "\n"
    "\\data\\\n"
    "ngram 1=7\n"
    "ngram 2=6\n"
    "ngram 3=3\n"
    "\n"
    "\\1-grams:\n"
    "-1.0\t</s>\n"
    "-99\t<s>\t-0.5\n"
    "-0.8\tover\t-0.3\n"
    "-1.2\tthere\t-0.2\n"
    "-1.1\ttheir\t-0.25\n"
    "-1.5\tcar\t-0.1\n"
    "-2.0\t<unk>\n"
    "\n"
    "\\2-grams:\n"
    "-0.4 <s> over -0.1\n"
    "-0.2  over there\t-0.15\n"
    "-1.3\tover their\t-0.05\n"
    "-0.3\ttheir car\n"
    "-0.5\tthere </s>\n"
    "-0.7\tcar </s>\n"
    "\n"
    "\\3-grams:\n"
    "-0.05\tover there </s>\n"
    "-0.1\t<s> over there\n"
    "-0.2\tover their car\n"
    "\n"
    "\\end\\\n";

static void
write_file (const char *path, const char *text)
{
  FILE *f = fopen (path, "wb");
  if (!f) {
    fprintf (stderr, "cannot write %s\n", path);
    exit (1);
  }
  fputs (text, f);
  fclose (f);
}

static dlnn_ctc_lm *
load_text (const char *name, const char *text, dlnn_status * st)
{
  char path[128];
  snprintf (path, sizeof (path), "%s/%s", tmpdir, name);
  write_file (path, text);
  return dlnn_ctc_lm_load (path, st);
}

static int32_t
wid (const dlnn_ctc_lm * lm, const char *w)
{
  return dlnn_ctc_lm_word (lm, w, strlen (w));
}

/* ln P (w | h...) with the history given as words. */
static double
q (const dlnn_ctc_lm * lm, const char *h1, const char *h2, const char *w)
{
  int32_t h[2];
  int n = 0;
  if (h1)
    h[n++] = wid (lm, h1);
  if (h2)
    h[n++] = wid (lm, h2);
  return dlnn_ctc_lm_logp (lm, h, n, wid (lm, w));
}

static void
test_lm_tiny_hand (void)
{
  dlnn_status st;
  dlnn_ctc_lm *lm = load_text ("tiny.arpa", tiny_arpa, &st);
  int32_t h3[3];
  CHECK_MSG (lm != NULL, "%s", st.message);
  if (!lm)
    return;
  CHECK (dlnn_ctc_lm_order (lm) == 3);
  CHECK (dlnn_ctc_lm_count (lm, 1) == 7);
  CHECK (dlnn_ctc_lm_count (lm, 2) == 6);
  CHECK (dlnn_ctc_lm_count (lm, 3) == 3);
  CHECK (dlnn_ctc_lm_count (lm, 4) == 0);
  CHECK (wid (lm, "</s>") == 0 && dlnn_ctc_lm_eos (lm) == 0);
  CHECK (wid (lm, "<s>") == 1 && dlnn_ctc_lm_bos (lm) == 1);
  CHECK (dlnn_ctc_lm_unk (lm) == 6);
  CHECK (wid (lm, "car") == 5 && wid (lm, "ca") == -1 && wid (lm, "") == -1);
  CHECK (strcmp (dlnn_ctc_lm_word_text (lm, 3), "there") == 0);
  CHECK (dlnn_ctc_lm_word_text (lm, 7) == NULL);
  /* Listed trigram: -0.1. */
  CHECK_CLOSE (q (lm, "<s>", "over", "there"), -0.1 * LN10, 1e-6);
  /* No "<s> over their": bo(<s> over) -0.1 + p(over their) -1.3 = -1.4. */
  CHECK_CLOSE (q (lm, "<s>", "over", "their"), -1.4 * LN10, 1e-6);
  /* No "over there car", no "there car": bo(over there) -0.15 +
   * bo(there) -0.2 + p(car) -1.5 = -1.85. */
  CHECK_CLOSE (q (lm, "over", "there", "car"), -1.85 * LN10, 1e-6);
  CHECK_CLOSE (q (lm, "over", "there", "</s>"), -0.05 * LN10, 1e-6);
  /* No "<s> car": bo(<s>) -0.5 + p(car) -1.5 = -2.0. */
  CHECK_CLOSE (q (lm, "<s>", NULL, "car"), -2.0 * LN10, 1e-6);
  /* Context "car their" not listed (bo 0); no "their over": bo(their)
   * -0.25 + p(over) -0.8 = -1.05. */
  CHECK_CLOSE (q (lm, "car", "their", "over"), -1.05 * LN10, 1e-6);
  /* "their car" has no back-off weight: 0; no "car there": bo(car) -0.1
   * + p(there) -1.2 = -1.3. */
  CHECK_CLOSE (q (lm, "their", "car", "there"), -1.3 * LN10, 1e-6);
  CHECK_CLOSE (q (lm, NULL, NULL, "there"), -1.2 * LN10, 1e-6);
  CHECK_CLOSE (q (lm, NULL, NULL, "<s>"), -99 * LN10, 1e-4);
  /* Only the last order-1 = 2 words count; a negative id cuts. */
  h3[0] = wid (lm, "car");
  h3[1] = wid (lm, "<s>");
  h3[2] = wid (lm, "over");
  CHECK_CLOSE (dlnn_ctc_lm_logp (lm, h3, 3, wid (lm, "there")), -0.1 * LN10,
      1e-6);
  h3[1] = -1;
  /* History "over" only: p(over there) -0.2. */
  CHECK_CLOSE (dlnn_ctc_lm_logp (lm, h3, 3, wid (lm, "there")), -0.2 * LN10,
      1e-6);
  h3[2] = -1;
  CHECK_CLOSE (dlnn_ctc_lm_logp (lm, h3, 3, wid (lm, "there")), -1.2 * LN10,
      1e-6);
  CHECK (dlnn_ctc_lm_logp (lm, h3, 3, 7) == -INFINITY);
  CHECK (dlnn_ctc_lm_logp (lm, NULL, 0, -1) == -INFINITY);
  CHECK (dlnn_ctc_lm_memory (lm) > 0);
  dlnn_ctc_lm_free (lm);
  dlnn_ctc_lm_free (NULL);
}

/* Every 1-, 2- and 3-word query over the tiny vocabulary against
 * lm_reference.py. */
static void
test_lm_tiny_python (void)
{
  static const char *words[] =
      { "</s>", "<s>", "over", "there", "their", "car", "<unk>" };
  const int W = 7;
  char path[128], qpath[160], cmd[512], line[64];
  const char *src = getenv ("DLNN_SOURCE_ROOT");
  dlnn_status st;
  dlnn_ctc_lm *lm;
  FILE *f, *p;
  int a, b, c, n = 0, bad = 0;
  snprintf (path, sizeof (path), "%s/tiny-py.arpa", tmpdir);
  write_file (path, tiny_arpa);
  lm = dlnn_ctc_lm_load (path, &st);
  CHECK_MSG (lm != NULL, "%s", st.message);
  if (!lm)
    return;
  snprintf (qpath, sizeof (qpath), "%s/queries.txt", tmpdir);
  f = fopen (qpath, "w");
  for (a = -1; a < W; a++)
    for (b = -1; b < W; b++)
      for (c = 0; c < W; c++) {
        if (a >= 0 && b < 0)
          continue;
        fprintf (f, "%s %s | %s\n", a >= 0 ? words[a] : "",
            b >= 0 ? words[b] : "", words[c]);
      }
  fclose (f);
  snprintf (cmd, sizeof (cmd), "/usr/bin/python3 %s/tests/nn/lm_reference.py"
      " %s < %s", src ? src : ".", path, qpath);
  p = popen (cmd, "r");
  CHECK (p != NULL);
  if (!p)
    return;
  for (a = -1; a < W; a++)
    for (b = -1; b < W; b++)
      for (c = 0; c < W; c++) {
        int32_t h[2];
        int nh = 0;
        double ref, got;
        if (a >= 0 && b < 0)
          continue;
        if (!fgets (line, sizeof (line), p)) {
          bad++;
          continue;
        }
        ref = atof (line);
        if (a >= 0)
          h[nh++] = a;
        if (b >= 0)
          h[nh++] = b;
        got = dlnn_ctc_lm_logp (lm, h, nh, c);
        if (!(fabs (got - ref) <= 1e-5 * (1 + fabs (ref)))) {
          fprintf (stderr, "P(%s | %s %s) = %.9g, reference %.9g\n",
              words[c], a >= 0 ? words[a] : "", b >= 0 ? words[b] : "",
              got, ref);
          bad++;
        }
        n++;
      }
  CHECK (pclose (p) == 0);
  CHECK (bad == 0);
  CHECK (n == 7 + 7 * 7 + 7 * 7 * 7);
  printf ("%d queries match lm_reference.py\n", n);
  dlnn_ctc_lm_free (lm);
}

/* A small order-1/2 file with the given lines after the header. */
typedef struct bad_case
{
  const char *text;
  dlnn_code code;
  const char *where;            /* substring of the message */
} bad_case;

static void
test_lm_errors (void)
{
  static const bad_case cases[] = {
    /* truncated: no \end\ */
    {"\\data\\\nngram 1=2\n\n\\1-grams:\n-1 a\n-1 b\n", DLNN_ERR_FORMAT,
        ":6: truncated: end of file before \\end\\"},
    /* truncated inside a section */
    {"\\data\\\nngram 1=2\nngram 2=2\n\n\\1-grams:\n-1 a\n-1 b\n\n"
          "\\2-grams:\n-1 a b\n", DLNN_ERR_FORMAT,
        ":10: truncated: end of file in \\2-grams: after 1 of 2"},
    /* fewer n-grams than announced */
    {"\\data\\\nngram 1=3\nngram 2=1\n\n\\1-grams:\n-1 a\n-1 b\n\n"
          "\\2-grams:\n-1 a b\n\\end\\\n", DLNN_ERR_FORMAT,
        ":9: \\1-grams: lists 2 n-grams, \\data\\ says 3"},
    /* more n-grams than announced */
    {"\\data\\\nngram 1=2\nngram 2=1\n\n\\1-grams:\n-1 a\n-1 b\n\n"
          "\\2-grams:\n-1 a b\n-1 b a\n\\end\\\n", DLNN_ERR_FORMAT,
        ":11: \\2-grams: lists more n-grams"},
    /* bad probability */
    {"\\data\\\nngram 1=2\n\n\\1-grams:\n-1 a\n-1,5 b\n\\end\\\n",
        DLNN_ERR_FORMAT, ":6: bad log10 probability"},
    /* positive log probability */
    {"\\data\\\nngram 1=1\n\n\\1-grams:\n0.5 a\n\\end\\\n",
        DLNN_ERR_FORMAT, ":5: bad log10 probability"},
    /* bad back-off */
    {"\\data\\\nngram 1=2\n\n\\1-grams:\n-1 a x\n-1 b\n\\end\\\n",
        DLNN_ERR_FORMAT, ":5: bad log10 back-off"},
    /* too many fields */
    {"\\data\\\nngram 1=1\nngram 2=1\n\n\\1-grams:\n-1 a\n\n\\2-grams:\n"
          "-1 a a -0.5 7\n\\end\\\n", DLNN_ERR_FORMAT, ":9: expected log10"},
    /* too few fields */
    {"\\data\\\nngram 1=1\nngram 2=1\n\n\\1-grams:\n-1 a\n\n\\2-grams:\n"
          "-1 a\n\\end\\\n", DLNN_ERR_FORMAT, ":9: expected log10"},
    /* word that is not a unigram */
    {"\\data\\\nngram 1=1\nngram 2=1\n\n\\1-grams:\n-1 a\n\n\\2-grams:\n"
          "-1 a zz\n\\end\\\n", DLNN_ERR_FORMAT, ":9: word 'zz' is not"},
    /* duplicate unigram */
    {"\\data\\\nngram 1=2\n\n\\1-grams:\n-1 a\n-2 a\n\\end\\\n",
        DLNN_ERR_FORMAT, ":6: duplicate unigram 'a'"},
    /* duplicate bigram (found after sorting: no line number) */
    {"\\data\\\nngram 1=2\nngram 2=3\n\n\\1-grams:\n-1 a\n-1 b\n\n"
          "\\2-grams:\n-1 b a\n-1 a b\n-2 b a\n\\end\\\n", DLNN_ERR_FORMAT,
        "duplicate 2-gram starting 'b a'"},
    /* no \data\ */
    {"just text\n", DLNN_ERR_FORMAT, "no \\data\\ section"},
    /* orders not 1, 2, ... */
    {"\\data\\\nngram 1=1\nngram 3=1\n", DLNN_ERR_FORMAT,
        ":3: ngram orders must be"},
    /* unsupported order */
    {"\\data\\\nngram 1=1\nngram 2=1\nngram 3=1\nngram 4=1\nngram 5=1\n"
          "ngram 6=1\n", DLNN_ERR_UNSUPPORTED, ":7: order 6 not supported"},
    /* absurd count */
    {"\\data\\\nngram 1=1000000000\n\n\\1-grams:\n-1 a\n\\end\\\n",
        DLNN_ERR_FORMAT, ":2: n-gram count larger than the file"},
    {"\\data\\\nngram 1=x\n", DLNN_ERR_FORMAT, ":2: bad n-gram count"},
    {"\\data\\\nngram 1=0\n", DLNN_ERR_FORMAT, ":2: bad n-gram count"},
    /* section header missing */
    {"\\data\\\nngram 1=1\n\n-1 a\n\\end\\\n", DLNN_ERR_FORMAT,
        ":4: expected \\1-grams:"},
    {"\\data\\\nngram 1=1\nngram 2=1\n\n\\1-grams:\n-1 a\n\n\\3-grams:\n"
          "-1 a a\n\\end\\\n", DLNN_ERR_FORMAT, ":8: expected \\2-grams:"},
    {"\\data\\\n", DLNN_ERR_FORMAT, "truncated after \\data\\"},
  };
  size_t i;
  for (i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
    dlnn_status st;
    dlnn_ctc_lm *lm;
    dlnn_status_clear (&st);
    lm = load_text ("bad.arpa", cases[i].text, &st);
    CHECK_MSG (lm == NULL, "case %zu loaded", i);
    CHECK_MSG (st.code == cases[i].code, "case %zu: code %d, want %d (%s)",
        i, (int) st.code, (int) cases[i].code, st.message);
    CHECK_MSG (strstr (st.message, cases[i].where) != NULL,
        "case %zu: message \"%s\" lacks \"%s\"", i, st.message,
        cases[i].where);
    dlnn_ctc_lm_free (lm);
  }
  {
    dlnn_status st;
    char path[128];
    snprintf (path, sizeof (path), "%s/missing.arpa", tmpdir);
    CHECK (dlnn_ctc_lm_load (path, &st) == NULL && st.code == DLNN_ERR_IO);
    CHECK (dlnn_ctc_lm_load (tmpdir, &st) == NULL && st.code == DLNN_ERR_IO);
    CHECK (dlnn_ctc_lm_load (NULL, &st) == NULL);
  }
}

/* Unsorted input, CRLF line ends, 4-gram order, a word with UTF-8 bytes. */
static void
test_lm_unsorted_order4 (void)
{
  static const char text[] =
      "\\data\\\r\nngram 1=3\r\nngram 2=3\r\nngram 3=1\r\nngram 4=1\r\n\r\n"
      "\\1-grams:\r\n-1 b -0.5\r\n-0.5 \xc3\xa9t\xc3\xa9 -0.25\r\n"
      "-0.75 a -0.125\r\n\r\n"
      "\\2-grams:\r\n-0.3 b a -0.01\r\n-0.1 a \xc3\xa9t\xc3\xa9 -0.03\r\n"
      "-0.2 a b -0.02\r\n\r\n"
      "\\3-grams:\r\n-0.05 a b a -0.04\r\n\r\n"
      "\\4-grams:\r\n-0.01 a b a b\r\n\r\n\\end\\\r\n";
  dlnn_status st;
  dlnn_ctc_lm *lm = load_text ("o4.arpa", text, &st);
  int32_t h[3];
  int32_t a, b, e;
  CHECK_MSG (lm != NULL, "%s", st.message);
  if (!lm)
    return;
  a = wid (lm, "a");
  b = wid (lm, "b");
  e = wid (lm, "\xc3\xa9t\xc3\xa9");
  CHECK (b == 0 && e == 1 && a == 2);
  CHECK (dlnn_ctc_lm_order (lm) == 4);
  CHECK (dlnn_ctc_lm_bos (lm) == -1 && dlnn_ctc_lm_unk (lm) == -1);
  h[0] = a;
  h[1] = b;
  h[2] = a;
  CHECK_CLOSE (dlnn_ctc_lm_logp (lm, h, 3, b), -0.01 * LN10, 1e-6);
  /* No "a b a a": bo(a b a) -0.04 + P(a | b a): no "b a a": bo(b a)
   * -0.01 + P(a | a): no "a a": bo(a) -0.125 + p(a) -0.75 = -0.925. */
  CHECK_CLOSE (dlnn_ctc_lm_logp (lm, h, 3, a), -0.925 * LN10, 1e-6);
  CHECK_CLOSE (dlnn_ctc_lm_logp (lm, h + 2, 1, e), -0.1 * LN10, 1e-6);
  CHECK_CLOSE (dlnn_ctc_lm_logp (lm, h + 1, 1, a), -0.3 * LN10, 1e-6);
  CHECK_CLOSE (dlnn_ctc_lm_logp (lm, NULL, 2, a), -0.75 * LN10, 1e-6);
  CHECK_CLOSE (dlnn_ctc_lm_logp (lm, h, -1, a), -0.75 * LN10, 1e-6);
  dlnn_ctc_lm_free (lm);
  /* An order with no n-grams. */
  lm = load_text ("empty2.arpa", "\\data\\\nngram 1=2\nngram 2=0\n\n"
      "\\1-grams:\n-0.3 a\n-0.3 b\n\n\\2-grams:\n\n\\end\\\n", &st);
  CHECK_MSG (lm != NULL, "%s", st.message);
  if (lm) {
    h[0] = 0;
    CHECK (dlnn_ctc_lm_count (lm, 2) == 0);
    CHECK_CLOSE (dlnn_ctc_lm_logp (lm, h, 1, 1), -0.3 * LN10, 1e-6);
  }
  dlnn_ctc_lm_free (lm);
}

/* scripts/make-lm.sh OUT TEXT (scripts/text-to-arpa.py): the model loads
 * and every conditional distribution sums to 1 over the words (all but
 * <s>), for every history of up to two words - a check of the back-off
 * weights the script wrote and of the back-off queries here. */
static void
test_lm_from_text (void)
{
  static const char text[] =
      "Over there is a car.\nTheir car is over there\nthe car is red\n"
      "is it there? It is!\n";
  char tpath[128], apath[128], cmd[512];
  const char *src = getenv ("DLNN_SOURCE_ROOT");
  dlnn_status st;
  dlnn_ctc_lm *lm;
  int64_t W, a, b, c;
  int n = 0;
  snprintf (tpath, sizeof (tpath), "%s/text.txt", tmpdir);
  snprintf (apath, sizeof (apath), "%s/text.arpa", tmpdir);
  write_file (tpath, text);
  snprintf (cmd, sizeof (cmd), "%s/scripts/make-lm.sh %s %s >/dev/null",
      src ? src : ".", apath, tpath);
  CHECK (system (cmd) == 0);
  lm = dlnn_ctc_lm_load (apath, &st);
  CHECK_MSG (lm != NULL, "%s", st.message);
  if (!lm)
    return;
  W = dlnn_ctc_lm_count (lm, 1);
  CHECK (W == 12 && dlnn_ctc_lm_order (lm) == 3);
  CHECK (dlnn_ctc_lm_unk (lm) >= 0 && wid (lm, "their") >= 0);
  for (a = -1; a < W; a++)
    for (b = -1; b < W; b++) {
      int32_t h[2];
      int nh = 0;
      double sum = 0.0;
      if (a >= 0 && b < 0)
        continue;
      if (a >= 0)
        h[nh++] = (int32_t) a;
      if (b >= 0)
        h[nh++] = (int32_t) b;
      for (c = 0; c < W; c++)
        if (c != dlnn_ctc_lm_bos (lm))
          sum += exp (dlnn_ctc_lm_logp (lm, h, nh, (int32_t) c));
      CHECK_MSG (fabs (sum - 1.0) < 1e-4, "history %lld %lld: sum %.6f",
          (long long) a, (long long) b, sum);
      n++;
    }
  CHECK (n == 1 + 12 + 144);
  dlnn_ctc_lm_free (lm);
}

/* ---- beam search with the LM ---------------------------------------- */

static const char *const labels[] =
    { "<blank>", " ", "o", "v", "e", "r", "t", "h", "i", "c", "a" };
#define NC 11
#define NF 10

/* "over the??": frame 8 i .55 / r .45, frame 9 r .55 / e .45: acoustically
 * "over their" (.3025) beats "over there" (.2025), "over ther" (.2475),
 * "over theie" (.2475). Log-probs, the rest of each frame's mass (0.01)
 * spread over the other classes. */
static void
make_frames (float *x)
{
  static const int seq[NF] = { 2, 3, 4, 5, 1, 6, 7, 4, -1, -2 };
  int t, c;
  for (t = 0; t < NF; t++) {
    double p[NC], rest = 0.01 / (NC - (seq[t] < 0 ? 2 : 1));
    for (c = 0; c < NC; c++)
      p[c] = rest;
    if (seq[t] >= 0)
      p[seq[t]] = 0.99;
    else if (seq[t] == -1) {
      p[8] = 0.55 * 0.99;
      p[5] = 0.45 * 0.99;
    } else {
      p[5] = 0.55 * 0.99;
      p[4] = 0.45 * 0.99;
    }
    for (c = 0; c < NC; c++)
      x[t * NC + c] = (float) log (p[c]);
  }
}

static void
hyp_text (const dlnn_ctc_beam * b, int i, char *buf, size_t cap)
{
  const dlnn_ctc_token *tok;
  int64_t n, k;
  size_t len = 0;
  buf[0] = '\0';
  if (dlnn_ctc_beam_result (b, i, &tok, &n, NULL, NULL, NULL) != DLNN_OK)
    return;
  for (k = 0; k < n && len + 8 < cap; k++) {
    strcpy (buf + len, labels[tok[k].id]);
    len += strlen (labels[tok[k].id]);
  }
}

static void
beam_cfg (dlnn_ctc_beam_cfg * cfg, const dlnn_ctc_lm * lm, float alpha,
    float beta)
{
  dlnn_ctc_beam_cfg_init (cfg);
  cfg->n_classes = NC;
  cfg->beam_size = 16;
  cfg->input_is_logits = 0;
  cfg->lm = lm;
  cfg->lm_weight = alpha;
  cfg->word_bonus = beta;
  cfg->labels = labels;
}

/* Runs the decoder on the frames; returns the number of final hypotheses
 * and the best's text. */
static int
decode (const dlnn_ctc_beam_cfg * cfg, dlnn_ctc_beam ** out, char *best,
    size_t cap)
{
  float x[NF * NC];
  dlnn_status st;
  dlnn_ctc_beam *b = dlnn_ctc_beam_new (cfg, &st);
  int n;
  *out = b;
  CHECK_MSG (b != NULL, "%s", st.message);
  if (!b)
    return 0;
  make_frames (x);
  CHECK_OK (dlnn_ctc_beam_push (b, x, NF, &st), &st);
  n = dlnn_ctc_beam_nbest (b, 1);
  CHECK (n > 0);
  hyp_text (b, 0, best, cap);
  return n;
}

static int
find_hyp (const dlnn_ctc_beam * b, int n, const char *text)
{
  char buf[64];
  int i;
  for (i = 0; i < n; i++) {
    hyp_text (b, i, buf, sizeof (buf));
    if (strcmp (buf, text) == 0)
      return i;
  }
  return -1;
}

static void
test_beam_lm_picks_lm_word (void)
{
  dlnn_status st;
  dlnn_ctc_lm *lm = load_text ("beam.arpa", tiny_arpa, &st);
  dlnn_ctc_beam_cfg cfg;
  dlnn_ctc_beam *b0, *b1;
  char best0[64], best1[64];
  int n0, n1, i;
  float logp, am, lms, share, lm0;
  CHECK_MSG (lm != NULL, "%s", st.message);
  if (!lm)
    return;
  beam_cfg (&cfg, NULL, 0, 0);
  n0 = decode (&cfg, &b0, best0, sizeof (best0));
  CHECK_MSG (strcmp (best0, "over their") == 0, "no LM: '%s'", best0);
  beam_cfg (&cfg, lm, 1.0f, 0.0f);
  n1 = decode (&cfg, &b1, best1, sizeof (best1));
  CHECK_MSG (strcmp (best1, "over there") == 0, "LM: '%s'", best1);
  if (b1 && n1 > 0) {
    /* P(over | <s>) -0.4, P(there | <s> over) -0.1, P(</s> | over there)
     * -0.05: -0.55 in log10. */
    CHECK_OK (dlnn_ctc_beam_result (b1, 0, NULL, NULL, &logp, &share, &st),
        &st);
    CHECK_OK (dlnn_ctc_beam_result_scores (b1, 0, &am, &lms, &st), &st);
    CHECK_CLOSE (lms, -0.55 * LN10, 1e-5);
    CHECK_CLOSE (logp, am + lms, 1e-5);
    CHECK (share > 0.5f && share <= 1.0f);
    /* The acoustic score is the same CTC sum as without the LM. */
    i = find_hyp (b0, n0, "over there");
    CHECK (i >= 0);
    if (i >= 0) {
      CHECK_OK (dlnn_ctc_beam_result_scores (b0, i, &lm0, NULL, &st), &st);
      CHECK_CLOSE (am, lm0, 1e-5);
      CHECK_OK (dlnn_ctc_beam_result_scores (b0, i, NULL, &lm0, &st), &st);
      CHECK (lm0 == 0.0f);
    }
    /* "over their": -0.4 + (bo(<s> over) -0.1 + p(over their) -1.3) +
     * P(</s> | over their) = bo(over their) -0.05 + bo(their) -0.25 +
     * p(</s>) -1.0: -3.1 in log10. */
    i = find_hyp (b1, n1, "over their");
    CHECK (i > 0);
    if (i > 0) {
      CHECK_OK (dlnn_ctc_beam_result_scores (b1, i, &am, &lms, &st), &st);
      CHECK_CLOSE (lms, -3.1 * LN10, 1e-5);
    }
    /* "ther" is not listed: <unk>. P(<unk> | <s> over) = bo(<s> over) -0.1
     * + bo(over) -0.3 + p(<unk>) -2.0; P(</s> | over <unk>) = bo(<unk>) 0
     * + p(</s>) -1.0: -0.4 - 2.4 - 1.0 = -3.8. */
    i = find_hyp (b1, n1, "over ther");
    CHECK (i > 0);
    if (i > 0) {
      CHECK_OK (dlnn_ctc_beam_result_scores (b1, i, &am, &lms, &st), &st);
      CHECK_CLOSE (lms, -3.8 * LN10, 1e-5);
    }
  }
  dlnn_ctc_beam_free (b0);
  dlnn_ctc_beam_free (b1);
  dlnn_ctc_lm_free (lm);
}

static void
test_beam_lm_weight_zero (void)
{
  dlnn_status st;
  dlnn_ctc_lm *lm = load_text ("beam0.arpa", tiny_arpa, &st);
  dlnn_ctc_beam_cfg cfg;
  dlnn_ctc_beam *b0, *b1;
  char best0[64], best1[64];
  int n0, n1, i;
  if (!lm)
    return;
  beam_cfg (&cfg, NULL, 0, 0);
  n0 = decode (&cfg, &b0, best0, sizeof (best0));
  beam_cfg (&cfg, lm, 0.0f, 0.0f);
  n1 = decode (&cfg, &b1, best1, sizeof (best1));
  CHECK (n0 == n1);
  for (i = 0; i < n0 && i < n1; i++) {
    const dlnn_ctc_token *t0, *t1;
    int64_t l0, l1, k;
    float p0, p1, s0, s1;
    dlnn_ctc_beam_result (b0, i, &t0, &l0, &p0, &s0, NULL);
    dlnn_ctc_beam_result (b1, i, &t1, &l1, &p1, &s1, NULL);
    CHECK (l0 == l1);
    for (k = 0; k < l0 && k < l1; k++)
      CHECK (t0[k].id == t1[k].id && t0[k].start == t1[k].start);
    CHECK (p0 == p1 && s0 == s1);
  }
  dlnn_ctc_beam_free (b0);
  dlnn_ctc_beam_free (b1);
  dlnn_ctc_lm_free (lm);
}

/* LM without <unk>: OOV words get lm_oov_logp and cut the history; the
 * bonus counts each word; partial results carry the completed words. */
static void
test_beam_lm_oov_partial (void)
{
  char text[sizeof (tiny_arpa) + 16];
  dlnn_status st;
  dlnn_ctc_lm *lm;
  dlnn_ctc_beam_cfg cfg;
  dlnn_ctc_beam *b;
  char best[64];
  float x[NF * NC], am, lms;
  int n, i;
  char *p;
  strcpy (text, tiny_arpa);
  p = strstr (text, "-2.0\t<unk>\n");
  memmove (p, p + strlen ("-2.0\t<unk>\n"), strlen (p + 11) + 1);
  p = strstr (text, "ngram 1=7");
  p[8] = '6';
  lm = load_text ("nounk.arpa", text, &st);
  CHECK_MSG (lm != NULL, "%s", st.message);
  if (!lm)
    return;
  CHECK (dlnn_ctc_lm_unk (lm) == -1);
  beam_cfg (&cfg, lm, 1.0f, 0.5f);
  cfg.lm_oov_logp = -10.0f;
  n = decode (&cfg, &b, best, sizeof (best));
  CHECK_MSG (strcmp (best, "over there") == 0, "'%s'", best);
  i = find_hyp (b, n, "over ther");
  CHECK (i > 0);
  if (i > 0) {
    /* -0.4 ln10 + 0.5, then OOV -10 + 0.5, then P(</s>) with the history
     * cut: p(</s>) -1.0. */
    CHECK_OK (dlnn_ctc_beam_result_scores (b, i, &am, &lms, &st), &st);
    CHECK_CLOSE (lms, -0.4 * LN10 + 0.5 - 10.0 + 0.5 - 1.0 * LN10, 1e-5);
  }
  /* Partial: "over " completed one word. */
  dlnn_ctc_beam_reset (b);
  make_frames (x);
  CHECK_OK (dlnn_ctc_beam_push (b, x, 5, &st), &st);
  n = dlnn_ctc_beam_nbest (b, 0);
  hyp_text (b, 0, best, sizeof (best));
  CHECK_MSG (strcmp (best, "over ") == 0, "'%s'", best);
  CHECK_OK (dlnn_ctc_beam_result_scores (b, 0, &am, &lms, &st), &st);
  CHECK_CLOSE (lms, -0.4 * LN10 + 0.5, 1e-5);
  /* Final adds P(</s> | <s> over) = bo(<s> over) -0.1 + bo(over) -0.3 +
   * p(</s>) -1.0 = -1.4, no extra word after the trailing boundary. */
  n = dlnn_ctc_beam_nbest (b, 1);
  i = find_hyp (b, n, "over ");
  CHECK (i >= 0);
  if (i >= 0) {
    CHECK_OK (dlnn_ctc_beam_result_scores (b, i, &am, &lms, &st), &st);
    CHECK_CLOSE (lms, -0.4 * LN10 + 0.5 - 1.4 * LN10, 1e-5);
  }
  dlnn_ctc_beam_free (b);
  dlnn_ctc_lm_free (lm);
}

/* The LM-scored beam constrained to @v decodes the frames as "over
 * there", and every hypothesis is made of the words of @allowed (space
 * separated). */
static void
check_lm_vocab (const dlnn_ctc_lm * lm, const dlnn_ctc_vocab * v,
    const char *allowed)
{
  dlnn_ctc_beam_cfg cfg;
  dlnn_ctc_beam *b;
  char best[64], pad[64];
  int n, i;
  beam_cfg (&cfg, lm, 1.0f, 0.0f);
  cfg.vocab = v;
  n = decode (&cfg, &b, best, sizeof (best));
  CHECK_MSG (strcmp (best, "over there") == 0, "'%s'", best);
  snprintf (pad, sizeof (pad), " %s ", allowed);
  for (i = 0; i < n; i++) {
    char *w, *save = NULL, key[72];
    hyp_text (b, i, best, sizeof (best));
    for (w = strtok_r (best, " ", &save); w; w = strtok_r (NULL, " ", &save)) {
      snprintf (key, sizeof (key), " %s ", w);
      CHECK_MSG (strstr (pad, key) != NULL, "'%s' not in '%s'", w, allowed);
    }
  }
  dlnn_ctc_beam_free (b);
}

static void
test_beam_lm_vocab (void)
{
  static const int32_t over[] = { 2, 3, 4, 5 }, there[] = { 6, 7, 4, 5, 4 },
      their[] = { 6, 7, 4, 8, 5 };
  dlnn_status st;
  dlnn_ctc_lm *lm = load_text ("vocab.arpa", tiny_arpa, &st);
  dlnn_ctc_vocab *v = dlnn_ctc_vocab_new (1, &st);
  dlnn_ctc_beam_cfg cfg;
  dlnn_ctc_beam *b;
  char best[64];
  int n;
  if (!lm || !v)
    return;
  CHECK_OK (dlnn_ctc_vocab_add (v, over, 4, &st), &st);
  CHECK_OK (dlnn_ctc_vocab_add (v, there, 5, &st), &st);
  CHECK_OK (dlnn_ctc_vocab_add (v, their, 5, &st), &st);
  beam_cfg (&cfg, NULL, 0, 0);
  cfg.vocab = v;
  n = decode (&cfg, &b, best, sizeof (best));
  CHECK_MSG (strcmp (best, "over their") == 0, "'%s'", best);
  CHECK (find_hyp (b, n, "over ther") < 0);
  dlnn_ctc_beam_free (b);
  check_lm_vocab (lm, v, "over there their");
  dlnn_ctc_vocab_free (v);
  dlnn_ctc_lm_free (lm);
}

/* dlnn_ctc_lm_lexicon: the LM's words the labels spell (not <s>, </s>,
 * <unk>), and a beam constrained by it decodes as by the hand-made
 * vocabulary of test_beam_lm_vocab. */
static void
test_lm_lexicon (void)
{
  static const char *const no_c[] =
      { "<blank>", " ", "o", "v", "e", "r", "t", "h", "i", "x", "a" };
  static const char *const only_z[] = { "<blank>", " ", "z" };
  dlnn_status st;
  dlnn_ctc_lm *lm = load_text ("lexicon.arpa", tiny_arpa, &st);
  dlnn_ctc_vocab *v;
  int64_t n_words = -1;
  if (!lm)
    return;
  v = dlnn_ctc_lm_lexicon (lm, labels, NC, 0, 1, &n_words, &st);
  CHECK_MSG (v != NULL, "%s", st.message);
  if (!v)
    return;
  /* over, there, their, car */
  CHECK_MSG (n_words == 4, "%lld", (long long) n_words);
  CHECK (dlnn_ctc_vocab_n_entries (v) == 4);
  check_lm_vocab (lm, v, "over there their car");
  dlnn_ctc_vocab_free (v);
  /* "car" cannot be spelled without a "c" label */
  v = dlnn_ctc_lm_lexicon (lm, no_c, NC, 0, 1, &n_words, &st);
  CHECK_MSG (v != NULL && n_words == 3, "%lld", (long long) n_words);
  dlnn_ctc_vocab_free (v);
  /* no word at all: an error, not an empty lexicon */
  v = dlnn_ctc_lm_lexicon (lm, only_z, 3, 0, 1, &n_words, &st);
  CHECK (v == NULL && st.code == DLNN_ERR_INVALID && n_words == 0);
  CHECK_MSG (strstr (st.message, "spelled") != NULL, "%s", st.message);
  dlnn_ctc_lm_free (lm);
}

static void
test_beam_lm_config (void)
{
  static const char *const nospace[] = { "<blank>", "a", "b" };
  dlnn_status st;
  dlnn_ctc_lm *lm = load_text ("cfg.arpa", tiny_arpa, &st);
  dlnn_ctc_beam_cfg cfg;
  dlnn_ctc_beam *b;
  if (!lm)
    return;
  beam_cfg (&cfg, lm, 1, 0);
  cfg.labels = NULL;
  CHECK (dlnn_ctc_beam_new (&cfg, &st) == NULL
      && st.code == DLNN_ERR_INVALID);
  beam_cfg (&cfg, lm, 1, 0);
  cfg.n_classes = 3;
  cfg.labels = nospace;
  CHECK (dlnn_ctc_beam_new (&cfg, &st) == NULL);
  cfg.word_boundary = 0;        /* the blank */
  CHECK (dlnn_ctc_beam_new (&cfg, &st) == NULL);
  cfg.word_boundary = 2;
  b = dlnn_ctc_beam_new (&cfg, &st);
  CHECK_MSG (b != NULL, "%s", st.message);
  dlnn_ctc_beam_free (b);
  beam_cfg (&cfg, lm, NAN, 0);
  CHECK (dlnn_ctc_beam_new (&cfg, &st) == NULL);
  dlnn_ctc_lm_free (lm);
}

int
main (void)
{
  int rc;
  snprintf (tmpdir, sizeof (tmpdir), "/tmp/dlnn-lm-XXXXXX");
  if (!mkdtemp (tmpdir)) {
    perror ("mkdtemp");
    return 1;
  }
  DLNN_RUN (test_lm_tiny_hand);
  DLNN_RUN (test_lm_tiny_python);
  DLNN_RUN (test_lm_errors);
  DLNN_RUN (test_lm_unsorted_order4);
  DLNN_RUN (test_lm_from_text);
  DLNN_RUN (test_beam_lm_picks_lm_word);
  DLNN_RUN (test_beam_lm_weight_zero);
  DLNN_RUN (test_beam_lm_oov_partial);
  DLNN_RUN (test_beam_lm_vocab);
  DLNN_RUN (test_beam_lm_config);
  DLNN_RUN (test_lm_lexicon);
  rc = dlnn_test_summary ();
  {
    char cmd[128];
    snprintf (cmd, sizeof (cmd), "rm -rf %s", tmpdir);
    if (system (cmd) != 0)
      fprintf (stderr, "could not remove %s\n", tmpdir);
  }
  return rc;
}
