#include "pooltrend/pooltotal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pooltrend/stats.h"

/* The header's own figure for the pool, in bytes. */
static bool
header_bytes(const struct pt_summary *sum, uint8_t pool, double *out)
{
	if (!sum->has_commit)
		return false;
	*out = 1024.0 * (double)(pool == PT_POOL_NONPAGED ? sum->pool_nonpaged_k :
		sum->pool_paged_k);
	return true;
}

struct epoch_cols {
	size_t first, n;
	double *t;                    /* hours */
	double *sum[PT_POOL_COUNT];   /* summed bytes per pool */
	double *head[PT_POOL_COUNT];  /* header figure per pool */
	size_t nhead;                 /* snapshots with a header figure */
};

static void
add_series_bytes(const struct pt_analysis *a, struct epoch_cols *c)
{
	const struct pt_dataset *ds = &a->ds;
	for (size_t s = 0; s < ds->nseries; s++) {
		const int64_t *bytes = pt_dataset_col(ds, ds->bytes, s);
		const uint64_t *present = pt_dataset_present(ds, s);
		double *sum = c->sum[ds->series[s].pool];
		for (size_t i = 0; i < c->n; i++)
			if (pt_is_present(present, c->first + i))
				sum[i] += (double)bytes[c->first + i];
	}
}

static void
fill_times_and_headers(const struct pt_analysis *a, struct epoch_cols *c)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct pt_snapinfo *si = &a->ds.snaps[c->first + i];
		double h0, h1;
		c->t[i] = pt_analysis_hours(a, si->t_ms);
		if (header_bytes(&si->summary, PT_POOL_NONPAGED, &h0) &&
				header_bytes(&si->summary, PT_POOL_PAGED, &h1)) {
			c->head[PT_POOL_NONPAGED][c->nhead] = h0;
			c->head[PT_POOL_PAGED][c->nhead] = h1;
			c->t[c->n + c->nhead] = c->t[i];
			c->nhead++;
		}
	}
}

/*
 * *has tells whether a slope was measured: it needs three samples over
 * some time.  False only when out of memory.
 */
static bool
slope(const double *t, const double *y, size_t n, bool *has, double *out)
{
	*has = false;
	if (n < 3 || !(t[n - 1] > t[0]))
		return true;
	*has = pt_theil_sen(t, y, n, 0.95, out, NULL, NULL);
	return *has;
}

static void
explain(const struct pt_analysis *a, struct pt_pool_total out[PT_POOL_COUNT])
{
	uint32_t last_epoch = a->ds.nepochs - 1;
	for (size_t s = 0; s < a->ds.nseries; s++) {
		const struct pt_score *sc = &a->scores[s];
		struct pt_pool_total *p = &out[a->ds.series[s].pool];
		p->series++;
		if (sc->verdict == PT_VERDICT_UNLIKELY)
			continue;
		p->flagged++;
		/* The pool's slope is over the last epoch; a series' growth
		 * measured in an earlier one explains none of it. */
		if (sc->has_growth && sc->growth_bph > 0 &&
				sc->growth_epoch == last_epoch)
			p->flagged_growth_bph += sc->growth_bph;
	}
	const struct pt_summary *last = &a->ds.snaps[a->ds.nsnap - 1].summary;
	for (int p = 0; p < PT_POOL_COUNT; p++) {
		struct pt_pool_total *pt = &out[p];
		double headroom;
		if (!pt->has_growth || !(pt->growth_bph > 0))
			continue;
		pt->has_share = true;
		/* Slopes of parts need not add up to the slope of the sum: the
		 * flagged series can outgrow a pool whose other tags shrink. */
		pt->flagged_share = fmin(1, pt->flagged_growth_bph / pt->growth_bph);
		if (a->time_source != PT_TIME_INDEX &&
				pt_pool_headroom(last, (uint8_t)p, &headroom, &pt->tte_bound)) {
			pt->has_tte = true;
			pt->tte_hours = headroom / pt->growth_bph;
			pt->tte_beyond_window = pt->tte_hours >
				PT_TTE_MAX_WINDOWS * a->span_hours;
		}
	}
}

bool
pt_pool_totals(const struct pt_analysis *a,
		struct pt_pool_total out[PT_POOL_COUNT], struct pt_error *err)
{
	const struct pt_dataset *ds = &a->ds;
	memset(out, 0, PT_POOL_COUNT * sizeof(*out));
	for (int p = 0; p < PT_POOL_COUNT; p++)
		out[p].pool = (uint8_t)p;
	if (ds->nsnap == 0)
		return true;
	struct epoch_cols c = { .first = ds->epoch_start[ds->nepochs - 1] };
	c.n = ds->nsnap - c.first;
	/* One block: times (twice: all snapshots, then those with a header),
	 * the two sums and the two header columns. */
	double *block = calloc(6 * c.n, sizeof(double));
	if (block == NULL) {
		pt_error_set(err, 0, "out of memory");
		return false;
	}
	c.t = block;
	for (int p = 0; p < PT_POOL_COUNT; p++) {
		c.sum[p] = block + (2 + (size_t)p) * c.n;
		c.head[p] = block + (4 + (size_t)p) * c.n;
	}
	add_series_bytes(a, &c);
	fill_times_and_headers(a, &c);
	bool ok = true;
	for (int p = 0; p < PT_POOL_COUNT; p++) {
		struct pt_pool_total *pt = &out[p];
		/* Sums of hostile rows can pass what an int64 holds. */
		double last_sum = c.sum[p][c.n - 1];
		pt->bytes_last = last_sum >= 0x1p63 ? INT64_MAX : (int64_t)last_sum;
		ok = ok && slope(c.t, c.sum[p], c.n, &pt->has_growth,
			&pt->growth_bph);
		ok = ok && slope(c.t + c.n, c.head[p], c.nhead,
			&pt->has_header_growth, &pt->header_growth_bph);
	}
	free(block);
	if (!ok) {
		pt_error_set(err, 0, "out of memory");
		return false;
	}
	explain(a, out);
	return true;
}
