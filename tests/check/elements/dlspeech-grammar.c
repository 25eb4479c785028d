/* gst-dl
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/* dlspeech's grammar property with the hand-weighted test model of
 * make-speech-test-model.c (300 Hz reads as "a", 3 kHz as "b", 1 kHz as
 * the word boundary " "): both tones at once with "b" louder read "b"
 * without constraint; a JSGF grammar forces its sentences ("a", "a b"),
 * overrides the vocabulary property; bad grammar files fail the start with
 * the file, line and cause. speech recognition of real words is tested in
 * tests/pipeline/speech-grammar-test.sh. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/audio/audio.h>
#include <glib/gstdio.h>

#include <math.h>
#include <string.h>

#define TONE_A 300.0
#define TONE_B 3000.0

static gchar *
model_path (const gchar * name)
{
  return g_build_filename (TEST_MODEL_DIR, name, NULL);
}

static gchar *
write_file (const gchar * name, const gchar * contents)
{
  gchar *file = g_build_filename (g_get_tmp_dir (), name, NULL);

  fail_unless (g_file_set_contents (file, contents, -1, NULL));
  return file;
}

/* 2 s at 16 kHz: noise at -60 dBFS, 0.5-1.0 s a weak "a" tone under a
 * louder "b" tone */
static GstBuffer *
mixture (void)
{
  const gint rate = 16000, len = 2 * rate;
  GstBuffer *buf = gst_buffer_new_allocate (NULL, len * 2, NULL);
  GstMapInfo map;
  guint32 r = 987654321u;
  gint i;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (i = 0; i < len; i++) {
    gdouble s = i / (gdouble) rate, v, ramp;

    r = r * 1664525u + 1013904223u;
    v = 1.7e-3 * ((r >> 8) / 8388608.0 - 1.0);
    if (s >= 0.5 && s < 1.0) {
      ramp = MIN (1.0, MIN (s - 0.5, 1.0 - s) / 0.005);
      v += ramp * (0.05 * sin (2 * G_PI * TONE_A * (s - 0.5)) +
          0.3 * sin (2 * G_PI * TONE_B * (s - 0.5)));
    }
    GST_WRITE_UINT16_LE (map.data + 2 * i,
        (guint16) CLAMP ((gint) lrint (v * 32767.0), -32768, 32767));
  }
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = 0;
  GST_BUFFER_DURATION (buf) = 2 * GST_SECOND;
  return buf;
}

/* the single text of the mixture through dlspeech with @grammar (JSGF
 * text, NULL: none) and @props; NULL if no text came out */
static gchar *
run_mixture (const gchar * grammar, const gchar * props)
{
  gchar *path = model_path ("speech.onnx"), *file = NULL, *desc;
  gchar *text = NULL;
  GstHarness *h;
  GstBuffer *buf;
  gint n = 0;

  if (grammar)
    file = write_file ("dlspeech-test.gram", grammar);
  desc = g_strdup_printf ("dlspeech model=\"%s\" %s%s%s %s", path,
      file ? "grammar=\"" : "", file ? file : "", file ? "\"" : "",
      props ? props : "");
  h = gst_harness_new_parse (desc);
  gst_harness_set_src_caps_str (h, "audio/x-raw, format=S16LE, rate=16000, "
      "channels=1, layout=interleaved");
  fail_unless_equals_int (gst_harness_push (h, mixture ()), GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  while ((buf = gst_harness_try_pull (h)) != NULL) {
    GstMapInfo map;

    gst_buffer_map (buf, &map, GST_MAP_READ);
    g_free (text);
    text = g_strndup ((const gchar *) map.data, map.size);
    gst_buffer_unmap (buf, &map);
    gst_buffer_unref (buf);
    n++;
  }
  fail_unless (n <= 1);
  gst_harness_teardown (h);
  if (file)
    g_unlink (file);
  g_free (file);
  g_free (desc);
  g_free (path);
  return text;
}

#define HEADER "#JSGF V1.0;\ngrammar t;\n"

GST_START_TEST (test_grammar)
{
  gchar *text;

  text = run_mixture (NULL, NULL);
  fail_unless_equals_string (text, "b");
  g_free (text);
  text = run_mixture (HEADER "public <s> = a;\n", NULL);
  fail_unless_equals_string (text, "a");
  g_free (text);
  /* "a b" fits the b frames far better than "a" (see dlspeech.c's
   * vocabulary test); rules, optionals and comments */
  text = run_mixture (HEADER "// two sentences\npublic <s> = <x> [<y>];\n"
      "<x> = a;\n<y> = /1/ b {tag};\n", NULL);
  fail_unless_equals_string (text, "a b");
  g_free (text);
  /* the grammar overrides the vocabulary; words are lowercased */
  text = run_mixture (HEADER "public <s> = A;\n", "vocabulary=b");
  fail_unless_equals_string (text, "a");
  g_free (text);
  /* repetition: "b" alone is not a sentence of this grammar */
  text = run_mixture (HEADER "public <s> = a (b a)* | a b+;\n", NULL);
  fail_unless_equals_string (text, "a b");
  g_free (text);
}

GST_END_TEST;

GST_START_TEST (test_property)
{
  GstElement *e = gst_element_factory_make ("dlspeech", NULL);
  gchar *g = NULL;

  g_object_get (e, "grammar", &g, NULL);
  fail_unless (g == NULL);
  g_object_set (e, "grammar", "/x/y.gram", NULL);
  g_object_get (e, "grammar", &g, NULL);
  fail_unless_equals_string (g, "/x/y.gram");
  g_free (g);
  gst_object_unref (e);
}

GST_END_TEST;

/* the start with @grammar fails with an error containing @expect and the
 * grammar file's name */
static void
check_start_error (const gchar * grammar, const gchar * expect)
{
  GstElement *e = gst_element_factory_make ("dlspeech", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *m;
  GError *err = NULL;
  gchar *path = model_path ("speech.onnx");
  gchar *file = grammar ? write_file ("dlspeech-bad.gram", grammar) :
      g_build_filename (g_get_tmp_dir (), "no-such-dlspeech.gram", NULL);

  gst_element_set_bus (e, bus);
  g_object_set (e, "model", path, "grammar", file, NULL);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (m != NULL);
  gst_message_parse_error (m, &err, NULL);
  GST_INFO ("%s", err->message);
  fail_unless (strstr (err->message, file) != NULL, "%s", err->message);
  fail_unless (strstr (err->message, expect) != NULL, "%s", err->message);
  g_clear_error (&err);
  gst_message_unref (m);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
  if (grammar)
    g_unlink (file);
  g_free (file);
  g_free (path);
}

GST_START_TEST (test_bad_grammars)
{
  check_start_error (NULL, "does not exist");
  check_start_error (HEADER "public <s> = a b\n<t> = b;\n",
      ".gram:4: expected ';' at the end of rule <s>");
  check_start_error (HEADER "public <s> = a\n  | <s> b;\n",
      ".gram:4: rule <s> is recursive");
  check_start_error (HEADER "public <s> = a | b;\n<t> = ( a;\n",
      ".gram:4: expected ')'");
  check_start_error ("grammar t;\npublic <s> = a;\n", ".gram:1: missing");
  /* the test model has no "c" */
  check_start_error (HEADER "public <s> = a\n  | cab;\n",
      "\"cab\" (line 4)");
}

GST_END_TEST;

static Suite *
dlspeech_grammar_suite (void)
{
  Suite *s = suite_create ("dlspeech-grammar");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_grammar);
  tcase_add_test (tc, test_property);
  tcase_add_test (tc, test_bad_grammars);
  return s;
}

GST_CHECK_MAIN (dlspeech_grammar);
