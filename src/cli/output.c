/*
 * Where reports go.  A report is written whole or not at all, and never
 * over anything pooltrend reads: the inputs are a customer's evidence, and
 * -o pointed at one of them by mistake must not destroy it.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

bool
names_stdout(const char *path)
{
	return path == NULL || strcmp(path, "-") == 0;
}

void
print_path_error(const char *path, const char *what)
{
	fputs("pooltrend: ", stderr);
	print_escaped(stderr, path);
	fprintf(stderr, ": %s\n", what);
}

/* The directory path is in ("." for a bare name), as a new string. */
static char *
parent_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static bool
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Whether the directory named path is dir. */
static bool
is_dir(const char *path, const struct stat *dir)
{
	struct stat st;
	return path != NULL && stat(path, &st) == 0 && same_file(&st, dir);
}

/*
 * Whether the existing file out is in directory dir: directly, under the
 * name given (a link in dir is read as the file it points to) or the
 * name it resolves to, or at any depth when dir is read recursively.
 */
static bool
inside(const char *out, const struct stat *dir, bool recursive)
{
	char *given = parent_of(out);
	bool found = is_dir(given, dir);
	free(given);
	char *real = found ? NULL : realpath(out, NULL);
	if (real == NULL)
		return found;
	char *p = parent_of(real);
	while (p != NULL && !found) {
		found = is_dir(p, dir);
		if (!recursive || strcmp(p, "/") == 0)
			break;
		char *up = parent_of(p);
		free(p);
		p = up;
	}
	free(p);
	free(real);
	return found;
}

/*
 * Which input the existing output file is, or NULL; *in_dir says whether
 * it is one as a file of an input directory.  Two names of one file (a
 * hard link, a symbolic link, "./x" and "x") are one file.
 */
static const struct cli_input *
input_named_by(const struct stat *out_st, const char *out,
		const struct cli_input *inputs, size_t n, bool *in_dir)
{
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (names_stdout(inputs[i].path) || stat(inputs[i].path, &st) != 0)
			continue;
		*in_dir = false;
		if (same_file(&st, out_st))
			return &inputs[i];
		*in_dir = true;
		if (S_ISDIR(st.st_mode) && S_ISREG(out_st->st_mode) &&
				inside(out, &st, inputs[i].recursive))
			return &inputs[i];
	}
	return NULL;
}

int
check_output(const char *option, const char *path,
		const struct cli_input *inputs, size_t n)
{
	struct stat st;
	if (path != NULL && path[0] == '\0')
		return usage_error("%s needs a file name", option);
	if (names_stdout(path) || stat(path, &st) != 0)
		return EXIT_OK;         /* new files are nobody's input */
	bool in_dir = false;
	const struct cli_input *in = input_named_by(&st, path, inputs, n,
		&in_dir);
	if (in == NULL)
		return EXIT_OK;
	fprintf(stderr, "pooltrend: %s ", option);
	print_escaped(stderr, path);
	fputs(in_dir ? " is a file of the input directory " :
		" is the input ", stderr);
	print_escaped(stderr, in->path);
	fputs(": pooltrend never writes over what it reads\n", stderr);
	return EXIT_USAGE;
}

/*
 * mkstemp creates the file with mode 0600; the report gets the mode of
 * the file it replaces, or what the umask allows a new file.
 */
static void
set_report_mode(int fd, const struct stat *st)
{
	mode_t mode;
	if (st != NULL) {
		mode = st->st_mode & 07777;
	} else {
		mode_t mask = umask(0);
		umask(mask);
		mode = 0666 & ~mask;
	}
	(void)fchmod(fd, mode);
}

/* Writes, flushes and closes f (on fd); false with the first error in err. */
static bool
write_and_close(FILE *f, int fd, writer_fn write, const void *ctx,
		bool durable, struct pt_error *err)
{
	/* In this order: the content, then flush it, then make it durable. */
	bool ok = write(f, ctx, err);
	ok = fflush(f) == 0 && ok;
	if (durable)
		ok = (fsync(fd) == 0 || errno == EINVAL) && ok;
	if (!ok && err->msg[0] == '\0')
		pt_error_set(err, 0, "%s", strerror(errno ? errno : EIO));
	ok = fclose(f) == 0 && ok;  /* the first error is the one reported */
	if (!ok && err->msg[0] == '\0')
		pt_error_set(err, 0, "%s", strerror(errno ? errno : EIO));
	return ok;
}

/* Write to standard output; a failed write is an error too. */
static int
write_stdout(writer_fn write, const void *ctx)
{
	struct pt_error err = {0};
	bool ok = write(stdout, ctx, &err);
	if (fflush(stdout) != 0 || ferror(stdout))
		ok = false;
	if (!ok) {
		fprintf(stderr, "pooltrend: standard output: %s\n",
			err.msg[0] && strcmp(err.msg, "write error") != 0 ? err.msg :
			strerror(errno ? errno : EIO));
		return EXIT_IO;
	}
	return EXIT_OK;
}

/*
 * A device, FIFO or socket that exists is written into as it is (a FIFO
 * feeds its reader, /dev/null swallows): replacing it by a file would
 * break whatever else uses it.
 */
static int
write_in_place(const char *path, writer_fn write, const void *ctx)
{
	int fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL) {
		print_path_error(path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return EXIT_IO;
	}
	struct pt_error err = {0};
	if (!write_and_close(f, fd, write, ctx, false, &err)) {
		print_path_error(path, err.msg);
		return EXIT_IO;
	}
	return EXIT_OK;
}

/*
 * A temporary file beside target, with a short name so that a target
 * name near NAME_MAX still works.
 */
static char *
temp_beside(const char *target)
{
	char *dir = parent_of(target);
	if (dir == NULL)
		return NULL;
	size_t len = strlen(dir) + sizeof("/.pooltrend-XXXXXX");
	char *tmp = malloc(len);
	if (tmp != NULL)
		(void)snprintf(tmp, len, "%s/.pooltrend-XXXXXX", dir);
	free(dir);
	return tmp;
}

/*
 * Write to a temporary file beside path, then rename it into place.  A
 * symbolic link stays: the file it points to is the one replaced.
 */
int
write_atomically(const char *path, writer_fn write, const void *ctx)
{
	if (names_stdout(path))
		return write_stdout(write, ctx);
	struct stat st;
	bool exists = stat(path, &st) == 0;
	if (exists && !S_ISREG(st.st_mode) &&
			!S_ISDIR(st.st_mode))
		return write_in_place(path, write, ctx);
	char *real = realpath(path, NULL);
	const char *target = real != NULL ? real : path;
	char *tmp = temp_beside(target);
	int fd = tmp != NULL ? mkstemp(tmp) : -1;
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	int rc = EXIT_OK;
	if (f == NULL) {
		print_path_error(path, tmp == NULL ? "out of memory" :
			S_ISDIR(st.st_mode) && real != NULL ? "is a directory" :
			strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		free(real);
		return EXIT_IO;
	}
	set_report_mode(fd, exists ? &st : NULL);
	struct pt_error err = {0};
	if (!write_and_close(f, fd, write, ctx, true, &err)) {
		print_path_error(path, err.msg);
		rc = EXIT_IO;
	} else if (rename(tmp, target) != 0) {
		print_path_error(path, strerror(errno));
		rc = EXIT_IO;
	}
	if (rc != EXIT_OK)
		unlink(tmp);
	free(tmp);
	free(real);
	return rc;
}

