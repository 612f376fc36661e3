#include "pooltrend/timestamp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* Expected value built from parts; pt_days_from_civil is pinned separately
 * against known day numbers. */
static int64_t
at(int y, unsigned mo, unsigned d, int h, int mi, int s, int ms)
{
	return pt_days_from_civil(y, mo, d) * 86400000
		+ (int64_t)h * 3600000 + (int64_t)mi * 60000 + (int64_t)s * 1000
		+ ms;
}

static enum pt_stamp_kind
line_kind(const char *s, int64_t *ms)
{
	*ms = -1;
	return pt_stamp_parse_line(s, strlen(s), ms);
}

#define ACCEPT(str, kind, want) do { \
		int64_t got_; \
		ck_assert_msg(line_kind((str), &got_) == (kind), \
			"kind of \"%s\"", (str)); \
		ck_assert_msg(got_ == (want), "\"%s\": %lld != %lld", (str), \
			(long long)got_, (long long)(want)); \
	} while (0)

#define REJECT(str) do { \
		int64_t got_; \
		ck_assert_msg(line_kind((str), &got_) == PT_STAMP_NONE, \
			"accepted \"%s\"", (str)); \
	} while (0)

START_TEST(days_known)
{
	ck_assert_int_eq(pt_days_from_civil(1970, 1, 1), 0);
	ck_assert_int_eq(pt_days_from_civil(1970, 1, 2), 1);
	ck_assert_int_eq(pt_days_from_civil(1969, 12, 31), -1);
	ck_assert_int_eq(pt_days_from_civil(2000, 3, 1), 11017);
	ck_assert_int_eq(pt_days_from_civil(2000, 2, 29), 11016);
	ck_assert_int_eq(pt_days_from_civil(2020, 9, 21), 18526);
	ck_assert_int_eq(pt_days_from_civil(1600, 1, 1), -135140);
}
END_TEST

START_TEST(iso_forms)
{
	int64_t base = at(2020, 9, 21, 19, 37, 27, 0);
	ACCEPT("2020-09-21T19:37:27", PT_STAMP_ISO, base);
	ACCEPT("2020-09-21 19:37:27", PT_STAMP_ISO, base);
	ACCEPT("  2020-09-21T19:37:27  \r", PT_STAMP_ISO, base);
	ACCEPT("2020-09-21T19:37", PT_STAMP_ISO, base - 27000);
	ACCEPT("2020-09-21T19:37:27.5", PT_STAMP_ISO, base + 500);
	ACCEPT("2020-09-21T19:37:27,123456", PT_STAMP_ISO, base + 123);
	ACCEPT("2020-09-21T19:37:27Z", PT_STAMP_ISO, base);
	ACCEPT("2020-09-21T19:37:27+02:00", PT_STAMP_ISO, base - 7200000);
	ACCEPT("2020-09-21T19:37:27-0530", PT_STAMP_ISO,
		base + 5 * 3600000 + 30 * 60000);
	ACCEPT("2020-09-21T19:37:27.250-07:00", PT_STAMP_ISO,
		base + 250 + 7 * 3600000);
	ACCEPT("2020-09-21 19:37:27 UTC", PT_STAMP_ISO, base);
	ACCEPT("2020-09-21 19:37:27 +01:00", PT_STAMP_ISO, base - 3600000);
	ACCEPT("2020/09/21 19:37:27", PT_STAMP_ISO, base);
	/* An offset can carry the time across midnight. */
	ACCEPT("2020-01-01T01:00:00+02:00", PT_STAMP_ISO,
		at(2019, 12, 31, 23, 0, 0, 0));
}
END_TEST

START_TEST(iso_invalid)
{
	REJECT("2020-09-21");
	REJECT("2020-09-21T");
	REJECT("2020-09-21T19");
	REJECT("2020-09-21T19:37:27.");
	REJECT("2020-09-21T19:37:27+2");
	REJECT("2020-09-21T19:37:27+24:00");
	REJECT("2020-09-21T19:37:27Zulu");
	REJECT("2020-13-01T00:00:00");
	REJECT("2020-00-01T00:00:00");
	REJECT("2020-04-31T00:00:00");
	REJECT("2020-09-21T24:00:00");
	REJECT("2020-09-21T23:60:00");
	REJECT("2020-09-21T23:59:60");
	REJECT("1969-12-31T23:59:59");
	REJECT("2201-01-01T00:00:00");
	REJECT("20200-09-21T19:37:27");
	REJECT("2020-9-21T19:37:27");
	REJECT("2020-09/21 19:37:27");
	REJECT("2020-09-21T19:37:27 1234 5678");
	REJECT("x 2020-09-21T19:37:27");
	REJECT("2020-09-21T123:37:27");
}
END_TEST

START_TEST(leap_days)
{
	ACCEPT("2020-02-29T00:00:00", PT_STAMP_ISO, at(2020, 2, 29, 0, 0, 0, 0));
	ACCEPT("2000-02-29T00:00:00", PT_STAMP_ISO, at(2000, 2, 29, 0, 0, 0, 0));
	REJECT("2021-02-29T00:00:00");
	REJECT("2100-02-29T00:00:00");
	REJECT("2020-02-30T00:00:00");
	ACCEPT("2020.02.29-01:02:03", PT_STAMP_CLUE, at(2020, 2, 29, 1, 2, 3, 0));
	REJECT("2019.02.29-01:02:03");
	ACCEPT("Saturday, February 29, 2020 1:02:03 AM", PT_STAMP_TSS,
		at(2020, 2, 29, 1, 2, 3, 0));
	REJECT("February 29, 2019 1:02:03 AM");
	ACCEPT("Sat 02/29/2020 01:02:03.00", PT_STAMP_BATCH,
		at(2020, 2, 29, 1, 2, 3, 0));
	REJECT("Fri 02/29/2019 01:02:03.00");
}
END_TEST

START_TEST(clue_forms)
{
	int64_t base = at(2020, 9, 21, 19, 37, 27, 0);
	ACCEPT("2020.09.21-19:37:27 Pacific Standard Time (local time of the PC "
		"where this was collected)", PT_STAMP_CLUE, base);
	ACCEPT("2020.09.21-19:37:27", PT_STAMP_CLUE, base);
	ACCEPT("2020.09.21-19:37:27 UTC", PT_STAMP_CLUE, base);
	REJECT("2020.09.21-19:37");
	REJECT("2020.09.21 19:37:27");
	REJECT("2020.09.21-19:37:27Pacific");
	REJECT("2020.09.21-19:37:27 42");
	REJECT("2020.09.32-19:37:27 Pacific Standard Time");
	REJECT("2020.09.21-25:37:27 Pacific Standard Time");
}
END_TEST

START_TEST(tss_forms)
{
	int64_t pm = at(2020, 9, 21, 19, 37, 27, 0);
	ACCEPT("Monday, September 21, 2020 7:37:27 PM", PT_STAMP_TSS, pm);
	ACCEPT("Monday, September 21, 2020 7:37:27 pm", PT_STAMP_TSS, pm);
	ACCEPT("  Monday, September 21, 2020 7:37:27 PM  ", PT_STAMP_TSS, pm);
	ACCEPT("September 21, 2020 7:37:27 PM", PT_STAMP_TSS, pm);
	ACCEPT("Mon, Sep 21, 2020 7:37:27 PM", PT_STAMP_TSS, pm);
	ACCEPT("Monday, Sept 21, 2020 07:37:27 PM", PT_STAMP_TSS, pm);
	ACCEPT("Monday, September 21, 2020 19:37:27", PT_STAMP_TSS, pm);
	ACCEPT("Monday, September 21, 2020 7:37:27 AM", PT_STAMP_TSS,
		pm - 12 * 3600000);
	ACCEPT("Thursday, January 1, 1970 0:00:00", PT_STAMP_TSS, 0);
	REJECT("Monday, Septembre 21, 2020 7:37:27 PM");
	REJECT("Funday, September 21, 2020 7:37:27 PM");
	REJECT("Monday, September 21, 2020 7:37 PM");
	REJECT("Monday, September 21, 2020 7:37:27 XM");
	REJECT("Monday, September 21, 2020 7:37:27 PM and more");
	REJECT("Monday, September 31, 2020 7:37:27 PM");
	REJECT("Monday, September 21, 20 7:37:27 PM");
	REJECT("Monday, September 21, 2020");
	REJECT("Monday September");
	REJECT("Monday,");
}
END_TEST

START_TEST(twelve_hour_edges)
{
	int64_t day = at(2020, 9, 21, 0, 0, 0, 0);
	ACCEPT("September 21, 2020 12:00:00 AM", PT_STAMP_TSS, day);
	ACCEPT("September 21, 2020 12:30:00 AM", PT_STAMP_TSS, day + 1800000);
	ACCEPT("September 21, 2020 12:00:00 PM", PT_STAMP_TSS, day + 43200000);
	ACCEPT("September 21, 2020 1:00:00 AM", PT_STAMP_TSS, day + 3600000);
	ACCEPT("September 21, 2020 11:59:59 PM", PT_STAMP_TSS,
		day + 86400000 - 1000);
	REJECT("September 21, 2020 0:00:00 AM");
	REJECT("September 21, 2020 13:00:00 PM");
	REJECT("September 21, 2020 24:00:00");
}
END_TEST

START_TEST(batch_forms)
{
	int64_t base = at(2020, 9, 21, 19, 37, 27, 530);
	ACCEPT("Mon 09/21/2020 19:37:27.53 ", PT_STAMP_BATCH, base);
	ACCEPT("Mon 09/21/2020 19:37:27.53", PT_STAMP_BATCH, base);
	ACCEPT("09/21/2020 19:37:27.53", PT_STAMP_BATCH, base);
	ACCEPT("Mon 09/21/2020 19:37:27", PT_STAMP_BATCH, base - 530);
	ACCEPT("Mon 09/21/2020  9:05:03.12", PT_STAMP_BATCH,
		at(2020, 9, 21, 9, 5, 3, 120));
	ACCEPT("Mon 09/21/2020 9:05:03.12", PT_STAMP_BATCH,
		at(2020, 9, 21, 9, 5, 3, 120));
	ACCEPT("Mon 09/21/2020 19:37:27.53\r", PT_STAMP_BATCH, base);
	/* en-GB %date%: only day first makes a date, and the kind says so */
	ACCEPT("Mon 21/09/2020 19:37:27.53", PT_STAMP_BATCH_DAY_FIRST, base);
	ACCEPT("21/09/2020 19:37:27.53", PT_STAMP_BATCH_DAY_FIRST, base);
	/* both readings make a date: read month first, the order settled
	 * later for the whole series */
	ACCEPT("05/10/2020 18:00:00.00", PT_STAMP_BATCH,
		at(2020, 5, 10, 18, 0, 0, 0));
	REJECT("Mon 21/13/2020 19:37:27.53");
	REJECT("Mon 31/04/2020 19:37:27.53");
	REJECT("Mon 30/02/2020 19:37:27.53");
	REJECT("Mon 09/21/2020");
	REJECT("Mon 09/21/2020 19:37");
	REJECT("Xyz 09/21/2020 19:37:27.53");
	REJECT("Mon09/21/2020 19:37:27.53");
	REJECT("Mon 09/21/2020 19:37:27.53 extra");
	REJECT("Mon 9/21/2020 19:37:27.53");
	REJECT("Mon 09/21/20 19:37:27.53");
}
END_TEST

START_TEST(date_order_helpers)
{
	ck_assert_int_eq(pt_stamp_read_order(PT_STAMP_BATCH), PT_DATE_MDY);
	ck_assert_int_eq(pt_stamp_read_order(PT_STAMP_NAME_SEP), PT_DATE_MDY);
	ck_assert_int_eq(pt_stamp_read_order(PT_STAMP_BATCH_DAY_FIRST),
		PT_DATE_DMY);
	ck_assert_int_eq(pt_stamp_read_order(PT_STAMP_NAME_SEP_DAY_FIRST),
		PT_DATE_DMY);
	static const enum pt_stamp_kind fixed[] = {
		PT_STAMP_NONE, PT_STAMP_ISO, PT_STAMP_CLUE, PT_STAMP_TSS,
		PT_STAMP_NAME, PT_STAMP_NAME_NS,
	};
	for (size_t k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++)
		ck_assert_int_eq(pt_stamp_read_order(fixed[k]), PT_DATE_AUTO);

	int64_t out = 42;
	ck_assert(pt_stamp_swap_day_month(at(2020, 10, 5, 18, 30, 1, 250),
		&out));
	ck_assert_int_eq(out, at(2020, 5, 10, 18, 30, 1, 250));
	ck_assert(pt_stamp_swap_day_month(out, &out));
	ck_assert_int_eq(out, at(2020, 10, 5, 18, 30, 1, 250));
	out = 42;
	ck_assert(!pt_stamp_swap_day_month(at(2020, 9, 21, 0, 0, 0, 0), &out));
	ck_assert(!pt_stamp_swap_day_month(at(2020, 9, 13, 0, 0, 0, 0), &out));
	ck_assert_int_eq(out, 42);
	ck_assert(pt_stamp_swap_day_month(at(2020, 12, 12, 0, 0, 0, 0), &out));
	ck_assert_int_eq(out, at(2020, 12, 12, 0, 0, 0, 0));

	static const char *words[] = { "auto", "mdy", "dmy" };
	for (size_t k = 0; k < 3; k++) {
		enum pt_date_order o;
		ck_assert(pt_date_order_parse(words[k], &o));
		ck_assert_int_eq(o, (int)k);
		ck_assert_str_eq(pt_date_order_name(o), words[k]);
	}
	enum pt_date_order o = PT_DATE_DMY;
	ck_assert(!pt_date_order_parse("DMY", &o));
	ck_assert(!pt_date_order_parse("ymd", &o));
	ck_assert(!pt_date_order_parse("", &o));
	ck_assert(!pt_date_order_parse(NULL, &o));
	ck_assert_int_eq(o, PT_DATE_DMY);
	ck_assert_str_eq(pt_date_order_name((enum pt_date_order)7), "?");
}
END_TEST

START_TEST(not_timestamps)
{
	REJECT("");
	REJECT("   ");
	REJECT("\r");
	REJECT(" Memory:  130480K Avail:   38440K  PageFlts:  2020   InRam Krnl: "
		"1368K P: 12744K");
	REJECT(" Commit: 123456K Limit: 456789K Peak: 234567K            Pool N: "
		"12345K P: 23456K");
	REJECT(" Tag  Type     Allocs            Frees               Diff       "
		"     Bytes                 Per Alloc");
	REJECT(" File Nonp            44288592           43651808            "
		"636784      254683680              399        ");
	REJECT(" 2020 Nonp                  3                  0                 "
		"3           1248              416        ");
	REJECT(" 1234 Paged     2020         2019  1  12  12   ");
	REJECT("Total Nonp   1234 (  12)   1200 (  10)   34   5678 (  12)   99");
	REJECT("ERROR: Number of Pool Tags Exceeds Buffer Size in PoolSnap, List "
		"Truncated");
	REJECT("The current date is: Mon 09/21/2020");
	REJECT("Collected on 2020-09-21T19:37:27");
	REJECT("garbage");
	REJECT("12:00:00");
	REJECT("2020");
	REJECT("2020-");
	REJECT("2020.09.21-");
	REJECT("September");
}
END_TEST

/* Bytes past len must never be looked at, nor count as part of the line. */
START_TEST(respects_len)
{
	const char *s = "2020-09-21T19:37:27Z trailing";
	int64_t ms;
	ck_assert_int_eq(pt_stamp_parse_line(s, 20, &ms), PT_STAMP_ISO);
	ck_assert_int_eq(pt_stamp_parse_line(s, 18, &ms), PT_STAMP_NONE);
	ck_assert_int_eq(pt_stamp_parse_line(s, 0, &ms), PT_STAMP_NONE);

	/* An exactly-sized heap copy lets ASan catch any overread. */
	const char *forms[] = {
		"2020-09-21T19:37:27+02:00", "2020.09.21-19:37:27",
		"Monday, September 21, 2020 7:37:27 PM", "Mon 09/21/2020 19:37:27.53",
		"2020-09-21T19:37:27.", "Monday, September 21, 2020 7:37:27 P",
	};
	for (size_t k = 0; k < sizeof(forms) / sizeof(forms[0]); k++) {
		size_t n = strlen(forms[k]);
		for (size_t cut = 0; cut <= n; cut++) {
			char *copy = malloc(cut ? cut : 1);
			ck_assert_ptr_nonnull(copy);
			memcpy(copy, forms[k], cut);
			(void)pt_stamp_parse_line(copy, cut, &ms);
			free(copy);
		}
	}
}
END_TEST

/* The collector samples: exactly one timestamp line per snapshot. */
static void
check_sample(const char *name, enum pt_stamp_kind kind, size_t want)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/data/samples/%s", SHARED_DIR, name);
	size_t len;
	char *buf = pt_test_slurp(path, &len);
	if (buf == NULL)
		return; /* samples live outside the repository */
	size_t found = 0;
	for (size_t b = 0; b < len;) {
		size_t e = b;
		while (e < len && buf[e] != '\n')
			e++;
		int64_t ms;
		enum pt_stamp_kind k = pt_stamp_parse_line(buf + b, e - b, &ms);
		if (k != PT_STAMP_NONE) {
			ck_assert_int_eq(k, kind);
			found++;
		}
		b = e + 1;
	}
	free(buf);
	ck_assert_msg(found == want, "%s: %zu stamps", name, found);
}

START_TEST(samples)
{
	check_sample("s04_clue_wrapped.txt", PT_STAMP_CLUE, 1);
	check_sample("s05_tss_wrapped.txt", PT_STAMP_TSS, 1);
	check_sample("s06_batch_echo_date_loop.txt", PT_STAMP_BATCH, 2);
}
END_TEST

static enum pt_stamp_kind
name_kind(const char *s, int64_t *ms)
{
	*ms = -1;
	return pt_stamp_from_name(s, ms);
}

#define NAME_OK(str, kind, want) do { \
		int64_t got_; \
		ck_assert_msg(name_kind((str), &got_) == (kind), \
			"kind of name \"%s\"", (str)); \
		ck_assert_msg(got_ == (want), "\"%s\": %lld != %lld", (str), \
			(long long)got_, (long long)(want)); \
	} while (0)

#define NAME_NONE(str) do { \
		int64_t got_; \
		ck_assert_msg(name_kind((str), &got_) == PT_STAMP_NONE, \
			"accepted name \"%s\"", (str)); \
	} while (0)

START_TEST(name_forms)
{
	int64_t hm = at(2020, 9, 21, 19, 37, 0, 0);
	int64_t hms = hm + 27000;
	NAME_OK("poolmon_20200921-1937.log", PT_STAMP_NAME, hm);
	NAME_OK("poolmon_20200921_193727.log", PT_STAMP_NAME, hms);
	NAME_OK("poolmon_20200921.193727 .log.txt", PT_STAMP_NAME, hms);
	NAME_OK("20200921T193727.txt", PT_STAMP_NAME, hms);
	NAME_OK("poolmon.2020-09-21-19-37-27.log", PT_STAMP_NAME_SEP, hms);
	NAME_OK("poolmon_2020_09_21_19_37_27.log", PT_STAMP_NAME_SEP, hms);
	NAME_OK("snap-2020-09-21T19-37-27.txt", PT_STAMP_NAME_SEP, hms);
	NAME_OK("snap-2020-09-21_193727.txt", PT_STAMP_NAME_SEP, hms);
	NAME_OK("/some/dir/2020-09-21-19-37-27.log", PT_STAMP_NAME_SEP, hms);
	/* alexboyd92: day before month; the kind says it was read so */
	NAME_OK("poolmon.2020-21-09-19-37-27.log",
		PT_STAMP_NAME_SEP_DAY_FIRST, hms);
	/* both orders make a date: read month first here, settled later */
	NAME_OK("poolmon.2020-05-09-19-37-27.log", PT_STAMP_NAME_SEP,
		at(2020, 5, 9, 19, 37, 27, 0));
	/* Intel's time_ns */
	NAME_OK("poolmon_1600717047123456789.log", PT_STAMP_NAME_NS,
		INT64_C(1600717047123));
	NAME_OK("poolmon_978307200000000000.log", PT_STAMP_NAME_NS,
		INT64_C(978307200000));
	/* the first valid stamp wins; a bad earlier candidate is skipped */
	NAME_OK("run12_20201301-0000_20200921-1937.log", PT_STAMP_NAME, hm);
}
END_TEST

START_TEST(name_invalid)
{
	NAME_NONE("poolmonlog12.txt");
	NAME_NONE("log2");
	NAME_NONE("snap_0001.txt");
	NAME_NONE("poolmon.log");
	NAME_NONE("");
	NAME_NONE("20200921.txt");
	NAME_NONE("poolmon_20201321-1937.log");
	NAME_NONE("poolmon_20200230-1937.log");
	NAME_NONE("poolmon_20200921-2537.log");
	NAME_NONE("poolmon_20200921-1960.log");
	NAME_NONE("poolmon_20200921-19375.log");
	NAME_NONE("poolmon_120200921-1937.log");
	NAME_NONE("poolmon_20200921-193727123.log");
	NAME_NONE("2020-09-21.log");
	NAME_NONE("2020-09-21-19-37.log");
	NAME_NONE("2020-09-21-19-37-271.log");
	NAME_NONE("12020-09-21-19-37-27.log");
	NAME_NONE("2020-21-13-19-37-27.log");
	NAME_NONE("2020-09_21-19-37-27.log");
	NAME_NONE("2020-09-21-19-37_27.log");
	/* 17 and 20 digits are not time_ns; out-of-range epochs neither */
	NAME_NONE("p_16007170471234567.log");
	NAME_NONE("p_16007170471234567890.log");
	NAME_NONE("p_10000000000000000000.log");
	NAME_NONE("p_000000000000000001.log");
	NAME_NONE("p_100000000000000000.log");
	NAME_NONE("p_978307199999999999.log");
	NAME_NONE("/dir/2020-09-21-19-37-27/poolmon.log");
}
END_TEST

START_TEST(format_round_trip)
{
	char buf[32];
	ck_assert_str_eq(pt_stamp_format(0, buf), "1970-01-01T00:00:00");
	ck_assert_str_eq(pt_stamp_format(at(2020, 9, 21, 19, 37, 27, 0), buf),
		"2020-09-21T19:37:27");
	ck_assert_str_eq(pt_stamp_format(at(2020, 9, 21, 19, 37, 27, 5), buf),
		"2020-09-21T19:37:27.005");
	ck_assert_str_eq(pt_stamp_format(-1, buf), "1969-12-31T23:59:59.999");
	ck_assert_str_eq(pt_stamp_format(at(2000, 2, 29, 23, 59, 59, 0), buf),
		"2000-02-29T23:59:59");
	/* extreme values stay within the 32 bytes */
	ck_assert_uint_lt(strlen(pt_stamp_format(INT64_MAX, buf)), 32);
	ck_assert_uint_lt(strlen(pt_stamp_format(INT64_MIN, buf)), 32);

	/* format -> parse -> same value, across leap years and month ends */
	for (int64_t ms = at(1970, 1, 1, 0, 0, 0, 0);
			ms < at(2200, 12, 31, 0, 0, 0, 0);
			ms += INT64_C(86400000) * 13 + 3723456) {
		int64_t back;
		pt_stamp_format(ms, buf);
		ck_assert_int_eq(pt_stamp_parse_line(buf, strlen(buf), &back),
			PT_STAMP_ISO);
		ck_assert_int_eq(back, ms);
	}
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("timestamp");
	TCase *t = tcase_create("lines");
	tcase_add_test(t, days_known);
	tcase_add_test(t, iso_forms);
	tcase_add_test(t, iso_invalid);
	tcase_add_test(t, leap_days);
	tcase_add_test(t, clue_forms);
	tcase_add_test(t, tss_forms);
	tcase_add_test(t, twelve_hour_edges);
	tcase_add_test(t, batch_forms);
	tcase_add_test(t, date_order_helpers);
	tcase_add_test(t, not_timestamps);
	tcase_add_test(t, respects_len);
	tcase_add_test(t, samples);
	suite_add_tcase(s, t);
	TCase *n = tcase_create("names");
	tcase_add_test(n, name_forms);
	tcase_add_test(n, name_invalid);
	tcase_add_test(n, format_round_trip);
	suite_add_tcase(s, n);
	return s;
}

int
main(void)
{
	return pt_test_run(suite());
}
