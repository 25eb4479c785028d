/* libdlnn - just enough of the protobuf wire format to load an ONNX file
 * without unpacking its initializers all at once.
 *
 * dlnn_onnx_split_model copies a ModelProto without the initializer
 * fields (5) of its GraphProto (field 7), and records where each
 * initializer lies in the original bytes, so that the caller unpacks the
 * (small) rest with protobuf-c and each initializer on its own. Every
 * varint and length is checked against the bytes present. */
#include "onnx_private.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MODEL_GRAPH_FIELD 7
#define GRAPH_INITIALIZER_FIELD 5
#define TENSOR_NAME_FIELD 8
#define TENSOR_RAW_DATA_FIELD 9

/* Reads a varint at *@pos of @p (@len bytes). 0 on truncation/overlong. */
static int
wire_varint (const uint8_t * p, size_t len, size_t * pos, uint64_t * v)
{
  uint64_t r = 0;

  for (int i = 0; i < 10; i++) {
    uint8_t b;
    if (*pos >= len)
      return 0;
    b = p[(*pos)++];
    r |= (uint64_t) (b & 0x7f) << (7 * i);
    if (!(b & 0x80)) {
      *v = r;
      return 1;
    }
  }
  return 0;
}

/* Reads the key of the field at *@pos, then its payload: on return
 * [*@start, *@end) are the payload bytes (for wire type 2: without the
 * length). 0 if the field is malformed or runs past @len. */
static int
wire_field (const uint8_t * p, size_t len, size_t * pos, uint32_t * field,
    int *wt, size_t * start, size_t * end)
{
  uint64_t key, n;

  if (!wire_varint (p, len, pos, &key) || (key >> 3) == 0
      || (key >> 3) > 0x1fffffff)
    return 0;
  *field = (uint32_t) (key >> 3);
  *wt = (int) (key & 7);
  switch (*wt) {
    case 0:
      *start = *pos;
      if (!wire_varint (p, len, pos, &n))
        return 0;
      break;
    case 1:
    case 5:
      n = *wt == 1 ? 8 : 4;
      if (len - *pos < n)
        return 0;
      *start = *pos;
      *pos += n;
      break;
    case 2:
      if (!wire_varint (p, len, pos, &n) || n > len - *pos)
        return 0;
      *start = *pos;
      *pos += (size_t) n;
      break;
    default:                   /* groups: not used by ONNX */
      return 0;
  }
  *end = *pos;
  return 1;
}

static size_t
varint_size (uint64_t v)
{
  size_t n = 1;

  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

static uint8_t *
put_varint (uint8_t * o, uint64_t v)
{
  while (v >= 0x80) {
    *o++ = (uint8_t) (v | 0x80);
    v >>= 7;
  }
  *o++ = (uint8_t) v;
  return o;
}

void
dlnn_onnx_split_clear (dlnn_onnx_split * s)
{
  free (s->model);
  free (s->init_off);
  free (s->init_len);
  memset (s, 0, sizeof (*s));
}

dlnn_code
dlnn_onnx_split_model (const uint8_t * p, size_t len, dlnn_onnx_split * s,
    dlnn_status * st)
{
  size_t pos = 0, start, end, gstart = 0, gend = 0, other = 0, kept = 0;
  size_t n_init = 0, k = 0;
  int n_graph = 0, wt;
  uint32_t f;
  uint8_t *o;

  memset (s, 0, sizeof (*s));
  while (pos < len) {
    size_t at = pos;
    if (!wire_field (p, len, &pos, &f, &wt, &start, &end))
      goto corrupt;
    if (f == MODEL_GRAPH_FIELD && wt == 2) {
      gstart = start;
      gend = end;
      n_graph++;
    } else {
      other += pos - at;
    }
  }
  if (n_graph != 1) {
    s->fallback = 1;            /* no graph, or parts to merge: unpack all */
    return DLNN_OK;
  }
  pos = gstart;
  while (pos < gend) {
    size_t at = pos;
    if (!wire_field (p, gend, &pos, &f, &wt, &start, &end))
      goto corrupt;
    if (f == GRAPH_INITIALIZER_FIELD && wt == 2)
      n_init++;
    else
      kept += pos - at;
  }
  if (n_init > DLNN_ONNX_MAX_ITEMS)
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "graph has an absurd number of initializers");

  s->model_len = other + 1 + varint_size (kept) + kept;
  s->model = malloc (s->model_len);
  s->init_off = malloc ((n_init ? n_init : 1) * sizeof (size_t));
  s->init_len = malloc ((n_init ? n_init : 1) * sizeof (size_t));
  if (!s->model || !s->init_off || !s->init_len) {
    dlnn_onnx_split_clear (s);
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  }
  o = s->model;
  pos = 0;
  while (pos < len) {
    size_t at = pos;
    wire_field (p, len, &pos, &f, &wt, &start, &end);
    if (f == MODEL_GRAPH_FIELD && wt == 2) {
      *o++ = (uint8_t) ((MODEL_GRAPH_FIELD << 3) | 2);
      o = put_varint (o, kept);
      pos = gstart;
      while (pos < gend) {
        size_t gat = pos;
        wire_field (p, gend, &pos, &f, &wt, &start, &end);
        if (f == GRAPH_INITIALIZER_FIELD && wt == 2) {
          s->init_off[k] = start;
          s->init_len[k++] = end - start;
        } else {
          memcpy (o, p + gat, pos - gat);
          o += pos - gat;
        }
      }
      pos = gend;
    } else {
      memcpy (o, p + at, pos - at);
      o += pos - at;
    }
  }
  s->model_len = (size_t) (o - s->model);
  s->n_init = n_init;
  return DLNN_OK;

corrupt:
  return dlnn_status_set (st, DLNN_ERR_FORMAT,
      "not an ONNX model or truncated/corrupt file (protobuf parse error)");
}

char *
dlnn_onnx_wire_tensor_name (const uint8_t * p, size_t len)
{
  size_t pos = 0, start = 0, end = 0, ns = 0, ne = 0;
  int wt, found = 0;
  uint32_t f;
  char *name;

  while (pos < len) {
    if (!wire_field (p, len, &pos, &f, &wt, &start, &end))
      return NULL;
    if (f == TENSOR_NAME_FIELD && wt == 2) {
      ns = start;               /* the last one counts, as in protobuf */
      ne = end;
      found = 1;
    }
  }
  name = malloc (ne - ns + 1);
  if (!name)
    return NULL;
  if (found)
    memcpy (name, p + ns, ne - ns);
  name[ne - ns] = '\0';
  return name;
}

int
dlnn_onnx_wire_strip_raw (const uint8_t * p, size_t len, uint8_t ** copy,
    size_t * copy_len, size_t * raw_off, size_t * raw_len)
{
  size_t pos = 0, start, end, kept = 0;
  int wt, found = 0;
  uint32_t f;
  uint8_t *o;

  *copy = NULL;
  *copy_len = *raw_off = *raw_len = 0;
  while (pos < len) {
    size_t at = pos;
    if (!wire_field (p, len, &pos, &f, &wt, &start, &end))
      return 1;
    if (f == TENSOR_RAW_DATA_FIELD && wt == 2) {
      *raw_off = start;         /* the last one counts, as in protobuf */
      *raw_len = end - start;
      found = 1;
    } else {
      kept += pos - at;
    }
  }
  o = *copy = malloc (kept ? kept : 1);
  if (!o)
    return 2;
  pos = 0;
  while (pos < len) {
    size_t at = pos;
    wire_field (p, len, &pos, &f, &wt, &start, &end);
    if (!(f == TENSOR_RAW_DATA_FIELD && wt == 2)) {
      memcpy (o, p + at, pos - at);
      o += pos - at;
    }
  }
  *copy_len = kept;
  return found ? 0 : 3;
}
