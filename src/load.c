#include "pooltrend/load.h"

#include <math.h>
#include <stdlib.h>

#include "pooltrend/stats.h"

#define MS_PER_HOUR 3600000.0
/*
 * A relative rate above this is a counter glitch or a tag's own burst,
 * not the machine's load: it is clipped so one tag cannot move the mean.
 */
#define MAX_RELATIVE_RATE 8.0

/* Turnover of one interval: the smaller of the Allocs and Frees increments,
 * never negative. */
static double
turnover(int64_t dallocs, int64_t dfrees)
{
	double c = (double)(dallocs < dfrees ? dallocs : dfrees);
	return c > 0 ? c : 0;
}

/*
 * Adds series s's relative rates over the intervals lo+1..hi-1 to sum and
 * count when it is busy there (then true); rate and work hold hi - lo
 * doubles.
 */
static bool
pool_series(const struct pt_dataset *ds, size_t s, size_t lo, size_t hi,
		double *rate, double *work, double *sum, size_t *count)
{
	const uint64_t *present = pt_dataset_present(ds, s);
	const uint32_t *allocs = pt_dataset_col32(ds, ds->allocs32, s);
	const uint32_t *frees = pt_dataset_col32(ds, ds->frees32, s);
	struct pt_unwrap ua = PT_UNWRAP_INIT, uf = PT_UNWRAP_INIT;
	int64_t prev_a = 0, prev_f = 0;
	bool prev_here = false;
	size_t m = 0;
	for (size_t i = lo; i < hi; i++) {
		/* Every present cell of the epoch goes through the wrap rule,
		 * in order; an interval counts when both ends are present. */
		bool here = pt_is_present(present, i);
		int64_t a = here ? pt_unwrap_step(&ua, allocs[i]) : 0;
		int64_t f = here ? pt_unwrap_step(&uf, frees[i]) : 0;
		bool both = here && prev_here;
		prev_here = here;
		int64_t da = a - prev_a, df = f - prev_f;
		prev_a = a;
		prev_f = f;
		if (i == lo)
			continue;
		double c = both ? turnover(da, df) : -1;
		double dt = (double)(ds->snaps[i].t_ms - ds->snaps[i - 1].t_ms) /
			MS_PER_HOUR;
		rate[i - lo] = c >= 0 && dt > 0 ? c / dt : NAN;
		if (c >= 0 && dt > 0)
			work[m++] = c;
	}
	if (m < 4 || pt_median_below(work, m, PT_LOAD_MIN_TURNOVER))
		return false;
	m = 0;
	for (size_t i = lo + 1; i < hi; i++)
		if (!isnan(rate[i - lo]))
			work[m++] = rate[i - lo];
	double ref = pt_median_inplace(work, m);
	if (!(ref > 0))
		return false;
	for (size_t i = lo + 1; i < hi; i++) {
		if (isnan(rate[i - lo]))
			continue;
		sum[i] += fmin(rate[i - lo] / ref, MAX_RELATIVE_RATE);
		count[i]++;
	}
	return true;
}

/* The index of epoch lo..hi-1; its first snapshot takes the next one's. */
static size_t
epoch_index(const struct pt_dataset *ds, size_t lo, size_t hi,
		double *rate, double *work, double *sum, size_t *count,
		double *index)
{
	size_t busy = 0;
	for (size_t s = 0; s < ds->nseries; s++)
		busy += pool_series(ds, s, lo, hi, rate, work, sum, count);
	for (size_t i = lo; i < hi; i++) {
		size_t j = i > lo || i + 1 >= hi ? i : i + 1;
		index[i] = count[j] >= PT_LOAD_MIN_SERIES ?
			sum[j] / (double)count[j] : NAN;
	}
	return busy;
}

struct pt_load *
pt_load_create(const struct pt_dataset *ds)
{
	size_t n = ds->nsnap ? ds->nsnap : 1;
	struct pt_load *load = calloc(1, sizeof(*load));
	double *rate = malloc(n * sizeof(double));
	double *work = malloc(n * sizeof(double));
	double *sum = calloc(n, sizeof(double));
	size_t *count = calloc(n, sizeof(size_t));
	bool ok = load != NULL && rate && work && sum && count;
	if (ok) {
		load->nsnap = ds->nsnap;
		load->nepochs = ds->nepochs;
		load->index = malloc(n * sizeof(double));
		load->busy = calloc(ds->nepochs ? ds->nepochs : 1, sizeof(size_t));
		ok = load->index != NULL && load->busy != NULL;
	}
	for (uint32_t e = 0; ok && e < ds->nepochs; e++)
		load->busy[e] = epoch_index(ds, ds->epoch_start[e],
			ds->epoch_start[e + 1], rate, work, sum, count,
			load->index);
	free(rate);
	free(work);
	free(sum);
	free(count);
	if (!ok) {
		pt_load_destroy(load);
		return NULL;
	}
	return load;
}

void
pt_load_destroy(struct pt_load *load)
{
	if (load == NULL)
		return;
	free(load->index);
	free(load->busy);
	free(load);
}
