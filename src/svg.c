/*
 * The SVG chart of one series: bytes over real time, one group of
 * polylines per boot epoch (a gap inside an epoch starts a new polyline),
 * nice ticks in human units, the onset and reboots marked.  Every number is
 * printed with a fixed precision so the output is deterministic.
 */
#include "pooltrend/show.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pooltrend/text.h"
#include "pooltrend/timestamp.h"

#define SVG_W 900
#define SVG_H 420
#define PLOT_L 90.0
#define PLOT_R 870.0
#define PLOT_T 62.0
#define PLOT_B 360.0
#define MAX_TICKS 6

#define LINE_COLOR "#1f77b4"
#define REBOOT_COLOR "#d62728"
#define ONSET_COLOR "#444444"

/* Write text as XML character data or attribute value: markup characters
 * as entities, control bytes as \xNN text (never raw). */
static void
xml_text(FILE *out, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&apos;", out); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(out, "\\x%c%c", hex[*p >> 4], hex[*p & 15]);
			else
				fputc(*p, out);
		}
	}
}

/* Decimals needed to print v (a multiple of a nice step) exactly, up to 6. */
static int
decimals_for(double step)
{
	for (int d = 0; d < 6; d++) {
		double x = step * pow(10, d);
		if (fabs(x - round(x)) < 1e-6 * (x > 1 ? x : 1))
			return d;
	}
	return 6;
}

/*
 * Nice ticks over [lo, hi] in units of unit: the smallest step of the form
 * {1, 2, 2.5, 5} x 10^k (in units) with at most MAX_TICKS ticks.  Stores
 * the first tick, the step (both in the original scale) and the count.
 */
static void
nice_ticks(double lo, double hi, double unit, double *first, double *step,
		int *count)
{
	static const double mant[] = { 1, 2, 2.5, 5 };
	double range = (hi - lo) / unit;
	if (!(range > 0))
		range = 1;
	int k = (int)floor(log10(range / MAX_TICKS)) - 1;
	for (;; k++) {
		for (size_t m = 0; m < sizeof(mant) / sizeof(mant[0]); m++) {
			double st = mant[m] * pow(10, k) * unit;
			double f = floor(lo / st + 1e-9) * st;
			double l = ceil(hi / st - 1e-9) * st;
			int n = (int)llround((l - f) / st) + 1;
			if (n <= MAX_TICKS) {
				*first = f;
				*step = st;
				*count = n < 2 ? 2 : n;
				return;
			}
		}
	}
}

static const char *const units[] = { "B", "KB", "MB", "GB", "TB", "PB", "EB" };

/* The binary unit for bytes axis labels: the largest with v >= 1 unit. */
static size_t
unit_for(double v)
{
	size_t u = 0;
	v = fabs(v);
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	return u;
}

/* Format "MM-DD HH:MM" from a wall-clock time. */
static void
short_stamp(int64_t ms, char out[32])
{
	char full[32];
	pt_stamp_format(ms, full);
	/* "YYYY-MM-DDTHH:MM:SS": the year may have more digits, so cut
	 * from the 'T'. */
	const char *t = strchr(full, 'T');
	if (t == NULL || t - full < 5 || strlen(t) < 6) {
		memcpy(out, full, 32);
		return;
	}
	(void)snprintf(out, 32, "%.5s %.5s", t - 5, t + 1);
}

struct frame {
	int64_t t0;
	double tspan;          /* ms, > 0 */
	double ylo, yhi;       /* bytes, yhi > ylo */
};

static double
px_x(const struct frame *f, int64_t t)
{
	return PLOT_L + (double)(t - f->t0) / f->tspan * (PLOT_R - PLOT_L);
}

static double
px_y(const struct frame *f, double v)
{
	return PLOT_B - (v - f->ylo) / (f->yhi - f->ylo) * (PLOT_B - PLOT_T);
}

static void
write_y_axis(FILE *out, struct frame *f, int64_t lo, int64_t hi, bool any)
{
	double dlo = (double)lo, dhi = (double)hi;
	if (!any) {
		dlo = 0;
		dhi = 1024;
	}
	/* Start at zero when the data is not far from it. */
	if (dlo > 0 && dlo < 0.25 * dhi)
		dlo = 0;
	if (dhi <= dlo) {
		double pad = fabs(dhi) * 0.1 > 64 ? fabs(dhi) * 0.1 : 64;
		dhi += pad;
		dlo = dlo - pad < 0 && lo >= 0 ? 0 : dlo - pad;
	}
	size_t u = unit_for(fabs(dhi) > fabs(dlo) ? dhi : dlo);
	double unit = pow(1024, (double)u);
	double first, step;
	int n;
	nice_ticks(dlo, dhi, unit, &first, &step, &n);
	f->ylo = first;
	f->yhi = first + step * (n - 1);
	int dec = decimals_for(step / unit);
	fputs("<g class=\"y-axis\" font-size=\"11\" fill=\"#333\" "
		"text-anchor=\"end\">\n", out);
	for (int i = 0; i < n; i++) {
		double v = first + step * i;
		double y = px_y(f, v);
		fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			"stroke=\"#e3e3e3\"/>\n", PLOT_L, y, PLOT_R, y);
		if (fabs(v) < step * 1e-9)
			v = 0;
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\">%.*f %s</text>\n",
			PLOT_L - 8, y + 4, dec, v / unit, units[u]);
	}
	fputs("</g>\n", out);
}

static void
write_x_axis(FILE *out, const struct pt_analysis *a, const struct frame *f)
{
	bool rel = pt_time_source_is_relative(a->time_source);
	int64_t t1 = f->t0 + (int64_t)f->tspan;
	fputs("<g class=\"x-axis\" font-size=\"11\" fill=\"#333\" "
		"text-anchor=\"middle\">\n", out);
	if (rel) {
		double first, step;
		int n;
		double h0 = pt_analysis_hours(a, f->t0);
		double h1 = pt_analysis_hours(a, t1);
		nice_ticks(h0, h1, 1, &first, &step, &n);
		int dec = decimals_for(step);
		/* Only ticks inside the data: the first at or after h0. */
		first = ceil(h0 / step - 1e-9) * step;
		/* An integer counter: a float one could drift or never end. */
		for (int k = 0; k < 1000 && first + k * step <= h1 + step * 1e-9;
				k++) {
			double h = first + k * step;
			int64_t t = a->first_ms + (int64_t)llround(h * 3600000.0);
			double x = px_x(f, t);
			fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
				"y2=\"%.1f\" stroke=\"#000\"/>\n", x, PLOT_B, x, PLOT_B + 5);
			fprintf(out, "<text x=\"%.1f\" y=\"%.1f\">%.*f h</text>\n", x,
				PLOT_B + 18, dec, fabs(h) < step * 1e-9 ? 0.0 : h);
		}
	} else {
		static const int64_t steps[] = {
			60000, 120000, 300000, 600000, 900000, 1800000,
			3600000, 7200000, 10800000, 21600000, 43200000,
			86400000, 172800000, 604800000, 1209600000,
			INT64_C(2592000000), INT64_C(7776000000),
			INT64_C(15552000000), INT64_C(31536000000),
		};
		size_t nsteps = sizeof(steps) / sizeof(steps[0]);
		int64_t st = steps[nsteps - 1];
		for (size_t i = 0; i < nsteps; i++)
			if (f->tspan / (double)steps[i] <= MAX_TICKS - 1) {
				st = steps[i];
				break;
			}
		while (f->tspan / (double)st > MAX_TICKS - 1)
			st *= 2;
		/* Multiples of the step from 1970: whole minutes, hours and
		 * midnights of the wall clock. */
		int64_t t = f->t0 / st * st;
		if (t < f->t0)
			t += st;
		for (; t <= t1; t += st) {
			double x = px_x(f, t);
			char lab[32];
			short_stamp(t, lab);
			fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
				"y2=\"%.1f\" stroke=\"#000\"/>\n", x, PLOT_B, x, PLOT_B + 5);
			fprintf(out, "<text x=\"%.1f\" y=\"%.1f\">", x, PLOT_B + 18);
			xml_text(out, lab);
			fputs("</text>\n", out);
			if (t > INT64_MAX - st)
				break;
		}
	}
	fputs("</g>\n", out);
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#555\" "
		"text-anchor=\"middle\">%s</text>\n", (PLOT_L + PLOT_R) / 2,
		PLOT_B + 40, rel ? "hours since the first snapshot" :
		"time (MM-DD HH:MM, wall clock of the input)");
}

static void
write_title(FILE *out, const struct pt_analysis *a, size_t idx, bool *oom)
{
	const struct pt_score *s = &a->scores[idx];
	const struct pt_series *se = &a->ds.series[idx];
	char tag[PT_TAG_TEXT_MAX];
	pt_tag_escape(se->tag, tag);

	fputs("<title>pooltrend: ", out);
	xml_text(out, tag);
	fprintf(out, " (%s)</title>\n", pt_pool_name(se->pool));
	/* The background goes under everything drawn. */
	fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" "
		"fill=\"#ffffff\"/>\n", SVG_W, SVG_H);
	fprintf(out, "<text x=\"%.1f\" y=\"24\" font-size=\"16\" "
		"font-weight=\"bold\" fill=\"#000\">", PLOT_L);
	xml_text(out, tag);
	fprintf(out, " (%s): %s, confidence %.2f, ", pt_pool_name(se->pool),
		pt_verdict_name(s->verdict), s->confidence);
	if (s->has_growth) {
		char rate[40];
		fputs("growth ", out);
		xml_text(out, pt_human_rate(s->growth_bph, rate));
	} else {
		fputs("growth not measured", out);
	}
	fputs("</text>\n", out);

	fprintf(out, "<text x=\"%.1f\" y=\"42\" font-size=\"12\" "
		"fill=\"#555\">", PLOT_L);
	xml_text(out, s->reason != NULL ? s->reason : "");
	if (se->mapped != NULL) {
		char *m = pt_escape(se->mapped, strlen(se->mapped));
		if (m == NULL) {
			*oom = true;
		} else {
			fputs("; driver ", out);
			xml_text(out, m);
			free(m);
		}
	}
	fputs("</text>\n", out);
}

static void
write_markers(FILE *out, const struct pt_analysis *a, size_t idx,
		const struct frame *f)
{
	const struct pt_dataset *ds = &a->ds;
	const struct pt_score *s = &a->scores[idx];
	for (uint32_t e = 1; e < ds->nepochs; e++) {
		size_t i = ds->epoch_start[e];
		if (i == 0 || i >= ds->nsnap)
			continue;
		/* The reboot happened between the two snapshots. */
		double x = (px_x(f, ds->snaps[i - 1].t_ms) +
			px_x(f, ds->snaps[i].t_ms)) / 2;
		fprintf(out, "<line class=\"reboot\" x1=\"%.1f\" y1=\"%.1f\" "
			"x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.2\" "
			"stroke-dasharray=\"6,4\"/>\n", x, PLOT_T, x, PLOT_B,
			REBOOT_COLOR);
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
			"fill=\"%s\" text-anchor=\"middle\">reboot</text>\n", x,
			PLOT_T - 5, REBOOT_COLOR);
	}
	if (s->has_onset) {
		double x = px_x(f, s->onset_ms);
		char lab[32];
		if (pt_time_source_is_relative(a->time_source))
			(void)snprintf(lab, sizeof(lab), "%.2f h",
				pt_analysis_hours(a, s->onset_ms));
		else
			short_stamp(s->onset_ms, lab);
		bool right = x > PLOT_R - 130;
		fprintf(out, "<line class=\"onset\" x1=\"%.1f\" y1=\"%.1f\" "
			"x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.2\" "
			"stroke-dasharray=\"3,3\"/>\n", x, PLOT_T, x, PLOT_B,
			ONSET_COLOR);
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
			"fill=\"%s\" text-anchor=\"%s\">onset ", right ? x - 5 : x + 5,
			PLOT_T + 14, ONSET_COLOR, right ? "end" : "start");
		xml_text(out, lab);
		fputs("</text>\n", out);
	}
}

static void
write_line(FILE *out, const struct pt_analysis *a, size_t idx,
		const struct frame *f)
{
	const struct pt_dataset *ds = &a->ds;
	const int64_t *bytes = pt_dataset_col(ds, ds->bytes, idx);
	const uint64_t *present = pt_dataset_present(ds, idx);
	for (uint32_t e = 0; e < ds->nepochs; e++) {
		size_t lo = ds->epoch_start[e], hi = ds->epoch_start[e + 1];
		fprintf(out, "<g class=\"epoch\" data-epoch=\"%" PRIu32 "\" "
			"fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" "
			"stroke-linejoin=\"round\">\n", e + 1, LINE_COLOR);
		for (size_t i = lo; i < hi;) {
			if (!pt_is_present(present, i)) {
				i++;
				continue;
			}
			size_t j = i;
			while (j < hi && pt_is_present(present, j))
				j++;
			if (j - i == 1) {
				fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" "
					"fill=\"%s\" stroke=\"none\"/>\n",
					px_x(f, ds->snaps[i].t_ms),
					px_y(f, (double)bytes[i]), LINE_COLOR);
			} else {
				fputs("<polyline points=\"", out);
				for (size_t k = i; k < j; k++)
					fprintf(out, "%s%.1f,%.1f", k == i ? "" : " ",
						px_x(f, ds->snaps[k].t_ms),
						px_y(f, (double)bytes[k]));
				fputs("\"/>\n", out);
			}
			i = j;
		}
		fputs("</g>\n", out);
	}
}

bool
pt_show_write_svg(FILE *out, const struct pt_analysis *a, size_t series,
		struct pt_error *err)
{
	const struct pt_dataset *ds = &a->ds;
	if (series >= ds->nseries || ds->nsnap == 0) {
		pt_error_set(err, 0, "no such series");
		return false;
	}
	const int64_t *bytes = pt_dataset_col(ds, ds->bytes, series);
	const uint64_t *present = pt_dataset_present(ds, series);
	int64_t lo = 0, hi = 0;
	bool any = false;
	for (size_t i = 0; i < ds->nsnap; i++) {
		if (!pt_is_present(present, i))
			continue;
		if (!any || bytes[i] < lo)
			lo = bytes[i];
		if (!any || bytes[i] > hi)
			hi = bytes[i];
		any = true;
	}
	struct frame f;
	f.t0 = ds->snaps[0].t_ms;
	int64_t t1 = ds->snaps[ds->nsnap - 1].t_ms;
	f.tspan = t1 > f.t0 ? (double)(t1 - f.t0) : 3600000.0;

	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, "
		"Arial, Helvetica, sans-serif\">\n", SVG_W, SVG_H, SVG_W, SVG_H);
	bool oom = false;
	write_title(out, a, series, &oom);
	write_y_axis(out, &f, lo, hi, any);
	write_x_axis(out, a, &f);
	fprintf(out, "<path d=\"M%.1f %.1fV%.1fH%.1f\" fill=\"none\" "
		"stroke=\"#000\"/>\n", PLOT_L, PLOT_T, PLOT_B, PLOT_R);
	write_markers(out, a, series, &f);
	write_line(out, a, series, &f);
	fputs("</svg>\n", out);
	if (oom) {
		pt_error_set(err, 0, "out of memory");
		return false;
	}
	return pt_error_if_write_failed(out, err);
}
