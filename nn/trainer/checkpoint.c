/* dltrain - checkpoints.
 *
 * Layout of a checkpoint directory DIR:
 *   DIR/latest                 one line: the name of the newest epoch dir
 *   DIR/epoch-NNNN/model.onnx  the model as exported (with metadata)
 *   DIR/epoch-NNNN/optimizer.state   dlnn_optimizer_save ()
 *   DIR/epoch-NNNN/trainer.state     text, below
 * An epoch directory is written as epoch-NNNN.tmp and renamed once
 * complete; `latest` is replaced atomically after that, so a crash at any
 * point leaves the previous checkpoint usable.
 *
 * trainer.state (floats as C99 hex literals, exact):
 *   dltrain-state 1
 *   fingerprint <options that must match to resume>
 *   epoch <completed epochs>
 *   step <optimizer steps>
 *   rng <4 x u64 hex>
 *   [exec_rng <4 x u64 hex>]  (the exec's Dropout RNG, tag trainer)
 *   norm <channels> <mean std> x channels
 *   history <n>
 *   <n lines: loss acc val_acc lr time>
 *   end */
#include "dltrain.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STATE_MAX_BYTES (16u << 20)
#define STATE_MAX_EPOCHS 100000

void
dt_train_state_clear (dt_train_state * s)
{
  free (s->fingerprint);
  free (s->hist);
  memset (s, 0, sizeof (*s));
}

static char *
state_format (const dt_train_state * s)
{
  dt_str b;

  dt_str_init (&b);
  dt_str_add (&b, "dltrain-state 1\n");
  dt_str_addf (&b, "fingerprint %s\n", s->fingerprint ? s->fingerprint : "");
  dt_str_addf (&b, "epoch %d\n", s->epoch);
  dt_str_addf (&b, "step %" PRId64 "\n", s->step);
  dt_str_addf (&b, "rng %016" PRIx64 " %016" PRIx64 " %016" PRIx64 " %016"
      PRIx64 "\n", s->rng.s[0], s->rng.s[1], s->rng.s[2], s->rng.s[3]);
  if (s->have_exec_rng)
    dt_str_addf (&b, "exec_rng %016" PRIx64 " %016" PRIx64 " %016" PRIx64
        " %016" PRIx64 "\n", s->exec_rng.s[0], s->exec_rng.s[1],
        s->exec_rng.s[2], s->exec_rng.s[3]);
  dt_str_addf (&b, "norm %d", s->channels);
  for (int k = 0; k < s->channels && k < 3; k++)
    dt_str_addf (&b, " %a %a", (double) s->mean[k], (double) s->std[k]);
  dt_str_addf (&b, "\nhistory %d\n", s->n_hist);
  for (int i = 0; i < s->n_hist; i++)
    dt_str_addf (&b, "%a %a %a %a %a\n", s->hist[i].loss, s->hist[i].acc,
        s->hist[i].val_acc, s->hist[i].lr, s->hist[i].time);
  dt_str_add (&b, "end\n");
  if (b.failed) {
    dt_str_free (&b);
    return NULL;
  }
  return b.s;
}

/* Next line of @p (modified in place), or NULL. */
static char *
next_line (char **p)
{
  char *s = *p, *nl;
  if (!s || !*s)
    return NULL;
  nl = strchr (s, '\n');
  if (nl) {
    *nl = '\0';
    *p = nl + 1;
  } else {
    *p = s + strlen (s);
  }
  return s;
}

static int
parse_doubles (char *s, double *v, int n)
{
  for (int i = 0; i < n; i++) {
    char *end;
    errno = 0;
    v[i] = strtod (s, &end);
    if (end == s || errno == ERANGE)
      return 0;
    s = end;
  }
  while (*s == ' ')
    s++;
  return *s == '\0';
}

static dlnn_code
state_parse (char *text, const char *path, dt_train_state * s,
    dlnn_status * st)
{
  char *p = text, *l;
  unsigned long long r[4];
  long long step;
  int n, pos;

  memset (s, 0, sizeof (*s));
  l = next_line (&p);
  if (!l || strcmp (l, "dltrain-state 1") != 0)
    goto bad;
  l = next_line (&p);
  if (!l || strncmp (l, "fingerprint ", 12) != 0)
    goto bad;
  s->fingerprint = dt_strdup (l + 12);
  l = next_line (&p);
  if (!l || sscanf (l, "epoch %d%n", &s->epoch, &pos) != 1 || l[pos]
      || s->epoch < 0 || s->epoch > STATE_MAX_EPOCHS)
    goto bad;
  l = next_line (&p);
  if (!l || sscanf (l, "step %lld%n", &step, &pos) != 1 || l[pos] || step < 0)
    goto bad;
  s->step = step;
  l = next_line (&p);
  if (!l || sscanf (l, "rng %llx %llx %llx %llx%n", &r[0], &r[1], &r[2],
          &r[3], &pos) != 4 || l[pos])
    goto bad;
  for (int i = 0; i < 4; i++)
    s->rng.s[i] = r[i];
  l = next_line (&p);
  if (l && strncmp (l, "exec_rng ", 9) == 0) {      /* optional */
    if (sscanf (l, "exec_rng %llx %llx %llx %llx%n", &r[0], &r[1], &r[2],
            &r[3], &pos) != 4 || l[pos])
      goto bad;
    for (int i = 0; i < 4; i++)
      s->exec_rng.s[i] = r[i];
    s->have_exec_rng = 1;
    l = next_line (&p);
  }
  if (!l || sscanf (l, "norm %d%n", &s->channels, &pos) != 1
      || s->channels < 1 || s->channels > 3)
    goto bad;
  {
    double v[6];
    if (!parse_doubles (l + pos, v, 2 * s->channels))
      goto bad;
    for (int k = 0; k < s->channels; k++) {
      s->mean[k] = (float) v[2 * k];
      s->std[k] = (float) v[2 * k + 1];
    }
  }
  l = next_line (&p);
  if (!l || sscanf (l, "history %d%n", &n, &pos) != 1 || l[pos] || n < 0
      || n > STATE_MAX_EPOCHS || n != s->epoch)
    goto bad;
  s->hist = calloc ((size_t) (n ? n : 1), sizeof (dt_epoch_stats));
  if (!s->hist || !s->fingerprint) {
    dt_train_state_clear (s);
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  }
  for (int i = 0; i < n; i++) {
    double v[5];
    l = next_line (&p);
    if (!l || !parse_doubles (l, v, 5))
      goto bad;
    s->hist[i] = (dt_epoch_stats) {
    v[0], v[1], v[2], v[3], v[4]};
  }
  s->n_hist = n;
  l = next_line (&p);
  if (!l || strcmp (l, "end") != 0)
    goto bad;
  return DLNN_OK;

bad:
  dt_train_state_clear (s);
  return dlnn_status_set (st, DLNN_ERR_FORMAT,
      "'%s' is not a valid trainer state (truncated or corrupt)", path);
}

static void
fsync_dir (const char *dir)
{
  int fd = open (dir, O_RDONLY);
  if (fd >= 0) {
    fsync (fd);
    close (fd);
  }
}

/* Reads DIR/latest into a malloc()ed, validated epoch dir name. */
static dlnn_code
read_latest (const char *dir, char **name, dlnn_status * st)
{
  char *path = dt_path_join (dir, "latest"), *text = NULL;
  dlnn_code c;
  size_t len;

  *name = NULL;
  if (!path)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  c = dt_read_file (path, 256, &text, &len, st);
  if (c != DLNN_OK) {
    free (path);
    return c;
  }
  while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
    text[--len] = '\0';
  if (strncmp (text, "epoch-", 6) != 0 || strchr (text, '/') || len > 32) {
    dlnn_status_set (st, DLNN_ERR_FORMAT, "'%s' is corrupt", path);
    free (text);
    free (path);
    return DLNN_ERR_FORMAT;
  }
  free (path);
  *name = text;
  return DLNN_OK;
}

dlnn_code
dt_checkpoint_save (const char *dir, const dlnn_graph * model,
    const dlnn_optimizer * o, const dt_train_state * s, dlnn_status * st)
{
  char name[64], tmpname[80];
  char *final = NULL, *tmp = NULL, *p = NULL, *text = NULL, *old = NULL;
  dlnn_code c;

  c = dt_mkdir (dir, st);
  if (c != DLNN_OK)
    return c;
  snprintf (name, sizeof (name), "epoch-%04d", s->epoch);
  snprintf (tmpname, sizeof (tmpname), "%s.tmp", name);
  final = dt_path_join (dir, name);
  tmp = dt_path_join (dir, tmpname);
  text = state_format (s);
  if (!final || !tmp || !text) {
    c = dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    goto out;
  }
  dt_rmdir_files (tmp);
  c = dt_mkdir (tmp, st);
  if (c != DLNN_OK)
    goto out;
#define TMP_FILE(n) (free (p), p = dt_path_join (tmp, n))
  if (!TMP_FILE ("model.onnx")) {
    c = dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    goto out;
  }
  c = dlnn_onnx_save_file (model, p, st);
  if (c == DLNN_OK && TMP_FILE ("optimizer.state"))
    c = dlnn_optimizer_save (o, p, st);
  if (c == DLNN_OK && TMP_FILE ("trainer.state"))
    c = dt_write_file_atomic (p, text, strlen (text), st);
#undef TMP_FILE
  if (c != DLNN_OK)
    goto out;
  fsync_dir (tmp);
  dt_rmdir_files (final);
  if (rename (tmp, final) != 0) {
    c = dlnn_status_set (st, DLNN_ERR_IO, "cannot rename '%s' to '%s': %s",
        tmp, final, strerror (errno));
    goto out;
  }
  fsync_dir (dir);
  if (read_latest (dir, &old, NULL) != DLNN_OK)
    old = NULL;
  free (p);
  p = dt_path_join (dir, "latest");
  {
    char line[80];
    snprintf (line, sizeof (line), "%s\n", name);
    c = p ? dt_write_file_atomic (p, line, strlen (line), st) :
        dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  }
  if (c == DLNN_OK && old && strcmp (old, name) != 0) {
    char *od = dt_path_join (dir, old);
    if (od)
      dt_rmdir_files (od);
    free (od);
  }

out:
  if (c != DLNN_OK && tmp)
    dt_rmdir_files (tmp);
  free (old);
  free (text);
  free (p);
  free (tmp);
  free (final);
  return c;
}

dlnn_code
dt_checkpoint_load (const char *dir, dlnn_graph ** model, dlnn_optimizer * o,
    dt_train_state * s, dlnn_status * st)
{
  char *name = NULL, *edir = NULL, *p = NULL, *text = NULL;
  dlnn_code c;

  *model = NULL;
  memset (s, 0, sizeof (*s));
  c = read_latest (dir, &name, st);
  if (c != DLNN_OK) {
    dlnn_status_prefix (st, "no checkpoint to resume from in '%s'", dir);
    return c;
  }
  edir = dt_path_join (dir, name);
  if (!edir) {
    c = dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    goto out;
  }
  p = dt_path_join (edir, "trainer.state");
  c = p ? dt_read_file (p, STATE_MAX_BYTES, &text, NULL, st) :
      DLNN_ERR_NOMEM;
  if (c == DLNN_OK)
    c = state_parse (text, p, s, st);
  if (c != DLNN_OK)
    goto out;
  free (p);
  p = dt_path_join (edir, "model.onnx");
  c = p ? dlnn_onnx_load_file (p, model, st) : DLNN_ERR_NOMEM;
  if (c != DLNN_OK) {
    dlnn_status_prefix (st, "checkpoint model");
    goto out;
  }
  free (p);
  p = dt_path_join (edir, "optimizer.state");
  c = p ? dlnn_optimizer_load (o, p, st) : DLNN_ERR_NOMEM;

out:
  if (c != DLNN_OK) {
    dt_train_state_clear (s);
    dlnn_graph_free (*model);
    *model = NULL;
  }
  free (text);
  free (p);
  free (edir);
  free (name);
  return c;
}

dlnn_code
dt_checkpoint_resume (const char *dir, const char *fingerprint, int epochs,
    int quiet, dlnn_graph * g, dlnn_optimizer * o, dt_train_state * state,
    int *resumed, dlnn_status * st)
{
  dlnn_graph *ck = NULL;
  dt_train_state s;
  dt_epoch_stats *h;
  char *latest = dt_path_join (dir, "latest");
  dlnn_code r;

  *resumed = 0;
  if (!latest)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  if (!dt_is_file (latest)) {
    if (!quiet)
      fprintf (stderr, "dltrain: no checkpoint in '%s', starting from "
          "scratch\n", dir);
    free (latest);
    return DLNN_OK;
  }
  free (latest);
  r = dt_checkpoint_load (dir, &ck, o, &s, st);
  if (r != DLNN_OK)
    return r;
  if (!s.fingerprint || strcmp (s.fingerprint, fingerprint) != 0) {
    dt_train_state_clear (&s);
    dlnn_graph_free (ck);
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "the checkpoint in '%s' was made with other options or data; "
        "remove it or use the same options to resume", dir);
  }
  r = dt_graph_copy_params (g, ck, st);
  dlnn_graph_free (ck);
  if (r != DLNN_OK) {
    dt_train_state_clear (&s);
    return dlnn_status_prefix (st, "checkpoint in '%s'", dir);
  }
  if (s.epoch > epochs) {
    dt_train_state_clear (&s);
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "the checkpoint has %d epochs already, more than --epochs %d",
        s.epoch, epochs);
  }
  free (s.fingerprint);
  s.fingerprint = NULL;
  /* room for the remaining epochs */
  h = realloc (s.hist, (size_t) epochs * sizeof (dt_epoch_stats));
  if (!h) {
    dt_train_state_clear (&s);
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  }
  s.hist = h;
  dt_train_state_clear (state);
  *state = s;
  *resumed = 1;
  return DLNN_OK;
}
