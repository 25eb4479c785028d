/* libdlnn - reading ONNX NodeProtos: attributes, and Constant nodes,
 * which become parameters. */
#include "onnx_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- attributes ---- */

static Onnx__AttributeProto__AttributeType
attr_type (const Onnx__AttributeProto * a)
{
  if (a->has_type)
    return a->type;
  /* very old files leave the type out; infer it from the field set */
  if (a->has_f)
    return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
  if (a->has_i)
    return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
  if (a->has_s)
    return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
  if (a->t)
    return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
  if (a->n_floats)
    return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
  if (a->n_ints)
    return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
  return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED;
}

static const char *
attr_type_name (Onnx__AttributeProto__AttributeType t)
{
  switch (t) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
      return "FLOAT";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
      return "INT";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
      return "STRING";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:
      return "TENSOR";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH:
      return "GRAPH";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR:
      return "SPARSE_TENSOR";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTO:
      return "TYPE_PROTO";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
      return "FLOATS";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
      return "INTS";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS:
      return "STRINGS";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS:
      return "TENSORS";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS:
      return "GRAPHS";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSORS:
      return "SPARSE_TENSORS";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTOS:
      return "TYPE_PROTOS";
    default:
      return "UNDEFINED";
  }
}

/* Copies a bytes field into a C string, rejecting embedded NULs. */
static char *
bytes_to_str (const ProtobufCBinaryData * b)
{
  char *s;

  if (b->len && memchr (b->data, 0, b->len))
    return NULL;
  s = malloc (b->len + 1);
  if (!s)
    return NULL;
  if (b->len)
    memcpy (s, b->data, b->len);
  s[b->len] = '\0';
  return s;
}

static dlnn_code
read_attr (dlnn_graph * g, int node, const Onnx__NodeProto * np,
    const char *node_name, const Onnx__AttributeProto * a, dlnn_status * st)
{
  Onnx__AttributeProto__AttributeType type = attr_type (a);
  const char *name = a->name;
  dlnn_code ret = DLNN_OK;
  char what[256];

  if (!name || !*name)
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "%s node '%s' has an attribute without a name", np->op_type,
        node_name);
  if (a->ref_attr_name && *a->ref_attr_name)
    return dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
        "%s node '%s': attribute '%s' refers to a function attribute, "
        "which is not supported", np->op_type, node_name, name);
  switch (type) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
      ret = dlnn_node_set_float (g, node, name, a->f);
      break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
      ret = dlnn_node_set_int (g, node, name, a->i);
      break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:{
      char *s = bytes_to_str (&a->s);
      if (!s)
        return dlnn_status_set (st, DLNN_ERR_FORMAT,
            "%s node '%s': string attribute '%s' contains a NUL byte "
            "(or out of memory)", np->op_type, node_name, name);
      ret = dlnn_node_set_string (g, node, name, s);
      free (s);
      break;
    }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:{
      dlnn_tensor *t;
      if (!a->t)
        return dlnn_status_set (st, DLNN_ERR_FORMAT,
            "%s node '%s': tensor attribute '%s' has no tensor",
            np->op_type, node_name, name);
      snprintf (what, sizeof (what), "%s node '%s' attribute '%s'",
          np->op_type, node_name, name);
      ret = dlnn_onnx_tensor_from_proto (a->t, what, &t, st);
      if (ret != DLNN_OK)
        return ret;
      ret = dlnn_node_set_tensor (g, node, name, t);
      break;
    }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
      ret = dlnn_node_set_floats (g, node, name, (int64_t) a->n_floats,
          a->floats);
      break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
      ret = dlnn_node_set_ints (g, node, name, (int64_t) a->n_ints, a->ints);
      break;
    default:
      return dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
          "%s node '%s': attribute '%s' of type %s (%d) is not supported",
          np->op_type, node_name, name, attr_type_name (type), (int) type);
  }
  if (ret != DLNN_OK)
    return dlnn_status_set (st, ret, "out of memory");
  return DLNN_OK;
}

/* ---- Constant nodes become parameters ---- */

static dlnn_code
read_constant (dlnn_graph * g, const Onnx__NodeProto * np,
    const char *node_name, dlnn_status * st)
{
  const Onnx__AttributeProto *a;
  dlnn_tensor *t = NULL;
  const char *out;
  char what[256];
  dlnn_code ret;

  if (np->n_output != 1 || !np->output[0] || !*np->output[0])
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "Constant node '%s' must have exactly one output", node_name);
  if (np->n_attribute != 1)
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "Constant node '%s' must have exactly one attribute (has %zu)",
        node_name, np->n_attribute);
  out = np->output[0];
  a = np->attribute[0];
  if (!a->name)
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "Constant node '%s' has an attribute without a name", node_name);
  snprintf (what, sizeof (what), "Constant node '%s' attribute '%s'",
      node_name, a->name);
  if (strcmp (a->name, "value") == 0 && a->t) {
    ret = dlnn_onnx_tensor_from_proto (a->t, what, &t, st);
    if (ret != DLNN_OK)
      return ret;
  } else if (strcmp (a->name, "value_float") == 0 && a->has_f) {
    t = dlnn_tensor_new (DLNN_FLOAT32, 0, NULL, st);
    if (t)
      t->data[0] = a->f;
  } else if (strcmp (a->name, "value_int") == 0 && a->has_i) {
    t = dlnn_tensor_new (DLNN_INT64, 0, NULL, st);
    if (t)
      t->idata[0] = a->i;
  } else if (strcmp (a->name, "value_floats") == 0) {
    int64_t d = (int64_t) a->n_floats;
    t = dlnn_tensor_new (DLNN_FLOAT32, 1, &d, st);
    if (t && d)
      memcpy (t->data, a->floats, (size_t) d * sizeof (float));
  } else if (strcmp (a->name, "value_ints") == 0) {
    int64_t d = (int64_t) a->n_ints;
    t = dlnn_tensor_new (DLNN_INT64, 1, &d, st);
    if (t && d)
      memcpy (t->idata, a->ints, (size_t) d * sizeof (int64_t));
  } else {
    return dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
        "Constant node '%s': attribute '%s' of type %s is not supported",
        node_name, a->name, attr_type_name (attr_type (a)));
  }
  if (!t)
    return dlnn_status_prefix (st, "%s", what);
  if (dlnn_graph_find_value (g, out) >= 0) {
    dlnn_tensor_free (t);
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "Constant node '%s' writes '%s', which is already defined",
        node_name, out);
  }
  if (dlnn_graph_add_param (g, out, t, 0, st) < 0)
    return st ? st->code : DLNN_ERR_NOMEM;
  return DLNN_OK;
}

/* ---- nodes ---- */

dlnn_code
dlnn_onnx_read_node (dlnn_graph * g, const Onnx__NodeProto * np, size_t index,
    dlnn_status * st)
{
  char autoname[32];
  const char *name = np->name;
  int n_out = (int) np->n_output;
  int node;
  dlnn_code ret;

  if (!name || !*name) {
    snprintf (autoname, sizeof (autoname), "node_%zu", index);
    name = autoname;
  }
  if (!np->op_type || !*np->op_type)
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "node '%s' has no op_type", name);
  if (!dlnn_onnx_is_default_domain (np->domain))
    return dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
        "unsupported op '%s' from domain '%s' (node '%s'): only the "
        "default ONNX domain is supported", np->op_type, np->domain, name);
  if (np->n_input > DLNN_ONNX_MAX_ITEMS || np->n_output > DLNN_ONNX_MAX_ITEMS
      || np->n_attribute > DLNN_ONNX_MAX_ITEMS)
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "%s node '%s' has an absurd number of inputs, outputs or "
        "attributes", np->op_type, name);
  /* trailing omitted optional outputs are dropped */
  while (n_out > 0 && (!np->output[n_out - 1] || !*np->output[n_out - 1]))
    n_out--;
  if (n_out == 0)
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "%s node '%s' has no outputs", np->op_type, name);

  if (strcmp (np->op_type, "Constant") == 0)
    return read_constant (g, np, name, st);

  node = dlnn_graph_add_node (g, np->op_type, name, (int) np->n_input,
      (const char *const *) np->input, n_out,
      (const char *const *) np->output, st);
  if (node < 0)
    return st ? st->code : DLNN_ERR_NOMEM;
  for (size_t i = 0; i < np->n_attribute; i++) {
    ret = read_attr (g, node, np, name, np->attribute[i], st);
    if (ret != DLNN_OK)
      return ret;
  }
  return DLNN_OK;
}
