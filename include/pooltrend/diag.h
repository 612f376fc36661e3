/*
 * Diagnostics: the one error channel of the pooltrend library.
 *
 * Library functions never print and never exit.  A function that can fail
 * returns false and fills a struct pt_error; conditions that do not stop the
 * analysis (a skipped line, a file without snapshots, disagreeing clocks) are
 * appended to a struct pt_diags that the caller owns and prints.
 *
 * Ownership: a struct pt_diags owns every string stored in it; strings passed
 * to pt_diags_add are copied (and the file name escaped), so callers keep
 * ownership of their arguments.  Release with pt_diags_finish.
 */
#ifndef POOLTREND_DIAG_H
#define POOLTREND_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define PT_ERROR_MSG_MAX 256

/* A fatal error of one call.  line is 0 when no line applies. */
struct pt_error {
	long line;
	char msg[PT_ERROR_MSG_MAX];
};

enum pt_severity {
	PT_SEV_NOTE,
	PT_SEV_WARNING,
	PT_SEV_ERROR,
};

/* One message about the input.  file may be NULL, line 0 means none. */
struct pt_diag {
	enum pt_severity severity;
	char *file;
	long line;
	char *msg;
};

struct pt_diags {
	struct pt_diag *items;
	size_t len;
	size_t cap;
	size_t dropped;    /* messages not stored (PT_DIAGS_MAX, memory) */
	size_t added[3];   /* per severity, stored or not */
	size_t stored_others;  /* notes and warnings among items */
};

/*
 * At most this many notes and warnings are stored; the rest are only
 * counted.  Errors are always stored: each is an input left out, which
 * --strict and the report's counts must see.
 */
#define PT_DIAGS_MAX 1000

void pt_diags_init(struct pt_diags *d);
void pt_diags_finish(struct pt_diags *d);

/* n messages of severity sev that were never formatted: counted only. */
void pt_diags_count_unstored(struct pt_diags *d, enum pt_severity sev,
		size_t n);

/*
 * Moves the messages of src to the end of dst, as if they had been added
 * there, and leaves src empty (finished).
 */
void pt_diags_move(struct pt_diags *dst, struct pt_diags *src);

/*
 * Append a message.  file (may be NULL) is escaped with pt_escape so that a
 * hostile file name cannot inject terminal escapes; the formatted message is
 * stored as given, so callers escape any untrusted text they put in it.
 * Out of memory is silently counted as dropped.
 */
void pt_diags_add(struct pt_diags *d, enum pt_severity sev, const char *file,
		long line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Number of messages of severity sev added, stored or not. */
size_t pt_diags_count(const struct pt_diags *d, enum pt_severity sev);

/* Format into err (printf style); always NUL-terminates. */
void pt_error_set(struct pt_error *err, long line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * The end of every writer: true when nothing written to out failed so far,
 * else "write error" in err.  (stdio keeps the first failure in the
 * stream, so checking once at the end loses nothing.)
 */
bool pt_error_if_write_failed(FILE *out, struct pt_error *err);

#endif
