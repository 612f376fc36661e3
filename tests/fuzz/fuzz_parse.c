/*
 * Fuzz target: raw bytes -> pt_decode -> pt_parse_text, and the same bytes
 * streamed in chunks (pt_decoder -> pt_parse_stream), which must agree.
 *
 * The buffer is treated as the content of one poolmon file.  It is decoded
 * like a file and parsed; the undecoded bytes are parsed too, because
 * pt_parse_text documents that it tolerates CRLF and NUL bytes from callers
 * that skip pt_decode.  After each parse the documented invariants of
 * snapshot.h and decode.h are checked and any violation aborts, so libFuzzer
 * (or the regression driver in fuzz_main.c) reports it as a crash.
 * Each text is also parsed with the fast row reader switched off, and the
 * two results must be identical: PCRE2 defines what a row is; and decoded
 * in place, which must give the same text.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pooltrend/decode.h"
#include "pooltrend/diag.h"
#include "pooltrend/snapshot.h"
#include "pooltrend/timestamp.h"
#include "src/parse_internal.h"

/* libFuzzer's entry point; declared here for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define U32_LIMIT (INT64_C(1) << 32)

/* Say which invariant broke before aborting: a bare abort is hard to read. */
static void
fail(const char *what, long line)
{
	fprintf(stderr, "fuzz_parse: invariant violated: %s (line %ld)\n",
		what, line);
	abort();
}

/* Messages go to a terminal: no control bytes may reach them. */
static void
check_clean_string(const char *s, const char *what)
{
	if (s == NULL)
		return;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fail(what, 0);
	}
}

static void
check_diags(const struct pt_diags *d)
{
	if (d->len > PT_DIAGS_MAX || d->len > d->cap)
		fail("diags length", 0);
	for (size_t i = 0; i < d->len; i++) {
		const struct pt_diag *g = &d->items[i];
		if (g->severity > PT_SEV_ERROR)
			fail("diag severity", g->line);
		if (g->msg == NULL)
			fail("diag without message", g->line);
		check_clean_string(g->file, "control byte in diag file");
		check_clean_string(g->msg, "control byte in diag message");
	}
}

static void
check_decoded(const struct pt_text *t)
{
	if (t->len == 0)
		return;
	if (t->data == NULL)
		fail("decoded text without data", 0);
	if (t->data[t->len] != '\0')
		fail("decoded text not NUL-terminated", 0);
	if (t->data[t->len - 1] != '\n')
		fail("decoded text does not end with LF", 0);
	if (memchr(t->data, '\r', t->len) != NULL)
		fail("CR left in decoded text", 0);
	if ((t->lone_crs > 0) != (t->lone_cr_line > 0))
		fail("lone CRs without the line of the first", 0);
	if (t->encoding > PT_ENC_UTF32BE)
		fail("encoding out of range", 0);
}

/* Lines as pt_parse_text counts them: one per LF, plus an unterminated tail. */
static long
count_lines(const char *text, size_t len)
{
	long n = 0;
	for (size_t i = 0; i < len; i++)
		n += text[i] == '\n';
	if (len > 0 && text[len - 1] != '\n')
		n++;
	return n;
}

static bool
in_u32(int64_t v)
{
	return v >= 0 && v < U32_LIMIT;
}

static void
check_summary(const struct pt_summary *s, long line)
{
	if (s->has_memory && !(in_u32(s->memory_k) && in_u32(s->avail_k) &&
			in_u32(s->page_faults) && in_u32(s->krnl_k) &&
			in_u32(s->inram_paged_k)))
		fail("Memory: summary outside 0 .. 2^32-1", line);
	if (s->has_commit && !(in_u32(s->commit_k) && in_u32(s->limit_k) &&
			in_u32(s->peak_k) && in_u32(s->pool_nonpaged_k) &&
			in_u32(s->pool_paged_k)))
		fail("Commit: summary outside 0 .. 2^32-1", line);
}

static void
check_row(const struct pt_row *r)
{
	long line = r->line;
	if (r->pool >= PT_POOL_COUNT)
		fail("pool out of range", line);
	if (r->flags & ~(PT_ROW_LOOSE | PT_ROW_NEG_FIXED))
		fail("unknown row flag", line);
	if (!in_u32(r->allocs) || !in_u32(r->frees))
		fail("allocs/frees outside 0 .. 2^32-1", line);
	/* The header promises Diff is recomputed, never taken from the text. */
	if (r->diff != (int64_t)(((uint64_t)r->allocs - (uint64_t)r->frees) &
			UINT32_MAX))
		fail("diff != (allocs - frees) mod 2^32", line);
	if (r->bytes < 0)
		fail("negative bytes", line);
	int64_t want = r->diff == 0 ? r->bytes : r->bytes / r->diff;
	if (r->per_alloc != want)
		fail("per_alloc inconsistent with bytes / diff", line);
	/* Touch the driver text so ASan sees a bad pointer here. */
	if (r->mapped != NULL)
		(void)strlen(r->mapped);
}

/* Sort key for the duplicate check: the parser keeps one row per (tag, pool). */
static uint64_t
row_key(const struct pt_row *r)
{
	return ((uint64_t)r->tag[0] << 32 | (uint64_t)r->tag[1] << 24 |
		(uint64_t)r->tag[2] << 16 | (uint64_t)r->tag[3] << 8) | r->pool;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static void
check_unique_rows(const struct pt_snapshot *s)
{
	if (s->nrows < 2)
		return;
	uint64_t *keys = malloc(s->nrows * sizeof(*keys));
	if (keys == NULL)
		return; /* not the parser's fault */
	for (size_t i = 0; i < s->nrows; i++)
		keys[i] = row_key(&s->rows[i]);
	qsort(keys, s->nrows, sizeof(*keys), cmp_u64);
	for (size_t i = 1; i < s->nrows; i++) {
		if (keys[i] == keys[i - 1]) {
			free(keys);
			fail("repeated (tag, pool) in one snapshot", s->line);
		}
	}
	free(keys);
}

static void
check_snapshot(const struct pt_snapshot *s, long lines)
{
	if (s->line < 1 || s->line > lines || s->end_line < s->line ||
			s->end_line > lines)
		fail("snapshot lines outside the text", s->line);
	if (s->layout > PT_LAYOUT_INTERACTIVE)
		fail("layout out of range", s->line);
	if (s->stamp_kind > PT_STAMP_NAME_NS)
		fail("stamp kind out of range", s->line);
	if (s->stamp_kind != PT_STAMP_NONE &&
			(s->stamp_line < 1 || s->stamp_line >= s->line))
		fail("timestamp line not before its block", s->line);
	if (s->nrows > 0 && s->rows == NULL)
		fail("rows missing", s->line);
	if (s->title != NULL)
		(void)strlen(s->title);
	check_summary(&s->summary, s->line);

	size_t neg = 0;
	bool loose = false;
	long prev = s->line;
	for (size_t i = 0; i < s->nrows; i++) {
		const struct pt_row *r = &s->rows[i];
		check_row(r);
		if (r->line <= prev || r->line > s->end_line)
			fail("row line outside its block or out of order", r->line);
		prev = r->line;
		neg += (r->flags & PT_ROW_NEG_FIXED) != 0;
		loose |= (r->flags & PT_ROW_LOOSE) != 0;
	}
	if (neg != s->neg_fixed)
		fail("neg_fixed != rows flagged PT_ROW_NEG_FIXED", s->line);
	if (loose && !s->loose)
		fail("loose row in a block not marked loose", s->line);
	check_unique_rows(s);
}

static void
check_result(const struct pt_parse_result *r, const char *text, size_t len)
{
	long lines = count_lines(text, len);
	if ((long)r->lines != lines)
		fail("line count differs from the text", (long)r->lines);
	if (r->skipped > r->lines || r->orphan_rows > r->lines)
		fail("more skipped/orphan lines than lines", 0);
	if ((r->skipped == 0) != (r->first_skipped == 0) ||
			r->first_skipped < 0 || r->first_skipped > lines)
		fail("first_skipped inconsistent", r->first_skipped);
	if (r->nsnaps > 0 && r->snaps == NULL)
		fail("snapshots missing", 0);

	/* Rows live in one array sliced in block order: the slices must tile
	 * it, so each non-empty block starts where the previous one ended and
	 * the row total equals the sum of nrows. */
	const struct pt_row *next = NULL;
	size_t total = 0;
	for (size_t i = 0; i < r->nsnaps; i++) {
		const struct pt_snapshot *s = &r->snaps[i];
		check_snapshot(s, lines);
		if (i > 0 && s->line <= r->snaps[i - 1].end_line)
			fail("snapshots overlap or out of order", s->line);
		if (s->nrows > 0) {
			if (next != NULL && s->rows != next)
				fail("row slices do not tile", s->line);
			next = s->rows + s->nrows;
		}
		total += s->nrows;
	}
	if (total > r->lines)
		fail("more rows than lines", 0);
}

/* fast: with the fast row reader (the default), or PCRE2 only. */
static struct pt_parser *
parser(bool fast)
{
	/* Compiling the patterns per input would dominate the run time. */
	static struct pt_parser *p[2];
	if (p[fast] == NULL) {
		struct pt_error err = {0};
		p[fast] = pt_parser_create(&err);
		if (p[fast] == NULL) {
			fprintf(stderr, "fuzz_parse: pt_parser_create: %s\n", err.msg);
			abort();
		}
		pt_parser_set_fast_path(p[fast], fast);
	}
	return p[fast];
}

static bool
same_string(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
		(a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool
same_row(const struct pt_row *a, const struct pt_row *b)
{
	return memcmp(a->tag, b->tag, 4) == 0 && a->pool == b->pool &&
		a->flags == b->flags && a->allocs == b->allocs &&
		a->frees == b->frees && a->diff == b->diff &&
		a->bytes == b->bytes && a->per_alloc == b->per_alloc &&
		a->line == b->line && same_string(a->mapped, b->mapped);
}

/* What both comparisons of a snapshot's head look at. */
static bool
same_snapshot_head(const struct pt_snapshot *a, const struct pt_snapshot *b)
{
	return a->line == b->line && a->end_line == b->end_line &&
		a->layout == b->layout && a->nrows == b->nrows &&
		a->loose == b->loose && a->duplicates == b->duplicates;
}

static void
check_same_snapshot(const struct pt_snapshot *a, const struct pt_snapshot *b)
{
	if (!same_snapshot_head(a, b) || a->neg_fixed != b->neg_fixed)
		fail("fast and PCRE2 readers disagree on a snapshot", a->line);
	for (size_t i = 0; i < a->nrows; i++)
		if (!same_row(&a->rows[i], &b->rows[i]))
			fail("fast and PCRE2 readers disagree on a row",
				a->rows[i].line);
}

static void
check_same_result(const struct pt_parse_result *a,
		const struct pt_parse_result *b, const struct pt_diags *da,
		const struct pt_diags *db)
{
	if (a->nsnaps != b->nsnaps || a->skipped != b->skipped ||
			a->first_skipped != b->first_skipped ||
			a->orphan_rows != b->orphan_rows)
		fail("fast and PCRE2 readers disagree on the counts", 0);
	for (size_t i = 0; i < a->nsnaps; i++)
		check_same_snapshot(&a->snaps[i], &b->snaps[i]);
	if (da->len != db->len)
		fail("fast and PCRE2 readers disagree on the messages", 0);
	for (size_t i = 0; i < da->len; i++)
		if (da->items[i].line != db->items[i].line ||
				strcmp(da->items[i].msg, db->items[i].msg) != 0)
			fail("fast and PCRE2 readers disagree on a message",
				da->items[i].line);
}

static void
parse_and_check(const char *text, size_t len)
{
	struct pt_diags diags, slow_diags;
	struct pt_parse_result res, slow;
	struct pt_error err = {0};
	pt_diags_init(&diags);
	pt_diags_init(&slow_diags);
	bool ok = pt_parse_text(parser(true), text, len, "fuzz\x1b[1m.txt",
		&res, &diags, &err);
	bool slow_ok = pt_parse_text(parser(false), text, len,
		"fuzz\x1b[1m.txt", &slow, &slow_diags, &err);
	if (ok) {
		check_result(&res, text, len);
		if (slow_ok)
			check_same_result(&res, &slow, &diags, &slow_diags);
		pt_parse_result_finish(&res);
	}
	if (slow_ok)
		pt_parse_result_finish(&slow);
	check_diags(&diags);
	pt_diags_finish(&diags);
	pt_diags_finish(&slow_diags);
}

/* Decoding in place must give the bytes the copying decoder gives. */
static void
check_decode_owned(const uint8_t *data, size_t size, const struct pt_text *t)
{
	unsigned char *copy = malloc(size + 1);
	if (copy == NULL)
		return;
	if (size > 0)
		memcpy(copy, data, size);
	struct pt_text o;
	struct pt_error err = {0};
	if (!pt_decode_owned(copy, size, &o, &err))
		return;
	if (o.len != t->len || o.encoding != t->encoding ||
			o.odd_byte != t->odd_byte ||
			o.bad_surrogate != t->bad_surrogate ||
			memcmp(o.data, t->data, t->len + 1) != 0)
		fail("pt_decode_owned differs from pt_decode", 0);
	pt_text_finish(&o);
}

/* The sink of check_streamed: rows as the whole-text parse has them. */
static bool
compare_rows(void *ctx, size_t index, const struct pt_snapshot *snap)
{
	const struct pt_parse_result *whole = ctx;
	if (index >= whole->nsnaps)
		fail("streamed parse found a snapshot more", snap->line);
	const struct pt_snapshot *w = &whole->snaps[index];
	if (!same_snapshot_head(w, snap) || w->stamp_ms != snap->stamp_ms)
		fail("streamed parse differs on a snapshot", snap->line);
	for (size_t i = 0; i < snap->nrows; i++)
		if (!same_row(&w->rows[i], &snap->rows[i]))
			fail("streamed parse differs on a row", w->rows[i].line);
	return true;
}

/*
 * The raw bytes decoded and parsed in chunks (pt_decoder, pt_parse_stream)
 * must give what pt_decode and pt_parse_text give on the whole; the first
 * byte picks the chunk size (1 to 16).
 */
static void
check_streamed(const uint8_t *data, size_t size, const struct pt_text *text)
{
	struct pt_parse_result whole, streamed;
	struct pt_diags wd, sd;
	struct pt_error err = {0};
	pt_diags_init(&wd);
	pt_diags_init(&sd);
	if (!pt_parse_text(parser(true), text->data, text->len, "f", &whole,
			&wd, &err))
		goto out_diags;
	size_t chunk = size > 0 ? (size_t)(data[0] % 16) + 1 : 1;
	struct pt_decoder dec;
	pt_decoder_init(&dec);
	char *out = malloc(pt_decoder_room(chunk));
	struct pt_parse_stream *st = out == NULL ? NULL :
		pt_parse_stream_begin(parser(true), "f", &streamed, &sd, 0,
			compare_rows, &whole, &err);
	if (st == NULL)
		goto out;
	bool ok = true;
	for (size_t pos = 0; ok;) {
		size_t n = size - pos < chunk ? size - pos : chunk;
		size_t k = pt_decoder_feed(&dec, data + pos, n, n == 0, out);
		ok = pt_parse_stream_feed(st, out, k);
		pos += n;
		if (n == 0)
			break;
	}
	ok = pt_parse_stream_end(st, ok) && ok;
	if (ok && (streamed.nsnaps != whole.nsnaps ||
			streamed.lines != whole.lines ||
			streamed.skipped != whole.skipped ||
			streamed.orphan_rows != whole.orphan_rows ||
			sd.len != wd.len || dec.encoding != text->encoding ||
			dec.odd_byte != text->odd_byte ||
			dec.bad_surrogate != text->bad_surrogate))
		fail("streamed parse differs from the whole-text parse", 0);
	for (size_t i = 0; ok && i < sd.len; i++)
		if (sd.items[i].line != wd.items[i].line ||
				strcmp(sd.items[i].msg, wd.items[i].msg) != 0)
			fail("streamed parse differs on a message", sd.items[i].line);
	pt_parse_result_finish(&streamed);
out:
	free(out);
	pt_parse_result_finish(&whole);
out_diags:
	pt_diags_finish(&wd);
	pt_diags_finish(&sd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pt_text text = {0};
	struct pt_error err = {0};
	if (pt_decode(data, size, &text, &err)) {
		check_decoded(&text);
		check_decode_owned(data, size, &text);
		parse_and_check(text.data, text.len);
		check_streamed(data, size, &text);
		pt_text_finish(&text);
	}
	/* The raw bytes, CRs and all: a copy so ASan catches reads past size. */
	char *raw = malloc(size ? size : 1);
	if (raw != NULL) {
		if (size > 0)
			memcpy(raw, data, size);
		parse_and_check(raw, size);
		free(raw);
	}
	return 0;
}
