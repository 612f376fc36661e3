/*
 * Lock-step groups: leaking series whose growth moves together.
 *
 * One leak often leaves several tags (a file object and its name buffer,
 * a request and its context), and they should be read as one finding.
 * Two series go together when the increments of their block medians over
 * the last boot epoch correlate strongly: both step, speed up and slow
 * down at the same times.  Only series judged possible or likely and
 * growing are considered.  Steady leaks whose increments are only noise
 * do not correlate, so two unrelated constant-rate leaks are not grouped
 * -- and neither are two tags of one perfectly steady leak: a group is
 * evidence of a common cause, its absence is not evidence against one.
 *
 * Ownership: pt_groups_find fills *out with arrays it allocates; release
 * them with pt_groups_finish.  The dataset and scores are borrowed.
 */
#ifndef POOLTREND_GROUP_H
#define POOLTREND_GROUP_H

#include <stdbool.h>
#include <stddef.h>

#include "pooltrend/score.h"
#include "pooltrend/series.h"

/* Pearson correlation of block-median increments needed to join. */
#define PT_GROUP_MIN_CORR 0.9

struct pt_group {
	size_t n;
	size_t *series;          /* indices into the dataset, by confidence */
	double min_corr;         /* weakest correlation that joined the group */
};

struct pt_groups {
	size_t n;
	struct pt_group *group;  /* by the confidence of their first member */
};

/* Finds the groups (two or more members).  False when out of memory. */
bool pt_groups_find(const struct pt_dataset *ds, const struct pt_score *scores,
		struct pt_groups *out);

void pt_groups_finish(struct pt_groups *g);

#endif
