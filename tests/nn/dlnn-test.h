/* Minimal test helpers for the nn unit tests (plain C, no GLib).
 * Each test binary: define test functions, list them in main with
 * DLNN_RUN (fn), end with `return dlnn_test_summary ();`. */
#ifndef DLNN_TEST_H
#define DLNN_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int dlnn_test_failures_in_case;
static int dlnn_test_passed, dlnn_test_failed;

#define CHECK(cond) do { if (!(cond)) { \
      fprintf (stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      dlnn_test_failures_in_case++; } } while (0)

#define CHECK_MSG(cond, ...) do { if (!(cond)) { \
      fprintf (stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
      fprintf (stderr, __VA_ARGS__); fputc ('\n', stderr); \
      dlnn_test_failures_in_case++; } } while (0)

#define CHECK_OK(expr, st) do { dlnn_code c_ = (expr); if (c_ != DLNN_OK) { \
      fprintf (stderr, "%s:%d: %s returned %d: %s\n", __FILE__, __LINE__, \
          #expr, (int) c_, (st)->message); dlnn_test_failures_in_case++; } \
    } while (0)

#define CHECK_CLOSE(a, b, tol) do { double a_ = (a), b_ = (b); \
    if (!(fabs (a_ - b_) <= (tol))) { \
      fprintf (stderr, "%s:%d: %s = %g, %s = %g, |diff| %g > %g\n", __FILE__, \
          __LINE__, #a, a_, #b, b_, fabs (a_ - b_), (double) (tol)); \
      dlnn_test_failures_in_case++; } } while (0)

#define DLNN_RUN(fn) do { dlnn_test_failures_in_case = 0; fn (); \
    if (dlnn_test_failures_in_case) { dlnn_test_failed++; \
      fprintf (stderr, "FAIL %s\n", #fn); } \
    else { dlnn_test_passed++; fprintf (stderr, "ok   %s\n", #fn); } } while (0)

static inline int
dlnn_test_summary (void)
{
  printf ("%d passed, %d failed\n", dlnn_test_passed, dlnn_test_failed);
  return dlnn_test_failed ? 1 : 0;
}

#endif
