/*
 * A small fork-join pool: run fn(ctx, worker, task) for every task in
 * [0, ntasks) on up to nworkers threads, the calling thread being worker 0.
 *
 * Tasks are handed out one at a time from a shared counter, so uneven
 * tasks (a 2 GB file among small ones) do not leave threads idle.  Which
 * worker runs which task varies between runs: callers write each task's
 * result to its own slot and merge the slots in task order, so the outcome
 * does not depend on the number of threads.
 *
 * Ownership: nothing is allocated that outlives the call.
 */
#ifndef POOLTREND_WORKERS_H
#define POOLTREND_WORKERS_H

#include <stddef.h>

/* Upper bound on workers; more than the cores only adds switching. */
#define PT_MAX_WORKERS 256

typedef void (*pt_task_fn)(void *ctx, size_t worker, size_t task);

/*
 * Run every task and return when all are done.  nworkers is clamped to
 * [1, min(ntasks, PT_MAX_WORKERS)]; when a thread cannot be started the
 * threads that did start (at least the caller) run all the tasks.
 */
void pt_workers_run(size_t nworkers, size_t ntasks, pt_task_fn fn, void *ctx);

/* How many workers pt_workers_run uses for ntasks when asked for
 * requested (0: pt_workers_default()). */
size_t pt_workers_count(size_t requested, size_t ntasks);

/* The number of online CPUs, at least 1. */
size_t pt_workers_default(void);

#endif
