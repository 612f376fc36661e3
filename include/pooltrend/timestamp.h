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
	PT_STAMP_BATCH,    /* Mon 09/21/2020 19:37:27.53 (US %date% %time%) */
	PT_STAMP_NAME,     /* a date-time inside a file name */
	PT_STAMP_NAME_NS,  /* a nanosecond epoch inside a file name */
};

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
 * "YYYY-MM-DD-HH-MM-SS" (also "_" separators), "YYYY-MM-DDTHH-MM-SS", or a
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
