/* Lock-step groups: tags that step together are grouped, others not. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pooltrend/group.h"
#include "testutil.h"

#define N 96
#define NS 4

struct fixture {
	struct pt_snapshot snaps[N];
	struct pt_row rows[N][NS];
	struct pt_timed_snapshot timed[N];
	struct pt_dataset ds;
	struct pt_diags diags;
	struct pt_score scores[NS];
};

static double
noise(unsigned i)
{
	return pt_test_noise(i, 977u);
}

/*
 * Four leaking tags over 96 hourly samples: File and FNam step together
 * (one leak, two tags, different sizes), Stdy grows steadily, Othr steps
 * at other times.
 */
static double
outstanding(int k, unsigned i)
{
	static const unsigned steps_a[] = { 9, 30, 41, 70, 88 };
	static const unsigned steps_b[] = { 17, 52, 60, 79 };
	double level = 1000 + 20 * noise(i * NS + (unsigned)k);
	switch (k) {
	case 0:
	case 1:
		for (size_t s = 0; s < 5; s++)
			level += i >= steps_a[s] ? 400 : 0;
		return level;
	case 2:
		return level + 15.0 * i;
	default:
		for (size_t s = 0; s < 4; s++)
			level += i >= steps_b[s] ? 500 : 0;
		return level;
	}
}

static void
build(struct fixture *f)
{
	static const char names[NS][5] = { "File", "FNam", "Stdy", "Othr" };
	static const int64_t size[NS] = { 384, 96, 128, 256 };
	memset(f, 0, sizeof(*f));
	for (unsigned i = 0; i < N; i++) {
		for (int k = 0; k < NS; k++) {
			struct pt_row *r = &f->rows[i][k];
			int64_t out = (int64_t)outstanding(k, i);
			memcpy(r->tag, names[k], 4);
			r->pool = PT_POOL_NONPAGED;
			r->allocs = 100000 + 500 * (int64_t)i + out;
			r->frees = r->allocs - out;
			r->diff = out;
			r->bytes = out * size[k];
		}
		f->snaps[i].rows = f->rows[i];
		f->snaps[i].nrows = NS;
		f->snaps[i].line = (long)i + 1;
		f->timed[i] = (struct pt_timed_snapshot){
			&f->snaps[i], "t.txt", (int64_t)i * 3600000,
		};
	}
	struct pt_error err = {0};
	pt_diags_init(&f->diags);
	ck_assert_msg(pt_dataset_build(&f->ds, f->timed, N, 0, &f->diags, &err),
		"%s", err.msg);
	for (size_t s = 0; s < f->ds.nseries; s++) {
		f->scores[s] = (struct pt_score){
			.series = s, .verdict = PT_VERDICT_LIKELY,
			.confidence = 0.9 - 0.1 * (double)s, .has_growth = true,
			.growth_bph = 100,
		};
	}
}

static bool
is_tag(const struct fixture *f, size_t s, const char *name)
{
	return memcmp(f->ds.series[s].tag, name, 4) == 0;
}

START_TEST(test_steps_together_are_grouped)
{
	struct fixture *f = malloc(sizeof(*f));
	ck_assert_ptr_nonnull(f);
	build(f);
	struct pt_groups g;
	ck_assert(pt_groups_find(&f->ds, f->scores, &g));
	ck_assert_uint_eq(g.n, 1);
	ck_assert_uint_eq(g.group[0].n, 2);
	size_t a = g.group[0].series[0], b = g.group[0].series[1];
	ck_assert((is_tag(f, a, "File") && is_tag(f, b, "FNam")) ||
		(is_tag(f, a, "FNam") && is_tag(f, b, "File")));
	ck_assert(g.group[0].min_corr >= PT_GROUP_MIN_CORR);
	pt_groups_finish(&g);

	/* Unlikely series are never grouped. */
	for (size_t s = 0; s < f->ds.nseries; s++)
		if (is_tag(f, s, "FNam"))
			f->scores[s].verdict = PT_VERDICT_UNLIKELY;
	ck_assert(pt_groups_find(&f->ds, f->scores, &g));
	ck_assert_uint_eq(g.n, 0);
	pt_groups_finish(&g);
	pt_dataset_finish(&f->ds);
	pt_diags_finish(&f->diags);
	free(f);
}
END_TEST

static Suite *
group_suite(void)
{
	Suite *s = suite_create("group");
	TCase *tc = tcase_create("groups");
	tcase_add_test(tc, test_steps_together_are_grouped);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pt_test_run(group_suite());
}
