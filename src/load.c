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

/*
 * Turnover of series s in interval i-1..i (the smaller of the Allocs and
 * Frees increments, never negative); -1 when either snapshot lacks it.
 */
static double
turnover(const struct pt_dataset *ds, size_t s, size_t i)
{
	const uint8_t *present = pt_dataset_present(ds, s);
	if (!present[i] || !present[i - 1])
		return -1;
	const int64_t *allocs = pt_dataset_col(ds, ds->allocs, s);
	const int64_t *frees = pt_dataset_col(ds, ds->frees, s);
	double a = (double)(allocs[i] - allocs[i - 1]);
	double f = (double)(frees[i] - frees[i - 1]);
	double c = a < f ? a : f;
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
	size_t m = 0;
	for (size_t i = lo + 1; i < hi; i++) {
		double c = turnover(ds, s, i);
		double dt = (double)(ds->snaps[i].t_ms - ds->snaps[i - 1].t_ms) /
			MS_PER_HOUR;
		rate[i - lo] = c >= 0 && dt > 0 ? c / dt : NAN;
		if (c >= 0 && dt > 0)
			work[m++] = c;
	}
	if (m < 4 || pt_median_inplace(work, m) < PT_LOAD_MIN_TURNOVER)
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
