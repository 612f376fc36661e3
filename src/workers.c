#include "workers.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

struct job {
	pt_task_fn fn;
	void *ctx;
	size_t ntasks;
	atomic_size_t next;
};

struct worker {
	struct job *job;
	size_t id;
	pthread_t thread;
};

static void
drain(struct job *job, size_t id)
{
	for (;;) {
		size_t t = atomic_fetch_add(&job->next, 1);
		if (t >= job->ntasks)
			return;
		job->fn(job->ctx, id, t);
	}
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	drain(w->job, w->id);
	return NULL;
}

void
pt_workers_run(size_t nworkers, size_t ntasks, pt_task_fn fn, void *ctx)
{
	struct job job = { .fn = fn, .ctx = ctx, .ntasks = ntasks };
	atomic_init(&job.next, 0);
	if (nworkers > ntasks)
		nworkers = ntasks;
	if (nworkers > PT_MAX_WORKERS)
		nworkers = PT_MAX_WORKERS;
	struct worker w[PT_MAX_WORKERS];
	size_t started = 1;
	for (size_t i = 1; i < nworkers; i++) {
		w[started] = (struct worker){ .job = &job, .id = started };
		if (pthread_create(&w[started].thread, NULL, worker_main,
				&w[started]) != 0)
			break;
		started++;
	}
	drain(&job, 0);
	for (size_t i = 1; i < started; i++)
		pthread_join(w[i].thread, NULL);
}

size_t
pt_workers_default(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		return 1;
	return n > PT_MAX_WORKERS ? PT_MAX_WORKERS : (size_t)n;
}

size_t
pt_workers_count(size_t requested, size_t ntasks)
{
	size_t n = requested ? requested : pt_workers_default();
	if (n > PT_MAX_WORKERS)
		n = PT_MAX_WORKERS;
	return n < ntasks ? n : (ntasks ? ntasks : 1);
}
