/*
 * The CI gate: growth-rate parsing, reading a baseline report, and which
 * series of the demo series trip the gate with and without a baseline.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pooltrend/gate.h"
#include "testutil.h"

START_TEST(rates_with_units)
{
	static const struct { const char *text; double bph; } good[] = {
		{ "50000", 50000 },
		{ "100KB/h", 102400 },
		{ "100k", 102400 },
		{ "1.5M", 1.5 * 1048576 },
		{ "2MB/d", 2.0 * 1048576 / 24 },
		{ "2mb/day", 2.0 * 1048576 / 24 },
		{ "1GB/hour", 1073741824.0 },
		{ "0", 0 },
		{ "12B/h", 12 },
	};
	static const char *const bad[] = {
		"", "-5", "+5", "1e5", "inf", "nan", "0x10", " 5", "5 KB", "12parsecs",
		"5MB/w", ".", "..", "5/", "KB/h", "1.2.3",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		double v = -1;
		ck_assert_msg(pt_rate_parse(good[i].text, &v), "%s", good[i].text);
		ck_assert_double_eq_tol(v, good[i].bph, 1e-6);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		double v;
		ck_assert_msg(!pt_rate_parse(bad[i], &v), "'%s' accepted", bad[i]);
	}
}
END_TEST

static struct pt_baseline *
parse(const char *text, struct pt_error *err)
{
	memset(err, 0, sizeof(*err));
	return pt_baseline_parse(text, strlen(text), err);
}

START_TEST(baseline_errors_name_the_problem)
{
	struct pt_error err;
	ck_assert_ptr_null(parse("{\n\"schema_version\": 1,\n\"tags\": [ {,\n", &err));
	ck_assert_int_eq(err.line, 3);
	ck_assert_ptr_null(parse("[1, 2]", &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "not a pooltrend JSON report"));
	ck_assert_ptr_null(parse("{\"schema_version\": 2, \"tags\": []}", &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "schema_version 2"));
	ck_assert_ptr_null(parse("{\"schema_version\": 1, \"tags\": [{\"tag_hex\": "
		"\"4c65616b\", \"pool\": \"both\", \"verdict\": \"likely\"}]}", &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "tags[0]"));
	ck_assert_ptr_null(parse("{\"schema_version\": 1, \"tags\": [{\"tag_hex\": "
		"\"4c65616g\", \"pool\": \"paged\", \"verdict\": \"likely\"}]}", &err));
	ck_assert_ptr_null(parse("{\"schema_version\": 1, \"tags\": [{\"tag_hex\": "
		"\"4c65616b\", \"pool\": \"paged\", \"verdict\": \"sure\"}]}", &err));
	ck_assert_ptr_null(parse("", &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "empty"));
	ck_assert_ptr_null(parse(" \n\t", &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "empty"));
	/* Two reports run together are not one report. */
	ck_assert_ptr_null(parse("{\"schema_version\": 1, \"tags\": []}\n"
		"{\"schema_version\": 1, \"tags\": []}\n", &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "text after"));
	ck_assert_int_eq(err.line, 2);
	/* The same series twice: which one counts would be arbitrary. */
	ck_assert_ptr_null(parse("{\"schema_version\": 1, \"tags\": ["
		"{\"tag_hex\": \"4c65616b\", \"pool\": \"paged\", \"verdict\": \"likely\"},"
		"{\"tag_hex\": \"4C65616B\", \"pool\": \"paged\", \"verdict\": \"unlikely\"}"
		"]}", &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "listed twice"));
	ck_assert_ptr_null(parse("{\"schema_version\": 1.5, \"tags\": []}", &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "schema_version 1.5"));
	/* A growth that is not a number would silently count as none. */
	ck_assert_ptr_null(parse("{\"schema_version\": 1, \"tags\": [{\"tag_hex\": "
		"\"4c65616b\", \"pool\": \"paged\", \"verdict\": \"likely\", "
		"\"growth_bytes_per_hour\": \"fast\"}]}", &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "growth_bytes_per_hour"));
}
END_TEST

START_TEST(baseline_counts_and_partial)
{
	struct pt_error err;
	struct pt_baseline *b = parse("{\"schema_version\": 1, \"input\": "
		"{\"series\": 5}, \"tags\": [{\"tag_hex\": \"4c65616b\", \"pool\": "
		"\"paged\", \"verdict\": \"likely\", \"growth_bytes_per_hour\": null}, "
		"{\"tag_hex\": \"00ff1b41\", \"pool\": \"nonpaged\", \"verdict\": "
		"\"unlikely\", \"growth_bytes_per_hour\": 12.5, \"growth_ci95\": "
		"[1, 30]}]}", &err);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(pt_baseline_count(b), 2);
	ck_assert(pt_baseline_partial(b));
	pt_baseline_destroy(b);
	/* Written with -p paged: two of its pool's two series is complete. */
	b = parse("{\"schema_version\": 1, \"input\": {\"series\": 5, "
		"\"series_in_filter\": 2}, \"tags\": [{\"tag_hex\": \"4c65616b\", "
		"\"pool\": \"paged\", \"verdict\": \"likely\"}, {\"tag_hex\": "
		"\"4c65616c\", \"pool\": \"paged\", \"verdict\": \"likely\"}]}", &err);
	ck_assert_ptr_nonnull(b);
	ck_assert(!pt_baseline_partial(b));
	ck_assert(pt_baseline_covers(b, PT_FILTER_PAGED));
	ck_assert(pt_baseline_covers(b, PT_FILTER_ALL));
	pt_baseline_destroy(b);
	b = parse("{\"schema_version\": 1, \"input\": {\"pool_filter\": "
		"\"paged\"}, \"tags\": []}", &err);
	ck_assert_ptr_nonnull(b);
	ck_assert(pt_baseline_covers(b, PT_FILTER_PAGED));
	ck_assert(!pt_baseline_covers(b, PT_FILTER_ALL));
	ck_assert(!pt_baseline_covers(b, PT_FILTER_NONPAGED));
	pt_baseline_destroy(b);
	b = parse("{\"schema_version\": 1, \"input\": {\"series\": 0}, \"tags\": []}",
		&err);
	ck_assert_ptr_nonnull(b);
	ck_assert(!pt_baseline_partial(b));
	pt_baseline_destroy(b);
}
END_TEST

/* The demo series: Drsd (paged) is the one likely leak, ~1.75 MB/h. */
static struct pt_analysis demo;

static void
load_demo(void)
{
	const char *dir = TESTDATA_DIR "/demo";
	struct pt_analysis_opts o;
	struct pt_error err = {0};
	pt_analysis_opts_init(&o);
	ck_assert_msg(pt_analysis_run(&dir, 1, &o, &demo, &err), "%s", err.msg);
}

static void
unload_demo(void)
{
	pt_analysis_finish(&demo);
}

static struct pt_gate
check_gate(const struct pt_gate_opts *o)
{
	struct pt_gate g;
	struct pt_error err = {0};
	ck_assert(pt_gate_check(&demo, o, &g, &err));
	return g;
}

static void
assert_one_hit(const struct pt_gate *g, const char *tag, bool counts,
		enum pt_gate_change change, const char *reason_part)
{
	ck_assert_uint_eq(g->n, 1);
	ck_assert_int_eq(memcmp(demo.ds.series[g->hits[0].series].tag, tag, 4), 0);
	ck_assert_int_eq(g->hits[0].counts, counts);
	ck_assert_int_eq(g->tripped, counts);
	ck_assert_msg(g->hits[0].change == change, "change %s",
		pt_gate_change_name(g->hits[0].change));
	ck_assert_msg(strstr(g->hits[0].reason, reason_part) != NULL, "%s",
		g->hits[0].reason);
}

START_TEST(fail_on_and_fail_above_without_baseline)
{
	struct pt_gate_opts o = { .use_verdict = true, .fail_on = PT_VERDICT_LIKELY };
	struct pt_gate g = check_gate(&o);
	assert_one_hit(&g, "Drsd", true, PT_CHANGE_NONE, "likely at +1.75 MB/h");
	pt_gate_finish(&g);

	/* Fast load-driven tags (Ntfx, L1In: over 1 MB/h) are no leaks. */
	o = (struct pt_gate_opts){ .use_rate = true, .fail_above_bph = 1048576 };
	g = check_gate(&o);
	assert_one_hit(&g, "Drsd", true, PT_CHANGE_NONE, "above --fail-above");
	pt_gate_finish(&g);

	o.fail_above_bph = 2 * 1048576.0;
	g = check_gate(&o);
	ck_assert_uint_eq(g.n, 0);
	ck_assert(!g.tripped);
	pt_gate_finish(&g);

	o = (struct pt_gate_opts){ .use_verdict = true,
		.fail_on = PT_VERDICT_LIKELY, .pool = PT_FILTER_NONPAGED };
	g = check_gate(&o);
	ck_assert_uint_eq(g.n, 0);
	pt_gate_finish(&g);
}
END_TEST

static struct pt_gate
gate_against(const char *drsd_entry)
{
	char json[1024];
	struct pt_error err;
	snprintf(json, sizeof(json), "{\"schema_version\": 1, \"tags\": [%s%s"
		"{\"tag_hex\": \"4e746678\", \"pool\": \"nonpaged\", \"verdict\": "
		"\"unlikely\"}]}", drsd_entry, drsd_entry[0] ? ", " : "");
	struct pt_baseline *b = parse(json, &err);
	ck_assert_msg(b != NULL, "%s", err.msg);
	struct pt_gate_opts o = { .use_verdict = true,
		.fail_on = PT_VERDICT_POSSIBLE, .baseline = b };
	struct pt_gate g = check_gate(&o);
	pt_baseline_destroy(b);
	return g;
}

#define DRSD "{\"tag_hex\": \"44727364\", \"pool\": \"paged\", "

START_TEST(baseline_counts_only_new_or_worse)
{
	struct pt_gate g = gate_against("");
	assert_one_hit(&g, "Drsd", true, PT_CHANGE_NEW, "new since the baseline");
	pt_gate_finish(&g);

	g = gate_against(DRSD "\"verdict\": \"unlikely\"}");
	assert_one_hit(&g, "Drsd", true, PT_CHANGE_NOW_TRIPS, "was unlikely");
	pt_gate_finish(&g);

	g = gate_against(DRSD "\"verdict\": \"possible\", "
		"\"growth_bytes_per_hour\": 1800000}");
	assert_one_hit(&g, "Drsd", true, PT_CHANGE_VERDICT_UP, "was possible");
	pt_gate_finish(&g);

	g = gate_against(DRSD "\"verdict\": \"likely\", "
		"\"growth_bytes_per_hour\": 500000, \"growth_ci95\": [450000, 550000]}");
	assert_one_hit(&g, "Drsd", true, PT_CHANGE_FASTER, "+488 KB/h");
	pt_gate_finish(&g);

	/* 1.3 times faster is within what a rerun of the same load gives. */
	g = gate_against(DRSD "\"verdict\": \"likely\", "
		"\"growth_bytes_per_hour\": 1400000, \"growth_ci95\": [1300000, 1500000]}");
	assert_one_hit(&g, "Drsd", false, PT_CHANGE_NO_WORSE, "not counted");
	pt_gate_finish(&g);

	/* With --fail-above the baseline is judged by the same bar: slower
	 * than the rate there, so it did not trip, so it counts now. */
	{
		struct pt_error err;
		struct pt_baseline *b = parse("{\"schema_version\": 1, \"tags\": ["
			DRSD "\"verdict\": \"likely\", \"growth_bytes_per_hour\": 50000}]}",
			&err);
		ck_assert_ptr_nonnull(b);
		struct pt_gate_opts o = { .use_rate = true,
			.fail_above_bph = 100000, .fail_above_text = "100000",
			.baseline = b };
		g = check_gate(&o);
		pt_baseline_destroy(b);
		assert_one_hit(&g, "Drsd", true, PT_CHANGE_NOW_TRIPS,
			"above --fail-above 100000; worse than the baseline");
		pt_gate_finish(&g);
	}

	/* Faster by the factor but inside the baseline's wide interval. */
	g = gate_against(DRSD "\"verdict\": \"likely\", "
		"\"growth_bytes_per_hour\": 1000000, \"growth_ci95\": [0, 3000000]}");
	assert_one_hit(&g, "Drsd", false, PT_CHANGE_NO_WORSE, "no worse");
	pt_gate_finish(&g);
}
END_TEST

static Suite *
gate_suite(void)
{
	Suite *s = suite_create("gate");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, rates_with_units);
	tcase_add_test(tc, baseline_errors_name_the_problem);
	tcase_add_test(tc, baseline_counts_and_partial);
	suite_add_tcase(s, tc);
	tc = tcase_create("demo");
	tcase_add_checked_fixture(tc, load_demo, unload_demo);
	tcase_add_test(tc, fail_on_and_fail_above_without_baseline);
	tcase_add_test(tc, baseline_counts_only_new_or_worse);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pt_test_run(gate_suite());
}
