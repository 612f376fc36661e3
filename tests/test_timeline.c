#include "pooltrend/timeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define HOUR INT64_C(3600000)
#define T0 INT64_C(1600000000000)

static struct pt_diags diags;
static struct pt_error err;

static void
setup(void)
{
	pt_diags_init(&diags);
	memset(&err, 0, sizeof(err));
}

static void
teardown(void)
{
	pt_diags_finish(&diags);
}

/* Entries "f<i>.txt", line 10*(i+1), nothing known yet. */
static struct pt_time_entry *
entries(size_t n)
{
	static char names[16][16];
	struct pt_time_entry *e = calloc(n ? n : 1, sizeof(*e));
	ck_assert_ptr_nonnull(e);
	for (size_t i = 0; i < n; i++) {
		size_t k = i % 16;
		snprintf(names[k], sizeof(names[k]), "f%zu.txt", k);
		e[i].file = names[k];
		e[i].line = (long)(10 * (i + 1));
	}
	return e;
}

static void
set_embedded(struct pt_time_entry *e, size_t n, int64_t step)
{
	for (size_t i = 0; i < n; i++) {
		e[i].has_embedded = true;
		e[i].embedded_ms = T0 + (int64_t)i * step;
	}
}

static void
set_name(struct pt_time_entry *e, size_t n, int64_t step)
{
	for (size_t i = 0; i < n; i++) {
		e[i].has_name = true;
		e[i].name_ms = T0 + (int64_t)i * step;
	}
}

static void
set_mtime(struct pt_time_entry *e, size_t n, int64_t step)
{
	for (size_t i = 0; i < n; i++) {
		e[i].has_mtime = true;
		e[i].mtime_ms = T0 + (int64_t)i * step;
	}
}

/* Number of messages of sev whose text contains needle. */
static size_t
count_msgs(enum pt_severity sev, const char *needle)
{
	size_t c = 0;
	for (size_t i = 0; i < diags.len; i++)
		c += diags.items[i].severity == sev
			&& strstr(diags.items[i].msg, needle) != NULL;
	return c;
}

static const struct pt_diag *
find_msg(const char *needle)
{
	for (size_t i = 0; i < diags.len; i++)
		if (strstr(diags.items[i].msg, needle) != NULL)
			return &diags.items[i];
	return NULL;
}

static enum pt_time_source
assign_ok(struct pt_time_entry *e, size_t n, enum pt_time_source req,
		int64_t interval)
{
	enum pt_time_source used = (enum pt_time_source)-1;
	ck_assert_msg(pt_timeline_assign(e, n, req, interval, &used, &diags,
		&err), "assign failed: %s", err.msg);
	return used;
}

START_TEST(source_names)
{
	static const char *words[] = {
		"auto", "embedded", "name", "mtime", "interval", "index",
	};
	for (size_t k = 0; k < 6; k++) {
		enum pt_time_source s;
		ck_assert(pt_time_source_parse(words[k], &s));
		ck_assert_int_eq(s, (int)k);
		ck_assert_str_eq(pt_time_source_name(s), words[k]);
	}
	enum pt_time_source s = PT_TIME_MTIME;
	ck_assert(!pt_time_source_parse("Auto", &s));
	ck_assert(!pt_time_source_parse("", &s));
	ck_assert(!pt_time_source_parse("names", &s));
	ck_assert(!pt_time_source_parse(NULL, &s));
	ck_assert_int_eq(s, PT_TIME_MTIME);
}
END_TEST

START_TEST(durations)
{
	static const struct {
		const char *s;
		int64_t ms;
	} good[] = {
		{ "15m", 900000 }, { "1.5h", 5400000 }, { "900", 900000 },
		{ "30s", 30000 }, { "10min", 600000 }, { "2d", 172800000 },
		{ "0.5", 500 }, { ".25s", 250 }, { "1.", 1000 },
		{ "365d", INT64_C(31536000000) }, { "0.001", 1 },
	};
	for (size_t k = 0; k < sizeof(good) / sizeof(good[0]); k++) {
		int64_t ms = -1;
		ck_assert_msg(pt_duration_parse(good[k].s, &ms), "%s", good[k].s);
		ck_assert_int_eq(ms, good[k].ms);
	}
	static const char *bad[] = {
		"", "-5m", "+5m", "0", "0s", "0.0001", "abc", "15x", "15m ", " 15m",
		"15 m", "1e3", "nan", "NaN", "inf", "0x10", "366d", ".", "1.5.5",
		"m", "15ms", "15M", "99999999999999999999999999999999999h",
		"1000000000000000000000000000000000000000000000000000000000000000"
			"0000000000000000000000000000000000000000000000000000000000000"
			"0000000000000000000000000000000000000000000000000000000000000"
			"0000000000000000000000000000000000000000000000000000000000000"
			"0000000000000000000000000000000000000000000000000000000000000"
			"00000000000000000000000000000000000000000000",
	};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		int64_t ms = 42;
		ck_assert_msg(!pt_duration_parse(bad[k], &ms), "accepted %s",
			bad[k]);
		ck_assert_int_eq(ms, 42);
	}
	int64_t ms;
	ck_assert(!pt_duration_parse(NULL, &ms));
}
END_TEST

START_TEST(auto_embedded)
{
	struct pt_time_entry *e = entries(4);
	set_embedded(e, 4, HOUR);
	set_name(e, 4, HOUR);
	set_mtime(e, 4, HOUR);
	ck_assert_int_eq(assign_ok(e, 4, PT_TIME_AUTO, 0), PT_TIME_EMBEDDED);
	for (size_t i = 0; i < 4; i++) {
		ck_assert_int_eq(e[i].t_ms, T0 + (int64_t)i * HOUR);
		ck_assert_uint_eq(e[i].order, i);
	}
	ck_assert_uint_eq(diags.len, 0);
	free(e);
}
END_TEST

/* Embedded on 3 of 10 only: auto notes it once and uses the name. */
START_TEST(auto_partial_falls_to_name)
{
	struct pt_time_entry *e = entries(10);
	for (size_t i = 0; i < 3; i++) {
		e[i].has_embedded = true;
		e[i].embedded_ms = T0 + (int64_t)i;
	}
	set_name(e, 10, 2 * HOUR);
	ck_assert_int_eq(assign_ok(e, 10, PT_TIME_AUTO, 0), PT_TIME_NAME);
	ck_assert_int_eq(e[9].t_ms, T0 + 18 * HOUR);
	ck_assert_uint_eq(pt_diags_count(&diags, PT_SEV_NOTE), 1);
	const struct pt_diag *d = find_msg("3 of 10");
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d->file, "f3.txt");
	ck_assert_int_eq(d->line, 40);
	ck_assert_uint_eq(pt_diags_count(&diags, PT_SEV_WARNING), 0);
	free(e);
}
END_TEST

/* Embedded times that repeat do not date snapshots distinctly. */
START_TEST(auto_repeats_fall_to_mtime)
{
	struct pt_time_entry *e = entries(5);
	set_embedded(e, 5, 0);
	set_mtime(e, 5, HOUR);
	/* names on some only */
	e[0].has_name = true;
	e[0].name_ms = T0;
	ck_assert_int_eq(assign_ok(e, 5, PT_TIME_AUTO, 0), PT_TIME_MTIME);
	ck_assert_int_eq(e[4].t_ms, T0 + 4 * HOUR);
	ck_assert_uint_eq(pt_diags_count(&diags, PT_SEV_NOTE), 2);
	ck_assert_ptr_nonnull(find_msg("share a time"));
	ck_assert_ptr_nonnull(find_msg("1 of 5"));
	/* embedded dates every snapshot, but not distinctly: it is no clock
	 * to compare against (the note above already says why it was
	 * skipped), so no disagreement warning */
	ck_assert_uint_eq(pt_diags_count(&diags, PT_SEV_WARNING), 0);
	free(e);
}
END_TEST

START_TEST(auto_interval)
{
	struct pt_time_entry *e = entries(4);
	e[1].has_mtime = true;
	ck_assert_int_eq(assign_ok(e, 4, PT_TIME_AUTO, 15 * 60000),
		PT_TIME_INTERVAL);
	for (size_t i = 0; i < 4; i++) {
		ck_assert_int_eq(e[i].t_ms, (int64_t)i * 15 * 60000);
		ck_assert_uint_eq(e[i].order, i);
	}
	ck_assert_uint_eq(pt_diags_count(&diags, PT_SEV_WARNING), 0);
	ck_assert_uint_eq(pt_diags_count(&diags, PT_SEV_NOTE), 1);
	free(e);
}
END_TEST

START_TEST(auto_index)
{
	struct pt_time_entry *e = entries(3);
	ck_assert_int_eq(assign_ok(e, 3, PT_TIME_AUTO, 0), PT_TIME_INDEX);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(e[i].t_ms, (int64_t)i * HOUR);
		ck_assert_uint_eq(e[i].order, i);
	}
	ck_assert_uint_eq(pt_diags_count(&diags, PT_SEV_WARNING), 1);
	ck_assert_uint_eq(count_msgs(PT_SEV_WARNING, "per snapshot"), 1);
	ck_assert_uint_eq(pt_diags_count(&diags, PT_SEV_NOTE), 0);
	free(e);
}
END_TEST

START_TEST(forced_index_and_interval)
{
	struct pt_time_entry *e = entries(3);
	set_embedded(e, 3, HOUR);
	ck_assert_int_eq(assign_ok(e, 3, PT_TIME_INDEX, 0), PT_TIME_INDEX);
	ck_assert_int_eq(e[2].t_ms, 2 * HOUR);
	ck_assert_uint_eq(count_msgs(PT_SEV_WARNING, "per snapshot"), 1);

	ck_assert_int_eq(assign_ok(e, 3, PT_TIME_INTERVAL, 1000),
		PT_TIME_INTERVAL);
	ck_assert_int_eq(e[2].t_ms, 2000);
	/* the embedded span (2 h) is far from the interval span (2 s) */
	ck_assert_uint_eq(count_msgs(PT_SEV_WARNING, "disagree"), 1);

	ck_assert(!pt_timeline_assign(e, 3, PT_TIME_INTERVAL, 0, NULL, &diags,
		&err));
	ck_assert_ptr_nonnull(strstr(err.msg, "interval"));
	free(e);
}
END_TEST

START_TEST(backwards_sorted)
{
	struct pt_time_entry *e = entries(4);
	int64_t t[4] = { 0, 3 * HOUR, HOUR, 2 * HOUR };
	for (size_t i = 0; i < 4; i++) {
		e[i].has_embedded = true;
		e[i].embedded_ms = T0 + t[i];
	}
	ck_assert_int_eq(assign_ok(e, 4, PT_TIME_AUTO, 0), PT_TIME_EMBEDDED);
	size_t want[4] = { 0, 3, 1, 2 };
	for (size_t i = 0; i < 4; i++) {
		ck_assert_uint_eq(e[i].order, want[i]);
		ck_assert_int_eq(e[i].t_ms, T0 + t[i]);
	}
	ck_assert_uint_eq(pt_diags_count(&diags, PT_SEV_WARNING), 1);
	const struct pt_diag *d = find_msg("time goes backwards");
	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_nonnull(strstr(d->msg, "earlier than the previous"));
	ck_assert_str_eq(d->file, "f2.txt");
	ck_assert_int_eq(d->line, 30);
	free(e);
}
END_TEST

START_TEST(forced_missing)
{
	struct pt_time_entry *e = entries(4);
	set_name(e, 4, HOUR);
	set_embedded(e, 4, HOUR);
	e[2].has_embedded = false;
	e[3].has_embedded = false;
	enum pt_time_source used = PT_TIME_INDEX;
	ck_assert(!pt_timeline_assign(e, 4, PT_TIME_EMBEDDED, 0, &used, &diags,
		&err));
	ck_assert_str_eq(err.msg,
		"f2.txt:30: no embedded timestamp for this snapshot");
	ck_assert_int_eq(err.line, 30);

	ck_assert(!pt_timeline_assign(e, 4, PT_TIME_MTIME, 0, &used, &diags,
		&err));
	ck_assert_str_eq(err.msg,
		"f0.txt:10: no modification time for this snapshot");

	/* a name that needs escaping is escaped in the message */
	e[0].file = "evil\x1b[2J.txt";
	ck_assert(!pt_timeline_assign(e, 4, PT_TIME_MTIME, 0, &used, &diags,
		&err));
	ck_assert_ptr_null(strchr(err.msg, '\x1b'));

	ck_assert_int_eq(assign_ok(e, 4, PT_TIME_NAME, 0), PT_TIME_NAME);
	free(e);
}
END_TEST

START_TEST(disagree_order)
{
	struct pt_time_entry *e = entries(4);
	set_embedded(e, 4, HOUR);
	set_mtime(e, 4, HOUR);
	e[1].mtime_ms = T0 + 5 * HOUR / 2; /* after the third */
	ck_assert_int_eq(assign_ok(e, 4, PT_TIME_AUTO, 0), PT_TIME_EMBEDDED);
	ck_assert_uint_eq(pt_diags_count(&diags, PT_SEV_WARNING), 1);
	const struct pt_diag *d = find_msg("disagree");
	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_nonnull(strstr(d->msg, "modification time"));
	ck_assert_str_eq(d->file, "f2.txt");
	free(e);
}
END_TEST

START_TEST(disagree_span)
{
	struct pt_time_entry *e = entries(4);
	set_name(e, 4, HOUR);
	set_mtime(e, 4, 3 * HOUR);
	ck_assert_int_eq(assign_ok(e, 4, PT_TIME_AUTO, 0), PT_TIME_NAME);
	ck_assert_uint_eq(count_msgs(PT_SEV_WARNING, "disagree"), 1);
	pt_diags_finish(&diags);

	/* a factor of two either way is agreement */
	set_mtime(e, 4, 2 * HOUR);
	ck_assert_int_eq(assign_ok(e, 4, PT_TIME_AUTO, 0), PT_TIME_NAME);
	ck_assert_uint_eq(diags.len, 0);
	set_mtime(e, 4, HOUR / 2);
	ck_assert_int_eq(assign_ok(e, 4, PT_TIME_AUTO, 0), PT_TIME_NAME);
	ck_assert_uint_eq(diags.len, 0);
	set_mtime(e, 4, HOUR / 2 - 1);
	ck_assert_int_eq(assign_ok(e, 4, PT_TIME_AUTO, 0), PT_TIME_NAME);
	ck_assert_uint_eq(count_msgs(PT_SEV_WARNING, "disagree"), 1);
	free(e);
}
END_TEST

/* Forced mtime with equal times: a warning, and input order kept. */
START_TEST(ties_stable)
{
	struct pt_time_entry *e = entries(5);
	int64_t t[5] = { 2, 1, 2, 1, 2 };
	for (size_t i = 0; i < 5; i++) {
		e[i].has_mtime = true;
		e[i].mtime_ms = T0 + t[i] * HOUR;
	}
	ck_assert_int_eq(assign_ok(e, 5, PT_TIME_MTIME, 0), PT_TIME_MTIME);
	size_t want[5] = { 2, 0, 3, 1, 4 };
	for (size_t i = 0; i < 5; i++)
		ck_assert_uint_eq(e[i].order, want[i]);
	/* one warning for all three repeats */
	ck_assert_uint_eq(count_msgs(PT_SEV_WARNING, "repeated time"), 1);
	ck_assert_ptr_nonnull(find_msg("3 snapshots in all"));
	ck_assert_uint_eq(count_msgs(PT_SEV_WARNING, "backwards"), 2);
	pt_diags_finish(&diags);

	/* auto refuses the repeats and falls back to the index */
	ck_assert_int_eq(assign_ok(e, 5, PT_TIME_AUTO, 0), PT_TIME_INDEX);
	ck_assert_uint_eq(count_msgs(PT_SEV_WARNING, "repeated time"), 0);
	free(e);
}
END_TEST

START_TEST(empty)
{
	enum pt_time_source used;
	ck_assert(pt_timeline_assign(NULL, 0, PT_TIME_AUTO, 0, &used, &diags,
		&err));
	ck_assert_uint_eq(diags.len, 0);
}
END_TEST

/* A million reversed snapshots: n log n, and warnings are capped. */
START_TEST(million_reversed)
{
	size_t n = 1000000;
	struct pt_time_entry *e = entries(n);
	for (size_t i = 0; i < n; i++) {
		e[i].has_mtime = true;
		e[i].mtime_ms = T0 + (int64_t)(n - i) * 1000;
	}
	ck_assert_int_eq(assign_ok(e, n, PT_TIME_AUTO, 0), PT_TIME_MTIME);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(e[i].order, n - 1 - i);
	ck_assert_uint_lt(diags.len, 20);
	ck_assert_ptr_nonnull(find_msg("more snapshots"));
	free(e);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("timeline");
	TCase *t = tcase_create("timeline");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, source_names);
	tcase_add_test(t, durations);
	tcase_add_test(t, auto_embedded);
	tcase_add_test(t, auto_partial_falls_to_name);
	tcase_add_test(t, auto_repeats_fall_to_mtime);
	tcase_add_test(t, auto_interval);
	tcase_add_test(t, auto_index);
	tcase_add_test(t, forced_index_and_interval);
	tcase_add_test(t, backwards_sorted);
	tcase_add_test(t, forced_missing);
	tcase_add_test(t, disagree_order);
	tcase_add_test(t, disagree_span);
	tcase_add_test(t, ties_stable);
	tcase_add_test(t, empty);
	tcase_add_test(t, million_reversed);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	return pt_test_run(suite());
}
