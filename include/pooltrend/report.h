/*
 * Reports: the ranked table as text for people and JSON for programs.
 *
 * The JSON follows the contract in DESIGN.md (schema_version 1): 64-bit
 * integers are written exactly (never through a double), and "tag" is the
 * tag escaped as in pt_tag_escape (printable ASCII as is, other bytes as
 * \xNN) so the document is always valid UTF-8; "tag_hex" gives the raw
 * bytes.
 *
 * Ownership: pt_report_rank returns a malloc'd array the caller frees; the
 * analysis is borrowed.  Writers write to a caller-owned FILE and do not
 * close it.
 */
#ifndef POOLTREND_REPORT_H
#define POOLTREND_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pooltrend/analysis.h"

#define PT_JSON_SCHEMA_VERSION 1

enum pt_format {
	PT_FORMAT_TEXT,
	PT_FORMAT_JSON,
	PT_FORMAT_CSV,    /* RFC 4180, CRLF, formula-looking text cells neutralised */
	PT_FORMAT_TSV,    /* tab-separated, no tabs or line ends inside cells */
	PT_FORMAT_JSONL,  /* one tag object per line, as in the JSON "tags" array */
};

enum pt_sort_key {
	PT_SORT_IMPACT,      /* pt_rank_impact, confidence, growth (the default) */
	PT_SORT_CONFIDENCE,  /* confidence, then growth */
	PT_SORT_GROWTH,      /* growth in bytes per hour */
	PT_SORT_BYTES,       /* bytes now (poolmon -b) */
	PT_SORT_TAG,         /* tag bytes (poolmon -t) */
	PT_SORT_ALLOCS,      /* allocations (poolmon -a) */
	PT_SORT_FREES,       /* frees (poolmon -f) */
	PT_SORT_DIFF,        /* outstanding allocations (poolmon -d) */
	PT_SORT_TTE,         /* time to exhaustion, soonest first */
};

enum pt_pool_filter {
	PT_FILTER_ALL,
	PT_FILTER_NONPAGED,
	PT_FILTER_PAGED,
};

struct pt_pooltag;
struct pt_gate;
struct pt_owner_scan;
struct pt_owner_hit;

/* Who owns a series' tag, for reports. */
struct pt_owner {
	const char *source;      /* "dump" (-g text in the snapshots) or "pooltag" */
	const char *text;        /* dump: the Mapped_Driver text as printed */
	const char *binary;      /* pooltag: "ntfs.sys", "nt!io", "<unknown>", "" */
	const char *description; /* pooltag: the description */
};

struct pt_report_opts {
	enum pt_format format;
	enum pt_sort_key sort;
	enum pt_pool_filter pool;
	size_t top;          /* 0 = every series */
	bool color;          /* ANSI colour in text */
	bool unicode;        /* the terminal takes UTF-8: block-character sparklines */
	bool no_sparkline;   /* leave the TREND column out */
	const char *version; /* tool version for the JSON "tool" object */
	const struct pt_pooltag *pooltag; /* --pooltag table, or NULL */
	const struct pt_gate *gate;  /* JSON "gate" object when set */
	const struct pt_owner_scan *drivers; /* --drivers scan, or NULL */
	size_t threads;      /* threads building JSON tags; 0: one per CPU */
};

/* The ANSI SGR sequence that colours a verdict on a terminal. */
const char *pt_verdict_color(enum pt_verdict v);

/* Does the pool filter let a series of this pool (enum pt_pool) through? */
bool pt_pool_filter_match(enum pt_pool_filter f, uint8_t pool);

/* How many of n ranked series a report shows: --top, 0 meaning all. */
static inline size_t
pt_report_shown(const struct pt_report_opts *o, size_t n)
{
	return o->top && o->top < n ? o->top : n;
}

bool pt_format_parse(const char *word, enum pt_format *out);
bool pt_sort_key_parse(const char *word, enum pt_sort_key *out);
bool pt_pool_filter_parse(const char *word, enum pt_pool_filter *out);

/*
 * The series to report, best first, after the pool filter (not cut to
 * top).  *n receives the count.  NULL when out of memory.
 */
size_t *pt_report_rank(const struct pt_analysis *a,
		const struct pt_report_opts *o, size_t *n);

/* Write the report.  False with err when out of memory or on a write error. */
bool pt_report_write(FILE *out, const struct pt_analysis *a,
		const struct pt_report_opts *o, struct pt_error *err);

bool pt_report_write_text(FILE *out, const struct pt_analysis *a,
		const size_t *rank, size_t n, const struct pt_report_opts *o,
		struct pt_error *err);
bool pt_report_write_json(FILE *out, const struct pt_analysis *a,
		const size_t *rank, size_t n, const struct pt_report_opts *o,
		struct pt_error *err);

/*
 * CSV (sep ',') or TSV (sep '\t'): a header line, then one row per ranked
 * series with the main numbers of the JSON tags (no components).  Text
 * cells that a spreadsheet would evaluate (starting with '=', '+', '-',
 * '@', tab or CR) get a leading apostrophe; numbers never do.
 */
bool pt_report_write_table(FILE *out, const struct pt_analysis *a,
		const size_t *rank, size_t n, const struct pt_report_opts *o,
		char sep, struct pt_error *err);

/* JSON Lines: each ranked tag object (as in "tags") on its own line. */
bool pt_report_write_jsonl(FILE *out, const struct pt_analysis *a,
		const size_t *rank, size_t n, const struct pt_report_opts *o,
		struct pt_error *err);

/*
 * The owner of series s: the -g driver text from the dump when present,
 * else the best pooltag.txt entry when o->pooltag is set.  False when
 * neither knows the tag.  Strings belong to the analysis or the table.
 */
bool pt_report_owner(const struct pt_analysis *a,
		const struct pt_report_opts *o, size_t s, struct pt_owner *out);

/*
 * The binary that most likely owns series s (--drivers): the best-ranked
 * hit of the driver scan, for likely and possible series only.  NULL when
 * there is no scan or no binary holds the tag with at least
 * PT_OWNER_MIN_DRIVER confidence.  Owned by the scan.
 */
const struct pt_owner_hit *pt_report_driver(const struct pt_analysis *a,
		const struct pt_report_opts *o, size_t s);

/*
 * A sparkline of series s over the whole timeline, at most width columns
 * (each the last sample that falls in it; a blank where the series has no
 * row), scaled from its minimum to its maximum: U+2581..U+2588 when
 * unicode, else the ASCII ramp "_.-~=+*#".  out must hold width * 3 + 1
 * bytes.  Returns out.
 */
char *pt_sparkline(const struct pt_analysis *a, size_t s, size_t width,
		bool unicode, char *out);

/*
 * Human size with a binary unit: "512 B", "40.6 KB", "2.10 GB".  out must
 * hold 32 bytes.  Returns out.
 */
char *pt_human_bytes(double bytes, char out[32]);

/* A growth rate: "+40.6 KB/h", "-2.03 MB/h", "0 B/h".  Returns out. */
char *pt_human_rate(double bytes_per_hour, char out[40]);

#endif
