/* libdlnn - private: parsing helpers for the key=value;... metadata
 * grammars (nn/src/kv.c). Each parser returns 0 on success, -1 if @s is
 * not entirely a valid value. */
#ifndef DLNN_KV_H
#define DLNN_KV_H

#include <stddef.h>

/* strtof in the C locale, whole string, finite. */
int dlnn_kv_parse_float (const char *s, float *out);
/* Decimal digits only, at most 1e9. */
int dlnn_kv_parse_int (const char *s, int *out);
/* Index of @s in @names[0..n), or -1. */
int dlnn_kv_parse_enum (const char *s, const char *const *names, int n);
/* Shortest %.Ng (N = 6..9) that reads back to @v, in the C locale. */
void dlnn_kv_format_float (char *buf, size_t size, float v);

#endif
