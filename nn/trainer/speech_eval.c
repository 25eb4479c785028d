/* dltrain - speech decoding (greedy or prefix beam search with the
 * libdlnn CTC decoders), character and word error rates (Levenshtein
 * distance summed over a corpus, divided by the reference length), and
 * `dltrain eval` of a dl.task=speech model. */
#include "speech.h"

#include <dlnn/audio.h>
#include <dlnn/ctc.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int64_t
dt_edit_distance (const int32_t * a, int64_t na, const int32_t * b,
    int64_t nb)
{
  int64_t *row = malloc ((size_t) (nb + 1) * sizeof (int64_t)), d;

  if (!row)
    return na > nb ? na : nb;   /* out of memory: an upper bound */
  for (int64_t j = 0; j <= nb; j++)
    row[j] = j;
  for (int64_t i = 1; i <= na; i++) {
    int64_t diag = row[0];
    row[0] = i;
    for (int64_t j = 1; j <= nb; j++) {
      const int64_t up = row[j];
      int64_t best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best)
        best = up + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  d = row[nb];
  free (row);
  return d;
}

/* Splits @s at spaces into word ids shared through @dict (the words seen
 * so far of this pair). Returns the count or -1. */
static int64_t
word_ids (const char *s, char ***dict, int64_t *n_dict, int32_t ** ids)
{
  int64_t n = 0, cap = 0;
  *ids = NULL;
  while (*s) {
    size_t len;
    int64_t k;
    while (*s == ' ')
      s++;
    if (!*s)
      break;
    len = strcspn (s, " ");
    for (k = 0; k < *n_dict; k++)
      if (strlen ((*dict)[k]) == len && strncmp ((*dict)[k], s, len) == 0)
        break;
    if (k == *n_dict) {
      char **nd = realloc (*dict, (size_t) (*n_dict + 1) * sizeof (char *));
      char *w = malloc (len + 1);
      if (!nd || !w) {
        free (w);
        if (nd)
          *dict = nd;
        return -1;
      }
      memcpy (w, s, len);
      w[len] = '\0';
      *dict = nd;
      nd[(*n_dict)++] = w;
    }
    if (n == cap) {
      int32_t *ni;
      cap = cap ? cap * 2 : 32;
      ni = realloc (*ids, (size_t) cap * sizeof (int32_t));
      if (!ni)
        return -1;
      *ids = ni;
    }
    (*ids)[n++] = (int32_t) k;
    s += len;
  }
  return n;
}

void
dt_error_counts_add (dt_error_counts * e, const char *ref, const char *hyp)
{
  const int64_t nr = (int64_t) strlen (ref), nh = (int64_t) strlen (hyp);
  int32_t *a = malloc ((size_t) (nr + 1) * sizeof (int32_t));
  int32_t *b = malloc ((size_t) (nh + 1) * sizeof (int32_t));
  char **dict = NULL;
  int64_t n_dict = 0, wr, wh;
  int32_t *ia = NULL, *ib = NULL;

  if (a && b) {
    for (int64_t i = 0; i < nr; i++)
      a[i] = (unsigned char) ref[i];
    for (int64_t i = 0; i < nh; i++)
      b[i] = (unsigned char) hyp[i];
    e->char_errors += dt_edit_distance (a, nr, b, nh);
  } else {
    e->char_errors += nr > nh ? nr : nh;
  }
  e->chars += nr;
  free (a);
  free (b);
  wr = word_ids (ref, &dict, &n_dict, &ia);
  wh = wr >= 0 ? word_ids (hyp, &dict, &n_dict, &ib) : -1;
  if (wr >= 0 && wh >= 0)
    e->word_errors += dt_edit_distance (ia, wr, ib, wh);
  else
    e->word_errors += wr > 0 ? wr : 1;
  e->words += wr > 0 ? wr : 0;
  free (ia);
  free (ib);
  dlnn_strv_free (dict, (int) n_dict);
}

double
dt_error_counts_cer (const dt_error_counts * e)
{
  return e->chars > 0 ? (double) e->char_errors / e->chars : 0.0;
}

double
dt_error_counts_wer (const dt_error_counts * e)
{
  return e->words > 0 ? (double) e->word_errors / e->words : 0.0;
}

/* Appends the text of @n tokens to @out, collapsing spaces. */
static void
tokens_text (const dlnn_ctc_token * tok, int64_t n, char *const *labels,
    int64_t C, char *out, size_t out_size)
{
  size_t len = 0;
  out[0] = '\0';
  for (int64_t i = 0; i < n; i++) {
    const char *s;
    if (tok[i].id < 0 || tok[i].id >= C)
      continue;
    for (s = labels[tok[i].id]; *s && len + 1 < out_size; s++) {
      if (*s == ' ' && (len == 0 || out[len - 1] == ' '))
        continue;
      out[len++] = *s;
    }
  }
  while (len > 0 && out[len - 1] == ' ')
    len--;
  out[len] = '\0';
}

static int
cmp_i64 (const void *x, const void *y)
{
  const int64_t a = *(const int64_t *) x, b = *(const int64_t *) y;
  return (a > b) - (a < b);
}

/* Indices of @c's utterances sorted by frame count (malloc()ed). */
int *
dt_corpus_order_by_length (const dt_corpus * c)
{
  const size_t n = (size_t) (c->n > 0 ? c->n : 1);
  int64_t *key = malloc (n * sizeof (int64_t));
  int *order = malloc (n * sizeof (int));

  if (!key || !order) {
    free (key);
    free (order);
    return NULL;
  }
  for (int i = 0; i < c->n; i++)
    key[i] = ((int64_t) c->u[i].frames << 32) | i;
  qsort (key, (size_t) c->n, sizeof (int64_t), cmp_i64);
  for (int i = 0; i < c->n; i++)
    order[i] = (int) (key[i] & 0xffffffff);
  free (key);
  return order;
}

char *
dt_speech_prior_json (const double *sum, int64_t n_frames, int C)
{
  const size_t cap = (size_t) C * 24 + 8;
  size_t len = 0;
  char *json = n_frames > 0 && C > 0 ? malloc (cap) : NULL;

  if (!json)
    return NULL;
  json[len++] = '[';
  for (int k = 0; k < C; k++) {
    double lp = sum[k] > 0 ? log (sum[k] / (double) n_frames) : -1e4;
    len += (size_t) snprintf (json + len, cap - len, "%s%.6f", k ? ", " : "",
        lp < -1e4 ? -1e4 : lp);
  }
  snprintf (json + len, cap - len, "]");
  return json;
}

dlnn_code
dt_speech_decode_corpus (dlnn_exec * e, const dt_corpus * c, int n_mels,
    int batch, int is_logits, char *const *labels, int64_t C, int blank,
    const dt_speech_decode_opts * o, dt_error_counts * err, dlnn_status * st)
{
  int *order = dt_corpus_order_by_length (c);
  int max_frames = 1;
  size_t lab_max = 1, hyp_size;
  char *hyp = NULL;
  dlnn_ctc_token *tok = NULL;
  dlnn_ctc_beam *bd = NULL;
  dlnn_code r = DLNN_OK;

  memset (err, 0, sizeof (*err));
  if (!order)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  for (int i = 0; i < c->n; i++)
    if (c->u[i].frames > max_frames)
      max_frames = c->u[i].frames;
  for (int64_t k = 0; k < C; k++)
    if (strlen (labels[k]) > lab_max)
      lab_max = strlen (labels[k]);
  hyp_size = (size_t) max_frames * lab_max + 1;
  hyp = malloc (hyp_size);
  tok = malloc ((size_t) max_frames * sizeof (dlnn_ctc_token));
  if (!hyp || !tok) {
    r = dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    goto out;
  }
  if (o->beam > 0) {
    dlnn_ctc_beam_cfg bc;
    dlnn_ctc_beam_cfg_init (&bc);
    bc.blank = blank;
    bc.n_classes = C;
    bc.beam_size = o->beam;
    bc.input_is_logits = is_logits;
    bc.blank_penalty = o->blank_penalty;
    bc.class_offset = o->class_offset;
    bc.vocab = o->vocab;
    if (o->lm) {
      bc.lm = o->lm;
      bc.labels = (const char *const *) labels;
      bc.word_boundary = o->word_boundary;
      bc.lm_weight = o->lm_weight;
      bc.word_bonus = o->word_bonus;
    }
    bc.max_frames = dt_speech_out_frames (max_frames) + 16;
    bd = dlnn_ctc_beam_new (&bc, st);
    if (!bd) {
      r = st->code ? st->code : DLNN_ERR_NOMEM;
      goto out;
    }
  }
  for (int b0 = 0; b0 < c->n; b0 += batch) {
    const int nb = c->n - b0 < batch ? c->n - b0 : batch;
    const int T = c->u[order[b0 + nb - 1]].frames;
    const int64_t dims[3] = { nb, T, n_mels };
    dlnn_tensor *in;
    const dlnn_tensor *out;
    int64_t To;

    r = dlnn_exec_reshape (e, 0, 3, dims, st);
    if (r != DLNN_OK)
      goto out;
    in = dlnn_exec_input (e, 0);
    memset (in->data, 0, (size_t) in->size * sizeof (float));
    for (int i = 0; i < nb; i++) {
      const dt_utt *u = &c->u[order[b0 + i]];
      memcpy (in->data + (int64_t) i * T * n_mels, u->feat,
          (size_t) u->frames * n_mels * sizeof (float));
    }
    r = dlnn_exec_forward (e, st);
    if (r != DLNN_OK)
      goto out;
    out = dlnn_exec_output (e, 0);
    if (out->ndim != 3 || out->dims[0] != nb || out->dims[2] != C) {
      r = dlnn_status_set (st, DLNN_ERR_SHAPE, "the model's output is not "
          "[%d, T', %lld]", nb, (long long) C);
      goto out;
    }
    To = out->dims[1];
    for (int i = 0; i < nb; i++) {
      const dt_utt *u = &c->u[order[b0 + i]];
      const float *sc = out->data + (int64_t) i * To * C;
      int64_t Ti = dt_speech_out_frames (u->frames), n = 0;
      if (Ti > To)
        Ti = To;
      if (o->class_sum) {
        for (int64_t t = 0; t < Ti; t++) {
          const float *x = sc + t * C;
          double m = x[0], lse = 0.0;
          for (int64_t k = 1; k < C; k++)
            if (x[k] > m)
              m = x[k];
          for (int64_t k = 0; is_logits && k < C; k++)
            lse += exp ((double) x[k] - m);
          lse = is_logits ? m + log (lse) : 0.0;
          for (int64_t k = 0; k < C; k++)
            o->class_sum[k] += exp ((double) x[k] - lse);
        }
        *o->n_frames += Ti;
      }
      if (bd) {
        const dlnn_ctc_token *bt = NULL;
        float lp, share;
        dlnn_ctc_beam_reset (bd);
        r = dlnn_ctc_beam_push (bd, sc, Ti, st);
        if (r != DLNN_OK)
          goto out;
        hyp[0] = '\0';
        if (dlnn_ctc_beam_nbest (bd, 1) > 0 &&
            dlnn_ctc_beam_result (bd, 0, &bt, &n, &lp, &share, st) ==
            DLNN_OK)
          tokens_text (bt, n, labels, C, hyp, hyp_size);
      } else {
        r = dlnn_ctc_greedy (sc, Ti, C, blank, is_logits, tok, max_frames,
            &n, NULL, st);
        if (r != DLNN_OK)
          goto out;
        tokens_text (tok, n, labels, C, hyp, hyp_size);
      }
      dt_error_counts_add (err, u->text, hyp);
      if (o->verbose)
        printf ("REF: %s\nHYP: %s\n", u->text, hyp);
    }
  }

out:
  dlnn_ctc_beam_free (bd);
  free (tok);
  free (hyp);
  free (order);
  return r;
}
