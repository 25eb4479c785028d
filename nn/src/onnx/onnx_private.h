/* libdlnn - private: helpers shared by the ONNX reader and writer. */
#ifndef DLNN_ONNX_PRIVATE_H
#define DLNN_ONNX_PRIVATE_H

#include "dlnn/graph.h"
#include "onnx.pb-c.h"

/* Limits on counts read from a file (each far above any real model, far
 * below what would overflow an int). */
#define DLNN_ONNX_MAX_ITEMS (1 << 24)

#include <string.h>

static inline int
dlnn_onnx_is_default_domain (const char *d)
{
  return !d || !*d || strcmp (d, "ai.onnx") == 0;
}

/* Adds node @np (the @index-th of the file) to @g: op type, name
 * ("node_<index>" if empty), inputs, outputs, attributes. A Constant node
 * becomes a parameter named after its output instead. */
dlnn_code dlnn_onnx_read_node (dlnn_graph * g, const Onnx__NodeProto * np,
    size_t index, dlnn_status * st);

/* A ModelProto split for streaming (onnx_wire.c): @model is a copy of
 * the file without the graph's initializers, which lie at init_off[i]
 * (init_len[i] bytes) in the file. @fallback: the file has no single
 * graph field; unpack it whole instead. */
typedef struct dlnn_onnx_split
{
  uint8_t *model;
  size_t model_len;
  size_t n_init;
  size_t *init_off, *init_len;
  int fallback;
} dlnn_onnx_split;

dlnn_code dlnn_onnx_split_model (const uint8_t * p, size_t len,
    dlnn_onnx_split * s, dlnn_status * st);
void dlnn_onnx_split_clear (dlnn_onnx_split * s);

/* The name (field 8) of the TensorProto in @p, malloc()ed ("" if none);
 * NULL if the bytes are malformed or out of memory. */
char *dlnn_onnx_wire_tensor_name (const uint8_t * p, size_t len);

/* Copies the TensorProto in @p without its raw_data (field 9) into
 * *@copy (malloc()ed, *@copy_len bytes) and gives the place of raw_data
 * in @p. Returns 0, 3 if there is no raw_data (then *@raw_off and
 * *@raw_len are 0), 1 if the bytes are malformed, 2 if out of memory. */
int dlnn_onnx_wire_strip_raw (const uint8_t * p, size_t len,
    uint8_t ** copy, size_t * copy_len, size_t * raw_off, size_t * raw_len);

/* Name of an ONNX TensorProto.DataType ("FLOAT", "INT64", ...). */
const char *dlnn_onnx_dtype_name (int32_t data_type);

/* Converts an initializer or attribute tensor. @what names it in messages
 * (e.g. "initializer 'conv1.weight'"). Accepts FLOAT and INT64 stored in
 * float_data/int64_data or little-endian raw_data; everything else is
 * rejected with a message. */
dlnn_code dlnn_onnx_tensor_from_proto (const Onnx__TensorProto * tp,
    const char *what, dlnn_tensor ** out, dlnn_status * st);

/* Fills @tp (already initialised) from @t. The raw_data bytes either point
 * into @t (little-endian hosts) or into *@scratch, a malloc()ed buffer the
 * caller frees after packing. */
dlnn_code dlnn_onnx_tensor_to_proto (const dlnn_tensor * t, const char *name,
    Onnx__TensorProto * tp, void **scratch, dlnn_status * st);

/* Shapes of all values of a finalized graph, inferred three times: with
 * every dynamic input dim set to 1, to 2 and to 64 (a strided dim such as
 * ceil (T / 3) is the same for 1 and 2). A dim that comes out the same in
 * every run is fixed; one that differs follows a dynamic input dim. */
typedef struct dlnn_onnx_shapes
{
  int ok;                       /* inference succeeded */
  int n;
  dlnn_tensor *a, *b, *c;       /* n entries each; b == c == a if
                                   nothing is dynamic */
} dlnn_onnx_shapes;

/* Never fails: on any problem shapes->ok is 0 and nothing is known. */
void dlnn_onnx_shapes_infer (const dlnn_graph * g, dlnn_onnx_shapes * s);
/* 1 and the shape of value @v if known; fixed[i] as described above. */
int dlnn_onnx_shapes_get (const dlnn_onnx_shapes * s, int v, int *ndim,
    int64_t * dims, int *fixed);
void dlnn_onnx_shapes_clear (dlnn_onnx_shapes * s);

#endif
