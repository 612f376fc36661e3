/*
 * Robust trend statistics: Mann-Kendall, Theil-Sen, selection, normal
 * distribution.  See include/pooltrend/stats.h for the contract.
 *
 * All inputs are assumed finite (no NaN or infinity); byte counts up to
 * about 1e14 and times in hours are fine.  Counts are int64, so n may go
 * up to millions (Theil-Sen takes at most UINT32_MAX points).
 *
 * Theil-Sen, the way it is done here
 * ----------------------------------
 * For a slope s, key_i(s) = y_i - s*t_i.  A pair i < j (in time, t_i < t_j)
 * has slope r_ij < s exactly when key_j(s) < key_i(s), so the number of
 * pairs with slope below s is the number of inversions of the keys in time
 * order (one merge sort).  Better, if the points are sorted by key(lo) and
 * then merge-sorted by key(hi), the inversions met on the way are exactly
 * the pairs with lo <= r < hi, so a merge pass can count them, enumerate
 * them or hand out a random sample of them.
 *
 * Selection of the k-th smallest slope keeps a window [lo, hi) known to
 * contain it, with the number of pairs below and inside the window.  Each
 * round samples about 2n pairs of the window, takes sample order
 * statistics about one standard deviation either side of the target as
 * new cuts, counts the pairs between the cuts and keeps the part holding
 * the target (Matousek 1991; Dillencourt, Mount & Netanyahu 1992).  Each
 * round shrinks the window by a factor of about sqrt(n), so one or two
 * rounds of O(n log n) bring it down to O(n) pairs (O(n^1.5) between the
 * confidence ranks), which are enumerated and selected by quickselect.
 * Problems with few pairs enumerate them all directly.
 * Sampling uses a fixed-seed PRNG, so results are reproducible; the counts
 * are verified, so a bad sample costs time, never correctness.
 *
 * Exactness: key comparisons are exact, not just rounded.  A counting
 * pass rounds each key once with an error bound and sorts the rounded
 * keys as integers; only runs of neighbours within twice the largest
 * bound of each other (rare on noisy data, common on exact ties) are then
 * sorted again by exact comparisons, and the inversions corrected by the
 * difference.
 * The passes that visit pairs compare in floating point with the bound.
 * The comparisons inside the bound are decided by summing the terms of
 * y_a - y_b - s(t_a - t_b) exactly (fma products, Shewchuk's
 * Grow-Expansion).  Window bounds are
 * cuts on the rounded slopes d = fl(r) that brute force computes (a cut at
 * a double c becomes a cut of the real slopes at the midpoint below c, see
 * rcut_of), so a window [v, nextafter(v)) holds only pairs with d == v:
 * that is how large masses of tied slopes (0 for flat series) end without
 * enumeration.  When y_j - y_i and t_j - t_i are exact in doubles (byte
 * counts; integral or dyadic times) the result is therefore the
 * brute-force median of (y_j - y_i) / (t_j - t_i) bit for bit; otherwise
 * it may differ from it by rounding of single slopes (an ulp or so).
 * Assumed: no product s*t overflows or underflows (slopes other than 0
 * have magnitudes between 1e-270 and 1e300).
 */
#include "pooltrend/stats.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Sorting on integer keys                                              */

#define SIGN_BIT ((uint64_t)1 << 63)

/*
 * Bits of u as an integer in the same order as u (-0 just below +0; NaN
 * outside the infinities).  Merges compare these: an integer comparison
 * is the shortest step in the chain of dependent loads a merge is.
 */
static inline uint64_t
ordered_bits(double u)
{
	uint64_t b;
	memcpy(&b, &u, sizeof(b));
	return b ^ (((uint64_t)0 - (b >> 63)) | SIGN_BIT);
}

/* The inverse of ordered_bits. */
static inline double
key_value(uint64_t key)
{
	uint64_t b = key ^ (((uint64_t)0 - (~key >> 63)) | SIGN_BIT);
	double u;
	memcpy(&u, &b, sizeof(u));
	return u;
}

/* A record sorted by an integer key; idx is carried along. */
struct ckey {
	uint64_t key;
	uint32_t idx;
};

/*
 * The merge sort, for the records above (the sort proper, with their
 * index carried along) and for bare keys (where only the order and the
 * inversions count: half the bytes to move, about a third faster).
 */
#define SC_T struct ckey
#define SC_KEY(r) ((r).key)
/* Fields one by one, so that the compiler moves them without a branch. */
#define SC_CHOOSE(d, s, a, b) \
	((d).key = (s) ? (a).key : (b).key, (d).idx = (s) ? (a).idx : (b).idx)
#define SC_FN(name) name
#include "sort_count.h"

#define SC_T uint64_t
#define SC_KEY(r) (r)
#define SC_CHOOSE(d, s, a, b) ((d) = (s) ? (a) : (b))
#define SC_FN(name) name##_bare
#include "sort_count.h"

/* The end of the run of values equal to sorted[i] (i < n). */
static inline size_t
tie_run_end(const double *sorted, size_t n, size_t i)
{
	size_t j = i + 1;
	while (j < n && sorted[j] == sorted[i])
		j++;
	return j;
}

/* Number of tied pairs, sum of t(t-1)/2 over the runs of sorted a. */
static int64_t
tied_pairs(const double *sorted, size_t n)
{
	int64_t pairs = 0;

	for (size_t i = 0, j; i < n; i = j) {
		j = tie_run_end(sorted, n, i);
		int64_t len = (int64_t)(j - i);
		pairs += len * (len - 1) / 2;
	}
	return pairs;
}

/*
 * Sorted copy of v[0..n) into *sorted (the caller frees it); returns the
 * strict inversions, -1 when out of memory.
 */
static int64_t
sorted_copy(const double *v, size_t n, double **sorted)
{
	struct pt_mk_run run;
	*sorted = malloc((n ? n : 1) * sizeof(**sorted));
	if (*sorted == NULL || !pt_mk_run_sort(v, n, *sorted, &run)) {
		free(*sorted);
		*sorted = NULL;
		return -1;
	}
	return run.inv;
}

int64_t
pt_count_inversions(const double *a, size_t n, int64_t *ties)
{
	if (ties != NULL)
		*ties = 0;
	if (n < 2)
		return 0;
	double *sorted;
	int64_t inv = sorted_copy(a, n, &sorted);
	if (inv >= 0 && ties != NULL)
		*ties = tied_pairs(sorted, n);
	free(sorted);
	return inv;
}

/* ------------------------------------------------------------------ */
/* Mann-Kendall                                                          */

/*
 * n(n-1)(2n+5) fits in 64 bits for n up to about 2.09e6; below this limit
 * the variance numerator is computed exactly, which matters when nearly
 * all values are tied and the two terms almost cancel.
 */
#define EXACT_VAR_MAX 2000000u

static uint64_t
var_term(uint64_t t)
{
	return t * (t - 1) * (2 * t + 5);
}

/* Tie-corrected variance of S from the sorted values. */
static double
mk_variance(const double *sorted, size_t n)
{
	if (n < 2)
		return 0.0;
	if (n <= EXACT_VAR_MAX) {
		uint64_t num = var_term(n);
		for (size_t i = 0, j; i < n; i = j) {
			j = tie_run_end(sorted, n, i);
			num -= var_term(j - i);
		}
		return (double)num / 18.0;
	}
	double dn = (double)n, num = dn * (dn - 1) * (2 * dn + 5);
	for (size_t i = 0, j; i < n; i = j) {
		j = tie_run_end(sorted, n, i);
		double len = (double)(j - i);
		num -= len * (len - 1) * (2 * len + 5);
	}
	return num > 0 ? num / 18.0 : 0.0;
}

/*
 * The tie-corrected variance and the tied pairs from the tie groups
 * counted in a hash table, without sorting (the interval of the Theil-Sen
 * slope needs nothing else).  The same integers as mk_variance, summed in
 * another order, which does not change an integer sum.  False when out of
 * memory, for n past the exact range or NaN in y: the sort decides those.
 */
static bool
hashed_ties(const double *y, size_t n, double *var, int64_t *ties)
{
	if (n < 2 || n > EXACT_VAR_MAX)
		return false;
	int bits = 1;
	while (((size_t)1 << bits) < 2 * n)
		bits++;
	size_t size = (size_t)1 << bits, mask = size - 1;
	uint64_t *key = malloc(size * sizeof(*key));
	uint32_t *count = calloc(size, sizeof(*count));
	bool ok = key != NULL && count != NULL;
	for (size_t i = 0; ok && i < n; i++) {
		ok = !isnan(y[i]);
		uint64_t k = ordered_bits(y[i] + 0.0);
		size_t h = (size_t)((k * 0x9e3779b97f4a7c15u) >> (64 - bits));
		while (count[h] != 0 && key[h] != k)
			h = (h + 1) & mask;
		key[h] = k;
		count[h]++;
	}
	if (ok) {
		uint64_t num = var_term(n);
		int64_t pairs = 0;
		for (size_t h = 0; h < size; h++) {
			if (count[h] > 1) {
				num -= var_term(count[h]);
				pairs += (int64_t)count[h] * (count[h] - 1) / 2;
			}
		}
		*var = (double)num / 18.0;
		*ties = pairs;
	}
	free(key);
	free(count);
	return ok;
}

/*
 * Sorts a copy of y and returns the tie-corrected variance; *inv gets the
 * strict inversions and *ties the tied pairs when not NULL.  False on OOM.
 */
static bool
sorted_stats(const double *y, size_t n, int64_t *inv, int64_t *ties,
		double *var)
{
	double *buf;
	int64_t q = sorted_copy(y, n, &buf);
	if (q < 0) {
		free(buf);      /* NULL: sorted_copy frees it on failure */
		return false;
	}
	if (inv != NULL)
		*inv = q;
	if (ties != NULL)
		*ties = tied_pairs(buf, n);
	*var = mk_variance(buf, n);
	free(buf);
	return true;
}

bool
pt_mk_run_sort(const double *y, size_t n, double *sorted, struct pt_mk_run *out)
{
	*out = (struct pt_mk_run){ sorted, n, 0 };
	if (n < 2) {
		if (n == 1)
			sorted[0] = y[0] + 0.0;
		return true;
	}
	uint64_t *k = malloc(2 * n * sizeof(*k));
	if (k == NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		k[i] = ordered_bits(y[i] + 0.0);
	out->inv = sort_count_keys_bare(k, k + n, n);
	for (size_t i = 0; i < n; i++)
		sorted[i] = key_value(k[i]);
	free(k);
	return true;
}

/*
 * Each element of b that goes before elements of a (strictly smaller)
 * is one inversion with each of them.  The side is chosen by arithmetic,
 * as in merge_keys: on noisy values a branch would mispredict.
 */
void
pt_mk_run_join(const struct pt_mk_run *a, const struct pt_mk_run *b,
		double *sorted, struct pt_mk_run *out)
{
	const double *x = a->sorted, *y = b->sorted;
	size_t i = 0, j = 0, k = 0;
	int64_t inv = a->inv + b->inv;
	while (i < a->n && j < b->n) {
		bool right = y[j] < x[i];
		inv += (int64_t)(a->n - i) & -(int64_t)right;
		sorted[k++] = right ? y[j] : x[i];
		j += right;
		i += !right;
	}
	while (i < a->n)
		sorted[k++] = x[i++];
	while (j < b->n)
		sorted[k++] = y[j++];
	*out = (struct pt_mk_run){ sorted, a->n + b->n, inv };
}

void
pt_mk_run_stats(const struct pt_mk_run *r, struct pt_mk *out)
{
	size_t n = r->n;
	memset(out, 0, sizeof(*out));
	out->n = n;
	if (n < 2)
		return;

	int64_t ties;
	double var;
	ties = tied_pairs(r->sorted, n);
	var = mk_variance(r->sorted, n);
	/* Knight: S = P - Q with P = N - Q - T. */
	int64_t npairs = (int64_t)n * (int64_t)(n - 1) / 2;
	int64_t s = npairs - ties - 2 * r->inv;

	out->s = (double)s;
	out->var = var;
	out->tau = (double)s / (double)npairs;
	if (var > 0 && s != 0)
		out->z = ((double)s - (s > 0 ? 1.0 : -1.0)) / sqrt(var);
}

bool
pt_mann_kendall(const double *y, size_t n, struct pt_mk *out)
{
	struct pt_mk_run run;
	double *sorted = malloc((n ? n : 1) * sizeof(*sorted));
	bool ok = sorted != NULL && pt_mk_run_sort(y, n, sorted, &run);
	if (ok)
		pt_mk_run_stats(&run, out);
	free(sorted);
	return ok;
}

/* ------------------------------------------------------------------ */
/* Hamed-Rao autocorrelation correction                                  */

/*
 * Sorts a[0..n) by key (tmp: n more), n <= UINT32_MAX, without counting
 * inversions.  A radix sort on the high 32 bits of the keys, a byte at a
 * time from the lowest of them (a byte that all keys share takes no
 * pass), orders all but the keys that share those bits; each run of
 * those is then sorted whole by sort_count_keys.  For doubles the high
 * half is the sign, the exponent and 20 bits of the mantissa, which few
 * distinct values share; when all do, this costs one merge sort more
 * than four passes.  2,000 ranks of residuals: 16 us against 39 us for
 * the merge sort alone and 31 us for eight byte passes.
 */
static void
sort_keys_by_high_bytes(struct ckey *a, struct ckey *tmp, size_t n)
{
	uint32_t count[4][256];
	memset(count, 0, sizeof(count));
	for (size_t i = 0; i < n; i++)
		for (unsigned d = 0; d < 4; d++)
			count[d][(a[i].key >> (32 + 8 * d)) & 255]++;
	struct ckey *src = a, *dst = tmp;
	for (unsigned d = 0; n > 0 && d < 4; d++) {
		uint32_t *c = count[d], sum = 0;
		unsigned shift = 32 + 8 * d;
		if (c[(src[0].key >> shift) & 255] == n)
			continue;
		for (unsigned b = 0; b < 256; b++) {
			uint32_t here = c[b];
			c[b] = sum;
			sum += here;
		}
		for (size_t i = 0; i < n; i++)
			dst[c[(src[i].key >> shift) & 255]++] = src[i];
		struct ckey *swap = src;
		src = dst;
		dst = swap;
	}
	if (src != a)
		memcpy(a, src, n * sizeof(*a));
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && a[j].key >> 32 == a[i].key >> 32; j++)
			;
		if (j - i > 1)
			sort_count_keys(a + i, tmp, j - i);
	}
}

/* Ranks of r (ties get their average rank) into rank[0..n). */
static bool
rank_values(const double *r, size_t n, double *rank)
{
	struct ckey *rv = malloc(2 * n * sizeof(*rv));
	if (rv == NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		rv[i] = (struct ckey){ ordered_bits(r[i] + 0.0), (uint32_t)i };
	sort_keys_by_high_bytes(rv, rv + n, n);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && rv[j].key == rv[i].key)
			j++;
		double avg = (double)(i + j + 1) / 2;   /* 1-based mean rank */
		for (size_t k = i; k < j; k++)
			rank[rv[k].idx] = avg;
		i = j;
	}
	free(rv);
	return true;
}

double
pt_hamed_rao_factor(const double *r, size_t n)
{
	if (n < 4)
		return 1;
	if (n > UINT32_MAX)
		return -1;
	double *rank = malloc(n * sizeof(*rank));
	if (rank == NULL || !rank_values(r, n, rank)) {
		free(rank);
		return -1;
	}
	double mean = (double)(n + 1) / 2, den = 0;
	for (size_t i = 0; i < n; i++)
		den += (rank[i] - mean) * (rank[i] - mean);
	double dn = (double)n, sum = 0, bound = 1.959963984540054 / sqrt(dn);
	for (size_t k = 1; k <= 3 && k + 2 < n && den > 0; k++) {
		double num = 0;
		for (size_t i = 0; i + k < n; i++)
			num += (rank[i] - mean) * (rank[i + k] - mean);
		double rho = num / den, dk = (double)k;
		if (fabs(rho) > bound)
			sum += (dn - dk) * (dn - dk - 1) * (dn - dk - 2) * rho;
	}
	free(rank);
	double f = 1 + 2 * sum / (dn * (dn - 1) * (dn - 2));
	return f > 1 ? f : 1;
}

/* ------------------------------------------------------------------ */
/* Selection                                                             */

static double
median_of_three(double a, double b, double c)
{
	if (a < b)
		return b < c ? b : (a < c ? c : a);
	return a < c ? a : (b < c ? c : b);
}

static int
cmp_doubles(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;
	return (a > b) - (a < b);
}

/*
 * Moves the elements of v[lo..hi) below pivot (or <= pivot with or_equal)
 * to the front and returns where the rest starts.  Branch-free (Lomuto
 * with an unconditional swap): on random slopes the branches of a classic
 * partition mispredict about every other element.
 */
static size_t
partition_below(double *v, size_t lo, size_t hi, double pivot, bool or_equal)
{
	size_t at = lo;
	for (size_t i = lo; i < hi; i++) {
		double x = v[i];
		v[i] = v[at];
		v[at] = x;
		at += or_equal ? x <= pivot : x < pivot;
	}
	return at;
}

static void select_kth(double *v, size_t n, size_t k);

static uint64_t
next_random(uint64_t *state)
{
	/* splitmix64: fixed seed per call keeps the results reproducible. */
	uint64_t z = (*state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/*
 * Uniform in [0, k), k > 0.  A multiply and shift where a 64-bit division
 * would take tens of cycles per draw (bias below k / 2^32, harmless for
 * sampling).
 */
static uint64_t
random_below(uint64_t *state, uint64_t k)
{
	uint64_t r = next_random(state);
	if (k <= UINT32_MAX)
		return ((r >> 32) * k) >> 32;
	return r % k;
}

/*
 * Large ranges (the tens of thousands of slopes between the Theil-Sen
 * confidence ranks) first cut out a band around the target (Floyd &
 * Rivest 1975): the order statistics of a sample a few standard
 * deviations either side of the target rank bound a band that holds it
 * nearly always, so two partition passes leave a few percent of the range
 * for the quickselect, which averages about 2.5 passes over all of it.
 */
#define BAND_MIN 8192
#define BAND_SAMPLE 1024

/*
 * Narrows [*lo, *hi) of v around k to the elements between two sample
 * order statistics (or to the side k turned out to be on).
 */
static void
cut_band(double *v, size_t *lo, size_t *hi, size_t k)
{
	size_t len = *hi - *lo;
	double sample[BAND_SAMPLE];
	/* Seeded by the problem: reproducible. */
	uint64_t rng = 0x5eed0000u ^ (uint64_t)len ^ ((uint64_t)k << 32);
	for (size_t i = 0; i < BAND_SAMPLE; i++)
		sample[i] = v[*lo + random_below(&rng, len)];
	double at = (double)(k - *lo) / (double)len * BAND_SAMPLE;
	double d = 3.5 * sqrt(BAND_SAMPLE * 0.25) + 1;
	double qa = floor(at - d), qz = ceil(at + d);
	size_t ia = qa < 0 ? 0 : (size_t)qa;
	size_t iz = qz > BAND_SAMPLE - 1 ? BAND_SAMPLE - 1 : (size_t)qz;
	select_kth(sample, BAND_SAMPLE, ia);
	double a = sample[ia];
	select_kth(sample + ia, BAND_SAMPLE - ia, iz - ia);
	double z = sample[iz];

	if (ia > 0) {
		size_t lt = partition_below(v, *lo, *hi, a, false);
		if (k < lt) {
			*hi = lt;
			return;
		}
		*lo = lt;
	}
	if (iz < BAND_SAMPLE - 1) {
		size_t le = partition_below(v, *lo, *hi, z, true);
		if (k >= le)
			*lo = le;
		else
			*hi = le;
	}
}

/*
 * Rearranges v[0..n) so that v[k] is the k-th smallest (0-based), with
 * nothing larger before it and nothing smaller after it.  Quickselect with
 * a median-of-three (ninther for large ranges) pivot; the elements below
 * it are split off, and those equal to it only when none were below (the
 * pivot is then the smallest), so sorted, reversed and constant inputs
 * take linear time; large ranges cut a
 * sampled band around k first.  A depth budget bounds the adversarial
 * worst case: once it is spent the remaining range is sorted, O(n log n).
 */
static void
select_kth(double *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n;
	int budget = 8;
	bool banded = false;

	for (size_t m = n; m > 1; m /= 2)
		budget += 2;
	while (hi - lo > 1) {
		if (budget-- == 0) {
			qsort(v + lo, hi - lo, sizeof(*v), cmp_doubles);
			return;
		}
		size_t len = hi - lo, mid = lo + len / 2;
		if (len >= BAND_MIN && !banded) {
			/* Once: ties can fill the band. */
			cut_band(v, &lo, &hi, k);
			banded = true;
			continue;
		}
		double pivot;
		if (len >= 512) {
			size_t e = len / 8;
			pivot = median_of_three(
				median_of_three(v[lo], v[lo + e], v[lo + 2 * e]),
				median_of_three(v[mid - e], v[mid], v[mid + e]),
				median_of_three(v[hi - 1 - 2 * e], v[hi - 1 - e],
					v[hi - 1]));
		} else {
			pivot = median_of_three(v[lo], v[mid], v[hi - 1]);
		}

		size_t lt = partition_below(v, lo, hi, pivot, false);
		if (k < lt) {
			hi = lt;
			continue;
		}
		if (lt > lo) {
			/* Progress without a second pass over the right. */
			lo = lt;
			continue;
		}
		/* Pivot the smallest: [lt, gt) == pivot, [gt, hi) >. */
		size_t gt = partition_below(v, lt, hi, pivot, true);
		if (k >= gt)
			lo = gt;
		else
			return;
	}
}

/*
 * Places the r[0..nr)-th smallest (0-based, ascending, all < n, nr <= 4,
 * repeats allowed) of v at their ranks.  The middle rank splits v, so each half only searches for
 * the ranks on its side: about half the work of one selection per rank.
 */
static void
select_many(double *v, size_t n, const size_t *r, size_t nr)
{
	if (nr == 0)
		return;
	size_t at = r[nr / 2];
	select_kth(v, n, at);
	size_t nleft = 0, first_right = nr;
	while (nleft < nr && r[nleft] < at)
		nleft++;
	while (first_right > 0 && r[first_right - 1] > at)
		first_right--;
	select_many(v, at, r, nleft);
	size_t right[4], nright = 0;
	for (size_t i = first_right; i < nr && nright < 4; i++)
		right[nright++] = r[i] - at - 1;
	select_many(v + at + 1, n - at - 1, right, nright);
}

/* Smallest of v[0..n), n > 0. */
static double
min_of(const double *v, size_t n)
{
	double m = v[0];
	for (size_t i = 1; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

/*
 * The k-th and (k+1)-th smallest (0-based) of v[0..n); v is reordered.
 * After select_kth everything past k is >= v[k], so the next order
 * statistic is their minimum.
 */
static void
select_two(double *v, size_t n, size_t k, double *a, double *b)
{
	select_kth(v, n, k);
	*a = v[k];
	*b = k + 1 < n ? min_of(v + k + 1, n - k - 1) : v[k];
}

double
pt_median_inplace(double *v, size_t n)
{
	if (n == 0)
		return NAN;
	double a, b;
	if (n % 2 == 1) {
		select_kth(v, n, n / 2);
		return v[n / 2];
	}
	select_two(v, n, n / 2 - 1, &a, &b);
	return (a + b) / 2;
}

/*
 * R type 7: h = (n-1)q, x[floor h] + frac(h) (x[floor h + 1] - ...); the
 * index floor h, n > 0.
 */
static size_t
quantile_index(size_t n, double *q)
{
	if (!(*q > 0))
		*q = 0;
	if (*q > 1)
		*q = 1;
	return (size_t)((double)(n - 1) * *q);
}

/* Between the k-th and next order statistics a and b, for quantile q. */
static double
quantile_between(size_t n, double q, size_t k, double a, double b)
{
	double frac = (double)(n - 1) * q - (double)k;
	if (frac == 0 || a == b)
		return a;
	/* R's form; exact at both ends. */
	return (1 - frac) * a + frac * b;
}

double
pt_quantile_inplace(double *v, size_t n, double q)
{
	if (n == 0)
		return NAN;
	size_t k = quantile_index(n, &q);
	if (k >= n - 1) {
		select_kth(v, n, n - 1);
		return v[n - 1];
	}
	double a, b;
	select_two(v, n, k, &a, &b);
	return quantile_between(n, q, k, a, b);
}

double
pt_quantile_sorted(const double *sorted, size_t n, double q)
{
	if (n == 0)
		return NAN;
	size_t k = quantile_index(n, &q);
	if (k >= n - 1)
		return sorted[n - 1];
	return quantile_between(n, q, k, sorted[k], sorted[k + 1]);
}

bool
pt_median_below(double *v, size_t n, double limit)
{
	size_t below = 0;
	for (size_t i = 0; i < n; i++)
		below += v[i] < limit;
	/* Odd n: the middle value is below exactly when more than half
	 * are.  Even n: the mean of the two middle values is below when
	 * both are, and not when neither is (a rounded mean of two values
	 * lies between them); one on each side needs the median itself. */
	if (n % 2 == 1 || below != n / 2)
		return below > n / 2;
	return pt_median_inplace(v, n) < limit;
}

double
pt_median_sorted(const double *sorted, size_t n)
{
	if (n == 0)
		return NAN;
	if (n % 2 == 1)
		return sorted[n / 2];
	return (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/* ------------------------------------------------------------------ */
/* Normal distribution                                                   */

/* M_SQRT2 and M_PI are not ISO C. */
#define SQRT2 1.41421356237309504880
#define SQRT_2PI 2.50662827463100050242

double
pt_norm_cdf(double x)
{
	/* erfc keeps full relative accuracy in the lower tail. */
	return 0.5 * erfc(-x / SQRT2);
}

/*
 * Acklam's rational approximation (relative error 1.15e-9) followed by one
 * Halley step on cdf(x) - p, which brings it to about 1e-15.  The upper
 * half uses the symmetry q(p) = -q(1-p): 1-p is exact there, and the
 * refinement then works on a small lower-tail probability instead of a
 * difference of numbers close to 1.
 */
double
pt_norm_quantile(double p)
{
	static const double a[] = {
		-3.969683028665376e+01, 2.209460984245205e+02,
		-2.759285104469687e+02, 1.383577518672690e+02,
		-3.066479806614716e+01, 2.506628277459239e+00,
	};
	static const double b[] = {
		-5.447609879822406e+01, 1.615858368580409e+02,
		-1.556989798598866e+02, 6.680131188771972e+01,
		-1.328068155288572e+01,
	};
	static const double c[] = {
		-7.784894002430293e-03, -3.223964580411365e-01,
		-2.400758277161838e+00, -2.549732539343734e+00,
		4.374664141464968e+00, 2.938163982698783e+00,
	};
	static const double d[] = {
		7.784695709041462e-03, 3.224671290700398e-01,
		2.445134137142996e+00, 3.754408661907416e+00,
	};
	const double plow = 0.02425;

	if (isnan(p))
		return NAN;
	if (p <= 0)
		return -INFINITY;
	if (p >= 1)
		return INFINITY;
	if (p > 0.5)
		return -pt_norm_quantile(1 - p);

	double x;
	if (p < plow) {
		double q = sqrt(-2 * log(p));
		x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q
				+ c[5])
			/ ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	} else {
		double q = p - 0.5, r = q * q;
		x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r
				+ a[5]) * q
			/ (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r
				+ 1);
	}

	/* Halley: u = (cdf(x) - p) / pdf(x). */
	double e = pt_norm_cdf(x) - p;
	double u = e * SQRT_2PI * exp(x * x / 2);
	return x - u / (1 + x * u / 2);
}

/* ------------------------------------------------------------------ */
/* Exact key comparison for Theil-Sen                                    */

/* a + b = *s + *e exactly (Knuth's TwoSum, no precondition on order). */
static void
two_sum(double a, double b, double *s, double *e)
{
	double x = a + b;
	double bv = x - a, av = x - bv;
	*e = (a - av) + (b - bv);
	*s = x;
}

/*
 * Exact sign of (y_a - s t_a) - (y_b - s t_b) for s = shi + slo.  The
 * products are split exactly with fma, and the ten terms are accumulated
 * into a non-overlapping expansion whose largest nonzero component has the
 * sign of the sum (Shewchuk 1997, Grow-Expansion).  Assumes no overflow and
 * no underflow in s*t.
 */
static int
exact_sign(double ya, double ta, double yb, double tb, double shi,
		double slo)
{
	double pa = shi * ta, ea = fma(shi, ta, -pa);
	double pb = shi * tb, eb = fma(shi, tb, -pb);
	double qa = slo * ta, fa = fma(slo, ta, -qa);
	double qb = slo * tb, fb = fma(slo, tb, -qb);
	const double terms[10] = { ya, -yb, -pa, -ea, pb, eb, -qa, -fa, qb, fb };
	double e[10];
	size_t m = 0;

	for (size_t k = 0; k < 10; k++) {
		double q = terms[k];
		for (size_t i = 0; i < m; i++) {
			double hi, lo;
			two_sum(q, e[i], &hi, &lo);
			e[i] = lo;
			q = hi;
		}
		e[m++] = q;
	}
	for (size_t i = m; i-- > 0;)
		if (e[i] != 0)
			return e[i] > 0 ? 1 : -1;
	return 0;
}

/*
 * A point being sorted: key(s) = y - s t (s = shi + slo) in floating point
 * with a bound on its error, and the point's index.  Sorting these records
 * rather than indices into a key array keeps the merge passes sequential
 * in memory, about twice as fast for large n.
 */
struct item {
	double u;
	double err;     /* bound on |u - exact key|, twice over */
	uint32_t idx;
};

static struct item
make_item(double t, double y, double shi, double slo, uint32_t idx)
{
	/* At the cut 0 the key is y itself. */
	if (shi == 0 && slo == 0)
		return (struct item){ y, 0, idx };
	double p = shi * t, v = y - p, q = slo * t, u = v - q;
	/*
	 * Each of the four roundings errs by at most eps times its result
	 * (eps = DBL_EPSILON/2); the bound is doubled to cover the subtraction
	 * of two keys.  DBL_MIN covers underflow.  Keys that happen to be
	 * exact are not told apart: a comparison within the bound is decided
	 * exactly anyway, so this costs time only where keys tie exactly.
	 */
	double err = DBL_EPSILON * (fabs(p) + fabs(v) + fabs(q) + fabs(u))
		+ DBL_MIN;
	return (struct item){ u, err, idx };
}

/* ------------------------------------------------------------------ */
/* Merge passes over point indices                                       */

enum visit { VISIT_NONE, VISIT_ALL, VISIT_SAMPLE };

/*
 * Windows are bounded by cuts c on the rounded slopes d = fl(r) of the
 * pairs, which are what the result is made of: a pair is below c when
 * d < c.  On the real slopes r this is the cut at the midpoint m between c
 * and the double below it: r < m, or r == m when m rounds down (to the
 * even neighbour).  m = hi + lo exactly.  side 1 puts r == m below; the
 * order of the points at such a cut breaks ties of key(m) by t descending,
 * as key(m + e) = y - (m + e) t would.
 *
 * Slopes of magnitude below TINY_SLOPE other than 0, and above HUGE_SLOPE,
 * are assumed not to occur (byte counts over hours), so such cuts are
 * taken on r directly, which also keeps s*t clear of underflow.
 */
#define TINY_SLOPE 0x1p-900
#define HUGE_SLOPE 0x1p+1000

struct rcut {
	double hi, lo;
	int side;
	int inf;        /* -1 or +1 for c = -inf or +inf */
};

static bool
odd_mantissa(double c)
{
	int e;
	double m = frexp(fabs(c), &e);
	return ((uint64_t)ldexp(m, DBL_MANT_DIG) & 1) != 0;
}

static struct rcut
rcut_of(double c)
{
	struct rcut r = { c, 0, 0, 0 };
	if (isinf(c)) {
		r.inf = c > 0 ? 1 : -1;
	} else if (fabs(c) < TINY_SLOPE) {
		/* d < c: r < 0, or r <= 0 for a tiny positive c */
		r.hi = 0;
		r.side = c > 0;
	} else if (fabs(c) <= HUGE_SLOPE) {
		double below = nextafter(c, -INFINITY);
		r.hi = below;
		r.lo = (c - below) / 2;
		r.side = odd_mantissa(c);
	}
	return r;
}

/*
 * One merge sort of point indices by key at a cut, in time-sorted arrays
 * t, y.  inf is -1 or +1 for s = -inf or +inf (order by t ascending or
 * descending, then y), 0 for finite s.  All these orders are strict total
 * orders once the merge's stability (ties by position) is counted, so the
 * pairs two orders disagree on are exactly the pairs between the two cuts.
 * Every inversion block met is reported to the visitor, if any: VISIT_ALL
 * stores every pair's slope, VISIT_SAMPLE stores the pairs whose running
 * inversion number is listed in want[] (sorted).
 */
struct pass {
	const double *t, *y;
	double shi, slo;
	int side;
	int inf;
	enum visit mode;
	double *out;
	size_t nout, maxout;
	const int64_t *want;
	size_t nwant, iwant;
	int64_t off;
};

/* Sign of key_a - key_b at the pass's finite s, exactly. */
static int
key_cmp(const struct pass *p, const struct item *a, const struct item *b)
{
	double d = a->u - b->u, tol = a->err + b->err;
	if (d > tol)
		return 1;
	if (d < -tol)
		return -1;
	if (tol == 0)
		return 0;       /* both exact and equal */
	return exact_sign(p->y[a->idx], p->t[a->idx], p->y[b->idx],
			p->t[b->idx], p->shi, p->slo);
}

static bool
key_less(const struct pass *p, const struct item *a, const struct item *b)
{
	if (p->inf != 0) {
		double ta = p->t[a->idx], tb = p->t[b->idx];
		if (ta != tb)
			return p->inf > 0 ? ta > tb : ta < tb;
		return p->y[a->idx] < p->y[b->idx];
	}
	int c = key_cmp(p, a, b);
	if (c != 0)
		return c < 0;
	return p->side && p->t[a->idx] > p->t[b->idx];
}

/* Slope of the pair as brute force computes it, earlier point first. */
static double
pair_slope(const struct pass *p, uint32_t a, uint32_t b)
{
	uint32_t i = a < b ? a : b, j = a < b ? b : a;
	return (p->y[j] - p->y[i]) / (p->t[j] - p->t[i]);
}

/* Inversion block: right is smaller than each of left[0..len). */
static void
visit(struct pass *p, const struct item *left, size_t len,
		const struct item *right)
{
	if (p->mode == VISIT_ALL) {
		for (size_t i = 0; i < len && p->nout < p->maxout; i++)
			p->out[p->nout++] = pair_slope(p, left[i].idx,
					right->idx);
	} else {
		int64_t end = p->off + (int64_t)len;
		while (p->iwant < p->nwant && p->want[p->iwant] < end
				&& p->nout < p->maxout) {
			size_t at = (size_t)(p->want[p->iwant] - p->off);
			p->out[p->nout++] = pair_slope(p, left[at].idx,
					right->idx);
			p->iwant++;
		}
	}
	p->off += (int64_t)len;
}

/*
 * Whether b goes before a at a finite cut.  The rounded keys decide
 * unless they are within their error bounds of each other, which is rare
 * on noisy data: the exact path is a branch that is almost never taken.
 */
static inline bool
item_before(const struct pass *p, const struct item *b, const struct item *a)
{
	double d = a->u - b->u;
	if (fabs(d) > a->err + b->err)
		return d > 0;
	return key_less(p, b, a);
}

static int64_t
merge_items(struct pass *p, const struct item *src, struct item *dst,
		size_t lo, size_t mid, size_t hi)
{
	size_t i = lo, j = mid, k = lo;
	int64_t inv = 0;

	while (i < mid && j < hi) {
		bool right = p->inf == 0 ? item_before(p, &src[j], &src[i])
			: key_less(p, &src[j], &src[i]);
		if (right) {
			if (p->mode != VISIT_NONE)
				visit(p, src + i, mid - i, &src[j]);
			inv += (int64_t)(mid - i);
			dst[k++] = src[j++];
		} else {
			dst[k++] = src[i++];
		}
	}
	while (i < mid)
		dst[k++] = src[i++];
	while (j < hi)
		dst[k++] = src[j++];
	return inv;
}

/*
 * Stable merge sort of a[0..n) by key with exact comparisons, visiting
 * the inversions as the pass says (b: scratch of n); returns the
 * inversions.  The sorted items end up in a.
 */
static int64_t
sort_items(struct pass *p, struct item *a, struct item *b, size_t n)
{
	struct item *src = a, *dst = b;
	int64_t inv = 0;
	for (size_t w = 1; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = n - lo > w ? lo + w : n;
			size_t hi = n - mid > w ? mid + w : n;
			inv += merge_items(p, src, dst, lo, mid, hi);
		}
		struct item *swap = src;
		src = dst;
		dst = swap;
	}
	if (src != a)
		memcpy(a, src, n * sizeof(*a));
	return inv;
}

/* ------------------------------------------------------------------ */
/* Theil-Sen selection                                                   */

/*
 * Selection among the enumerated slopes by buckets.  The window's slopes
 * lie in [lo, hi), and bucket (x - lo) * NBUCKETS / (hi - lo), rounded
 * down and clamped, is monotone in x: a histogram of the buckets, filled as
 * the slopes are enumerated, tells which bucket holds each rank and how
 * many slopes lie below it, and one pass copies the few slopes of those
 * buckets, among which the ranks are selected.  The partitions of a
 * selection over all the slopes cost several times that (each moves every
 * slope, each write waiting on the slot the last one filled).
 */
#define NBUCKETS 2048
#define BUCKET_MIN 8192         /* fewer slopes: select_many */

typedef double pair_v2d __attribute__((vector_size(16)));
typedef int64_t pair_v2di __attribute__((vector_size(16)));

struct bucketing {
	double lo, scale;
	uint32_t *count;        /* four histograms of NBUCKETS */
	uint16_t *id;           /* each enumerated slope's bucket */
	bool nan;               /* a NaN slope, which no bucket places */
	bool filled;            /* the enumeration filled the above */
};

/* The bucket of x, as bucket_pair has it. */
static inline size_t
bucket_of(const struct bucketing *b, double x)
{
	double f = (x - b->lo) * b->scale;
	f = f > 0 ? f : 0;      /* NaN too; b->nan refuses it */
	f = f < NBUCKETS - 1 ? f : NBUCKETS - 1;
	return (size_t)f;
}

/*
 * Problems with at most this many pairs are enumerated outright; it also
 * bounds the pairs enumerated from a window (plus 4 per point).
 */
#define DIRECT_PAIRS 4096
#define MAX_ROUNDS 200
#define MAX_SAMPLE ((size_t)1 << 24)

struct ts {
	const double *t, *y;    /* time-sorted, ties in t by y */
	size_t n;
	int64_t npairs;         /* pairs with t_i < t_j */
	struct item *items[2];  /* sorting scratch */
	struct ckey *keys[2];   /* counting passes: n, and 2n for runs */
	uint32_t *pos;          /* each point's place before the pass */
	uint32_t *buf[3];       /* orderings; buf[0] is the window's */
	uint32_t *hiord;        /* the order at the window's upper end, */
	bool hi_known;          /* when a cut has left it */
	double *out;            /* enumerated or sampled slopes */
	struct bucketing bk;    /* of the enumerated slopes, */
	bool bucketing;         /* when asked for */
	uint8_t *hit;           /* select_by_buckets: NBUCKETS flags */
	size_t cap;             /* window pairs we are willing to enumerate */
	size_t maxout;          /* capacity of out */
	size_t nsample;
	int64_t *want;
	uint64_t rng;
};

/*
 * The target lies among the `count` pairs with rounded slope in [lo, hi);
 * `below` pairs have smaller ones.  ts->buf[0] holds the points sorted by
 * key at lo, which is what a merge by key at hi needs to meet exactly the
 * window's pairs as inversions.
 */
struct window {
	double lo, hi;
	int64_t below, count;
};

/*
 * Whether the rounded keys of a and b, a sorted before b, may be in the
 * wrong order or tied exactly: within tol, twice the largest error bound
 * of the pass.  Neighbours further apart than that are ordered right, and
 * so is every pair with such a gap between them, whatever their own error
 * bounds: runs of close neighbours hold every pair in doubt.
 */
static bool
keys_close(const struct ckey *a, const struct ckey *b, double tol)
{
	return !(key_value(b->key) - key_value(a->key) > tol);
}

/*
 * Sorts the run c[0..m) of neighbours with close keys exactly and returns
 * by how much the exact inversions among them differ from those the
 * integer keys counted.  pos[] is each point's position before the pass;
 * the two orders agree on every pair with a point outside the run.
 */
static int64_t
settle_run(struct ts *ts, const struct pass *p, const uint32_t *pos,
		struct ckey *c, size_t m)
{
	struct ckey *by_pos = ts->keys[1], *tmp = ts->keys[1] + m;
	for (size_t i = 0; i < m; i++)
		by_pos[i] = (struct ckey){ pos[c[i].idx], c[i].idx };
	/* Pairs the rounded order put against the order before the pass. */
	int64_t rounded = sort_count_keys(by_pos, tmp, m);

	struct item *it = ts->items[0];
	for (size_t i = 0; i < m; i++) {
		uint32_t k = by_pos[i].idx;
		it[i] = make_item(p->t[k], p->y[k], p->shi, p->slo, k);
	}
	struct pass exact = *p;
	exact.mode = VISIT_NONE;
	int64_t inv = sort_items(&exact, it, ts->items[1], m);
	for (size_t i = 0; i < m; i++)
		c[i] = (struct ckey){ ordered_bits(it[i].u), it[i].idx };
	return inv - rounded;
}

/*
 * Puts the runs of close keys in out[0..n) (sorted by rounded key) in
 * their exact order; returns the correction to the inversions.  tol: see
 * keys_close.
 */
static int64_t
settle_close_keys(struct ts *ts, const struct pass *p, const uint32_t *ord,
		struct ckey *out, double tol)
{
	size_t n = ts->n, k = 1;
	while (k < n && !keys_close(&out[k - 1], &out[k], tol))
		k++;
	if (k >= n)
		return 0;
	for (size_t i = 0; i < n; i++)
		ts->pos[ord[i]] = (uint32_t)i;
	int64_t fix = 0;
	while (k < n) {
		size_t end = k + 1;
		while (end < n && keys_close(&out[end - 1], &out[end], tol))
			end++;
		fix += settle_run(ts, p, ts->pos, out + k - 1, end - (k - 1));
		k = end + 1;
		while (k < n && !keys_close(&out[k - 1], &out[k], tol))
			k++;
	}
	return fix;
}

/*
 * A counting pass at a finite cut: the keys are rounded once per point and
 * sorted as integers, and only the runs of keys within rounding of each
 * other are compared exactly.  Returns -1 for a NaN key (the exact merge
 * then decides, as it always did).
 */
static int64_t
count_pass(struct ts *ts, const struct pass *p, uint32_t *ord)
{
	size_t n = ts->n;
	struct ckey *a = ts->keys[0];
	bool nan = false;
	double maxerr = 0;
	for (size_t k = 0; k < n; k++) {
		uint32_t i = ord[k];
		struct item it = make_item(p->t[i], p->y[i], p->shi, p->slo, i);
		a[k] = (struct ckey){ ordered_bits(it.u), i };
		maxerr = it.err > maxerr ? it.err : maxerr;
		nan |= isnan(it.u);
	}
	if (nan)
		return -1;
	int64_t inv = sort_count_keys(a, ts->keys[1], n);
	inv += settle_close_keys(ts, p, ord, a, 2 * maxerr);
	for (size_t k = 0; k < n; k++)
		ord[k] = a[k].idx;
	return inv;
}

/*
 * Sorts the point indices ord[0..n) by key at the pass's cut, visiting
 * the inversions as it says; returns how many there are.
 */
static int64_t
sort_indices(struct ts *ts, struct pass *p, uint32_t *ord)
{
	if (p->inf == 0 && p->mode == VISIT_NONE) {
		int64_t inv = count_pass(ts, p, ord);
		if (inv >= 0)
			return inv;
	}
	size_t n = ts->n;
	struct item *a = ts->items[0];
	for (size_t k = 0; k < n; k++) {
		uint32_t i = ord[k];
		a[k] = p->inf ? (struct item){ 0, 0, i }
			: make_item(p->t[i], p->y[i], p->shi, p->slo, i);
	}
	int64_t inv = sort_items(p, a, ts->items[1], n);
	for (size_t k = 0; k < n; k++)
		ord[k] = a[k].idx;
	return inv;
}

static void
pass_init(struct pass *p, const struct ts *ts, double c)
{
	struct rcut r = rcut_of(c);
	memset(p, 0, sizeof(*p));
	p->t = ts->t;
	p->y = ts->y;
	p->shi = r.hi;
	p->slo = r.lo;
	p->side = r.side;
	p->inf = r.inf;
}

static void
identity(uint32_t *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		a[i] = (uint32_t)i;
}

/* Sorts time order by key at c into dst; returns the pairs below c. */
static int64_t
order_at(struct ts *ts, double c, uint32_t *dst)
{
	struct pass p;
	identity(dst, ts->n);
	if (isinf(c) && c < 0)
		return 0;
	pass_init(&p, ts, c);
	return sort_indices(ts, &p, dst);
}

/*
 * Sorts ord (ordered by key(lo)) by key(hi) in place, visiting the window's
 * pairs; returns how many there are.
 */
static int64_t
window_pass(struct ts *ts, double hi, uint32_t *ord, struct pass *p)
{
	struct pass base;
	pass_init(&base, ts, hi);
	base.mode = p->mode;
	base.out = p->out;
	base.maxout = p->maxout;
	base.want = p->want;
	base.nwant = p->nwant;
	*p = base;
	return sort_indices(ts, p, ord);
}

/*
 * Uniform sample of m pairs with t_i < t_j drawn straight from the points:
 * while the window still holds every pair this costs no merge pass.  Pairs
 * with equal t are drawn again; 0 (take the merge pass instead) when they
 * keep coming, i.e. when most times are tied, or for a NaN slope.
 */
static size_t
sample_all_pairs(struct ts *ts, size_t m)
{
	struct pass p = { .t = ts->t, .y = ts->y };
	uint64_t n = ts->n;
	size_t got = 0, misses = 0;
	while (got < m && got < ts->maxout) {
		uint64_t i = random_below(&ts->rng, n);
		uint64_t j = random_below(&ts->rng, n - 1);
		j += j >= i;
		if (ts->t[i] == ts->t[j]) {
			if (++misses > m)
				return 0;
			continue;
		}
		double slope = pair_slope(&p, (uint32_t)i, (uint32_t)j);
		if (isnan(slope))
			return 0;       /* a NaN time: as the merge pass has it */
		ts->out[got++] = slope;
	}
	return got;
}

/* Where a sampling pass stands: the wanted inversion numbers, the slopes. */
struct sampler {
	struct pass p;          /* t and y, for pair_slope */
	struct bucketing *bk;   /* enumerating: the buckets, or NULL */
	int64_t off;            /* inversions met so far */
	size_t iwant;
};

/*
 * Merge of a sampling pass on integer keys: the pairs whose running
 * inversion number is wanted are the left elements the right one jumps.
 * Numbered in the same order as visit() numbers them.
 */
static void
merge_sampling(struct sampler *s, const struct ckey *src, struct ckey *dst,
		size_t lo, size_t mid, size_t hi)
{
	struct pass *p = &s->p;
	size_t i = lo, j = mid, k = lo;

	while (i < mid && j < hi) {
		bool right = src[j].key < src[i].key;
		int64_t len = (int64_t)(mid - i) & -(int64_t)right;
		while (s->iwant < p->nwant && p->want[s->iwant] < s->off + len
				&& p->nout < p->maxout) {
			size_t at = (size_t)(p->want[s->iwant] - s->off);
			p->out[p->nout++] = pair_slope(p, src[i + at].idx,
					src[j].idx);
			s->iwant++;
		}
		s->off += len;
		dst[k++] = src[right ? j : i];
		j += right;
		i += !right;
	}
	copy_rest(src, dst, i, mid, j, hi, k);
}

/*
 * The buckets of two slopes at out index at, at + 1, both lanes at once
 * (the clamps as masks: NaN and below lo to bucket 0; NaN noted in *nan),
 * into two of the four histograms (count: the first of the two).
 * Neighbouring slopes often share a bucket, and an increment of the same
 * counter would wait on the one before.
 */
static inline void
bucket_pair(const struct bucketing *b, uint32_t *count, pair_v2d q,
		size_t at, pair_v2di *nan)
{
	const pair_v2d zero = { 0, 0 };
	const pair_v2d top = { NBUCKETS - 1, NBUCKETS - 1 };
	pair_v2d f = (q - b->lo) * b->scale;
	pair_v2di above = f > zero, below_top = f < top;
	f = (pair_v2d)((pair_v2di)f & above);
	f = (pair_v2d)(((pair_v2di)f & below_top)
		| ((pair_v2di)top & ~below_top));
	pair_v2di g = __builtin_convertvector(f, pair_v2di);
	b->id[at] = (uint16_t)g[0];
	b->id[at + 1] = (uint16_t)g[1];
	count[g[0]]++;
	count[NBUCKETS + g[1]]++;
	*nan |= q != q;  /* NOLINT(misc-redundant-expression): lane-wise NaN test */
}

/*
 * The slopes of the pairs (left[x], b), x < len, into out, as pair_slope
 * has them, two to a vector: the divisions bound the enumeration, and one
 * two-lane division costs about what a scalar one does.  Each lane rounds
 * as the scalar operations would, so the slopes are the same bits.
 */
static void
slopes_to(const struct pass *p, const struct ckey *left, size_t len,
		uint32_t b, size_t at, struct bucketing *bk)
{
	const double *t = p->t, *y = p->y;
	double *out = p->out + at;
	/* In locals: the stores through id and count might otherwise be
	 * taken to change them. */
	struct bucketing kb = bk != NULL ? *bk : (struct bucketing){ 0 };
	pair_v2di nan = { 0, 0 };
	size_t x = 0;
	for (; x + 2 <= len; x += 2) {
		uint32_t a0 = left[x].idx, a1 = left[x + 1].idx;
		uint32_t l0 = a0 < b ? a0 : b, h0 = a0 < b ? b : a0;
		uint32_t l1 = a1 < b ? a1 : b, h1 = a1 < b ? b : a1;
		pair_v2d dy = (pair_v2d){ y[h0], y[h1] }
			- (pair_v2d){ y[l0], y[l1] };
		pair_v2d dt = (pair_v2d){ t[h0], t[h1] }
			- (pair_v2d){ t[l0], t[l1] };
		pair_v2d q = dy / dt;
		memcpy(out + x, &q, sizeof(q));
		if (bk != NULL)
			bucket_pair(&kb, kb.count + (x & 2) * NBUCKETS, q,
					at + x, &nan);
	}
	if (x < len) {
		out[x] = pair_slope(p, left[x].idx, b);
		if (bk != NULL) {
			size_t g = bucket_of(&kb, out[x]);
			kb.id[at + x] = (uint16_t)g;
			kb.count[g]++;
			nan[0] |= -(int64_t)(out[x] != out[x]);
		}
	}
	if (bk != NULL)
		bk->nan |= (nan[0] | nan[1]) != 0;
}

/*
 * Merge of an enumerating pass on integer keys: every left element a
 * right one jumps makes one of the window's pairs.
 */
static void
merge_enumerating(struct sampler *s, const struct ckey *src,
		struct ckey *dst, size_t lo, size_t mid, size_t hi)
{
	struct pass *p = &s->p;
	size_t i = lo, j = mid, k = lo;

	while (i < mid && j < hi) {
		if (src[j].key < src[i].key) {
			size_t room = p->maxout - p->nout, len = mid - i;
			size_t take = len < room ? len : room;
			slopes_to(p, src + i, take, src[j].idx, p->nout,
					s->bk);
			p->nout += take;
			s->off += (int64_t)len;
			dst[k++] = src[j++];
		} else {
			dst[k++] = src[i++];
		}
	}
	copy_rest(src, dst, i, mid, j, hi, k);
}

/*
 * The sampling or enumerating pass (p->mode) of the window when the exact
 * order at its upper end is known (ts->hiord): the points in order at lo
 * are merge-sorted by their place in that order, integers that need no
 * exact comparison.  Returns the window's pairs met (its count), the
 * slopes in p->out.
 */
static int64_t
visit_by_place(struct ts *ts, struct pass *p)
{
	size_t n = ts->n;
	for (size_t k = 0; k < n; k++)
		ts->pos[ts->hiord[k]] = (uint32_t)k;
	struct ckey *a = ts->keys[0], *b = ts->keys[1];
	for (size_t k = 0; k < n; k++)
		a[k] = (struct ckey){ ts->pos[ts->buf[0][k]], ts->buf[0][k] };
	struct sampler s = { .p = *p };
	if (p->mode == VISIT_ALL && ts->bucketing) {
		s.bk = &ts->bk;
		ts->bk.filled = true;
	}
	s.p.t = ts->t;
	s.p.y = ts->y;
	struct ckey *src = a, *dst = b;
	for (size_t w = 1; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = n - lo > w ? lo + w : n;
			size_t hi = n - mid > w ? mid + w : n;
			if (p->mode == VISIT_ALL)
				merge_enumerating(&s, src, dst, lo, mid, hi);
			else
				merge_sampling(&s, src, dst, lo, mid, hi);
		}
		struct ckey *swap = src;
		src = dst;
		dst = swap;
	}
	*p = s.p;
	return s.off;
}

/*
 * The visiting pass (p->mode) over the window's pairs, by place when the
 * order at its upper end is known; returns how many pairs it met.
 */
static int64_t
visit_window(struct ts *ts, const struct window *w, struct pass *p)
{
	if (ts->hi_known)
		return visit_by_place(ts, p);
	memcpy(ts->buf[1], ts->buf[0], ts->n * sizeof(uint32_t));
	return window_pass(ts, w->hi, ts->buf[1], p);
}

/*
 * Stratified sample of m window pairs: one uniform pick from each of m
 * equal slices of the inversion numbering.  Returns the sampled slopes in
 * ts->out, or 0 on an internal inconsistency.
 */
static size_t
sample_window(struct ts *ts, const struct window *w, size_t m)
{
	if (w->below == 0 && w->count == ts->npairs) {
		size_t got = sample_all_pairs(ts, m);
		if (got > 0)
			return got;
	}
	int64_t step = w->count / (int64_t)m, rem = w->count % (int64_t)m;
	for (size_t k = 0; k < m; k++) {
		int64_t ik = (int64_t)k;
		int64_t from = step * ik + rem * ik / (int64_t)m;
		int64_t to = step * (ik + 1) + rem * (ik + 1) / (int64_t)m;
		ts->want[k] = from + (int64_t)random_below(&ts->rng,
				(uint64_t)(to - from));
	}

	struct pass p = { .mode = VISIT_SAMPLE, .out = ts->out,
		.maxout = ts->maxout, .want = ts->want, .nwant = m };
	int64_t count = visit_window(ts, w, &p);
	return count == w->count ? p.nout : 0;
}

enum outcome { FOUND, SPLIT, FAILED };

/*
 * Which of the three regions [lo,c1), [c1,c2), [c2,hi) (sizes n[]) holds
 * window rank r (0-based).
 */
static int
region_of(const int64_t n[3], int64_t r)
{
	if (r < n[0])
		return 0;
	return r < n[0] + n[1] ? 1 : 2;
}

static void
swap_bufs(struct ts *ts, int i, int j)
{
	uint32_t *b = ts->buf[i];
	ts->buf[i] = ts->buf[j];
	ts->buf[j] = b;
}

/*
 * Cuts the window at lo <= c1 <= c2 <= hi and keeps the part holding window
 * ranks ra..rb.  SPLIT when they end up in non-adjacent parts.
 */
static enum outcome
cut_window(struct ts *ts, struct window *w, double c1, double c2, int64_t ra,
		int64_t rb)
{
	int64_t n[3];

	/* buf[1] sorted by key at c1, buf[2] by key at c2. */
	if (c1 == w->lo) {
		n[0] = 0;
		memcpy(ts->buf[1], ts->buf[0], ts->n * sizeof(uint32_t));
	} else {
		n[0] = order_at(ts, c1, ts->buf[1]) - w->below;
	}
	memcpy(ts->buf[2], ts->buf[1], ts->n * sizeof(uint32_t));
	if (c2 == c1) {
		n[1] = 0;
	} else {
		struct pass p = { .mode = VISIT_NONE };
		n[1] = window_pass(ts, c2, ts->buf[2], &p);
	}
	n[2] = w->count - n[0] - n[1];
	if (n[0] < 0 || n[1] < 0 || n[2] < 0)
		return FAILED;

	int ga = region_of(n, ra), gb = region_of(n, rb);
	/* region_of gives 0..2 and ra <= rb; said for the analyzer, which
	 * otherwise walks n[] past its end. */
	if (ga < 0 || ga > 2 || gb < ga || gb > 2)
		return FAILED;
	if (ga == 0 && gb == 2)
		return SPLIT;
	double cut[4] = { w->lo, c1, c2, w->hi };
	int64_t below = w->below, count = 0;
	for (int g = 0; g < ga; g++)
		below += n[g];
	for (int g = ga; g <= gb; g++)
		count += n[g];
	w->lo = cut[ga];
	w->hi = cut[gb + 1];
	w->below = below;
	w->count = count;
	/* The order at the new upper end, unless it is the old one. */
	if (gb < 2) {
		memcpy(ts->hiord, ts->buf[gb + 1], ts->n * sizeof(uint32_t));
		ts->hi_known = true;
	}
	if (ga > 0)
		swap_bufs(ts, 0, ga);
	return FOUND;
}

/* Picks the next cuts from a sample of the window; false if stuck. */
static bool
choose_cuts(struct ts *ts, const struct window *w, int64_t ra, int64_t rb,
		bool pivot, double *c1, double *c2)
{
	size_t m = ts->nsample;
	if ((int64_t)m > w->count)
		m = (size_t)w->count;
	m = sample_window(ts, w, m);
	if (m == 0)
		return false;

	/*
	 * About one standard deviation of the target's sample rank each side
	 * (it is at most sqrt(m)/2): the window the cuts leave is then often
	 * small enough to enumerate after the first round.  A target outside
	 * costs a round (two or three passes); enumerating a wider window
	 * costs more (measured at n = 300 to 20,000: 3 standard deviations
	 * each side took 1.1 to 1.5 times as long as this).
	 */
	double scale = (double)m / (double)w->count;
	double delta = 0.5 * sqrt((double)m) + 2;
	double ja = floor((double)ra * scale - delta);
	double jb = ceil((double)rb * scale + delta);
	if (pivot) {
		/* Isolate the single most likely value of the target. */
		ja = jb = floor((double)ra * scale);
		if (ja >= (double)m)
			ja = jb = (double)m - 1;
	}

	/* [sample ja, sample jb], clamped to the window. */
	*c1 = w->lo;
	*c2 = w->hi;
	if (ja >= 0) {
		select_kth(ts->out, m, (size_t)ja);
		if (ts->out[(size_t)ja] > *c1)
			*c1 = ts->out[(size_t)ja];
	}
	if (jb < (double)m) {
		select_kth(ts->out, m, (size_t)jb);
		double up = nextafter(ts->out[(size_t)jb], INFINITY);
		if (up < *c2)
			*c2 = up;
	}
	if (*c1 > *c2)
		*c1 = *c2;
	return true;
}

/* Whether the window's enumeration is to fill the buckets. */
static bool
start_buckets(struct ts *ts, const struct window *w)
{
	struct bucketing *b = &ts->bk;
	b->lo = w->lo;
	b->scale = NBUCKETS / (w->hi - w->lo);
	b->nan = false;
	b->filled = false;
	if (w->count < BUCKET_MIN || b->count == NULL || b->id == NULL
			|| ts->hit == NULL
			|| !isfinite(b->lo) || !isfinite(b->scale)
			|| !(b->scale > 0))
		return false;
	memset(b->count, 0, (size_t)4 * NBUCKETS * sizeof(*b->count));
	return true;
}

/*
 * Whether v[0..n) holds a -0.  Every zero slope lands in the same bucket,
 * so when the copies of a zero result's bucket hold none, every zero slope
 * is +0, the one any selection returns.
 */
static bool
has_negative_zero(const double *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == 0 && signbit(v[i]))
			return true;
	return false;
}

/*
 * The ranks r[0..nr) (0-based, ascending) of the window's slopes
 * ts->out[0..n) into v, from the buckets the enumeration filled; false,
 * ts->out untouched, when it did not, a slope is NaN or a result is a zero
 * among zeros of both signs (which one the selection over everything
 * returns is its own affair): select_many then answers as before.
 */
static bool
select_by_buckets(struct ts *ts, size_t n, const size_t *r, size_t nr,
		double *v)
{
	const struct bucketing *b = &ts->bk;
	if (!b->filled || b->nan)
		return false;
	uint32_t *c = b->count;
	for (size_t g = 0; g < NBUCKETS; g++)
		c[g] += c[NBUCKETS + g] + c[(size_t)2 * NBUCKETS + g]
			+ c[(size_t)3 * NBUCKETS + g];

	/* Each rank's rank among the copied slopes. */
	size_t rel[4], below = 0, kept = 0, g = 0, last = NBUCKETS;
	memset(ts->hit, 0, NBUCKETS);
	for (size_t i = 0; i < nr; i++) {
		while (g < NBUCKETS && below + c[g] <= r[i]) {
			below += c[g];
			g++;
		}
		if (g == NBUCKETS)
			return false;
		if (g != last) {
			kept += c[g];
			ts->hit[g] = 1;
			last = g;
		}
		rel[i] = r[i] - below + kept - c[g];
	}

	double *copy = malloc((kept > 0 ? kept : 1) * sizeof(*copy));
	if (copy == NULL)
		return false;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (ts->hit[b->id[i]] && k < kept)
			copy[k++] = ts->out[i];
	bool ok = k == kept;
	if (ok)
		select_many(copy, k, rel, nr);
	for (size_t i = 0; ok && i < nr; i++) {
		v[i] = copy[rel[i]];
		ok = v[i] != 0 || !has_negative_zero(copy, k);
	}
	free(copy);
	return ok;
}

/*
 * Enumerates the window's pairs and picks the ranks k[0..nk) (1-based,
 * ascending, nk <= 4).
 */
static bool
enumerate_window(struct ts *ts, const struct window *w, const int64_t *k,
		size_t nk, double *v)
{
	struct pass p = { .mode = VISIT_ALL, .out = ts->out,
		.maxout = ts->maxout };
	ts->bucketing = start_buckets(ts, w);
	int64_t count = visit_window(ts, w, &p);
	ts->bucketing = false;
	if (count != w->count || (int64_t)p.nout != count)
		return false;
	size_t r[4];
	for (size_t i = 0; i < nk; i++)
		r[i] = (size_t)(k[i] - 1 - w->below);
	if (select_by_buckets(ts, p.nout, r, nk, v))
		return true;
	select_many(ts->out, p.nout, r, nk);
	for (size_t i = 0; i < nk; i++)
		v[i] = ts->out[r[i]];
	return true;
}

/*
 * The k[0..nk)-th smallest slopes (1-based, ascending) in one search that
 * narrows the window around all of them, or SPLIT if they are best
 * searched for apart.
 */
static enum outcome
select_ranks(struct ts *ts, const int64_t *k, size_t nk, double *v)
{
	struct window w = { -INFINITY, INFINITY, 0, ts->npairs };
	bool pivot = false;

	identity(ts->buf[0], ts->n);
	ts->hi_known = false;
	for (int iter = 0; iter < MAX_ROUNDS; iter++) {
		int64_t ra = k[0] - 1 - w.below, rb = k[nk - 1] - 1 - w.below;
		if (w.count <= (int64_t)ts->cap)
			return enumerate_window(ts, &w, k, nk, v) ? FOUND
				: FAILED;
		if (!isinf(w.lo) && nextafter(w.lo, INFINITY) == w.hi) {
			/* Every pair left has rounded slope lo. */
			for (size_t i = 0; i < nk; i++)
				v[i] = w.lo;
			return FOUND;
		}

		double c1, c2;
		if (!choose_cuts(ts, &w, ra, rb, pivot, &c1, &c2))
			return FAILED;
		struct window before = w;
		enum outcome o = cut_window(ts, &w, c1, c2, ra, rb);
		if (o != FOUND)
			return o;
		/*
		 * No progress (heavy ties at both cuts): isolate a value, which
		 * only works for neighbouring ranks; ranks further apart are
		 * searched for one at a time.
		 */
		pivot = w.lo == before.lo && w.hi == before.hi;
		if (pivot && k[nk - 1] - k[0] > 1)
			return SPLIT;
	}
	return FAILED;
}

/* The ranks k[0..nk) together, or one at a time when they split. */
static bool
select_rank_set(struct ts *ts, const int64_t *k, size_t nk, double *v)
{
	enum outcome o = select_ranks(ts, k, nk, v);
	for (size_t i = 0; o == SPLIT && i < nk; i++)
		if (select_ranks(ts, &k[i], 1, &v[i]) != FOUND)
			return false;
	return o != FAILED;
}

/*
 * All pairs' slopes into out (capacity npairs); small problems only.
 * Returns how many were written: npairs for sorted times, fewer if some t
 * is NaN (counted as neither tied nor increasing).
 */
static size_t
all_slopes(const double *t, const double *y, size_t n, double *out,
		size_t npairs)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (t[j] > t[i] && k < npairs)
				out[k++] = (y[j] - y[i]) / (t[j] - t[i]);
	return k;
}

struct point {
	double t, y;
};

static int
cmp_points(const void *pa, const void *pb)
{
	const struct point *a = pa, *b = pb;
	if (a->t != b->t)
		return (a->t > b->t) - (a->t < b->t);
	return (a->y > b->y) - (a->y < b->y);
}

/*
 * Time-sorted copy (ties in t by y, so that equal-t pairs are never
 * inversions) in *mem, or the inputs themselves when t is strictly
 * increasing already.  False on OOM.
 */
static bool
time_sorted(const double *t, const double *y, size_t n, const double **st,
		const double **sy, double **mem)
{
	*mem = NULL;
	*st = t;
	*sy = y;
	size_t i = 1;
	while (i < n && t[i] > t[i - 1])
		i++;
	if (i == n)
		return true;

	struct point *pts = malloc(n * sizeof(*pts));
	double *copy = malloc(2 * n * sizeof(*copy));
	if (pts == NULL || copy == NULL) {
		free(pts);
		free(copy);
		return false;
	}
	for (i = 0; i < n; i++)
		pts[i] = (struct point){ t[i], y[i] };
	qsort(pts, n, sizeof(*pts), cmp_points);
	for (i = 0; i < n; i++) {
		copy[i] = pts[i].t;
		copy[n + i] = pts[i].y;
	}
	free(pts);
	*st = copy;
	*sy = copy + n;
	*mem = copy;
	return true;
}

/* Pairs with t_i < t_j in the sorted times. */
static int64_t
distinct_time_pairs(const double *t, size_t n)
{
	int64_t all = (int64_t)n * (int64_t)(n - 1) / 2;
	return all - tied_pairs(t, n);
}

static void
ts_free(struct ts *ts)
{
	for (int i = 0; i < 2; i++) {
		free(ts->items[i]);
		free(ts->keys[i]);
	}
	free(ts->pos);
	free(ts->hiord);
	for (int i = 0; i < 3; i++)
		free(ts->buf[i]);
	free(ts->out);
	free(ts->bk.count);
	free(ts->bk.id);
	free(ts->hit);
	free(ts->want);
}

/*
 * span: the distance between the lowest and highest rank searched
 * together; the window may be enumerated once it is a few times that.
 * A margin of span/2 lets the window the first round leaves at n = 2,000
 * (about 1.2 to 1.4 span) be enumerated without a second round.
 */
static bool
ts_alloc(struct ts *ts, int64_t span)
{
	size_t n = ts->n;
	ts->cap = DIRECT_PAIRS + 4 * n + (size_t)span + (size_t)span / 2;
	/*
	 * About 2n samples shrink the window by ~sqrt(2n) per round, so one
	 * or two rounds reach the enumeration size (measured with wider
	 * margins: 1n and 8n were slower at n = 1,000 and 2,000).  Bounded so
	 * that the stratum arithmetic stays within 64 bits.
	 */
	ts->nsample = n < (MAX_SAMPLE - 1024) / 2 ? 2 * n + 1024 : MAX_SAMPLE;
	ts->maxout = ts->cap > ts->nsample ? ts->cap : ts->nsample;
	for (int i = 0; i < 2; i++) {
		ts->items[i] = malloc(n * sizeof(struct item));
		ts->keys[i] = malloc((i + 1) * n * sizeof(struct ckey));
	}
	ts->pos = malloc(n * sizeof(uint32_t));
	ts->hiord = malloc(n * sizeof(uint32_t));
	for (int i = 0; i < 3; i++)
		ts->buf[i] = malloc(n * sizeof(uint32_t));
	ts->out = malloc(ts->maxout * sizeof(double));
	/* Optional: without them, select_many. */
	ts->bk.count = malloc((size_t)4 * NBUCKETS * sizeof(uint32_t));
	ts->bk.id = malloc(ts->maxout * sizeof(uint16_t));
	ts->hit = malloc(NBUCKETS);
	ts->want = malloc(ts->nsample * sizeof(int64_t));
	ts->rng = 0x5eed5eed5eed5eedu;
	return ts->items[0] != NULL && ts->items[1] != NULL
		&& ts->keys[0] != NULL && ts->keys[1] != NULL
		&& ts->pos != NULL && ts->hiord != NULL
		&& ts->buf[0] != NULL && ts->buf[1] != NULL
		&& ts->buf[2] != NULL && ts->out != NULL
		&& ts->want != NULL;
}

/* 1-based rank, rounded half up and clamped to [1, npairs]. */
static int64_t
clamp_rank(double r, int64_t npairs)
{
	double k = floor(r + 0.5);
	if (!(k >= 1))
		return 1;
	if (k >= (double)npairs)
		return npairs;
	return (int64_t)k;
}

/*
 * CI ranks (Sen 1968, Gilbert 1987): C = z_{1-(1-conf)/2} sqrt(Var S),
 * lower = round((N - C)/2), upper = round((N + C)/2 + 1), 1-based, each
 * rounded half up and clamped to [1, N].  conf <= 0 gives C = 0; conf >= 1
 * gives the extreme slopes.
 */
static void
ci_ranks(double var, int64_t npairs, double conf, int64_t *klo,
		int64_t *khi)
{
	double c = 0;
	if (conf >= 1)
		c = INFINITY;
	else if (conf > 0)
		c = pt_norm_quantile(1 - (1 - conf) / 2) * sqrt(var);
	double dn = (double)npairs;
	*klo = clamp_rank((dn - c) / 2, npairs);
	*khi = clamp_rank((dn + c) / 2 + 1, npairs);
}

/*
 * Whether the ranks kmin..kmax all fall among the pairs of equal y, whose
 * slope is 0, when no two times are equal: the pairs below them are the
 * inversions of y, the ties come after.  Series that are nearly constant
 * end here instead of searching inside a mass of tied slopes.  ties: the
 * tied pairs of y.  -1 when out of memory.
 */
static int
ranks_in_zero_mass(const double *y, size_t n, int64_t npairs, int64_t ties,
		int64_t kmin, int64_t kmax)
{
	if (npairs != (int64_t)n * (int64_t)(n - 1) / 2 || ties <= kmax - kmin)
		return 0;
	int64_t below = pt_count_inversions(y, n, NULL);
	if (below < 0)
		return -1;
	return below < kmin && kmax <= below + ties;
}
static bool
theil_sen_direct(const double *t, const double *y, size_t n, int64_t npairs,
		int64_t ka, int64_t kb, const int64_t ci[2], double out[4])
{
	double *s = malloc((size_t)npairs * sizeof(*s));
	if (s == NULL)
		return false;
	/* Never select among unwritten slopes. */
	if (all_slopes(t, y, n, s, (size_t)npairs) != (size_t)npairs) {
		free(s);
		return false;
	}
	select_two(s, (size_t)npairs, (size_t)ka - 1, &out[0], &out[1]);
	if (kb == ka)
		out[1] = out[0];
	for (int i = 0; i < 2; i++) {
		if (ci[i] > 0) {
			select_kth(s, (size_t)npairs, (size_t)ci[i] - 1);
			out[2 + i] = s[ci[i] - 1];
		}
	}
	free(s);
	return true;
}

/*
 * Largest rank span searched in one go, per point: a 95% interval spans
 * about 0.65 n^1.5 ranks, which stays below this up to n = 10,000; wider
 * intervals search their ends apart rather than enumerate that many pairs.
 */
#define MAX_SPAN_PER_POINT 64

static bool
theil_sen_window(const double *t, const double *y, size_t n, int64_t npairs,
		int64_t ka, int64_t kb, const int64_t ci[2], double out[4])
{
	/* The ranks in ascending order with where each result goes. */
	int64_t k[4];
	/* select_rank_set fills v; the zeros only tell clang's analyser,
	 * which cannot follow it, that nothing is read uninitialised. */
	double v[4] = { 0.0, 0.0, 0.0, 0.0 };
	int slot[4];
	size_t nk = 0;
	if (ci[0] > 0) {
		k[nk] = ci[0];
		slot[nk++] = 2;
	}
	k[nk] = ka;
	slot[nk++] = 0;
	k[nk] = kb;
	slot[nk++] = 1;
	if (ci[1] > 0) {
		k[nk] = ci[1];
		slot[nk++] = 3;
	}
	int64_t span = k[nk - 1] - k[0];
	bool together = span <= (int64_t)(MAX_SPAN_PER_POINT * n);
	struct ts ts = { .t = t, .y = y, .n = n, .npairs = npairs };
	bool ok = ts_alloc(&ts, together ? span : 1);
	if (ok && together) {
		ok = select_rank_set(&ts, k, nk, v);
	} else if (ok) {
		size_t mid = ci[0] > 0 ? 1 : 0;   /* where ka is */
		ok = select_rank_set(&ts, &k[mid], 2, &v[mid]);
		if (ok && ci[0] > 0)
			ok = select_rank_set(&ts, &k[0], 1, &v[0]);
		if (ok && ci[1] > 0)
			ok = select_rank_set(&ts, &k[nk - 1], 1, &v[nk - 1]);
	}
	for (size_t i = 0; ok && i < nk; i++)
		out[slot[i]] = v[i];
	ts_free(&ts);
	return ok;
}

bool
pt_theil_sen(const double *t, const double *y, size_t n, double conf,
		double *slope, double *lo, double *hi)
{
	if (n < 2 || n > UINT32_MAX)
		return false;

	const double *st, *sy;
	double *mem;
	if (!time_sorted(t, y, n, &st, &sy, &mem))
		return false;
	int64_t npairs = distinct_time_pairs(st, n);
	/* Every t equal: no slope at all. */
	bool ok = npairs > 0;

	int64_t ka = (npairs + 1) / 2, kb = npairs / 2 + 1;
	int64_t ci[2] = { 0, 0 }, ties = -1;
	if (ok && (lo != NULL || hi != NULL)) {
		double var = 0;
		ok = hashed_ties(sy, n, &var, &ties) ||
			sorted_stats(sy, n, NULL, &ties, &var);
		if (ok)
			ci_ranks(var, npairs, conf, &ci[0], &ci[1]);
	}
	if (lo == NULL)
		ci[0] = 0;
	if (hi == NULL)
		ci[1] = 0;

	double out[4] = { 0, 0, 0, 0 };
	int zero = 0;
	if (ok && npairs > DIRECT_PAIRS && ties >= 0) {
		int64_t kmin = ci[0] > 0 && ci[0] < ka ? ci[0] : ka;
		int64_t kmax = ci[1] > kb ? ci[1] : kb;
		zero = ranks_in_zero_mass(sy, n, npairs, ties, kmin, kmax);
		ok = zero >= 0;
	}
	if (ok && zero == 0 && npairs <= DIRECT_PAIRS)
		ok = theil_sen_direct(st, sy, n, npairs, ka, kb, ci, out);
	else if (ok && zero == 0)
		ok = theil_sen_window(st, sy, n, npairs, ka, kb, ci, out);
	free(mem);
	if (!ok)
		return false;

	*slope = ka == kb ? out[0] : (out[0] + out[1]) / 2;
	if (lo != NULL)
		*lo = out[2];
	if (hi != NULL)
		*hi = out[3];
	return true;
}

/*
 * Median of v[0..n), n > 0, as pt_median_inplace gives it.  Times come in
 * order, and then the middle is read off without a selection; work (n
 * doubles) is only used when they do not.
 */
static double
median_of_times(const double *v, size_t n, double *work)
{
	bool ordered = true;
	for (size_t i = 1; i < n; i++)
		ordered &= v[i - 1] <= v[i];
	if (!ordered) {
		memcpy(work, v, n * sizeof(double));
		return pt_median_inplace(work, n);
	}
	return pt_median_sorted(v, n);
}

size_t
pt_block_medians(const double *t, const double *y, size_t n, size_t k,
		double *bt, double *by, double *work)
{
	size_t m = 0;
	for (size_t g = 0; g < k; g++) {
		size_t lo = g * n / k, hi = (g + 1) * n / k;
		if (hi == lo)
			continue;
		memcpy(work, y + lo, (hi - lo) * sizeof(double));
		by[m] = pt_median_inplace(work, hi - lo);
		bt[m] = median_of_times(t + lo, hi - lo, work);
		m++;
	}
	return m;
}

bool
pt_theil_sen_blocked(const double *t, const double *y, size_t n,
		size_t max_points, double conf, double *slope, double *lo,
		double *hi)
{
	if (max_points < 2 || n <= max_points)
		return pt_theil_sen(t, y, n, conf, slope, lo, hi);
	size_t k = max_points, widest = (n + k - 1) / k;
	double *bt = malloc((2 * k + widest) * sizeof(*bt));
	if (bt == NULL)
		return false;
	double *by = bt + k, *work = by + k;
	k = pt_block_medians(t, y, n, k, bt, by, work);
	/* Times that are nearly all equal can give every block the same
	 * median time; the points themselves still have a slope. */
	bool spread = false;
	for (size_t g = 1; g < k && !spread; g++)
		spread = bt[g] != bt[0];
	bool ok = spread ? pt_theil_sen(bt, by, k, conf, slope, lo, hi) :
		pt_theil_sen(t, y, n, conf, slope, lo, hi);
	free(bt);
	return ok;
}
