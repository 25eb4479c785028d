/* gst-dl: constants shared by make-test-model.c and the dlclassify tests.
 * See make-test-model.c for what the test models compute. */
#ifndef TEST_MODEL_H
#define TEST_MODEL_H

/* input width and height of the test models */
#define TEST_MODEL_SIZE 16
/* number of horizontal bands = classes of bands.onnx */
#define TEST_BANDS 4
/* logit_k = TEST_MODEL_GAIN * (mean of class k's pixels - mean of the
 * others), pixels scaled to 0..1 */
#define TEST_MODEL_GAIN 10.0f
/* dl.image scale */
#define TEST_MODEL_SCALE 0.003921569f

/* classes of many.onnx, whose output ignores the picture: logit of class j
 * is TEST_MANY_LOGIT (j), all distinct */
#define TEST_MANY_CLASSES 64
#define TEST_MANY_LOGIT(j) (0.05f * (float) (((j) * 37) % TEST_MANY_CLASSES))

/* dl.image of colors-norm.onnx; the same preprocessing as element
 * properties is in tests/check/elements/dlclassify-props.c */
#define TEST_NORM_IMAGE "color=bgr;width=16;height=16;resize=crop;" \
    "interp=bilinear;scale=0.003921569;mean=0.4,0.5,0.6;std=0.2,0.25,0.3"

#endif
