/*
 * Alignment: ordered snapshots to one series per (tag, pool type).
 *
 * Values are stored column-wise: for field f, f[s * nsnap + i] is series s
 * at snapshot i, so a series is one contiguous run per field and there is
 * no per-row structure.  A row missing from a snapshot is an explicit gap
 * (presence bit clear, every field 0); nothing is interpolated.
 *
 * The columns are narrow, 16 bytes and a bit per cell: Allocs and Frees as
 * poolmon printed them (32-bit, mod 2^32), Bytes in 64 bits, presence in
 * a bitmap (each series' bits start on a 64-bit word).
 * Diff is not stored: it is (Allocs - Frees) mod 2^32.  Consumers that
 * need the cumulative counters read them through pt_dataset_counters (a
 * whole series into int64 scratch) or pt_unwrap_step (cell by cell), which
 * apply the wrap rule below, so every consumer sees the same numbers.
 *
 * Reboots split the timeline into boot epochs: a new epoch starts at
 * snapshot i when the summary's cumulative PageFlts falls, or when more
 * than half of the series present in both i-1 and i see Allocs or Frees
 * fall (a fall of more than 2^31 counts as a 32-bit wrap, not a reboot).
 * Within an epoch, a single series whose Allocs or Frees falls by more than
 * 2^31 has wrapped: 2^32 is added from then on, so counters only grow.
 * Diff is kept as poolmon's outstanding count (mod 2^32), which stays right
 * across a wrap.
 *
 * Ownership: a struct pt_dataset owns all its arrays and strings; the
 * snapshots and rows passed to the functions below are borrowed only
 * during each call.
 * Release with pt_dataset_finish.
 */
#ifndef POOLTREND_SERIES_H
#define POOLTREND_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pooltrend/diag.h"
#include "pooltrend/snapshot.h"

/* One snapshot in time order. */
struct pt_snapinfo {
	int64_t t_ms;
	uint32_t epoch;         /* boot epoch, 0-based */
	const char *file;       /* owned by the dataset */
	long line;              /* line of the snapshot's header in file */
	struct pt_summary summary;
	size_t nrows;
};

struct pt_series {
	uint8_t tag[4];
	uint8_t pool;           /* enum pt_pool */
	const char *mapped;     /* last -g driver text seen, or NULL; owned by the dataset */
	uint32_t wraps;         /* 32-bit counter wraps undone */
	size_t present;         /* number of snapshots with a row */
	size_t first;           /* first snapshot with a row */
	size_t last;            /* last snapshot with a row */
};

struct pt_dataset {
	size_t nsnap;
	struct pt_snapinfo *snaps;
	size_t nseries;
	struct pt_series *series;
	/* columns, indexed [series * nsnap + snapshot] */
	uint32_t *allocs32;     /* Allocs as printed (mod 2^32); see pt_dataset_counters */
	uint32_t *frees32;      /* Frees as printed (mod 2^32) */
	int64_t *bytes;         /* bytes outstanding */
	uint64_t *present;      /* bit set when the snapshot had a row for the
	                           series; see pt_dataset_present */
	uint32_t nepochs;
	size_t *epoch_start;    /* nepochs + 1 entries: first snapshot of each epoch, then nsnap */
	size_t wraps;           /* total wraps undone */
	bool times_are_indices; /* t_ms counts snapshots, an hour each (time
	                           source index): rates per snapshot, and no
	                           time to exhaustion */
	void *priv;
};

/* Bytes per series x snapshot cell of the aligned columns, and a bit. */
#define PT_BYTES_PER_CELL ((size_t)(4 + 4 + 8))

/*
 * A row as the aligner needs it, in 24 bytes instead of a struct pt_row's
 * 64, so that rows can wait for alignment in little memory.  Lossless for
 * alignment: Allocs and Frees are 32-bit counts (snapshot.h), Diff is
 * recomputed from them, Per Alloc is not aligned.
 */
struct pt_packed_row {
	uint8_t tag[4];
	uint32_t allocs;
	uint32_t frees;
	uint32_t pool_mapped;   /* bit 0: pool; above: 1 + index into mapped, 0 = none */
	int64_t bytes;
};

/*
 * The rows of some snapshots, packed, in the order they were added:
 * snapshot i's rows start at first[i].  mapped holds the distinct -g
 * texts, borrowed from the parse result, which must outlive the packed
 * rows.  Start from all zeros.
 */
struct pt_packed_rows {
	struct pt_packed_row *rows;
	size_t nrows, rows_cap;
	size_t *first;
	size_t nsnaps, first_cap;
	const char **mapped;
	size_t nmapped, mapped_cap;
	void *mapped_map;       /* private */
};

/* Pack the rows of one more snapshot; false when out of memory. */
bool pt_packed_rows_add(struct pt_packed_rows *pk, const struct pt_snapshot *sn);
/* Pack all of r's rows into pk (initialised here); false when out of memory. */
bool pt_packed_rows_build(struct pt_packed_rows *pk,
		const struct pt_parse_result *r);
/* Give back the room grown for rows that did not come. */
void pt_packed_rows_trim(struct pt_packed_rows *pk);
/* Memory pk holds, in bytes. */
size_t pt_packed_rows_bytes(const struct pt_packed_rows *pk);
void pt_packed_rows_finish(struct pt_packed_rows *pk);

/* A snapshot as handed to the aligner, already in time order. */
struct pt_timed_snapshot {
	const struct pt_snapshot *snap;
	const char *file;
	int64_t t_ms;
};

/* Where a snapshot's rows are when they were packed: snap->nrows rows. */
struct pt_packed_ref {
	const struct pt_packed_row *rows;
	const char *const *mapped;  /* the -g texts of pt_packed_rows */
};

/*
 * The set of (tag, pool) pairs of the input, in no particular order: the
 * series the columns need room for.  Start from all zeros; merge the sets
 * of several threads with pt_series_keys_merge.
 */
struct pt_series_keys {
	void *map;              /* private */
};

bool pt_series_keys_add(struct pt_series_keys *k, const uint8_t tag[4],
		uint8_t pool);
bool pt_series_keys_merge(struct pt_series_keys *dst,
		const struct pt_series_keys *src);
size_t pt_series_keys_count(const struct pt_series_keys *k);
void pt_series_keys_finish(struct pt_series_keys *k);

/*
 * Where each key was first seen, for dropping those of snapshots left out
 * after all: add_seen keeps the smallest where given for a key (add gives
 * 0); merge_at adds base to src's; drop_from removes the keys first seen
 * at or after where (false: out of memory, k unchanged); clear empties k
 * and keeps its memory for reuse.
 */
bool pt_series_keys_add_seen(struct pt_series_keys *k, const uint8_t tag[4],
		uint8_t pool, uint64_t where);
bool pt_series_keys_merge_at(struct pt_series_keys *dst,
		const struct pt_series_keys *src, uint64_t base);
bool pt_series_keys_drop_from(struct pt_series_keys *k, uint64_t where);
void pt_series_keys_clear(struct pt_series_keys *k);

/*
 * Whether nseries x nsnap cells stay within max_cells (0: no limit); if
 * not, err says so with the sizes and the memory they would need.
 */
bool pt_dataset_cells_fit(size_t nseries, size_t nsnap, size_t max_cells,
		struct pt_error *err);

/*
 * Build the dataset from n snapshots in time order whose rows are in
 * memory.  Reboots and wraps are reported to diags as notes.  Returns
 * false only when out of memory or when the matrix would exceed max_cells
 * (series x snapshots; 0 = no limit), with err filled.
 */
bool pt_dataset_build(struct pt_dataset *ds,
		const struct pt_timed_snapshot *snaps, size_t n, size_t max_cells,
		struct pt_diags *diags, struct pt_error *err);

/*
 * The same in steps, for rows that are not all in memory at once:
 * pt_dataset_begin takes the snapshots in time order (their rows are not
 * read) and every key a row may have, and allocates the columns (false
 * with err when out of memory or over max_cells).  Then the rows of each
 * snapshot i (time order) are given once, in any order, from up to
 * nfillers threads, each passing its own filler number; snapshots never
 * given stay empty.  pt_dataset_end puts the series in the order
 * pt_dataset_build gives them (first appearance in time, then row order;
 * keys without a row are dropped), finds epochs and wraps.  Fill fails
 * when out of memory or for a key that was not given to begin.  On any
 * failure, release ds with pt_dataset_finish.
 */
bool pt_dataset_begin(struct pt_dataset *ds,
		const struct pt_timed_snapshot *snaps, size_t n,
		const struct pt_series_keys *keys, size_t max_cells,
		size_t nfillers, struct pt_error *err);
bool pt_dataset_fill_rows(struct pt_dataset *ds, size_t filler, size_t i,
		const struct pt_row *rows, size_t nrows);
bool pt_dataset_fill_packed(struct pt_dataset *ds, size_t filler, size_t i,
		const struct pt_packed_ref *rows, size_t nrows);
/* Whether every row's key was given to pt_dataset_begin (after a failed
 * fill: a key it did not know, or out of memory). */
bool pt_dataset_has_keys(const struct pt_dataset *ds, const struct pt_row *rows,
		size_t nrows);
bool pt_dataset_end(struct pt_dataset *ds, struct pt_diags *diags,
		struct pt_error *err);

void pt_dataset_finish(struct pt_dataset *ds);

/* Bytes of series s, nsnap entries (0 where absent). */
static inline const int64_t *
pt_dataset_col(const struct pt_dataset *ds, const int64_t *col, size_t s)
{
	return col + s * ds->nsnap;
}

/* Raw 32-bit column of series s (ds->allocs32 or ds->frees32). */
static inline const uint32_t *
pt_dataset_col32(const struct pt_dataset *ds, const uint32_t *col, size_t s)
{
	return col + s * ds->nsnap;
}

/* poolmon's Diff, the outstanding count: (Allocs - Frees) mod 2^32. */
static inline int64_t
pt_diff32(uint32_t allocs, uint32_t frees)
{
	return (int64_t)(uint32_t)(allocs - frees);
}

/*
 * The wrap rule, one present cell at a time through one boot epoch: a
 * fall of more than 2^31 from the previous present value is a 32-bit wrap
 * and adds 2^32 from then on.  Start each epoch with PT_UNWRAP_INIT.
 */
struct pt_unwrap {
	int64_t offset;
	int64_t prev;           /* previous raw value; -1 before the first */
	uint32_t wraps;         /* wraps undone so far */
};
#define PT_UNWRAP_INIT ((struct pt_unwrap){ 0, -1, 0 })

static inline int64_t
pt_unwrap_step(struct pt_unwrap *u, uint32_t raw32)
{
	int64_t raw = raw32;
	if (u->prev >= 0 && raw < u->prev &&
			u->prev - raw > (INT64_C(1) << 31)) {
		u->offset += INT64_C(1) << 32;
		u->wraps++;
	}
	u->prev = raw;
	return raw + u->offset;
}

/*
 * Series s's cumulative Allocs and Frees with wraps undone, and its Diff,
 * into caller scratch of nsnap entries each (any may be NULL); 0 where the
 * series is absent.  Thread-safe: the dataset is only read.
 */
void pt_dataset_counters(const struct pt_dataset *ds, size_t s,
		int64_t *allocs, int64_t *frees, int64_t *diff);

/* The unwrapped Allocs (col = ds->allocs32) or Frees at present cell i. */
int64_t pt_dataset_counter_at(const struct pt_dataset *ds,
		const uint32_t *col, size_t s, size_t i);

/* 64-bit words of presence bits per series. */
static inline size_t
pt_present_words(size_t nsnap)
{
	return (nsnap + 63) / 64;
}

/* Presence bits of series s: test them with pt_is_present. */
static inline const uint64_t *
pt_dataset_present(const struct pt_dataset *ds, size_t s)
{
	return ds->present + s * pt_present_words(ds->nsnap);
}

static inline bool
pt_is_present(const uint64_t *bits, size_t i)
{
	return bits[i / 64] >> (i % 64) & 1;
}

#endif
