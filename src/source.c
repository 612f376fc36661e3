#include "pooltrend/source.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pooltrend/text.h"

/* First buffer for inputs whose size is unknown (pipes, /proc files). */
#define STREAM_CHUNK ((size_t)64 * 1024)

void
pt_source_list_init(struct pt_source_list *l)
{
	memset(l, 0, sizeof(*l));
}

void
pt_source_list_finish(struct pt_source_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->len; i++) {
		free(l->items[i].path);
		free(l->items[i].name);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

static bool
out_of_memory(struct pt_error *err)
{
	pt_error_set(err, 0, "out of memory");
	return false;
}

static bool
reserve_one(struct pt_source_list *l)
{
	if (l->len < l->cap)
		return true;
	if (l->cap > SIZE_MAX / 2 / sizeof(*l->items))
		return false;
	size_t cap = l->cap ? l->cap * 2 : 16;
	struct pt_source *items = realloc(l->items, cap * sizeof(*items));
	if (items == NULL)
		return false;
	l->items = items;
	l->cap = cap;
	return true;
}

static const char *
last_component(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/*
 * Only regular files have a meaningful modification time: a pipe's is the
 * moment it was created.  A hostile file system can report a time whose
 * millisecond count would overflow, which is treated as unknown.
 */
static bool
mtime_of(const struct stat *st, int64_t *ms)
{
	if (st == NULL || !S_ISREG(st->st_mode))
		return false;
	int64_t sec = (int64_t)st->st_mtim.tv_sec;
	/* The same years the timestamp parsers accept (1970 .. 2200), so
	 * differences of times can never overflow. */
	if (sec < 0 || sec > INT64_C(7258118400))
		return false;
	*ms = sec * 1000 + (int64_t)st->st_mtim.tv_nsec / 1000000;
	return true;
}

static bool
add_source(struct pt_source_list *l, const char *path, const char *name,
		bool is_stdin, const struct stat *st, struct pt_error *err)
{
	if (!reserve_one(l))
		return out_of_memory(err);
	char *p = strdup(path);
	char *n = strdup(name);
	if (p == NULL || n == NULL) {
		free(p);
		free(n);
		return out_of_memory(err);
	}
	struct pt_source *s = &l->items[l->len++];
	*s = (struct pt_source){
		.path = p, .name = n, .base = last_component(p),
		.is_stdin = is_stdin,
	};
	s->has_mtime = mtime_of(st, &s->mtime_ms);
	if (st != NULL && S_ISREG(st->st_mode)) {
		s->has_id = true;
		s->dev = (uint64_t)st->st_dev;
		s->ino = (uint64_t)st->st_ino;
	}
	return true;
}

/* A regular file found in a directory, kept until the entries are sorted. */
struct entry {
	char *path;
	const char *base;
	struct stat st;
};

struct entries {
	struct entry *items;
	size_t len;
	size_t cap;
	size_t skipped;  /* entries left out with a warning */
};

static void
entries_finish(struct entries *e)
{
	for (size_t i = 0; i < e->len; i++)
		free(e->items[i].path);
	free(e->items);
}

static bool
entries_push(struct entries *e, char *path, const struct stat *st)
{
	if (e->len == e->cap) {
		if (e->cap > SIZE_MAX / 2 / sizeof(*e->items))
			return false;
		size_t cap = e->cap ? e->cap * 2 : 16;
		struct entry *items = realloc(e->items, cap * sizeof(*items));
		if (items == NULL)
			return false;
		e->items = items;
		e->cap = cap;
	}
	e->items[e->len++] = (struct entry){
		.path = path, .base = last_component(path), .st = *st,
	};
	return true;
}

static int
compare_entries(const void *a, const void *b)
{
	const struct entry *ea = a, *eb = b;
	return pt_natural_compare(ea->base, eb->base);
}

/* "dir" + "name", without doubling a slash the user typed ("logs/"). */
static char *
join_path(const char *dir, const char *name)
{
	size_t dlen = strlen(dir), nlen = strlen(name);
	bool sep = dlen > 0 && dir[dlen - 1] != '/';
	char *path = malloc(dlen + sep + nlen + 1);
	if (path == NULL)
		return NULL;
	/* The last memcpy copies name's terminator too. */
	memcpy(path, dir, dlen); // NOLINT(bugprone-not-null-terminated-result)
	if (sep)
		path[dlen] = '/';
	memcpy(path + dlen + sep, name, nlen + 1);
	return path;
}

/*
 * Sort one directory entry into e, or report why it is left out.  Returns
 * false only when out of memory.
 */
static bool
consider_entry(DIR *d, const char *dir, const char *name,
		struct entries *e, struct pt_diags *diags)
{
	char *path = join_path(dir, name);
	if (path == NULL)
		return false;
	struct stat st;
	/* Following symlinks: a link to a log is as good as the log. */
	int rc = fstatat(dirfd(d), name, &st, 0);
	if (rc == 0 && S_ISREG(st.st_mode)) {
		if (entries_push(e, path, &st))
			return true;
		free(path);
		return false;
	}
	if (rc != 0) {
		pt_diags_add(diags, PT_SEV_WARNING, path, 0, "skipping: %s",
				strerror(errno));
		e->skipped++;
	} else if (S_ISDIR(st.st_mode)) {
		pt_diags_add(diags, PT_SEV_NOTE, path, 0,
				"skipping directory (not recursive)");
	} else { /* a FIFO here could block forever; only operands may be streams */
		pt_diags_add(diags, PT_SEV_WARNING, path, 0,
				"skipping: not a regular file");
		e->skipped++;
	}
	free(path);
	return true;
}

/* Returns false only when out of memory; read errors go to diags. */
static bool
collect_entries(DIR *d, const char *dir, struct entries *e, bool *complete,
		struct pt_diags *diags, struct pt_error *err)
{
	*complete = false;
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (de == NULL)
			break;
		if (de->d_name[0] == '.')
			continue;
		if (!consider_entry(d, dir, de->d_name, e, diags))
			return out_of_memory(err);
	}
	if (errno != 0) {
		pt_diags_add(diags, PT_SEV_ERROR, dir, 0,
				"cannot read directory: %s", strerror(errno));
		return true;
	}
	*complete = true;
	return true;
}

static bool
expand_directory(const char *dir, struct pt_source_list *l,
		struct pt_diags *diags, struct pt_error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		pt_diags_add(diags, PT_SEV_ERROR, dir, 0, "cannot open: %s",
				strerror(e));
		return true;
	}
	struct entries e = { 0 };
	bool complete;
	bool ok = collect_entries(d, dir, &e, &complete, diags, err);
	closedir(d);
	l->skipped += e.skipped;

	if (ok && complete && e.len == 0) {
		pt_diags_add(diags, PT_SEV_ERROR, dir, 0,
				"no regular files in directory");
	} else if (ok && complete) {
		qsort(e.items, e.len, sizeof(*e.items), compare_entries);
		for (size_t i = 0; ok && i < e.len; i++)
			ok = add_source(l, e.items[i].path, e.items[i].path,
					false, &e.items[i].st, err);
	}
	entries_finish(&e);
	return ok;
}

/*
 * A regular file is opened once here so that an unreadable one is reported
 * now, next to the other operand problems.  Other non-directories (a FIFO,
 * /dev/stdin) are not probed: opening and closing a FIFO would release a
 * waiting writer only to hand it a broken pipe.
 */
static bool
is_readable_file(const char *path, int *err_no)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		*err_no = errno;
		return false;
	}
	close(fd);
	return true;
}

static bool
expand_path(const char *op, struct pt_source_list *l,
		struct pt_diags *diags, struct pt_error *err)
{
	struct stat st;
	int e = 0;
	if (stat(op, &st) != 0) {
		pt_diags_add(diags, PT_SEV_ERROR, op, 0, "cannot open: %s",
				strerror(errno));
		return true;
	}
	if (S_ISDIR(st.st_mode))
		return expand_directory(op, l, diags, err);
	/* /dev/zero would be read for ever; pipes and FIFOs end when their
	 * writer does. */
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
		pt_diags_add(diags, PT_SEV_ERROR, op, 0,
				"a device, not a file: not read");
		return true;
	}
	if (S_ISREG(st.st_mode) && !is_readable_file(op, &e)) {
		pt_diags_add(diags, PT_SEV_ERROR, op, 0, "cannot open: %s",
				strerror(e));
		return true;
	}
	return add_source(l, op, op, false, &st, err);
}

static bool
expand_stdin(bool *seen, bool *reported, struct pt_source_list *l,
		struct pt_diags *diags, struct pt_error *err)
{
	if (*seen) {
		if (!*reported)
			pt_diags_add(diags, PT_SEV_ERROR, "<stdin>", 0,
					"\"-\" given more than once; "
					"standard input is read once");
		*reported = true;
		return true;
	}
	*seen = true;
	struct stat st;
	bool have_st = fstat(STDIN_FILENO, &st) == 0;
	return add_source(l, "-", "<stdin>", true, have_st ? &st : NULL, err);
}

/* qsort has no context pointer in C11: the comparison reads this. */
static _Thread_local const struct pt_source *id_items;

static int
cmp_by_id(const void *pa, const void *pb)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	const struct pt_source *x = &id_items[a], *y = &id_items[b];
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return a < b ? -1 : a > b; /* the first occurrence sorts first */
}

static void
source_free(struct pt_source *s)
{
	free(s->path);
	free(s->name);
}

/*
 * Reading one file twice would count its snapshots twice and fake a
 * series.  Keep every file once, where it first appeared.
 */
static bool
drop_duplicate_files(struct pt_source_list *l, struct pt_diags *diags,
		struct pt_error *err)
{
	size_t n = 0;
	for (size_t i = 0; i < l->len; i++)
		n += l->items[i].has_id;
	if (n < 2)
		return true;
	size_t *idx = malloc(n * sizeof(*idx));
	bool *drop = calloc(l->len, sizeof(*drop));
	if (idx == NULL || drop == NULL) {
		free(idx);
		free(drop);
		return out_of_memory(err);
	}
	for (size_t i = 0, k = 0; i < l->len; i++)
		if (l->items[i].has_id)
			idx[k++] = i;
	id_items = l->items;
	qsort(idx, n, sizeof(*idx), cmp_by_id);
	for (size_t k = 1; k < n; k++) {
		const struct pt_source *a = &l->items[idx[k - 1]];
		const struct pt_source *b = &l->items[idx[k]];
		if (a->dev == b->dev && a->ino == b->ino) {
			drop[idx[k]] = true;
			const char *first = l->items[idx[k - 1]].name;
			char *shown = pt_escape(first, strlen(first));
			pt_diags_add(diags, PT_SEV_WARNING, b->name, 0,
				"same file as %s; read once", shown ? shown : "another operand");
			free(shown);
			/* the kept one stays first of its group */
			idx[k] = idx[k - 1];
		}
	}
	size_t out = 0;
	for (size_t i = 0; i < l->len; i++) {
		if (drop[i])
			source_free(&l->items[i]);
		else
			l->items[out++] = l->items[i];
	}
	l->len = out;
	free(idx);
	free(drop);
	return true;
}

bool
pt_sources_expand(const char *const *operands, size_t n,
		struct pt_source_list *l, struct pt_diags *diags,
		struct pt_error *err)
{
	bool stdin_seen = false, stdin_reported = false;
	for (size_t i = 0; i < n; i++) {
		bool ok = strcmp(operands[i], "-") == 0
			? expand_stdin(&stdin_seen, &stdin_reported, l, diags,
					err)
			: expand_path(operands[i], l, diags, err);
		if (!ok)
			return false;
	}
	return drop_duplicate_files(l, diags, err);
}

/*
 * Largest number of bytes held while reading: one more than the limit, so
 * that "exactly max_bytes" and "more" can be told apart without reading on.
 * The NUL needs one byte beyond that.
 */
static size_t
hold_limit(size_t max_bytes)
{
	if (max_bytes == 0 || max_bytes >= SIZE_MAX - 2)
		return SIZE_MAX - 1;
	return max_bytes + 1;
}

static size_t
initial_capacity(const struct stat *st, size_t limit)
{
	size_t cap = STREAM_CHUNK;
	/* +1 so the read that reports end of file needs no regrowth. */
	if (S_ISREG(st->st_mode) && st->st_size > 0
			&& (uintmax_t)st->st_size < limit)
		cap = (size_t)st->st_size + 1;
	return cap < limit ? cap : limit;
}

static bool
grow(unsigned char **buf, size_t *cap, size_t limit)
{
	if (*cap >= limit)
		return false;
	size_t bigger = *cap <= limit / 2 ? *cap * 2 : limit;
	unsigned char *p = realloc(*buf, bigger + 1);
	if (p == NULL)
		return false;
	*buf = p;
	*cap = bigger;
	return true;
}

/* An inherited non-blocking stdin must not turn into a busy loop. */
static bool
wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	for (;;) {
		if (poll(&p, 1, -1) >= 0)
			return true;
		if (errno != EINTR)
			return false;
	}
}

static bool
too_large(size_t max_bytes, struct pt_error *err)
{
	pt_error_set(err, 0, "larger than %zu bytes", max_bytes);
	return false;
}

/* Reads fd to its end into buf (capacity cap + 1); *len counts the bytes. */
static bool
read_all(int fd, unsigned char **buf, size_t cap, size_t max_bytes,
		size_t *len, struct pt_error *err)
{
	size_t limit = hold_limit(max_bytes);
	size_t n = 0;
	for (;;) {
		if (n == cap && !grow(buf, &cap, limit))
			return out_of_memory(err);
		ssize_t got = read(fd, *buf + n, cap - n);
		if (got == 0)
			break;
		if (got > 0) {
			n += (size_t)got;
			if (max_bytes != 0 && n > max_bytes)
				return too_large(max_bytes, err);
			continue;
		}
		if (errno == EINTR)
			continue;
		if ((errno == EAGAIN || errno == EWOULDBLOCK) && wait_readable(fd))
			continue;
		pt_error_set(err, 0, "cannot read: %s", strerror(errno));
		return false;
	}
	*len = n;
	return true;
}

/* What every read checks first: a readable non-directory within the limit. */
static bool
check_readable(int fd, size_t max_bytes, struct stat *st, struct pt_error *err)
{
	if (fstat(fd, st) != 0) {
		pt_error_set(err, 0, "cannot read: %s", strerror(errno));
		return false;
	}
	/* read() gives EISDIR on Linux, but not everywhere. */
	if (S_ISDIR(st->st_mode)) {
		pt_error_set(err, 0, "cannot read: %s", strerror(EISDIR));
		return false;
	}
	if (max_bytes != 0 && S_ISREG(st->st_mode)
			&& (uintmax_t)st->st_size > max_bytes)
		return too_large(max_bytes, err);
	return true;
}

static bool
read_fd(int fd, size_t max_bytes, unsigned char **data, size_t *len,
		struct pt_error *err)
{
	struct stat st;
	if (!check_readable(fd, max_bytes, &st, err))
		return false;

	size_t cap = initial_capacity(&st, hold_limit(max_bytes));
	unsigned char *buf = malloc(cap + 1);
	if (buf == NULL)
		return out_of_memory(err);
	if (!read_all(fd, &buf, cap, max_bytes, len, err)) {
		free(buf);
		return false;
	}
	buf[*len] = '\0';
	*data = buf;
	return true;
}

bool
pt_source_read(const struct pt_source *s, size_t max_bytes,
		unsigned char **data, size_t *len, struct pt_error *err)
{
	*data = NULL;
	*len = 0;
	int fd = STDIN_FILENO;
	if (!s->is_stdin) {
		fd = open(s->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			pt_error_set(err, 0, "cannot open: %s", strerror(errno));
			return false;
		}
	}
	bool ok = read_fd(fd, max_bytes, data, len, err);
	if (!s->is_stdin)
		close(fd);
	return ok;
}

bool
pt_source_open(const struct pt_source *s, size_t max_bytes,
		struct pt_source_reader *r, struct pt_error *err)
{
	memset(r, 0, sizeof(*r));
	r->max_bytes = max_bytes;
	r->fd = STDIN_FILENO;
	if (!s->is_stdin) {
		r->fd = open(s->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (r->fd < 0) {
			pt_error_set(err, 0, "cannot open: %s", strerror(errno));
			return false;
		}
		r->owns_fd = true;
	}
	struct stat st;
	if (!check_readable(r->fd, max_bytes, &st, err)) {
		pt_source_close(r);
		return false;
	}
	r->id = (struct pt_source_identity){
		.regular = S_ISREG(st.st_mode),
		.dev = (uint64_t)st.st_dev, .ino = (uint64_t)st.st_ino,
		.size = st.st_size > 0 ? (uint64_t)st.st_size : 0,
	};
	return true;
}

bool
pt_source_same_file(const struct pt_source_identity *first,
		uint64_t consumed, const struct pt_source_identity *again)
{
	return first->regular && again->regular && first->dev == again->dev &&
		first->ino == again->ino && again->size >= consumed;
}

bool
pt_source_read_chunk(struct pt_source_reader *r, unsigned char *buf,
		size_t cap, size_t *got, struct pt_error *err)
{
	size_t n = 0;
	while (n < cap) {
		ssize_t k = read(r->fd, buf + n, cap - n);
		if (k == 0)
			break;
		if (k > 0) {
			n += (size_t)k;
			continue;
		}
		if (errno == EINTR)
			continue;
		if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
				wait_readable(r->fd))
			continue;
		pt_error_set(err, 0, "cannot read: %s", strerror(errno));
		return false;
	}
	r->total += n;
	*got = n;
	if (r->max_bytes != 0 && r->total > r->max_bytes)
		return too_large(r->max_bytes, err);
	return true;
}

void
pt_source_close(struct pt_source_reader *r)
{
	if (r->owns_fd)
		close(r->fd);
	r->owns_fd = false;
	r->fd = -1;
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static size_t
digit_run(const unsigned char *p)
{
	size_t n = 0;
	while (is_digit(p[n]))
		n++;
	return n;
}

/*
 * Compare the digit runs at *pa and *pb by value and step past them.  Runs
 * of any length work: without leading zeros, a longer run is a larger
 * number, and equal lengths compare digit by digit.
 */
static int
compare_numbers(const unsigned char **pa, const unsigned char **pb)
{
	const unsigned char *a = *pa, *b = *pb;
	while (*a == '0')
		a++;
	while (*b == '0')
		b++;
	size_t na = digit_run(a), nb = digit_run(b);
	int r = na < nb ? -1 : na > nb;
	if (r == 0)
		r = memcmp(a, b, na);
	*pa = a + na;
	*pb = b + nb;
	return r;
}

int
pt_natural_compare(const char *a, const char *b)
{
	const unsigned char *pa = (const unsigned char *)a;
	const unsigned char *pb = (const unsigned char *)b;
	while (*pa != '\0' && *pb != '\0') {
		if (is_digit(*pa) && is_digit(*pb)) {
			int r = compare_numbers(&pa, &pb);
			if (r != 0)
				return r;
			continue;
		}
		if (*pa != *pb)
			return *pa < *pb ? -1 : 1;
		pa++;
		pb++;
	}
	if (*pa != *pb)
		return *pa == '\0' ? -1 : 1;
	/* Equal but for leading zeros ("log01", "log1"): keep the order total. */
	return strcmp(a, b);
}

bool
pt_source_read_text(const char *path, size_t max_bytes, struct pt_text *out,
		struct pt_error *err)
{
	struct pt_source src = {
		.path = (char *)path, .name = (char *)path, .base = path,
	};
	unsigned char *data = NULL;
	size_t len = 0;
	if (!pt_source_read(&src, max_bytes, &data, &len, err))
		return false;
	/* pt_decode would give no text at all: an empty table or report
	 * must not stand for a file that was not read. */
	if (pt_has_utf32_bom(data, len)) {
		free(data);
		pt_error_set(err, 0, "UTF-32 text, which is not read; re-save "
			"it as UTF-8 or UTF-16");
		return false;
	}
	bool ok = pt_decode(data, len, out, err);
	free(data);
	return ok;
}
