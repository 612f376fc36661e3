/*
 * Robust trend statistics, O(n log n) per series.
 *
 * Mann-Kendall S is computed by counting inversions with a merge sort
 * (Knight 1966) instead of comparing all pairs; the tie-corrected variance
 * comes from the sizes of the tie groups.  The Theil-Sen slope (median of
 * the pairwise slopes) is found by searching the slope s at which half the
 * pairs have a smaller slope: the number of pairs with slope below s is the
 * number of inversions of y - s*t in time order, one merge sort per probe.
 *
 * Ownership: inputs are borrowed and not modified unless a function says
 * so; scratch memory is allocated and freed inside each call.
 */
#ifndef POOLTREND_STATS_H
#define POOLTREND_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pt_mk {
	size_t n;
	double s;       /* sum of sign(y_j - y_i) over i < j */
	double var;     /* tie-corrected variance of S */
	double z;       /* continuity-corrected: (S - sign S) / sqrt(var); 0 if var == 0 */
	double tau;     /* S / (n(n-1)/2); 0 if n < 2 */
};

/*
 * Mann-Kendall on y[0..n) in time order.  Returns false only when out of
 * memory.
 */
bool pt_mann_kendall(const double *y, size_t n, struct pt_mk *out);

/*
 * Mann-Kendall of several slices of one series (the whole and its parts)
 * for about the cost of one sort: a run is a slice's values sorted with
 * its strict inversions, and two neighbouring slices' runs join by a
 * merge that counts the inversions between them.  A run borrows its
 * sorted array, which the caller owns (n doubles).
 */
struct pt_mk_run {
	const double *sorted;   /* ascending, -0 stored as +0 */
	size_t n;
	int64_t inv;            /* pairs i < j with y[i] > y[j] */
};

/* The run of y[0..n), sorted into sorted.  False when out of memory. */
bool pt_mk_run_sort(const double *y, size_t n, double *sorted,
		struct pt_mk_run *out);

/*
 * The run of a's slice followed in time by b's, merged into sorted
 * (a->n + b->n doubles, apart from both inputs).
 */
void pt_mk_run_join(const struct pt_mk_run *a, const struct pt_mk_run *b,
		double *sorted, struct pt_mk_run *out);

/* Mann-Kendall of a run's slice, bit for bit what pt_mann_kendall gives. */
void pt_mk_run_stats(const struct pt_mk_run *r, struct pt_mk *out);

/*
 * Number of pairs i < j with a[i] > a[j] (strict inversions), and, if ties
 * is not NULL, the number of pairs with a[i] == a[j].  O(n log n).  -1 when
 * out of memory.
 */
int64_t pt_count_inversions(const double *a, size_t n, int64_t *ties);

/*
 * Theil-Sen slope of y over t (t strictly increasing) with a confidence
 * interval of level conf (e.g. 0.95) from the Mann-Kendall variance
 * (Sen 1968, Gilbert 1987).  Pairs with equal t are ignored.  lo/hi may be
 * NULL.  Returns false when n < 2, when no two t differ (no pair has a
 * slope), or out of memory: callers check for a time spread first so that
 * false means out of memory.
 */
bool pt_theil_sen(const double *t, const double *y, size_t n, double conf,
		double *slope, double *lo, double *hi);

/*
 * The medians of k consecutive blocks [g n / k, (g + 1) n / k) of
 * (t, y) into bt, by (times and values, each block's own median, as
 * pt_median_inplace gives it); empty blocks (k > n) are skipped.  work
 * holds the widest block.  Returns how many medians were written.
 */
size_t pt_block_medians(const double *t, const double *y, size_t n, size_t k,
		double *bt, double *by, double *work);

/*
 * pt_theil_sen over the medians of k = min(n, max_points) consecutive
 * blocks of about n/k samples each (block time: the median of its t,
 * block value: the median of its y), so that the search costs
 * O(n + k log k) however long the series.  Each block median averages
 * out noise its block shares, so on a trend with independent noise the
 * slope and interval lose little against all n points; on autocorrelated
 * noise the interval over blocks is the less overconfident one.  With
 * n <= max_points, or when every block has the same median time (times
 * nearly all equal), it is pt_theil_sen over all n points.  Returns as
 * pt_theil_sen: false only when no two t differ or out of memory.
 */
bool pt_theil_sen_blocked(const double *t, const double *y, size_t n,
		size_t max_points, double conf, double *slope, double *lo,
		double *hi);

/*
 * Hamed-Rao (1998) variance correction n/n* for Mann-Kendall on an
 * autocorrelated series, from the residuals r[0..n) of the series after
 * its trend is removed: 1 + 2/(n(n-1)(n-2)) sum_k (n-k)(n-k-1)(n-k-2) rho_k
 * over the first three lags (Rao et al. 2003), where rho_k is the lag-k
 * autocorrelation of the ranks of r and counts only when significant at
 * 5% (|rho_k| > 1.96/sqrt(n)).  Never below 1: negative autocorrelation
 * does not make a trend more significant here.  1 when n < 4.  O(n log n);
 * -1 when out of memory or n > UINT32_MAX.
 */
double pt_hamed_rao_factor(const double *r, size_t n);

/* Median of v[0..n), n > 0; v is reordered.  O(n) expected. */
double pt_median_inplace(double *v, size_t n);

/* Quantile q in [0,1] with linear interpolation (R type 7); v reordered. */
double pt_quantile_inplace(double *v, size_t n, double q);

/*
 * Whether pt_median_inplace(v, n) < limit, n > 0, v free of NaN, mostly
 * from one count of the values below limit instead of a selection; v may
 * be reordered.
 */
bool pt_median_below(double *v, size_t n, double limit);

/*
 * The same two of sorted[0..n) in ascending order (as a run holds them),
 * bit for bit, without a selection.
 */
double pt_median_sorted(const double *sorted, size_t n);
double pt_quantile_sorted(const double *sorted, size_t n, double q);

/* Standard normal distribution function and its inverse (0 < p < 1). */
double pt_norm_cdf(double x);
double pt_norm_quantile(double p);

#endif
