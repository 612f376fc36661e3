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

/* ---- entry point ------------------------------------------------------ */

bool
pt_timeline_assign(struct pt_time_entry *e, size_t n,
		enum pt_time_source requested, int64_t interval_ms,
		enum pt_time_source *used, struct pt_diags *diags,
		struct pt_error *err)
{
	if ((size_t)requested >= N_SOURCES) {
		pt_error_set(err, 0, "unknown time source");
		return false;
	}
	if (n == 0) {
		if (used != NULL)
			*used = requested;
		return true;
	}
	if (n > SIZE_MAX / sizeof(struct keyed)) {
		pt_error_set(err, 0, "out of memory");
		return false;
	}
	struct ctx c = { e, n, malloc(n * sizeof(struct keyed)), diags };
	if (c.k == NULL) {
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
	assign_times(&c, s, interval_ms);
	if (s == PT_TIME_INDEX)
		pt_diags_add(diags, PT_SEV_WARNING, NULL, 0,
			"no times found for the snapshots; they are taken as one "
			"hour apart, so rates are per snapshot, not per hour");

	warn_backwards(&c);
	sort_by(c.k, e, n, ASSIGNED);
	for (size_t r = 0; r < n; r++)
		e[c.k[r].i].order = r;
	if (requested != PT_TIME_AUTO)
		warn_repeats(&c, s);
	warn_disagreement(&c, s);

	free(c.k);
	if (used != NULL)
		*used = s;
	return true;
}
