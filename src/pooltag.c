/*
 * pooltag.txt parser and tag lookup (FORMAT.md section 5).
 *
 * Parsing follows the recommended parser of FORMAT.md 5.6, line by line:
 *   - blank lines, "//" lines and "rem"/"REM" followed by a blank or the
 *     end of the line are comments ("ReMo - refs.sys - Mount.c" is not);
 *   - an entry is ^(\S{1,4}|\S{1,3} ?)\s*-\s*(.*)$ after leading blanks;
 *     the rest is split on its first \s+-\s* into binary and description,
 *     or is all description when there is no such dash ("ATmp - AppTag
 *     mount point");
 *   - one extension: when that regex fails, a 3- or 4-byte tag with inner
 *     spaces ("Dh 0", "Gh ?") is accepted, so the key is what is written
 *     before the separating dash (see "Keys and lookup" below);
 *   - anything else is free text, counted and reported in one note;
 *   - the first Ctrl-Z ends the file, as DOS copies meant it.
 *
 * Keys and lookup.  poolmon cuts a tag at its first blank both when it
 * loads the file and when it looks a tag up, so "Dh 0" ... "Dh 5" all
 * collapse to "Dh" and only the first survives.  pooltrend reports owners,
 * so it keeps each entry under the key as written ("Dh 0") and looks a
 * tag up in three steps, stopping at the first that finds anything:
 *   1. exact: the 4 tag bytes with trailing blanks trimmed ("Io  " ->
 *      "Io", "Dh 0" -> "Dh 0") against the keys as written;
 *   2. poolmon: the tag with leading blanks stripped and cut at the first
 *      blank ("Dh 7" -> "Dh", "  xr" -> "xr") against the keys cut the same
 *      way, so "Dh 7" finds "Dh" and "Dh 0".."Dh 5" as poolmon would;
 *   3. wildcards: the poolmon form against the patterns in the bucket of
 *      its first byte (none when that byte is not alphanumeric, as in
 *      poolmon); only the patterns with the most leading literal bytes
 *      matched are returned.
 * Steps 1 and 2 return every match in file order.  For tags without inner
 * or leading blanks (nearly all) this is exactly poolmon's rule, minus its
 * dropped duplicates.
 *
 * Exact keys live in two sorted arrays of (packed key, entry index), one
 * per key form, searched by bisection: a report looks up thousands of tags.
 */
#include "pooltrend/pooltag.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "pooltrend/text.h"

#define CTRL_Z 0x1a
/* Free text quoted in the note is cut to this many bytes. */
#define NOTE_QUOTE_MAX 60

/* A key packed big-endian into 32 bits: orders like memcmp on key[4]. */
struct slot {
	uint32_t key;
	uint32_t index;
};

struct pt_pooltag {
	struct pt_pooltag_entry *entries;
	size_t len;
	size_t cap;
	struct slot *exact;    /* len slots, by key as written */
	struct slot *cut;      /* len slots, by key cut at its first blank */
	uint32_t *wild;        /* wildcard entry indexes, by first byte */
	size_t wild_start[257]; /* bucket b is wild[wild_start[b]..[b+1]) */
	struct pt_arena strings;
};

/* Free text seen while parsing, reported once at the end. */
struct junk {
	size_t count;
	long first_line;
	const char *first;
	size_t first_len;
};

/*
 * \s without LF (lines are already split there); CR for stray CRLF.  NUL
 * counts as a blank too: the strings handed out are C strings, so a NUL
 * kept inside one would cut it short and hide what follows.
 */
static bool
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' ||
		c == '\0';
}

static bool
is_tag_byte(unsigned char c)
{
	return !is_blank(c);
}

static bool
is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
		(c >= 'a' && c <= 'z');
}

static uint32_t
pack(const char *s, size_t n)
{
	uint32_t k = 0;
	for (size_t i = 0; i < 4; i++)
		k = k << 8 | (i < n ? (unsigned char)s[i] : 0);
	return k;
}

/* Length of a key once cut at its first blank, as poolmon does. */
static size_t
cut_len(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && !is_blank((unsigned char)s[i]))
		i++;
	return i;
}

static const char *
skip_blanks(const char *p, const char *end)
{
	while (p < end && is_blank((unsigned char)*p))
		p++;
	return p;
}

static const char *
trim_end(const char *p, const char *end)
{
	while (end > p && is_blank((unsigned char)end[-1]))
		end--;
	return end;
}

static bool
is_comment(const char *p, const char *end)
{
	size_t n = (size_t)(end - p);
	if (n >= 2 && p[0] == '/' && p[1] == '/')
		return true;
	if (n < 3 || (memcmp(p, "rem", 3) != 0 && memcmp(p, "REM", 3) != 0))
		return false;
	return n == 3 || is_blank((unsigned char)p[3]);
}

/* After a tag of n bytes: \s*- , returning the byte after the dash. */
static const char *
dash_after(const char *p, size_t n, const char *end)
{
	const char *q = skip_blanks(p + n, end);
	return q < end && *q == '-' ? q + 1 : NULL;
}

/*
 * The regex's tag: the longest \S{1,4} followed by \s*-.  Its second
 * branch (\S{1,3} ?) only adds a blank that is trimmed anyway.
 */
static size_t
plain_tag(const char *p, const char *end)
{
	size_t run = 0;
	while (run < 4 && p + run < end && is_tag_byte((unsigned char)p[run]))
		run++;
	for (size_t n = run; n > 0; n--) {
		if (dash_after(p, n, end) != NULL)
			return n;
	}
	return 0;
}

/* The extension: "Dh 0", "Gh ?", "A B": tag bytes and single spaces. */
static size_t
spaced_tag(const char *p, const char *end)
{
	for (size_t n = 4; n >= 3; n--) {
		if ((size_t)(end - p) < n || !is_tag_byte((unsigned char)p[0]) ||
				!is_tag_byte((unsigned char)p[n - 1]))
			continue;
		bool ok = true;
		for (size_t i = 1; i + 1 < n; i++)
			ok &= p[i] == ' ' || is_tag_byte((unsigned char)p[i]);
		if (ok && dash_after(p, n, end) != NULL)
			return n;
	}
	return 0;
}

/*
 * Split "binary   - description" at the first blank run followed by a
 * dash; without one the whole rest is the description.
 */
static void
split_rest(const char *r, const char *end, const char **bin_end,
		const char **desc)
{
	for (const char *q = r; q < end; q++) {
		if (!is_blank((unsigned char)*q))
			continue;
		const char *run = q;
		q = skip_blanks(q, end);
		if (q < end && *q == '-') {
			*bin_end = run;
			*desc = skip_blanks(q + 1, end);
			return;
		}
	}
	*bin_end = r;
	*desc = r;
}

static bool
grow(struct pt_pooltag *pt)
{
	if (pt->len < pt->cap)
		return true;
	size_t cap = pt->cap ? pt->cap * 2 : 256;
	if (cap > UINT32_MAX || cap > SIZE_MAX / sizeof(*pt->entries))
		return false;
	struct pt_pooltag_entry *e = realloc(pt->entries, cap * sizeof(*e));
	if (e == NULL)
		return false;
	pt->entries = e;
	pt->cap = cap;
	return true;
}

/* An arena copy with inner NULs turned into spaces (see is_blank). */
static const char *
copy_text(struct pt_arena *a, const char *s, const char *end)
{
	size_t n = (size_t)(end - s);
	char *c = pt_arena_strndup(a, s, n);
	for (size_t i = 0; c != NULL && i < n; i++) {
		if (c[i] == '\0')
			c[i] = ' ';
	}
	return c;
}

static bool
add_entry(struct pt_pooltag *pt, const char *tag, size_t n, const char *rest,
		const char *end, long line)
{
	if (!grow(pt))
		return false;
	const char *bin_end, *desc;
	split_rest(rest, end, &bin_end, &desc);
	struct pt_pooltag_entry *e = &pt->entries[pt->len];
	memset(e->key, 0, sizeof(e->key));
	memcpy(e->key, tag, n);
	e->wildcard = memchr(tag, '?', n) != NULL || memchr(tag, '*', n) != NULL;
	e->binary = copy_text(&pt->strings, rest, bin_end);
	e->description = copy_text(&pt->strings, desc, end);
	e->line = line;
	if (e->binary == NULL || e->description == NULL)
		return false;
	pt->len++;
	return true;
}

static void
note_junk(struct junk *j, const char *p, const char *end, long line)
{
	if (j->count++ == 0) {
		j->first_line = line;
		j->first = p;
		j->first_len = (size_t)(end - p);
	}
}

/* One line without its LF.  false only when out of memory. */
static bool
parse_line(struct pt_pooltag *pt, const char *p, const char *end, long line,
		struct junk *j)
{
	p = skip_blanks(p, end);
	end = trim_end(p, end);
	if (p == end || is_comment(p, end))
		return true;
	size_t n = plain_tag(p, end);
	if (n == 0)
		n = spaced_tag(p, end);
	if (n == 0) {
		note_junk(j, p, end, line);
		return true;
	}
	const char *rest = skip_blanks(dash_after(p, n, end), end);
	return add_entry(pt, p, n, rest, end, line);
}

static void
report_junk(const struct junk *j, const char *file, struct pt_diags *diags)
{
	if (j->count == 0 || diags == NULL)
		return;
	size_t n = j->first_len < NOTE_QUOTE_MAX ? j->first_len : NOTE_QUOTE_MAX;
	char *q = pt_escape(j->first, n);
	pt_diags_add(diags, PT_SEV_NOTE, file, j->first_line,
		"%zu line%s neither comment nor pooltag entry, skipped; the first: \"%s%s\"",
		j->count, j->count == 1 ? "" : "s", q ? q : "?",
		n < j->first_len ? "..." : "");
	free(q);
}

/* Text after a Ctrl-Z is dropped; say so when it is more than blanks. */
static size_t
cut_at_ctrl_z(const char *text, size_t len, long *line)
{
	const char *z = memchr(text, CTRL_Z, len);
	if (z == NULL)
		return len;
	size_t at = (size_t)(z - text);
	*line = 1;
	for (size_t i = 0; i < at; i++)
		*line += text[i] == '\n';
	for (size_t i = at + 1; i < len; i++) {
		if (!is_blank((unsigned char)text[i]) && text[i] != '\n')
			return at;
	}
	*line = 0;
	return at;
}

static int
cmp_slot(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * Wildcard indexes are in file order already; a stable counting sort by
 * first byte keeps that order inside each bucket.
 */
static bool
build_wild(struct pt_pooltag *pt)
{
	size_t nwild = 0;
	memset(pt->wild_start, 0, sizeof(pt->wild_start));
	for (size_t i = 0; i < pt->len; i++) {
		if (pt->entries[i].wildcard) {
			pt->wild_start[(unsigned char)pt->entries[i].key[0] + 1]++;
			nwild++;
		}
	}
	for (size_t b = 1; b < 257; b++)
		pt->wild_start[b] += pt->wild_start[b - 1];
	pt->wild = malloc((nwild ? nwild : 1) * sizeof(*pt->wild));
	if (pt->wild == NULL)
		return false;
	size_t fill[256];
	memcpy(fill, pt->wild_start, sizeof(fill));
	for (size_t i = 0; i < pt->len; i++) {
		if (pt->entries[i].wildcard)
			pt->wild[fill[(unsigned char)pt->entries[i].key[0]]++] =
				(uint32_t)i;
	}
	return true;
}

static bool
build_index(struct pt_pooltag *pt)
{
	size_t n = pt->len ? pt->len : 1;
	pt->exact = malloc(n * sizeof(*pt->exact));
	pt->cut = malloc(n * sizeof(*pt->cut));
	if (pt->exact == NULL || pt->cut == NULL)
		return false;
	for (size_t i = 0; i < pt->len; i++) {
		const char *k = pt->entries[i].key;
		size_t kn = strlen(k);
		pt->exact[i] = (struct slot){ pack(k, kn), (uint32_t)i };
		pt->cut[i] = (struct slot){ pack(k, cut_len(k, kn)), (uint32_t)i };
	}
	qsort(pt->exact, pt->len, sizeof(*pt->exact), cmp_slot);
	qsort(pt->cut, pt->len, sizeof(*pt->cut), cmp_slot);
	return build_wild(pt);
}

static bool
parse_lines(struct pt_pooltag *pt, const char *text, size_t len,
		struct junk *j)
{
	const char *p = text, *end = text + len;
	long line = 1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		if (!parse_line(pt, p, eol, line, j))
			return false;
		p = nl ? nl + 1 : end;
		line++;
	}
	return true;
}

struct pt_pooltag *
pt_pooltag_parse(const char *text, size_t len, const char *file,
		struct pt_diags *diags, struct pt_error *err)
{
	struct pt_pooltag *pt = calloc(1, sizeof(*pt));
	if (pt == NULL)
		goto oom;
	pt_arena_init(&pt->strings);
	long z_line = 0;
	if (text == NULL) {
		text = "";
		len = 0;
	}
	len = cut_at_ctrl_z(text, len, &z_line);
	struct junk j = { 0 };
	if (!parse_lines(pt, text, len, &j) || !build_index(pt))
		goto oom;
	report_junk(&j, file, diags);
	if (z_line > 0 && diags != NULL)
		pt_diags_add(diags, PT_SEV_NOTE, file, z_line,
			"text after Ctrl-Z (end of file mark) ignored");
	return pt;
oom:
	pt_pooltag_destroy(pt);
	if (err != NULL)
		pt_error_set(err, 0, "out of memory reading pooltag entries");
	return NULL;
}

void
pt_pooltag_destroy(struct pt_pooltag *pt)
{
	if (pt == NULL)
		return;
	pt_arena_finish(&pt->strings);
	free(pt->entries);
	free(pt->exact);
	free(pt->cut);
	free(pt->wild);
	free(pt);
}

size_t
pt_pooltag_count(const struct pt_pooltag *pt)
{
	return pt ? pt->len : 0;
}

/* First slot with key k (or slot count when none), by bisection. */
static size_t
lower_bound(const struct slot *s, size_t n, uint32_t k)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s[mid].key < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t
find_keyed(const struct pt_pooltag *pt, const struct slot *s, uint32_t k,
		const struct pt_pooltag_entry **out, size_t max)
{
	size_t i = lower_bound(s, pt->len, k), found = 0;
	for (; i < pt->len && s[i].key == k; i++, found++) {
		if (found < max)
			out[found] = &pt->entries[s[i].index];
	}
	return found;
}

/*
 * poolmon's score: the literal bytes matched before the first wildcard,
 * or -1 for no match.  '*' matches the rest, '?' exactly one byte, and a
 * literal after a '?' fails (so "Gh?:" never matches as a pattern).
 */
static int
wild_score(const char *pat, const char *tag, size_t n)
{
	int lits = 0;
	bool after_q = false;
	size_t i = 0;
	for (; pat[i] != '\0'; i++) {
		if (pat[i] == '*')
			return lits;
		if (i >= n)
			return -1;
		if (pat[i] == '?') {
			after_q = true;
			continue;
		}
		if (after_q || pat[i] != tag[i])
			return -1;
		lits++;
	}
	return i == n ? lits : -1;
}

static size_t
find_wild(const struct pt_pooltag *pt, const char *tag, size_t n,
		const struct pt_pooltag_entry **out, size_t max)
{
	if (n == 0 || !is_alnum((unsigned char)tag[0]))
		return 0;
	unsigned char b = (unsigned char)tag[0];
	size_t lo = pt->wild_start[b], hi = pt->wild_start[b + 1];
	int best = -1;
	for (size_t i = lo; i < hi; i++) {
		int s = wild_score(pt->entries[pt->wild[i]].key, tag, n);
		best = s > best ? s : best;
	}
	size_t found = 0;
	for (size_t i = lo; best >= 0 && i < hi; i++) {
		const struct pt_pooltag_entry *e = &pt->entries[pt->wild[i]];
		if (wild_score(e->key, tag, n) != best)
			continue;
		if (found < max)
			out[found] = e;
		found++;
	}
	return found;
}

size_t
pt_pooltag_lookup(const struct pt_pooltag *pt, const uint8_t tag[4],
		const struct pt_pooltag_entry **out, size_t max)
{
	if (pt == NULL || tag == NULL)
		return 0;
	if (out == NULL)
		max = 0;
	/* A NUL ends the tag like the C string poolmon keeps it in. */
	const char *t = (const char *)tag;
	size_t n = 0;
	while (n < 4 && t[n] != '\0')
		n++;
	size_t trimmed = (size_t)(trim_end(t, t + n) - t);
	size_t found = trimmed ? find_keyed(pt, pt->exact, pack(t, trimmed),
		out, max) : 0;
	if (found > 0)
		return found;
	const char *c = skip_blanks(t, t + n);
	size_t cn = cut_len(c, (size_t)(t + n - c));
	if (cn == 0)
		return 0;
	found = find_keyed(pt, pt->cut, pack(c, cn), out, max);
	if (found > 0)
		return found;
	return find_wild(pt, c, cn, out, max);
}
