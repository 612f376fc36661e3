#include "pooltrend/show.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pooltrend/text.h"
#include "pooltrend/timestamp.h"

#define COLOR_RESET "\033[0m"
#define CHART_WIDTH_DEFAULT 64
#define CHART_HEIGHT_DEFAULT 12
#define CHART_WIDTH_MAX 1000
#define CHART_HEIGHT_MAX 200
#define CHART_LABEL_W 10

/* ---- finding a series ---- */

/* poolmon's view of a tag: leading blanks stripped, cut at the first blank. */
static size_t
normalise_tag(const uint8_t tag[4], uint8_t out[4])
{
	size_t i = 0, n = 0;
	while (i < 4 && tag[i] == ' ')
		i++;
	while (i < 4 && tag[i] != ' ')
		out[n++] = tag[i++];
	return n;
}

static size_t
find_pass(const struct pt_analysis *a, const uint8_t tag[4],
		enum pt_pool_filter pool, bool normalised, size_t *out, size_t max)
{
	uint8_t want[4], have[4];
	size_t wn = normalise_tag(tag, want);
	size_t found = 0;
	for (int p = 0; p < PT_POOL_COUNT; p++) {
		if (!pt_pool_filter_match(pool, (uint8_t)p))
			continue;
		for (size_t s = 0; s < a->ds.nseries; s++) {
			const struct pt_series *se = &a->ds.series[s];
			if (se->pool != p)
				continue;
			bool match;
			if (normalised) {
				size_t hn = normalise_tag(se->tag, have);
				match = hn == wn && memcmp(have, want, wn) == 0;
			} else {
				match = memcmp(se->tag, tag, 4) == 0;
			}
			if (!match)
				continue;
			if (out != NULL && found < max)
				out[found] = s;
			found++;
		}
	}
	return found;
}

size_t
pt_show_find(const struct pt_analysis *a, const uint8_t tag[4],
		enum pt_pool_filter pool, size_t *out, size_t max)
{
	size_t n = find_pass(a, tag, pool, false, out, max);
	if (n == 0)
		n = find_pass(a, tag, pool, true, out, max);
	return n;
}

/* ---- shared formatting ---- */

/* A snapshot time: the wall-clock stamp, or hours since the first
 * snapshot for interval and index times. */
static char *
format_time(const struct pt_analysis *a, int64_t ms, char out[32])
{
	if (!pt_time_source_is_relative(a->time_source))
		return pt_stamp_format(ms, out);
	/* Hours from int64 ms are below 3e12: always fits. */
	(void)snprintf(out, 32, "%.2f h", pt_analysis_hours(a, ms));
	return out;
}

static void
format_hours(double hours, char out[32])
{
	if (hours < 48)
		(void)snprintf(out, 32, "%.1f h", hours);
	else
		(void)snprintf(out, 32, "%.1f h (%.1f d)", hours, hours / 24);
}

/* ---- header and factors ---- */

static bool
write_header(FILE *out, const struct pt_analysis *a, size_t idx,
		const struct pt_show_opts *o)
{
	const struct pt_score *s = &a->scores[idx];
	const struct pt_series *se = &a->ds.series[idx];
	char tag[PT_TAG_TEXT_MAX], t[32], r1[40], r2[40], r3[40], h[32];
	pt_tag_escape(se->tag, tag);

	fprintf(out, "%s  %s  ", tag, pt_pool_name(se->pool));
	if (o->color)
		fprintf(out, "%s%s%s", pt_verdict_color(s->verdict),
			pt_verdict_name(s->verdict), COLOR_RESET);
	else
		fputs(pt_verdict_name(s->verdict), out);
	fprintf(out, "  (confidence %.2f)\n", s->confidence);
	fprintf(out, "  reason:      %s\n", s->reason != NULL ? s->reason : "-");
	if (se->mapped != NULL) {
		char *m = pt_escape(se->mapped, strlen(se->mapped));
		if (m == NULL)
			return false;
		fprintf(out, "  driver:      %s\n", m);
		free(m);
	}
	if (s->has_growth) {
		pt_human_rate(s->growth_bph, r1);
		pt_human_rate(s->growth_lo, r2);
		pt_human_rate(s->growth_hi, r3);
		fprintf(out, "  growth:      %s (95%% CI %s to %s), boot epoch %" PRIu32
			"\n", r1, r2, r3, s->growth_epoch + 1);
	} else {
		fputs("  growth:      not measured (too few samples)\n", out);
	}
	if (s->has_onset) {
		if (pt_time_source_is_relative(a->time_source))
			fprintf(out, "  onset:       %.2f h after the first snapshot\n",
				pt_analysis_hours(a, s->onset_ms));
		else
			fprintf(out, "  onset:       %s (%.2f h after the first snapshot)\n",
				pt_stamp_format(s->onset_ms, t),
				pt_analysis_hours(a, s->onset_ms));
	} else {
		fputs("  onset:       none\n", out);
	}
	if (s->has_rate_after_onset) {
		pt_human_rate(s->rate_after_onset, r1);
		pt_human_rate(s->rate_after_onset_lo, r2);
		pt_human_rate(s->rate_after_onset_hi, r3);
		fprintf(out, "  since onset: %s (95%% CI %s to %s)\n", r1, r2, r3);
	}
	if (s->accelerating) {
		pt_human_rate(s->rate_recent, r1);
		pt_human_rate(s->rate_recent_lo, r2);
		pt_human_rate(s->rate_recent_hi, r3);
		fprintf(out, "  recent:      %s over the last third of the time "
			"(95%% CI %s to %s): accelerating\n", r1, r2, r3);
	}
	if (s->has_tte) {
		format_hours(s->tte_hours, h);
		fprintf(out, "  exhaustion:  %s until the %s is used up", h,
			s->tte_bound);
		format_hours(s->tte_lo, h);
		fprintf(out, " (95%%: %s to ", h);
		if (isinf(s->tte_hi))
			fputs("never)", out);
		else {
			format_hours(s->tte_hi, h);
			fprintf(out, "%s)", h);
		}
	} else {
		fprintf(out, "  exhaustion:  none (%s)",
			s->tte_note != NULL ? s->tte_note : "not growing");
	}
	if (isfinite(s->tte_accelerating_hours)) {
		format_hours(s->tte_accelerating_hours, h);
		if (s->has_tte)
			fprintf(out, "; %s if it keeps accelerating", h);
		else
			fprintf(out, "; %s until the %s is used up if it keeps "
				"accelerating", h, s->tte_bound);
	}
	fputc('\n', out);
	char b1[32], b2[32], b3[32];
	format_hours(s->span_hours, h);
	fprintf(out, "  samples:     %zu of %zu snapshots over %s, %" PRIu32
		" boot epoch%s, %" PRIu32 " counter wrap%s undone\n",
		s->samples, a->ds.nsnap, h, a->ds.nepochs,
		a->ds.nepochs == 1 ? "" : "s", se->wraps, se->wraps == 1 ? "" : "s");
	fprintf(out, "  bytes:       %s first, %s last, %s max\n",
		pt_human_bytes((double)s->bytes_first, b1),
		pt_human_bytes((double)s->bytes_last, b2),
		pt_human_bytes((double)s->bytes_max, b3));
	return true;
}

static void
write_factors(FILE *out, const struct pt_score *s)
{
	struct {
		const char *name;
		char value[40];
		double factor;
		const char *what;
	} f[] = {
		{ "trend z", "", s->f_trend, "seasonal Mann-Kendall Z over the epochs" },
		{ "floor retention", "", s->f_retention, "floor rise kept at the end" },
		{ "signal/noise", "", s->f_snr, "floor rise against the tag's noise" },
		{ "give-back", "", s->f_give_back, "floor falls over floor rises (gate)" },
		{ "recent trend", "", s->f_recent, "Z over the second half of the last epoch (gate)" },
		{ "within-shift", "", s->f_within, "Z around the best mean shift (gate)" },
		{ "saturation", "", s->f_saturation, "end slope over start, halves or thirds (gate)" },
		{ "largest step", "", s->f_step, "largest block step / floor rise (gate)" },
		{ "shift rise", "", s->f_rise, "rise within the segments around the shifts / all (gate)" },
		{ "early rise", "", s->f_early, "where half the rise was reached, 0..1 (gate)" },
		{ "load check", "", s->f_load, "load-adjusted slope / slope (gate)" },
		{ "current growth", "", s->f_growth, "95% low of the last epoch's slope, B/h (gate)" },
	};
	enum { NF = sizeof(f) / sizeof(f[0]) };
	double raw[NF] = { s->mk.z, s->retention, s->snr, s->give_back,
		s->z_recent, s->z_within, s->end_ratio, s->step_share,
		s->rise_share, s->half_rise, s->load_ratio, s->growth_lo };
	for (int i = 0; i < NF; i++) {
		if (isfinite(raw[i]))
			(void)snprintf(f[i].value, sizeof(f[i].value), "%.3f", raw[i]);
		else
			memcpy(f[i].value, "-", 2);
	}
	/* Bytes per hour: whole bytes fit the column. */
	if (isfinite(s->growth_lo))
		(void)snprintf(f[NF - 1].value, sizeof(f[NF - 1].value), "%.0f",
			s->growth_lo);
	fprintf(out, "\n  %-16s %10s %7s  %s\n", "FACTOR", "VALUE", "FACTOR",
		"MEANING");
	for (int i = 0; i < NF; i++)
		fprintf(out, "  %-16s %10s %7.3f  %s\n", f[i].name, f[i].value,
			f[i].factor, f[i].what);
	if (s->machine_load_adjusted) {
		/* Not measured when the tag's median Bytes are 0. */
		char e[24] = "-";
		if (isfinite(s->load_elasticity))
			(void)snprintf(e, sizeof(e), "%.3f", s->load_elasticity);
		fprintf(out, "  load view: the machine's load (elasticity %s); "
			"too few allocations for the tag's own\n", e);
	}
	fprintf(out, "  confidence = cbrt(trend x retention x snr) x gates = %.3f\n",
		s->confidence);
}

/* ---- chart ---- */

/* UTF-8 of U+2581 .. U+2588 (one to eight eighths). */
static const char *const eighths[9] = {
	" ", "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
	"\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88",
};

static int
clamp_dim(int v, int def, int lo, int hi)
{
	if (v <= 0)
		return def;
	return v < lo ? lo : v > hi ? hi : v;
}

struct column {
	bool has;      /* a present sample falls in the column */
	int64_t max;   /* the largest bytes among them */
	bool reboot;   /* a boot epoch starts in the column */
	bool onset;    /* the onset falls in the column */
};

/* Columns cover snapshots [lo, hi): every snapshot in one column at
 * least, wide snapshots repeated over several columns. */
static void
column_range(size_t c, size_t w, size_t n, size_t *lo, size_t *hi)
{
	*lo = c * n / w;
	*hi = (c + 1) * n / w;
	if (*hi <= *lo)
		*hi = *lo + 1;
}

/* The first column showing snapshot i. */
static size_t
column_of(size_t i, size_t w, size_t n)
{
	for (size_t c = 0; c < w; c++) {
		size_t a0, a1;
		column_range(c, w, n, &a0, &a1);
		if (a1 > i)
			return c;
	}
	return w - 1;
}

static bool
write_chart(FILE *out, const struct pt_analysis *a, size_t idx,
		const struct pt_show_opts *o)
{
	const struct pt_dataset *ds = &a->ds;
	const struct pt_score *s = &a->scores[idx];
	size_t n = ds->nsnap;
	int w = clamp_dim(o->width, CHART_WIDTH_DEFAULT, 8, CHART_WIDTH_MAX);
	int hgt = clamp_dim(o->height, CHART_HEIGHT_DEFAULT, 2, CHART_HEIGHT_MAX);
	if (n == 0)
		return true;
	/* Fewer samples than columns: every sample gets the same width. */
	if ((size_t)w > n)
		w = (int)(n * ((size_t)w / n));
	const int64_t *bytes = pt_dataset_col(ds, ds->bytes, idx);
	const uint64_t *present = pt_dataset_present(ds, idx);

	struct column *col = calloc((size_t)w, sizeof(*col));
	if (col == NULL)
		return false;
	bool any = false;
	int64_t lo = 0, hi = 0;
	size_t onset_snap = SIZE_MAX;
	if (s->has_onset)
		for (size_t i = 0; i < n; i++)
			if (ds->snaps[i].t_ms >= s->onset_ms) {
				onset_snap = i;
				break;
			}
	for (size_t c = 0; c < (size_t)w; c++) {
		size_t a0, a1;
		column_range(c, (size_t)w, n, &a0, &a1);
		for (size_t i = a0; i < a1 && i < n; i++) {
			if (!pt_is_present(present, i))
				continue;
			if (!col[c].has || bytes[i] > col[c].max)
				col[c].max = bytes[i];
			col[c].has = true;
			if (!any || bytes[i] < lo)
				lo = bytes[i];
			if (!any || bytes[i] > hi)
				hi = bytes[i];
			any = true;
		}
	}
	/* Reboots and the onset mark the first column of their snapshot. */
	for (uint32_t e = 1; e < ds->nepochs; e++)
		col[column_of(ds->epoch_start[e], (size_t)w, n)].reboot = true;
	if (onset_snap < n)
		col[column_of(onset_snap, (size_t)w, n)].onset = true;

	/* Bars rise from lo (one eighth) to hi (the full height). */
	double range = (double)hi - (double)lo;
	int total = hgt * 8;
	char lab_hi[32], lab_mid[32], lab_lo[32];
	pt_human_bytes((double)hi, lab_hi);
	pt_human_bytes(((double)hi + (double)lo) / 2, lab_mid);
	pt_human_bytes((double)lo, lab_lo);
	const char *vbar = o->unicode ? "\xe2\x94\xa4" : "|";   /* ┤ */
	const char *vline = o->unicode ? "\xe2\x94\x82" : "|";  /* │ */

	fputc('\n', out);
	for (int r = 0; r < hgt; r++) {
		const char *label = r == 0 ? lab_hi : r == hgt - 1 ? lab_lo :
			r == hgt / 2 && hgt >= 5 ? lab_mid : "";
		/* A flat series has one level: label only the bars' top. */
		if (any && !(range > 0))
			label = r == hgt - (total / 2 + 7) / 8 ? lab_hi : "";
		if (!any)
			label = "";
		fprintf(out, "  %*s %s", CHART_LABEL_W, label,
			*label ? vbar : vline);
		int base = (hgt - 1 - r) * 8;
		for (int c = 0; c < w; c++) {
			int e = 0;
			if (col[c].has) {
				e = range > 0 ? 1 + (int)lround(((double)col[c].max -
					(double)lo) / range * (total - 1)) : total / 2;
				if (e > total)
					e = total;
			}
			int k = e - base;
			k = k < 0 ? 0 : k > 8 ? 8 : k;
			if (o->unicode)
				fputs(eighths[k], out);
			else
				fputc(k == 8 ? '#' : k > 0 ? '.' : ' ', out);
		}
		fputc('\n', out);
	}
	/* The axis, then the markers under it. */
	fprintf(out, "  %*s %s", CHART_LABEL_W, "",
		o->unicode ? "\xe2\x94\x94" : "+");
	for (int c = 0; c < w; c++)
		fputs(o->unicode ? "\xe2\x94\x80" : "-", out);
	fputc('\n', out);
	/* Reboots, then the onset, each on its own row under the axis. */
	for (int kind = 0; kind < 2; kind++) {
		int last = -1;
		for (int c = 0; c < w; c++)
			if (kind == 0 ? col[c].reboot : col[c].onset)
				last = c;
		if (last < 0)
			continue;
		fprintf(out, "  %*s  ", CHART_LABEL_W, "");
		for (int c = 0; c <= last; c++)
			fputc(kind == 0 ? (col[c].reboot ? '|' : ' ') :
				(col[c].onset ? '^' : ' '), out);
		fputc('\n', out);
	}
	char t0[32], t1[32];
	format_time(a, ds->snaps[0].t_ms, t0);
	format_time(a, ds->snaps[n - 1].t_ms, t1);
	int pad = w - (int)strlen(t0) - (int)strlen(t1);
	if (n == 1)
		fprintf(out, "  %*s  %s\n", CHART_LABEL_W, "", t0);
	else
		fprintf(out, "  %*s  %s%*s%s\n", CHART_LABEL_W, "", t0,
			pad > 1 ? pad : 1, "", t1);
	bool reboots = false, onset = false;
	for (int c = 0; c < w; c++) {
		reboots = reboots || col[c].reboot;
		onset = onset || col[c].onset;
	}
	if ((size_t)w < n)
		fprintf(out, "  %*s  %s%sbytes: the largest of about %.1f samples "
			"per column\n", CHART_LABEL_W, "", onset ? "^ onset   " : "",
			reboots ? "| reboot   " : "", (double)n / w);
	else
		fprintf(out, "  %*s  %s%sbytes: %d column%s per sample\n",
			CHART_LABEL_W, "", onset ? "^ onset   " : "",
			reboots ? "| reboot   " : "", w / (int)n,
			w / (int)n == 1 ? "" : "s");
	free(col);
	return true;
}

/* ---- samples ---- */

static bool
write_sample_rows(FILE *out, const struct pt_analysis *a, size_t idx,
		const int64_t *allocs, const int64_t *frees, const int64_t *diff)
{
	const struct pt_dataset *ds = &a->ds;
	const int64_t *bytes = pt_dataset_col(ds, ds->bytes, idx);
	const uint64_t *present = pt_dataset_present(ds, idx);
	char t[32];

	fprintf(out, "\n  %-23s %14s %14s %12s %16s %10s  %s\n", "TIME", "ALLOCS",
		"FREES", "DIFF", "BYTES", "PER ALLOC", "SOURCE");
	if (ds->nepochs > 1 && ds->nsnap > 0)
		fputs("  --- boot epoch 1 ---\n", out);
	for (size_t i = 0; i < ds->nsnap; i++) {
		const struct pt_snapinfo *sn = &ds->snaps[i];
		if (i > 0 && sn->epoch != ds->snaps[i - 1].epoch)
			fprintf(out, "  --- reboot: boot epoch %" PRIu32 " ---\n",
				sn->epoch + 1);
		format_time(a, sn->t_ms, t);
		char *file = sn->file != NULL ?
			pt_escape(sn->file, strlen(sn->file)) : NULL;
		if (sn->file != NULL && file == NULL)
			return false;
		char src[64] = "";
		if (file != NULL)
			(void)snprintf(src, sizeof(src), ":%ld", sn->line);
		if (!pt_is_present(present, i)) {
			fprintf(out, "  %-23s %14s %14s %12s %16s %10s  %s%s\n", t,
				"(no row)", "", "", "", "", file != NULL ? file : "", src);
		} else {
			int64_t per = diff[i] > 0 ? bytes[i] / diff[i] : bytes[i];
			fprintf(out, "  %-23s %14" PRId64 " %14" PRId64 " %12" PRId64
				" %16" PRId64 " %10" PRId64 "  %s%s\n", t, allocs[i],
				frees[i], diff[i], bytes[i], per,
				file != NULL ? file : "", src);
		}
		free(file);
	}
	return true;
}

static bool
write_samples(FILE *out, const struct pt_analysis *a, size_t idx)
{
	size_t n = a->ds.nsnap ? a->ds.nsnap : 1;
	int64_t *scratch = malloc(3 * n * sizeof(*scratch));
	if (scratch == NULL)
		return false;
	pt_dataset_counters(&a->ds, idx, scratch, scratch + n, scratch + 2 * n);
	bool ok = write_sample_rows(out, a, idx, scratch, scratch + n,
		scratch + 2 * n);
	free(scratch);
	return ok;
}

bool
pt_show_write_text(FILE *out, const struct pt_analysis *a, size_t series,
		const struct pt_show_opts *o, struct pt_error *err)
{
	static const struct pt_show_opts defaults = { 0 };
	if (o == NULL)
		o = &defaults;
	if (series >= a->ds.nseries) {
		pt_error_set(err, 0, "no such series");
		return false;
	}
	if (!write_header(out, a, series, o))
		goto oom;
	write_factors(out, &a->scores[series]);
	if (!write_chart(out, a, series, o))
		goto oom;
	if (!write_samples(out, a, series))
		goto oom;
	return pt_error_if_write_failed(out, err);
oom:
	pt_error_set(err, 0, "out of memory");
	return false;
}
