#include "pooltrend/timeline.h"

#include <stdlib.h>
#include <string.h>

#include "pooltrend/text.h"
#include "pooltrend/timestamp.h"

#define MS_PER_SEC INT64_C(1000)
#define MS_PER_HOUR (3600 * MS_PER_SEC)
/* int64_t from the first product on. */
#define MS_PER_YEAR (MS_PER_HOUR * 24 * 365)

/* Per-occurrence warnings beyond this many are folded into one summary, so
 * a shuffled million-file series does not bury everything else. */
#define MAX_EACH_WARNING 10

static const char *const source_names[] = {
	[PT_TIME_AUTO] = "auto",
	[PT_TIME_EMBEDDED] = "embedded",
	[PT_TIME_NAME] = "name",
	[PT_TIME_MTIME] = "mtime",
	[PT_TIME_INTERVAL] = "interval",
	[PT_TIME_INDEX] = "index",
};

#define N_SOURCES (sizeof(source_names) / sizeof(source_names[0]))

const char *
pt_time_source_name(enum pt_time_source s)
{
	if ((size_t)s >= N_SOURCES)
		return "?";
	return source_names[s];
}

bool
pt_time_source_is_relative(enum pt_time_source s)
{
	return s == PT_TIME_INTERVAL || s == PT_TIME_INDEX;
}

bool
pt_time_source_parse(const char *word, enum pt_time_source *out)
{
	if (word == NULL)
		return false;
	for (size_t k = 0; k < N_SOURCES; k++) {
		if (strcmp(word, source_names[k]) == 0) {
			*out = (enum pt_time_source)k;
			return true;
		}
	}
	return false;
}

/* ---- durations -------------------------------------------------------- */

static bool
unit_ms(const char *u, double *ms)
{
	static const struct {
		const char *name;
		double ms;
	} units[] = {
		{ "", 1000.0 }, { "s", 1000.0 }, { "m", 60000.0 },
		{ "min", 60000.0 }, { "h", 3600000.0 }, { "d", 86400000.0 },
	};
	for (size_t k = 0; k < sizeof(units) / sizeof(units[0]); k++) {
		if (strcmp(u, units[k].name) == 0) {
			*ms = units[k].ms;
			return true;
		}
	}
	return false;
}

/*
 * Digits with an optional fraction, parsed by hand: strtod would also take
 * signs, blanks, "nan", "inf" and hex floats, none of which is a duration.
 */
bool
pt_duration_parse(const char *s, int64_t *ms)
{
	if (s == NULL)
		return false;
	double v = 0.0, scale = 1.0;
	size_t ndig = 0, i = 0;
	for (; s[i] >= '0' && s[i] <= '9'; i++, ndig++)
		v = v * 10.0 + (s[i] - '0');
	if (s[i] == '.') {
		for (i++; s[i] >= '0' && s[i] <= '9'; i++, ndig++) {
			scale /= 10.0;
			v += (s[i] - '0') * scale;
		}
	}
	double per;
	if (ndig == 0 || !unit_ms(s + i, &per))
		return false;
	/* Comparing before converting keeps huge digit strings (even ones
	 * that reach infinity) from overflowing the integer. */
	double total = v * per;
	if (!(total >= 0.5) || total > (double)MS_PER_YEAR)
		return false;
	*ms = (int64_t)(total + 0.5);
	return true;
}

/* ---- per-source access ------------------------------------------------ */

/* Auto never names a time of its own, so it doubles as "the assigned time"
 * wherever code walks times of some source. */
#define ASSIGNED PT_TIME_AUTO

static bool
has_time(const struct pt_time_entry *e, enum pt_time_source s)
{
	switch (s) {
	case PT_TIME_EMBEDDED:
		return e->has_embedded;
	case PT_TIME_NAME:
		return e->has_name;
	case PT_TIME_MTIME:
		return e->has_mtime;
	default:
		return false;
	}
}

static int64_t
time_of(const struct pt_time_entry *e, enum pt_time_source s)
{
	switch (s) {
	case PT_TIME_EMBEDDED:
		return e->embedded_ms;
	case PT_TIME_NAME:
		return e->name_ms;
	case PT_TIME_MTIME:
		return e->mtime_ms;
	default:
		return e->t_ms;
	}
}

/* How a source is named in messages about it. */
static const char *
source_phrase(enum pt_time_source s)
{
	switch (s) {
	case PT_TIME_EMBEDDED:
		return "embedded timestamp";
	case PT_TIME_NAME:
		return "timestamp in the file name";
	case PT_TIME_MTIME:
		return "modification time";
	case PT_TIME_INTERVAL:
		return "--interval spacing";
	default:
		return "snapshot index";
	}
}

/* ---- sorting ---------------------------------------------------------- */

/* qsort has no context pointer, so the key array travels in a pair. */
struct keyed {
	int64_t t;
	size_t i;
};

/* Ties break on input position, which makes qsort stable. */
static int
cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Fill k with (time under source s, index) and sort it. */
static void
sort_by(struct keyed *k, const struct pt_time_entry *e, size_t n,
		enum pt_time_source s)
{
	for (size_t i = 0; i < n; i++)
		k[i] = (struct keyed){ time_of(&e[i], s), i };
	qsort(k, n, sizeof(*k), cmp_keyed);
}

static size_t
coverage(const struct pt_time_entry *e, size_t n, enum pt_time_source s)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += has_time(&e[i], s);
	return c;
}

static size_t
first_lacking(const struct pt_time_entry *e, size_t n, enum pt_time_source s)
{
	size_t i = 0;
	while (i < n && has_time(&e[i], s))
		i++;
	return i;
}

/* Number of entries whose time equals an earlier one (k sorted). */
static size_t
count_repeats(const struct keyed *k, size_t n)
{
	size_t r = 0;
	for (size_t i = 1; i < n; i++)
		r += k[i].t == k[i - 1].t;
	return r;
}

/* ---- choosing a source ------------------------------------------------ */

struct ctx {
	struct pt_time_entry *e;
	size_t n;
	struct keyed *k;
	struct pt_diags *diags;
};

static bool
dates_every_distinctly(struct ctx *c, enum pt_time_source s, size_t *repeats)
{
	*repeats = 0;
	if (coverage(c->e, c->n, s) != c->n)
		return false;
	sort_by(c->k, c->e, c->n, s);
	*repeats = count_repeats(c->k, c->n);
	return *repeats == 0;
}

/* Auto skipped s: tell the user why, once, so a mostly-dated series that
 * silently falls back to mtime is not a mystery. */
static void
note_skipped(struct ctx *c, enum pt_time_source s, size_t have,
		size_t repeats)
{
	if (have == 0)
		return;
	if (have < c->n) {
		const struct pt_time_entry *x =
			&c->e[first_lacking(c->e, c->n, s)];
		pt_diags_add(c->diags, PT_SEV_NOTE, x->file, x->line,
			"%s found for only %zu of %zu snapshots (not this one); "
			"not used", source_phrase(s), have, c->n);
	} else {
		pt_diags_add(c->diags, PT_SEV_NOTE, NULL, 0,
			"%s dates all %zu snapshots but %zu share a time with "
			"another; not used", source_phrase(s), c->n, repeats);
	}
}

static enum pt_time_source
choose_auto(struct ctx *c, int64_t interval_ms)
{
	static const enum pt_time_source clocks[] = {
		PT_TIME_EMBEDDED, PT_TIME_NAME, PT_TIME_MTIME,
	};
	for (size_t k = 0; k < 3; k++) {
		size_t repeats;
		if (dates_every_distinctly(c, clocks[k], &repeats))
			return clocks[k];
		note_skipped(c, clocks[k], coverage(c->e, c->n, clocks[k]),
			repeats);
	}
	return interval_ms > 0 ? PT_TIME_INTERVAL : PT_TIME_INDEX;
}

static bool
check_forced(struct ctx *c, enum pt_time_source s, int64_t interval_ms,
		struct pt_error *err)
{
	if (s == PT_TIME_INTERVAL && interval_ms <= 0) {
		pt_error_set(err, 0, "time source interval needs a positive "
			"--interval");
		return false;
	}
	if (s == PT_TIME_INTERVAL || s == PT_TIME_INDEX)
		return true;
	size_t i = first_lacking(c->e, c->n, s);
	if (i == c->n)
		return true;
	const struct pt_time_entry *x = &c->e[i];
	const char *f = x->file != NULL ? x->file : "(input)";
	char *esc = pt_escape(f, strlen(f));
	pt_error_set(err, x->line, "%s:%ld: no %s for this snapshot",
		esc != NULL ? esc : "?", x->line, source_phrase(s));
	free(esc);
	return false;
}

static void
assign_times(struct ctx *c, enum pt_time_source s, int64_t interval_ms)
{
	for (size_t i = 0; i < c->n; i++) {
		if (s == PT_TIME_INTERVAL)
			c->e[i].t_ms = (int64_t)i * interval_ms;
		else if (s == PT_TIME_INDEX)
			c->e[i].t_ms = (int64_t)i * MS_PER_HOUR;
		else
			c->e[i].t_ms = time_of(&c->e[i], s);
	}
}

/* ---- warnings --------------------------------------------------------- */

static void
warn_backwards(struct ctx *c)
{
	size_t count = 0;
	for (size_t i = 1; i < c->n; i++) {
		const struct pt_time_entry *x = &c->e[i], *prev = &c->e[i - 1];
		if (x->t_ms >= prev->t_ms)
			continue;
		if (++count > MAX_EACH_WARNING)
			continue;
		char a[32], b[32];
		pt_diags_add(c->diags, PT_SEV_WARNING, x->file, x->line,
			"time goes backwards: %s is earlier than the previous "
			"snapshot (%s); snapshots are ordered by time",
			pt_stamp_format(x->t_ms, a), pt_stamp_format(prev->t_ms, b));
	}
	if (count > MAX_EACH_WARNING)
		pt_diags_add(c->diags, PT_SEV_WARNING, NULL, 0,
			"time goes backwards at %zu more snapshots",
			count - MAX_EACH_WARNING);
}

/* c->k must hold the final order (sorted by t_ms). */
static void
warn_repeats(struct ctx *c, enum pt_time_source s)
{
	/* One warning, at the first repeat: the rest say nothing new. */
	size_t count = 0;
	const struct pt_time_entry *first = NULL;
	for (size_t r = 1; r < c->n; r++) {
		if (c->k[r].t != c->k[r - 1].t)
			continue;
		if (count++ == 0)
			first = &c->e[c->k[r].i];
	}
	if (first == NULL)
		return;
	char a[32];
	pt_diags_add(c->diags, PT_SEV_WARNING, first->file, first->line,
		"repeated time: %s (%s) also dates an earlier snapshot; "
		"%zu snapshot%s in all repeat an earlier time, and no rate is "
		"computed between them", pt_stamp_format(first->t_ms, a),
		source_phrase(s), count, count == 1 ? "" : "s");
}

/*
 * Compare the chosen times with another source that dates every snapshot
 * distinctly.
 * c->k holds the final order.  Returns the entry where the other source's
 * order first disagrees, or n when it never does.
 */
static size_t
order_conflict(const struct ctx *c, enum pt_time_source other)
{
	for (size_t r = 1; r < c->n; r++) {
		const struct pt_time_entry *x = &c->e[c->k[r].i];
		const struct pt_time_entry *prev = &c->e[c->k[r - 1].i];
		if (time_of(x, other) < time_of(prev, other))
			return c->k[r].i;
	}
	return c->n;
}

static int64_t
span_of(const struct pt_time_entry *e, size_t n, enum pt_time_source s)
{
	int64_t lo = time_of(&e[0], s), hi = lo;
	for (size_t i = 1; i < n; i++) {
		int64_t t = time_of(&e[i], s);
		lo = t < lo ? t : lo;
		hi = t > hi ? t : hi;
	}
	return hi - lo;
}

static bool
spans_agree(int64_t a, int64_t b)
{
	/* Doubles: spans near INT64_MAX must not overflow when doubled. */
	double x = (double)a, y = (double)b;
	return x <= 2.0 * y && y <= 2.0 * x;
}

/*
 * Does s give every snapshot its own time?  A file's mtime shared by the
 * many snapshots appended to it is no clock for them, so comparing it
 * would only produce a false alarm.
 */
static bool
dates_distinctly(const struct pt_time_entry *e, size_t n,
		enum pt_time_source s)
{
	if (coverage(e, n, s) != n)
		return false;
	struct keyed *k = malloc(n * sizeof(*k));
	if (k == NULL)
		return false;
	sort_by(k, e, n, s);
	bool distinct = count_repeats(k, n) == 0;
	free(k);
	return distinct;
}

static void
warn_disagreement(struct ctx *c, enum pt_time_source chosen)
{
	static const enum pt_time_source clocks[] = {
		PT_TIME_EMBEDDED, PT_TIME_NAME, PT_TIME_MTIME,
	};
	if (chosen == PT_TIME_INDEX || c->n < 2)
		return;
	int64_t span = span_of(c->e, c->n, ASSIGNED);
	for (size_t k = 0; k < 3; k++) {
		enum pt_time_source o = clocks[k];
		if (o == chosen || !dates_distinctly(c->e, c->n, o))
			continue;
		size_t at = order_conflict(c, o);
		int64_t ospan = span_of(c->e, c->n, o);
		if (at == c->n && spans_agree(span, ospan))
			continue;
		const struct pt_time_entry *x = &c->e[at < c->n ? at : 0];
		double h = (double)span / 3.6e6, oh = (double)ospan / 3.6e6;
		pt_diags_add(c->diags, PT_SEV_WARNING, x->file, x->line,
			"%s and %s disagree (%s; spans %.3g h and %.3g h); "
			"using %s", source_phrase(chosen), source_phrase(o),
			at < c->n ? "they order this snapshot differently"
				: "same order",
			h, oh, source_phrase(chosen));
	}
}

/* ---- day/month order of ambiguous dates -------------------------------- */

/*
 * The ambiguous forms are read once per series, not per stamp: reading
 * each stamp the way it happens to make sense swaps only the days above 12
 * and so reorders a series that crosses a month end, and reading every
 * ambiguous one month first turns 10 and 11 May into October and
 * November, a span of a month where there were hours.
 */

/* A long gap is worth a look from this multiple of the median interval. */
#define GAP_FACTOR 100.0

static enum pt_stamp_kind
kind_of(const struct pt_time_entry *e, enum pt_time_source s)
{
	if (s == PT_TIME_EMBEDDED)
		return e->embedded_kind;
	return s == PT_TIME_NAME ? e->name_kind : PT_STAMP_NONE;
}

/* Store an ambiguous stamp's time as read in order o, with the kind that
 * says so, so that settling the same entries again changes nothing. */
static void
set_reading(struct pt_time_entry *e, enum pt_time_source s, int64_t ms,
		enum pt_date_order o)
{
	bool day_first = o == PT_DATE_DMY;
	if (s == PT_TIME_EMBEDDED) {
		e->embedded_ms = ms;
		e->embedded_kind = day_first ? PT_STAMP_BATCH_DAY_FIRST
			: PT_STAMP_BATCH;
	} else {
		e->name_ms = ms;
		e->name_kind = day_first ? PT_STAMP_NAME_SEP_DAY_FIRST
			: PT_STAMP_NAME_SEP;
	}
}

static void
drop_time(struct pt_time_entry *e, enum pt_time_source s)
{
	if (s == PT_TIME_EMBEDDED)
		e->has_embedded = false;
	else
		e->has_name = false;
}

/* A stamp's time under each order, indexed by enum pt_date_order. */
struct readings {
	bool ok[3];
	int64_t ms[3];
};

/* False when the entry has no time of s or its form fixes the order. */
static bool
readings_of(const struct pt_time_entry *e, enum pt_time_source s,
		struct readings *r)
{
	enum pt_date_order read = pt_stamp_read_order(kind_of(e, s));
	if (!has_time(e, s) || read == PT_DATE_AUTO)
		return false;
	enum pt_date_order other = read == PT_DATE_MDY ? PT_DATE_DMY
		: PT_DATE_MDY;
	memset(r, 0, sizeof(*r));
	r->ok[read] = true;
	r->ms[read] = time_of(e, s);
	r->ok[other] = pt_stamp_swap_day_month(r->ms[read], &r->ms[other]);
	return true;
}

/* What was found and decided for one source's ambiguous dates. */
struct order_choice {
	enum pt_date_order order;  /* applied; AUTO when nothing to decide */
	size_t decisive[3];        /* stamps only that order reads */
	size_t first_decisive[3];  /* entry index of the first of them */
	size_t ambiguous;          /* stamps both orders read, differently */
	size_t first_ambiguous;
	size_t unreadable;         /* stamps the forced order cannot read */
	size_t first_unreadable;
	const char *why;           /* why auto chose when nothing forced it */
	bool same_intervals;       /* both orders give the same intervals, so
	                              the choice moves the dates only */
};

static void
survey(const struct ctx *c, enum pt_time_source s, struct order_choice *oc)
{
	memset(oc, 0, sizeof(*oc));
	for (size_t i = 0; i < c->n; i++) {
		struct readings r;
		if (!readings_of(&c->e[i], s, &r))
			continue;
		if (r.ok[PT_DATE_MDY] && r.ok[PT_DATE_DMY]) {
			if (r.ms[PT_DATE_MDY] != r.ms[PT_DATE_DMY]
					&& oc->ambiguous++ == 0)
				oc->first_ambiguous = i;
			continue;
		}
		enum pt_date_order only = r.ok[PT_DATE_MDY] ? PT_DATE_MDY
			: PT_DATE_DMY;
		if (oc->decisive[only]++ == 0)
			oc->first_decisive[only] = i;
	}
}

/* Times of s with ambiguous dates read in order o; false = no time. */
static void
times_under(const struct ctx *c, enum pt_time_source s, enum pt_date_order o,
		int64_t *t, bool *has)
{
	for (size_t i = 0; i < c->n; i++) {
		struct readings r;
		has[i] = has_time(&c->e[i], s);
		t[i] = has[i] ? time_of(&c->e[i], s) : 0;
		if (readings_of(&c->e[i], s, &r) && r.ok[o])
			t[i] = r.ms[o];
	}
}

/* How plausible a series is; each field: smaller is better. */
struct fit {
	size_t mtime_disorder;  /* steps back, walked in mtime order */
	size_t backwards;       /* steps back, walked in input order */
	double gap_ratio;       /* largest interval over the median one */
};

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Median of v[0..n), n > 0; sorts v. */
static double
median_of(int64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_i64);
	size_t mid = n / 2;
	return n % 2 ? (double)v[mid] : ((double)v[mid - 1] + (double)v[mid]) / 2.0;
}

/*
 * Largest positive interval of sorted times over the median positive one,
 * with the index (into t) of the time after the largest; 0 with fewer than
 * three positive intervals, too few for a median to mean much.
 */
static double
gap_ratio(const int64_t *t, size_t m, int64_t *scratch, size_t *after)
{
	size_t np = 0, at = 0;
	int64_t max = 0;
	for (size_t i = 1; i < m; i++) {
		int64_t d = t[i] - t[i - 1];
		if (d <= 0)
			continue;
		scratch[np++] = d;
		if (d > max) {
			max = d;
			at = i;
		}
	}
	if (np < 3)
		return 0.0;
	double median = median_of(scratch, np);
	if (after != NULL)
		*after = at;
	return (double)max / median;
}

/* Steps back in the order idx walks (NULL: input order). */
static size_t
steps_back(const int64_t *t, const bool *has, const struct keyed *idx,
		size_t n)
{
	size_t back = 0, prev = SIZE_MAX;
	for (size_t r = 0; r < n; r++) {
		size_t i = idx != NULL ? idx[r].i : r;
		if (!has[i])
			continue;
		back += prev != SIZE_MAX && t[i] < t[prev];
		prev = i;
	}
	return back;
}

/* scratch holds 2n int64_t; mtime_order is NULL when mtimes tell nothing. */
static struct fit
fit_of(const int64_t *t, const bool *has, size_t n,
		const struct keyed *mtime_order, int64_t *scratch)
{
	struct fit f = { 0, 0, 0.0 };
	if (mtime_order != NULL)
		f.mtime_disorder = steps_back(t, has, mtime_order, n);
	f.backwards = steps_back(t, has, NULL, n);
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (has[i])
			scratch[m++] = t[i];
	qsort(scratch, m, sizeof(*scratch), cmp_i64);
	f.gap_ratio = gap_ratio(scratch, m, scratch + n, NULL);
	return f;
}

/* Which of two fits is better: -1 a, 1 b, 0 neither; *why says how. */
static int
compare_fits(const struct fit *a, const struct fit *b, const char **why)
{
	if (a->mtime_disorder != b->mtime_disorder) {
		*why = "it agrees with the files' modification times";
		return a->mtime_disorder < b->mtime_disorder ? -1 : 1;
	}
	if (a->backwards != b->backwards) {
		*why = "it keeps the snapshots in input order";
		return a->backwards < b->backwards ? -1 : 1;
	}
	if (a->gap_ratio != b->gap_ratio) {
		*why = "it gives the more regular intervals";
		return a->gap_ratio < b->gap_ratio ? -1 : 1;
	}
	*why = "nothing in the series tells the two orders apart";
	return 0;
}

/*
 * Distinct mtimes a median second or more apart were written as the
 * snapshots were taken; copying a directory without keeping them also
 * gives distinct mtimes, milliseconds apart in whatever order the copy
 * went, which say nothing about the order of the snapshots.  by_mtime is
 * sorted; scratch holds n values.
 */
static bool
mtimes_spread(const struct keyed *by_mtime, size_t n, int64_t *scratch)
{
	if (n < 2)
		return false;
	for (size_t r = 1; r < n; r++)
		scratch[r - 1] = by_mtime[r].t - by_mtime[r - 1].t;
	return median_of(scratch, n - 1) >= (double)MS_PER_SEC;
}

/* Do the two readings differ by one constant shift (same intervals)? */
static bool
one_shift(const int64_t *a, const int64_t *b, const bool *has, size_t n)
{
	bool first = true;
	int64_t shift = 0;
	for (size_t i = 0; i < n; i++) {
		if (!has[i])
			continue;
		if (first)
			shift = a[i] - b[i];
		else if (a[i] - b[i] != shift)
			return false;
		first = false;
	}
	return true;
}

/* The order under which the series of s is most plausible; month first
 * when none is. */
static enum pt_date_order
most_plausible(const struct ctx *c, enum pt_time_source s,
		struct order_choice *oc, bool *oom)
{
	size_t n = c->n;
	int64_t *t = malloc(n * sizeof(*t) * 4);
	bool *has = malloc(n * sizeof(*has));
	struct keyed *by_mtime = NULL;
	if (coverage(c->e, n, PT_TIME_MTIME) == n) {
		by_mtime = malloc(n * sizeof(*by_mtime));
		if (by_mtime != NULL) {
			sort_by(by_mtime, c->e, n, PT_TIME_MTIME);
			if (count_repeats(by_mtime, n) != 0) {
				free(by_mtime);
				by_mtime = NULL;
			}
		} else {
			*oom = true;
		}
	}
	if (by_mtime != NULL && t != NULL && !mtimes_spread(by_mtime, n, t)) {
		free(by_mtime);
		by_mtime = NULL;
	}
	enum pt_date_order best = PT_DATE_MDY;
	const char *reason = "";
	if (t != NULL && has != NULL && !*oom) {
		int64_t *md_t = t + 3 * n;
		times_under(c, s, PT_DATE_MDY, md_t, has);
		struct fit md = fit_of(md_t, has, n, by_mtime, t + n);
		times_under(c, s, PT_DATE_DMY, t, has);
		struct fit dm = fit_of(t, has, n, by_mtime, t + n);
		if (compare_fits(&md, &dm, &reason) > 0)
			best = PT_DATE_DMY;
		oc->same_intervals = one_shift(md_t, t, has, n);
	} else {
		*oom = true;
	}
	oc->why = reason;
	free(t);
	free(has);
	free(by_mtime);
	return best;
}

/* Read every ambiguous stamp of s in oc->order; forced: drop the rest. */
static void
apply_order(struct ctx *c, enum pt_time_source s, bool forced,
		struct order_choice *oc)
{
	for (size_t i = 0; i < c->n; i++) {
		struct readings r;
		if (!readings_of(&c->e[i], s, &r))
			continue;
		if (r.ok[oc->order]) {
			set_reading(&c->e[i], s, r.ms[oc->order], oc->order);
		} else if (forced) {
			drop_time(&c->e[i], s);
			if (oc->unreadable++ == 0)
				oc->first_unreadable = i;
		}
	}
}

/* Settle the order of s's ambiguous dates; false when out of memory. */
static bool
settle_order(struct ctx *c, enum pt_time_source s, enum pt_date_order forced,
		struct order_choice *oc)
{
	survey(c, s, oc);
	const size_t *d = oc->decisive;
	bool oom = false;
	if (forced != PT_DATE_AUTO)
		oc->order = forced;
	else if (d[PT_DATE_MDY] > 0 || d[PT_DATE_DMY] > 0)
		/* Both at once: the stamps do not share an order; the
		 * ambiguous ones go with the majority. */
		oc->order = d[PT_DATE_DMY] > d[PT_DATE_MDY] ? PT_DATE_DMY
			: PT_DATE_MDY;
	else if (oc->ambiguous > 0)
		oc->order = most_plausible(c, s, oc, &oom);
	else
		return true;
	apply_order(c, s, forced != PT_DATE_AUTO, oc);
	return !oom;
}

static const char *
order_phrase(enum pt_date_order o)
{
	return o == PT_DATE_DMY ? "day first" : "month first";
}

/* A stamp's time under both orders, for messages: "A, not B". */
static void
both_readings(const struct pt_time_entry *e, enum pt_time_source s,
		char *out, size_t len)
{
	char a[32], b[32];
	int64_t other = 0;
	int64_t ms = time_of(e, s);
	if (!pt_stamp_swap_day_month(ms, &other))
		other = ms;
	(void)snprintf(out, len, "%s, not %s", pt_stamp_format(ms, a),
		pt_stamp_format(other, b));
}

static void
report_unreadable(struct ctx *c, enum pt_time_source s,
		const struct order_choice *oc)
{
	if (oc->unreadable == 0)
		return;
	const struct pt_time_entry *x = &c->e[oc->first_unreadable];
	pt_diags_add(c->diags, PT_SEV_WARNING, x->file, x->line,
		"the %s cannot be read %s (--date-order %s); %zu snapshot%s "
		"left without it", source_phrase(s), order_phrase(oc->order),
		pt_date_order_name(oc->order), oc->unreadable,
		oc->unreadable == 1 ? "" : "s");
}

/* Tell what was decided about the source whose times are used. */
static void
report_choice(struct ctx *c, enum pt_time_source s,
		const struct order_choice *oc, bool forced)
{
	const size_t *d = oc->decisive;
	char seen[80];
	if (d[PT_DATE_MDY] > 0 && d[PT_DATE_DMY] > 0 && !forced) {
		const struct pt_time_entry *x =
			&c->e[oc->first_decisive[PT_DATE_DMY]];
		const struct pt_time_entry *y =
			&c->e[oc->first_decisive[PT_DATE_MDY]];
		char *esc = pt_escape(y->file != NULL ? y->file : "(input)",
			strlen(y->file != NULL ? y->file : "(input)"));
		pt_diags_add(c->diags, PT_SEV_WARNING, x->file, x->line,
			"the %s here is day first, but month first at %s:%ld: "
			"each such date is read the one way it can be, the "
			"ambiguous ones %s", source_phrase(s),
			esc != NULL ? esc : "?", y->line, order_phrase(oc->order));
		free(esc);
		return;
	}
	if (forced || oc->ambiguous == 0 || d[PT_DATE_MDY] > 0
			|| d[PT_DATE_DMY] > 0)
		return;
	/* When the choice moves every date alike, rates do not depend on
	 * it: a note, not a warning. */
	const struct pt_time_entry *x = &c->e[oc->first_ambiguous];
	both_readings(x, s, seen, sizeof(seen));
	pt_diags_add(c->diags, oc->same_intervals ? PT_SEV_NOTE
		: PT_SEV_WARNING, x->file, x->line,
		"day and month of the %s can be read either way in all %zu "
		"such dates: read %s (%s): %s%s; --date-order mdy or dmy "
		"overrides", source_phrase(s), oc->ambiguous,
		order_phrase(oc->order), seen, oc->why,
		oc->same_intervals ? ", and the intervals are the same either "
			"way" : "");
}

/* A sanity check on the times used: one huge gap may be a misread date. */
static void
warn_long_gap(struct ctx *c, enum pt_time_source s)
{
	if (pt_time_source_is_relative(s) || c->n < 4)
		return;
	int64_t *t = malloc(c->n * 2 * sizeof(*t));
	if (t == NULL)
		return;
	for (size_t r = 0; r < c->n; r++)
		t[r] = c->k[r].t;
	size_t after = 0;
	double ratio = gap_ratio(t, c->n, t + c->n, &after);
	if (ratio > GAP_FACTOR) {
		const struct pt_time_entry *x = &c->e[c->k[after].i];
		double gap = (double)(t[after] - t[after - 1]) / 3.6e6;
		pt_diags_add(c->diags, PT_SEV_WARNING, x->file, x->line,
			"the interval before this snapshot (%.3g h) is %.0f "
			"times the median one (%.3g h); check the times (day "
			"and month swapped? a pause in collection?)", gap, ratio,
			gap / ratio);
	}
	free(t);
}

/* ---- entry point ------------------------------------------------------ */

bool
pt_timeline_assign(struct pt_time_entry *e, size_t n,
		enum pt_time_source requested, int64_t interval_ms,
		enum pt_time_source *used, struct pt_diags *diags,
		struct pt_error *err)
{
	return pt_timeline_assign_ordered(e, n, requested, PT_DATE_AUTO,
		interval_ms, used, diags, err);
}

/* Both dated sources with ambiguous forms, settled before any is chosen,
 * so that auto's choice and the comparisons see the settled times. */
static bool
settle_orders(struct ctx *c, enum pt_date_order date_order,
		struct order_choice oc[2])
{
	static const enum pt_time_source dated[2] = {
		PT_TIME_EMBEDDED, PT_TIME_NAME,
	};
	for (size_t k = 0; k < 2; k++) {
		if (!settle_order(c, dated[k], date_order, &oc[k]))
			return false;
		report_unreadable(c, dated[k], &oc[k]);
	}
	return true;
}

bool
pt_timeline_assign_ordered(struct pt_time_entry *e, size_t n,
		enum pt_time_source requested, enum pt_date_order date_order,
		int64_t interval_ms, enum pt_time_source *used,
		struct pt_diags *diags, struct pt_error *err)
{
	if ((size_t)requested >= N_SOURCES) {
		pt_error_set(err, 0, "unknown time source");
		return false;
	}
	if (date_order != PT_DATE_AUTO && date_order != PT_DATE_MDY
			&& date_order != PT_DATE_DMY) {
		pt_error_set(err, 0, "unknown date order");
		return false;
	}
	if (n == 0) {
		if (used != NULL)
			*used = requested;
		return true;
	}
	if (n > SIZE_MAX / (4 * sizeof(int64_t))) {
		pt_error_set(err, 0, "out of memory");
		return false;
	}
	struct ctx c = { e, n, malloc(n * sizeof(struct keyed)), diags };
	struct order_choice oc[2];
	if (c.k == NULL || !settle_orders(&c, date_order, oc)) {
		free(c.k);
		pt_error_set(err, 0, "out of memory");
		return false;
	}

	enum pt_time_source s = requested;
	if (requested == PT_TIME_AUTO) {
		s = choose_auto(&c, interval_ms);
	} else if (!check_forced(&c, requested, interval_ms, err)) {
		free(c.k);
		return false;
	}
	if (s == PT_TIME_EMBEDDED || s == PT_TIME_NAME)
		report_choice(&c, s, &oc[s == PT_TIME_NAME],
			date_order != PT_DATE_AUTO);
	assign_times(&c, s, interval_ms);
	if (s == PT_TIME_INDEX)
		pt_diags_add(diags, PT_SEV_WARNING, NULL, 0,
			"%s; they are taken as one hour apart, so rates are per "
			"snapshot, not per hour, and there is no time to exhaustion",
			requested == PT_TIME_INDEX ? "snapshot numbers used as times "
			"(--time-source index)" : "no times found for the snapshots");

	warn_backwards(&c);
	sort_by(c.k, e, n, ASSIGNED);
	for (size_t r = 0; r < n; r++)
		e[c.k[r].i].order = r;
	if (requested != PT_TIME_AUTO)
		warn_repeats(&c, s);
	warn_long_gap(&c, s);
	warn_disagreement(&c, s);

	free(c.k);
	if (used != NULL)
		*used = s;
	return true;
}
