#include "pooltrend/decode.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * Unicode code points of Windows-1252 bytes 0x80..0x9F.  Zero marks the five
 * bytes cp1252 leaves undefined; their U+0080..U+009F namesakes are C1
 * controls, not cp1252 text, so they are written as UTF-8 like any other
 * character outside the code page.
 */
static const uint16_t cp1252_high[32] = {
	0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
	0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,
};

#define CTRL_Z 0x1A

/*
 * Output buffer that normalises line ends as bytes arrive, so decoding and
 * line-end folding happen in the same single pass.  Folding after decoding
 * is sound because no UTF-8 continuation or lead byte equals CR or LF.
 *
 * Line ends: LF, with the CRs just before it dropped (CR LF from poolmon,
 * CR CR LF from a collector that wrote CR LF through a text-mode stream),
 * and every CR that no LF follows (files with CR line ends, or sections of
 * them).  Such lone CRs are counted, with the line of the first: in a file
 * that also has LF line ends they are more likely damage than line ends (a
 * row cut in two), which the caller warns about.  A run of CRs waits for
 * the byte after it, at most PT_DECODER_MAX_CRS of them (a longer run is
 * flushed as lone CRs), which bounds what one more byte can make the
 * output grow.
 */
struct sink {
	unsigned char *buf;
	size_t len;
	size_t crs;             /* CRs waiting for the byte after them */
	bool has_lf;            /* an LF came in */
	size_t lone_crs;        /* CRs no LF followed, each made a line end */
	long lone_cr_line;      /* the line the first one ended, 1-based */
	size_t lfs_before;      /* LFs written before buf (chunked decoder) */
};

static size_t
count_lfs(const unsigned char *s, size_t n)
{
	size_t k = 0;
	for (const unsigned char *p = s, *end = s + n;
			(p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
		k++;
	return k;
}

/* The waiting CRs, each a line end of its own: no LF came after them. */
static void
flush_lone_crs(struct sink *s)
{
	if (s->lone_crs == 0)
		s->lone_cr_line = 1 + (long)(s->lfs_before +
			count_lfs(s->buf, s->len));
	s->lone_crs += s->crs;
	for (; s->crs > 0; s->crs--)
		s->buf[s->len++] = '\n';
}

static void
put_byte(struct sink *s, unsigned char c)
{
	if (c == '\r') {
		if (s->crs == PT_DECODER_MAX_CRS)
			flush_lone_crs(s);
		s->crs++;
		return;
	}
	if (c == '\n') {
		s->crs = 0;
		s->has_lf = true;
	} else if (s->crs > 0 && c == 0x1A) {
		/* The Ctrl-Z a DOS copy puts at the end: the CRs before it
		 * end the last line, as at the end of the input. */
		s->buf[s->len++] = '\n';
		s->crs = 0;
	} else if (s->crs > 0) {
		flush_lone_crs(s);
	}
	s->buf[s->len++] = c;
}

/*
 * CRs at the end of the input end its last line, as an LF there would (a
 * file cut after the CR of its CR LF is not damaged inside).
 */
static void
end_crs(struct sink *s)
{
	if (s->crs > 0)
		s->buf[s->len++] = '\n';
	s->crs = 0;
}

/* An unpaired surrogate becomes '?'; the first one's line is noted. */
static void
put_bad_surrogate(struct sink *s, bool *seen, long *line)
{
	put_byte(s, '?');
	if (*seen)
		return;
	*seen = true;
	*line = 1 + (long)(s->lfs_before + count_lfs(s->buf, s->len - 1));
}

/*
 * put_byte over a whole buffer: the runs between CRs are copied at once,
 * which is what makes decoding run at memory speed.  A run never starts
 * right after a CR (that byte goes through put_byte), so no CR waits
 * across it.
 */
static void
put_bytes(struct sink *s, const unsigned char *in, size_t len)
{
	size_t i = 0;
	while (i < len) {
		if (s->crs > 0) {
			put_byte(s, in[i++]);
			continue;
		}
		const unsigned char *cr = memchr(in + i, '\r', len - i);
		size_t run = cr != NULL ? (size_t)(cr - (in + i)) : len - i;
		/* memmove: pt_decode_owned decodes in place, behind the reader. */
		memmove(s->buf + s->len, in + i, run);
		if (!s->has_lf && memchr(s->buf + s->len, '\n', run) != NULL)
			s->has_lf = true;
		s->len += run;
		i += run;
		if (cr != NULL)
			put_byte(s, in[i++]);
	}
}

/* The cp1252 byte for cp, or -1 when the code page has none. */
static int
cp1252_byte(uint32_t cp)
{
	if (cp < 0x80 || (cp >= 0xA0 && cp <= 0xFF))
		return (int)cp;
	/* The five bytes cp1252 leaves undefined round-trip through Windows
	 * as U+0081, U+008D, U+008F, U+0090 and U+009D. */
	if (cp == 0x81 || cp == 0x8D || cp == 0x8F || cp == 0x90 || cp == 0x9D)
		return (int)cp;
	if (cp < 0x100)
		return -1;
	for (int i = 0; i < 32; i++)
		if (cp1252_high[i] == cp)
			return 0x80 + i;
	return -1;
}

static void
put_utf8(struct sink *s, uint32_t cp)
{
	if (cp < 0x800) {
		put_byte(s, (unsigned char)(0xC0 | cp >> 6));
	} else if (cp < 0x10000) {
		put_byte(s, (unsigned char)(0xE0 | cp >> 12));
		put_byte(s, (unsigned char)(0x80 | (cp >> 6 & 0x3F)));
	} else {
		put_byte(s, (unsigned char)(0xF0 | cp >> 18));
		put_byte(s, (unsigned char)(0x80 | (cp >> 12 & 0x3F)));
		put_byte(s, (unsigned char)(0x80 | (cp >> 6 & 0x3F)));
	}
	put_byte(s, (unsigned char)(0x80 | (cp & 0x3F)));
}

static void
put_code_point(struct sink *s, uint32_t cp)
{
	int b = cp1252_byte(cp);
	if (b >= 0)
		put_byte(s, (unsigned char)b);
	else
		put_utf8(s, cp);
}

static uint32_t
unit_at(const unsigned char *p, bool big_endian)
{
	return big_endian ? (uint32_t)p[0] << 8 | p[1]
			  : (uint32_t)p[1] << 8 | p[0];
}

static bool
is_high_surrogate(uint32_t u)
{
	return u >= 0xD800 && u <= 0xDBFF;
}

static bool
is_low_surrogate(uint32_t u)
{
	return u >= 0xDC00 && u <= 0xDFFF;
}

static void
decode_utf16(const unsigned char *in, size_t len, bool big_endian,
		struct sink *s, struct pt_text *out)
{
	size_t units = len / 2;
	out->odd_byte = len % 2 != 0;
	for (size_t i = 0; i < units; i++) {
		uint32_t u = unit_at(in + 2 * i, big_endian);
		if (is_high_surrogate(u) && i + 1 < units) {
			uint32_t lo = unit_at(in + 2 * (i + 1), big_endian);
			if (is_low_surrogate(lo)) {
				put_code_point(s, 0x10000 + ((u - 0xD800) << 10)
						+ (lo - 0xDC00));
				i++;
				continue;
			}
		}
		if (is_high_surrogate(u) || is_low_surrogate(u)) {
			put_bad_surrogate(s, &out->bad_surrogate,
				&out->bad_surrogate_line);
			continue;
		}
		put_code_point(s, u);
	}
}

static enum pt_encoding
sniff(const unsigned char *in, size_t len, size_t *bom_len)
{
	if (len >= 3 && in[0] == 0xEF && in[1] == 0xBB && in[2] == 0xBF) {
		*bom_len = 3;
		return PT_ENC_UTF8_BOM;
	}
	/* UTF-32 before UTF-16: FF FE starts both little-endian marks. */
	*bom_len = 4;
	if (len >= 4 && memcmp(in, "\xFF\xFE\0\0", 4) == 0)
		return PT_ENC_UTF32LE;
	if (len >= 4 && memcmp(in, "\0\0\xFE\xFF", 4) == 0)
		return PT_ENC_UTF32BE;
	*bom_len = 2;
	if (len >= 2 && in[0] == 0xFF && in[1] == 0xFE)
		return PT_ENC_UTF16LE;
	if (len >= 2 && in[0] == 0xFE && in[1] == 0xFF)
		return PT_ENC_UTF16BE;
	*bom_len = 0;
	return PT_ENC_BYTES;
}

static bool
is_utf16(enum pt_encoding enc)
{
	return enc == PT_ENC_UTF16LE || enc == PT_ENC_UTF16BE;
}

/* Recognised, not read: poolmon never writes UTF-32. */
static bool
is_refused(enum pt_encoding enc)
{
	return enc == PT_ENC_UTF32LE || enc == PT_ENC_UTF32BE;
}

bool
pt_has_utf32_bom(const unsigned char *in, size_t len)
{
	size_t bom_len;
	return is_refused(sniff(in, len, &bom_len));
}

/*
 * Worst-case output size, so the single pass never has to grow the buffer:
 * a UTF-16 unit yields at most 3 bytes (a BMP character outside cp1252; a
 * surrogate pair yields 4 for 2 units), a byte yields at most itself.  Two
 * more for an added final LF and the NUL.
 */
static bool
output_capacity(enum pt_encoding enc, size_t payload, size_t *cap)
{
	size_t body = payload;
	if (is_utf16(enc)) {
		if (payload / 2 > (SIZE_MAX - 2) / 3)
			return false;
		body = payload / 2 * 3;
	} else if (payload > SIZE_MAX - 2) {
		return false;
	}
	*cap = body + 2;
	return true;
}

/*
 * Length after dropping a final Ctrl-Z.  DOS tools append it after the last
 * line end, and copies may add line ends after it, so trailing LFs are
 * looked through (and dropped with it; the caller restores the final LF).
 */
static size_t
without_ctrl_z(const unsigned char *buf, size_t len)
{
	size_t end = len;
	while (end > 0 && buf[end - 1] == '\n')
		end--;
	if (end > 0 && buf[end - 1] == CTRL_Z)
		return end - 1;
	return len;
}

/*
 * Drop a final Ctrl-Z, end with LF and NUL (the buffer has room for both)
 * and hand the buffer to out.  A buffer of cap bytes more than twice the
 * text is shrunk (cap 0: never).
 */
static void
finish_text(struct sink *s, size_t cap, struct pt_text *out)
{
	s->len = without_ctrl_z(s->buf, s->len);
	if (s->len > 0 && s->buf[s->len - 1] != '\n')
		s->buf[s->len++] = '\n';
	s->buf[s->len] = '\0';

	/* UTF-16 was sized for 3 bytes a unit; mostly-ASCII logs use one.
	 * (len is below cap, so len + 1 never wraps; said for the analyser.) */
	if (s->len < SIZE_MAX / 2 && s->len + 1 < cap / 2) {
		unsigned char *fit = realloc(s->buf, s->len + 1);
		if (fit != NULL)
			s->buf = fit;
	}
	out->data = (char *)s->buf;
	out->len = s->len;
	out->has_lf = s->has_lf;
	out->lone_crs = s->lone_crs;
	out->lone_cr_line = s->lone_cr_line;
}

bool
pt_decode(const unsigned char *in, size_t len, struct pt_text *out,
		struct pt_error *err)
{
	memset(out, 0, sizeof(*out));
	size_t bom_len;
	out->encoding = sniff(in, len, &bom_len);
	const unsigned char *payload = in + bom_len;
	size_t payload_len = len - bom_len;

	size_t cap;
	struct sink s = { 0 };
	if (output_capacity(out->encoding, payload_len, &cap))
		s.buf = malloc(cap);
	if (s.buf == NULL) {
		pt_error_set(err, 0, "out of memory decoding %zu bytes", len);
		return false;
	}

	/* UTF-32 (refused) decodes to nothing: no line of it is read. */
	if (is_utf16(out->encoding)) {
		decode_utf16(payload, payload_len,
				out->encoding == PT_ENC_UTF16BE, &s, out);
	} else if (!is_refused(out->encoding)) {
		put_bytes(&s, payload, payload_len);
	}
	end_crs(&s);
	finish_text(&s, cap, out);
	return true;
}

/*
 * Single-byte input decodes into the bytes it came in: output never
 * outruns input (a CRLF shrinks, a BOM is dropped), so only the final LF
 * may need one byte more.
 */
bool
pt_decode_owned(unsigned char *in, size_t len, struct pt_text *out,
		struct pt_error *err)
{
	size_t bom_len;
	enum pt_encoding enc = sniff(in, len, &bom_len);
	if (is_utf16(enc) || is_refused(enc)) {
		bool ok = pt_decode(in, len, out, err);
		free(in);
		return ok;
	}
	memset(out, 0, sizeof(*out));
	out->encoding = enc;
	struct sink s = { .buf = in };
	put_bytes(&s, in + bom_len, len - bom_len);
	end_crs(&s);
	/* in has len + 1 bytes: the final LF may need one more. */
	if (s.len == len) {
		unsigned char *more = realloc(s.buf, len + 2);
		if (more == NULL) {
			free(s.buf);
			pt_error_set(err, 0, "out of memory decoding %zu bytes", len);
			return false;
		}
		s.buf = more;
	}
	finish_text(&s, 0, out);
	return true;
}

void
pt_decoder_init(struct pt_decoder *d)
{
	memset(d, 0, sizeof(*d));
}

size_t
pt_decoder_room(size_t len)
{
	/* As output_capacity for UTF-16 (3 bytes a unit), with the carried
	 * bytes of the last chunk and the CRs waiting from it counted in. */
	return (len + 4) / 2 * 3 + 4 + PT_DECODER_MAX_CRS;
}

/*
 * One UTF-16 unit, with a high surrogate held until the next unit says
 * whether it starts a pair: the same results as decode_utf16.
 */
static void
put_unit(struct pt_decoder *d, uint32_t u, struct sink *s)
{
	if (d->high != 0) {
		uint32_t hi = d->high;
		d->high = 0;
		if (is_low_surrogate(u)) {
			put_code_point(s, 0x10000 + ((hi - 0xD800) << 10) +
				(u - 0xDC00));
			return;
		}
		put_bad_surrogate(s, &d->bad_surrogate, &d->bad_surrogate_line);
	}
	if (is_high_surrogate(u)) {
		d->high = u;
	} else if (is_low_surrogate(u)) {
		put_bad_surrogate(s, &d->bad_surrogate, &d->bad_surrogate_line);
	} else {
		put_code_point(s, u);
	}
}

static void
feed_utf16(struct pt_decoder *d, const unsigned char *in, size_t len,
		bool final, struct sink *s)
{
	bool be = d->encoding == PT_ENC_UTF16BE;
	size_t i = 0;
	if (d->has_carry && len > 0) {
		unsigned char unit[2] = { d->carry, in[0] };
		put_unit(d, unit_at(unit, be), s);
		d->has_carry = false;
		i = 1;
	}
	for (; i + 2 <= len; i += 2)
		put_unit(d, unit_at(in + i, be), s);
	if (i < len) {
		d->carry = in[i];
		d->has_carry = true;
	}
	if (final) {
		if (d->high != 0) {
			put_bad_surrogate(s, &d->bad_surrogate,
				&d->bad_surrogate_line);
			d->high = 0;
		}
		d->odd_byte = d->has_carry;
	}
}

static void
decode_part(struct pt_decoder *d, const unsigned char *in, size_t len,
		bool final, struct sink *s)
{
	if (is_utf16(d->encoding))
		feed_utf16(d, in, len, final, s);
	else if (!is_refused(d->encoding))
		put_bytes(s, in, len);
}

size_t
pt_decoder_feed(struct pt_decoder *d, const unsigned char *in, size_t len,
		bool final, char *out)
{
	struct sink s = { .buf = (unsigned char *)out, .crs = d->crs,
		.has_lf = d->has_lf, .lone_crs = d->lone_crs,
		.lone_cr_line = d->lone_cr_line, .lfs_before = d->lfs };
	if (!d->started) {
		/* The BOM is sniffed from 4 bytes, however the input comes. */
		while (d->nhead < sizeof(d->head) && len > 0) {
			d->head[d->nhead++] = *in++;
			len--;
		}
		if (d->nhead < sizeof(d->head) && !final)
			return 0;
		size_t bom_len;
		d->encoding = sniff(d->head, d->nhead, &bom_len);
		d->started = true;
		decode_part(d, d->head + bom_len, d->nhead - bom_len,
			final && len == 0, &s);
	}
	decode_part(d, in, len, final, &s);
	if (final)
		end_crs(&s);
	d->crs = s.crs;
	d->has_lf = s.has_lf;
	d->lone_crs = s.lone_crs;
	d->lone_cr_line = s.lone_cr_line;
	return s.len;
}

const char *
pt_encoding_name(enum pt_encoding enc)
{
	switch (enc) {
	case PT_ENC_BYTES:
		return "bytes";
	case PT_ENC_UTF8_BOM:
		return "utf-8-bom";
	case PT_ENC_UTF16LE:
		return "utf-16le";
	case PT_ENC_UTF16BE:
		return "utf-16be";
	case PT_ENC_UTF32LE:
		return "utf-32le";
	case PT_ENC_UTF32BE:
		return "utf-32be";
	}
	return "unknown";
}

void
pt_text_finish(struct pt_text *t)
{
	if (t == NULL)
		return;
	free(t->data);
	memset(t, 0, sizeof(*t));
}
