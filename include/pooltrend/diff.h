/*
 * Diff: two snapshots side by side, the classic before/after comparison.
 *
 * Both sides are read together as one analysis (pt_analysis_run), so every
 * input variant, the timeline, reboot detection and 32-bit wrap undoing
 * work exactly as for the ranked report.  OLD is the earliest snapshot of
 * the OLD side, NEW the latest snapshot of the NEW side; with a single
 * operand, OLD and NEW are the first and the last snapshot of that set.
 *
 * Per (tag, pool) the diff gives both sides' Allocs, Frees, Diff, Bytes
 * and Per Alloc, and the changes.  A tag on one side only is "new" or
 * "gone" (the missing side counts as zero).  When the machine rebooted
 * between the two (they are in different boot epochs), Allocs and Frees
 * started over: their changes are unknown, never negative nonsense; Diff
 * and Bytes are levels, so their changes stay meaningful.
 *
 * The analysis is not scored (d->a.scores is NULL): a diff needs no
 * verdicts, and scoring is most of the time of a long series.
 *
 * Ownership: a struct pt_diff owns its analysis and rows; release it with
 * pt_diff_finish (also after a failed run).  pt_diff_rank returns a
 * malloc'd array the caller frees.  Operands and inputs are borrowed for
 * the duration of the call.
 */
#ifndef POOLTREND_DIFF_H
#define POOLTREND_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pooltrend/analysis.h"
#include "pooltrend/report.h"

#define PT_DIFF_SCHEMA_VERSION 1

enum pt_diff_status {
	PT_DIFF_BOTH,   /* in both snapshots */
	PT_DIFF_NEW,    /* only in NEW */
	PT_DIFF_GONE,   /* only in OLD */
};

/* "both", "new", "gone" */
const char *pt_diff_status_name(enum pt_diff_status s);

/* Why the Allocs and Frees changes of a row are known or not. */
enum pt_diff_counters {
	PT_COUNTERS_OK,      /* both sides in one boot epoch: exact changes */
	PT_COUNTERS_REBOOT,  /* a reboot between: counters started over */
	PT_COUNTERS_FELL,    /* this tag's counters fell without a reboot,
	                        or the tag is gone */
};

/* "ok", "reboot", "fell" */
const char *pt_diff_counters_name(enum pt_diff_counters c);

/* One side of a row as poolmon printed it (zeros when absent). */
struct pt_diff_values {
	int64_t allocs;      /* 0 .. 2^32-1, as printed */
	int64_t frees;
	int64_t diff;        /* outstanding allocations */
	int64_t bytes;
	int64_t per_alloc;   /* bytes / diff, bytes when diff is 0 */
};

struct pt_diff_row {
	size_t series;               /* index into a.ds.series */
	enum pt_diff_status status;
	struct pt_diff_values old, new;
	enum pt_diff_counters counters;
	int64_t allocs_change;       /* valid when counters == PT_COUNTERS_OK */
	int64_t frees_change;
	int64_t diff_change;
	int64_t bytes_change;
};

/* The total of one pool over every row of the diff. */
struct pt_diff_pool {
	size_t tags;                 /* rows of this pool */
	size_t new_tags;
	size_t gone_tags;
	int64_t old_bytes;
	int64_t new_bytes;
};

struct pt_diff {
	struct pt_analysis a;        /* both sides, read as one series */
	size_t old_snap, new_snap;   /* indexes into a.ds.snaps */
	bool reboot;                 /* different boot epochs */
	bool reversed;               /* NEW is dated before OLD */
	double hours;                /* NEW time minus OLD time; NAN when the
	                                time source is the index (no time) */
	struct pt_diff_row *rows;    /* every series present in OLD or NEW */
	size_t nrows;
	struct pt_diff_pool pools[PT_POOL_COUNT];
};

/*
 * Diff n operands (1 or 2; see pt_sources_expand for what an operand may
 * be).  Diagnostics of both sides, and the diff's own notes (a reboot
 * between, NEW older than OLD), are in d->a.diags.  False with err when
 * the analysis fails, a side has no snapshot, or a single set has fewer
 * than two snapshots.
 */
bool pt_diff_run(const char *const *operands, size_t n,
		const struct pt_analysis_opts *opts, struct pt_diff *d,
		struct pt_error *err);

/*
 * The same over inputs in memory: the first nold inputs are OLD, the rest
 * NEW; nold == 0 or nold == n means one set.  For tests and fuzzing.
 */
bool pt_diff_run_texts(const struct pt_input_text *inputs, size_t n,
		size_t nold, const struct pt_analysis_opts *opts, struct pt_diff *d,
		struct pt_error *err);

void pt_diff_finish(struct pt_diff *d);

/* Change in bytes per hour, NAN when the time between is unknown or not
 * positive. */
double pt_diff_rate(const struct pt_diff *d, int64_t change);

/*
 * The rows to report, in order, after the pool filter (not cut to top).
 * Every key sorts by the change of its column, largest increase first;
 * bytes (the default, also for growth and confidence) by the change in
 * bytes; tag by tag bytes.  Unknown changes (reboot) sort last.  Ties go
 * by tag, then pool.  *n receives the count; NULL when out of memory.
 */
size_t *pt_diff_rank(const struct pt_diff *d, enum pt_sort_key key,
		enum pt_pool_filter pool, size_t *n);

/*
 * Write the diff in o->format with o's sort key, pool filter, top, colour
 * and pooltag table (src/diff_report.c).  Text: a header, a total per
 * pool and an aligned table; JSON: the document of pooltrend(1) with
 * "schema_version" PT_DIFF_SCHEMA_VERSION; JSON Lines: its "tags" one a
 * line; CSV/TSV: one row per tag, text cells neutralised as in the ranked
 * report.  False with err when out of memory or on a write error.
 */
bool pt_diff_write(FILE *out, const struct pt_diff *d,
		const struct pt_report_opts *o, struct pt_error *err);

#endif
