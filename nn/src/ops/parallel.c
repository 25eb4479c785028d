/* libdlnn - thread pool for the ops (see parallel.h). */
#include "parallel.h"
#include "dlnn/exec.h"

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#define POOL_MAX_THREADS 64

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
  uint64_t birth_gen[POOL_MAX_THREADS];       /* gen when worker started */
} pool;

static pool the_pool = {
  PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
  PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, NULL, NULL, 0, 0,
  0, {0}
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

    if (p->gen == seen) {
      /* the next job usually follows within microseconds (the next op):
       * watch for it a while before sleeping, as waking a sleeping CPU
       * (an idle vCPU in a VM above all) can take far longer than the
       * job */
      pthread_mutex_unlock (&p->lock);
      spin_wait (&p->gen, seen, 1);
      pthread_mutex_lock (&p->lock);
    }
    while (p->gen == seen)
      pthread_cond_wait (&p->work_cv, &p->lock);
    seen = p->gen;
    if (id >= p->parts)
      continue;
    fn = p->fn;
    arg = p->arg;
    n = p->n;
    parts = p->parts;
    pthread_mutex_unlock (&p->lock);
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

void
dlnn_parallel_for (int64_t n, int64_t grain, dlnn_par_fn fn, void *arg)
{
  pool *p = &the_pool;
  int threads = dlnn_get_threads ();
  int64_t parts;

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
  __atomic_store_n (&p->pending, (int) parts - 1, __ATOMIC_RELAXED);
  __atomic_add_fetch (&p->gen, 1, __ATOMIC_RELEASE);
  pthread_cond_broadcast (&p->work_cv);
  pthread_mutex_unlock (&p->lock);

  fn (arg, 0, n / parts);

  /* the workers usually finish about when the caller does */
  spin_wait (&p->pending, 0, 0);
  pthread_mutex_lock (&p->lock);
  while (p->pending > 0)
    pthread_cond_wait (&p->done_cv, &p->lock);
  pthread_mutex_unlock (&p->lock);
  pthread_mutex_unlock (&p->busy);
}
