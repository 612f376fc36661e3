/*
 * Leak scoring: one explained verdict per (tag, pool) series.
 *
 * "A leak never gives memory back; load-driven usage falls when the load
 * falls."  The score combines, per boot epoch (no statistic ever compares
 * samples across a reboot):
 *   - trend: seasonal Mann-Kendall Z of Bytes over the epochs (Hirsch-Slack:
 *     S and Var(S) summed over epochs), tie-corrected, each epoch's Var(S)
 *     scaled by the Hamed-Rao factor of its detrended ranks (3 lags);
 *   - floor retention: the rise of block floors (10th percentile of equal-
 *     count blocks) kept at the end, relative to the range of block medians,
 *     summed over the epochs (so weighted by how far each moved);
 *   - signal to noise: that rise against the tag's own noise (MAD of the
 *     differences) and never less than one allocation;
 *   - give-back: sum of floor falls over sum of floor rises, a gate: 0 for a
 *     ratchet, near 1 for usage that comes and goes (the current epoch's
 *     floors load-adjusted, below);
 *   - recent trend: Mann-Kendall over the second half of the last epoch, a
 *     gate against caches that grew once and stopped;
 *   - within-shift trend: Mann-Kendall inside the two segments around the
 *     best single mean shift, the largest over the epochs (a staircase a
 *     reboot freed keeps its earlier steps), a gate against one-time level
 *     shifts;
 *   - saturation: the Theil-Sen slope of the last third over the first
 *     (over group medians), a gate against warm-up caches that level off;
 *     a busy tag's also with the machine's load taken out instead of its
 *     own turnover divided out, the larger of the two;
 *   - largest step: the share of the floor rise made in one block step, a
 *     second gate against level shifts;
 *   - level-shift rise: around each epoch's best mean shift, the rise of
 *     the two segments' own robust lines over that rise plus the jump
 *     between the lines at the split, pooled over the epochs: near 1 for a
 *     leak, near 0 for a shift (a third gate against them);
 *   - early rise: where the last epoch's high-water mark reached half of
 *     its rise, a support that at most halves: a cache that filled early;
 *   - load check: the slope of the load-adjusted Bytes over the slope of
 *     Bytes, a gate: usage that follows its own turnover keeps none;
 *   - current growth: the Theil-Sen slope of the last epoch must be up (1
 *     when its 95% interval is above zero, 0.5 when only the slope is),
 *     or that of the load-adjusted Bytes (1 when Bytes do not fall, else
 *     0.5 to 1 as it rises from half to all of the pace at which they
 *     fall); the larger of the two;
 * The shape gates (recent, within-shift, saturation, level-shift rise,
 * early rise) and the current epoch's give-back look at Bytes divided by
 * the tag's own allocation rate relative to its median when Allocs is
 * busy enough to measure it: by Little's law that removes what the load
 * explains (the load check).  A tag too quiet for that is read with the
 * machine's load taken out instead (pooltrend/load.h): Bytes less b times
 * the load index, b the slope of Bytes' changes over a few samples on
 * the index's changes.
 * confidence = cbrt(trend * retention * snr) times the gates, each
 * factor in [0, 1] and reported.  Growth is the Theil-Sen slope in
 * bytes per hour over the last epoch with enough samples, with a 95% CI.
 * The onset is in that epoch too: for a leak that a reboot freed and
 * that restarted, where it restarted.
 *
 * Ownership: pt_score_all returns an array the caller frees with free();
 * the dataset is borrowed and must outlive the scores.
 */
#ifndef POOLTREND_SCORE_H
#define POOLTREND_SCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pooltrend/diag.h"
#include "pooltrend/load.h"
#include "pooltrend/series.h"
#include "pooltrend/stats.h"

enum pt_verdict {
	PT_VERDICT_UNLIKELY,
	PT_VERDICT_POSSIBLE,
	PT_VERDICT_LIKELY,
};

/* Confidence thresholds of the verdicts. */
#define PT_LIKELY_MIN 0.70
#define PT_POSSIBLE_MIN 0.35
/* Series with fewer samples in scored epochs are never more than unlikely. */
#define PT_MIN_SAMPLES 4

/* "likely", "possible", "unlikely" */
const char *pt_verdict_name(enum pt_verdict v);
bool pt_verdict_parse(const char *word, enum pt_verdict *out);

struct pt_score {
	size_t series;            /* index into the dataset */
	double confidence;        /* [0, 1] */
	const char *reason;       /* one static sentence on the deciding factor */
	enum pt_verdict verdict;
	uint32_t growth_epoch;    /* epoch the slope was measured in */

	/* what is known; the fields each flag covers follow below */
	bool has_growth, has_onset, has_rate_after_onset, has_never_freed;
	bool has_tte;
	bool has_rate_recent, accelerating;
	bool load_adjusted;       /* the shape gates saw Bytes over the tag's
	                             turnover rate (load check) */
	bool machine_load_adjusted; /* too quiet for that: they saw Bytes less
	                             what follows the machine's load index */

	size_t samples;           /* present samples */
	double span_hours;        /* first to last present sample */
	int64_t bytes_first, bytes_last, bytes_max;
	int64_t allocs_first, allocs_last;
	int64_t frees_first, frees_last;
	int64_t diff_first, diff_last;
	int64_t per_alloc_last;

	double growth_bph;        /* Theil-Sen, bytes per hour */
	double growth_lo, growth_hi; /* 95% interval */

	int64_t onset_ms;         /* hinge fit over the growth epoch */
	double rate_after_onset;  /* Theil-Sen from the onset on, bytes/hour; */
	double rate_after_onset_lo, rate_after_onset_hi; /* the TTE uses it */
	double never_freed_share; /* of the allocations since the onset, the
	                             share still outstanding at the end */
	/*
	 * Theil-Sen over the medians of the last third of up to 48 equal
	 * spans of the time the current rate is from (since the onset, else
	 * the growth epoch), bytes/hour; for possible and likely series with
	 * at least 24 such samples, when three quarters of those spans, or
	 * 8 spread over both halves of the third, hold samples (and of the
	 * first two thirds', and three quarters or 6 of each quarter's, for
	 * the flag).
	 * accelerating: it is above 1.5 times the slope of the first two
	 * thirds, the two 95% intervals do not overlap, the four quarters'
	 * slopes rise in turn and the saturation reading (third_ratio) is
	 * not 1 or below; acceleration is then how much the rate rose per
	 * hour between the two slopes' middles, and rate_end the rate it
	 * reaches at the last sample.  Not accelerating is no evidence of a
	 * steady rate: a mild or noisy acceleration does not pass.
	 */
	double rate_recent, rate_recent_lo, rate_recent_hi;
	double acceleration;      /* bytes/hour per hour; 0 unless accelerating */
	double rate_end;          /* bytes/hour; NAN unless accelerating */

	double tte_hours;         /* time until the bound below is used up */
	double tte_lo, tte_hi;    /* from the growth CI; tte_hi is INFINITY
	                             when the CI reaches zero */
	const char *tte_bound;    /* "available memory" or "commit limit" */
	/*
	 * Why there is no TTE, or NULL: "no -r summary lines, rates only",
	 * "not growing", "growth stopped", PT_TTE_BEYOND_WINDOW (an
	 * extrapolation that far is not a forecast), and PT_TTE_NO_TIMES
	 * when the dataset's times are snapshot indices.
	 */
	const char *tte_note;
	/*
	 * When accelerating and the bound above is known: the time until it
	 * is used up if the rate keeps rising as it has (rate_end, then
	 * acceleration per hour), a pessimistic bound that is set even when
	 * the steady forecast is past 10x the window; NAN otherwise, when
	 * this too is longer than 10x the observed window, or when the
	 * growth epoch is not the current one (a reboot freed the leak).
	 */
	double tte_accelerating_hours;

	/* raw statistics */
	struct pt_mk mk;          /* seasonal over epochs; var corrected */
	double hamed_rao;         /* largest autocorrelation factor n/n* of
	                             an epoch (1: none applied) */
	double z_recent;
	double z_within;          /* MK inside the segments around the best mean
	                             shift, the largest over the epochs (the
	                             current one load-adjusted); NAN: none */
	double half_ratio;        /* slope of the second half / first half */
	double third_ratio;       /* slope of the last third / first third */
	double end_ratio;         /* the larger of the two: what saturation reads
	                             (or machine_end_ratio when larger) */
	double machine_end_ratio; /* a busy tag's end ratio with the machine's
	                             load taken out instead of its own turnover
	                             divided out; NAN: not measured */
	double step_share;        /* largest floor rise / sum of floor rises */
	double rise_share;        /* rise within the segments around each
	                             epoch's best mean shift / (that + the
	                             jumps at the shifts); NAN: no rise */
	double half_rise;         /* where the last epoch's high-water mark
	                             reached half its rise, 0..1 of the epoch */
	double adjusted_slope;    /* grouped Theil-Sen slope of the load-
	                             adjusted Bytes, bytes/hour; NAN: none */
	double load_ratio;        /* adjusted_slope / growth_bph; NAN: none */
	double growth_adjusted_ratio; /* adjusted_slope over the pace at which
	                             Bytes fall (current growth); INFINITY
	                             when they do not fall, NAN: no adjusted
	                             slope above 0 */
	double load_elasticity;   /* share of the level that moves with the
	                             machine's load (fit b x median index /
	                             median Bytes); NAN: not fitted */
	double give_back;         /* ratio; 1 when floors never rose */
	double retention;
	double snr;
	double net_growth;        /* bytes: sum over epochs of last - first floor */
	/* factors in [0, 1] */
	double f_trend, f_retention, f_snr, f_give_back, f_recent;
	double f_within, f_saturation, f_step;
	double f_growth;          /* 0 when the current epoch's slope is down */
	double f_rise, f_early, f_load;
};

/*
 * Score every series of ds.  Returns a malloc'd array of ds->nseries
 * scores in series order, or NULL with err when out of memory.
 */
struct pt_score *pt_score_all(const struct pt_dataset *ds,
		struct pt_error *err);

/*
 * Score one series into *out; false when out of memory.  load, the
 * machine's load index (pt_load_create over the same dataset, borrowed),
 * may be NULL: quiet tags are then not checked against it.
 * pt_score_series is pt_score_series_load without it.
 */
bool pt_score_series_load(const struct pt_dataset *ds, size_t series,
		const struct pt_load *load, struct pt_score *out);
bool pt_score_series(const struct pt_dataset *ds, size_t series,
		struct pt_score *out);

/*
 * Time to exhaustion of the machine, per pool type (SCORING 5): the
 * headroom of the last snapshot's -r lines over the sum of the leaking
 * tags' rates (the rate since the onset where there is one), weighted by
 * confidence over the possible and likely series, and unweighted over the
 * likely ones only, and a pessimistic bound when some of them
 * accelerate.  As a cross-check, independent of any tag, the
 * Theil-Sen trend of the header's pool total over the last epoch, and of
 * available memory with the time it takes that to reach zero.
 */
struct pt_pool_tte {
	bool has_headroom;        /* the -r lines give the bound */
	double headroom_bytes;
	const char *bound;        /* "available memory" or "commit limit" */
	double leak_rate;         /* sum of confidence x rate, bytes/hour */
	double likely_rate;       /* sum of the likely series' rates */
	bool has_tte, has_tte_likely;
	double tte_hours, tte_likely_hours;
	/*
	 * When a possible or likely series of the pool accelerates in the
	 * current boot epoch: the headroom over the same weighted sum with
	 * those series' rate_end, rising by their acceleration (weighted
	 * alike) from the last snapshot on, solved as a tag's
	 * tte_accelerating_hours; weighted, it is later than one possible
	 * series' own bound.  Set even when tte_hours is not, unless past
	 * 10x the observed window.
	 */
	bool has_tte_accelerating;
	double tte_accelerating_hours;
	const char *note;         /* why there is no TTE, or NULL */
	bool has_total_trend;
	double total_trend_bph;   /* Pool N or Pool P of the header */
};

struct pt_machine_tte {
	struct pt_pool_tte pool[PT_POOL_COUNT];   /* by enum pt_pool */
	bool has_avail_trend;
	double avail_trend_bph;
	bool has_avail_tte;
	double avail_tte_hours;   /* available memory / its decline */
};

/*
 * What a series' time to exhaustion uses up ("available memory" or
 * "commit limit", static), when it has one, steady or accelerating;
 * else NULL.
 */
const char *pt_score_tte_bound(const struct pt_score *s);

/* Notes of a tag or a pool without a time to exhaustion (tte_note, note). */
#define PT_TTE_BEYOND_WINDOW "longer than 10x the observed window"
#define PT_TTE_NO_TIMES "no times, so no time to exhaustion"

/* Fills *out; false when out of memory. */
bool pt_machine_tte(const struct pt_dataset *ds, const struct pt_score *scores,
		struct pt_machine_tte *out);

/*
 * The default rank key, a blend of confidence and growth: possible and
 * likely series by confidence x (1 + 0.25 log10(1 + rate / 1 KB/h)), the
 * rate since the onset where there is one, so that a probable large leak
 * ranks above a certain small one (0.6 at 10 MB/h above 1.0 at 100 B/h),
 * and every possible or likely series above every unlikely one, which
 * follow by confidence (key = confidence - 1).
 */
double pt_rank_impact(const struct pt_score *s);

/*
 * The headroom that growth in pool eats, from a -r summary: available
 * physical memory for nonpaged pool (it is resident), the commit limit
 * minus the commit charge for paged pool (it is backed by the page file).
 * False when the summary lacks the line that gives it.
 */
bool pt_pool_headroom(const struct pt_summary *sum, uint8_t pool,
		double *bytes, const char **bound);

/* Piecewise-linear ramp from vlo at lo to vhi at hi, clamped. */
double pt_ramp(double x, double lo, double hi, double vlo, double vhi);

#endif
