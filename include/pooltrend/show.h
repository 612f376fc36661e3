/*
 * pooltrend show: one series in detail, and its chart.
 *
 * The text view lists every sample (time, allocs, frees, diff, bytes, per
 * alloc) with boot epochs and reboots marked, the statistics behind the
 * verdict (every factor of the confidence with its raw value, growth and
 * its interval, onset, time to exhaustion), and a multi-line chart of the
 * bytes over time: Unicode block characters when unicode is set, ASCII
 * otherwise.  The SVG view is a standalone plot a browser renders: a time
 * axis with real times (or hours for relative time sources), a bytes axis
 * in human units, the onset and reboots marked, all text XML-escaped.
 *
 * Ownership: the analysis is borrowed; writers write to a caller-owned
 * FILE and do not close it.
 */
#ifndef POOLTREND_SHOW_H
#define POOLTREND_SHOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pooltrend/analysis.h"
#include "pooltrend/report.h"

struct pt_show_opts {
	bool color;      /* ANSI colour for the verdict */
	bool unicode;    /* block characters in the chart; ASCII otherwise */
	int width;       /* chart columns (0 = 64) */
	int height;      /* chart rows (0 = 12) */
};

/*
 * The series of tag (4 raw bytes) in the pools the filter allows: exact
 * bytes first; when none match, tags equal after poolmon's normalisation
 * (leading blanks stripped, cut at the first blank).  Stores up to max
 * series indexes in out (nonpaged before paged) and returns how many match.
 */
size_t pt_show_find(const struct pt_analysis *a, const uint8_t tag[4],
		enum pt_pool_filter pool, size_t *out, size_t max);

bool pt_show_write_text(FILE *out, const struct pt_analysis *a,
		size_t series, const struct pt_show_opts *o, struct pt_error *err);

bool pt_show_write_svg(FILE *out, const struct pt_analysis *a,
		size_t series, struct pt_error *err);

#endif
