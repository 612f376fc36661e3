/*
 * pooltrend owner [OPTIONS] TAG... -- PATH...: which driver binaries
 * contain the tags, ranked by evidence; and the scan behind --drivers.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "pooltrend/owner.h"
#include "pooltrend/pooltag.h"
#include "pooltrend/score.h"
#include "pooltrend/text.h"
#include "pt_config.h"

enum { OPT_POOLTAG = 256 };

_Static_assert(PT_OWNER_MAX_TAGS == 4096, "the usage message names the cap");

struct owner_cli {
	bool json;
	bool quiet;
	size_t top;
	const char *pooltag_path;
};

static const struct option owner_options[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "top", required_argument, NULL, 'n' },
	{ "pooltag", required_argument, NULL, OPT_POOLTAG },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char owner_usage[] =
	"usage: pooltrend owner [OPTIONS] TAG... -- PATH...\n";

static void
print_owner_help(void)
{
	fputs(owner_usage, stdout);
	fputs(
"Find the driver binaries that contain each pool TAG.  PATH is a file or a\n"
"directory (read recursively); every PE file (.sys, .dll, .exe or any\n"
"other name) is scanned.  Each binary is ranked by its evidence: the tag\n"
"as an argument of a call to a pool allocator, in code, or only in data,\n"
"and whether the binary imports a pool allocator at all.\n"
"\n"
"Options:\n"
"  -f, --format FMT    text (default) or json\n"
"  -n, --top N         binaries shown per tag; 0 shows all (default)\n"
"      --pooltag FILE  add each tag's pooltag.txt description (default:\n"
"                      the POOLTAG_FILE environment variable)\n"
"  -q, --quiet         print errors only\n"
"  -h, --help          show this help and exit\n"
"\n"
"At most 4096 tags at once.\n"
"\n"
"Exit status: 0 every tag was found, 1 a tag is in no binary, 2 usage\n"
"error, 3 no path could be read or output failed.\n", stdout);
}

static bool
parse_top(const char *s, size_t *out)
{
	char *end;
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > SIZE_MAX)
		return false;
	*out = (size_t)v;
	return true;
}

/* Returns -1 to go on, or an exit status. */
static int
owner_option(struct owner_cli *c, int opt, const char *arg, char **argv)
{
	switch (opt) {
	case 'f':
		if (strcmp(arg, "text") != 0 && strcmp(arg, "json") != 0)
			return usage_error("owner: unknown format '%s' (text or json)", arg);
		c->json = strcmp(arg, "json") == 0;
		return -1;
	case 'n':
		if (!parse_top(arg, &c->top))
			return usage_error("--top needs a count, not '%s'", arg);
		return -1;
	case OPT_POOLTAG:
		c->pooltag_path = arg;
		return -1;
	case 'q':
		c->quiet = true;
		return -1;
	case 'h':
		print_owner_help();
		return EXIT_OK;
	case ':':
		return usage_error("option '%s' needs a value", argv[optind - 1]);
	default:
		return usage_error("unknown option '%s'", argv[optind - 1]);
	}
}

static int
parse_tags(int argc, char **argv, uint8_t (**tags)[4], size_t *ntags)
{
	*ntags = 0;
	*tags = calloc((size_t)argc ? (size_t)argc : 1, 4);
	if (*tags == NULL) {
		fputs("pooltrend: out of memory\n", stderr);
		return EXIT_IO;
	}
	for (int i = 0; i < argc; i++) {
		if (!pt_tag_unescape(argv[i], (*tags)[i]))
			return usage_error("'%s' is not a tag (1 to 4 characters, "
				"\\xNN for other bytes)", argv[i]);
		(*ntags)++;
	}
	return -1;
}

static struct pt_pooltag *
load_table(const char *path, bool quiet, int *rc)
{
	struct pt_diags d;
	struct pt_error err = {0};
	pt_diags_init(&d);
	struct pt_pooltag *pt = pt_pooltag_load(path, &d, &err);
	print_diags(&d, quiet);
	pt_diags_finish(&d);
	if (pt == NULL) {
		char *e = pt_escape(path, strlen(path));
		fprintf(stderr, "pooltrend: %s: %s\n", e ? e : "?", err.msg);
		free(e);
		*rc = EXIT_IO;
	}
	return pt;
}

/* Scan every path; EXIT_IO when every path failed (an empty directory is read). */
static int
scan_paths(struct pt_owner_scan *s, char **paths, size_t n, bool quiet)
{
	struct pt_diags d;
	struct pt_error err = {0};
	pt_diags_init(&d);
	bool ok = true;
	size_t failed = 0;
	for (size_t i = 0; ok && i < n; i++) {
		size_t files = s->files, unreadable = s->unreadable;
		ok = pt_owner_scan_path(s, paths[i], &d, &err);
		failed += s->files == files && s->unreadable > unreadable;
	}
	print_diags(&d, quiet);
	pt_diags_finish(&d);
	if (!ok) {
		fprintf(stderr, "pooltrend: %s\n", err.msg);
		return EXIT_IO;
	}
	pt_owner_scan_finish(s);
	if (failed == n) {
		fputs("pooltrend: owner: no path could be read\n", stderr);
		return EXIT_IO;
	}
	if (s->pe_files == 0 && !quiet)
		fputs("pooltrend: owner: warning: no PE file found\n", stderr);
	return EXIT_OK;
}

static int
write_owner(const struct pt_owner_scan *s, const struct owner_cli *c,
		const struct pt_pooltag *pt)
{
	struct pt_owner_report_opts o = { PT_VERSION, pt, c->top };
	struct pt_error err = {0};
	bool ok = c->json ? pt_owner_write_json(stdout, s, &o, &err) :
		pt_owner_write_text(stdout, s, &o, &err);
	if (fflush(stdout) != 0 || ferror(stdout))
		ok = false;
	if (!ok) {
		fprintf(stderr, "pooltrend: standard output: %s\n",
			err.msg[0] ? err.msg : strerror(errno ? errno : EIO));
		return EXIT_IO;
	}
	for (size_t i = 0; i < s->ntags; i++) {
		if (s->tags[i].nhits == 0)
			return EXIT_GATE;
	}
	return EXIT_OK;
}

static int
split_at_dashes(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return i;
	}
	return -1;
}

int
owner_command(int argc, char **argv)
{
	struct owner_cli c = { false, false, 0, NULL };
	/* Options and tags come before "--", paths after it, whatever they look like. */
	int dashes = split_at_dashes(argc, argv);
	int head = dashes < 0 ? argc : dashes;
	int opt, rc = -1;
	cli_usage = owner_usage;
	opterr = 0;
	optind = 1;
	while (rc < 0 && (opt = getopt_long(head, argv, ":f:n:qh", owner_options,
			NULL)) != -1)
		rc = owner_option(&c, opt, optarg, argv);
	if (rc >= 0)
		return rc;
	if (optind >= head)
		return usage_error("%s", "owner needs at least one TAG");
	if (dashes < 0 || dashes + 1 >= argc)
		return usage_error("%s", "owner needs '--' and then the paths to scan");
	if (head - optind > PT_OWNER_MAX_TAGS)
		return usage_error("owner looks for at most %s tags at once",
			"4096");
	uint8_t (*tags)[4];
	size_t ntags;
	rc = parse_tags(head - optind, argv + optind, &tags, &ntags);
	struct pt_pooltag *pt = NULL;
	if (c.pooltag_path == NULL) {
		const char *env = getenv("POOLTAG_FILE");
		c.pooltag_path = env != NULL && env[0] != '\0' ? env : NULL;
	}
	if (rc < 0 && c.pooltag_path != NULL)
		pt = load_table(c.pooltag_path, c.quiet, &rc);
	struct pt_error err = {0};
	struct pt_owner_scan *s = rc < 0 ? pt_owner_scan_create(
		(const uint8_t (*)[4])tags, ntags, &err) : NULL;
	if (rc < 0 && s == NULL) {
		fprintf(stderr, "pooltrend: %s\n", err.msg);
		rc = EXIT_IO;
	}
	if (rc < 0) {
		rc = scan_paths(s, argv + dashes + 1, (size_t)(argc - dashes - 1),
			c.quiet);
		if (rc == EXIT_OK)
			rc = write_owner(s, &c, pt);
	}
	pt_owner_scan_destroy(s);
	pt_pooltag_destroy(pt);
	free(tags);
	return rc;
}

int
owner_scan_for_report(const char *dir, const struct pt_analysis *a,
		enum pt_pool_filter pool, bool quiet, struct pt_owner_scan **out)
{
	*out = NULL;
	uint8_t (*tags)[4] = calloc(a->ds.nseries ? a->ds.nseries : 1, 4);
	if (tags == NULL) {
		fputs("pooltrend: out of memory\n", stderr);
		return EXIT_IO;
	}
	size_t n = 0, over = 0;
	/* Likely tags first, so a cut keeps the strongest ones. */
	for (int v = PT_VERDICT_LIKELY; v >= PT_VERDICT_POSSIBLE; v--) {
		for (size_t i = 0; i < a->ds.nseries; i++) {
			if ((int)a->scores[i].verdict != v ||
					!pt_pool_filter_match(pool, a->ds.series[i].pool))
				continue;
			if (n < PT_OWNER_MAX_TAGS)
				memcpy(tags[n++], a->ds.series[i].tag, 4);
			else
				over++;
		}
	}
	if (over > 0 && !quiet)
		fprintf(stderr, "pooltrend: --drivers: warning: %zu more likely or "
			"possible series not looked for (at most %d tags)\n",
			over, PT_OWNER_MAX_TAGS);
	int rc = EXIT_OK;
	struct pt_error err = {0};
	/* A mistyped directory fails even when there is nothing to look for. */
	int fd = open(dir, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		char *e = pt_escape(dir, strlen(dir));
		fprintf(stderr, "pooltrend: --drivers %s: %s\n", e ? e : "?",
			strerror(errno));
		free(e);
		n = 0;
		rc = EXIT_IO;
	} else {
		close(fd);
	}
	if (n > 0) {
		*out = pt_owner_scan_create((const uint8_t (*)[4])tags, n, &err);
		if (*out == NULL) {
			fprintf(stderr, "pooltrend: %s\n", err.msg);
			rc = EXIT_IO;
		} else {
			char *paths[1] = { (char *)dir };
			rc = scan_paths(*out, paths, 1, quiet);
		}
	}
	free(tags);
	return rc;
}
