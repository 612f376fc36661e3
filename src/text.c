#include "pooltrend/text.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char hexdig[] = "0123456789abcdef";

char *
pt_tag_escape(const uint8_t tag[4], char out[PT_TAG_TEXT_MAX])
{
	char *o = out;
	for (int i = 0; i < 4; i++) {
		uint8_t c = tag[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			*o++ = (char)c;
		} else if (c == '\\') {
			*o++ = '\\';
			*o++ = '\\';
		} else {
			*o++ = '\\';
			*o++ = 'x';
			*o++ = hexdig[c >> 4];
			*o++ = hexdig[c & 15];
		}
	}
	*o = '\0';
	return out;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool
pt_tag_from_hex(const char *hex, uint8_t tag[4])
{
	if (hex == NULL || strlen(hex) != 8)
		return false;
	for (size_t i = 0; i < 4; i++) {
		int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		tag[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

bool
pt_tag_unescape(const char *text, uint8_t tag[4])
{
	size_t n = 0;
	for (const char *p = text; *p != '\0'; n++) {
		if (n == 4)
			return false;
		if (p[0] != '\\') {
			tag[n] = (uint8_t)*p++;
		} else if (p[1] == '\\') {
			tag[n] = '\\';
			p += 2;
		} else if (p[1] == 'x' && hex_value(p[2]) >= 0 && hex_value(p[3]) >= 0) {
			tag[n] = (uint8_t)(hex_value(p[2]) << 4 | hex_value(p[3]));
			p += 4;
		} else {
			return false;
		}
	}
	if (n == 0)
		return false;
	for (; n < 4; n++)
		tag[n] = ' ';
	return true;
}

void
pt_tag_hex(const uint8_t tag[4], char out[9])
{
	for (size_t i = 0; i < 4; i++) {
		out[2 * i] = hexdig[tag[i] >> 4];
		out[2 * i + 1] = hexdig[tag[i] & 15];
	}
	out[8] = '\0';
}

/*
 * Characters that change or hide the text around them without showing:
 * bidirectional marks, overrides and isolates; zero-width and invisible
 * operators, the soft hyphen, the byte order mark, line and paragraph
 * separators, and tag characters.
 */
static bool
invisible(unsigned long cp)
{
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
		cp == 0x200e || cp == 0x200f || cp == 0x061c ||
		(cp >= 0x200b && cp <= 0x200d) || cp == 0x2028 || cp == 0x2029 ||
		cp == 0xfeff || cp == 0x00ad || (cp >= 0x2060 && cp <= 0x2064) ||
		(cp >= 0xe0000 && cp <= 0xe007f);
}

/*
 * Length of a well-formed UTF-8 sequence at s that encodes a printable
 * character (no C1 controls, no surrogates, no overlongs), or 0.
 */
static size_t
printable_utf8_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	size_t len;
	unsigned long cp;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (avail < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
			cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	if (cp < 0xa0)  /* C1 controls */
		return 0;
	return invisible(cp) ? 0 : len;
}

char *
pt_escape(const char *s, size_t len)
{
	/* Worst case: every byte becomes \xNN. */
	if (len > (SIZE_MAX - 1) / 4)
		return NULL;
	char *out = malloc(len * 4 + 1);
	if (out == NULL)
		return NULL;
	const unsigned char *u = (const unsigned char *)s;
	char *o = out;
	for (size_t i = 0; i < len;) {
		unsigned char c = u[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			*o++ = (char)c;
			i++;
			continue;
		}
		if (c == '\\') {
			*o++ = '\\';
			*o++ = '\\';
			i++;
			continue;
		}
		size_t n = c >= 0x80 ? printable_utf8_len(u + i, len - i) : 0;
		if (n > 0) {
			for (size_t k = 0; k < n; k++)
				*o++ = (char)u[i + k];
			i += n;
			continue;
		}
		*o++ = '\\';
		*o++ = 'x';
		*o++ = hexdig[c >> 4];
		*o++ = hexdig[c & 15];
		i++;
	}
	*o = '\0';
	return out;
}

size_t
pt_display_width(const char *s)
{
	size_t w = 0;
	for (; *s != '\0'; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}
