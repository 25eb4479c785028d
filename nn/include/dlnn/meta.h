/* libdlnn - the dl.* metadata_props values (see DESIGN.md).
 *
 * dl.labels      JSON array of strings: ["T-shirt/top", "Trouser", ...]
 * dl.thresholds  JSON object label -> number
 * dl.metrics     JSON object, e.g. {"test_accuracy": 0.9312}
 * dl.image       key=value;key=value (see image.h)
 * dl.provenance  free text / JSON object */
#ifndef DLNN_META_H
#define DLNN_META_H

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Parses a JSON array of strings. On success *out is a malloc()ed array of
 * *n malloc()ed UTF-8 strings (free with dlnn_strv_free). */
DLNN_API dlnn_code dlnn_json_parse_string_array (const char *json,
    char ***out, int *n, dlnn_status * st);
/* Formats strings as a JSON array (escaping as needed); malloc()ed. */
DLNN_API char *dlnn_json_format_string_array (const char *const *v, int n);
/* Parses a flat JSON object of string keys to numbers. */
DLNN_API dlnn_code dlnn_json_parse_number_object (const char *json,
    char ***keys, double **values, int *n, dlnn_status * st);
DLNN_API void dlnn_strv_free (char **v, int n);

/* Reads a labels file: one label per line (trailing CR/LF stripped, empty
 * trailing lines ignored). */
DLNN_API dlnn_code dlnn_labels_read_file (const char *path, char ***out,
    int *n, dlnn_status * st);

#ifdef __cplusplus
}
#endif
#endif
