/*
 * Safe rendering of untrusted bytes: pool tags, driver text and file names
 * come from a customer's machine and may hold control characters, escape
 * sequences or invalid UTF-8.
 *
 * Ownership: functions write into caller-provided buffers, or return a
 * malloc'd string the caller frees.
 */
#ifndef POOLTREND_TEXT_H
#define POOLTREND_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes needed for an escaped tag: 4 x "\xNN" plus NUL. */
#define PT_TAG_TEXT_MAX 17

/*
 * Render a 4-byte tag: printable ASCII (0x20..0x7e) as is except '\\',
 * which is doubled; every other byte as \xNN.  out must hold
 * PT_TAG_TEXT_MAX bytes.  Returns out.
 */
char *pt_tag_escape(const uint8_t tag[4], char out[PT_TAG_TEXT_MAX]);

/*
 * Read a tag the way pt_tag_escape writes it ("Leak", "Io", "\\x1b[2J",
 * "Dh 1"): \xNN and \\ escapes, at most 4 bytes, padded on the right with
 * blanks.  False when malformed or longer than 4 bytes.
 */
bool pt_tag_unescape(const char *text, uint8_t tag[4]);

/* The tag as 8 lowercase hex digits ("4c65616b" for "Leak"). */
void pt_tag_hex(const uint8_t tag[4], char out[9]);

/* The reverse of pt_tag_hex: exactly 8 hex digits (either case). */
bool pt_tag_from_hex(const char *hex, uint8_t tag[4]);

/*
 * Escape arbitrary bytes the same way (valid UTF-8 sequences of printable
 * characters are kept, so accented file names stay readable; invisible
 * and bidirectional format characters are escaped byte by byte).
 * Returns a malloc'd NUL-terminated string, or NULL when out of memory.
 */
char *pt_escape(const char *s, size_t len);

/* Characters on screen: UTF-8 continuation bytes take no column. */
size_t pt_display_width(const char *s);

#endif
