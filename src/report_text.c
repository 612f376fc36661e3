#include "pooltrend/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pooltrend/owner.h"
#include "pooltrend/pooltotal.h"
#include "pooltrend/text.h"
#include "pooltrend/timestamp.h"
#include "report_shared.h"

#define COLOR_RESET "\033[0m"
#define SPARK_WIDTH 16
/* Driver text is cut to this many characters to keep rows on one line. */
#define DRIVER_WIDTH 60

/* One table row, every cell already rendered (and escaped). */
struct text_row {
	char rank[24];
	char tag[PT_TAG_TEXT_MAX];
	const char *pool;
	enum pt_verdict verdict;
	char conf[16];
	char growth[48];
	char first[32];
	char last[32];
	char span[32];
	char trend[SPARK_WIDTH * 3 + 1];
	char owner[PT_OWNER_TEXT_MAX];
	char driver[DRIVER_WIDTH * 4 + 8];
	const char *why;
};

enum { COL_RANK, COL_TAG, COL_POOL, COL_VERDICT, COL_CONF, COL_GROWTH,
	COL_FIRST, COL_LAST, COL_SPAN, COL_TREND, COL_OWNER, COL_DRIVER, NCOLS };

static const char *const headings[NCOLS] = {
	"#", "TAG", "POOL", "VERDICT", "CONF", "GROWTH/H", "FIRST", "LAST", "SPAN",
	"TREND", "OWNER", "DRIVER",
};

static void
format_growth(const struct pt_score *s, char out[48])
{
	if (!s->has_growth) {
		memcpy(out, "-", 2);
		return;
	}
	pt_human_rate(s->growth_bph, out);
}

static void
format_hours(double hours, char out[32])
{
	/* Spans come from int64 milliseconds (< 10^11 days), so they fit; a
	 * cut cell would only be shorter text. */
	if (hours < 48)
		(void)snprintf(out, 32, "%.1f h", hours);
	else
		(void)snprintf(out, 32, "%.1f d", hours / 24);
}

/* text escaped and cut to width characters (out holds width * 4 + 8). */
static void
cut_escaped(const char *text, size_t width, char *out)
{
	out[0] = '\0';
	char *e = pt_escape(text, strlen(text));
	if (e == NULL)
		return;
	/* Copy whole characters up to the width, then mark the cut. */
	size_t w = 0, i = 0, k = 0;
	while (e[i] != '\0' && w < width) {
		do
			out[k++] = e[i++];
		while (((unsigned char)e[i] & 0xc0) == 0x80);
		w++;
	}
	if (e[i] != '\0' && k >= 3) {
		/* replace the last character with "..." would shift widths: append */
		memcpy(out + k, "...", 3);
		k += 3;
	}
	out[k] = '\0';
	free(e);
}

/* Owner text, escaped, cut to PT_OWNER_WIDTH characters. */
void
pt_report_owner_text(const struct pt_analysis *a, const struct pt_report_opts *o,
		size_t idx, char out[PT_OWNER_TEXT_MAX])
{
	struct pt_owner ow;
	out[0] = '\0';
	if (!pt_report_owner(a, o, idx, &ow))
		return;
	/* Cutting long owner text is fine: it is cut to a column anyway. */
	char joined[512];
	if (ow.text != NULL)
		(void)snprintf(joined, sizeof(joined), "%s", ow.text);
	else if (ow.binary != NULL && ow.binary[0] != '\0')
		(void)snprintf(joined, sizeof(joined), "%s - %s", ow.binary,
			ow.description ? ow.description : "");
	else
		(void)snprintf(joined, sizeof(joined), "%s",
			ow.description ? ow.description : "");
	cut_escaped(joined, PT_OWNER_WIDTH, out);
}

/* --drivers: "file, company, version, confidence", cut to DRIVER_WIDTH. */
static void
format_driver(const struct pt_analysis *a, const struct pt_report_opts *o,
		size_t idx, char *out)
{
	const struct pt_owner_hit *h = pt_report_driver(a, o, idx);
	out[0] = '\0';
	if (h == NULL)
		return;
	const char *base = strrchr(h->path, '/');
	char joined[512];
	(void)snprintf(joined, sizeof(joined), "%s, %s, %s, %.2f%s",
		base ? base + 1 : h->path, h->company ? h->company : "-",
		h->file_version ? h->file_version : "-", h->confidence,
		h->tie ? " tie" : "");
	cut_escaped(joined, DRIVER_WIDTH, out);
}


static void
render_row(const struct pt_analysis *a, const struct pt_report_opts *o,
		size_t idx, size_t rank, struct text_row *r)
{
	const struct pt_score *s = &a->scores[idx];
	const struct pt_series *se = &a->ds.series[idx];
	/* Both fit: at most 20 digits; a confidence in [0, 1]. */
	(void)snprintf(r->rank, sizeof(r->rank), "%zu", rank);
	pt_tag_escape(se->tag, r->tag);
	r->pool = pt_pool_name(se->pool);
	r->verdict = s->verdict;
	(void)snprintf(r->conf, sizeof(r->conf), "%.2f", s->confidence);
	format_growth(s, r->growth);
	pt_human_bytes((double)s->bytes_first, r->first);
	pt_human_bytes((double)s->bytes_last, r->last);
	format_hours(s->span_hours, r->span);
	pt_sparkline(a, idx, SPARK_WIDTH, o->unicode, r->trend);
	pt_report_owner_text(a, o, idx, r->owner);
	format_driver(a, o, idx, r->driver);
	r->why = s->reason;
}

static const char *
cell(const struct text_row *r, int col)
{
	switch (col) {
	case COL_RANK: return r->rank;
	case COL_TAG: return r->tag;
	case COL_POOL: return r->pool;
	case COL_VERDICT: return pt_verdict_name(r->verdict);
	case COL_CONF: return r->conf;
	case COL_GROWTH: return r->growth;
	case COL_FIRST: return r->first;
	case COL_LAST: return r->last;
	case COL_SPAN: return r->span;
	case COL_TREND: return r->trend;
	case COL_OWNER: return r->owner;
	case COL_DRIVER: return r->driver;
	}
	return "";
}

static bool
right_aligned(int col)
{
	return col == COL_RANK || col == COL_CONF || col == COL_GROWTH ||
		col == COL_FIRST || col == COL_LAST || col == COL_SPAN;
}

static void
column_widths(const struct text_row *rows, size_t n, int w[NCOLS])
{
	for (int c = 0; c < NCOLS; c++)
		w[c] = (int)pt_display_width(headings[c]);
	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < NCOLS; c++) {
			int len = (int)pt_display_width(cell(&rows[i], c));
			if (len > w[c])
				w[c] = len;
		}
}

static void
pad(FILE *out, size_t n)
{
	while (n-- > 0)
		fputc(' ', out);
}

/* One line of the table; columns with show[c] false are left out. */
static void
print_cells(FILE *out, const char *const cells[NCOLS], const int w[NCOLS],
		const bool show[NCOLS], const char *verdict_on, const char *why)
{
	bool first = true;
	for (int c = 0; c < NCOLS; c++) {
		if (!show[c])
			continue;
		const char *sep = first ? "" : c == COL_LAST ? " -> " : "  ";
		if (c == COL_LAST && strcmp(cells[c], headings[c]) == 0)
			sep = "    ";
		first = false;
		fputs(sep, out);
		size_t gap = (size_t)w[c] - pt_display_width(cells[c]);
		if (right_aligned(c))
			pad(out, gap);
		if (c == COL_VERDICT && verdict_on != NULL)
			fprintf(out, "%s%s%s", verdict_on, cells[c], COLOR_RESET);
		else
			fputs(cells[c], out);
		if (!right_aligned(c))
			pad(out, gap);
	}
	fprintf(out, "  %s\n", why);
}

static void
write_header(FILE *out, const struct pt_analysis *a)
{
	char first[32], last[32], span[32];
	format_hours(a->span_hours, span);
	size_t warnings = pt_diags_count(&a->diags, PT_SEV_WARNING) +
		pt_diags_count(&a->diags, PT_SEV_ERROR);
	fprintf(out, "pooltrend: %zu file%s, %zu snapshot%s over %s (",
		a->files_with_snapshots, a->files_with_snapshots == 1 ? "" : "s",
		a->ds.nsnap, a->ds.nsnap == 1 ? "" : "s", span);
	/* Interval and index times are offsets without a date. */
	if (!pt_time_source_is_relative(a->time_source))
		fprintf(out, "%s to %s, ", pt_stamp_format(a->first_ms, first),
			pt_stamp_format(a->last_ms, last));
	fprintf(out, "time from %s), %u boot epoch%s, %zu series, "
		"%zu warning%s\n", pt_time_source_name(a->time_source),
		a->ds.nepochs, a->ds.nepochs == 1 ? "" : "s", a->ds.nseries,
		warnings, warnings == 1 ? "" : "s");
}

static void
write_tte(FILE *out, const struct pt_analysis *a, const struct pt_pool_total *p)
{
	char when[32];
	if (!p->has_tte) {
		bool refused = pt_summary_refused(
			&a->ds.snaps[a->ds.nsnap - 1].summary, p->pool);
		fputs(a->time_source == PT_TIME_INDEX ?
			"; no times, so no time to exhaustion" : refused ?
			"; -r summary not used (see its warning), so no time to "
			"exhaustion" :
			"; no -r summary, so no time to exhaustion", out);
		return;
	}
	if (p->tte_beyond_window) {
		format_hours(a->span_hours, when);
		fprintf(out, "; %s more than %d x %s away", p->tte_bound,
			PT_TTE_MAX_WINDOWS, when);
	} else {
		format_hours(p->tte_hours, when);
		fprintf(out, "; %s reached in about %s", p->tte_bound, when);
	}
	/* The pool's own slope is a straight line; an accelerating leak's
	 * bound (pt_machine_tte, over the flagged series only) says how much
	 * sooner it may come, and is left out when it does not. */
	const struct pt_pool_tte *m = &a->machine.pool[p->pool];
	if (m->has_tte_accelerating && (p->tte_beyond_window ||
			m->tte_accelerating_hours < p->tte_hours)) {
		format_hours(m->tte_accelerating_hours, when);
		fprintf(out, ", %s if the accelerating series keep accelerating",
			when);
	}
}

/* One line per pool: its growth, what the flagged series explain, TTE. */
static void
write_pool_line(FILE *out, const struct pt_analysis *a,
		const struct pt_pool_total *p)
{
	char rate[40];
	fprintf(out, "%-9s ", pt_pool_name(p->pool));
	if (!p->has_growth) {
		fprintf(out, "%zu series, too few samples for a growth rate\n",
			p->series);
		return;
	}
	fprintf(out, "%s in %zu series", pt_human_rate(p->growth_bph, rate),
		p->series);
	if (p->has_header_growth)
		fprintf(out, " (-r header %s)", pt_human_rate(p->header_growth_bph,
			rate));
	if (!p->has_share)
		fputs("; not growing", out);
	else if (p->flagged == 0)
		fputs("; none in a likely or possible series", out);
	else
		fprintf(out, "; %.0f%% in %zu likely or possible", 100 * p->flagged_share,
			p->flagged);
	if (p->has_share)
		write_tte(out, a, p);
	fputc('\n', out);
}

static bool
write_pool_totals(FILE *out, const struct pt_analysis *a,
		const struct pt_report_opts *o, struct pt_error *err)
{
	struct pt_pool_total totals[PT_POOL_COUNT];
	if (!pt_pool_totals(a, totals, err))
		return false;
	fputc('\n', out);
	for (int p = PT_POOL_COUNT - 1; p >= 0; p--)
		if (pt_pool_filter_match(o->pool, (uint8_t)p) && totals[p].series > 0)
			write_pool_line(out, a, &totals[p]);
	return true;
}

bool
pt_report_write_text(FILE *out, const struct pt_analysis *a,
		const size_t *rank, size_t n, const struct pt_report_opts *o,
		struct pt_error *err)
{
	size_t shown = pt_report_shown(o, n);
	struct text_row *rows = calloc(shown ? shown : 1, sizeof(*rows));
	if (rows == NULL) {
		pt_error_set(err, 0, "out of memory");
		return false;
	}
	bool show[NCOLS];
	for (int c = 0; c < NCOLS; c++)
		show[c] = true;
	show[COL_TREND] = !o->no_sparkline;
	show[COL_OWNER] = false;
	show[COL_DRIVER] = false;
	for (size_t i = 0; i < shown; i++) {
		render_row(a, o, rank[i], i + 1, &rows[i]);
		if (rows[i].owner[0] != '\0')
			show[COL_OWNER] = true;
		if (rows[i].driver[0] != '\0')
			show[COL_DRIVER] = true;
	}
	int w[NCOLS];
	column_widths(rows, shown, w);

	write_header(out, a);
	fputc('\n', out);
	print_cells(out, headings, w, show, NULL, "WHY");
	for (size_t i = 0; i < shown; i++) {
		const char *cells[NCOLS];
		for (int c = 0; c < NCOLS; c++)
			cells[c] = cell(&rows[i], c);
		print_cells(out, cells, w, show,
			o->color ? pt_verdict_color(rows[i].verdict) : NULL, rows[i].why);
	}
	if (shown < n)
		fprintf(out, "(%zu more series not shown; --top 0 shows all)\n",
			n - shown);
	free(rows);
	if (!write_pool_totals(out, a, o, err))
		return false;
	return pt_error_if_write_failed(out, err);
}
