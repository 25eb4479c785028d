/* libdlnn - private: helpers shared by json.c and labels.c. */
#ifndef DLNN_META_PRIVATE_H
#define DLNN_META_PRIVATE_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s[0..len) (1-4), or 0 if it is
 * not valid UTF-8 (overlong forms, surrogates and values above U+10FFFF
 * are invalid). */
size_t dlnn_utf8_seq_len (const unsigned char *s, size_t len);

/* Offset of the first invalid byte of s[0..len), or len if all valid. */
size_t dlnn_utf8_check (const char *s, size_t len);

#endif
