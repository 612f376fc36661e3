/*
 * CSV and TSV reports for spreadsheets (STYLE.md B.7).
 *
 * One header line, then one row per ranked series with the columns of the
 * JSON "tags" objects (without "components"; "growth_ci95" split in two and
 * the owner in four columns).  Lines end in CRLF.  CSV quotes fields that
 * hold the separator, '"', CR or LF (RFC 4180); TSV has no quoting, so tabs
 * and line ends inside a field become blanks (escaping already keeps every
 * control byte out of the text, so this is a second line of defence).
 *
 * Numbers are written as in the JSON writer: integers exactly, reals with
 * the same number of decimals, '.' as the decimal point, no grouping, and
 * never touched by the formula rule ('-' is a sign there).  Text cells
 * (tag, verdict, reason, owner ...) that a spreadsheet would evaluate,
 * those starting with '=', '+', '-', '@', tab or CR (CWE-1236), get a
 * leading apostrophe.  A null of the JSON is an empty cell.
 */
#include "pooltrend/report.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pooltrend/owner.h"
#include "pooltrend/text.h"
#include "pooltrend/timestamp.h"
#include "report_shared.h"

static const char *const columns[] = {
	"rank", "tag", "tag_hex", "pool", "verdict", "confidence",
	"growth_bytes_per_hour", "growth_ci95_low", "growth_ci95_high",
	"bytes_first", "bytes_last", "bytes_max",
	"allocs_first", "allocs_last", "frees_first", "frees_last",
	"diff_first", "diff_last", "samples", "span_hours",
	"onset", "onset_hours", "tte_hours", "tte_bound", "counter_wraps",
	"reason", "owner_source", "owner_binary", "owner_description",
	"owner_text",
};
#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

/* Appended with --drivers only, so the default columns stay as they were. */
static const char *const driver_columns[] = {
	"driver_file", "driver_company", "driver_version", "driver_confidence",
};
#define NDRIVER_COLUMNS (sizeof(driver_columns) / sizeof(driver_columns[0]))

/* As in report_json.c: any finite double in "%.*f" with up to 8 decimals. */
#define REAL_BUF 330


static void
put_raw(struct pt_cells *w, const char *s)
{
	if (w->ok && fputs(s, w->out) < 0)
		w->ok = false;
}

static void
put_char(struct pt_cells *w, char c)
{
	if (w->ok && fputc((unsigned char)c, w->out) == EOF)
		w->ok = false;
}

static void
begin_cell(struct pt_cells *w)
{
	if (w->col++ > 0)
		put_char(w, w->sep);
}

static void
end_row(struct pt_cells *w)
{
	put_raw(w, "\r\n");
	w->col = 0;
}

static bool
formula_like(const char *s)
{
	return s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' ||
		s[0] == '\t' || s[0] == '\r';
}

/* A number or other trusted cell written as is; NULL is an empty cell. */
static void
put_number(struct pt_cells *w, const char *s)
{
	begin_cell(w);
	if (s != NULL)
		put_raw(w, s);
}

/* A text cell: neutralised, then quoted (CSV) or cleaned (TSV). */
static void
put_text(struct pt_cells *w, const char *s)
{
	begin_cell(w);
	if (s == NULL || s[0] == '\0')
		return;
	bool quote = w->sep != '\t' && strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		put_char(w, '"');
	if (formula_like(s))
		put_char(w, '\'');
	for (const char *p = s; *p != '\0'; p++) {
		char c = *p;
		if (w->sep == '\t') {
			if (c == '\t' || c == '\r' || c == '\n')
				c = ' ';
		} else if (c == '"') {
			put_char(w, '"');
		}
		put_char(w, c);
	}
	if (quote)
		put_char(w, '"');
}

/* Escaped text from an untrusted string (driver text, pooltag.txt). */
static bool
put_untrusted(struct pt_cells *w, const char *s)
{
	if (s == NULL) {
		put_text(w, NULL);
		return true;
	}
	char *e = pt_escape(s, strlen(s));
	if (e == NULL)
		return false;
	put_text(w, e);
	free(e);
	return true;
}

static void
put_int(struct pt_cells *w, int64_t v)
{
	char buf[32];
	(void)snprintf(buf, sizeof(buf), "%" PRId64, v);  /* at most 20 digits */
	put_number(w, buf);
}

/*
 * A real as the JSON writer's add_real writes it: decimals fixed, a zero
 * ("-0.00", "0.000") as "0", not finite as null.  raw keeps the text of
 * "%.*f" as is, like the JSON growth_ci95 items.
 */
static bool
put_real(struct pt_cells *w, double v, int decimals, bool raw)
{
	if (!isfinite(v)) {
		put_number(w, NULL);
		return true;
	}
	char buf[REAL_BUF];
	int k = snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	if (k <= 0 || k >= (int)sizeof(buf))
		return false;
	if (!raw && strspn(buf, "-0.") == strlen(buf))
		memcpy(buf, "0", 2);
	put_number(w, buf);
	return true;
}

static bool
write_row(struct pt_cells *w, const struct pt_analysis *a,
		const struct pt_report_opts *o, size_t idx, size_t rank)
{
	const struct pt_score *s = &a->scores[idx];
	const struct pt_series *se = &a->ds.series[idx];
	char stamp[32];
	pt_cells_key(w, rank, se);
	put_text(w, pt_verdict_name(s->verdict));
	bool ok = put_real(w, s->confidence, 4, false);
	if (s->has_growth) {
		ok = ok && put_real(w, s->growth_bph, 1, false) &&
			put_real(w, s->growth_lo, 1, true) &&
			put_real(w, s->growth_hi, 1, true);
	} else {
		for (int i = 0; i < 3; i++)
			put_number(w, NULL);
	}
	put_int(w, s->bytes_first);
	put_int(w, s->bytes_last);
	put_int(w, s->bytes_max);
	put_int(w, s->allocs_first);
	put_int(w, s->allocs_last);
	put_int(w, s->frees_first);
	put_int(w, s->frees_last);
	put_int(w, s->diff_first);
	put_int(w, s->diff_last);
	put_int(w, (int64_t)s->samples);
	ok = ok && put_real(w, s->span_hours, 3, false);
	put_text(w, s->has_onset && !pt_time_source_is_relative(a->time_source) ?
		pt_stamp_format(s->onset_ms, stamp) : NULL);
	ok = ok && put_real(w, s->has_onset ?
		pt_analysis_hours(a, s->onset_ms) : NAN, 3, false) &&
		put_real(w, s->has_tte ? s->tte_hours : NAN, 1, false);
	/* The accelerating bound is left out, so its tte_bound is too. */
	put_text(w, s->has_tte ? s->tte_bound : NULL);
	put_int(w, (int64_t)se->wraps);
	put_text(w, s->reason);

	ok = ok && pt_cells_owner(w, a, o, idx);
	if (o->drivers != NULL) {
		const struct pt_owner_hit *h = pt_report_driver(a, o, idx);
		ok = ok && put_untrusted(w, h ? h->path : NULL) &&
			put_untrusted(w, h ? h->company : NULL) &&
			put_untrusted(w, h ? h->file_version : NULL) &&
			put_real(w, h ? h->confidence : NAN, 2, false);
	}
	end_row(w);
	return ok;
}

void
pt_cells_key(struct pt_cells *w, size_t rank, const struct pt_series *se)
{
	char tag[PT_TAG_TEXT_MAX], hex[9];
	put_int(w, (int64_t)rank);
	put_text(w, pt_tag_escape(se->tag, tag));
	pt_tag_hex(se->tag, hex);
	put_text(w, hex);
	put_text(w, pt_pool_name(se->pool));
}

void
pt_cells_header(struct pt_cells *w, const char *const *names, size_t n)
{
	for (size_t c = 0; c < n; c++)
		put_text(w, names[c]);
	end_row(w);
}

bool
pt_report_write_table(FILE *out, const struct pt_analysis *a,
		const size_t *rank, size_t n, const struct pt_report_opts *o,
		char sep, struct pt_error *err)
{
	struct pt_cells w = { out, sep == '\t' ? '\t' : ',', 0, true };
	for (size_t c = 0; c < NCOLUMNS; c++)
		put_text(&w, columns[c]);
	for (size_t c = 0; o->drivers != NULL && c < NDRIVER_COLUMNS; c++)
		put_text(&w, driver_columns[c]);
	end_row(&w);
	size_t shown = pt_report_shown(o, n);
	for (size_t i = 0; w.ok && i < shown; i++) {
		if (!write_row(&w, a, o, rank[i], i + 1)) {
			pt_error_set(err, 0, "out of memory while writing %s",
				w.sep == '\t' ? "TSV" : "CSV");
			return false;
		}
	}
	if (!w.ok) {
		pt_error_set(err, 0, "write error");
		return false;
	}
	return true;
}

/* The cell writers, for the diff report (see report_shared.h). */
void
pt_cells_text(struct pt_cells *w, const char *s)
{
	put_text(w, s);
}

bool
pt_cells_untrusted(struct pt_cells *w, const char *s)
{
	return put_untrusted(w, s);
}

void
pt_cells_int(struct pt_cells *w, int64_t v)
{
	put_int(w, v);
}

void
pt_cells_null(struct pt_cells *w)
{
	put_number(w, NULL);
}

void
pt_cells_end_row(struct pt_cells *w)
{
	end_row(w);
}

bool
pt_cells_real(struct pt_cells *w, double v, int decimals)
{
	return put_real(w, v, decimals, false);
}

bool
pt_cells_owner(struct pt_cells *w, const struct pt_analysis *a,
		const struct pt_report_opts *o, size_t idx)
{
	struct pt_owner owner; /* all NULL when no owner is known */
	(void)pt_report_owner(a, o, idx, &owner);
	return put_untrusted(w, owner.source) &&
		put_untrusted(w, owner.binary) &&
		put_untrusted(w, owner.description) &&
		put_untrusted(w, owner.text);
}
