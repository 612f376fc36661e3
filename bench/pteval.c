/*
 * pteval: labelled evaluation of pooltrend's leak score against the
 * anchors, on corpora written by ptgen (see README.md, "Evaluation").
 *
 * For each simulated machine it runs ptgen into a temporary directory
 * (with --truth), analyses the directory with the library exactly as the
 * CLI does, matches every (tag, pool) series to its ground truth and ranks
 * the series with pooltrend and with the baselines in the same harness:
 * bytes now, first-to-last change, plain Mann-Kendall, a straight-line fit
 * (R^2 >= 0.8, LBR) and poolsnap/AnaLog's "rose in every period".  On
 * the well-posed tier it prints, for every method, ROC-AUC, R-precision,
 * precision/recall/F1 of its own decision rule, recall at 1% false
 * positives, and recall per leak shape and false-positive rate per
 * distractor at that method's own 1%-FPR threshold; for pooltrend also
 * the per-shape rates of its verdicts and AUC per size tercile.  The
 * growth-rate error is pooltrend's, first-to-last's and the OLS slope's
 * (the others give no rate); the onset error is pooltrend's alone (no
 * baseline estimates one).  The ambiguous class of the truth file (slow
 * warm-ups, stopped leaks) is kept out of all of that and reported apart,
 * per shape: how much of it pooltrend flags.  Last, the CPU time of the
 * scoring alone.  Shapes are whatever the truth file names; a shape whose
 * name starts with "leak-" is a leak.
 *
 * With --check, the metrics are compared with floors and the exit status
 * is 1 when one is below its floor (the regression test in meson).
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pooltrend/analysis.h"
#include "pooltrend/score.h"
#include "pooltrend/stats.h"

enum method {
	M_POOLTREND, M_BYTES, M_DELTA, M_MK, M_LBR, M_ANALOG, M_COUNT,
};

static const char *const method_names[M_COUNT] = {
	"pooltrend", "bytes now", "first-to-last", "Mann-Kendall",
	"OLS R^2>=0.8", "rose every period",
};

/* Methods whose own rule gives a yes/no verdict (sorting alone does not). */
static const bool method_decides[M_COUNT] = {
	true, false, false, true, true, true,
};

/*
 * Methods that estimate a growth rate: pooltrend, first-to-last (over the
 * hours between the first and last snapshot) and the OLS slope.  Bytes
 * now, plain Mann-Kendall and rose-every-period rank without one.
 */
static const bool method_rates[M_COUNT] = {
	true, false, true, false, true, false,
};

/* Shape names come from the truth file; room for the generator to grow. */
#define MAX_SHAPES 32

struct item {
	int machine;
	bool leak;
	bool well_posed;
	bool ambiguous;         /* in the truth's ambiguous class (slow
	                           warm-ups, stopped leaks), >= 48 snapshots */
	int shape;              /* index into shape_names */
	double snr;
	double base_bytes;      /* typical size of the tag, for terciles */
	double true_growth;     /* bytes per hour */
	long true_onset;        /* snapshot index in the last boot epoch (a
	                           leak a reboot freed restarts), -1: none */
	double est_rate[M_COUNT];  /* bytes per hour, NAN: no estimate */
	long est_onset;         /* -1 when none */
	double score[M_COUNT];
	bool decide[M_COUNT];
	bool flagged;           /* pooltrend said possible or likely */
	bool accelerating;      /* and that its growth accelerates */
};

struct eval {
	struct item *items;
	size_t n, cap;
	char shape_names[MAX_SHAPES][24];
	int nshapes;
	int machines;
	long files;
	double score_cpu_s;     /* pt_score_all only */
	size_t scored_series, scored_cells;
};

#define NLIMITS 8

struct opts {
	const char *ptgen;
	unsigned long seed;
	long tags, files;
	int machines;
	bool check;
	double floor[NLIMITS];  /* --check limits, in the order of limits[] */
	bool keep;
	bool verbose;
	const char *dump;       /* --dump: every series' truth and factors */
	const char *shapes;     /* ptgen --shapes: "all" or "basic" */
};

/* The --dump file while it is open. */
static FILE *dump_file;

static void remove_tree(const char *dir);

/* The machine's temporary directory while it exists, so die() removes it. */
static char pending_dir[512];

static void
die(const char *msg)
{
	fprintf(stderr, "pteval: %s\n", msg);
	if (pending_dir[0] != '\0')
		remove_tree(pending_dir);
	exit(1);
}

static void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);
	if (q == NULL)
		die("out of memory");
	return q;
}

static int
shape_index(struct eval *ev, const char *name)
{
	for (int i = 0; i < ev->nshapes; i++)
		if (strcmp(ev->shape_names[i], name) == 0)
			return i;
	if (ev->nshapes == MAX_SHAPES)
		die("too many shapes in the truth file");
	/* Cut short, it would match no later row and count as new ones. */
	if (strlen(name) >= sizeof ev->shape_names[0])
		die("a shape name in the truth file is too long");
	snprintf(ev->shape_names[ev->nshapes], sizeof ev->shape_names[0], "%s", name);
	return ev->nshapes++;
}

/* ---- running ptgen ------------------------------------------------------ */

/* Every third machine reboots in the window. */
static bool
machine_reboots(int m)
{
	return m % 3 == 1;
}

static void
run_ptgen(const struct opts *o, int m, const char *dir, const char *truth)
{
	char seed[32], files[32], tags[32], reboot[32];
	snprintf(seed, sizeof seed, "%lu", o->seed * 1000 + (unsigned long)m);
	snprintf(files, sizeof files, "%ld", o->files);
	snprintf(tags, sizeof tags, "%ld", o->tags);
	/* Machine variants: reboots, load ramps, wraps, gaps, x86 layout. */
	snprintf(reboot, sizeof reboot, "%ld", o->files * (3 + m % 5) / 10);
	const char *argv[32];
	int k = 0;
	argv[k++] = o->ptgen;
	argv[k++] = "--out"; argv[k++] = dir;
	argv[k++] = "--truth"; argv[k++] = truth;
	argv[k++] = "--seed"; argv[k++] = seed;
	argv[k++] = "--files"; argv[k++] = files;
	argv[k++] = "--tags"; argv[k++] = tags;
	argv[k++] = "--summary";
	argv[k++] = "--stamp"; argv[k++] = "iso";
	argv[k++] = "--jitter"; argv[k++] = "0.3";
	argv[k++] = "--shapes"; argv[k++] = o->shapes;
	if (machine_reboots(m)) {
		argv[k++] = "--reboot-at"; argv[k++] = reboot;
	}
	if (m % 3 == 2)
		argv[k++] = "--ramp";
	if (m % 2 == 0)
		argv[k++] = "--wrap";
	if (m % 2 == 1)
		argv[k++] = "--gaps";
	if (m % 4 == 3) {
		argv[k++] = "--layout"; argv[k++] = "x86";
	}
	argv[k] = NULL;
	pid_t pid = fork();
	if (pid < 0)
		die("fork failed");
	if (pid == 0) {
		execv(o->ptgen, (char *const *)argv);
		fprintf(stderr, "pteval: cannot run %s: %s\n", o->ptgen,
			strerror(errno));
		_exit(127);
	}
	int status;
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
			WEXITSTATUS(status) != 0)
		die("ptgen failed");
}

/* ---- ground truth ------------------------------------------------------- */

struct truth_row {
	char tag[4];
	int pool;               /* enum pt_pool */
	int shape;
	bool leak;
	double growth, snr, base_bytes;
	long onset;             /* the first in the window */
	long epoch_onset;       /* in the last boot epoch (ptgen's definition) */
	bool ambiguous;
	bool used;
};

static size_t
read_truth(struct eval *ev, const char *path, struct truth_row **out)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		die("cannot open the truth file");
	char line[512];
	size_t n = 0, cap = 0;
	struct truth_row *rows = NULL;
	if (fgets(line, sizeof line, f) == NULL)	/* header */
		die("empty truth file");
	while (fgets(line, sizeof line, f) != NULL) {
		char *field[10];
		int nf = 0;
		char *p = line;
		while (nf < 10) {
			field[nf++] = p;
			char *tab = strchr(p, '\t');
			if (tab == NULL)
				break;
			*tab = '\0';
			p = tab + 1;
		}
		if (nf < 9 || strlen(field[0]) != 4)
			die("malformed truth line");
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			rows = xrealloc(rows, cap * sizeof *rows);
		}
		struct truth_row *r = &rows[n++];
		memcpy(r->tag, field[0], 4);
		r->pool = strcmp(field[1], "Paged") == 0 ? PT_POOL_PAGED :
			PT_POOL_NONPAGED;
		r->shape = shape_index(ev, field[2]);
		r->leak = atoi(field[3]) != 0;
		r->growth = atof(field[4]);
		r->onset = atol(field[5]);
		r->snr = atof(field[6]);
		r->base_bytes = atof(field[7]);
		r->ambiguous = atoi(field[8]) != 0;
		r->epoch_onset = nf == 10 ? atol(field[9]) : r->onset;
		r->used = false;
	}
	fclose(f);
	*out = rows;
	return n;
}

static struct truth_row *
find_truth(struct truth_row *rows, size_t n, const struct pt_series *se)
{
	for (size_t i = 0; i < n; i++)
		if (!rows[i].used && rows[i].pool == se->pool &&
				memcmp(rows[i].tag, se->tag, 4) == 0)
			return &rows[i];
	return NULL;
}

/* ---- baselines ---------------------------------------------------------- */

/* Present values of series s in time order: t in hours, y in bytes. */
static size_t
series_values(const struct pt_dataset *ds, size_t s, double *t, double *y)
{
	const uint64_t *present = pt_dataset_present(ds, s);
	const int64_t *bytes = pt_dataset_col(ds, ds->bytes, s);
	size_t n = 0;
	for (size_t i = 0; i < ds->nsnap; i++) {
		if (!pt_is_present(present, i))
			continue;
		t[n] = (double)(ds->snaps[i].t_ms - ds->snaps[0].t_ms) / 3.6e6;
		y[n] = (double)bytes[i];
		n++;
	}
	return n;
}

/* OLS R^2 with a positive slope as the score; LBR's rule is R^2 >= 0.8. */
static double
ols_r2(const double *t, const double *y, size_t n, double *slope)
{
	double st = 0, sy = 0, stt = 0, syy = 0, sty = 0;
	for (size_t i = 0; i < n; i++) {
		st += t[i];
		sy += y[i];
		stt += t[i] * t[i];
		syy += y[i] * y[i];
		sty += t[i] * y[i];
	}
	double dn = (double)n;
	double vt = stt - st * st / dn, vy = syy - sy * sy / dn;
	double cov = sty - st * sy / dn;
	*slope = vt > 0 ? cov / vt : 0;
	if (!(vt > 0) || !(vy > 0))
		return 0;
	return cov * cov / (vt * vy);
}

static void
baselines(const struct pt_dataset *ds, size_t s, double *t, double *y,
		struct item *it)
{
	size_t n = series_values(ds, s, t, y);
	if (n == 0)
		return;
	it->score[M_BYTES] = y[n - 1];
	it->score[M_DELTA] = y[n - 1] - y[0];
	/* The naive poolmon reading of a rate: the change over the window. */
	if (n >= 2 && t[n - 1] > t[0])
		it->est_rate[M_DELTA] = (y[n - 1] - y[0]) / (t[n - 1] - t[0]);
	struct pt_mk mk;
	if (n >= 2 && !pt_mann_kendall(y, n, &mk))
		die("out of memory");
	it->score[M_MK] = n >= 2 ? mk.z : 0;
	it->decide[M_MK] = n >= 2 && mk.z > 1.96;
	double slope = 0;
	double r2 = n >= 3 ? ols_r2(t, y, n, &slope) : 0;
	it->score[M_LBR] = slope > 0 ? r2 : -r2;
	if (n >= 3)
		it->est_rate[M_LBR] = slope;    /* t in hours: bytes per hour */
	it->decide[M_LBR] = slope > 0 && r2 >= 0.8;
	long rises = 0, falls = 0;
	for (size_t i = 1; i < n; i++) {
		rises += y[i] > y[i - 1];
		falls += y[i] < y[i - 1];
	}
	it->score[M_ANALOG] = n >= 2 ? (double)(rises - falls) / (double)(n - 1) : 0;
	it->decide[M_ANALOG] = n >= 2 && rises == (long)(n - 1);
}

/* pooltrend's ranking key, verdicts and growth rate for one series. */
static void
pooltrend_item(const struct pt_score *sc, struct item *it)
{
	/*
	 * pooltrend's default order: pt_rank_impact, then confidence,
	 * then growth (terms too small to cross a step of the key).
	 */
	it->score[M_POOLTREND] = pt_rank_impact(sc) + 1e-9 * sc->confidence
		+ 1e-12 * (0.5 + atan((sc->has_growth ? sc->growth_bph :
			-1e300) / 1024) / 3.141592653589793);
	it->decide[M_POOLTREND] = sc->verdict == PT_VERDICT_LIKELY;
	it->flagged = sc->verdict != PT_VERDICT_UNLIKELY;
	it->accelerating = sc->accelerating;
	it->est_rate[M_POOLTREND] = sc->has_rate_after_onset ?
		sc->rate_after_onset :
		sc->has_growth ? sc->growth_bph : NAN;
}

/* ---- one machine -------------------------------------------------------- */

static double
cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long
snapshot_index(const struct pt_dataset *ds, int64_t t_ms)
{
	for (size_t i = 0; i < ds->nsnap; i++)
		if (ds->snaps[i].t_ms == t_ms)
			return (long)i;
	return -1;
}

static void
remove_tree(const char *dir)
{
	pid_t pid = fork();
	if (pid == 0) {
		execlp("rm", "rm", "-rf", "--", dir, (char *)NULL);
		_exit(127);
	}
	int status;
	if (pid > 0)
		waitpid(pid, &status, 0);
}

static void
add_item(struct eval *ev, const struct item *it)
{
	if (ev->n == ev->cap) {
		ev->cap = ev->cap ? 2 * ev->cap : 4096;
		ev->items = xrealloc(ev->items, ev->cap * sizeof *ev->items);
	}
	ev->items[ev->n++] = *it;
}

/* One line per leak and per confident series, for tuning (--verbose). */
static void
explain(int m, const struct pt_series *se, const char *shape,
		const struct truth_row *tr, const struct pt_score *sc)
{
	fprintf(stderr, "m%d %.4s %-13s%s snr %5.1f conf %.2f z %5.1f ret %.2f "
		"snr %.2f gb %.2f rec %.2f within %.2f sat %.2f step %.2f "
		"g %.0f/%.0f L%d half %.2f third %.2f zr %.1f zw %.1f share %.2f\n", m, se->tag,
		shape, tr->ambiguous ? "?" : " ", tr->snr, sc->confidence,
		sc->mk.z, sc->f_retention,
		sc->f_snr, sc->f_give_back, sc->f_recent, sc->f_within,
		sc->f_saturation, sc->f_step, sc->growth_bph, tr->growth, sc->load_adjusted,
		sc->half_ratio, sc->third_ratio, sc->z_recent, sc->z_within,
		sc->step_share);
}

/*
 * One tab-separated row per series (--dump): the truth, the verdict and
 * every factor with its raw statistic, for finding what separates the
 * misses from the false alarms.
 */
static void
dump_row(int m, const struct pt_series *se, const char *shape,
		const struct truth_row *tr, const struct item *it,
		const struct pt_score *sc)
{
	fprintf(dump_file, "%d\t%.4s\t%d\t%s\t%d\t%d\t%.2f\t%.6f\t%s\t"
		"%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t"
		"%.3f\t%.4f\t%.4f\t%.4f\t%.3f\t%.3f\t%.4g\t%.4g\t%.4g\t%.4f\t"
		"%.4g\t%.4g\t%.4g\t%d\t%.4f\t%ld\t%ld\t%.4f\t%.4f\t%.4g\t%.4f\t"
		"%.4f\t%.4f\t%.4f\t%d\t%.4f\t%.4g\t%.6g\t%.6g\n",
		m, se->tag, se->pool, shape, tr->leak, it->well_posed, tr->snr,
		sc->confidence, pt_verdict_name(sc->verdict),
		sc->f_trend, sc->f_retention, sc->f_snr, sc->f_give_back,
		sc->f_recent, sc->f_within, sc->f_saturation, sc->f_step,
		sc->f_growth,
		sc->mk.z, sc->retention, sc->snr, sc->give_back, sc->z_recent,
		sc->z_within, sc->half_ratio, sc->third_ratio, sc->end_ratio,
		sc->step_share, sc->growth_bph, sc->growth_lo, tr->growth,
		sc->load_adjusted, sc->has_never_freed ? sc->never_freed_share : -1,
		it->true_onset, it->est_onset, sc->rise_share, sc->half_rise,
		sc->adjusted_slope, sc->load_ratio, sc->f_rise, sc->f_early,
		sc->f_load, sc->machine_load_adjusted, sc->load_elasticity,
		sc->machine_end_ratio, it->est_rate[M_DELTA], it->est_rate[M_LBR]);
}

static void
eval_machine(const struct opts *o, struct eval *ev, int m)
{
	const char *tmp = getenv("TMPDIR");
	char dir[512];
	snprintf(dir, sizeof dir, "%s/pteval.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		die("cannot create a temporary directory");
	if (!o->keep)
		memcpy(pending_dir, dir, sizeof(dir));
	char corpus[600], truth[600];
	snprintf(corpus, sizeof corpus, "%s/corpus", dir);
	snprintf(truth, sizeof truth, "%s/truth.tsv", dir);
	run_ptgen(o, m, corpus, truth);

	struct pt_analysis a;
	struct pt_analysis_opts aopts;
	struct pt_error err = {0};
	pt_analysis_opts_init(&aopts);
	const char *operand = corpus;
	if (!pt_analysis_run(&operand, 1, &aopts, &a, &err)) {
		fprintf(stderr, "pteval: machine %d: %s\n", m, err.msg);
		die("analysis failed");
	}
	/* The scoring alone, timed again on the same dataset. */
	double c0 = cpu_seconds();
	struct pt_score *again = pt_score_all(&a.ds, &err);
	ev->score_cpu_s += cpu_seconds() - c0;
	if (again == NULL)
		die("out of memory");
	free(again);
	ev->scored_series += a.ds.nseries;
	ev->scored_cells += a.ds.nseries * a.ds.nsnap;

	struct truth_row *rows;
	size_t nrows = read_truth(ev, truth, &rows);
	double *t = xrealloc(NULL, (a.ds.nsnap + 1) * sizeof *t);
	double *y = xrealloc(NULL, (a.ds.nsnap + 1) * sizeof *y);
	for (size_t s = 0; s < a.ds.nseries; s++) {
		struct truth_row *tr = find_truth(rows, nrows, &a.ds.series[s]);
		if (tr == NULL)
			continue;       /* never written (absent all window) */
		tr->used = true;
		const struct pt_score *sc = &a.scores[s];
		struct item it = {
			.machine = m, .leak = tr->leak, .shape = tr->shape,
			.snr = tr->snr, .base_bytes = tr->base_bytes,
			.true_growth = tr->growth,
			.ambiguous = o->files >= 48 && tr->ambiguous,
			/* Only leaks that start inside the window have an onset
			 * to find (steady ones start with it). */
			.true_onset = tr->onset > 0 ? tr->epoch_onset : tr->onset,
			.est_onset = sc->has_onset ?
				snapshot_index(&a.ds, sc->onset_ms) : -1,
		};
		it.well_posed = o->files >= 48 && !tr->ambiguous &&
			(!tr->leak || tr->snr >= 2);
		for (int k = 0; k < M_COUNT; k++)
			it.est_rate[k] = NAN;
		pooltrend_item(sc, &it);
		baselines(&a.ds, s, t, y, &it);
		add_item(ev, &it);
		if (dump_file != NULL)
			dump_row(m, &a.ds.series[s], ev->shape_names[tr->shape],
				tr, &it, sc);
		if (o->verbose && (tr->leak || sc->confidence >= 0.3))
			explain(m, &a.ds.series[s], ev->shape_names[tr->shape],
				tr, sc);
	}
	free(t);
	free(y);
	free(rows);
	pt_analysis_finish(&a);
	pending_dir[0] = '\0';
	if (!o->keep)
		remove_tree(dir);
	else
		fprintf(stderr, "pteval: kept %s\n", dir);
}

/* ---- metrics ------------------------------------------------------------ */

struct ranked {
	double score;
	bool leak;
};

static int
cmp_ranked_desc(const void *pa, const void *pb)
{
	const struct ranked *a = pa, *b = pb;
	return (a->score < b->score) - (a->score > b->score);
}

typedef bool (*item_filter)(const struct item *, const void *ctx);

/* ROC-AUC by Mann-Whitney U, ties counted as one half. */
static double
roc_auc(const struct eval *ev, int meth, item_filter keep, const void *ctx)
{
	struct ranked *r = xrealloc(NULL, (ev->n + 1) * sizeof *r);
	size_t n = 0, pos = 0;
	for (size_t i = 0; i < ev->n; i++) {
		if (!keep(&ev->items[i], ctx))
			continue;
		r[n].score = ev->items[i].score[meth];
		r[n].leak = ev->items[i].leak;
		pos += r[n].leak;
		n++;
	}
	qsort(r, n, sizeof *r, cmp_ranked_desc);
	size_t neg = n - pos;
	double u = 0, neg_below = (double)neg;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		size_t p = 0, q = 0;
		while (j < n && r[j].score == r[i].score) {
			p += r[j].leak;
			q += !r[j].leak;
			j++;
		}
		neg_below -= (double)q;
		u += (double)p * (neg_below + 0.5 * (double)q);
		i = j;
	}
	free(r);
	return pos && neg ? u / ((double)pos * (double)neg) : NAN;
}

static bool
keep_well_posed(const struct item *it, const void *ctx)
{
	(void)ctx;
	return it->well_posed;
}

static bool
keep_all(const struct item *it, const void *ctx)
{
	(void)it;
	(void)ctx;
	return true;
}

struct tercile {
	double lo, hi;
};

static bool
keep_tercile(const struct item *it, const void *ctx)
{
	const struct tercile *t = ctx;
	return it->well_posed && it->base_bytes >= t->lo && it->base_bytes < t->hi;
}

static int
cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;
	return (a > b) - (a < b);
}

/* R-precision per machine (well-posed), averaged over machines. */
static double
r_precision(const struct eval *ev, int meth)
{
	double sum = 0;
	int counted = 0;
	struct ranked *r = xrealloc(NULL, (ev->n + 1) * sizeof *r);
	for (int m = 0; m < ev->machines; m++) {
		size_t n = 0, k = 0;
		for (size_t i = 0; i < ev->n; i++) {
			const struct item *it = &ev->items[i];
			if (it->machine != m || !it->well_posed)
				continue;
			r[n].score = it->score[meth];
			r[n].leak = it->leak;
			k += it->leak;
			n++;
		}
		if (k == 0)
			continue;
		qsort(r, n, sizeof *r, cmp_ranked_desc);
		size_t hits = 0;
		for (size_t i = 0; i < k; i++)
			hits += r[i].leak;
		sum += (double)hits / (double)k;
		counted++;
	}
	free(r);
	return counted ? sum / counted : NAN;
}

/* Score above which at most 1% of the well-posed negatives lie. */
static double
threshold_at_fpr(const struct eval *ev, int meth, double fpr)
{
	double *v = xrealloc(NULL, (ev->n + 1) * sizeof *v);
	size_t n = 0;
	for (size_t i = 0; i < ev->n; i++)
		if (ev->items[i].well_posed && !ev->items[i].leak)
			v[n++] = ev->items[i].score[meth];
	qsort(v, n, sizeof *v, cmp_double);
	size_t allowed = (size_t)floor(fpr * (double)n);
	double thr = n ? v[n - 1 - (allowed < n ? allowed : n - 1)] : 0;
	free(v);
	return thr;
}

struct counts {
	size_t tp, fp, fn, tn;
	size_t shape_n[MAX_SHAPES], shape_hit[MAX_SHAPES];
};

/* What counts as a yes: a score above a threshold, the method's own
 * rule, or (pooltrend) any verdict above unlikely. */
enum decision { BY_THRESHOLD, BY_RULE, BY_FLAG };

static void
count_decisions(const struct eval *ev, item_filter keep, int meth,
		enum decision by, double thr, struct counts *c)
{
	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < ev->n; i++) {
		const struct item *it = &ev->items[i];
		if (!keep(it, NULL))
			continue;
		bool yes = by == BY_RULE ? it->decide[meth] :
			by == BY_FLAG ? it->flagged : it->score[meth] > thr;
		c->tp += yes && it->leak;
		c->fp += yes && !it->leak;
		c->fn += !yes && it->leak;
		c->tn += !yes && !it->leak;
		c->shape_n[it->shape]++;
		c->shape_hit[it->shape] += yes;
	}
}

static double
ratio(size_t a, size_t b)
{
	return b ? (double)a / (double)b : NAN;
}

static void
print_metric_rows(const struct eval *ev, const double *thr, double *auc_wp,
		double *rprec, double *f1, double *rec1)
{
	printf("| Method | ROC-AUC well-posed | ROC-AUC all | R-precision | "
		"P / R / F1 of own rule | recall at 1%% FPR |\n");
	printf("|---|---|---|---|---|---|\n");
	for (int m = 0; m < M_COUNT; m++) {
		auc_wp[m] = roc_auc(ev, m, keep_well_posed, NULL);
		double auc_all = roc_auc(ev, m, keep_all, NULL);
		rprec[m] = r_precision(ev, m);
		struct counts c;
		char rule[64] = "-";
		f1[m] = NAN;
		if (method_decides[m]) {
			count_decisions(ev, keep_well_posed, m, BY_RULE, 0, &c);
			double p = ratio(c.tp, c.tp + c.fp), r = ratio(c.tp, c.tp + c.fn);
			f1[m] = p + r > 0 ? 2 * p * r / (p + r) : 0;
			snprintf(rule, sizeof rule, "%.2f / %.2f / %.2f (%zu flagged)",
				p, r, f1[m], c.tp + c.fp);
		}
		count_decisions(ev, keep_well_posed, m, BY_THRESHOLD, thr[m], &c);
		rec1[m] = ratio(c.tp, c.tp + c.fn);
		printf("| %s | %.3f | %.3f | %.3f | %s | %.3f |\n", method_names[m],
			auc_wp[m], auc_all, rprec[m], rule, rec1[m]);
	}
}

static bool
shape_is_leak(const struct eval *ev, int shape)
{
	return strncmp(ev->shape_names[shape], "leak-", 5) == 0;
}

/*
 * The rows of a per-shape table: one per shape with series, one column
 * per counts in c[] (recall of a leak shape, FPR of a distractor).
 * worst_recall[k] and worst_fpr[k] get column k's lowest leak recall and
 * highest distractor FPR (1 and 0 when there is none).
 */
static void
print_shape_rows(const struct eval *ev, const struct counts *c, int ncols,
		double *worst_recall, double *worst_fpr)
{
	for (int k = 0; k < ncols; k++) {
		worst_recall[k] = 1;
		worst_fpr[k] = 0;
	}
	for (int s = 0; s < ev->nshapes; s++) {
		if (c[0].shape_n[s] == 0)
			continue;
		bool leak = shape_is_leak(ev, s);
		printf("| %s | %s | %zu |", ev->shape_names[s],
			leak ? "recall" : "FPR", c[0].shape_n[s]);
		for (int k = 0; k < ncols; k++) {
			double r = ratio(c[k].shape_hit[s], c[k].shape_n[s]);
			printf(" %.3f |", r);
			if (leak && r < worst_recall[k])
				worst_recall[k] = r;
			if (!leak && r > worst_fpr[k])
				worst_fpr[k] = r;
		}
		printf("\n");
	}
}

/*
 * Recall per leak shape and FPR per distractor of pooltrend among the
 * items keep() takes, three ways: above its well-posed 1%-FPR threshold
 * thr, flagged (possible or likely: what a reader of the report acts on)
 * and likely.  worst[] as in print_shape_rows.
 */
static void
print_shapes(const struct eval *ev, item_filter keep, double thr,
		double worst_recall[3], double worst_fpr[3])
{
	static const enum decision by[3] = { BY_THRESHOLD, BY_FLAG, BY_RULE };
	struct counts c[3];
	for (int k = 0; k < 3; k++)
		count_decisions(ev, keep, M_POOLTREND, by[k], thr, &c[k]);
	printf("| Shape | Measure | Series | At 1%% FPR | possible or likely | likely |\n"
		"|---|---|---|---|---|---|\n");
	print_shape_rows(ev, c, 3, worst_recall, worst_fpr);
}

/*
 * Recall per leak shape and FPR per distractor of every method, each at
 * its own well-posed 1%-FPR threshold thr[method].
 */
static void
print_shapes_by_method(const struct eval *ev, const double *thr)
{
	struct counts c[M_COUNT];
	double worst_recall[M_COUNT], worst_fpr[M_COUNT];
	printf("| Shape | Measure | Series |");
	for (int m = 0; m < M_COUNT; m++) {
		printf(" %s |", method_names[m]);
		count_decisions(ev, keep_well_posed, m, BY_THRESHOLD, thr[m],
			&c[m]);
	}
	printf("\n|---|---|---|");
	for (int m = 0; m < M_COUNT; m++)
		printf("---|");
	printf("\n");
	print_shape_rows(ev, c, M_COUNT, worst_recall, worst_fpr);
}

static double
tercile_spread(const struct eval *ev, int meth, double *auc3)
{
	double *v = xrealloc(NULL, (ev->n + 1) * sizeof *v);
	size_t n = 0;
	for (size_t i = 0; i < ev->n; i++)
		if (ev->items[i].well_posed)
			v[n++] = ev->items[i].base_bytes;
	qsort(v, n, sizeof *v, cmp_double);
	double cut1 = n ? v[n / 3] : 0, cut2 = n ? v[2 * n / 3] : 0;
	free(v);
	struct tercile t[3] = { { -INFINITY, cut1 }, { cut1, cut2 },
		{ cut2, INFINITY } };
	double lo = INFINITY, hi = -INFINITY;
	for (int k = 0; k < 3; k++) {
		auc3[k] = roc_auc(ev, meth, keep_tercile, &t[k]);
		if (auc3[k] < lo)
			lo = auc3[k];
		if (auc3[k] > hi)
			hi = auc3[k];
	}
	return hi - lo;
}

/*
 * Onset errors, in window fractions, of the well-posed leaks of shape sh
 * (-1: every shape) that start inside the window and have an estimated
 * onset, of all machines or only those without a reboot.  The truth is
 * the onset in the last boot epoch: a reboot frees the leak, and where it
 * restarts is where the memory at risk now began to pile up.  Returns the
 * number of leaks, with their errors in e[] and the share within 5%.
 */
static size_t
onset_errors(const struct eval *ev, int sh, bool no_reboot, double *e,
		double *within5)
{
	size_t m = 0, within = 0;
	for (size_t i = 0; i < ev->n; i++) {
		const struct item *it = &ev->items[i];
		if ((sh >= 0 && it->shape != sh) || !it->leak ||
				!it->well_posed || it->true_onset <= 0 ||
				it->est_onset < 0 ||
				(no_reboot && machine_reboots(it->machine)))
			continue;
		e[m] = fabs((double)(it->est_onset - it->true_onset)) /
			(double)ev->files;
		within += e[m] <= 0.05;
		m++;
	}
	*within5 = ratio(within, m);
	return m;
}

static void
print_onset_of_shape(const struct eval *ev, int sh, bool no_reboot,
		double *e)
{
	double within5;
	size_t m = onset_errors(ev, sh, no_reboot, e, &within5);
	if (m > 0)
		printf("  %s%s: median %.3f, within 5%%: %.2f (%zu)\n",
			ev->shape_names[sh],
			no_reboot ? ", machines without a reboot" : "",
			pt_median_inplace(e, m), within5, m);
}

static void
print_onset_by_shape(const struct eval *ev)
{
	double *e = xrealloc(NULL, (ev->n + 1) * sizeof *e);
	for (int sh = 0; sh < ev->nshapes; sh++) {
		print_onset_of_shape(ev, sh, false, e);
		print_onset_of_shape(ev, sh, true, e);
	}
	free(e);
}

/* Median onset error of pooltrend over every shape, as onset_errors. */
static double
onset_error(const struct eval *ev, double *within5, size_t *n)
{
	double *e = xrealloc(NULL, (ev->n + 1) * sizeof *e);
	*n = onset_errors(ev, -1, false, e, within5);
	double med = *n ? pt_median_inplace(e, *n) : NAN;
	free(e);
	return med;
}

/*
 * Median relative growth-rate error |g^ - g| / g of method meth over the
 * well-posed leaks with a true growth and an estimate (*n of them).
 */
static double
growth_error(const struct eval *ev, int meth, size_t *n)
{
	double *g = xrealloc(NULL, (ev->n + 1) * sizeof *g);
	*n = 0;
	for (size_t i = 0; i < ev->n; i++) {
		const struct item *it = &ev->items[i];
		if (it->leak && it->well_posed && it->true_growth > 0 &&
				!isnan(it->est_rate[meth]))
			g[(*n)++] = fabs(it->est_rate[meth] - it->true_growth) /
				it->true_growth;
	}
	double med = *n ? pt_median_inplace(g, *n) : NAN;
	free(g);
	return med;
}

/*
 * Growth-rate and onset errors of every method; "-" for the methods that
 * give no rate (bytes now, Mann-Kendall, rose every period) and, for the
 * onset, every baseline (only pooltrend estimates one).
 */
static void
print_estimate_errors(const struct eval *ev)
{
	printf("| Method | growth-rate median error | onset median error "
		"(within 5%%) |\n|---|---|---|\n");
	for (int m = 0; m < M_COUNT; m++) {
		char growth[64] = "-", onset[64] = "-";
		size_t n;
		if (method_rates[m]) {
			double g = growth_error(ev, m, &n);
			(void)snprintf(growth, sizeof growth, "%.3f (%zu leaks)", g, n);
		}
		if (m == M_POOLTREND) {
			double within5;
			double o = onset_error(ev, &within5, &n);
			(void)snprintf(onset, sizeof onset, "%.3f (%.2f; %zu leaks)", o,
				within5, n);
		}
		printf("| %s | %s | %s |\n", method_names[m], growth, onset);
	}
}

static bool
keep_ambiguous(const struct item *it, const void *ctx)
{
	(void)ctx;
	return it->ambiguous;
}

/*
 * The ambiguous class (SCORING 6.1: slow warm-ups, stopped leaks), out of
 * every well-posed metric: what pooltrend makes of it, per shape, at its
 * well-posed 1%-FPR threshold thr and by its verdicts.
 */
static void
print_ambiguous(const struct eval *ev, double thr)
{
	double worst_recall[3], worst_fpr[3];
	size_t n = 0;
	for (size_t i = 0; i < ev->n; i++)
		n += ev->items[i].ambiguous;
	printf("\nAmbiguous class (truth marks it ambiguous: slow warm-ups, "
		"stopped leaks; in no metric above), share of pooltrend's "
		"series above its well-posed 1%%-FPR threshold and flagged:\n\n");
	if (n == 0)
		printf("(no series)\n");
	else
		print_shapes(ev, keep_ambiguous, thr, worst_recall, worst_fpr);
}

/*
 * How often pooltrend calls a series it flags accelerating, per shape,
 * over every flagged series (ambiguous ones too): only leak-accel, and
 * per-operation leaks on a machine whose load keeps rising, really do.
 */
static void
print_accelerating(const struct eval *ev)
{
	size_t n[MAX_SHAPES] = { 0 }, hit[MAX_SHAPES] = { 0 };
	for (size_t i = 0; i < ev->n; i++) {
		const struct item *it = &ev->items[i];
		n[it->shape] += it->flagged;
		hit[it->shape] += it->flagged && it->accelerating;
	}
	printf("\npooltrend's accelerating flag per shape, over its possible "
		"and likely series:\n\n| Shape | Flagged series | Accelerating "
		"| Share |\n|---|---|---|---|\n");
	for (int s = 0; s < ev->nshapes; s++)
		if (n[s] > 0)
			printf("| %s | %zu | %zu | %.3f |\n", ev->shape_names[s],
				n[s], hit[s], ratio(hit[s], n[s]));
}

/* --check limits: floors (--min-*) and ceilings (--max-*). */
static const struct limit {
	const char *option, *name;
	bool ceiling;
} limits[NLIMITS] = {
	{ "--min-auc", "ROC-AUC", false },
	{ "--min-rprec", "R-precision", false },
	{ "--min-f1", "F1 of likely", false },
	{ "--min-recall", "recall at 1% FPR", false },
	{ "--max-spread", "AUC spread over size terciles", true },
	{ "--max-growth-error", "growth-rate median error", true },
	{ "--min-shape-recall", "lowest leak-shape recall at 1% FPR", false },
	{ "--max-flag-fpr", "highest distractor FPR of possible or likely",
		true },
};

static int
report(const struct opts *o, struct eval *ev)
{
	size_t leaks = 0, wp = 0, wp_leaks = 0;
	for (size_t i = 0; i < ev->n; i++) {
		leaks += ev->items[i].leak;
		wp += ev->items[i].well_posed;
		wp_leaks += ev->items[i].well_posed && ev->items[i].leak;
	}
	printf("pteval: seed %lu, %d machines x %ld tags x %ld snapshots: "
		"%zu series, %zu leaks; well-posed (leaks with SNR >= 2, nothing ambiguous): %zu series, %zu leaks\n\n",
		o->seed, ev->machines, o->tags, o->files, ev->n, leaks, wp, wp_leaks);
	double thr[M_COUNT];
	for (int m = 0; m < M_COUNT; m++)
		thr[m] = threshold_at_fpr(ev, m, 0.01);
	double auc[M_COUNT], rprec[M_COUNT], f1[M_COUNT], rec1[M_COUNT];
	print_metric_rows(ev, thr, auc, rprec, f1, rec1);

	double worst_recall[3], worst_fpr[3];
	printf("\npooltrend per shape at its 1%%-FPR threshold and by its verdicts:\n\n");
	print_shapes(ev, keep_well_posed, thr[M_POOLTREND], worst_recall,
		worst_fpr);
	printf("\nEvery method per shape, each at its own 1%%-FPR threshold:\n\n");
	print_shapes_by_method(ev, thr);

	double auc3[3];
	double spread = tercile_spread(ev, M_POOLTREND, auc3);
	printf("\nROC-AUC per size tercile (small/medium/large): %.3f %.3f %.3f, "
		"spread %.3f\n", auc3[0], auc3[1], auc3[2], spread);
	double owithin;
	size_t ng, no;
	double gerr = growth_error(ev, M_POOLTREND, &ng);
	double oerr = onset_error(ev, &owithin, &no);
	printf("growth-rate error, median |g^ - g| / g: %.3f (%zu leaks)\n", gerr, ng);
	printf("onset error, median in window fractions: %.3f; within 5%%: %.2f "
		"(%zu late and staircase leaks)\n", oerr, owithin, no);
	print_onset_by_shape(ev);
	printf("\nGrowth-rate and onset errors of every method (\"-\": no "
		"estimate; bytes now, Mann-Kendall and rose every period give no "
		"rate, only pooltrend an onset):\n\n");
	print_estimate_errors(ev);
	print_ambiguous(ev, thr[M_POOLTREND]);
	print_accelerating(ev);
	printf("\n");
	printf("scoring CPU time: %.3f s for %zu series, %zu cells "
		"(%.1f ns per cell)\n", ev->score_cpu_s, ev->scored_series,
		ev->scored_cells, ev->score_cpu_s * 1e9 /
		(double)(ev->scored_cells ? ev->scored_cells : 1));
	if (!o->check)
		return 0;

	/*
	 * Floors (set in meson for the fixed-seed test a little below the
	 * values measured then) so that a regression fails.
	 */
	double value[NLIMITS] = { auc[M_POOLTREND], rprec[M_POOLTREND],
		f1[M_POOLTREND], rec1[M_POOLTREND], spread, gerr,
		worst_recall[0], worst_fpr[1] };
	int bad = 0;
	for (int k = 0; k < NLIMITS; k++) {
		if (isnan(o->floor[k]))
			continue;
		bool upper = limits[k].ceiling;
		bool ok = upper ? value[k] <= o->floor[k] : value[k] >= o->floor[k];
		if (!ok || isnan(value[k])) {
			fprintf(stderr, "pteval: %s %.3f is %s the limit %.3f\n",
				limits[k].name, value[k], upper ? "above" : "below",
				o->floor[k]);
			bad = 1;
		}
	}
	/* pooltrend must beat every baseline on AUC and R-precision. */
	for (int m = 1; m < M_COUNT; m++) {
		if (!(auc[M_POOLTREND] > auc[m]) || !(rprec[M_POOLTREND] >= rprec[m])) {
			fprintf(stderr, "pteval: %s is not beaten\n", method_names[m]);
			bad = 1;
		}
	}
	return bad;
}

static bool
open_dump(const char *path)
{
	dump_file = fopen(path, "w");
	if (dump_file == NULL)
		return false;
	fputs("machine\ttag\tpool\tshape\tleak\twell_posed\ttrue_snr\t"
		"confidence\tverdict\tf_trend\tf_retention\tf_snr\tf_give_back\t"
		"f_recent\tf_within\tf_saturation\tf_step\tf_growth\tz\t"
		"retention\tsnr\tgive_back\tz_recent\tz_within\thalf_ratio\t"
		"third_ratio\tend_ratio\tstep_share\tgrowth\tgrowth_lo\t"
		"true_growth\tload_adjusted\tnever_freed\ttrue_onset\test_onset\t"
		"rise_share\thalf_rise\tadjusted_slope\tload_ratio\tf_rise\t"
		"f_early\tf_load\tmachine_load\telasticity\t"
		"machine_end_ratio\tfirst_last_rate\tols_rate\n",
		dump_file);
	return true;
}

/* ---- options ------------------------------------------------------------ */

static long
parse_long(const char *opt, const char *v, long lo, long hi)
{
	char *end;
	errno = 0;
	long x = strtol(v, &end, 10);
	if (errno || *end || end == v || x < lo || x > hi) {
		fprintf(stderr, "pteval: %s: expected an integer in [%ld, %ld]\n",
			opt, lo, hi);
		exit(2);
	}
	return x;
}

/* ptgen next to pteval (both are built into build/bench). */
static char *
default_ptgen(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');
	size_t dir = slash ? (size_t)(slash - argv0 + 1) : 0;
	char *p = xrealloc(NULL, dir + 8);
	memcpy(p, argv0, dir);
	strcpy(p + dir, "ptgen");
	return p;
}

static int
floor_option(const char *arg)
{
	for (int k = 0; k < NLIMITS; k++)
		if (strcmp(arg, limits[k].option) == 0)
			return k;
	return -1;
}

static void
usage(FILE *f)
{
	fputs("usage: pteval [--seed S] [--machines K] [--tags M] [--files N]\n"
		"              [--ptgen PATH] [--shapes all|basic] [--check] [--keep]\n"
		"              [--verbose] [--dump FILE]\n"
		"  Generates K labelled machines with ptgen, scores them with\n"
		"  pooltrend and the baselines, and prints the metrics: per method\n"
		"  AUC, R-precision, own rule, recall at 1% FPR, per-shape rates at\n"
		"  its 1%-FPR threshold, growth-rate error (methods with a rate)\n"
		"  and onset error (pooltrend); pooltrend's verdicts per shape; the\n"
		"  ambiguous class (slow warm-ups, stopped leaks) per shape apart.\n"
		"  --check  exit 1 when a metric is past its limit, or a baseline\n"
		"           is not beaten; limits: --min-auc --min-rprec --min-f1\n"
		"           --min-recall (at 1% FPR) --max-spread --max-growth-error\n"
		"           --min-shape-recall (lowest leak shape at 1% FPR)\n"
		"           --max-flag-fpr (highest distractor, possible or likely)\n"
		"  --shapes all|basic  ptgen's shapes: every one of SCORING 6.1\n"
		"           (default) or the first generator's (earlier results)\n"
		"  --keep   keep the generated corpora in /tmp\n"
		"  --verbose  one line per leak and per confident series on stderr\n"
		"  --dump FILE  every series' truth, verdict, factors and raw\n"
		"           statistics, and the first-to-last and OLS rates, as\n"
		"           tab-separated columns (header first)\n", f);
}

int
main(int argc, char **argv)
{
	struct opts o = { .seed = 1, .tags = 2000, .files = 500, .machines = 4,
		.shapes = "all" };
	for (int k = 0; k < NLIMITS; k++)
		o.floor[k] = NAN;
	char *ptgen = default_ptgen(argv[0]);
	o.ptgen = ptgen;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--check") == 0)
			o.check = true;
		else if (strcmp(a, "--keep") == 0)
			o.keep = true;
		else if (strcmp(a, "--verbose") == 0)
			o.verbose = true;
		else if (strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (v != NULL && strcmp(a, "--seed") == 0) {
			o.seed = (unsigned long)parse_long(a, v, 0, 1000000);
			i++;
		} else if (v != NULL && strcmp(a, "--machines") == 0) {
			o.machines = (int)parse_long(a, v, 1, 1000);
			i++;
		} else if (v != NULL && strcmp(a, "--tags") == 0) {
			o.tags = parse_long(a, v, 20, 100000);
			i++;
		} else if (v != NULL && strcmp(a, "--files") == 0) {
			o.files = parse_long(a, v, 12, 100000);
			i++;
		} else if (v != NULL && floor_option(a) >= 0) {
			char *end;
			o.floor[floor_option(a)] = strtod(v, &end);
			if (*end || end == v) {
				usage(stderr);
				return 2;
			}
			i++;
		} else if (v != NULL && strcmp(a, "--dump") == 0) {
			o.dump = v;
			i++;
		} else if (v != NULL && strcmp(a, "--ptgen") == 0) {
			o.ptgen = v;
			i++;
		} else if (v != NULL && strcmp(a, "--shapes") == 0 &&
				(strcmp(v, "all") == 0 || strcmp(v, "basic") == 0)) {
			o.shapes = v;
			i++;
		} else {
			usage(stderr);
			return 2;
		}
	}
	struct eval ev = { .machines = o.machines, .files = o.files };
	if (o.dump != NULL && !open_dump(o.dump))
		die("cannot open the --dump file");
	for (int m = 0; m < o.machines; m++)
		eval_machine(&o, &ev, m);
	int rc = report(&o, &ev);
	if (dump_file != NULL && fclose(dump_file) != 0)
		die("cannot write the --dump file");
	free(ev.items);
	free(ptgen);
	return rc;
}
