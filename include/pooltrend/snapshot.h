/*
 * Snapshot parsing: decoded poolmon text to snapshot blocks.
 *
 * One text may hold zero, one or many snapshots (poolmon -n appends).  A
 * block starts at a column header line (or at the -r summary lines just
 * before one) and holds the rows that follow.  Every line kind of FORMAT.md
 * is recognised: x64 and x86 -n rows, interactive-screen rows with
 * "( delta)" columns, the Memory/Commit summary, the column header with or
 * without Mapped_Driver, the -e Total lines, the in-file truncation error,
 * screen titles, "-----" rules, and collector timestamp lines, which are
 * kept as the time of the next block.  Anything else is skipped and
 * counted.
 *
 * Tags are the 4 raw bytes of columns 1-4 of a strict row, so "Io  ",
 * "Dh 1", "  xr" and high bytes survive exactly.  Counters are 64-bit.
 * Allocs and Frees are kernel ULONGs: negative prints (x86 "%ld") are
 * reinterpreted modulo 2^32, as are negative Bytes; Diff is recomputed as
 * (Allocs - Frees) mod 2^32 and Per Alloc as Bytes / Diff (Bytes when Diff
 * is 0): the printed values are not trusted.  Lines that cannot be
 * trusted are refused with a warning naming them: a number out of range,
 * Bytes past PT_BYTES_MAX.  A Memory: line with Avail above Memory is
 * used but for its Avail, with a warning.
 *
 * Ownership: a struct pt_parser holds compiled PCRE2 patterns and match
 * data; create it once and reuse it for every file (it is not thread-safe:
 * use one per thread).  A struct pt_parse_result owns its snapshots, rows
 * and strings; release it with pt_parse_result_finish.
 */
#ifndef POOLTREND_SNAPSHOT_H
#define POOLTREND_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pooltrend/diag.h"
#include "pooltrend/timestamp.h"

enum pt_pool {
	PT_POOL_NONPAGED = 0,
	PT_POOL_PAGED = 1,
};
#define PT_POOL_COUNT 2

/* "nonpaged" / "paged" */
const char *pt_pool_name(enum pt_pool pool);

enum pt_layout {
	PT_LAYOUT_X64,          /* -n, x64 widths (18/18/16/14/12) */
	PT_LAYOUT_X86,          /* -n, x86 widths (9/9/8/7/6) */
	PT_LAYOUT_INTERACTIVE,  /* a copy of the live screen, "( delta)" columns */
};

/* "x64", "x86", "interactive" */
const char *pt_layout_name(enum pt_layout layout);

/* Row flags */
#define PT_ROW_LOOSE      0x01u /* matched only the tolerant pattern */
#define PT_ROW_NEG_FIXED  0x02u /* a negative 32-bit print was reinterpreted */

/*
 * The most Bytes a snapshot's rows of one pool add up to (each row alone
 * too): 8 PiB, more than any Windows pool holds, and the largest count a
 * double (and so a JSON reader) keeps exact, so sums never saturate.
 * Rows past it are refused with a warning.
 */
#define PT_BYTES_MAX ((INT64_C(1) << 53) - 1)

struct pt_row {
	uint8_t tag[4];
	uint8_t pool;        /* enum pt_pool */
	uint8_t flags;       /* PT_ROW_* */
	int64_t allocs;      /* 0 .. 2^32-1 */
	int64_t frees;       /* 0 .. 2^32-1 */
	int64_t diff;        /* recomputed: (allocs - frees) mod 2^32 */
	int64_t bytes;       /* bytes outstanding, 0 .. PT_BYTES_MAX */
	int64_t per_alloc;   /* recomputed */
	const char *mapped;  /* -g driver text as printed, or NULL; owned by the result */
	long line;           /* 1-based line in the text */
};

/*
 * The -r summary; all sizes in KB as poolmon prints them.  poolmon keeps
 * these in 32 bits, so each is 0 .. 2^32-1 (negative prints reinterpreted)
 * and the cumulative PageFlts wraps.
 */
struct pt_summary {
	bool has_memory;        /* the Memory: line was seen and is used */
	int64_t memory_k;       /* physical memory */
	int64_t avail_k;        /* available physical memory */
	int64_t page_faults;    /* cumulative in -n files */
	int64_t krnl_k;         /* InRam Krnl */
	int64_t inram_paged_k;  /* first P: */
	bool has_commit;        /* the Commit: line was seen and is used */
	int64_t commit_k;
	int64_t limit_k;
	int64_t peak_k;
	int64_t pool_nonpaged_k; /* Pool N: */
	int64_t pool_paged_k;    /* second P: */
	/* The line was there but not used (a number out of range), with a
	 * warning naming it; has_* is then false. */
	bool memory_refused;
	bool commit_refused;
	/* The Memory: line is used but its Avail is above its Memory, so not
	 * avail_k (warned; see pt_summary_has_avail). */
	bool avail_refused;
};

/* Whether sum has a Memory: line with an Avail that can be used. */
bool pt_summary_has_avail(const struct pt_summary *sum);

/* Whether the summary line pool's headroom comes from was refused: the
 * Memory: line or its Avail for nonpaged pool, the Commit: line for
 * paged. */
bool pt_summary_refused(const struct pt_summary *sum, uint8_t pool);

/*
 * Why sum gives pool no headroom for a time to exhaustion: no -r summary,
 * or a summary line refused.  A static string, "..., rates only".
 */
const char *pt_summary_missing_note(const struct pt_summary *sum,
		uint8_t pool);

struct pt_snapshot {
	long line;              /* line of the column header (first line of the block) */
	long end_line;          /* last line that belonged to the block */
	enum pt_layout layout;
	bool has_mapped;        /* header had Mapped_Driver */
	bool has_totals;        /* -e Total lines were seen */
	bool truncated;         /* poolmon's "List Truncated" error line was seen */
	bool loose;             /* at least one row needed the tolerant pattern */
	const char *title;      /* interactive title ("System pool information"), or NULL */
	struct pt_summary summary;
	enum pt_stamp_kind stamp_kind; /* PT_STAMP_NONE when no timestamp line preceded it */
	int64_t stamp_ms;
	long stamp_line;
	struct pt_row *rows;    /* owned by the result */
	size_t nrows;
	size_t neg_fixed;       /* rows with PT_ROW_NEG_FIXED */
	size_t duplicates;      /* rows dropped because (tag, pool) repeated */
};

struct pt_parse_result {
	struct pt_snapshot *snaps;
	size_t nsnaps;
	size_t lines;           /* lines in the text */
	size_t skipped;         /* lines that fit no known kind */
	long first_skipped;     /* line number of the first skipped line, 0 if none */
	size_t orphan_rows;     /* row-looking lines before any column header */
	size_t dropped_snaps;   /* headers past pt_parse_stream_limit_snapshots */
	long first_dropped;     /* line of the first of them, 0 if none */
	size_t empty_dropped;   /* headers without rows past PT_DIAGS_MAX of
	                           them, not kept (same limit) */
	/* private: string and row storage */
	void *priv;
};

struct pt_parser;

/* Compile the patterns (JIT when available).  NULL with err on failure. */
struct pt_parser *pt_parser_create(struct pt_error *err);
void pt_parser_destroy(struct pt_parser *p);

/*
 * Parse len bytes of decoded text (LF line ends, as from pt_decode; a NUL
 * byte inside is treated as an ordinary byte; a CR before the LF is
 * dropped, for callers that skipped pt_decode).  file is used only in
 * messages added to diags (may be NULL).  Returns false only when out of
 * memory; a text with no snapshot is a success with nsnaps == 0.
 */
bool pt_parse_text(struct pt_parser *p, const char *text, size_t len,
		const char *file, struct pt_parse_result *out,
		struct pt_diags *diags, struct pt_error *err);

/*
 * Parsing a text that arrives in pieces, such as a large file read a chunk
 * at a time through pt_decoder: the snapshots, messages and counts are
 * those pt_parse_text gives for the whole text after pt_decode, but rows
 * are not kept.  Each snapshot, once complete (the next has begun, or the
 * text ended), is handed to sink with its rows (index: its place in
 * out->snaps); the rows are dropped when sink returns, so memory holds one
 * snapshot's rows, one line and out->snaps.  A snapshot with more than
 * max_rows_kept rows (0: no limit) is counted but its rows are not kept:
 * it reaches sink with rows NULL, as does one without rows.  A false from
 * sink stops the parse (sink says why).
 *
 * Ownership: out is filled as by pt_parse_text and released the same way;
 * the stream is freed by pt_parse_stream_end, which with parse_rest parses
 * what is left (the last line, the last snapshot) and otherwise only
 * cleans up after a failure.  Feed and end return false when out of memory
 * (err set) or when sink refused.
 */
typedef bool (*pt_snapshot_sink)(void *ctx, size_t index,
		const struct pt_snapshot *snap);

struct pt_parse_stream;

struct pt_parse_stream *pt_parse_stream_begin(struct pt_parser *p,
		const char *file, struct pt_parse_result *out,
		struct pt_diags *diags, size_t max_rows_kept, pt_snapshot_sink sink,
		void *ctx, struct pt_error *err);
bool pt_parse_stream_feed(struct pt_parse_stream *ps, const char *text,
		size_t len);
bool pt_parse_stream_end(struct pt_parse_stream *ps, bool parse_rest);

/*
 * Keep at most max snapshots (0: no limit, the default): later headers,
 * with or without rows, are counted in out->dropped_snaps and their rows
 * ignored; and of the snapshots without rows only the first PT_DIAGS_MAX
 * (those reported), the others counted in out->empty_dropped.  So a file
 * of nothing but headers cannot fill memory.
 */
void pt_parse_stream_limit_snapshots(struct pt_parse_stream *ps, size_t max);

/* The LFs in the text fed so far: the lines ended (see pt_decoder.lfs). */
size_t pt_parse_stream_lines_ended(const struct pt_parse_stream *ps);

/*
 * How the parse of a piece of a text joins the parse of the text before
 * it, for a caller that parses one large file in pieces (analysis.c): a
 * fresh parser differs from one arriving with a snapshot open only in
 * the lines before the first column header, and a piece must leave
 * nothing for the next.  The piece joins exactly when acted_before_header
 * and pending_at_end are false and the per-file message limits were not
 * reached across the pieces (counts below).
 */
/* Warnings about lines' content per file and per kind (a number out of
 * range, Avail above Memory, a pool total past PT_BYTES_MAX) before they
 * are only counted: one kind never uses up another's, so a line left out
 * is still located after many harmless warnings. */
#define PT_PARSE_NUMBER_DIAGS 20
#define PT_PARSE_DIAG_KINDS 3

struct pt_parse_seam {
	bool acted_before_header;  /* a row, TOTAL or truncation line before
	                              the first column header: an open
	                              snapshot would have taken it */
	long junk_before_header;   /* the last line skipped before the first
	                              header (an open snapshot would end
	                              there: its end_line), 0 if none */
	bool pending_at_end;       /* a timestamp, summary or title line at
	                              the end waits for a next header, or the
	                              text ended in a line held for a Ctrl-Z */
	bool unwrapped_warned;     /* the once-per-file modulo warning given */
	size_t number_diags[PT_PARSE_DIAG_KINDS]; /* content warnings given,
	                              by kind */
	size_t number_unreported;  /* and only counted */
};

/* pt_parse_stream_end, also saying how the piece joins (seam filled). */
bool pt_parse_stream_end_seam(struct pt_parse_stream *ps, bool parse_rest,
		struct pt_parse_seam *seam);

/*
 * Drop the rows of every snapshot (rows becomes NULL, nrows and the rest
 * stay, and so do the strings rows pointed to, such as -g texts), for
 * callers that copied the rows elsewhere and keep only the snapshots.  The
 * row storage goes back to parser p, when not NULL, for its next text
 * (saves allocating it again for each file); else it is freed.
 */
void pt_parse_result_release_rows(struct pt_parse_result *r,
		struct pt_parser *p);

void pt_parse_result_finish(struct pt_parse_result *r);

#endif
