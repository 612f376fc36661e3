/*
 * Private to the library: report helpers that the ranked report and the
 * diff report share, so both write numbers, owners and spreadsheet cells
 * the same way.  Defined in report_json.c, report_table.c and
 * report_text.c; see the static functions they wrap for the details.
 *
 * Ownership: JSON helpers add to a caller-owned cJSON object; cell
 * helpers write to the writer's caller-owned FILE.
 */
#ifndef POOLTREND_REPORT_SHARED_H
#define POOLTREND_REPORT_SHARED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "pooltrend/report.h"

/* Print item (pretty or on one line) and a line end; NULL is out of memory. */
bool pt_json_print(FILE *out, const cJSON *item, bool pretty,
		struct pt_error *err);
/* JSON: integers exact, reals with fixed decimals (null when not finite). */
bool pt_json_add_int(cJSON *obj, const char *name, int64_t v);
bool pt_json_add_real(cJSON *obj, const char *name, double v, int decimals);
/* Untrusted text escaped (pt_escape), or null when s is NULL. */
bool pt_json_add_escaped(cJSON *obj, const char *name, const char *s);
/* A date as in the report, or null when !has. */
bool pt_json_add_time(cJSON *obj, const char *name, bool has, int64_t ms);
/* "owner" of series idx: null, or the object of the ranked report. */
bool pt_json_add_owner(cJSON *obj, const struct pt_analysis *a,
		const struct pt_report_opts *o, size_t idx);
/* Warnings and errors of d as an array of strings; NULL when out of memory. */
cJSON *pt_json_warnings(const struct pt_diags *d);

/* CSV/TSV: one row of cells; ok turns false at the first write error. */
struct pt_cells {
	FILE *out;
	char sep;
	size_t col;
	bool ok;
};

/* A text cell: formula-looking text neutralised, quoted or cleaned. */
void pt_cells_text(struct pt_cells *w, const char *s);
/* Untrusted text (driver text, pooltag.txt), escaped first. */
bool pt_cells_untrusted(struct pt_cells *w, const char *s);
void pt_cells_int(struct pt_cells *w, int64_t v);
/* An empty cell (a JSON null). */
void pt_cells_null(struct pt_cells *w);
bool pt_cells_real(struct pt_cells *w, double v, int decimals);
/* The four owner cells: source, binary, description, text. */
bool pt_cells_owner(struct pt_cells *w, const struct pt_analysis *a,
		const struct pt_report_opts *o, size_t idx);
void pt_cells_end_row(struct pt_cells *w);
/* The first cells of a row: rank, tag (escaped), tag_hex, pool. */
void pt_cells_key(struct pt_cells *w, size_t rank, const struct pt_series *se);
/* The heading line: n column names. */
void pt_cells_header(struct pt_cells *w, const char *const *names, size_t n);

/*
 * Owner of series idx for a text column, escaped and cut to PT_OWNER_WIDTH
 * characters (each up to 4 bytes, then "..."); "" if unknown.
 */
#define PT_OWNER_WIDTH 32
#define PT_OWNER_TEXT_MAX (PT_OWNER_WIDTH * 4 + 8)
void pt_report_owner_text(const struct pt_analysis *a,
		const struct pt_report_opts *o, size_t idx,
		char out[PT_OWNER_TEXT_MAX]);

#endif
