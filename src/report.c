#include "pooltrend/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pooltrend/owner.h"
#include "pooltrend/pooltag.h"

struct word { const char *name; int value; };

static bool
lookup(const struct word *w, size_t n, const char *name, int *out)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(w[i].name, name) == 0) {
			*out = w[i].value;
			return true;
		}
	}
	return false;
}

#define LOOKUP(table, name, out) \
	lookup((table), sizeof(table) / sizeof((table)[0]), (name), (out))

const char *
pt_verdict_color(enum pt_verdict v)
{
	switch (v) {
	case PT_VERDICT_LIKELY: return "\033[1;31m";
	case PT_VERDICT_POSSIBLE: return "\033[33m";
	case PT_VERDICT_UNLIKELY: break;
	}
	return "\033[2m";
}

bool
pt_format_parse(const char *word, enum pt_format *out)
{
	static const struct word t[] = {
		{ "text", PT_FORMAT_TEXT }, { "json", PT_FORMAT_JSON },
		{ "csv", PT_FORMAT_CSV }, { "tsv", PT_FORMAT_TSV },
		{ "jsonl", PT_FORMAT_JSONL },
	};
	int v;
	if (!LOOKUP(t, word, &v))
		return false;
	*out = (enum pt_format)v;
	return true;
}

bool
pt_sort_key_parse(const char *word, enum pt_sort_key *out)
{
	static const struct word t[] = {
		{ "confidence", PT_SORT_CONFIDENCE }, { "growth", PT_SORT_GROWTH },
		{ "bytes", PT_SORT_BYTES }, { "tag", PT_SORT_TAG },
		{ "allocs", PT_SORT_ALLOCS }, { "frees", PT_SORT_FREES },
		{ "diff", PT_SORT_DIFF }, { "impact", PT_SORT_IMPACT },
		{ "tte", PT_SORT_TTE },
	};
	int v;
	if (!LOOKUP(t, word, &v))
		return false;
	*out = (enum pt_sort_key)v;
	return true;
}

bool
pt_pool_filter_parse(const char *word, enum pt_pool_filter *out)
{
	static const struct word t[] = {
		{ "all", PT_FILTER_ALL }, { "nonpaged", PT_FILTER_NONPAGED },
		{ "paged", PT_FILTER_PAGED },
	};
	int v;
	if (!LOOKUP(t, word, &v))
		return false;
	*out = (enum pt_pool_filter)v;
	return true;
}

/* qsort has no context argument in C11: the comparison reads these. */
struct rank_ctx {
	const struct pt_analysis *a;
	enum pt_sort_key key;
};
static _Thread_local struct rank_ctx rank_ctx;

static int
cmp_double_desc(double x, double y)
{
	if (isnan(x))
		x = -INFINITY;
	if (isnan(y))
		y = -INFINITY;
	return (x < y) - (x > y);
}

static int
cmp_i64_desc(int64_t x, int64_t y)
{
	return (x < y) - (x > y);
}

static double
growth_of(const struct pt_score *s)
{
	return s->has_growth ? s->growth_bph : -INFINITY;
}

static int
compare_by_key(const struct pt_score *x, const struct pt_score *y,
		const struct pt_series *sx, const struct pt_series *sy)
{
	switch (rank_ctx.key) {
	case PT_SORT_CONFIDENCE: {
		int c = cmp_double_desc(x->confidence, y->confidence);
		return c ? c : cmp_double_desc(growth_of(x), growth_of(y));
	}
	case PT_SORT_GROWTH:
		return cmp_double_desc(growth_of(x), growth_of(y));
	case PT_SORT_BYTES:
		return cmp_i64_desc(x->bytes_last, y->bytes_last);
	case PT_SORT_TAG:
		return memcmp(sx->tag, sy->tag, 4);
	case PT_SORT_ALLOCS:
		return cmp_i64_desc(x->allocs_last, y->allocs_last);
	case PT_SORT_FREES:
		return cmp_i64_desc(x->frees_last, y->frees_last);
	case PT_SORT_DIFF:
		return cmp_i64_desc(x->diff_last, y->diff_last);
	case PT_SORT_IMPACT: {
		int c = cmp_double_desc(pt_rank_impact(x), pt_rank_impact(y));
		if (c == 0)
			c = cmp_double_desc(x->confidence, y->confidence);
		return c ? c : cmp_double_desc(growth_of(x), growth_of(y));
	}
	case PT_SORT_TTE:
		/* Soonest first; series without a TTE after, by confidence. */
		if (x->has_tte != y->has_tte)
			return x->has_tte ? -1 : 1;
		if (x->has_tte && x->tte_hours != y->tte_hours)
			return x->tte_hours < y->tte_hours ? -1 : 1;
		return cmp_double_desc(x->confidence, y->confidence);
	}
	return 0;
}

static int
compare_rank(const void *pa, const void *pb)
{
	size_t ia = *(const size_t *)pa, ib = *(const size_t *)pb;
	const struct pt_analysis *a = rank_ctx.a;
	const struct pt_series *sa = &a->ds.series[ia], *sb = &a->ds.series[ib];
	int c = compare_by_key(&a->scores[ia], &a->scores[ib], sa, sb);
	if (c == 0)
		c = memcmp(sa->tag, sb->tag, 4);
	if (c == 0)
		c = (int)sa->pool - (int)sb->pool;
	return c;
}

bool
pt_pool_filter_match(enum pt_pool_filter f, uint8_t pool)
{
	switch (f) {
	case PT_FILTER_NONPAGED: return pool == PT_POOL_NONPAGED;
	case PT_FILTER_PAGED: return pool == PT_POOL_PAGED;
	case PT_FILTER_ALL: break;
	}
	return true;
}

size_t *
pt_report_rank(const struct pt_analysis *a, const struct pt_report_opts *o,
		size_t *n)
{
	size_t m = a->ds.nseries;
	size_t *idx = malloc((m ? m : 1) * sizeof(*idx));
	if (idx == NULL)
		return NULL;
	size_t k = 0;
	for (size_t s = 0; s < m; s++)
		if (pt_pool_filter_match(o->pool, a->ds.series[s].pool))
			idx[k++] = s;
	rank_ctx = (struct rank_ctx){ a, o->sort };
	qsort(idx, k, sizeof(*idx), compare_rank);
	*n = k;
	return idx;
}

bool
pt_report_write(FILE *out, const struct pt_analysis *a,
		const struct pt_report_opts *o, struct pt_error *err)
{
	size_t n;
	size_t *rank = pt_report_rank(a, o, &n);
	if (rank == NULL) {
		pt_error_set(err, 0, "out of memory");
		return false;
	}
	bool ok;
	switch (o->format) {
	case PT_FORMAT_JSON:
		ok = pt_report_write_json(out, a, rank, n, o, err);
		break;
	case PT_FORMAT_CSV:
		ok = pt_report_write_table(out, a, rank, n, o, ',', err);
		break;
	case PT_FORMAT_TSV:
		ok = pt_report_write_table(out, a, rank, n, o, '\t', err);
		break;
	case PT_FORMAT_JSONL:
		ok = pt_report_write_jsonl(out, a, rank, n, o, err);
		break;
	case PT_FORMAT_TEXT:
	default:
		ok = pt_report_write_text(out, a, rank, n, o, err);
		break;
	}
	free(rank);
	return ok;
}

bool
pt_report_owner(const struct pt_analysis *a, const struct pt_report_opts *o,
		size_t s, struct pt_owner *out)
{
	const struct pt_series *se = &a->ds.series[s];
	memset(out, 0, sizeof(*out));
	if (se->mapped != NULL && strcmp(se->mapped, "Unknown Driver") != 0) {
		out->source = "dump";
		out->text = se->mapped;
		return true;
	}
	if (o == NULL || o->pooltag == NULL)
		return false;
	const struct pt_pooltag_entry *best;
	if (pt_pooltag_lookup(o->pooltag, se->tag, &best, 1) == 0)
		return false;
	out->source = "pooltag";
	out->binary = best->binary;
	out->description = best->description;
	return true;
}

const struct pt_owner_hit *
pt_report_driver(const struct pt_analysis *a, const struct pt_report_opts *o,
		size_t s)
{
	if (o == NULL || o->drivers == NULL ||
			a->scores[s].verdict < PT_VERDICT_POSSIBLE)
		return NULL;
	const struct pt_owner_tag *t = pt_owner_scan_find(o->drivers,
		a->ds.series[s].tag);
	return t != NULL && t->nhits > 0 &&
		t->hits[0].confidence >= PT_OWNER_MIN_DRIVER ? &t->hits[0] : NULL;
}

char *
pt_sparkline(const struct pt_analysis *a, size_t s, size_t width,
		bool unicode, char *out)
{
	static const char ascii[] = "_.-~=+*#";
	const struct pt_dataset *ds = &a->ds;
	const int64_t *bytes = pt_dataset_col(ds, ds->bytes, s);
	const uint64_t *present = pt_dataset_present(ds, s);
	size_t cols = ds->nsnap < width ? ds->nsnap : width;
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	for (size_t i = 0; i < ds->nsnap; i++) {
		if (!pt_is_present(present, i))
			continue;
		lo = bytes[i] < lo ? bytes[i] : lo;
		hi = bytes[i] > hi ? bytes[i] : hi;
	}
	char *o = out;
	for (size_t c = 0; c < cols; c++) {
		/* the last present sample of the snapshots this column covers */
		size_t from = c * ds->nsnap / cols, to = (c + 1) * ds->nsnap / cols;
		size_t pick = SIZE_MAX;
		for (size_t i = from; i < to; i++)
			if (pt_is_present(present, i))
				pick = i;
		if (pick == SIZE_MAX) {
			*o++ = ' ';
			continue;
		}
		/* A flat series sits in the middle, as spark(1) does. */
		int level = hi > lo ? (int)((double)(bytes[pick] - lo) * 7.0 /
			(double)(hi - lo) + 0.5) : 3;
		if (unicode) {
			/* U+2581 + level in UTF-8: E2 96 81..88 */
			*o++ = (char)0xe2;
			*o++ = (char)0x96;
			*o++ = (char)(0x81 + level);
		} else {
			*o++ = ascii[level];
		}
	}
	*o = '\0';
	return out;
}

char *
pt_human_rate(double bytes_per_hour, char out[40])
{
	char h[32];
	pt_human_bytes(bytes_per_hour, h);
	/* Fits: a sign, at most 31 bytes, "/h" and the NUL. */
	(void)snprintf(out, 40, "%s%s/h", bytes_per_hour > 0 ? "+" : "", h);
	return out;
}

char *
pt_human_bytes(double bytes, char out[32])
{
	static const char *units[] = { "B", "KB", "MB", "GB", "TB", "PB", "EB" };
	double v = fabs(bytes);
	size_t u = 0;
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	const char *sign = bytes < 0 ? "-" : "";
	int k = u == 0 ? snprintf(out, 32, "%s%.0f B", sign, v) :
		snprintf(out, 32, v < 10 ? "%s%.2f %s" : v < 100 ? "%s%.1f %s" :
			"%s%.0f %s", sign, v, units[u]);
	/* Past 10^25 EB the digits would be cut: use an exponent, which
	 * always fits ("-1.798e+308 EB"). */
	if (k < 0 || k >= 32)
		(void)snprintf(out, 32, "%s%.3e %s", sign, v, units[u]);
	return out;
}
