/*
 * pooltrend command line: parse options, run the library, print messages,
 * map the outcome to the documented exit status.  The only place that
 * prints diagnostics or exits.
 */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "pooltrend/analysis.h"
#include "pooltrend/gate.h"
#include "pooltrend/pooltag.h"
#include "pooltrend/report.h"
#include "pooltrend/score.h"
#include "pooltrend/show.h"
#include "pooltrend/text.h"
#include "pooltrend/timeline.h"
#include "pt_config.h"

enum long_only {
	OPT_INTERVAL = 256,
	OPT_TIME_SOURCE,
	OPT_DATE_ORDER,
	OPT_FAIL_ON,
	OPT_COLOR,
	OPT_STRICT,
	OPT_SVG,
	OPT_POOLTAG,
	OPT_NO_SPARKLINE,
	OPT_FAIL_ABOVE,
	OPT_BASELINE,
	OPT_DRIVERS,
	OPT_PROGRESS,
};

enum command { CMD_RANK, CMD_SHOW, CMD_DIFF };

struct cli {
	struct pt_analysis_opts analysis;
	struct pt_report_opts report;
	bool top_given;
	struct pt_gate_opts gate;
	const char *output;
	enum when color;
	enum when progress;
	struct progress progress_state;
	bool quiet;
	bool strict;
	enum command command;
	const char *svg;          /* show --svg FILE */
	const char *pooltag_path; /* --pooltag FILE, or POOLTAG_FILE */
	const char *drivers_dir;  /* --drivers DIR */
	const char *report_only;  /* first option given that only the report takes */
};

static const struct option long_options[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "top", required_argument, NULL, 'n' },
	{ "pool", required_argument, NULL, 'p' },
	{ "sort", required_argument, NULL, 's' },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "time-source", required_argument, NULL, OPT_TIME_SOURCE },
	{ "date-order", required_argument, NULL, OPT_DATE_ORDER },
	{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
	{ "fail-above", required_argument, NULL, OPT_FAIL_ABOVE },
	{ "baseline", required_argument, NULL, OPT_BASELINE },
	{ "output", required_argument, NULL, 'o' },
	{ "color", required_argument, NULL, OPT_COLOR },
	{ "quiet", no_argument, NULL, 'q' },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "svg", required_argument, NULL, OPT_SVG },
	{ "pooltag", required_argument, NULL, OPT_POOLTAG },
	{ "no-sparkline", no_argument, NULL, OPT_NO_SPARKLINE },
	{ "drivers", required_argument, NULL, OPT_DRIVERS },
	{ "progress", required_argument, NULL, OPT_PROGRESS },
	{ "threads", required_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static const char usage_line[] =
	"usage: pooltrend [OPTIONS] INPUT...\n"
	"       pooltrend show [OPTIONS] TAG[:paged|:nonpaged] INPUT...\n"
	"       pooltrend diff [OPTIONS] OLD [NEW]\n"
	"       pooltrend owner [OPTIONS] TAG... -- PATH...\n";

/* What usage_error prints after its message; a command may set its own. */
const char *cli_usage = usage_line;

static void
print_help(void)
{
	fputs(usage_line, stdout);
	fputs(
"Rank the pool tags of a series of poolmon -n snapshots by how likely they\n"
"leak.  INPUT is a snapshot file, a directory (its files in natural order:\n"
"log2 before log10) or - for standard input; one file may hold many\n"
"snapshots.  'show' prints one tag in detail, as text: every sample, the\n"
"statistics behind its verdict and a chart.  TAG is written as in the\n"
"report (\\xNN for bytes that are not printable); :paged or :nonpaged\n"
"picks one pool.\n"
"'diff' compares two snapshots: the first of OLD with the last of NEW\n"
"(each a file or a directory), or the first and last of one set; -s\n"
"sorts by the change of bytes (default), allocs, frees or diff, or by tag.\n"
"'owner' finds the driver binaries that contain tags (pooltrend owner -h).\n"
"The command word comes first, before any option.\n"
"\n"
"Options:\n"
"  -f, --format FMT        text (default), json, csv, tsv or jsonl\n"
"  -n, --top N             show the first N series; 0 shows all\n"
"                          (default: 20 for text, all otherwise)\n"
"  -p, --pool POOL         all (default), paged or nonpaged\n"
"  -s, --sort KEY          impact (default), confidence, growth, tte,\n"
"                          bytes, tag, allocs, frees or diff\n"
"      --time-source SRC   auto (default), embedded, name, mtime,\n"
"                          interval or index (an hour a snapshot: rates\n"
"                          per snapshot, no time to exhaustion)\n"
"      --date-order ORDER  auto (default), dmy or mdy: which field is the\n"
"                          day in NN/NN/YYYY lines and YYYY-NN-NN names\n"
"      --interval DURATION snapshot spacing when no time is found,\n"
"                          e.g. 15m, 1h, 900 (seconds)\n"
"      --pooltag FILE      name owners from a pooltag.txt (default: the\n"
"                          POOLTAG_FILE environment variable)\n"
"      --no-sparkline      leave the TREND column out of the text report\n"
"      --drivers DIR       name the driver binary under DIR that most\n"
"                          likely owns each likely or possible tag\n"
"                          (none below 0.40 confidence)\n"
"      --svg FILE          show: also write the chart as an SVG image\n"
"                          (- for standard output, instead of the text)\n"
"      --fail-on VERDICT   exit 1 when a series is at least likely or\n"
"                          possible\n"
"      --fail-above RATE   ... and grows faster than RATE bytes/hour\n"
"                          (100KB/h, 2MB/d); alone: possible and faster\n"
"      --baseline FILE     gate only on series new or worse than in FILE,\n"
"                          an earlier --format json report (alone: as\n"
"                          --fail-on likely)\n"
"  -o, --output FILE       write the report to FILE (replaced whole, never\n"
"                          left half-written; - for standard output);\n"
"                          refused when FILE is one of the inputs\n"
"      --color WHEN        auto (default), always or never\n"
"      --strict            any input left out (unreadable file, file or\n"
"                          line not understood, mixed machines, mixed\n"
"                          line ends) is an error: exit 3 and no report\n"
"      --progress WHEN     show files read on stderr: auto (default: on\n"
"                          a terminal, without -q), always or never\n"
"  -q, --quiet             print errors only, no warnings or notes\n"
"  -j, --threads N         worker threads for reading, scoring and JSON\n"
"                          (default 0: one per online CPU)\n"
"  -h, --help              show this help and exit\n"
"  -V, --version           show the version and exit\n"
"\n"
"Exit status: 0 done, 1 the gate tripped, 2 usage error,\n"
"3 input or output error.  See pooltrend(1).\n", stdout);
}

/* User-given text is escaped too: it may hold control bytes. */
void
print_escaped(FILE *f, const char *s)
{
	char *e = s != NULL ? pt_escape(s, strlen(s)) : NULL;
	fputs(e ? e : "?", f);
	free(e);
}

int
usage_error(const char *fmt, const char *arg)
{
	char *e = arg != NULL ? pt_escape(arg, strlen(arg)) : NULL;
	fputs("pooltrend: ", stderr);
	fprintf(stderr, fmt, e ? e : "?");
	free(e);
	fputc('\n', stderr);
	fputs(cli_usage, stderr);
	fputs("Try 'pooltrend --help' for more information.\n", stderr);
	return EXIT_USAGE;
}

static bool
parse_count(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	/* strtoull skips blanks and accepts a sign: " -1" would wrap. */
	if (*s < '0' || *s > '9')
		return false;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > SIZE_MAX)
		return false;
	*out = (size_t)v;
	return true;
}

bool
when_parse(const char *s, enum when *out)
{
	if (strcmp(s, "auto") == 0)
		*out = WHEN_AUTO;
	else if (strcmp(s, "always") == 0)
		*out = WHEN_ALWAYS;
	else if (strcmp(s, "never") == 0)
		*out = WHEN_NEVER;
	else
		return false;
	return true;
}

/*
 * show prints one fixed view; an option it would silently drop (a JSON
 * consumer asking for -f json getting text) is refused instead.
 */
static void
note_report_only(struct cli *c, const char *name)
{
	if (c->report_only == NULL)
		c->report_only = name;
}

/* Returns -1 to go on, or an exit status. */
static int
apply_option(struct cli *c, int opt, const char *arg)
{
	switch (opt) {
	case 'f':
		note_report_only(c, "-f/--format");
		if (!pt_format_parse(arg, &c->report.format))
			return usage_error("unknown format '%s' (text, json, csv, tsv "
				"or jsonl)", arg);
		return -1;
	case 'n':
		note_report_only(c, "-n/--top");
		if (!parse_count(arg, &c->report.top))
			return usage_error("--top needs a count, not '%s'", arg);
		c->top_given = true;
		return -1;
	case 'p':
		note_report_only(c, "-p/--pool");
		if (!pt_pool_filter_parse(arg, &c->report.pool))
			return usage_error("unknown pool '%s' (all, paged or nonpaged)", arg);
		return -1;
	case 's':
		note_report_only(c, "-s/--sort");
		if (!pt_sort_key_parse(arg, &c->report.sort))
			return usage_error("unknown sort key '%s'", arg);
		return -1;
	case OPT_INTERVAL:
		if (!pt_duration_parse(arg, &c->analysis.interval_ms))
			return usage_error("bad --interval '%s' (e.g. 15m, 1h, 900)", arg);
		return -1;
	case OPT_TIME_SOURCE:
		if (!pt_time_source_parse(arg, &c->analysis.time_source))
			return usage_error("unknown time source '%s'", arg);
		return -1;
	case OPT_DATE_ORDER:
		if (!pt_date_order_parse(arg, &c->analysis.date_order))
			return usage_error("unknown date order '%s' (auto, dmy or mdy)", arg);
		return -1;
	case OPT_FAIL_ON:
		if (!pt_verdict_parse(arg, &c->gate.fail_on) ||
				c->gate.fail_on == PT_VERDICT_UNLIKELY)
			return usage_error("--fail-on takes likely or possible, not '%s'", arg);
		c->gate.use_verdict = true;
		return -1;
	case OPT_FAIL_ABOVE:
		if (!pt_rate_parse(arg, &c->gate.fail_above_bph))
			return usage_error("--fail-above needs a growth rate such as "
				"50000, 100KB/h or 2MB/d, not '%s'", arg);
		c->gate.use_rate = true;
		c->gate.fail_above_text = arg;
		return -1;
	case OPT_BASELINE:
		c->gate.baseline_name = arg;
		return -1;
	case 'o':
		c->output = arg;
		return -1;
	case OPT_COLOR:
		if (!when_parse(arg, &c->color))
			return usage_error("--color takes auto, always or never, not '%s'", arg);
		return -1;
	case 'q':
		c->quiet = true;
		return -1;
	case 'j':
		if (!parse_count(arg, &c->analysis.threads))
			return usage_error("--threads needs a count, not '%s'", arg);
		c->report.threads = c->analysis.threads;
		return -1;
	case OPT_STRICT:
		c->strict = true;
		return -1;
	case OPT_SVG:
		c->svg = arg;
		return -1;
	case OPT_POOLTAG:
		c->pooltag_path = arg;
		return -1;
	case OPT_NO_SPARKLINE:
		note_report_only(c, "--no-sparkline");
		c->report.no_sparkline = true;
		return -1;
	case OPT_DRIVERS:
		c->drivers_dir = arg;
		return -1;
	case OPT_PROGRESS:
		if (!when_parse(arg, &c->progress))
			return usage_error("--progress takes auto, always or never, "
				"not '%s'", arg);
		return -1;
	case 'h':
		print_help();
		return EXIT_OK;
	case 'V':
		printf("pooltrend %s\nJSON schema %d\n", PT_VERSION,
			PT_JSON_SCHEMA_VERSION);
		return EXIT_OK;
	default:
		return EXIT_USAGE;
	}
}

/* getopt's own messages would start with argv[0], not "pooltrend:". */
static int
bad_option(int opt, char **argv)
{
	char shortopt[3] = { '-', (char)optopt, '\0' };
	const char *given = argv[optind - 1];
	const char *name = strncmp(given, "--", 2) == 0 || optopt == 0 ?
		given : shortopt;
	if (opt == ':')
		return usage_error("option '%s' needs a value", name);
	return usage_error("unknown option '%s'", name);
}

static int
parse_args(struct cli *c, int argc, char **argv)
{
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":f:n:p:s:o:qj:hV", long_options,
			NULL)) != -1) {
		if (opt == '?' || opt == ':')
			return bad_option(opt, argv);
		int rc = apply_option(c, opt, optarg);
		if (rc >= 0)
			return rc;
	}
	if (c->analysis.time_source == PT_TIME_INTERVAL &&
			c->analysis.interval_ms == 0)
		return usage_error("%s", "--time-source interval needs --interval");
	return -1;
}

static bool
want_color(enum when mode, bool is_text, bool to_stdout)
{
	if (!is_text || mode == WHEN_NEVER)
		return false;
	if (mode == WHEN_ALWAYS)
		return true;
	const char *no_color = getenv("NO_COLOR");
	const char *term = getenv("TERM");
	return to_stdout && isatty(STDOUT_FILENO) &&
		(no_color == NULL || no_color[0] == '\0') &&
		(term == NULL || strcmp(term, "dumb") != 0);
}

void
print_diags(const struct pt_diags *d, bool quiet)
{
	for (size_t i = 0; i < d->len; i++) {
		const struct pt_diag *g = &d->items[i];
		if (quiet && g->severity != PT_SEV_ERROR)
			continue;
		fputs("pooltrend: ", stderr);
		if (g->file != NULL && g->line > 0)
			fprintf(stderr, "%s:%ld: ", g->file, g->line);
		else if (g->file != NULL)
			fprintf(stderr, "%s: ", g->file);
		if (g->severity == PT_SEV_WARNING)
			fputs("warning: ", stderr);
		else if (g->severity == PT_SEV_NOTE)
			fputs("note: ", stderr);
		fprintf(stderr, "%s\n", g->msg);
	}
	if (d->dropped > 0 && !quiet)
		fprintf(stderr, "pooltrend: %zu more messages not shown\n", d->dropped);
}

struct report_job {
	const struct cli *c;
	const struct pt_analysis *a;
};

static bool
write_report(FILE *f, const void *ctx, struct pt_error *err)
{
	const struct report_job *j = ctx;
	return pt_report_write(f, j->a, &j->c->report, err);
}

struct show_job {
	const struct pt_analysis *a;
	const size_t *series;
	size_t n;
	struct pt_show_opts opts;
};

static bool
write_show_text(FILE *f, const void *ctx, struct pt_error *err)
{
	const struct show_job *j = ctx;
	for (size_t i = 0; i < j->n; i++) {
		if (i > 0 && fputc('\n', f) == EOF)
			return false;
		if (!pt_show_write_text(f, j->a, j->series[i], &j->opts, err))
			return false;
	}
	return true;
}

static bool
write_show_svg(FILE *f, const void *ctx, struct pt_error *err)
{
	const struct show_job *j = ctx;
	return pt_show_write_svg(f, j->a, j->series[0], err);
}

static bool
gate_wanted(const struct cli *c)
{
	return c->gate.use_verdict || c->gate.use_rate;
}

/* --baseline FILE, read before the analysis so a bad file fails fast. */
static int
load_baseline(struct cli *c, struct pt_baseline **out)
{
	*out = NULL;
	if (c->gate.baseline_name == NULL)
		return EXIT_OK;
	struct pt_error err = {0};
	*out = pt_baseline_load(c->gate.baseline_name, &err);
	if (*out == NULL) {
		fputs("pooltrend: ", stderr);
		print_escaped(stderr, c->gate.baseline_name);
		if (err.line > 0)
			fprintf(stderr, ":%ld", err.line);
		fprintf(stderr, ": %s\n", err.msg);
		return EXIT_IO;
	}
	if (pt_baseline_partial(*out) && !c->quiet) {
		fputs("pooltrend: ", stderr);
		print_escaped(stderr, c->gate.baseline_name);
		fputs(": warning: the baseline lists only some series (written with "
			"--top); series missing from it count as new\n", stderr);
	}
	if (!pt_baseline_covers(*out, c->report.pool) && !c->quiet) {
		fputs("pooltrend: ", stderr);
		print_escaped(stderr, c->gate.baseline_name);
		fputs(": warning: the baseline was written with another --pool; "
			"series of the pools it left out count as new\n", stderr);
	}
	c->gate.baseline = *out;
	return EXIT_OK;
}

static void
print_gate_options(const struct cli *c)
{
	const char *sep = "";
	fputc('(', stderr);
	if (c->gate.use_verdict) {
		fprintf(stderr, "--fail-on %s", pt_verdict_name(c->gate.fail_on));
		sep = ", ";
	}
	if (c->gate.use_rate) {
		fprintf(stderr, "%s--fail-above ", sep);
		print_escaped(stderr, c->gate.fail_above_text);
		sep = ", ";
	}
	if (c->gate.baseline != NULL) {
		fprintf(stderr, "%s--baseline ", sep);
		print_escaped(stderr, c->gate.baseline_name);
	}
	fputc(')', stderr);
}

/*
 * Why the gate tripped (or held), one line per series, then the outcome;
 * with -q only the outcome of a tripped gate, so a failed CI job still
 * says why it failed.
 */
static void
print_gate(const struct cli *c, const struct pt_analysis *a,
		const struct pt_gate *g)
{
	for (size_t i = 0; !c->quiet && i < g->n; i++) {
		const struct pt_series *se = &a->ds.series[g->hits[i].series];
		char tag[PT_TAG_TEXT_MAX];
		fprintf(stderr, "pooltrend: gate: %s %s: %s\n",
			pt_tag_escape(se->tag, tag), pt_pool_name(se->pool),
			g->hits[i].reason);
	}
	size_t held = g->n - g->counted;
	if (g->tripped)
		fprintf(stderr, "pooltrend: gate tripped by %zu series ", g->counted);
	else if (held > 0 && !c->quiet)
		fprintf(stderr, "pooltrend: gate passed: %zu series no worse than "
			"the baseline ", held);
	else
		return;
	print_gate_options(c);
	fputc('\n', stderr);
}

/* --strict: input that was left out or does not fit is an error. */
bool
strict_violated(const struct pt_analysis *a)
{
	if (a->skipped_inputs == 0 && a->skipped_lines == 0 &&
			!a->mixed_machines && a->mixed_line_end_files == 0)
		return false;
	fprintf(stderr, "pooltrend: --strict: %zu input%s left out, %zu line%s "
		"not understood%s%s; no report\n",
		a->skipped_inputs, a->skipped_inputs == 1 ? "" : "s",
		a->skipped_lines, a->skipped_lines == 1 ? "" : "s",
		a->mixed_machines ? ", snapshots of different machines" : "",
		a->mixed_line_end_files > 0 ? ", mixed line ends" : "");
	return true;
}

/* --pooltag FILE, else POOLTAG_FILE from the environment, else NULL. */
static const char *
pooltag_path(const struct cli *c)
{
	const char *path = c->pooltag_path;
	if (path == NULL) {
		path = getenv("POOLTAG_FILE");
		if (path != NULL && path[0] == '\0')
			path = NULL;
	}
	return path;
}

static int
load_pooltag(const struct cli *c, struct pt_pooltag **out)
{
	const char *path = pooltag_path(c);
	*out = NULL;
	if (path == NULL)
		return EXIT_OK;
	struct pt_diags d;
	struct pt_error err = {0};
	pt_diags_init(&d);
	*out = pt_pooltag_load(path, &d, &err);
	print_diags(&d, c->quiet);
	pt_diags_finish(&d);
	if (*out == NULL) {
		print_path_error(path, err.msg);
		return EXIT_IO;
	}
	return EXIT_OK;
}

/* TAG[:paged|:nonpaged] as written in the report. */
static bool
parse_tag_arg(const char *arg, uint8_t tag[4], enum pt_pool_filter *pool)
{
	char buf[64];
	if (strlen(arg) >= sizeof(buf))
		return false;
	memcpy(buf, arg, strlen(arg) + 1);
	*pool = PT_FILTER_ALL;
	char *colon = strrchr(buf, ':');
	if (colon != NULL && colon != buf &&
			pt_pool_filter_parse(colon + 1, pool) && *pool != PT_FILTER_ALL)
		*colon = '\0';
	else
		*pool = PT_FILTER_ALL;
	return pt_tag_unescape(buf, tag);
}

static int
run_rank(struct cli *c, const struct pt_analysis *a)
{
	/* Without times a slope is per snapshot: no rate compares with it. */
	if (c->gate.use_rate && a->time_source == PT_TIME_INDEX) {
		fputs("pooltrend: --fail-above needs times, and the snapshots have "
			"none (time source index; see --interval)\n", stderr);
		return EXIT_USAGE;
	}
	struct pt_owner_scan *drivers = NULL;
	if (c->drivers_dir != NULL) {
		int src = owner_scan_for_report(c->drivers_dir, a, c->report.pool,
			c->quiet, &drivers);
		if (src != EXIT_OK) {
			pt_owner_scan_destroy(drivers);
			return src;
		}
		c->report.drivers = drivers;
	}
	c->report.color = want_color(c->color,
		c->report.format == PT_FORMAT_TEXT, names_stdout(c->output));
	struct pt_gate gate = {0};
	struct pt_error err = {0};
	int rc = EXIT_OK;
	c->gate.pool = c->report.pool;
	if (gate_wanted(c)) {
		if (pt_gate_check(a, &c->gate, &gate, &err)) {
			c->report.gate = &gate;
		} else {
			fprintf(stderr, "pooltrend: %s\n", err.msg);
			rc = EXIT_IO;
		}
	}
	struct report_job job = { c, a };
	if (rc == EXIT_OK)
		rc = write_atomically(c->output, write_report, &job);
	if (rc == EXIT_OK && gate_wanted(c)) {
		print_gate(c, a, &gate);
		if (gate.tripped)
			rc = EXIT_GATE;
	}
	c->report.gate = NULL;
	pt_gate_finish(&gate);
	c->report.drivers = NULL;
	pt_owner_scan_destroy(drivers);
	return rc;
}

static int
run_show(struct cli *c, const struct pt_analysis *a, const char *tag_arg,
		const uint8_t tag[4], enum pt_pool_filter pool)
{
	size_t found[PT_POOL_COUNT];
	size_t n = pt_show_find(a, tag, pool, found, PT_POOL_COUNT);
	if (n > PT_POOL_COUNT)
		n = PT_POOL_COUNT;
	if (n == 0) {
		fputs("pooltrend: tag '", stderr);
		print_escaped(stderr, tag_arg);
		fputs("' is not in the input\n", stderr);
		return EXIT_IO;
	}
	/* Before any output: one chart needs one series. */
	if (c->svg != NULL && n > 1)
		return usage_error("tag '%s' is in both pools: write "
			"TAG:paged or TAG:nonpaged for --svg", tag_arg);
	struct show_job job = { a, found, n, {
		.color = want_color(c->color, true, names_stdout(c->output)),
		.unicode = c->report.unicode,
	} };
	/* --svg - puts the chart on stdout; the text then goes to -o or nowhere. */
	bool chart_on_stdout = c->svg != NULL && names_stdout(c->svg);
	int rc = EXIT_OK;
	if (c->output != NULL || !chart_on_stdout)
		rc = write_atomically(c->output, write_show_text, &job);
	if (rc == EXIT_OK && c->svg != NULL)
		rc = write_atomically(c->svg, write_show_svg, &job);
	return rc;
}

/*
 * Usage error when -o or --svg would write over something pooltrend reads
 * (the operands, --baseline, --pooltag, --drivers) or both name one file.
 */
static int
check_outputs(const struct cli *c, const char *const *operands, size_t n)
{
	struct cli_input *in = calloc(n + 3, sizeof(*in));
	if (in == NULL) {
		fputs("pooltrend: out of memory\n", stderr);
		return EXIT_IO;
	}
	for (size_t i = 0; i < n; i++)
		in[i].path = operands[i];
	in[n] = (struct cli_input){ c->gate.baseline_name, false };
	in[n + 1] = (struct cli_input){ pooltag_path(c), false };
	in[n + 2] = (struct cli_input){ c->drivers_dir, true };
	size_t m = n + 3;
	int rc = check_output("-o", c->output, in, m);
	if (rc == EXIT_OK)
		rc = check_output("--svg", c->svg, in, m);
	free(in);
	if (rc == EXIT_OK && c->output != NULL && c->svg != NULL &&
			strcmp(c->output, c->svg) == 0)
		rc = usage_error("-o and --svg both name '%s'", c->svg);
	return rc;
}

static int
run_diff(struct cli *c, int argc, char **argv)
{
	if (c->svg != NULL || c->gate.use_verdict || c->gate.use_rate ||
			c->gate.baseline_name != NULL || c->drivers_dir != NULL)
		return usage_error("%s", c->svg != NULL ?
			"--svg goes with the show command" :
			c->drivers_dir != NULL ? "--drivers does not apply to diff" :
			"--fail-on, --fail-above and --baseline do not apply to diff");
	int rc = check_outputs(c, (const char *const *)argv, (size_t)argc);
	if (rc != EXIT_OK)
		return rc;
	struct pt_pooltag *pooltag;
	rc = load_pooltag(c, &pooltag);
	if (rc != EXIT_OK)
		return rc;
	c->report.pooltag = pooltag;
	c->report.color = want_color(c->color,
		c->report.format == PT_FORMAT_TEXT, names_stdout(c->output));
	struct diff_cmd_opts o = { &c->analysis, &c->report, c->output,
		c->quiet, c->strict };
	rc = diff_cmd_run(&o, argc, argv);
	pt_pooltag_destroy(pooltag);
	c->report.pooltag = NULL;
	return rc;
}

/*
 * "pooltrend -q show TAG DIR" (or "pooltrend -- show ...") would read a
 * file named show; unless one exists, the user meant the command.
 */
static bool
is_misplaced_command(const char *operand)
{
	return (strcmp(operand, "show") == 0 || strcmp(operand, "diff") == 0 ||
		strcmp(operand, "owner") == 0) && access(operand, F_OK) != 0;
}

static int
run(struct cli *c, int argc, char **argv)
{
	static const char *const stdin_only[] = { "-" };
	if (c->command == CMD_DIFF)
		return run_diff(c, argc, argv);
	const char *tag_arg = NULL;
	uint8_t tag[4];
	enum pt_pool_filter pool = PT_FILTER_ALL;
	if (c->command == CMD_SHOW) {
		if (argc < 1)
			return usage_error("%s", "show needs a TAG");
		tag_arg = argv[0];
		if (!parse_tag_arg(tag_arg, tag, &pool))
			return usage_error("'%s' is not a tag (1 to 4 characters, "
				"\\xNN for other bytes)", tag_arg);
		argc--;
		argv++;
	} else if (argc > 0 && is_misplaced_command(argv[0])) {
		return usage_error("the %s command comes first: pooltrend "
			"COMMAND [OPTIONS] ...", argv[0]);
	} else if (c->svg != NULL) {
		return usage_error("%s", "--svg goes with the show command");
	}
	if (c->command == CMD_SHOW && c->drivers_dir != NULL)
		return usage_error("%s", "--drivers goes with the report, not show");
	if (c->command == CMD_SHOW && c->report_only != NULL)
		return usage_error("%s goes with the report, not show",
			c->report_only);
	if (c->command == CMD_SHOW && (gate_wanted(c) || c->gate.baseline_name))
		return usage_error("%s", "--fail-on, --fail-above and --baseline go "
			"with the ranking, not with show");
	/* A baseline alone gates on what --fail-on likely would. */
	if (c->gate.baseline_name != NULL && !gate_wanted(c)) {
		c->gate.use_verdict = true;
		c->gate.fail_on = PT_VERDICT_LIKELY;
	}
	const char *const *operands = (const char *const *)argv;
	size_t n = (size_t)argc;
	if (n == 0) {
		if (isatty(STDIN_FILENO))
			return usage_error("%s", "no input given");
		operands = stdin_only;
		n = 1;
	}
	int rc = check_outputs(c, operands, n);
	if (rc != EXIT_OK)
		return rc;
	struct pt_pooltag *pooltag;
	struct pt_baseline *baseline;
	rc = load_baseline(c, &baseline);
	if (rc != EXIT_OK)
		return rc;
	rc = load_pooltag(c, &pooltag);
	if (rc != EXIT_OK) {
		pt_baseline_destroy(baseline);
		return rc;
	}
	c->report.pooltag = pooltag;
	struct pt_analysis a;
	struct pt_error err = {0};
	bool ok = pt_analysis_run(operands, n, &c->analysis, &a, &err);
	print_diags(&a.diags, c->quiet);
	if (!ok) {
		fprintf(stderr, "pooltrend: %s\n", err.msg);
		rc = EXIT_IO;
	} else if (c->strict && strict_violated(&a)) {
		rc = EXIT_IO;
	} else if (c->command == CMD_SHOW) {
		rc = run_show(c, &a, tag_arg, tag, pool);
	} else {
		rc = run_rank(c, &a);
	}
	pt_analysis_finish(&a);
	pt_pooltag_destroy(pooltag);
	pt_baseline_destroy(baseline);
	c->report.pooltag = NULL;
	c->gate.baseline = NULL;
	return rc;
}

/* Block-character sparklines and charts only where UTF-8 is spoken. */
static bool
locale_is_utf8(void)
{
	if (setlocale(LC_CTYPE, "") == NULL)
		return false;
	const char *cs = nl_langinfo(CODESET);
	return cs != NULL && strcmp(cs, "UTF-8") == 0;
}

int
main(int argc, char **argv)
{
	struct cli c;
	memset(&c, 0, sizeof(c));
	pt_analysis_opts_init(&c.analysis);
	c.report.version = PT_VERSION;
	c.report.unicode = locale_is_utf8();
	if (argc > 1 && strcmp(argv[1], "show") == 0) {
		c.command = CMD_SHOW;
		argc--;
		argv++;
	} else if (argc > 1 && strcmp(argv[1], "diff") == 0) {
		c.command = CMD_DIFF;
		argc--;
		argv++;
	}
	bool owner = argc > 1 && strcmp(argv[1], "owner") == 0 &&
		access(argv[1], F_OK) != 0;
	int rc = owner ? owner_command(argc - 1, argv + 1) : parse_args(&c, argc, argv);
	if (rc < 0 && !owner) {
		if (!c.top_given)
			c.report.top = c.report.format == PT_FORMAT_TEXT ? 20 : 0;
		progress_start(&c.progress_state, c.progress, c.quiet);
		if (c.progress_state.on) {
			c.analysis.progress = progress_update;
			c.analysis.progress_ctx = &c.progress_state;
		}
		rc = run(&c, argc - optind, argv + optind);
	}
	/* --help and --version write to stdout too: a failure counts. */
	if ((fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) &&
			rc == EXIT_OK) {
		fprintf(stderr, "pooltrend: standard output: %s\n", strerror(errno));
		rc = EXIT_IO;
	}
	return rc;
}
