/* JSGF grammars (nn/src/ctc/jsgf_*.c, ctc_fsa.c): every construct against
 * an equivalent POSIX regular expression (regex.h, over the sentence
 * written as "w1 w2 ... wn " ) on every word sequence up to a length;
 * error messages (file, line, cause); the automaton's shape; and decoding
 * constrained to a grammar against a brute-force search: every sentence
 * of the (short) grammar language that fits, scored with a naive CTC
 * forward sum written here, on random log-prob matrices. */
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlnn/dlnn.h"
#include "dlnn-test.h"

static dlnn_grammar *
parse (const char *text, dlnn_status * st)
{
  return dlnn_grammar_parse (text, strlen (text), "t.gram", st);
}

/* Calls @fn on every sequence of up to @max_len words from @words. */
typedef void (*seq_fn) (const char *const *seq, int n, void *data);

static void
enumerate (const char *const *words, int n_words, int max_len,
    const char **seq, int n, seq_fn fn, void *data)
{
  int i;
  fn (seq, n, data);
  if (n == max_len)
    return;
  for (i = 0; i < n_words; i++) {
    seq[n] = words[i];
    enumerate (words, n_words, max_len, seq, n + 1, fn, data);
  }
}

typedef struct
{
  const dlnn_grammar *g;
  regex_t re;
  int checked, accepted, mismatches;
} match_ctx;

static void
check_match (const char *const *seq, int n, void *data)
{
  match_ctx *m = data;
  char s[256] = "";
  int i, want, got;
  for (i = 0; i < n; i++) {
    strcat (s, seq[i]);
    strcat (s, " ");
  }
  want = regexec (&m->re, s, 0, NULL, 0) == 0;
  got = dlnn_grammar_accepts (m->g, seq, n);
  m->checked++;
  m->accepted += got;
  if (want != got && m->mismatches++ < 5)
    fprintf (stderr, "  \"%s\": grammar %d, regex %d\n", s, got, want);
}

/* Every sequence of up to @max_len of @words: grammar == regex. */
static void
check_language (const char *text, const char *regex, const char *const *words,
    int n_words, int max_len, int min_accepted)
{
  dlnn_status st;
  match_ctx m;
  const char *seq[8];
  memset (&m, 0, sizeof (m));
  dlnn_status_clear (&st);
  m.g = parse (text, &st);
  CHECK_MSG (m.g != NULL, "%s", st.message);
  if (!m.g)
    return;
  CHECK (regcomp (&m.re, regex, REG_EXTENDED | REG_NOSUB) == 0);
  enumerate (words, n_words, max_len, seq, 0, check_match, &m);
  CHECK_MSG (m.mismatches == 0, "%d of %d sequences differ", m.mismatches,
      m.checked);
  CHECK_MSG (m.accepted >= min_accepted, "only %d accepted", m.accepted);
  regfree (&m.re);
  dlnn_grammar_free ((dlnn_grammar *) m.g);
}

static void
test_constructs (void)
{
  /* header with encoding and locale, comments, weights, tags, quoted
   * tokens, private rules, a qualified reference, <NULL>, <VOID>, upper
   * case words, two public rules */
  static const char text[] =
      "#JSGF V1.0 UTF-8 en;\n"
      "/* a block\n   comment */\n"
      "grammar test; // line comment\n"
      "public <cmd> = /2/ go <dir> [<n> (step | Steps)] | /0.5/ stop {tag}\n"
      "  | \"turn around\";\n"
      "<dir> = left | right | <test.back>;\n"
      "<back> = back;\n"
      "<n> = one | two;\n"
      "public <rep> = la+ [da]* <NULL> | <VOID> x;\n"
      "<unused> = foo;\n";
  static const char re[] = "^(go (left|right|back) ((one|two) (step|steps) )?"
      "|stop |turn around |la (la )*(da )*)$";
  static const char *const words[] = { "go", "left", "right", "back", "one",
    "two", "step", "steps", "stop", "turn", "around", "la", "da", "x", "foo"
  };
  check_language (text, re, words, 15, 4, 20);
}

static void
test_nesting (void)
{
  static const char *const words[] = { "a", "b", "c", "d", "e" };
  /* groups inside repetitions, nullable rules under + and *, * of * */
  check_language ("#JSGF V1.0;\ngrammar n;\n"
      "public <s> = (a [b] | c)* d+ | (<x> e)+;\n<x> = [a] | c;\n",
      "^((a (b )?|c )*(d )+|((a |c )?e )+)$", words, 5, 5, 30);
  check_language ("#JSGF v1.0;\ngrammar n;\npublic <s> = ((a b)* [c])+ d;\n",
      "^((a b )*(c )?)+d $", words, 5, 6, 10);
  /* the empty sentence */
  check_language ("#JSGF V1.0;\ngrammar n;\npublic <s> = [a b] | c+;\n",
      "^((a b )?|(c )+)$", words, 5, 4, 4);
  /* a rule used twice expands twice (no recursion) */
  check_language ("#JSGF V1.0;\ngrammar n;\npublic <s> = <p> <p>;\n"
      "<p> = a | b c;\n", "^(a |b c )(a |b c )$", words, 5, 5, 4);
}

static void
test_automaton (void)
{
  dlnn_status st;
  const dlnn_grammar_arc *arcs;
  dlnn_grammar *g = parse ("#JSGF V1.0;\ngrammar s;\n"
      "public <s> = a b |\n a c;\n", &st);
  int line = 0, i, n_final = 0;
  int64_t n;
  CHECK_MSG (g != NULL, "%s", st.message);
  if (!g)
    return;
  CHECK (strcmp (dlnn_grammar_name (g), "s") == 0);
  /* one state per word occurrence plus the start: 0 -a-> 1 -b-> 2,
   * 0 -a-> 3 -c-> 4; no epsilon arcs, two "a" arcs leave the start */
  CHECK (dlnn_grammar_n_states (g) == 5);
  CHECK (dlnn_grammar_n_words (g) == 3);
  CHECK (strcmp (dlnn_grammar_word (g, 2, &line), "c") == 0 && line == 4);
  CHECK (dlnn_grammar_word (g, 3, NULL) == NULL);
  n = dlnn_grammar_arcs (g, 0, &arcs);
  CHECK (n == 2);
  if (n == 2)
    CHECK (arcs[0].word == 0 && arcs[1].word == 0 && arcs[0].to != arcs[1].to);
  for (i = 0; i < 5; i++)
    n_final += dlnn_grammar_is_final (g, i);
  CHECK (n_final == 2);
  CHECK (!dlnn_grammar_is_final (g, 0));
  CHECK (dlnn_grammar_arcs (g, 7, &arcs) == 0);
  dlnn_grammar_free (g);
  dlnn_grammar_free (NULL);
}

typedef struct
{
  const char *text;
  const char *expect[2];        /* substrings of the message */
} bad_case;

static void
test_errors (void)
{
  static const bad_case cases[] = {
    {"grammar g;\npublic <a> = x;\n", {"t.gram:1:", "missing \"#JSGF"}},
    {"#JSGF V1.0\ngrammar g;\n", {"t.gram:1:", "must end with ';'"}},
    {"#JSGF V1.0;\npublic <a> = x;\n", {"t.gram:2:", "grammar NAME;"}},
    {"#JSGF V1.0;\ngrammar g;\n\npublic <a> = x <b>;\n",
        {"t.gram:4:", "undefined rule <b>"}},
    {"#JSGF V1.0;\ngrammar g;\npublic <a> = x\n  | y <a>;\n",
        {"t.gram:4:", "rule <a> is recursive"}},
    {"#JSGF V1.0;\ngrammar g;\npublic <a> = <b>;\n<b> = x <c>;\n"
          "<c> = [<b>];\n", {"t.gram:5:", "is recursive"}},
    {"#JSGF V1.0;\ngrammar g;\npublic <a> = x y\n<b> = z;\n",
        {"t.gram:4:", "expected ';' at the end of rule <a>"}},
    {"#JSGF V1.0;\ngrammar g;\npublic <a> = ( x | y;\n",
        {"t.gram:3:", "expected ')'"}},
    {"#JSGF V1.0;\ngrammar g;\npublic <a> = [ x ;\n",
        {"t.gram:3:", "expected ']'"}},
    {"#JSGF V1.0;\ngrammar g;\npublic <a> = x | | y;\n",
        {"t.gram:3:", "empty alternative"}},
    {"#JSGF V1.0;\ngrammar g;\npublic <a> = x;\n/* open\n\n",
        {"t.gram:4:", "unterminated comment"}},
    {"#JSGF V1.0;\ngrammar g;\npublic <a> = x;\n<b> = y;\npublic <a> = z;\n",
        {"t.gram:5:", "defined twice (first on line 3)"}},
    {"#JSGF V1.0;\ngrammar g;\n<a> = x;\n", {"t.gram:", "no public rule"}},
    {"#JSGF V1.0;\ngrammar g;\nimport <other.*>;\n",
        {"t.gram:3:", "import is not supported"}},
    {"#JSGF V1.0;\ngrammar g;\npublic <a> = <other.b>;\n",
        {"t.gram:3:", "other grammars"}},
    {"#JSGF V1.0;\ngrammar g;\npublic <a> = <VOID> | x <VOID>;\n",
        {"t.gram", "accepts no sentence"}},
    {"#JSGF V1.0;\ngrammar g;\npublic <a> = /x/ y;\n",
        {"t.gram:3:", "bad weight"}},
    {"#JSGF V1.0;\ngrammar g;\npublic <a> = y > z;\n",
        {"t.gram:3:", "unexpected '>'"}},
    {"#JSGF V1.0;\ngrammar g;\npublic <a> = \"\";\n",
        {"t.gram:3:", "empty quoted token"}},
    {"#JSGF V1.0;\ngrammar g;\npublic <a> = x;\nfoo\n",
        {"t.gram:4:", "word \"foo\""}},
    {"#JSGF V1.0;\ngrammar g;\npublic <a> = x;\n<a b = y;\n",
        {"t.gram:4:", "unterminated rule name"}},
    {"#JSGF V1.0;\ngrammar g;\npublic <a> = x {tag\n",
        {"t.gram:3:", "unterminated tag"}},
    {"#JSGF V1.0;\ngrammar g;\npublic <a> = x", {"t.gram:3:",
            "end of file"}},
    {"#JSGF V1.0;\ngrammar g;\ngrammar h;\n", {"t.gram:3:",
            "second grammar"}},
  };
  size_t i, j;
  for (i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
    dlnn_status st;
    dlnn_grammar *g;
    dlnn_status_clear (&st);
    g = parse (cases[i].text, &st);
    CHECK_MSG (g == NULL, "case %zu parsed", i);
    dlnn_grammar_free (g);
    CHECK_MSG (st.code == DLNN_ERR_FORMAT, "case %zu: code %d", i, st.code);
    for (j = 0; j < 2; j++)
      CHECK_MSG (strstr (st.message, cases[i].expect[j]) != NULL,
          "case %zu: \"%s\" lacks \"%s\"", i, st.message, cases[i].expect[j]);
  }
}

static void
test_deep_and_files (void)
{
  char text[4096], path[] = "/tmp/dlnn-test-grammar-XXXXXX";
  const char *labels[] = { "<blank>", " ", "a", "b" };
  dlnn_status st;
  dlnn_grammar *g;
  dlnn_ctc_vocab *v;
  FILE *f;
  int i, fd;
  size_t n;

  /* nesting beyond the limit is an error, not a stack overflow */
  n = (size_t) snprintf (text, sizeof (text),
      "#JSGF V1.0;\ngrammar g;\npublic <a> = ");
  for (i = 0; i < 1000; i++)
    text[n++] = '(';
  text[n] = '\0';
  g = parse (text, &st);
  CHECK (g == NULL && strstr (st.message, "nested") != NULL);
  dlnn_grammar_free (g);

  /* rule references doubling 22 times: more word positions than allowed */
  n = (size_t) snprintf (text, sizeof (text),
      "#JSGF V1.0;\ngrammar g;\npublic <r22> = <r21>;\n<r0> = a a;\n");
  for (i = 1; i <= 21; i++)
    n += (size_t) snprintf (text + n, sizeof (text) - n,
        "<r%d> = <r%d> <r%d>;\n", i, i - 1, i - 1);
  g = parse (text, &st);
  CHECK (g == NULL && st.code == DLNN_ERR_NOMEM);
  CHECK_MSG (strstr (st.message, "too large") != NULL, "%s", st.message);
  dlnn_grammar_free (g);
  /* a NUL byte inside the text */
  g = dlnn_grammar_parse ("#JSGF V1.0;\ngrammar g;\npublic <a> = x\0y;\n",
      41, "t.gram", &st);
  CHECK (g == NULL);
  CHECK_MSG (strstr (st.message, "t.gram:3: NUL byte") != NULL, "%s",
      st.message);
  dlnn_grammar_free (g);

  g = dlnn_grammar_load ("/nonexistent/x.gram", &st);
  CHECK (g == NULL && st.code == DLNN_ERR_IO);
  CHECK (strstr (st.message, "/nonexistent/x.gram") != NULL);

  fd = mkstemp (path);
  CHECK (fd >= 0);
  f = fdopen (fd, "w");
  fputs ("#JSGF V1.0;\ngrammar g;\npublic <a> = ab [ba] |\n  cab;\n", f);
  fclose (f);
  g = dlnn_grammar_load (path, &st);
  CHECK_MSG (g != NULL, "%s", st.message);
  if (g) {
    /* "cab" (line 4) cannot be written without a "c" label */
    v = dlnn_grammar_ctc_vocab (g, labels, 4, 0, 1, &st);
    CHECK (v == NULL);
    CHECK_MSG (strstr (st.message, path) && strstr (st.message,
            "\"cab\" (line 4)") && strstr (st.message, "cannot be written"),
        "%s", st.message);
    /* no word boundary */
    v = dlnn_grammar_ctc_vocab (g, labels, 4, 0, -1, &st);
    CHECK (v == NULL && strstr (st.message, "boundary") != NULL);
    dlnn_grammar_free (g);
  }
  remove (path);
}

/* ---- constrained decoding against brute force -------------------------- */

#define T_FRAMES 8
#define N_CLASSES 5             /* blank, " ", a, b, c */
#define MAX_SENT 512

typedef struct
{
  regex_t re;
  int32_t tok[MAX_SENT][T_FRAMES + 2];
  int len[MAX_SENT];
  int n;
} sentences;

/* token i of a word: a -> 2, b -> 3, c -> 4 */
static int
word_tokens (const char *const *seq, int n, int trailing, int32_t * out)
{
  int i, k = 0;
  const char *p;
  for (i = 0; i < n; i++) {
    if (i > 0)
      out[k++] = 1;
    for (p = seq[i]; *p; p++)
      out[k++] = 2 + (*p - 'a');
    if (k > T_FRAMES + 1)
      return -1;
  }
  if (trailing)
    out[k++] = 1;
  return k;
}

static void
collect (const char *const *seq, int n, void *data)
{
  sentences *S = data;
  char s[256] = "";
  int32_t tok[64];
  int i, k, tr;
  for (i = 0; i < n; i++) {
    strcat (s, seq[i]);
    strcat (s, " ");
  }
  if (regexec (&S->re, s, 0, NULL, 0) != 0)
    return;
  for (tr = 0; tr < (n > 0 ? 2 : 1); tr++) {
    k = word_tokens (seq, n, tr, tok);
    if (k < 0 || k > T_FRAMES || S->n >= MAX_SENT)
      continue;
    memcpy (S->tok[S->n], tok, (size_t) k * sizeof (int32_t));
    S->len[S->n++] = k;
  }
}

static double
lae (double a, double b)
{
  double m = a > b ? a : b;
  if (m == -INFINITY)
    return m;
  return m + log (exp (a - m) + exp (b - m));
}

/* ln p (labels | lp) by the CTC forward recursion, blank 0 */
static double
ctc_forward (const double *lp, int T, const int32_t * l, int L)
{
  double a[2 * (T_FRAMES + 2) + 1], b[2 * (T_FRAMES + 2) + 1], r;
  int S = 2 * L + 1, s, t;
  for (s = 0; s < S; s++)
    a[s] = -INFINITY;
  a[0] = lp[0];
  if (L > 0)
    a[1] = lp[l[0]];
  for (t = 1; t < T; t++) {
    for (s = 0; s < S; s++) {
      int c = s % 2 ? l[s / 2] : 0;
      double v = a[s];
      if (s > 0)
        v = lae (v, a[s - 1]);
      if (s > 1 && s % 2 && l[s / 2] != l[s / 2 - 1])
        v = lae (v, a[s - 2]);
      b[s] = v + lp[t * N_CLASSES + c];
    }
    memcpy (a, b, sizeof (double) * (size_t) S);
  }
  r = a[S - 1];
  if (S > 1)
    r = lae (r, a[S - 2]);
  return r;
}

static uint32_t rng_state = 12345u;

static double
uniform (void)
{
  rng_state = rng_state * 1664525u + 1013904223u;
  return ((rng_state >> 8) + 0.5) / 16777216.0;
}

static void
check_decoding (const char *text, const char *regex, int trials,
    int min_sentences)
{
  static const char *const labels[N_CLASSES] = { "<blank>", " ", "a", "b",
    "c"
  };
  static const char *const words[] = { "a", "b", "c", "ab", "ca", "bc" };
  sentences *S = calloc (1, sizeof (*S));
  const char *seq[8];
  dlnn_status st;
  dlnn_grammar *g = parse (text, &st);
  dlnn_ctc_vocab *v = NULL;
  dlnn_ctc_beam_cfg cfg;
  dlnn_ctc_beam *b = NULL;
  float x[T_FRAMES * N_CLASSES];
  double lp[T_FRAMES * N_CLASSES];
  int trial, i, t, c, worst = 0, have_re = 0;

  CHECK_MSG (g != NULL, "%s", st.message);
  if (!g)
    goto out;
  v = dlnn_grammar_ctc_vocab (g, labels, N_CLASSES, 0, 1, &st);
  CHECK_MSG (v != NULL, "%s", st.message);
  have_re = regcomp (&S->re, regex, REG_EXTENDED | REG_NOSUB) == 0;
  CHECK (have_re);
  if (!have_re)
    goto out;
  enumerate (words, 6, 4, seq, 0, collect, S);
  CHECK_MSG (S->n >= min_sentences, "%d sentences", S->n);
  dlnn_ctc_beam_cfg_init (&cfg);
  cfg.n_classes = N_CLASSES;
  cfg.beam_size = 4096;         /* nothing pruned: exact prefix sums */
  cfg.input_is_logits = 0;
  cfg.max_frames = T_FRAMES;
  cfg.vocab = v;
  b = dlnn_ctc_beam_new (&cfg, &st);
  CHECK_MSG (b != NULL, "%s", st.message);
  if (!v || !b)
    goto out;
  for (trial = 0; trial < trials; trial++) {
    double best = -INFINITY;
    int best_i = -1, n_res;
    /* random frames, sharper ones half of the time */
    double scale = trial % 2 ? 4.0 : 1.5;
    for (t = 0; t < T_FRAMES; t++) {
      double z[N_CLASSES], m = -INFINITY, s = 0.0;
      for (c = 0; c < N_CLASSES; c++) {
        z[c] = scale * sqrt (-2 * log (uniform ())) * cos (6.283185307 *
            uniform ());
        m = z[c] > m ? z[c] : m;
      }
      for (c = 0; c < N_CLASSES; c++)
        s += exp (z[c] - m);
      for (c = 0; c < N_CLASSES; c++) {
        x[t * N_CLASSES + c] = (float) (z[c] - m - log (s));
        lp[t * N_CLASSES + c] = (double) x[t * N_CLASSES + c];
      }
    }
    for (i = 0; i < S->n; i++) {
      double p = ctc_forward (lp, T_FRAMES, S->tok[i], S->len[i]);
      if (p > best) {
        best = p;
        best_i = i;
      }
    }
    dlnn_ctc_beam_reset (b);
    CHECK_OK (dlnn_ctc_beam_push (b, x, T_FRAMES, &st), &st);
    n_res = dlnn_ctc_beam_nbest (b, 1);
    CHECK (n_res >= 1);
    for (i = 0; i < n_res; i++) {
      const dlnn_ctc_token *tok;
      int64_t n;
      float logp;
      int j, k, found = -1;
      CHECK_OK (dlnn_ctc_beam_result (b, i, &tok, &n, &logp, NULL, &st), &st);
      for (j = 0; j < S->n && found < 0; j++) {
        if (S->len[j] != n)
          continue;
        for (k = 0; k < n && tok[k].id == S->tok[j][k]; k++);
        if (k == n)
          found = j;
      }
      /* every result is a sentence of the grammar, scored exactly */
      CHECK_MSG (found >= 0, "trial %d: result %d not in the language",
          trial, i);
      if (found < 0)
        continue;
      CHECK_CLOSE (logp, ctc_forward (lp, T_FRAMES, S->tok[found], S->len
              [found]), 1e-4 * (1 + fabs (logp)));
      if (i == 0 && found != best_i && worst++ < 3)
        fprintf (stderr, "trial %d: beam best %d (%g), brute force %d (%g)\n",
            trial, found, logp, best_i, best);
    }
  }
  CHECK_MSG (worst == 0, "%d trials with another best sentence", worst);
out:
  dlnn_ctc_beam_free (b);
  dlnn_ctc_vocab_free (v);
  dlnn_grammar_free (g);
  if (have_re)
    regfree (&S->re);
  free (S);
}

static void
test_decode_bruteforce (void)
{
  check_decoding ("#JSGF V1.0;\ngrammar d;\n"
      "public <s> = ab [a] | (b | ca)+ a;\n", "^(ab (a )?|(b |ca )+a )$", 60,
      8);
  /* the empty sentence is a result too */
  check_decoding ("#JSGF V1.0;\ngrammar d;\npublic <s> = [a b] | c+;\n",
      "^((a b )?|(c )+)$", 60, 6);
  /* words sharing prefixes in one state, and a state reached two ways */
  check_decoding ("#JSGF V1.0;\ngrammar d;\n"
      "public <s> = (a | ab | c) (b | bc) | c ca;\n",
      "^((a |ab |c )(b |bc )|c ca )$", 60, 10);
}

int
main (void)
{
  DLNN_RUN (test_constructs);
  DLNN_RUN (test_nesting);
  DLNN_RUN (test_automaton);
  DLNN_RUN (test_errors);
  DLNN_RUN (test_deep_and_files);
  DLNN_RUN (test_decode_bruteforce);
  return dlnn_test_summary ();
}
