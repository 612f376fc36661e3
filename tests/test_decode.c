#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "pooltrend/decode.h"
#include "pooltrend/text.h"
#include "testutil.h"

/* A string literal as (pointer, length), so embedded NULs count. */
#define LIT(s) (const unsigned char *)(s), sizeof(s) - 1

/* Decode with pt_decode, or pt_decode_owned on a copy with the least room
 * it allows (len + 1). */
static struct pt_text
decode_with(const unsigned char *in, size_t len, bool owned)
{
	struct pt_text t;
	struct pt_error err = { 0 };
	bool ok;
	if (owned) {
		unsigned char *copy = malloc(len + 1);
		ck_assert_ptr_nonnull(copy);
		if (len > 0)
			memcpy(copy, in, len);
		ok = pt_decode_owned(copy, len, &t, &err);
	} else {
		ok = pt_decode(in, len, &t, &err);
	}
	ck_assert_msg(ok, "decode failed: %s", err.msg);
	ck_assert_ptr_nonnull(t.data);
	ck_assert_int_eq(t.data[t.len], '\0');
	return t;
}

static struct pt_text
decode(const unsigned char *in, size_t len)
{
	return decode_with(in, len, false);
}

/* Both decoders must give want. */
static void
expect(const unsigned char *in, size_t len, const char *want, size_t want_len,
		enum pt_encoding enc)
{
	struct pt_text t = decode(in, len);
	struct pt_text o = decode_with(in, len, true);
	ck_assert_int_eq(t.encoding, enc);
	ck_assert_uint_eq(t.len, want_len);
	ck_assert_mem_eq(t.data, want, want_len);
	ck_assert_int_eq(o.encoding, enc);
	ck_assert_uint_eq(o.len, want_len);
	ck_assert_mem_eq(o.data, want, want_len);
	ck_assert(o.odd_byte == t.odd_byte && o.bad_surrogate == t.bad_surrogate);
	ck_assert_int_eq(o.bad_surrogate_line, t.bad_surrogate_line);
	ck_assert(o.has_lf == t.has_lf);
	ck_assert_uint_eq(o.lone_crs, t.lone_crs);
	ck_assert_int_eq(o.lone_cr_line, t.lone_cr_line);
	pt_text_finish(&t);
	pt_text_finish(&o);
}

/* The lone CRs pt_decode counts in in, and the line of the first. */
static void
expect_lone_crs(const unsigned char *in, size_t len, bool has_lf,
		size_t crs, long line)
{
	struct pt_text t = decode(in, len);
	ck_assert(t.has_lf == has_lf);
	ck_assert_uint_eq(t.lone_crs, crs);
	ck_assert_int_eq(t.lone_cr_line, line);
	pt_text_finish(&t);
}

#define EXPECT_BYTES(in, want) \
	expect(LIT(in), want, sizeof(want) - 1, PT_ENC_BYTES)
#define EXPECT_LE(in, want) \
	expect(LIT("\xff\xfe" in), want, sizeof(want) - 1, PT_ENC_UTF16LE)
#define EXPECT_BE(in, want) \
	expect(LIT("\xfe\xff" in), want, sizeof(want) - 1, PT_ENC_UTF16BE)

START_TEST(empty_input)
{
	struct pt_text t = decode((const unsigned char *)"", 0);
	ck_assert_uint_eq(t.len, 0);
	ck_assert_int_eq(t.encoding, PT_ENC_BYTES);
	ck_assert(!t.odd_byte && !t.bad_surrogate);
	pt_text_finish(&t);
	t = decode_with((const unsigned char *)"", 0, true);
	ck_assert_uint_eq(t.len, 0);
	pt_text_finish(&t);
}
END_TEST

START_TEST(final_newline_added)
{
	EXPECT_BYTES("a\nb", "a\nb\n");
	EXPECT_BYTES("a\nb\n", "a\nb\n");
	EXPECT_BYTES("x", "x\n");
	EXPECT_BYTES("\n", "\n");
}
END_TEST

START_TEST(line_ends_normalised)
{
	EXPECT_BYTES("a\r\nb\r\n", "a\nb\n");
	/* CR line ends (no LF before them) */
	EXPECT_BYTES("a\rb\r", "a\nb\n");
	EXPECT_BYTES("a\r\rb", "a\n\nb\n");
	/* CR CR LF is one line end, as CR LF */
	EXPECT_BYTES("a\r\r\nb\r\r\n", "a\nb\n");
	EXPECT_BYTES("\n\r\r\n\n", "\n\n\n");
	/* every CR no LF follows ends a line, before or after an LF */
	EXPECT_BYTES("a\r\nb\rc\nd\r\r\ne", "a\nb\nc\nd\ne\n");
	EXPECT_BYTES("x\n Le\rk Nonp 1\r\n", "x\n Le\nk Nonp 1\n");
	EXPECT_BYTES("x\na\r\rb\n", "x\na\n\nb\n");
	EXPECT_BYTES("a\rb\nc\rd\n", "a\nb\nc\nd\n");
	EXPECT_BYTES("x\n\r Leak\r \r\n", "x\n\n Leak\n \n");
	/* CRs at the end: the last line's end, its LF cut off */
	EXPECT_BYTES("a\r", "a\n");
	EXPECT_BYTES("x\na\r\r", "x\na\n");
}
END_TEST

/* Lone CRs are counted, with the line the first one ends. */
START_TEST(lone_crs_counted)
{
	expect_lone_crs(LIT("a\r\nb\r\r\n"), true, 0, 0);
	expect_lone_crs(LIT("a\nb\n"), true, 0, 0);
	/* CR line ends: counted, but no LF */
	expect_lone_crs(LIT("a\rb\r\rc\r"), false, 3, 1);
	expect_lone_crs(LIT("x\r\n Le\rk Nonp\r\ny\rz\r\n"), true, 2, 2);
	expect_lone_crs(LIT("a\rb\nc\n"), true, 1, 1);
	/* a CR-only section after LF lines; lines are counted as read */
	expect_lone_crs(LIT("a\nb\n\nc\rd\re"), true, 2, 4);
	expect_lone_crs(LIT("a\r\r\rb\n\rc"), true, 4, 1);
	/* CRs at the very end are the last line's end, not lone */
	expect_lone_crs(LIT("a\r\nb\r"), true, 0, 0);
	/* nor before the Ctrl-Z a DOS copy ends a file with */
	expect_lone_crs(LIT("a\r\nb\r\x1a"), true, 0, 0);
	/* UTF-16: the same */
	expect_lone_crs(LIT("\xff\xfe" "a\0\n\0b\0\r\0c\0\n\0"), true, 1, 2);
}
END_TEST

/* A run of CRs waits for the byte after it up to PT_DECODER_MAX_CRS. */
START_TEST(long_cr_run_flushed)
{
	/* 8 CRs then LF: one line end.  With 9 the first 8 are let go
	 * as lone CRs (line ends) when the 9th comes, and the 9th goes
	 * with the LF. */
	EXPECT_BYTES("x\na\r\r\r\r\r\r\r\r\n", "x\na\n");
	EXPECT_BYTES("x\na\r\r\r\r\r\r\r\r\r\n",
		"x\na\n\n\n\n\n\n\n\n\n");
	expect_lone_crs(LIT("x\na\r\r\r\r\r\r\r\r\r\n"), true, 8, 2);
	EXPECT_BYTES("a\r\r\r\r\r\r\r\r\r\n", "a\n\n\n\n\n\n\n\n\n");
}
END_TEST

static size_t
count_lfs(const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += s[i] == '\n';
	return k;
}

/*
 * The chunked decoder gives what pt_decode gives, however the input is
 * cut (pt_decode's final LF aside), within pt_decoder_room.
 */
static void
expect_stream(const unsigned char *in, size_t len, const char *want,
		long bad_line)
{
	for (size_t chunk = 1; chunk <= len + 1; chunk++) {
		struct pt_decoder d;
		pt_decoder_init(&d);
		size_t cap = len * 3 + 64, got = 0;
		char *out = malloc(cap);
		ck_assert_ptr_nonnull(out);
		for (size_t at = 0; at < len; at += chunk) {
			size_t n = len - at < chunk ? len - at : chunk;
			/* the lines so far, as a line reader sets them */
			d.lfs = count_lfs(out, got);
			size_t w = pt_decoder_feed(&d, in + at, n, false, out + got);
			ck_assert_uint_le(w, pt_decoder_room(n));
			got += w;
		}
		d.lfs = count_lfs(out, got);
		got += pt_decoder_feed(&d, NULL, 0, true, out + got);
		ck_assert_uint_eq(got, strlen(want));
		ck_assert_mem_eq(out, want, got);
		ck_assert_int_eq(d.bad_surrogate_line, bad_line);
		/* the line-end counts agree with the whole decode's */
		struct pt_text t = decode(in, len);
		ck_assert(d.has_lf == t.has_lf);
		ck_assert_uint_eq(d.lone_crs, t.lone_crs);
		ck_assert_int_eq(d.lone_cr_line, t.lone_cr_line);
		pt_text_finish(&t);
		free(out);
	}
}

START_TEST(stream_line_ends_as_whole)
{
	expect_stream(LIT("a\r\nb\rc\r\r\nd\r\n"), "a\nb\nc\nd\n", 0);
	expect_stream(LIT("a\rb\r\rc\nd\re\n"), "a\nb\n\nc\nd\ne\n", 0);
	expect_stream(LIT("x\n\r\r\r\r\r\r\r\r\r\ry\n"),
		"x\n\n\n\n\n\n\n\n\n\n\ny\n", 0);
	expect_stream(LIT("x\ny\nz\r\na\rb\rc\r\n"),
		"x\ny\nz\na\nb\nc\n", 0);
	expect_stream(LIT("a\r\r"), "a\n", 0);
	expect_stream(LIT("x\na\r\r"), "x\na\n", 0);
	/* UTF-16: the same rules, and the line of the first bad surrogate */
	expect_stream(LIT("\xff\xfe" "a\0\r\0\n\0b\0\r\0c\0\n\0\x3d\xd8\n\0"),
		"a\nb\nc\n?\n", 4);
	expect_stream(LIT("\xfe\xff\0a\0\r\0b\0\r\xd8\x3d\0\n"),
		"a\nb\n?\n", 3);
}
END_TEST

START_TEST(utf16_bad_surrogate_line)
{
	struct pt_text t = decode(LIT("\xff\xfe" "a\0\r\0\n\0b\0\n\0"
		"c\0\x3d\xd8\n\0\x00\xde\n\0"));
	ck_assert(t.bad_surrogate);
	ck_assert_int_eq(t.bad_surrogate_line, 3);
	ck_assert_str_eq(t.data, "a\nb\nc?\n?\n");
	pt_text_finish(&t);
	t = decode(LIT("\xff\xfe\x3d\xd8"));
	ck_assert_int_eq(t.bad_surrogate_line, 1);
	pt_text_finish(&t);
	t = decode(LIT("\xff\xfe" "a\0\n\0"));
	ck_assert(!t.bad_surrogate);
	ck_assert_int_eq(t.bad_surrogate_line, 0);
	pt_text_finish(&t);
}
END_TEST

/* UTF-32 is recognised by its BOM and not read; FF FE alone is UTF-16. */
START_TEST(utf32_refused)
{
	expect(LIT("\xff\xfe\0\0" "a\0\0\0\n\0\0\0"), "", 0,
		PT_ENC_UTF32LE);
	expect(LIT("\0\0\xfe\xff" "\0\0\0a\0\0\0\n"), "", 0,
		PT_ENC_UTF32BE);
	EXPECT_LE("a\0\n\0", "a\n");
	ck_assert(pt_has_utf32_bom(LIT("\xff\xfe\0\0")));
	ck_assert(pt_has_utf32_bom(LIT("\0\0\xfe\xff")));
	ck_assert(!pt_has_utf32_bom(LIT("\xff\xfe" "a\0")));
	ck_assert(!pt_has_utf32_bom(LIT("\xff\xfe\0")));
	ck_assert_str_eq(pt_encoding_name(PT_ENC_UTF32LE), "utf-32le");
	ck_assert_str_eq(pt_encoding_name(PT_ENC_UTF32BE), "utf-32be");
	/* the chunked decoder waits for the fourth byte to tell them apart */
	expect_stream(LIT("\xff\xfe\0\0" "a\0\0\0\n\0\0\0"), "", 0);
}
END_TEST

START_TEST(ctrl_z_dropped)
{
	EXPECT_BYTES("a\r\n\x1a", "a\n");
	EXPECT_BYTES("a\x1a", "a\n");
	EXPECT_BYTES("a\x1a\r\n", "a\n");
	EXPECT_BYTES("a\n\x1a\n\n", "a\n");
	EXPECT_BYTES("\x1a", "");
	EXPECT_BYTES("\x1a\r\n", "");
	EXPECT_BYTES("a\nb\r\x1a", "a\nb\n");
	EXPECT_BYTES("a\nb\r\r\x1a", "a\nb\n");
}
END_TEST

START_TEST(ctrl_z_only_one_and_only_trailing)
{
	EXPECT_BYTES("a\x1a\x1a", "a\x1a\n");
	EXPECT_BYTES("a\x1a" "b\n", "a\x1a" "b\n");
	EXPECT_BYTES("\x1a\n" "b", "\x1a\n" "b\n");
}
END_TEST

START_TEST(bytes_kept_as_they_are)
{
	/* NUL, a cp1252 tag byte and invalid UTF-8 must all survive. */
	EXPECT_BYTES("T\0g\xe3\xff\x80\xc3\n", "T\0g\xe3\xff\x80\xc3\n");
}
END_TEST

START_TEST(utf16_without_bom_is_bytes)
{
	EXPECT_BYTES("a\0b\0\r\0\n\0", "a\0b\0\n\0\n\0\n");
}
END_TEST

START_TEST(utf8_bom_dropped)
{
	expect(LIT("\xef\xbb\xbfPool\xe3\r\n"), "Pool\xe3\n", 6,
			PT_ENC_UTF8_BOM);
	expect(LIT("\xef\xbb\xbf"), "", 0, PT_ENC_UTF8_BOM);
	/* A BOM only counts at the start. */
	EXPECT_BYTES("a\xef\xbb\xbf", "a\xef\xbb\xbf\n");
}
END_TEST

START_TEST(utf16le_basic)
{
	EXPECT_LE("a\0\r\0\n\0b\0", "a\nb\n");
	EXPECT_LE("a\0\r\0b\0\n\0", "a\nb\n");
	EXPECT_LE("", "");
}
END_TEST

START_TEST(utf16be_basic)
{
	EXPECT_BE("\0a\0\r\0\n\0b", "a\nb\n");
	EXPECT_BE("\0a\0\r", "a\n");
}
END_TEST

START_TEST(utf16_crlf_split_by_ctrl_z)
{
	EXPECT_LE("a\0\r\0\n\0\x1a\0", "a\n");
	EXPECT_BE("\0a\0\x1a\0\r\0\n", "a\n");
}
END_TEST

START_TEST(utf16_latin1_to_bytes)
{
	/* U+00E3, U+00A0, U+00FF, U+0000 keep their byte values. */
	EXPECT_LE("\xe3\0\xa0\0\xff\0\0\0", "\xe3\xa0\xff\0\n");
	EXPECT_BE("\0\xe3\0T", "\xe3T\n");
}
END_TEST

START_TEST(utf16_cp1252_specials)
{
	static const struct {
		unsigned short cp;
		unsigned char byte;
	} map[] = {
		{ 0x20AC, 0x80 }, { 0x201A, 0x82 }, { 0x0192, 0x83 },
		{ 0x201E, 0x84 }, { 0x2026, 0x85 }, { 0x2020, 0x86 },
		{ 0x2021, 0x87 }, { 0x02C6, 0x88 }, { 0x2030, 0x89 },
		{ 0x0160, 0x8A }, { 0x2039, 0x8B }, { 0x0152, 0x8C },
		{ 0x017D, 0x8E }, { 0x2018, 0x91 }, { 0x2019, 0x92 },
		{ 0x201C, 0x93 }, { 0x201D, 0x94 }, { 0x2022, 0x95 },
		{ 0x2013, 0x96 }, { 0x2014, 0x97 }, { 0x02DC, 0x98 },
		{ 0x2122, 0x99 }, { 0x0161, 0x9A }, { 0x203A, 0x9B },
		{ 0x0153, 0x9C }, { 0x017E, 0x9E }, { 0x0178, 0x9F },
	};
	ck_assert_uint_eq(sizeof(map) / sizeof(map[0]), 27);
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		unsigned char in[4] = { 0xFF, 0xFE, map[i].cp & 0xFF,
			map[i].cp >> 8 };
		unsigned char want[2] = { map[i].byte, '\n' };
		expect(in, sizeof(in), (const char *)want, 2, PT_ENC_UTF16LE);
	}
}
END_TEST

START_TEST(utf16_others_to_utf8)
{
	EXPECT_LE("\x00\x01", "\xc4\x80\n");           /* U+0100 */
	EXPECT_LE("\x2d\x4e", "\xe4\xb8\xad\n");       /* U+4E2D */
	EXPECT_LE("\xff\xff", "\xef\xbf\xbf\n");       /* U+FFFF */
	/* C1 controls are not cp1252 characters ... */
	EXPECT_LE("\x80\x00", "\xc2\x80\n");
	EXPECT_LE("\x9f\x00", "\xc2\x9f\n");
	/* ... except the five bytes cp1252 leaves undefined, which Windows
	 * maps to themselves, so a tag byte 0x81 survives a re-save. */
	EXPECT_LE("\x81\x00", "\x81\n");
	EXPECT_LE("\x9d\x00", "\x9d\n");
	EXPECT_BE("\x20\xac\x20\xad", "\x80\xe2\x82\xad\n");
}
END_TEST

START_TEST(utf16_surrogate_pairs)
{
	/* U+1F600 is D83D DE00; U+10000 and U+10FFFF are the extremes. */
	EXPECT_LE("\x3d\xd8\x00\xde", "\xf0\x9f\x98\x80\n");
	EXPECT_BE("\xd8\x3d\xde\x00", "\xf0\x9f\x98\x80\n");
	EXPECT_LE("\x00\xd8\x00\xdc", "\xf0\x90\x80\x80\n");
	EXPECT_LE("\xff\xdb\xff\xdf", "\xf4\x8f\xbf\xbf\n");

	struct pt_text t = decode(LIT("\xff\xfe\x3d\xd8\x00\xde"));
	ck_assert(!t.bad_surrogate);
	pt_text_finish(&t);
}
END_TEST

static void
expect_bad_surrogate(const unsigned char *in, size_t len, const char *want)
{
	struct pt_text t = decode(in, len);
	ck_assert(t.bad_surrogate);
	ck_assert(!t.odd_byte);
	ck_assert_str_eq(t.data, want);
	pt_text_finish(&t);
}

START_TEST(utf16_unpaired_surrogates)
{
	expect_bad_surrogate(LIT("\xff\xfe\x3d\xd8" "a\0"), "?a\n");
	expect_bad_surrogate(LIT("\xff\xfe" "a\0\x00\xde"), "a?\n");
	expect_bad_surrogate(LIT("\xff\xfe\x3d\xd8"), "?\n");
	/* Reversed pair: both halves are unpaired. */
	expect_bad_surrogate(LIT("\xff\xfe\x00\xde\x3d\xd8"), "??\n");
	/* Two highs: the first is lost, the second still pairs. */
	expect_bad_surrogate(LIT("\xfe\xff\xd8\x3d\xd8\x3d\xde\x00"),
			"?\xf0\x9f\x98\x80\n");
}
END_TEST

START_TEST(utf16_odd_trailing_byte)
{
	struct pt_text t = decode(LIT("\xff\xfe" "a\0b"));
	ck_assert(t.odd_byte);
	ck_assert(!t.bad_surrogate);
	ck_assert_str_eq(t.data, "a\n");
	pt_text_finish(&t);

	t = decode(LIT("\xfe\xff" "x"));
	ck_assert(t.odd_byte);
	ck_assert_uint_eq(t.len, 0);
	pt_text_finish(&t);

	t = decode(LIT("\xff\xfe" "a\0"));
	ck_assert(!t.odd_byte);
	pt_text_finish(&t);
}
END_TEST

START_TEST(large_input_is_linear)
{
	/* Quadratic handling of line ends would not finish in time. */
	size_t n = (size_t)8 << 20;
	unsigned char *in = malloc(n);
	ck_assert_ptr_nonnull(in);
	for (size_t i = 0; i < n; i++)
		in[i] = i % 3 == 2 ? 'x' : '\r';
	struct pt_text t = decode(in, n);
	/* the input ends "x\r\r": the last line's end */
	ck_assert_uint_eq(t.len, n - 1);
	ck_assert_int_eq(t.data[0], '\n');
	ck_assert_int_eq(t.data[1], '\n');
	ck_assert_int_eq(t.data[2], 'x');
	ck_assert_int_eq(t.data[n - 2], '\n');
	ck_assert(!t.has_lf);
	ck_assert_uint_eq(t.lone_crs, n / 3 * 2);
	pt_text_finish(&t);
	/* after an LF the same, and counted from line 2 */
	in[0] = '\n';
	t = decode(in, n);
	ck_assert_uint_eq(t.len, n - 1);
	ck_assert(t.has_lf);
	ck_assert_uint_eq(t.lone_crs, n / 3 * 2 - 1);
	ck_assert_int_eq(t.lone_cr_line, 2);
	pt_text_finish(&t);
	free(in);
}
END_TEST

START_TEST(utf16_large_output_shrunk_correctly)
{
	size_t units = 100000;
	unsigned char *in = malloc(2 + 2 * units);
	ck_assert_ptr_nonnull(in);
	in[0] = 0xFF;
	in[1] = 0xFE;
	for (size_t i = 0; i < units; i++) {
		in[2 + 2 * i] = i % 100 == 99 ? '\n' : 'A';
		in[3 + 2 * i] = 0;
	}
	struct pt_text t = decode(in, 2 + 2 * units);
	ck_assert_uint_eq(t.len, units);
	ck_assert_int_eq(t.data[units - 1], '\n');
	pt_text_finish(&t);
	free(in);
}
END_TEST

START_TEST(encoding_names)
{
	ck_assert_str_eq(pt_encoding_name(PT_ENC_BYTES), "bytes");
	ck_assert_str_eq(pt_encoding_name(PT_ENC_UTF8_BOM), "utf-8-bom");
	ck_assert_str_eq(pt_encoding_name(PT_ENC_UTF16LE), "utf-16le");
	ck_assert_str_eq(pt_encoding_name(PT_ENC_UTF16BE), "utf-16be");
}
END_TEST

/* pt_escape (text.h): what a terminal would hide or reorder is escaped. */
START_TEST(escape_keeps_visible_utf8_and_escapes_invisible)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "caf\xc3\xa9", "caf\xc3\xa9" },             /* kept */
		{ "a\xe2\x80\xae" "b", "a\\xe2\\x80\\xae" "b" },  /* RLO */
		{ "\xe2\x80\x8b", "\\xe2\\x80\\x8b" },        /* ZWSP */
		{ "\xe2\x80\x8d", "\\xe2\\x80\\x8d" },        /* ZWJ */
		{ "\xe2\x80\xa8", "\\xe2\\x80\\xa8" },        /* LS */
		{ "\xe2\x80\xa9", "\\xe2\\x80\\xa9" },        /* PS */
		{ "\xef\xbb\xbf", "\\xef\\xbb\\xbf" },        /* BOM */
		{ "\xc2\xad", "\\xc2\\xad" },                 /* soft hyphen */
		{ "\xe2\x81\xa0", "\\xe2\\x81\\xa0" },        /* word joiner */
		{ "\xe2\x81\xa4", "\\xe2\\x81\\xa4" },        /* invisible plus */
		{ "\xf3\xa0\x80\x81", "\\xf3\\xa0\\x80\\x81" }, /* tag U+E0001 */
		{ "\xf3\xa0\x81\xbf", "\\xf3\\xa0\\x81\\xbf" }, /* tag U+E007F */
		{ "\xe2\x81\xa5", "\xe2\x81\xa5" },            /* U+2065: kept */
		{ "\xf3\xa0\x82\x80", "\xf3\xa0\x82\x80" },    /* U+E0080: kept */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *e = pt_escape(cases[i].in, strlen(cases[i].in));
		ck_assert_ptr_nonnull(e);
		ck_assert_msg(strcmp(e, cases[i].out) == 0, "case %zu: %s", i, e);
		free(e);
	}
}
END_TEST

START_TEST(finish_is_idempotent)
{
	struct pt_text t = decode(LIT("abc"));
	pt_text_finish(&t);
	ck_assert_ptr_null(t.data);
	ck_assert_uint_eq(t.len, 0);
	pt_text_finish(&t);
	pt_text_finish(NULL);
}
END_TEST

static Suite *
decode_suite(void)
{
	Suite *s = suite_create("decode");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, empty_input);
	tcase_add_test(tc, escape_keeps_visible_utf8_and_escapes_invisible);
	tcase_add_test(tc, final_newline_added);
	tcase_add_test(tc, line_ends_normalised);
	tcase_add_test(tc, long_cr_run_flushed);
	tcase_add_test(tc, stream_line_ends_as_whole);
	tcase_add_test(tc, utf16_bad_surrogate_line);
	tcase_add_test(tc, lone_crs_counted);
	tcase_add_test(tc, utf32_refused);
	tcase_add_test(tc, ctrl_z_dropped);
	tcase_add_test(tc, ctrl_z_only_one_and_only_trailing);
	tcase_add_test(tc, bytes_kept_as_they_are);
	tcase_add_test(tc, utf16_without_bom_is_bytes);
	tcase_add_test(tc, utf8_bom_dropped);
	tcase_add_test(tc, utf16le_basic);
	tcase_add_test(tc, utf16be_basic);
	tcase_add_test(tc, utf16_crlf_split_by_ctrl_z);
	tcase_add_test(tc, utf16_latin1_to_bytes);
	tcase_add_test(tc, utf16_cp1252_specials);
	tcase_add_test(tc, utf16_others_to_utf8);
	tcase_add_test(tc, utf16_surrogate_pairs);
	tcase_add_test(tc, utf16_unpaired_surrogates);
	tcase_add_test(tc, utf16_odd_trailing_byte);
	tcase_add_test(tc, large_input_is_linear);
	tcase_add_test(tc, utf16_large_output_shrunk_correctly);
	tcase_add_test(tc, encoding_names);
	tcase_add_test(tc, finish_is_idempotent);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pt_test_run(decode_suite());
}
