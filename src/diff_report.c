/*
 * The diff report: text for people, JSON, JSON Lines, CSV and TSV for
 * programs.  Numbers, owners and spreadsheet cells are written by the
 * helpers of the ranked report (report_shared.h), so both agree.
 */
#include "pooltrend/diff.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "pooltrend/text.h"
#include "pooltrend/timestamp.h"
#include "report_shared.h"

#define COLOR_RESET "\033[0m"
#define COLOR_GROW "\033[31m"
#define COLOR_SHRINK "\033[32m"
#define COLOR_STATUS "\033[33m"

/* ---- text ---- */

enum { T_TAG, T_POOL, T_OLD, T_NEW, T_CHANGE, T_RATE, T_OLD_DIFF, T_NEW_DIFF,
	T_DIFF_CHANGE, T_ALLOCS, T_FREES, T_PER_ALLOC, T_NOTE, T_OWNER, T_NCOLS };

static const char *const tag_headings[T_NCOLS] = {
	"TAG", "POOL", "OLD BYTES", "NEW BYTES", "CHANGE", "PER HOUR",
	"OLD DIFF", "NEW DIFF", "CHANGE", "ALLOCS+", "FREES+", "PER ALLOC",
	"NOTE", "OWNER",
};

enum { P_POOL, P_TAGS, P_NEW, P_GONE, P_OLD, P_NEWB, P_CHANGE, P_RATE,
	P_NCOLS };

static const char *const pool_headings[P_NCOLS] = {
	"POOL", "TAGS", "NEW", "GONE", "OLD BYTES", "NEW BYTES", "CHANGE",
	"PER HOUR",
};

/* A cell buffer: numbers, human sizes, rates, tags (< 48 bytes). */
#define CELL 48

struct text_line {
	char cell[T_NCOLS][CELL];
	char owner[PT_OWNER_TEXT_MAX];
	const char *color[T_NCOLS];  /* SGR for a cell, or NULL */
};

/* An aligned table: cells[r * ncols + c]; the heading line first. */
struct table {
	size_t ncols;
	size_t nrows;                 /* heading included */
	const char *const *cells;
	const char *const *colors;    /* NULL, or one per cell (NULL = none) */
	bool (*right)(size_t col);
	const bool *show;             /* NULL, or false to leave a column out */
};

static void
pad(FILE *out, size_t n)
{
	while (n-- > 0)
		fputc(' ', out);
}

/* False only when out of memory. */
static bool
print_table(FILE *out, const struct table *t)
{
	size_t *w = calloc(t->ncols, sizeof(*w));
	if (w == NULL)
		return false;
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			size_t len = pt_display_width(t->cells[r * t->ncols + c]);
			w[c] = len > w[c] ? len : w[c];
		}
	for (size_t r = 0; r < t->nrows; r++) {
		const char *const *row = &t->cells[r * t->ncols];
		/* The last column with text: no trailing blanks after it. */
		size_t last = 0;
		for (size_t c = 0; c < t->ncols; c++)
			if ((t->show == NULL || t->show[c]) && row[c][0] != '\0')
				last = c;
		bool first = true;
		for (size_t c = 0; c <= last; c++) {
			if (t->show != NULL && !t->show[c])
				continue;
			const char *s = row[c];
			const char *on = t->colors ? t->colors[r * t->ncols + c] : NULL;
			size_t gap = w[c] - pt_display_width(s);
			if (!first)
				fputs("  ", out);
			first = false;
			if (t->right(c))
				pad(out, gap);
			fprintf(out, "%s%s%s", on ? on : "", s, on ? COLOR_RESET : "");
			/* No trailing blanks after the last column. */
			if (!t->right(c) && c < last)
				pad(out, gap);
		}
		fputc('\n', out);
	}
	free(w);
	return true;
}

static bool
tag_col_right(size_t c)
{
	return c != T_TAG && c != T_POOL && c != T_NOTE && c != T_OWNER;
}

static bool
pool_col_right(size_t c)
{
	return c != P_POOL;
}

static void
format_count(int64_t v, bool signed_, char out[CELL])
{
	(void)snprintf(out, CELL, signed_ && v > 0 ? "+%" PRId64 : "%" PRId64, v);
}

static void
format_change_bytes(int64_t v, char out[CELL])
{
	char h[32];
	pt_human_bytes((double)v, h);
	(void)snprintf(out, CELL, "%s%s", v > 0 ? "+" : "", h);
}

static void
format_rate(const struct pt_diff *d, int64_t change, char out[CELL])
{
	double r = pt_diff_rate(d, change);
	char h[40];
	if (isnan(r))
		memcpy(out, "-", 2);
	else
		(void)snprintf(out, CELL, "%s", pt_human_rate(r, h));
}

static const char *
change_color(int64_t v)
{
	return v > 0 ? COLOR_GROW : v < 0 ? COLOR_SHRINK : NULL;
}

static const char *
row_note(const struct pt_diff_row *r)
{
	if (r->status != PT_DIFF_BOTH)
		return pt_diff_status_name(r->status);
	return r->counters == PT_COUNTERS_FELL ? "counters fell" : "";
}

static void
render_line(const struct pt_diff *d, const struct pt_report_opts *o,
		const struct pt_diff_row *r, struct text_line *l)
{
	const struct pt_series *se = &d->a.ds.series[r->series];
	bool has_old = r->status != PT_DIFF_NEW, has_new = r->status != PT_DIFF_GONE;
	bool counters = r->counters == PT_COUNTERS_OK;
	char (*c)[CELL] = l->cell;
	memset(l->color, 0, sizeof(l->color));
	pt_tag_escape(se->tag, c[T_TAG]);
	(void)snprintf(c[T_POOL], CELL, "%s", pt_pool_name(se->pool));
	char h[32];
	(void)snprintf(c[T_OLD], CELL, "%s",
		has_old ? pt_human_bytes((double)r->old.bytes, h) : "-");
	(void)snprintf(c[T_NEW], CELL, "%s",
		has_new ? pt_human_bytes((double)r->new.bytes, h) : "-");
	format_change_bytes(r->bytes_change, c[T_CHANGE]);
	format_rate(d, r->bytes_change, c[T_RATE]);
	if (has_old)
		format_count(r->old.diff, false, c[T_OLD_DIFF]);
	else
		memcpy(c[T_OLD_DIFF], "-", 2);
	if (has_new)
		format_count(r->new.diff, false, c[T_NEW_DIFF]);
	else
		memcpy(c[T_NEW_DIFF], "-", 2);
	format_count(r->diff_change, true, c[T_DIFF_CHANGE]);
	if (counters && has_new) {
		format_count(r->allocs_change, true, c[T_ALLOCS]);
		format_count(r->frees_change, true, c[T_FREES]);
	} else {
		memcpy(c[T_ALLOCS], "-", 2);
		memcpy(c[T_FREES], "-", 2);
	}
	pt_human_bytes((double)(has_new ? r->new.per_alloc : r->old.per_alloc),
		c[T_PER_ALLOC]);
	(void)snprintf(c[T_NOTE], CELL, "%s", row_note(r));
	pt_report_owner_text(&d->a, o, r->series, l->owner);
	if (o->color) {
		l->color[T_CHANGE] = change_color(r->bytes_change);
		l->color[T_NOTE] = c[T_NOTE][0] ? COLOR_STATUS : NULL;
	}
}

static void
write_text_header(FILE *out, const struct pt_diff *d)
{
	const struct pt_snapinfo *sides[2] = {
		&d->a.ds.snaps[d->old_snap], &d->a.ds.snaps[d->new_snap],
	};
	static const char *const names[2] = { "OLD", "NEW" };
	bool absolute = !pt_time_source_is_relative(d->a.time_source);
	fputs("pooltrend diff:", out);
	for (int i = 0; i < 2; i++) {
		const char *f = sides[i]->file ? sides[i]->file : "?";
		char *e = pt_escape(f, strlen(f));
		char stamp[32];
		fprintf(out, "%s %s %s:%ld", i ? " ->" : "", names[i], e ? e : "?",
			sides[i]->line);
		if (absolute)
			fprintf(out, " (%s)", pt_stamp_format(sides[i]->t_ms, stamp));
		free(e);
	}
	if (isnan(d->hours))
		fputs("\nno time known (snapshots in input order)", out);
	else
		fprintf(out, "\n%.1f h between (time from %s)", d->hours,
			pt_time_source_name(d->a.time_source));
	if (d->reversed)
		fputs(", NEW dated before OLD: no rates", out);
	fprintf(out, ", %s\n",
		d->reboot ? "a reboot between: Allocs and Frees changes not shown" :
		"same boot");
}

static bool
write_diff_pool_table(FILE *out, const struct pt_diff *d,
		const struct pt_report_opts *o)
{
	char cells[PT_POOL_COUNT + 1][P_NCOLS][CELL];
	const char *ptrs[(PT_POOL_COUNT + 1) * P_NCOLS];
	const char *colors[(PT_POOL_COUNT + 1) * P_NCOLS] = {0};
	size_t rows = 1;
	for (size_t c = 0; c < P_NCOLS; c++)
		ptrs[c] = pool_headings[c];
	for (int p = 0; p < PT_POOL_COUNT; p++) {
		const struct pt_diff_pool *t = &d->pools[p];
		if (t->tags == 0 || !pt_pool_filter_match(o->pool, (uint8_t)p))
			continue;
		char (*c)[CELL] = cells[rows];
		int64_t change = t->new_bytes - t->old_bytes;
		(void)snprintf(c[P_POOL], CELL, "%s", pt_pool_name((enum pt_pool)p));
		format_count((int64_t)t->tags, false, c[P_TAGS]);
		format_count((int64_t)t->new_tags, false, c[P_NEW]);
		format_count((int64_t)t->gone_tags, false, c[P_GONE]);
		pt_human_bytes((double)t->old_bytes, c[P_OLD]);
		pt_human_bytes((double)t->new_bytes, c[P_NEWB]);
		format_change_bytes(change, c[P_CHANGE]);
		format_rate(d, change, c[P_RATE]);
		for (size_t k = 0; k < P_NCOLS; k++)
			ptrs[rows * P_NCOLS + k] = c[k];
		if (o->color)
			colors[rows * P_NCOLS + P_CHANGE] = change_color(change);
		rows++;
	}
	struct table t = { P_NCOLS, rows, ptrs, colors, pool_col_right, NULL };
	return print_table(out, &t);
}

static bool
write_text(FILE *out, const struct pt_diff *d, const size_t *rank, size_t n,
		const struct pt_report_opts *o, struct pt_error *err)
{
	size_t shown = pt_report_shown(o, n);
	struct text_line *lines = calloc(shown ? shown : 1, sizeof(*lines));
	const char **cells = calloc((shown + 1) * T_NCOLS, sizeof(*cells));
	const char **colors = calloc((shown + 1) * T_NCOLS, sizeof(*colors));
	if (lines == NULL || cells == NULL || colors == NULL) {
		free(lines);
		free(cells);
		free(colors);
		pt_error_set(err, 0, "out of memory");
		return false;
	}
	bool show[T_NCOLS];
	for (size_t c = 0; c < T_NCOLS; c++) {
		show[c] = c != T_OWNER;
		cells[c] = tag_headings[c];
	}
	for (size_t i = 0; i < shown; i++) {
		struct text_line *l = &lines[i];
		render_line(d, o, &d->rows[rank[i]], l);
		for (size_t c = 0; c < T_NCOLS; c++) {
			cells[(i + 1) * T_NCOLS + c] = c == T_OWNER ? l->owner : l->cell[c];
			colors[(i + 1) * T_NCOLS + c] = l->color[c];
		}
		show[T_OWNER] = show[T_OWNER] || l->owner[0] != '\0';
	}
	write_text_header(out, d);
	fputc('\n', out);
	bool ok = write_diff_pool_table(out, d, o);
	fputc('\n', out);
	struct table t = { T_NCOLS, shown + 1, cells, colors, tag_col_right, show };
	ok = ok && print_table(out, &t);
	if (ok && shown < n)
		fprintf(out, "(%zu more tags not shown; --top 0 shows all)\n",
			n - shown);
	free(lines);
	free(cells);
	free(colors);
	if (!ok) {
		pt_error_set(err, 0, "out of memory");
		return false;
	}
	return pt_error_if_write_failed(out, err);
}

/* ---- JSON ---- */

/* An integer, or null when !has. */
static bool
add_int_or_null(cJSON *o, const char *name, bool has, int64_t v)
{
	return has ? pt_json_add_int(o, name, v) :
		cJSON_AddNullToObject(o, name) != NULL;
}

static bool
add_side_values(cJSON *t, const char *suffix, bool has,
		const struct pt_diff_values *v)
{
	char name[32];
	struct { const char *field; int64_t value; } f[] = {
		{ "allocs", v->allocs }, { "frees", v->frees }, { "diff", v->diff },
		{ "bytes", v->bytes }, { "per_alloc", v->per_alloc },
	};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		(void)snprintf(name, sizeof(name), "%s_%s", f[i].field, suffix);
		if (!add_int_or_null(t, name, has, f[i].value))
			return false;
	}
	return true;
}

static cJSON *
tag_object(const struct pt_diff *d, const struct pt_report_opts *o,
		const struct pt_diff_row *r, size_t rank)
{
	const struct pt_series *se = &d->a.ds.series[r->series];
	char tag[PT_TAG_TEXT_MAX], hex[9];
	pt_tag_escape(se->tag, tag);
	pt_tag_hex(se->tag, hex);
	bool counters = r->counters == PT_COUNTERS_OK;
	cJSON *t = cJSON_CreateObject();
	bool ok = t != NULL &&
		pt_json_add_int(t, "rank", (int64_t)rank) &&
		cJSON_AddStringToObject(t, "tag", tag) &&
		cJSON_AddStringToObject(t, "tag_hex", hex) &&
		cJSON_AddStringToObject(t, "pool", pt_pool_name(se->pool)) &&
		cJSON_AddStringToObject(t, "status", pt_diff_status_name(r->status)) &&
		cJSON_AddStringToObject(t, "counters",
			pt_diff_counters_name(r->counters)) &&
		add_side_values(t, "old", r->status != PT_DIFF_NEW, &r->old) &&
		add_side_values(t, "new", r->status != PT_DIFF_GONE, &r->new) &&
		add_int_or_null(t, "allocs_change", counters, r->allocs_change) &&
		add_int_or_null(t, "frees_change", counters, r->frees_change) &&
		pt_json_add_int(t, "diff_change", r->diff_change) &&
		pt_json_add_int(t, "bytes_change", r->bytes_change) &&
		pt_json_add_real(t, "bytes_change_per_hour",
			pt_diff_rate(d, r->bytes_change), 1) &&
		pt_json_add_owner(t, &d->a, o, r->series);
	if (!ok) {
		cJSON_Delete(t);
		return NULL;
	}
	return t;
}

static cJSON *
side_object(const struct pt_diff *d, size_t snap)
{
	const struct pt_snapinfo *s = &d->a.ds.snaps[snap];
	cJSON *o = cJSON_CreateObject();
	bool ok = o != NULL &&
		pt_json_add_escaped(o, "file", s->file) &&
		pt_json_add_int(o, "line", s->line) &&
		pt_json_add_time(o, "time",
			!pt_time_source_is_relative(d->a.time_source), s->t_ms) &&
		pt_json_add_int(o, "epoch", (int64_t)s->epoch + 1) &&
		pt_json_add_int(o, "tags", (int64_t)s->nrows);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *
pools_array(const struct pt_diff *d, const struct pt_report_opts *o)
{
	cJSON *arr = cJSON_CreateArray();
	for (int p = 0; arr != NULL && p < PT_POOL_COUNT; p++) {
		const struct pt_diff_pool *t = &d->pools[p];
		if (!pt_pool_filter_match(o->pool, (uint8_t)p))
			continue;
		int64_t change = t->new_bytes - t->old_bytes;
		cJSON *e = cJSON_CreateObject();
		if (e == NULL || !cJSON_AddItemToArray(arr, e)) {
			cJSON_Delete(e);
			cJSON_Delete(arr);
			return NULL;
		}
		bool ok = cJSON_AddStringToObject(e, "pool",
				pt_pool_name((enum pt_pool)p)) &&
			pt_json_add_int(e, "tags", (int64_t)t->tags) &&
			pt_json_add_int(e, "new_tags", (int64_t)t->new_tags) &&
			pt_json_add_int(e, "gone_tags", (int64_t)t->gone_tags) &&
			pt_json_add_int(e, "bytes_old", t->old_bytes) &&
			pt_json_add_int(e, "bytes_new", t->new_bytes) &&
			pt_json_add_int(e, "bytes_change", change) &&
			pt_json_add_real(e, "bytes_change_per_hour",
				pt_diff_rate(d, change), 1);
		if (!ok) {
			cJSON_Delete(arr);
			return NULL;
		}
	}
	return arr;
}

/* Add item to obj under name; the item is freed when that fails. */
static bool
attach(cJSON *obj, const char *name, cJSON *item)
{
	if (item != NULL && cJSON_AddItemToObject(obj, name, item))
		return true;
	cJSON_Delete(item);
	return false;
}

static cJSON *
build_document(const struct pt_diff *d, const size_t *rank, size_t n,
		const struct pt_report_opts *o)
{
	cJSON *doc = cJSON_CreateObject();
	bool ok = doc != NULL &&
		pt_json_add_int(doc, "schema_version", PT_DIFF_SCHEMA_VERSION);
	cJSON *tool = ok ? cJSON_CreateObject() : NULL;
	ok = ok && attach(doc, "tool", tool) &&
		cJSON_AddStringToObject(tool, "name", "pooltrend") &&
		cJSON_AddStringToObject(tool, "version", o->version ? o->version : "") &&
		attach(doc, "old", side_object(d, d->old_snap)) &&
		attach(doc, "new", side_object(d, d->new_snap)) &&
		cJSON_AddStringToObject(doc, "time_source",
			pt_time_source_name(d->a.time_source)) &&
		pt_json_add_real(doc, "hours_between", d->hours, 3) &&
		cJSON_AddBoolToObject(doc, "reboot_between", d->reboot) &&
		cJSON_AddBoolToObject(doc, "new_before_old", d->reversed) &&
		attach(doc, "warnings", pt_json_warnings(&d->a.diags)) &&
		attach(doc, "pools", pools_array(d, o));
	cJSON *tags = ok ? cJSON_CreateArray() : NULL;
	ok = ok && attach(doc, "tags", tags);
	size_t shown = pt_report_shown(o, n);
	for (size_t i = 0; ok && i < shown; i++) {
		cJSON *t = tag_object(d, o, &d->rows[rank[i]], i + 1);
		ok = t != NULL && cJSON_AddItemToArray(tags, t);
		if (!ok)
			cJSON_Delete(t);
	}
	if (!ok) {
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

static bool
write_json(FILE *out, const struct pt_diff *d, const size_t *rank, size_t n,
		const struct pt_report_opts *o, struct pt_error *err)
{
	cJSON *doc = build_document(d, rank, n, o);
	bool ok = pt_json_print(out, doc, true, err);
	cJSON_Delete(doc);
	return ok;
}

static bool
write_jsonl(FILE *out, const struct pt_diff *d, const size_t *rank, size_t n,
		const struct pt_report_opts *o, struct pt_error *err)
{
	size_t shown = pt_report_shown(o, n);
	for (size_t i = 0; i < shown; i++) {
		cJSON *t = tag_object(d, o, &d->rows[rank[i]], i + 1);
		bool ok = pt_json_print(out, t, false, err);
		cJSON_Delete(t);
		if (!ok)
			return false;
	}
	return true;
}

/* ---- CSV and TSV ---- */

static const char *const table_columns[] = {
	"rank", "tag", "tag_hex", "pool", "status", "counters",
	"allocs_old", "frees_old", "diff_old", "bytes_old", "per_alloc_old",
	"allocs_new", "frees_new", "diff_new", "bytes_new", "per_alloc_new",
	"allocs_change", "frees_change", "diff_change", "bytes_change",
	"bytes_change_per_hour",
	"owner_source", "owner_binary", "owner_description", "owner_text",
};

static void
put_side(struct pt_cells *w, bool has, const struct pt_diff_values *v)
{
	const int64_t f[] = { v->allocs, v->frees, v->diff, v->bytes, v->per_alloc };
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (has)
			pt_cells_int(w, f[i]);
		else
			pt_cells_null(w);
	}
}

static bool
put_table_row(struct pt_cells *w, const struct pt_diff *d,
		const struct pt_report_opts *o, const struct pt_diff_row *r,
		size_t rank)
{
	pt_cells_key(w, rank, &d->a.ds.series[r->series]);
	pt_cells_text(w, pt_diff_status_name(r->status));
	pt_cells_text(w, pt_diff_counters_name(r->counters));
	put_side(w, r->status != PT_DIFF_NEW, &r->old);
	put_side(w, r->status != PT_DIFF_GONE, &r->new);
	if (r->counters == PT_COUNTERS_OK) {
		pt_cells_int(w, r->allocs_change);
		pt_cells_int(w, r->frees_change);
	} else {
		pt_cells_null(w);
		pt_cells_null(w);
	}
	pt_cells_int(w, r->diff_change);
	pt_cells_int(w, r->bytes_change);
	bool ok = pt_cells_real(w, pt_diff_rate(d, r->bytes_change), 1) &&
		pt_cells_owner(w, &d->a, o, r->series);
	pt_cells_end_row(w);
	return ok;
}

static bool
write_table(FILE *out, const struct pt_diff *d, const size_t *rank, size_t n,
		const struct pt_report_opts *o, char sep, struct pt_error *err)
{
	struct pt_cells w = { out, sep, 0, true };
	pt_cells_header(&w, table_columns,
		sizeof(table_columns) / sizeof(table_columns[0]));
	size_t shown = pt_report_shown(o, n);
	for (size_t i = 0; w.ok && i < shown; i++) {
		if (!put_table_row(&w, d, o, &d->rows[rank[i]], i + 1)) {
			pt_error_set(err, 0, "out of memory while writing %s",
				sep == '\t' ? "TSV" : "CSV");
			return false;
		}
	}
	if (!w.ok) {
		pt_error_set(err, 0, "write error");
		return false;
	}
	return true;
}

static bool
write_csv(FILE *out, const struct pt_diff *d, const size_t *rank, size_t n,
		const struct pt_report_opts *o, struct pt_error *err)
{
	return write_table(out, d, rank, n, o, ',', err);
}

static bool
write_tsv(FILE *out, const struct pt_diff *d, const size_t *rank, size_t n,
		const struct pt_report_opts *o, struct pt_error *err)
{
	return write_table(out, d, rank, n, o, '\t', err);
}

typedef bool (*diff_writer)(FILE *out, const struct pt_diff *d,
		const size_t *rank, size_t n, const struct pt_report_opts *o,
		struct pt_error *err);

bool
pt_diff_write(FILE *out, const struct pt_diff *d,
		const struct pt_report_opts *o, struct pt_error *err)
{
	static const diff_writer writers[] = {
		[PT_FORMAT_TEXT] = write_text, [PT_FORMAT_JSON] = write_json,
		[PT_FORMAT_CSV] = write_csv, [PT_FORMAT_TSV] = write_tsv,
		[PT_FORMAT_JSONL] = write_jsonl,
	};
	size_t f = (size_t)o->format;
	diff_writer write = f < sizeof(writers) / sizeof(writers[0]) &&
		writers[f] != NULL ? writers[f] : write_text;
	size_t n;
	size_t *rank = pt_diff_rank(d, o->sort, o->pool, &n);
	if (rank == NULL) {
		pt_error_set(err, 0, "out of memory");
		return false;
	}
	bool ok = write(out, d, rank, n, o, err);
	free(rank);
	return ok;
}
