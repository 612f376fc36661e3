#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pooltrend/source.h"
#include "testutil.h"

/* Each test gets a fresh directory; Check forks, so nothing leaks across. */
static char tmpdir[256];

static void
remove_tree(const char *path)
{
	DIR *d = opendir(path);
	if (d == NULL) {
		unlink(path);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char child[1024];
		snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
		struct stat st;
		if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode))
			remove_tree(child);
		else
			unlink(child);
	}
	closedir(d);
	rmdir(path);
}

static void
setup(void)
{
	const char *base = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/pt-source-XXXXXX",
			base && *base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	remove_tree(tmpdir);
}

/* Path of name inside the test directory; static storage, rotating. */
static const char *
at(const char *name)
{
	static char bufs[8][512];
	static int next;
	char *b = bufs[next++ % 8];
	snprintf(b, sizeof(bufs[0]), "%s/%s", tmpdir, name);
	return b;
}

static void
write_file(const char *name, const void *data, size_t len)
{
	FILE *f = fopen(at(name), "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static void
touch(const char *name)
{
	write_file(name, "x\n", 2);
}

struct expansion {
	struct pt_source_list list;
	struct pt_diags diags;
};

static void
expand(struct expansion *x, const char *const *ops, size_t n)
{
	struct pt_error err = { 0 };
	pt_source_list_init(&x->list);
	pt_diags_init(&x->diags);
	ck_assert_msg(pt_sources_expand(ops, n, &x->list, &x->diags, &err),
			"expand failed: %s", err.msg);
}

static void
expansion_finish(struct expansion *x)
{
	pt_source_list_finish(&x->list);
	pt_diags_finish(&x->diags);
}

static const struct pt_diag *
only_diag(const struct expansion *x, enum pt_severity sev)
{
	ck_assert_uint_eq(x->diags.len, 1);
	ck_assert_int_eq(x->diags.items[0].severity, sev);
	return &x->diags.items[0];
}

START_TEST(natural_digits_by_value)
{
	ck_assert_int_lt(pt_natural_compare("log2", "log10"), 0);
	ck_assert_int_gt(pt_natural_compare("log10", "log2"), 0);
	ck_assert_int_lt(pt_natural_compare("log9.txt", "log10.txt"), 0);
	ck_assert_int_lt(pt_natural_compare("a2b9", "a2b10"), 0);
	ck_assert_int_lt(pt_natural_compare("a", "b"), 0);
	ck_assert_int_eq(pt_natural_compare("log10", "log10"), 0);
	ck_assert_int_eq(pt_natural_compare("", ""), 0);
}
END_TEST

START_TEST(natural_prefixes)
{
	ck_assert_int_lt(pt_natural_compare("", "a"), 0);
	ck_assert_int_lt(pt_natural_compare("log", "log1"), 0);
	ck_assert_int_lt(pt_natural_compare("log1", "log1a"), 0);
	ck_assert_int_gt(pt_natural_compare("log1a", "log1"), 0);
	/* A number sorts where digits sort among other bytes. */
	ck_assert_int_lt(pt_natural_compare("log-", "log1"), 0);
	ck_assert_int_lt(pt_natural_compare("log1", "loga"), 0);
}
END_TEST

START_TEST(natural_leading_zeros)
{
	int r = pt_natural_compare("log01", "log1");
	ck_assert_int_ne(r, 0);
	ck_assert_int_eq(r > 0, pt_natural_compare("log1", "log01") < 0);
	ck_assert_int_lt(pt_natural_compare("log01", "log2"), 0);
	ck_assert_int_lt(pt_natural_compare("log1", "log02"), 0);
	ck_assert_int_gt(pt_natural_compare("log010", "log9"), 0);
	ck_assert_int_ne(pt_natural_compare("log0", "log00"), 0);
	ck_assert_int_lt(pt_natural_compare("log00", "log1"), 0);
}
END_TEST

START_TEST(natural_long_digit_runs)
{
	/* Far beyond 64 bits: must not overflow or be read as a double. */
	char big[128] = "x1", small[128] = "x", padded[140] = "x000";
	memset(big + 2, '0', 99);
	memset(small + 1, '9', 99);
	memcpy(padded + 4, big + 1, 100);
	ck_assert_int_gt(pt_natural_compare(big, small), 0);
	ck_assert_int_lt(pt_natural_compare(small, big), 0);
	ck_assert_int_ne(pt_natural_compare(padded, big), 0);
	ck_assert_int_gt(pt_natural_compare(padded, small), 0);
	ck_assert_int_lt(pt_natural_compare("18446744073709551616",
				"18446744073709551617"), 0);
}
END_TEST

static int
sign(int v)
{
	return (v > 0) - (v < 0);
}

START_TEST(natural_is_a_total_order)
{
	static const char *const s[] = {
		"", "0", "00", "000", "01", "1", "001", "2", "10", "010",
		"a", "a0", "a00", "a1", "a01", "a1b", "a01b", "a1c", "a10",
		"a9z", "a-", "a:", "a/", "b", "\xe3", "1a", "01a", "a1a1",
		"a01a1", "a1a01",
	};
	size_t n = sizeof(s) / sizeof(s[0]);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			int ij = sign(pt_natural_compare(s[i], s[j]));
			ck_assert_int_eq(ij, -sign(pt_natural_compare(s[j], s[i])));
			ck_assert_int_eq(ij == 0, i == j);
			for (size_t k = 0; k < n; k++) {
				if (ij < 0 && pt_natural_compare(s[j], s[k]) < 0)
					ck_assert_msg(pt_natural_compare(s[i], s[k]) < 0,
						"%s < %s < %s", s[i], s[j], s[k]);
			}
		}
	}
}
END_TEST

START_TEST(directory_in_natural_order)
{
	touch("log10");
	touch("log2");
	touch("log1");
	touch(".hidden");
	/* a link to a file the expansion does not list itself (hidden) */
	ck_assert_int_eq(symlink(".hidden", at("log3")), 0);
	const char *ops[] = { tmpdir };
	struct expansion x;
	expand(&x, ops, 1);
	ck_assert_uint_eq(x.list.len, 4);
	ck_assert_str_eq(x.list.items[0].base, "log1");
	ck_assert_str_eq(x.list.items[1].base, "log2");
	ck_assert_str_eq(x.list.items[2].base, "log3");
	ck_assert_str_eq(x.list.items[3].base, "log10");
	ck_assert_str_eq(x.list.items[0].path, at("log1"));
	ck_assert_str_eq(x.list.items[0].name, at("log1"));
	ck_assert(!x.list.items[0].is_stdin);
	ck_assert(x.list.items[0].has_mtime);
	ck_assert_uint_eq(x.diags.len, 0);
	expansion_finish(&x);
}
END_TEST

START_TEST(directory_skips_subdirs_and_fifos)
{
	touch("a.log");
	ck_assert_int_eq(mkdir(at("sub"), 0700), 0);
	touch("sub/inner.log");
	ck_assert_int_eq(mkfifo(at("pipe"), 0600), 0);
	const char *ops[] = { tmpdir };
	struct expansion x;
	expand(&x, ops, 1);
	ck_assert_uint_eq(x.list.len, 1);
	ck_assert_str_eq(x.list.items[0].base, "a.log");
	ck_assert_uint_eq(x.diags.len, 2);
	ck_assert_uint_eq(pt_diags_count(&x.diags, PT_SEV_NOTE), 1);
	ck_assert_uint_eq(pt_diags_count(&x.diags, PT_SEV_WARNING), 1);
	for (size_t i = 0; i < x.diags.len; i++) {
		const struct pt_diag *d = &x.diags.items[i];
		if (d->severity == PT_SEV_NOTE) {
			ck_assert_str_eq(d->file, at("sub"));
			ck_assert_ptr_nonnull(strstr(d->msg, "skipping directory"));
		} else {
			ck_assert_str_eq(d->file, at("pipe"));
		}
	}
	expansion_finish(&x);
}
END_TEST

START_TEST(directory_dangling_symlink_warned)
{
	touch("a.log");
	ck_assert_int_eq(symlink("nowhere", at("b.log")), 0);
	const char *ops[] = { tmpdir };
	struct expansion x;
	expand(&x, ops, 1);
	ck_assert_uint_eq(x.list.len, 1);
	const struct pt_diag *d = only_diag(&x, PT_SEV_WARNING);
	ck_assert_str_eq(d->file, at("b.log"));
	ck_assert_ptr_nonnull(strstr(d->msg, strerror(ENOENT)));
	expansion_finish(&x);
}
END_TEST

START_TEST(directory_trailing_slash)
{
	touch("a.log");
	char op[600];
	snprintf(op, sizeof(op), "%s/", tmpdir);
	const char *ops[] = { op };
	struct expansion x;
	expand(&x, ops, 1);
	ck_assert_uint_eq(x.list.len, 1);
	ck_assert_str_eq(x.list.items[0].path, at("a.log"));
	expansion_finish(&x);
}
END_TEST

START_TEST(directory_without_files_is_error)
{
	ck_assert_int_eq(mkdir(at("sub"), 0700), 0);
	touch("sub/.only-hidden");
	const char *ops[] = { at("sub") };
	struct expansion x;
	expand(&x, ops, 1);
	ck_assert_uint_eq(x.list.len, 0);
	const struct pt_diag *d = only_diag(&x, PT_SEV_ERROR);
	ck_assert_str_eq(d->file, at("sub"));
	expansion_finish(&x);
}
END_TEST

START_TEST(operands_keep_their_order)
{
	touch("z.log");
	ck_assert_int_eq(mkdir(at("dir"), 0700), 0);
	touch("dir/b2");
	touch("dir/b1");
	touch("a.log");
	const char *ops[] = { at("z.log"), at("dir"), at("a.log") };
	struct expansion x;
	expand(&x, ops, 3);
	ck_assert_uint_eq(x.list.len, 4);
	ck_assert_str_eq(x.list.items[0].path, at("z.log"));
	ck_assert_str_eq(x.list.items[1].path, at("dir/b1"));
	ck_assert_str_eq(x.list.items[2].path, at("dir/b2"));
	ck_assert_str_eq(x.list.items[3].path, at("a.log"));
	ck_assert_str_eq(x.list.items[3].base, "a.log");
	expansion_finish(&x);
}
END_TEST

START_TEST(same_file_twice_is_read_once)
{
	ck_assert_int_eq(mkdir(at("dir"), 0700), 0);
	touch("dir/a1");
	touch("dir/a2");
	ck_assert_int_eq(symlink("a2", at("dir/link")), 0);
	/* a1 twice (through the directory and by name), a2 via a link */
	const char *ops[] = { at("dir"), at("dir/a1") };
	struct expansion x;
	expand(&x, ops, 2);
	ck_assert_uint_eq(x.list.len, 2);
	ck_assert_str_eq(x.list.items[0].path, at("dir/a1"));
	ck_assert_str_eq(x.list.items[1].path, at("dir/a2"));
	ck_assert_uint_eq(pt_diags_count(&x.diags, PT_SEV_WARNING), 2);
	ck_assert_ptr_nonnull(strstr(x.diags.items[0].msg, "read once"));
	expansion_finish(&x);
}
END_TEST

START_TEST(missing_operand_is_error)
{
	touch("real");
	const char *ops[] = { at("missing"), at("real") };
	struct expansion x;
	expand(&x, ops, 2);
	ck_assert_uint_eq(x.list.len, 1);
	ck_assert_str_eq(x.list.items[0].base, "real");
	const struct pt_diag *d = only_diag(&x, PT_SEV_ERROR);
	ck_assert_str_eq(d->file, at("missing"));
	ck_assert_ptr_nonnull(strstr(d->msg, strerror(ENOENT)));
	expansion_finish(&x);
}
END_TEST

START_TEST(unreadable_operand_is_error)
{
	if (geteuid() == 0)
		return; /* root reads everything */
	touch("secret");
	ck_assert_int_eq(chmod(at("secret"), 0), 0);
	const char *ops[] = { at("secret") };
	struct expansion x;
	expand(&x, ops, 1);
	ck_assert_uint_eq(x.list.len, 0);
	const struct pt_diag *d = only_diag(&x, PT_SEV_ERROR);
	ck_assert_ptr_nonnull(strstr(d->msg, strerror(EACCES)));
	expansion_finish(&x);
}
END_TEST

START_TEST(stdin_operand_once)
{
	const char *ops[] = { "-", "-", "-" };
	struct expansion x;
	expand(&x, ops, 3);
	ck_assert_uint_eq(x.list.len, 1);
	ck_assert(x.list.items[0].is_stdin);
	ck_assert_str_eq(x.list.items[0].path, "-");
	ck_assert_str_eq(x.list.items[0].name, "<stdin>");
	only_diag(&x, PT_SEV_ERROR);
	expansion_finish(&x);
}
END_TEST

START_TEST(fifo_operand_allowed)
{
	ck_assert_int_eq(mkfifo(at("pipe"), 0600), 0);
	const char *ops[] = { at("pipe") };
	struct expansion x;
	expand(&x, ops, 1);
	ck_assert_uint_eq(x.list.len, 1);
	ck_assert_str_eq(x.list.items[0].base, "pipe");
	ck_assert(!x.list.items[0].has_mtime);
	ck_assert_uint_eq(x.diags.len, 0);
	expansion_finish(&x);
}
END_TEST

START_TEST(mtime_in_milliseconds)
{
	touch("old.log");
	struct timespec ts[2] = {
		{ .tv_sec = 1700000000, .tv_nsec = 123456789 },
		{ .tv_sec = 1700000000, .tv_nsec = 123456789 },
	};
	ck_assert_int_eq(utimensat(AT_FDCWD, at("old.log"), ts, 0), 0);
	const char *ops[] = { at("old.log") };
	struct expansion x;
	expand(&x, ops, 1);
	ck_assert_uint_eq(x.list.len, 1);
	ck_assert(x.list.items[0].has_mtime);
	ck_assert_int_eq(x.list.items[0].mtime_ms, 1700000000123LL);
	expansion_finish(&x);
}
END_TEST

static struct pt_source
source_at(const char *name)
{
	const char *path = at(name);
	return (struct pt_source){
		.path = (char *)path, .name = (char *)path, .base = name,
	};
}

START_TEST(read_whole_file)
{
	write_file("f", "a\0b\r\n", 5);
	struct pt_source s = source_at("f");
	struct pt_error err = { 0 };
	unsigned char *data;
	size_t len;
	ck_assert_msg(pt_source_read(&s, 0, &data, &len, &err), "%s", err.msg);
	ck_assert_uint_eq(len, 5);
	ck_assert_mem_eq(data, "a\0b\r\n", 5);
	ck_assert_int_eq(data[5], '\0');
	free(data);
}
END_TEST

START_TEST(read_empty_file)
{
	write_file("empty", "", 0);
	struct pt_source s = source_at("empty");
	struct pt_error err = { 0 };
	unsigned char *data;
	size_t len = 99;
	ck_assert(pt_source_read(&s, 10, &data, &len, &err));
	ck_assert_uint_eq(len, 0);
	ck_assert_ptr_nonnull(data);
	ck_assert_int_eq(data[0], '\0');
	free(data);
}
END_TEST

START_TEST(read_respects_max_bytes)
{
	char buf[100];
	memset(buf, 'x', sizeof(buf));
	write_file("f", buf, sizeof(buf));
	struct pt_source s = source_at("f");
	struct pt_error err = { 0 };
	unsigned char *data = (unsigned char *)"sentinel";
	size_t len;

	ck_assert(!pt_source_read(&s, 99, &data, &len, &err));
	ck_assert_ptr_null(data);
	ck_assert_ptr_nonnull(strstr(err.msg, "larger than 99 bytes"));

	ck_assert(pt_source_read(&s, 100, &data, &len, &err));
	ck_assert_uint_eq(len, 100);
	free(data);
}
END_TEST

START_TEST(read_missing_file)
{
	struct pt_source s = source_at("missing");
	struct pt_error err = { 0 };
	unsigned char *data;
	size_t len;
	ck_assert(!pt_source_read(&s, 0, &data, &len, &err));
	ck_assert_ptr_null(data);
	char want[PT_ERROR_MSG_MAX];
	snprintf(want, sizeof(want), "cannot open: %s", strerror(ENOENT));
	ck_assert_str_eq(err.msg, want);
}
END_TEST

START_TEST(read_directory_fails)
{
	struct pt_source s = { .path = tmpdir, .name = tmpdir, .base = tmpdir };
	struct pt_error err = { 0 };
	unsigned char *data;
	size_t len;
	ck_assert(!pt_source_read(&s, 0, &data, &len, &err));
	ck_assert_ptr_null(data);
	ck_assert_ptr_nonnull(strstr(err.msg, strerror(EISDIR)));
}
END_TEST

/* Feeds n patterned bytes into the FIFO from a child process. */
static pid_t
start_writer(const char *fifo, size_t n)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open(fifo, O_WRONLY);
		if (fd < 0)
			_exit(1);
		unsigned char chunk[4096];
		for (size_t done = 0; done < n;) {
			size_t k = n - done < sizeof(chunk) ? n - done : sizeof(chunk);
			for (size_t i = 0; i < k; i++)
				chunk[i] = (unsigned char)((done + i) % 251);
			ssize_t w = write(fd, chunk, k);
			if (w <= 0)
				_exit(1);
			done += (size_t)w;
		}
		_exit(0);
	}
	return pid;
}

START_TEST(read_stream_grows)
{
	/* Larger than the first stream buffer, so growth is exercised. */
	size_t n = 300000;
	ck_assert_int_eq(mkfifo(at("pipe"), 0600), 0);
	pid_t pid = start_writer(at("pipe"), n);
	struct pt_source s = source_at("pipe");
	struct pt_error err = { 0 };
	unsigned char *data;
	size_t len;
	ck_assert_msg(pt_source_read(&s, 0, &data, &len, &err), "%s", err.msg);
	ck_assert_uint_eq(len, n);
	for (size_t i = 0; i < n; i += 997)
		ck_assert_uint_eq(data[i], i % 251);
	free(data);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
END_TEST

START_TEST(read_stream_respects_max_bytes)
{
	ck_assert_int_eq(mkfifo(at("pipe"), 0600), 0);
	pid_t pid = start_writer(at("pipe"), 200000);
	struct pt_source s = source_at("pipe");
	struct pt_error err = { 0 };
	unsigned char *data;
	size_t len;
	ck_assert(!pt_source_read(&s, 1000, &data, &len, &err));
	ck_assert_ptr_null(data);
	ck_assert_ptr_nonnull(strstr(err.msg, "larger than 1000 bytes"));
	/* The writer dies of SIGPIPE once the reader has given up. */
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
}
END_TEST

static Suite *
source_suite(void)
{
	Suite *s = suite_create("source");

	TCase *order = tcase_create("natural");
	tcase_add_test(order, natural_digits_by_value);
	tcase_add_test(order, natural_prefixes);
	tcase_add_test(order, natural_leading_zeros);
	tcase_add_test(order, natural_long_digit_runs);
	tcase_add_test(order, natural_is_a_total_order);
	suite_add_tcase(s, order);

	TCase *tc_expand = tcase_create("expand");
	tcase_add_checked_fixture(tc_expand, setup, teardown);
	tcase_add_test(tc_expand, directory_in_natural_order);
	tcase_add_test(tc_expand, directory_skips_subdirs_and_fifos);
	tcase_add_test(tc_expand, directory_dangling_symlink_warned);
	tcase_add_test(tc_expand, directory_trailing_slash);
	tcase_add_test(tc_expand, directory_without_files_is_error);
	tcase_add_test(tc_expand, operands_keep_their_order);
	tcase_add_test(tc_expand, same_file_twice_is_read_once);
	tcase_add_test(tc_expand, missing_operand_is_error);
	tcase_add_test(tc_expand, unreadable_operand_is_error);
	tcase_add_test(tc_expand, stdin_operand_once);
	tcase_add_test(tc_expand, fifo_operand_allowed);
	tcase_add_test(tc_expand, mtime_in_milliseconds);
	suite_add_tcase(s, tc_expand);

	TCase *rd = tcase_create("read");
	tcase_add_checked_fixture(rd, setup, teardown);
	tcase_add_test(rd, read_whole_file);
	tcase_add_test(rd, read_empty_file);
	tcase_add_test(rd, read_respects_max_bytes);
	tcase_add_test(rd, read_missing_file);
	tcase_add_test(rd, read_directory_fails);
	tcase_add_test(rd, read_stream_grows);
	tcase_add_test(rd, read_stream_respects_max_bytes);
	suite_add_tcase(s, rd);
	return s;
}

int
main(void)
{
	return pt_test_run(source_suite());
}
