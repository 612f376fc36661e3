/*
 * Where one large appended log can be cut so that its pieces can be
 * parsed on different threads (issue 7).
 *
 * A cut is a guess: it is put at the start of a line that looks like a
 * column header, moved back over the lines a snapshot may begin with
 * (blank, timestamp, Memory:/Commit: summary, title and rule lines), so
 * that a fresh parser starting there reads what the parser of the whole
 * file would.  Whether it did is checked after the parse (see
 * struct pt_parse_seam and analysis.c), and a file with a wrong guess is
 * parsed whole; so a cut only needs to be right in the common case.
 *
 * Ownership: pt_split_find returns a malloc'd array the caller frees.
 */
#ifndef POOLTREND_SPLIT_H
#define POOLTREND_SPLIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes past a target searched for a header before giving that cut up:
 * a snapshot of 5,000 tags takes 0.6 MB. */
#define PT_SPLIT_WINDOW ((size_t)4 << 20)
/* Read at a time while searching: the bytes searched stay out of the
 * peak memory of the parse that follows. */
#define PT_SPLIT_STEP ((size_t)256 << 10)
/* Bytes before a header searched for the lines its snapshot begins with. */
#define PT_SPLIT_BACK ((size_t)4096)

/*
 * The first cut in buf[0, len) at or after from: the start of the
 * snapshot whose header is the first header line starting at or after
 * from.  The cut is a line start preceded by LF, after from - PT_SPLIT_BACK
 * at most (never 0), and the line before it does not end in a Ctrl-Z
 * (which only the end of the input drops).  at_cut: buf starts at the
 * previous cut (or the file's start), so a snapshot whose lines before
 * its header reach back there is not cut at.  False when there is none.
 */
bool pt_split_cut_in(const unsigned char *buf, size_t len, size_t from,
		bool at_cut, size_t *cut);

/*
 * Cuts of the regular file open as fd, size bytes long, into pieces of
 * about part_bytes: *ncuts ascending offsets strictly inside (0, size),
 * *cuts NULL when none.  A file that starts with a UTF-16 or UTF-32
 * byte-order mark is never cut (its line ends are wider than a byte).
 * False when out of memory or a read failed: then no cuts.
 */
bool pt_split_find(int fd, uint64_t size, uint64_t part_bytes,
		uint64_t **cuts, size_t *ncuts);

#endif
