#include "pooltrend/report.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "pooltrend/gate.h"
#include "pooltrend/owner.h"
#include "pooltrend/pooltotal.h"
#include "pooltrend/text.h"
#include "pooltrend/timestamp.h"
#include "report_shared.h"
#include "workers.h"

/*
 * cJSON stores numbers as doubles and rounds above 2^53; integers go in as
 * raw literals so they are written exactly.  Reals are rounded to a fixed
 * precision so the output is stable.
 */
static bool
add_int(cJSON *obj, const char *name, int64_t v)
{
	char buf[32];
	int k = snprintf(buf, sizeof(buf), "%" PRId64, v);
	if (k < 0 || (size_t)k >= sizeof(buf))
		return false;
	return cJSON_AddRawToObject(obj, name, buf) != NULL;
}

/*
 * Room for any finite double in "%.*f" with up to 8 decimals: sign, 309
 * digits of DBL_MAX, point, decimals, NUL.  A cut number would be a wrong
 * (or, ending in '.', invalid) raw JSON literal, so it is checked anyway.
 */
#define REAL_BUF 330

static bool
format_real(char buf[REAL_BUF], double v, int decimals)
{
	int k = snprintf(buf, REAL_BUF, "%.*f", decimals, v);
	return k > 0 && k < REAL_BUF;
}

static bool
add_real(cJSON *obj, const char *name, double v, int decimals)
{
	if (!isfinite(v))
		return cJSON_AddNullToObject(obj, name) != NULL;
	char buf[REAL_BUF];
	if (!format_real(buf, v, decimals))
		return false;
	if (strspn(buf, "-0.") == strlen(buf)) /* "-0", "0.000", "-0.0" */
		memcpy(buf, "0", 2);
	return cJSON_AddRawToObject(obj, name, buf) != NULL;
}

static bool
add_time(cJSON *obj, const char *name, bool has, int64_t ms)
{
	if (!has)
		return cJSON_AddNullToObject(obj, name) != NULL;
	char buf[32];
	return cJSON_AddStringToObject(obj, name, pt_stamp_format(ms, buf)) != NULL;
}

static cJSON *
factor(double value, double raw, const char *raw_name)
{
	cJSON *o = cJSON_CreateObject();
	if (o != NULL && (!add_real(o, "factor", value, 4) ||
			!add_real(o, raw_name, raw, 4))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *
components(const struct pt_score *s)
{
	cJSON *c = cJSON_CreateObject();
	if (c == NULL)
		return NULL;
	cJSON *trend = factor(s->f_trend, s->mk.z, "z");
	if (trend == NULL || !cJSON_AddItemToObject(c, "trend", trend) ||
			!add_real(trend, "s", s->mk.s, 0) ||
			!add_real(trend, "var_s", s->mk.var, 2) ||
			!add_real(trend, "hamed_rao_factor", s->hamed_rao, 3))
		goto fail;
	struct { const char *name; double f, raw; const char *raw_name; } items[] = {
		{ "floor_retention", s->f_retention, s->retention, "retention" },
		{ "signal_to_noise", s->f_snr, s->snr, "snr" },
		{ "give_back", s->f_give_back, s->give_back, "ratio" },
		{ "recent_trend", s->f_recent, s->z_recent, "z" },
		{ "within_shift_trend", s->f_within, s->z_within, "z" },
		{ "saturation", s->f_saturation, s->half_ratio, "half_slope_ratio" },
		{ "largest_step", s->f_step, s->step_share, "share" },
		{ "current_growth", s->f_growth, s->growth_lo, "ci95_low" },
		{ "level_shift_rise", s->f_rise, s->rise_share, "within_share" },
		{ "early_rise", s->f_early, s->half_rise, "half_rise_at" },
		{ "load_check", s->f_load, s->load_ratio, "slope_ratio" },
	};
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		cJSON *f = factor(items[i].f, items[i].raw, items[i].raw_name);
		if (f == NULL || !cJSON_AddItemToObject(c, items[i].name, f))
			goto fail;
	}
	if (!add_real(cJSON_GetObjectItem(c, "saturation"), "third_slope_ratio",
			s->third_ratio, 3) ||
			!add_real(cJSON_GetObjectItem(c, "saturation"),
				"machine_view_ratio", s->machine_end_ratio, 3) ||
			!add_real(cJSON_GetObjectItem(c, "saturation"),
				"end_ratio", s->end_ratio, 3) ||
			!add_real(cJSON_GetObjectItem(c, "current_growth"),
				"adjusted_ratio", s->growth_adjusted_ratio, 3) ||
			!add_real(cJSON_GetObjectItem(c, "load_check"),
				"adjusted_slope_bytes_per_hour", s->adjusted_slope, 1) ||
			!add_real(cJSON_GetObjectItem(c, "load_check"),
				"machine_load_elasticity", s->load_elasticity, 3) ||
			!cJSON_AddBoolToObject(c, "load_adjusted", s->load_adjusted) ||
			!cJSON_AddBoolToObject(c, "machine_load_adjusted",
				s->machine_load_adjusted) ||
			!add_real(c, "net_floor_growth_bytes", s->net_growth, 0))
		goto fail;
	return c;
fail:
	cJSON_Delete(c);
	return NULL;
}

/* [a, b] as reals; a bound that is not finite is null. */
static bool
add_real_pair(cJSON *t, const char *name, double a, double b)
{
	cJSON *pair = cJSON_CreateArray();
	if (pair == NULL || !cJSON_AddItemToObject(t, name, pair))
		return false;
	char buf[REAL_BUF];
	double v[2] = { a, b };
	for (int i = 0; i < 2; i++) {
		/* "inf" or "nan" would not be JSON. */
		cJSON *x = !isfinite(v[i]) ? cJSON_CreateNull() :
			format_real(buf, v[i], 1) ? cJSON_CreateRaw(buf) : NULL;
		if (x == NULL || !cJSON_AddItemToArray(pair, x))
			return false;
	}
	return true;
}

/* TTE interval from the growth CI ([lo, null] when it reaches zero) and
 * the note saying why there is no TTE. */
static bool
add_tte_extra(cJSON *t, const struct pt_score *s)
{
	if (!(s->tte_note != NULL ?
			cJSON_AddStringToObject(t, "tte_note", s->tte_note) != NULL :
			cJSON_AddNullToObject(t, "tte_note") != NULL))
		return false;
	if (!add_real(t, "tte_accelerating_hours", s->tte_accelerating_hours, 1))
		return false;
	if (!s->has_tte)
		return cJSON_AddNullToObject(t, "tte_interval_hours") != NULL;
	return add_real_pair(t, "tte_interval_hours", s->tte_lo, s->tte_hi);
}

/* The rate over the last third of the growth and whether it speeds up. */
static bool
add_acceleration(cJSON *t, const struct pt_score *s)
{
	return add_real(t, "rate_recent_bytes_per_hour",
			s->has_rate_recent ? s->rate_recent : NAN, 1) &&
		(s->has_rate_recent ?
			add_real_pair(t, "rate_recent_ci95", s->rate_recent_lo,
				s->rate_recent_hi) :
			cJSON_AddNullToObject(t, "rate_recent_ci95") != NULL) &&
		cJSON_AddBoolToObject(t, "accelerating", s->accelerating) &&
		add_real(t, "acceleration_bytes_per_hour2",
			s->accelerating ? s->acceleration : NAN, 1);
}

static bool
add_growth(cJSON *t, const struct pt_score *s)
{
	if (!s->has_growth)
		return cJSON_AddNullToObject(t, "growth_bytes_per_hour") &&
			cJSON_AddNullToObject(t, "growth_ci95") &&
			cJSON_AddNullToObject(t, "growth_epoch") &&
			cJSON_AddNullToObject(t, "rate_after_onset_bytes_per_hour") &&
			cJSON_AddNullToObject(t, "rate_after_onset_ci95") &&
			cJSON_AddNullToObject(t, "never_freed_since_onset") &&
			add_acceleration(t, s);
	if (!add_real(t, "growth_bytes_per_hour", s->growth_bph, 1))
		return false;
	return add_real_pair(t, "growth_ci95", s->growth_lo, s->growth_hi) &&
		add_int(t, "growth_epoch", s->growth_epoch + 1) &&
		add_real(t, "rate_after_onset_bytes_per_hour",
			s->has_rate_after_onset ? s->rate_after_onset : NAN, 1) &&
		(s->has_rate_after_onset ?
			add_real_pair(t, "rate_after_onset_ci95",
				s->rate_after_onset_lo, s->rate_after_onset_hi) :
			cJSON_AddNullToObject(t, "rate_after_onset_ci95") != NULL) &&
		add_real(t, "never_freed_since_onset",
			s->has_never_freed ? s->never_freed_share : NAN, 4) &&
		add_acceleration(t, s);
}

/*
 * "owner": null, {"source": "dump", "text": ...} from the -g column, or
 * {"source": "pooltag", "binary": ..., "description": ...}.
 */
static bool
add_owner(cJSON *t, const struct pt_analysis *a,
		const struct pt_report_opts *o, size_t idx)
{
	struct pt_owner ow;
	if (!pt_report_owner(a, o, idx, &ow))
		return cJSON_AddNullToObject(t, "owner") != NULL;
	cJSON *obj = cJSON_CreateObject();
	if (obj == NULL || !cJSON_AddItemToObject(t, "owner", obj))
		return false;
	if (!cJSON_AddStringToObject(obj, "source", ow.source))
		return false;
	if (ow.text != NULL)
		return pt_json_add_escaped(obj, "text", ow.text);
	return pt_json_add_escaped(obj, "binary", ow.binary) &&
		pt_json_add_escaped(obj, "description", ow.description);
}

/*
 * With --drivers only: "driver": null or the best binary of the owner
 * scan, {"file", "company", "version", "confidence", "reason"}.
 */
static bool
add_driver(cJSON *t, const struct pt_analysis *a,
		const struct pt_report_opts *o, size_t idx)
{
	if (o->drivers == NULL)
		return true;
	const struct pt_owner_hit *h = pt_report_driver(a, o, idx);
	if (h == NULL)
		return cJSON_AddNullToObject(t, "driver") != NULL;
	cJSON *obj = cJSON_AddObjectToObject(t, "driver");
	return obj != NULL && pt_json_add_escaped(obj, "file", h->path) &&
		pt_json_add_escaped(obj, "company", h->company) &&
		pt_json_add_escaped(obj, "version", h->file_version) &&
		add_real(obj, "confidence", h->confidence, 2) &&
		pt_json_add_escaped(obj, "reason", h->reason);
}

static cJSON *
tag_object(const struct pt_analysis *a, const struct pt_report_opts *o,
		size_t idx, size_t rank)
{
	bool absolute = !pt_time_source_is_relative(a->time_source);
	const struct pt_score *s = &a->scores[idx];
	const struct pt_series *se = &a->ds.series[idx];
	const char *bound = pt_score_tte_bound(s);
	char tag[PT_TAG_TEXT_MAX], hex[9];
	pt_tag_hex(se->tag, hex);
	cJSON *t = cJSON_CreateObject();
	if (t == NULL)
		return NULL;
	bool ok = cJSON_AddStringToObject(t, "tag", pt_tag_escape(se->tag, tag)) &&
		cJSON_AddStringToObject(t, "tag_hex", hex) &&
		cJSON_AddStringToObject(t, "pool", pt_pool_name(se->pool)) &&
		add_int(t, "rank", (int64_t)rank) &&
		cJSON_AddStringToObject(t, "verdict", pt_verdict_name(s->verdict)) &&
		add_real(t, "confidence", s->confidence, 4) &&
		cJSON_AddStringToObject(t, "reason", s->reason) &&
		add_growth(t, s) &&
		add_int(t, "bytes_first", s->bytes_first) &&
		add_int(t, "bytes_last", s->bytes_last) &&
		add_int(t, "bytes_max", s->bytes_max) &&
		add_int(t, "allocs_first", s->allocs_first) &&
		add_int(t, "allocs_last", s->allocs_last) &&
		add_int(t, "frees_first", s->frees_first) &&
		add_int(t, "frees_last", s->frees_last) &&
		add_int(t, "diff_first", s->diff_first) &&
		add_int(t, "diff_last", s->diff_last) &&
		add_int(t, "samples", (int64_t)s->samples) &&
		add_real(t, "span_hours", s->span_hours, 3) &&
		add_time(t, "onset", s->has_onset && absolute,
			s->onset_ms) &&
		add_real(t, "onset_hours", s->has_onset ?
			pt_analysis_hours(a, s->onset_ms) : NAN, 3) &&
		add_real(t, "tte_hours", s->has_tte ? s->tte_hours : NAN, 1) &&
		(bound != NULL ? cJSON_AddStringToObject(t, "tte_bound", bound) != NULL :
			cJSON_AddNullToObject(t, "tte_bound") != NULL) &&
		add_tte_extra(t, s) &&
		add_int(t, "counter_wraps", se->wraps);
	cJSON *comp = ok ? components(s) : NULL;
	ok = comp != NULL && cJSON_AddItemToObject(t, "components", comp) &&
		add_owner(t, a, o, idx) && add_driver(t, a, o, idx);
	if (!ok) {
		cJSON_Delete(t);
		return NULL;
	}
	return t;
}

/*
 * "file:line: msg", "file: msg" or "msg", allocated to fit: a long (escaped)
 * path must not cut the message short.  NULL when out of memory.
 */
static char *
diag_text(const struct pt_diag *g)
{
	char line[32] = "";
	if (g->file != NULL && g->line > 0) {
		int k = snprintf(line, sizeof(line), ":%ld", g->line);
		if (k < 0 || (size_t)k >= sizeof(line))
			return NULL;
	}
	const char *file = g->file != NULL ? g->file : "";
	const char *sep = g->file != NULL ? ": " : "";
	size_t size = strlen(file) + strlen(line) + strlen(sep) +
		strlen(g->msg) + 1;
	char *text = malloc(size);
	if (text == NULL)
		return NULL;
	int k = snprintf(text, size, "%s%s%s%s", file, line, sep, g->msg);
	if (k < 0 || (size_t)k >= size) {
		free(text);
		return NULL;
	}
	return text;
}

static cJSON *
warnings_array(const struct pt_diags *d)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; arr != NULL && i < d->len; i++) {
		const struct pt_diag *g = &d->items[i];
		if (g->severity == PT_SEV_NOTE)
			continue;
		/* Already safe: diags escape file names, and callers escape
		 * any untrusted text they put in a message. */
		char *text = diag_text(g);
		cJSON *s = text != NULL ? cJSON_CreateString(text) : NULL;
		free(text);
		if (s == NULL || !cJSON_AddItemToArray(arr, s)) {
			cJSON_Delete(s);
			cJSON_Delete(arr);
			return NULL;
		}
	}
	return arr;
}

/* Series the pool filter lets through: what the report could list. */
static size_t
series_in_filter(const struct pt_analysis *a, enum pt_pool_filter f)
{
	size_t n = 0;
	for (size_t s = 0; s < a->ds.nseries; s++)
		n += pt_pool_filter_match(f, a->ds.series[s].pool);
	return n;
}

static const char *
pool_filter_name(enum pt_pool_filter f)
{
	return f == PT_FILTER_ALL ? "all" : f == PT_FILTER_PAGED ? "paged" :
		"nonpaged";
}

static cJSON *
input_object(const struct pt_analysis *a, const struct pt_report_opts *o)
{
	cJSON *in = cJSON_CreateObject();
	bool absolute = !pt_time_source_is_relative(a->time_source);
	bool ok = in != NULL &&
		add_int(in, "files", (int64_t)a->files_with_snapshots) &&
		add_int(in, "files_given", (int64_t)a->files) &&
		add_int(in, "snapshots", (int64_t)a->ds.nsnap) &&
		add_int(in, "rows", (int64_t)a->rows) &&
		add_int(in, "skipped_lines", (int64_t)a->skipped_lines) &&
		cJSON_AddStringToObject(in, "time_source",
			pt_time_source_name(a->time_source)) &&
		add_time(in, "first", absolute, a->first_ms) &&
		add_time(in, "last", absolute, a->last_ms) &&
		add_real(in, "span_hours", a->span_hours, 3) &&
		add_int(in, "epochs", a->ds.nepochs) &&
		add_int(in, "series", (int64_t)a->ds.nseries) &&
		cJSON_AddStringToObject(in, "pool_filter", pool_filter_name(o->pool)) &&
		add_int(in, "series_in_filter", (int64_t)series_in_filter(a, o->pool)) &&
		add_int(in, "messages_not_listed", (int64_t)a->diags.dropped);
	/* "warnings" last: it can be long. */
	cJSON *w = ok ? warnings_array(&a->diags) : NULL;
	if (w == NULL || !cJSON_AddItemToObject(in, "warnings", w)) {
		cJSON_Delete(w);
		cJSON_Delete(in);
		return NULL;
	}
	return in;
}

static bool
add_gate_hit(cJSON *arr, const struct pt_analysis *a, const struct pt_gate_hit *h)
{
	const struct pt_series *se = &a->ds.series[h->series];
	char tag[PT_TAG_TEXT_MAX], hex[9];
	pt_tag_hex(se->tag, hex);
	cJSON *o = cJSON_CreateObject();
	if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
		cJSON_Delete(o);
		return false;
	}
	return cJSON_AddStringToObject(o, "tag", pt_tag_escape(se->tag, tag)) &&
		cJSON_AddStringToObject(o, "tag_hex", hex) &&
		cJSON_AddStringToObject(o, "pool", pt_pool_name(se->pool)) &&
		cJSON_AddStringToObject(o, "verdict", pt_verdict_name(h->verdict)) &&
		add_real(o, "growth_bytes_per_hour", h->has_growth ? h->growth_bph :
			NAN, 1) &&
		cJSON_AddBoolToObject(o, "counts", h->counts) &&
		cJSON_AddStringToObject(o, "change", pt_gate_change_name(h->change)) &&
		(h->in_baseline ? cJSON_AddStringToObject(o, "baseline_verdict",
			pt_verdict_name(h->base_verdict)) != NULL :
			cJSON_AddNullToObject(o, "baseline_verdict") != NULL) &&
		add_real(o, "baseline_growth_bytes_per_hour", h->in_baseline &&
			h->base_has_growth ? h->base_growth_bph : NAN, 1) &&
		cJSON_AddStringToObject(o, "reason", h->reason);
}

/*
 * "gate": what was asked (null for what was not) and every series that
 * tripped it, counted ones first.
 */
static bool
add_gate(cJSON *doc, const struct pt_analysis *a, const struct pt_gate *g)
{
	const struct pt_gate_opts *go = &g->opts;
	cJSON *obj = cJSON_CreateObject();
	if (obj == NULL || !cJSON_AddItemToObject(doc, "gate", obj)) {
		cJSON_Delete(obj);
		return false;
	}
	bool ok = cJSON_AddBoolToObject(obj, "tripped", g->tripped) &&
		(go->use_verdict ? cJSON_AddStringToObject(obj, "fail_on",
			pt_verdict_name(go->fail_on)) != NULL :
			cJSON_AddNullToObject(obj, "fail_on") != NULL) &&
		add_real(obj, "fail_above_bytes_per_hour",
			go->use_rate ? go->fail_above_bph : NAN, 1) &&
		pt_json_add_escaped(obj, "baseline", go->baseline ? go->baseline_name : NULL) &&
		add_int(obj, "counted", (int64_t)g->counted);
	cJSON *arr = ok ? cJSON_AddArrayToObject(obj, "series") : NULL;
	ok = arr != NULL;
	for (size_t i = 0; ok && i < g->n; i++)
		ok = add_gate_hit(arr, a, &g->hits[i]);
	return ok;
}

static bool
add_pool_total(cJSON *arr, const struct pt_pool_total *p)
{
	cJSON *o = cJSON_CreateObject();
	if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
		cJSON_Delete(o);
		return false;
	}
	return cJSON_AddStringToObject(o, "pool", pt_pool_name(p->pool)) &&
		add_int(o, "series", (int64_t)p->series) &&
		add_int(o, "bytes_last", p->bytes_last) &&
		add_real(o, "growth_bytes_per_hour", p->has_growth ? p->growth_bph :
			NAN, 1) &&
		add_int(o, "flagged_series", (int64_t)p->flagged) &&
		add_real(o, "flagged_growth_bytes_per_hour", p->flagged_growth_bph, 1) &&
		add_real(o, "flagged_share", p->has_share ? p->flagged_share : NAN, 4) &&
		add_real(o, "tte_hours", p->has_tte ? p->tte_hours : NAN, 1) &&
		pt_json_add_escaped(o, "tte_bound", p->has_tte ? p->tte_bound : NULL) &&
		cJSON_AddBoolToObject(o, "tte_beyond_window", p->has_tte &&
			p->tte_beyond_window) &&
		add_real(o, "header_growth_bytes_per_hour", p->has_header_growth ?
			p->header_growth_bph : NAN, 1);
}

/* "pools": the totals of the pools the report shows. */
static bool
add_pools(cJSON *doc, const struct pt_analysis *a,
		const struct pt_report_opts *o)
{
	struct pt_pool_total totals[PT_POOL_COUNT];
	struct pt_error err = {0};
	cJSON *arr = cJSON_AddArrayToObject(doc, "pools");
	if (arr == NULL || !pt_pool_totals(a, totals, &err))
		return false;
	for (int p = PT_POOL_COUNT - 1; p >= 0; p--)
		if (pt_pool_filter_match(o->pool, (uint8_t)p) && totals[p].series > 0 &&
				!add_pool_total(arr, &totals[p]))
			return false;
	return true;
}

/*
 * "groups": lock-step groups, each with its members (tag, tag_hex, pool)
 * in confidence order and the weakest correlation that joined them.
 */
static bool
add_groups(cJSON *doc, const struct pt_analysis *a)
{
	cJSON *arr = cJSON_AddArrayToObject(doc, "groups");
	bool ok = arr != NULL;
	for (size_t g = 0; ok && g < a->groups.n; g++) {
		const struct pt_group *grp = &a->groups.group[g];
		cJSON *obj = cJSON_CreateObject();
		cJSON *members = obj ? cJSON_AddArrayToObject(obj, "members") : NULL;
		ok = members != NULL && cJSON_AddItemToArray(arr, obj) &&
			add_real(obj, "min_correlation", grp->min_corr, 3);
		if (!ok) {
			if (members == NULL)
				cJSON_Delete(obj);
			break;
		}
		for (size_t i = 0; ok && i < grp->n; i++) {
			const struct pt_series *se = &a->ds.series[grp->series[i]];
			char tag[PT_TAG_TEXT_MAX], hex[9];
			pt_tag_hex(se->tag, hex);
			cJSON *m = cJSON_CreateObject();
			ok = m != NULL && cJSON_AddItemToArray(members, m) &&
				cJSON_AddStringToObject(m, "tag",
					pt_tag_escape(se->tag, tag)) != NULL &&
				cJSON_AddStringToObject(m, "tag_hex", hex) != NULL &&
				cJSON_AddStringToObject(m, "pool",
					pt_pool_name(se->pool)) != NULL;
		}
	}
	return ok;
}

/* One pool of "machine": the TTE, the rates it uses and the cross-check. */
static bool
add_pool_tte(cJSON *m, const char *name, const struct pt_pool_tte *p)
{
	cJSON *o = cJSON_AddObjectToObject(m, name);
	return o != NULL &&
		add_real(o, "leak_rate_bytes_per_hour", p->leak_rate, 1) &&
		add_real(o, "likely_rate_bytes_per_hour", p->likely_rate, 1) &&
		add_real(o, "headroom_bytes", p->has_headroom ?
			p->headroom_bytes : NAN, 0) &&
		(p->has_headroom ? cJSON_AddStringToObject(o, "bound", p->bound) :
			cJSON_AddNullToObject(o, "bound")) != NULL &&
		add_real(o, "tte_hours", p->has_tte ? p->tte_hours : NAN, 1) &&
		add_real(o, "tte_likely_hours", p->has_tte_likely ?
			p->tte_likely_hours : NAN, 1) &&
		add_real(o, "tte_accelerating_hours", p->has_tte_accelerating ?
			p->tte_accelerating_hours : NAN, 1) &&
		(p->note != NULL ? cJSON_AddStringToObject(o, "tte_note", p->note) :
			cJSON_AddNullToObject(o, "tte_note")) != NULL &&
		add_real(o, "header_total_trend_bytes_per_hour",
			p->has_total_trend ? p->total_trend_bph : NAN, 1);
}

/* "machine": time to exhaustion per pool and the header cross-checks. */
static bool
add_machine(cJSON *doc, const struct pt_analysis *a)
{
	const struct pt_machine_tte *m = &a->machine;
	cJSON *o = cJSON_AddObjectToObject(doc, "machine");
	return o != NULL &&
		add_pool_tte(o, "nonpaged", &m->pool[PT_POOL_NONPAGED]) &&
		add_pool_tte(o, "paged", &m->pool[PT_POOL_PAGED]) &&
		add_real(o, "available_trend_bytes_per_hour",
			m->has_avail_trend ? m->avail_trend_bph : NAN, 1) &&
		add_real(o, "available_tte_hours",
			m->has_avail_tte ? m->avail_tte_hours : NAN, 1);
}

/*
 * The tags of a report are most of its cJSON nodes, and building them,
 * then freeing them one by one (with glibc merging the freed chunks),
 * cost as much as the rest of the report.  So each worker builds a chunk
 * of tags, prints each tag as it will appear in the document and frees
 * its nodes at once; the caller links the printed tags, as raw JSON, in
 * rank order.  A tag object sits two levels deep (document, "tags"
 * array), where cJSON indents its lines by two more tabs than when it is
 * printed alone; a newline in a printed tag is always cJSON's own (a
 * string's newlines and tabs are escaped).
 */
#define TAG_CHUNK 64
#define TAG_DEPTH 2

struct tags_job {
	const struct pt_analysis *a;
	const struct pt_report_opts *o;
	const size_t *rank;
	size_t n;
	cJSON **items;
};

/* text with TAG_DEPTH tabs after each newline, as a raw item. */
static cJSON *
raw_at_tag_depth(const char *text)
{
	size_t len = strlen(text), lines = 0;
	for (const char *p = text; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	if (lines > (SIZE_MAX - len - 1) / TAG_DEPTH)
		return NULL;
	char *out = malloc(len + lines * TAG_DEPTH + 1);
	if (out == NULL)
		return NULL;
	char *q = out;
	for (const char *p = text; *p != '\0'; p++) {
		*q++ = *p;
		if (*p == '\n')
			for (int d = 0; d < TAG_DEPTH; d++)
				*q++ = '\t';
	}
	*q = '\0';
	cJSON *raw = cJSON_CreateRaw(out);
	free(out);
	return raw;
}

/* The printed tag of rank i + 1, or NULL when out of memory. */
static cJSON *
printed_tag(const struct tags_job *job, size_t i)
{
	cJSON *t = tag_object(job->a, job->o, job->rank[i], i + 1);
	/* A tag prints to about 2 KB: one buffer, seldom grown. */
	char *text = t != NULL ? cJSON_PrintBuffered(t, 4096, 1) : NULL;
	cJSON_Delete(t);
	cJSON *raw = text != NULL ? raw_at_tag_depth(text) : NULL;
	cJSON_free(text);
	return raw;
}

static void
tags_task(void *ctx, size_t worker, size_t chunk)
{
	(void)worker;
	const struct tags_job *job = ctx;
	size_t end = (chunk + 1) * TAG_CHUNK;
	if (end > job->n)
		end = job->n;
	for (size_t i = chunk * TAG_CHUNK; i < end; i++)
		job->items[i] = printed_tag(job, i);
}

/* The first n ranked tags into arr; false when out of memory. */
static bool
add_tags(cJSON *arr, struct tags_job *job, size_t nworkers)
{
	job->items = calloc(job->n ? job->n : 1, sizeof(cJSON *)); // NOLINT(bugprone-sizeof-expression)
	if (job->items == NULL)
		return false;
	pt_workers_run(nworkers, (job->n + TAG_CHUNK - 1) / TAG_CHUNK,
		tags_task, job);
	size_t i = 0;
	for (; i < job->n; i++)
		if (job->items[i] == NULL ||
				!cJSON_AddItemToArray(arr, job->items[i]))
			break;
	bool ok = i == job->n;
	for (; i < job->n; i++)
		cJSON_Delete(job->items[i]);
	free(job->items);
	return ok;
}

static cJSON *
build_document(const struct pt_analysis *a, const size_t *rank, size_t n,
		const struct pt_report_opts *o, size_t nworkers)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *tool = cJSON_CreateObject();
	cJSON *tags = cJSON_CreateArray();
	cJSON *in = input_object(a, o);
	bool ok = doc && tool && tags && in &&
		add_int(doc, "schema_version", PT_JSON_SCHEMA_VERSION);
	if (ok) {
		cJSON_AddItemToObject(doc, "tool", tool);
		cJSON_AddItemToObject(doc, "input", in);
		cJSON_AddItemToObject(doc, "tags", tags);
		tool = in = tags = NULL;
		ok = cJSON_AddStringToObject(cJSON_GetObjectItem(doc, "tool"),
				"name", "pooltrend") &&
			cJSON_AddStringToObject(cJSON_GetObjectItem(doc, "tool"),
				"version", o->version ? o->version : "");
	}
	struct tags_job job = { a, o, rank, pt_report_shown(o, n), NULL };
	ok = ok && add_tags(cJSON_GetObjectItem(doc, "tags"), &job, nworkers);
	ok = ok && add_pools(doc, a, o) && add_groups(doc, a) &&
		add_machine(doc, a);
	if (ok && o->gate != NULL)
		ok = add_gate(doc, a, o->gate);
	cJSON_Delete(tool);
	cJSON_Delete(in);
	cJSON_Delete(tags);
	if (!ok) {
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

bool
pt_json_print(FILE *out, const cJSON *item, bool pretty, struct pt_error *err)
{
	char *text = item == NULL ? NULL :
		pretty ? cJSON_Print(item) : cJSON_PrintUnformatted(item);
	if (text == NULL) {
		pt_error_set(err, 0, "out of memory while writing JSON");
		return false;
	}
	bool ok = fputs(text, out) >= 0 && fputc('\n', out) != EOF;
	cJSON_free(text);
	if (!ok)
		pt_error_set(err, 0, "write error");
	return ok;
}

bool
pt_report_write_json(FILE *out, const struct pt_analysis *a,
		const size_t *rank, size_t n, const struct pt_report_opts *o,
		struct pt_error *err)
{
	size_t nworkers = pt_workers_count(o->threads, SIZE_MAX);
	cJSON *doc = build_document(a, rank, n, o, nworkers);
	bool ok = pt_json_print(out, doc, true, err);
	cJSON_Delete(doc);
	return ok;
}

bool
pt_report_write_jsonl(FILE *out, const struct pt_analysis *a,
		const size_t *rank, size_t n, const struct pt_report_opts *o,
		struct pt_error *err)
{
	size_t shown = pt_report_shown(o, n);
	for (size_t i = 0; i < shown; i++) {
		cJSON *t = tag_object(a, o, rank[i], i + 1);
		bool ok = pt_json_print(out, t, false, err);
		cJSON_Delete(t);
		if (!ok)
			return false;
	}
	return true;
}

/* The JSON helpers, for the diff report (see report_shared.h). */
bool
pt_json_add_int(cJSON *obj, const char *name, int64_t v)
{
	return add_int(obj, name, v);
}

bool
pt_json_add_real(cJSON *obj, const char *name, double v, int decimals)
{
	return add_real(obj, name, v, decimals);
}

bool
pt_json_add_escaped(cJSON *obj, const char *name, const char *s)
{
	if (s == NULL)
		return cJSON_AddNullToObject(obj, name) != NULL;
	char *e = pt_escape(s, strlen(s));
	if (e == NULL)
		return false;
	bool ok = cJSON_AddStringToObject(obj, name, e) != NULL;
	free(e);
	return ok;
}

bool
pt_json_add_time(cJSON *obj, const char *name, bool has, int64_t ms)
{
	return add_time(obj, name, has, ms);
}

bool
pt_json_add_owner(cJSON *obj, const struct pt_analysis *a,
		const struct pt_report_opts *o, size_t idx)
{
	return add_owner(obj, a, o, idx);
}

cJSON *
pt_json_warnings(const struct pt_diags *d)
{
	return warnings_array(d);
}
