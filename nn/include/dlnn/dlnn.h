/* libdlnn - the gst-dl neural-network core. Umbrella header. */
#ifndef DLNN_H
#define DLNN_H

#include "status.h"
#include "tensor.h"
#include "rng.h"
#include "graph.h"
#include "exec.h"
#include "onnx.h"
#include "meta.h"
#include "image.h"
#include "audio.h"
#include "train.h"
#include "ctc.h"
#include "grammar.h"

#define DLNN_VERSION "0.1.0"

#endif
