#include "pooltrend/series.h"

#include <stdlib.h>
#include <string.h>

#include "pooltrend/text.h"
#include "arena.h"
#include "workers.h"

#define WRAP_THRESHOLD (INT64_C(1) << 31)

/* Open-addressing map from (tag, pool) to series index. */
struct series_map {
	uint64_t *keys;   /* 0 = empty; else key + 1 */
	uint64_t *values; /* series index; for pt_series_keys, where first seen */
	size_t cap;       /* power of two */
	size_t len;
};

static uint64_t
series_key(const uint8_t tag[4], uint8_t pool)
{
	uint32_t t = (uint32_t)tag[0] | (uint32_t)tag[1] << 8 |
		(uint32_t)tag[2] << 16 | (uint32_t)tag[3] << 24;
	return ((uint64_t)pool << 32 | t) + 1;
}

static size_t
hash_slot(uint64_t key, size_t cap)
{
	key ^= key >> 33;
	key *= UINT64_C(0xff51afd7ed558ccd);
	key ^= key >> 33;
	return (size_t)key & (cap - 1);
}

static bool
map_grow(struct series_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 1024;
	uint64_t *keys = calloc(cap, sizeof(*keys));
	uint64_t *values = malloc(cap * sizeof(*values));
	if (keys == NULL || values == NULL) {
		free(keys);
		free(values);
		return false;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (m->keys[i] == 0)
			continue;
		size_t j = hash_slot(m->keys[i], cap);
		while (keys[j] != 0)
			j = (j + 1) & (cap - 1);
		keys[j] = m->keys[i];
		values[j] = m->values[i];
	}
	free(m->keys);
	free(m->values);
	m->keys = keys;
	m->values = values;
	m->cap = cap;
	return true;
}

/* Index of key, inserting next_index when absent (*inserted set). */
static bool
map_lookup_or_insert(struct series_map *m, uint64_t key, size_t next_index,
		size_t *index, bool *inserted)
{
	if ((m->len + 1) * 2 > m->cap && !map_grow(m))
		return false;
	size_t j = hash_slot(key, m->cap);
	while (m->keys[j] != 0) {
		if (m->keys[j] == key) {
			*index = m->values[j];
			*inserted = false;
			return true;
		}
		j = (j + 1) & (m->cap - 1);
	}
	m->keys[j] = key;
	m->values[j] = next_index;
	m->len++;
	*index = next_index;
	*inserted = true;
	return true;
}

static void
map_finish(struct series_map *m)
{
	free(m->keys);
	free(m->values);
}

/* ---- packed rows ---- */

/*
 * Index of a -g text in pk->mapped, added when new.  The parser interns
 * the texts, so the map is keyed by address (never 0, as the map needs).
 */
static bool
mapped_index_of(struct pt_packed_rows *pk, const char *text, uint32_t *out)
{
	if (pk->nmapped == pk->mapped_cap) {
		size_t cap = pk->mapped_cap ? pk->mapped_cap * 2 : 16;
		const char **list = realloc(pk->mapped, cap * sizeof(*list));
		if (list == NULL)
			return false;
		pk->mapped = list;
		pk->mapped_cap = cap;
	}
	if (pk->mapped_map == NULL &&
			(pk->mapped_map = calloc(1, sizeof(struct series_map))) == NULL)
		return false;
	size_t idx;
	bool inserted;
	if (!map_lookup_or_insert(pk->mapped_map, (uint64_t)(uintptr_t)text,
			pk->nmapped, &idx, &inserted))
		return false;
	if (inserted)
		pk->mapped[pk->nmapped++] = text;
	*out = (uint32_t)idx;
	return true;
}

static bool
grow_to(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return true;
	size_t c = *cap ? *cap : 256;
	while (c < need)
		c *= 2;
	if (c > SIZE_MAX / elem)
		return false;
	void *q = realloc(*p, c * elem);
	if (q == NULL)
		return false;
	*p = q;
	*cap = c;
	return true;
}

bool
pt_packed_rows_add(struct pt_packed_rows *pk, const struct pt_snapshot *sn)
{
	if (!grow_to((void **)&pk->first, &pk->first_cap, pk->nsnaps + 1,
			sizeof(*pk->first)) ||
			!grow_to((void **)&pk->rows, &pk->rows_cap,
				pk->nrows + sn->nrows, sizeof(*pk->rows)))
		return false;
	pk->first[pk->nsnaps++] = pk->nrows;
	for (size_t k = 0; k < sn->nrows; k++) {
		const struct pt_row *row = &sn->rows[k];
		struct pt_packed_row *p = &pk->rows[pk->nrows++];
		memcpy(p->tag, row->tag, 4);
		p->allocs = (uint32_t)row->allocs;
		p->frees = (uint32_t)row->frees;
		p->bytes = row->bytes;
		p->pool_mapped = row->pool;
		uint32_t idx = 0;
		if (row->mapped != NULL) {
			if (!mapped_index_of(pk, row->mapped, &idx))
				return false;
			p->pool_mapped |= (idx + 1) << 1;
		}
	}
	return true;
}

void
pt_packed_rows_trim(struct pt_packed_rows *pk)
{
	if (pk->nrows == 0 || pk->nrows == pk->rows_cap)
		return;
	struct pt_packed_row *rows = realloc(pk->rows,
		pk->nrows * sizeof(*rows));
	if (rows == NULL)
		return;
	pk->rows = rows;
	pk->rows_cap = pk->nrows;
}

size_t
pt_packed_rows_bytes(const struct pt_packed_rows *pk)
{
	return pk->rows_cap * sizeof(*pk->rows) +
		pk->first_cap * sizeof(*pk->first);
}

bool
pt_packed_rows_build(struct pt_packed_rows *pk,
		const struct pt_parse_result *r)
{
	memset(pk, 0, sizeof(*pk));
	for (size_t i = 0; i < r->nsnaps; i++)
		if (!pt_packed_rows_add(pk, &r->snaps[i])) {
			pt_packed_rows_finish(pk);
			return false;
		}
	return true;
}

void
pt_packed_rows_finish(struct pt_packed_rows *pk)
{
	if (pk == NULL)
		return;
	free(pk->rows);
	free(pk->first);
	free(pk->mapped);
	if (pk->mapped_map != NULL)
		map_finish(pk->mapped_map);
	free(pk->mapped_map);
	memset(pk, 0, sizeof(*pk));
}

/* ---- series keys ---- */

bool
pt_series_keys_add_seen(struct pt_series_keys *k, const uint8_t tag[4],
		uint8_t pool, uint64_t where)
{
	if (k->map == NULL && (k->map = calloc(1, sizeof(struct series_map))) == NULL)
		return false;
	struct series_map *m = k->map;
	if ((m->len + 1) * 2 > m->cap && !map_grow(m))
		return false;
	uint64_t key = series_key(tag, pool);
	size_t j = hash_slot(key, m->cap);
	while (m->keys[j] != 0 && m->keys[j] != key)
		j = (j + 1) & (m->cap - 1);
	if (m->keys[j] == 0) {
		m->keys[j] = key;
		m->values[j] = where;
		m->len++;
	} else if (where < m->values[j]) {
		m->values[j] = where;
	}
	return true;
}

bool
pt_series_keys_add(struct pt_series_keys *k, const uint8_t tag[4],
		uint8_t pool)
{
	return pt_series_keys_add_seen(k, tag, pool, 0);
}

bool
pt_series_keys_merge_at(struct pt_series_keys *dst,
		const struct pt_series_keys *src, uint64_t base)
{
	const struct series_map *m = src->map;
	for (size_t j = 0; m != NULL && j < m->cap; j++) {
		if (m->keys[j] == 0)
			continue;
		uint64_t key = m->keys[j] - 1;
		uint8_t tag[4] = { (uint8_t)key, (uint8_t)(key >> 8),
			(uint8_t)(key >> 16), (uint8_t)(key >> 24) };
		if (!pt_series_keys_add_seen(dst, tag, (uint8_t)(key >> 32),
				base + m->values[j]))
			return false;
	}
	return true;
}

bool
pt_series_keys_merge(struct pt_series_keys *dst,
		const struct pt_series_keys *src)
{
	return pt_series_keys_merge_at(dst, src, 0);
}

void
pt_series_keys_clear(struct pt_series_keys *k)
{
	struct series_map *m = k->map;
	if (m == NULL || m->len == 0)
		return;
	memset(m->keys, 0, m->cap * sizeof(*m->keys));
	m->len = 0;
}

bool
pt_series_keys_drop_from(struct pt_series_keys *k, uint64_t where)
{
	struct pt_series_keys kept = { NULL };
	const struct series_map *m = k->map;
	for (size_t j = 0; m != NULL && j < m->cap; j++) {
		if (m->keys[j] == 0 || m->values[j] >= where)
			continue;
		uint64_t key = m->keys[j] - 1;
		uint8_t tag[4] = { (uint8_t)key, (uint8_t)(key >> 8),
			(uint8_t)(key >> 16), (uint8_t)(key >> 24) };
		if (!pt_series_keys_add_seen(&kept, tag, (uint8_t)(key >> 32),
				m->values[j])) {
			pt_series_keys_finish(&kept);
			return false;
		}
	}
	pt_series_keys_finish(k);
	*k = kept;
	return true;
}

size_t
pt_series_keys_count(const struct pt_series_keys *k)
{
	return k->map != NULL ? ((const struct series_map *)k->map)->len : 0;
}

void
pt_series_keys_finish(struct pt_series_keys *k)
{
	if (k == NULL)
		return;
	if (k->map != NULL)
		map_finish(k->map);
	free(k->map);
	k->map = NULL;
}

/* ---- building ---- */

/* One row of a timed snapshot, from either storage. */
struct row_view {
	uint8_t tag[4];
	uint8_t pool;
	int64_t allocs, frees, bytes;
	const char *mapped;
};

static void
view_row(const struct pt_row *rows, const struct pt_packed_ref *pr,
		size_t r, struct row_view *v)
{
	if (pr == NULL) {
		const struct pt_row *row = &rows[r];
		memcpy(v->tag, row->tag, 4);
		v->pool = row->pool;
		v->allocs = row->allocs;
		v->frees = row->frees;
		v->bytes = row->bytes;
		v->mapped = row->mapped;
		return;
	}
	const struct pt_packed_row *p = &pr->rows[r];
	memcpy(v->tag, p->tag, 4);
	v->pool = (uint8_t)(p->pool_mapped & 1);
	v->allocs = p->allocs;
	v->frees = p->frees;
	v->bytes = p->bytes;
	v->mapped = p->pool_mapped >> 1 ? pr->mapped[(p->pool_mapped >> 1) - 1] :
		NULL;
}

/*
 * What one filler learnt about each series: where it first appears in
 * time order (snapshot, then row), which fixes the series order, and its
 * latest -g text, copied because a re-read file's texts do not last.
 */
struct tracker {
	size_t first_snap;      /* SIZE_MAX: not seen */
	size_t first_row;
	size_t mapped_snap;     /* SIZE_MAX: no text seen */
	const char *mapped;
};

struct filler {
	struct tracker *t;      /* one per series */
	struct pt_arena texts;
};

struct series_priv {
	struct pt_arena strings;
	struct series_map map;  /* key -> series while filling */
	struct filler *fillers;
	size_t nfillers;
};

bool
pt_dataset_cells_fit(size_t nseries, size_t nsnap, size_t max_cells,
		struct pt_error *err)
{
	if (max_cells == 0)
		return true;
	if (nseries != 0 && nsnap > max_cells / nseries) {
		/* For the message only (it may wrap where size_t is 32 bits). */
		size_t cells = nseries * nsnap;
		pt_error_set(err, 0,
			"%zu series x %zu snapshots = %zu cells exceeds the limit of "
			"%zu cells (%zu bytes and a bit each: %zu MB would be needed)",
			nseries, nsnap, cells, max_cells, PT_BYTES_PER_CELL,
			(cells / 1000 * PT_BYTES_PER_CELL + cells / 8000) / 1000);
		return false;
	}
	return true;
}

static bool
alloc_columns(struct pt_dataset *ds, size_t max_cells, struct pt_error *err)
{
	size_t n = ds->nsnap, m = ds->nseries;
	if (m != 0 && n > SIZE_MAX / sizeof(int64_t) / m) {
		pt_error_set(err, 0, "too many series x snapshots (%zu x %zu)", m, n);
		return false;
	}
	if (!pt_dataset_cells_fit(m, n, max_cells, err))
		return false;
	size_t cells = n * m;
	size_t alloc = cells ? cells : 1;
	ds->allocs32 = calloc(alloc, sizeof(uint32_t));
	ds->frees32 = calloc(alloc, sizeof(uint32_t));
	ds->bytes = calloc(alloc, sizeof(int64_t));
	size_t words = pt_present_words(n);
	ds->present = calloc((m ? m : 1) * (words ? words : 1), sizeof(uint64_t));
	if (!ds->allocs32 || !ds->frees32 || !ds->bytes || !ds->present) {
		pt_error_set(err, 0, "out of memory for %zu x %zu values", m, n);
		return false;
	}
	return true;
}

/* Time, place and summary of snapshot i; file names are copied once. */
static bool
fill_snapinfo(struct pt_dataset *ds, size_t i,
		const struct pt_timed_snapshot *ts, struct pt_arena *strings)
{
	const struct pt_snapshot *sn = ts->snap;
	struct pt_snapinfo *info = &ds->snaps[i];
	info->t_ms = ts->t_ms;
	info->line = sn->line;
	info->summary = sn->summary;
	info->nrows = sn->nrows;
	if (ts->file == NULL)
		return true;
	/* Consecutive snapshots usually share a file: copy once. */
	if (i > 0 && ds->snaps[i - 1].file != NULL &&
			strcmp(ds->snaps[i - 1].file, ts->file) == 0)
		info->file = ds->snaps[i - 1].file;
	else
		info->file = pt_arena_strndup(strings, ts->file, strlen(ts->file));
	return info->file != NULL;
}

/* A series for every key, in the map's order for now (see finish_order). */
static bool
series_from_keys(struct pt_dataset *ds, struct series_priv *priv,
		const struct pt_series_keys *keys)
{
	const struct series_map *m = keys->map;
	size_t n = pt_series_keys_count(keys);
	ds->series = calloc(n ? n : 1, sizeof(*ds->series));
	if (ds->series == NULL)
		return false;
	for (size_t j = 0; m != NULL && j < m->cap; j++) {
		if (m->keys[j] == 0)
			continue;
		uint64_t key = m->keys[j] - 1;
		struct pt_series *se = &ds->series[ds->nseries];
		uint8_t tag[4] = { (uint8_t)key, (uint8_t)(key >> 8),
			(uint8_t)(key >> 16), (uint8_t)(key >> 24) };
		memcpy(se->tag, tag, 4);
		se->pool = (uint8_t)(key >> 32);
		size_t idx;
		bool inserted;
		if (!map_lookup_or_insert(&priv->map, m->keys[j], ds->nseries,
				&idx, &inserted))
			return false;
		ds->nseries++;
	}
	return true;
}

static bool
fillers_init(struct series_priv *priv, size_t nfillers, size_t nseries)
{
	priv->fillers = calloc(nfillers, sizeof(*priv->fillers));
	if (priv->fillers == NULL)
		return false;
	priv->nfillers = nfillers;
	for (size_t f = 0; f < nfillers; f++) {
		struct filler *fl = &priv->fillers[f];
		pt_arena_init(&fl->texts);
		fl->t = malloc((nseries ? nseries : 1) * sizeof(*fl->t));
		if (fl->t == NULL)
			return false;
		for (size_t s = 0; s < nseries; s++)
			fl->t[s] = (struct tracker){ SIZE_MAX, 0, SIZE_MAX, NULL };
	}
	return true;
}

bool
pt_dataset_begin(struct pt_dataset *ds, const struct pt_timed_snapshot *snaps,
		size_t n, const struct pt_series_keys *keys, size_t max_cells,
		size_t nfillers, struct pt_error *err)
{
	memset(ds, 0, sizeof(*ds));
	struct series_priv *priv = calloc(1, sizeof(*priv));
	if (priv == NULL)
		goto oom;
	pt_arena_init(&priv->strings);
	ds->priv = priv;
	ds->nsnap = n;
	ds->snaps = calloc(n ? n : 1, sizeof(*ds->snaps));
	if (ds->snaps == NULL || !series_from_keys(ds, priv, keys))
		goto oom;
	for (size_t i = 0; i < n; i++)
		if (!fill_snapinfo(ds, i, &snaps[i], &priv->strings))
			goto oom;
	if (!alloc_columns(ds, max_cells, err))
		return false;
	if (!fillers_init(priv, nfillers ? nfillers : 1, ds->nseries))
		goto oom;
	return true;
oom:
	pt_error_set(err, 0, "out of memory while aligning %zu snapshots", n);
	return false;
}

/* Series of key, or SIZE_MAX when the key set did not have it. */
static size_t
series_of(const struct series_map *m, uint64_t key)
{
	if (m->cap == 0)
		return SIZE_MAX;
	size_t j = hash_slot(key, m->cap);
	while (m->keys[j] != 0) {
		if (m->keys[j] == key)
			return m->values[j];
		j = (j + 1) & (m->cap - 1);
	}
	return SIZE_MAX;
}

static bool
note_mapped(struct filler *fl, struct tracker *t, size_t i, const char *text)
{
	if (t->mapped_snap != SIZE_MAX && t->mapped_snap > i)
		return true;
	t->mapped_snap = i;
	if (t->mapped == text ||
			(t->mapped != NULL && strcmp(t->mapped, text) == 0))
		return true;
	t->mapped = pt_arena_strndup(&fl->texts, text, strlen(text));
	return t->mapped != NULL;
}

static bool
fill_any(struct pt_dataset *ds, size_t filler, size_t i,
		const struct pt_row *rows, const struct pt_packed_ref *packed,
		size_t nrows)
{
	struct series_priv *priv = ds->priv;
	struct filler *fl = &priv->fillers[filler];
	if (rows == NULL && packed == NULL)
		return nrows == 0;      /* rows from nowhere: a caller's mistake */
	for (size_t r = 0; r < nrows; r++) {
		struct row_view row;
		view_row(rows, packed, r, &row);
		size_t s = series_of(&priv->map, series_key(row.tag, row.pool));
		if (s == SIZE_MAX)
			return false;
		size_t cell = s * ds->nsnap + i;
		ds->allocs32[cell] = (uint32_t)row.allocs;
		ds->frees32[cell] = (uint32_t)row.frees;
		/* Bytes + 1 until pt_dataset_end: 0 is a cell without a row,
		 * and fillers on other threads may share a presence word. */
		ds->bytes[cell] = (int64_t)((uint64_t)row.bytes + 1);
		struct tracker *t = &fl->t[s];
		if (t->first_snap == SIZE_MAX || i < t->first_snap) {
			t->first_snap = i;
			t->first_row = r;
		}
		if (row.mapped != NULL && !note_mapped(fl, t, i, row.mapped))
			return false;
	}
	return true;
}

bool
pt_dataset_fill_rows(struct pt_dataset *ds, size_t filler, size_t i,
		const struct pt_row *rows, size_t nrows)
{
	return fill_any(ds, filler, i, rows, NULL, nrows);
}

bool
pt_dataset_has_keys(const struct pt_dataset *ds, const struct pt_row *rows,
		size_t nrows)
{
	const struct series_priv *priv = ds->priv;
	for (size_t r = 0; r < nrows; r++)
		if (series_of(&priv->map, series_key(rows[r].tag, rows[r].pool)) ==
				SIZE_MAX)
			return false;
	return true;
}

bool
pt_dataset_fill_packed(struct pt_dataset *ds, size_t filler, size_t i,
		const struct pt_packed_ref *rows, size_t nrows)
{
	return fill_any(ds, filler, i, NULL, rows, nrows);
}

/* The fillers' trackers merged into the first. */
static void
merge_trackers(struct series_priv *priv, size_t nseries)
{
	struct tracker *all = priv->fillers[0].t;
	for (size_t f = 1; f < priv->nfillers; f++) {
		const struct tracker *t = priv->fillers[f].t;
		for (size_t s = 0; s < nseries; s++) {
			if (t[s].first_snap < all[s].first_snap) {
				all[s].first_snap = t[s].first_snap;
				all[s].first_row = t[s].first_row;
			}
			if (t[s].mapped_snap != SIZE_MAX &&
					(all[s].mapped_snap == SIZE_MAX ||
					 t[s].mapped_snap > all[s].mapped_snap)) {
				all[s].mapped_snap = t[s].mapped_snap;
				all[s].mapped = t[s].mapped;
			}
		}
	}
}

/* qsort has no context argument in C11. */
static _Thread_local const struct tracker *order_trackers;

static int
cmp_first_seen(const void *pa, const void *pb)
{
	const struct tracker *a = &order_trackers[*(const size_t *)pa];
	const struct tracker *b = &order_trackers[*(const size_t *)pb];
	if (a->first_snap != b->first_snap)
		return a->first_snap < b->first_snap ? -1 : 1;
	return (a->first_row > b->first_row) - (a->first_row < b->first_row);
}

/*
 * Rearrange nblocks blocks of size bytes so that block d ends where block
 * src[d] was (src a permutation), following each cycle with one spare
 * block; done is nblocks bytes of scratch.
 */
static void
permute_blocks(unsigned char *base, size_t size, const size_t *src,
		size_t nblocks, void *spare, unsigned char *done)
{
	memset(done, 0, nblocks);
	for (size_t d = 0; d < nblocks; d++) {
		if (done[d] || src[d] == d) {
			done[d] = 1;
			continue;
		}
		memcpy(spare, base + d * size, size);
		size_t j = d;
		for (;;) {
			size_t k = src[j];
			done[j] = 1;
			if (k == d) {
				memcpy(base + j * size, spare, size);
				break;
			}
			memcpy(base + j * size, base + k * size, size);
			j = k;
		}
	}
}

static void *
shrunk(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);
	if (q == NULL)
		return p;       /* still valid, only larger than needed */
	return q;
}

/*
 * pt_dataset_end's work series by series runs on the fillers' threads, in
 * fixed chunks of series: each series' result is its own, so the outcome
 * does not depend on the threads.
 */
#define END_CHUNK 32

typedef void (*series_fn)(void *ctx, size_t worker, size_t s);

struct series_job {
	size_t nseries;
	series_fn fn;
	void *ctx;
};

static void
series_chunk_task(void *ctx, size_t worker, size_t chunk)
{
	const struct series_job *job = ctx;
	size_t end = (chunk + 1) * END_CHUNK;
	if (end > job->nseries)
		end = job->nseries;
	for (size_t s = chunk * END_CHUNK; s < end; s++)
		job->fn(job->ctx, worker, s);
}

/* fn(ctx, worker, s) for s in [0, nseries), on up to nworkers threads. */
static void
each_series(size_t nseries, size_t nworkers, series_fn fn, void *ctx)
{
	struct series_job job = { nseries, fn, ctx };
	pt_workers_run(nworkers, (nseries + END_CHUNK - 1) / END_CHUNK,
		series_chunk_task, &job);
}

/*
 * Series s's presence bits from its filled cells, Bytes back as they
 * were, and its count, first and last presence (ctx: the dataset).
 */
static void
take_presence_of(void *ctx, size_t worker, size_t s)
{
	(void)worker;
	struct pt_dataset *ds = ctx;
	size_t n = ds->nsnap, words = pt_present_words(n);
	int64_t *bytes = ds->bytes + s * n;
	uint64_t *bits = ds->present + s * words;
	struct pt_series *se = &ds->series[s];
	for (size_t i = 0; i < n; i++) {
		if (bytes[i] == 0)
			continue;
		bits[i / 64] |= UINT64_C(1) << (i % 64);
		bytes[i] = (int64_t)((uint64_t)bytes[i] - 1);
		if (se->present++ == 0)
			se->first = i;
		se->last = i;
	}
}

/* The four columns finish_order reorders, each a task of its own. */
struct reorder_job {
	unsigned char *base[4];
	size_t size[4];
	const size_t *src;
	size_t nblocks;
	void *spare[4];
	unsigned char *done[4];
};

static void
reorder_task(void *ctx, size_t worker, size_t c)
{
	(void)worker;
	const struct reorder_job *job = ctx;
	permute_blocks(job->base[c], job->size[c], job->src, job->nblocks,
		job->spare[c], job->done[c]);
}

/* Scratch for reorder_job's tasks; false when out of memory. */
static bool
reorder_job_init(struct reorder_job *job, struct pt_dataset *ds,
		const size_t *src, size_t m)
{
	size_t n = ds->nsnap;
	*job = (struct reorder_job){
		.base = { (unsigned char *)ds->allocs32,
			(unsigned char *)ds->frees32, (unsigned char *)ds->bytes,
			(unsigned char *)ds->present },
		.size = { n * 4, n * 4, n * 8, pt_present_words(n) * 8 },
		.src = src, .nblocks = m,
	};
	bool ok = true;
	for (size_t c = 0; c < 4; c++) {
		job->spare[c] = malloc(job->size[c] ? job->size[c] : 1);
		job->done[c] = malloc(m ? m : 1);
		ok = ok && job->spare[c] != NULL && job->done[c] != NULL;
	}
	return ok;
}

static void
reorder_job_finish(struct reorder_job *job)
{
	for (size_t c = 0; c < 4; c++) {
		free(job->spare[c]);
		free(job->done[c]);
	}
}

/*
 * Series in order of first appearance in time (then row order), as if
 * the snapshots had been read in time order; series that no kept snapshot
 * has a row for are dropped.
 */
static bool
finish_order(struct pt_dataset *ds, struct series_priv *priv)
{
	size_t m = ds->nseries, n = ds->nsnap, words = pt_present_words(n);
	struct tracker *t = priv->fillers[0].t;
	each_series(m, priv->nfillers, take_presence_of, ds);
	size_t *src = malloc((m ? m : 1) * sizeof(*src));
	struct tracker *tmp = malloc((m ? m : 1) * sizeof(*tmp));
	struct pt_series *series = malloc((m ? m : 1) * sizeof(*series));
	struct reorder_job reorder;
	bool ok = reorder_job_init(&reorder, ds, src, m) && src && tmp &&
		series;
	if (ok) {
		for (size_t s = 0; s < m; s++)
			src[s] = s;
		order_trackers = t;
		qsort(src, m, sizeof(*src), cmp_first_seen);
		size_t kept = 0;
		while (kept < m && t[src[kept]].first_snap != SIZE_MAX)
			kept++;
		pt_workers_run(priv->nfillers, 4, reorder_task, &reorder);
		for (size_t d = 0; d < m; d++) {
			series[d] = ds->series[src[d]];
			tmp[d] = t[src[d]];
		}
		memcpy(ds->series, series, m * sizeof(*series));
		memcpy(t, tmp, m * sizeof(*tmp));
		ds->nseries = kept;
		ds->allocs32 = shrunk(ds->allocs32, kept * n * 4);
		ds->frees32 = shrunk(ds->frees32, kept * n * 4);
		ds->bytes = shrunk(ds->bytes, kept * n * 8);
		ds->present = shrunk(ds->present, kept * words * 8);
	}
	reorder_job_finish(&reorder);
	free(src);
	free(tmp);
	free(series);
	return ok;
}

/* The last -g text of each series (take_presence_of counted the rest). */
static bool
summarise_series(struct pt_dataset *ds, const struct tracker *t,
		struct pt_arena *strings)
{
	for (size_t s = 0; s < ds->nseries; s++) {
		struct pt_series *se = &ds->series[s];
		const char *last = t[s].mapped;
		if (last != NULL &&
				(se->mapped = pt_arena_strndup(strings, last,
					strlen(last))) == NULL)
			return false;
	}
	return true;
}

static void
fillers_finish(struct series_priv *priv)
{
	for (size_t f = 0; f < priv->nfillers; f++) {
		free(priv->fillers[f].t);
		pt_arena_finish(&priv->fillers[f].texts);
	}
	free(priv->fillers);
	priv->fillers = NULL;
	priv->nfillers = 0;
	map_finish(&priv->map);
	memset(&priv->map, 0, sizeof(priv->map));
}

/* A fall of a cumulative counter that is not a 32-bit wrap. */
static bool
fell(int64_t before, int64_t after)
{
	return after < before && before - after <= WRAP_THRESHOLD;
}

/*
 * For every snapshot i > 0: how many series have a row in both i-1 and i
 * (common[i]), and in how many of those Allocs or Frees fell (falls[i]).
 * Counted series by series, so the columns are read in order; each worker
 * counts into its own rows of common and falls (stride apart), which are
 * then added up.
 */
struct falls_job {
	const struct pt_dataset *ds;
	size_t *common, *falls;
	size_t stride;
};

static void
count_falls_of(void *ctx, size_t worker, size_t s)
{
	const struct falls_job *job = ctx;
	const struct pt_dataset *ds = job->ds;
	size_t n = ds->nsnap;
	size_t *common = job->common + worker * job->stride;
	size_t *falls = job->falls + worker * job->stride;
	const uint64_t *present = pt_dataset_present(ds, s);
	const uint32_t *allocs = ds->allocs32 + s * n;
	const uint32_t *frees = ds->frees32 + s * n;
	for (size_t i = 1; i < n; i++) {
		if (!pt_is_present(present, i - 1) || !pt_is_present(present, i))
			continue;
		common[i]++;
		if (fell(allocs[i - 1], allocs[i]) || fell(frees[i - 1], frees[i]))
			falls[i]++;
	}
}

/* common and falls hold nworkers rows of stride counts, all 0. */
static void
count_falls(const struct pt_dataset *ds, size_t nworkers, size_t *common,
		size_t *falls, size_t stride)
{
	struct falls_job job = { ds, common, falls, stride };
	each_series(ds->nseries, nworkers, count_falls_of, &job);
	for (size_t w = 1; w < nworkers; w++)
		for (size_t i = 0; i < stride; i++) {
			common[i] += common[w * stride + i];
			falls[i] += falls[w * stride + i];
		}
}

/*
 * Did the machine reboot between snapshots i-1 and i?  PageFlts is
 * cumulative in -n files, so a fall is conclusive; otherwise the counters
 * of most tags starting over are.
 */
static bool
rebooted_before(const struct pt_dataset *ds, size_t i, size_t common,
		size_t falls, const char **why)
{
	const struct pt_summary *a = &ds->snaps[i - 1].summary;
	const struct pt_summary *b = &ds->snaps[i].summary;
	if (a->has_memory && b->has_memory &&
			fell(a->page_faults, b->page_faults)) {
		*why = "the cumulative page-fault count fell";
		return true;
	}
	if (common > 0 && falls * 2 > common) {
		*why = "most tags' allocation counters fell";
		return true;
	}
	return false;
}

static bool
find_epochs(struct pt_dataset *ds, size_t nworkers, struct pt_diags *diags,
		struct pt_error *err)
{
	size_t cap = 8, stride = ds->nsnap + 1;
	/* A row of counts for each worker that can get a chunk of series,
	 * not for every thread asked for (-j64 on a long log). */
	nworkers = pt_workers_count(nworkers,
		(ds->nseries + END_CHUNK - 1) / END_CHUNK);
	size_t *common = calloc(nworkers * stride, sizeof(size_t));
	size_t *falls = calloc(nworkers * stride, sizeof(size_t));
	ds->epoch_start = malloc(cap * sizeof(size_t));
	if (ds->epoch_start == NULL || common == NULL || falls == NULL)
		goto oom;
	count_falls(ds, nworkers, common, falls, stride);
	ds->epoch_start[0] = 0;
	ds->nepochs = 1;
	for (size_t i = 1; i < ds->nsnap; i++) {
		const char *why = NULL;
		if (rebooted_before(ds, i, common[i], falls[i], &why)) {
			if (ds->nepochs + 1 >= cap) {
				cap *= 2;
				size_t *e = realloc(ds->epoch_start, cap * sizeof(size_t));
				if (e == NULL)
					goto oom;
				ds->epoch_start = e;
			}
			ds->epoch_start[ds->nepochs++] = i;
			pt_diags_add(diags, PT_SEV_NOTE, ds->snaps[i].file,
				ds->snaps[i].line,
				"reboot detected before this snapshot (%s); "
				"starting boot epoch %u", why, ds->nepochs);
		}
		ds->snaps[i].epoch = ds->nepochs - 1;
	}
	ds->epoch_start[ds->nepochs] = ds->nsnap;
	free(common);
	free(falls);
	return true;
oom:
	free(common);
	free(falls);
	pt_error_set(err, 0, "out of memory while detecting reboots");
	return false;
}

/*
 * Unwrap one raw counter column of a series within each epoch into out
 * (NULL: only count); returns the wraps undone.
 */
static uint32_t
unwrap_counter(const struct pt_dataset *ds, const uint32_t *col,
		const uint64_t *present, int64_t *out)
{
	uint32_t wraps = 0;
	for (uint32_t e = 0; e < ds->nepochs; e++) {
		struct pt_unwrap u = PT_UNWRAP_INIT;
		for (size_t i = ds->epoch_start[e]; i < ds->epoch_start[e + 1]; i++) {
			if (!pt_is_present(present, i)) {
				if (out != NULL)
					out[i] = 0;
				continue;
			}
			int64_t v = pt_unwrap_step(&u, col[i]);
			if (out != NULL)
				out[i] = v;
		}
		wraps += u.wraps;
	}
	return wraps;
}

void
pt_dataset_counters(const struct pt_dataset *ds, size_t s,
		int64_t *allocs, int64_t *frees, int64_t *diff)
{
	size_t base = s * ds->nsnap;
	const uint64_t *present = pt_dataset_present(ds, s);
	if (allocs != NULL)
		(void)unwrap_counter(ds, ds->allocs32 + base, present, allocs);
	if (frees != NULL)
		(void)unwrap_counter(ds, ds->frees32 + base, present, frees);
	if (diff != NULL)
		for (size_t i = 0; i < ds->nsnap; i++)
			diff[i] = pt_is_present(present, i) ? pt_diff32(ds->allocs32[base + i],
				ds->frees32[base + i]) : 0;
}

int64_t
pt_dataset_counter_at(const struct pt_dataset *ds, const uint32_t *col,
		size_t s, size_t i)
{
	size_t base = s * ds->nsnap;
	const uint64_t *present = pt_dataset_present(ds, s);
	struct pt_unwrap u = PT_UNWRAP_INIT;
	int64_t v = 0;
	for (size_t k = ds->epoch_start[ds->snaps[i].epoch]; k <= i; k++)
		if (pt_is_present(present, k))
			v = pt_unwrap_step(&u, col[base + k]);
	return v;
}

/* Series s's wraps (ctx: the dataset). */
static void
count_wraps_of(void *ctx, size_t worker, size_t s)
{
	(void)worker;
	struct pt_dataset *ds = ctx;
	size_t base = s * ds->nsnap;
	const uint64_t *present = pt_dataset_present(ds, s);
	ds->series[s].wraps =
		unwrap_counter(ds, ds->allocs32 + base, present, NULL) +
		unwrap_counter(ds, ds->frees32 + base, present, NULL);
}

/* Counted on the workers, noted in series order. */
static void
unwrap_all(struct pt_dataset *ds, size_t nworkers, struct pt_diags *diags)
{
	each_series(ds->nseries, nworkers, count_wraps_of, ds);
	for (size_t s = 0; s < ds->nseries; s++) {
		struct pt_series *se = &ds->series[s];
		uint32_t w = se->wraps;
		if (w == 0)
			continue;
		ds->wraps += w;
		char tag[PT_TAG_TEXT_MAX];
		pt_diags_add(diags, PT_SEV_NOTE, NULL, 0,
			"tag '%s' (%s): undid %u 32-bit counter wrap%s",
			pt_tag_escape(se->tag, tag), pt_pool_name(se->pool), w,
			w == 1 ? "" : "s");
	}
}

static bool find_epochs(struct pt_dataset *ds, size_t nworkers,
		struct pt_diags *diags, struct pt_error *err);

bool
pt_dataset_end(struct pt_dataset *ds, struct pt_diags *diags,
		struct pt_error *err)
{
	struct series_priv *priv = ds->priv;
	size_t nworkers = priv->nfillers;
	merge_trackers(priv, ds->nseries);
	bool ok = finish_order(ds, priv) &&
		summarise_series(ds, priv->fillers[0].t, &priv->strings);
	fillers_finish(priv);
	if (!ok) {
		pt_error_set(err, 0, "out of memory while aligning snapshots");
		return false;
	}
	if (!find_epochs(ds, nworkers, diags, err))
		return false;
	unwrap_all(ds, nworkers, diags);
	return true;
}

bool
pt_dataset_build(struct pt_dataset *ds,
		const struct pt_timed_snapshot *snaps, size_t n, size_t max_cells,
		struct pt_diags *diags, struct pt_error *err)
{
	struct pt_series_keys keys = { 0 };
	bool ok = true;
	for (size_t i = 0; ok && i < n; i++)
		for (size_t r = 0; ok && r < snaps[i].snap->nrows; r++)
			ok = pt_series_keys_add(&keys, snaps[i].snap->rows[r].tag,
				snaps[i].snap->rows[r].pool);
	if (!ok) {
		memset(ds, 0, sizeof(*ds));
		pt_error_set(err, 0, "out of memory while aligning %zu snapshots", n);
	}
	ok = ok && pt_dataset_begin(ds, snaps, n, &keys, max_cells, 1, err);
	pt_series_keys_finish(&keys);
	for (size_t i = 0; ok && i < n; i++)
		if (!pt_dataset_fill_rows(ds, 0, i, snaps[i].snap->rows,
				snaps[i].snap->nrows)) {
			pt_error_set(err, 0, "out of memory while aligning snapshots");
			ok = false;
		}
	ok = ok && pt_dataset_end(ds, diags, err);
	if (!ok)
		pt_dataset_finish(ds);
	return ok;
}

void
pt_dataset_finish(struct pt_dataset *ds)
{
	if (ds == NULL)
		return;
	struct series_priv *priv = ds->priv;
	if (priv != NULL) {
		fillers_finish(priv);
		pt_arena_finish(&priv->strings);
		free(priv);
	}
	free(ds->snaps);
	free(ds->series);
	free(ds->allocs32);
	free(ds->frees32);
	free(ds->bytes);
	free(ds->present);
	free(ds->epoch_start);
	memset(ds, 0, sizeof(*ds));
}
