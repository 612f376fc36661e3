#include "pooltrend/score.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MS_PER_HOUR 3600000.0
/* Low enough to sit in the troughs of a cache that fills and is flushed. */
#define FLOOR_QUANTILE 0.10
/* A rise smaller than this many allocations is granularity, not growth. */
#define MIN_NET_ALLOCS 3.0
/*
 * Weight of log10(growth in KB/h) in the default rank: a leak at 0.6
 * confidence and 10 MB/h ranks above one at 1.0 and 100 B/h, while a
 * series barely possible needs a thousand times more growth than a
 * likely one to pass it (measured: a weight of 1 lowers R-precision).
 */
#define RANK_GROWTH_WEIGHT 0.25
/* A time to exhaustion beyond this many observed windows is not given. */
#define TTE_MAX_WINDOWS 10.0
/*
 * Half slopes are Theil-Sen slopes of medians of consecutive groups, at
 * most this many per half: the ratio only needs to tell "still rising"
 * from "levelled off", and a direct O(k^2) estimate over k group medians
 * costs far less than two more exact selections over every sample.
 */
#define HALF_GROUPS 32
#ifndef SLOPE_POINTS
#define SLOPE_POINTS 256
#endif

const char *
pt_verdict_name(enum pt_verdict v)
{
	switch (v) {
	case PT_VERDICT_LIKELY: return "likely";
	case PT_VERDICT_POSSIBLE: return "possible";
	case PT_VERDICT_UNLIKELY: break;
	}
	return "unlikely";
}

bool
pt_verdict_parse(const char *word, enum pt_verdict *out)
{
	static const enum pt_verdict all[] = {
		PT_VERDICT_UNLIKELY, PT_VERDICT_POSSIBLE, PT_VERDICT_LIKELY,
	};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(word, pt_verdict_name(all[i])) == 0) {
			*out = all[i];
			return true;
		}
	}
	return false;
}

double
pt_ramp(double x, double lo, double hi, double vlo, double vhi)
{
	if (!(x > lo))
		return vlo;
	if (x >= hi)
		return vhi;
	return vlo + (vhi - vlo) * (x - lo) / (hi - lo);
}

/* The present samples of one epoch of one series, as doubles. */
struct epoch_view {
	size_t n;
	double *t;         /* hours since the first snapshot */
	double *y;         /* bytes */
	double *per_alloc; /* bytes per outstanding allocation */
	double *allocs, *frees; /* cumulative counts */
	double *load;      /* the machine's load index (NAN: none) */
	int64_t *t_ms;
};

struct scratch {
	double *t, *y, *per_alloc, *allocs, *frees, *adj, *work, *load, *mview;
	int64_t *t_ms;
	const struct pt_load *machine; /* NULL: no machine load */
};

static bool
scratch_init(struct scratch *s, size_t n)
{
	size_t m = n ? n : 1;
	s->t = malloc(m * sizeof(double));
	s->y = malloc(m * sizeof(double));
	s->per_alloc = malloc(m * sizeof(double));
	s->allocs = malloc(m * sizeof(double));
	s->frees = malloc(m * sizeof(double));
	s->adj = malloc(m * sizeof(double));
	s->load = malloc(m * sizeof(double));
	s->mview = malloc(m * sizeof(double));
	s->machine = NULL;
	s->work = malloc((2 * m + 2 * (size_t)HALF_GROUPS) * sizeof(double));
	s->t_ms = malloc(m * sizeof(int64_t));
	return s->t && s->y && s->per_alloc && s->allocs && s->frees && s->adj && s->work &&
		s->load && s->mview && s->t_ms;
}

static void
scratch_finish(struct scratch *s)
{
	free(s->t);
	free(s->y);
	free(s->per_alloc);
	free(s->allocs);
	free(s->frees);
	free(s->adj);
	free(s->load);
	free(s->mview);
	free(s->work);
	free(s->t_ms);
}

/* Gather epoch e of series s into v (backed by the scratch arrays at off). */
static void
gather_epoch(const struct pt_dataset *ds, size_t s, uint32_t e,
		struct scratch *sc, size_t off, struct epoch_view *v)
{
	const uint64_t *present = pt_dataset_present(ds, s);
	const int64_t *bytes = pt_dataset_col(ds, ds->bytes, s);
	const uint32_t *allocs = pt_dataset_col32(ds, ds->allocs32, s);
	const uint32_t *frees = pt_dataset_col32(ds, ds->frees32, s);
	struct pt_unwrap ua = PT_UNWRAP_INIT, uf = PT_UNWRAP_INIT;
	int64_t t0 = ds->snaps[0].t_ms;
	v->t = sc->t + off;
	v->y = sc->y + off;
	v->per_alloc = sc->per_alloc + off;
	v->allocs = sc->allocs + off;
	v->frees = sc->frees + off;
	v->load = sc->load + off;
	v->t_ms = sc->t_ms + off;
	v->n = 0;
	for (size_t i = ds->epoch_start[e]; i < ds->epoch_start[e + 1]; i++) {
		if (!pt_is_present(present, i))
			continue;
		v->t[v->n] = (double)(ds->snaps[i].t_ms - t0) / MS_PER_HOUR;
		v->t_ms[v->n] = ds->snaps[i].t_ms;
		v->y[v->n] = (double)bytes[i];
		v->allocs[v->n] = (double)pt_unwrap_step(&ua, allocs[i]);
		v->frees[v->n] = (double)pt_unwrap_step(&uf, frees[i]);
		v->load[v->n] = sc->machine != NULL ? sc->machine->index[i] : NAN;
		int64_t diff = pt_diff32(allocs[i], frees[i]);
		v->per_alloc[v->n] = diff > 0 ?
			(double)bytes[i] / (double)diff : (double)bytes[i];
		v->n++;
	}
}

/*
 * A slope needs two different times; snapshots can share one when a
 * forced time source dates them all alike.
 */
static bool
spans_time(const struct epoch_view *v)
{
	return v->n >= 2 && v->t[v->n - 1] > v->t[0];
}

/* Number of equal-count blocks for floors (SCORING.md 4.2, S3). */
#define MAX_BLOCKS 8

static size_t
block_count(size_t n)
{
	size_t k = n / 4;
	if (k > MAX_BLOCKS)
		k = MAX_BLOCKS;
	if (k < 6)
		k = 6;
	return k < n ? k : n;
}

struct floors {
	double rises, falls;   /* sums of floor changes */
	double max_rise;       /* the largest single floor rise */
	double first, last;    /* first and last floor */
	double med_min, med_max; /* range of block medians */
};

/*
 * The floor and the median of each of the block_count(n) blocks of an
 * epoch's Bytes.
 */
struct block_levels {
	size_t k;
	double floor[MAX_BLOCKS], med[MAX_BLOCKS];
};

/* The levels of v's blocks by selection (work: v->n doubles). */
static void
select_block_levels(const struct epoch_view *v, double *work,
		struct block_levels *bl)
{
	bl->k = block_count(v->n);
	for (size_t b = 0; b < bl->k; b++) {
		size_t lo = b * v->n / bl->k, hi = (b + 1) * v->n / bl->k;
		memcpy(work, v->y + lo, (hi - lo) * sizeof(double));
		bl->floor[b] = pt_quantile_inplace(work, hi - lo, FLOOR_QUANTILE);
		bl->med[b] = pt_median_inplace(work, hi - lo);
	}
}

/*
 * The levels of v's blocks, and *mk the Mann-Kendall test of all of v,
 * from one sort of each block: the levels are read off the sorted
 * blocks, and the blocks joined pairwise give the test for about the
 * cost of the one sort it would take alone.  work holds 2 v->n doubles.
 * False when out of memory.
 */
static bool
sorted_block_levels(const struct epoch_view *v, double *work,
		struct block_levels *bl, struct pt_mk *mk)
{
	struct pt_mk_run run[MAX_BLOCKS];
	double *src = work, *dst = work + v->n;
	size_t k = bl->k = block_count(v->n);
	for (size_t b = 0; b < k; b++) {
		size_t lo = b * v->n / k, hi = (b + 1) * v->n / k;
		if (!pt_mk_run_sort(v->y + lo, hi - lo, src + lo, &run[b]))
			return false;
		bl->floor[b] = pt_quantile_sorted(run[b].sorted, hi - lo,
			FLOOR_QUANTILE);
		bl->med[b] = pt_median_sorted(run[b].sorted, hi - lo);
	}
	/* Each round joins neighbours into the other buffer at the same
	 * place; an odd one out is copied across. */
	for (size_t lo = 0; k > 1; k = (k + 1) / 2, lo = 0) {
		for (size_t b = 0; b < k; b += 2) {
			double *at = dst + lo;
			if (b + 1 < k)
				pt_mk_run_join(&run[b], &run[b + 1], at, &run[b / 2]);
			else {
				memcpy(at, run[b].sorted, run[b].n * sizeof(double));
				run[b / 2] = run[b];
				run[b / 2].sorted = at;
			}
			lo += run[b / 2].n;
		}
		double *swap = src;
		src = dst;
		dst = swap;
	}
	pt_mk_run_stats(&run[0], mk);
	return true;
}

/*
 * Floor falls smaller than tol are the sampling noise of a block's 25th
 * percentile, not memory given back; they are not counted as falls.
 */
static void
block_floors(const struct block_levels *bl, double tol, struct floors *f)
{
	memset(f, 0, sizeof(*f));
	double prev = 0;
	for (size_t b = 0; b < bl->k; b++) {
		double floor = bl->floor[b], med = bl->med[b];
		if (b == 0) {
			f->first = floor;
			f->med_min = f->med_max = med;
		} else {
			if (floor > prev) {
				f->rises += floor - prev;
				if (floor - prev > f->max_rise)
					f->max_rise = floor - prev;
			} else if (prev - floor > tol)
				f->falls += prev - floor - tol;
			if (med < f->med_min)
				f->med_min = med;
			if (med > f->med_max)
				f->med_max = med;
		}
		prev = floor;
	}
	f->last = prev;
}

/*
 * Standard error of a block's 10th percentile for per-sample noise sigma
 * (about 1.71 sigma / sqrt(m) for a normal sample of m), times two.
 */
static double
floor_tolerance(double sigma, size_t n)
{
	size_t m = n / block_count(n ? n : 1);
	return m ? 2 * 1.71 * sigma / sqrt((double)m) : 0;
}

/*
 * Hamed-Rao correction for one epoch.  The trend is removed with straight
 * lines between block medians (at block centres, flat beyond the ends)
 * rather than one global line, so that a hinge-shaped leak does not leave
 * a trend in its residuals.  -1 when out of memory.
 */
static double
autocorrelation_factor(const struct epoch_view *v,
		const struct block_levels *bl, double *work)
{
	size_t n = v->n, k = bl->k;
	double centre[MAX_BLOCKS];
	const double *med = bl->med;
	if (n < 4 || k < 2)
		return 1;
	for (size_t b = 0; b < k; b++) {
		size_t lo = b * n / k, hi = (b + 1) * n / k;
		centre[b] = (double)(lo + hi - 1) / 2;
	}
	size_t b = 0;
	for (size_t i = 0; i < n; i++) {
		double x = (double)i, fit;
		while (b + 2 < k && x > centre[b + 1])
			b++;
		if (x <= centre[0])
			fit = med[0];
		else if (x >= centre[k - 1])
			fit = med[k - 1];
		else
			fit = med[b] + (med[b + 1] - med[b]) * (x - centre[b]) /
				(centre[b + 1] - centre[b]);
		work[i] = v->y[i] - fit;
	}
	return pt_hamed_rao_factor(work, n);
}

/* Robust noise scale of the series: MAD of the differences, per step. */
static double
noise_scale(const struct epoch_view *v, double *work)
{
	if (v->n < 3)
		return 0;
	for (size_t i = 1; i < v->n; i++)
		work[i - 1] = v->y[i] - v->y[i - 1];
	size_t m = v->n - 1;
	double med = pt_median_inplace(work, m);
	for (size_t i = 0; i < m; i++)
		work[i] = fabs(work[i] - med);
	return 1.4826 * pt_median_inplace(work, m) / sqrt(2.0);
}

/*
 * Hinge fit y = a + b * max(0, t - tau) over candidate knots tau = t_k,
 * least squares in O(n) with suffix sums; the knot with the smallest
 * residual and b > 0 is the onset, b its *slope.
 */
static bool
hinge_onset(const struct epoch_view *v, size_t *knot, double *slope)
{
	size_t n = v->n;
	if (n < 4)
		return false;
	double sy = 0, syy = 0;
	for (size_t i = 0; i < n; i++) {
		sy += v->y[i];
		syy += v->y[i] * v->y[i];
	}
	double st = 0, stt = 0, sty = 0, sy_after = 0; /* sums over i > k */
	double best = INFINITY;
	bool found = false;
	for (size_t k = n - 2; k != (size_t)-1; k--) {
		double tk = v->t[k];
		double ti = v->t[k + 1], yi = v->y[k + 1];
		st += ti;
		stt += ti * ti;
		sty += ti * yi;
		sy_after += yi;
		double c = (double)(n - 1 - k);
		double sh = st - c * tk;
		double shh = stt - 2 * tk * st + c * tk * tk;
		double shy = sty - tk * sy_after;
		double den = (double)n * shh - sh * sh;
		if (!(den > 0))
			continue;
		double b = ((double)n * shy - sh * sy) / den;
		double a = (sy - b * sh) / (double)n;
		double sse = syy - a * sy - b * shy;
		/* Prefer the earliest knot when fits tie (a straight line). */
		if (b > 0 && sse <= best * (1 + 1e-9)) {
			best = sse;
			*knot = k;
			*slope = b;
			found = true;
		}
	}
	return found;
}

typedef double two_doubles __attribute__((vector_size(16)));

/*
 * The between-segment sum of squares of two splits at once, each lane
 * with the operations of one split in the same order (so the same bits):
 * prefix sums p of the first k samples, k, n - k.  Two lanes halve the
 * cost of the divisions, which dominate.
 */
static inline two_doubles
split_ssb(two_doubles p, two_doubles k, two_doubles nk, double total,
		double mean)
{
	two_doubles m1 = p / k - mean;
	two_doubles m2 = (total - p) / nk - mean;
	return k * m1 * m1 + nk * m2 * m2;
}

/*
 * The split that best explains the series as two flat levels: maximise
 * the between-segment sum of squares with prefix sums, O(n).  Returns k,
 * the size of the first segment (2 <= k <= n - 2).
 */
static size_t
best_mean_shift(const double *y, size_t n)
{
	double total = 0;
	for (size_t i = 0; i < n; i++)
		total += y[i];
	double mean = total / (double)n, prefix = 0, best = -1;
	size_t best_k = n / 2;
	prefix += y[0];
	for (size_t k = 2; k < n - 1; k += 2) {
		/* Splits k and k + 1 (the latter past the end when k = n - 2:
		 * its lane is computed and ignored). */
		double pa = prefix + y[k - 1];
		prefix = pa + y[k];
		two_doubles ssb = split_ssb((two_doubles){ pa, prefix },
			(two_doubles){ (double)k, (double)(k + 1) },
			(two_doubles){ (double)(n - k), (double)(n - k - 1) },
			total, mean);
		if (ssb[0] > best) {
			best = ssb[0];
			best_k = k;
		}
		if (k + 1 < n - 1 && ssb[1] > best) {
			best = ssb[1];
			best_k = k + 1;
		}
	}
	return best_k;
}

/*
 * A staircase leak rises in a few steps, and a hinge fitted to it puts
 * the knot inside the stairs, not at the first step.  So look for a step
 * up before the knot: the best mean shift of the samples up to it, kept
 * when its t statistic (sigma from the differences, which a step barely
 * moves) clears ONSET_STEP_T, then again before that step.  A flat start,
 * as before a late leak, leaves the knot where it is.  At most
 * ONSET_STEP_ROUNDS passes of O(knot) each.
 */
#define ONSET_STEP_T 5.0
#define ONSET_STEP_ROUNDS 8
#define ONSET_JUMP_T 4.0

static bool
step_before(const double *y, size_t k, double sigma, size_t *split)
{
	if (k < 4)
		return false;
	size_t s = best_mean_shift(y, k);
	double m1 = 0, m2 = 0;
	for (size_t i = 0; i < s; i++)
		m1 += y[i];
	for (size_t i = s; i < k; i++)
		m2 += y[i];
	m1 /= (double)s;
	m2 /= (double)(k - s);
	double se = sigma * sqrt(1 / (double)s + 1 / (double)(k - s));
	if (!(m2 - m1 > ONSET_STEP_T * se))
		return false;
	*split = s;
	return true;
}

/* The earliest step up before sample end, as the last sample before it. */
static size_t
earliest_step(const double *y, size_t end, double sigma, size_t fallback)
{
	size_t split, knot = fallback;
	for (int r = 0; r < ONSET_STEP_ROUNDS && step_before(y, end, sigma,
			&split); r++) {
		knot = split - 1;
		end = split;
	}
	return knot;
}

/*
 * Whether the series jumps at sample s by more than a line of the given
 * slope rises there: the means of w samples either side, w no more than
 * s - lo, differ by ONSET_JUMP_T standard errors beyond the slope's own
 * rise.  A staircase jumps; the ramp after a hinge does not.
 */
static bool
jumps_at(const struct epoch_view *v, size_t lo, size_t s, double slope,
		double sigma)
{
	size_t w = s - lo;
	if (w > v->n - s)
		w = v->n - s;
	if (w > v->n / 8)
		w = v->n / 8;
	if (w < 2)
		return false;
	double yb = 0, ya = 0, tb = 0, ta = 0;
	for (size_t i = 0; i < w; i++) {
		yb += v->y[s - 1 - i];
		tb += v->t[s - 1 - i];
		ya += v->y[s + i];
		ta += v->t[s + i];
	}
	double excess = (ya - yb - slope * (ta - tb)) / (double)w;
	return excess > ONSET_JUMP_T * sigma * sqrt(2 / (double)w);
}

/*
 * The hinge knot moved to the first step of a staircase.  Knot inside
 * the stairs: the earliest step before it.  Knot before the stairs (a
 * line through them fits as well as a later knot): the samples from the
 * knot up to the first step of the whole series stay flat, where after a
 * real hinge they rise at about its slope.  sigma is v's noise_scale.
 */
static size_t
first_step_onset(const struct epoch_view *v, size_t knot, double slope,
		double sigma)
{
	if (!(sigma > 0))
		return knot;
	/* The knot is the last sample before the rise: include the one after. */
	knot = earliest_step(v->y, knot + 1 < v->n ? knot + 1 : v->n, sigma,
		knot);
	size_t first = earliest_step(v->y, v->n, sigma, knot);
	if (first > knot && jumps_at(v, knot + 1, first + 1, slope, sigma))
		knot = first;
	return knot;
}

/*
 * The Mann-Kendall tests an epoch view needs: before and after its best
 * mean shift, and when asked, of its second half (from n / 2 on).  Each
 * piece between the cuts is sorted once and the slices are joined from
 * the pieces, where separate tests would sort the second half twice.
 */
struct mk_slices {
	bool want_recent;       /* in: whether the second half is wanted */
	struct pt_mk before, after, recent;
};

/*
 * The tests of mk for y[0..n) split at k (0 < k < n); buf holds 2n
 * doubles.  The pieces are cut at k and at the half h (h = k when the
 * half is not asked for), c1 <= c2 being the two cuts; the tail [c1, n)
 * is one slice in either order of k and h.  False when out of memory.
 */
static bool
take_slices(const double *y, size_t n, size_t k, double *buf,
		struct mk_slices *mk)
{
	size_t h = mk->want_recent ? n / 2 : k;
	size_t c1 = k < h ? k : h, c2 = k < h ? h : k;
	struct pt_mk_run p1, p2, p3, joined;
	if (!pt_mk_run_sort(y, c1, buf, &p1) ||
			!pt_mk_run_sort(y + c1, c2 - c1, buf + c1, &p2) ||
			!pt_mk_run_sort(y + c2, n - c2, buf + c2, &p3))
		return false;
	double *spare = buf + n;
	if (k > h) {
		/* Before the shift: the first two pieces; after it: the last. */
		pt_mk_run_join(&p1, &p2, spare, &joined);
		pt_mk_run_stats(&joined, &mk->before);
		pt_mk_run_stats(&p3, &mk->after);
		pt_mk_run_join(&p2, &p3, spare, &joined);
		pt_mk_run_stats(&joined, &mk->recent);
	} else {
		pt_mk_run_stats(&p1, &mk->before);
		pt_mk_run_join(&p2, &p3, spare, &joined);
		pt_mk_run_stats(&joined, &mk->after);
		if (k < h)
			pt_mk_run_stats(&p3, &mk->recent);
		else
			mk->recent = mk->after;
	}
	return true;
}

/*
 * Mann-Kendall inside the two segments around the best mean shift: a
 * leak keeps rising in at least one of them (the second, for a leak that
 * starts late), a one-time level shift rises in neither.  The larger Z;
 * mk gets the tests taken on the way.
 */
static bool
within_shift_z(const struct epoch_view *v, double *work, double *z,
		size_t *split, struct mk_slices *mk)
{
	size_t k = best_mean_shift(v->y, v->n);
	*split = k;
	if (!take_slices(v->y, v->n, k, work, mk))
		return false;
	*z = mk->before.z > mk->after.z ? mk->before.z : mk->after.z;
	return true;
}

/*
 * Load check (Little's law: outstanding = allocation rate x lifetime).  The
 * tag's own turnover measures its load.  Per interval it is the smaller of
 * the Allocs and Frees increments: both count the churn, but Allocs also
 * counts what is added to the outstanding count (a leak adds without being
 * busier) and Frees what is taken from it (noise).  Dividing Bytes by
 * the rate relative to its median leaves what load does not explain: a
 * leak still rises, usage that follows the load goes flat, and a warm-up
 * shows its plateau without the diurnal swing on top.  Rates are taken
 * over LOAD_SPAN intervals so that the Poisson noise of the counts stays
 * small; a tag with fewer than MIN_LOAD_ALLOCS turnovers per span has no
 * usable rate and is left as it is.  Returns whether *out (v with Bytes
 * adjusted in adj) was filled.
 */
#define LOAD_SPAN 4
#define MIN_LOAD_ALLOCS 100.0

static bool
load_adjusted(const struct epoch_view *v, double *work, double *adj,
		struct epoch_view *out)
{
	size_t n = v->n;
	if (n < 4 * (size_t)LOAD_SPAN)
		return false;
	double *churn = adj;    /* cumulative turnover, then the result */
	churn[0] = 0;
	for (size_t i = 1; i < n; i++) {
		double a = v->allocs[i] - v->allocs[i - 1];
		double f = v->frees[i] - v->frees[i - 1];
		double c = a < f ? a : f;
		churn[i] = churn[i - 1] + (c > 0 ? c : 0);
	}
	/* Rates from spans centred on a sample: a rate from an off-centre
	 * span is the load of another time. */
	size_t h = LOAD_SPAN / 2, m = n - 2 * h;
	double *rate = work + n;
	for (size_t k = 0; k < m; k++) {
		size_t i = k + h, lo = i - h, hi = i + h;
		double dt = v->t[hi] - v->t[lo];
		double count = churn[hi] - churn[lo];
		if (!(dt > 0) || !(count > 0))
			return false;
		rate[k] = count / dt;
		work[k] = count;
	}
	if (pt_median_below(work, m, MIN_LOAD_ALLOCS))
		return false;
	memcpy(work, rate, m * sizeof(double));
	double ref = pt_median_inplace(work, m);
	/* The first and last h samples take the nearest centred rate: only
	 * a load that moves within h samples is misread there. */
	for (size_t i = 0; i < n; i++) {
		size_t k = i < h ? 0 : i - h < m ? i - h : m - 1;
		adj[i] = v->y[i] * ref / rate[k];
	}
	*out = *v;
	out->y = adj;
	return true;
}

/*
 * Machine load, for a tag too quiet for the load check: how much of the
 * tag's Bytes follows the machine's load index L.  b, bytes per unit of
 * L, is the least-squares slope of the changes of Bytes over LOAD_SPAN
 * samples on those of L: a leak, a warm-up or a ramp barely moves a
 * change over a few samples, the load's swings and bursts do (a fit of
 * the levels on L and time lets a warm-up's rise into b, and a shift's
 * step into either).  When b > 0 is measurable, out's Bytes (in adj) are
 * y - b (L - median L) and *elasticity is b times the median L over the
 * median Bytes: the share of the tag's level that moves with the load
 * (NAN when that median is 0; not taken when elasticity is NULL).  A
 * snapshot without an index (too few busy series around it, as after a
 * truncated file) takes the last one before it and gives no change;
 * False when fewer than MIN_LOAD_MEASURED of the samples have one, or the
 * index's changes are below MIN_LOAD_SPREAD.
 */
#define MIN_LOAD_SPREAD 0.02
#define MIN_LOAD_MEASURED 0.9

static bool
machine_adjusted(const struct epoch_view *v, double *work, double *adj,
		double *elasticity, struct epoch_view *out)
{
	size_t n = v->n, m = 0;
	if (n < 4 * (size_t)LOAD_SPAN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (isfinite(v->load[i]))
			work[m++] = v->load[i];
	if ((double)m < MIN_LOAD_MEASURED * (double)n)
		return false;
	double lref = pt_median_inplace(work, m);
	/* b from changes over LOAD_SPAN samples: slow trends (a leak, a
	 * warm-up, a ramp) barely move them, the load's swings do. */
	double sxx = 0, sxy = 0;
	for (size_t i = LOAD_SPAN; i < n; i++) {
		double dl = v->load[i] - v->load[i - LOAD_SPAN];
		if (!isfinite(dl))
			continue;
		sxx += dl * dl;
		sxy += dl * (v->y[i] - v->y[i - LOAD_SPAN]);
	}
	if (!(sxx > (double)n * MIN_LOAD_SPREAD * MIN_LOAD_SPREAD))
		return false;
	double b = fmax(0, sxy / sxx);
	double load = lref;
	for (size_t i = 0; i < n; i++) {
		if (isfinite(v->load[i]))
			load = v->load[i];
		adj[i] = v->y[i] - b * (load - lref);
	}
	if (elasticity != NULL) {
		memcpy(work, v->y, n * sizeof(double));
		double yref = pt_median_inplace(work, n);
		*elasticity = yref > 0 ? b * lref / yref : NAN;
	}
	*out = *v;
	out->y = adj;
	return true;
}

enum slope_result { SLOPE_OK, SLOPE_NONE, SLOPE_OOM };

/*
 * Medians of about HALF_GROUPS consecutive groups of v (times in gt,
 * values in gy); work holds v->n doubles.  Returns the number of groups.
 */
static size_t
group_medians(const struct epoch_view *v, double *work, double *gt,
		double *gy)
{
	size_t k = v->n < HALF_GROUPS ? v->n : HALF_GROUPS;
	return pt_block_medians(v->t, v->y, v->n, k, gt, gy, work);
}

/* Theil-Sen slope over m group medians (times gt, values gy). */
static enum slope_result
slope_of_groups(const double *gt, const double *gy, size_t m, double *slope)
{
	if (m < 2 || !(gt[m - 1] > gt[0]))
		return SLOPE_NONE;      /* no slope without time passing */
	return pt_theil_sen(gt, gy, m, 0.95, slope, NULL, NULL) ? SLOPE_OK
		: SLOPE_OOM;
}

/* Theil-Sen slope over the medians of about HALF_GROUPS groups of v. */
static enum slope_result
grouped_slope(const struct epoch_view *v, double *work, double *slope)
{
	double gt[HALF_GROUPS], gy[HALF_GROUPS];
	size_t m = group_medians(v, work, gt, gy);
	return slope_of_groups(gt, gy, m, slope);
}

/*
 * A robust line through v: the grouped Theil-Sen slope and the line's
 * level at time tk (the median of the group medians' residuals).
 */
static enum slope_result
grouped_line(const struct epoch_view *v, double tk, double *work,
		double *slope, double *level)
{
	double gt[HALF_GROUPS], gy[HALF_GROUPS];
	size_t m = group_medians(v, work, gt, gy);
	enum slope_result r = slope_of_groups(gt, gy, m, slope);
	if (r != SLOPE_OK)
		return r;
	for (size_t i = 0; i < m; i++)
		work[i] = gy[i] - *slope * (gt[i] - tk);
	*level = pt_median_inplace(work, m);
	return SLOPE_OK;
}

/*
 * How an epoch rose around its best mean shift (first k samples, then
 * the rest): *within gets what the two segments' own lines rose over
 * their spans, *jump the step between the lines at the split.  A leak
 * rises within the segments and its lines meet; a one-time level shift
 * is all jump.  False when out of memory; both 0 when a segment has no
 * slope.
 */
static bool
shift_rise(const struct epoch_view *v, size_t k, double *work,
		double *within, double *jump)
{
	struct epoch_view a = *v, b = *v;
	a.n = k;
	b.t += k;
	b.y += k;
	b.n = v->n - k;
	double tk = (v->t[k - 1] + v->t[k]) / 2;
	double sa, la, sb, lb;
	*within = *jump = 0;
	enum slope_result ra = grouped_line(&a, tk, work, &sa, &la);
	enum slope_result rb = grouped_line(&b, tk, work, &sb, &lb);
	if (ra == SLOPE_OOM || rb == SLOPE_OOM)
		return false;
	if (ra != SLOPE_OK || rb != SLOPE_OK)
		return true;
	*within = fmax(sa, 0) * (tk - v->t[0]) + fmax(sb, 0) * (v->t[v->n - 1] - tk);
	*jump = lb - la;
	return true;
}

/*
 * Where the epoch v's high-water mark (the running maximum of its m group
 * medians gt, gy) reached half of its rise, as a fraction of the epoch's
 * span: about 0.5 for a steady leak, later for one that starts late,
 * early for a cache that fills and then holds.  NAN without a rise.
 */
static double
half_rise_at(const struct epoch_view *v, const double *gt, const double *gy,
		size_t m)
{
	double span = v->t[v->n - 1] - v->t[0];
	if (m < 2 || !(span > 0))
		return NAN;
	double top = gy[0];
	for (size_t i = 1; i < m; i++)
		top = fmax(top, gy[i]);
	if (!(top > gy[0]))
		return NAN;
	double half = gy[0] + (top - gy[0]) / 2;
	size_t i = 0;
	while (gy[i] < half)
		i++;
	return (gt[i] - v->t[0]) / span;
}

/*
 * Slope of the last `part` samples over the first `part`: about 1 for a
 * leak, near 0 for a cache that filled and levelled off, large for a late
 * start.  With thirds, a warm-up whose time constant is under a quarter of
 * the window has flattened to a tenth of its first slope by the last one.
 * NAN when a part has no slope.
 */
static bool
end_slope_ratio(const struct epoch_view *v, size_t part, double *work,
		double *ratio)
{
	double s1, s3;
	struct epoch_view a = *v, b = *v;
	a.n = part;
	b.t += v->n - part;
	b.y += v->n - part;
	b.n = part;
	*ratio = NAN;
	enum slope_result r1 = grouped_slope(&a, work, &s1);
	enum slope_result r3 = grouped_slope(&b, work, &s3);
	if (r1 == SLOPE_OOM || r3 == SLOPE_OOM)
		return false;
	if (r1 != SLOPE_OK || r3 != SLOPE_OK)
		return true;
	if (s1 > 0)
		*ratio = s3 / s1;
	else
		*ratio = s3 > 0 ? INFINITY : 0;
	return true;
}

struct epoch_stats {
	struct pt_mk mk;
	struct floors fl;
	double noise;
};

/* The sentence for the weakest factor: what held the confidence down. */
static const char *
decide_reason(const struct pt_score *sc)
{
	if (sc->samples < PT_MIN_SAMPLES)
		return "too few samples to judge";
	if (sc->net_growth <= 0)
		return "no net growth of the floor";
	if (sc->verdict == PT_VERDICT_LIKELY)
		return "grows steadily and never gives memory back";
	struct { double f; const char *why; } f[] = {
		{ sc->f_give_back, "gives memory back: usage falls when load falls" },
		{ sc->f_snr, "growth is small against the tag's own noise" },
		{ sc->f_trend, "no significant upward trend" },
		{ sc->f_recent, "grew earlier but has stopped growing" },
		{ sc->f_retention, "most of the rise was not kept" },
		{ sc->f_within, "one level shift, no growth before or after it" },
		{ sc->f_step, "one level shift, no growth before or after it" },
		{ sc->f_saturation, "growth is levelling off, like a cache filling up" },
		{ sc->f_growth, "not growing in the current boot epoch" },
		{ sc->f_rise, "rose in one jump: a level shift, not growth" },
		{ sc->f_early, "reached its level early and held it, like a cache" },
		{ sc->f_load, sc->machine_load_adjusted ?
			"rises with the machine's load: load, not a leak" :
			"rises with its own allocation rate: load, not a leak" },
	};
	size_t weakest = 0;
	for (size_t i = 1; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i].f < f[weakest].f)
			weakest = i;
	return f[weakest].why;
}

static void
fill_endpoints(const struct pt_dataset *ds, size_t s, struct pt_score *sc)
{
	const struct pt_series *se = &ds->series[s];
	size_t base = s * ds->nsnap;
	size_t f = base + se->first, l = base + se->last;
	sc->samples = se->present;
	sc->span_hours = (double)(ds->snaps[se->last].t_ms -
		ds->snaps[se->first].t_ms) / MS_PER_HOUR;
	sc->bytes_first = ds->bytes[f];
	sc->bytes_last = ds->bytes[l];
	sc->diff_first = pt_diff32(ds->allocs32[f], ds->frees32[f]);
	sc->diff_last = pt_diff32(ds->allocs32[l], ds->frees32[l]);
	sc->per_alloc_last = sc->diff_last > 0 ? ds->bytes[l] / sc->diff_last :
		ds->bytes[l];
	sc->bytes_max = 0;
	for (size_t i = se->first; i <= se->last; i++)
		if (pt_is_present(pt_dataset_present(ds, s), i) &&
				ds->bytes[base + i] > sc->bytes_max)
			sc->bytes_max = ds->bytes[base + i];
}

/*
 * Accelerating in the current boot epoch: a reboot frees what a leak
 * held, and one that speeds up with uptime starts slow again.
 */
static bool
accelerating_now(const struct pt_dataset *ds, const struct pt_score *sc)
{
	return sc->accelerating && sc->growth_epoch + 1 == ds->nepochs;
}

/*
 * SCORING 5's pessimistic bound for a rate that keeps rising: from the
 * last sample on, rate_end + acceleration x t per hour, so the headroom H
 * lasts the tau with rate_end tau + acceleration tau^2 / 2 = H.  Written
 * as 2H / (r + sqrt(r^2 + 2aH)), which does not cancel when a is small.
 */
static double
hours_while_accelerating(double headroom, double r, double a)
{
	return 2 * headroom / (r + sqrt(r * r + 2 * a * headroom));
}

static void
tte_if_accelerating(const struct pt_dataset *ds, struct pt_score *sc,
		double headroom)
{
	if (!accelerating_now(ds, sc))
		return;
	double tau = hours_while_accelerating(headroom, sc->rate_end,
		sc->acceleration);
	if (tau <= TTE_MAX_WINDOWS * sc->span_hours)
		sc->tte_accelerating_hours = tau;
}

/*
 * Headroom that growth in this pool eats: nonpaged pool is resident, so it
 * is bounded by available physical memory; paged pool is backed by the
 * page file, so by the commit limit.
 */
static void
time_to_exhaustion(const struct pt_dataset *ds, const struct pt_series *se,
		struct pt_score *sc)
{
	const struct pt_summary *sum = &ds->snaps[ds->nsnap - 1].summary;
	sc->tte_lo = sc->tte_hi = NAN;
	if (!sc->has_growth || !(sc->growth_bph > 0)) {
		sc->tte_note = "not growing";
		return;
	}
	double headroom;
	if (!pt_pool_headroom(sum, se->pool, &headroom, &sc->tte_bound)) {
		sc->tte_note = pt_summary_missing_note(sum, se->pool);
		return;
	}
	if (sc->f_saturation < 0.5) {
		sc->tte_note = "growth stopped";
		return;
	}
	if (ds->times_are_indices) {
		sc->tte_note = PT_TTE_NO_TIMES;
		return;
	}
	/* The rate since the onset is the one that will go on. */
	double g = sc->growth_bph, g_lo = sc->growth_lo, g_hi = sc->growth_hi;
	if (sc->has_rate_after_onset && sc->rate_after_onset > 0) {
		g = sc->rate_after_onset;
		g_lo = sc->rate_after_onset_lo;
		g_hi = sc->rate_after_onset_hi;
	}
	double tte = headroom / g;
	tte_if_accelerating(ds, sc, headroom);
	if (tte > TTE_MAX_WINDOWS * sc->span_hours) {
		sc->tte_note = PT_TTE_BEYOND_WINDOW;
		return;
	}
	sc->has_tte = true;
	sc->tte_hours = tte;
	sc->tte_lo = g_hi > 0 ? headroom / g_hi : tte;
	sc->tte_hi = g_lo > 0 ? headroom / g_lo : INFINITY;
}

/*
 * The gates from the shape statistics, each 1 where its statistic could
 * not be measured (too few samples, no rise, no load signal).
 */
static void
shape_gates(struct pt_score *sc)
{
	sc->f_step = pt_ramp(sc->step_share, 0.6, 0.9, 1, 0);
	sc->f_within = isfinite(sc->z_within) ?
		pt_ramp(sc->z_within, 1.0, 2.5, 0, 1) : 1;
	sc->f_saturation = isnan(sc->end_ratio) ? 1 :
		pt_ramp(sc->end_ratio, 0.2, 0.6, 0, 1);
	/* A staircase's jumps are part of its rise; one jump is a shift. */
	sc->f_rise = isnan(sc->rise_share) ? 1 :
		pt_ramp(sc->rise_share, 0.15, 0.35, 0, 1);
	/* Only a support: a restarted leak can show its level early too. */
	sc->f_early = isnan(sc->half_rise) ? 1 :
		pt_ramp(sc->half_rise, 0.05, 0.25, 0.5, 1);
	bool adjusted = sc->load_adjusted || sc->machine_load_adjusted;
	sc->load_ratio = adjusted && sc->has_growth &&
		sc->growth_bph > 0 && isfinite(sc->adjusted_slope) ?
		sc->adjusted_slope / sc->growth_bph : NAN;
	sc->f_load = isnan(sc->load_ratio) ? 1 :
		pt_ramp(sc->load_ratio, 0.05, 0.35, 0, 1);
	/* A leak grows now: the slope of the current epoch must be up, or
	 * at least what the load leaves of it (a leak per operation falls
	 * with the load that drives it).  What the load leaves counts in
	 * full when it rises at least as fast as Bytes fall (a leak's rise
	 * is its own, a shift's adjusted remnant is a sliver), and always
	 * when Bytes do not fall: the gate never rewards falling Bytes over
	 * flat or rising ones. */
	sc->growth_adjusted_ratio = !adjusted || !(sc->adjusted_slope > 0) ?
		NAN : sc->growth_bph >= 0 ? INFINITY :
		sc->adjusted_slope / -sc->growth_bph;
	double raw = sc->growth_lo > 0 ? 1 : sc->growth_bph > 0 ? 0.5 : 0;
	double left = isnan(sc->growth_adjusted_ratio) ? 0 :
		pt_ramp(sc->growth_adjusted_ratio, 0.5, 1, 0.5, 1);
	sc->f_growth = !sc->has_growth ? 1 : fmax(raw, left);
}

static void
combine(struct pt_score *sc, double per_alloc, double noise)
{
	double sigma = noise > per_alloc ? noise : per_alloc;
	sc->snr = sigma > 0 ? sc->net_growth / (3 * sigma) : 0;
	/* Below one-sided 5% significance a trend is no evidence at all. */
	sc->f_trend = pt_ramp(sc->mk.z, 1.645, 4, 0, 1);
	sc->f_retention = pt_ramp(sc->retention, 0, 0.8, 0, 1);
	sc->f_snr = sc->net_growth < MIN_NET_ALLOCS * per_alloc ? 0 :
		pt_ramp(sc->snr, 0, 1, 0, 1);
	sc->f_give_back = pt_ramp(sc->give_back, 0.1, 0.6, 1, 0);
	double evidence = cbrt(sc->f_trend * sc->f_retention * sc->f_snr);
	shape_gates(sc);
	sc->confidence = evidence * sc->f_give_back * sc->f_recent *
		sc->f_within * sc->f_saturation * sc->f_step * sc->f_growth *
		sc->f_rise * sc->f_early * sc->f_load;
	if (sc->samples < PT_MIN_SAMPLES)
		sc->confidence = 0;
	sc->verdict = sc->confidence >= PT_LIKELY_MIN ? PT_VERDICT_LIKELY :
		sc->confidence >= PT_POSSIBLE_MIN ? PT_VERDICT_POSSIBLE :
		PT_VERDICT_UNLIKELY;
	sc->reason = decide_reason(sc);
	/* The knot of a hinge fitted to what is not growth is noise. */
	if (sc->verdict == PT_VERDICT_UNLIKELY)
		sc->has_onset = false;
}

/*
 * The current rate: the Theil-Sen slope from the onset on, when enough
 * samples follow it; a leak that started late is understated by a slope
 * over the whole epoch.  Only for series not judged unlikely (a knot
 * fitted to no growth means nothing).  False when out of memory.
 */
#define MIN_AFTER_ONSET 8

static bool
rate_after_onset(const struct epoch_view *last, size_t knot,
		struct pt_score *sc)
{
	if (knot >= last->n)
		return true;
	size_t m = last->n - knot;
	/* Of the allocations since the onset, the share still outstanding:
	 * near 1 when Frees stand still while Allocs climb. */
	double allocs = last->allocs[last->n - 1] - last->allocs[knot];
	double frees = last->frees[last->n - 1] - last->frees[knot];
	if (allocs > 0) {
		sc->has_never_freed = true;
		sc->never_freed_share = fmax(0, fmin(1, (allocs - frees) / allocs));
	}
	if (m < MIN_AFTER_ONSET || !(last->t[last->n - 1] > last->t[knot]))
		return true;
	if (!pt_theil_sen_blocked(last->t + knot, last->y + knot, m,
			SLOPE_POINTS, 0.95, &sc->rate_after_onset, &sc->rate_after_onset_lo,
			&sc->rate_after_onset_hi))
		return false;
	sc->has_rate_after_onset = true;
	return true;
}

/*
 * SCORING 5: a leak whose rate keeps rising runs the machine out sooner
 * than its current rate says.  The time the current rate is from (sample
 * first to the end) is cut into up to ACCEL_BINS equal spans, centred so
 * that a regular series puts one sample in the middle of each, each read
 * as the median of its samples: a collector that samples faster for a
 * while does not let a few hours of load stand for a third of the
 * series, and a sample a few minutes late stays in its span.  The spans
 * split in two: the first two thirds and the last third, disjoint so
 * that the one does not pull the other along.  A part is read when
 * enough of its spans hold samples.  Accelerating when the last third is
 * ACCEL_RATIO times faster and the two 95% intervals do not overlap, and
 * the slopes of the four quarters rise in turn: the intervals assume
 * independent noise, and a load swing or a burst makes one third fast by
 * chance far more often than it makes every quarter faster than the one
 * before.  Never when the saturation gate's reading (third_ratio) says
 * the growth is slowing.  False when out of memory.
 */
#define ACCEL_RATIO 1.5
/* Thirds of MIN_AFTER_ONSET samples each, as the rate since the onset. */
#define ACCEL_MIN_SAMPLES ((size_t)3 * MIN_AFTER_ONSET)
#define ACCEL_BINS 48

/*
 * A part is read when three quarters of its spans hold samples, or this
 * many spread over both its halves (a third of them in each at least):
 * the share suits a short series with a snapshot missing or late, the
 * count a collector that sampled faster for a while (its slow stretches
 * leave spans empty); without the spread, spans bunched at one end
 * after a gap would stand for the whole part.
 */
#define MIN_THIRD_SPANS 8
#define MIN_QUARTER_SPANS 6

struct time_bins {
	double t[ACCEL_BINS], y[ACCEL_BINS];
	size_t first[ACCEL_BINS + 1];  /* the first median of each bin on */
	size_t count;                  /* bins in all, empty ones too */
};

/* Median time and value of v's samples [lo, hi) into b's next slot. */
static void
add_bin_median(const struct epoch_view *v, size_t lo, size_t hi,
		double *work, struct time_bins *b, size_t *m)
{
	memcpy(work, v->y + lo, (hi - lo) * sizeof(double));
	b->y[*m] = pt_median_inplace(work, hi - lo);
	memcpy(work, v->t + lo, (hi - lo) * sizeof(double));
	b->t[*m] = pt_median_inplace(work, hi - lo);
	(*m)++;
}

/*
 * Cuts the time of samples first..n into count = min(samples, ACCEL_BINS)
 * spans of span / (count - 1) centred on t[first], t[first] + span /
 * (count - 1), ..., t[n - 1]; times rise with the index, t[n - 1] >
 * t[first] and samples >= 2.  Medians of different bins lie in disjoint
 * spans, so any two differ in time.
 */
static void
bin_by_time(const struct epoch_view *v, size_t first, double *work,
		struct time_bins *b)
{
	size_t samples = v->n - first, i = first, m = 0;
	b->count = samples < ACCEL_BINS ? samples : ACCEL_BINS;
	double t0 = v->t[first], span = v->t[v->n - 1] - t0;
	for (size_t g = 0; g < b->count; g++) {
		b->first[g] = m;
		size_t lo = i;
		double edge = t0 + span * ((double)g + 0.5) /
			(double)(b->count - 1);
		while (i < v->n && (g + 1 == b->count || v->t[i] < edge))
			i++;
		if (i > lo)
			add_bin_median(v, lo, i, work, b, &m);
	}
	b->first[b->count] = m;
}

struct slope_ci {
	double slope, lo, hi;
};

/*
 * Slope of the medians of bins [g0, g1) into *out; *has false unless
 * they hold samples as MIN_THIRD_SPANS says, with min for the count.
 * False when out of memory.
 */
static bool
slope_of_bins(const struct time_bins *b, size_t g0, size_t g1, size_t min,
		struct slope_ci *out, bool *has)
{
	size_t lo = b->first[g0], m = b->first[g1] - lo;
	size_t early = b->first[(g0 + g1) / 2] - lo, late = m - early;
	*has = m >= 2 && (4 * m >= 3 * (g1 - g0) ||
		(m >= min && 3 * early >= m && 3 * late >= m));
	if (!*has)
		return true;
	return pt_theil_sen(b->t + lo, b->y + lo, m, 0.95, &out->slope,
		&out->lo, &out->hi);
}

/* True when the slopes of the four quarters of the bins rise in turn. */
static bool
quarters_rise(const struct time_bins *b, bool *rise)
{
	double prev = -INFINITY;
	*rise = true;
	for (size_t q = 0; q < 4 && *rise; q++) {
		struct slope_ci s;
		if (!slope_of_bins(b, q * b->count / 4, (q + 1) * b->count / 4,
				MIN_QUARTER_SPANS, &s, rise))
			return false;
		if (!*rise)
			break;
		*rise = s.slope > prev;
		prev = s.slope;
	}
	return true;
}

static bool
measure_acceleration(const struct epoch_view *last, size_t first,
		double *work, struct pt_score *sc)
{
	if (first >= last->n || last->n - first < ACCEL_MIN_SAMPLES ||
			!(last->t[last->n - 1] > last->t[first]))
		return true;
	struct time_bins b;
	bin_by_time(last, first, work, &b);
	size_t k = b.count - b.count / 3;
	struct slope_ci early, late;
	bool has_late, has_early;
	if (!slope_of_bins(&b, k, b.count, MIN_THIRD_SPANS, &late, &has_late))
		return false;
	if (!has_late)
		return true;
	sc->has_rate_recent = true;
	sc->rate_recent = late.slope;
	sc->rate_recent_lo = late.lo;
	sc->rate_recent_hi = late.hi;
	if (isfinite(sc->third_ratio) && sc->third_ratio <= 1)
		return true;
	if (!slope_of_bins(&b, 0, k, MIN_THIRD_SPANS, &early, &has_early))
		return false;
	if (!has_early)
		return true;
	size_t e0 = b.first[0], e1 = b.first[k] - 1, l0 = b.first[k];
	size_t l1 = b.first[b.count] - 1;
	double mid_early = (b.t[e0] + b.t[e1]) / 2;
	double mid_late = (b.t[l0] + b.t[l1]) / 2;
	if (!(early.slope > 0) || !(late.slope > ACCEL_RATIO * early.slope) ||
			!(late.lo > early.hi) || !(mid_late > mid_early))
		return true;
	bool rise;
	if (!quarters_rise(&b, &rise))
		return false;
	if (!rise)
		return true;
	sc->accelerating = true;
	sc->acceleration = (late.slope - early.slope) / (mid_late - mid_early);
	sc->rate_end = late.slope + sc->acceleration *
		(last->t[last->n - 1] - mid_late);
	if (sc->verdict == PT_VERDICT_LIKELY)
		sc->reason = "grows faster and faster and never gives memory back";
	return true;
}

/* The larger of two ratios, either of which may be NAN (no slope). */
static double
larger_ratio(double a, double b)
{
	if (isnan(a))
		return b;
	return isnan(b) || a > b ? a : b;
}

/*
 * How the epochs rose around their best mean shifts (shift_rise), summed,
 * and the largest within-shift Z: a staircase that a reboot freed rose
 * in the epoch before too, where a one-time shift rose once.
 */
struct shift_pool {
	double within, jump;
	double z;
};

#define SHIFT_POOL_EMPTY ((struct shift_pool){ 0, 0, -INFINITY })

/* Epoch v's own share of the pool, in *own; mk as in within_shift_z. */
static bool
epoch_shift(const struct epoch_view *v, double *work, struct mk_slices *mk,
		struct shift_pool *own)
{
	size_t split;
	*own = SHIFT_POOL_EMPTY;
	if (!within_shift_z(v, work, &own->z, &split, mk) ||
			!shift_rise(v, split, work, &own->within, &own->jump))
		return false;
	own->jump = fmax(own->jump, 0);
	return true;
}

/* Adds an epoch's share to the pool (a Z is kept as the largest). */
static void
fold_shift(struct shift_pool *p, const struct shift_pool *own)
{
	p->within += own->within;
	p->jump += own->jump;
	if (own->z > p->z)
		p->z = own->z;
}

/*
 * A busy tag's Bytes divided by its own turnover rate assume all of its
 * usage scales with the load: on a climbing load that bends a leak that
 * does not (or a leak per operation under a base that does not) down, as
 * if it levelled off.  Read with the machine's load taken out instead
 * (machine_adjusted), a leak keeps its slope and a warm-up still levels
 * off; saturation takes the larger end ratio of the two views, so growth
 * must level off in both.  *sc's machine_end_ratio gets this view's
 * ratio (NAN: no machine load).  False when out of memory.
 */
static bool
machine_end_ratio(const struct epoch_view *last, struct scratch *scr,
		struct pt_score *sc)
{
	struct epoch_view mv;
	double half, third;
	sc->machine_end_ratio = NAN;
	if (!machine_adjusted(last, scr->work, scr->mview, NULL, &mv))
		return true;
	if (!end_slope_ratio(&mv, mv.n / 2, scr->work, &half) ||
			!end_slope_ratio(&mv, mv.n / 3, scr->work, &third))
		return false;
	sc->machine_end_ratio = larger_ratio(third, half);
	sc->end_ratio = larger_ratio(sc->end_ratio, sc->machine_end_ratio);
	return true;
}

/*
 * Growth, onset and the shape gates (recent, within-shift, saturation)
 * over the last epoch; *knot gets the onset's sample.  noise is the
 * epoch's noise_scale.  False when out of memory.
 */
static bool
last_epoch_shape(const struct epoch_view *last, double noise,
		struct scratch *scr, struct pt_score *sc, size_t *knot,
		struct shift_pool *pool, struct floors *adjusted_floors)
{
	if (!pt_theil_sen_blocked(last->t, last->y, last->n, SLOPE_POINTS,
			0.95, &sc->growth_bph, &sc->growth_lo, &sc->growth_hi))
		return false;
	sc->has_growth = true;
	/* The shape gates look at what the load does not explain. */
	struct epoch_view shape = *last;
	sc->load_adjusted = load_adjusted(last, scr->work, scr->adj, &shape);
	if (!sc->load_adjusted)
		sc->machine_load_adjusted = machine_adjusted(last, scr->work,
			scr->adj, &sc->load_elasticity, &shape);
	bool adjusted = sc->load_adjusted || sc->machine_load_adjusted;
	if (adjusted)
		noise = noise_scale(&shape, scr->work);
	/* So does the onset: a load swing is not where a leak began. */
	double hinge_slope = 0;
	if (hinge_onset(&shape, knot, &hinge_slope)) {
		*knot = first_step_onset(&shape, *knot, hinge_slope, noise);
		sc->has_onset = true;
		sc->onset_ms = last->t_ms[*knot];
	}
	/* The adjusted slope and the half-rise read the same group medians. */
	double gt[HALF_GROUPS], gy[HALF_GROUPS];
	size_t groups = group_medians(&shape, scr->work, gt, gy);
	if (adjusted && slope_of_groups(gt, gy, groups,
			&sc->adjusted_slope) == SLOPE_OOM)
		return false;
	/* Give-back too: a cache that empties while its load climbs hides
	 * its falls under the climb. */
	if (adjusted) {
		struct block_levels bl;
		select_block_levels(&shape, scr->work, &bl);
		block_floors(&bl, floor_tolerance(noise, shape.n),
			adjusted_floors);
	}
	size_t half = shape.n / 2;
	struct mk_slices mk = { .want_recent = shape.n - half >= 6 };
	if (shape.n >= 8) {
		struct shift_pool own;
		if (!epoch_shift(&shape, scr->work, &mk, &own) ||
				!end_slope_ratio(&shape, shape.n / 2, scr->work,
					&sc->half_ratio) ||
				!end_slope_ratio(&shape, shape.n / 3, scr->work,
					&sc->third_ratio))
			return false;
		fold_shift(pool, &own);
		sc->half_rise = half_rise_at(&shape, gt, gy, groups);
		/* Levelling off must show in both the halves and the thirds:
		 * one load burst can flatten either alone. */
		sc->end_ratio = larger_ratio(sc->third_ratio, sc->half_ratio);
		if (sc->load_adjusted && !machine_end_ratio(last, scr, sc))
			return false;
	}
	if (mk.want_recent) {
		sc->z_recent = mk.recent.z;
		sc->f_recent = pt_ramp(mk.recent.z, 0, 1.5, 0.4, 1);
	}
	return true;
}

/*
 * The series' first and last counters, unwrapped, from the epochs as they
 * are gathered in order (first: v holds the first present cells).
 */
static void
note_end_counters(const struct epoch_view *v, bool first,
		struct pt_score *sc)
{
	if (v->n == 0)
		return;
	if (first) {
		sc->allocs_first = (int64_t)v->allocs[0];
		sc->frees_first = (int64_t)v->frees[0];
	}
	sc->allocs_last = (int64_t)v->allocs[v->n - 1];
	sc->frees_last = (int64_t)v->frees[v->n - 1];
}

static bool
score_epochs(const struct pt_dataset *ds, size_t s, struct scratch *scr,
		struct pt_score *sc)
{
	double s_sum = 0, var_sum = 0, rises = 0, falls = 0;
	double range_sum = 0, noise_max = 0, per_alloc = 0, max_rise = 0;
	double last_noise = 0;
	size_t knot = 0;
	struct epoch_view last = {0}, last_pair = {0};
	struct shift_pool pool = SHIFT_POOL_EMPTY, candidate = SHIFT_POOL_EMPTY;
	struct floors last_floors = {0}, adjusted_floors = {0};
	size_t off = 0;
	for (uint32_t e = 0; e < ds->nepochs; e++) {
		struct epoch_view v;
		gather_epoch(ds, s, e, scr, off, &v);
		off += v.n;
		note_end_counters(&v, off == v.n, sc);
		if (v.n < 2)
			continue;
		struct block_levels bl;
		struct pt_mk mk;
		if (!sorted_block_levels(&v, scr->work, &bl, &mk))
			return false;
		double factor = autocorrelation_factor(&v, &bl, scr->work);
		if (factor < 0)
			return false;
		if (factor > sc->hamed_rao)
			sc->hamed_rao = factor;
		s_sum += mk.s;
		var_sum += mk.var * factor;
		double noise = noise_scale(&v, scr->work);
		struct floors fl;
		block_floors(&bl, floor_tolerance(noise, v.n), &fl);
		rises += fl.rises;
		falls += fl.falls;
		if (fl.max_rise > max_rise)
			max_rise = fl.max_rise;
		sc->net_growth += fl.last - fl.first;
		range_sum += fl.med_max - fl.med_min;
		if (noise > noise_max)
			noise_max = noise;
		last_pair = v;
		bool growth_epoch = v.n >= 3 && spans_time(&v);
		/* The growth epoch's shift is measured on its load-adjusted
		 * view (last_epoch_shape), so its raw one is held apart until a
		 * later epoch takes its place: a running largest Z cannot be
		 * taken out again. */
		struct shift_pool own = SHIFT_POOL_EMPTY;
		struct mk_slices slices = { .want_recent = false };
		if (v.n >= 8 && !(growth_epoch && e + 1 == ds->nepochs) &&
				!epoch_shift(&v, scr->work, &slices, &own))
			return false;
		if (growth_epoch) {
			fold_shift(&pool, &candidate);
			candidate = own;
			last_floors = fl;
			last_noise = noise;
			last = v;
			sc->growth_epoch = e;
		} else
			fold_shift(&pool, &own);
	}
	/* The allocation size of the latest epoch sets the granularity;
	 * each epoch's samples stay at their own offset in the scratch. */
	if (last_pair.n > 0) {
		memcpy(scr->work, last_pair.per_alloc, last_pair.n * sizeof(double));
		per_alloc = pt_median_inplace(scr->work, last_pair.n);
	}
	sc->mk.n = sc->samples;
	sc->mk.s = s_sum;
	sc->mk.var = var_sum;
	if (var_sum > 0)
		sc->mk.z = (s_sum - (s_sum > 0) + (s_sum < 0)) / sqrt(var_sum);
	sc->step_share = rises > 0 ? max_rise / rises : 1;
	/* Weighted by how far each epoch moved: a flat epoch before a late
	 * leak's says nothing about what the leak kept. */
	sc->retention = range_sum > 0 ? sc->net_growth / range_sum : 0;
	sc->half_ratio = sc->third_ratio = sc->end_ratio = NAN;
	sc->half_rise = sc->adjusted_slope = sc->load_elasticity = NAN;
	sc->machine_end_ratio = sc->growth_adjusted_ratio = NAN;
	sc->f_recent = 1;
	if (last.n >= 3 && !last_epoch_shape(&last, last_noise, scr, sc, &knot,
			&pool, &adjusted_floors))
		return false;
	if (sc->load_adjusted || sc->machine_load_adjusted) {
		rises += adjusted_floors.rises - last_floors.rises;
		falls += adjusted_floors.falls - last_floors.falls;
	}
	sc->give_back = rises > 0 ? falls / rises : 1;
	sc->z_within = pool.z > -INFINITY ? pool.z : NAN;
	sc->rise_share = pool.within + pool.jump > 0 ?
		pool.within / (pool.within + pool.jump) : NAN;
	combine(sc, per_alloc, noise_max);
	if (sc->verdict == PT_VERDICT_UNLIKELY)
		return true;
	if (sc->has_onset && !rate_after_onset(&last, knot, sc))
		return false;
	return measure_acceleration(&last, sc->has_rate_after_onset ? knot : 0,
		scr->work, sc);
}

/* Score series s with scratch arrays the caller keeps (nsnap long). */
static bool
score_with(const struct pt_dataset *ds, size_t s, struct scratch *scr,
		struct pt_score *sc)
{
	memset(sc, 0, sizeof(*sc));
	sc->series = s;
	sc->hamed_rao = 1;
	sc->tte_hours = sc->tte_accelerating_hours = NAN;
	sc->rate_recent = sc->rate_recent_lo = sc->rate_recent_hi = NAN;
	sc->rate_end = NAN;
	const struct pt_series *se = &ds->series[s];
	if (se->present == 0) {
		sc->reason = "never present";
		return true;
	}
	fill_endpoints(ds, s, sc);
	if (!score_epochs(ds, s, scr, sc))
		return false;
	time_to_exhaustion(ds, se, sc);
	return true;
}

bool
pt_score_series_load(const struct pt_dataset *ds, size_t s,
		const struct pt_load *load, struct pt_score *sc)
{
	struct scratch scr;
	bool ok = scratch_init(&scr, ds->nsnap);
	scr.machine = load;
	ok = ok && score_with(ds, s, &scr, sc);
	scratch_finish(&scr);
	return ok;
}

bool
pt_score_series(const struct pt_dataset *ds, size_t s, struct pt_score *sc)
{
	return pt_score_series_load(ds, s, NULL, sc);
}

struct pt_score *
pt_score_all(const struct pt_dataset *ds, struct pt_error *err)
{
	/* One set of scratch arrays for every series, not one each. */
	struct scratch scr;
	struct pt_score *out = calloc(ds->nseries ? ds->nseries : 1, sizeof(*out));
	struct pt_load *load = out != NULL ? pt_load_create(ds) : NULL;
	bool ok = load != NULL && scratch_init(&scr, ds->nsnap);
	scr.machine = load;
	for (size_t s = 0; ok && s < ds->nseries; s++)
		ok = score_with(ds, s, &scr, &out[s]);
	if (load != NULL)
		scratch_finish(&scr);
	pt_load_destroy(load);
	if (!ok) {
		free(out);
		pt_error_set(err, 0, "out of memory while scoring");
		return NULL;
	}
	return out;
}

const char *
pt_score_tte_bound(const struct pt_score *s)
{
	return s->has_tte || isfinite(s->tte_accelerating_hours) ?
		s->tte_bound : NULL;
}

/* The current rate of a series: since the onset when there is one. */
static double
current_rate(const struct pt_score *sc)
{
	if (sc->has_rate_after_onset)
		return sc->rate_after_onset;
	return sc->has_growth ? sc->growth_bph : 0;
}

/* Headroom of a pool in the last snapshot, as for one tag. */
static bool
pool_headroom(const struct pt_dataset *ds, int pool, struct pt_pool_tte *p)
{
	return pt_pool_headroom(&ds->snaps[ds->nsnap - 1].summary, (uint8_t)pool,
		&p->headroom_bytes, &p->bound);
}

/*
 * Theil-Sen slope in bytes/hour of a header value (KB) over the last epoch;
 * field picks it.  False when out of memory; *has says whether there was
 * one (at least three snapshots with the line, time passing).
 */
static bool
header_trend(const struct pt_dataset *ds, int field, bool *has, double *slope)
{
	size_t lo = ds->epoch_start[ds->nepochs - 1], n = 0;
	double *t = malloc((ds->nsnap - lo) * sizeof(*t));
	double *y = malloc((ds->nsnap - lo) * sizeof(*y));
	bool ok = t != NULL && y != NULL;
	for (size_t i = lo; ok && i < ds->nsnap; i++) {
		const struct pt_summary *s = &ds->snaps[i].summary;
		bool present = field == 0 ? pt_summary_has_avail(s) :
			s->has_commit;
		if (!present)
			continue;
		int64_t k = field == 0 ? s->avail_k : field == 1 ?
			s->pool_nonpaged_k : s->pool_paged_k;
		t[n] = (double)(ds->snaps[i].t_ms - ds->snaps[0].t_ms) / MS_PER_HOUR;
		y[n++] = (double)k * 1024.0;
	}
	*has = false;
	if (ok && n >= 3 && t[n - 1] > t[0]) {
		ok = pt_theil_sen(t, y, n, 0.95, slope, NULL, NULL);
		*has = ok;
	}
	free(t);
	free(y);
	return ok;
}

/*
 * The flagged series of a pool as they would go on if the accelerating
 * ones keep accelerating: rates (rate_end for those) and accelerations,
 * weighted by confidence as leak_rate is.
 */
struct accelerating_sum {
	double rate, acceleration;
	bool any;
};

static void
add_accelerating(const struct pt_dataset *ds, struct accelerating_sum *sum,
		const struct pt_score *sc, double rate)
{
	if (!accelerating_now(ds, sc)) {
		sum->rate += sc->confidence * rate;
		return;
	}
	sum->any = true;
	sum->rate += sc->confidence * sc->rate_end;
	sum->acceleration += sc->confidence * sc->acceleration;
}

static void
machine_tte_if_accelerating(struct pt_pool_tte *p,
		const struct accelerating_sum *sum, double span)
{
	if (!sum->any || !(sum->rate > 0))
		return;
	double tau = hours_while_accelerating(p->headroom_bytes, sum->rate,
		sum->acceleration);
	if (tau <= TTE_MAX_WINDOWS * span) {
		p->has_tte_accelerating = true;
		p->tte_accelerating_hours = tau;
	}
}

bool
pt_machine_tte(const struct pt_dataset *ds, const struct pt_score *scores,
		struct pt_machine_tte *out)
{
	memset(out, 0, sizeof(*out));
	if (ds->nsnap == 0 || ds->nepochs == 0)
		return true;
	double span = (double)(ds->snaps[ds->nsnap - 1].t_ms -
		ds->snaps[0].t_ms) / MS_PER_HOUR;
	struct accelerating_sum accel[PT_POOL_COUNT] = { 0 };
	for (size_t s = 0; s < ds->nseries; s++) {
		const struct pt_score *sc = &scores[s];
		double g = current_rate(sc);
		if (sc->verdict == PT_VERDICT_UNLIKELY || !(g > 0))
			continue;
		uint8_t pool = ds->series[s].pool;
		struct pt_pool_tte *p = &out->pool[pool];
		p->leak_rate += sc->confidence * g;
		if (sc->verdict == PT_VERDICT_LIKELY)
			p->likely_rate += g;
		add_accelerating(ds, &accel[pool], sc, g);
	}
	for (int pool = 0; pool < PT_POOL_COUNT; pool++) {
		struct pt_pool_tte *p = &out->pool[pool];
		/* The header's "P:" total is the paged pool (field 2). */
		if (!header_trend(ds, pool == PT_POOL_NONPAGED ? 1 : 2,
				&p->has_total_trend, &p->total_trend_bph))
			return false;
		p->has_headroom = pool_headroom(ds, pool, p);
		if (!p->has_headroom)
			p->note = pt_summary_missing_note(
				&ds->snaps[ds->nsnap - 1].summary, (uint8_t)pool);
		else if (!(p->leak_rate > 0))
			p->note = "no leaking series";
		else if (ds->times_are_indices)
			p->note = PT_TTE_NO_TIMES;
		if (p->note != NULL)
			continue;
		machine_tte_if_accelerating(p, &accel[pool], span);
		double tte = p->headroom_bytes / p->leak_rate;
		if (tte > TTE_MAX_WINDOWS * span) {
			p->note = PT_TTE_BEYOND_WINDOW;
			continue;
		}
		p->has_tte = true;
		p->tte_hours = tte;
		double tte_likely = p->headroom_bytes / p->likely_rate;
		if (p->likely_rate > 0 && tte_likely <= TTE_MAX_WINDOWS * span) {
			p->has_tte_likely = true;
			p->tte_likely_hours = tte_likely;
		}
	}
	if (!header_trend(ds, 0, &out->has_avail_trend, &out->avail_trend_bph))
		return false;
	const struct pt_summary *sum = &ds->snaps[ds->nsnap - 1].summary;
	if (out->has_avail_trend && out->avail_trend_bph < 0 &&
			pt_summary_has_avail(sum) && !ds->times_are_indices) {
		double tte = (double)sum->avail_k * 1024.0 / -out->avail_trend_bph;
		if (tte <= TTE_MAX_WINDOWS * span) {
			out->has_avail_tte = true;
			out->avail_tte_hours = tte;
		}
	}
	return true;
}

double
pt_rank_impact(const struct pt_score *s)
{
	if (s->verdict == PT_VERDICT_UNLIKELY)
		return s->confidence - 1;
	double g = current_rate(s);
	return s->confidence * (1 + RANK_GROWTH_WEIGHT *
		log10(1 + (g > 0 ? g : 0) / 1024));
}

bool
pt_pool_headroom(const struct pt_summary *sum, uint8_t pool, double *bytes,
		const char **bound)
{
	double k;
	if (pool == PT_POOL_NONPAGED) {
		if (!pt_summary_has_avail(sum))
			return false;
		k = (double)sum->avail_k;
		*bound = "available memory";
	} else {
		if (!sum->has_commit)
			return false;
		k = (double)sum->limit_k - (double)sum->commit_k;
		*bound = "commit limit";
	}
	*bytes = k > 0 ? k * 1024.0 : 0;
	return true;
}
