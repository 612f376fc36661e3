/*
 * The CI gate: which series make a build fail, and why.
 *
 * A series trips the gate when its verdict is at least --fail-on
 * (possible when only --fail-above is given) and, with --fail-above, it
 * grows faster than that rate.  With a baseline (an earlier pooltrend JSON
 * report of a known-good run) a tripping series counts only when it is new
 * or worse than it was there: absent from the baseline, not tripping there,
 * a higher verdict, or growth clearly faster (more than 1.5 times the
 * baseline's and above the upper end of its 95% interval).  Series that
 * trip but are no worse are "held": listed, not counted.
 *
 * Ownership: pt_baseline_load/parse return a baseline freed with
 * pt_baseline_destroy.  pt_gate_check fills a caller-owned struct pt_gate
 * released with pt_gate_finish; the analysis and baseline are borrowed.
 */
#ifndef POOLTREND_GATE_H
#define POOLTREND_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pooltrend/analysis.h"
#include "pooltrend/diag.h"
#include "pooltrend/report.h"

/*
 * A pooltrend report of one machine is a few MB; cJSON needs about ten
 * times a file's size, so these bound the memory a baseline can take.
 */
#define PT_BASELINE_MAX_BYTES ((size_t)32 << 20)
#define PT_BASELINE_MAX_TAGS 1000000

/* Growth must exceed the baseline's by this factor to count as worse. */
#define PT_GATE_WORSE_FACTOR 1.5

struct pt_baseline;

/*
 * Parse a pooltrend JSON report (schema_version 1).  NULL with err
 * (err->line set for JSON syntax errors) when the text is not such a
 * report or memory ran out.
 */
struct pt_baseline *pt_baseline_parse(const char *text, size_t len,
		struct pt_error *err);

/* Read, decode (a BOM or UTF-16 is fine) and parse the report at path. */
struct pt_baseline *pt_baseline_load(const char *path, struct pt_error *err);

void pt_baseline_destroy(struct pt_baseline *b);

/* Series in the baseline. */
size_t pt_baseline_count(const struct pt_baseline *b);

/*
 * True when the report listed fewer tags than its pool filter let through
 * (it was written with --top): tags missing from it count as new.
 */
bool pt_baseline_partial(const struct pt_baseline *b);

/*
 * False when the report was written with a --pool filter that leaves out
 * a pool the gated run reports (series of that pool then count as new).
 * Reports from before the "pool_filter" field count as "all".
 */
bool pt_baseline_covers(const struct pt_baseline *b, enum pt_pool_filter now);

/*
 * A growth rate in bytes per hour: a number with an optional binary unit
 * (B, K/KB, M/MB, G/GB; case ignored) and an optional "/h" or "/d"
 * ("/day"): "50000", "100KB/h", "2MB/d".  False when s is not one, is
 * negative or is not finite.
 */
bool pt_rate_parse(const char *s, double *bytes_per_hour);

struct pt_gate_opts {
	bool use_verdict;             /* --fail-on given */
	enum pt_verdict fail_on;
	bool use_rate;                /* --fail-above given */
	double fail_above_bph;
	const char *fail_above_text;  /* the rate as the user wrote it, or NULL */
	const struct pt_baseline *baseline; /* or NULL */
	const char *baseline_name;    /* its file name, for reports */
	enum pt_pool_filter pool;     /* only series the report shows */
};

enum pt_gate_change {
	PT_CHANGE_NONE,               /* no baseline: every tripping series counts */
	PT_CHANGE_NEW,                /* not in the baseline */
	PT_CHANGE_NOW_TRIPS,          /* in the baseline, did not trip there */
	PT_CHANGE_VERDICT_UP,         /* a higher verdict than in the baseline */
	PT_CHANGE_FASTER,             /* growth clearly faster */
	PT_CHANGE_NO_WORSE,           /* tripped in the baseline too: held */
};

struct pt_gate_hit {
	size_t series;
	enum pt_verdict verdict;
	bool has_growth;
	double growth_bph;            /* 0 when no growth was measured */
	enum pt_gate_change change;
	bool counts;                  /* false for held series */
	bool in_baseline;
	enum pt_verdict base_verdict;
	bool base_has_growth;
	double base_growth_bph;
	char reason[200];             /* one line, plain ASCII, tag not included */
};

struct pt_gate {
	struct pt_gate_opts opts;     /* as given to pt_gate_check */
	bool tripped;                 /* at least one hit counts */
	size_t counted;
	size_t n;
	struct pt_gate_hit *hits;     /* counted hits first, then held ones; each worst first */
};

/* Evaluate the gate over every series.  False only when out of memory. */
bool pt_gate_check(const struct pt_analysis *a, const struct pt_gate_opts *o,
		struct pt_gate *out, struct pt_error *err);

void pt_gate_finish(struct pt_gate *g);

/* "new", "now-trips", "verdict-up", "faster", "no-worse" or "none". */
const char *pt_gate_change_name(enum pt_gate_change c);

#endif
