/* libdlnn - ONNX model files.
 *
 * Read and written with protobuf-c code generated at build time from
 * Debian's /usr/include/onnx/onnx.proto. The loader validates everything it
 * reads and rejects, with a message naming the cause, truncated or corrupt
 * files, unsupported ops (op type, node name, opset), unsupported data
 * types, inconsistent shapes and absurd sizes. A loaded graph is finalized. */
#ifndef DLNN_ONNX_H
#define DLNN_ONNX_H

#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest model file accepted. */
#define DLNN_ONNX_MAX_FILE_SIZE ((size_t) 2 << 30)

/* Maps the file and unpacks one initializer at a time, releasing its
 * pages once converted: the peak is about one copy of the weights.
 * Gives the same answer (a graph, or an error) as dlnn_onnx_load_memory
 * on the file's bytes. */
DLNN_API dlnn_code dlnn_onnx_load_file (const char *path, dlnn_graph ** out,
    dlnn_status * st);
DLNN_API dlnn_code dlnn_onnx_load_memory (const void *data, size_t len,
    dlnn_graph ** out, dlnn_status * st);

/* Writes @g as an ONNX ModelProto (ir_version 8, opset max(13, g->opset),
 * metadata_props from the graph). Writes "path.tmp.XXXXXX" then renames, so
 * @path is either the old file or the complete new one. */
DLNN_API dlnn_code dlnn_onnx_save_file (const dlnn_graph * g,
    const char *path, dlnn_status * st);
/* Serialises into a malloc()ed buffer the caller frees. */
DLNN_API dlnn_code dlnn_onnx_save_memory (const dlnn_graph * g,
    void **data, size_t *len, dlnn_status * st);

#ifdef __cplusplus
}
#endif
#endif
