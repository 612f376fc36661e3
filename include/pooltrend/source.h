/*
 * Input sources: turning command-line operands into an ordered list of
 * files to read, and reading them.
 *
 * An operand is a file, a directory (every regular file directly inside it,
 * in natural order, so "log2" sorts before "log10"; hidden files are skipped)
 * or "-" for standard input.  Operands keep the order they were given in.
 *
 * Ownership: a struct pt_source_list owns its sources and their strings;
 * release with pt_source_list_finish.  pt_source_read returns a buffer the
 * caller frees with free().  Files are opened read-only and never modified.
 */
#ifndef POOLTREND_SOURCE_H
#define POOLTREND_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pooltrend/decode.h"
#include "pooltrend/diag.h"

struct pt_source {
	char *path;        /* path to open; "-" for stdin */
	char *name;        /* the name used in messages ("<stdin>" for stdin) */
	const char *base;  /* points into path: the last path component */
	bool is_stdin;
	bool has_mtime;
	int64_t mtime_ms;  /* modification time, ms since the Unix epoch */
	bool has_id;       /* dev and ino identify a regular file */
	uint64_t dev, ino;
};

struct pt_source_list {
	struct pt_source *items;
	size_t len;
	size_t cap;
	size_t skipped;    /* directory entries left out with a warning */
};

void pt_source_list_init(struct pt_source_list *l);
void pt_source_list_finish(struct pt_source_list *l);

/*
 * Expand n operands into l.  Problems with single operands (missing file,
 * unreadable directory, a directory with no regular file) are reported to
 * diags as errors and the operand is skipped; "-" given twice is reported
 * once; a file reached twice (named twice, through a directory or through
 * a link) is kept once, where it first appeared, with a warning.
 * Returns false only when out of memory (err filled).
 */
bool pt_sources_expand(const char *const *operands, size_t n,
		struct pt_source_list *l, struct pt_diags *diags,
		struct pt_error *err);

/*
 * Read a whole source into a malloc'd buffer (*data, *len).  A NUL byte is
 * appended after the data (not counted in *len).  Refuses inputs larger
 * than max_bytes (0 = no limit).  Returns false with err filled (errno text)
 * on any failure; *data is then NULL.
 */
bool pt_source_read(const struct pt_source *s, size_t max_bytes,
		unsigned char **data, size_t *len, struct pt_error *err);

/*
 * Reading a source a chunk at a time, so that an input of any size is
 * never held whole.  pt_source_open checks what pt_source_read checks
 * (readable, not a directory, at most max_bytes when the size is known);
 * pt_source_read_chunk fills buf with up to cap bytes, fewer only at the
 * end (*got == 0 there), and fails once more than max_bytes were read;
 * close the reader whatever happened.  Standard input is read, not closed.
 */
struct pt_source_reader {
	int fd;
	bool owns_fd;
	size_t max_bytes;       /* 0 = no limit */
	uint64_t total;         /* bytes read so far */
	struct pt_source_identity {
		bool regular;   /* a regular file: the only kind that can be
		                   read again (not a pipe, FIFO or terminal) */
		uint64_t dev, ino, size;
	} id;                   /* what fstat said at open */
};

bool pt_source_open(const struct pt_source *s, size_t max_bytes,
		struct pt_source_reader *r, struct pt_error *err);
bool pt_source_read_chunk(struct pt_source_reader *r, unsigned char *buf,
		size_t cap, size_t *got, struct pt_error *err);
void pt_source_close(struct pt_source_reader *r);

/*
 * Whether the file open in again is the one first saw and still holds
 * what the first read consumed: same device and inode, at least as many
 * bytes.  A log that is still being appended to passes; a file replaced
 * or cut short does not.  Rewritten bytes are found by comparing what was
 * parsed (the caller's business).
 */
bool pt_source_same_file(const struct pt_source_identity *first,
		uint64_t consumed, const struct pt_source_identity *again);

/*
 * Read the file at path (at most max_bytes) and decode it to UTF-8 text
 * (see pt_decode): for side files such as pooltag.txt or a baseline
 * report.  Release *out with pt_text_finish.  False with err filled,
 * also for UTF-32 text (which pt_decode does not read).
 */
bool pt_source_read_text(const char *path, size_t max_bytes,
		struct pt_text *out, struct pt_error *err);

/*
 * Natural order of two names: runs of digits compare by numeric value
 * ("log2" < "log10"), everything else byte by byte; ties fall back to
 * strcmp so the order is total.  Returns <0, 0, >0 like strcmp.
 */
int pt_natural_compare(const char *a, const char *b);

#endif
