#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pooltrend/decode.h"
#include "pooltrend/pooltag.h"
#include "testutil.h"

#define MAXHITS 16

static struct pt_diags diags;
static struct pt_pooltag *pt;
static const struct pt_pooltag_entry *hits[MAXHITS];

static void
setup(void)
{
	pt_diags_init(&diags);
	pt = NULL;
}

static void
teardown(void)
{
	pt_pooltag_destroy(pt);
	pt_diags_finish(&diags);
}

/* Parse a literal (embedded NULs and all) into the file-level pt. */
static void
parse_len(const char *text, size_t len)
{
	struct pt_error err = { 0 };
	pt_pooltag_destroy(pt);
	pt = pt_pooltag_parse(text, len, "pooltag.txt", &diags, &err);
	ck_assert_msg(pt != NULL, "parse failed: %s", err.msg);
}
#define PARSE(s) parse_len((s), sizeof(s) - 1)

/* Look up a 4-byte tag literal ("Io  "); returns the number of hits. */
static size_t
look(const char *tag4)
{
	memset(hits, 0, sizeof(hits));
	return pt_pooltag_lookup(pt, (const uint8_t *)tag4, hits, MAXHITS);
}

static void
expect_one(const char *tag4, const char *key, const char *binary,
		const char *desc)
{
	ck_assert_uint_eq(look(tag4), 1);
	ck_assert_str_eq(hits[0]->key, key);
	ck_assert_str_eq(hits[0]->binary, binary);
	ck_assert_str_eq(hits[0]->description, desc);
}

static size_t
notes(void)
{
	return pt_diags_count(&diags, PT_SEV_NOTE);
}

START_TEST(nominal_entry)
{
	PARSE("Irp  - nt!io        - Io, IRP packets\n"
		"Ntfx - ntfs.sys     -     General Allocation\n");
	ck_assert_uint_eq(pt_pooltag_count(pt), 2);
	expect_one("Irp ", "Irp", "nt!io", "Io, IRP packets");
	ck_assert(!hits[0]->wildcard);
	ck_assert_int_eq(hits[0]->line, 1);
	/* Indentation of the description is trimmed. */
	expect_one("Ntfx", "Ntfx", "ntfs.sys", "General Allocation");
	ck_assert_int_eq(hits[0]->line, 2);
	ck_assert_uint_eq(notes(), 0);
}
END_TEST

START_TEST(rem_comment_needs_blank_or_eol)
{
	PARSE("rem\n"
		"rem Pooltag.txt\n"
		"REM NTFS Specific allocation tags\n"
		"rem\tthis too\n"
		"  rem indented comment - x - y\n"
		"ReMo - refs.sys     -     Mount.c\n"
		"remX - rx.sys - a tag that starts with rem\n"
		"REMs - rs.sys - another\n");
	ck_assert_uint_eq(pt_pooltag_count(pt), 3);
	expect_one("ReMo", "ReMo", "refs.sys", "Mount.c");
	ck_assert_int_eq(hits[0]->line, 6);
	expect_one("remX", "remX", "rx.sys", "a tag that starts with rem");
	expect_one("REMs", "REMs", "rs.sys", "another");
	ck_assert_uint_eq(notes(), 0);
}
END_TEST

START_TEST(slash_comments_and_blank_lines)
{
	PARSE("//\n"
		"//  Copyright (C) Microsoft.  All rights reserved.\n"
		"   // indented - a - b\n"
		"\n"
		"   \n"
		"\t\n"
		"File - <unknown>    - File objects\n");
	ck_assert_uint_eq(pt_pooltag_count(pt), 1);
	expect_one("File", "File", "<unknown>", "File objects");
	ck_assert_int_eq(hits[0]->line, 7);
	ck_assert_uint_eq(notes(), 0);
}
END_TEST

START_TEST(leading_blanks_and_stray_cr)
{
	PARSE("   Lead - lead.sys - indented entry\r\n"
		"Crlf - cr.sys - with CR\r\n");
	ck_assert_uint_eq(pt_pooltag_count(pt), 2);
	expect_one("Lead", "Lead", "lead.sys", "indented entry");
	expect_one("Crlf", "Crlf", "cr.sys", "with CR");
}
END_TEST

START_TEST(two_field_lines)
{
	PARSE("ATmp - AppTag mount point\n"
		"Nodsh - not a tag: five bytes\n");
	ck_assert_uint_eq(pt_pooltag_count(pt), 1);
	expect_one("ATmp", "ATmp", "", "AppTag mount point");
}
END_TEST

START_TEST(dash_glued_to_description)
{
	PARSE("CMAl - nt!cm        -internal registry memory allocator pool tag\n"
		"TSq  - <unknown>    - Terminal Services - Queue - TSQ_TAG\n"
		"Tun4  - <unknown>   - Tunnel cache allocation\n"
		"Mdp -  netio.sys    - Memory Descriptor Lists\n"
		"Xy-z - x-y.sys - dashes inside words stay\n");
	ck_assert_uint_eq(pt_pooltag_count(pt), 5);
	expect_one("CMAl", "CMAl", "nt!cm",
		"internal registry memory allocator pool tag");
	/* Only the first " - " of the rest separates binary and description. */
	expect_one("TSq ", "TSq", "<unknown>",
		"Terminal Services - Queue - TSQ_TAG");
	expect_one("Tun4", "Tun4", "<unknown>", "Tunnel cache allocation");
	expect_one("Mdp ", "Mdp", "netio.sys", "Memory Descriptor Lists");
	expect_one("Xy-z", "Xy-z", "x-y.sys", "dashes inside words stay");
}
END_TEST

START_TEST(short_tags)
{
	PARSE("Cc   - nt!cc        - Cache Manager allocations (catch-all)\n"
		"I4e -  tcpip.sys    - IPv4 Echo data\n"
		"G    - <unknown>    -     Gdi Generic allocations\n"
		"@MP  - <unknown>    - (Intel video driver) Miniport\n");
	ck_assert_uint_eq(pt_pooltag_count(pt), 4);
	expect_one("Cc  ", "Cc", "nt!cc", "Cache Manager allocations (catch-all)");
	expect_one("I4e ", "I4e", "tcpip.sys", "IPv4 Echo data");
	expect_one("G   ", "G", "<unknown>", "Gdi Generic allocations");
	expect_one("@MP ", "@MP", "<unknown>", "(Intel video driver) Miniport");
	/* Leading blanks in the tag: poolmon strips them. */
	expect_one("  Cc", "Cc", "nt!cc", "Cache Manager allocations (catch-all)");
	/* "Ccx" is not "Cc": exact keys only. */
	ck_assert_uint_eq(look("Ccx "), 0);
}
END_TEST

START_TEST(wildcards_patterns_and_literal_keys)
{
	PARSE("G??? - <unknown>    - Gdi Objects\n"
		"Gla? - win32k.sys   - lookaside\n"
		"Gla8 - win32k.sys   - palette\n"
		"Lr?? - <unknown>    - LM redirector allocations\n"
		"Ul?? - http.sys     - tags. Note: In-use tags are \"Ul??\"\n"
		"Bu*  - <unknown>    - burneng.sys from adaptec\n"
		"ST*  - <unknown>    - storage drivers\n");
	ck_assert_uint_eq(pt_pooltag_count(pt), 7);
	/* Most leading literals win: Gla? (3) over G??? (1). */
	expect_one("Gla5", "Gla?", "win32k.sys", "lookaside");
	ck_assert(hits[0]->wildcard);
	/* An exact key beats every pattern. */
	expect_one("Gla8", "Gla8", "win32k.sys", "palette");
	ck_assert(!hits[0]->wildcard);
	expect_one("Gxyz", "G???", "<unknown>", "Gdi Objects");
	/* The pattern is a literal key too. */
	expect_one("Gla?", "Gla?", "win32k.sys", "lookaside");
	expect_one("LrNb", "Lr??", "<unknown>", "LM redirector allocations");
	expect_one("UlHT", "Ul??", "http.sys", "tags. Note: In-use tags are \"Ul??\"");
	/* '*' matches the rest, even nothing. */
	expect_one("Bu12", "Bu*", "<unknown>", "burneng.sys from adaptec");
	expect_one("Bu  ", "Bu*", "<unknown>", "burneng.sys from adaptec");
	expect_one("STor", "ST*", "<unknown>", "storage drivers");
	/* '?' needs a byte: "Lr" is too short for "Lr??". */
	ck_assert_uint_eq(look("Lr  "), 0);
	/* Case-sensitive. */
	ck_assert_uint_eq(look("uLxx"), 0);
	ck_assert_uint_eq(look("st12"), 0);
}
END_TEST

START_TEST(wildcard_ties_all_returned_in_file_order)
{
	PARSE("Ab?? - one.sys - first\n"
		"Ab*  - two.sys - second\n"
		"A??? - three.sys - fewer literals\n");
	ck_assert_uint_eq(look("Abcd"), 2);
	ck_assert_str_eq(hits[0]->binary, "one.sys");
	ck_assert_str_eq(hits[1]->binary, "two.sys");
	/* max limits what is stored, not what is counted. */
	const struct pt_pooltag_entry *one[1] = { NULL };
	ck_assert_uint_eq(pt_pooltag_lookup(pt, (const uint8_t *)"Abcd", one, 1), 2);
	ck_assert_str_eq(one[0]->binary, "one.sys");
	ck_assert_uint_eq(pt_pooltag_lookup(pt, (const uint8_t *)"Abcd", NULL, 0), 2);
}
END_TEST

START_TEST(no_wildcard_lookup_for_non_alnum_first_byte)
{
	PARSE("*    - any.sys - catch-all pattern\n"
		"@G*  - at.sys  - at pattern\n"
		"?abc - q.sys   - literal after '?'\n");
	ck_assert_uint_eq(pt_pooltag_count(pt), 3);
	ck_assert_uint_eq(look("@GMM"), 0);
	ck_assert_uint_eq(look("Abcd"), 0);
	ck_assert_uint_eq(look("?abc"), 1);
	expect_one("*   ", "*", "any.sys", "catch-all pattern");
	expect_one("@G* ", "@G*", "at.sys", "at pattern");
}
END_TEST

START_TEST(literal_question_mark_tags)
{
	PARSE("Gh?: - win32k.sys - GDITAG_HMGR_LFONT_TYPE\n"
		"Gh?0 - win32k.sys - GDITAG_HMGR_DEF_TYPE\n");
	/* Found as exact keys... */
	expect_one("Gh?:", "Gh?:", "win32k.sys", "GDITAG_HMGR_LFONT_TYPE");
	ck_assert(hits[0]->wildcard);
	expect_one("Gh?0", "Gh?0", "win32k.sys", "GDITAG_HMGR_DEF_TYPE");
	/* ...but as patterns a literal after '?' never matches. */
	ck_assert_uint_eq(look("Gh5:"), 0);
	ck_assert_uint_eq(look("Gh50"), 0);
}
END_TEST

START_TEST(free_text_one_note)
{
	PARSE("QUIC Allocation tags are Qc00 through QcFF\n"
		"QUIC - msquic.sys   - Generic QUIC allocation\n"
		"       <unknown>\n"
		"this is \x1b[31m junk\n");
	ck_assert_uint_eq(pt_pooltag_count(pt), 1);
	expect_one("QUIC", "QUIC", "msquic.sys", "Generic QUIC allocation");
	ck_assert_uint_eq(diags.len, 1);
	ck_assert_uint_eq(notes(), 1);
	ck_assert_int_eq(diags.items[0].line, 1);
	ck_assert_ptr_nonnull(strstr(diags.items[0].msg, "3 lines"));
	ck_assert_ptr_nonnull(strstr(diags.items[0].msg,
		"QUIC Allocation tags are Qc00 through QcFF"));
	ck_assert_str_eq(diags.items[0].file, "pooltag.txt");
}
END_TEST

START_TEST(free_text_note_is_escaped_and_short)
{
	PARSE("\x1b]0;evil\x07 and then a very long line that goes on and on and on and on\n");
	ck_assert_uint_eq(pt_pooltag_count(pt), 0);
	ck_assert_uint_eq(diags.len, 1);
	const char *m = diags.items[0].msg;
	for (const char *c = m; *c; c++)
		ck_assert_int_ge((unsigned char)*c, 0x20);
	ck_assert_ptr_nonnull(strstr(m, "1 line "));
	ck_assert_ptr_null(strstr(m, "on and on and on and on"));
}
END_TEST

START_TEST(duplicates_kept_in_file_order)
{
	PARSE("Fatv - fastfat.sys  - Fat events\n"
		"Fat  - fastfat.sys  - Fat File System allocations\n"
		"Fatv - fastfat.sys  - Fat backpocket Vpb\n"
		"Fatv - other.sys    - third\n");
	ck_assert_uint_eq(pt_pooltag_count(pt), 4);
	ck_assert_uint_eq(look("Fatv"), 3);
	ck_assert_str_eq(hits[0]->description, "Fat events");
	ck_assert_str_eq(hits[1]->description, "Fat backpocket Vpb");
	ck_assert_str_eq(hits[2]->binary, "other.sys");
	ck_assert_int_eq(hits[0]->line, 1);
	ck_assert_int_eq(hits[1]->line, 3);
	ck_assert_int_eq(hits[2]->line, 4);
}
END_TEST

START_TEST(spaced_keys_kept_as_written)
{
	PARSE("Dh 0 - <unknown>    - DirectDraw/3D default object\n"
		"Dh 1 - <unknown>    - DirectDraw/3D DirectDraw object\n"
		"Gh ? - win32k.sys   - Gdi Handle manager types\n");
	ck_assert_uint_eq(pt_pooltag_count(pt), 3);
	/* Step 1: the key as written. */
	expect_one("Dh 0", "Dh 0", "<unknown>", "DirectDraw/3D default object");
	expect_one("Dh 1", "Dh 1", "<unknown>", "DirectDraw/3D DirectDraw object");
	/* Step 2: poolmon's cut form "Dh" finds every "Dh n" line. */
	ck_assert_uint_eq(look("Dh 7"), 2);
	ck_assert_str_eq(hits[0]->key, "Dh 0");
	ck_assert_str_eq(hits[1]->key, "Dh 1");
	ck_assert_uint_eq(look("Dh  "), 2);
	expect_one("Gh 5", "Gh ?", "win32k.sys", "Gdi Handle manager types");
	ck_assert(hits[0]->wildcard);
	ck_assert_uint_eq(look("Dhxx"), 0);
}
END_TEST

START_TEST(poolmon_cut_finds_short_keys)
{
	PARSE("Dh   - <unknown>    - plain Dh\n"
		"Dh 0 - <unknown>    - DirectDraw/3D default object\n"
		"xr   - xr.sys - leading-blank tag target\n"
		"Io   - nt!io        - general IO allocations\n");
	/* "Dh 1" is no key: the cut form "Dh" finds "Dh" and "Dh 0". */
	ck_assert_uint_eq(look("Dh 1"), 2);
	ck_assert_str_eq(hits[0]->key, "Dh");
	ck_assert_str_eq(hits[1]->key, "Dh 0");
	/* "Dh 0" is a key: exactly that one. */
	expect_one("Dh 0", "Dh 0", "<unknown>", "DirectDraw/3D default object");
	/* Trailing blanks trimmed: exact "Dh" only, not "Dh 0". */
	expect_one("Dh  ", "Dh", "<unknown>", "plain Dh");
	expect_one("  xr", "xr", "xr.sys", "leading-blank tag target");
	expect_one("Io  ", "Io", "nt!io", "general IO allocations");
	expect_one("Io 9", "Io", "nt!io", "general IO allocations");
	ck_assert_uint_eq(look("    "), 0);
	ck_assert_uint_eq(look("\0\0\0\0"), 0);
	/* A NUL ends the tag like a C string. */
	expect_one("Io\0x", "Io", "nt!io", "general IO allocations");
}
END_TEST

START_TEST(ctrl_z_ends_the_file)
{
	PARSE("Aaaa - a.sys - before\n\x1a");
	ck_assert_uint_eq(pt_pooltag_count(pt), 1);
	ck_assert_uint_eq(diags.len, 0);
	PARSE("Aaaa - a.sys - before\n\x1a\nBbbb - b.sys - after\n");
	ck_assert_uint_eq(pt_pooltag_count(pt), 1);
	ck_assert_uint_eq(look("Bbbb"), 0);
	ck_assert_uint_eq(diags.len, 1);
	ck_assert_int_eq(diags.items[0].line, 2);
	ck_assert_ptr_nonnull(strstr(diags.items[0].msg, "Ctrl-Z"));
}
END_TEST

START_TEST(odd_inputs)
{
	PARSE("");
	ck_assert_uint_eq(pt_pooltag_count(pt), 0);
	ck_assert_uint_eq(look("Abcd"), 0);
	PARSE("No final newline - x.sys - y");
	ck_assert_uint_eq(pt_pooltag_count(pt), 0);
	PARSE("Last - x.sys - no final newline");
	expect_one("Last", "Last", "x.sys", "no final newline");
	PARSE("Emty -\n");
	expect_one("Emty", "Emty", "", "");
	PARSE("A\0bc - nul.sys - NUL in the tag\n");
	ck_assert_uint_eq(pt_pooltag_count(pt), 0);
	/* NULs elsewhere are blanks, so strings stay whole and trimmed. */
	PARSE("AfdB - afd.sys \0\0- Afd\0data\0\n");
	expect_one("AfdB", "AfdB", "afd.sys", "Afd data");
	PARSE("AfdB - afd.sys  \0\0a\0 Afd\n");
	expect_one("AfdB", "AfdB", "", "afd.sys    a  Afd");
	pt_pooltag_destroy(pt);
	pt = pt_pooltag_parse(NULL, 5, NULL, NULL, NULL);
	ck_assert_uint_eq(pt_pooltag_count(pt), 0);
	ck_assert_uint_eq(pt_pooltag_count(NULL), 0);
	ck_assert_uint_eq(pt_pooltag_lookup(NULL, (const uint8_t *)"Abcd", hits, 1), 0);
	pt_pooltag_destroy(NULL);
}
END_TEST

/* ---- the real copies in ../shared (FORMAT.md 5.1), when present ---- */

struct copy {
	const char *name;
	size_t entries;
	size_t junk;
};

/*
 * Entry counts, found by classifying every line independently (a Python
 * script over the files, not this parser): lines minus blank lines minus
 * comments ("//", and "rem"/"REM" + blank or EOL) minus free text.
 *   01: 1,933 lines - 165 blank - 13 rem - 1 free ("       <unknown>") = 1,754
 *   02: 5,009 lines - 372 blank - 3 "//" - 19 rem - 2 free ("<unknown>",
 *       "QUIC Allocation tags...") = 4,613
 *   03: 4,689 lines - 360 blank - 3 "//" - 18 rem = 4,308
 * FORMAT.md says 1,755 and 4,614: it counts the free-text lines as
 * entries and, for 02, "ReMo" as a rem line (20 rem/REM lines).
 */
static const struct copy copies[] = {
	{ "01_rktools2003_pooltag.txt", 1754, 1 },
	{ "02_winsdk2023_pooltag.txt", 4613, 2 },
	{ "03_poolmonxv2_2022_pooltag.txt", 4308, 0 },
};

static bool
load_copy(const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/data/pooltag/%s", SHARED_DIR, name);
	size_t len;
	char *raw = pt_test_slurp(path, &len);
	if (raw == NULL) {
		printf("note: %s not found, skipped\n", path);
		return false;
	}
	struct pt_text text;
	struct pt_error err = { 0 };
	ck_assert(pt_decode((const unsigned char *)raw, len, &text, &err));
	free(raw);
	pt_diags_finish(&diags);
	pt_diags_init(&diags);
	parse_len(text.data, text.len);
	pt_text_finish(&text);
	return true;
}

START_TEST(real_copies_counts)
{
	for (size_t i = 0; i < sizeof(copies) / sizeof(copies[0]); i++) {
		if (!load_copy(copies[i].name))
			continue;
		ck_assert_msg(pt_pooltag_count(pt) == copies[i].entries,
			"%s: %zu entries, want %zu", copies[i].name,
			pt_pooltag_count(pt), copies[i].entries);
		ck_assert_uint_eq(notes(), copies[i].junk ? 1 : 0);
		if (copies[i].junk > 0) {
			char want[32];
			snprintf(want, sizeof(want), "%zu line", copies[i].junk);
			ck_assert_ptr_nonnull(strstr(diags.items[0].msg, want));
		}
	}
}
END_TEST

START_TEST(real_copy_01_lookups)
{
	if (!load_copy(copies[0].name))
		return;
	/* No Gla5 key in 01: the Gla? pattern (3 literals) beats G??? (1). */
	expect_one("Gla5", "Gla?", "win32k.sys",
		"Gdi handle manager specific object types allocated from "
		"lookaside memory: defined in w32\\ntgdi\\inc\\ntgdistr.h");
	ck_assert_uint_eq(look("Fatv"), 2);
	ck_assert_str_eq(hits[0]->description, "Fat events");
	ck_assert_str_eq(hits[1]->description, "Fat backpocket Vpb");
	expect_one("CMAl", "CMAl", "nt!cm",
		"internal registry memory allocator pool tag");
	ck_assert_uint_eq(look("Dh 3"), 1);
	ck_assert_str_eq(hits[0]->description, "DirectDraw/3D Direct3D context object");
	ck_assert_uint_eq(look("Dh 9"), 6);
	ck_assert_uint_eq(look("ReMo"), 0);
	ck_assert_uint_eq(look("Lr  "), 1); /* the plain "Lr" key */
	ck_assert_uint_eq(look("LrAb"), 2); /* two "Lr??" lines */
	ck_assert_uint_eq(look("Zq#7"), 0);
}
END_TEST

START_TEST(real_copy_02_lookups)
{
	if (!load_copy(copies[1].name))
		return;
	ck_assert_uint_eq(look("File"), 1);
	ck_assert_str_eq(hits[0]->binary, "<unknown>");
	expect_one("ReMo", "ReMo", "refs.sys", "Mount.c");
	/* 02 has a Gla5 key of its own. */
	expect_one("Gla5", "Gla5", "win32k.sys", "GDITAG_HMGR_LOOKASIDE_SURF_TYPE");
	expect_one("ATmp", "ATmp", "", "AppTag mount point");
	expect_one("Gh?:", "Gh?:", "win32k.sys", "GDITAG_HMGR_LFONT_TYPE");
	expect_one("I4e ", "I4e", "tcpip.sys", "IPv4 Echo data");
	ck_assert_uint_eq(look("QUIC"), 1);
	ck_assert_str_eq(hits[0]->binary, "msquic.sys");
	ck_assert_uint_eq(look("Zq#7"), 0);
	ck_assert_int_eq(diags.items[0].line, 876); /* "       <unknown>" */
}
END_TEST

START_TEST(real_copy_03_lookups)
{
	if (!load_copy(copies[2].name))
		return;
	ck_assert_uint_eq(look("ReMo"), 0); /* not in this older copy */
	expect_one("Gla5", "Gla5", "win32k.sys", "GDITAG_HMGR_LOOKASIDE_SURF_TYPE");
	expect_one("Fsb ", "Fsb", "netio.sys", "Fixed-Size Block pool");
	ck_assert_uint_eq(look("Zq#7"), 0);
	ck_assert_uint_eq(diags.len, 0);
}
END_TEST

static Suite *
pooltag_suite(void)
{
	Suite *s = suite_create("pooltag");
	TCase *tc = tcase_create("grammar");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, nominal_entry);
	tcase_add_test(tc, rem_comment_needs_blank_or_eol);
	tcase_add_test(tc, slash_comments_and_blank_lines);
	tcase_add_test(tc, leading_blanks_and_stray_cr);
	tcase_add_test(tc, two_field_lines);
	tcase_add_test(tc, dash_glued_to_description);
	tcase_add_test(tc, short_tags);
	tcase_add_test(tc, free_text_one_note);
	tcase_add_test(tc, free_text_note_is_escaped_and_short);
	tcase_add_test(tc, duplicates_kept_in_file_order);
	tcase_add_test(tc, ctrl_z_ends_the_file);
	tcase_add_test(tc, odd_inputs);
	suite_add_tcase(s, tc);
	tc = tcase_create("lookup");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, wildcards_patterns_and_literal_keys);
	tcase_add_test(tc, wildcard_ties_all_returned_in_file_order);
	tcase_add_test(tc, no_wildcard_lookup_for_non_alnum_first_byte);
	tcase_add_test(tc, literal_question_mark_tags);
	tcase_add_test(tc, spaced_keys_kept_as_written);
	tcase_add_test(tc, poolmon_cut_finds_short_keys);
	suite_add_tcase(s, tc);
	tc = tcase_create("real");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, real_copies_counts);
	tcase_add_test(tc, real_copy_01_lookups);
	tcase_add_test(tc, real_copy_02_lookups);
	tcase_add_test(tc, real_copy_03_lookups);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pt_test_run(pooltag_suite());
}
