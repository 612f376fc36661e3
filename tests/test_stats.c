/* Unit tests for src/stats.c: everything is checked against brute force. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pooltrend/stats.h"
#include "testutil.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                               */

static uint64_t rng_state;

static void
rng_seed(uint64_t seed)
{
	rng_state = seed;
}

static uint64_t
rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* Uniform integer in [0, k). */
static uint64_t
rng_below(uint64_t k)
{
	return rng_next() % k;
}

/* Uniform in [0, 1). */
static double
rng_unit(void)
{
	return (double)(rng_next() >> 11) * 0x1p-53;
}

static double
rng_normal(void)
{
	double u = rng_unit(), v = rng_unit();
	return sqrt(-2 * log(1 - u)) * cos(6.283185307179586 * v);
}

static int
cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;
	return (a > b) - (a < b);
}

static double *
xmalloc_doubles(size_t n)
{
	double *p = malloc((n ? n : 1) * sizeof(*p));
	ck_assert_ptr_nonnull(p);
	return p;
}

static double
now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Brute-force Theil-Sen reference: every slope, sorted. */
struct brute {
	double *slopes;
	size_t n;
};

static struct brute
brute_slopes(const double *t, const double *y, size_t n)
{
	struct brute b = { xmalloc_doubles(n * n / 2 + 1), 0 };
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			if (t[i] < t[j])
				b.slopes[b.n++] = (y[j] - y[i]) / (t[j] - t[i]);
	qsort(b.slopes, b.n, sizeof(double), cmp_double);
	return b;
}

static double
brute_median(const struct brute *b)
{
	size_t k = b->n / 2;
	return b->n % 2 ? b->slopes[k] : (b->slopes[k - 1] + b->slopes[k]) / 2;
}

/* Brute-force tie-corrected MK variance: sum over points of (c-1)(2c+5). */
static double
brute_mk_var(const double *y, size_t n)
{
	double dn = (double)n, num = dn * (dn - 1) * (2 * dn + 5);
	for (size_t i = 0; i < n; i++) {
		double c = 0;
		for (size_t j = 0; j < n; j++)
			c += y[j] == y[i];
		num -= (c - 1) * (2 * c + 5);
	}
	return num / 18;
}

/* The documented CI rank rule, recomputed here independently. */
static size_t
brute_rank(double r, size_t npairs)
{
	double k = floor(r + 0.5);
	if (k < 1)
		return 1;
	if (k > (double)npairs)
		return npairs;
	return (size_t)k;
}

/*
 * Random series of kind 0..5: Gaussian noise on a trend, integer bytes
 * with heavy ties, outliers, irregular times, duplicate times, step leak.
 * Times are dyadic (multiples of 1/64) unless irregular is asked for, so
 * that differences are exact.
 */
static void
make_series(int kind, size_t n, double *t, double *y)
{
	double tt = rng_unit() * 100;
	double slope = (rng_unit() - 0.3) * 1e4;
	double base = 1e9 + rng_unit() * 1e12;

	for (size_t i = 0; i < n; i++) {
		switch (kind) {
		case 0:         /* irregular times, smooth noise */
			tt += 0.01 + rng_unit() * 2;
			t[i] = tt;
			y[i] = base + slope * tt + rng_normal() * 5e4;
			break;
		case 1:         /* heavy ties: few distinct byte counts */
			t[i] = (double)i;
			y[i] = (double)rng_below(4) * 4096;
			break;
		case 2:         /* dyadic irregular times with outliers */
			tt += (double)(1 + rng_below(128)) / 64;
			t[i] = tt;
			y[i] = floor(base + slope * tt + rng_normal() * 1e5);
			if (rng_below(10) == 0)
				y[i] += floor((rng_unit() - 0.5) * 1e11);
			break;
		case 3:         /* duplicate times in a row */
			if (i == 0 || rng_below(3) != 0)
				tt += 0.25;
			t[i] = tt;
			y[i] = (double)rng_below(1000);
			break;
		case 4:         /* step leak on a flat line with ties */
			t[i] = (double)i * 0.5;
			y[i] = 1e14 + (i > n / 2 ? 65536.0 * (double)(i - n / 2)
					: 0.0) + (double)rng_below(3);
			break;
		default:        /* unsorted times, noise */
			t[i] = (double)rng_below(4 * n + 1) / 8;
			y[i] = floor(rng_normal() * 1e6) + 1000 * t[i];
			break;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Inversions                                                            */

START_TEST(inversions_vs_brute_force)
{
	rng_seed(12345);
	for (int iter = 0; iter < 400; iter++) {
		size_t n = rng_below(300);
		uint64_t levels = 1 + rng_below(iter % 2 ? 5 : 1000);
		double *a = xmalloc_doubles(n), *copy = xmalloc_doubles(n);
		for (size_t i = 0; i < n; i++)
			a[i] = (double)rng_below(levels) - 2.5;
		memcpy(copy, a, n * sizeof(*a));

		int64_t inv = 0, ties = 0;
		for (size_t i = 0; i < n; i++)
			for (size_t j = i + 1; j < n; j++) {
				inv += a[i] > a[j];
				ties += a[i] == a[j];
			}
		int64_t got_ties = -7;
		ck_assert_int_eq(pt_count_inversions(a, n, &got_ties), inv);
		ck_assert_int_eq(got_ties, ties);
		ck_assert_int_eq(pt_count_inversions(a, n, NULL), inv);
		/* The input is borrowed, not sorted in place. */
		ck_assert_mem_eq(a, copy, n * sizeof(*a));
		free(a);
		free(copy);
	}
}
END_TEST

/*
 * Larger arrays of every size parity (both merge shapes: equal halves
 * merged from both ends, a shorter last block from the front), negative
 * values, and -0 next to +0 (equal, so a tie and not an inversion).
 */
START_TEST(inversions_large_with_signed_zeros)
{
	rng_seed(777);
	for (int iter = 0; iter < 24; iter++) {
		size_t n = 1000 + rng_below(3000);
		uint64_t levels = 1 + rng_below(iter % 3 ? 7 : 100000);
		double *a = xmalloc_doubles(n);
		for (size_t i = 0; i < n; i++) {
			int64_t k = (int64_t)rng_below(levels) - (int64_t)levels / 2;
			a[i] = k == 0 && rng_below(2) ? -0.0 : (double)k * 0.75;
		}
		int64_t inv = 0, ties = 0;
		for (size_t i = 0; i < n; i++)
			for (size_t j = i + 1; j < n; j++) {
				inv += a[i] > a[j];
				ties += a[i] == a[j];
			}
		int64_t got_ties = -7;
		ck_assert_int_eq(pt_count_inversions(a, n, &got_ties), inv);
		ck_assert_int_eq(got_ties, ties);
		free(a);
	}
}
END_TEST

START_TEST(inversions_known)
{
	double up[6] = { 1, 2, 3, 4, 5, 6 }, down[6] = { 6, 5, 4, 3, 2, 1 };
	double same[6] = { 7, 7, 7, 7, 7, 7 }, mix[5] = { 3, 1, 2, 3, 1 };
	int64_t ties = -1;

	ck_assert_int_eq(pt_count_inversions(up, 6, &ties), 0);
	ck_assert_int_eq(ties, 0);
	ck_assert_int_eq(pt_count_inversions(down, 6, &ties), 15);
	ck_assert_int_eq(ties, 0);
	ck_assert_int_eq(pt_count_inversions(same, 6, &ties), 0);
	ck_assert_int_eq(ties, 15);
	/* (3,1) (3,2) (3,1) (2,1) (3,1) = 5 ... and (1,1) (3,3) tie. */
	ck_assert_int_eq(pt_count_inversions(mix, 5, &ties), 5);
	ck_assert_int_eq(ties, 2);
	ck_assert_int_eq(pt_count_inversions(up, 0, &ties), 0);
	ck_assert_int_eq(ties, 0);
	ck_assert_int_eq(pt_count_inversions(up, 1, &ties), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Mann-Kendall                                                          */

START_TEST(mk_vs_brute_force)
{
	rng_seed(777);
	for (int iter = 0; iter < 300; iter++) {
		size_t n = 2 + rng_below(250);
		double *y = xmalloc_doubles(n);
		uint64_t levels = 1 + rng_below(iter % 3 ? 8 : 100000);
		for (size_t i = 0; i < n; i++)
			y[i] = (double)rng_below(levels) + (double)i * (iter % 4);

		double s = 0;
		for (size_t i = 0; i < n; i++)
			for (size_t j = i + 1; j < n; j++)
				s += (y[j] > y[i]) - (y[j] < y[i]);
		double var = brute_mk_var(y, n);
		double z = var > 0 && s != 0
			? (s - (s > 0 ? 1 : -1)) / sqrt(var) : 0;

		struct pt_mk mk;
		ck_assert(pt_mann_kendall(y, n, &mk));
		ck_assert_uint_eq(mk.n, n);
		ck_assert_double_eq(mk.s, s);
		ck_assert_double_eq_tol(mk.var, var, 1e-9 * var + 1e-12);
		ck_assert_double_eq_tol(mk.z, z, 1e-9 * fabs(z) + 1e-12);
		ck_assert_double_eq_tol(mk.tau, s / ((double)n * (n - 1) / 2),
				1e-15);
		free(y);
	}
}
END_TEST

/* Whether two tests agree bit for bit. */
static void
assert_same_mk(const struct pt_mk *a, const struct pt_mk *b)
{
	ck_assert_uint_eq(a->n, b->n);
	ck_assert_mem_eq(&a->s, &b->s, sizeof(a->s));
	ck_assert_mem_eq(&a->var, &b->var, sizeof(a->var));
	ck_assert_mem_eq(&a->z, &b->z, sizeof(a->z));
	ck_assert_mem_eq(&a->tau, &b->tau, sizeof(a->tau));
}

/*
 * Runs sorted in three pieces and joined give the tests of every slice
 * they make up, as pt_mann_kendall on the slice (ties, -0, empty and
 * one-sample pieces included), and leave the inputs as they were.
 */
START_TEST(mk_runs_join_slices)
{
	rng_seed(4242);
	for (int iter = 0; iter < 400; iter++) {
		size_t n = rng_below(300);
		double *y = xmalloc_doubles(n + 1);
		double *buf = xmalloc_doubles(4 * n + 1);
		uint64_t levels = 1 + rng_below(iter % 2 ? 6 : 1000000);
		for (size_t i = 0; i < n; i++) {
			y[i] = (double)rng_below(levels) + (double)i * (iter % 3);
			if (y[i] == 0 && rng_below(2))
				y[i] = -0.0;
		}
		size_t c1 = n ? rng_below(n + 1) : 0;
		size_t c2 = c1 + (n - c1 ? rng_below(n - c1 + 1) : 0);
		struct pt_mk_run p1, p2, p3, left, right, all;
		ck_assert(pt_mk_run_sort(y, c1, buf, &p1));
		ck_assert(pt_mk_run_sort(y + c1, c2 - c1, buf + c1, &p2));
		ck_assert(pt_mk_run_sort(y + c2, n - c2, buf + c2, &p3));
		pt_mk_run_join(&p1, &p2, buf + n, &left);
		pt_mk_run_join(&p2, &p3, buf + n + c2, &right);
		pt_mk_run_join(&p1, &right, buf + 2 * n + c2 - c1, &all);
		struct { const struct pt_mk_run *r; size_t lo, hi; } cases[] = {
			{ &p1, 0, c1 }, { &p2, c1, c2 }, { &p3, c2, n },
			{ &left, 0, c2 }, { &right, c1, n }, { &all, 0, n },
		};
		for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
			struct pt_mk got, want;
			pt_mk_run_stats(cases[c].r, &got);
			ck_assert(pt_mann_kendall(y + cases[c].lo,
				cases[c].hi - cases[c].lo, &want));
			assert_same_mk(&got, &want);
			for (size_t i = 1; i < cases[c].r->n; i++)
				ck_assert(cases[c].r->sorted[i - 1] <=
					cases[c].r->sorted[i]);
		}
		free(y);
		free(buf);
	}
}
END_TEST

START_TEST(mk_hand_worked)
{
	struct pt_mk mk;
	double y[5] = { 1, 2, 3, 4, 5 };

	/* S = 10, Var = 5*4*15/18 = 50/3, z = 9/sqrt(50/3), tau = 1. */
	ck_assert(pt_mann_kendall(y, 5, &mk));
	ck_assert_double_eq(mk.s, 10);
	ck_assert_double_eq_tol(mk.var, 50.0 / 3, 1e-12);
	ck_assert_double_eq_tol(mk.z, 2.2045407685048604, 1e-12);
	ck_assert_double_eq(mk.tau, 1);

	/*
	 * 1 2 2 3: five increasing pairs, one tie, S = 5; one tie group of
	 * 2: Var = (4*3*13 - 2*1*9)/18 = 138/18; z = 4/sqrt(138/18).
	 */
	double w[4] = { 1, 2, 2, 3 };
	ck_assert(pt_mann_kendall(w, 4, &mk));
	ck_assert_double_eq(mk.s, 5);
	ck_assert_double_eq_tol(mk.var, 138.0 / 18, 1e-12);
	ck_assert_double_eq_tol(mk.z, 4 / sqrt(138.0 / 18), 1e-12);
	ck_assert_double_eq_tol(mk.tau, 5.0 / 6, 1e-15);

	/* Decreasing: S = -10, z = -9/sqrt(50/3), tau = -1. */
	double v[5] = { 5, 4, 3, 2, 1 };
	ck_assert(pt_mann_kendall(v, 5, &mk));
	ck_assert_double_eq(mk.s, -10);
	ck_assert_double_eq_tol(mk.z, -2.2045407685048604, 1e-12);
	ck_assert_double_eq(mk.tau, -1);
}
END_TEST

START_TEST(mk_degenerate)
{
	struct pt_mk mk;
	double y[7] = { 4, 4, 4, 4, 4, 4, 4 };

	ck_assert(pt_mann_kendall(y, 7, &mk));
	ck_assert_double_eq(mk.s, 0);
	ck_assert_double_eq(mk.var, 0);
	ck_assert_double_eq(mk.z, 0);
	ck_assert_double_eq(mk.tau, 0);

	mk.s = mk.var = mk.z = mk.tau = 99;
	ck_assert(pt_mann_kendall(y, 1, &mk));
	ck_assert_uint_eq(mk.n, 1);
	ck_assert_double_eq(mk.s, 0);
	ck_assert_double_eq(mk.var, 0);
	ck_assert_double_eq(mk.z, 0);
	ck_assert_double_eq(mk.tau, 0);
	ck_assert(pt_mann_kendall(y, 0, &mk));
	ck_assert_uint_eq(mk.n, 0);
	ck_assert_double_eq(mk.tau, 0);
}
END_TEST

START_TEST(mk_large_exact_variance)
{
	/* n = 100000 with all but two values tied: Var needs exact integers. */
	size_t n = 100000;
	double *y = xmalloc_doubles(n);
	for (size_t i = 0; i < n; i++)
		y[i] = 1;
	y[0] = 0;
	y[n - 1] = 2;
	struct pt_mk mk;
	ck_assert(pt_mann_kendall(y, n, &mk));
	/* Pairs with 0 first: n-1 up; with 2 last: n-2 more up. */
	ck_assert_double_eq(mk.s, (double)(2 * n - 3));
	double dn = (double)n, g = dn - 2;
	double var = (dn * (dn - 1) * (2 * dn + 5) - g * (g - 1) * (2 * g + 5))
		/ 18;
	ck_assert_double_eq_tol(mk.var, var, 1e-9 * var);
	free(y);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Theil-Sen                                                             */

START_TEST(theil_sen_vs_brute_force)
{
	rng_seed(2024);
	for (int iter = 0; iter < 240; iter++) {
		int kind = iter % 6;
		size_t n = 2 + rng_below(iter < 120 ? 120 : 499);
		double *t = xmalloc_doubles(n), *y = xmalloc_doubles(n);
		make_series(kind, n, t, y);

		struct brute b = brute_slopes(t, y, n);
		double slope = NAN, lo = NAN, hi = NAN;
		bool ok = pt_theil_sen(t, y, n, 0.95, &slope, &lo, &hi);
		if (b.n == 0) {
			ck_assert(!ok);
		} else {
			ck_assert_msg(ok, "iter %d n %zu", iter, n);
			double want = brute_median(&b);
			/*
			 * Exact time differences make the result bit-exact;
			 * kind 0 has rounded differences, allow a few ulps.
			 */
			double tol = kind == 0 ? 1e-12 * fabs(want) : 0;
			ck_assert_msg(fabs(slope - want) <= tol,
				"iter %d kind %d n %zu: %.17g vs %.17g", iter,
				kind, n, slope, want);

			double c = 1.959963984540054 * sqrt(brute_mk_var(y, n));
			double np = (double)b.n;
			double wlo = b.slopes[brute_rank((np - c) / 2, b.n) - 1];
			double whi = b.slopes[brute_rank((np + c) / 2 + 1, b.n)
				- 1];
			ck_assert_msg(fabs(lo - wlo) <= (kind == 0 ? 1e-12
					* fabs(wlo) : 0), "iter %d lo", iter);
			ck_assert_msg(fabs(hi - whi) <= (kind == 0 ? 1e-12
					* fabs(whi) : 0), "iter %d hi", iter);
			ck_assert(lo <= slope && slope <= hi);
		}
		free(b.slopes);
		free(t);
		free(y);
	}
}
END_TEST

START_TEST(theil_sen_exact_line)
{
	size_t n = 300;
	double *t = xmalloc_doubles(n), *y = xmalloc_doubles(n);
	for (size_t i = 0; i < n; i++) {
		t[i] = (double)i * 0.25 + (i % 7 == 0 ? 0.125 : 0);
		y[i] = 3 * t[i] + 7;
	}
	double slope, lo, hi;
	ck_assert(pt_theil_sen(t, y, n, 0.95, &slope, &lo, &hi));
	ck_assert_double_eq(slope, 3);
	ck_assert(lo <= 3 && hi >= 3);

	/* NULL bounds are allowed. */
	ck_assert(pt_theil_sen(t, y, n, 0.95, &slope, NULL, NULL));
	ck_assert_double_eq(slope, 3);
	ck_assert(pt_theil_sen(t, y, 4, 0.95, &slope, NULL, &hi));
	ck_assert_double_eq(slope, 3);
	ck_assert_double_eq(hi, 3);
	free(t);
	free(y);
}
END_TEST

/* Median of v[0..n) by sorting a copy: the reference for the blocks. */
static double
sorted_median(const double *v, size_t n)
{
	double *c = xmalloc_doubles(n);
	memcpy(c, v, n * sizeof(*c));
	qsort(c, n, sizeof(*c), cmp_double);
	double m = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
	free(c);
	return m;
}

START_TEST(theil_sen_blocked_is_theil_sen_of_block_medians)
{
	rng_seed(77);
	for (int iter = 0; iter < 60; iter++) {
		int kind = iter % 6;
		size_t n = 40 + rng_below(900), k = 3 + rng_below(60);
		double *t = xmalloc_doubles(n), *y = xmalloc_doubles(n);
		double *bt = xmalloc_doubles(k), *by = xmalloc_doubles(k);
		make_series(kind, n, t, y);
		/* Blocks [g n / k, (g + 1) n / k), as the header says. */
		for (size_t g = 0; g < k; g++) {
			size_t from = g * n / k, to = (g + 1) * n / k;
			bt[g] = sorted_median(t + from, to - from);
			by[g] = sorted_median(y + from, to - from);
		}
		double s1, lo1, hi1, s2 = NAN, lo2 = NAN, hi2 = NAN;
		bool want = pt_theil_sen(bt, by, k, 0.95, &s1, &lo1, &hi1);
		bool got = pt_theil_sen_blocked(t, y, n, k, 0.95, &s2, &lo2,
			&hi2);
		ck_assert_msg(got == want, "iter %d", iter);
		if (want) {
			ck_assert_msg(s1 == s2 && lo1 == lo2 && hi1 == hi2,
				"iter %d kind %d n %zu k %zu", iter, kind, n, k);
		}
		free(t);
		free(y);
		free(bt);
		free(by);
	}
}
END_TEST

/*
 * 599 samples at one time and the last an hour later: every block of a
 * 256-point search has the same median time, yet the series has a slope.
 */
START_TEST(theil_sen_blocked_nearly_equal_times)
{
	size_t n = 600;
	double *t = xmalloc_doubles(n), *y = xmalloc_doubles(n);
	for (size_t i = 0; i < n; i++) {
		t[i] = i + 1 < n ? 0 : 1;
		y[i] = i + 1 < n ? 100 : 500;
	}
	double slope, lo, hi;
	ck_assert(pt_theil_sen_blocked(t, y, n, 256, 0.95, &slope, &lo, &hi));
	ck_assert_double_eq(slope, 400);
	for (size_t i = 0; i < n; i++)
		t[i] = 0;
	ck_assert(!pt_theil_sen_blocked(t, y, n, 256, 0.95, &slope, NULL, NULL));
	free(t);
	free(y);
}
END_TEST

START_TEST(theil_sen_blocked_short_series_unchanged)
{
	rng_seed(78);
	size_t n = 200;
	double *t = xmalloc_doubles(n), *y = xmalloc_doubles(n);
	make_series(2, n, t, y);
	double s1, lo1, hi1, s2, lo2, hi2;
	ck_assert(pt_theil_sen(t, y, n, 0.95, &s1, &lo1, &hi1));
	ck_assert(pt_theil_sen_blocked(t, y, n, n, 0.95, &s2, &lo2, &hi2));
	ck_assert(s1 == s2 && lo1 == lo2 && hi1 == hi2);
	/* Fewer than two blocks cannot make a slope: the whole series. */
	ck_assert(pt_theil_sen_blocked(t, y, n, 1, 0.95, &s2, NULL, NULL));
	ck_assert(s1 == s2);
	free(t);
	free(y);
}
END_TEST

/*
 * A noisy 2,000-sample trend with wild outliers: over 256 blocks the
 * slope stays within the spread of the full search and the interval still
 * holds the true slope.
 */
START_TEST(theil_sen_blocked_keeps_the_trend)
{
	rng_seed(79);
	size_t n = 2000;
	double *t = xmalloc_doubles(n), *y = xmalloc_doubles(n);
	for (size_t i = 0; i < n; i++) {
		t[i] = (double)i * 0.25;
		y[i] = 5e6 + 4000 * t[i] + rng_normal() * 2e5;
		if (i % 37 == 0)
			y[i] += 1e9;
	}
	double full, flo, fhi, s, lo, hi;
	ck_assert(pt_theil_sen(t, y, n, 0.95, &full, &flo, &fhi));
	ck_assert(pt_theil_sen_blocked(t, y, n, 256, 0.95, &s, &lo, &hi));
	ck_assert_msg(lo <= 4000 && 4000 <= hi, "[%g, %g]", lo, hi);
	ck_assert_msg(fabs(s - 4000) < 0.05 * 4000, "%g", s);
	ck_assert_msg(s >= flo && s <= fhi, "%g not in [%g, %g]", s, flo,
		fhi);
	free(t);
	free(y);
}
END_TEST

START_TEST(theil_sen_small_cases)
{
	double t[4] = { 0, 1, 3, 4 }, y[4] = { 10, 12, 12, 30 };
	double slope, lo, hi;

	ck_assert(!pt_theil_sen(t, y, 1, 0.95, &slope, &lo, &hi));
	ck_assert(!pt_theil_sen(t, y, 0, 0.95, &slope, NULL, NULL));
	ck_assert(pt_theil_sen(t, y, 2, 0.95, &slope, &lo, &hi));
	ck_assert_double_eq(slope, 2);
	ck_assert_double_eq(lo, 2);
	ck_assert_double_eq(hi, 2);

	/* Slopes 2, 2/3, 5, 0, 6, 18: sorted 0 2/3 2 5 6 18, median 3.5. */
	ck_assert(pt_theil_sen(t, y, 4, 0.95, &slope, &lo, &hi));
	ck_assert_double_eq(slope, 3.5);
	/*
	 * 12 twice: Var = (4*3*13 - 2*1*9)/18 = 23/3, C = 1.96 sqrt(23/3) =
	 * 5.43, ranks round(0.29) = 0 -> clamped to 1 and round(6.71) = 7 ->
	 * clamped to 6.
	 */
	ck_assert_double_eq(lo, 0);
	ck_assert_double_eq(hi, 18);

	/* Equal times are skipped; all equal gives no slope. */
	double te[3] = { 5, 5, 5 };
	ck_assert(!pt_theil_sen(te, y, 3, 0.95, &slope, &lo, &hi));
	double td[3] = { 1, 1, 2 }, yd[3] = { 0, 100, 4 };
	ck_assert(pt_theil_sen(td, yd, 3, 0.95, &slope, NULL, NULL));
	ck_assert_double_eq(slope, (4.0 + -96.0) / 2);
}
END_TEST

START_TEST(theil_sen_heavy_ties_large)
{
	/* Flat byte counts with a few levels: a huge mass of slope 0. */
	rng_seed(99);
	size_t n = 3000;
	double *t = xmalloc_doubles(n), *y = xmalloc_doubles(n);
	for (size_t i = 0; i < n; i++) {
		t[i] = (double)i;
		y[i] = 1e12 + (double)rng_below(3) * 4096;
	}
	double slope, lo, hi;
	ck_assert(pt_theil_sen(t, y, n, 0.95, &slope, &lo, &hi));
	struct brute b = brute_slopes(t, y, n);
	ck_assert_double_eq(slope, brute_median(&b));
	free(b.slopes);

	/* Constant series. */
	for (size_t i = 0; i < n; i++)
		y[i] = 5e13;
	ck_assert(pt_theil_sen(t, y, n, 0.95, &slope, &lo, &hi));
	ck_assert_double_eq(slope, 0);
	ck_assert_double_eq(lo, 0);
	ck_assert_double_eq(hi, 0);
	free(t);
	free(y);
}
END_TEST

/*
 * A small tag rising by whole allocations: few byte levels, so the lower
 * CI rank sits in the mass of zero slopes and the median outside it.  The
 * CI and median are searched together; a search that stalls on the ties
 * must fall back to one rank at a time, not give up.
 */
static void check_ci_vs_brute(const double *t, const double *y, size_t n,
		uint64_t seed);

/*
 * Nearly constant series: the median and interval ranks fall inside the
 * mass of zero slopes (answered from the inversions and ties of y), at
 * its edge, or outside it, depending on how many samples move.
 */
START_TEST(theil_sen_nearly_constant)
{
	for (uint64_t seed = 1; seed <= 60; seed++) {
		rng_seed(seed * 7919);
		size_t n = 100 + rng_below(300);
		uint64_t moving = 1 + rng_below(n / 2);
		double *t = xmalloc_doubles(n), *y = xmalloc_doubles(n);
		double sec = 0;
		for (size_t i = 0; i < n; i++) {
			sec += 630 + (double)rng_below(541);
			t[i] = sec / 3600;
			y[i] = 4096;
			if (rng_below(n) < moving)
				y[i] += 16.0 * ((double)rng_below(9) - 4);
		}
		double slope, lo, hi;
		ck_assert(pt_theil_sen(t, y, n, 0.95, &slope, &lo, &hi));
		check_ci_vs_brute(t, y, n, seed);
		struct brute b = brute_slopes(t, y, n);
		/* A slope of 0 is +0, as brute force divides. */
		ck_assert_int_eq(signbit(slope), signbit(brute_median(&b)));
		ck_assert(!(lo == 0 && signbit(lo)) && !(hi == 0 && signbit(hi)));
		free(b.slopes);
		free(t);
		free(y);
	}
}
END_TEST

/*
 * The edges of the zero mass: series whose lowest interval rank is just
 * past the negative slopes, or whose highest is the last zero or the
 * first positive slope, found by trying many nearly constant series.
 */
START_TEST(theil_sen_zero_mass_edges)
{
	size_t n = 100, found_lo = 0, found_hi = 0;
	double *t = xmalloc_doubles(n), *y = xmalloc_doubles(n);
	for (uint64_t seed = 1; seed <= 200000 && (found_lo < 3 || found_hi < 3);
			seed++) {
		rng_seed(seed);
		uint64_t moving = 20 + rng_below(60);
		for (size_t i = 0; i < n; i++) {
			t[i] = (double)i / 4;
			y[i] = rng_below(n) < moving ?
				(double)(rng_below(7) + 1) * (rng_below(2) ? 1 : -1) : 0;
		}
		int64_t below = 0, ties = 0, np = (int64_t)(n * (n - 1) / 2);
		for (size_t i = 0; i < n; i++)
			for (size_t j = i + 1; j < n; j++) {
				below += y[j] < y[i];
				ties += y[j] == y[i];
			}
		double c = 1.959963984540054 * sqrt(brute_mk_var(y, n));
		int64_t klo = (int64_t)brute_rank(((double)np - c) / 2, (size_t)np);
		int64_t khi = (int64_t)brute_rank(((double)np + c) / 2 + 1,
			(size_t)np);
		bool lo_edge = klo - below >= 0 && klo - below <= 1
			&& khi <= below + ties;
		bool hi_edge = below + ties - khi >= -1 && below + ties - khi <= 0
			&& klo > below;
		if (!lo_edge && !hi_edge)
			continue;
		found_lo += lo_edge;
		found_hi += hi_edge;
		check_ci_vs_brute(t, y, n, seed);
	}
	ck_assert_uint_ge(found_lo, 3);
	ck_assert_uint_ge(found_hi, 3);
	free(t);
	free(y);
}
END_TEST

/*
 * Many exactly collinear points, on lines whose slopes are the cuts the
 * search takes, at times from a quarter hour to years: the keys of the
 * late points carry rounding errors thousands of times those of the early
 * ones, so exact ties are separated in rounded order by early points with
 * tiny errors between them.
 */
START_TEST(theil_sen_collinear_wide_times)
{
	for (uint64_t seed = 1; seed <= 60; seed++) {
		rng_seed(seed * 104729);
		size_t n = 120 + rng_below(200);
		double *t = xmalloc_doubles(n), *y = xmalloc_doubles(n);
		double tt = 0;
		for (size_t i = 0; i < n; i++) {
			tt += i < n / 2 ? 0.25 : 0.25 * (double)(1 + rng_below(4000));
			t[i] = tt;
			/* Three lines through 0 with slopes 4, 6 and 8. */
			double slope = (double)(4 + 2 * rng_below(3));
			y[i] = slope * tt + (rng_below(4) == 0
				? (double)rng_below(64) : 0);
		}
		check_ci_vs_brute(t, y, n, seed);
		free(t);
		free(y);
	}
}
END_TEST

START_TEST(theil_sen_ci_in_tie_mass)
{
	size_t n = 300;
	double *t = xmalloc_doubles(n), *y = xmalloc_doubles(n);
	for (uint64_t seed = 1; seed <= 40; seed++) {
		/* 15-minute samples with 30% jitter in whole seconds. */
		rng_seed(seed);
		double sec = 0;
		for (size_t i = 0; i < n; i++) {
			if (i > 0)
				sec += 630 + (double)rng_below(541);
			t[i] = sec / 3600;
			y[i] = 13648.0 * (double)(rng_below(3 + (uint32_t)(5 * i / n))
				+ rng_below(3));
		}
		check_ci_vs_brute(t, y, n, seed);
	}
	free(t);
	free(y);
}
END_TEST

static void
check_ci_vs_brute(const double *t, const double *y, size_t n, uint64_t seed)
{
	double slope, lo, hi;
	ck_assert_msg(pt_theil_sen(t, y, n, 0.95, &slope, &lo, &hi),
		"seed %llu", (unsigned long long)seed);
	struct brute b = brute_slopes(t, y, n);
	ck_assert_double_eq(slope, brute_median(&b));
	double c = 1.959963984540054 * sqrt(brute_mk_var(y, n));
	double np = (double)b.n;
	ck_assert_double_eq(lo, b.slopes[brute_rank((np - c) / 2, b.n) - 1]);
	ck_assert_double_eq(hi, b.slopes[brute_rank((np + c) / 2 + 1, b.n) - 1]);
	free(b.slopes);
}

/*
 * The first round samples pairs straight from the points and redraws pairs
 * with equal times; with nearly all times tied it must fall back to the
 * merge pass.  Checked against brute force with the CI ranks, for an odd
 * and an even number of points.
 */
START_TEST(theil_sen_mostly_tied_times)
{
	for (size_t n = 400; n <= 401; n++) {
		double *t = xmalloc_doubles(n), *y = xmalloc_doubles(n);
		rng_seed(n);
		for (size_t i = 0; i < n; i++) {
			/* 97% of the points share one time. */
			t[i] = i < n * 97 / 100 ? 1.0 : (double)(i % 3 + 2);
			y[i] = (double)rng_below(50) * 64;
		}
		check_ci_vs_brute(t, y, n, n);
		free(t);
		free(y);
	}
}
END_TEST

/*
 * Series like the real ones at a size where the CI and the median are
 * searched together and picked from one enumerated window: jittered
 * 15-minute times, whole allocations, a slow leak; odd and even pair
 * counts (the median of an even count is the mean of two ranks).
 */
START_TEST(theil_sen_jittered_leak_vs_brute_force)
{
	for (size_t n = 1200; n <= 1202; n++) {
		double *t = xmalloc_doubles(n), *y = xmalloc_doubles(n);
		for (uint64_t seed = 1; seed <= 3; seed++) {
			rng_seed(seed * 7919 + n);
			double sec = 0;
			for (size_t i = 0; i < n; i++) {
				sec += 630 + (double)rng_below(541);
				t[i] = sec / 3600;
				y[i] = 256.0 * floor(1000 + 3 * (double)seed
					* t[i] + 40 * rng_unit());
			}
			check_ci_vs_brute(t, y, n, seed);
		}
		free(t);
		free(y);
	}
}
END_TEST

/*
 * Windows large enough to be enumerated, with odd and even numbers of
 * points: the slopes are computed two at a time, with one left over when
 * an inversion block is odd.  Kinds with exact time differences (make_series),
 * so that the results are bit-exact.
 */
START_TEST(theil_sen_enumerated_windows_vs_brute_force)
{
	static const int kinds[] = { 1, 2, 3, 4, 5 };
	static const size_t sizes[] = { 601, 602, 1001, 1002 };
	rng_seed(4404);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			size_t n = sizes[s];
			double *t = xmalloc_doubles(n), *y = xmalloc_doubles(n);
			make_series(kinds[k], n, t, y);
			check_ci_vs_brute(t, y, n, (uint64_t)(100 * k + s));
			free(t);
			free(y);
		}
	}
}
END_TEST

/*
 * Small integer levels with no trend: the median or an interval end is a
 * slope of 0 inside an enumerated window, among a few percent of pairs of
 * equal y.  Without -0 among y every zero slope is +0 and so must be the
 * result, bit for bit; with some y = -0 some zero slopes are -0, and the
 * value must still be right.
 */
START_TEST(theil_sen_zero_slopes_in_enumerated_window)
{
	size_t n = 900;
	double *t = xmalloc_doubles(n), *y = xmalloc_doubles(n);
	rng_seed(5151);
	for (int neg = 0; neg < 2; neg++) {
		for (int v = 0; v < 4; v++) {
			for (size_t i = 0; i < n; i++) {
				t[i] = (double)i;
				y[i] = (double)rng_below(21 + 20 * (uint64_t)v)
					- 10 - 10 * v;
				if (neg && y[i] == 0 && i % 3 == 0)
					y[i] = -0.0;
			}
			double got[3];
			ck_assert(pt_theil_sen(t, y, n, 0.95, &got[0], &got[1],
					&got[2]));
			struct brute b = brute_slopes(t, y, n);
			double c = 1.959963984540054 * sqrt(brute_mk_var(y, n));
			double np = (double)b.n;
			double want[3] = { brute_median(&b),
				b.slopes[brute_rank((np - c) / 2, b.n) - 1],
				b.slopes[brute_rank((np + c) / 2 + 1, b.n) - 1] };
			for (int k = 0; k < 3; k++) {
				ck_assert_msg(got[k] == want[k], "neg %d v %d k %d:"
					" %a vs %a", neg, v, k, got[k], want[k]);
				if (!neg)
					ck_assert_msg(memcmp(&got[k], &want[k],
						sizeof(double)) == 0, "v %d k %d:"
						" %a vs %a", v, k, got[k],
						want[k]);
			}
			free(b.slopes);
		}
	}
	free(t);
	free(y);
}
END_TEST

START_TEST(theil_sen_near_ties_need_exact_keys)
{
	/*
	 * y = 1e14 + floor(i/3) + 7 floor(i/5): a huge mass of pairs with the
	 * non-representable slope 1/3 + 7/5 = 26/15 and many more near it,
	 * all on byte counts near 1e14, where y - s t carries rounding errors
	 * of about 0.01.  Only exact key comparisons keep the counts right.
	 */
	size_t n = 1500;
	double *t = xmalloc_doubles(n), *y = xmalloc_doubles(n);
	for (size_t variant = 0; variant < 4; variant++) {
		for (size_t i = 0; i < n; i++) {
			t[i] = (double)i * (variant == 2 ? 0.5 : 1);
			y[i] = 1e14 + (double)(i / 3) + 7 * (double)(i / 5)
				+ (variant == 1 ? (double)(i % 2) : 0);
			/* 1/3 rounds down where 26/15 rounds up. */
			if (variant == 3)
				y[i] = 1e14 + (double)(i / 3);
		}
		double slope, lo, hi;
		ck_assert(pt_theil_sen(t, y, n, 0.95, &slope, &lo, &hi));
		struct brute b = brute_slopes(t, y, n);
		ck_assert_msg(slope == brute_median(&b), "variant %zu: %.17g "
			"vs %.17g", variant, slope, brute_median(&b));
		double c = 1.959963984540054 * sqrt(brute_mk_var(y, n));
		double np = (double)b.n;
		ck_assert_double_eq(lo, b.slopes[brute_rank((np - c) / 2, b.n)
				- 1]);
		ck_assert_double_eq(hi, b.slopes[brute_rank((np + c) / 2 + 1,
					b.n) - 1]);
		free(b.slopes);
	}
	free(t);
	free(y);
}
END_TEST

/*
 * Pairs with slope < s and <= s by brute force would be O(n^2); count them
 * with inversions of y - s t in time order, nudging s by a relative 1e-9
 * so that rounding cannot matter for these smooth series.
 */
static void
check_median_by_counts(const double *t, const double *y, size_t n,
		double slope)
{
	double *u = xmalloc_doubles(n);
	double npairs = (double)n * (double)(n - 1) / 2;
	double eps = 1e-9 * fabs(slope) + 1e-12;

	for (size_t i = 0; i < n; i++)
		u[i] = y[i] - (slope - eps) * t[i];
	double below = (double)pt_count_inversions(u, n, NULL);
	for (size_t i = 0; i < n; i++)
		u[i] = y[i] - (slope + eps) * t[i];
	double upto = (double)pt_count_inversions(u, n, NULL);
	ck_assert_msg(below <= npairs / 2 && upto >= npairs / 2,
		"%g %g %g", below, upto, npairs / 2);
	free(u);
}

static double
timed_large(size_t n, uint64_t seed)
{
	rng_seed(seed);
	double *t = xmalloc_doubles(n), *y = xmalloc_doubles(n);
	double tt = 0;
	for (size_t i = 0; i < n; i++) {
		tt += 0.05 + rng_unit() * 0.2;
		t[i] = tt;
		y[i] = floor(2e10 + 12345.6 * tt + rng_normal() * 5e5);
		if (rng_below(50) == 0)
			y[i] *= 3;
	}
	double slope, lo, hi;
	double start = now_seconds();
	ck_assert(pt_theil_sen(t, y, n, 0.95, &slope, &lo, &hi));
	double took = now_seconds() - start;
	ck_assert(lo <= slope && slope <= hi);
	ck_assert(fabs(slope - 12345.6) < 500);
	check_median_by_counts(t, y, n, slope);
	free(t);
	free(y);
	return took;
}

/*
 * The time bounds only guard against an O(n^2) regression (brute force
 * would take minutes).  Under valgrind everything runs 20-50 times
 * slower, so the valgrind setup sets PT_TEST_NO_TIMING and only the
 * answers are checked.
 */
static bool
timing_checked(void)
{
	const char *off = getenv("PT_TEST_NO_TIMING");
	return off == NULL || off[0] == '\0';
}

START_TEST(theil_sen_speed_20000)
{
	double took = timed_large(20000, 5);
	ck_assert_msg(!timing_checked() || took < 5, "n = 20000 took %.3f s", took);
}
END_TEST

START_TEST(theil_sen_speed_200000)
{
	/*
	 * 2e10 pairs: brute force would take minutes.  The bound is loose for
	 * sanitizer builds; an optimized build takes a fraction of a second.
	 */
	double took = timed_large(200000, 6);
	ck_assert_msg(!timing_checked() || took < 10, "n = 200000 took %.3f s",
		took);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Median and quantiles                                                  */

static double
sorted_quantile(const double *sorted, size_t n, double q)
{
	double h = (double)(n - 1) * q;
	size_t k = (size_t)floor(h);
	if (k + 1 >= n)
		return sorted[n - 1];
	double f = h - (double)k;
	return (1 - f) * sorted[k] + f * sorted[k + 1];
}

START_TEST(hamed_rao_factor_values)
{
	size_t n = 400;
	double *r = xmalloc_doubles(n);
	/* Independent noise: no lag is significant (at this seed). */
	rng_seed(5);
	for (size_t i = 0; i < n; i++)
		r[i] = rng_normal();
	double white = pt_hamed_rao_factor(r, n);
	ck_assert_msg(white >= 1 && white < 1.3, "white %f", white);
	/* AR(1) with phi 0.8: n/n* = (1 + phi)/(1 - phi) = 9 for the raw
	 * lag-1 term alone; the first three lags give well over 3. */
	r[0] = 0;
	for (size_t i = 1; i < n; i++)
		r[i] = 0.8 * r[i - 1] + rng_normal();
	double ar = pt_hamed_rao_factor(r, n);
	ck_assert_msg(ar > 3 && ar < 9, "ar %f", ar);
	/* Alternating signs: negative correlation never lowers the variance. */
	for (size_t i = 0; i < n; i++)
		r[i] = (i % 2 ? 1.0 : -1.0) + 0.01 * rng_normal();
	ck_assert_double_eq(pt_hamed_rao_factor(r, n), 1);
	ck_assert_double_eq(pt_hamed_rao_factor(r, 3), 1);
	free(r);
}
END_TEST

/* The factor from ranks counted pair by pair (O(n^2)), as stats.h says. */
static double
brute_hamed_rao(const double *r, size_t n)
{
	double *rank = xmalloc_doubles(n);
	for (size_t i = 0; i < n; i++) {
		size_t below = 0, same = 0;
		for (size_t j = 0; j < n; j++) {
			below += r[j] < r[i];
			same += r[j] == r[i];
		}
		rank[i] = (double)(2 * below + same + 1) / 2;
	}
	double mean = (double)(n + 1) / 2, den = 0, dn = (double)n, sum = 0;
	for (size_t i = 0; i < n; i++)
		den += (rank[i] - mean) * (rank[i] - mean);
	for (size_t k = 1; k <= 3 && k + 2 < n && den > 0; k++) {
		double num = 0, dk = (double)k;
		for (size_t i = 0; i + k < n; i++)
			num += (rank[i] - mean) * (rank[i + k] - mean);
		if (fabs(num / den) > 1.959963984540054 / sqrt(dn))
			sum += (dn - dk) * (dn - dk - 1) * (dn - dk - 2) * (num / den);
	}
	free(rank);
	double f = 1 + 2 * sum / (dn * (dn - 1) * (dn - 2));
	return f > 1 ? f : 1;
}

/* Ranks of negative, tied, signed-zero and close residuals, bit for bit. */
START_TEST(hamed_rao_factor_vs_brute_force)
{
	rng_seed(99);
	for (int iter = 0; iter < 200; iter++) {
		size_t n = 4 + rng_below(300);
		double *r = xmalloc_doubles(n);
		uint64_t levels = 1 + rng_below(iter % 2 ? 5 : 1u << 30);
		for (size_t i = 0; i < n; i++) {
			r[i] = ((double)rng_below(levels) - (double)levels / 2) *
				(iter % 3 ? 1 : 1e-3) + 0.3 * (double)(i % (1 + iter % 9));
			if (r[i] == 0 && rng_below(2))
				r[i] = -0.0;
			/* Values that share their high 32 bits: one run. */
			if (iter % 5 == 4)
				r[i] = 1e6 + (double)rng_below(levels) * 1e-6;
		}
		double got = pt_hamed_rao_factor(r, n), want = brute_hamed_rao(r, n);
		ck_assert_mem_eq(&got, &want, sizeof(got));
		free(r);
	}
}
END_TEST

/* The test against the median, on values and limits that tie it. */
START_TEST(median_below_vs_median)
{
	rng_seed(31);
	for (int iter = 0; iter < 2000; iter++) {
		size_t n = 1 + rng_below(40);
		double *v = xmalloc_doubles(n), *w = xmalloc_doubles(n);
		uint64_t levels = 1 + rng_below(6);
		for (size_t i = 0; i < n; i++)
			v[i] = (double)rng_below(levels) * (iter % 2 ? 0.1 : 1);
		double limit = (double)rng_below(2 * levels + 1) / 2 *
			(iter % 2 ? 0.1 : 1);
		memcpy(w, v, n * sizeof(*v));
		bool want = pt_median_inplace(w, n) < limit;
		ck_assert(pt_median_below(v, n, limit) == want);
		free(v);
		free(w);
	}
}
END_TEST

START_TEST(median_quantile_vs_sort)
{
	rng_seed(4242);
	static const double qs[] = { 0, 0.01, 0.25, 0.5, 0.75, 0.9, 0.999, 1 };
	for (int iter = 0; iter < 300; iter++) {
		size_t n = 1 + rng_below(400);
		double *v = xmalloc_doubles(n), *s = xmalloc_doubles(n);
		double *w = xmalloc_doubles(n);
		for (size_t i = 0; i < n; i++) {
			switch (iter % 5) {
			case 0: v[i] = rng_normal(); break;
			case 1: v[i] = (double)rng_below(3); break;
			case 2: v[i] = (double)i; break;
			case 3: v[i] = -(double)i; break;
			default: v[i] = 42; break;
			}
		}
		memcpy(s, v, n * sizeof(*v));
		qsort(s, n, sizeof(*s), cmp_double);

		memcpy(w, v, n * sizeof(*v));
		double med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
		ck_assert_double_eq(pt_median_inplace(w, n), med);
		ck_assert_double_eq(pt_median_sorted(s, n), med);
		for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
			memcpy(w, v, n * sizeof(*v));
			double got = pt_quantile_inplace(w, n, qs[k]);
			ck_assert_double_eq_tol(got,
				sorted_quantile(s, n, qs[k]), 1e-12);
			/* Read off the sorted values: the same bits. */
			double off = pt_quantile_sorted(s, n, qs[k]);
			ck_assert_mem_eq(&off, &got, sizeof(got));
		}
		/* Reordered, not changed. */
		qsort(w, n, sizeof(*w), cmp_double);
		ck_assert_mem_eq(w, s, n * sizeof(*s));
		free(v);
		free(s);
		free(w);
	}
}
END_TEST

/*
 * Ranges large enough for the sampled band (8,192 and more): every
 * order statistic asked for is the sorted array's, with many ties, sorted
 * and reversed input, and a constant array.
 */
START_TEST(median_quantile_large_vs_sort)
{
	rng_seed(9191);
	static const double qs[] = { 0, 0.001, 0.13, 0.5, 0.87, 0.999, 1 };
	for (int iter = 0; iter < 20; iter++) {
		size_t n = 8192 + rng_below(60000);
		double *v = xmalloc_doubles(n), *s = xmalloc_doubles(n);
		double *w = xmalloc_doubles(n);
		for (size_t i = 0; i < n; i++) {
			switch (iter % 5) {
			case 0: v[i] = rng_normal(); break;
			case 1: v[i] = (double)rng_below(5); break;
			case 2: v[i] = (double)i; break;
			case 3: v[i] = -(double)i; break;
			default: v[i] = 42; break;
			}
		}
		memcpy(s, v, n * sizeof(*v));
		qsort(s, n, sizeof(*s), cmp_double);
		memcpy(w, v, n * sizeof(*v));
		double med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
		ck_assert_double_eq(pt_median_inplace(w, n), med);
		for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
			memcpy(w, v, n * sizeof(*v));
			ck_assert_double_eq_tol(pt_quantile_inplace(w, n, qs[k]),
				sorted_quantile(s, n, qs[k]), 1e-12);
		}
		qsort(w, n, sizeof(*w), cmp_double);
		ck_assert_mem_eq(w, s, n * sizeof(*s));
		free(v);
		free(s);
		free(w);
	}
}
END_TEST

START_TEST(median_quantile_known)
{
	double v[4] = { 4, 1, 3, 2 };
	ck_assert_double_eq(pt_median_inplace(v, 4), 2.5);
	double w[5] = { 10, 40, 20, 50, 30 };
	ck_assert_double_eq(pt_quantile_inplace(w, 5, 0.1), 14);
	ck_assert_double_eq(pt_quantile_inplace(w, 5, 0.5), 30);
	ck_assert_double_eq(pt_quantile_inplace(w, 5, 1), 50);
	ck_assert_double_eq(pt_quantile_inplace(w, 5, 0), 10);
	double one = 7;
	ck_assert_double_eq(pt_median_inplace(&one, 1), 7);
	ck_assert_double_eq(pt_quantile_inplace(&one, 1, 0.3), 7);
}
END_TEST

START_TEST(median_large_adversarial)
{
	/* O(n^2) quickselect would not finish these in the timeout. */
	size_t n = 2000000;
	double *v = xmalloc_doubles(n);
	for (int kind = 0; kind < 4; kind++) {
		for (size_t i = 0; i < n; i++) {
			switch (kind) {
			case 0: v[i] = (double)i; break;
			case 1: v[i] = (double)(n - i); break;
			case 2: v[i] = 1; break;
			default: v[i] = (double)(i % 2 ? i : n - i); break;
			}
		}
		double med = pt_median_inplace(v, n);
		/* Kind 3 is 1..n shuffled in an organ-pipe pattern. */
		double want[4] = { (n - 1) / 2.0, (n + 1) / 2.0, 1,
			(n + 1) / 2.0 };
		ck_assert_double_eq(med, want[kind]);
	}
	free(v);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Normal distribution                                                   */

START_TEST(norm_known_values)
{
	ck_assert_double_eq_tol(pt_norm_quantile(0.975), 1.959963984540054,
			1e-14);
	ck_assert_double_eq_tol(pt_norm_quantile(0.025), -1.959963984540054,
			1e-14);
	ck_assert_double_eq_tol(pt_norm_quantile(0.5), 0, 1e-15);
	ck_assert_double_eq_tol(pt_norm_quantile(0.995), 2.5758293035489004,
			1e-13);
	ck_assert_double_eq_tol(pt_norm_quantile(0.8413447460685429), 1,
			1e-13);
	ck_assert_double_eq_tol(pt_norm_quantile(1e-10), -6.361340902404056,
			1e-11);
	ck_assert_double_eq_tol(pt_norm_quantile(1 - 1e-10),
			6.361340889697421, 1e-12);
	ck_assert(isinf(pt_norm_quantile(0)) && pt_norm_quantile(0) < 0);
	ck_assert(isinf(pt_norm_quantile(1)) && pt_norm_quantile(1) > 0);

	ck_assert_double_eq_tol(pt_norm_cdf(0), 0.5, 1e-16);
	ck_assert_double_eq_tol(pt_norm_cdf(1.96), 0.9750021048517796, 1e-15);
	ck_assert_double_eq_tol(pt_norm_cdf(-1), 0.15865525393145707, 1e-15);
	ck_assert_double_eq_tol(pt_norm_cdf(-10), 7.619853024160527e-24,
			1e-36);
}
END_TEST

START_TEST(norm_round_trip)
{
	for (int i = 1; i < 2000; i++) {
		double p = i / 2000.0;
		double x = pt_norm_quantile(p);
		ck_assert_double_eq_tol(pt_norm_cdf(x), p, 1e-13 * p + 1e-16);
	}
	for (int e = -300; e <= -2; e++) {
		double p = pow(10, e);
		double x = pt_norm_quantile(p);
		ck_assert_double_eq_tol(pt_norm_cdf(x), p, 1e-12 * p);
	}
}
END_TEST

static Suite *
stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("inversions");
	tcase_add_test(tc, inversions_vs_brute_force);
	tcase_add_test(tc, inversions_known);
	tcase_add_test(tc, inversions_large_with_signed_zeros);
	suite_add_tcase(s, tc);

	tc = tcase_create("mann_kendall");
	tcase_add_test(tc, mk_vs_brute_force);
	tcase_add_test(tc, mk_runs_join_slices);
	tcase_add_test(tc, mk_hand_worked);
	tcase_add_test(tc, mk_degenerate);
	tcase_add_test(tc, mk_large_exact_variance);
	suite_add_tcase(s, tc);

	tc = tcase_create("theil_sen");
	tcase_add_test(tc, theil_sen_vs_brute_force);
	tcase_add_test(tc, theil_sen_exact_line);
	tcase_add_test(tc, theil_sen_small_cases);
	tcase_add_test(tc, theil_sen_blocked_is_theil_sen_of_block_medians);
	tcase_add_test(tc, theil_sen_blocked_short_series_unchanged);
	tcase_add_test(tc, theil_sen_blocked_nearly_equal_times);
	tcase_add_test(tc, theil_sen_blocked_keeps_the_trend);
	tcase_add_test(tc, theil_sen_heavy_ties_large);
	tcase_add_test(tc, theil_sen_ci_in_tie_mass);
	tcase_add_test(tc, theil_sen_nearly_constant);
	tcase_add_test(tc, theil_sen_zero_mass_edges);
	tcase_add_test(tc, theil_sen_collinear_wide_times);
	tcase_add_test(tc, theil_sen_near_ties_need_exact_keys);
	tcase_add_test(tc, theil_sen_mostly_tied_times);
	tcase_add_test(tc, theil_sen_jittered_leak_vs_brute_force);
	tcase_add_test(tc, theil_sen_enumerated_windows_vs_brute_force);
	tcase_add_test(tc, theil_sen_zero_slopes_in_enumerated_window);
	tcase_add_test(tc, theil_sen_speed_20000);
	tcase_add_test(tc, theil_sen_speed_200000);
	suite_add_tcase(s, tc);

	tc = tcase_create("selection");
	tcase_add_test(tc, hamed_rao_factor_values);
	tcase_add_test(tc, hamed_rao_factor_vs_brute_force);
	tcase_add_test(tc, median_below_vs_median);
	tcase_add_test(tc, median_quantile_vs_sort);
	tcase_add_test(tc, median_quantile_known);
	tcase_add_test(tc, median_quantile_large_vs_sort);
	tcase_add_test(tc, median_large_adversarial);
	suite_add_tcase(s, tc);

	tc = tcase_create("normal");
	tcase_add_test(tc, norm_known_values);
	tcase_add_test(tc, norm_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pt_test_run(stats_suite());
}
