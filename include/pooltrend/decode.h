/*
 * Input decoding: raw file bytes to normalised single-byte text.
 *
 * poolmon writes single-byte ANSI text with CRLF line ends; PowerShell
 * re-saves it as UTF-16LE with a BOM; copies come with LF or CR only, a
 * UTF-8 BOM, a trailing Ctrl-Z, or a missing final newline.  pt_decode
 * turns all of these into one form the parser can trust:
 *   - a UTF-8 BOM is dropped, the rest is kept byte for byte;
 *   - UTF-16LE/BE (with BOM) is decoded: code points that Windows-1252 maps
 *     to one byte become that byte (so tag bytes such as 0xE3 survive a
 *     PowerShell round trip), others are written as UTF-8;
 *   - UTF-32 (by its BOM) is refused: it decodes to no text at all (poolmon
 *     never writes it; pt_has_utf32_bom tells a caller why the text is
 *     empty);
 *   - LF ends a line and the CRs just before it (up to
 *     PT_DECODER_MAX_CRS) are dropped with it (CR LF, and CR CR LF from
 *     collectors that wrote CR LF through a text-mode stream); every other
 *     CR ends a line too (files with CR line ends) and is counted, with the
 *     line it ended first, for the caller's warning when the file also has
 *     LF line ends (a CR inside a row cuts it in two);
 *   - a final Ctrl-Z (0x1A) is dropped;
 *   - the text always ends with LF unless it is empty.
 *
 * Ownership: out->data is malloc'd and owned by the caller; release it with
 * pt_text_finish.  pt_decode never modifies its input; pt_decode_owned
 * consumes it.
 */
#ifndef POOLTREND_DECODE_H
#define POOLTREND_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pooltrend/diag.h"

enum pt_encoding {
	PT_ENC_BYTES,   /* no BOM: ANSI / ASCII / UTF-8 kept as bytes */
	PT_ENC_UTF8_BOM,
	PT_ENC_UTF16LE,
	PT_ENC_UTF16BE,
	PT_ENC_UTF32LE, /* refused: decoded to nothing */
	PT_ENC_UTF32BE,
};

/* CRs in one run kept waiting for the byte after them (see decode.c). */
#define PT_DECODER_MAX_CRS 8

struct pt_text {
	char *data;     /* len bytes plus a terminating NUL (not counted) */
	size_t len;
	enum pt_encoding encoding;
	bool odd_byte;  /* UTF-16 input ended in the middle of a code unit */
	bool bad_surrogate; /* an unpaired UTF-16 surrogate was replaced by '?' */
	long bad_surrogate_line; /* the line of the first, 1-based */
	bool has_lf;    /* the input has an LF (so LF line ends) */
	size_t lone_crs; /* CRs no LF followed, each read as a line end */
	long lone_cr_line; /* the line the first of them ended, 1-based */
};

/* Decode len bytes of in.  Fails only when out of memory. */
bool pt_decode(const unsigned char *in, size_t len, struct pt_text *out,
		struct pt_error *err);

/*
 * The same, taking ownership of in, which must be malloc'd with room for
 * len + 1 bytes: single-byte text is decoded in place and in becomes
 * out->data, so a large file is not held twice; UTF-16 is decoded into a
 * new buffer and in is freed.  in is consumed even when the call fails.
 */
bool pt_decode_owned(unsigned char *in, size_t len, struct pt_text *out,
		struct pt_error *err);

/*
 * The same decoding a chunk at a time, for inputs too large to hold: the
 * first 4 bytes wait until the BOM can be sniffed, and CRs, an odd byte
 * or a high surrogate at the end of a chunk wait for the next.  A caller
 * that starts a decoder inside a file (a part after an LF) sets started
 * and encoding itself; its lines and counts are then the part's.  The
 * final Ctrl-Z and the missing final LF are the line reader's business
 * (pt_parse_stream), not the decoder's.
 */
struct pt_decoder {
	enum pt_encoding encoding;
	bool started;           /* the BOM has been sniffed */
	unsigned char head[4];  /* the first bytes, until then */
	size_t nhead;
	size_t crs;             /* CRs waiting for the byte after them */
	bool has_lf;            /* as in struct pt_text */
	size_t lone_crs;
	long lone_cr_line;
	bool odd_byte;          /* as in struct pt_text, once final */
	bool bad_surrogate;
	long bad_surrogate_line;  /* as in struct pt_text */
	/* LFs written before this feed, for the lines of the first lone CR
	 * and bad surrogate: the caller sets it before each feed from the
	 * lines it read (pt_parse_stream_lines_ended), else those lines
	 * count from the feed's start. */
	size_t lfs;
	bool has_carry;         /* carry is the first byte of a UTF-16 unit */
	unsigned char carry;
	uint32_t high;          /* a high surrogate waiting for its pair, or 0 */
};

void pt_decoder_init(struct pt_decoder *d);

/* Output room pt_decoder_feed needs for len more input bytes. */
size_t pt_decoder_room(size_t len);

/*
 * Decode len bytes into out (pt_decoder_room(len) bytes of room); final
 * says no more input follows.  Returns the bytes written.
 */
size_t pt_decoder_feed(struct pt_decoder *d, const unsigned char *in,
		size_t len, bool final, char *out);

/* Name of an encoding for reports: "bytes", "utf-8-bom", "utf-16le"... */
const char *pt_encoding_name(enum pt_encoding enc);

/* Whether the len bytes at in start with a UTF-32 byte-order mark. */
bool pt_has_utf32_bom(const unsigned char *in, size_t len);

void pt_text_finish(struct pt_text *t);

#endif
