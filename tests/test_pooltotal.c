/*
 * Pool totals: the summed growth of a pool over its last boot epoch, the
 * share of it in likely or possible series, the -r header cross-check and
 * the time to exhaustion.
 */
#include <math.h>
#include <string.h>

#include "pooltrend/pooltotal.h"
#include "pooltrend/timestamp.h"
#include "testutil.h"

#define NSNAP 24
#define NTAGS 3
#define REBOOT_AT 8    /* first snapshot of the last boot epoch */
#define HOUR 3600000
#define LEAK_BPH 40960 /* the paged leak: 40 KB an hour */

enum { T_LEAK, T_LOAD, T_NONPAGED };

static const uint8_t tags[NTAGS][4] = {
	{ 'L', 'e', 'a', 'k' }, { 'L', 'o', 'a', 'd' }, { 'N', 'p', 'F', 'l' },
};
static const uint8_t pools[NTAGS] = {
	PT_POOL_PAGED, PT_POOL_PAGED, PT_POOL_NONPAGED,
};

struct fixture {
	struct pt_snapshot snaps[NSNAP];
	struct pt_row rows[NSNAP][NTAGS];
	struct pt_timed_snapshot timed[NSNAP];
	struct pt_analysis a;
};

/* Load rises and falls by 8 KB around 1 MB; the nonpaged tag is flat. */
static int64_t
bytes_of(int t, int k)
{
	if (t == T_LEAK)
		return 65536 + (int64_t)LEAK_BPH * k;
	if (t == T_LOAD)
		return 1048576 + (k % 2 ? 8192 : -8192);
	return 500000;
}

enum variant { NORMAL, NO_SUMMARY, LEAK_BEFORE_REBOOT, HUGE };

static void
setup(struct fixture *f, enum variant v)
{
	bool with_summary = v != NO_SUMMARY;
	memset(f, 0, sizeof(*f));
	int64_t t0 = pt_days_from_civil(2026, 11, 2) * 86400000;
	for (int i = 0; i < NSNAP; i++) {
		int k = i < REBOOT_AT ? i : i - REBOOT_AT;
		int64_t paged = 0;
		size_t nrows = 0;
		for (int t = 0; t < NTAGS; t++) {
			if (v == LEAK_BEFORE_REBOOT && t == T_LEAK && i >= REBOOT_AT)
				continue;
			struct pt_row *r = &f->rows[i][nrows++];
			memcpy(r->tag, tags[t], 4);
			r->pool = pools[t];
			r->bytes = v == HUGE && t != T_NONPAGED ? INT64_MAX - NSNAP + i :
				bytes_of(t, k);
			r->per_alloc = 64;
			r->diff = r->bytes / 64;
			r->allocs = 1000 * (k + 1) + r->diff;
			r->frees = r->allocs - r->diff;
			r->line = 10 + t;
			if (pools[t] == PT_POOL_PAGED && v != HUGE)
				paged += r->bytes;
		}
		struct pt_summary *sum = &f->snaps[i].summary;
		sum->has_memory = with_summary;
		sum->has_commit = with_summary;
		sum->page_faults = i < REBOOT_AT ? 900000 + i : 100 + i;
		sum->avail_k = 2 * 1024 * 1024;
		sum->commit_k = 3 * 1024 * 1024;
		sum->limit_k = sum->commit_k + 40 * 1024;     /* 40 MB of headroom */
		sum->pool_paged_k = paged / 1024 + 2 * k;     /* 2 KB/h beyond the tags */
		sum->pool_nonpaged_k = 500;
		f->snaps[i].rows = f->rows[i];
		f->snaps[i].nrows = nrows;
		f->snaps[i].line = 5;
		f->timed[i] = (struct pt_timed_snapshot){ &f->snaps[i], "log.txt",
			t0 + (int64_t)i * HOUR };
	}
	pt_test_analyse(&f->a, f->timed, NSNAP);
	ck_assert_uint_eq(f->a.ds.nepochs, 2);
}

static void
teardown(struct fixture *f)
{
	pt_analysis_finish(&f->a);
}

START_TEST(paged_growth_is_the_leak)
{
	struct fixture f;
	struct pt_pool_total p[PT_POOL_COUNT];
	struct pt_error err = {0};
	setup(&f, NORMAL);
	ck_assert(pt_pool_totals(&f.a, p, &err));
	const struct pt_pool_total *pg = &p[PT_POOL_PAGED];
	ck_assert_uint_eq(pg->series, 2);
	ck_assert(pg->has_growth);
	/* The load's wobble has no trend: the pool grows as fast as the leak. */
	ck_assert_double_eq_tol(pg->growth_bph, LEAK_BPH, 1);
	ck_assert_uint_eq(pg->flagged, 1);
	ck_assert(pg->has_share);
	ck_assert_double_eq_tol(pg->flagged_share, 1, 0.01);
	ck_assert_int_eq(pg->bytes_last, bytes_of(T_LEAK, NSNAP - 1 - REBOOT_AT) +
		bytes_of(T_LOAD, NSNAP - 1 - REBOOT_AT));
	/* 40 MB of commit headroom at 40 KB/h. */
	ck_assert(pg->has_tte);
	ck_assert_str_eq(pg->tte_bound, "commit limit");
	ck_assert_double_eq_tol(pg->tte_hours, 1024, 1);
	/* The header counts 2 KB/h more than the tags. */
	ck_assert(pg->has_header_growth);
	ck_assert_double_eq_tol(pg->header_growth_bph, LEAK_BPH + 2048, 64);
	const struct pt_pool_total *np = &p[PT_POOL_NONPAGED];
	ck_assert_uint_eq(np->series, 1);
	ck_assert(np->has_growth);
	ck_assert_double_eq_tol(np->growth_bph, 0, 1e-9);
	ck_assert(!np->has_share);
	ck_assert(!np->has_tte);
	teardown(&f);
}
END_TEST

START_TEST(no_summary_no_tte)
{
	struct fixture f;
	struct pt_pool_total p[PT_POOL_COUNT];
	struct pt_error err = {0};
	setup(&f, NO_SUMMARY);
	ck_assert(pt_pool_totals(&f.a, p, &err));
	ck_assert(p[PT_POOL_PAGED].has_growth);
	ck_assert(!p[PT_POOL_PAGED].has_tte);
	ck_assert(!p[PT_POOL_PAGED].has_header_growth);
	teardown(&f);
}
END_TEST

/* A leak that stopped at the reboot explains none of the growth after it. */
START_TEST(share_counts_the_last_epoch_only)
{
	struct fixture f;
	struct pt_pool_total p[PT_POOL_COUNT];
	struct pt_error err = {0};
	setup(&f, LEAK_BEFORE_REBOOT);
	ck_assert(pt_pool_totals(&f.a, p, &err));
	ck_assert_uint_eq(p[PT_POOL_PAGED].flagged, 1);
	ck_assert_double_eq(p[PT_POOL_PAGED].flagged_growth_bph, 0);
	teardown(&f);
}
END_TEST

/* Two series near INT64_MAX: the total saturates instead of wrapping. */
START_TEST(huge_totals_saturate)
{
	struct fixture f;
	struct pt_pool_total p[PT_POOL_COUNT];
	struct pt_error err = {0};
	setup(&f, HUGE);
	ck_assert(pt_pool_totals(&f.a, p, &err));
	ck_assert_int_eq(p[PT_POOL_PAGED].bytes_last, INT64_MAX);
	teardown(&f);
}
END_TEST

START_TEST(headroom_bounds)
{
	struct pt_summary s = { .has_memory = true, .avail_k = 100,
		.has_commit = true, .commit_k = 500, .limit_k = 400 };
	double bytes;
	const char *bound;
	ck_assert(pt_pool_headroom(&s, PT_POOL_NONPAGED, &bytes, &bound));
	ck_assert_double_eq(bytes, 102400);
	ck_assert_str_eq(bound, "available memory");
	/* Over the limit already: no headroom, never a negative one. */
	ck_assert(pt_pool_headroom(&s, PT_POOL_PAGED, &bytes, &bound));
	ck_assert_double_eq(bytes, 0);
	s.has_commit = false;
	ck_assert(!pt_pool_headroom(&s, PT_POOL_PAGED, &bytes, &bound));
	s.has_memory = false;
	ck_assert(!pt_pool_headroom(&s, PT_POOL_NONPAGED, &bytes, &bound));
}
END_TEST

static Suite *
pooltotal_suite(void)
{
	Suite *s = suite_create("pooltotal");
	TCase *tc = tcase_create("totals");
	tcase_add_test(tc, paged_growth_is_the_leak);
	tcase_add_test(tc, no_summary_no_tte);
	tcase_add_test(tc, headroom_bounds);
	tcase_add_test(tc, share_counts_the_last_epoch_only);
	tcase_add_test(tc, huge_totals_saturate);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pt_test_run(pooltotal_suite());
}
