/* dltrain - `dltrain info MODEL`: metadata and graph summary. */
#include "dltrain.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void
info_usage (FILE * f)
{
  fprintf (f,
      "Usage: dltrain info MODEL.onnx\n"
      "\n"
      "Prints the model's metadata (every dl.* key, labels one per line) and\n"
      "a graph summary: inputs and outputs with shapes, one line per node\n"
      "(op type, name, output shape, parameter count) and the totals.\n"
      "\n"
      "  -h, --help   show this help\n");
}

/* Shape with dynamic dims printed as N. */
static void
shape_dyn (const int64_t * dims, int ndim, const int *dynamic, char *buf,
    size_t len)
{
  size_t off = 0;
  off += snprintf (buf + off, len - off, "[");
  for (int i = 0; i < ndim && off < len; i++) {
    if (dynamic && dynamic[i])
      off += snprintf (buf + off, len - off, "%sN", i ? ", " : "");
    else
      off += snprintf (buf + off, len - off, "%s%lld", i ? ", " : "",
          (long long) dims[i]);
  }
  if (off < len)
    snprintf (buf + off, len - off, "]");
}

static void
print_labels (const char *json)
{
  char **v = NULL;
  int n = 0;
  dlnn_status st;

  if (dlnn_json_parse_string_array (json, &v, &n, &st) != DLNN_OK) {
    printf ("  dl.labels: %s   (unparsable: %s)\n", json, st.message);
    return;
  }
  printf ("  dl.labels: %d labels\n", n);
  for (int i = 0; i < n; i++)
    printf ("    %3d  %s\n", i, v[i]);
  dlnn_strv_free (v, n);
}

int
dt_info_main (int argc, char **argv)
{
  static const struct option opts[] = {
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}
  };
  const char *model = NULL;
  dlnn_graph *g = NULL;
  dlnn_exec *e = NULL;
  dlnn_status st;
  int opt, ret = 1, planned = 0, batch_dyn = 0;
  int64_t total = 0, trainable = 0;
  char buf[256];

  dlnn_status_clear (&st);
  opterr = 0;
  optind = 1;
  while ((opt = getopt_long (argc, argv, "h", opts, NULL)) != -1) {
    if (opt == 'h') {
      info_usage (stdout);
      return 0;
    }
    return dt_fail ("info: unknown option '%s' (see dltrain info --help)",
        argv[optind - 1]);
  }
  if (optind < argc)
    model = argv[optind++];
  if (!model)
    return dt_fail ("info: no MODEL given (see dltrain info --help)");
  if (optind < argc)
    return dt_fail ("info: unexpected argument '%s'", argv[optind]);
  if (dlnn_onnx_load_file (model, &g, &st) != DLNN_OK)
    return dt_fail_load (model, &st);

  printf ("model: %s\n", model);
  printf ("graph: %s, opset %lld, producer %s %s\n", g->name ? g->name : "",
      (long long) g->opset, g->producer_name ? g->producer_name : "?",
      g->producer_version ? g->producer_version : "");
  printf ("metadata:\n");
  if (g->n_meta == 0)
    printf ("  (none)\n");
  for (int i = 0; i < g->n_meta; i++) {
    if (strcmp (g->meta_keys[i], "dl.labels") == 0)
      print_labels (g->meta_values[i]);
    else
      printf ("  %s: %s\n", g->meta_keys[i], g->meta_values[i]);
  }

  /* plan with batch 1 to learn every value's shape */
  e = dlnn_exec_new (g, DLNN_EXEC_INFERENCE, &st);
  if (e && g->n_inputs >= 1) {
    const dlnn_value *v = &g->values[g->inputs[0]];
    int64_t dims[DLNN_MAX_DIMS];
    int ok = 1;
    for (int d = 0; d < v->ndim; d++) {
      dims[d] = v->dims[d] < 0 ? (d == 0 ? 1 : -1) : v->dims[d];
      if (dims[d] < 0)
        ok = 0;
    }
    batch_dyn = v->ndim > 0 && v->dims[0] < 0;
    planned = ok && g->n_inputs == 1
        && dlnn_exec_reshape (e, 0, v->ndim, dims, &st) == DLNN_OK;
  }

  printf ("inputs:\n");
  for (int i = 0; i < g->n_inputs; i++) {
    const dlnn_value *v = &g->values[g->inputs[i]];
    int dyn[DLNN_MAX_DIMS];
    for (int d = 0; d < v->ndim; d++)
      dyn[d] = v->dims[d] < 0;
    shape_dyn (v->dims, v->ndim, dyn, buf, sizeof (buf));
    printf ("  %s %s float32\n", v->name, buf);
  }
  printf ("outputs:\n");
  for (int i = 0; i < g->n_outputs; i++) {
    const dlnn_tensor *t = planned ? dlnn_exec_value (e, g->outputs[i]) :
        NULL;
    const int dyn[DLNN_MAX_DIMS] = { batch_dyn };
    if (t)
      shape_dyn (t->dims, t->ndim, dyn, buf, sizeof (buf));
    else
      snprintf (buf, sizeof (buf), "[?]");
    printf ("  %s %s\n", g->values[g->outputs[i]].name, buf);
  }
  printf ("nodes: %d\n", g->n_nodes);
  printf ("  %-20s %-22s %-20s %10s\n", "op", "name", "output", "params");
  for (int i = 0; i < g->n_nodes; i++) {
    const dlnn_node *n = &g->nodes[i];
    const dlnn_tensor *t = NULL;
    const int dyn[DLNN_MAX_DIMS] = { batch_dyn };
    int64_t params = 0;
    for (int k = 0; k < n->n_inputs; k++) {
      int vi = n->inputs[k];
      if (vi >= 0 && g->values[vi].kind == DLNN_VALUE_PARAM
          && g->values[vi].init)
        params += g->values[vi].init->size;
    }
    if (planned && n->n_outputs > 0)
      t = dlnn_exec_value (e, n->outputs[0]);
    if (t)
      shape_dyn (t->dims, t->ndim, dyn, buf, sizeof (buf));
    else
      snprintf (buf, sizeof (buf), "?");
    printf ("  %-20s %-22s %-20s %10lld\n", n->op_type, n->name ? n->name :
        "", buf, (long long) params);
  }
  for (int i = 0; i < g->n_values; i++) {
    const dlnn_value *v = &g->values[i];
    if (v->kind != DLNN_VALUE_PARAM || !v->init)
      continue;
    total += v->init->size;
    if (v->trainable)
      trainable += v->init->size;
  }
  printf ("total parameters: %lld (%lld trainable)\n", (long long) total,
      (long long) trainable);
  printf ("parameter checksum: %016llx\n",
      (unsigned long long) dt_graph_checksum (g));
  ret = 0;

  dlnn_exec_free (e);
  dlnn_graph_free (g);
  return ret;
}
