/* Tests for the dl.* metadata helpers (nn/include/dlnn/meta.h): JSON string
 * arrays, flat number objects, labels files. Expected UTF-8 bytes are taken
 * from the Unicode tables (U+00E9 = C3 A9, U+20AC = E2 82 AC,
 * U+1F600 = F0 9F 98 80). */
#include "dlnn/dlnn.h"
#include "dlnn-test.h"

#include <locale.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[256];

static void
test_string_array_parse (void)
{
  char **v = NULL;
  int n = -1;
  dlnn_status st;

  CHECK_OK (dlnn_json_parse_string_array (" [ \"T-shirt/top\" ,\"Trouser\","
          "\"a\\\"b\\\\c\\/d\", \"\\b\\f\\n\\r\\t\", \"caf\\u00e9\", "
          "\"\\u20AC\", \"\\ud83d\\ude00\", \"\xe2\x82\xac raw\", \"\" ]\n",
          &v, &n, &st), &st);
  CHECK (n == 9);
  if (n == 9) {
    CHECK (strcmp (v[0], "T-shirt/top") == 0);
    CHECK (strcmp (v[1], "Trouser") == 0);
    CHECK (strcmp (v[2], "a\"b\\c/d") == 0);
    CHECK (strcmp (v[3], "\b\f\n\r\t") == 0);
    CHECK (strcmp (v[4], "caf\xc3\xa9") == 0);
    CHECK (strcmp (v[5], "\xe2\x82\xac") == 0);
    CHECK (strcmp (v[6], "\xf0\x9f\x98\x80") == 0);
    CHECK (strcmp (v[7], "\xe2\x82\xac raw") == 0);
    CHECK (strcmp (v[8], "") == 0);
  }
  dlnn_strv_free (v, n);

  CHECK_OK (dlnn_json_parse_string_array ("[]", &v, &n, &st), &st);
  CHECK (n == 0 && v != NULL);
  dlnn_strv_free (v, n);
}

static void
test_string_array_errors (void)
{
  static const char *bad[] = {
    "", "   ", "[", "]", "[\"a\"", "[\"a\",]", "[,\"a\"]", "[\"a\" \"b\"]",
    "[1]", "[null]", "{\"a\": 1}", "\"a\"", "[\"a\"] x", "[\"a\"][]",
    "[\"\\x\"]", "[\"\\u12\"]", "[\"\\u12g4\"]", "[\"\\ud800\"]",
    "[\"\\ud800\\u0041\"]", "[\"\\udc00\"]", "[\"\\u0000\"]",
    "[\"a\nb\"]", "[\"\x01\"]", "[\"\xff\"]", "[\"\xc0\xaf\"]",
    "[\"\xe0\x80\xaf\"]", "[\"\xed\xa0\x80\"]", "[\"\xf4\x90\x80\x80\"]",
    "[\"\xe2\x82\"]", "[\"abc", "[\"abc\\", "[\"\\u",
  };

  for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
    char **v = (char **) 1;
    int n = -1;
    dlnn_status st;
    dlnn_code ret = dlnn_json_parse_string_array (bad[i], &v, &n, &st);
    CHECK_MSG (ret == DLNN_ERR_FORMAT || ret == DLNN_ERR_UNSUPPORTED,
        "case %zu accepted", i);
    CHECK_MSG (strstr (st.message, "offset") != NULL, "case %zu: %s", i,
        st.message);
    CHECK (v == NULL && n == 0);
  }
  {
    char **v;
    int n;
    dlnn_status st;
    CHECK (dlnn_json_parse_string_array (NULL, &v, &n, &st) ==
        DLNN_ERR_INVALID);
  }
}

static void
test_string_array_format (void)
{
  const char *in[] = { "plain", "quote\" back\\ slash/", "\n\t\r\b\f",
    "\x01\x1f", "caf\xc3\xa9 \xf0\x9f\x98\x80", ""
  };
  char *s = dlnn_json_format_string_array (in, 6);
  char **v = NULL;
  int n = 0;
  dlnn_status st;

  CHECK (s != NULL);
  if (!s)
    return;
  /* control characters are escaped, UTF-8 passes through */
  CHECK (strchr (s, '\n') == NULL && strchr (s, '\x01') == NULL);
  CHECK (strstr (s, "\\u0001") && strstr (s, "\\u001f"));
  CHECK (strstr (s, "caf\xc3\xa9") != NULL);
  CHECK (strncmp (s, "[\"plain\", \"quote\\\" back\\\\", 24) == 0);
  CHECK_OK (dlnn_json_parse_string_array (s, &v, &n, &st), &st);
  CHECK (n == 6);
  for (int i = 0; i < n && i < 6; i++)
    CHECK_MSG (strcmp (v[i], in[i]) == 0, "item %d", i);
  dlnn_strv_free (v, n);
  free (s);

  s = dlnn_json_format_string_array (NULL, 0);
  CHECK (s && strcmp (s, "[]") == 0);
  free (s);
}

static void
test_number_object (void)
{
  char **k = NULL;
  double *v = NULL;
  int n = -1;
  dlnn_status st;

  CHECK_OK (dlnn_json_parse_number_object ("{\"test_accuracy\": 0.9312, "
          "\"b\":-2.5e-3,\"c\" : 0 , \"d\": 1E+2, \"\\u00e9\": -0.0, "
          "\"e\": 12345678901234567890}", &k, &v, &n, &st), &st);
  CHECK (n == 6);
  if (n == 6) {
    CHECK (strcmp (k[0], "test_accuracy") == 0 && v[0] == 0.9312);
    CHECK (strcmp (k[1], "b") == 0 && v[1] == -0.0025);
    CHECK (strcmp (k[2], "c") == 0 && v[2] == 0.0);
    CHECK (strcmp (k[3], "d") == 0 && v[3] == 100.0);
    CHECK (strcmp (k[4], "\xc3\xa9") == 0 && v[4] == 0.0);
    CHECK (v[5] == 12345678901234567890.0);
  }
  dlnn_strv_free (k, n);
  free (v);

  CHECK_OK (dlnn_json_parse_number_object (" { } ", &k, &v, &n, &st), &st);
  CHECK (n == 0);
  dlnn_strv_free (k, n);
  free (v);

  /* the C library's locale must not change how numbers read */
  if (setlocale (LC_NUMERIC, "de_DE.UTF-8")
      || setlocale (LC_NUMERIC, "fr_FR.UTF-8")) {
    CHECK_OK (dlnn_json_parse_number_object ("{\"a\": 0.5}", &k, &v, &n,
            &st), &st);
    CHECK (n == 1 && v[0] == 0.5);
    dlnn_strv_free (k, n);
    free (v);
    setlocale (LC_NUMERIC, "C");
  }
}

static void
test_number_object_errors (void)
{
  static const char *bad[] = {
    "", "{", "}", "[]", "{\"a\"}", "{\"a\":}", "{\"a\" 1}", "{a: 1}",
    "{\"a\": 01}", "{\"a\": 1.}", "{\"a\": .5}", "{\"a\": +1}",
    "{\"a\": 1e}", "{\"a\": -}", "{\"a\": \"x\"}", "{\"a\": true}",
    "{\"a\": null}", "{\"a\": 1e999}", "{\"a\": -1e400}", "{\"a\": NaN}",
    "{\"a\": 1,}", "{\"a\": 1 \"b\": 2}", "{\"a\": 1, \"a\": 2}",
    "{\"a\": 1} 2", "{\"a\": [1]}", "{\"a\": {\"b\": 1}}", "{\"a\": 0x10}",
  };

  for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
    char **k = (char **) 1;
    double *v = (double *) 1;
    int n = -1;
    dlnn_status st;
    dlnn_code ret = dlnn_json_parse_number_object (bad[i], &k, &v, &n, &st);
    CHECK_MSG (ret == DLNN_ERR_FORMAT, "case %zu (%s) gave %d", i, bad[i],
        ret);
    CHECK_MSG (strstr (st.message, "offset") != NULL, "case %zu: %s", i,
        st.message);
    CHECK (k == NULL && v == NULL && n == 0);
  }
}

/* Random garbage and random edits of valid texts: never a crash, and an
 * accepted text always gives well-formed output (run by hand under
 * valgrind for memory errors). */
static void
test_json_garbage (void)
{
  static const char *seeds[] = {
    "[\"a\", \"b\\u00e9\", \"\\ud83d\\ude00\"]",
    "{\"x\": 1.5e-3, \"y\": -2}",
  };
  const char alphabet[] = "[]{}\",:\\u0123456789abcdefABCDEF.eE+- \t\n";
  dlnn_rng r;
  char buf[128];

  dlnn_rng_seed (&r, 3);
  for (int iter = 0; iter < 20000; iter++) {
    size_t len;
    char **v = NULL, **k = NULL;
    double *d = NULL;
    int n = 0;
    dlnn_status st;

    if (iter % 2) {
      len = dlnn_rng_below (&r, sizeof (buf) - 1);
      for (size_t i = 0; i < len; i++)
        buf[i] = dlnn_rng_below (&r, 4) ? alphabet[dlnn_rng_below (&r,
                sizeof (alphabet) - 1)] : (char) (1 + dlnn_rng_below (&r,
                255));
    } else {
      const char *s = seeds[dlnn_rng_below (&r, 2)];
      len = strlen (s);
      memcpy (buf, s, len);
      for (int e = 0; e < 1 + (int) dlnn_rng_below (&r, 3); e++) {
        size_t pos = dlnn_rng_below (&r, (uint32_t) len);
        if (dlnn_rng_below (&r, 3) == 0)
          len = pos;            /* truncate */
        else
          buf[pos] = alphabet[dlnn_rng_below (&r, sizeof (alphabet) - 1)];
      }
    }
    buf[len] = '\0';
    if (dlnn_json_parse_string_array (buf, &v, &n, &st) == DLNN_OK) {
      for (int i = 0; i < n; i++)
        CHECK (v[i] != NULL);
      dlnn_strv_free (v, n);
    } else {
      CHECK (v == NULL && st.message[0]);
    }
    if (dlnn_json_parse_number_object (buf, &k, &d, &n, &st) == DLNN_OK) {
      for (int i = 0; i < n; i++)
        CHECK (k[i] != NULL && d[i] == d[i]);
      dlnn_strv_free (k, n);
      free (d);
    } else {
      CHECK (k == NULL && st.message[0]);
    }
  }
}

static void
write_file (const char *path, const char *data, size_t len)
{
  FILE *f = fopen (path, "wb");
  CHECK (f != NULL);
  if (!f)
    return;
  fwrite (data, 1, len, f);
  fclose (f);
}

static void
test_labels_file (void)
{
  char path[512];
  char **v = NULL;
  int n = 0;
  dlnn_status st;
  static const char text[] = "\xef\xbb\xbfT-shirt/top\r\nTrouser\n\n"
      "caf\xc3\xa9 au lait\n  spaced  \n\n\r\n\n";

  snprintf (path, sizeof (path), "%s/labels.txt", tmpdir);
  write_file (path, text, sizeof (text) - 1);
  CHECK_OK (dlnn_labels_read_file (path, &v, &n, &st), &st);
  CHECK (n == 5);
  if (n == 5) {
    CHECK (strcmp (v[0], "T-shirt/top") == 0);
    CHECK (strcmp (v[1], "Trouser") == 0);
    CHECK (strcmp (v[2], "") == 0);     /* inner empty line kept */
    CHECK (strcmp (v[3], "caf\xc3\xa9 au lait") == 0);
    CHECK (strcmp (v[4], "  spaced  ") == 0);
  }
  dlnn_strv_free (v, n);

  /* no final newline */
  write_file (path, "a\nb", 3);
  CHECK_OK (dlnn_labels_read_file (path, &v, &n, &st), &st);
  CHECK (n == 2 && strcmp (v[1], "b") == 0);
  dlnn_strv_free (v, n);

  write_file (path, "", 0);
  CHECK (dlnn_labels_read_file (path, &v, &n, &st) == DLNN_ERR_FORMAT);
  CHECK (strstr (st.message, path) != NULL);
  write_file (path, "\n\r\n\n", 4);
  CHECK (dlnn_labels_read_file (path, &v, &n, &st) == DLNN_ERR_FORMAT);
  write_file (path, "ok\nbad \xff\n", 9);
  CHECK (dlnn_labels_read_file (path, &v, &n, &st) == DLNN_ERR_FORMAT);
  CHECK_MSG (strstr (st.message, "line 2") != NULL, "%s", st.message);
  write_file (path, "a\0b\n", 4);
  CHECK (dlnn_labels_read_file (path, &v, &n, &st) == DLNN_ERR_FORMAT);
  CHECK (strstr (st.message, "NUL") != NULL);
  unlink (path);
  CHECK (dlnn_labels_read_file (path, &v, &n, &st) == DLNN_ERR_IO);
  CHECK (v == NULL && n == 0);
}

int
main (void)
{
  const char *base = getenv ("TMPDIR");
  snprintf (tmpdir, sizeof (tmpdir), "%s/dlnn-meta-XXXXXX",
      base && *base ? base : "/tmp");
  if (!mkdtemp (tmpdir)) {
    perror ("mkdtemp");
    return 1;
  }
  DLNN_RUN (test_string_array_parse);
  DLNN_RUN (test_string_array_errors);
  DLNN_RUN (test_string_array_format);
  DLNN_RUN (test_number_object);
  DLNN_RUN (test_number_object_errors);
  DLNN_RUN (test_json_garbage);
  DLNN_RUN (test_labels_file);
  rmdir (tmpdir);
  return dlnn_test_summary ();
}
