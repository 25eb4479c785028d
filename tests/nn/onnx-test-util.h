/* Shared by the ONNX tests: a small graph using every feature the files
 * carry, and helpers to look into packed models. */
#ifndef ONNX_TEST_UTIL_H
#define ONNX_TEST_UTIL_H

#include "dlnn/dlnn.h"
#include "onnx.pb-c.h"

/* Scratch directory of the test run (made by onnx_test_tmpdir_make). */
extern char tmpdir[256];
int onnx_test_tmpdir_make (const char *tag);
void onnx_test_tmpdir_remove (void);

/* x [batch,3,8,8] -> Conv -> BatchNormalization -> Relu (with extra
 * attributes of the TENSOR, FLOATS and STRING types) -> MaxPool -> Reshape
 * (int64 shape) -> Gemm -> Softmax; outputs prob and logits; dl.*
 * metadata. batch < 0 is dynamic. */
dlnn_graph *make_graph (int64_t batch, int finalize);
/* make_graph (-1, 1) saved to a malloc()ed buffer. */
uint8_t *valid_model (size_t *len);

int tensors_equal (const dlnn_tensor * a, const dlnn_tensor * b);
Onnx__TensorProto *find_init (Onnx__ModelProto * m, const char *name);
Onnx__NodeProto *find_node (Onnx__ModelProto * m, const char *name);

#endif
