/* libdlnn - private: a small persistent thread pool for the ops' own loops
 * (im2col, col2im, batch norm, activations, pooling...), libdlnn's own
 * GEMM and GEMV (OpenBLAS keeps its threads where it runs) and the steps
 * of a recurrence (dlnn_parallel_steps). */
#ifndef DLNN_OPS_PARALLEL_H
#define DLNN_OPS_PARALLEL_H

#include <stdint.h>

/* Minimum work (about one float read or written per unit) worth handing
 * to a thread: smaller loops run serially. */
#define DLNN_PAR_WORK 32768

typedef void (*dlnn_par_fn) (void *arg, int64_t begin, int64_t end);

/* Calls fn (arg, begin, end) on contiguous ranges covering [0, n), split
 * into at most dlnn_par_threads() ranges of at least @grain items; the
 * calling thread runs the first range and returns when all are done. Runs
 * serially (one call over [0, n)) when there is one thread, n < 2 * grain,
 * the pool is in use by another caller (or a nested call), or its threads
 * cannot be started. Workers are started on first use and live for the
 * rest of the process; they sleep while idle (after watching for the
 * next job for 30 us, except a worker on the last caller's CPU). The
 * caller waits for the workers without spinning when one of them shares
 * its CPU or was asleep and has not started (the cores busy with other
 * processes: two threads on one CPU must not spin for each other). */
void dlnn_parallel_for (int64_t n, int64_t grain, dlnn_par_fn fn, void *arg);

typedef void (*dlnn_step_fn) (void *arg, int64_t step, int part);

/* What dlnn_parallel_steps learnt about the jobs of one caller (a static
 * of the caller, zero-initialised), for the last DLNN_STEPS_KEYS keys
 * (non-zero, e.g. the job's size; a new key replaces the oldest): the
 * time per step with the parts on one thread and split. */
#define DLNN_STEPS_KEYS 4

typedef struct dlnn_steps_entry
{
  int64_t key;                  /* 0: free */
  int64_t ns[2];                /* per step: [0] one thread, [1] split */
  uint32_t jobs;
  uint32_t gap;                 /* jobs between runs of the slower way */
} dlnn_steps_entry;

typedef struct dlnn_steps_stat
{
  dlnn_steps_entry e[DLNN_STEPS_KEYS];  /* the last keys seen */
  uint32_t next;                /* entry replaced by a new key */
} dlnn_steps_stat;

/* Runs fn (arg, s, p) for every step s in [0, steps) in order and part
 * p in [0, parts): the parts of one step may run concurrently, each step
 * starts when every part of the step before it has returned (a
 * recurrence split over threads). The tasks (s, p) are taken in order
 * from a shared counter by the calling thread and up to parts - 1 pool
 * workers, so a worker that is late (asleep, descheduled, on the
 * caller's CPU) or absent (one thread, the pool busy) costs no wait: the
 * others take its tasks. A thread waits only for tasks of the previous
 * step that another thread has taken and is running.
 *
 * The hand-over between threads costs about 0.15 us a step when the
 * cores share a cache, several times that on some runs of a VM (the
 * vCPUs far apart on the host): @stat (may be NULL) keeps the time per
 * step of both ways for jobs of the same @key (one that sets their time
 * per step) and the job runs the faster; the slower is tried again after
 * 16 jobs, after twice as many each time it is still slower (up to
 * 1024). */
void dlnn_parallel_steps (int64_t steps, int parts, dlnn_step_fn fn,
    void *arg, dlnn_steps_stat * stat, int64_t key);

/* Inference and training runs in progress in the process (calls of
 * dlnn_exec_forward / dlnn_exec_backward, counted by exec.c). While more
 * than one runs (two elements of a pipeline inferring at once, each in
 * its streaming thread), dlnn_parallel_for and dlnn_parallel_steps run
 * serially in their callers' threads: each run then keeps one core
 * busy, instead of the pool's run taking both cores while the other
 * runs alone beside them (two mobilenet_v2 dlclassify elements at
 * threads=2 on the 2-core target: 1.58 s for 300 frames, 1.25 s at
 * threads=1). */
void dlnn_par_run_enter (void);
void dlnn_par_run_leave (void);
/* Threads to split work over now: 1 while other runs are in progress,
 * else dlnn_get_threads () (the GEMM's row splits and the Winograd parts
 * are sized with it: splitting work that will run serially only repeats
 * the packing). */
int dlnn_par_threads (void);

#endif
