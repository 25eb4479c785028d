/* libdlnn - private: the optimizer state file format.
 *
 * All integers and floats little-endian:
 *   char[8]  magic "DLNNOPTS"
 *   u32      version (1)
 *   u32      optimizer kind (dlnn_optim_kind)
 *   u32      state slots per parameter element (0, 1 or 2)
 *   u32      parameter count P
 *   i64      steps taken
 *   P times: u32 name length L (1..4096), L bytes name, i64 element count
 *   f32[]    state, parameter after parameter, slots * count each
 *   u64      FNV-1a 64 of every byte before it
 * The reader loads the whole file (bounded), verifies the checksum and
 * then every length against what remains before using it. */
#ifndef DLNN_OPTIM_STATE_H
#define DLNN_OPTIM_STATE_H

#include <stdint.h>
#include <stddef.h>
#include "dlnn/status.h"

#define DLNN_OPTIM_STATE_MAGIC "DLNNOPTS"
#define DLNN_OPTIM_STATE_VERSION 1u

typedef struct dlnn_optim_state_writer
{
  uint8_t *buf;
  size_t len, cap;
  int failed;                   /* out of memory */
} dlnn_optim_state_writer;

void dlnn_optim_state_writer_init (dlnn_optim_state_writer * w);
void dlnn_optim_state_writer_clear (dlnn_optim_state_writer * w);
void dlnn_optim_state_put_header (dlnn_optim_state_writer * w,
    uint32_t kind, uint32_t slots, uint32_t n_params, int64_t steps);
void dlnn_optim_state_put_param (dlnn_optim_state_writer * w,
    const char *name, int64_t size);
void dlnn_optim_state_put_floats (dlnn_optim_state_writer * w,
    const float *v, int64_t n);
/* Appends the checksum and writes atomically (temporary file + rename). */
dlnn_code dlnn_optim_state_write_file (dlnn_optim_state_writer * w,
    const char *path, dlnn_status * st);

typedef struct dlnn_optim_state_reader
{
  uint8_t *buf;
  size_t len, pos;              /* len excludes the checksum */
  const char *path;
} dlnn_optim_state_reader;

dlnn_code dlnn_optim_state_read_file (dlnn_optim_state_reader * r,
    const char *path, dlnn_status * st);
void dlnn_optim_state_reader_clear (dlnn_optim_state_reader * r);
dlnn_code dlnn_optim_state_get_header (dlnn_optim_state_reader * r,
    uint32_t * kind, uint32_t * slots, uint32_t * n_params, int64_t * steps,
    dlnn_status * st);
/* Reads one parameter record and checks it names @name with @size. */
dlnn_code dlnn_optim_state_check_param (dlnn_optim_state_reader * r,
    const char *name, int64_t size, dlnn_status * st);
/* Reads exactly @n floats, which must be all that remains. */
dlnn_code dlnn_optim_state_get_floats (dlnn_optim_state_reader * r,
    float *v, int64_t n, dlnn_status * st);

#endif
