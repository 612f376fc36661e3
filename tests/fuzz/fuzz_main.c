/*
 * Regression driver: a plain main() for the fuzz targets when the build
 * is not configured for libFuzzer (-Dfuzzing=false).
 *
 *   fuzz-parse FILE|DIR...
 *
 * Runs LLVMFuzzerTestOneInput once on every regular file named, and on
 * every regular file found under each directory (recursively, in sorted
 * order so that a failure is reproducible).  A violated invariant aborts
 * inside the target; the driver names the file first so the log says
 * which input did it.  Exit status 0 when every file ran, 1 when a file
 * or directory could not be read.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t files_run;

/* Read a whole file; libFuzzer also hands the target an exact-size buffer. */
static bool
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "fuzz: %s: %s\n", path, strerror(errno));
		return false;
	}
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			uint8_t *nb = realloc(buf, cap);
			if (nb == NULL) {
				fprintf(stderr, "fuzz: %s: out of memory\n", path);
				free(buf);
				fclose(f);
				return false;
			}
			buf = nb;
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	bool ok = !ferror(f);
	fclose(f);
	if (!ok) {
		fprintf(stderr, "fuzz: %s: read error\n", path);
		free(buf);
		return false;
	}
	/* An exact-size copy lets ASan catch reads one past the input. */
	uint8_t *exact = malloc(len ? len : 1);
	if (exact == NULL) {
		free(buf);
		return false;
	}
	if (len > 0)
		memcpy(exact, buf, len);
	free(buf);
	fprintf(stderr, "fuzz: running %s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	files_run++;
	return true;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool run_path(const char *path);

static bool
run_dir(const char *path)
{
	DIR *d = opendir(path);
	if (d == NULL) {
		fprintf(stderr, "fuzz: %s: %s\n", path, strerror(errno));
		return false;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	bool ok = true;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **nn = realloc(names, cap * sizeof(*names));
			if (nn == NULL) {
				ok = false;
				break;
			}
			names = nn;
		}
		size_t len = strlen(path) + strlen(e->d_name) + 2;
		names[n] = malloc(len);
		if (names[n] == NULL) {
			ok = false;
			break;
		}
		snprintf(names[n], len, "%s/%s", path, e->d_name);
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		ok &= run_path(names[i]);
		free(names[i]);
	}
	free(names);
	return ok;
}

static bool
run_path(const char *path)
{
	struct stat st;
	/* lstat: a symlink loop in a corpus must not hang the test. */
	if (lstat(path, &st) != 0) {
		fprintf(stderr, "fuzz: %s: %s\n", path, strerror(errno));
		return false;
	}
	if (S_ISDIR(st.st_mode))
		return run_dir(path);
	if (S_ISREG(st.st_mode))
		return run_file(path);
	return true; /* symlinks, fifos: not corpus entries */
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	bool ok = true;
	for (int i = 1; i < argc; i++)
		ok &= run_path(argv[i]);
	printf("%zu inputs run, %s\n", files_run, ok ? "all read" : "read errors");
	return ok ? 0 : 1;
}
