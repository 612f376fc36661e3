#include "pooltrend/gate.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pooltrend/source.h"
#include "pooltrend/text.h"

struct base_entry {
	uint8_t tag[4];
	uint8_t pool;
	enum pt_verdict verdict;
	bool has_growth;
	double growth;
	double hi;                /* upper 95% bound, or growth when absent */
};

struct pt_baseline {
	size_t n;
	struct base_entry *e;     /* sorted by tag, then pool */
	bool partial;
	enum pt_pool_filter filter; /* input.pool_filter of the report */
};

static int
entry_cmp(const void *pa, const void *pb)
{
	const struct base_entry *a = pa, *b = pb;
	int c = memcmp(a->tag, b->tag, 4);
	if (c != 0)
		return c;
	return (int)a->pool - (int)b->pool;
}

static bool
parse_pool(const char *s, uint8_t *pool)
{
	if (s != NULL && strcmp(s, "paged") == 0)
		*pool = PT_POOL_PAGED;
	else if (s != NULL && strcmp(s, "nonpaged") == 0)
		*pool = PT_POOL_NONPAGED;
	else
		return false;
	return true;
}

/* Line of the byte at pos, for a JSON syntax error. */
static long
line_at(const char *text, size_t len, const char *pos)
{
	long line = 1;
	if (pos < text || pos > text + len)
		return 0;
	for (const char *p = text; p < pos; p++)
		line += *p == '\n';
	return line;
}

static bool
finite_number(const cJSON *j, double *out)
{
	if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble))
		return false;
	*out = j->valuedouble;
	return true;
}

static bool
parse_entry(const cJSON *t, struct base_entry *e)
{
	const cJSON *verdict = cJSON_GetObjectItemCaseSensitive(t, "verdict");
	if (!pt_tag_from_hex(cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(t, "tag_hex")), e->tag) ||
			!parse_pool(cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(t, "pool")), &e->pool) ||
			!cJSON_IsString(verdict) ||
			!pt_verdict_parse(verdict->valuestring, &e->verdict))
		return false;
	/* null (or absent) is no growth; anything else must be a number. */
	const cJSON *growth = cJSON_GetObjectItemCaseSensitive(t,
		"growth_bytes_per_hour");
	e->has_growth = finite_number(growth, &e->growth);
	if (!e->has_growth && growth != NULL && !cJSON_IsNull(growth))
		return false;
	e->hi = e->has_growth ? e->growth : 0;
	const cJSON *ci = cJSON_GetObjectItemCaseSensitive(t, "growth_ci95");
	double hi;
	if (e->has_growth && cJSON_GetArraySize(ci) == 2 &&
			finite_number(cJSON_GetArrayItem(ci, 1), &hi) && hi > e->hi)
		e->hi = hi;
	return true;
}

/*
 * How many series the report could have listed: those its pool filter let
 * through (input.series_in_filter), or all of them in reports written
 * before that field.
 */
static double
listable_series(const cJSON *doc)
{
	const cJSON *input = cJSON_GetObjectItemCaseSensitive(doc, "input");
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(input, "series_in_filter");
	if (!cJSON_IsNumber(n))
		n = cJSON_GetObjectItemCaseSensitive(input, "series");
	return cJSON_IsNumber(n) ? n->valuedouble : 0;
}

static struct pt_baseline *
baseline_from_json(const cJSON *doc, struct pt_error *err)
{
	const cJSON *version = cJSON_GetObjectItemCaseSensitive(doc, "schema_version");
	const cJSON *tags = cJSON_GetObjectItemCaseSensitive(doc, "tags");
	if (!cJSON_IsObject(doc) || !cJSON_IsNumber(version) || !cJSON_IsArray(tags)) {
		pt_error_set(err, 0, "not a pooltrend JSON report (no schema_version "
			"or tags; write it with --format json)");
		return NULL;
	}
	if (version->valuedouble != PT_JSON_SCHEMA_VERSION) {
		pt_error_set(err, 0, "schema_version %g is not one this pooltrend "
			"reads (%d)", version->valuedouble, PT_JSON_SCHEMA_VERSION);
		return NULL;
	}
	if (cJSON_GetArraySize(tags) > PT_BASELINE_MAX_TAGS) {
		pt_error_set(err, 0, "more than %d tags: not the report of one "
			"machine", PT_BASELINE_MAX_TAGS);
		return NULL;
	}
	struct pt_baseline *b = calloc(1, sizeof(*b));
	size_t n = (size_t)cJSON_GetArraySize(tags);
	if (b != NULL)
		b->e = calloc(n ? n : 1, sizeof(*b->e));
	if (b == NULL || b->e == NULL) {
		free(b);
		pt_error_set(err, 0, "out of memory");
		return NULL;
	}
	const cJSON *t;
	cJSON_ArrayForEach(t, tags) {
		if (!parse_entry(t, &b->e[b->n])) {
			pt_error_set(err, 0, "tags[%zu]: needs tag_hex (8 hex digits), "
				"pool (paged or nonpaged) and verdict, and "
				"growth_bytes_per_hour a number or null", b->n);
			pt_baseline_destroy(b);
			return NULL;
		}
		b->n++;
	}
	qsort(b->e, b->n, sizeof(*b->e), entry_cmp);
	/* A report lists each series once; with two entries the answer
	 * would depend on which one the search meets. */
	for (size_t i = 1; i < b->n; i++) {
		if (entry_cmp(&b->e[i - 1], &b->e[i]) == 0) {
			char hex[9];
			pt_tag_hex(b->e[i].tag, hex);
			pt_error_set(err, 0, "tag_hex %s (%s) is listed twice", hex,
				pt_pool_name(b->e[i].pool));
			pt_baseline_destroy(b);
			return NULL;
		}
	}
	b->partial = (double)b->n < listable_series(doc);
	const cJSON *input = cJSON_GetObjectItemCaseSensitive(doc, "input");
	const char *filter = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(input, "pool_filter"));
	if (filter == NULL || !pt_pool_filter_parse(filter, &b->filter))
		b->filter = PT_FILTER_ALL;
	return b;
}

struct pt_baseline *
pt_baseline_parse(const char *text, size_t len, struct pt_error *err)
{
	const char *end = NULL;
	if (len == 0 || strspn(text, " \t\r\n") == len) {
		pt_error_set(err, 0, "empty file, not a JSON report");
		return NULL;
	}
	cJSON *doc = cJSON_ParseWithLengthOpts(text, len, &end, false);
	if (doc == NULL) {
		pt_error_set(err, line_at(text, len, end), "not valid JSON (or nested "
			"too deeply)");
		return NULL;
	}
	/* Two reports run together, or a broken merge, are not one report. */
	size_t rest = (size_t)(end - text);
	while (rest < len && strchr(" \t\r\n", text[rest]) != NULL && text[rest])
		rest++;
	if (rest < len) {
		pt_error_set(err, line_at(text, len, text + rest), "text after the "
			"JSON document");
		cJSON_Delete(doc);
		return NULL;
	}
	struct pt_baseline *b = baseline_from_json(doc, err);
	cJSON_Delete(doc);
	return b;
}

struct pt_baseline *
pt_baseline_load(const char *path, struct pt_error *err)
{
	struct pt_text text;
	if (!pt_source_read_text(path, PT_BASELINE_MAX_BYTES, &text, err))
		return NULL;
	struct pt_baseline *b = pt_baseline_parse(text.data, text.len, err);
	pt_text_finish(&text);
	return b;
}

void
pt_baseline_destroy(struct pt_baseline *b)
{
	if (b == NULL)
		return;
	free(b->e);
	free(b);
}

size_t
pt_baseline_count(const struct pt_baseline *b)
{
	return b->n;
}

bool
pt_baseline_partial(const struct pt_baseline *b)
{
	return b->partial;
}

bool
pt_baseline_covers(const struct pt_baseline *b, enum pt_pool_filter now)
{
	return b->filter == PT_FILTER_ALL || b->filter == now;
}

static const struct base_entry *
baseline_find(const struct pt_baseline *b, const uint8_t tag[4], uint8_t pool)
{
	struct base_entry key = {0};
	memcpy(key.tag, tag, 4);
	key.pool = pool;
	return bsearch(&key, b->e, b->n, sizeof(*b->e), entry_cmp);
}

static double
unit_factor(const char *u, size_t n)
{
	static const struct { const char *name; double factor; } units[] = {
		{ "", 1 }, { "b", 1 },
		{ "k", 1024.0 }, { "kb", 1024.0 },
		{ "m", 1048576.0 }, { "mb", 1048576.0 },
		{ "g", 1073741824.0 }, { "gb", 1073741824.0 },
	};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i].name) == n && strncasecmp(u, units[i].name, n) == 0)
			return units[i].factor;
	return 0;
}

static double
period_hours(const char *p)
{
	if (*p == '\0' || strcasecmp(p, "/h") == 0 || strcasecmp(p, "/hour") == 0)
		return 1;
	if (strcasecmp(p, "/d") == 0 || strcasecmp(p, "/day") == 0)
		return 24;
	return 0;
}

bool
pt_rate_parse(const char *s, double *bytes_per_hour)
{
	/* strtod would take "inf", "nan", hex and leading blanks. */
	size_t digits = strspn(s, "0123456789.");
	if (digits == 0 || strspn(s, ".") == digits)
		return false;
	char *end;
	double v = strtod(s, &end);
	if (end != s + digits || !isfinite(v))
		return false;
	size_t ulen = strcspn(end, "/");
	double factor = unit_factor(end, ulen);
	double hours = period_hours(end + ulen);
	if (factor == 0 || hours == 0)
		return false;
	double bph = v * factor / hours;
	if (!isfinite(bph))
		return false;
	*bytes_per_hour = bph;
	return true;
}

const char *
pt_gate_change_name(enum pt_gate_change c)
{
	switch (c) {
	case PT_CHANGE_NEW: return "new";
	case PT_CHANGE_NOW_TRIPS: return "now-trips";
	case PT_CHANGE_VERDICT_UP: return "verdict-up";
	case PT_CHANGE_FASTER: return "faster";
	case PT_CHANGE_NO_WORSE: return "no-worse";
	case PT_CHANGE_NONE: break;
	}
	return "none";
}

/*
 * The verdict bar is --fail-on, or possible when only --fail-above was
 * given: a tag that rises and falls with load is no leak however fast it
 * moves.  --fail-above then also asks for growth above the rate.
 */
static bool
trips(const struct pt_gate_opts *o, enum pt_verdict v, bool has_growth,
		double growth)
{
	enum pt_verdict bar = o->use_verdict ? o->fail_on : PT_VERDICT_POSSIBLE;
	if (v < bar)
		return false;
	return !o->use_rate || (has_growth && growth > o->fail_above_bph);
}

/* Faster beyond noise: more than PT_GATE_WORSE_FACTOR times, and the
 * lower end of today's interval above the upper end of the baseline's. */
static bool
clearly_faster(const struct pt_score *s, const struct base_entry *b)
{
	if (!s->has_growth || !b->has_growth)
		return false;
	double lo = isfinite(s->growth_lo) ? s->growth_lo : s->growth_bph;
	return s->growth_bph > PT_GATE_WORSE_FACTOR * b->growth && lo > b->hi;
}

static enum pt_gate_change
compare_to_baseline(const struct pt_gate_opts *o, const struct pt_score *s,
		const struct base_entry *b)
{
	if (o->baseline == NULL)
		return PT_CHANGE_NONE;
	if (b == NULL)
		return PT_CHANGE_NEW;
	if (!trips(o, b->verdict, b->has_growth, b->growth))
		return PT_CHANGE_NOW_TRIPS;
	if (s->verdict > b->verdict)
		return PT_CHANGE_VERDICT_UP;
	if (clearly_faster(s, b))
		return PT_CHANGE_FASTER;
	return PT_CHANGE_NO_WORSE;
}

static void
describe_baseline(const struct base_entry *b, char *out, size_t size)
{
	char rate[40];
	if (b->has_growth)
		(void)snprintf(out, size, "%s at %s", pt_verdict_name(b->verdict),
			pt_human_rate(b->growth, rate));
	else
		(void)snprintf(out, size, "%s", pt_verdict_name(b->verdict));
}

/* snprintf at *used, which never passes the end (output is cut). */
__attribute__((format(printf, 4, 5)))
static void
append(char *buf, size_t size, size_t *used, const char *fmt, ...)
{
	if (*used + 1 >= size)
		return;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(buf + *used, size - *used, fmt, ap);
	va_end(ap);
	if (k > 0)
		*used += (size_t)k < size - *used ? (size_t)k : size - *used - 1;
}

static void
write_reason(const struct pt_gate_opts *o, const struct pt_score *s,
		const struct base_entry *b, struct pt_gate_hit *h)
{
	char rate[40], limit[40], before[80] = "";
	const char *now = s->has_growth ? pt_human_rate(s->growth_bph, rate) :
		"no growth measured";
	if (b != NULL)
		describe_baseline(b, before, sizeof(before));
	const char *change = "";
	switch (h->change) {
	case PT_CHANGE_NEW: change = "; new since the baseline"; break;
	case PT_CHANGE_NOW_TRIPS:
	case PT_CHANGE_VERDICT_UP:
	case PT_CHANGE_FASTER: change = "; worse than the baseline, where it was "; break;
	case PT_CHANGE_NO_WORSE: change = "; no worse than the baseline (not counted), where it was "; break;
	case PT_CHANGE_NONE: break;
	}
	size_t used = 0;
	append(h->reason, sizeof(h->reason), &used, "%s at %s",
		pt_verdict_name(s->verdict), now);
	if (o->use_rate)
		append(h->reason, sizeof(h->reason), &used, ", above --fail-above %s",
			o->fail_above_text ? o->fail_above_text :
			pt_human_rate(o->fail_above_bph, limit));
	append(h->reason, sizeof(h->reason), &used, "%s%s", change,
		h->change == PT_CHANGE_NEW ? "" : before);
}

static bool
evaluate(const struct pt_analysis *a, const struct pt_gate_opts *o, size_t s,
		struct pt_gate_hit *h)
{
	const struct pt_score *sc = &a->scores[s];
	const struct pt_series *se = &a->ds.series[s];
	memset(h, 0, sizeof(*h));
	h->series = s;
	if (!pt_pool_filter_match(o->pool, se->pool) ||
			!trips(o, sc->verdict, sc->has_growth, sc->growth_bph))
		return false;
	h->verdict = sc->verdict;
	h->has_growth = sc->has_growth;
	h->growth_bph = sc->has_growth ? sc->growth_bph : 0;
	const struct base_entry *b = o->baseline ?
		baseline_find(o->baseline, se->tag, se->pool) : NULL;
	h->in_baseline = b != NULL;
	if (b != NULL) {
		h->base_verdict = b->verdict;
		h->base_has_growth = b->has_growth;
		h->base_growth_bph = b->growth;
	}
	h->change = compare_to_baseline(o, sc, b);
	h->counts = h->change != PT_CHANGE_NO_WORSE;
	write_reason(o, sc, b, h);
	return true;
}

/* Worst first: higher verdict, then faster growth, then series order. */
static int
hit_cmp(const void *pa, const void *pb)
{
	const struct pt_gate_hit *a = pa, *b = pb;
	if (a->verdict != b->verdict)
		return a->verdict > b->verdict ? -1 : 1;
	if (a->growth_bph != b->growth_bph)
		return a->growth_bph > b->growth_bph ? -1 : 1;
	return a->series < b->series ? -1 : a->series > b->series;
}

bool
pt_gate_check(const struct pt_analysis *a, const struct pt_gate_opts *o,
		struct pt_gate *out, struct pt_error *err)
{
	memset(out, 0, sizeof(*out));
	out->opts = *o;
	size_t nseries = a->ds.nseries;
	out->hits = calloc(nseries ? nseries : 1, sizeof(*out->hits));
	struct pt_gate_hit *held = calloc(nseries ? nseries : 1, sizeof(*held));
	if (out->hits == NULL || held == NULL) {
		free(out->hits);
		free(held);
		out->hits = NULL;
		pt_error_set(err, 0, "out of memory");
		return false;
	}
	size_t nheld = 0;
	for (size_t s = 0; s < nseries; s++) {
		struct pt_gate_hit h;
		if (!evaluate(a, o, s, &h))
			continue;
		if (h.counts)
			out->hits[out->counted++] = h;
		else
			held[nheld++] = h;
	}
	memcpy(out->hits + out->counted, held, nheld * sizeof(*held));
	free(held);
	qsort(out->hits, out->counted, sizeof(*out->hits), hit_cmp);
	qsort(out->hits + out->counted, nheld, sizeof(*out->hits), hit_cmp);
	out->n = out->counted + nheld;
	out->tripped = out->counted > 0;
	return true;
}

void
pt_gate_finish(struct pt_gate *g)
{
	free(g->hits);
	g->hits = NULL;
	g->n = g->counted = 0;
}
