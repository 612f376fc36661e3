/*
 * Recognising timestamps in collector lines and in file names.
 *
 * poolmon writes no time into its files.  Collection scripts do: Clue writes
 * "2020.09.21-19:37:27 Pacific Standard Time (local time ...)", Microsoft's
 * TSS writes a locale long date ("Monday, September 21, 2020 7:37:27 PM"),
 * batch loops write "%date% %time%" ("Mon 09/21/2020 19:37:27.53"), careful
 * scripts write ISO 8601.  File names carry "YYYYMMDD[-_.]HHMM[SS]",
 * "YYYY-MM-DD-HH-MM-SS" or a nanosecond epoch (Intel's time_ns).
 *
 * Two numeric forms do not say which field is the day: batch lines
 * ("NN/NN/YYYY", US and en-GB %date% alike) and separated names
 * ("YYYY-NN-NN-HH-MM-SS", ISO order or the YYYY-DD-MM of US %DATE%
 * slicing).  A stamp of those forms is read month first when that makes a
 * date, else day first, and its kind says which; the order for a whole
 * series is settled later, once, by the timeline (pt_stamp_read_order,
 * pt_stamp_swap_day_month).
 *
 * Times are wall-clock readings without a zone: they are returned as
 * milliseconds since 1970-01-01T00:00:00 of that wall clock (a UTC offset
 * in ISO text is applied; zone names are ignored).
 *
 * Ownership: no allocation; all inputs are borrowed.
 */
#ifndef POOLTREND_TIMESTAMP_H
#define POOLTREND_TIMESTAMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pt_stamp_kind {
	PT_STAMP_NONE,
	PT_STAMP_ISO,      /* 2020-09-21T19:37:27[.fff][Z|+hh:mm], also with ' ' */
	PT_STAMP_CLUE,     /* 2020.09.21-19:37:27 <zone text> */
	PT_STAMP_TSS,      /* Monday, September 21, 2020 7:37:27 PM */
	PT_STAMP_BATCH,    /* Mon 09/21/2020 19:37:27.53 (%date% %time%),
	                      read month first */
	PT_STAMP_BATCH_DAY_FIRST, /* 21/09/2020 19:37:27.53: only day first
	                      makes a date */
	PT_STAMP_NAME,     /* YYYYMMDD-HHMM[SS] inside a file name */
	PT_STAMP_NAME_SEP, /* YYYY-NN-NN-HH-MM-SS in a name, read month first */
	PT_STAMP_NAME_SEP_DAY_FIRST, /* YYYY-21-09-...: only day first makes a
	                      date */
	PT_STAMP_NAME_NS,  /* a nanosecond epoch inside a file name */
};

/* Which field of an ambiguous numeric date is the day. */
enum pt_date_order {
	PT_DATE_AUTO,      /* decided from the series (pt_timeline_assign) */
	PT_DATE_MDY,       /* month before day: 09/21/2020, 2020-09-21 */
	PT_DATE_DMY,       /* day before month: 21/09/2020, 2020-21-09 */
};

/* "auto", "mdy", "dmy" */
const char *pt_date_order_name(enum pt_date_order o);
/* Inverse of pt_date_order_name; false when the word is unknown. */
bool pt_date_order_parse(const char *word, enum pt_date_order *out);

/*
 * The order a stamp of kind k was read in: PT_DATE_MDY or PT_DATE_DMY for
 * the two ambiguous forms, PT_DATE_AUTO for every form whose order is
 * fixed (ISO lines, Clue, TSS, YYYYMMDD names, epochs).
 */
enum pt_date_order pt_stamp_read_order(enum pt_stamp_kind k);

/*
 * The same stamp with its day and month exchanged (the time of day kept):
 * stores it and returns true when that is a valid date.  For a stamp read
 * month first this is its day-first reading, and the other way round.
 */
bool pt_stamp_swap_day_month(int64_t ms, int64_t *out);

/*
 * Is this whole line (len bytes, no newline; leading/trailing blanks
 * allowed) a collector timestamp line?  On success stores the time and
 * returns its kind; returns PT_STAMP_NONE otherwise.  Lines that merely
 * contain a date among other words are not timestamp lines.
 */
enum pt_stamp_kind pt_stamp_parse_line(const char *line, size_t len,
		int64_t *ms);

/*
 * Find a timestamp in a file's base name: "YYYYMMDD[-_.]HHMM[SS]",
 * "YYYY-NN-NN-HH-MM-SS" (also "_" separators), "YYYY-NN-NNTHH-MM-SS", or a
 * run of 18 or 19 digits read as nanoseconds since the epoch.  Dates are
 * validated (month 1-12, day within the month, hour < 24 ...), so ordinals
 * such as "poolmonlog12" are not mistaken for times.
 */
enum pt_stamp_kind pt_stamp_from_name(const char *base, int64_t *ms);

/* Days since 1970-01-01 of a proleptic Gregorian date (no validation). */
int64_t pt_days_from_civil(int64_t y, unsigned m, unsigned d);

/* Format ms as "YYYY-MM-DDTHH:MM:SS" (plus ".mmm" when not whole); out
 * must hold 32 bytes.  Returns out. */
char *pt_stamp_format(int64_t ms, char out[32]);

#endif
