/* libdlnn - thread pool for the ops (see parallel.h). */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE             /* sched_getcpu */
#endif
#include "parallel.h"
#include "dlnn/exec.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#define POOL_MAX_THREADS 64

/* The CPU the calling thread runs on, -1 if unknown. Two of the pool's
 * threads on one CPU (the other cores busy with other processes) must not
 * spin for each other: the one spinning holds the CPU the other needs. */
static int
current_cpu (void)
{
#ifdef __linux__
  return sched_getcpu ();
#else
  return -1;
#endif
}

static int
same_cpu (int a, int b)
{
  return a >= 0 && a == b;
}

typedef struct pool
{
  pthread_mutex_t busy;         /* held by the dispatching caller */
  pthread_mutex_t lock;         /* protects the fields below */
  pthread_cond_t work_cv, done_cv;
  int n_workers;
  uint64_t gen;
  dlnn_par_fn fn;
  void *arg;
  int64_t n;
  int parts;
  int pending;
  int caller_cpu;               /* of the dispatching caller (atomic) */
  int started;                  /* workers that took the job (atomic) */
  int crowded;                  /* one of them on caller_cpu (atomic) */
  int sleepers;                 /* workers in pthread_cond_wait */
  uint64_t birth_gen[POOL_MAX_THREADS];       /* gen when worker started */
} pool;

static pool the_pool = {
  PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
  PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, NULL, NULL, 0, 0,
  0, -1, 0, 0, 0, {0}
};

/* Waits up to POOL_SPIN_NS while *v == old (a uint64_t, @wide) or
 * while *v > 0 (an int, !@wide), without sleeping. Consecutive ops'
 * jobs follow each other within microseconds, and waking a sleeping
 * thread on an idle CPU (an idle vCPU above all) takes far longer than
 * many jobs: mobilenet_v2 / resnet18 / squeezenet1_1 at 2 threads, idle
 * machine (dlnn_bench --threads 2): 7.9 / 15.5 / 4.7 ms median without
 * the wait, 3.0 / 10.4 / 3.0 ms with 30 us (200 us: no better). Longer
 * waits cost on a busy machine: a thread that spins instead of sleeping
 * loses the scheduler's wake-up preference over other processes (with two
 * `yes` hogs: 21.8 / 60.0 ms without the wait, 28.1 / 76.0 ms with 30 us,
 * 86.2 / 144.8 ms with 200 us; sched_yield () in the loop: 200 / 420 ms).
 */
#define POOL_SPIN_NS 30000
static void
spin_wait (const void *v, uint64_t old, int wide)
{
  struct timespec t0, t;

  clock_gettime (CLOCK_MONOTONIC, &t0);
  for (;;) {
    for (int i = 0; i < 64; i++) {
      if (wide ? __atomic_load_n ((const uint64_t *) v, __ATOMIC_ACQUIRE)
          != old : __atomic_load_n ((const int *) v, __ATOMIC_ACQUIRE) <= 0)
        return;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause ();
#endif
    }
    clock_gettime (CLOCK_MONOTONIC, &t);
    if ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec)
        > POOL_SPIN_NS)
      return;
  }
}

static void *
worker_main (void *data)
{
  pool *p = &the_pool;
  int id = (int) (intptr_t) data;
  uint64_t seen;

  pthread_mutex_lock (&p->lock);
  /* a job dispatched right after this worker was created is not missed */
  seen = p->birth_gen[id];
  for (;;) {
    dlnn_par_fn fn;
    void *arg;
    int64_t n;
    int parts;

    if (p->gen == seen && !same_cpu (current_cpu (),
            __atomic_load_n (&p->caller_cpu, __ATOMIC_RELAXED))) {
      /* the next job usually follows within microseconds (the next op):
       * watch for it a while before sleeping, as waking a sleeping CPU
       * (an idle vCPU in a VM above all) can take far longer than the
       * job */
      pthread_mutex_unlock (&p->lock);
      spin_wait (&p->gen, seen, 1);
      pthread_mutex_lock (&p->lock);
    }
    while (p->gen == seen) {
      p->sleepers++;
      pthread_cond_wait (&p->work_cv, &p->lock);
      p->sleepers--;
    }
    seen = p->gen;
    if (id >= p->parts)
      continue;
    fn = p->fn;
    arg = p->arg;
    n = p->n;
    parts = p->parts;
    pthread_mutex_unlock (&p->lock);
    if (same_cpu (current_cpu (), __atomic_load_n (&p->caller_cpu,
                __ATOMIC_RELAXED)))
      __atomic_store_n (&p->crowded, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch (&p->started, 1, __ATOMIC_RELEASE);
    fn (arg, n * id / parts, n * (id + 1) / parts);
    pthread_mutex_lock (&p->lock);
    if (__atomic_sub_fetch (&p->pending, 1, __ATOMIC_RELEASE) == 0)
      pthread_cond_signal (&p->done_cv);
  }
  return NULL;
}

/* Starts workers 1..want-1 as needed (p->lock held). Returns how many
 * parts can run. */
static int
ensure_workers (pool * p, int want)
{
  while (p->n_workers + 1 < want) {
    pthread_t t;
    pthread_attr_t attr;
    int ok;

    if (pthread_attr_init (&attr) != 0)
      break;
    p->birth_gen[p->n_workers + 1] = p->gen;
    pthread_attr_setdetachstate (&attr, PTHREAD_CREATE_DETACHED);
    ok = pthread_create (&t, &attr, worker_main,
        (void *) (intptr_t) (p->n_workers + 1)) == 0;
    pthread_attr_destroy (&attr);
    if (!ok)
      break;
    p->n_workers++;
  }
  return p->n_workers + 1 < want ? p->n_workers + 1 : want;
}

static atomic_int runs;

void
dlnn_par_run_enter (void)
{
  atomic_fetch_add_explicit (&runs, 1, memory_order_relaxed);
}

void
dlnn_par_run_leave (void)
{
  atomic_fetch_sub_explicit (&runs, 1, memory_order_relaxed);
}

int
dlnn_par_threads (void)
{
  return atomic_load_explicit (&runs, memory_order_relaxed) > 1 ? 1
      : dlnn_get_threads ();
}

void
dlnn_parallel_for (int64_t n, int64_t grain, dlnn_par_fn fn, void *arg)
{
  pool *p = &the_pool;
  int threads = dlnn_par_threads ();
  int64_t parts;
  int woken;

  if (n <= 0)
    return;
  if (grain < 1)
    grain = 1;
  parts = n / grain;
  if (parts > threads)
    parts = threads;
  if (parts > POOL_MAX_THREADS)
    parts = POOL_MAX_THREADS;
  if (parts < 2 || pthread_mutex_trylock (&p->busy) != 0) {
    fn (arg, 0, n);
    return;
  }
  pthread_mutex_lock (&p->lock);
  parts = ensure_workers (p, (int) parts);
  woken = p->sleepers > 0;
  if (parts < 2) {
    pthread_mutex_unlock (&p->lock);
    pthread_mutex_unlock (&p->busy);
    fn (arg, 0, n);
    return;
  }
  p->fn = fn;
  p->arg = arg;
  p->n = n;
  p->parts = (int) parts;
  __atomic_store_n (&p->caller_cpu, current_cpu (), __ATOMIC_RELAXED);
  __atomic_store_n (&p->started, 0, __ATOMIC_RELAXED);
  __atomic_store_n (&p->crowded, 0, __ATOMIC_RELAXED);
  __atomic_store_n (&p->pending, (int) parts - 1, __ATOMIC_RELAXED);
  __atomic_add_fetch (&p->gen, 1, __ATOMIC_RELEASE);
  pthread_cond_broadcast (&p->work_cv);
  pthread_mutex_unlock (&p->lock);

  fn (arg, 0, n / parts);

  /* the workers usually finish about when the caller does; but a worker
   * on the caller's CPU cannot run while the caller spins: not when one
   * has that CPU, nor when one had to be woken (it may have been placed
   * there) and has not started yet */
  if (!__atomic_load_n (&p->crowded, __ATOMIC_RELAXED) && (!woken
          || __atomic_load_n (&p->started, __ATOMIC_ACQUIRE) == (int) parts
          - 1))
    spin_wait (&p->pending, 0, 0);
  pthread_mutex_lock (&p->lock);
  while (p->pending > 0)
    pthread_cond_wait (&p->done_cv, &p->lock);
  pthread_mutex_unlock (&p->lock);
  pthread_mutex_unlock (&p->busy);
}

typedef struct steps_job
{
  dlnn_step_fn fn;
  void *arg;
  int64_t total;                /* steps * parts */
  int parts;
  int caller_cpu;               /* (atomic) */
  int64_t ticket __attribute__((aligned (64)));     /* next task */
  int64_t done __attribute__((aligned (64)));       /* tasks finished */
} steps_job;

/* A task of the step before takes about a microsecond: waiting longer
 * means its thread was preempted */
#define STEPS_SPIN_NS 5000

/* Waits until j->done >= want: the tasks still missing were taken by
 * threads that run them, so this is short unless one was preempted; then
 * give the CPU up now and then (it may be the one that thread needs). */
static void
steps_wait (steps_job * j, int64_t want)
{
  struct timespec t0, t;
  int spins = 0;

  if (__atomic_load_n (&j->done, __ATOMIC_ACQUIRE) >= want)
    return;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  while (__atomic_load_n (&j->done, __ATOMIC_ACQUIRE) < want) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause ();
#endif
    if (++spins % 64 == 0) {
      clock_gettime (CLOCK_MONOTONIC, &t);
      if ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec)
          > STEPS_SPIN_NS)
        sched_yield ();
    }
  }
}

static void
steps_run (void *arg, int64_t begin, int64_t end)
{
  steps_job *j = arg;

  for (;;) {
    int64_t id;
    int cpu = current_cpu ();

    /* a worker on the caller's CPU leaves the tasks to the caller */
    if (begin == 0)
      __atomic_store_n (&j->caller_cpu, cpu, __ATOMIC_RELAXED);
    else if (same_cpu (cpu, __atomic_load_n (&j->caller_cpu,
                __ATOMIC_RELAXED)))
      break;
    id = __atomic_fetch_add (&j->ticket, 1, __ATOMIC_RELAXED);
    if (id >= j->total)
      break;
    /* every part of the step before */
    steps_wait (j, id / j->parts * j->parts);
    j->fn (j->arg, id / j->parts, (int) (id % j->parts));
    __atomic_fetch_add (&j->done, 1, __ATOMIC_RELEASE);
  }
}

/* Jobs between two runs of the slower way (dlnn_steps_stat) */
#define STEPS_GAP_MIN 16
#define STEPS_GAP_MAX 1024

static int64_t
now_ns (void)
{
  struct timespec t;

  clock_gettime (CLOCK_MONOTONIC, &t);
  return (int64_t) t.tv_sec * 1000000000 + t.tv_nsec;
}

/* The entry of @key in @stat, taken over from the oldest key if new */
static dlnn_steps_entry *
steps_entry (dlnn_steps_stat * stat, int64_t key)
{
  dlnn_steps_entry *e;

  for (int i = 0; i < DLNN_STEPS_KEYS; i++)
    if (__atomic_load_n (&stat->e[i].key, __ATOMIC_RELAXED) == key)
      return &stat->e[i];
  e = &stat->e[__atomic_fetch_add (&stat->next, 1, __ATOMIC_RELAXED)
      % DLNN_STEPS_KEYS];
  __atomic_store_n (&e->ns[0], 0, __ATOMIC_RELAXED);
  __atomic_store_n (&e->ns[1], 0, __ATOMIC_RELAXED);
  __atomic_store_n (&e->gap, STEPS_GAP_MIN, __ATOMIC_RELAXED);
  __atomic_store_n (&e->key, key, __ATOMIC_RELAXED);
  return e;
}

/* Which way the next job of @e runs: 1 split; *probe set when it runs
 * the slower way to measure it again (every e->gap jobs) */
static int
steps_choose (dlnn_steps_entry * e, int *probe)
{
  int64_t serial = __atomic_load_n (&e->ns[0], __ATOMIC_RELAXED);
  int64_t split = __atomic_load_n (&e->ns[1], __ATOMIC_RELAXED);
  uint32_t jobs = __atomic_add_fetch (&e->jobs, 1, __ATOMIC_RELAXED);
  uint32_t gap = __atomic_load_n (&e->gap, __ATOMIC_RELAXED);

  *probe = 0;
  if (!split || !serial)
    return !split;
  *probe = gap > 0 && jobs % gap == 0;
  return *probe ^ (split < serial);
}

/* Folds the time per step @ns of a job run @way into @e; a probe that
 * found the slower way still slower doubles the gap to the next one, one
 * that found it faster brings the gap back to STEPS_GAP_MIN */
static void
steps_record (dlnn_steps_entry * e, int way, int probe, int64_t ns)
{
  int64_t old = __atomic_load_n (&e->ns[way], __ATOMIC_RELAXED);
  int64_t other = __atomic_load_n (&e->ns[!way], __ATOMIC_RELAXED);
  uint32_t gap = __atomic_load_n (&e->gap, __ATOMIC_RELAXED);

  if (ns < 1)
    ns = 1;
  if (probe) {
    gap = ns < other ? STEPS_GAP_MIN : gap < STEPS_GAP_MAX ? 2 * gap : gap;
    __atomic_store_n (&e->gap, gap, __ATOMIC_RELAXED);
    /* one probe's time replaces the old estimate of its way */
    __atomic_store_n (&e->ns[way], ns, __ATOMIC_RELAXED);
    return;
  }
  __atomic_store_n (&e->ns[way], old ? (3 * old + ns) / 4 : ns,
      __ATOMIC_RELAXED);
}

void
dlnn_parallel_steps (int64_t steps, int parts, dlnn_step_fn fn, void *arg,
    dlnn_steps_stat * stat, int64_t key)
{
  steps_job j;
  int threads = dlnn_par_threads (), split = parts > 1 && threads > 1;
  int probe = 0;
  dlnn_steps_entry *e = stat && split ? steps_entry (stat, key) : NULL;
  int64_t t0;

  if (steps <= 0 || parts < 1)
    return;
  if (e)
    split = steps_choose (e, &probe);
  t0 = e ? now_ns () : 0;
  if (!split) {
    for (int64_t s = 0; s < steps; s++)
      for (int q = 0; q < parts; q++)
        fn (arg, s, q);
  } else {
    j.fn = fn;
    j.arg = arg;
    j.total = steps * parts;
    j.parts = parts;
    j.caller_cpu = current_cpu ();
    j.ticket = 0;
    j.done = 0;
    /* one range per thread: each runs steps_run until the tasks are gone */
    dlnn_parallel_for (parts < threads ? parts : threads, 1, steps_run, &j);
  }
  if (e)
    steps_record (e, split, probe, (now_ns () - t0) / steps);
}
