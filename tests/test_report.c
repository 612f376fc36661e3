/* Reports: ranking, exact JSON integers, escaping, colour, human units. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "pooltrend/report.h"
#include "testutil.h"

#define NSNAP 12
#define NTAGS 3

struct fixture {
	struct pt_snapshot snaps[NSNAP];
	struct pt_row rows[NSNAP][NTAGS];
	struct pt_timed_snapshot timed[NSNAP];
	struct pt_analysis a;
};

static const uint8_t tags[NTAGS][4] = {
	{ 'L', 'e', 'a', 'k' },
	{ 'B', 'i', 'g', ' ' },
	{ 0x1b, '[', '2', 'J' },   /* a hostile tag: ESC [ 2 J clears a screen */
};

/* Leak grows; Big is huge and flat; the hostile tag wobbles. */
static void
setup(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	for (int i = 0; i < NSNAP; i++) {
		int64_t big = INT64_C(123456789012345678);
		int64_t b[NTAGS] = { 64000 + 6400 * i, big, 640 * (1 + i % 2) };
		for (int t = 0; t < NTAGS; t++) {
			struct pt_row *r = &f->rows[i][t];
			memcpy(r->tag, tags[t], 4);
			r->pool = t == 1 ? PT_POOL_PAGED : PT_POOL_NONPAGED;
			r->allocs = 1000 + 100 * i;
			r->diff = b[t] / 64;
			r->frees = r->allocs - r->diff;
			r->bytes = b[t];
		}
		f->snaps[i].rows = f->rows[i];
		f->snaps[i].nrows = NTAGS;
		f->snaps[i].line = 1;
		f->timed[i] = (struct pt_timed_snapshot){
			&f->snaps[i], "x.txt", (int64_t)i * 3600000,
		};
	}
	struct pt_error err = {0};
	pt_diags_init(&f->a.diags);
	ck_assert(pt_dataset_build(&f->a.ds, f->timed, NSNAP, 0, &f->a.diags, &err));
	f->a.scores = pt_score_all(&f->a.ds, &err);
	ck_assert_ptr_nonnull(f->a.scores);
	f->a.files_with_snapshots = 1;
	f->a.time_source = PT_TIME_EMBEDDED;
	f->a.last_ms = (NSNAP - 1) * 3600000;
	f->a.span_hours = NSNAP - 1;
	pt_diags_add(&f->a.diags, PT_SEV_WARNING, "x.txt", 7, "something odd");
}

static char *
render(struct fixture *f, const struct pt_report_opts *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(m);
	struct pt_error err = {0};
	ck_assert_msg(pt_report_write(m, &f->a, o, &err), "%s", err.msg);
	fclose(m);
	return buf;
}

static struct pt_report_opts
opts(enum pt_format fmt)
{
	return (struct pt_report_opts){ .format = fmt, .version = "9.9" };
}

START_TEST(test_json_contract)
{
	struct fixture f;
	setup(&f);
	struct pt_report_opts o = opts(PT_FORMAT_JSON);
	char *text = render(&f, &o);
	cJSON *doc = cJSON_Parse(text);
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(cJSON_GetObjectItem(doc, "schema_version")->valueint, 1);
	cJSON *tool = cJSON_GetObjectItem(doc, "tool");
	ck_assert_str_eq(cJSON_GetObjectItem(tool, "name")->valuestring, "pooltrend");
	ck_assert_str_eq(cJSON_GetObjectItem(tool, "version")->valuestring, "9.9");
	cJSON *in = cJSON_GetObjectItem(doc, "input");
	ck_assert_int_eq(cJSON_GetObjectItem(in, "snapshots")->valueint, NSNAP);
	ck_assert_str_eq(cJSON_GetObjectItem(in, "time_source")->valuestring, "embedded");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(in, "warnings")), 1);
	cJSON *t = cJSON_GetObjectItem(doc, "tags");
	ck_assert_int_eq(cJSON_GetArraySize(t), NTAGS);
	cJSON *first = cJSON_GetArrayItem(t, 0);
	ck_assert_str_eq(cJSON_GetObjectItem(first, "tag")->valuestring, "Leak");
	ck_assert_str_eq(cJSON_GetObjectItem(first, "tag_hex")->valuestring, "4c65616b");
	ck_assert_str_eq(cJSON_GetObjectItem(first, "verdict")->valuestring, "likely");
	ck_assert_str_eq(cJSON_GetObjectItem(first, "pool")->valuestring, "nonpaged");
	ck_assert_int_eq(cJSON_GetObjectItem(first, "rank")->valueint, 1);
	ck_assert_ptr_nonnull(cJSON_GetObjectItem(first, "components"));
	/* 123456789012345678 > 2^53: must appear literally, not rounded. */
	ck_assert_ptr_nonnull(strstr(text, "\"bytes_last\":\t123456789012345678"));
	/* The hostile tag is escaped, never raw. */
	ck_assert_ptr_null(strchr(text, 0x1b));
	ck_assert_ptr_nonnull(strstr(text, "\"tag\":\t\"\\\\x1b[2J\""));
	cJSON_Delete(doc);
	free(text);
	pt_analysis_finish(&f.a);
}
END_TEST

START_TEST(test_text_ranks_and_escapes)
{
	struct fixture f;
	setup(&f);
	struct pt_report_opts o = opts(PT_FORMAT_TEXT);
	char *text = render(&f, &o);
	ck_assert_ptr_null(strchr(text, 0x1b));
	ck_assert_ptr_nonnull(strstr(text, "\\x1b[2J"));
	char *leak = strstr(text, "Leak"), *big = strstr(text, "Big ");
	ck_assert(leak != NULL && big != NULL && leak < big);
	ck_assert_ptr_nonnull(strstr(text, "12 snapshots"));
	free(text);
	o.color = true;
	text = render(&f, &o);
	ck_assert_ptr_nonnull(strstr(text, "\033[1;31mlikely"));
	free(text);
	pt_analysis_finish(&f.a);
}
END_TEST

START_TEST(test_sort_and_filter)
{
	struct fixture f;
	setup(&f);
	struct pt_report_opts o = opts(PT_FORMAT_TEXT);
	size_t n;
	o.sort = PT_SORT_BYTES;
	size_t *r = pt_report_rank(&f.a, &o, &n);
	ck_assert_uint_eq(n, NTAGS);
	ck_assert(memcmp(f.a.ds.series[r[0]].tag, "Big ", 4) == 0);
	free(r);
	o.sort = PT_SORT_TAG;
	r = pt_report_rank(&f.a, &o, &n);
	ck_assert_int_eq(f.a.ds.series[r[0]].tag[0], 0x1b);
	free(r);
	o.pool = PT_FILTER_PAGED;
	r = pt_report_rank(&f.a, &o, &n);
	ck_assert_uint_eq(n, 1);
	free(r);
	o.pool = PT_FILTER_ALL;
	o.top = 1;
	char *text = render(&f, &o);
	ck_assert_ptr_nonnull(strstr(text, "(2 more series not shown"));
	free(text);
	pt_analysis_finish(&f.a);
}
END_TEST

START_TEST(test_human_bytes)
{
	char b[32];
	ck_assert_str_eq(pt_human_bytes(512, b), "512 B");
	ck_assert_str_eq(pt_human_bytes(41600, b), "40.6 KB");
	ck_assert_str_eq(pt_human_bytes(2.1 * 1024 * 1024 * 1024, b), "2.10 GB");
	ck_assert_str_eq(pt_human_bytes(-2048, b), "-2.00 KB");
	ck_assert_str_eq(pt_human_bytes(300.0 * 1024 * 1024, b), "300 MB");
}
END_TEST

START_TEST(test_option_words)
{
	enum pt_format fmt;
	enum pt_sort_key key;
	enum pt_pool_filter pool;
	ck_assert(pt_format_parse("json", &fmt) && fmt == PT_FORMAT_JSON);
	ck_assert(!pt_format_parse("xml", &fmt));
	ck_assert(pt_sort_key_parse("diff", &key) && key == PT_SORT_DIFF);
	ck_assert(!pt_sort_key_parse("size", &key));
	ck_assert(pt_pool_filter_parse("nonpaged", &pool) && pool == PT_FILTER_NONPAGED);
	ck_assert(!pt_pool_filter_parse("both", &pool));
}
END_TEST

static Suite *
report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("formats");
	tcase_add_test(tc, test_json_contract);
	tcase_add_test(tc, test_text_ranks_and_escapes);
	tcase_add_test(tc, test_sort_and_filter);
	tcase_add_test(tc, test_human_bytes);
	tcase_add_test(tc, test_option_words);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pt_test_run(report_suite());
}
