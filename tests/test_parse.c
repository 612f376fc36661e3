/* Unit tests for the snapshot parser (src/parse.c). */
#include <check.h>
#include <dirent.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pooltrend/decode.h"
#include "pooltrend/diag.h"
#include "pooltrend/snapshot.h"
#include "pooltrend/timestamp.h"
#include "testutil.h"

/* Layouts of FORMAT.md 1.3, as poolmon's printf strings. */
#define H64 " Tag  Type     Allocs            Frees               Diff" \
	"            Bytes                 Per Alloc"
#define H64G H64 "       Mapped_Driver"
#define H86 " Tag  Type     Allocs         Frees    Diff   Bytes    Per Alloc"
#define H86G H86 "    Mapped_Driver"

static struct pt_parser *parser;
static struct pt_parse_result res;
static struct pt_diags diags;

static void
setup(void)
{
	struct pt_error err = {0};
	parser = pt_parser_create(&err);
	ck_assert_msg(parser != NULL, "%s", err.msg);
	pt_diags_init(&diags);
	memset(&res, 0, sizeof(res));
}

static void
teardown(void)
{
	pt_parse_result_finish(&res);
	pt_diags_finish(&diags);
	pt_parser_destroy(parser);
}

static void
parse_n(const char *text, size_t len)
{
	struct pt_error err = {0};
	pt_parse_result_finish(&res);
	pt_diags_finish(&diags);
	pt_diags_init(&diags);
	ck_assert_msg(pt_parse_text(parser, text, len, "t.txt", &res, &diags,
		&err), "%s", err.msg);
}

static void
parse(const char *text)
{
	parse_n(text, strlen(text));
}

/* A text assembled from printf pieces; one per test is enough. */
static char textbuf[1 << 16];
static size_t textlen;

static void
text_reset(void)
{
	textlen = 0;
	textbuf[0] = '\0';
}

__attribute__((format(printf, 1, 2)))
static void
text_add(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(textbuf + textlen, sizeof(textbuf) - textlen, fmt, ap);
	va_end(ap);
	ck_assert(n >= 0 && (size_t)n < sizeof(textbuf) - textlen);
	textlen += (size_t)n;
}

/* An x64 -n row exactly as poolmon prints it (%4s pads short tags left). */
static void
x64_row(const char *tag, const char *type, long long allocs, long long frees,
		long long diff, long long bytes, long long per, const char *mapped)
{
	text_add(" %4s %5s %18lld %18lld  %16lld %14lld     %12lld        %s\n",
		tag, type, allocs, frees, diff, bytes, per, mapped);
}

static void
x86_row(const char *tag, const char *type, long allocs, long frees, long diff,
		long bytes, long per)
{
	text_add(" %4s %5s %9ld %9ld  %8ld %7ld     %6ld        \n",
		tag, type, allocs, frees, diff, bytes, per);
}

static void
assert_tag(const struct pt_row *r, const char *tag4)
{
	ck_assert_msg(memcmp(r->tag, tag4, 4) == 0,
		"tag %02x%02x%02x%02x, expected '%.4s'", r->tag[0], r->tag[1],
		r->tag[2], r->tag[3], tag4);
}

static size_t
warnings(void)
{
	return pt_diags_count(&diags, PT_SEV_WARNING);
}

/* ---- line kinds ---- */

START_TEST(test_x64_row)
{
	text_reset();
	text_add("\n" H64 "\n\n");
	x64_row("File", "Nonp ", 44288592, 43651808, 636784, 254683680, 399, "");
	parse(textbuf);
	ck_assert_uint_eq(res.nsnaps, 1);
	ck_assert_uint_eq(res.lines, 4);
	ck_assert_uint_eq(res.skipped, 0);
	const struct pt_snapshot *s = &res.snaps[0];
	ck_assert_int_eq(s->line, 2);
	ck_assert_int_eq(s->end_line, 4);
	ck_assert_int_eq(s->layout, PT_LAYOUT_X64);
	ck_assert(!s->has_mapped && !s->loose && !s->has_totals);
	ck_assert_ptr_null(s->title);
	ck_assert_uint_eq(s->nrows, 1);
	const struct pt_row *r = &s->rows[0];
	assert_tag(r, "File");
	ck_assert_int_eq(r->pool, PT_POOL_NONPAGED);
	ck_assert_int_eq(r->allocs, 44288592);
	ck_assert_int_eq(r->frees, 43651808);
	ck_assert_int_eq(r->diff, 636784);
	ck_assert_int_eq(r->bytes, 254683680);
	ck_assert_int_eq(r->per_alloc, 399);
	ck_assert_uint_eq(r->flags, 0);
	ck_assert_ptr_null(r->mapped);
	ck_assert_int_eq(r->line, 4);
}
END_TEST

START_TEST(test_x64_row_mapped_and_wide_bytes)
{
	text_reset();
	text_add(H64G "\n");
	x64_row("Leak", "Nonp ", 4294967290LL, 4294967000LL, 290,
		123456789012345LL, 425713065559LL, "Unknown Driver");
	x64_row("Wrap", "Paged", 5, 4294967200LL, 101, 6000, 59,
		"[nt!io        - File objects]");
	parse(textbuf);
	ck_assert_uint_eq(res.nsnaps, 1);
	const struct pt_snapshot *s = &res.snaps[0];
	ck_assert(s->has_mapped);
	ck_assert_int_eq(s->layout, PT_LAYOUT_X64);
	ck_assert_uint_eq(s->nrows, 2);
	ck_assert_str_eq(s->rows[0].mapped, "Unknown Driver");
	ck_assert_int_eq(s->rows[0].bytes, 123456789012345LL);
	ck_assert_int_eq(s->rows[0].per_alloc, 123456789012345LL / 290);
	/* Frees > Allocs: Diff is recomputed modulo 2^32 */
	ck_assert_int_eq(s->rows[1].pool, PT_POOL_PAGED);
	ck_assert_int_eq(s->rows[1].diff, 101);
	ck_assert_int_eq(s->rows[1].per_alloc, 6000 / 101);
	ck_assert_str_eq(s->rows[1].mapped, "[nt!io        - File objects]");
}
END_TEST

START_TEST(test_printed_diff_not_trusted)
{
	text_reset();
	text_add(H64 "\n");
	x64_row("Abcd", "Nonp ", 10, 4, 999, 600, 1, "");
	x64_row("Zero", "Paged", 7, 7, 5, 48, 3, "");
	parse(textbuf);
	ck_assert_uint_eq(res.snaps[0].nrows, 2);
	ck_assert_int_eq(res.snaps[0].rows[0].diff, 6);
	ck_assert_int_eq(res.snaps[0].rows[0].per_alloc, 100);
	/* Diff 0: Per Alloc is Bytes */
	ck_assert_int_eq(res.snaps[0].rows[1].diff, 0);
	ck_assert_int_eq(res.snaps[0].rows[1].per_alloc, 48);
}
END_TEST

START_TEST(test_x86_row_negatives)
{
	text_reset();
	text_add("\n" H86 "\n\n");
	x86_row("Leak", "Nonp ", -6, -296, 290, -2045911175, -7054866);
	x86_row("File", "Paged", 100, 40, 60, 4000, 66);
	parse(textbuf);
	ck_assert_uint_eq(res.nsnaps, 1);
	const struct pt_snapshot *s = &res.snaps[0];
	ck_assert_int_eq(s->layout, PT_LAYOUT_X86);
	ck_assert_uint_eq(s->nrows, 2);
	ck_assert_uint_eq(s->neg_fixed, 1);
	const struct pt_row *r = &s->rows[0];
	ck_assert_int_eq(r->allocs, 4294967290LL);
	ck_assert_int_eq(r->frees, 4294967000LL);
	ck_assert_int_eq(r->diff, 290);
	ck_assert_int_eq(r->bytes, 2249056121LL);
	ck_assert_int_eq(r->per_alloc, 2249056121LL / 290);
	ck_assert_uint_eq(r->flags, PT_ROW_NEG_FIXED);
	ck_assert_uint_eq(s->rows[1].flags, 0);
}
END_TEST

START_TEST(test_x86_detected_from_row_widths)
{
	/* generic spacing in the header, x86 widths in the rows */
	text_reset();
	text_add(" Tag Type Allocs Frees Diff Bytes Per Alloc\n");
	x86_row("Abcd", "Nonp ", 1000, 10, 990, 99000, 100);
	x86_row("Efgh", "Paged", 1, 0, 1, 64, 64);
	parse(textbuf);
	ck_assert_uint_eq(res.nsnaps, 1);
	ck_assert_int_eq(res.snaps[0].layout, PT_LAYOUT_X86);
	ck_assert(!res.snaps[0].loose);
}
END_TEST

START_TEST(test_counter_out_of_range)
{
	text_reset();
	text_add(H86 "\n");
	/* below -2^31: not a 32-bit print, the row is rejected */
	x86_row("Bad1", "Nonp ", -2147483649L, 0, 0, 0, 0);
	x86_row("Bad2", "Nonp ", 5, 1, 4, -2147483649L, 0);
	x86_row("Ok  ", "Nonp ", -2147483647L - 1, 0, 0, 0, 0);
	parse(textbuf);
	ck_assert_uint_eq(res.snaps[0].nrows, 1);
	assert_tag(&res.snaps[0].rows[0], "Ok  ");
	ck_assert_int_eq(res.snaps[0].rows[0].allocs, 2147483648LL);
	ck_assert_uint_eq(res.skipped, 2);
	ck_assert_int_eq(res.first_skipped, 2);
	ck_assert_uint_eq(warnings(), 2);
}
END_TEST

/*
 * x64 poolmon never prints a negative Allocs, Frees or Bytes: such a row is
 * damaged, not an x86 print, and must not become a count of 2^32-5 (which
 * the series layer would then "unwrap").  tests/bad_inputs.sh x64-negative.
 */
START_TEST(test_x64_negative_count_rejected)
{
	text_reset();
	text_add(H64 "\n");
	x64_row("Neg1", "Nonp ", -5, 1058, 500, 48000, 96, "");
	x64_row("Neg2", "Nonp ", 5, -1, 6, 48000, 96, "");
	x64_row("Neg3", "Paged", 5, 1, 4, -48000, 96, "");
	/* Frees > Allocs prints a negative Diff: legitimate, recomputed */
	x64_row("Okay", "Paged", 5, 7, -2, 64, 32, "");
	parse(textbuf);
	ck_assert_uint_eq(res.nsnaps, 1);
	ck_assert_uint_eq(res.snaps[0].nrows, 1);
	assert_tag(&res.snaps[0].rows[0], "Okay");
	ck_assert_uint_eq(res.snaps[0].neg_fixed, 0);
	ck_assert_uint_eq(res.skipped, 3);
	ck_assert_int_eq(res.first_skipped, 2);
	ck_assert_uint_eq(warnings(), 3);
	ck_assert_int_eq(diags.items[0].line, 2);
	ck_assert_ptr_nonnull(strstr(diags.items[0].msg, "negative"));

	/* the same values under the x86 header are x86 prints */
	text_reset();
	text_add(H86 "\n");
	x64_row("Neg1", "Nonp ", -5, 1058, 500, 48000, 96, "");
	parse(textbuf);
	ck_assert_uint_eq(res.snaps[0].nrows, 1);
	ck_assert_int_eq(res.snaps[0].rows[0].allocs, 4294967291LL);
	ck_assert_uint_eq(res.snaps[0].neg_fixed, 1);
}
END_TEST

START_TEST(test_counter_above_32_bits_reduced)
{
	/* a 64-bit count printed by a wrapper (s01's second block) */
	text_reset();
	text_add(H64 "\n");
	x64_row("Leak", "Nonp ", 4294967307LL, 4294967003LL, 304, 1000, 3, "");
	parse(textbuf);
	ck_assert_uint_eq(res.snaps[0].nrows, 1);
	ck_assert_int_eq(res.snaps[0].rows[0].allocs, 11);
	ck_assert_int_eq(res.snaps[0].rows[0].frees, 4294967003LL);
	ck_assert_int_eq(res.snaps[0].rows[0].diff, 304);
	ck_assert_uint_eq(warnings(), 1);
}
END_TEST

START_TEST(test_interactive_row_negative_delta)
{
	parse(" System pool information\n"
		" Tag  Type     Allocs            Frees            Diff   Bytes"
		"       Per Alloc\n"
		"\n"
		" MmSt Paged    673616 (  16)    656049 (  17)    17567 28286672"
		" (  -184)   1610\n"
		" Io   Nonp    1021112 (   1)   1020985 (   1)      127   91912"
		" (     0)    723 [nt!io - general]\n");
	ck_assert_uint_eq(res.nsnaps, 1);
	const struct pt_snapshot *s = &res.snaps[0];
	ck_assert_int_eq(s->layout, PT_LAYOUT_INTERACTIVE);
	ck_assert_str_eq(s->title, "System pool information");
	ck_assert_uint_eq(s->nrows, 2);
	ck_assert(!s->loose);
	const struct pt_row *r = &s->rows[0];
	assert_tag(r, "MmSt");
	ck_assert_int_eq(r->allocs, 673616);
	ck_assert_int_eq(r->frees, 656049);
	ck_assert_int_eq(r->diff, 17567);
	ck_assert_int_eq(r->bytes, 28286672);
	ck_assert_int_eq(r->per_alloc, 28286672 / 17567);
	assert_tag(&s->rows[1], "Io  ");
	ck_assert_str_eq(s->rows[1].mapped, "[nt!io - general]");
}
END_TEST

START_TEST(test_interactive_without_title)
{
	/* leading blank lost on every line, trailing blank after Per Alloc */
	parse("Tag  Type        Allocs           Frees           Diff  Bytes"
		"           Per Alloc\n"
		"\n"
		"Drsd Paged       560 ( 177)       539 ( 171)       21   17472"
		" (  4992)    832 \n");
	ck_assert_uint_eq(res.nsnaps, 1);
	ck_assert_int_eq(res.snaps[0].layout, PT_LAYOUT_INTERACTIVE);
	ck_assert_uint_eq(res.snaps[0].nrows, 1);
	ck_assert(!res.snaps[0].loose);
	assert_tag(&res.snaps[0].rows[0], "Drsd");
	ck_assert_int_eq(res.snaps[0].rows[0].bytes, 17472);
	ck_assert_ptr_null(res.snaps[0].rows[0].mapped);
}
END_TEST

START_TEST(test_loose_tab_mangled)
{
	parse("\tSystem pool information\n"
		"\tTag \tType \tAllocs \t\tFrees \t\tDiff \tBytes \t\t\tPer Alloc\n"
		"\tCM31 \tPaged \t169392( 0) \t153744( 0) \t15648 \t74838016( 0)"
		" \t4782\n"
		"\tMmSt \tPaged \t673616( 16) 656049( 17) 17567 \t28286672( -184)"
		" 1610\n"
		"\t[snip]\n");
	ck_assert_uint_eq(res.nsnaps, 1);
	const struct pt_snapshot *s = &res.snaps[0];
	ck_assert(s->loose);
	ck_assert_int_eq(s->layout, PT_LAYOUT_INTERACTIVE);
	ck_assert_uint_eq(s->nrows, 2);
	assert_tag(&s->rows[0], "CM31");
	ck_assert_uint_eq(s->rows[0].flags, PT_ROW_LOOSE);
	ck_assert_int_eq(s->rows[1].bytes, 28286672);
	ck_assert_uint_eq(res.skipped, 1);
	ck_assert_int_eq(res.first_skipped, 5);
	ck_assert_int_eq(s->end_line, 5);
}
END_TEST

START_TEST(test_loose_collapsed_short_tag)
{
	parse("Tag Type Allocs Frees Diff Bytes Per Alloc\n"
		"Ntfr Nonp 2690737 2528557 162180 10379976 64\n"
		"CM Paged 10 4 6 600 100 [cm - config]\n"
		"     Fat  Paged    6662 (   8)    4971 (   6)   1691  174560"
		" (   128)  103\n");
	ck_assert_uint_eq(res.nsnaps, 1);
	const struct pt_snapshot *s = &res.snaps[0];
	ck_assert(s->loose);
	ck_assert_uint_eq(s->nrows, 3);
	assert_tag(&s->rows[0], "Ntfr");
	ck_assert_int_eq(s->rows[0].bytes, 10379976);
	assert_tag(&s->rows[1], "CM  ");
	ck_assert_str_eq(s->rows[1].mapped, "[cm - config]");
	assert_tag(&s->rows[2], "Fat ");
	ck_assert_int_eq(s->rows[2].allocs, 6662);
	for (size_t i = 0; i < 3; i++)
		ck_assert(s->rows[i].flags & PT_ROW_LOOSE);
}
END_TEST

START_TEST(test_summary_lines)
{
	/* numbers glued to labels, both P: values distinct */
	parse("Memory:16468560K Avail:12072536K  PageFlts:468600648   "
		"InRam Krnl:56708K P:950888K\n"
		"Commit:4100436K Limit:17517136K Peak:11685564K            "
		"Pool N:710920K P:983564K\n"
		"\n"
		H86 "\n");
	ck_assert_uint_eq(res.nsnaps, 1);
	const struct pt_summary *m = &res.snaps[0].summary;
	ck_assert(m->has_memory && m->has_commit);
	ck_assert_int_eq(m->memory_k, 16468560);
	ck_assert_int_eq(m->avail_k, 12072536);
	ck_assert_int_eq(m->page_faults, 468600648);
	ck_assert_int_eq(m->krnl_k, 56708);
	ck_assert_int_eq(m->inram_paged_k, 950888);
	ck_assert_int_eq(m->commit_k, 4100436);
	ck_assert_int_eq(m->limit_k, 17517136);
	ck_assert_int_eq(m->peak_k, 11685564);
	ck_assert_int_eq(m->pool_nonpaged_k, 710920);
	ck_assert_int_eq(m->pool_paged_k, 983564);
	ck_assert_int_eq(res.snaps[0].line, 4);
	ck_assert_uint_eq(res.skipped, 0);
}
END_TEST

START_TEST(test_summary_indented_and_negative)
{
	parse("    Memory: 16224K Avail: 4564K PageFlts: 31 InRam Krnl: 684K"
		" P: 680K\n"
		"\t Commit:-24140K Limit: 24952K Peak: 24932K  Pool N: 744K"
		" P: 2180K\n"
		"     Tag  Type    Allocs          Frees         Diff   Bytes"
		"      Per Alloc\n"
		"    ---------------------------------------------\n");
	ck_assert_uint_eq(res.nsnaps, 1);
	const struct pt_summary *m = &res.snaps[0].summary;
	ck_assert(m->has_memory && m->has_commit);
	ck_assert_int_eq(m->inram_paged_k, 680);
	/* %ld of a 32-bit value: a negative print is 2^32 - 24140 KB */
	ck_assert_int_eq(m->commit_k, 4294943156);
	ck_assert_int_eq(m->pool_paged_k, 2180);
	ck_assert_uint_eq(res.skipped, 0);
}
END_TEST

START_TEST(test_summary_without_header_is_no_snapshot)
{
	parse(" Memory:  260620K Avail:   96364K  PageFlts:     0   InRam Krnl:"
		" 1916K P:17856K\n"
		" Commit: 203500K Limit: 640916K Peak: 260632K            Pool N:"
		" 8332K P:27220K\n");
	ck_assert_uint_eq(res.nsnaps, 0);
	ck_assert_uint_eq(res.skipped, 0);
}
END_TEST

START_TEST(test_summary_separated_by_junk_is_dropped)
{
	parse(" Memory:  260620K Avail:   96364K  PageFlts:     0   InRam Krnl:"
		" 1916K P:17856K\n"
		"some prose\n"
		H64 "\n");
	ck_assert_uint_eq(res.nsnaps, 1);
	ck_assert(!res.snaps[0].summary.has_memory);
	ck_assert_uint_eq(res.skipped, 1);
}
END_TEST

START_TEST(test_header_variants)
{
	static const struct {
		const char *text;
		bool mapped;
		enum pt_layout layout;
	} cases[] = {
		{ H64, false, PT_LAYOUT_X64 },
		{ H64G, true, PT_LAYOUT_X64 },
		{ H86, false, PT_LAYOUT_X86 },
		{ H86G, true, PT_LAYOUT_X86 },
		{ H86 + 1, false, PT_LAYOUT_X86 },      /* leading blank lost */
		{ H86 "   ", false, PT_LAYOUT_X86 },
		{ "## Tag   Type     Allocs         Frees         Diff    Bytes"
			"             Per Alloc", false, PT_LAYOUT_X64 },
		{ "\tTag \tType \tAllocs \t\tFrees \t\tDiff \tBytes \t\t\tPer Alloc"
			"\tMapped_Driver", true, PT_LAYOUT_X64 },
		{ " Tag  Type     Allocs            Frees            Diff   Bytes"
			"      Per Alloc  Mapped_Driver", true, PT_LAYOUT_X64 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		text_reset();
		text_add("%s\n", cases[i].text);
		parse(textbuf);
		ck_assert_msg(res.nsnaps == 1, "case %zu", i);
		ck_assert_msg(res.snaps[0].has_mapped == cases[i].mapped,
			"case %zu", i);
		ck_assert_msg(res.snaps[0].layout == cases[i].layout,
			"case %zu", i);
		ck_assert_uint_eq(res.snaps[0].nrows, 0);
	}
	/* almost headers */
	parse(" Tag  Type     Allocs            Frees\n"
		" Tag    Allocs     Used    Allocs     Used\n"
		"Tags Type Allocs Frees Diff Bytes Per Alloc\n");
	ck_assert_uint_eq(res.nsnaps, 0);
	ck_assert_uint_eq(res.skipped, 3);
}
END_TEST

START_TEST(test_total_lines)
{
	text_reset();
	text_add("\n" H64G "\n\n");
	x64_row("File", "Nonp ", 100, 40, 60, 4000, 66, "Unknown Driver");
	text_add("\nTotal Nonp  4340278024 (   0) 4339639793 (   0)   638231 "
		"123457043842457 (          0)           0\n"
		"Total Paged      2364 (   0) 4294967276 (   0)     2384      "
		"934576 (          0)           0\n");
	parse(textbuf);
	ck_assert_uint_eq(res.nsnaps, 1);
	ck_assert(res.snaps[0].has_totals);
	ck_assert_uint_eq(res.snaps[0].nrows, 1);
	ck_assert_int_eq(res.snaps[0].end_line, 7);
	ck_assert_uint_eq(res.skipped, 0);
}
END_TEST

START_TEST(test_truncation_error)
{
	text_reset();
	text_add(H64 "\n");
	x64_row("File", "Nonp ", 100, 40, 60, 4000, 66, "");
	text_add("ERROR: Number of Pool Tags Exceeds Buffer Size in PoolSnap, "
		"List Truncated\n");
	parse(textbuf);
	ck_assert_uint_eq(res.nsnaps, 1);
	ck_assert(res.snaps[0].truncated);
	ck_assert_uint_eq(res.snaps[0].nrows, 1);
	ck_assert_uint_eq(warnings(), 1);
	ck_assert_int_eq(diags.items[0].line, 3);
	ck_assert_str_eq(diags.items[0].file, "t.txt");
	ck_assert_uint_eq(res.skipped, 0);
}
END_TEST

START_TEST(test_titles)
{
	static const char *const titles[] = {
		"System pool information",
		"All sessions pool information",
		"Session 12 pool information",
	};
	for (size_t i = 0; i < 3; i++) {
		text_reset();
		text_add("  %s \n" H64 "\n", titles[i]);
		parse(textbuf);
		ck_assert_uint_eq(res.nsnaps, 1);
		ck_assert_str_eq(res.snaps[0].title, titles[i]);
		/* a title alone makes the block a screen copy */
		ck_assert_int_eq(res.snaps[0].layout, PT_LAYOUT_INTERACTIVE);
	}
	parse("Session pool information\n" H64 "\n");
	ck_assert_ptr_null(res.snaps[0].title);
	ck_assert_uint_eq(res.skipped, 1);
}
END_TEST

START_TEST(test_rule_and_junk_inside_block)
{
	text_reset();
	text_add(H64 "\n-----------------------------------------\n\n");
	x64_row("Aaaa", "Nonp ", 3, 1, 2, 64, 32, "");
	text_add("...\n\n[snip]\n");
	x64_row("Bbbb", "Paged", 3, 1, 2, 64, 32, "");
	parse(textbuf);
	ck_assert_uint_eq(res.nsnaps, 1);
	ck_assert_uint_eq(res.snaps[0].nrows, 2);
	ck_assert_uint_eq(res.skipped, 2);
	ck_assert_int_eq(res.first_skipped, 5);
	ck_assert_int_eq(res.snaps[0].end_line, 8);
	ck_assert_int_eq(res.snaps[0].rows[1].line, 8);
}
END_TEST

START_TEST(test_timestamp_attachment)
{
	int64_t clue_ms, batch_ms, tss_ms;
	const char *clue = "2020.09.21-19:37:27 Pacific Standard Time "
		"(local time of the PC where this was collected)";
	const char *batch = "Mon 09/21/2020 20:37:27.61 ";
	const char *tss = "Monday, September 21, 2020 7:37:27 PM";
	ck_assert_int_eq(pt_stamp_parse_line(clue, strlen(clue), &clue_ms),
		PT_STAMP_CLUE);
	ck_assert_int_eq(pt_stamp_parse_line(batch, strlen(batch), &batch_ms),
		PT_STAMP_BATCH);
	ck_assert_int_eq(pt_stamp_parse_line(tss, strlen(tss), &tss_ms),
		PT_STAMP_TSS);

	text_reset();
	text_add("%s\n\n", clue);                    /* 1 */
	text_add(H64 "\n");                          /* 3 */
	x64_row("Aaaa", "Nonp ", 3, 1, 2, 64, 32, "");
	text_add("%s\n", tss);                       /* 5: superseded */
	text_add("%s\n\n\n", batch);                 /* 6: latest wins */
	text_add(" Memory:  260620K Avail:   96364K  PageFlts:     0   "
		"InRam Krnl: 1916K P:17856K\n\n");          /* 9 */
	text_add(H64 "\n");                          /* 11 */
	x64_row("Aaaa", "Nonp ", 4, 1, 3, 96, 32, "");
	text_add(H64 "\n");                          /* 13: no stamp left */
	parse(textbuf);
	ck_assert_uint_eq(res.nsnaps, 3);
	ck_assert_int_eq(res.snaps[0].stamp_kind, PT_STAMP_CLUE);
	ck_assert_int_eq(res.snaps[0].stamp_ms, clue_ms);
	ck_assert_int_eq(res.snaps[0].stamp_line, 1);
	ck_assert_int_eq(res.snaps[1].stamp_kind, PT_STAMP_BATCH);
	ck_assert_int_eq(res.snaps[1].stamp_ms, batch_ms);
	ck_assert_int_eq(res.snaps[1].stamp_line, 6);
	ck_assert(res.snaps[1].summary.has_memory);
	ck_assert_int_eq(res.snaps[2].stamp_kind, PT_STAMP_NONE);
	ck_assert_int_eq(res.snaps[2].stamp_line, 0);
	ck_assert(!res.snaps[2].summary.has_memory);
	/* stamps are recognised, not skipped; block 0 ends at its row */
	ck_assert_uint_eq(res.skipped, 0);
	ck_assert_int_eq(res.snaps[0].end_line, 4);
}
END_TEST

START_TEST(test_orphan_rows)
{
	text_reset();
	x64_row("Aaaa", "Nonp ", 3, 1, 2, 64, 32, "");
	x64_row("Bbbb", "Nonp ", 3, 1, 2, 64, 32, "");
	text_add(H64 "\n");
	x64_row("Cccc", "Nonp ", 3, 1, 2, 64, 32, "");
	parse(textbuf);
	ck_assert_uint_eq(res.orphan_rows, 2);
	ck_assert_uint_eq(res.nsnaps, 1);
	ck_assert_uint_eq(res.snaps[0].nrows, 1);
	assert_tag(&res.snaps[0].rows[0], "Cccc");
	ck_assert_uint_eq(warnings(), 1);
	ck_assert_int_eq(diags.items[0].line, 1);
}
END_TEST

/*
 * Rows handed back with pt_parse_result_release_rows are reused by the
 * parser's next text; neither the reuse nor the duplicate set carried over
 * from the last file may change what is read.
 */
START_TEST(test_rows_released_and_reused)
{
	text_reset();
	text_add(H64 "\n");
	for (int i = 0; i < 300; i++) {
		char tag[8];
		snprintf(tag, sizeof(tag), "T%03d", i);
		x64_row(tag, "Nonp ", 10 + i, 1, 9 + i, 64, 7, "");
	}
	parse(textbuf);
	ck_assert_uint_eq(res.snaps[0].nrows, 300);
	pt_parse_result_release_rows(&res, parser);
	ck_assert_ptr_null(res.snaps[0].rows);
	ck_assert_uint_eq(res.snaps[0].nrows, 300);
	/* The same tags again: they must not count as repeated rows. */
	parse(textbuf);
	ck_assert_uint_eq(res.snaps[0].nrows, 300);
	ck_assert_uint_eq(res.snaps[0].duplicates, 0);
	ck_assert_int_eq(res.snaps[0].rows[299].allocs, 309);
	assert_tag(&res.snaps[0].rows[299], "T299");
	pt_parse_result_release_rows(&res, parser);
	text_reset();
	text_add(H64 "\n");
	x64_row("Io", "Paged", 5, 2, 3, 48, 16, "");
	parse(textbuf);
	ck_assert_uint_eq(res.snaps[0].nrows, 1);
	assert_tag(&res.snaps[0].rows[0], "  Io");
	ck_assert_int_eq(res.snaps[0].rows[0].frees, 2);
	/* Without a parser the rows are freed (teardown finishes res). */
	pt_parse_result_release_rows(&res, NULL);
	ck_assert_ptr_null(res.snaps[0].rows);
}
END_TEST

START_TEST(test_duplicate_rows)
{
	text_reset();
	text_add(H64 "\n");
	x64_row("File", "Nonp ", 3, 1, 2, 64, 32, "");
	x64_row("File", "Paged", 5, 1, 4, 64, 16, "");
	x64_row("File", "Nonp ", 9, 1, 8, 64, 8, "");
	x64_row("File", "Nonp ", 9, 1, 8, 64, 8, "");
	x64_row("Io  ", "Nonp ", 9, 1, 8, 64, 8, "");
	text_add(H64 "\n");
	x64_row("File", "Nonp ", 4, 1, 3, 64, 21, "");
	parse(textbuf);
	ck_assert_uint_eq(res.nsnaps, 2);
	ck_assert_uint_eq(res.snaps[0].nrows, 3);
	ck_assert_uint_eq(res.snaps[0].duplicates, 2);
	ck_assert_int_eq(res.snaps[0].rows[0].allocs, 3);   /* first kept */
	assert_tag(&res.snaps[0].rows[2], "Io  ");
	/* a new block starts with a clean slate */
	ck_assert_uint_eq(res.snaps[1].nrows, 1);
	ck_assert_uint_eq(res.snaps[1].duplicates, 0);
	ck_assert_uint_eq(warnings(), 1);
	ck_assert_int_eq(diags.items[0].line, 4);
}
END_TEST

START_TEST(test_many_distinct_rows)
{
	/* grows the row array and the duplicate set several times */
	static char big[4000 * 120];
	size_t len = 0;
	len += (size_t)snprintf(big, sizeof(big), "%s\n", H64);
	for (int i = 0; i < 4000; i++)
		len += (size_t)snprintf(big + len, sizeof(big) - len,
			" %c%c%c%c %5s %18d %18d  %16d %14d     %12d        \n",
			'A' + i % 26, 'a' + i / 26 % 26, '0' + i / 676, 'z',
			i % 2 ? "Paged" : "Nonp ", i + 1, 0, i + 1, 8 * (i + 1), 8);
	parse_n(big, len);
	ck_assert_uint_eq(res.nsnaps, 1);
	ck_assert_uint_eq(res.snaps[0].nrows, 4000);
	ck_assert_uint_eq(res.snaps[0].duplicates, 0);
	ck_assert_int_eq(res.snaps[0].rows[3999].allocs, 4000);
	ck_assert_int_eq(res.snaps[0].rows[3999].line, 4001);
}
END_TEST

START_TEST(test_overflow_number)
{
	text_reset();
	text_add(H64 "\n");
	x64_row("Good", "Nonp ", 3, 1, 2, 64, 32, "");
	text_add(" Huge Nonp  123456789012345678901234567890                  1"
		"                 1              1                1        \n");
	x64_row("Fine", "Nonp ", 3, 1, 2, PT_BYTES_MAX - 64, 1, "");
	parse(textbuf);
	ck_assert_uint_eq(res.snaps[0].nrows, 2);
	ck_assert_int_eq(res.snaps[0].rows[1].bytes, PT_BYTES_MAX - 64);
	ck_assert_uint_eq(res.skipped, 1);
	ck_assert_int_eq(res.first_skipped, 3);
	ck_assert_uint_eq(warnings(), 1);
	ck_assert_int_eq(diags.items[0].line, 3);
	ck_assert_str_eq(diags.items[0].file, "t.txt");
}
END_TEST

/*
 * Bytes past 2^53-1 in a row are refused with a warning naming the line.
 * Rows each below it whose pool adds up past it are all kept: the
 * snapshot is named once, at its header, as having totals that are not
 * exact.
 */
START_TEST(test_bytes_limit)
{
	text_reset();
	text_add(H64 "\n");
	x64_row("Max1", "Nonp ", 3, 1, 2, PT_BYTES_MAX, 1, "");
	x64_row("Big1", "Paged", 3, 1, 2, PT_BYTES_MAX + 1, 1, "");
	x64_row("Half", "Paged", 3, 1, 2, PT_BYTES_MAX - 10, 1, "");
	x64_row("Over", "Paged", 3, 1, 2, 11, 1, "");
	x64_row("Fits", "Paged", 3, 1, 2, PT_BYTES_MAX, 1, "");
	x64_row("Nmor", "Nonp ", 3, 1, 2, 1, 1, "");
	x64_row("Huge", "Nonp ", 3, 1, 2, INT64_MAX, 1, "");
	text_add(H64 "\n");
	x64_row("Max1", "Nonp ", 3, 1, 2, PT_BYTES_MAX, 1, "");
	parse(textbuf);
	ck_assert_uint_eq(res.nsnaps, 2);
	ck_assert_uint_eq(res.snaps[0].nrows, 5);
	ck_assert_int_eq(res.snaps[0].rows[0].bytes, PT_BYTES_MAX);
	assert_tag(&res.snaps[0].rows[1], "Half");
	assert_tag(&res.snaps[0].rows[2], "Over");
	assert_tag(&res.snaps[0].rows[3], "Fits");
	assert_tag(&res.snaps[0].rows[4], "Nmor");
	/* the totals are per snapshot */
	ck_assert_uint_eq(res.snaps[1].nrows, 1);
	ck_assert_int_eq(res.snaps[1].rows[0].bytes, PT_BYTES_MAX);
	ck_assert_uint_eq(warnings(), 3);
	ck_assert_int_eq(diags.items[0].line, 3);
	ck_assert_str_eq(diags.items[0].msg, "row with Bytes above 2^53-1 "
		"(8 PiB, more than any pool holds) ignored");
	ck_assert_int_eq(diags.items[1].line, 1);
	ck_assert_str_eq(diags.items[1].msg, "snapshot's paged total is past "
		"2^53-1 bytes (8 PiB, more than any pool holds): not exact for "
		"JSON readers that use doubles, and held at 2^63-1 past that");
	ck_assert_int_eq(diags.items[2].line, 8);
	ck_assert_uint_eq(res.skipped, 2);
}
END_TEST

/*
 * A lone CR is a line end (pt_decode makes it one): " Le\rk" in a CR LF
 * file is a junk line and a row of tag "k", as ever (the caller warns
 * about the mixed line ends), and CR CR LF is one line end, so the lines
 * after it keep their numbers.
 */
START_TEST(test_lone_cr_after_decode)
{
	static const char raw[] = H64 "\r\r\n"
		" Le\rk Nonp                3                  1               "
		"2             64               32        \r\n"
		" Good Nonp                3                  1               "
		"2             64               32        \r\r\n";
	struct pt_text text;
	struct pt_error err = {0};
	ck_assert(pt_decode((const unsigned char *)raw, sizeof(raw) - 1,
		&text, &err));
	ck_assert_uint_eq(text.lone_crs, 1);
	ck_assert_int_eq(text.lone_cr_line, 2);
	parse_n(text.data, text.len);
	pt_text_finish(&text);
	ck_assert_uint_eq(res.snaps[0].nrows, 2);
	ck_assert_int_eq(res.snaps[0].rows[0].line, 3);
	assert_tag(&res.snaps[0].rows[1], "Good");
	ck_assert_int_eq(res.snaps[0].rows[1].line, 4);
	ck_assert_uint_eq(res.skipped, 1);
	ck_assert_int_eq(res.first_skipped, 2);
}
END_TEST

/*
 * Avail above Memory cannot come from poolmon: its Avail is not used,
 * with a warning quoting the line, but Memory and PageFlts are (reboot
 * and machine evidence); the note on the missing headroom says why.
 * Negative prints (machines past 2 TiB) are not compared.
 */
START_TEST(test_summary_avail_above_memory)
{
	parse(" Memory:   50000K Avail:  060000K  PageFlts:     7   InRam Krnl:"
		" 1916K P:17856K\n"
		" Commit: 203500K Limit: 640916K Peak: 260632K            Pool N:"
		" 8332K P:27220K\n"
		H64 "\n"
		" Memory:   60000K Avail:   60000K  PageFlts:     8   InRam Krnl:"
		" 1916K P:17856K\n"
		H64 "\n"
		" Memory:-2147483648K Avail:-1073741824K  PageFlts:     9   InRam"
		" Krnl: 1916K P:17856K\n"
		H64 "\n");
	ck_assert_uint_eq(res.nsnaps, 3);
	const struct pt_summary *a = &res.snaps[0].summary;
	ck_assert(a->has_memory && !a->memory_refused && a->avail_refused);
	ck_assert(!pt_summary_has_avail(a));
	ck_assert_int_eq(a->memory_k, 50000);
	ck_assert_int_eq(a->page_faults, 7);
	ck_assert(a->has_commit && !a->commit_refused);
	ck_assert_uint_eq(warnings(), 1);
	ck_assert_int_eq(diags.items[0].line, 1);
	ck_assert_str_eq(diags.items[0].msg, "-r summary Avail 060000K exceeds "
		"Memory 50000K (a damaged line, or a machine past 4 TiB whose "
		"counters wrap): Avail not used (no time to exhaustion from this "
		"line)");
	ck_assert_str_eq(pt_summary_missing_note(a, PT_POOL_NONPAGED),
		"-r summary Avail not used (see its warning), rates only");
	ck_assert(pt_summary_refused(a, PT_POOL_NONPAGED));
	ck_assert(!pt_summary_refused(a, PT_POOL_PAGED));
	/* equal is consistent (nothing in use) */
	const struct pt_summary *b = &res.snaps[1].summary;
	ck_assert(pt_summary_has_avail(b) && !b->avail_refused);
	ck_assert_int_eq(b->avail_k, 60000);
	ck_assert(!b->has_commit && !b->commit_refused);
	ck_assert_str_eq(pt_summary_missing_note(b, PT_POOL_PAGED),
		"no -r summary lines, rates only");
	/* 32-bit prints, reinterpreted: used as before, no warning */
	const struct pt_summary *c = &res.snaps[2].summary;
	ck_assert(pt_summary_has_avail(c));
	ck_assert_int_eq(c->memory_k, INT64_C(1) << 31);
	ck_assert_int_eq(c->avail_k, INT64_C(3) << 30);
}
END_TEST

/* A summary number out of range is a refused line too. */
START_TEST(test_summary_out_of_range_refused)
{
	parse(" Commit: 203500K Limit: 99999999999K Peak: 260632K           "
		" Pool N: 8332K P:27220K\n" H64 "\n");
	const struct pt_summary *a = &res.snaps[0].summary;
	ck_assert(!a->has_commit && a->commit_refused);
	ck_assert(pt_summary_refused(a, PT_POOL_PAGED));
	ck_assert_uint_eq(warnings(), 1);
	ck_assert_int_eq(diags.items[0].line, 1);
}
END_TEST

START_TEST(test_overflow_diags_capped)
{
	text_reset();
	text_add(H64 "\n");
	for (int i = 0; i < 30; i++)
		text_add(" Huge Nonp  99999999999999999999 1 1 1 1\n");
	parse(textbuf);
	ck_assert_uint_eq(res.snaps[0].nrows, 0);
	ck_assert_uint_eq(res.skipped, 30);
	/* 20 located warnings, then one summary without a line */
	ck_assert_uint_eq(warnings(), 21);
	ck_assert_int_eq(diags.items[20].line, 0);
	ck_assert_ptr_nonnull(strstr(diags.items[20].msg, "10"));
}
END_TEST

START_TEST(test_empty_block)
{
	parse("\n" H64 "\n\n\n" H64 "\n");
	ck_assert_uint_eq(res.nsnaps, 2);
	ck_assert_uint_eq(res.snaps[0].nrows, 0);
	ck_assert_uint_eq(res.snaps[1].nrows, 0);
	ck_assert_int_eq(res.snaps[0].end_line, 2);
	ck_assert_int_eq(res.snaps[1].line, 5);
}
END_TEST

START_TEST(test_tags_byte_exact)
{
	text_reset();
	text_add(H64 "\n");
	x64_row("Io  ", "Nonp ", 3, 1, 2, 64, 32, "");
	x64_row("Dh 1", "Paged", 3, 1, 2, 64, 32, "");
	x64_row("xr", "Nonp ", 3, 1, 2, 64, 32, "");      /* %4s -> "  xr" */
	x64_row("Pro\xe3", "Nonp ", 3, 1, 2, 64, 32, "");
	x64_row("@GMM", "Paged", 3, 1, 2, 64, 32, "");
	x64_row(" Tag", "Paged", 3, 1, 2, 64, 32, "");
	parse(textbuf);
	ck_assert_uint_eq(res.snaps[0].nrows, 6);
	const struct pt_row *r = res.snaps[0].rows;
	assert_tag(&r[0], "Io  ");
	assert_tag(&r[1], "Dh 1");
	assert_tag(&r[2], "  xr");
	assert_tag(&r[3], "Pro\xe3");
	assert_tag(&r[4], "@GMM");
	assert_tag(&r[5], " Tag");
	for (int i = 0; i < 6; i++)
		ck_assert_uint_eq(r[i].flags, 0);
	ck_assert(!res.snaps[0].loose);
}
END_TEST

START_TEST(test_tags_without_leading_blank)
{
	/* rows dedented by a copy: the tag is the 4 bytes before the type */
	parse("Tag  Type     Allocs         Frees    Diff   Bytes    Per Alloc\n"
		"  xr Nonp          3         0         3    1248        416\n"
		"Io   Nonp    1021112   1020985       127   91912        723\n"
		"EtwB Nonp       6394      4056      2338 163418368      69896\n");
	ck_assert_uint_eq(res.snaps[0].nrows, 3);
	ck_assert_int_eq(res.snaps[0].layout, PT_LAYOUT_X86);
	assert_tag(&res.snaps[0].rows[0], "  xr");
	assert_tag(&res.snaps[0].rows[1], "Io  ");
	assert_tag(&res.snaps[0].rows[2], "EtwB");
	ck_assert_int_eq(res.snaps[0].rows[2].bytes, 163418368);
	ck_assert(!res.snaps[0].loose);
}
END_TEST

START_TEST(test_multi_snapshot_split)
{
	static const char *const tags[] = { "File", "Io  ", "Dh 1" };
	static const char *const sum =
		" Memory:33356024K Avail:19399488K  PageFlts:%d   "
		"InRam Krnl:12672K P:935188K\n"
		" Commit:15680004K Limit:40433912K Peak:15917968K            "
		"Pool N:629240K P:1004712K\n\n";
	text_reset();
	for (int b = 0; b < 3; b++) {
		text_add("\n");
		text_add(sum, 100 + b);
		text_add(H64G "\n\n");
		for (int i = 0; i <= b; i++)
			x64_row(tags[i], "Nonp ", 10 + b, 1, 9 + b,
				640, 64, "Unknown Driver");
	}
	parse(textbuf);
	ck_assert_uint_eq(res.nsnaps, 3);
	/* block b: blank, 2 summary lines, blank, header, blank, b+1 rows */
	long line = 1;
	for (size_t b = 0; b < 3; b++) {
		const struct pt_snapshot *s = &res.snaps[b];
		ck_assert_int_eq(s->line, line + 4);
		ck_assert_int_eq(s->end_line, line + 6 + (long)b);
		ck_assert_uint_eq(s->nrows, b + 1);
		ck_assert_int_eq(s->summary.page_faults, 100 + (long)b);
		ck_assert_int_eq(s->rows[0].allocs, 10 + (long)b);
		ck_assert_str_eq(s->rows[0].mapped, "Unknown Driver");
		line += 7 + (long)b;
	}
	/* one stored copy of a repeated driver text */
	ck_assert_ptr_eq(res.snaps[0].rows[0].mapped,
		res.snaps[2].rows[2].mapped);
	ck_assert_uint_eq(res.lines, (size_t)line - 1);
	ck_assert_uint_eq(res.skipped, 0);
}
END_TEST

START_TEST(test_windbg_poolused_is_not_poolmon)
{
	parse("0: kd> !poolused\n"
		"   Sorting by  Tag\n\n"
		"  Pool Used:\n"
		"            NonPaged            Paged\n"
		" Tag    Allocs     Used    Allocs     Used\n"
		" 1394        1      520         0        0UNKNOWN pooltag '1394',"
		" please update pooltag.txt\n"
		" AcpA        3      192         1      504ACPI Pooltags , Binary:"
		" acpi.sys\n"
		" NdNp         1           48          0            0\tUNKNOWN\n"
		" TOTAL     3570214 209120008     38769 13066104\n");
	ck_assert_uint_eq(res.nsnaps, 0);
	ck_assert_uint_eq(res.orphan_rows, 0);
	ck_assert_uint_eq(res.skipped, 9);
}
END_TEST

START_TEST(test_crlf_and_no_final_newline)
{
	text_reset();
	text_add(H64 "\r\n");
	x64_row("Aaaa", "Nonp ", 3, 1, 2, 64, 32, "");
	textbuf[--textlen] = '\0';                   /* drop the final LF */
	parse(textbuf);
	ck_assert_uint_eq(res.lines, 2);
	ck_assert_uint_eq(res.snaps[0].nrows, 1);
	parse("");
	ck_assert_uint_eq(res.lines, 0);
	ck_assert_uint_eq(res.nsnaps, 0);
}
END_TEST

START_TEST(test_hostile_input)
{
	/* NULs inside lines are ordinary bytes */
	static const char nul_text[] = H64 "\n Ab\0c Nonp  1 0 1 8 8\n"
		" \0\0\0\0 Paged  3 (0) 1 (0) 2 16 (0) 8\n\0\0\n";
	parse_n(nul_text, sizeof(nul_text) - 1);
	ck_assert_uint_eq(res.nsnaps, 1);
	ck_assert_uint_eq(res.snaps[0].nrows, 2);
	assert_tag(&res.snaps[0].rows[0], "Ab\0c");
	ck_assert_uint_eq(res.lines, 4);

	/* a 10 MB single line, then one of spaces only */
	size_t big = 10u << 20;
	char *t = malloc(big + 2);
	ck_assert_ptr_nonnull(t);
	memset(t, 'x', big);
	memcpy(t, " Tag  Type     Allocs", 21);
	t[big] = '\n';
	parse_n(t, big + 1);
	ck_assert_uint_eq(res.nsnaps, 0);
	ck_assert_uint_eq(res.skipped, 1);
	memset(t, ' ', big);
	parse_n(t, big);
	ck_assert_uint_eq(res.nsnaps, 0);
	ck_assert_uint_eq(res.skipped, 0);
	ck_assert_uint_eq(res.lines, 1);

	/* a row prefix followed by a huge driver text */
	memset(t, 'd', big);
	static const char row[] = " Aaaa Nonp 1 0 1 8 8 [";
	memcpy(t, H64 "\n", sizeof(H64));
	memcpy(t + sizeof(H64), row, sizeof(row) - 1);
	parse_n(t, big);
	ck_assert_uint_eq(res.nsnaps, 1);
	ck_assert_uint_eq(res.lines, 2);

	/* arbitrary bytes */
	srand(7);
	for (size_t i = 0; i < big; i++)
		t[i] = (char)(rand() % 4 == 0 ? "\n \t(-)0123456789"[rand() % 16]
			: rand());
	parse_n(t, big);
	ck_assert_uint_eq(res.skipped + res.orphan_rows <= res.lines, 1);
	free(t);

	/* short lines that end inside the fixed prefix */
	parse(H64 "\n N\n Abcd\n Abcd \n Abcd Non\n Abcd Paged\n Abcd Paged 1\n"
		"Abc Nonp\n-\n#\nT\n\t\n");
	ck_assert_uint_eq(res.nsnaps, 1);
	ck_assert_uint_eq(res.snaps[0].nrows, 0);
	ck_assert_uint_eq(res.skipped, 10);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(pt_pool_name(PT_POOL_NONPAGED), "nonpaged");
	ck_assert_str_eq(pt_pool_name(PT_POOL_PAGED), "paged");
	ck_assert_str_eq(pt_layout_name(PT_LAYOUT_X64), "x64");
	ck_assert_str_eq(pt_layout_name(PT_LAYOUT_X86), "x86");
	ck_assert_str_eq(pt_layout_name(PT_LAYOUT_INTERACTIVE), "interactive");
}
END_TEST

/* ---- the shared sample files ---- */

#define MAX_EXPECTED_SNAPS 2

/*
 * Expected results, counted by reading each file: a row is a line with a
 * 1-4 byte tag followed by "Nonp"/"Paged" and the numbers
 * (grep -cE '(^|[ \t])(Nonp|Paged)[ \t]' less the WinDbg "Sorting by Paged"
 * and "NonPaged  Paged" header lines of 17, plus the TAB-indented rows of 19
 * that grep -E cannot see), a snapshot is a column header line.  Layout:
 * "( n)" delta columns or a title line make a screen copy; 18 and s03 have
 * the x86 header.  first_tag is the tag of the first row.
 */
static const struct expected {
	const char *name;
	size_t nsnaps;
	size_t nrows[MAX_EXPECTED_SNAPS];
	enum pt_layout layout;
	const char *first_tag;
	bool loose;
	enum pt_stamp_kind stamp;
	bool sample_tags;       /* the 9 tags of the synthetic samples */
} expected[] = {
	{ "01_msdocs_display_sorted_allocs.txt", 1, {8}, PT_LAYOUT_INTERACTIVE, "Wait", false, PT_STAMP_NONE, false },
	{ "02_msdocs_g_ntfs_mapped_driver.txt", 1, {13}, PT_LAYOUT_INTERACTIVE, "NtFA", false, PT_STAMP_NONE, false },
	{ "03_msdocs_g_unknown_driver_noheader.txt", 1, {3}, PT_LAYOUT_INTERACTIVE, "1MEM", false, PT_STAMP_NONE, false },
	{ "04_msdocs_cg_ipsec_concat.txt", 1, {8}, PT_LAYOUT_INTERACTIVE, "IpEQ", false, PT_STAMP_NONE, false },
	{ "05_msdocs_drsd_before.txt", 1, {1}, PT_LAYOUT_INTERACTIVE, "Drsd", false, PT_STAMP_NONE, false },
	{ "06_msdocs_drsd_after.txt", 1, {1}, PT_LAYOUT_INTERACTIVE, "Drsd", false, PT_STAMP_NONE, false },
	{ "07_msdocs_all_sessions.txt", 1, {16}, PT_LAYOUT_INTERACTIVE, "Bmfd", false, PT_STAMP_NONE, false },
	{ "08_msdocs_session0.txt", 1, {16}, PT_LAYOUT_INTERACTIVE, "Bmfd", false, PT_STAMP_NONE, false },
	{ "09_msdocs_session0_g.txt", 1, {16}, PT_LAYOUT_INTERACTIVE, "Bmfd", false, PT_STAMP_NONE, false },
	{ "10_msdocs_empty_session_header_only.txt", 1, {0}, PT_LAYOUT_INTERACTIVE, NULL, false, PT_STAMP_NONE, false },
	{ "11_msdocs2016_localtag_creation_messages.txt", 0, {0}, PT_LAYOUT_X64, NULL, false, PT_STAMP_NONE, false },
	{ "12_msdocs2016_c_localtag_mapped.txt", 1, {3}, PT_LAYOUT_INTERACTIVE, "1MEM", false, PT_STAMP_NONE, false },
	{ "13_msdocs_using_poolmon_markdown_mangled.txt", 1, {4}, PT_LAYOUT_INTERACTIVE, "CM  ", true, PT_STAMP_NONE, false },
	{ "14_msdocs2018_using_poolmon.txt", 1, {4}, PT_LAYOUT_INTERACTIVE, "CM  ", true, PT_STAMP_NONE, false },
	{ "15_msdocs_example9_dash_rule.txt", 1, {4}, PT_LAYOUT_INTERACTIVE, "CM  ", true, PT_STAMP_NONE, false },
	{ "16_msdocs_windbg_poolused.txt", 0, {0}, PT_LAYOUT_X64, NULL, false, PT_STAMP_NONE, false },
	{ "17_msdocs_windbg_poolused4.txt", 0, {0}, PT_LAYOUT_X64, NULL, false, PT_STAMP_NONE, false },
	{ "18_intel_mfd_snapshot_x86widths.txt", 1, {13}, PT_LAYOUT_X86, "EtwB", false, PT_STAMP_NONE, false },
	{ "19_amf_notes_tab_mangled.txt", 1, {3}, PT_LAYOUT_INTERACTIVE, "CM31", true, PT_STAMP_NONE, false },
	{ "20_measurepoolmon_x64_g.txt", 1, {2}, PT_LAYOUT_X64, "ConT", false, PT_STAMP_NONE, false },
	{ "21_census_fixture_x64_both_types.txt", 1, {8}, PT_LAYOUT_X64, "FMfn", false, PT_STAMP_NONE, false },
	{ "22_serverfault_52125_excerpt.txt", 1, {4}, PT_LAYOUT_X64, "Ntfr", true, PT_STAMP_NONE, false },
	{ "23_korean_blog_header_only.txt", 0, {0}, PT_LAYOUT_X64, NULL, false, PT_STAMP_NONE, false },
	{ "24_windbg_poolused_modern_hydradragon.txt", 0, {0}, PT_LAYOUT_X64, NULL, false, PT_STAMP_NONE, false },
	{ "s01_x64_r_g_e_two_snapshots_crlf.txt", 2, {9, 9}, PT_LAYOUT_X64, "File", false, PT_STAMP_NONE, true },
	{ "s02_x64_plain_n.txt", 1, {9}, PT_LAYOUT_X64, "File", false, PT_STAMP_NONE, true },
	{ "s03_x86_n_r_signed_overflow.txt", 1, {9}, PT_LAYOUT_X86, "File", false, PT_STAMP_NONE, true },
	{ "s04_clue_wrapped.txt", 1, {9}, PT_LAYOUT_X64, "File", false, PT_STAMP_CLUE, true },
	{ "s05_tss_wrapped.txt", 1, {9}, PT_LAYOUT_X64, "File", false, PT_STAMP_TSS, true },
	{ "s06_batch_echo_date_loop.txt", 2, {9, 9}, PT_LAYOUT_X64, "File", false, PT_STAMP_BATCH, true },
	{ "s07_utf16le_bom.txt", 1, {9}, PT_LAYOUT_X64, "File", false, PT_STAMP_NONE, true },
};

static const char sample_tags[9][5] = {
	"File", "File", "Io  ", "  xr", "Leak", "Wrap", "Dh 1", "Gla5", "IpSI",
};

static const struct expected *
find_expected(const char *name)
{
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
		if (strcmp(expected[i].name, name) == 0)
			return &expected[i];
	return NULL;
}

static void
check_sample_rows(const struct pt_snapshot *s, const char *name)
{
	for (size_t i = 0; i < 9; i++)
		ck_assert_msg(memcmp(s->rows[i].tag, sample_tags[i], 4) == 0,
			"%s row %zu tag", name, i);
	ck_assert_int_eq(s->rows[0].pool, PT_POOL_NONPAGED);
	ck_assert_int_eq(s->rows[1].pool, PT_POOL_PAGED);
	/* Leak: 4294967290 - 4294967000 or its 32-bit wrap, Diff 290/304 */
	ck_assert(s->rows[4].diff == 290 || s->rows[4].diff == 304);
	/* Wrap: Frees > Allocs, Diff mod 2^32 */
	ck_assert(s->rows[5].diff == 101 || s->rows[5].diff == 115);
}

static void
check_shared_file(const char *dir, const char *name)
{
	const struct expected *e = find_expected(name);
	ck_assert_msg(e != NULL, "%s/%s is not in the expected table", dir,
		name);
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	size_t len;
	char *raw = pt_test_slurp(path, &len);
	ck_assert_msg(raw != NULL, "cannot read %s", path);
	struct pt_text text;
	struct pt_error err = {0};
	ck_assert_msg(pt_decode((const unsigned char *)raw, len, &text, &err),
		"%s", err.msg);
	parse_n(text.data, text.len);
	pt_text_finish(&text);
	free(raw);

	ck_assert_msg(res.nsnaps == e->nsnaps, "%s: %zu snapshots, want %zu",
		name, res.nsnaps, e->nsnaps);
	ck_assert_uint_eq(res.orphan_rows, 0);
	for (size_t i = 0; i < res.nsnaps; i++) {
		const struct pt_snapshot *s = &res.snaps[i];
		ck_assert_msg(s->nrows == e->nrows[i], "%s[%zu]: %zu rows, want %zu",
			name, i, s->nrows, e->nrows[i]);
		ck_assert_msg(s->layout == e->layout, "%s: layout %s", name,
			pt_layout_name(s->layout));
		ck_assert_msg(s->loose == e->loose, "%s: loose", name);
		ck_assert_msg(s->stamp_kind == e->stamp, "%s[%zu]: stamp %d",
			name, i, (int)s->stamp_kind);
		ck_assert_uint_eq(s->duplicates, 0);
		if (e->first_tag != NULL)
			ck_assert_msg(memcmp(s->rows[0].tag, e->first_tag, 4) == 0,
				"%s: first tag", name);
		if (e->sample_tags)
			check_sample_rows(s, name);
	}
}

static void
check_shared_dir(const char *dir, size_t *files)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		printf("note: %s not found, shared-file checks skipped\n", dir);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		if (n < 4 || strcmp(de->d_name + n - 4, ".txt") != 0)
			continue;
		check_shared_file(dir, de->d_name);
		(*files)++;
	}
	closedir(d);
}

START_TEST(test_shared_files)
{
	size_t files = 0;
	check_shared_dir(SHARED_DIR "/data/realdumps", &files);
	check_shared_dir(SHARED_DIR "/data/samples", &files);
	if (files == 0)
		return;
	ck_assert_uint_eq(files, sizeof(expected) / sizeof(expected[0]));
}
END_TEST

START_TEST(test_shared_sample_values)
{
	/* s03: x86 negatives reinterpreted; s01: summary and totals */
	const char *s03 = SHARED_DIR "/data/samples/s03_x86_n_r_signed_overflow.txt";
	size_t len;
	char *raw = pt_test_slurp(s03, &len);
	if (raw == NULL) {
		printf("note: %s not found, skipped\n", s03);
		return;
	}
	struct pt_text text;
	struct pt_error err = {0};
	ck_assert(pt_decode((const unsigned char *)raw, len, &text, &err));
	parse_n(text.data, text.len);
	pt_text_finish(&text);
	free(raw);
	ck_assert_uint_eq(res.nsnaps, 1);
	const struct pt_snapshot *s = &res.snaps[0];
	ck_assert_uint_eq(s->neg_fixed, 2);
	ck_assert_int_eq(s->rows[4].allocs, 4294967290LL);
	ck_assert_int_eq(s->rows[4].bytes, 2249056121LL);
	ck_assert_int_eq(s->rows[5].frees, 4294967200LL);
	ck_assert_int_eq(s->summary.pool_nonpaged_k, 629240);
	ck_assert_int_eq(s->summary.pool_paged_k, 1004712);
	ck_assert_int_eq(s->summary.inram_paged_k, 935188);
}
END_TEST

static Suite *
parse_suite(void)
{
	Suite *s = suite_create("parse");
	TCase *lines = tcase_create("lines");
	tcase_add_checked_fixture(lines, setup, teardown);
	tcase_add_test(lines, test_x64_row);
	tcase_add_test(lines, test_x64_row_mapped_and_wide_bytes);
	tcase_add_test(lines, test_printed_diff_not_trusted);
	tcase_add_test(lines, test_x86_row_negatives);
	tcase_add_test(lines, test_x86_detected_from_row_widths);
	tcase_add_test(lines, test_counter_out_of_range);
	tcase_add_test(lines, test_counter_above_32_bits_reduced);
	tcase_add_test(lines, test_x64_negative_count_rejected);
	tcase_add_test(lines, test_interactive_row_negative_delta);
	tcase_add_test(lines, test_interactive_without_title);
	tcase_add_test(lines, test_loose_tab_mangled);
	tcase_add_test(lines, test_loose_collapsed_short_tag);
	tcase_add_test(lines, test_summary_lines);
	tcase_add_test(lines, test_summary_indented_and_negative);
	tcase_add_test(lines, test_summary_without_header_is_no_snapshot);
	tcase_add_test(lines, test_summary_separated_by_junk_is_dropped);
	tcase_add_test(lines, test_header_variants);
	tcase_add_test(lines, test_total_lines);
	tcase_add_test(lines, test_truncation_error);
	tcase_add_test(lines, test_titles);
	tcase_add_test(lines, test_rule_and_junk_inside_block);
	tcase_add_test(lines, test_names);
	suite_add_tcase(s, lines);

	TCase *blocks = tcase_create("blocks");
	tcase_add_checked_fixture(blocks, setup, teardown);
	tcase_add_test(blocks, test_timestamp_attachment);
	tcase_add_test(blocks, test_orphan_rows);
	tcase_add_test(blocks, test_duplicate_rows);
	tcase_add_test(blocks, test_rows_released_and_reused);
	tcase_add_test(blocks, test_many_distinct_rows);
	tcase_add_test(blocks, test_overflow_number);
	tcase_add_test(blocks, test_bytes_limit);
	tcase_add_test(blocks, test_lone_cr_after_decode);
	tcase_add_test(blocks, test_summary_avail_above_memory);
	tcase_add_test(blocks, test_summary_out_of_range_refused);
	tcase_add_test(blocks, test_overflow_diags_capped);
	tcase_add_test(blocks, test_empty_block);
	tcase_add_test(blocks, test_tags_byte_exact);
	tcase_add_test(blocks, test_tags_without_leading_blank);
	tcase_add_test(blocks, test_multi_snapshot_split);
	tcase_add_test(blocks, test_windbg_poolused_is_not_poolmon);
	tcase_add_test(blocks, test_crlf_and_no_final_newline);
	suite_add_tcase(s, blocks);

	TCase *robust = tcase_create("robustness");
	tcase_add_checked_fixture(robust, setup, teardown);
	tcase_set_timeout(robust, 60);
	tcase_add_test(robust, test_hostile_input);
	suite_add_tcase(s, robust);

	TCase *shared = tcase_create("shared");
	tcase_add_checked_fixture(shared, setup, teardown);
	tcase_add_test(shared, test_shared_files);
	tcase_add_test(shared, test_shared_sample_values);
	suite_add_tcase(s, shared);
	return s;
}

int
main(void)
{
	return pt_test_run(parse_suite());
}
