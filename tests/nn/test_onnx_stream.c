/* dlnn_onnx_load_file streams the initializers out of a mapped file (its
 * own walk of the protobuf wire format); dlnn_onnx_load_memory unpacks
 * everything with protobuf-c. Both must agree on every model: the valid
 * one, typed-data and split-graph variants, every truncation point and bit
 * flips: same graph when one loads, an error from both otherwise. */
#include "onnx-test-util.h"
#include "dlnn-test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char path[400];

static int
write_file (const uint8_t * data, size_t len)
{
  FILE *f = fopen (path, "wb");
  int ok;

  if (!f)
    return 0;
  ok = fwrite (data, 1, len, f) == len;
  return fclose (f) == 0 && ok;
}

static int
graphs_equal (const dlnn_graph * a, const dlnn_graph * b)
{
  if (a->n_nodes != b->n_nodes || a->n_values != b->n_values
      || a->n_inputs != b->n_inputs || a->n_outputs != b->n_outputs
      || a->n_meta != b->n_meta)
    return 0;
  for (int i = 0; i < a->n_values; i++) {
    const dlnn_value *va = &a->values[i], *vb = &b->values[i];
    if (strcmp (va->name, vb->name) != 0 || va->kind != vb->kind
        || !va->init != !vb->init
        || (va->init && !tensors_equal (va->init, vb->init)))
      return 0;
  }
  for (int i = 0; i < a->n_nodes; i++)
    if (strcmp (a->nodes[i].op_type, b->nodes[i].op_type) != 0)
      return 0;
  return 1;
}

/* Loads @data both ways; returns the code of the file loader. */
static dlnn_code
check_both (const uint8_t * data, size_t len, const char *what)
{
  dlnn_graph *gm = NULL, *gf = NULL;
  dlnn_status sm, sf;
  dlnn_code rm, rf;

  if (!write_file (data, len)) {
    CHECK_MSG (0, "%s: cannot write %s", what, path);
    return DLNN_ERR_IO;
  }
  rm = len ? dlnn_onnx_load_memory (data, len, &gm, &sm) : DLNN_ERR_FORMAT;
  rf = dlnn_onnx_load_file (path, &gf, &sf);
  CHECK_MSG ((rm == DLNN_OK) == (rf == DLNN_OK), "%s: memory %d (%s), "
      "file %d (%s)", what, rm, rm ? sm.message : "", rf,
      rf ? sf.message : "");
  if (rf != DLNN_OK) {
    CHECK (gf == NULL && sf.message[0] != '\0');
    CHECK (strstr (sf.message, path) != NULL);
  }
  if (rm == DLNN_OK && rf == DLNN_OK)
    CHECK_MSG (graphs_equal (gm, gf), "%s: graphs differ", what);
  dlnn_graph_free (gm);
  dlnn_graph_free (gf);
  return rf;
}

static uint8_t *
pack (Onnx__ModelProto * m, size_t *len)
{
  uint8_t *d;

  *len = onnx__model_proto__get_packed_size (m);
  d = malloc (*len ? *len : 1);
  onnx__model_proto__pack (m, d);
  return d;
}

static void
test_valid_and_variants (void)
{
  size_t len, len2;
  uint8_t *data = valid_model (&len), *d2, *d3;
  Onnx__ModelProto *m;
  Onnx__TensorProto *w;

  if (!data)
    return;
  CHECK (check_both (data, len, "valid") == DLNN_OK);

  /* an initializer in float_data instead of raw_data */
  m = onnx__model_proto__unpack (NULL, len, data);
  CHECK (m != NULL && m->graph && m->graph->n_initializer > 0);
  w = find_init (m, "conv1.weight");
  CHECK (w != NULL && w->has_raw_data);
  if (w && w->has_raw_data) {
    size_t n = w->raw_data.len / 4;
    w->float_data = malloc (n * sizeof (float));
    memcpy (w->float_data, w->raw_data.data, n * 4);
    w->n_float_data = n;
    free (w->raw_data.data);
    w->raw_data.data = NULL;
    w->raw_data.len = 0;
    w->has_raw_data = 0;
  }
  d2 = pack (m, &len2);
  CHECK (check_both (d2, len2, "float_data") == DLNN_OK);
  onnx__model_proto__free_unpacked (m, NULL);

  /* the graph field twice (protobuf merges them): the file loader falls
   * back to unpacking all; here the second copy repeats every initializer
   * and node, so both must refuse it the same way */
  d3 = malloc (len2 + len);
  memcpy (d3, d2, len2);
  memcpy (d3 + len2, data, len);
  CHECK (check_both (d3, len2 + len, "two graph fields") != DLNN_OK);
  free (d3);
  free (d2);

  check_both (data, 0, "empty");
  free (data);
}

static void
test_truncated_and_flipped (void)
{
  size_t len;
  uint8_t *data = valid_model (&len), *copy;
  dlnn_rng r;
  char what[64];

  if (!data)
    return;
  for (size_t cut = 1; cut < len; cut += 1 + cut / 32) {
    snprintf (what, sizeof (what), "cut at %zu of %zu", cut, len);
    check_both (data, cut, what);
  }
  copy = malloc (len);
  dlnn_rng_seed (&r, 23);
  for (int iter = 0; iter < 300; iter++) {
    int flips = 1 + (int) dlnn_rng_below (&r, 3);
    memcpy (copy, data, len);
    for (int k = 0; k < flips; k++) {
      size_t pos = dlnn_rng_below (&r, 2) ? dlnn_rng_below (&r,
          (uint32_t) len) : len - 1 - dlnn_rng_below (&r, 600);
      copy[pos] ^= (uint8_t) (1u << dlnn_rng_below (&r, 8));
    }
    snprintf (what, sizeof (what), "bit flips %d", iter);
    check_both (copy, len, what);
  }
  free (copy);
  free (data);
}

int
main (void)
{
  if (!onnx_test_tmpdir_make ("stream"))
    return 1;
  snprintf (path, sizeof (path), "%s/model.onnx", tmpdir);
  DLNN_RUN (test_valid_and_variants);
  DLNN_RUN (test_truncated_and_flipped);
  onnx_test_tmpdir_remove ();
  return dlnn_test_summary ();
}
