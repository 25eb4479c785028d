/* libdlnn - registry of ops. Each op file defines `const dlnn_op
 * dlnn_op_<name>` (declared in common.h); add it to all_ops. */
#include "op.h"
#include "common.h"

#include <string.h>

static const dlnn_op *const all_ops[] = {
  &dlnn_op_gemm,
  &dlnn_op_matmul,
  &dlnn_op_conv,
  &dlnn_op_maxpool,
  &dlnn_op_averagepool,
  &dlnn_op_globalaveragepool,
  &dlnn_op_globalmaxpool,
  &dlnn_op_batchnormalization,
  &dlnn_op_relu,
  &dlnn_op_leakyrelu,
  &dlnn_op_sigmoid,
  &dlnn_op_tanh,
  &dlnn_op_softmax,
  &dlnn_op_logsoftmax,
  &dlnn_op_dropout,
  &dlnn_op_flatten,
  &dlnn_op_reshape,
  &dlnn_op_identity,
  &dlnn_op_concat,
  &dlnn_op_expand,
  &dlnn_op_add,
  &dlnn_op_sub,
  &dlnn_op_mul,
  &dlnn_op_div,
  &dlnn_op_pad,
  &dlnn_op_clip,
  &dlnn_op_hardsigmoid,
  &dlnn_op_hardswish,
  &dlnn_op_transpose,
  &dlnn_op_slice,
  &dlnn_op_split,
  &dlnn_op_squeeze,
  &dlnn_op_unsqueeze,
  &dlnn_op_reducemean,
  &dlnn_op_gru,
  &dlnn_op_lstm,
  &dlnn_op_swish,
  NULL
};

const dlnn_op *
dlnn_op_find (const char *type)
{
  if (!type)
    return NULL;
  for (int i = 0; all_ops[i]; i++)
    if (strcmp (all_ops[i]->type, type) == 0)
      return all_ops[i];
  return NULL;
}

const char *const *
dlnn_op_names (void)
{
  static const char *names[sizeof (all_ops) / sizeof (all_ops[0])];
  for (int i = 0; all_ops[i]; i++)
    names[i] = all_ops[i]->type;
  return names;
}
