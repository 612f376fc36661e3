/*
 * Timeline: giving every snapshot a time and an order.
 *
 * Sources, in the order "auto" tries them: timestamp lines inside the files
 * (embedded), a timestamp in the file name (name), the file's modification
 * time (mtime), the user's --interval (interval), the ordinal (index).  Auto
 * takes the first source that dates every snapshot with distinct times; a
 * forced source that cannot date every snapshot is an error.  Snapshots are
 * then ordered by time (stable, so equal times keep input order).
 *
 * Dates whose day and month can be either way round (NN/NN/YYYY lines,
 * YYYY-NN-NN names) are read in one order for the whole series, per
 * source, before any source is chosen: the forced order when one is
 * given; else the order a stamp with a field above 12 forces (stamps
 * forcing both: each read the way it can, the rest by the majority, with
 * a warning); else the order under which the series is most plausible (it
 * agrees with mtimes that are distinct and a median second or more apart,
 * then keeps input order, then gives the more regular intervals; month
 * first when nothing tells them apart), with a warning naming the choice
 * (a note when both orders give the same intervals).
 *
 * Warnings go to diags: the day/month choice above, times that go
 * backwards in input order, repeated times, one interval more than 100
 * times the median one, and sources that disagree (their order of the
 * snapshots differs, or their spans differ by more than a factor of two).
 *
 * Ownership: the caller owns the entries array; no allocation escapes.
 */
#ifndef POOLTREND_TIMELINE_H
#define POOLTREND_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pooltrend/diag.h"
#include "pooltrend/timestamp.h"

enum pt_time_source {
	PT_TIME_AUTO,
	PT_TIME_EMBEDDED,
	PT_TIME_NAME,
	PT_TIME_MTIME,
	PT_TIME_INTERVAL,
	PT_TIME_INDEX,
};

/* "auto", "embedded", "name", "mtime", "interval", "index" */
const char *pt_time_source_name(enum pt_time_source s);
/*
 * Interval and index times are offsets from an unknown start: reports
 * show hours since the first snapshot for them, never a date.
 */
bool pt_time_source_is_relative(enum pt_time_source s);

/* Inverse of pt_time_source_name; false when the word is unknown. */
bool pt_time_source_parse(const char *word, enum pt_time_source *out);

/*
 * Parse a duration: a positive number with an optional unit s, m, min, h,
 * d (default unit: seconds), e.g. "15m", "1.5h", "900".  Stores
 * milliseconds.  False when malformed, not positive, or absurd (> 1 year).
 */
bool pt_duration_parse(const char *s, int64_t *ms);

/* One snapshot as the timeline sees it, in input order. */
struct pt_time_entry {
	/* in */
	const char *file;      /* for messages */
	long line;             /* line of the snapshot's header, for messages */
	bool has_embedded;
	int64_t embedded_ms;
	enum pt_stamp_kind embedded_kind; /* how it was read; NONE = fixed */
	bool has_name;
	int64_t name_ms;
	enum pt_stamp_kind name_kind;
	bool has_mtime;
	int64_t mtime_ms;
	/* out */
	int64_t t_ms;          /* the assigned time */
	size_t order;          /* position after sorting by time (0-based) */
};

/*
 * Assign t_ms and order to n entries.  interval_ms (0 = not given) is the
 * spacing for PT_TIME_INTERVAL; PT_TIME_INDEX spaces snapshots one hour
 * apart so rates read "per snapshot".  *used receives the source used.
 * Returns false with err when a forced source cannot date every snapshot.
 * Ambiguous embedded and name times (and their kinds) are rewritten in
 * place to the day/month order chosen for their source (as
 * pt_timeline_assign_ordered with PT_DATE_AUTO); assigning the same
 * entries again gives the same times.
 */
bool pt_timeline_assign(struct pt_time_entry *e, size_t n,
		enum pt_time_source requested, int64_t interval_ms,
		enum pt_time_source *used, struct pt_diags *diags,
		struct pt_error *err);

/*
 * pt_timeline_assign with the day/month order of ambiguous dates forced
 * (PT_DATE_MDY, PT_DATE_DMY) or decided from the series (PT_DATE_AUTO).
 * A stamp the forced order cannot read (a field above 12 where the month
 * should be) loses that time (has_* false), with a warning.
 */
bool pt_timeline_assign_ordered(struct pt_time_entry *e, size_t n,
		enum pt_time_source requested, enum pt_date_order date_order,
		int64_t interval_ms, enum pt_time_source *used,
		struct pt_diags *diags, struct pt_error *err);

#endif
