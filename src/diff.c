#include "pooltrend/diff.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pooltrend/source.h"
#include "pooltrend/text.h"


const char *
pt_diff_status_name(enum pt_diff_status s)
{
	switch (s) {
	case PT_DIFF_NEW: return "new";
	case PT_DIFF_GONE: return "gone";
	case PT_DIFF_BOTH: break;
	}
	return "both";
}

const char *
pt_diff_counters_name(enum pt_diff_counters c)
{
	switch (c) {
	case PT_COUNTERS_REBOOT: return "reboot";
	case PT_COUNTERS_FELL: return "fell";
	case PT_COUNTERS_OK: break;
	}
	return "ok";
}

/* The file names of the OLD side, sorted for bsearch. */
struct name_set {
	const char **names;
	size_t n;
};

static int
cmp_name(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static bool
name_set_has(const struct name_set *s, const char *name)
{
	return name != NULL && s->n > 0 &&
		bsearch(&name, s->names, s->n, sizeof(*s->names), cmp_name) != NULL;
}

/*
 * OLD is the earliest snapshot of the OLD side, NEW the latest of the
 * rest.  With no OLD names, the first and last snapshot of the one set.
 */
static bool
pick_sides(struct pt_diff *d, const struct name_set *old_names,
		const char *old_label, const char *new_label, struct pt_error *err)
{
	const struct pt_dataset *ds = &d->a.ds;
	if (old_names == NULL) {
		if (ds->nsnap < 2) {
			pt_error_set(err, 0, "only one snapshot with rows: diff needs "
				"two (give OLD and NEW, or a set of several snapshots)");
			return false;
		}
		d->old_snap = 0;
		d->new_snap = ds->nsnap - 1;
		return true;
	}
	size_t old_snap = SIZE_MAX, new_snap = SIZE_MAX;
	for (size_t i = 0; i < ds->nsnap; i++) {
		if (name_set_has(old_names, ds->snaps[i].file)) {
			if (old_snap == SIZE_MAX)
				old_snap = i;
		} else {
			new_snap = i;
		}
	}
	if (old_snap == SIZE_MAX || new_snap == SIZE_MAX) {
		const char *side = old_snap == SIZE_MAX ? old_label : new_label;
		char *shown = pt_escape(side, strlen(side));
		pt_error_set(err, 0, "no poolmon snapshot with rows in %s %s",
			old_snap == SIZE_MAX ? "OLD" : "NEW", shown ? shown : "");
		free(shown);
		return false;
	}
	d->old_snap = old_snap;
	d->new_snap = new_snap;
	return true;
}

static struct pt_diff_values
values_at(const struct pt_dataset *ds, size_t s, size_t i)
{
	struct pt_diff_values v = {0};
	if (!pt_is_present(pt_dataset_present(ds, s), i))
		return v;
	v.allocs = pt_dataset_col32(ds, ds->allocs32, s)[i];
	v.frees = pt_dataset_col32(ds, ds->frees32, s)[i];
	v.diff = pt_diff32((uint32_t)v.allocs, (uint32_t)v.frees);
	v.bytes = pt_dataset_col(ds, ds->bytes, s)[i];
	v.per_alloc = v.diff > 0 ? v.bytes / v.diff : v.bytes;
	return v;
}

/*
 * Allocs and Frees are cumulative: within one boot epoch the dataset has
 * undone 32-bit wraps, so the unwrapped difference is exact.  A missing
 * side counts as zero (poolmon prints no row for a tag never allocated).
 */
static void
counter_changes(const struct pt_diff *d, size_t s, struct pt_diff_row *r)
{
	const struct pt_dataset *ds = &d->a.ds;
	if (d->reboot) {
		r->counters = PT_COUNTERS_REBOOT;
		return;
	}
	const uint64_t *present = pt_dataset_present(ds, s);
	const uint32_t *allocs = ds->allocs32, *frees = ds->frees32;
	size_t o = d->old_snap, n = d->new_snap;
	bool po = pt_is_present(present, o), pn = pt_is_present(present, n);
	int64_t oa = po ? pt_dataset_counter_at(ds, allocs, s, o) : 0;
	int64_t of = po ? pt_dataset_counter_at(ds, frees, s, o) : 0;
	int64_t na = pn ? pt_dataset_counter_at(ds, allocs, s, n) : 0;
	int64_t nf = pn ? pt_dataset_counter_at(ds, frees, s, n) : 0;
	r->allocs_change = na - oa;
	r->frees_change = nf - of;
	bool fell = r->allocs_change < 0 || r->frees_change < 0;
	r->counters = fell && !d->reversed ? PT_COUNTERS_FELL : PT_COUNTERS_OK;
}

static void
fill_row(const struct pt_diff *d, size_t s, struct pt_diff_row *r)
{
	const struct pt_dataset *ds = &d->a.ds;
	const uint64_t *present = pt_dataset_present(ds, s);
	r->series = s;
	r->status = !pt_is_present(present, d->old_snap) ? PT_DIFF_NEW :
		!pt_is_present(present, d->new_snap) ? PT_DIFF_GONE : PT_DIFF_BOTH;
	r->old = values_at(ds, s, d->old_snap);
	r->new = values_at(ds, s, d->new_snap);
	r->diff_change = r->new.diff - r->old.diff;
	r->bytes_change = r->new.bytes - r->old.bytes;
	counter_changes(d, s, r);
}

/* Hostile rows can hold bytes near INT64_MAX: totals saturate. */
static int64_t
add_saturating(int64_t a, int64_t b)
{
	int64_t sum;
	if (__builtin_add_overflow(a, b, &sum))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return sum;
}

static void
add_to_pool(struct pt_diff_pool *p, const struct pt_diff_row *r)
{
	p->tags++;
	p->new_tags += r->status == PT_DIFF_NEW;
	p->gone_tags += r->status == PT_DIFF_GONE;
	p->old_bytes = add_saturating(p->old_bytes, r->old.bytes);
	p->new_bytes = add_saturating(p->new_bytes, r->new.bytes);
}

static bool
build_rows(struct pt_diff *d, struct pt_error *err)
{
	const struct pt_dataset *ds = &d->a.ds;
	d->rows = calloc(ds->nseries ? ds->nseries : 1, sizeof(*d->rows));
	if (d->rows == NULL) {
		pt_error_set(err, 0, "out of memory");
		return false;
	}
	for (size_t s = 0; s < ds->nseries; s++) {
		const uint64_t *present = pt_dataset_present(ds, s);
		if (!pt_is_present(present, d->old_snap) &&
				!pt_is_present(present, d->new_snap))
			continue;
		struct pt_diff_row *r = &d->rows[d->nrows++];
		fill_row(d, s, r);
		add_to_pool(&d->pools[ds->series[s].pool % PT_POOL_COUNT], r);
	}
	return true;
}

static void
note_sides(struct pt_diff *d)
{
	const struct pt_snapinfo *o = &d->a.ds.snaps[d->old_snap];
	const struct pt_snapinfo *n = &d->a.ds.snaps[d->new_snap];
	if (d->reversed)
		pt_diags_add(&d->a.diags, PT_SEV_WARNING, n->file, n->line,
			"NEW is dated before OLD (time from %s); changes are NEW "
			"minus OLD as given, with no rate",
			pt_time_source_name(d->a.time_source));
	if (d->reboot)
		pt_diags_add(&d->a.diags, PT_SEV_NOTE, n->file, n->line,
			"the machine rebooted between OLD and NEW (boot epochs %u "
			"and %u): Allocs and Frees started over, so their changes "
			"are not shown", o->epoch + 1, n->epoch + 1);
}

/* Everything after the analysis: sides, rows, totals. */
static bool
compare_sides(struct pt_diff *d, const struct name_set *old_names,
		const char *old_label, const char *new_label, struct pt_error *err)
{
	if (!pick_sides(d, old_names, old_label, new_label, err))
		return false;
	const struct pt_snapinfo *o = &d->a.ds.snaps[d->old_snap];
	const struct pt_snapinfo *n = &d->a.ds.snaps[d->new_snap];
	d->reversed = d->old_snap > d->new_snap;
	d->reboot = o->epoch != n->epoch;
	/* Index times are positions, not time: no hours, no rates. */
	d->hours = d->a.time_source == PT_TIME_INDEX ? NAN :
		(double)(n->t_ms - o->t_ms) / 3600000.0;
	note_sides(d);
	return build_rows(d, err);
}

static void
diff_init(struct pt_diff *d)
{
	memset(d, 0, sizeof(*d));
	pt_diags_init(&d->a.diags);
}

/*
 * True (with err) when every file of the NEW operand is also in OLD: the
 * input is read once, so NEW would have no snapshot of its own.
 */
static bool
same_input(const char *new_operand, const struct name_set *old_names,
		struct pt_error *err)
{
	struct pt_diags quiet;
	struct pt_source_list l;
	struct pt_error ignored = {0};
	pt_diags_init(&quiet);
	pt_source_list_init(&l);
	bool same = pt_sources_expand(&new_operand, 1, &l, &quiet, &ignored) &&
		l.len > 0;
	for (size_t i = 0; same && i < l.len; i++)
		same = name_set_has(old_names, l.items[i].name);
	if (same) {
		char *shown = pt_escape(new_operand, strlen(new_operand));
		pt_error_set(err, 0, "NEW (%s) holds no file that OLD does not: "
			"give one set alone to compare its first and last snapshot",
			shown ? shown : "?");
		free(shown);
	}
	pt_source_list_finish(&l);
	pt_diags_finish(&quiet);
	return same;
}

bool
pt_diff_run(const char *const *operands, size_t n,
		const struct pt_analysis_opts *opts, struct pt_diff *d,
		struct pt_error *err)
{
	diff_init(d);
	if (n < 1 || n > 2) {
		pt_error_set(err, 0, "diff takes OLD and NEW, or one set");
		return false;
	}
	struct pt_analysis_opts no_scores = *opts;
	no_scores.no_scores = true;
	if (!pt_analysis_run(operands, n, &no_scores, &d->a, err))
		return false;
	if (n == 1)
		return compare_sides(d, NULL, NULL, NULL, err);
	/* The analysis reported any problem with OLD already. */
	struct pt_diags quiet;
	struct pt_source_list old;
	pt_diags_init(&quiet);
	pt_source_list_init(&old);
	struct name_set names = {0};
	bool ok = pt_sources_expand(operands, 1, &old, &quiet, err);
	if (ok) {
		names.names = malloc((old.len ? old.len : 1) * sizeof(*names.names));
		ok = names.names != NULL;
		if (!ok)
			pt_error_set(err, 0, "out of memory");
	}
	if (ok) {
		for (size_t i = 0; i < old.len; i++)
			names.names[names.n++] = old.items[i].name;
		qsort(names.names, names.n, sizeof(*names.names), cmp_name);
		ok = !same_input(operands[1], &names, err) &&
			compare_sides(d, &names, operands[0], operands[1], err);
	}
	free(names.names);
	pt_source_list_finish(&old);
	pt_diags_finish(&quiet);
	return ok;
}

bool
pt_diff_run_texts(const struct pt_input_text *inputs, size_t n,
		size_t nold, const struct pt_analysis_opts *opts, struct pt_diff *d,
		struct pt_error *err)
{
	diff_init(d);
	struct pt_analysis_opts no_scores = *opts;
	no_scores.no_scores = true;
	if (!pt_analysis_run_texts(inputs, n, &no_scores, &d->a, err))
		return false;
	if (nold == 0 || nold >= n)
		return compare_sides(d, NULL, NULL, NULL, err);
	struct name_set names = { malloc(nold * sizeof(*names.names)), 0 };
	if (names.names == NULL) {
		pt_error_set(err, 0, "out of memory");
		return false;
	}
	for (size_t i = 0; i < nold; i++)
		names.names[names.n++] = inputs[i].name;
	qsort(names.names, names.n, sizeof(*names.names), cmp_name);
	bool ok = compare_sides(d, &names, "side", "side", err);
	free(names.names);
	return ok;
}

void
pt_diff_finish(struct pt_diff *d)
{
	if (d == NULL)
		return;
	pt_analysis_finish(&d->a);
	free(d->rows);
	d->rows = NULL;
	d->nrows = 0;
}

double
pt_diff_rate(const struct pt_diff *d, int64_t change)
{
	if (d->reversed || !(d->hours > 0))
		return NAN;
	return (double)change / d->hours;
}

/* qsort has no context argument in C11: the comparison reads these. */
struct diff_rank_ctx {
	const struct pt_diff *d;
	enum pt_sort_key key;
};
static _Thread_local struct diff_rank_ctx diff_rank_ctx;

/* Larger first; an unknown change after every known one. */
static int
cmp_change(bool known_x, int64_t x, bool known_y, int64_t y)
{
	if (known_x != known_y)
		return known_x ? -1 : 1;
	return (x < y) - (x > y);
}

static int
compare_by_key(const struct pt_diff_row *x, const struct pt_diff_row *y,
		const struct pt_series *sx, const struct pt_series *sy)
{
	bool kx = x->counters == PT_COUNTERS_OK, ky = y->counters == PT_COUNTERS_OK;
	switch (diff_rank_ctx.key) {
	case PT_SORT_TAG:
		return memcmp(sx->tag, sy->tag, 4);
	case PT_SORT_ALLOCS:
		return cmp_change(kx, x->allocs_change, ky, y->allocs_change);
	case PT_SORT_FREES:
		return cmp_change(kx, x->frees_change, ky, y->frees_change);
	case PT_SORT_DIFF:
		return cmp_change(true, x->diff_change, true, y->diff_change);
	case PT_SORT_IMPACT:
	case PT_SORT_CONFIDENCE:
	case PT_SORT_GROWTH:
	case PT_SORT_TTE:
	case PT_SORT_BYTES:
		break;
	}
	return cmp_change(true, x->bytes_change, true, y->bytes_change);
}

static int
compare_rows(const void *pa, const void *pb)
{
	const struct pt_diff *d = diff_rank_ctx.d;
	const struct pt_diff_row *x = &d->rows[*(const size_t *)pa];
	const struct pt_diff_row *y = &d->rows[*(const size_t *)pb];
	const struct pt_series *sx = &d->a.ds.series[x->series];
	const struct pt_series *sy = &d->a.ds.series[y->series];
	int c = compare_by_key(x, y, sx, sy);
	if (c == 0)
		c = memcmp(sx->tag, sy->tag, 4);
	if (c == 0)
		c = (int)sx->pool - (int)sy->pool;
	return c;
}

size_t *
pt_diff_rank(const struct pt_diff *d, enum pt_sort_key key,
		enum pt_pool_filter pool, size_t *n)
{
	size_t *idx = malloc((d->nrows ? d->nrows : 1) * sizeof(*idx));
	if (idx == NULL)
		return NULL;
	size_t k = 0;
	for (size_t r = 0; r < d->nrows; r++)
		if (pt_pool_filter_match(pool, d->a.ds.series[d->rows[r].series].pool))
			idx[k++] = r;
	diff_rank_ctx = (struct diff_rank_ctx){ d, key };
	qsort(idx, k, sizeof(*idx), compare_rows);
	*n = k;
	return idx;
}
