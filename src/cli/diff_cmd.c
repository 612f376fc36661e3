/*
 * pooltrend diff OLD NEW (or diff SET): run the diff, print its messages,
 * write the report, map the outcome to the exit status.
 */
#include <stdio.h>
#include <string.h>

#include "pooltrend/diff.h"
#include "cli.h"

struct diff_job {
	const struct pt_diff *d;
	const struct pt_report_opts *o;
};

static bool
write_diff(FILE *f, const void *ctx, struct pt_error *err)
{
	const struct diff_job *j = ctx;
	return pt_diff_write(f, j->d, j->o, err);
}

int
diff_cmd_run(const struct diff_cmd_opts *o, int argc, char **argv)
{
	if (argc < 1)
		return usage_error("%s", "diff needs OLD and NEW (or one set)");
	if (argc > 2)
		return usage_error("diff takes OLD and NEW only, not '%s'", argv[2]);
	if (argc == 2 && strcmp(argv[0], "-") == 0 && strcmp(argv[1], "-") == 0)
		return usage_error("%s", "standard input can be OLD or NEW, not both");
	struct pt_diff d;
	struct pt_error err = {0};
	bool ok = pt_diff_run((const char *const *)argv, (size_t)argc,
		o->analysis, &d, &err);
	print_diags(&d.a.diags, o->quiet);
	int rc = EXIT_OK;
	if (!ok) {
		fprintf(stderr, "pooltrend: %s\n", err.msg);
		rc = EXIT_IO;
	} else if (o->strict && strict_violated(&d.a)) {
		rc = EXIT_IO;
	} else {
		struct diff_job job = { &d, o->report };
		rc = write_atomically(o->output, write_diff, &job);
	}
	pt_diff_finish(&d);
	return rc;
}
