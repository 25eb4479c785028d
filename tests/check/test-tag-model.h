/* gst-dl: constants shared by make-tag-test-model.c and the dltag tests.
 * See make-tag-test-model.c for what the tag test models compute. */
#ifndef TEST_TAG_MODEL_H
#define TEST_TAG_MODEL_H

/* dl.audio of the audio tag models */
#define TEST_TAG_AUDIO "rate=16000;features=logmel;n_mels=40;win_ms=25;" \
    "hop_ms=10;fmin=0;fmax=8000"
/* frames per window of tag-audio.onnx: 50 x 10 ms = 500 ms */
#define TEST_TAG_T 50
#define TEST_TAG_WINDOW_MS 500
/* mel bands looked at by "low" (a 300 Hz tone) and "high" (3 kHz) */
#define TEST_TAG_LOW_BAND_LO 200.0
#define TEST_TAG_LOW_BAND_HI 450.0
#define TEST_TAG_HIGH_BAND_LO 2500.0
#define TEST_TAG_HIGH_BAND_HI 3600.0
#define TEST_TAG_GAIN 1.0f
#define TEST_TAG_BIAS 6.5f
#define TEST_TAG_AUDIO_THRESHOLDS "{\"low\": 0.5, \"high\": 0.5}"
/* tag-audio-early.onnx hears the oldest 16 of its 50 frames, whose span
 * has its centre at 0.16 of the window (80 ms after its start, 170 ms
 * before its centre) */
#define TEST_TAG_EARLY_FRAMES 16
#define TEST_TAG_EARLY_CENTRE "0.16"
#define TEST_TAG_EARLY_LAG 0.17

/* dl.image of tag-video.onnx; logit_bright = GAIN_V * (mean - 0.5) */
#define TEST_TAG_IMAGE "color=gray;width=16;height=16;resize=stretch;" \
    "scale=0.003921569;mean=0;std=1"
#define TEST_TAG_VIDEO_GAIN 20.0f
#define TEST_TAG_VIDEO_THRESHOLDS "{\"bright\": 0.5, \"dark\": 0.5}"

#endif
