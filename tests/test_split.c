/*
 * One large file parsed in parts on several workers (analysis.c,
 * split.c) gives exactly what the parse of the whole file gives: the same
 * snapshots, rows, series, scores, messages with the same lines, counts
 * and errors, wherever the cuts fall.  The cut size is lowered with the
 * hidden opts.split_part_bytes so that small files are cut at every
 * snapshot; cuts that do not join must fall back to the whole parse.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pooltrend/analysis.h"
#include "pooltrend/snapshot.h"
#include "src/split.h"
#include "testutil.h"

/* ---- building appended logs ---- */

struct buf {
	char *s;
	size_t len, cap;
};

static void
put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char line[512];
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	ck_assert(n >= 0 && (size_t)n < sizeof(line));
	if (b->len + (size_t)n + 1 > b->cap) {
		b->cap = (b->len + (size_t)n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		ck_assert_ptr_nonnull(b->s);
	}
	memcpy(b->s + b->len, line, (size_t)n + 1);
	b->len += (size_t)n;
}

enum {
	V_CRLF = 1 << 0,      /* poolmon's line ends */
	V_SUMMARY = 1 << 1,   /* -r: Memory/Commit lines before the header */
	V_STAMP = 1 << 2,     /* an ISO line before each snapshot */
	V_STAMP_AFTER = 1 << 3, /* a Clue line after each snapshot's rows */
	V_X86 = 1 << 4,       /* the x86 header and widths */
	V_MAPPED = 1 << 5,    /* -g: the Mapped_Driver column */
	V_JUNK = 1 << 6,      /* poolsnap-style !Key=Value lines before */
	V_BAD = 1 << 7,       /* a row with a number out of range now and then */
	V_DUP = 1 << 8,       /* a repeated row now and then */
	V_EMPTY = 1 << 9,     /* a header without rows now and then */
	V_REBOOT = 1 << 10,   /* counters restart half-way */
	V_WRAP_ONCE = 1 << 11, /* one row above 2^32 (warned once a file) */
	V_CTRL_Z = 1 << 12,   /* a final Ctrl-Z */
	V_RULE = 1 << 13,     /* a dashed rule and a title before the header */
	V_BLANKS = 1 << 14,   /* blank lines between snapshots */
	V_TABS = 1 << 15,     /* TAB-separated summary lines (realdump 19) */
	V_LONG = 1 << 16,     /* a line over 64 KiB now and then (skipped) */
	V_ECHO = 1 << 17,     /* a collector's command echo after the stamp */
	V_STRAY_CR = 1 << 18, /* a lone CR inside a row now and then (a line
	                         end, warned about) */
	V_CRCRLF = 1 << 19,   /* CR CR LF line ends (CR LF through text mode) */
};

#define H64 " Tag  Type     Allocs            Frees               Diff" \
	"            Bytes                 Per Alloc"
#define H86 " Tag  Type     Allocs         Frees    Diff   Bytes    Per Alloc"

static void
put_header(struct buf *b, unsigned v, const char *nl)
{
	put(b, "%s%s%s", v & V_X86 ? H86 : H64,
		v & V_MAPPED ? "    Mapped_Driver" : "", nl);
}

static void
put_row(struct buf *b, unsigned v, const char *tag, const char *type,
		long long allocs, long long frees, long long bytes, const char *nl)
{
	long long diff = allocs - frees;
	long long per = diff ? bytes / diff : bytes;
	if (v & V_X86)
		put(b, " %-4s %s %9lld %9lld %8lld %7lld %6lld%s%s", tag, type,
			allocs, frees, diff, bytes, per,
			v & V_MAPPED ? " [drv.sys - x]" : "", nl);
	else
		put(b, " %-4s %s %18lld %18lld %16lld %14lld %12lld%s%s", tag,
			type, allocs, frees, diff, bytes, per,
			v & V_MAPPED ? " [drv.sys - x]" : "", nl);
}

static const char *const tags[] = { "Abcd", "Leak", "Ntfs", "Io", "Dh 1",
	"Mm" };

static void
put_snapshot(struct buf *b, unsigned v, int i, int n)
{
	const char *nl = v & V_CRCRLF ? "\r\r\n" : v & V_CRLF ? "\r\n" : "\n";
	long long boot = (v & V_REBOOT) && i >= n / 2 ? i - n / 2 : i + 100;
	if ((v & V_LONG) && i % 10 == 5) {
		for (int k = 0; k < 700; k++)
			put(b, "%s", "long line long line long line long line long "
				"line long line long line long line long line lon");
		put(b, "%s", nl);
	}
	if (v & V_JUNK)
		put(b, "%s!LogType=poolsnap%s!ComputerName=HOST%s", nl, nl, nl);
	if (v & V_STAMP)
		put(b, "2026-11-02T%02d:%02d:00%s", 8 + i / 60, i % 60, nl);
	if (v & V_ECHO)
		put(b, "C:\\>poolmon -b -r -n log%s", nl);
	if (v & V_RULE)
		put(b, " ------------------------------%s"
			" System pool information%s", nl, nl);
	if (v & V_SUMMARY) {
		const char *sep = v & V_TABS ? "\t" : "  ";
		put(b, " Memory: 8388148K Avail: 4194304K%sPageFlts:%lld"
			"   InRam Krnl: 9096K P:53432K%s", sep, 1000 * boot, nl);
		put(b, " Commit: 5000000K Limit:9000000K Peak:6000000K"
			"%sPool N:%lldK P:60000K%s%s", sep, 200000 + boot, nl, nl);
	}
	put_header(b, v, nl);
	if ((v & V_EMPTY) && i % 7 == 3)
		return;
	for (size_t t = 0; t < sizeof(tags) / sizeof(tags[0]); t++) {
		long long allocs = boot * (long long)(t + 3) * 17 + 1000;
		long long frees = allocs - (t == 1 ? boot * 5 : (long long)t + 10);
		put_row(b, v, tags[t], t % 2 ? "Paged" : "Nonp ", allocs, frees,
			(allocs - frees) * 64, nl);
	}
	if ((v & V_BAD) && i % 5 == 2)
		put(b, " Bad1 Nonp  99999999999999999999999 1 1 1 1%s", nl);
	if ((v & V_DUP) && i % 4 == 1)
		put_row(b, v, tags[0], "Nonp ", 1, 1, 1, nl);
	if ((v & V_STRAY_CR) && i % 6 == 4)
		put_row(b, v, "Le\rk", "Nonp ", 9, 1, 512, nl);
	if ((v & V_WRAP_ONCE) && i == n - 2)
		put_row(b, v & ~(unsigned)V_X86, "Wrap", "Nonp ", 5000000000LL,
			4999999000LL, 64000, nl);
	if (v & V_STAMP_AFTER)
		put(b, "2026.11.02-%02d:%02d:30%s", 8 + i / 60, i % 60, nl);
	if (v & V_BLANKS)
		put(b, "%s", nl);
}

static struct buf
appended_log(unsigned v, int n)
{
	struct buf b = { NULL, 0, 0 };
	for (int i = 0; i < n; i++)
		put_snapshot(&b, v, i, n);
	if (v & V_CTRL_Z)
		put(&b, "\x1a");
	return b;
}

static void
write_all(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* ---- comparing two analyses ---- */

static void
assert_same_diags(const struct pt_diags *a, const struct pt_diags *b)
{
	ck_assert_uint_eq(a->len, b->len);
	ck_assert_uint_eq(a->dropped, b->dropped);
	for (size_t i = 0; i < a->len; i++) {
		ck_assert_int_eq(a->items[i].severity, b->items[i].severity);
		ck_assert(pt_test_same_text(a->items[i].file, b->items[i].file));
		ck_assert_msg(a->items[i].line == b->items[i].line,
			"message %zu: line %ld, split %ld: %s", i,
			a->items[i].line, b->items[i].line, a->items[i].msg);
		ck_assert_str_eq(a->items[i].msg, b->items[i].msg);
	}
}

/* Everything a report is made of. */
static void
assert_same_analysis(const struct pt_analysis *a, const struct pt_analysis *b)
{
	assert_same_diags(&a->diags, &b->diags);
	ck_assert_uint_eq(a->files_read, b->files_read);
	ck_assert_uint_eq(a->files_with_snapshots, b->files_with_snapshots);
	ck_assert_uint_eq(a->snapshots_found, b->snapshots_found);
	ck_assert_uint_eq(a->rows, b->rows);
	ck_assert_uint_eq(a->skipped_lines, b->skipped_lines);
	ck_assert_uint_eq(a->skipped_inputs, b->skipped_inputs);
	ck_assert_uint_eq(a->neg_fixed_rows, b->neg_fixed_rows);
	ck_assert(a->mixed_machines == b->mixed_machines);
	ck_assert_int_eq(a->time_source, b->time_source);
	pt_test_assert_same_dataset(&a->ds, &b->ds);
	ck_assert((a->scores == NULL) == (b->scores == NULL));
	for (size_t s = 0; a->scores != NULL && s < a->ds.nseries; s++)
		ck_assert(memcmp(&a->scores[s], &b->scores[s],
			sizeof(a->scores[s])) == 0);
}

struct tally {
	size_t runs, split, undone;
};

static bool
run(const char *path, const struct pt_analysis_opts *o, struct pt_analysis *a,
		struct pt_error *err)
{
	const char *operands[] = { path };
	memset(err, 0, sizeof(*err));
	return pt_analysis_run(operands, 1, o, a, err);
}

/*
 * The analysis of path parsed whole against the same cut into parts of
 * every size in sizes (0-terminated), with 1 and 3 threads, keeping the
 * rows or reading the file twice.
 */
static struct tally
assert_splits_same(const char *path, const struct pt_analysis_opts *base,
		const uint64_t *sizes)
{
	struct tally t = { 0, 0, 0 };
	struct pt_analysis_opts o = *base;
	o.threads = 1;
	o.split_part_bytes = 0;
	struct pt_analysis whole;
	struct pt_error werr;
	bool wok = run(path, &o, &whole, &werr);
	ck_assert_uint_eq(whole.files_split + whole.splits_undone, 0);
	for (const uint64_t *sz = sizes; *sz != 0; sz++)
		for (int k = 0; k < 4; k++) {
			o = *base;
			o.split_part_bytes = *sz;
			o.threads = k % 2 ? 3 : 1;
			if (k >= 2)
				o.max_held_bytes = 0;
			struct pt_analysis a;
			struct pt_error err;
			bool ok = run(path, &o, &a, &err);
			ck_assert_msg(ok == wok, "%s, parts of %llu: %s", path,
				(unsigned long long)*sz, ok ? werr.msg : err.msg);
			if (!ok)
				ck_assert_str_eq(err.msg, werr.msg);
			assert_same_analysis(&whole, &a);
			t.runs++;
			t.split += a.files_split;
			t.undone += a.splits_undone;
			pt_analysis_finish(&a);
		}
	pt_analysis_finish(&whole);
	return t;
}

static const uint64_t many_sizes[] = { 40, 101, 257, 613, 1499, 4001, 0 };

static struct tally
check_variant(unsigned v, int n, const struct pt_analysis_opts *o)
{
	char path[] = "/tmp/pooltrend-test-split-XXXXXX";
	pt_test_make_temp(path);
	struct buf b = appended_log(v, n);
	write_all(path, b.s, b.len);
	struct tally t = assert_splits_same(path, o, many_sizes);
	free(b.s);
	unlink(path);
	return t;
}

/* ---- the cut finder ---- */

/* The cut in text, which starts at the last cut when at_cut. */
static size_t
cut_in_at(const char *text, size_t from, bool at_cut)
{
	size_t cut;
	if (!pt_split_cut_in((const unsigned char *)text, strlen(text), from,
			at_cut, &cut))
		return SIZE_MAX;
	return cut;
}

static size_t
cut_in(const char *text, size_t from)
{
	return cut_in_at(text, from, false);
}

/* Lines between snapshots (a command echo after the timestamp) go with
 * the snapshot after, back to the last row of the one before; when they
 * reach back to the last cut, there is no cut at that header. */
START_TEST(test_cut_goes_back_over_lines_between_snapshots)
{
	const char *t = "x\n Abcd Nonp 1 1 0 0 0\n2026-11-02T08:00:00\n"
		"C:\\>poolmon -b -r -n log\n\n" H64 "\n Abcd Nonp 2 1 1 64 64\n"
		"2026-11-02T08:15:00\nC:\\>poolmon -b -r -n log\n\n" H64 "\n";
	size_t first_row_end = (size_t)(strstr(t, " 0 0 0\n") - t) + 7;
	ck_assert_uint_eq(cut_in_at(t, 3, false), first_row_end);
	ck_assert_uint_eq(cut_in_at(t, 3, true), first_row_end);
	/* From the last cut: the first snapshot's lines reach back to it,
	 * so the next header is the one cut at. */
	const char *u = t + first_row_end;
	size_t second_row_end = (size_t)(strstr(u, " 64 64\n") - u) + 7;
	ck_assert_uint_eq(cut_in_at(u, 0, true), second_row_end);
	/* Not known to start at a cut: the start found before the echo. */
	size_t echo_end = (size_t)(strstr(u, "log\n") - u) + 4;
	ck_assert_uint_eq(cut_in_at(u, 0, false), echo_end);
}
END_TEST

START_TEST(test_cut_goes_back_over_snapshot_start)
{
	const char *t = "x\n" H64 "\n Abcd Nonp 1 1 0 0 0\n\n"
		"2026-11-02T08:00:00\n Memory: 1K Avail: 1K\n" H64 "\n";
	/* The second snapshot begins at its blank line. */
	size_t second = (size_t)(strstr(t, " 0 0 0\n") - t) + 7;
	ck_assert_uint_eq(cut_in(t, 5), second);
	/* Only a line seen whole is known to start a snapshot or not. */
	ck_assert_uint_eq(cut_in("y\n" H64 "\n", 0), SIZE_MAX);
	ck_assert_uint_eq(cut_in("x\ny\n" H64 "\n", 0), 4);
	/* From inside that start, the same cut, even though before from. */
	ck_assert_uint_eq(cut_in(t, second + 1), second);
	/* None after the last header. */
	ck_assert_uint_eq(cut_in(t, strlen(t) - 3), SIZE_MAX);
	/* CRLF: the cut is after the LF. */
	const char *c = "x\r\n Abcd Nonp 1 1 0 0 0\r\n" H64 "\r\n";
	ck_assert_uint_eq(cut_in(c, 1),
		strlen("x\r\n Abcd Nonp 1 1 0 0 0\r\n"));
	/* After a line that ends in Ctrl-Z: the whole parse keeps it, the
	 * end of a part would drop it. */
	ck_assert_uint_eq(cut_in("x\r\n Ab Nonp 1\x1a\r\n\r\n" H64 "\r\n",
		1), SIZE_MAX);
	/* A row right before the header stays in the part before. */
	const char *r = H64 "\n Abcd Nonp 1 1 0 0 0\n" H64 "\n";
	ck_assert_uint_eq(cut_in(r, 1), strlen(H64 "\n Abcd Nonp 1 1 0 0 0\n"));
}
END_TEST

START_TEST(test_utf16_not_cut)
{
	char path[] = "/tmp/pooltrend-test-split-XXXXXX";
	pt_test_make_temp(path);
	struct buf b = appended_log(V_STAMP, 50);
	/* "\xff\xfe" then the 8-bit text: the BOM alone decides. */
	char *u = malloc(b.len + 2);
	ck_assert_ptr_nonnull(u);
	memcpy(u, "\xff\xfe", 2);
	memcpy(u + 2, b.s, b.len);
	write_all(path, u, b.len + 2);
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	uint64_t *cuts;
	size_t n;
	ck_assert(pt_split_find(fileno(f), b.len + 2, 100, &cuts, &n));
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(cuts);
	fclose(f);
	/* Without the BOM it is cut. */
	write_all(path, b.s, b.len);
	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	ck_assert(pt_split_find(fileno(f), b.len, 1000, &cuts, &n));
	ck_assert_uint_gt(n, 3);
	for (size_t i = 0; i < n; i++) {
		ck_assert(cuts[i] > 0 && cuts[i] < b.len);
		ck_assert(i == 0 || cuts[i] > cuts[i - 1]);
		ck_assert(b.s[cuts[i] - 1] == '\n');
	}
	free(cuts);
	fclose(f);
	free(u);
	free(b.s);
	unlink(path);
}
END_TEST

/* A header far past the target is found reading a step at a time. */
START_TEST(test_cut_far_from_target)
{
	char path[] = "/tmp/pooltrend-test-split-XXXXXX";
	pt_test_make_temp(path);
	struct buf b = { NULL, 0, 0 };
	put(&b, "x\n");
	put_header(&b, 0, "\n");
	put_row(&b, 0, "Abcd", "Nonp ", 100, 50, 640, "\n");
	while (b.len < 700000)
		put(&b, "junk junk junk junk junk junk junk junk junk junk\n");
	size_t start = b.len;
	put(&b, "2026-11-02T08:00:00\n");
	put_header(&b, 0, "\n");
	put_row(&b, 0, "Abcd", "Nonp ", 100, 50, 640, "\n");
	write_all(path, b.s, b.len);
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	uint64_t *cuts;
	size_t n;
	/* Two parts: the target is the middle of the junk, 350 KB before. */
	ck_assert(pt_split_find(fileno(f), b.len, b.len / 2, &cuts, &n));
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(cuts[0], start);
	free(cuts);
	fclose(f);
	free(b.s);
	unlink(path);
}
END_TEST

/* ---- the parser's seam ---- */

static bool
ignore_snapshot(void *ctx, size_t index, const struct pt_snapshot *snap)
{
	(void)ctx;
	(void)index;
	(void)snap;
	return true;
}

static struct pt_parse_seam
seam_of(const char *text)
{
	struct pt_error err;
	struct pt_parser *p = pt_parser_create(&err);
	ck_assert_ptr_nonnull(p);
	struct pt_parse_result r;
	struct pt_diags d;
	pt_diags_init(&d);
	struct pt_parse_stream *st = pt_parse_stream_begin(p, "x", &r, &d, 0,
		ignore_snapshot, NULL, &err);
	ck_assert_ptr_nonnull(st);
	ck_assert(pt_parse_stream_feed(st, text, strlen(text)));
	struct pt_parse_seam seam;
	ck_assert(pt_parse_stream_end_seam(st, true, &seam));
	pt_parse_result_finish(&r);
	pt_diags_finish(&d);
	pt_parser_destroy(p);
	return seam;
}

#define ROW " Abcd Nonp 100 40 60 6000 100\n"

START_TEST(test_seam)
{
	struct pt_parse_seam s = seam_of("\n2026-11-02T08:00:00\n" H64 "\n" ROW);
	ck_assert(!s.acted_before_header && !s.pending_at_end);
	ck_assert_int_eq(s.junk_before_header, 0);
	/* Lines an open snapshot would have taken. */
	ck_assert(seam_of(ROW H64 "\n" ROW).acted_before_header);
	ck_assert(seam_of("Total Nonp  1 (0) 1 (0) 0 0 (0) 0\n" H64 "\n")
		.acted_before_header);
	ck_assert(seam_of("ERROR: Number of Pool Tags Exceeds Buffer Size in "
		"PoolSnap, List Truncated\n" H64 "\n").acted_before_header);
	/* A skipped line would have ended it. */
	s = seam_of("!LogType=poolsnap\nx\n" H64 "\n" ROW "junk\n");
	ck_assert(!s.acted_before_header);
	ck_assert_int_eq(s.junk_before_header, 2);
	/* Lines left for a next header. */
	ck_assert(seam_of(H64 "\n" ROW "2026-11-02T08:00:00\n").pending_at_end);
	ck_assert(seam_of(H64 "\n" ROW " Memory: 8388148K Avail: 4194304K  "
		"PageFlts:1   InRam Krnl: 9096K P:53432K\n").pending_at_end);
	ck_assert(seam_of(H64 "\n" ROW " System pool information\n")
		.pending_at_end);
	ck_assert(seam_of(H64 "\n" ROW " Ab Nonp 1\x1a\n").pending_at_end);
	/* A stamp stays pending over rows, a summary does not. */
	ck_assert(seam_of(H64 "\n2026-11-02T08:00:00\n" ROW).pending_at_end);
	ck_assert(!seam_of(H64 "\n Memory: 8388148K Avail: 4194304K  "
		"PageFlts:1   InRam Krnl: 9096K P:53432K\n" ROW).pending_at_end);
}
END_TEST

/* ---- whole against parts ---- */

START_TEST(test_variants_join)
{
	/* Every variant alone and some together; each must be cut and
	 * joined, with the results of the whole parse. */
	static const unsigned variants[] = {
		0, V_CRLF, V_SUMMARY, V_STAMP, V_STAMP_AFTER, V_X86, V_MAPPED,
		V_JUNK, V_BAD, V_DUP, V_EMPTY, V_REBOOT, V_WRAP_ONCE, V_CTRL_Z,
		V_RULE, V_BLANKS, V_SUMMARY | V_TABS, V_LONG | V_STAMP,
		V_CRLF | V_SUMMARY | V_STAMP | V_MAPPED | V_REBOOT | V_CTRL_Z,
		V_CRLF | V_X86 | V_JUNK | V_EMPTY | V_DUP | V_BLANKS,
		V_STAMP | V_RULE | V_SUMMARY | V_BAD | V_WRAP_ONCE,
		V_STAMP | V_ECHO | V_SUMMARY, V_CRLF | V_STAMP | V_ECHO,
		V_CRCRLF | V_SUMMARY | V_STAMP,
	};
	struct pt_analysis_opts o;
	pt_analysis_opts_init(&o);
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		struct tally t = check_variant(variants[i], 40, &o);
		ck_assert_msg(t.split > 0, "variant %#x never split", variants[i]);
		ck_assert_msg(t.undone == 0, "variant %#x: %zu undone",
			variants[i], t.undone);
	}
}
END_TEST

START_TEST(test_seams_that_do_not_join)
{
	struct pt_analysis_opts o;
	pt_analysis_opts_init(&o);
	/* More than PT_PARSE_NUMBER_DIAGS bad rows across the parts. */
	struct tally t = check_variant(V_BAD | V_STAMP, 150, &o);
	ck_assert_uint_gt(t.undone, 0);
	/* Lone CRs in a part: their warning is the whole file's (count and
	 * first line), so the file is parsed whole. */
	static const unsigned lone_cr[] = { V_STRAY_CR,
		V_CRLF | V_STRAY_CR | V_SUMMARY | V_STAMP,
		V_CRCRLF | V_SUMMARY | V_STAMP | V_STRAY_CR };
	for (size_t i = 0; i < sizeof(lone_cr) / sizeof(lone_cr[0]); i++) {
		t = check_variant(lone_cr[i], 40, &o);
		ck_assert_msg(t.undone > 0 && t.split == 0,
			"variant %#x: %zu split, %zu undone", lone_cr[i], t.split,
			t.undone);
	}
	/* The modulo warning given in two parts. */
	char path[] = "/tmp/pooltrend-test-split-XXXXXX";
	pt_test_make_temp(path);
	struct buf b = appended_log(V_STAMP, 20);
	struct buf w = { NULL, 0, 0 };
	for (int i = 0; i < 20; i++) {
		put_snapshot(&w, V_STAMP, i, 20);
		put_row(&w, 0, "Wrap", "Nonp ", 5000000000LL + i, 4999999000LL,
			64000, "\n");
	}
	write_all(path, w.s, w.len);
	t = assert_splits_same(path, &o, many_sizes);
	ck_assert_uint_gt(t.undone, 0);
	/* A junk line between the stamp and the header used to leave the
	 * stamp pending in the part before (no join); the cut now goes back
	 * to the last row, and the parts join. */
	free(w.s);
	w = (struct buf){ NULL, 0, 0 };
	for (int i = 0; i < 20; i++) {
		put(&w, "2026-11-02T08:%02d:00\nnot poolmon\n", i);
		put_header(&w, 0, "\n");
		put_row(&w, 0, "Abcd", "Nonp ", 100 + i, 50, 640, "\n");
	}
	write_all(path, w.s, w.len);
	t = assert_splits_same(path, &o, many_sizes);
	ck_assert_uint_gt(t.split, 0);
	ck_assert_uint_eq(t.undone, 0);
	/* A line that looks like a header to the cut finder but is not one,
	 * among a snapshot's rows: the part after it starts with rows. */
	free(w.s);
	w = (struct buf){ NULL, 0, 0 };
	for (int i = 0; i < 20; i++) {
		put(&w, "2026-11-02T08:%02d:00\n", i);
		put_header(&w, 0, "\n");
		put_row(&w, 0, "Abcd", "Nonp ", 100 + i, 50, 640, "\n");
		put(&w, "Tag Type (not a header)\n");
		put_row(&w, 0, "Efgh", "Nonp ", 100 + i, 50, 640, "\n");
	}
	write_all(path, w.s, w.len);
	t = assert_splits_same(path, &o, many_sizes);
	ck_assert_uint_gt(t.undone, 0);
	free(w.s);
	free(b.s);
	unlink(path);
}
END_TEST

/* More headers without rows than are reported: counted across parts. */
START_TEST(test_many_empty_snapshots)
{
	char path[] = "/tmp/pooltrend-test-split-XXXXXX";
	pt_test_make_temp(path);
	struct buf w = { NULL, 0, 0 };
	for (int i = 0; i < 1100; i++) {
		put(&w, "2026-11-02T%02d:%02d:00\n", i / 60 % 24, i % 60);
		put_header(&w, 0, "\n");
		if (i % 100 == 0)
			put_row(&w, 0, "Abcd", "Nonp ", 100 + i, 50, 640, "\n");
	}
	write_all(path, w.s, w.len);
	struct pt_analysis_opts o;
	pt_analysis_opts_init(&o);
	o.no_scores = true;
	static const uint64_t sizes[] = { 5000, 30001, 0 };
	struct tally t = assert_splits_same(path, &o, sizes);
	ck_assert_uint_gt(t.undone, 0);
	free(w.s);
	unlink(path);
}
END_TEST

/* The cell limit: the same error, with the counts of the whole parse. */
START_TEST(test_cell_limit)
{
	struct pt_analysis_opts o;
	pt_analysis_opts_init(&o);
	o.max_cells = 6 * 25;
	struct tally t = check_variant(V_STAMP, 40, &o);
	ck_assert_uint_eq(t.split, 0);
	o.max_cells = 6 * 40;   /* just fits */
	t = check_variant(V_STAMP, 40, &o);
	ck_assert_uint_gt(t.split, 0);
}
END_TEST

/* Real samples: every format variant there is, cut everywhere. */
static void
check_dir(const char *dir, size_t *files, size_t *split)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *e;
	static const uint64_t sizes[] = { 64, 333, 2048, 0 };
	struct pt_analysis_opts o;
	pt_analysis_opts_init(&o);
	o.no_scores = true;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (e->d_name[0] == '.' || (n > 7 &&
				strcmp(e->d_name + n - 7, ".source") == 0))
			continue;
		char path[4096];
		(void)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		struct tally t = assert_splits_same(path, &o, sizes);
		(*files)++;
		*split += t.split > 0;
	}
	closedir(d);
}

START_TEST(test_real_samples)
{
	size_t files = 0, split = 0;
	check_dir(TESTDATA_DIR "/reboot-wrap", &files, &split);
	check_dir(TESTDATA_DIR "/forced-mtime-appended", &files, &split);
	check_dir(SHARED_DIR "/data/samples", &files, &split);
	check_dir(SHARED_DIR "/data/realdumps", &files, &split);
	ck_assert_uint_gt(files, 0);
	ck_assert_uint_gt(split, 0);
}
END_TEST

/* ---- a file that changes between the two reads ---- */

/* Rewrites path with text once `after` inputs are read (0: all). */
struct rewrite {
	const char *path;
	const struct buf *text;
	size_t after;
};

static void
rewrite_when_read(void *ctx, size_t done, size_t total)
{
	struct rewrite *r = ctx;
	if (done == (r->after ? r->after : total) && r->text != NULL) {
		write_all(r->path, r->text->s, r->text->len);
		r->text = NULL;
	}
}

/* path written as before, then loaded reading it twice with between
 * written after the first read, whole (split 0) or in parts. */
static bool
load_rewritten(const char *path, const struct buf *before,
		const struct buf *between, uint64_t split, struct pt_analysis *a,
		struct pt_error *err)
{
	write_all(path, before->s, before->len);
	struct rewrite r = { path, between, 0 };
	struct pt_analysis_opts o;
	pt_analysis_opts_init(&o);
	o.max_held_bytes = 0;
	o.threads = 2;
	o.split_part_bytes = split;
	o.progress = rewrite_when_read;
	o.progress_ctx = &r;
	return run(path, &o, a, err);
}

START_TEST(test_changed_between_reads)
{
	char path[] = "/tmp/pooltrend-test-split-XXXXXX";
	pt_test_make_temp(path);
	struct buf b = appended_log(V_STAMP | V_SUMMARY, 30);
	struct buf c = appended_log(V_STAMP | V_SUMMARY, 30);
	/* A digit changed in a row in the middle: same length. */
	char *row = strstr(c.s + c.len / 2, " Leak Paged");
	ck_assert_ptr_nonnull(row);
	char *digit = strpbrk(row + 12, "123456789");
	*digit = *digit == '9' ? '8' : (char)(*digit + 1);
	char whole_msg[sizeof(((struct pt_error *)0)->msg)];
	for (int split = 0; split < 2; split++) {
		struct pt_analysis a;
		struct pt_error err;
		ck_assert(!load_rewritten(path, &b, &c, split ? 500 : 0, &a, &err));
		ck_assert_msg(strstr(err.msg, "changed while it was being read"),
			"%s", err.msg);
		if (split)
			ck_assert_str_eq(err.msg, whole_msg);
		else
			memcpy(whole_msg, err.msg, sizeof(whole_msg));
		pt_analysis_finish(&a);
	}
	free(b.s);
	free(c.s);
	unlink(path);
}
END_TEST

/* A log still being written: grown between the two reads, it loads what
 * the first read saw, split or not. */
START_TEST(test_grown_between_reads)
{
	char path[] = "/tmp/pooltrend-test-split-XXXXXX";
	pt_test_make_temp(path);
	struct buf b = appended_log(V_STAMP | V_SUMMARY, 30);
	struct buf grown = appended_log(V_STAMP | V_SUMMARY, 31);
	struct pt_analysis whole, a;
	for (int split = 0; split < 2; split++) {
		struct pt_error err;
		ck_assert_msg(load_rewritten(path, &b, &grown, split ? 700 : 0,
			split ? &a : &whole, &err), "%s", err.msg);
	}
	ck_assert_uint_eq(whole.ds.nsnap, 30);
	ck_assert_uint_gt(a.files_split, 0);
	assert_same_analysis(&whole, &a);
	pt_analysis_finish(&whole);
	pt_analysis_finish(&a);
	free(b.s);
	free(grown.s);
	unlink(path);
}
END_TEST

/*
 * A second input planned as before and rewritten as after before its
 * parts are read loads as after loads whole: the parts must see for
 * themselves that the plan no longer fits.
 */
static void
assert_rewritten_after_plan_loads_whole(const struct buf *before,
		const struct buf *after)
{
	char first[] = "/tmp/pooltrend-test-split-XXXXXX";
	char second[] = "/tmp/pooltrend-test-split-XXXXXX";
	pt_test_make_temp(first);
	pt_test_make_temp(second);
	struct buf head = appended_log(V_STAMP, 1);
	write_all(first, head.s, head.len);
	write_all(second, before->s, before->len);
	const char *operands[] = { first, second };
	/* One thread: the second input's parts, planned already, are read
	 * after the first input is done. */
	struct rewrite r = { second, after, 1 };
	struct pt_analysis_opts o;
	pt_analysis_opts_init(&o);
	o.threads = 1;
	o.split_part_bytes = 200;
	o.progress = rewrite_when_read;
	o.progress_ctx = &r;
	struct pt_analysis split, whole;
	struct pt_error err = {0};
	struct stat planned;
	ck_assert_int_eq(stat(second, &planned), 0);
	ck_assert_msg(pt_analysis_run(operands, 2, &o, &split, &err), "%s",
		err.msg);
	ck_assert_ptr_null(r.text);
	/* The times the first run read (listed before the rewrite). */
	struct timespec times[2] = { planned.st_atim, planned.st_mtim };
	ck_assert_int_eq(utimensat(AT_FDCWD, second, times, 0), 0);
	o.split_part_bytes = 0;
	o.progress = NULL;
	ck_assert_msg(pt_analysis_run(operands, 2, &o, &whole, &err), "%s",
		err.msg);
	ck_assert_uint_gt(split.splits_undone, 0);
	assert_same_analysis(&whole, &split);
	pt_analysis_finish(&split);
	pt_analysis_finish(&whole);
	free(head.s);
	unlink(first);
	unlink(second);
}

/* Re-saved as UTF-16 (PowerShell) after the plan: the later parts would
 * read UTF-16 as bytes. */
START_TEST(test_resaved_as_utf16_after_plan)
{
	struct buf b = appended_log(V_STAMP | V_SUMMARY, 12);
	struct buf u = { NULL, 0, 0 };
	u.cap = 2 + 2 * b.len;
	u.s = malloc(u.cap);
	ck_assert_ptr_nonnull(u.s);
	u.s[0] = (char)0xFF;
	u.s[1] = (char)0xFE;
	for (size_t i = 0; i < b.len; i++) {
		u.s[2 + 2 * i] = b.s[i];
		u.s[3 + 2 * i] = 0;
	}
	u.len = u.cap;
	assert_rewritten_after_plan_loads_whole(&b, &u);
	free(b.s);
	free(u.s);
}
END_TEST

/* A line end before a cut turned into CR LF after the plan, same length:
 * the CR would have folded the part's first LF into its line.  Each
 * snapshot ends in a row and a line of one blank; the cuts fall after the
 * row, and " \n" after it becomes "\r\n" + an empty line. */
START_TEST(test_cr_before_cut_after_plan)
{
	struct buf b = { NULL, 0, 0 };
	for (int i = 0; i < 12; i++) {
		struct buf one = appended_log(V_SUMMARY, 1);
		for (char *line = strtok(one.s, "\n"); line != NULL;
				line = strtok(NULL, "\n"))
			put(&b, "%s\n", line);
		put(&b, " \n");
		free(one.s);
	}
	struct buf c = { malloc(b.len + 1), b.len, b.len + 1 };
	ck_assert_ptr_nonnull(c.s);
	memcpy(c.s, b.s, b.len + 1);
	for (char *p = c.s; (p = strstr(p, "\n \n")) != NULL; p += 3)
		memcpy(p, "\r\n\n", 3);
	assert_rewritten_after_plan_loads_whole(&b, &c);
	free(b.s);
	free(c.s);
}
END_TEST

struct progress_log {
	char text[4096];
	size_t len;
};

static void
log_progress(void *ctx, size_t done, size_t total)
{
	struct progress_log *l = ctx;
	int n = snprintf(l->text + l->len, sizeof(l->text) - l->len, "%zu/%zu ",
		done, total);
	ck_assert(n > 0 && (size_t)n < sizeof(l->text) - l->len);
	l->len += (size_t)n;
}

/* Progress counts files, not parts, in both rounds. */
START_TEST(test_progress_counts_files)
{
	char path[] = "/tmp/pooltrend-test-split-XXXXXX";
	pt_test_make_temp(path);
	struct buf b = appended_log(V_STAMP, 30);
	write_all(path, b.s, b.len);
	struct progress_log logs[2];
	for (int split = 0; split < 2; split++) {
		logs[split].len = 0;
		logs[split].text[0] = '\0';
		struct pt_analysis_opts o;
		pt_analysis_opts_init(&o);
		o.max_held_bytes = 0;
		o.threads = 1;
		o.no_scores = true;
		o.split_part_bytes = split ? 300 : 0;
		o.progress = log_progress;
		o.progress_ctx = &logs[split];
		struct pt_analysis a;
		struct pt_error err;
		ck_assert_msg(run(path, &o, &a, &err), "%s", err.msg);
		ck_assert_uint_eq(a.files_split, (size_t)split);
		pt_analysis_finish(&a);
	}
	ck_assert_str_eq(logs[0].text, logs[1].text);
	free(b.s);
	unlink(path);
}
END_TEST

static Suite *
split_suite(void)
{
	Suite *s = suite_create("split");
	TCase *tc = tcase_create("split");
	tcase_set_timeout(tc, 100);
	tcase_add_test(tc, test_cut_goes_back_over_snapshot_start);
	tcase_add_test(tc, test_cut_goes_back_over_lines_between_snapshots);
	tcase_add_test(tc, test_utf16_not_cut);
	tcase_add_test(tc, test_cut_far_from_target);
	tcase_add_test(tc, test_seam);
	tcase_add_test(tc, test_variants_join);
	tcase_add_test(tc, test_seams_that_do_not_join);
	tcase_add_test(tc, test_many_empty_snapshots);
	tcase_add_test(tc, test_cell_limit);
	tcase_add_test(tc, test_real_samples);
	tcase_add_test(tc, test_changed_between_reads);
	tcase_add_test(tc, test_grown_between_reads);
	tcase_add_test(tc, test_progress_counts_files);
	tcase_add_test(tc, test_resaved_as_utf16_after_plan);
	tcase_add_test(tc, test_cr_before_cut_after_plan);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pt_test_run(split_suite());
}
