/*
 * Pool totals: how fast each pool grows as a whole, how much of that the
 * likely and possible series growing in the same (last) boot epoch
 * explain, and when the machine runs out.
 *
 * The total of a pool at a snapshot is the sum of the bytes of its series
 * (a series without a row there counts 0); its growth is the Theil-Sen
 * slope over the last boot epoch.  With the -r summary the header's own
 * pool figure (Pool N: / P:) gives a second slope as a cross-check, and
 * the time to exhaustion divides the headroom (pt_pool_headroom, score.h) by
 * the growth.
 *
 * Ownership: results are written to caller-owned structs; strings in them
 * are static.  The analysis is borrowed.
 */
#ifndef POOLTREND_POOLTOTAL_H
#define POOLTREND_POOLTOTAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pooltrend/analysis.h"

struct pt_pool_total {
	size_t series;                /* series of this pool */
	size_t flagged;               /* likely or possible series */
	int64_t bytes_last;           /* total at the last snapshot (saturates) */
	double growth_bph;            /* bytes per hour, last epoch */
	double flagged_growth_bph;    /* growth of the flagged series, where positive, summed */
	double flagged_share;         /* flagged growth / pool growth, in [0, 1] */
	double tte_hours;             /* never with the index time source (no times) */
	const char *tte_bound;        /* "available memory" or "commit limit" */
	double header_growth_bph;     /* slope of the -r pool figure */
	uint8_t pool;                 /* enum pt_pool */
	bool has_growth;
	bool has_share;               /* the pool grows, so a share means something */
	bool has_tte;
	bool tte_beyond_window;       /* more than PT_TTE_MAX_WINDOWS spans away */
	bool has_header_growth;
};

/* Beyond this many observed spans a time to exhaustion is a guess. */
#define PT_TTE_MAX_WINDOWS 10

/* Totals of both pools, indexed by enum pt_pool.  False when out of memory. */
bool pt_pool_totals(const struct pt_analysis *a,
		struct pt_pool_total out[PT_POOL_COUNT], struct pt_error *err);

#endif
