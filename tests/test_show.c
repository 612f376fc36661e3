/* pooltrend show: finding a series, the text view, the SVG chart. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pooltrend/show.h"
#include "pooltrend/text.h"
#include "pooltrend/timestamp.h"
#include "testutil.h"

#define NSNAP 12
#define NTAGS 5
#define REBOOT_AT 6   /* first snapshot of boot epoch 2 */
#define GAP_AT 3      /* the hostile tag has no row here */
#define HOUR 3600000

struct fixture {
	struct pt_snapshot snaps[NSNAP];
	struct pt_row rows[NSNAP][NTAGS];
	struct pt_timed_snapshot timed[NSNAP];
	struct pt_analysis a;
	int64_t t0;
};

enum { T_HOSTILE, T_LEAK_PAGED, T_LEAK_NONPAGED, T_IO, T_IO_BLANK };

static const uint8_t tags[NTAGS][4] = {
	{ '<', '&', 0x1b, '>' },   /* markup and an escape byte */
	{ 'L', 'e', 'a', 'k' },
	{ 'L', 'e', 'a', 'k' },
	{ 'I', 'o', ' ', ' ' },
	{ ' ', 'I', 'o', ' ' },    /* equal to "Io  " only after normalisation */
};

static const uint8_t pools[NTAGS] = {
	PT_POOL_NONPAGED, PT_POOL_PAGED, PT_POOL_NONPAGED, PT_POOL_NONPAGED,
	PT_POOL_PAGED,
};

/* Bytes of the hostile tag: a ratchet that restarts after the reboot. */
static int64_t
hostile_bytes(int i)
{
	int k = i < REBOOT_AT ? i : i - REBOOT_AT;
	return 64000 + 19200 * k;
}

static void
setup(struct fixture *f, enum pt_time_source src)
{
	memset(f, 0, sizeof(*f));
	f->t0 = pt_days_from_civil(2020, 9, 21) * 86400000;
	for (int i = 0; i < NSNAP; i++) {
		size_t nrows = 0;
		int k = i < REBOOT_AT ? i : i - REBOOT_AT;
		for (int t = 0; t < NTAGS; t++) {
			if (t == T_HOSTILE && i == GAP_AT)
				continue;
			int64_t b = t == T_HOSTILE ? hostile_bytes(i) :
				t == T_LEAK_PAGED ? 128000 + 12800 * i :
				6400 * (1 + (i + t) % 3);
			struct pt_row *r = &f->rows[i][nrows++];
			memcpy(r->tag, tags[t], 4);
			r->pool = pools[t];
			/* Counters restart at the reboot. */
			r->diff = b / 64;
			r->allocs = 1000 + 300 * k + r->diff;
			r->frees = r->allocs - r->diff;
			r->bytes = b;
			r->per_alloc = 64;
			r->line = 10 + t;
		}
		f->snaps[i].rows = f->rows[i];
		f->snaps[i].nrows = nrows;
		f->snaps[i].line = 5;
		f->snaps[i].summary.has_memory = true;
		f->snaps[i].summary.avail_k = 4 * 1024 * 1024;
		f->snaps[i].summary.page_faults = i < REBOOT_AT ? 500000 + i : 100 + i;
		f->timed[i] = (struct pt_timed_snapshot){
			&f->snaps[i], i < REBOOT_AT ? "a<b>&\x1b.txt" : "after.txt",
			f->t0 + (int64_t)i * HOUR,
		};
	}
	pt_test_analyse(&f->a, f->timed, NSNAP);
	ck_assert_uint_eq(f->a.ds.nepochs, 2);
	f->a.time_source = src;
}

static size_t
find_one(struct fixture *f, int t)
{
	size_t idx[4];
	size_t n = pt_show_find(&f->a, tags[t],
		pools[t] == PT_POOL_PAGED ? PT_FILTER_PAGED : PT_FILTER_NONPAGED,
		idx, 4);
	ck_assert_uint_ge(n, 1);
	return idx[0];
}

static char *
render_text(struct fixture *f, size_t s, const struct pt_show_opts *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(m);
	struct pt_error err = {0};
	ck_assert_msg(pt_show_write_text(m, &f->a, s, o, &err), "%s", err.msg);
	fclose(m);
	ck_assert_uint_eq(strlen(buf), len);
	return buf;
}

static char *
render_svg(struct fixture *f, size_t s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(m);
	struct pt_error err = {0};
	ck_assert_msg(pt_show_write_svg(m, &f->a, s, &err), "%s", err.msg);
	fclose(m);
	ck_assert_uint_eq(strlen(buf), len);
	return buf;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* Only '\n' and, when allowed, complete SGR sequences ESC [ digits ; m. */
static void
assert_no_raw_controls(const char *s, bool sgr_allowed)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\n')
			continue;
		if (*p == 0x1b) {
			ck_assert_msg(sgr_allowed, "raw ESC at offset %td",
				(const char *)p - s);
			ck_assert_int_eq(p[1], '[');
			const unsigned char *q = p + 2;
			while ((*q >= '0' && *q <= '9') || *q == ';')
				q++;
			ck_assert_int_eq(*q, 'm');
			p = q;
			continue;
		}
		ck_assert_msg(*p >= 0x20 && *p != 0x7f, "control byte 0x%02x at %td",
			*p, (const char *)p - s);
	}
}

START_TEST(test_find_exact_normalised_and_pools)
{
	struct fixture f;
	setup(&f, PT_TIME_EMBEDDED);
	size_t idx[4];
	/* Both pools, nonpaged first. */
	size_t n = pt_show_find(&f.a, tags[T_LEAK_PAGED], PT_FILTER_ALL, idx, 4);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(f.a.ds.series[idx[0]].pool, PT_POOL_NONPAGED);
	ck_assert_uint_eq(f.a.ds.series[idx[1]].pool, PT_POOL_PAGED);
	ck_assert(memcmp(f.a.ds.series[idx[1]].tag, "Leak", 4) == 0);
	/* The count is of all matches, even beyond max. */
	idx[1] = 999;
	ck_assert_uint_eq(pt_show_find(&f.a, tags[T_LEAK_PAGED], PT_FILTER_ALL,
		idx, 1), 2);
	ck_assert_uint_eq(idx[1], 999);
	ck_assert_uint_eq(pt_show_find(&f.a, tags[T_LEAK_PAGED], PT_FILTER_ALL,
		NULL, 0), 2);
	/* Pool filters. */
	n = pt_show_find(&f.a, tags[T_LEAK_PAGED], PT_FILTER_PAGED, idx, 4);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(f.a.ds.series[idx[0]].pool, PT_POOL_PAGED);
	n = pt_show_find(&f.a, tags[T_LEAK_PAGED], PT_FILTER_NONPAGED, idx, 4);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(f.a.ds.series[idx[0]].pool, PT_POOL_NONPAGED);
	/* An exact match hides the normalised ones. */
	n = pt_show_find(&f.a, (const uint8_t *)"Io  ", PT_FILTER_ALL, idx, 4);
	ck_assert_uint_eq(n, 1);
	ck_assert(memcmp(f.a.ds.series[idx[0]].tag, "Io  ", 4) == 0);
	n = pt_show_find(&f.a, (const uint8_t *)" Io ", PT_FILTER_ALL, idx, 4);
	ck_assert_uint_eq(n, 1);
	ck_assert(memcmp(f.a.ds.series[idx[0]].tag, " Io ", 4) == 0);
	/* No exact match: poolmon's normalisation finds both. */
	n = pt_show_find(&f.a, (const uint8_t *)"  Io", PT_FILTER_ALL, idx, 4);
	ck_assert_uint_eq(n, 2);
	ck_assert(memcmp(f.a.ds.series[idx[0]].tag, "Io  ", 4) == 0);
	ck_assert(memcmp(f.a.ds.series[idx[1]].tag, " Io ", 4) == 0);
	n = pt_show_find(&f.a, (const uint8_t *)"  Io", PT_FILTER_PAGED, idx, 4);
	ck_assert_uint_eq(n, 1);
	ck_assert(memcmp(f.a.ds.series[idx[0]].tag, " Io ", 4) == 0);
	/* Normalisation cuts at the first blank: "I o " is "I". */
	ck_assert_uint_eq(pt_show_find(&f.a, (const uint8_t *)"I o ",
		PT_FILTER_ALL, idx, 4), 0);
	ck_assert_uint_eq(pt_show_find(&f.a, (const uint8_t *)"Nope",
		PT_FILTER_ALL, idx, 4), 0);
	ck_assert_uint_eq(pt_show_find(&f.a, tags[T_HOSTILE], PT_FILTER_PAGED,
		idx, 4), 0);
	ck_assert_uint_eq(pt_show_find(&f.a, tags[T_HOSTILE], PT_FILTER_ALL,
		idx, 4), 1);
	pt_analysis_finish(&f.a);
}
END_TEST

START_TEST(test_text_samples_reboot_gap_factors)
{
	struct fixture f;
	setup(&f, PT_TIME_EMBEDDED);
	size_t s = find_one(&f, T_HOSTILE);
	struct pt_show_opts o = { .color = false, .unicode = false };
	char *text = render_text(&f, s, &o);

	/* The tag is escaped: the markup stays, the ESC becomes \x1b. */
	ck_assert_ptr_nonnull(strstr(text, "<&\\x1b>  nonpaged  "));
	assert_no_raw_controls(text, false);
	ck_assert_ptr_null(strchr(text, 0x1b));
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		ck_assert_msg(*p < 0x80, "non-ASCII byte in ASCII mode");
	/* Every present sample, with exact numbers and times. */
	for (int i = 0; i < NSNAP; i++) {
		if (i == GAP_AT)
			continue;
		char want[64];
		snprintf(want, sizeof(want), " %lld ", (long long)hostile_bytes(i));
		ck_assert_msg(strstr(text, want) != NULL, "sample %d missing", i);
	}
	ck_assert_ptr_nonnull(strstr(text, "2020-09-21T00:00:00"));
	ck_assert_ptr_nonnull(strstr(text, "2020-09-21T11:00:00"));
	/* The gap, the reboot in the right place, the escaped file name. */
	ck_assert_uint_eq(count(text, "(no row)"), 1);
	/* Times below are searched in the sample table (the header may
	 * name the onset). */
	const char *table = strstr(text, "\n  TIME ");
	ck_assert_ptr_nonnull(table);
	const char *gap = strstr(table, "2020-09-21T03:00:00");
	ck_assert_ptr_nonnull(gap);
	ck_assert_ptr_nonnull(strstr(gap, "(no row)"));
	ck_assert(strstr(gap, "(no row)") < strchr(gap, '\n'));
	const char *reboot = strstr(table, "--- reboot: boot epoch 2 ---");
	ck_assert_ptr_nonnull(reboot);
	ck_assert(strstr(table, "2020-09-21T05:00:00") < reboot);
	ck_assert(reboot < strstr(table, "2020-09-21T06:00:00"));
	ck_assert_uint_eq(count(text, "--- reboot:"), 1);
	ck_assert_ptr_nonnull(strstr(text, "a<b>&\\x1b.txt:5"));
	/* Header and factors. */
	const char *names[] = { "trend z", "floor retention", "signal/noise",
		"give-back", "recent trend", "within-shift", "saturation",
		"largest step", "current growth", "confidence", "growth:",
		"onset:", "exhaustion:" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ck_assert_msg(strstr(text, names[i]) != NULL, "%s missing", names[i]);
	ck_assert_ptr_nonnull(strstr(text,
		pt_verdict_name(f.a.scores[s].verdict)));
	/* The ASCII chart: bars and the reboot marker under the axis. */
	ck_assert_ptr_nonnull(strchr(text, '#'));
	ck_assert_ptr_nonnull(strstr(text, "| reboot"));
	free(text);

	/* A quiet tag read against the machine's load whose median Bytes
	 * are 0 has no elasticity: "-", not "nan". */
	f.a.scores[s].machine_load_adjusted = true;
	f.a.scores[s].load_elasticity = NAN;
	text = render_text(&f, s, &o);
	ck_assert_ptr_nonnull(strstr(text, "(elasticity -)"));
	ck_assert_ptr_null(strstr(text, "nan"));
	free(text);
	f.a.scores[s].machine_load_adjusted = false;

	/* Colour: only SGR sequences, and the verdict in colour. */
	o.color = true;
	text = render_text(&f, s, &o);
	assert_no_raw_controls(text, true);
	ck_assert_ptr_nonnull(strstr(text, "\033[0m"));
	free(text);
	pt_analysis_finish(&f.a);
}
END_TEST

START_TEST(test_text_chart_unicode_and_size)
{
	struct fixture f;
	setup(&f, PT_TIME_EMBEDDED);
	size_t s = find_one(&f, T_LEAK_PAGED);
	struct pt_show_opts o = { .unicode = true };
	char *text = render_text(&f, s, &o);
	assert_no_raw_controls(text, false);
	ck_assert_ptr_nonnull(strstr(text, "\xe2\x96\x88"));  /* full block */
	ck_assert_uint_eq(count(text, "--- reboot:"), 1);
	free(text);

	/* ASCII, 24 x 6: six rows with the axis at column 13, 24 dashes. */
	o = (struct pt_show_opts){ .width = 24, .height = 6 };
	text = render_text(&f, s, &o);
	size_t rows = 0, dashes = 0;
	for (char *line = text; *line; ) {
		char *end = strchr(line, '\n');
		ck_assert_ptr_nonnull(end);
		if (end - line > 13 && line[13] == '|')
			rows++;
		if (end - line > 13 && line[13] == '+')
			dashes = strspn(line + 14, "-");
		line = end + 1;
	}
	ck_assert_uint_eq(rows, 6);
	ck_assert_uint_eq(dashes, 24);
	/* Twelve samples over 24 columns: the top sample fills two columns. */
	ck_assert_ptr_nonnull(strstr(text, "##\n"));
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		ck_assert(*p < 0x80);
	free(text);

	ck_assert(!pt_show_write_text(stdout, &f.a, f.a.ds.nseries, &o,
		&(struct pt_error){0}));
	pt_analysis_finish(&f.a);
}
END_TEST

START_TEST(test_text_relative_times)
{
	struct fixture f;
	setup(&f, PT_TIME_INDEX);
	size_t s = find_one(&f, T_HOSTILE);
	struct pt_show_opts o = { 0 };
	char *text = render_text(&f, s, &o);
	ck_assert_ptr_null(strstr(text, "2020-"));
	ck_assert_ptr_nonnull(strstr(text, "0.00 h"));
	ck_assert_ptr_nonnull(strstr(text, "11.00 h"));
	free(text);
	char *svg = render_svg(&f, s);
	ck_assert_ptr_null(strstr(svg, "09-21"));
	ck_assert_ptr_nonnull(strstr(svg, "hours since the first snapshot"));
	ck_assert_ptr_nonnull(strstr(svg, " h</text>"));
	free(svg);
	pt_analysis_finish(&f.a);
}
END_TEST

/* No markup character inside character data: every '<' opens a tag. */
static void
assert_text_is_escaped(const char *svg)
{
	for (const char *p = strchr(svg, '<'); p; p = strchr(p + 1, '<'))
		ck_assert_msg(p[1] == '/' || (p[1] >= 'a' && p[1] <= 'z'),
			"stray '<' at offset %td", p - svg);
	for (const char *p = strstr(svg, "<text"); p; p = strstr(p + 1, "<text")) {
		const char *open_end = strchr(p, '>');
		const char *close = strstr(p, "</text>");
		ck_assert(open_end != NULL && close != NULL && open_end < close);
		for (const char *q = open_end + 1; q < close; q++)
			ck_assert_msg(*q != '<' && *q != '>' && *q != '"',
				"raw markup in text at offset %td", q - svg);
	}
}

START_TEST(test_svg_structure_and_escaping)
{
	struct fixture f;
	setup(&f, PT_TIME_EMBEDDED);
	size_t s = find_one(&f, T_HOSTILE);
	char *svg = render_svg(&f, s);
	size_t len = strlen(svg);
	ck_assert(strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) == 0);
	ck_assert(len > 7 && strcmp(svg + len - 7, "</svg>\n") == 0);
	ck_assert_ptr_null(strchr(svg, 0x1b));
	assert_no_raw_controls(svg, false);
	/* The tag as text: markup escaped, the ESC as \x1b. */
	ck_assert_ptr_nonnull(strstr(svg, "&lt;&amp;\\x1b&gt; (nonpaged)"));
	assert_text_is_escaped(svg);
	/* One group per boot epoch; the gap splits the first epoch's line. */
	ck_assert_uint_eq(count(svg, "<g class=\"epoch\""), 2);
	ck_assert_uint_eq(count(svg, "<polyline"), 3);
	ck_assert_uint_eq(count(svg, "class=\"reboot\""), 1);
	ck_assert_uint_eq(count(svg, "class=\"onset\""),
		f.a.scores[s].has_onset ? 1 : 0);
	/* Ticks: 4 to 6 on each axis, human units and short dates. */
	size_t ylab = count(svg, " KB</text>");
	ck_assert_msg(ylab >= 4 && ylab <= 6, "%zu y ticks", ylab);
	size_t xlab = count(svg, ">09-21 ");
	ck_assert_msg(xlab >= 4 && xlab <= 6, "%zu x ticks", xlab);
	ck_assert_ptr_nonnull(strstr(svg, pt_verdict_name(f.a.scores[s].verdict)));
	ck_assert_ptr_nonnull(strstr(svg, "growth "));
	/* Deterministic. */
	char *again = render_svg(&f, s);
	ck_assert_str_eq(svg, again);
	free(again);

	/* Well-formed XML when xmllint is there to say so. */
	if (system("command -v xmllint >/dev/null 2>&1") == 0) {
		char path[] = "/tmp/pt-show-svg-XXXXXX";
		int fd = mkstemp(path);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(write(fd, svg, len), (ssize_t)len);
		close(fd);
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "xmllint --noout %s", path);
		int rc = system(cmd);
		unlink(path);
		ck_assert_msg(rc == 0, "xmllint rejected the SVG");
	}
	free(svg);

	/* A series that is flat and one that is never gapped render too. */
	svg = render_svg(&f, find_one(&f, T_IO));
	ck_assert_uint_eq(count(svg, "<g class=\"epoch\""), 2);
	ck_assert_uint_eq(count(svg, "<polyline"), 2);
	assert_text_is_escaped(svg);
	free(svg);
	ck_assert(!pt_show_write_svg(stdout, &f.a, f.a.ds.nseries,
		&(struct pt_error){0}));
	pt_analysis_finish(&f.a);
}
END_TEST

/* One snapshot, one row: nothing to scale, nothing may break. */
START_TEST(test_single_snapshot)
{
	struct pt_snapshot snap = {0};
	struct pt_row row = {0};
	memcpy(row.tag, "One ", 4);
	row.allocs = 5;
	row.frees = 5;
	row.bytes = 0;
	snap.rows = &row;
	snap.nrows = 1;
	snap.line = 1;
	struct pt_timed_snapshot timed = { &snap, "one.txt", 0 };
	struct pt_analysis a;
	memset(&a, 0, sizeof(a));
	struct pt_error err = {0};
	pt_diags_init(&a.diags);
	ck_assert(pt_dataset_build(&a.ds, &timed, 1, 0, &a.diags, &err));
	a.scores = pt_score_all(&a.ds, &err);
	ck_assert_ptr_nonnull(a.scores);
	a.time_source = PT_TIME_NAME;

	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	struct pt_show_opts o = { .unicode = true, .width = 100000, .height = -3 };
	ck_assert(pt_show_write_text(m, &a, 0, &o, &err));
	ck_assert(pt_show_write_svg(m, &a, 0, &err));
	fclose(m);
	assert_no_raw_controls(buf, false);
	ck_assert_ptr_nonnull(strstr(buf, "exhaustion:  none (not growing)"));
	const char *svg = strstr(buf, "<svg");
	ck_assert_ptr_nonnull(svg);
	assert_text_is_escaped(svg);
	ck_assert_uint_eq(count(svg, "<circle"), 1);
	ck_assert_uint_eq(count(svg, "<polyline"), 0);
	free(buf);
	pt_analysis_finish(&a);
}
END_TEST

static Suite *
show_suite(void)
{
	Suite *s = suite_create("show");
	TCase *tc = tcase_create("show");
	tcase_add_test(tc, test_find_exact_normalised_and_pools);
	tcase_add_test(tc, test_text_samples_reboot_gap_factors);
	tcase_add_test(tc, test_text_chart_unicode_and_size);
	tcase_add_test(tc, test_text_relative_times);
	tcase_add_test(tc, test_svg_structure_and_escaping);
	tcase_add_test(tc, test_single_snapshot);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pt_test_run(show_suite());
}
