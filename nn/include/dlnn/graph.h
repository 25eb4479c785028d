/* libdlnn - computation graphs (the in-memory form of an ONNX model).
 *
 * A dlnn_graph is a plain data structure: named values (graph inputs,
 * initializers = parameters, intermediates), nodes that read and write
 * values, and ONNX-style metadata properties. Build it with the functions
 * below (or load it with dlnn_onnx_load_file), then call
 * dlnn_graph_finalize() before executing it. After finalize, a graph used
 * for inference is never modified, so several dlnn_exec (one per stream)
 * may share it read-only. A training dlnn_exec updates the graph's
 * initializers (optimizer steps, BatchNormalization running statistics).
 *
 * Ownership: the graph owns every string, attribute and tensor put into it;
 * functions taking a dlnn_tensor* "take" it (free it even on failure). */
#ifndef DLNN_GRAPH_H
#define DLNN_GRAPH_H

#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dlnn_attr_type
{                               /* values as in ONNX AttributeProto */
  DLNN_ATTR_FLOAT = 1,
  DLNN_ATTR_INT = 2,
  DLNN_ATTR_STRING = 3,
  DLNN_ATTR_TENSOR = 4,
  DLNN_ATTR_FLOATS = 6,
  DLNN_ATTR_INTS = 7,
} dlnn_attr_type;

typedef struct dlnn_attr
{
  char *name;
  dlnn_attr_type type;
  float f;
  int64_t i;
  char *s;
  int64_t n;                    /* element count of floats / ints */
  float *floats;
  int64_t *ints;
  dlnn_tensor *t;
} dlnn_attr;

typedef enum dlnn_value_kind
{
  DLNN_VALUE_INTERMEDIATE = 0,
  DLNN_VALUE_INPUT = 1,         /* graph input, fed by the caller */
  DLNN_VALUE_PARAM = 2,         /* initializer (weights, constants) */
} dlnn_value_kind;

typedef struct dlnn_value
{
  char *name;
  dlnn_value_kind kind;
  int is_output;
  /* DLNN_VALUE_INPUT: declared shape; a dim < 0 is dynamic (e.g. batch). */
  int ndim;
  int64_t dims[DLNN_MAX_DIMS];
  dlnn_tensor *init;            /* DLNN_VALUE_PARAM: its data */
  int trainable;                /* DLNN_VALUE_PARAM: optimizer updates it */
  int producer;                 /* index of producing node, -1 if none */
} dlnn_value;

struct dlnn_op;

typedef struct dlnn_node
{
  char *name;
  char *op_type;                /* ONNX op type, e.g. "Conv" */
  char *domain;                 /* NULL or "" for the default ONNX domain */
  const struct dlnn_op *op;     /* resolved by dlnn_graph_finalize */
  int n_inputs;
  int *inputs;                  /* value indices; -1 = omitted optional */
  int n_outputs;
  int *outputs;
  int n_attrs;
  dlnn_attr *attrs;
  void *priv;                   /* op-private parsed attributes (free()d) */
} dlnn_node;

typedef struct dlnn_graph
{
  char *name;
  int n_values, values_cap;
  dlnn_value *values;
  int n_nodes, nodes_cap;
  dlnn_node *nodes;             /* topologically sorted by finalize */
  int n_inputs;
  int *inputs;                  /* value indices of graph inputs, in order */
  int n_outputs;
  int *outputs;                 /* value indices of graph outputs, in order */
  int n_meta;
  char **meta_keys;
  char **meta_values;
  int64_t opset;                /* default-domain opset version */
  char *producer_name;
  char *producer_version;
  int finalized;
} dlnn_graph;

DLNN_API dlnn_graph *dlnn_graph_new (const char *name);
DLNN_API void dlnn_graph_free (dlnn_graph * g);       /* NULL-safe */

/* Returns the index of value @name, or -1. */
DLNN_API int dlnn_graph_find_value (const dlnn_graph * g, const char *name);
/* Returns the index of value @name, creating an intermediate if needed.
 * -1 on out of memory. */
DLNN_API int dlnn_graph_value (dlnn_graph * g, const char *name);

/* Declares a graph input with its shape (dims < 0 are dynamic). Returns the
 * value index, or -1 (message in @st). */
DLNN_API int dlnn_graph_add_input (dlnn_graph * g, const char *name,
    int ndim, const int64_t * dims, dlnn_status * st);
/* Adds an initializer; takes @t. Returns the value index or -1. */
DLNN_API int dlnn_graph_add_param (dlnn_graph * g, const char *name,
    dlnn_tensor * t, int trainable, dlnn_status * st);
/* Marks value @name as graph output. */
DLNN_API dlnn_code dlnn_graph_add_output (dlnn_graph * g, const char *name,
    dlnn_status * st);

/* Adds a node; input/output names are created as values on demand; an
 * input name of "" (or NULL) is an omitted optional input. Returns the node
 * index or -1. */
DLNN_API int dlnn_graph_add_node (dlnn_graph * g, const char *op_type,
    const char *name, int n_inputs, const char *const *inputs,
    int n_outputs, const char *const *outputs, dlnn_status * st);

/* Attribute setters on node @node (replace an attribute of the same name). */
DLNN_API dlnn_code dlnn_node_set_int (dlnn_graph * g, int node,
    const char *name, int64_t v);
DLNN_API dlnn_code dlnn_node_set_float (dlnn_graph * g, int node,
    const char *name, float v);
DLNN_API dlnn_code dlnn_node_set_string (dlnn_graph * g, int node,
    const char *name, const char *v);
DLNN_API dlnn_code dlnn_node_set_ints (dlnn_graph * g, int node,
    const char *name, int64_t n, const int64_t * v);
DLNN_API dlnn_code dlnn_node_set_floats (dlnn_graph * g, int node,
    const char *name, int64_t n, const float *v);
/* Takes @t. */
DLNN_API dlnn_code dlnn_node_set_tensor (dlnn_graph * g, int node,
    const char *name, dlnn_tensor * t);

/* Attribute getters: return the attribute or NULL. */
DLNN_API const dlnn_attr *dlnn_node_attr (const dlnn_node * n,
    const char *name);
DLNN_API int64_t dlnn_node_attr_int (const dlnn_node * n, const char *name,
    int64_t dflt);
DLNN_API float dlnn_node_attr_float (const dlnn_node * n, const char *name,
    float dflt);
DLNN_API const char *dlnn_node_attr_string (const dlnn_node * n,
    const char *name, const char *dflt);

/* metadata_props: set replaces an existing key; get returns NULL if absent. */
DLNN_API dlnn_code dlnn_graph_set_meta (dlnn_graph * g, const char *key,
    const char *value);
DLNN_API const char *dlnn_graph_get_meta (const dlnn_graph * g,
    const char *key);

/* Resolves every node's op (DLNN_ERR_UNSUPPORTED naming op type, node name
 * and opset when unknown), checks input/output counts, parses attributes
 * (op init), topologically sorts the nodes (DLNN_ERR_FORMAT on cycles or
 * values without producer) and validates parameter shapes through shape
 * inference when input shapes are fully known. Idempotent. */
DLNN_API dlnn_code dlnn_graph_finalize (dlnn_graph * g, dlnn_status * st);

/* Rewrites a finalized graph for inference: folds BatchNormalization into
 * the preceding Conv/Gemm where possible, removes Dropout/Identity.
 * The graph stays finalized. */
DLNN_API dlnn_code dlnn_graph_optimize_inference (dlnn_graph * g,
    dlnn_status * st);

/* Number of trainable parameter elements. */
DLNN_API int64_t dlnn_graph_param_count (const dlnn_graph * g);

#ifdef __cplusplus
}
#endif
#endif
