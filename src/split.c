#include "split.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pooltrend/decode.h"
#include "pooltrend/timestamp.h"

#define CTRL_Z 0x1A

static bool
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static bool
starts_with(const unsigned char *s, size_t n, const char *word)
{
	size_t m = strlen(word);
	return n >= m && memcmp(s, word, m) == 0;
}

/* "Tag", blanks, "Type", after blanks or '#' (the loose header's start). */
static bool
looks_like_header(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n && (is_blank(s[i]) || s[i] == '#'))
		i++;
	if (!starts_with(s + i, n - i, "Tag") || i + 3 >= n ||
			!is_blank(s[i + 3]))
		return false;
	i += 3;
	while (i < n && is_blank(s[i]))
		i++;
	return starts_with(s + i, n - i, "Type");
}

/*
 * A line a snapshot may begin with before its header: blank, a rule, a
 * summary, a title or a timestamp.  A CR inside is a line end for the
 * decoder, so such a line is not taken.
 */
static bool
may_begin_snapshot(const unsigned char *s, size_t n)
{
	if (memchr(s, '\r', n) != NULL)
		return false;
	size_t i = 0;
	while (i < n && is_blank(s[i]))
		i++;
	if (i == n)
		return true;
	const unsigned char *t = s + i;
	size_t m = n - i;
	/* The titles: "System pool information", "All sessions pool
	 * information", "Session N pool information". */
	if (starts_with(t, m, "-----") || starts_with(t, m, "Memory:") ||
			starts_with(t, m, "Commit:") ||
			starts_with(t, m, "System pool") ||
			starts_with(t, m, "All sessions") ||
			starts_with(t, m, "Session "))
		return true;
	int64_t ms;
	return pt_stamp_parse_line((const char *)s, n, &ms) != PT_STAMP_NONE;
}

/* Length of the line at s without its CR/LF end (s + *n is its LF). */
static size_t
line_body(const unsigned char *s, size_t n)
{
	while (n > 0 && s[n - 1] == '\r')
		n--;
	return n;
}

/* Whether the text before the line start at cut ends in a Ctrl-Z line. */
static bool
after_ctrl_z(const unsigned char *buf, size_t cut)
{
	while (cut > 0 && (buf[cut - 1] == '\n' || buf[cut - 1] == '\r'))
		cut--;
	return cut > 0 && buf[cut - 1] == CTRL_Z;
}

/* The start of the line before the one starting at pos, or SIZE_MAX when
 * it does not start inside buf after floor. */
static size_t
line_before(const unsigned char *buf, size_t pos, size_t floor)
{
	if (pos == 0 || buf[pos - 1] != '\n')
		return SIZE_MAX;
	size_t i = pos - 1;
	while (i > floor && buf[i - 1] != '\n')
		i--;
	return i > floor && buf[i - 1] == '\n' ? i : SIZE_MAX;
}

/*
 * Whether a line looks like it belongs to the snapshot before: a row or
 * a Total line, i.e. at least three blank-separated tokens of digits.
 * Other lines (a command echo, a note a collector wrote) act on no
 * snapshot: the parser skips them, and a timestamp before them still
 * waits for the next header, so they go with the snapshot after.  A
 * guess wrong either way only costs speed: the seams decide the join.
 */
static bool
looks_like_row(const unsigned char *s, size_t n)
{
	int numbers = 0;
	size_t i = 0;
	while (i < n && numbers < 3) {
		while (i < n && is_blank(s[i]))
			i++;
		size_t start = i;
		bool digits = true;
		while (i < n && !is_blank(s[i])) {
			digits = digits && s[i] >= '0' && s[i] <= '9';
			i++;
		}
		numbers += i > start && digits;
	}
	return numbers >= 3;
}

/* Whether the line at s (n bytes, no line end) ends the walk back from a
 * header: it is part of the snapshot before, or the decoder may not see
 * it as one line (a CR, a Ctrl-Z). */
static bool
stops_walk(const unsigned char *s, size_t n)
{
	return looks_like_row(s, n) || looks_like_header(s, n) ||
		memchr(s, '\r', n) != NULL || memchr(s, CTRL_Z, n) != NULL;
}

/*
 * Move back from the header at pos over the lines its snapshot begins
 * with; SIZE_MAX when they reach floor (the start is not known).  Then on
 * over the lines between snapshots (a command echo between a timestamp
 * and the header would otherwise leave the timestamp pending in the part
 * before, and the parts would not join), as far as the last line of the
 * snapshot before; when that is not in sight, the start found first.
 */
static size_t
snapshot_start(const unsigned char *buf, size_t pos, size_t floor,
		bool at_cut)
{
	size_t start = pos;
	for (;;) {
		size_t prev = line_before(buf, start, floor);
		if (prev == SIZE_MAX)
			return SIZE_MAX;
		if (!may_begin_snapshot(buf + prev, line_body(buf + prev,
				start - 1 - prev)))
			break;
		start = prev;
	}
	for (pos = start;;) {
		size_t prev = line_before(buf, pos, floor);
		/* buf starting at the last cut, its first line is seen whole:
		 * when it too lies between snapshots, the stretch from the
		 * last cut on belongs to this snapshot (0: no cut here). */
		if (prev == SIZE_MAX && at_cut && floor == 0 && pos > 0 &&
				buf[pos - 1] == '\n')
			return stops_walk(buf, line_body(buf, pos - 1)) ? pos : 0;
		if (prev == SIZE_MAX)
			return start;
		if (stops_walk(buf + prev, line_body(buf + prev,
				pos - 1 - prev)))
			return pos;
		pos = prev;
	}
}

bool
pt_split_cut_in(const unsigned char *buf, size_t len, size_t from,
		bool at_cut, size_t *cut)
{
	size_t floor = from > PT_SPLIT_BACK ? from - PT_SPLIT_BACK : 0;
	/* The first line starting at or after from. */
	size_t pos = from;
	while (pos > 0 && pos < len && buf[pos - 1] != '\n') {
		const unsigned char *nl = memchr(buf + pos, '\n', len - pos);
		if (nl == NULL)
			return false;
		pos = (size_t)(nl - buf) + 1;
	}
	while (pos < len) {
		const unsigned char *nl = memchr(buf + pos, '\n', len - pos);
		if (nl == NULL)
			return false;
		size_t end = (size_t)(nl - buf);
		if (pos > 0 && looks_like_header(buf + pos,
				line_body(buf + pos, end - pos))) {
			size_t start = snapshot_start(buf, pos, floor, at_cut);
			if (start != SIZE_MAX && start > 0 &&
					!after_ctrl_z(buf, start)) {
				*cut = start;
				return true;
			}
		}
		pos = end + 1;
	}
	return false;
}

/* Read up to len bytes at off; *got fewer only at the end of the file. */
static bool
read_at(int fd, uint64_t off, unsigned char *buf, size_t len, size_t *got)
{
	size_t n = 0;
	while (n < len) {
		ssize_t k = pread(fd, buf + n, len - n, (off_t)(off + n));
		if (k == 0)
			break;
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return false;
		n += (size_t)k;
	}
	*got = n;
	return true;
}

/* A UTF-16 or UTF-32 byte-order mark: line ends are not one byte. */
static bool
starts_wide(int fd)
{
	unsigned char bom[4];
	size_t got;
	return !read_at(fd, 0, bom, 4, &got) || pt_has_utf32_bom(bom, got) ||
		(got >= 2 && ((bom[0] == 0xFF && bom[1] == 0xFE) ||
		 (bom[0] == 0xFE && bom[1] == 0xFF)));
}

/*
 * The cut at or after target (and after last), searching windows of
 * PT_SPLIT_STEP bytes in buf up to PT_SPLIT_WINDOW past target; 0 when
 * there is none.  False when a read failed.
 */
static bool
cut_near(int fd, uint64_t size, uint64_t target, uint64_t last,
		unsigned char *buf, uint64_t *cut)
{
	*cut = 0;
	for (uint64_t t = target; t < size && t - target < PT_SPLIT_WINDOW;
			t += PT_SPLIT_STEP) {
		uint64_t from = t - last > PT_SPLIT_BACK ? t - PT_SPLIT_BACK : last;
		size_t got, at;
		if (!read_at(fd, from, buf, (size_t)(t - from) + PT_SPLIT_STEP,
				&got))
			return false;
		if (pt_split_cut_in(buf, got, (size_t)(t - from), from == last,
				&at)) {
			if (from + at > last && from + at < size)
				*cut = from + at;
			return true;
		}
	}
	return true;
}

bool
pt_split_find(int fd, uint64_t size, uint64_t part_bytes, uint64_t **cuts,
		size_t *ncuts)
{
	*cuts = NULL;
	*ncuts = 0;
	if (part_bytes == 0 || size / part_bytes < 2 || starts_wide(fd))
		return true;
	uint64_t nparts = size / part_bytes;
	uint64_t *c = malloc((size_t)nparts * sizeof(*c));
	unsigned char *buf = malloc(PT_SPLIT_BACK + PT_SPLIT_STEP);
	bool ok = c != NULL && buf != NULL;
	size_t n = 0;
	uint64_t last = 0;
	for (uint64_t k = 1; ok && k < nparts; k++) {
		uint64_t target = size / nparts * k, cut;
		if (target <= last)
			continue;
		ok = cut_near(fd, size, target, last, buf, &cut);
		if (ok && cut != 0) {
			last = cut;
			c[n++] = cut;
		}
	}
	free(buf);
	if (!ok || n == 0) {
		free(c);
		return ok;
	}
	*cuts = c;
	*ncuts = n;
	return true;
}
