/*
 * ptbench: time the stages of the pooltrend library on real input.
 *
 *   ptbench [-j N] [--no-score] [--held BYTES] [--dump FILE] INPUT...
 *
 * Runs pt_analysis_load (read, decode, parse, date, align on N worker
 * threads; 0 = one per CPU) and then pt_score_all (scoring on one thread),
 * and prints one line of key=value pairs: the wall time of each stage, the
 * process CPU time, the input size, and the counts.  Used by bench/run.sh
 * so the parsing pipeline can be measured apart from the scorer.
 * --held sets how many bytes of packed rows loading may keep rather than
 * read a file twice (0: read every file twice; see src/analysis.c).
 *
 * --dump FILE writes the statistics of every series' score as exact hex
 * doubles, one line per series, so that two builds can be checked to
 * give bit-identical results (cmp the files).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "pooltrend/analysis.h"
#include "pooltrend/score.h"

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		(double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* The fields the statistics in stats.c feed, as exact hex doubles. */
static bool
dump_scores(const char *path, const struct pt_score *s, size_t n)
{
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		const struct pt_score *c = &s[i];
		double v[] = { c->confidence, c->growth_bph, c->growth_lo,
			c->growth_hi, c->rate_after_onset, c->rate_after_onset_lo,
			c->rate_after_onset_hi, c->mk.s, c->mk.var, c->mk.z,
			c->hamed_rao, c->z_recent, c->z_within, c->half_ratio,
			c->third_ratio, c->end_ratio, c->tte_hours, c->tte_lo,
			c->tte_hi };
		fprintf(f, "%zu %d %d %lld", c->series, (int)c->verdict,
			(int)c->has_rate_after_onset, (long long)c->onset_ms);
		for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++)
			fprintf(f, " %a", v[k]);
		fputc('\n', f);
	}
	return fclose(f) == 0;
}

static const char usage[] =
	"usage: ptbench [-j N] [--no-score] [--held BYTES] [--dump FILE] INPUT...\n";

int
main(int argc, char **argv)
{
	struct pt_analysis_opts opts;
	pt_analysis_opts_init(&opts);
	bool score = true;
	const char *dump = NULL;
	int i = 1;
	for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (strcmp(argv[i], "-j") == 0 && i + 1 < argc)
			opts.threads = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--no-score") == 0)
			score = false;
		else if (strcmp(argv[i], "--held") == 0 && i + 1 < argc)
			opts.max_held_bytes = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc)
			dump = argv[++i];
		else {
			fputs(usage, stderr);
			return 2;
		}
	}
	if (i == argc) {
		fputs(usage, stderr);
		return 2;
	}
	struct pt_analysis a;
	struct pt_error err = {0};
	double t0 = now_s(), c0 = cpu_s();
	bool ok = pt_analysis_load((const char *const *)argv + i,
		(size_t)(argc - i), &opts, &a, &err);
	double t1 = now_s(), c1 = cpu_s();
	if (!ok) {
		fprintf(stderr, "ptbench: %s\n", err.msg);
		pt_analysis_finish(&a);
		return 1;
	}
	double t2 = t1, c2 = c1;
	if (score) {
		struct pt_score *s = pt_score_all(&a.ds, &err);
		t2 = now_s();
		c2 = cpu_s();
		if (s == NULL) {
			fprintf(stderr, "ptbench: %s\n", err.msg);
			pt_analysis_finish(&a);
			return 1;
		}
		if (dump != NULL && !dump_scores(dump, s, a.ds.nseries)) {
			fprintf(stderr, "ptbench: cannot write %s\n", dump);
			free(s);
			pt_analysis_finish(&a);
			return 1;
		}
		free(s);
	}
	printf("load_s=%.3f load_cpu_s=%.3f score1_s=%.3f score1_cpu_s=%.3f "
		"files=%zu snapshots=%zu rows=%zu series=%zu\n",
		t1 - t0, c1 - c0, t2 - t1, c2 - c1, a.files, a.ds.nsnap, a.rows,
		a.ds.nseries);
	pt_analysis_finish(&a);
	return 0;
}
