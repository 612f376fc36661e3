/*
 * Fuzz target: raw bytes -> pt_decode -> pt_pooltag_parse -> lookups.
 *
 * The buffer is one pooltag.txt file.  After parsing, tags are looked up:
 * the first 4 bytes of every line (after and before its leading blanks),
 * the same cut and padded, and a few fixed tags that hit each lookup step.
 * Every answer is checked against pooltag.h and an independent reading of
 * its rules: keys 1-4 bytes, strings non-NULL and trimmed, results in
 * file order within one quality, exact hits before poolmon-cut hits before
 * wildcard hits, wildcard hits all with the best score; the count does not
 * depend on max.  Any violation aborts.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pooltrend/decode.h"
#include "pooltrend/diag.h"
#include "pooltrend/pooltag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXHITS 8
/* Lines whose first bytes become lookups: bounds the work per input. */
#define MAX_LINE_TAGS 256

static void
fail(const char *what, const uint8_t tag[4])
{
	fprintf(stderr, "fuzz_pooltag: invariant violated: %s (tag %02x %02x %02x %02x)\n",
		what, tag[0], tag[1], tag[2], tag[3]);
	abort();
}

static bool
blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool
alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
		(c >= 'a' && c <= 'z');
}

/* The tag up to a NUL with trailing blanks trimmed (lookup step 1). */
static size_t
trimmed(const uint8_t tag[4], char out[5])
{
	size_t n = 0;
	while (n < 4 && tag[n] != 0)
		n++;
	while (n > 0 && blank(tag[n - 1]))
		n--;
	memcpy(out, tag, n);
	out[n] = '\0';
	return n;
}

/* Leading blanks stripped, cut at the first blank (steps 2 and 3). */
static size_t
cut(const char *s, char out[5])
{
	while (blank((unsigned char)*s))
		s++;
	size_t n = 0;
	while (s[n] != '\0' && !blank((unsigned char)s[n]))
		n++;
	memcpy(out, s, n);
	out[n] = '\0';
	return n;
}

/* poolmon's wildcard score, written independently of src/pooltag.c. */
static int
score(const char *pat, const char *tag)
{
	size_t tn = strlen(tag), i;
	int lits = 0;
	bool q = false;
	for (i = 0; pat[i] != '\0'; i++) {
		char c = pat[i];
		if (c == '*')
			return lits;
		if (i >= tn || (c != '?' && (q || c != tag[i])))
			return -1;
		if (c == '?')
			q = true;
		else
			lits++;
	}
	return i == tn ? lits : -1;
}

static void
check_entry(const struct pt_pooltag_entry *e, const uint8_t tag[4])
{
	size_t kn = strnlen(e->key, sizeof(e->key));
	if (kn < 1 || kn > 4)
		fail("key not 1-4 bytes", tag);
	if (blank((unsigned char)e->key[0]) || blank((unsigned char)e->key[kn - 1]))
		fail("key not trimmed", tag);
	bool w = strpbrk(e->key, "?*") != NULL;
	if (e->wildcard != w)
		fail("wildcard flag disagrees with key", tag);
	if (e->binary == NULL || e->description == NULL)
		fail("NULL string", tag);
	if (e->line < 1)
		fail("line < 1", tag);
	const char *d = e->description;
	size_t dn = strlen(d), bn = strlen(e->binary);
	if (dn > 0 && (blank((unsigned char)d[0]) || blank((unsigned char)d[dn - 1])))
		fail("description not trimmed", tag);
	if (bn > 0 && (blank((unsigned char)e->binary[0]) ||
			blank((unsigned char)e->binary[bn - 1])))
		fail("binary not trimmed", tag);
}

/* Which step found e: 3 exact, 2 poolmon cut, 1 wildcard, 0 none. */
static int
quality(const struct pt_pooltag_entry *e, const char *exact, const char *c)
{
	char kc[5];
	if (exact[0] != '\0' && strcmp(e->key, exact) == 0)
		return 3;
	if (c[0] != '\0' && cut(e->key, kc) > 0 && strcmp(kc, c) == 0)
		return 2;
	if (e->wildcard && alnum((unsigned char)c[0]) && e->key[0] == c[0] &&
			score(e->key, c) >= 0)
		return 1;
	return 0;
}

/*
 * Entries returned by earlier lookups.  A later lookup must agree with
 * them: none may match it better than its hits, and those that match it
 * as well as its hits must be among them.
 */
#define MAX_SEEN 128
static const struct pt_pooltag_entry *seen[MAX_SEEN];
static size_t nseen;

static void
remember(const struct pt_pooltag_entry *e)
{
	for (size_t i = 0; i < nseen; i++) {
		if (seen[i] == e)
			return;
	}
	if (nseen < MAX_SEEN)
		seen[nseen++] = e;
}

static bool
among(const struct pt_pooltag_entry *e,
		const struct pt_pooltag_entry *const *hits, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (hits[i] == e)
			return true;
	}
	return false;
}

static void
check_against_seen(const uint8_t tag[4],
		const struct pt_pooltag_entry *const *hits, size_t n, int q0,
		int best, const char *exact, const char *c)
{
	for (size_t i = 0; i < nseen; i++) {
		int q = quality(seen[i], exact, c);
		if (q > q0)
			fail("a better match was not returned", tag);
		if (q == 0 || q < q0)
			continue;
		int s = q == 1 ? score(seen[i]->key, c) : -1;
		if (q == 1 && s > best)
			fail("a better wildcard was not returned", tag);
		if ((q > 1 || s == best) && n <= MAXHITS && !among(seen[i], hits, n))
			fail("an equal match was not returned", tag);
	}
	size_t stored = n < MAXHITS ? n : MAXHITS;
	for (size_t i = 0; i < stored; i++)
		remember(hits[i]);
}

static void
check_lookup(const struct pt_pooltag *pt, const uint8_t tag[4])
{
	const struct pt_pooltag_entry *hits[MAXHITS];
	size_t n = pt_pooltag_lookup(pt, tag, hits, MAXHITS);
	if (pt_pooltag_lookup(pt, tag, NULL, 0) != n)
		fail("count depends on max", tag);
	if (n > pt_pooltag_count(pt))
		fail("more hits than entries", tag);
	char exact[5], c[5];
	trimmed(tag, exact);
	cut(exact, c);
	size_t stored = n < MAXHITS ? n : MAXHITS;
	int q0 = 0, best = -1;
	for (size_t i = 0; i < stored; i++) {
		check_entry(hits[i], tag);
		int q = quality(hits[i], exact, c);
		if (q == 0)
			fail("hit that matches no rule", tag);
		if (i == 0)
			q0 = q;
		/* One lookup step answers: every hit has the same quality. */
		if (q != q0)
			fail("hits of mixed quality", tag);
		if (i > 0 && hits[i]->line <= hits[i - 1]->line)
			fail("hits not in file order", tag);
		if (q == 1) {
			int s = score(hits[i]->key, c);
			if (best >= 0 && s != best)
				fail("wildcard hits with different scores", tag);
			best = s;
		}
	}
	check_against_seen(tag, hits, n, q0, best, exact, c);
}

static void
lookup_text(const struct pt_pooltag *pt, const char *s, size_t len)
{
	uint8_t tag[4] = { ' ', ' ', ' ', ' ' };
	memcpy(tag, s, len < 4 ? len : 4);
	check_lookup(pt, tag);
	/* The same bytes as poolmon pads a shorter tag. */
	for (size_t i = 0; i < 4; i++) {
		if (tag[i] == '-' || tag[i] == '\n')
			tag[i] = ' ';
	}
	check_lookup(pt, tag);
}

static void
lookup_lines(const struct pt_pooltag *pt, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	for (int i = 0; p < end && i < MAX_LINE_TAGS; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		lookup_text(pt, p, (size_t)(eol - p));
		const char *q = p;
		while (q < eol && blank((unsigned char)*q))
			q++;
		lookup_text(pt, q, (size_t)(eol - q));
		p = nl ? nl + 1 : end;
	}
}

static void
check_diags(const struct pt_diags *d)
{
	for (size_t i = 0; i < d->len; i++) {
		const char *m = d->items[i].msg;
		if (m == NULL)
			fail("diag without message", (const uint8_t *)"\0\0\0\0");
		for (const unsigned char *p = (const unsigned char *)m; *p; p++) {
			if (*p < 0x20 || *p == 0x7f)
				fail("control byte in diag", (const uint8_t *)"\0\0\0\0");
		}
	}
}

static const char *const fixed_tags[] = {
	"File", "Dh 0", "Dh 1", "Dh  ", "  xr", "Io  ", "Gla5", "Gh?:", "ReMo",
	"LrAb", "    ", "\0\0\0\0", "A\0bc", "????", "****", "\xff\xfe\x01\x80",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pt_text text;
	struct pt_error err = { 0 };
	if (!pt_decode(data, size, &text, &err))
		return 0;
	struct pt_diags diags;
	pt_diags_init(&diags);
	struct pt_pooltag *pt = pt_pooltag_parse(text.data, text.len,
		"fuzz.txt", &diags, &err);
	nseen = 0;
	if (pt != NULL) {
		/* Twice: the second pass checks against all hits of the first. */
		lookup_lines(pt, text.data, text.len);
		lookup_lines(pt, text.data, text.len);
		for (size_t i = 0; i < sizeof(fixed_tags) / sizeof(fixed_tags[0]); i++)
			check_lookup(pt, (const uint8_t *)fixed_tags[i]);
		check_diags(&diags);
	}
	pt_pooltag_destroy(pt);
	nseen = 0;
	/* The raw bytes too: the parser tolerates CRs, NULs and Ctrl-Z. */
	pt = pt_pooltag_parse((const char *)data, size, NULL, &diags, &err);
	if (pt != NULL)
		lookup_lines(pt, (const char *)data, size);
	nseen = 0;
	pt_pooltag_destroy(pt);
	pt_diags_finish(&diags);
	pt_text_finish(&text);
	return 0;
}
