/* gst-dl: constants shared by make-speech-test-model.c and the dlspeech
 * tests.  See make-speech-test-model.c for what the models compute. */
#ifndef SPEECH_TEST_MODEL_H
#define SPEECH_TEST_MODEL_H

/* dl.audio of the speech test models */
#define SPEECH_TEST_AUDIO "rate=16000;features=logmel;n_mels=40;win_ms=25;" \
    "hop_ms=10;fmin=20;fmax=7600"
#define SPEECH_TEST_RATE 16000
#define SPEECH_TEST_HOP_MS 10

/* tones that the models read as the labels "a", "b" and " " */
#define SPEECH_TONE_A 300.0
#define SPEECH_TONE_B 3000.0
#define SPEECH_TONE_SPACE 1000.0

/* score of label k (k = " ", "a", "b") on a frame x of log-mel values:
 * GAIN * (x[band k] - (x[band j] + x[band l]) / 2) - MARGIN, where j, l
 * are the other two labels' bands; blank scores 0.  A tone at the label's
 * frequency (well above the noise) makes the label win, silence or noise
 * gives blank. */
#define SPEECH_TEST_GAIN 2.0f
#define SPEECH_TEST_MARGIN 10.0f

#endif
