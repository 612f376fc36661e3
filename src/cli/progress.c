/*
 * Progress on standard error while input files are read: a line rewritten
 * in place on a terminal, rate-limited, and cleared when reading is done,
 * so nothing of it is left between the messages and the report.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* Short runs show nothing in auto mode; updates come at most this often. */
#define PROGRESS_DELAY_MS 250
#define PROGRESS_TTY_EVERY_MS 100
#define PROGRESS_LOG_EVERY_MS 1000

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
progress_start(struct progress *p, enum when mode, bool quiet)
{
	memset(p, 0, sizeof(*p));
	p->tty = isatty(STDERR_FILENO);
	p->on = mode == WHEN_ALWAYS ||
		(mode == WHEN_AUTO && p->tty && !quiet);
	p->started_ms = now_ms();
	/* "always" shows the first update at once. */
	p->last_ms = mode == WHEN_ALWAYS ? INT64_MIN / 2 :
		p->started_ms + PROGRESS_DELAY_MS - PROGRESS_TTY_EVERY_MS;
}

void
progress_update(void *ctx, size_t done, size_t total)
{
	struct progress *p = ctx;
	if (!p->on)
		return;
	if (done >= total) {
		/* The last worker and the loader both report a round's end. */
		if (p->finished)
			return;
		p->finished = true;
		/* A terminal gets its line back; a log keeps the final count. */
		if (p->shown && p->tty)
			fputs("\r\033[K", stderr);
		else if (!p->tty)
			fprintf(stderr, "pooltrend: reading files: %zu/%zu (100%%)\n",
				total, total);
		p->shown = false;
		return;
	}
	p->finished = false;     /* a new round (the second read) */
	int64_t t = now_ms();
	int64_t every = p->tty ? PROGRESS_TTY_EVERY_MS : PROGRESS_LOG_EVERY_MS;
	if (t - p->last_ms < every)
		return;
	p->last_ms = t;
	p->shown = true;
	fprintf(stderr, "%spooltrend: reading files: %zu/%zu (%zu%%)%s",
		p->tty ? "\r" : "", done, total, total ? 100 * done / total : 0,
		p->tty ? "\033[K" : "\n");
	(void)fflush(stderr);
}
