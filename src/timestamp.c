#include "pooltrend/timestamp.h"

#include <stdio.h>
#include <string.h>

/*
 * Hand-written recognisers: the forms are few and fixed, and a scanner that
 * checks every byte against len cannot be fooled into reading past the end
 * of a line that is not NUL-terminated.
 */

#define MS_PER_SEC INT64_C(1000)
#define MS_PER_MIN (60 * MS_PER_SEC)
#define MS_PER_HOUR (60 * MS_PER_MIN)
#define MS_PER_DAY (24 * MS_PER_HOUR)

#define YEAR_MIN 1970
#define YEAR_MAX 2200

/* A read position inside a bounded byte string. */
struct cur {
	const char *s;
	size_t i, n;
};

/* A broken-down wall-clock reading; ms is the fraction of the second. */
struct civil {
	int year, month, day, hour, min, sec, ms;
};

int64_t
pt_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const int64_t yoe = y - era * 400;
	const int64_t doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5
		+ (int64_t)d - 1;
	const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Inverse of pt_days_from_civil (Hinnant's civil_from_days). */
static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const int64_t doe = z - era * 146097;
	const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const int64_t mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* ms as a civil date and the milliseconds into that day.  Floor division
 * without multiplying back, which could overflow for ms near INT64_MIN. */
static void
split_ms(int64_t ms, int64_t *y, unsigned *m, unsigned *d, int64_t *rem)
{
	int64_t days = ms / MS_PER_DAY;
	*rem = ms % MS_PER_DAY;
	if (*rem < 0) {
		days--;
		*rem += MS_PER_DAY;
	}
	civil_from_days(days, y, m, d);
}

static bool
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
	static const int dim[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
	};
	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

static bool
date_valid(int y, int m, int d)
{
	return y >= YEAR_MIN && y <= YEAR_MAX && m >= 1 && m <= 12 && d >= 1
		&& d <= days_in_month(y, m);
}

static bool
civil_valid(const struct civil *c)
{
	return date_valid(c->year, c->month, c->day) && c->hour >= 0
		&& c->hour < 24 && c->min >= 0 && c->min < 60 && c->sec >= 0
		&& c->sec < 60 && c->ms >= 0 && c->ms < 1000;
}

static int64_t
civil_to_ms(const struct civil *c)
{
	int64_t days = pt_days_from_civil(c->year, (unsigned)c->month,
		(unsigned)c->day);
	return days * MS_PER_DAY + c->hour * MS_PER_HOUR + c->min * MS_PER_MIN
		+ c->sec * MS_PER_SEC + c->ms;
}

/* ---- cursor primitives ------------------------------------------------ */

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static bool
at_end(const struct cur *c)
{
	return c->i >= c->n;
}

static char
peek(const struct cur *c)
{
	if (at_end(c))
		return '\0';
	return c->s[c->i];
}

static bool
eat(struct cur *c, char ch)
{
	if (at_end(c) || c->s[c->i] != ch)
		return false;
	c->i++;
	return true;
}

static size_t
skip_blanks(struct cur *c)
{
	size_t start = c->i;
	while (!at_end(c) && is_blank(c->s[c->i]))
		c->i++;
	return c->i - start;
}

/* Length of the digit run at the cursor. */
static size_t
digit_run(const struct cur *c)
{
	size_t k = c->i;
	while (k < c->n && is_digit(c->s[k]))
		k++;
	return k - c->i;
}

/*
 * Read a whole digit run of minw..maxw digits.  Taking the whole run is what
 * keeps "123:45" from being read as "23:45".
 */
static bool
number(struct cur *c, size_t minw, size_t maxw, int *out)
{
	size_t w = digit_run(c);
	if (w < minw || w > maxw)
		return false;
	int v = 0;
	for (size_t k = 0; k < w; k++)
		v = v * 10 + (c->s[c->i + k] - '0');
	c->i += w;
	*out = v;
	return true;
}

/* A fraction of a second after '.' or ','; extra digits are truncated. */
static bool
fraction(struct cur *c, int *ms)
{
	size_t w = digit_run(c);
	if (w == 0)
		return false;
	int v = 0;
	for (size_t k = 0; k < 3; k++)
		v = v * 10 + (k < w ? c->s[c->i + k] - '0' : 0);
	c->i += w;
	*ms = v;
	return true;
}

static bool
optional_fraction(struct cur *c, int *ms)
{
	*ms = 0;
	if (peek(c) != '.' && peek(c) != ',')
		return true;
	c->i++;
	return fraction(c, ms);
}

/* Case-insensitive match of word at the cursor; the word must end there. */
static bool
word_is(const struct cur *c, size_t len, const char *w)
{
	if (strlen(w) != len)
		return false;
	for (size_t k = 0; k < len; k++) {
		char a = c->s[c->i + k];
		if (a >= 'A' && a <= 'Z')
			a = (char)(a - 'A' + 'a');
		if (a != w[k])
			return false;
	}
	return true;
}

static size_t
alpha_run(const struct cur *c)
{
	size_t k = c->i;
	while (k < c->n && is_alpha(c->s[k]))
		k++;
	return k - c->i;
}

/* ---- shared pieces ---------------------------------------------------- */

/* "HH:MM" with optional ":SS"; hour 1..2 digits when loose_hour. */
static bool
clock_time(struct cur *c, struct civil *t, bool need_sec, bool loose_hour)
{
	if (!number(c, loose_hour ? 1 : 2, 2, &t->hour) || !eat(c, ':')
			|| !number(c, 2, 2, &t->min))
		return false;
	t->sec = 0;
	t->ms = 0;
	if (!eat(c, ':'))
		return !need_sec;
	if (!number(c, 2, 2, &t->sec))
		return false;
	return optional_fraction(c, &t->ms);
}

/*
 * Free zone text after a time, such as "Pacific Standard Time (local ...)"
 * or "UTC".  It must be separated by a blank and start like a name, so that
 * a date followed by numbers (a data row) is not a timestamp line.
 */
static bool
zone_text_or_end(struct cur *c)
{
	if (at_end(c))
		return true;
	if (skip_blanks(c) == 0)
		return false;
	if (at_end(c))
		return true;
	char ch = peek(c);
	return is_alpha(ch) || ch == '(';
}

static bool
finish(const struct civil *t, int64_t offset_ms, int64_t *ms)
{
	if (!civil_valid(t))
		return false;
	*ms = civil_to_ms(t) - offset_ms;
	return true;
}

/* ---- ISO 8601 (also YYYY/MM/DD) --------------------------------------- */

/* "Z", "+HH", "+HHMM", "+HH:MM"; no zone is offset 0. */
static bool
utc_offset(struct cur *c, int64_t *off)
{
	*off = 0;
	size_t save = c->i;
	skip_blanks(c);
	if (eat(c, 'Z') || eat(c, 'z')) {
		/* "Z" must stand alone, not start a zone word like "Zulu". */
		if (is_alpha(peek(c)))
			return false;
		return true;
	}
	char sign = peek(c);
	if (sign != '+' && sign != '-') {
		c->i = save;
		return true;
	}
	c->i++;
	int hh, mm = 0;
	if (digit_run(c) == 4) {
		/* "+HHMM" is one digit run, so number() cannot split it. */
		const char *p = c->s + c->i;
		hh = (p[0] - '0') * 10 + (p[1] - '0');
		mm = (p[2] - '0') * 10 + (p[3] - '0');
		c->i += 4;
	} else {
		if (!number(c, 2, 2, &hh))
			return false;
		if (eat(c, ':') && !number(c, 2, 2, &mm))
			return false;
	}
	if (hh > 23 || mm > 59)
		return false;
	int64_t v = hh * MS_PER_HOUR + mm * MS_PER_MIN;
	*off = sign == '-' ? -v : v;
	return true;
}

static bool
parse_iso(struct cur *c, int64_t *ms)
{
	struct civil t;
	if (!number(c, 4, 4, &t.year))
		return false;
	char sep = peek(c);
	if (sep != '-' && sep != '/')
		return false;
	c->i++;
	if (!number(c, 2, 2, &t.month) || !eat(c, sep)
			|| !number(c, 2, 2, &t.day))
		return false;
	if (!eat(c, 'T') && !eat(c, ' '))
		return false;
	if (!clock_time(c, &t, false, false))
		return false;
	int64_t off;
	if (!utc_offset(c, &off) || !zone_text_or_end(c))
		return false;
	return finish(&t, off, ms);
}

/* ---- Clue: 2020.09.21-19:37:27 <zone text> ----------------------------- */

static bool
parse_clue(struct cur *c, int64_t *ms)
{
	struct civil t;
	if (!number(c, 4, 4, &t.year) || !eat(c, '.')
			|| !number(c, 2, 2, &t.month) || !eat(c, '.')
			|| !number(c, 2, 2, &t.day) || !eat(c, '-'))
		return false;
	if (!clock_time(c, &t, true, false) || !zone_text_or_end(c))
		return false;
	return finish(&t, 0, ms);
}

/* ---- TSS: [Monday, ]September 21, 2020 7:37:27 PM ---------------------- */

static const char *const month_names[12] = {
	"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december",
};

static const char *const weekday_names[7] = {
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
	"sunday",
};

/* Full English name or its three-letter abbreviation (also "Sept"). */
static bool
name_matches(const struct cur *c, size_t len, const char *full)
{
	char abbr[4] = { full[0], full[1], full[2], '\0' };
	if (word_is(c, len, full) || word_is(c, len, abbr))
		return true;
	return strcmp(full, "september") == 0 && word_is(c, len, "sept");
}

static bool
month_word(struct cur *c, int *month)
{
	size_t len = alpha_run(c);
	for (int k = 0; k < 12; k++) {
		if (name_matches(c, len, month_names[k])) {
			c->i += len;
			*month = k + 1;
			return true;
		}
	}
	return false;
}

static bool
weekday_word(struct cur *c)
{
	size_t len = alpha_run(c);
	for (int k = 0; k < 7; k++) {
		if (name_matches(c, len, weekday_names[k])) {
			c->i += len;
			return true;
		}
	}
	return false;
}

/* Optional " AM"/" PM"; converts a 12-hour reading to 24 hours. */
static bool
meridiem(struct cur *c, struct civil *t)
{
	size_t save = c->i;
	if (skip_blanks(c) == 0 || alpha_run(c) != 2) {
		c->i = save;
		return true;
	}
	bool pm = word_is(c, 2, "pm");
	if (!pm && !word_is(c, 2, "am"))
		return false;
	c->i += 2;
	if (t->hour < 1 || t->hour > 12)
		return false;
	t->hour = t->hour % 12 + (pm ? 12 : 0);
	return true;
}

static bool
parse_tss(struct cur *c, int64_t *ms)
{
	struct civil t;
	size_t save = c->i;
	if (weekday_word(c)) {
		eat(c, ',');
		if (skip_blanks(c) == 0)
			return false;
	} else {
		c->i = save;
	}
	if (!month_word(c, &t.month) || skip_blanks(c) == 0
			|| !number(c, 1, 2, &t.day))
		return false;
	eat(c, ',');
	if (skip_blanks(c) == 0 || !number(c, 4, 4, &t.year)
			|| skip_blanks(c) == 0)
		return false;
	if (!clock_time(c, &t, true, true) || !meridiem(c, &t))
		return false;
	if (!at_end(c))
		return false;
	return finish(&t, 0, ms);
}

/* ---- day and month in either order ------------------------------------ */

/*
 * Fields a and b of a numeric date whose order the form does not fix: read
 * month first when that is a date, else day first.  Which order the whole
 * series uses is the timeline's decision, made once; the kind records how
 * this stamp was read so the timeline can swap it back.
 */
static enum pt_stamp_kind
either_order(struct civil *t, int a, int b, enum pt_stamp_kind month_first,
		enum pt_stamp_kind day_first)
{
	t->month = a;
	t->day = b;
	if (civil_valid(t))
		return month_first;
	t->month = b;
	t->day = a;
	return civil_valid(t) ? day_first : PT_STAMP_NONE;
}

static const char *const order_names[] = {
	[PT_DATE_AUTO] = "auto",
	[PT_DATE_MDY] = "mdy",
	[PT_DATE_DMY] = "dmy",
};

const char *
pt_date_order_name(enum pt_date_order o)
{
	if ((size_t)o >= sizeof(order_names) / sizeof(order_names[0]))
		return "?";
	return order_names[o];
}

bool
pt_date_order_parse(const char *word, enum pt_date_order *out)
{
	if (word == NULL)
		return false;
	for (size_t k = 0; k < sizeof(order_names) / sizeof(order_names[0]); k++) {
		if (strcmp(word, order_names[k]) == 0) {
			*out = (enum pt_date_order)k;
			return true;
		}
	}
	return false;
}

enum pt_date_order
pt_stamp_read_order(enum pt_stamp_kind k)
{
	switch (k) {
	case PT_STAMP_BATCH:
	case PT_STAMP_NAME_SEP:
		return PT_DATE_MDY;
	case PT_STAMP_BATCH_DAY_FIRST:
	case PT_STAMP_NAME_SEP_DAY_FIRST:
		return PT_DATE_DMY;
	default:
		return PT_DATE_AUTO;
	}
}

bool
pt_stamp_swap_day_month(int64_t ms, int64_t *out)
{
	int64_t y, rem;
	unsigned m, d;
	split_ms(ms, &y, &m, &d, &rem);
	if (y < YEAR_MIN || y > YEAR_MAX || !date_valid((int)y, (int)d, (int)m))
		return false;
	*out = pt_days_from_civil(y, d, m) * MS_PER_DAY + rem;
	return true;
}

/* ---- batch %date% %time%: [Mon ]09/21/2020 19:37:27.53 ----------------- */

static enum pt_stamp_kind
parse_batch(struct cur *c, int64_t *ms)
{
	struct civil t;
	int a, b;
	size_t save = c->i;
	if (alpha_run(c) > 0) {
		if (!weekday_word(c) || skip_blanks(c) == 0)
			return PT_STAMP_NONE;
	} else {
		c->i = save;
	}
	if (!number(c, 2, 2, &a) || !eat(c, '/') || !number(c, 2, 2, &b)
			|| !eat(c, '/') || !number(c, 4, 4, &t.year))
		return PT_STAMP_NONE;
	/* %time% pads a one-digit hour with a blank: "  9:05:03.12". */
	if (skip_blanks(c) == 0 || !clock_time(c, &t, true, true))
		return PT_STAMP_NONE;
	if (!at_end(c))
		return PT_STAMP_NONE;
	enum pt_stamp_kind k = either_order(&t, a, b, PT_STAMP_BATCH,
		PT_STAMP_BATCH_DAY_FIRST);
	if (k != PT_STAMP_NONE)
		*ms = civil_to_ms(&t);
	return k;
}

/* ---- lines ------------------------------------------------------------ */

enum pt_stamp_kind
pt_stamp_parse_line(const char *line, size_t len, int64_t *ms)
{
	if (line == NULL)
		return PT_STAMP_NONE;
	size_t b = 0, e = len;
	while (b < e && is_blank(line[b]))
		b++;
	while (e > b && is_blank(line[e - 1]))
		e--;
	if (b == e)
		return PT_STAMP_NONE;

	struct {
		enum pt_stamp_kind kind;
		bool (*parse)(struct cur *, int64_t *);
	} const forms[] = {
		{ PT_STAMP_ISO, parse_iso },
		{ PT_STAMP_CLUE, parse_clue },
		{ PT_STAMP_TSS, parse_tss },
	};
	for (size_t k = 0; k < sizeof(forms) / sizeof(forms[0]); k++) {
		struct cur c = { line, b, e };
		int64_t v;
		if (forms[k].parse(&c, &v)) {
			if (ms != NULL)
				*ms = v;
			return forms[k].kind;
		}
	}
	/* Batch lines come last and say themselves which order they were
	 * read in. */
	struct cur c = { line, b, e };
	int64_t v;
	enum pt_stamp_kind k = parse_batch(&c, &v);
	if (k != PT_STAMP_NONE && ms != NULL)
		*ms = v;
	return k;
}

/* ---- file names ------------------------------------------------------- */

static bool
is_name_sep(char ch, const char *allowed)
{
	return ch != '\0' && strchr(allowed, ch) != NULL;
}

/* Time of day after the date: "HH?MM?SS" with one separator, or HHMM[SS]. */
static bool
name_clock(struct cur *c, struct civil *t)
{
	t->ms = 0;
	t->sec = 0;
	size_t w = digit_run(c);
	if (w == 4 || w == 6) {
		const char *p = c->s + c->i;
		t->hour = (p[0] - '0') * 10 + (p[1] - '0');
		t->min = (p[2] - '0') * 10 + (p[3] - '0');
		if (w == 6)
			t->sec = (p[4] - '0') * 10 + (p[5] - '0');
		c->i += w;
		return true;
	}
	if (!number(c, 2, 2, &t->hour))
		return false;
	char sep = peek(c);
	if (!is_name_sep(sep, "-_.") || (c->i++, !number(c, 2, 2, &t->min))
			|| !eat(c, sep) || !number(c, 2, 2, &t->sec))
		return false;
	return true;
}

/* "YYYYMMDD" + [-_.T] + "HHMM[SS]" at a run of exactly 8 digits. */
static bool
name_compact(struct cur *c, struct civil *t)
{
	const char *p = c->s + c->i;
	t->year = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10
		+ (p[3] - '0');
	t->month = (p[4] - '0') * 10 + (p[5] - '0');
	t->day = (p[6] - '0') * 10 + (p[7] - '0');
	c->i += 8;
	if (!is_name_sep(peek(c), "-_.T"))
		return false;
	c->i++;
	size_t w = digit_run(c);
	if (w != 4 && w != 6)
		return false;
	return name_clock(c, t);
}

/* "YYYY-NN-NN-HH-MM-SS" and relatives at a run of exactly 4 digits; the
 * kind says in which order the two middle fields were read. */
static enum pt_stamp_kind
name_separated(struct cur *c, struct civil *t)
{
	int a, b;
	if (!number(c, 4, 4, &t->year))
		return PT_STAMP_NONE;
	char sep = peek(c);
	if (!is_name_sep(sep, "-_"))
		return PT_STAMP_NONE;
	c->i++;
	if (!number(c, 2, 2, &a) || !eat(c, sep) || !number(c, 2, 2, &b))
		return PT_STAMP_NONE;
	if (!is_name_sep(peek(c), "-_T."))
		return PT_STAMP_NONE;
	c->i++;
	if (!name_clock(c, t))
		return PT_STAMP_NONE;
	return either_order(t, a, b, PT_STAMP_NAME_SEP,
		PT_STAMP_NAME_SEP_DAY_FIRST);
}

/* A run of 18 or 19 digits: nanoseconds since the epoch (time_ns). */
static bool
name_ns(const char *p, size_t w, int64_t *ms)
{
	uint64_t v = 0;
	for (size_t k = 0; k < w; k++)
		v = v * 10 + (uint64_t)(p[k] - '0');
	const uint64_t lo = (uint64_t)pt_days_from_civil(2001, 1, 1)
		* (uint64_t)MS_PER_DAY * 1000000u;
	const uint64_t hi = (uint64_t)pt_days_from_civil(2287, 1, 1)
		* (uint64_t)MS_PER_DAY;
	if (v < lo || v / 1000000u >= hi)
		return false;
	*ms = (int64_t)(v / 1000000u);
	return true;
}

/* The digit run at c is whole when the byte before it is not a digit. */
static bool
try_name_at(const char *s, size_t i, size_t n, int64_t *ms,
		enum pt_stamp_kind *kind)
{
	struct cur c = { s, i, n };
	size_t w = digit_run(&c);
	if (w == 18 || w == 19) {
		*kind = PT_STAMP_NAME_NS;
		return name_ns(s + i, w, ms);
	}
	struct civil t;
	enum pt_stamp_kind k = PT_STAMP_NONE;
	if (w == 8 && name_compact(&c, &t))
		k = PT_STAMP_NAME;
	else if (w == 4)
		k = name_separated(&c, &t);
	/* The time's last digit run must end the number, as the first began. */
	if (k == PT_STAMP_NONE || is_digit(peek(&c)) || !civil_valid(&t))
		return false;
	*kind = k;
	*ms = civil_to_ms(&t);
	return true;
}

enum pt_stamp_kind
pt_stamp_from_name(const char *base, int64_t *ms)
{
	if (base == NULL)
		return PT_STAMP_NONE;
	/* A directory part is not the name; tolerate callers passing a path. */
	const char *slash = strrchr(base, '/');
	const char *bslash = strrchr(base, '\\');
	if (slash != NULL && (bslash == NULL || slash > bslash))
		base = slash + 1;
	else if (bslash != NULL)
		base = bslash + 1;

	size_t n = strlen(base);
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(base[i]) || (i > 0 && is_digit(base[i - 1])))
			continue;
		int64_t v;
		enum pt_stamp_kind kind;
		if (try_name_at(base, i, n, &v, &kind)) {
			if (ms != NULL)
				*ms = v;
			return kind;
		}
	}
	return PT_STAMP_NONE;
}

/* ---- formatting ------------------------------------------------------- */

char *
pt_stamp_format(int64_t ms, char out[32])
{
	int64_t y, rem;
	unsigned m, d;
	split_ms(ms, &y, &m, &d, &rem);
	int hh = (int)(rem / MS_PER_HOUR);
	int mi = (int)(rem / MS_PER_MIN % 60);
	int ss = (int)(rem / MS_PER_SEC % 60);
	int frac = (int)(rem % MS_PER_SEC);
	/* A wide scratch buffer keeps the compiler's truncation analysis quiet
	 * for absurd years; real years always fit. */
	char buf[96];
	int k = snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02d:%02d:%02d",
		(long long)y, m, d, hh, mi, ss);
	/* A cut fraction needs no check: out keeps 31 bytes at most. */
	if (frac != 0 && k > 0 && (size_t)k < sizeof(buf))
		(void)snprintf(buf + k, sizeof(buf) - (size_t)k, ".%03d", frac);
	size_t len = strlen(buf);
	if (len > 31)
		len = 31;
	memcpy(out, buf, len);
	out[len] = '\0';
	return out;
}
