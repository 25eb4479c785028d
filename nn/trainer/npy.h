/* dltrain - NumPy .npy arrays of float32.
 *
 * The format (numpy.lib.format): the magic "\x93NUMPY", a major and a
 * minor version byte, the header length (uint16 little-endian for version
 * 1.0, uint32 for 2.0 and 3.0), then the header, a Python dict literal
 * such as
 *
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 224, 224), }
 *
 * padded with spaces and ended by '\n', then the data. Only C-order
 * little-endian float32 ('<f4') is read; other dtypes, fortran_order
 * True, unknown or missing keys, a header that does not parse, data that is
 * shorter or longer than the shape says, and shapes of more than
 * DLNN_MAX_DIMS dimensions are errors naming the file and the reason.
 * Arrays are written as version 1.0 with the header padded to a multiple
 * of 64 bytes, as numpy.save does. */
#ifndef DLTRAIN_NPY_H
#define DLTRAIN_NPY_H

#include <dlnn/dlnn.h>

/* Largest .npy file read. */
#define DT_NPY_MAX_FILE_SIZE ((size_t) 2 << 30)

typedef struct dt_npy
{
  int ndim;
  int64_t dims[DLNN_MAX_DIMS];
  int64_t size;                 /* elements; 1 for a 0-d array */
  float *data;                  /* malloc()ed, C order */
} dt_npy;

/* Parses a whole .npy file image; @name is used in messages. On success
 * @out owns its data (free with dt_npy_clear). */
dlnn_code dt_npy_parse (const void *buf, size_t len, const char *name,
    dt_npy * out, dlnn_status * st);
dlnn_code dt_npy_read (const char *path, dt_npy * out, dlnn_status * st);
/* Writes @data (C order, @ndim dims) as a version 1.0 .npy file,
 * atomically. */
dlnn_code dt_npy_write (const char *path, int ndim, const int64_t * dims,
    const float *data, dlnn_status * st);
void dt_npy_clear (dt_npy * a);         /* NULL-safe; frees data */

#endif
