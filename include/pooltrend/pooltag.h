/*
 * pooltag.txt: the table that maps pool tags to driver binaries.
 *
 * The grammar and poolmon's lookup rules are in FORMAT.md section 5:
 * comments are "rem"/"REM" followed by a blank or the end of the line
 * (so the real tag "ReMo" is kept) and "//" lines; an entry is
 * "TAG - binary - description" (two-field lines have no binary); tags
 * with '?' or '*' are wildcard patterns and also literal keys; duplicate
 * keys are all kept; a trailing Ctrl-Z ends the file; free-text lines are
 * skipped with a note.
 *
 * Lookup, case-sensitive, the first step that finds anything answers:
 *   1. exact: the tag with trailing blanks trimmed ("Io  " -> "Io",
 *      "Dh 0" -> "Dh 0"); every match, in file order;
 *   2. poolmon's form: leading blanks stripped and cut at the first blank
 *      ("Dh 1" -> "Dh", "  xr" -> "xr"), compared with keys cut the same
 *      way; every match, in file order;
 *   3. wildcards, only for a tag starting with a letter or digit: the
 *      entries that match with the most leading literal characters ('*'
 *      matches the rest, '?' one character, and a literal after a '?'
 *      makes the match fail).
 *
 * Ownership: a struct pt_pooltag owns its entries and strings; entries
 * returned by lookups stay valid until pt_pooltag_destroy.  The text given
 * to pt_pooltag_parse is copied as needed and may be freed afterwards.
 */
#ifndef POOLTREND_POOLTAG_H
#define POOLTREND_POOLTAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pooltrend/diag.h"

struct pt_pooltag_entry {
	char key[5];             /* the tag as written, 1-4 bytes, NUL-terminated */
	bool wildcard;           /* key holds '?' or '*' */
	const char *binary;      /* "ntfs.sys", "nt!io", "<unknown>", or "" */
	const char *description; /* the rest of the line, trimmed */
	long line;               /* 1-based line in the file */
};

struct pt_pooltag;

/*
 * Parse decoded text (LF line ends, as from pt_decode).  Lines that are
 * neither comments nor entries are noted in diags (at most a few, then a
 * count).  Returns NULL with err only when out of memory.
 */
struct pt_pooltag *pt_pooltag_parse(const char *text, size_t len,
		const char *file, struct pt_diags *diags, struct pt_error *err);

/*
 * Read, decode (any encoding pt_decode takes) and parse a pooltag.txt
 * file.  NULL with err when it cannot be read or memory runs out.
 */
struct pt_pooltag *pt_pooltag_load(const char *path, struct pt_diags *diags,
		struct pt_error *err);

void pt_pooltag_destroy(struct pt_pooltag *pt);

/* Number of entries read. */
size_t pt_pooltag_count(const struct pt_pooltag *pt);

/*
 * The entries for a tag (4 raw bytes), best first, following the rules
 * above.  Stores up to max pointers in out and returns how many match in
 * all (which may be more than max).  0 means no entry.
 */
size_t pt_pooltag_lookup(const struct pt_pooltag *pt, const uint8_t tag[4],
		const struct pt_pooltag_entry **out, size_t max);

#endif
