/*
 * The machine's load, pooled over its busy tags.
 *
 * A tag that turns over too few allocations to measure its own load (see
 * score.h, load check) still follows the machine's: when the whole
 * machine gets busier, its caches and lookaside lists hold more.  The
 * load index is, per snapshot, the mean over the busy series of their
 * turnover rate (the smaller of the Allocs and Frees increments per
 * hour) relative to that series' median rate in the boot epoch.  A series
 * is busy when its median turnover per interval is at least
 * PT_LOAD_MIN_TURNOVER.  By Little's law a tag holds its allocation rate
 * times their lifetime, so usage that follows the load is a straight line
 * in this index; the scorer takes that line out (score.h).
 *
 * Ownership: pt_load_create returns an object the caller frees with
 * pt_load_destroy; it does not keep the dataset.
 */
#ifndef POOLTREND_LOAD_H
#define POOLTREND_LOAD_H

#include <stddef.h>

#include "pooltrend/series.h"

/* Median turnovers per interval for a series to count as busy. */
#define PT_LOAD_MIN_TURNOVER 25.0
/*
 * A snapshot where fewer busy series than this have both ends of the
 * interval before it has no index (NAN); the scorer reads a tag against
 * the index when most of its samples have one (score.c, machine load).
 */
#define PT_LOAD_MIN_SERIES 8

struct pt_load {
	size_t nsnap;
	double *index;      /* per snapshot, about 1; NAN: not measured */
	size_t *busy;       /* per epoch: busy series pooled (nepochs) */
	uint32_t nepochs;
};

/* NULL when out of memory. */
struct pt_load *pt_load_create(const struct pt_dataset *ds);
void pt_load_destroy(struct pt_load *load);

#endif
