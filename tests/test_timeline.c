#include "pooltrend/timeline.h"
#include "pooltrend/timestamp.h"

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

/* ---- day/month order of ambiguous dates -------------------------------- */

/* Wall-clock ms of a civil date and hour. */
static int64_t
civil(int y, unsigned m, unsigned d, int hour)
{
	return pt_days_from_civil(y, m, d) * 24 * HOUR + hour * HOUR;
}

/* Entry i gets a batch line "DD/MM/2020 HH:00:00.00" as written (a, b the
 * two date fields in written order), parsed as the parser would. */
static void
set_batch(struct pt_time_entry *e, size_t i, int a, int b, int hour)
{
	char line[64];
	snprintf(line, sizeof(line), "%02d/%02d/2020 %2d:00:00.00", a, b, hour);
	e[i].embedded_kind = pt_stamp_parse_line(line, strlen(line),
		&e[i].embedded_ms);
	ck_assert_msg(e[i].embedded_kind != PT_STAMP_NONE, "%s", line);
	e[i].has_embedded = true;
}

/* n entries with batch lines at noon, fields ab[i] as written. */
static struct pt_time_entry *
batch_entries(const int (*ab)[2], size_t n)
{
	struct pt_time_entry *e = entries(n);
	for (size_t i = 0; i < n; i++)
		set_batch(e, i, ab[i][0], ab[i][1], 12);
	return e;
}

/* A fresh message list for the next part of a test. */
static void
reset_diags(void)
{
	pt_diags_finish(&diags);
	pt_diags_init(&diags);
}

/* Entry i is the file "poolmon.2020-AA-BB-HH-00-00.log". */
static void
set_sep_name(struct pt_time_entry *e, size_t i, int a, int b, int hour)
{
	static char names[32][64];
	char *nm = names[i % 32];
	snprintf(nm, sizeof(names[0]), "poolmon.2020-%02d-%02d-%02d-00-00.log",
		a, b, hour);
	e[i].file = nm;
	e[i].name_kind = pt_stamp_from_name(nm, &e[i].name_ms);
	ck_assert_msg(e[i].name_kind != PT_STAMP_NONE, "%s", nm);
	e[i].has_name = true;
}

/* The review's first set: 18:00 on 10 May to 05:00 on 11 May, hourly, as
 * the day-first fields (day, 5); in input order. */
static void
ten_to_eleven_may(struct pt_time_entry *e, bool names)
{
	for (int i = 0; i < 12; i++) {
		int hour = (18 + i) % 24, day = i < 6 ? 10 : 11;
		if (names)
			set_sep_name(e, (size_t)i, day, 5, hour);
		else
			set_batch(e, (size_t)i, day, 5, hour);
	}
}

/* The message containing needle, which must exist and be at line. */
static const struct pt_diag *
msg_at(const char *needle, long line)
{
	const struct pt_diag *d = find_msg(needle);
	ck_assert_msg(d != NULL, "no message with \"%s\"", needle);
	ck_assert_int_eq(d->line, line);
	return d;
}

static int64_t
assigned_span(const struct pt_time_entry *e, size_t n)
{
	int64_t lo = e[0].t_ms, hi = e[0].t_ms;
	for (size_t i = 1; i < n; i++) {
		lo = e[i].t_ms < lo ? e[i].t_ms : lo;
		hi = e[i].t_ms > hi ? e[i].t_ms : hi;
	}
	return hi - lo;
}

START_TEST(ambiguous_names_read_day_first)
{
	struct pt_time_entry *e = entries(12);
	ten_to_eleven_may(e, true);
	ck_assert_int_eq(assign_ok(e, 12, PT_TIME_AUTO, 0), PT_TIME_NAME);
	ck_assert_int_eq(assigned_span(e, 12), 11 * HOUR);
	ck_assert_int_eq(e[0].t_ms, civil(2020, 5, 10, 18));
	ck_assert_int_eq(e[11].t_ms, civil(2020, 5, 11, 5));
	for (size_t i = 0; i < 12; i++)
		ck_assert_uint_eq(e[i].order, i);
	const struct pt_diag *d = find_msg("read day first");
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(d->severity, PT_SEV_WARNING);
	ck_assert_ptr_nonnull(strstr(d->msg, "more regular intervals"));
	ck_assert_ptr_nonnull(strstr(d->msg, "2020-05-10T18:00:00, not "
		"2020-10-05T18:00:00"));
	ck_assert_str_eq(d->file, "poolmon.2020-10-05-18-00-00.log");
	ck_assert_uint_eq(count_msgs(PT_SEV_WARNING, "median"), 0);
	/* the entries now say how they were read: a second pass agrees */
	ck_assert_int_eq(e[0].name_kind, PT_STAMP_NAME_SEP_DAY_FIRST);
	assign_ok(e, 12, PT_TIME_AUTO, 0);
	ck_assert_int_eq(e[0].t_ms, civil(2020, 5, 10, 18));
	ck_assert_int_eq(assigned_span(e, 12), 11 * HOUR);
	free(e);
}
END_TEST

START_TEST(ambiguous_batch_read_day_first)
{
	struct pt_time_entry *e = entries(12);
	ten_to_eleven_may(e, false);
	ck_assert_int_eq(assign_ok(e, 12, PT_TIME_AUTO, 0), PT_TIME_EMBEDDED);
	ck_assert_int_eq(assigned_span(e, 12), 11 * HOUR);
	ck_assert_int_eq(e[6].t_ms, civil(2020, 5, 11, 0));
	ck_assert_str_eq(msg_at("read day first", 10)->file, "f0.txt");
	free(e);
}
END_TEST

/* Month first stays month first when that is the regular reading. */
START_TEST(ambiguous_batch_read_month_first)
{
	struct pt_time_entry *e = entries(12);
	for (int i = 0; i < 12; i++)
		set_batch(e, (size_t)i, 5, i < 6 ? 10 : 11, (18 + i) % 24);
	assign_ok(e, 12, PT_TIME_EMBEDDED, 0);
	ck_assert_int_eq(assigned_span(e, 12), 11 * HOUR);
	ck_assert_int_eq(e[0].t_ms, civil(2020, 5, 10, 18));
	ck_assert_ptr_nonnull(find_msg("read month first"));
	free(e);
}
END_TEST

/* One stamp with a day above 12 decides for all, wherever it is. */
START_TEST(decisive_anywhere)
{
	static const size_t where[] = { 0, 5, 11 };
	for (size_t w = 0; w < 3; w++) {
		reset_diags();
		struct pt_time_entry *e = entries(12);
		/* 10 May .. 21 May daily at noon, day first; only the stamp at
		 * where[w] is moved to 13 May, the rest have days 1..12 */
		for (int i = 0; i < 12; i++) {
			int day = (size_t)i == where[w] ? 13 : i + 1;
			set_batch(e, (size_t)i, day, 5, 12);
		}
		assign_ok(e, 12, PT_TIME_EMBEDDED, 0);
		for (int i = 0; i < 12; i++) {
			int day = (size_t)i == where[w] ? 13 : i + 1;
			ck_assert_int_eq(e[i].t_ms, civil(2020, 5, (unsigned)day, 12));
		}
		ck_assert_ptr_null(find_msg("either way"));
		free(e);
	}
	/* and month first when the decisive one says so */
	reset_diags();
	static const int month_first[3][2] = { { 5, 10 }, { 5, 11 }, { 5, 13 } };
	struct pt_time_entry *e = batch_entries(month_first, 3);
	assign_ok(e, 3, PT_TIME_EMBEDDED, 0);
	ck_assert_int_eq(e[0].t_ms, civil(2020, 5, 10, 12));
	ck_assert_int_eq(e[1].t_ms, civil(2020, 5, 11, 12));
	ck_assert_ptr_null(find_msg("either way"));
	free(e);
}
END_TEST

/* 30 Sep to 1 Oct in YYYY-DD-MM names: read per stamp, the 30s were
 * swapped and the 01s were not (January 10th). */
START_TEST(month_end_crossing)
{
	struct pt_time_entry *e = entries(12);
	/* name order: "2020-01-10-..." sorts before "2020-30-09-..." */
	for (int i = 0; i < 6; i++)
		set_sep_name(e, (size_t)i, 1, 10, i);
	for (int i = 0; i < 6; i++)
		set_sep_name(e, (size_t)(6 + i), 30, 9, 18 + i);
	ck_assert_int_eq(assign_ok(e, 12, PT_TIME_AUTO, 0), PT_TIME_NAME);
	ck_assert_int_eq(assigned_span(e, 12), 11 * HOUR);
	ck_assert_int_eq(e[0].t_ms, civil(2020, 10, 1, 0));
	ck_assert_uint_eq(e[6].order, 0);
	ck_assert_uint_eq(e[0].order, 6);
	ck_assert_ptr_null(find_msg("either way"));
	ck_assert_uint_eq(count_msgs(PT_SEV_WARNING, "median"), 0);
	free(e);
}
END_TEST

/* ISO lines fix some times; the batch lines among them follow the order
 * that fits those. */
START_TEST(mixed_forms)
{
	struct pt_time_entry *e = entries(12);
	for (int i = 0; i < 6; i++) {
		char line[32];
		snprintf(line, sizeof(line), "2020-05-10T%02d:00:00", 18 + i);
		e[i].embedded_kind = pt_stamp_parse_line(line, strlen(line),
			&e[i].embedded_ms);
		ck_assert_int_eq(e[i].embedded_kind, PT_STAMP_ISO);
		e[i].has_embedded = true;
	}
	for (int i = 0; i < 6; i++)
		set_batch(e, (size_t)(6 + i), 11, 5, i);
	assign_ok(e, 12, PT_TIME_EMBEDDED, 0);
	ck_assert_int_eq(assigned_span(e, 12), 11 * HOUR);
	ck_assert_int_eq(e[6].t_ms, civil(2020, 5, 11, 0));
	msg_at("either way in all 6 such dates", 70);

	/* compact names fix the order of the separated ones the same way */
	reset_diags();
	struct pt_time_entry *f = entries(4);
	f[0].name_kind = pt_stamp_from_name("p_20200510-2200.log", &f[0].name_ms);
	f[1].name_kind = pt_stamp_from_name("p_20200510-2300.log", &f[1].name_ms);
	f[0].has_name = f[1].has_name = true;
	set_sep_name(f, 2, 11, 5, 0);
	set_sep_name(f, 3, 11, 5, 1);
	assign_ok(f, 4, PT_TIME_NAME, 0);
	ck_assert_int_eq(assigned_span(f, 4), 3 * HOUR);
	free(f);
	free(e);
}
END_TEST

/* Distinct mtimes outrank input order: they tell which came first. */
START_TEST(mtimes_decide)
{
	/* 4 Mar or 3 Apr, 3 Apr or 4 Mar, 5 May either way */
	static const int ab[3][2] = { { 3, 4 }, { 4, 3 }, { 5, 5 } };
	struct pt_time_entry *e = batch_entries(ab, 3);
	set_mtime(e, 3, HOUR);
	e[1].mtime_ms = T0 - HOUR;  /* the second was written first */
	assign_ok(e, 3, PT_TIME_EMBEDDED, 0);
	ck_assert_int_eq(e[1].t_ms, civil(2020, 3, 4, 12));
	ck_assert_int_eq(e[0].t_ms, civil(2020, 4, 3, 12));
	ck_assert_ptr_nonnull(find_msg("modification times"));

	/* without them, input order wins */
	reset_diags();
	struct pt_time_entry *f = batch_entries(ab, 3);
	assign_ok(f, 3, PT_TIME_EMBEDDED, 0);
	ck_assert_int_eq(f[0].t_ms, civil(2020, 3, 4, 12));
	ck_assert_ptr_nonnull(find_msg("input order"));

	/* nor do mtimes milliseconds apart (a copy's order) */
	reset_diags();
	struct pt_time_entry *g = batch_entries(ab, 3);
	set_mtime(g, 3, 5);
	g[1].mtime_ms = T0 - 5;
	assign_ok(g, 3, PT_TIME_EMBEDDED, 0);
	ck_assert_int_eq(g[0].t_ms, civil(2020, 3, 4, 12));
	ck_assert_ptr_nonnull(find_msg("input order"));
	free(g);
	free(f);
	free(e);
}
END_TEST

START_TEST(forced_order)
{
	struct pt_time_entry *e = entries(12);
	ten_to_eleven_may(e, false);
	enum pt_time_source used;
	ck_assert(pt_timeline_assign_ordered(e, 12, PT_TIME_EMBEDDED,
		PT_DATE_MDY, 0, &used, &diags, &err));
	ck_assert_int_eq(e[0].t_ms, civil(2020, 10, 5, 18));
	ck_assert_ptr_null(find_msg("either way"));
	/* the sanity check sees the month-long gap */
	const struct pt_diag *d = msg_at("times the median one (1 h)", 70);

	/* a date the forced order cannot read loses that time */
	reset_diags();
	static const int ab[3][2] = { { 12, 5 }, { 13, 5 }, { 14, 5 } };
	struct pt_time_entry *f = batch_entries(ab, 3);
	set_mtime(f, 3, HOUR);
	ck_assert(pt_timeline_assign_ordered(f, 3, PT_TIME_AUTO, PT_DATE_MDY,
		0, &used, &diags, &err));
	ck_assert_int_eq(used, PT_TIME_MTIME);
	ck_assert(f[0].has_embedded);
	ck_assert(!f[1].has_embedded && !f[2].has_embedded);
	d = msg_at("cannot be read month first", 20);
	ck_assert_ptr_nonnull(strstr(d->msg, "2 snapshots"));
	/* and forcing it as a source is then an error */
	ck_assert(!pt_timeline_assign_ordered(f, 3, PT_TIME_EMBEDDED,
		PT_DATE_MDY, 0, &used, &diags, &err));
	ck_assert(!pt_timeline_assign_ordered(f, 3, PT_TIME_AUTO,
		(enum pt_date_order)9, 0, &used, &diags, &err));
	free(f);
	free(e);
}
END_TEST

/* Stamps that each read one way only, but not the same way. */
START_TEST(conflicting_stamps)
{
	/* day first only, month first only, either */
	static const int ab[3][2] = { { 13, 5 }, { 5, 14 }, { 5, 6 } };
	struct pt_time_entry *e = batch_entries(ab, 3);
	assign_ok(e, 3, PT_TIME_EMBEDDED, 0);
	ck_assert_int_eq(e[0].t_ms, civil(2020, 5, 13, 12));
	ck_assert_int_eq(e[1].t_ms, civil(2020, 5, 14, 12));
	msg_at("but month first at f1.txt:20", 10);
	free(e);
}
END_TEST

/* The same intervals either way: only the dates move, so a note. */
START_TEST(same_intervals_note)
{
	struct pt_time_entry *e = entries(4);
	for (int i = 0; i < 4; i++)
		set_batch(e, (size_t)i, 11, 2, 10 + i);
	assign_ok(e, 4, PT_TIME_EMBEDDED, 0);
	ck_assert_int_eq(e[0].t_ms, civil(2020, 11, 2, 10));
	const struct pt_diag *d = find_msg("either way");
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(d->severity, PT_SEV_NOTE);
	ck_assert_ptr_nonnull(strstr(d->msg, "the same either way"));
	free(e);
}
END_TEST

START_TEST(long_gap_warning)
{
	static const int64_t t[] = { 0, 1, 2, 3, 4, 105 };
	struct pt_time_entry *e = entries(6);
	for (size_t i = 0; i < 6; i++) {
		e[i].has_embedded = true;
		e[i].embedded_ms = T0 + t[i] * HOUR;
	}
	assign_ok(e, 6, PT_TIME_AUTO, 0);
	const struct pt_diag *d = msg_at("times the median one", 60);
	ck_assert_ptr_nonnull(strstr(d->msg, "(101 h) is 101 times"));

	/* 99 times is not worth a warning, nor are three snapshots */
	reset_diags();
	e[5].embedded_ms = T0 + 103 * HOUR;
	assign_ok(e, 6, PT_TIME_AUTO, 0);
	ck_assert_ptr_null(find_msg("median"));
	e[2].embedded_ms = T0 + 500 * HOUR;
	assign_ok(e, 3, PT_TIME_AUTO, 0);
	ck_assert_ptr_null(find_msg("median"));
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
	tcase_add_test(t, ambiguous_names_read_day_first);
	tcase_add_test(t, ambiguous_batch_read_day_first);
	tcase_add_test(t, ambiguous_batch_read_month_first);
	tcase_add_test(t, decisive_anywhere);
	tcase_add_test(t, month_end_crossing);
	tcase_add_test(t, mixed_forms);
	tcase_add_test(t, mtimes_decide);
	tcase_add_test(t, forced_order);
	tcase_add_test(t, conflicting_stamps);
	tcase_add_test(t, same_intervals_note);
	tcase_add_test(t, long_gap_warning);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	return pt_test_run(suite());
}
