#include "pooltrend/series.h"

#include <stdlib.h>
#include <string.h>

#include "pooltrend/text.h"
#include "arena.h"
#include "workers.h"

#define WRAP_THRESHOLD (INT64_C(1) << 31)

struct series_priv {
	struct pt_arena strings;
};

/* Open-addressing map from (tag, pool) to series index. */
struct series_map {
	uint64_t *keys;   /* 0 = empty; else key + 1 */
	size_t *values;
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
	size_t *values = malloc(cap * sizeof(*values));
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

/* Index of a key collect_series has inserted; never changes the map. */
static size_t
map_find(const struct series_map *m, uint64_t key)
{
	size_t j = hash_slot(key, m->cap);
	while (m->keys[j] != key)
		j = (j + 1) & (m->cap - 1);
	return m->values[j];
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
mapped_index_of(struct pt_packed_rows *pk, struct series_map *m,
		size_t *list_cap, const char *text, uint32_t *out)
{
	if (pk->nmapped == *list_cap) {
		size_t cap = *list_cap ? *list_cap * 2 : 16;
		const char **list = realloc(pk->mapped, cap * sizeof(*list));
		if (list == NULL)
			return false;
		pk->mapped = list;
		*list_cap = cap;
	}
	size_t idx;
	bool inserted;
	if (!map_lookup_or_insert(m, (uint64_t)(uintptr_t)text, pk->nmapped,
			&idx, &inserted))
		return false;
	if (inserted)
		pk->mapped[pk->nmapped++] = text;
	*out = (uint32_t)idx;
	return true;
}

bool
pt_packed_rows_build(struct pt_packed_rows *pk,
		const struct pt_parse_result *r)
{
	memset(pk, 0, sizeof(*pk));
	size_t total = 0;
	for (size_t i = 0; i < r->nsnaps; i++)
		total += r->snaps[i].nrows;
	struct series_map m = {0};
	size_t list_cap = 0;
	pk->rows = malloc((total ? total : 1) * sizeof(*pk->rows));
	pk->first = malloc((r->nsnaps ? r->nsnaps : 1) * sizeof(*pk->first));
	bool ok = pk->rows != NULL && pk->first != NULL;
	size_t n = 0;
	for (size_t i = 0; ok && i < r->nsnaps; i++) {
		const struct pt_snapshot *sn = &r->snaps[i];
		pk->first[i] = n;
		for (size_t k = 0; ok && k < sn->nrows; k++) {
			const struct pt_row *row = &sn->rows[k];
			struct pt_packed_row *p = &pk->rows[n++];
			memcpy(p->tag, row->tag, 4);
			p->allocs = (uint32_t)row->allocs;
			p->frees = (uint32_t)row->frees;
			p->bytes = row->bytes;
			p->pool_mapped = row->pool;
			uint32_t idx = 0;
			if (row->mapped != NULL) {
				ok = mapped_index_of(pk, &m, &list_cap, row->mapped,
					&idx);
				p->pool_mapped |= (idx + 1) << 1;
			}
		}
	}
	map_finish(&m);
	if (!ok)
		pt_packed_rows_finish(pk);
	return ok;
}

void
pt_packed_rows_finish(struct pt_packed_rows *pk)
{
	if (pk == NULL)
		return;
	free(pk->rows);
	free(pk->first);
	free(pk->mapped);
	memset(pk, 0, sizeof(*pk));
}

/* One row of a timed snapshot, from either storage. */
struct row_view {
	uint8_t tag[4];
	uint8_t pool;
	int64_t allocs, frees, bytes;
	const char *mapped;
};

/* packed is NULL when the rows are the snapshot's own. */
static void
view_row(const struct pt_timed_snapshot *ts, const struct pt_packed_ref *pr,
		size_t r, struct row_view *v)
{
	if (pr == NULL) {
		const struct pt_row *row = &ts->snap->rows[r];
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

/* Give every distinct (tag, pool) a series, in order of first appearance. */
static bool
collect_series(struct pt_dataset *ds, const struct pt_timed_snapshot *snaps,
		const struct pt_packed_ref *packed, size_t n,
		struct series_map *map, struct pt_error *err)
{
	size_t cap = 0;
	for (size_t i = 0; i < n; i++) {
		const struct pt_snapshot *sn = snaps[i].snap;
		for (size_t r = 0; r < sn->nrows; r++) {
			struct row_view rv, *row = &rv;
			view_row(&snaps[i], packed ? &packed[i] : NULL, r, row);
			size_t idx;
			bool inserted;
			if (!map_lookup_or_insert(map, series_key(row->tag, row->pool),
					ds->nseries, &idx, &inserted))
				goto oom;
			if (!inserted)
				continue;
			if (ds->nseries == cap) {
				cap = cap ? cap * 2 : 256;
				struct pt_series *s = realloc(ds->series, cap * sizeof(*s));
				if (s == NULL)
					goto oom;
				ds->series = s;
			}
			struct pt_series *s = &ds->series[ds->nseries++];
			memset(s, 0, sizeof(*s));
			memcpy(s->tag, row->tag, 4);
			s->pool = row->pool;
		}
	}
	return true;
oom:
	pt_error_set(err, 0, "out of memory while aligning %zu snapshots", n);
	return false;
}

static bool
alloc_columns(struct pt_dataset *ds, size_t max_cells, struct pt_error *err)
{
	size_t n = ds->nsnap, m = ds->nseries;
	if (m != 0 && n > SIZE_MAX / sizeof(int64_t) / m) {
		pt_error_set(err, 0, "too many series x snapshots (%zu x %zu)", m, n);
		return false;
	}
	size_t cells = n * m;
	if (max_cells != 0 && cells > max_cells) {
		pt_error_set(err, 0,
			"%zu series x %zu snapshots exceeds the limit of %zu cells",
			m, n, max_cells);
		return false;
	}
	size_t alloc = cells ? cells : 1;
	ds->allocs32 = calloc(alloc, sizeof(uint32_t));
	ds->frees32 = calloc(alloc, sizeof(uint32_t));
	ds->bytes = calloc(alloc, sizeof(int64_t));
	ds->present = calloc(alloc, 1);
	ds->snaps = calloc(n ? n : 1, sizeof(*ds->snaps));
	if (!ds->allocs32 || !ds->frees32 || !ds->bytes ||
			!ds->present || !ds->snaps) {
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

/*
 * Filling the columns runs on the worker threads, one chunk of snapshots
 * per task: chunks write disjoint cells, and each remembers the last -g
 * text of every series in its own row of mapped, so nothing is shared.
 */
struct fill_job {
	struct pt_dataset *ds;
	const struct pt_timed_snapshot *snaps;
	const struct pt_packed_ref *packed;   /* NULL: the snapshots' rows */
	const struct series_map *map;
	size_t chunk;                         /* snapshots per task */
	const char **mapped;                  /* [task * nseries + series] */
};

static void
fill_task(void *ctx, size_t worker, size_t task)
{
	(void)worker;
	struct fill_job *job = ctx;
	struct pt_dataset *ds = job->ds;
	const char **mapped = job->mapped + task * ds->nseries;
	size_t end = (task + 1) * job->chunk;
	if (end > ds->nsnap)
		end = ds->nsnap;
	for (size_t i = task * job->chunk; i < end; i++) {
		const struct pt_timed_snapshot *ts = &job->snaps[i];
		const struct pt_packed_ref *pr = job->packed ? &job->packed[i] : NULL;
		for (size_t r = 0; r < ts->snap->nrows; r++) {
			struct row_view row;
			view_row(ts, pr, r, &row);
			size_t s = map_find(job->map, series_key(row.tag, row.pool));
			size_t cell = s * ds->nsnap + i;
			ds->allocs32[cell] = (uint32_t)row.allocs;
			ds->frees32[cell] = (uint32_t)row.frees;
			ds->bytes[cell] = row.bytes;
			ds->present[cell] = 1;
			if (row.mapped != NULL)
				mapped[s] = row.mapped;
		}
	}
}

/* Count, first and last presence of each series, and its last -g text. */
static bool
summarise_series(struct pt_dataset *ds, const char **mapped, size_t ntasks,
		struct pt_arena *strings)
{
	for (size_t s = 0; s < ds->nseries; s++) {
		struct pt_series *se = &ds->series[s];
		const uint8_t *present = ds->present + s * ds->nsnap;
		for (size_t i = 0; i < ds->nsnap; i++) {
			if (!present[i])
				continue;
			if (se->present++ == 0)
				se->first = i;
			se->last = i;
		}
		const char *last = NULL;
		for (size_t t = 0; t < ntasks; t++)
			if (mapped[t * ds->nseries + s] != NULL)
				last = mapped[t * ds->nseries + s];
		if (last != NULL &&
				(se->mapped = pt_arena_strndup(strings, last,
					strlen(last))) == NULL)
			return false;
	}
	return true;
}

static bool
fill_columns(struct pt_dataset *ds, const struct pt_timed_snapshot *snaps,
		const struct pt_packed_ref *packed, const struct series_map *map,
		size_t threads, struct pt_arena *strings, struct pt_error *err)
{
	size_t n = ds->nsnap;
	for (size_t i = 0; i < n; i++)
		if (!fill_snapinfo(ds, i, &snaps[i], strings))
			goto oom;
	/* A few tasks per thread even out uneven snapshots. */
	size_t ntasks = threads * 4 < n ? threads * 4 : n;
	if (ntasks == 0)
		ntasks = 1;
	struct fill_job job = {
		.ds = ds, .snaps = snaps, .packed = packed, .map = map,
		.chunk = (n + ntasks - 1) / ntasks,
	};
	ntasks = n ? (n + job.chunk - 1) / job.chunk : 1;
	if (ds->nseries != 0 && ntasks > SIZE_MAX / sizeof(char *) / ds->nseries)
		goto oom;
	job.mapped = calloc(ntasks * ds->nseries + 1, sizeof(char *));
	if (job.mapped == NULL)
		goto oom;
	pt_workers_run(threads, ntasks, fill_task, &job);
	bool ok = summarise_series(ds, job.mapped, ntasks, strings);
	free(job.mapped);
	if (ok)
		return true;
oom:
	pt_error_set(err, 0, "out of memory while aligning snapshots");
	return false;
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
 * Counted series by series, so the columns are read in order.
 */
static void
count_falls(const struct pt_dataset *ds, size_t *common, size_t *falls)
{
	size_t n = ds->nsnap;
	for (size_t s = 0; s < ds->nseries; s++) {
		const uint8_t *present = ds->present + s * n;
		const uint32_t *allocs = ds->allocs32 + s * n;
		const uint32_t *frees = ds->frees32 + s * n;
		for (size_t i = 1; i < n; i++) {
			if (!present[i - 1] || !present[i])
				continue;
			common[i]++;
			if (fell(allocs[i - 1], allocs[i]) ||
					fell(frees[i - 1], frees[i]))
				falls[i]++;
		}
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
find_epochs(struct pt_dataset *ds, struct pt_diags *diags,
		struct pt_error *err)
{
	size_t cap = 8;
	size_t *common = calloc(ds->nsnap + 1, sizeof(size_t));
	size_t *falls = calloc(ds->nsnap + 1, sizeof(size_t));
	ds->epoch_start = malloc(cap * sizeof(size_t));
	if (ds->epoch_start == NULL || common == NULL || falls == NULL)
		goto oom;
	count_falls(ds, common, falls);
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
		const uint8_t *present, int64_t *out)
{
	uint32_t wraps = 0;
	for (uint32_t e = 0; e < ds->nepochs; e++) {
		struct pt_unwrap u = PT_UNWRAP_INIT;
		for (size_t i = ds->epoch_start[e]; i < ds->epoch_start[e + 1]; i++) {
			if (!present[i]) {
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
	const uint8_t *present = ds->present + base;
	if (allocs != NULL)
		(void)unwrap_counter(ds, ds->allocs32 + base, present, allocs);
	if (frees != NULL)
		(void)unwrap_counter(ds, ds->frees32 + base, present, frees);
	if (diff != NULL)
		for (size_t i = 0; i < ds->nsnap; i++)
			diff[i] = present[i] ? pt_diff32(ds->allocs32[base + i],
				ds->frees32[base + i]) : 0;
}

int64_t
pt_dataset_counter_at(const struct pt_dataset *ds, const uint32_t *col,
		size_t s, size_t i)
{
	size_t base = s * ds->nsnap;
	const uint8_t *present = ds->present + base;
	struct pt_unwrap u = PT_UNWRAP_INIT;
	int64_t v = 0;
	for (size_t k = ds->epoch_start[ds->snaps[i].epoch]; k <= i; k++)
		if (present[k])
			v = pt_unwrap_step(&u, col[base + k]);
	return v;
}

static void
unwrap_all(struct pt_dataset *ds, struct pt_diags *diags)
{
	for (size_t s = 0; s < ds->nseries; s++) {
		size_t base = s * ds->nsnap;
		const uint8_t *present = ds->present + base;
		uint32_t w = unwrap_counter(ds, ds->allocs32 + base, present, NULL) +
			unwrap_counter(ds, ds->frees32 + base, present, NULL);
		if (w == 0)
			continue;
		struct pt_series *se = &ds->series[s];
		se->wraps = w;
		ds->wraps += w;
		char tag[PT_TAG_TEXT_MAX];
		pt_diags_add(diags, PT_SEV_NOTE, NULL, 0,
			"tag '%s' (%s): undid %u 32-bit counter wrap%s",
			pt_tag_escape(se->tag, tag), pt_pool_name(se->pool), w,
			w == 1 ? "" : "s");
	}
}

bool
pt_dataset_build(struct pt_dataset *ds,
		const struct pt_timed_snapshot *snaps, size_t n, size_t max_cells,
		struct pt_diags *diags, struct pt_error *err)
{
	return pt_dataset_build_packed(ds, snaps, NULL, n, max_cells, 1, diags,
		err);
}

bool
pt_dataset_build_packed(struct pt_dataset *ds,
		const struct pt_timed_snapshot *snaps,
		const struct pt_packed_ref *packed, size_t n, size_t max_cells,
		size_t threads, struct pt_diags *diags, struct pt_error *err)
{
	memset(ds, 0, sizeof(*ds));
	struct series_priv *priv = calloc(1, sizeof(*priv));
	if (priv == NULL) {
		pt_error_set(err, 0, "out of memory");
		return false;
	}
	pt_arena_init(&priv->strings);
	ds->priv = priv;
	ds->nsnap = n;

	struct series_map map = {0};
	bool ok = collect_series(ds, snaps, packed, n, &map, err) &&
		alloc_columns(ds, max_cells, err) &&
		fill_columns(ds, snaps, packed, &map, threads ? threads : 1,
			&priv->strings, err);
	map_finish(&map);
	if (ok)
		ok = find_epochs(ds, diags, err);
	if (ok)
		unwrap_all(ds, diags);
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
