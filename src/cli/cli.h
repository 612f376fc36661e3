/*
 * Shared by the commands of the command line: main.c defines these, the
 * command files (diff_cmd.c, owner_cmd.c) use them, so every command
 * prints messages, writes reports and exits the same way.  Only src/cli/
 * prints diagnostics or exits.
 */
#ifndef POOLTREND_CLI_H
#define POOLTREND_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "pooltrend/analysis.h"
#include "pooltrend/diag.h"
#include "pooltrend/owner.h"
#include "pooltrend/report.h"

enum exit_status {
	EXIT_OK = 0,
	EXIT_GATE = 1,
	EXIT_USAGE = 2,
	EXIT_IO = 3,
};

/* "pooltrend: " + fmt with arg escaped, cli_usage; returns EXIT_USAGE. */
int usage_error(const char *fmt, const char *arg);

/* The usage lines usage_error prints (the main ones unless a command sets its own). */
extern const char *cli_usage;

/* Print library messages as "pooltrend: file:line: ..."; quiet keeps errors only. */
void print_diags(const struct pt_diags *d, bool quiet);

/* --strict: true (after a message) when input was left out. */
bool strict_violated(const struct pt_analysis *a);

typedef bool (*writer_fn)(FILE *f, const void *ctx, struct pt_error *err);

/* s with control bytes escaped ("?" for NULL): user-given text too. */
void print_escaped(FILE *f, const char *s);

/* "pooltrend: PATH: what", PATH escaped. */
void print_path_error(const char *path, const char *what);

/* Whether an output path means standard output: NULL or "-". */
bool names_stdout(const char *path);

/*
 * Write a report to path, replaced whole (a symbolic link keeps pointing
 * at it; a device or FIFO is written into as it is), or to stdout when
 * names_stdout(path); an exit status (output.c).
 */
int write_atomically(const char *path, writer_fn write, const void *ctx);

/* A file or directory pooltrend reads; recursive: its whole tree is. */
struct cli_input {
	const char *path;
	bool recursive;
};

/*
 * EXIT_USAGE (after a message naming option) when the output path is an
 * existing file among inputs[0..n) or in one of their directories: inputs
 * are never written over.  EXIT_OK otherwise.
 */
int check_output(const char *option, const char *path,
		const struct cli_input *inputs, size_t n);

/* What the diff command takes from the common options (diff_cmd.c). */
struct diff_cmd_opts {
	const struct pt_analysis_opts *analysis;
	const struct pt_report_opts *report; /* colour already decided */
	const char *output;                  /* -o FILE, or NULL */
	bool quiet;
	bool strict;
};

/* pooltrend diff OLD NEW, or diff SET: an exit status. */
int diff_cmd_run(const struct diff_cmd_opts *o, int argc, char **argv);

/* pooltrend owner [OPTIONS] TAG... -- PATH...; argv[0] is "owner". */
int owner_command(int argc, char **argv);

/*
 * --drivers DIR: scan DIR for the tags of the likely and possible series
 * that pass the pool filter.  *out is NULL when no series qualifies.
 * Returns EXIT_OK or EXIT_IO.
 */
int owner_scan_for_report(const char *dir, const struct pt_analysis *a,
		enum pt_pool_filter pool, bool quiet, struct pt_owner_scan **out);

/* The answer to --color WHEN and --progress WHEN. */
enum when { WHEN_AUTO, WHEN_ALWAYS, WHEN_NEVER };

/* "auto", "always" or "never"; false for anything else. */
bool when_parse(const char *s, enum when *out);

/* --progress: a line on standard error while input files are read. */

struct progress {
	bool on;
	bool tty;                     /* rewrite one line in place */
	bool shown;                   /* something is on the line now */
	bool finished;                /* this round's end was reported */
	int64_t started_ms, last_ms;
};

/* auto: only on a terminal and without -q; always: also into a file. */
void progress_start(struct progress *p, enum when mode, bool quiet);

/* The pt_analysis_opts.progress callback (ctx is a struct progress);
 * done == total clears the line. */
void progress_update(void *ctx, size_t done, size_t total);

#endif
