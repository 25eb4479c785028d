/* libdlnn - status codes and error messages.
 *
 * Every libdlnn function whose result depends on input data returns a
 * dlnn_code (DLNN_OK == 0 on success) and takes an optional dlnn_status*
 * (may be NULL) that receives a human-readable message on failure.
 * The library never aborts or exits on bad input. */
#ifndef DLNN_STATUS_H
#define DLNN_STATUS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define DLNN_API __attribute__ ((visibility ("default")))
#define DLNN_PRINTF(a, b) __attribute__ ((format (printf, a, b)))
#else
#define DLNN_API
#define DLNN_PRINTF(a, b)
#endif

typedef enum dlnn_code
{
  DLNN_OK = 0,
  DLNN_ERR_INVALID = -1,        /* bad argument or attribute */
  DLNN_ERR_IO = -2,             /* file could not be opened, read, written */
  DLNN_ERR_FORMAT = -3,         /* corrupt or truncated file */
  DLNN_ERR_UNSUPPORTED = -4,    /* unsupported op, attribute, type */
  DLNN_ERR_SHAPE = -5,          /* wrong or inconsistent shapes */
  DLNN_ERR_NOMEM = -6,          /* allocation failed or size absurd */
  DLNN_ERR_NUMERIC = -7,        /* NaN / Inf / divergence */
} dlnn_code;

#define DLNN_STATUS_MESSAGE_SIZE 512

typedef struct dlnn_status
{
  dlnn_code code;
  char message[DLNN_STATUS_MESSAGE_SIZE];
} dlnn_status;

/* Resets @st to DLNN_OK with an empty message. NULL-safe. */
DLNN_API void dlnn_status_clear (dlnn_status * st);

/* Sets code and printf-formatted message (if @st non-NULL); returns @code so
 * callers can write `return dlnn_status_set (st, DLNN_ERR_IO, "...")`. */
DLNN_API dlnn_code dlnn_status_set (dlnn_status * st, dlnn_code code,
    const char *fmt, ...) DLNN_PRINTF (3, 4);

/* Prepends "context: " to the existing message (keeps code). Returns code. */
DLNN_API dlnn_code dlnn_status_prefix (dlnn_status * st, const char *fmt, ...)
    DLNN_PRINTF (2, 3);

DLNN_API const char *dlnn_code_name (dlnn_code code);

#ifdef __cplusplus
}
#endif
#endif
