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

/* Spins (with pause) for up to POOL_SPIN_NS while *v == old. */
#define POOL_SPIN_NS 200000
static void
spin_until_changed (const uint64_t * v, uint64_t old)
{
  struct timespec t0, t;

  clock_gettime (CLOCK_MONOTONIC, &t0);
  for (;;) {
    for (int i = 0; i < 256; i++) {
      if (__atomic_load_n (v, __ATOMIC_ACQUIRE) != old)
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
      spin_until_changed (&p->gen, seen);
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
  for (int i = 0; i < 20000
      && __atomic_load_n (&p->pending, __ATOMIC_ACQUIRE) > 0; i++) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause ();
#endif
  }
  pthread_mutex_lock (&p->lock);
  while (p->pending > 0)
    pthread_cond_wait (&p->done_cv, &p->lock);
  pthread_mutex_unlock (&p->lock);
  pthread_mutex_unlock (&p->busy);
}
