/* Alignment: series keying, gaps, reboots, 32-bit wraps; from rows and packed rows. */
#include <stdlib.h>
#include <string.h>

#include "pooltrend/series.h"
#include "testutil.h"

#define MAXROWS 8

struct fixture {
	struct pt_snapshot snaps[16];
	struct pt_row rows[16][MAXROWS];
	struct pt_timed_snapshot timed[16];
	size_t n;
};

static void
add_snapshot(struct fixture *f, int64_t hour)
{
	size_t i = f->n++;
	memset(&f->snaps[i], 0, sizeof(f->snaps[i]));
	f->snaps[i].rows = f->rows[i];
	f->snaps[i].line = (long)(i * 10 + 1);
	f->timed[i] = (struct pt_timed_snapshot){
		.snap = &f->snaps[i], .file = "log.txt", .t_ms = hour * 3600000,
	};
}

static void
add_row(struct fixture *f, const char tag[4], enum pt_pool pool,
		int64_t allocs, int64_t frees, int64_t bytes)
{
	struct pt_snapshot *s = &f->snaps[f->n - 1];
	struct pt_row *r = &f->rows[f->n - 1][s->nrows++];
	memset(r, 0, sizeof(*r));
	memcpy(r->tag, tag, 4);
	r->pool = (uint8_t)pool;
	r->allocs = allocs;
	r->frees = frees;
	r->diff = (allocs - frees) & 0xffffffff;
	r->bytes = bytes;
}

static size_t
find_series(const struct pt_dataset *ds, const char tag[4], enum pt_pool pool)
{
	for (size_t s = 0; s < ds->nseries; s++)
		if (memcmp(ds->series[s].tag, tag, 4) == 0 && ds->series[s].pool == pool)
			return s;
	return SIZE_MAX;
}

static void
assert_same_column(const int64_t *a, const int64_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(a[i], b[i]);
}

/* The packed rows the pipeline aligns from must give the same dataset. */
static void
assert_packed_build_same(struct fixture *f, const struct pt_dataset *ds,
		const struct pt_diags *d)
{
	struct pt_parse_result res = { .snaps = f->snaps, .nsnaps = f->n };
	struct pt_packed_rows pk;
	ck_assert(pt_packed_rows_build(&pk, &res));
	struct pt_packed_ref refs[16];
	for (size_t i = 0; i < f->n; i++)
		refs[i] = (struct pt_packed_ref){ pk.rows + pk.first[i],
			(const char *const *)pk.mapped };
	struct pt_dataset p;
	struct pt_diags pd;
	struct pt_error err = {0};
	pt_diags_init(&pd);
	/* Snapshots given last first, by three fillers, as files read in
	 * any order on three threads would; keys in another order too. */
	struct pt_series_keys keys = {0};
	for (size_t i = f->n; i-- > 0;)
		for (size_t r = f->snaps[i].nrows; r-- > 0;)
			ck_assert(pt_series_keys_add(&keys, f->snaps[i].rows[r].tag,
				f->snaps[i].rows[r].pool));
	ck_assert_msg(pt_dataset_begin(&p, f->timed, f->n, &keys, 0, 3, &err),
		"%s", err.msg);
	pt_series_keys_finish(&keys);
	for (size_t i = f->n; i-- > 0;)
		ck_assert(pt_dataset_fill_packed(&p, i % 3, i, &refs[i],
			f->snaps[i].nrows));
	ck_assert_msg(pt_dataset_end(&p, &pd, &err), "%s", err.msg);
	ck_assert_uint_eq(p.nseries, ds->nseries);
	ck_assert_uint_eq(p.nepochs, ds->nepochs);
	ck_assert_uint_eq(p.wraps, ds->wraps);
	ck_assert_uint_eq(pd.len, d->len);
	for (size_t s = 0; s < ds->nseries; s++) {
		const struct pt_series *a = &ds->series[s], *b = &p.series[s];
		ck_assert(memcmp(a->tag, b->tag, 4) == 0 && a->pool == b->pool);
		ck_assert(a->present == b->present && a->first == b->first &&
			a->last == b->last && a->wraps == b->wraps);
		ck_assert((a->mapped == NULL) == (b->mapped == NULL));
		if (a->mapped != NULL)
			ck_assert_str_eq(a->mapped, b->mapped);
	}
	size_t cells = ds->nseries * ds->nsnap;
	ck_assert(cells == 0 ||
		memcmp(ds->allocs32, p.allocs32, cells * 4) == 0);
	ck_assert(cells == 0 ||
		memcmp(ds->frees32, p.frees32, cells * 4) == 0);
	assert_same_column(ds->bytes, p.bytes, cells);
	ck_assert(cells == 0 || memcmp(ds->present, p.present,
		ds->nseries * pt_present_words(ds->nsnap) * 8) == 0);
	pt_dataset_finish(&p);
	pt_diags_finish(&pd);
	pt_packed_rows_finish(&pk);
}

static void
build(struct fixture *f, struct pt_dataset *ds, struct pt_diags *d)
{
	struct pt_error err = {0};
	pt_diags_init(d);
	ck_assert_msg(pt_dataset_build(ds, f->timed, f->n, 0, d, &err), "%s", err.msg);
	assert_packed_build_same(f, ds, d);
}

START_TEST(test_keys_by_tag_and_pool)
{
	struct fixture f = {0};
	add_snapshot(&f, 0);
	add_row(&f, "File", PT_POOL_NONPAGED, 10, 5, 500);
	add_row(&f, "File", PT_POOL_PAGED, 3, 1, 40);
	add_row(&f, "  xr", PT_POOL_NONPAGED, 3, 0, 1248);
	add_snapshot(&f, 1);
	add_row(&f, "File", PT_POOL_PAGED, 4, 1, 60);
	add_row(&f, "File", PT_POOL_NONPAGED, 12, 6, 600);
	struct pt_dataset ds;
	struct pt_diags d;
	build(&f, &ds, &d);
	ck_assert_uint_eq(ds.nseries, 3);
	size_t np = find_series(&ds, "File", PT_POOL_NONPAGED);
	size_t pg = find_series(&ds, "File", PT_POOL_PAGED);
	size_t xr = find_series(&ds, "  xr", PT_POOL_NONPAGED);
	ck_assert(np != SIZE_MAX && pg != SIZE_MAX && xr != SIZE_MAX);
	ck_assert_int_eq(pt_dataset_col(&ds, ds.bytes, np)[1], 600);
	ck_assert_int_eq(pt_dataset_col(&ds, ds.bytes, pg)[1], 60);
	/* "  xr" is missing from snapshot 1: an explicit gap. */
	ck_assert(pt_is_present(pt_dataset_present(&ds, xr), 0));
	ck_assert(!pt_is_present(pt_dataset_present(&ds, xr), 1));
	ck_assert_uint_eq(ds.series[xr].present, 1);
	ck_assert_uint_eq(ds.series[np].last, 1);
	ck_assert_uint_eq(ds.nepochs, 1);
	pt_dataset_finish(&ds);
	pt_diags_finish(&d);
}
END_TEST

START_TEST(test_reboot_splits_epochs)
{
	struct fixture f = {0};
	for (int i = 0; i < 6; i++) {
		add_snapshot(&f, i);
		/* counters restart at snapshot 3 */
		int64_t base = i < 3 ? 1000 + 100 * i : 10 + 5 * i;
		add_row(&f, "AAAA", PT_POOL_NONPAGED, base, base / 2, base * 8);
		add_row(&f, "BBBB", PT_POOL_PAGED, base * 2, base, base * 4);
		add_row(&f, "CCCC", PT_POOL_PAGED, 50 + i, 40 + i, 100);
	}
	struct pt_dataset ds;
	struct pt_diags d;
	build(&f, &ds, &d);
	ck_assert_uint_eq(ds.nepochs, 2);
	ck_assert_uint_eq(ds.epoch_start[0], 0);
	ck_assert_uint_eq(ds.epoch_start[1], 3);
	ck_assert_uint_eq(ds.epoch_start[2], 6);
	ck_assert_uint_eq(ds.snaps[2].epoch, 0);
	ck_assert_uint_eq(ds.snaps[3].epoch, 1);
	ck_assert_uint_eq(ds.wraps, 0);
	ck_assert_uint_eq(pt_diags_count(&d, PT_SEV_NOTE), 1);
	pt_dataset_finish(&ds);
	pt_diags_finish(&d);
}
END_TEST

START_TEST(test_page_faults_fall_means_reboot)
{
	struct fixture f = {0};
	for (int i = 0; i < 4; i++) {
		add_snapshot(&f, i);
		f.snaps[i].summary.has_memory = true;
		f.snaps[i].summary.page_faults = i == 2 ? 10 : 1000 + i;
		/* a single tag whose counters keep growing: no majority signal */
		add_row(&f, "Grow", PT_POOL_NONPAGED, 100 + i, 50, 800);
	}
	struct pt_dataset ds;
	struct pt_diags d;
	build(&f, &ds, &d);
	/* Only the fall at snapshot 2 counts; 3 climbs again from there. */
	ck_assert_uint_eq(ds.nepochs, 2);
	ck_assert_uint_eq(ds.epoch_start[1], 2);
	ck_assert_uint_eq(ds.epoch_start[2], 4);
	pt_dataset_finish(&ds);
	pt_diags_finish(&d);
}
END_TEST

START_TEST(test_page_fault_wrap_is_not_a_reboot)
{
	struct fixture f = {0};
	/* PageFlts is a 32-bit counter: it wraps from near 2^32 to small. */
	int64_t pf[] = { 4294967000, 4294967200, 300, 900 };
	for (int i = 0; i < 4; i++) {
		add_snapshot(&f, i);
		f.snaps[i].summary.has_memory = true;
		f.snaps[i].summary.page_faults = pf[i];
		add_row(&f, "Grow", PT_POOL_NONPAGED, 100 + i, 50, 800);
	}
	struct pt_dataset ds;
	struct pt_diags d;
	build(&f, &ds, &d);
	ck_assert_uint_eq(ds.nepochs, 1);
	pt_dataset_finish(&ds);
	pt_diags_finish(&d);
}
END_TEST

START_TEST(test_single_tag_wrap_is_undone)
{
	struct fixture f = {0};
	const int64_t near = 4294967290;
	int64_t allocs[] = { near - 20, near, 10, 30 };
	for (int i = 0; i < 4; i++) {
		add_snapshot(&f, i);
		add_row(&f, "Wrap", PT_POOL_NONPAGED, allocs[i], allocs[i] - 5, 64);
		add_row(&f, "Calm", PT_POOL_NONPAGED, 100 + i, 90 + i, 64);
		add_row(&f, "More", PT_POOL_PAGED, 200 + i, 100 + i, 64);
	}
	struct pt_dataset ds;
	struct pt_diags d;
	build(&f, &ds, &d);
	ck_assert_uint_eq(ds.nepochs, 1);
	size_t w = find_series(&ds, "Wrap", PT_POOL_NONPAGED);
	int64_t a[4], fr[4], df[4];
	pt_dataset_counters(&ds, w, a, fr, df);
	ck_assert_int_eq(a[1], near);
	ck_assert_int_eq(a[2], 10 + (INT64_C(1) << 32));
	ck_assert_int_eq(a[3], 30 + (INT64_C(1) << 32));
	ck_assert_int_eq(fr[2], 5 + (INT64_C(1) << 32));
	ck_assert_int_eq(df[2], 5);
	ck_assert_int_eq(pt_dataset_counter_at(&ds, ds.allocs32, w, 3),
		30 + (INT64_C(1) << 32));
	/* Frees wrapped at the same step as Allocs: two wraps undone. */
	ck_assert_uint_eq(ds.series[w].wraps, 2);
	ck_assert_uint_eq(ds.wraps, 2);
	pt_dataset_finish(&ds);
	pt_diags_finish(&d);
}
END_TEST

/*
 * The accessor's rule on one series that wraps, reboots, wraps again and
 * has gaps: each epoch starts over, a gap does not hide a wrap, a fall of
 * exactly 2^31 is not a wrap, and Diff stays poolmon's count mod 2^32.
 */
START_TEST(test_accessor_unwraps_per_epoch)
{
	struct fixture f = {0};
	const int64_t top = 4294967295;     /* 2^32 - 1 */
	/* hour: allocs, frees of "Wrap" (-1: no row) */
	const int64_t rows[][2] = {
		{ top - 10, top - 30 },         /* 0 */
		{ 5, top - 2 },                 /* 1: Allocs wrapped */
		{ -1, -1 },                     /* 2: gap */
		{ 50, 20 },                     /* 3: Frees wrapped across the gap */
		{ 7, 3 },                       /* 4: reboot (most tags fall) */
		{ 2147483700, 3 },              /* 5 */
		{ 52, 4 },                      /* 6: Allocs fell by exactly 2^31 */
	};
	for (int i = 0; i < 7; i++) {
		add_snapshot(&f, i);
		if (rows[i][0] >= 0)
			add_row(&f, "Wrap", PT_POOL_NONPAGED, rows[i][0], rows[i][1], 64);
		/* Calm tags restart at the reboot before hour 4. */
		int64_t c = i < 4 ? 1000 + i : i;
		add_row(&f, "Cal1", PT_POOL_NONPAGED, c, 0, 64);
		add_row(&f, "Cal2", PT_POOL_PAGED, c, 0, 64);
		add_row(&f, "Cal3", PT_POOL_PAGED, c + 1, 1, 64);
	}
	struct pt_dataset ds;
	struct pt_diags d;
	build(&f, &ds, &d);
	ck_assert_uint_eq(ds.nepochs, 2);
	ck_assert_uint_eq(ds.epoch_start[1], 4);
	size_t w = find_series(&ds, "Wrap", PT_POOL_NONPAGED);
	int64_t a[7], fr[7], df[7];
	pt_dataset_counters(&ds, w, a, fr, df);
	const int64_t m = INT64_C(1) << 32;
	const int64_t want_a[7] = { top - 10, m + 5, 0, m + 50, 7, 2147483700, 52 };
	const int64_t want_f[7] = { top - 30, top - 2, 0, m + 20, 3, 3, 4 };
	const int64_t want_d[7] = { 20, 8, 0, 30, 4, 2147483697, 48 };
	for (int i = 0; i < 7; i++) {
		ck_assert_int_eq(a[i], want_a[i]);
		ck_assert_int_eq(fr[i], want_f[i]);
		ck_assert_int_eq(df[i], want_d[i]);
		if (i != 2) {
			ck_assert_int_eq(pt_dataset_counter_at(&ds, ds.allocs32, w,
				(size_t)i), want_a[i]);
			ck_assert_int_eq(pt_dataset_counter_at(&ds, ds.frees32, w,
				(size_t)i), want_f[i]);
		}
	}
	/* Allocs once, Frees once; the fall at hour 6 is not more than 2^31. */
	ck_assert_uint_eq(ds.series[w].wraps, 2);
	pt_dataset_finish(&ds);
	pt_diags_finish(&d);
}
END_TEST

START_TEST(test_mapped_text_is_kept)
{
	struct fixture f = {0};
	add_snapshot(&f, 0);
	add_row(&f, "File", PT_POOL_NONPAGED, 10, 5, 500);
	f.rows[0][0].mapped = "[nt!io - File objects]";
	struct pt_dataset ds;
	struct pt_diags d;
	build(&f, &ds, &d);
	ck_assert_str_eq(ds.series[0].mapped, "[nt!io - File objects]");
	ck_assert_ptr_ne(ds.series[0].mapped, f.rows[0][0].mapped);
	pt_dataset_finish(&ds);
	pt_dataset_finish(NULL);
	pt_diags_finish(&d);
}
END_TEST

START_TEST(test_cell_limit)
{
	struct fixture f = {0};
	add_snapshot(&f, 0);
	add_row(&f, "AAAA", PT_POOL_NONPAGED, 1, 0, 1);
	add_row(&f, "BBBB", PT_POOL_NONPAGED, 1, 0, 1);
	add_snapshot(&f, 1);
	add_row(&f, "AAAA", PT_POOL_NONPAGED, 1, 0, 1);
	struct pt_dataset ds;
	struct pt_diags d;
	struct pt_error err = {0};
	pt_diags_init(&d);
	ck_assert(!pt_dataset_build(&ds, f.timed, f.n, 3, &d, &err));
	ck_assert_msg(strstr(err.msg, "2 series x 2 snapshots = 4 cells "
		"exceeds the limit of 3 cells (16 bytes and a bit each") != NULL,
		"%s", err.msg);
	pt_diags_finish(&d);
}
END_TEST

/* Keys remember where they were first seen; those past a cut go. */
START_TEST(test_keys_dropped_from_a_place)
{
	static const uint8_t a[4] = "Aaaa", b[4] = "Bbbb", c[4] = "Cccc";
	struct pt_series_keys file = {0}, all = {0};
	ck_assert(pt_series_keys_add_seen(&file, a, 0, 7));
	ck_assert(pt_series_keys_add_seen(&file, b, 0, 3));
	ck_assert(pt_series_keys_add_seen(&file, a, 0, 2));  /* earlier */
	ck_assert(pt_series_keys_merge_at(&all, &file, 100)); /* a 102, b 103 */
	pt_series_keys_clear(&file);
	ck_assert_uint_eq(pt_series_keys_count(&file), 0);
	ck_assert(pt_series_keys_add_seen(&file, c, 1, 0));
	ck_assert(pt_series_keys_add_seen(&file, b, 0, 0));
	ck_assert(pt_series_keys_merge_at(&all, &file, 200)); /* c 200 */
	ck_assert_uint_eq(pt_series_keys_count(&all), 3);
	ck_assert(pt_series_keys_drop_from(&all, 200));
	ck_assert_uint_eq(pt_series_keys_count(&all), 2);
	ck_assert(pt_series_keys_drop_from(&all, 103));
	ck_assert_uint_eq(pt_series_keys_count(&all), 1);
	ck_assert(pt_series_keys_drop_from(&all, 102));
	ck_assert_uint_eq(pt_series_keys_count(&all), 0);
	pt_series_keys_finish(&file);
	pt_series_keys_finish(&all);
}
END_TEST

static Suite *
series_suite(void)
{
	Suite *s = suite_create("series");
	TCase *tc = tcase_create("align");
	tcase_add_test(tc, test_keys_by_tag_and_pool);
	tcase_add_test(tc, test_reboot_splits_epochs);
	tcase_add_test(tc, test_page_faults_fall_means_reboot);
	tcase_add_test(tc, test_page_fault_wrap_is_not_a_reboot);
	tcase_add_test(tc, test_single_tag_wrap_is_undone);
	tcase_add_test(tc, test_accessor_unwraps_per_epoch);
	tcase_add_test(tc, test_mapped_text_is_kept);
	tcase_add_test(tc, test_cell_limit);
	tcase_add_test(tc, test_keys_dropped_from_a_place);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pt_test_run(series_suite());
}
