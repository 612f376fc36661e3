#include "pooltrend/group.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pooltrend/stats.h"

/* Blocks of the last epoch; their medians' increments are compared. */
#define GROUP_BLOCKS 12
/* At most this many candidates (the most confident): O(k^2) pairs. */
#define MAX_CANDIDATES 256

struct candidate {
	size_t series;
	double confidence;
	double inc[GROUP_BLOCKS - 1];   /* standardised increments */
};

static int
cmp_candidates(const void *pa, const void *pb)
{
	const struct candidate *a = pa, *b = pb;
	if (a->confidence != b->confidence)
		return a->confidence < b->confidence ? 1 : -1;
	return (a->series > b->series) - (a->series < b->series);
}

/*
 * Block-median increments of series s over snapshots [lo, hi), centred
 * and scaled to unit norm; false when a block has no sample or the
 * increments do not vary (nothing to correlate).
 */
static bool
profile(const struct pt_dataset *ds, size_t s, size_t lo, size_t hi,
		double *work, struct candidate *c)
{
	const uint64_t *present = pt_dataset_present(ds, s);
	const int64_t *bytes = pt_dataset_col(ds, ds->bytes, s);
	double med[GROUP_BLOCKS];
	size_t len = hi - lo;
	for (size_t b = 0; b < GROUP_BLOCKS; b++) {
		size_t m = 0;
		for (size_t i = lo + b * len / GROUP_BLOCKS;
				i < lo + (b + 1) * len / GROUP_BLOCKS; i++)
			if (pt_is_present(present, i))
				work[m++] = (double)bytes[i];
		if (m == 0)
			return false;
		med[b] = pt_median_inplace(work, m);
	}
	double mean = 0, norm = 0;
	for (size_t b = 1; b < GROUP_BLOCKS; b++)
		mean += (c->inc[b - 1] = med[b] - med[b - 1]);
	mean /= GROUP_BLOCKS - 1;
	for (size_t b = 0; b < GROUP_BLOCKS - 1; b++) {
		c->inc[b] -= mean;
		norm += c->inc[b] * c->inc[b];
	}
	if (!(norm > 0))
		return false;
	norm = sqrt(norm);
	for (size_t b = 0; b < GROUP_BLOCKS - 1; b++)
		c->inc[b] /= norm;
	return true;
}

static double
correlation(const struct candidate *a, const struct candidate *b)
{
	double r = 0;
	for (size_t k = 0; k < GROUP_BLOCKS - 1; k++)
		r += a->inc[k] * b->inc[k];
	return r;
}

static size_t
find_root(size_t *parent, size_t i)
{
	while (parent[i] != i)
		i = parent[i] = parent[parent[i]];
	return i;
}

/* Members of each root, in candidate (confidence) order. */
static bool
collect(const struct candidate *c, size_t k, size_t *parent,
		const double *min_corr, struct pt_groups *out)
{
	size_t *size = calloc(k ? k : 1, sizeof(*size));
	if (size == NULL)
		return false;
	for (size_t i = 0; i < k; i++)
		size[find_root(parent, i)]++;
	for (size_t i = 0; i < k; i++)
		if (find_root(parent, i) == i && size[i] >= 2)
			out->n++;
	out->group = calloc(out->n ? out->n : 1, sizeof(*out->group));
	bool ok = out->group != NULL;
	size_t g = 0;
	/* Roots are visited in the order of their first member. */
	for (size_t i = 0; ok && i < k; i++) {
		size_t root = find_root(parent, i);
		if (size[root] < 2 || root != i)
			continue;
		struct pt_group *grp = &out->group[g++];
		grp->series = malloc(size[root] * sizeof(size_t));
		ok = grp->series != NULL;
		grp->min_corr = min_corr[root];
		for (size_t j = i; ok && j < k; j++)
			if (find_root(parent, j) == root)
				grp->series[grp->n++] = c[j].series;
	}
	free(size);
	return ok;
}

bool
pt_groups_find(const struct pt_dataset *ds, const struct pt_score *scores,
		struct pt_groups *out)
{
	memset(out, 0, sizeof(*out));
	if (ds->nseries == 0 || ds->nepochs == 0)
		return true;
	size_t lo = ds->epoch_start[ds->nepochs - 1], hi = ds->nsnap;
	if (hi - lo < 2 * (size_t)GROUP_BLOCKS)
		return true;    /* too short to see movement */
	struct candidate *c = malloc(ds->nseries * sizeof(*c));
	double *work = malloc((hi - lo) * sizeof(*work));
	size_t *parent = malloc(MAX_CANDIDATES * sizeof(*parent));
	double *min_corr = malloc(MAX_CANDIDATES * sizeof(*min_corr));
	bool ok = c && work && parent && min_corr;
	size_t k = 0;
	for (size_t s = 0; ok && s < ds->nseries; s++) {
		const struct pt_score *sc = &scores[s];
		if (sc->verdict == PT_VERDICT_UNLIKELY || !sc->has_growth ||
				!(sc->growth_bph > 0))
			continue;
		c[k] = (struct candidate){ .series = s, .confidence = sc->confidence };
		if (profile(ds, s, lo, hi, work, &c[k]))
			k++;
	}
	if (ok) {
		qsort(c, k, sizeof(*c), cmp_candidates);
		if (k > MAX_CANDIDATES)
			k = MAX_CANDIDATES;
		for (size_t i = 0; i < k; i++) {
			parent[i] = i;
			min_corr[i] = 1;
		}
		for (size_t i = 0; i < k; i++)
			for (size_t j = i + 1; j < k; j++) {
				double r = correlation(&c[i], &c[j]);
				if (r < PT_GROUP_MIN_CORR)
					continue;
				size_t a = find_root(parent, i), b = find_root(parent, j);
				if (a == b)
					continue;
				double m = fmin(r, fmin(min_corr[a], min_corr[b]));
				/* The earlier (more confident) root stays the root. */
				if (b < a) {
					size_t t = a;
					a = b;
					b = t;
				}
				parent[b] = a;
				min_corr[a] = m;
			}
		ok = collect(c, k, parent, min_corr, out);
	}
	free(c);
	free(work);
	free(parent);
	free(min_corr);
	if (!ok)
		pt_groups_finish(out);
	return ok;
}

void
pt_groups_finish(struct pt_groups *g)
{
	if (g == NULL)
		return;
	for (size_t i = 0; i < g->n; i++)
		free(g->group[i].series);
	free(g->group);
	g->group = NULL;
	g->n = 0;
}
