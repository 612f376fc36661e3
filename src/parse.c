/*
 * Snapshot parser: classifies each line of a decoded poolmon text and
 * groups rows into blocks.  See include/pooltrend/snapshot.h for the
 * contract and FORMAT.md sections 1-4 for the line kinds.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "pooltrend/snapshot.h"

#include <inttypes.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pooltrend/text.h"
#include "arena.h"
#include "parse_internal.h"

/*
 * No genuine poolmon line comes near this; longer lines are junk, and
 * refusing them early keeps regex time bounded on hostile input.
 */
#define MAX_LINE 65536

/* Content warnings per file and kind before only counting them. */
#define MAX_NUMBER_DIAGS PT_PARSE_NUMBER_DIAGS

/* Kinds of content warnings, each with its own MAX_NUMBER_DIAGS. */
enum refusal {
	REF_NUMBER,     /* a number out of range (and the long-line limit) */
	REF_SUMMARY,    /* an inconsistent -r summary line */
	REF_TOTAL,      /* a snapshot's pool total past PT_BYTES_MAX */
	REF_COUNT,
};

static const char *const unreported_what[REF_COUNT] = {
	[REF_NUMBER] = "lines with numbers out of range ignored",
	[REF_SUMMARY] = "-r summary lines with Avail above Memory",
	[REF_TOTAL] = "snapshots with a pool total past 8 PiB",
};
_Static_assert(REF_COUNT == PT_PARSE_DIAG_KINDS,
	"the seam counts every kind of content warning");

/* Backtracking budget per match; a well-formed line needs far less. */
#define MATCH_LIMIT 1000000

#define U32_SPAN (INT64_C(1) << 32)
#define I32_MIN_ABS (INT64_C(1) << 31)

/* x86 header spellings (FORMAT.md 1.3, H86 and H86G). */
static const char H86[] =
	" Tag  Type     Allocs         Frees    Diff   Bytes    Per Alloc";
static const char H86G[] =
	" Tag  Type     Allocs         Frees    Diff   Bytes    Per Alloc"
	"    Mapped_Driver";

enum pattern {
	PAT_ROW,
	PAT_ROW_LOOSE,
	PAT_IROW,
	PAT_IROW_LOOSE,
	PAT_SUM_MEMORY,
	PAT_SUM_COMMIT,
	PAT_COLHDR,
	PAT_COLHDR_LOOSE,
	PAT_TOTAL,
	PAT_TRUNC_ERR,
	PAT_TITLE,
	PAT_RULE,
	PAT_COUNT,
};

#define N "(-?[0-9]+)"
#define B "[ \\t]"

/*
 * FORMAT.md 1.4.  Deviations, all more tolerant: the strict rows accept a
 * lost leading blank (realdump 05, 18), the summary lines accept TABs as
 * separators (realdump 19), TOTAL and TRUNC_ERR accept indentation, and
 * trailing TABs are allowed wherever trailing blanks are.
 */
static const char *const pattern_text[PAT_COUNT] = {
	/* 1 tag, 2 type, 3 allocs, 4 frees, 5 diff, 6 bytes, 7 per, 8 mapped */
	[PAT_ROW] = "^ ?(.{4}) (Nonp |Paged) +" N " +" N " +" N " +" N " +" N
		"(?: +(.*[^ ]))?" B "*$",
	[PAT_ROW_LOOSE] = "^" B "*([^ \\t]{1,4})" B "+(Nonp|Paged)" B "+" N
		B "+" N B "+" N B "+" N B "+" N "(?:" B "+(.*\\S))?" B "*$",
	/* 1 tag, 2 type, 3 allocs, 4 d, 5 frees, 6 d, 7 diff, 8 bytes, 9 d,
	 * 10 per, 11 mapped */
	[PAT_IROW] = "^ ?(.{4}) (Nonp |Paged) +" N " *\\( *" N "\\) +" N
		" *\\( *" N "\\) +" N " +" N " *\\( *" N "\\) +" N
		"(?: +(.*[^ ]))?" B "*$",
	[PAT_IROW_LOOSE] = "^" B "*([^ \\t]{1,4})" B "+(Nonp|Paged)" B "+" N
		B "*\\(" B "*" N "\\)" B "*" N B "*\\(" B "*" N "\\)" B "+" N
		B "+" N B "*\\(" B "*" N "\\)" B "+" N "(?:" B "+(.*\\S))?"
		B "*$",
	[PAT_SUM_MEMORY] = "^" B "*Memory:" B "*" N "K" B "+Avail:" B "*" N
		"K" B "+PageFlts:" B "*" N B "+InRam Krnl:" B "*" N "K" B
		"+P:" B "*" N "K" B "*$",
	[PAT_SUM_COMMIT] = "^" B "*Commit:" B "*" N "K" B "+Limit:" B "*" N
		"K" B "+Peak:" B "*" N "K" B "+Pool N:" B "*" N "K" B "+P:"
		B "*" N "K" B "*$",
	[PAT_COLHDR] = "^ ?Tag +Type +Allocs +Frees +Diff +Bytes +Per Alloc"
		"( +Mapped_Driver)? *$",
	[PAT_COLHDR_LOOSE] = "^[ \\t#]*Tag" B "+Type" B "+Allocs" B "+Frees"
		B "+Diff" B "+Bytes" B "+Per Alloc(" B "+Mapped_Driver)?" B "*$",
	[PAT_TOTAL] = "^" B "*Total (Nonp |Paged) +" N " *\\( *" N "\\) +" N
		" *\\( *" N "\\) +" N " +" N " *\\( *" N "\\) +" N B "*$",
	[PAT_TRUNC_ERR] = "^" B "*ERROR: Number of Pool Tags Exceeds Buffer "
		"Size in PoolSnap, List Truncated" B "*$",
	[PAT_TITLE] = "^" B "*(System pool information|All sessions pool "
		"information|Session [0-9]+ pool information)" B "*$",
	[PAT_RULE] = "^" B "*-{5,}" B "*$",
};

#undef N
#undef B

struct key_slot {
	uint64_t key;
	size_t gen;
};

struct key_set {
	struct key_slot *slots;
	size_t cap;     /* power of two */
	size_t len;     /* keys of the current generation */
	size_t gen;
};

/* Capture groups of PAT_ROW: the whole match, tag, type, 5 numbers, mapped. */
#define ROW_GROUPS 9

struct pt_parser {
	pcre2_code *re[PAT_COUNT];
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	/* Groups of the last match: PCRE2's ovector, or fast_ov when the
	 * common row shape was read without PCRE2 (see fast_row). */
	const PCRE2_SIZE *ov;
	PCRE2_SIZE fast_ov[2 * ROW_GROUPS];
	int64_t fast_num[ROW_GROUPS];  /* values of the number groups of fast_ov */
	bool no_fast_path;            /* tests compare both readers */
	/* Kept from file to file, so a run of files does not allocate (and
	 * fault in) the same memory again for each: the (tag, pool) set of
	 * the current block, and a row array handed back by
	 * pt_parse_result_release_rows. */
	struct key_set keys;
	struct pt_row *spare_rows;
	size_t spare_cap;
};

enum line_kind {
	K_BLANK,
	K_RULE,
	K_ROW,
	K_IROW,
	K_ROW_LOOSE,
	K_IROW_LOOSE,
	K_MEMORY,
	K_COMMIT,
	K_COLHDR,
	K_TOTAL,
	K_TRUNC,
	K_TITLE,
	K_STAMP,
	K_JUNK,
};

/* Rows and strings owned by a result (pt_parse_result.priv). */
struct result_store {
	struct pt_arena strings;
	struct pt_row *rows;
	size_t nrows;
	size_t cap;
};

/* Interned strings, so each distinct driver text is stored once. */
struct intern_slot {
	uint64_t hash;
	const char *s;  /* NULL = empty */
	size_t len;
};

struct intern_table {
	struct intern_slot *slots;
	size_t cap;     /* power of two */
	size_t len;
};

/* (tag, pool) keys of the current block; a slot is live when gen matches. */
/* What the current block learned about its layout. */
struct layout_votes {
	bool x86_header;
	bool interactive_rows;
	size_t x86_rows;
	size_t x64_rows;
};

/* Lines seen since the last block started that belong to the next one. */
struct pending {
	struct pt_summary summary;
	const char *title;
	enum pt_stamp_kind stamp_kind;
	int64_t stamp_ms;
	long stamp_line;
};

struct state {
	struct pt_parser *p;
	const char *file;
	struct pt_diags *diags;
	struct pt_parse_result *out;
	struct result_store *store;
	size_t snap_cap;
	struct layout_votes votes;
	bool dup_warned;
	bool total_warned;      /* a pool total of the block passed PT_BYTES_MAX */
	bool unwrapped_warned;
	size_t number_diags[REF_COUNT]; /* content warnings given, by kind */
	size_t unreported[REF_COUNT];   /* and only counted, by kind */
	int64_t pool_bytes[PT_POOL_COUNT];  /* Bytes of the rows kept in the
	                                       current block, by pool, up to
	                                       INT64_MAX */
	struct pending pend;
	struct intern_table interned;
	long line;
	size_t max_rows_kept;   /* per block, 0 = all; see pt_parse_stream_begin */
	size_t max_snaps;       /* 0 = all; see pt_parse_stream_limit_snapshots */
	bool dropping;          /* past max_snaps: lines of blocks not kept */
	size_t empty_kept;      /* blocks without rows kept (with max_snaps) */
	bool seen_header;       /* a column header was read */
	struct pt_parse_seam seam;
};

const char *
pt_pool_name(enum pt_pool pool)
{
	return pool == PT_POOL_PAGED ? "paged" : "nonpaged";
}

const char *
pt_layout_name(enum pt_layout layout)
{
	switch (layout) {
	case PT_LAYOUT_X86:
		return "x86";
	case PT_LAYOUT_INTERACTIVE:
		return "interactive";
	case PT_LAYOUT_X64:
		break;
	}
	return "x64";
}

/* ---- parser object ---- */

struct pt_parser *
pt_parser_create(struct pt_error *err)
{
	struct pt_parser *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		pt_error_set(err, 0, "out of memory");
		return NULL;
	}
	for (int i = 0; i < PAT_COUNT; i++) {
		int code;
		PCRE2_SIZE off;
		p->re[i] = pcre2_compile((PCRE2_SPTR)pattern_text[i],
			PCRE2_ZERO_TERMINATED, PCRE2_DOLLAR_ENDONLY, &code, &off,
			NULL);
		if (p->re[i] == NULL) {
			PCRE2_UCHAR msg[120];
			pcre2_get_error_message(code, msg, sizeof(msg));
			pt_error_set(err, 0, "internal pattern %d: %s at %zu", i,
				(const char *)msg, (size_t)off);
			pt_parser_destroy(p);
			return NULL;
		}
		/* JIT is only a speed-up; the interpreter gives the same answers.
		 * PT_PCRE2_NO_JIT turns it off for memcheck, which cannot follow
		 * JIT-generated code and reports false uninitialised reads. */
		const char *no_jit = getenv("PT_PCRE2_NO_JIT");
		if (no_jit == NULL || no_jit[0] == '\0')
			(void)pcre2_jit_compile(p->re[i], PCRE2_JIT_COMPLETE);
	}
	p->md = pcre2_match_data_create(16, NULL);
	p->mctx = pcre2_match_context_create(NULL);
	if (p->md == NULL || p->mctx == NULL) {
		pt_error_set(err, 0, "out of memory");
		pt_parser_destroy(p);
		return NULL;
	}
	pcre2_set_match_limit(p->mctx, MATCH_LIMIT);
	p->ov = pcre2_get_ovector_pointer(p->md);
	return p;
}

void
pt_parser_set_fast_path(struct pt_parser *p, bool on)
{
	p->no_fast_path = !on;
}

void
pt_parser_destroy(struct pt_parser *p)
{
	if (p == NULL)
		return;
	free(p->keys.slots);
	free(p->spare_rows);
	for (int i = 0; i < PAT_COUNT; i++)
		pcre2_code_free(p->re[i]);
	pcre2_match_data_free(p->md);
	pcre2_match_context_free(p->mctx);
	free(p);
}

static bool
matches(struct pt_parser *p, enum pattern pat, const char *s, size_t n)
{
	/* Match-limit and JIT-stack errors are negative too: such a line is
	 * simply not of this kind. */
	p->ov = pcre2_get_ovector_pointer(p->md);
	return pcre2_match(p->re[pat], (PCRE2_SPTR)s, n, 0, 0, p->md,
		p->mctx) > 0;
}

/*
 * Skip blanks (' ' only) from i; returns the first other position.  x64
 * rows are mostly blanks (18-wide columns), so eight are tested at a time
 * where the byte order allows.
 */
static size_t
skip_spaces(const char *s, size_t n, size_t i)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
	__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	while (i + 8 <= n) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		w ^= UINT64_C(0x2020202020202020);
		if (w != 0)
			return i + (size_t)__builtin_ctzll(w) / 8;
		i += 8;
	}
#endif
	while (i < n && s[i] == ' ')
		i++;
	return i;
}

/*
 * The common row shape without PCRE2: " TTTT Type" then five numbers,
 * each after at least one blank, then nothing, blanks, or blanks and the
 * -g text.  Accepts a line only where PAT_ROW's first match (greedy, left
 * to right) would take exactly these groups, and fills fast_ov as PCRE2
 * would fill its ovector; any other line (lost leading blank, TABs inside,
 * a stray character) returns false and goes to PCRE2, which stays the
 * definition of a row.
 */
static bool
fast_row(struct pt_parser *p, const char *s, size_t n)
{
	PCRE2_SIZE *ov = p->fast_ov;
	if (p->no_fast_path || n < 12 || s[0] != ' ' || s[5] != ' ' ||
			!(memcmp(s + 6, "Nonp ", 5) == 0 ||
				memcmp(s + 6, "Paged", 5) == 0))
		return false;
	for (size_t i = 1; i < 5; i++)
		if (s[i] == '\r')
			return false;
	ov[0] = 0;
	ov[1] = n;
	ov[2] = 1;
	ov[3] = 5;
	ov[4] = 6;
	ov[5] = 11;
	size_t i = 11;
	for (size_t g = 3; g < 8; g++) {
		if (i >= n || s[i] != ' ')
			return false;
		i = skip_spaces(s, n, i);
		size_t start = i;
		bool neg = i < n && s[i] == '-';
		i += neg;
		size_t digits = i;
		uint64_t v = 0;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			v = v * 10 + (unsigned)(s[i++] - '0');
		/* Longer numbers may be out of range: PCRE2's path says so. */
		if (i == digits || i - digits > 18)
			return false;
		p->fast_num[g] = neg ? -(int64_t)v : (int64_t)v;
		ov[2 * g] = start;
		ov[2 * g + 1] = i;
	}
	ov[16] = ov[17] = PCRE2_UNSET;
	if (i < n && s[i] == ' ') {
		size_t text = skip_spaces(s, n, i);
		size_t end = n;
		while (end > text && s[end - 1] == ' ')
			end--;
		if (end > text) {
			ov[16] = text;
			ov[17] = end;
		}
		i = n;
	}
	/* No -g text: only TABs and blanks may follow the last number. */
	for (; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	p->ov = ov;
	return true;
}

/* Start and length of capture group g of the last match; false if unset. */
static bool
group(const struct pt_parser *p, int g, size_t *start, size_t *len)
{
	const PCRE2_SIZE *ov = p->ov;
	size_t i = 2 * (size_t)g;
	*start = 0;
	*len = 0;
	if (ov[i] == PCRE2_UNSET)
		return false;
	*start = ov[i];
	*len = ov[i + 1] - ov[i];
	return true;
}

/* ---- numbers ---- */

/* s is "-?[0-9]+" (guaranteed by the pattern); false when outside int64. */
static bool
parse_int64(const char *s, size_t n, int64_t *out)
{
	bool neg = n > 0 && s[0] == '-';
	size_t i = neg ? 1 : 0;
	uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	uint64_t v = 0;
	if (i == n)
		return false;
	/* 18 digits cannot overflow: only longer numbers need the check. */
	if (n - i <= 18) {
		for (; i < n; i++)
			v = v * 10 + (unsigned)(s[i] - '0');
		*out = neg ? -(int64_t)v : (int64_t)v;
		return true;
	}
	for (; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (d > 9 || v > (limit - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (neg)
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		*out = (int64_t)v;
	return true;
}

static bool
group_int64(const struct pt_parser *p, const char *s, int g, int64_t *out)
{
	size_t start, len;
	return group(p, g, &start, &len) && parse_int64(s + start, len, out);
}

/*
 * A ULONG counter.  Negative x86 %ld prints are taken modulo 2^32 (flagged).
 * A value above 2^32-1 cannot come from poolmon, whose counters are 32-bit;
 * it comes from a wrapper that printed a 64-bit count (s01's second block),
 * so it is reduced the same way and *unwrapped is set: the series layer
 * undoes 32-bit wraps.
 */
static bool
counter32(int64_t v, int64_t *out, uint8_t *flags, bool *unwrapped)
{
	if (v >= 0) {
		*out = v % U32_SPAN;
		if (v >= U32_SPAN)
			*unwrapped = true;
		return true;
	}
	if (v >= -I32_MIN_ABS) {
		*out = v + U32_SPAN;
		*flags |= PT_ROW_NEG_FIXED;
		return true;
	}
	return false;
}

/* A SIZE_T byte count: only x86 %ld prints can be negative. */
static bool
byte_count(int64_t v, int64_t *out, uint8_t *flags)
{
	if (v >= 0) {
		*out = v;
		return true;
	}
	if (v >= -I32_MIN_ABS) {
		*out = v + U32_SPAN;
		*flags |= PT_ROW_NEG_FIXED;
		return true;
	}
	return false;
}

/* ---- growable storage ---- */

/* A doubling capacity of at least need elements; 0 when it would overflow. */
static size_t
grown_cap(size_t cap, size_t need, size_t elem, size_t first)
{
	size_t c = cap ? cap : first;
	while (c < need) {
		if (c > SIZE_MAX / 2 / elem)
			return 0;
		c *= 2;
	}
	return c;
}

static uint64_t
hash_bytes(const char *s, size_t n)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

static bool
intern_grow(struct intern_table *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64;
	struct intern_slot *slots = calloc(cap, sizeof(*slots));
	if (slots == NULL)
		return false;
	for (size_t i = 0; i < t->cap; i++) {
		if (t->slots[i].s == NULL)
			continue;
		size_t j = (size_t)t->slots[i].hash & (cap - 1);
		while (slots[j].s != NULL)
			j = (j + 1) & (cap - 1);
		slots[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return true;
}

/* The stored copy of s[0..n), shared by every row with the same text. */
static const char *
intern(struct state *st, const char *s, size_t n)
{
	struct intern_table *t = &st->interned;
	if ((t->len + 1) * 2 > t->cap && !intern_grow(t))
		return NULL;
	uint64_t h = hash_bytes(s, n);
	size_t j = (size_t)h & (t->cap - 1);
	for (; t->slots[j].s != NULL; j = (j + 1) & (t->cap - 1)) {
		struct intern_slot *e = &t->slots[j];
		if (e->hash == h && e->len == n && memcmp(e->s, s, n) == 0)
			return e->s;
	}
	char *copy = pt_arena_strndup(&st->store->strings, s, n);
	if (copy == NULL)
		return NULL;
	t->slots[j] = (struct intern_slot){ .hash = h, .s = copy, .len = n };
	t->len++;
	return copy;
}

static uint64_t
row_key(const struct pt_row *r)
{
	return ((uint64_t)r->pool << 32 | (uint64_t)r->tag[0] |
		(uint64_t)r->tag[1] << 8 | (uint64_t)r->tag[2] << 16 |
		(uint64_t)r->tag[3] << 24);
}

static size_t
key_slot_of(uint64_t key, size_t cap)
{
	key ^= key >> 33;
	key *= UINT64_C(0xff51afd7ed558ccd);
	key ^= key >> 33;
	return (size_t)key & (cap - 1);
}

/* Insert into the set; *added is false when the key was already there. */
static bool
keys_insert(struct key_set *k, uint64_t key, bool *added);

static bool
keys_grow(struct key_set *k)
{
	size_t cap = k->cap ? k->cap * 2 : 256;
	struct key_slot *slots = calloc(cap, sizeof(*slots));
	if (slots == NULL)
		return false;
	struct key_set bigger = { .slots = slots, .cap = cap, .gen = k->gen };
	for (size_t i = 0; i < k->cap; i++) {
		bool added;
		if (k->slots[i].gen == k->gen)
			(void)keys_insert(&bigger, k->slots[i].key, &added);
	}
	free(k->slots);
	*k = bigger;
	return true;
}

static bool
keys_insert(struct key_set *k, uint64_t key, bool *added)
{
	if ((k->len + 1) * 2 > k->cap && !keys_grow(k))
		return false;
	size_t j = key_slot_of(key, k->cap);
	for (; k->slots[j].gen == k->gen; j = (j + 1) & (k->cap - 1)) {
		if (k->slots[j].key == key) {
			*added = false;
			return true;
		}
	}
	k->slots[j] = (struct key_slot){ .key = key, .gen = k->gen };
	k->len++;
	*added = true;
	return true;
}

/* Whether key is in the set (never grows it). */
static bool
keys_contains(const struct key_set *k, uint64_t key)
{
	if (k->cap == 0)
		return false;
	size_t j = key_slot_of(key, k->cap);
	for (; k->slots[j].gen == k->gen; j = (j + 1) & (k->cap - 1))
		if (k->slots[j].key == key)
			return true;
	return false;
}

/* Forget all keys at once: slots of older generations count as empty. */
static void
keys_reset(struct key_set *k)
{
	k->gen++;
	k->len = 0;
}

/* ---- diagnostics ---- */

static void
note_skipped(struct state *st)
{
	if (st->out->skipped++ == 0)
		st->out->first_skipped = st->line;
}

/* A warning about the content of line, or past the cap only a count. */
static void
warn_content(struct state *st, enum refusal kind, long line, const char *msg)
{
	if (st->number_diags[kind] >= MAX_NUMBER_DIAGS) {
		st->unreported[kind]++;
		return;
	}
	st->number_diags[kind]++;
	pt_diags_add(st->diags, PT_SEV_WARNING, st->file, line, "%s", msg);
}

/* The warning for a refused line, or past the cap only a count. */
static void
warn_refused(struct state *st, enum refusal kind, const char *msg)
{
	warn_content(st, kind, st->line, msg);
}

static size_t
unreported_lines(const struct state *st)
{
	size_t n = 0;
	for (int k = 0; k < REF_COUNT; k++)
		n += st->unreported[k];
	return n;
}

/* A line dropped for a bad number; msg is the whole warning text. */
static void
report_bad_line(struct state *st, const char *msg)
{
	note_skipped(st);
	warn_refused(st, REF_NUMBER, msg);
}

static void
report_bad_number(struct state *st, const char *what)
{
	char msg[80];
	/* what is a short literal; a cut message would still be usable */
	(void)snprintf(msg, sizeof(msg), "%s with a number out of range ignored",
		what);
	report_bad_line(st, msg);
}

/* ---- line classification ---- */

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool
is_type_word(const char *s)
{
	return memcmp(s, "Nonp ", 5) == 0 || memcmp(s, "Paged", 5) == 0;
}

/* Cheap test for the strict prefix " TTTT Type " (leading blank optional). */
static bool
has_strict_row_prefix(const char *s, size_t n)
{
	return (n >= 11 && s[5] == ' ' && is_type_word(s + 6)) ||
		(n >= 10 && s[4] == ' ' && is_type_word(s + 5));
}

/* Cheap test for the loose prefix: 1-4 non-blanks, blanks, Nonp/Paged. */
static bool
has_loose_row_prefix(const char *s, size_t n, size_t i)
{
	size_t tag_start = i;
	while (i < n && !is_blank(s[i]) && i - tag_start < 5)
		i++;
	if (i - tag_start < 1 || i - tag_start > 4 || i == n)
		return false;
	while (i < n && is_blank(s[i]))
		i++;
	return (n - i >= 4 && memcmp(s + i, "Nonp", 4) == 0) ||
		(n - i >= 5 && memcmp(s + i, "Paged", 5) == 0);
}

static enum line_kind
classify_by_keyword(struct pt_parser *p, const char *s, size_t n, char first)
{
	switch (first) {
	case 'M':
		if (matches(p, PAT_SUM_MEMORY, s, n))
			return K_MEMORY;
		break;
	case 'C':
		if (matches(p, PAT_SUM_COMMIT, s, n))
			return K_COMMIT;
		break;
	case 'T':
		if (matches(p, PAT_TOTAL, s, n))
			return K_TOTAL;
		if (matches(p, PAT_COLHDR, s, n) ||
				matches(p, PAT_COLHDR_LOOSE, s, n))
			return K_COLHDR;
		break;
	case '#':
		if (matches(p, PAT_COLHDR_LOOSE, s, n))
			return K_COLHDR;
		break;
	case '-':
		if (matches(p, PAT_RULE, s, n))
			return K_RULE;
		break;
	case 'E':
		if (matches(p, PAT_TRUNC_ERR, s, n))
			return K_TRUNC;
		break;
	case 'S':
	case 'A':
		if (matches(p, PAT_TITLE, s, n))
			return K_TITLE;
		break;
	default:
		break;
	}
	return K_JUNK;
}

/*
 * The kind of one line; for kinds with fields the last match's groups are
 * left in the parser's match data.  Rows are tried first because a tag may
 * begin with any keyword letter.
 */
static enum line_kind
classify(struct pt_parser *p, const char *s, size_t n, int64_t *stamp_ms,
		enum pt_stamp_kind *stamp_kind)
{
	size_t i = 0;
	while (i < n && is_blank(s[i]))
		i++;
	if (i == n)
		return K_BLANK;
	if (n > MAX_LINE)
		return K_JUNK;
	if (has_strict_row_prefix(s, n)) {
		if (fast_row(p, s, n) || matches(p, PAT_ROW, s, n))
			return K_ROW;
		if (matches(p, PAT_IROW, s, n))
			return K_IROW;
	}
	if (has_loose_row_prefix(s, n, i)) {
		if (matches(p, PAT_ROW_LOOSE, s, n))
			return K_ROW_LOOSE;
		if (matches(p, PAT_IROW_LOOSE, s, n))
			return K_IROW_LOOSE;
	}
	enum line_kind k = classify_by_keyword(p, s, n, s[i]);
	if (k != K_JUNK)
		return k;
	*stamp_kind = pt_stamp_parse_line(s, n, stamp_ms);
	return *stamp_kind != PT_STAMP_NONE ? K_STAMP : K_JUNK;
}

/* ---- blocks ---- */

static struct pt_snapshot *
current_block(struct state *st)
{
	return st->out->nsnaps && !st->dropping ?
		&st->out->snaps[st->out->nsnaps - 1] : NULL;
}

static void
forget_pending_block_lines(struct state *st)
{
	memset(&st->pend.summary, 0, sizeof(st->pend.summary));
	st->pend.title = NULL;
}

static void
settle_layout(struct state *st)
{
	struct pt_snapshot *b = current_block(st);
	if (b == NULL)
		return;
	const struct layout_votes *v = &st->votes;
	if (v->interactive_rows || b->title != NULL)
		b->layout = PT_LAYOUT_INTERACTIVE;
	else if (v->x86_header || v->x86_rows > v->x64_rows)
		b->layout = PT_LAYOUT_X86;
	else
		b->layout = PT_LAYOUT_X64;
}

static bool
is_x86_header(const char *s, size_t n)
{
	while (n > 0 && is_blank(s[n - 1]))
		n--;
	/* realdump 18 lost the leading blank of every line */
	size_t skip = n > 0 && s[0] != ' ' ? 1 : 0;
	size_t l86 = sizeof(H86) - 1 - skip, l86g = sizeof(H86G) - 1 - skip;
	return (n == l86 && memcmp(s, H86 + skip, n) == 0) ||
		(n == l86g && memcmp(s, H86G + skip, n) == 0);
}

/*
 * A block without rows is only reported (and ignored) by the caller, and
 * no more than PT_DIAGS_MAX reports are kept: past that many in a file,
 * such blocks are counted in out->empty_dropped, not kept.  The current
 * block is never delivered yet, so its slot can be given to the next.
 */
static void
forget_empty_block(struct state *st)
{
	struct pt_snapshot *b = current_block(st);
	if (b == NULL || b->nrows != 0)
		return;
	if (st->empty_kept < PT_DIAGS_MAX) {
		st->empty_kept++;
		return;
	}
	st->out->nsnaps--;
	st->out->empty_dropped++;
}

static bool
open_block(struct state *st, const char *s, size_t n)
{
	settle_layout(st);
	st->seen_header = true;
	struct pt_parse_result *out = st->out;
	if (st->max_snaps != 0)
		forget_empty_block(st);
	if (st->max_snaps != 0 && out->nsnaps >= st->max_snaps) {
		/* Headers without rows cost memory too: past the limit none is
		 * kept, and the rows under them are ignored. */
		if (out->dropped_snaps++ == 0)
			out->first_dropped = st->line;
		st->dropping = true;
		forget_pending_block_lines(st);
		return true;
	}
	if (out->nsnaps == st->snap_cap) {
		size_t cap = grown_cap(st->snap_cap, out->nsnaps + 1,
			sizeof(*out->snaps), 8);
		struct pt_snapshot *snaps = cap ?
			realloc(out->snaps, cap * sizeof(*snaps)) : NULL;
		if (snaps == NULL)
			return false;
		out->snaps = snaps;
		st->snap_cap = cap;
	}
	size_t start, len;
	struct pt_snapshot *b = &out->snaps[out->nsnaps++];
	*b = (struct pt_snapshot){
		.line = st->line,
		.end_line = st->line,
		.has_mapped = group(st->p, 1, &start, &len),
		.title = st->pend.title,
		.summary = st->pend.summary,
		.stamp_kind = st->pend.stamp_kind,
		.stamp_ms = st->pend.stamp_ms,
		.stamp_line = st->pend.stamp_line,
	};
	st->votes = (struct layout_votes){ .x86_header = is_x86_header(s, n) };
	st->dup_warned = false;
	st->total_warned = false;
	memset(st->pool_bytes, 0, sizeof(st->pool_bytes));
	keys_reset(&st->p->keys);
	forget_pending_block_lines(st);
	st->pend.stamp_kind = PT_STAMP_NONE;
	st->pend.stamp_ms = 0;
	st->pend.stamp_line = 0;
	return true;
}

/* Group numbers of the fields in each row pattern. */
struct row_groups {
	int allocs, frees, bytes, mapped;
	int numbers[11];    /* every numeric group, for range checks */
	int nnumbers;
};

static const struct row_groups plain_groups = {
	.allocs = 3, .frees = 4, .bytes = 6, .mapped = 8,
	.numbers = { 3, 4, 5, 6, 7 }, .nnumbers = 5,
};

static const struct row_groups interactive_groups = {
	.allocs = 3, .frees = 5, .bytes = 8, .mapped = 11,
	.numbers = { 3, 4, 5, 6, 7, 8, 9, 10 }, .nnumbers = 8,
};

/*
 * Each row's Bytes are at most PT_BYTES_MAX, but a snapshot's rows of one
 * pool can add up past it: the totals (pooltotal.c, diff.c) are then not
 * exact for a JSON reader, or saturate at INT64_MAX.  No row is dropped
 * for it (one corrupt row must not cost the others); the snapshot is
 * named once, at its header.
 */
static void
add_to_pool_total(struct state *st, const struct pt_snapshot *b,
		const struct pt_row *r)
{
	int64_t *total = &st->pool_bytes[r->pool];
	bool was_exact = *total <= PT_BYTES_MAX;
	*total = r->bytes > INT64_MAX - *total ? INT64_MAX : *total + r->bytes;
	if (!was_exact || *total <= PT_BYTES_MAX || st->total_warned)
		return;
	st->total_warned = true;
	char msg[224];
	(void)snprintf(msg, sizeof(msg), "snapshot's %s total is past 2^53-1 "
		"bytes (8 PiB, more than any pool holds): not exact for JSON "
		"readers that use doubles, and held at 2^63-1 past that",
		pt_pool_name((enum pt_pool)r->pool));
	warn_content(st, REF_TOTAL, b->line, msg);
}

/* Strict rows carry the tag as 4 raw bytes; loose ones as 1-4 non-blanks. */
static void
take_tag(const struct pt_parser *p, const char *s, uint8_t tag[4])
{
	size_t start, len;
	(void)group(p, 1, &start, &len);
	memset(tag, ' ', 4);
	memcpy(tag, s + start, len < 4 ? len : 4);
}

/* Columns from the end of the type to the end of Allocs; 0 if unknown. */
static size_t
allocs_width(const struct pt_parser *p)
{
	size_t type_start, type_len, a_start, a_len;
	if (!group(p, 2, &type_start, &type_len) ||
			!group(p, 3, &a_start, &a_len))
		return 0;
	return a_start + a_len - (type_start + type_len);
}

/* An Allocs field this wide is x64's %18I64d, never x86's %9ld. */
#define X64_ALLOCS_WIDTH 19

/* Votes x86 when the Allocs field is 9 wide (plus one for overflow). */
static void
vote_widths(struct state *st, bool interactive)
{
	size_t width = interactive ? 0 : allocs_width(st->p);
	if (width == 0)
		return;
	if (width <= 12)
		st->votes.x86_rows++;
	else if (width >= X64_ALLOCS_WIDTH)
		st->votes.x64_rows++;
}

/*
 * A strict row with x64 widths (under a header that is not the x86 one)
 * whose Allocs, Frees or Bytes is negative.  x64 poolmon prints these
 * unsigned counts with %I64d of zero-extended values, so they are never
 * negative there; reading "-5" modulo 2^32 as for x86 would invent a
 * count of 4294967291 and then a fake 32-bit wrap.  Diff may be negative
 * (Frees > Allocs) and is recomputed anyway.
 */
static bool
x64_row_with_negative_count(const struct state *st, const char *s,
		const struct row_groups *g)
{
	if (st->votes.x86_header || allocs_width(st->p) < X64_ALLOCS_WIDTH)
		return false;
	const int fields[3] = { g->allocs, g->frees, g->bytes };
	for (int i = 0; i < 3; i++) {
		size_t start, len;
		if (group(st->p, fields[i], &start, &len) && len > 0 &&
				s[start] == '-')
			return true;
	}
	return false;
}

/* Fill r from the last match; false when a number is out of range. */
static bool
read_row(struct state *st, const char *s, const struct row_groups *g,
		struct pt_row *r)
{
	/* Every number is range-checked, even those not kept; the fast row
	 * reader has read them already. */
	int64_t v[16];
	const int64_t *num = v;
	if (st->p->ov == st->p->fast_ov)
		num = st->p->fast_num;
	else
		for (int i = 0; i < g->nnumbers; i++)
			if (!group_int64(st->p, s, g->numbers[i], &v[g->numbers[i]]))
				return false;
	bool unwrapped = false;
	if (!counter32(num[g->allocs], &r->allocs, &r->flags, &unwrapped) ||
			!counter32(num[g->frees], &r->frees, &r->flags, &unwrapped) ||
			!byte_count(num[g->bytes], &r->bytes, &r->flags))
		return false;
	if (unwrapped && !st->unwrapped_warned) {
		st->unwrapped_warned = true;
		pt_diags_add(st->diags, PT_SEV_WARNING, st->file, st->line,
			"Allocs or Frees above 2^32-1 (not a 32-bit poolmon print) "
			"taken modulo 2^32");
	}
	r->diff = r->allocs - r->frees;
	if (r->diff < 0)
		r->diff += U32_SPAN;
	r->per_alloc = r->diff ? r->bytes / r->diff : r->bytes;
	return true;
}

static bool
read_mapped(struct state *st, const char *s, int g, const char **out)
{
	size_t start, len;
	*out = NULL;
	if (!group(st->p, g, &start, &len))
		return true;
	while (len > 0 && is_blank(s[start + len - 1]))
		len--;
	if (len == 0)
		return true;
	*out = intern(st, s + start, len);
	return *out != NULL;
}

static void
warn_duplicate(struct state *st, const struct pt_row *r)
{
	char tag[PT_TAG_TEXT_MAX];
	if (st->dup_warned)
		return;
	st->dup_warned = true;
	pt_diags_add(st->diags, PT_SEV_WARNING, st->file, st->line,
		"repeated row for tag '%s' (%s) in one snapshot; the first is kept",
		pt_tag_escape(r->tag, tag), pt_pool_name(r->pool));
}

static bool
add_row(struct state *st, const char *s, enum line_kind k)
{
	bool interactive = k == K_IROW || k == K_IROW_LOOSE;
	bool loose = k == K_ROW_LOOSE || k == K_IROW_LOOSE;
	struct pt_snapshot *b = current_block(st);
	forget_pending_block_lines(st);
	if (st->dropping)
		return true;
	if (b == NULL) {
		st->seam.acted_before_header = true;
		if (st->out->orphan_rows++ == 0)
			pt_diags_add(st->diags, PT_SEV_WARNING, st->file, st->line,
				"pool rows before any column header ignored");
		return true;
	}
	b->end_line = st->line;

	struct pt_row r = { .line = st->line };
	const struct row_groups *g = interactive ? &interactive_groups :
		&plain_groups;
	if (!interactive && !loose && x64_row_with_negative_count(st, s, g)) {
		report_bad_line(st, "x64 row with a negative Allocs, Frees or "
			"Bytes ignored (only x86 poolmon prints negative counts)");
		return true;
	}
	if (!read_row(st, s, g, &r)) {
		report_bad_number(st, "row");
		return true;
	}
	size_t start, len;
	(void)group(st->p, 2, &start, &len);
	r.pool = s[start] == 'P' ? PT_POOL_PAGED : PT_POOL_NONPAGED;
	if (r.bytes > PT_BYTES_MAX) {
		report_bad_line(st, "row with Bytes above 2^53-1 (8 PiB, more "
			"than any pool holds) ignored");
		return true;
	}
	take_tag(st->p, s, r.tag);
	if (loose)
		r.flags |= PT_ROW_LOOSE;

	bool added;
	if (st->max_rows_kept != 0 && b->nrows >= st->max_rows_kept) {
		/* Too many to be poolmon: counted, not kept and not added to
		 * the key set (the caller ignores the snapshot), so a hostile
		 * file cannot fill memory; a repeat still counts as one. */
		added = !keys_contains(&st->p->keys, row_key(&r));
		if (added) {
			b->nrows++;
			return true;
		}
	} else if (!keys_insert(&st->p->keys, row_key(&r), &added)) {
		return false;
	}
	if (!added) {
		b->duplicates++;
		warn_duplicate(st, &r);
		return true;
	}
	if (!read_mapped(st, s, interactive ? interactive_groups.mapped :
			plain_groups.mapped, &r.mapped))
		return false;

	struct result_store *rs = st->store;
	if (rs->nrows == rs->cap) {
		size_t cap = grown_cap(rs->cap, rs->nrows + 1, sizeof(r), 256);
		struct pt_row *rows = cap ?
			realloc(rs->rows, cap * sizeof(*rows)) : NULL;
		if (rows == NULL)
			return false;
		rs->rows = rows;
		rs->cap = cap;
	}
	rs->rows[rs->nrows++] = r;
	b->nrows++;
	add_to_pool_total(st, b, &r);
	if (r.flags & PT_ROW_NEG_FIXED)
		b->neg_fixed++;
	if (loose)
		b->loose = true;
	if (interactive)
		st->votes.interactive_rows = true;
	vote_widths(st, interactive || loose);
	return true;
}

/*
 * A Memory: line whose Avail is above its Memory cannot be poolmon's, so
 * its Avail is not used (no headroom is taken from it); Memory and
 * PageFlts still are.  The warning quotes the file's text.  Negative
 * prints (machines past 2 TiB, reinterpreted by add_summary) are not
 * compared: their order says nothing.
 */
static bool
avail_plausible(struct state *st, const char *s, const int64_t raw[2])
{
	if (raw[0] < 0 || raw[1] < 0 || raw[1] <= raw[0])
		return true;
	size_t ms, ml, as, al;
	(void)group(st->p, 1, &ms, &ml);
	(void)group(st->p, 2, &as, &al);
	char msg[224];
	(void)snprintf(msg, sizeof(msg), "-r summary Avail %.*sK exceeds Memory "
		"%.*sK (a damaged line, or a machine past 4 TiB whose counters "
		"wrap): Avail not used (no time to exhaustion from this line)",
		(int)(al < 24 ? al : 24), s + as, (int)(ml < 24 ? ml : 24),
		s + ms);
	warn_refused(st, REF_SUMMARY, msg);
	return false;
}

/* Memory: or Commit: line; held until the next column header. */
static void
add_summary(struct state *st, const char *s, bool memory)
{
	struct pt_summary *sum = &st->pend.summary;
	/* The last line of a kind before the header is the one that counts,
	 * used or refused. */
	if (memory) {
		sum->has_memory = false;
		sum->memory_refused = true;
		sum->avail_refused = false;
	} else {
		sum->has_commit = false;
		sum->commit_refused = true;
	}
	int64_t v[5], raw[2];
	for (int i = 0; i < 5; i++) {
		/* poolmon computes these in 32 bits and prints them with %ld:
		 * values from 2^31 come out negative, and nothing is larger. */
		if (!group_int64(st->p, s, i + 1, &v[i]) ||
				v[i] < -(INT64_C(1) << 31) || v[i] > UINT32_MAX) {
			report_bad_number(st, "summary line");
			return;
		}
		if (i < 2)
			raw[i] = v[i];
		if (v[i] < 0)
			v[i] += INT64_C(1) << 32;
	}
	if (memory) {
		sum->has_memory = true;
		sum->memory_refused = false;
		sum->avail_refused = !avail_plausible(st, s, raw);
		sum->memory_k = v[0];
		sum->avail_k = v[1];
		sum->page_faults = v[2];
		sum->krnl_k = v[3];
		sum->inram_paged_k = v[4];
	} else {
		sum->has_commit = true;
		sum->commit_refused = false;
		sum->commit_k = v[0];
		sum->limit_k = v[1];
		sum->peak_k = v[2];
		sum->pool_nonpaged_k = v[3];
		sum->pool_paged_k = v[4];
	}
}

bool
pt_summary_has_avail(const struct pt_summary *sum)
{
	return sum->has_memory && !sum->avail_refused;
}

bool
pt_summary_refused(const struct pt_summary *sum, uint8_t pool)
{
	return pool == PT_POOL_NONPAGED ?
		sum->memory_refused || sum->avail_refused :
		sum->commit_refused;
}

const char *
pt_summary_missing_note(const struct pt_summary *sum, uint8_t pool)
{
	if (pool == PT_POOL_NONPAGED && sum->avail_refused)
		return "-r summary Avail not used (see its warning), rates only";
	return pt_summary_refused(sum, pool) ?
		"-r summary line not used (see its warning), rates only" :
		"no -r summary lines, rates only";
}

static bool
add_title(struct state *st, const char *s)
{
	size_t start, len;
	(void)group(st->p, 1, &start, &len);
	st->pend.title = intern(st, s + start, len);
	return st->pend.title != NULL;
}

static void
add_trunc(struct state *st)
{
	struct pt_snapshot *b = current_block(st);
	forget_pending_block_lines(st);
	pt_diags_add(st->diags, PT_SEV_WARNING, st->file, st->line,
		"poolmon reported a truncated tag list (more tags than its buffer)");
	if (!st->seen_header)
		st->seam.acted_before_header = true;
	if (b != NULL) {
		b->truncated = true;
		b->end_line = st->line;
	}
}

static void
add_total(struct state *st)
{
	struct pt_snapshot *b = current_block(st);
	forget_pending_block_lines(st);
	if (!st->seen_header)
		st->seam.acted_before_header = true;
	if (b != NULL) {
		b->has_totals = true;
		b->end_line = st->line;
	}
}

static void
add_junk(struct state *st)
{
	struct pt_snapshot *b = current_block(st);
	forget_pending_block_lines(st);
	note_skipped(st);
	if (!st->seen_header)
		st->seam.junk_before_header = st->line;
	if (b != NULL)
		b->end_line = st->line;
}

static bool
handle_line(struct state *st, const char *s, size_t n)
{
	int64_t ms = 0;
	enum pt_stamp_kind sk = PT_STAMP_NONE;
	enum line_kind k = classify(st->p, s, n, &ms, &sk);
	switch (k) {
	case K_BLANK:
	case K_RULE:
		return true;
	case K_ROW:
	case K_IROW:
	case K_ROW_LOOSE:
	case K_IROW_LOOSE:
		return add_row(st, s, k);
	case K_MEMORY:
	case K_COMMIT:
		add_summary(st, s, k == K_MEMORY);
		return true;
	case K_COLHDR:
		return open_block(st, s, n);
	case K_TOTAL:
		add_total(st);
		return true;
	case K_TRUNC:
		add_trunc(st);
		return true;
	case K_TITLE:
		return add_title(st, s);
	case K_STAMP:
		st->pend.stamp_kind = sk;
		st->pend.stamp_ms = ms;
		st->pend.stamp_line = st->line;
		return true;
	case K_JUNK:
		if (n > MAX_LINE) {
			/* A limit that was hit is said, not just counted. */
			report_bad_line(st, "line longer than 65536 bytes skipped");
			return true;
		}
		add_junk(st);
		return true;
	}
	return true;
}

/* Rows were stored in one array; give each snapshot its slice. */
static void
attach_rows(struct pt_parse_result *out, struct result_store *rs)
{
	size_t off = 0;
	for (size_t i = 0; i < out->nsnaps; i++) {
		struct pt_snapshot *b = &out->snaps[i];
		b->rows = b->nrows ? rs->rows + off : NULL;
		off += b->nrows;
	}
}

static void
state_finish(struct state *st)
{
	free(st->interned.slots);
}

/* A result with the parser's spare row storage; false when out of memory. */
static bool
state_begin(struct state *st, struct pt_parser *p, const char *file,
		struct pt_parse_result *out, struct pt_diags *diags,
		struct pt_error *err)
{
	memset(out, 0, sizeof(*out));
	struct result_store *rs = calloc(1, sizeof(*rs));
	if (rs == NULL) {
		pt_error_set(err, 0, "out of memory");
		return false;
	}
	pt_arena_init(&rs->strings);
	rs->rows = p->spare_rows;
	rs->cap = p->spare_cap;
	p->spare_rows = NULL;
	p->spare_cap = 0;
	keys_reset(&p->keys);
	out->priv = rs;
	*st = (struct state){
		.p = p, .file = file, .diags = diags, .out = out, .store = rs,
	};
	return true;
}

static void
warn_unreported_numbers(const struct state *st)
{
	for (int k = 0; k < REF_COUNT; k++)
		if (st->unreported[k] > 0)
			pt_diags_add(st->diags, PT_SEV_WARNING, st->file, 0,
				"%zu more %s", st->unreported[k],
				unreported_what[k]);
}

bool
pt_parse_text(struct pt_parser *p, const char *text, size_t len,
		const char *file, struct pt_parse_result *out,
		struct pt_diags *diags, struct pt_error *err)
{
	struct state st;
	if (!state_begin(&st, p, file, out, diags, err))
		return false;
	struct result_store *rs = st.store;

	size_t pos = 0;
	bool ok = true;
	while (ok && pos < len) {
		const char *s = text + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;
		pos += n + (nl != NULL);
		/* tolerate CRLF from callers that skipped pt_decode */
		if (n > 0 && s[n - 1] == '\r')
			n--;
		st.line++;
		ok = handle_line(&st, s, n);
	}
	out->lines = (size_t)st.line;
	settle_layout(&st);
	state_finish(&st);
	if (!ok) {
		pt_parse_result_finish(out);
		pt_error_set(err, st.line, "out of memory");
		return false;
	}
	attach_rows(out, rs);
	warn_unreported_numbers(&st);
	return true;
}

/* ---- text in pieces ---- */

#define CTRL_Z 0x1A

struct pt_parse_stream {
	struct state st;
	pt_snapshot_sink sink;
	void *ctx;
	struct pt_error *err;
	char *pending;          /* text not parsed yet: at most one line */
	size_t plen, pcap;
	bool overlong;          /* pending holds the cut start of a long line */
	bool overlong_text;     /* a non-blank byte past the cut, last aside */
	char overlong_last;     /* the line's last byte so far (past the cut) */
	size_t held_lfs;        /* > 0: the line (pending or overlong) ended
	                         * in a Ctrl-Z and this many LFs followed;
	                         * the input may end there, which drops them */
	size_t delivered;       /* snapshots handed to sink */
};

struct pt_parse_stream *
pt_parse_stream_begin(struct pt_parser *p, const char *file,
		struct pt_parse_result *out, struct pt_diags *diags,
		size_t max_rows_kept, pt_snapshot_sink sink, void *ctx,
		struct pt_error *err)
{
	struct pt_parse_stream *ps = calloc(1, sizeof(*ps));
	if (ps == NULL) {
		memset(out, 0, sizeof(*out));
		pt_error_set(err, 0, "out of memory");
		return NULL;
	}
	if (!state_begin(&ps->st, p, file, out, diags, err)) {
		free(ps);
		return NULL;
	}
	ps->st.max_rows_kept = max_rows_kept;
	ps->sink = sink;
	ps->ctx = ctx;
	ps->err = err;
	return ps;
}

void
pt_parse_stream_limit_snapshots(struct pt_parse_stream *ps, size_t max)
{
	ps->st.max_snaps = max;
}

static bool
is_all_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_blank(s[i]))
			return false;
	return true;
}

/* Parse the complete lines of text[0, len), which ends with LF or is empty. */
static bool
parse_lines(struct state *st, const char *text, size_t len)
{
	size_t pos = 0;
	while (pos < len) {
		const char *s = text + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;
		pos += n + (nl != NULL);
		st->line++;
		if (!handle_line(st, s, n))
			return false;
	}
	return true;
}

/*
 * Hand every snapshot before the current one to the sink and drop its
 * rows; at the end (all) the current one too.
 */
static bool
deliver(struct pt_parse_stream *ps, bool all)
{
	struct pt_parse_result *out = ps->st.out;
	struct result_store *rs = ps->st.store;
	size_t upto = all ? out->nsnaps : (out->nsnaps ? out->nsnaps - 1 : 0);
	size_t off = 0;
	bool ok = true;
	for (; ps->delivered < upto; ps->delivered++) {
		struct pt_snapshot *b = &out->snaps[ps->delivered];
		size_t kept = ps->st.max_rows_kept != 0 &&
			b->nrows > ps->st.max_rows_kept ? ps->st.max_rows_kept :
			b->nrows;
		b->rows = kept == b->nrows && kept > 0 ? rs->rows + off : NULL;
		if (ok)
			ok = ps->sink(ps->ctx, ps->delivered, b);
		b->rows = NULL;
		off += kept;
	}
	if (off > 0)
		memmove(rs->rows, rs->rows + off,
			(rs->nrows - off) * sizeof(*rs->rows));
	rs->nrows -= off;
	return ok;
}

static bool
pend(struct pt_parse_stream *ps, const char *text, size_t len)
{
	if (ps->pcap - ps->plen < len + 1) {
		size_t cap = grown_cap(ps->pcap, ps->plen + len + 1, 1, 4096);
		char *p = cap ? realloc(ps->pending, cap) : NULL;
		if (p == NULL)
			return false;
		ps->pending = p;
		ps->pcap = cap;
	}
	memcpy(ps->pending + ps->plen, text, len);
	ps->plen += len;
	return true;
}

/*
 * A line longer than MAX_LINE is junk whatever it says: only its first
 * MAX_LINE + 1 bytes are kept, and whether anything but blanks followed.
 * The bytes past the cut are seen in pieces; the last is kept apart, as a
 * final Ctrl-Z is dropped.
 */
static void
overlong_add(struct pt_parse_stream *ps, const char *s, size_t n)
{
	if (n == 0)
		return;
	ps->overlong_text = ps->overlong_text || !is_blank(ps->overlong_last) ||
		!is_all_blank(s, n - 1);
	ps->overlong_last = s[n - 1];
}

static void
start_overlong(struct pt_parse_stream *ps)
{
	ps->overlong = true;
	ps->overlong_text = false;
	ps->overlong_last = ' ';
	overlong_add(ps, ps->pending + MAX_LINE + 1, ps->plen - MAX_LINE - 1);
	ps->plen = MAX_LINE + 1;
}

/* final_z: the input ends with this line, so a last Ctrl-Z is dropped. */
static bool
parse_overlong_line(struct pt_parse_stream *ps, bool final_z)
{
	bool text = ps->overlong_text || (!is_blank(ps->overlong_last) &&
		!(final_z && ps->overlong_last == CTRL_Z));
	if (text && is_all_blank(ps->pending, ps->plen))
		ps->pending[ps->plen - 1] = 'x';
	ps->overlong = false;
	ps->st.line++;
	bool ok = handle_line(&ps->st, ps->pending, ps->plen);
	ps->plen = 0;
	return ok;
}

/* More text came after a Ctrl-Z line and its LFs: they are ordinary. */
static bool
release_held(struct pt_parse_stream *ps)
{
	bool ok;
	if (ps->overlong) {
		ok = parse_overlong_line(ps, false);
	} else {
		ps->st.line++;
		ok = handle_line(&ps->st, ps->pending, ps->plen);
		ps->plen = 0;
	}
	/* The first LF ended the line; each other one is a blank line. */
	for (size_t i = 1; ok && i < ps->held_lfs; i++) {
		ps->st.line++;
		ok = handle_line(&ps->st, "", 0);
	}
	ps->held_lfs = 0;
	return ok;
}

static size_t
count_lfs(const char *s, size_t n)
{
	size_t k = 0;
	while (k < n && s[k] == '\n')
		k++;
	return k;
}

/*
 * Parse the complete lines in pending, keeping the incomplete last one.
 * When pending ends with a line whose last byte is a Ctrl-Z and only LFs
 * after it, that line is kept instead and the LFs counted (held_lfs):
 * pt_decode drops a final Ctrl-Z and the LFs after it.
 */
static bool
parse_complete_lines(struct pt_parse_stream *ps)
{
	char *p = ps->pending;
	size_t from = ps->plen;
	while (from > 0 && p[from - 1] != '\n')
		from--;
	size_t keep_from = from, keep_to = ps->plen;
	if (from == ps->plen) {
		size_t e = from;
		while (e > 0 && p[e - 1] == '\n')
			e--;
		if (e > 0 && p[e - 1] == CTRL_Z) {
			keep_to = e;
			keep_from = e - 1;
			while (keep_from > 0 && p[keep_from - 1] != '\n')
				keep_from--;
			ps->held_lfs = from - e;
		}
	}
	if (!parse_lines(&ps->st, p, keep_from))
		return false;
	ps->plen = keep_to - keep_from;
	memmove(p, p + keep_from, ps->plen);
	return true;
}

bool
pt_parse_stream_feed(struct pt_parse_stream *ps, const char *text,
		size_t len)
{
	if (ps->held_lfs > 0) {
		size_t k = count_lfs(text, len);
		ps->held_lfs += k;
		text += k;
		len -= k;
		if (len == 0)
			return true;
		if (!release_held(ps))
			goto oom;
	}
	if (ps->overlong) {
		const char *nl = memchr(text, '\n', len);
		size_t seg = nl ? (size_t)(nl - text) : len;
		overlong_add(ps, text, seg);
		if (nl == NULL)
			return true;
		text += seg + 1;
		len -= seg + 1;
		if (ps->overlong_last == CTRL_Z && count_lfs(text, len) == len) {
			ps->held_lfs = 1 + len;
			return true;
		}
		if (!parse_overlong_line(ps, false))
			goto oom;
	}
	if (!pend(ps, text, len) || !parse_complete_lines(ps))
		goto oom;
	if (ps->held_lfs == 0 && ps->plen > MAX_LINE + 1)
		start_overlong(ps);
	return deliver(ps, false);
oom:
	pt_error_set(ps->err, ps->st.line, "out of memory");
	return false;
}

size_t
pt_parse_stream_lines_ended(const struct pt_parse_stream *ps)
{
	/* Held LFs end lines that are not handled yet. */
	return (size_t)ps->st.line + ps->held_lfs;
}

/* The last line, as pt_decode ends a text: without a final Ctrl-Z. */
static bool
parse_last_line(struct pt_parse_stream *ps)
{
	if (ps->overlong)
		return parse_overlong_line(ps, true);
	if (ps->plen > 0 && ps->pending[ps->plen - 1] == CTRL_Z)
		ps->plen--;
	if (ps->plen == 0)
		return true;
	ps->st.line++;
	return handle_line(&ps->st, ps->pending, ps->plen);
}

/* What the end of a piece leaves for a next header. */
static bool
pending_at_end(const struct pt_parse_stream *ps)
{
	const struct pending *p = &ps->st.pend;
	return ps->held_lfs > 0 || ps->overlong || ps->plen > 0 ||
		p->summary.has_memory || p->summary.has_commit ||
		p->summary.memory_refused || p->summary.commit_refused ||
		p->title != NULL || p->stamp_kind != PT_STAMP_NONE;
}

bool
pt_parse_stream_end(struct pt_parse_stream *ps, bool parse_rest)
{
	return pt_parse_stream_end_seam(ps, parse_rest, NULL);
}

bool
pt_parse_stream_end_seam(struct pt_parse_stream *ps, bool parse_rest,
		struct pt_parse_seam *seam)
{
	bool ok = true;
	if (seam != NULL) {
		*seam = ps->st.seam;
		seam->pending_at_end = pending_at_end(ps);
		seam->unwrapped_warned = ps->st.unwrapped_warned;
		memcpy(seam->number_diags, ps->st.number_diags,
			sizeof(seam->number_diags));
		seam->number_unreported = unreported_lines(&ps->st);
	}
	if (parse_rest) {
		ok = parse_last_line(ps);
		if (!ok)
			pt_error_set(ps->err, ps->st.line, "out of memory");
		ps->st.out->lines = (size_t)ps->st.line;
		settle_layout(&ps->st);
		ok = ok && deliver(ps, true);
		if (ok)
			warn_unreported_numbers(&ps->st);
	}
	state_finish(&ps->st);
	pt_parse_result_release_rows(ps->st.out, ps->st.p);
	free(ps->pending);
	free(ps);
	return ok;
}

void
pt_parse_result_release_rows(struct pt_parse_result *r, struct pt_parser *p)
{
	struct result_store *rs = r->priv;
	if (rs != NULL) {
		if (p != NULL && p->spare_rows == NULL) {
			p->spare_rows = rs->rows;
			p->spare_cap = rs->cap;
		} else {
			free(rs->rows);
		}
		rs->rows = NULL;
		rs->nrows = rs->cap = 0;
	}
	for (size_t i = 0; i < r->nsnaps; i++)
		r->snaps[i].rows = NULL;
}

void
pt_parse_result_finish(struct pt_parse_result *r)
{
	if (r == NULL)
		return;
	struct result_store *rs = r->priv;
	if (rs != NULL) {
		pt_arena_finish(&rs->strings);
		free(rs->rows);
		free(rs);
	}
	free(r->snaps);
	memset(r, 0, sizeof(*r));
}
