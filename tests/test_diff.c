/* pooltrend diff: picking the two sides, rows, reboots, wraps, order, writers. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "pooltrend/diff.h"
#include "testutil.h"

#define HOUR INT64_C(3600000)
#define T0 (INT64_C(1793000000) * 1000)

/* A poolmon -n text built up row by row. */
struct text {
	char buf[8192];
	size_t len;
};

static void
put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(t->buf + t->len, sizeof(t->buf) - t->len, fmt, ap);
	va_end(ap);
	ck_assert(k > 0 && (size_t)k < sizeof(t->buf) - t->len);
	t->len += (size_t)k;
}

/* The -r summary (page faults tell reboots apart) and the x64 header. */
static void
header(struct text *t, long page_faults)
{
	put(t, "\n Memory: 8388608K Avail: 4000000K  PageFlts:%6ld   InRam "
		"Krnl:12672K P:935188K\n", page_faults);
	put(t, " Commit:6000000K Limit:9000000K Peak:6005000K            "
		"Pool N:200000K P:300000K\n\n");
	put(t, " Tag  Type     Allocs            Frees               Diff  "
		"          Bytes                 Per Alloc\n\n");
}

/* An x64 row; type is "Nonp " or "Paged". */
static void
row(struct text *t, const char *tag, const char *type, int64_t allocs,
		int64_t frees, int64_t bytes)
{
	int64_t diff = allocs - frees;
	put(t, " %4s %5s %18" PRId64 " %18" PRId64 "  %16" PRId64 " %14" PRId64
		"     %12" PRId64 "        \n", tag, type, allocs, frees, diff,
		bytes, diff > 0 ? bytes / diff : bytes);
}

static struct pt_input_text
input(const char *name, const struct text *t, int64_t mtime_ms)
{
	return (struct pt_input_text){ name, (const unsigned char *)t->buf,
		t->len, true, mtime_ms };
}

static const struct pt_diff_row *
find_row(const struct pt_diff *d, const char *tag, enum pt_pool pool)
{
	for (size_t i = 0; i < d->nrows; i++) {
		const struct pt_series *se = &d->a.ds.series[d->rows[i].series];
		if (memcmp(se->tag, tag, 4) == 0 && se->pool == pool)
			return &d->rows[i];
	}
	return NULL;
}

static bool
run_two(const struct text *old, const struct text *new, int64_t new_ms,
		struct pt_diff *d, struct pt_error *err)
{
	struct pt_input_text in[2] = {
		input("old.txt", old, T0), input("new.txt", new, new_ms),
	};
	struct pt_analysis_opts opts;
	pt_analysis_opts_init(&opts);
	return pt_diff_run_texts(in, 2, 1, &opts, d, err);
}

/* Stay (grows), Gone (only in OLD), Newt (only in NEW), Paged Stay. */
static void
basic_sides(struct text *old, struct text *new, long new_faults)
{
	memset(old, 0, sizeof(*old));
	memset(new, 0, sizeof(*new));
	header(old, 100000);
	row(old, "Stay", "Nonp ", 1000, 900, 6400);
	row(old, "Stay", "Paged", 500, 400, 1000);
	row(old, "Gone", "Nonp ", 300, 100, 2000);
	header(new, new_faults);
	row(new, "Stay", "Nonp ", 1600, 1000, 38400);
	row(new, "Stay", "Paged", 700, 650, 500);
	row(new, "Newt", "Nonp ", 40, 10, 300);
}

START_TEST(test_rows_new_gone_and_totals)
{
	struct text old, new;
	basic_sides(&old, &new, 100500);
	struct pt_diff d;
	struct pt_error err = {0};
	ck_assert_msg(run_two(&old, &new, T0 + 2 * HOUR, &d, &err), "%s", err.msg);
	ck_assert_uint_eq(d.nrows, 4);
	ck_assert(!d.reboot);
	ck_assert(!d.reversed);
	ck_assert(fabs(d.hours - 2.0) < 1e-9);

	const struct pt_diff_row *r = find_row(&d, "Stay", PT_POOL_NONPAGED);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->status, PT_DIFF_BOTH);
	ck_assert_int_eq(r->counters, PT_COUNTERS_OK);
	ck_assert_int_eq(r->old.diff, 100);
	ck_assert_int_eq(r->new.diff, 600);
	ck_assert_int_eq(r->new.per_alloc, 64);
	ck_assert_int_eq(r->allocs_change, 600);
	ck_assert_int_eq(r->frees_change, 100);
	ck_assert_int_eq(r->diff_change, 500);
	ck_assert_int_eq(r->bytes_change, 32000);
	ck_assert(fabs(pt_diff_rate(&d, r->bytes_change) - 16000.0) < 1e-9);

	r = find_row(&d, "Gone", PT_POOL_NONPAGED);
	ck_assert_int_eq(r->status, PT_DIFF_GONE);
	ck_assert_int_eq(r->new.bytes, 0);
	ck_assert_int_eq(r->bytes_change, -2000);
	ck_assert_int_eq(r->counters, PT_COUNTERS_FELL);

	r = find_row(&d, "Newt", PT_POOL_NONPAGED);
	ck_assert_int_eq(r->status, PT_DIFF_NEW);
	ck_assert_int_eq(r->counters, PT_COUNTERS_OK);
	ck_assert_int_eq(r->allocs_change, 40);
	ck_assert_int_eq(r->bytes_change, 300);

	const struct pt_diff_pool *np = &d.pools[PT_POOL_NONPAGED];
	ck_assert_uint_eq(np->tags, 3);
	ck_assert_uint_eq(np->new_tags, 1);
	ck_assert_uint_eq(np->gone_tags, 1);
	ck_assert_int_eq(np->old_bytes, 8400);
	ck_assert_int_eq(np->new_bytes, 38700);
	ck_assert_int_eq(d.pools[PT_POOL_PAGED].new_bytes -
		d.pools[PT_POOL_PAGED].old_bytes, -500);
	pt_diff_finish(&d);
}
END_TEST

START_TEST(test_reboot_hides_counter_changes)
{
	struct text old, new;
	basic_sides(&old, &new, 200);  /* page faults fell: a reboot */
	struct pt_diff d;
	struct pt_error err = {0};
	ck_assert_msg(run_two(&old, &new, T0 + HOUR, &d, &err), "%s", err.msg);
	ck_assert(d.reboot);
	const struct pt_diff_row *r = find_row(&d, "Stay", PT_POOL_PAGED);
	ck_assert_int_eq(r->counters, PT_COUNTERS_REBOOT);
	/* Levels still compare. */
	ck_assert_int_eq(r->diff_change, -50);
	ck_assert_int_eq(r->bytes_change, -500);
	ck_assert_uint_ge(pt_diags_count(&d.a.diags, PT_SEV_NOTE), 1);
	pt_diff_finish(&d);
}
END_TEST

START_TEST(test_wrap_within_one_boot)
{
	struct text old = {0}, new = {0};
	header(&old, 100000);
	row(&old, "Wrap", "Nonp ", INT64_C(4294967000), INT64_C(4294966900), 6400);
	row(&old, "Calm", "Nonp ", 1000, 900, 6400);
	row(&old, "Cal2", "Nonp ", 2000, 1900, 6400);
	header(&new, 100100);
	row(&new, "Wrap", "Nonp ", 704, 604, 6400);  /* +1000 through 2^32 */
	row(&new, "Calm", "Nonp ", 1100, 1000, 6400);
	row(&new, "Cal2", "Nonp ", 2100, 2000, 6400);
	struct pt_diff d;
	struct pt_error err = {0};
	ck_assert_msg(run_two(&old, &new, T0 + HOUR, &d, &err), "%s", err.msg);
	ck_assert(!d.reboot);
	const struct pt_diff_row *r = find_row(&d, "Wrap", PT_POOL_NONPAGED);
	ck_assert_int_eq(r->counters, PT_COUNTERS_OK);
	ck_assert_int_eq(r->allocs_change, 1000);
	ck_assert_int_eq(r->frees_change, 1000);
	ck_assert_int_eq(r->old.allocs, INT64_C(4294967000));
	ck_assert_int_eq(r->new.allocs, 704);  /* as poolmon printed it */
	pt_diff_finish(&d);
}
END_TEST

START_TEST(test_one_set_first_and_last)
{
	struct text set = {0};
	for (int i = 0; i < 3; i++) {
		put(&set, "2026-11-02T%02d:00:00\n", 8 + i);
		header(&set, 100000 + i);
		row(&set, "Leak", "Paged", 1000 + 100 * i, 900, 6400 + 6400 * i);
	}
	struct pt_input_text in = input("set.log", &set, T0);
	struct pt_analysis_opts opts;
	pt_analysis_opts_init(&opts);
	struct pt_diff d;
	struct pt_error err = {0};
	ck_assert_msg(pt_diff_run_texts(&in, 1, 0, &opts, &d, &err), "%s", err.msg);
	ck_assert_uint_eq(d.old_snap, 0);
	ck_assert_uint_eq(d.new_snap, 2);
	ck_assert(fabs(d.hours - 2.0) < 1e-9);
	ck_assert_int_eq(d.rows[0].bytes_change, 12800);
	pt_diff_finish(&d);

	/* One snapshot is not a comparison. */
	struct text one = {0};
	header(&one, 1);
	row(&one, "Leak", "Paged", 10, 5, 640);
	in = input("one.txt", &one, T0);
	ck_assert(!pt_diff_run_texts(&in, 1, 0, &opts, &d, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "only one snapshot"));
	pt_diff_finish(&d);
}
END_TEST

/* OLD is a set of two files: its earliest snapshot is the one compared. */
START_TEST(test_old_set_takes_its_first)
{
	struct text a = {0}, b = {0}, c = {0};
	header(&a, 100000);
	row(&a, "Leak", "Paged", 1000, 900, 6400);
	header(&b, 100100);
	row(&b, "Leak", "Paged", 1100, 900, 12800);
	header(&c, 100200);
	row(&c, "Leak", "Paged", 1300, 900, 25600);
	/* Given out of time order: the set is ordered by time first. */
	struct pt_input_text in[3] = {
		input("old/b.txt", &b, T0 + HOUR), input("old/a.txt", &a, T0),
		input("new.txt", &c, T0 + 4 * HOUR),
	};
	struct pt_analysis_opts opts;
	pt_analysis_opts_init(&opts);
	struct pt_diff d;
	struct pt_error err = {0};
	ck_assert_msg(pt_diff_run_texts(in, 3, 2, &opts, &d, &err), "%s", err.msg);
	ck_assert_str_eq(d.a.ds.snaps[d.old_snap].file, "old/a.txt");
	ck_assert_str_eq(d.a.ds.snaps[d.new_snap].file, "new.txt");
	ck_assert(fabs(d.hours - 4.0) < 1e-9);
	ck_assert_int_eq(d.rows[0].bytes_change, 19200);
	ck_assert_int_eq(d.rows[0].allocs_change, 300);
	pt_diff_finish(&d);
}
END_TEST

START_TEST(test_side_without_snapshot)
{
	struct text old = {0}, new;
	put(&old, "not a poolmon file\n");
	struct text unused;
	basic_sides(&unused, &new, 100500);
	struct pt_diff d;
	struct pt_error err = {0};
	ck_assert(!run_two(&old, &new, T0 + HOUR, &d, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "OLD"));
	ck_assert_uint_ge(pt_diags_count(&d.a.diags, PT_SEV_ERROR), 1);
	pt_diff_finish(&d);
}
END_TEST

START_TEST(test_reversed_has_no_rate)
{
	struct text old, new;
	basic_sides(&old, &new, 100500);
	struct pt_diff d;
	struct pt_error err = {0};
	ck_assert_msg(run_two(&old, &new, T0 - HOUR, &d, &err), "%s", err.msg);
	ck_assert(d.reversed);
	/* Still NEW minus OLD as given. */
	ck_assert_int_eq(find_row(&d, "Stay", PT_POOL_NONPAGED)->bytes_change,
		32000);
	ck_assert(isnan(pt_diff_rate(&d, 32000)));
	ck_assert_uint_ge(pt_diags_count(&d.a.diags, PT_SEV_WARNING), 1);
	pt_diff_finish(&d);
}
END_TEST

START_TEST(test_index_time_has_no_rate)
{
	struct text old, new;
	basic_sides(&old, &new, 100500);
	struct pt_input_text in[2] = {
		input("old.txt", &old, 0), input("new.txt", &new, 0),
	};
	in[0].has_mtime = in[1].has_mtime = false;
	struct pt_analysis_opts opts;
	pt_analysis_opts_init(&opts);
	struct pt_diff d;
	struct pt_error err = {0};
	ck_assert_msg(pt_diff_run_texts(in, 2, 1, &opts, &d, &err), "%s", err.msg);
	ck_assert_int_eq(d.a.time_source, PT_TIME_INDEX);
	ck_assert(isnan(d.hours));
	ck_assert(isnan(pt_diff_rate(&d, 32000)));
	ck_assert(!d.reversed);
	pt_diff_finish(&d);
}
END_TEST

static const char *
tag_at(const struct pt_diff *d, const size_t *rank, size_t i)
{
	static char out[5];
	memcpy(out, d->a.ds.series[d->rows[rank[i]].series].tag, 4);
	return out;
}

START_TEST(test_rank_keys_and_pool)
{
	struct text old, new;
	basic_sides(&old, &new, 100500);
	struct pt_diff d;
	struct pt_error err = {0};
	ck_assert(run_two(&old, &new, T0 + HOUR, &d, &err));
	size_t n;
	size_t *rank = pt_diff_rank(&d, PT_SORT_BYTES, PT_FILTER_ALL, &n);
	ck_assert_uint_eq(n, 4);
	/* +32000, +300, -500 (Paged Stay), -2000 */
	ck_assert_str_eq(tag_at(&d, rank, 0), "Stay");
	ck_assert_str_eq(tag_at(&d, rank, 1), "Newt");
	ck_assert_str_eq(tag_at(&d, rank, 2), "Stay");
	ck_assert_str_eq(tag_at(&d, rank, 3), "Gone");
	free(rank);
	/* Gone's allocs change is unknown: last. */
	rank = pt_diff_rank(&d, PT_SORT_ALLOCS, PT_FILTER_ALL, &n);
	ck_assert_str_eq(tag_at(&d, rank, 0), "Stay");
	ck_assert_str_eq(tag_at(&d, rank, 3), "Gone");
	free(rank);
	rank = pt_diff_rank(&d, PT_SORT_TAG, PT_FILTER_NONPAGED, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(tag_at(&d, rank, 0), "Gone");
	ck_assert_str_eq(tag_at(&d, rank, 1), "Newt");
	ck_assert_str_eq(tag_at(&d, rank, 2), "Stay");
	free(rank);
	pt_diff_finish(&d);
}
END_TEST

/* Write the diff into memory. */
static char *
render(const struct pt_diff *d, enum pt_format format, bool color)
{
	struct pt_report_opts o = { .format = format, .sort = PT_SORT_BYTES,
		.color = color, .version = "test" };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	struct pt_error err = {0};
	ck_assert_msg(pt_diff_write(f, d, &o, &err), "%s", err.msg);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

/* Hostile tags: a formula and an escape byte. */
static void
hostile_sides(struct text *old, struct text *new)
{
	memset(old, 0, sizeof(*old));
	memset(new, 0, sizeof(*new));
	header(old, 100000);
	row(old, "=cmd", "Nonp ", 100, 50, 3200);
	row(old, "\x1b[2J", "Paged", 100, 50, 3200);
	header(new, 100100);
	row(new, "=cmd", "Nonp ", 200, 50, 9600);
	row(new, "\x1b[2J", "Paged", 100, 50, 3200);
}

START_TEST(test_writers_escape_and_neutralise)
{
	struct text old, new;
	hostile_sides(&old, &new);
	struct pt_diff d;
	struct pt_error err = {0};
	ck_assert_msg(run_two(&old, &new, T0 + HOUR, &d, &err), "%s", err.msg);

	char *text = render(&d, PT_FORMAT_TEXT, false);
	ck_assert_ptr_null(strchr(text, '\x1b'));
	ck_assert_ptr_nonnull(strstr(text, "\\x1b[2J"));
	ck_assert_ptr_nonnull(strstr(text, "+6.25 KB"));
	free(text);
	text = render(&d, PT_FORMAT_TEXT, true);
	ck_assert_ptr_nonnull(strstr(text, "\033[31m+6.25 KB\033[0m"));
	free(text);

	char *csv = render(&d, PT_FORMAT_CSV, false);
	ck_assert_ptr_nonnull(strstr(csv, "\r\n1,'=cmd,3d636d64,nonpaged,both,ok,"));
	free(csv);

	char *json = render(&d, PT_FORMAT_JSON, false);
	cJSON *doc = cJSON_Parse(json);
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(cJSON_GetObjectItem(doc, "schema_version")->valueint, 1);
	cJSON *tags = cJSON_GetObjectItem(doc, "tags");
	ck_assert_int_eq(cJSON_GetArraySize(tags), 2);
	cJSON *first = cJSON_GetArrayItem(tags, 0);
	ck_assert_str_eq(cJSON_GetObjectItem(first, "tag")->valuestring, "=cmd");
	ck_assert_int_eq(cJSON_GetObjectItem(first, "bytes_change")->valueint, 6400);
	ck_assert_int_eq(cJSON_GetObjectItem(first, "allocs_change")->valueint, 100);
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(doc, "reboot_between")));
	cJSON_Delete(doc);
	free(json);

	char *jsonl = render(&d, PT_FORMAT_JSONL, false);
	char *nl = strchr(jsonl, '\n');
	ck_assert_ptr_nonnull(nl);
	*nl = '\0';
	cJSON *line = cJSON_Parse(jsonl);
	ck_assert_ptr_nonnull(line);
	ck_assert_str_eq(cJSON_GetObjectItem(line, "status")->valuestring, "both");
	cJSON_Delete(line);
	free(jsonl);
	pt_diff_finish(&d);
}
END_TEST

START_TEST(test_json_nulls_after_reboot)
{
	struct text old, new;
	basic_sides(&old, &new, 200);
	struct pt_diff d;
	struct pt_error err = {0};
	ck_assert(run_two(&old, &new, T0 + HOUR, &d, &err));
	char *json = render(&d, PT_FORMAT_JSON, false);
	cJSON *doc = cJSON_Parse(json);
	ck_assert_ptr_nonnull(doc);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(doc, "reboot_between")));
	cJSON *tag;
	cJSON_ArrayForEach(tag, cJSON_GetObjectItem(doc, "tags")) {
		ck_assert(cJSON_IsNull(cJSON_GetObjectItem(tag, "allocs_change")));
		ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(tag, "bytes_change")));
		const char *status = cJSON_GetObjectItem(tag, "status")->valuestring;
		if (strcmp(status, "new") == 0)
			ck_assert(cJSON_IsNull(cJSON_GetObjectItem(tag, "bytes_old")));
	}
	cJSON_Delete(doc);
	free(json);
	pt_diff_finish(&d);
}
END_TEST

/*
 * Bytes near INT64_MAX in hostile rows: the parser refuses a row past
 * PT_BYTES_MAX; rows below it are kept and summed, also past it (the
 * parser warns about such a snapshot).
 */
START_TEST(test_pool_totals_past_limit)
{
	struct text old, new;
	memset(&old, 0, sizeof(old));
	memset(&new, 0, sizeof(new));
	header(&old, 100000);
	row(&old, "Big1", "Nonp ", 10, 5, PT_BYTES_MAX - 5);
	row(&old, "Big2", "Nonp ", 10, 5, INT64_MAX);
	header(&new, 100100);
	row(&new, "Big1", "Nonp ", 20, 5, PT_BYTES_MAX - 5);
	row(&new, "Big2", "Nonp ", 20, 5, PT_BYTES_MAX);
	struct pt_diff d;
	struct pt_error err = {0};
	ck_assert_msg(run_two(&old, &new, T0 + 3600000, &d, &err), "%s", err.msg);
	const struct pt_diff_pool *p = &d.pools[PT_POOL_NONPAGED];
	ck_assert_int_eq(p->old_bytes, PT_BYTES_MAX - 5);
	ck_assert_int_eq(p->new_bytes, 2 * PT_BYTES_MAX - 5);
	pt_diff_finish(&d);
}
END_TEST

/* NEW inside OLD: read once, so it has no snapshot of its own. */
START_TEST(test_same_input_on_both_sides)
{
	const char *const ops[] = { TESTDATA_DIR "/demo",
		TESTDATA_DIR "/demo/poolmonlog9.txt" };
	struct pt_analysis_opts opts;
	struct pt_diff d;
	struct pt_error err = {0};
	pt_analysis_opts_init(&opts);
	ck_assert(!pt_diff_run(ops, 2, &opts, &d, &err));
	ck_assert_msg(strstr(err.msg, "holds no file that OLD does not") != NULL,
		"%s", err.msg);
	pt_diff_finish(&d);
}
END_TEST

static Suite *
diff_suite(void)
{
	Suite *s = suite_create("diff");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_rows_new_gone_and_totals);
	tcase_add_test(tc, test_reboot_hides_counter_changes);
	tcase_add_test(tc, test_wrap_within_one_boot);
	tcase_add_test(tc, test_one_set_first_and_last);
	tcase_add_test(tc, test_old_set_takes_its_first);
	tcase_add_test(tc, test_side_without_snapshot);
	tcase_add_test(tc, test_reversed_has_no_rate);
	tcase_add_test(tc, test_index_time_has_no_rate);
	tcase_add_test(tc, test_rank_keys_and_pool);
	tcase_add_test(tc, test_writers_escape_and_neutralise);
	tcase_add_test(tc, test_json_nulls_after_reboot);
	tcase_add_test(tc, test_pool_totals_past_limit);
	tcase_add_test(tc, test_same_input_on_both_sides);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pt_test_run(diff_suite());
}
