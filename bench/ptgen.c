/*
 * ptgen: synthetic `poolmon -n` snapshot generator for pooltrend.
 *
 * Writes a series of snapshots in the exact byte layout of poolmon's -n
 * files (FORMAT.md 1.2 and 1.3) from a per-tag model of cumulative Allocs
 * and Frees (SCORING.md 6.1), plus an optional ground-truth TSV.  Output is
 * a pure function of the options and --seed: the generator has its own
 * PRNG and never calls rand().
 *
 * Speed matters (1,000 files x 2,000 tags is the benchmark corpus), so rows
 * are formatted by hand into one large buffer per file and written with
 * write(2) instead of going through printf and stdio.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TWO_PI 6.283185307179586
#define U32_SPAN 4294967296.0

/* ---- errors and allocation -------------------------------------------- */

static _Noreturn void
die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("ptgen: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static _Noreturn void
die_errno(const char *what, const char *path)
{
	die("%s %s: %s", what, path, strerror(errno));
}

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		die("out of memory");
	return p;
}

/* ---- PRNG: splitmix64 seeds xoshiro256** ------------------------------ */

struct rng {
	uint64_t s[4];
};

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/*
 * Independent stream per (seed, stream id): each tag row draws from its own
 * stream, so adding options that consume randomness elsewhere does not
 * change the rows.
 */
static void
rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * UINT64_C(0xD1B54A32D192ED03));
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	const uint64_t result = rotl(s[1] * 5, 7) * 9;
	const uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Uniform in [0, 1). */
static double
rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

static double
rng_uniform(struct rng *r, double lo, double hi)
{
	return lo + (hi - lo) * rng_unit(r);
}

static double
rng_log_uniform(struct rng *r, double lo, double hi)
{
	return exp(rng_uniform(r, log(lo), log(hi)));
}

static uint32_t
rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(rng_unit(r) * n);
}

static bool
rng_chance(struct rng *r, double p)
{
	return rng_unit(r) < p;
}

/* Standard normal by Box-Muller; the second value is dropped for simplicity. */
static double
rng_normal(struct rng *r)
{
	double u = 1.0 - rng_unit(r);
	return sqrt(-2.0 * log(u)) * cos(TWO_PI * rng_unit(r));
}

/* Exact (Knuth) for small means, normal approximation for large ones. */
static uint64_t
rng_poisson(struct rng *r, double lambda)
{
	if (lambda <= 0)
		return 0;
	if (lambda < 30) {
		double limit = exp(-lambda), p = 1.0;
		uint64_t k = 0;
		for (;;) {
			p *= rng_unit(r);
			if (p <= limit)
				return k;
			k++;
		}
	}
	double v = lambda + sqrt(lambda) * rng_normal(r);
	return v <= 0 ? 0 : (uint64_t)llround(v);
}

/* ---- civil time (UTC; poolmon logs carry local time without a zone) --- */

static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const int64_t yoe = y - era * 400;
	const int64_t doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5
		+ (int64_t)d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

struct civil {
	int year, month, day, hour, min, sec;
};

static struct civil
civil_from_epoch(int64_t t)
{
	int64_t z = (t >= 0 ? t : t - 86399) / 86400;
	int64_t secs = t - z * 86400;
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const int64_t doe = z - era * 146097;
	const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const int64_t mp = (5 * doy + 2) / 153;
	struct civil c;
	c.day = (int)(doy - (153 * mp + 2) / 5 + 1);
	c.month = (int)(mp < 10 ? mp + 3 : mp - 9);
	c.year = (int)(yoe + era * 400 + (c.month <= 2));
	c.hour = (int)(secs / 3600);
	c.min = (int)(secs / 60 % 60);
	c.sec = (int)(secs % 60);
	return c;
}

static int64_t
parse_iso_or_die(const char *s)
{
	int y, mo, d, h, mi, se, n = 0;
	char sep;
	if (sscanf(s, "%4d-%2d-%2d%c%2d:%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi,
			&se, &n) != 7 || s[n] != '\0' || (sep != 'T' && sep != ' ')
			|| mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59
			|| se > 59 || y < 1970)
		die("--start: expected YYYY-MM-DDTHH:MM:SS, got '%s'", s);
	return days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400
		+ h * 3600 + mi * 60 + se;
}

/* "90s", "15m", "1h", "2d"; a bare number is seconds. */
static double
parse_duration_or_die(const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	double unit = 1;
	if (*end == 's')
		end++;
	else if (*end == 'm')
		unit = 60, end++;
	else if (*end == 'h')
		unit = 3600, end++;
	else if (*end == 'd')
		unit = 86400, end++;
	if (errno || end == s || *end != '\0' || !(v > 0) || v * unit < 1)
		die("bad duration '%s' (use e.g. 90s, 15m, 1h)", s);
	return v * unit;
}

static long
parse_long_or_die(const char *opt, const char *s, long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < lo || v > hi)
		die("%s: expected an integer in %ld..%ld, got '%s'", opt, lo, hi, s);
	return v;
}

/* ---- options ------------------------------------------------------------ */

enum stamp { STAMP_NONE, STAMP_ISO, STAMP_CLUE, STAMP_NAME };
enum layout { LAYOUT_X64, LAYOUT_X86 };
enum sort_order { SORT_BYTES, SORT_TAG };

enum shape {
	SHAPE_FLAT,
	SHAPE_NOISY,
	SHAPE_LOAD,
	SHAPE_WARMUP,
	SHAPE_SHIFT,
	SHAPE_SAWTOOTH,
	SHAPE_BURST,
	SHAPE_DECREASING,
	SHAPE_STEPS,
	SHAPE_LEAK_STEADY,	/* the leak shapes, in --leak-shape's order */
	SHAPE_LEAK_LATE,
	SHAPE_LEAK_STAIRS,
	SHAPE_LEAK_LOAD,
	SHAPE_LEAK_SAWTOOTH,
	SHAPE_LEAK_ACCEL,
	SHAPE_LEAK_STOPPED,
	SHAPE_COUNT,
};

static const char *const shape_names[SHAPE_COUNT] = {
	"flat", "noisy", "load", "warmup", "shift", "sawtooth",
	"burst", "decreasing", "steps",
	"leak-steady", "leak-late", "leak-stairs", "leak-load",
	"leak-sawtooth", "leak-accel", "leak-stopped",
};

static bool
shape_is_leak(int shape)
{
	return shape >= SHAPE_LEAK_STEADY;
}

struct options {
	const char *out_dir;
	const char *append_file;
	const char *truth_file;
	long files, tags, leaks;
	double interval_s, jitter;
	int64_t start;
	uint64_t seed;
	enum layout layout;
	enum stamp stamp;
	enum sort_order sort;
	int leak_shape;	/* -1: mixed */
	const char *leak_names;
	long reboot_at;	/* -1: none */
	bool summary, mapped, crlf, mtime, wrap, ramp, gaps;
	bool all_shapes;	/* --shapes all: SCORING 6.1's later shapes too */
};

static void
usage(FILE *f)
{
	fputs(
"usage: ptgen --out DIR | --append FILE [options]\n"
"  --out DIR            write one file per snapshot into DIR (created)\n"
"  --append FILE        append every snapshot to FILE, as repeated poolmon -n does\n"
"  --files N            snapshots (default 48)\n"
"  --tags M             pool tags (default 200)\n"
"  --interval DUR       time between snapshots: 90s, 15m, 1h (default 15m)\n"
"  --jitter F           scale each interval by U(1-F, 1+F) (default 0)\n"
"  --gaps               2% of intervals are gaps of 5-20 intervals (collector down)\n"
"  --start ISO          first snapshot time (default 2026-11-02T08:00:00)\n"
"  --seed S             PRNG seed (default 1)\n"
"  --layout x64|x86     row layout (default x64)\n"
"  --summary            write the -r Memory/Commit lines\n"
"  --mapped             write the -g Mapped_Driver column\n"
"  --crlf | --lf        line ends (default CRLF, as poolmon writes)\n"
"  --stamp none|iso|clue|name\n"
"                       time stamp: none (files poolmonlogN.txt), iso line,\n"
"                       Clue line, or name (poolmon_YYYYMMDD-HHMMSS.txt)\n"
"  --leaks K            leaking tags (default max(1, M/100))\n"
"  --leak-shape S       steady|late|stairs|load|sawtooth|accel|stopped|mixed\n"
"                       (default mixed: each leak picks one)\n"
"  --leak-names LIST    comma-separated tag names for the leaking tags\n"
"  --reboot-at I        the machine reboots before snapshot I (counters restart)\n"
"  --wrap               start some hot tags near 2^32 so Allocs/Frees wrap\n"
"  --ramp               add a load ramp over the window (a leak look-alike)\n"
"  --shapes basic|all   basic: the first generator's shapes (default, keeps\n"
"                       earlier corpora); all: adds burst, decreasing and\n"
"                       steps distractors and accel and stopped leaks\n"
"  --mtime              set each file's mtime to its snapshot time (UTC)\n"
"  --truth FILE         write ground truth TSV (one line per tag and pool)\n"
"  --sort bytes|tag     row order: poolmon -b (default) or -t\n"
"  --help               this text\n", f);
}

static int
parse_choice_or_die(const char *opt, const char *value,
		const char *const *names, int count)
{
	for (int i = 0; i < count; i++)
		if (strcmp(value, names[i]) == 0)
			return i;
	die("%s: unknown value '%s'", opt, value);
}

enum {
	OPT_OUT = 256, OPT_APPEND, OPT_FILES, OPT_TAGS, OPT_INTERVAL,
	OPT_JITTER, OPT_START, OPT_SEED, OPT_LAYOUT, OPT_SUMMARY, OPT_MAPPED,
	OPT_CRLF, OPT_LF, OPT_STAMP, OPT_LEAKS, OPT_LEAK_SHAPE, OPT_LEAK_NAMES,
	OPT_REBOOT, OPT_WRAP, OPT_RAMP, OPT_SHAPES, OPT_GAPS, OPT_MTIME, OPT_TRUTH, OPT_SORT, OPT_HELP,
};

static void
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, OPT_OUT },
		{ "append", required_argument, NULL, OPT_APPEND },
		{ "files", required_argument, NULL, OPT_FILES },
		{ "tags", required_argument, NULL, OPT_TAGS },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "jitter", required_argument, NULL, OPT_JITTER },
		{ "start", required_argument, NULL, OPT_START },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "layout", required_argument, NULL, OPT_LAYOUT },
		{ "summary", no_argument, NULL, OPT_SUMMARY },
		{ "mapped", no_argument, NULL, OPT_MAPPED },
		{ "crlf", no_argument, NULL, OPT_CRLF },
		{ "lf", no_argument, NULL, OPT_LF },
		{ "stamp", required_argument, NULL, OPT_STAMP },
		{ "leaks", required_argument, NULL, OPT_LEAKS },
		{ "leak-shape", required_argument, NULL, OPT_LEAK_SHAPE },
		{ "leak-names", required_argument, NULL, OPT_LEAK_NAMES },
		{ "reboot-at", required_argument, NULL, OPT_REBOOT },
		{ "wrap", no_argument, NULL, OPT_WRAP },
		{ "ramp", no_argument, NULL, OPT_RAMP },
		{ "shapes", required_argument, NULL, OPT_SHAPES },
		{ "gaps", no_argument, NULL, OPT_GAPS },
		{ "mtime", no_argument, NULL, OPT_MTIME },
		{ "truth", required_argument, NULL, OPT_TRUTH },
		{ "sort", required_argument, NULL, OPT_SORT },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const layouts[] = { "x64", "x86" };
	static const char *const stamps[] = { "none", "iso", "clue", "name" };
	static const char *const sorts[] = { "bytes", "tag" };
	static const char *const shape_sets[] = { "basic", "all" };
	static const char *const leak_shapes[] = {
		"steady", "late", "stairs", "load", "sawtooth", "accel",
		"stopped", "mixed",
	};
	const int nleak_shapes = (int)(sizeof leak_shapes / sizeof leak_shapes[0]);

	*o = (struct options){
		.files = 48, .tags = 200, .leaks = -1, .interval_s = 900,
		.start = parse_iso_or_die("2026-11-02T08:00:00"), .seed = 1,
		.leak_shape = -1, .reboot_at = -1, .crlf = true,
	};
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_OUT: o->out_dir = optarg; break;
		case OPT_APPEND: o->append_file = optarg; break;
		case OPT_FILES:
			o->files = parse_long_or_die("--files", optarg, 1, 1000000);
			break;
		case OPT_TAGS:
			o->tags = parse_long_or_die("--tags", optarg, 1, 100000);
			break;
		case OPT_INTERVAL: o->interval_s = parse_duration_or_die(optarg); break;
		case OPT_JITTER: {
			char *end;
			o->jitter = strtod(optarg, &end);
			if (*end || end == optarg || !(o->jitter >= 0 && o->jitter < 1))
				die("--jitter: expected a fraction in [0, 1)");
			break;
		}
		case OPT_START: o->start = parse_iso_or_die(optarg); break;
		case OPT_SEED: {
			char *end;
			errno = 0;
			o->seed = strtoull(optarg, &end, 0);
			if (errno || *end || end == optarg)
				die("--seed: expected an unsigned integer");
			break;
		}
		case OPT_LAYOUT:
			o->layout = parse_choice_or_die("--layout", optarg, layouts, 2);
			break;
		case OPT_SUMMARY: o->summary = true; break;
		case OPT_MAPPED: o->mapped = true; break;
		case OPT_CRLF: o->crlf = true; break;
		case OPT_LF: o->crlf = false; break;
		case OPT_STAMP:
			o->stamp = parse_choice_or_die("--stamp", optarg, stamps, 4);
			break;
		case OPT_LEAKS:
			o->leaks = parse_long_or_die("--leaks", optarg, 0, 100000);
			break;
		case OPT_LEAK_SHAPE: {
			int k = parse_choice_or_die("--leak-shape", optarg, leak_shapes,
				nleak_shapes);
			o->leak_shape = k == nleak_shapes - 1 ? -1 : SHAPE_LEAK_STEADY + k;
			break;
		}
		case OPT_LEAK_NAMES: o->leak_names = optarg; break;
		case OPT_REBOOT:
			o->reboot_at = parse_long_or_die("--reboot-at", optarg, 1, 1000000);
			break;
		case OPT_WRAP: o->wrap = true; break;
		case OPT_RAMP: o->ramp = true; break;
		case OPT_SHAPES:
			o->all_shapes = parse_choice_or_die("--shapes", optarg,
				shape_sets, 2) == 1;
			break;
		case OPT_GAPS: o->gaps = true; break;
		case OPT_MTIME: o->mtime = true; break;
		case OPT_TRUTH: o->truth_file = optarg; break;
		case OPT_SORT:
			o->sort = parse_choice_or_die("--sort", optarg, sorts, 2);
			break;
		case OPT_HELP: usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind < argc)
		die("unexpected argument '%s'", argv[optind]);
	if (!o->out_dir == !o->append_file)
		die("give exactly one of --out DIR and --append FILE");
	if (o->append_file && o->stamp == STAMP_NAME)
		die("--stamp name needs --out (one file per snapshot)");
	if (o->reboot_at >= o->files)
		die("--reboot-at must be below --files");
	if (o->leaks < 0)
		o->leaks = o->tags / 100 > 1 ? o->tags / 100 : 1;
	if (o->leaks > o->tags)
		die("--leaks exceeds --tags");
}

/* ---- the machine: snapshot times, load curve, reboot ------------------ */

struct machine {
	long n;
	int64_t *epoch;	/* snapshot times, seconds */
	double *hours;	/* hours since the first snapshot */
	double *load;	/* load factor at each snapshot, around 1 */
	double *since_boot;	/* hours since window start or last reboot */
	double mean_load, window_h;
	long reboot_at;
	/* -r summary model */
	double ram_kb, avail_kb, commit_kb, limit_kb, krnl_kb, fault_rate;
	double pool0_kb, peak_kb;
	uint32_t faults;
	struct rng rng;
};

struct burst {
	double start, len, mult;
};

/*
 * Diurnal sine peaking in the afternoon, times Poisson(3) bursts covering
 * 5-30% of the window each, times an optional linear ramp (SCORING 6.1).
 */
static void
build_load_curve(struct machine *m, const struct options *o)
{
	struct rng *r = &m->rng;
	double amp = rng_uniform(r, 0.2, 0.8);
	double peak_hour = rng_uniform(r, 13, 17);
	double ramp = o->ramp ? rng_uniform(r, 0.5, 2.0) : 0;
	int nbursts = (int)rng_poisson(r, 3);
	struct burst bursts[32];
	if (nbursts > 32)
		nbursts = 32;
	for (int b = 0; b < nbursts; b++) {
		bursts[b].start = rng_uniform(r, 0, m->window_h);
		bursts[b].len = rng_uniform(r, 0.05, 0.30) * m->window_h;
		bursts[b].mult = rng_uniform(r, 1.3, 2.5);
	}
	double sum = 0;
	for (long i = 0; i < m->n; i++) {
		struct civil c = civil_from_epoch(m->epoch[i]);
		double hod = c.hour + c.min / 60.0 + c.sec / 3600.0;
		double load = 1 + amp * sin(TWO_PI * (hod - peak_hour + 6) / 24);
		for (int b = 0; b < nbursts; b++)
			if (m->hours[i] >= bursts[b].start
					&& m->hours[i] < bursts[b].start + bursts[b].len)
				load *= bursts[b].mult;
		if (m->window_h > 0)
			load *= 1 + ramp * m->hours[i] / m->window_h;
		m->load[i] = load;
		sum += load;
	}
	m->mean_load = sum / (double)m->n;
}

static void
build_machine(struct machine *m, const struct options *o)
{
	m->n = o->files;
	m->reboot_at = o->reboot_at;
	m->epoch = xcalloc((size_t)m->n, sizeof *m->epoch);
	m->hours = xcalloc((size_t)m->n, sizeof *m->hours);
	m->load = xcalloc((size_t)m->n, sizeof *m->load);
	m->since_boot = xcalloc((size_t)m->n, sizeof *m->since_boot);
	rng_seed(&m->rng, o->seed, UINT64_C(0xFFFFFFFF00000001));

	double t = 0, boot = 0;
	for (long i = 0; i < m->n; i++) {
		if (i > 0) {
			double step = o->interval_s;
			if (o->jitter > 0)
				step *= rng_uniform(&m->rng, 1 - o->jitter, 1 + o->jitter);
			if (o->gaps && rng_chance(&m->rng, 0.02))
				step *= rng_uniform(&m->rng, 5, 20);
			t += floor(step + 0.5);
		}
		if (i == m->reboot_at)
			boot = t;
		m->epoch[i] = o->start + (int64_t)t;
		m->hours[i] = t / 3600;
		m->since_boot[i] = (t - boot) / 3600;
	}
	m->window_h = m->hours[m->n - 1] > 0 ? m->hours[m->n - 1] : o->interval_s / 3600;
	build_load_curve(m, o);

	static const double ram_gb[] = { 8, 16, 32, 64 };
	m->ram_kb = ram_gb[rng_below(&m->rng, 4)] * 1048576 * 0.994;
	m->avail_kb = m->ram_kb * rng_uniform(&m->rng, 0.45, 0.65);
	m->commit_kb = m->ram_kb * rng_uniform(&m->rng, 0.30, 0.50);
	m->limit_kb = m->ram_kb * rng_uniform(&m->rng, 1.25, 2.0);
	m->krnl_kb = rng_uniform(&m->rng, 8000, 16000);
	m->fault_rate = rng_uniform(&m->rng, 2e5, 2e6);
	m->faults = (uint32_t)rng_uniform(&m->rng, 1e7, 4e8);
}

/* ---- tags ------------------------------------------------------------- */

enum pools { POOLS_NONP = 1, POOLS_PAGED = 2, POOLS_BOTH = 3 };

/*
 * Real-looking tags with fixed roles, so small series (the demo) always
 * contain the classic distractors: a big load-driven MmSt, a warm-up cache,
 * a sawtooth registry cache, noisy and flat tags.
 */
struct cast_member {
	char name[5];
	int pools;
	int shape;
	double size, d0, w;
	const char *mapped;
};

static const struct cast_member cast[] = {
	{ "MmSt", POOLS_PAGED, SHAPE_LOAD, 512, 400000, 0.6,
		"[nt!mm        - Mm section object prototype ptes]" },
	{ "File", POOLS_BOTH, SHAPE_LOAD, 384, 110000, 0.8,
		"[nt!io        - File objects]" },
	{ "Ntfx", POOLS_NONP, SHAPE_WARMUP, 1024, 60000, 0.05,
		"[ntfs.sys     - General Allocation]" },
	{ "Io  ", POOLS_NONP, SHAPE_NOISY, 720, 400, 0.1,
		"[nt!io        - general IO allocations]" },
	{ "Even", POOLS_NONP, SHAPE_FLAT, 128, 25000, 0.05,
		"[<unknown>    - Event objects]" },
	{ "Toke", POOLS_PAGED, SHAPE_FLAT, 1536, 4000, 0.03,
		"[nt!se        - Token objects]" },
	{ "Proc", POOLS_NONP, SHAPE_FLAT, 2432, 300, 0.02,
		"[nt!ps        - Process objects]" },
	{ "Thre", POOLS_NONP, SHAPE_NOISY, 1024, 3500, 0.1,
		"[nt!ps        - Thread objects]" },
	{ "CM31", POOLS_PAGED, SHAPE_SAWTOOTH, 4096, 9000, 0.02,
		"[nt!cm        - Internal Configuration manager allocations]" },
	{ "MmCa", POOLS_NONP, SHAPE_SHIFT, 496, 30000, 0.05,
		"[nt!mm        - Mm control areas for mapped files]" },
	{ "FMfn", POOLS_PAGED, SHAPE_LOAD, 432, 20000, 0.7,
		"[fltmgr.sys   - NAME_CACHE_NODE structure]" },
	{ "Vad ", POOLS_NONP, SHAPE_LOAD, 128, 40000, 0.5,
		"[nt!mm        - Mm virtual address descriptors]" },
	{ "CM  ", POOLS_PAGED, SHAPE_FLAT, 256, 900, 0.02,
		"[nt!cm        - Configuration Manager (registry)]" },
};
#define CAST_SIZE (sizeof cast / sizeof cast[0])

static const char *const fake_mapped[] = {
	"[netio.sys    - WFP filter engine context]",
	"[tcpip.sys    - TCP send buffers]",
	"[ndis.sys     - NDIS generic buffer pool]",
	"[afd.sys      - AFD objects]",
	"[storport.sys - Storport request context]",
	"[win32k.sys   - GDI private object]",
	"[http.sys     - HTTP request]",
	"[nt!ob        - Object manager name buffer]",
	"[nt!cc        - Cache manager work queue item]",
	"[fltmgr.sys   - FLT_INSTANCE structure]",
};

struct tag {
	char name[4];
	const char *mapped;
};

/* Pool tags that tracker records hold: printable, first byte a letter. */
static void
random_tag_name(struct rng *r, char name[4])
{
	static const char first[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	static const char rest[] = "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	name[0] = first[rng_below(r, sizeof first - 1)];
	for (int k = 1; k < 4; k++)
		name[k] = rest[rng_below(r, sizeof rest - 1)];
	/* Short tags padded with blanks ("Io  ", "Mdl ") are common. */
	double u = rng_unit(r);
	if (u < 0.04)
		name[2] = name[3] = ' ';
	else if (u < 0.10)
		name[3] = ' ';
}

static uint32_t
tag_key(const char name[4])
{
	return (uint32_t)(unsigned char)name[0] << 24
		| (uint32_t)(unsigned char)name[1] << 16
		| (uint32_t)(unsigned char)name[2] << 8
		| (uint32_t)(unsigned char)name[3];
}

/* Open-addressing set of tag keys, to keep names unique. */
struct name_set {
	uint32_t *slot;
	size_t mask;
};

static bool
name_set_add(struct name_set *s, uint32_t key)
{
	size_t i = (key * UINT32_C(2654435761)) & s->mask;
	while (s->slot[i]) {
		if (s->slot[i] == key)
			return false;
		i = (i + 1) & s->mask;
	}
	s->slot[i] = key;
	return true;
}

/* Next comma-separated name from *list, blank-padded to 4 bytes. */
static bool
next_listed_name(const char **list, char name[4])
{
	const char *p = *list;
	if (!p || !*p)
		return false;
	const char *end = strchr(p, ',');
	size_t len = end ? (size_t)(end - p) : strlen(p);
	if (len == 0 || len > 4)
		die("--leak-names: each name must have 1 to 4 characters");
	memset(name, ' ', 4);
	memcpy(name, p, len);
	*list = end ? end + 1 : p + len;
	return true;
}

/* ---- rows: one per tag and pool type ---------------------------------- */

struct row {
	uint32_t tag;
	bool paged;
	int shape;
	double size;	/* bytes per allocation */
	double d0;	/* baseline outstanding count */
	double w;	/* load coupling */
	double sigma;	/* multiplicative noise */
	double rate;	/* allocations per hour at d0 */
	bool var_size;
	bool wraps;
	long first_index;	/* absent (Allocs == 0) before this snapshot */
	/* shape parameters */
	double p1, p2, p3;
	long onset;
	long steps[8];
	double step_level[8];	/* steps: the level from steps[k] on */
	int nsteps;
	long stop;	/* leak-stopped: the last snapshot that leaks */
	double leak_rate;	/* leaked allocations per hour (or per step) */
	double snr;	/* leak size over the noise it must beat (SCORING 6.1) */
	/* state */
	bool live;
	uint32_t allocs, frees;
	int64_t diff;
	uint64_t bytes;
	double leak, leaked_total;
	struct rng rng;
};

struct model {
	struct tag *tags;
	long ntags;
	struct row *rows;
	long nrows;
};

/* Distractor mixes: each shape up to a cumulative share of the draw. */
struct share {
	double upto;
	int shape;
};

static const struct share basic_mix[] = {	/* the first generator's */
	{ 0.35, SHAPE_FLAT }, { 0.55, SHAPE_NOISY }, { 0.75, SHAPE_LOAD },
	{ 0.83, SHAPE_WARMUP }, { 0.90, SHAPE_SHIFT }, { 1.0, SHAPE_SAWTOOTH },
};

static const struct share all_mix[] = {
	{ 0.31, SHAPE_FLAT }, { 0.35, SHAPE_DECREASING }, { 0.55, SHAPE_NOISY },
	{ 0.71, SHAPE_LOAD }, { 0.73, SHAPE_STEPS }, { 0.75, SHAPE_BURST },
	{ 0.83, SHAPE_WARMUP }, { 0.90, SHAPE_SHIFT }, { 1.0, SHAPE_SAWTOOTH },
};

static int
random_distractor_shape(struct rng *r, bool all_shapes)
{
	const struct share *mix = all_shapes ? all_mix : basic_mix;
	size_t n = all_shapes ? sizeof all_mix / sizeof all_mix[0]
		: sizeof basic_mix / sizeof basic_mix[0];
	double u = rng_unit(r);
	for (size_t k = 0; k + 1 < n; k++)
		if (u < mix[k].upto)
			return mix[k].shape;
	return mix[n - 1].shape;
}

/*
 * Load steps up and down (SCORING 6.1): 2 or 4 steps, one in each of as
 * many equal slices of the middle 80% of the snapshots, alternately up by
 * x1.4-2.5 and back to within 20% of the base, so the tag ends near where
 * it began, as a job that started and ended leaves it.
 */
static void
place_load_steps(struct row *w, long n)
{
	w->nsteps = rng_chance(&w->rng, 0.5) ? 2 : 4;
	for (int k = 0; k < w->nsteps; k++) {
		double at = 0.1 + 0.8 * ((double)k + rng_uniform(&w->rng, 0.1, 0.9))
			/ (double)w->nsteps;
		w->steps[k] = (long)(at * (double)n);
		w->step_level[k] = k % 2 == 0 ? rng_uniform(&w->rng, 1.4, 2.5)
			: rng_uniform(&w->rng, 0.8, 1.2);
	}
}

/* Onset and step positions, as snapshot indices, for the shapes that use them. */
static void
place_shape_events(struct row *w, const struct machine *m)
{
	long n = m->n;
	w->onset = -1;
	switch (w->shape) {
	case SHAPE_WARMUP:
		w->p1 = rng_uniform(&w->rng, 0.05, 0.35);	/* start level */
		w->p2 = rng_uniform(&w->rng, 0.03, 0.25) * m->window_h;	/* tau */
		break;
	case SHAPE_SHIFT:
		w->onset = (long)(rng_uniform(&w->rng, 0.3, 0.7) * (double)n);
		w->p1 = rng_chance(&w->rng, 0.7) ? rng_uniform(&w->rng, 1.5, 3)
			: 1 / rng_uniform(&w->rng, 1.5, 3);
		break;
	case SHAPE_SAWTOOTH:
	case SHAPE_LEAK_SAWTOOTH:
		w->p1 = rng_uniform(&w->rng, 0.5, 2.0);	/* height */
		w->p2 = rng_uniform(&w->rng, 0.08, 0.30) * m->window_h;	/* period */
		w->p3 = rng_uniform(&w->rng, 0, w->p2);	/* phase */
		if (w->shape == SHAPE_LEAK_SAWTOOTH)
			w->onset = 0;
		break;
	case SHAPE_LEAK_LATE:
		w->onset = (long)(rng_uniform(&w->rng, 0.3, 0.8) * (double)n);
		break;
	case SHAPE_LEAK_STAIRS:
		/* One step in each of nsteps equal slices of the window, at a
		 * random place in it: a leak that keeps happening in bursts
		 * (steps all early and none since would be a stopped leak). */
		w->nsteps = 3 + (int)rng_below(&w->rng, 6);
		for (int k = 0; k < w->nsteps; k++) {
			double at = ((double)k + rng_uniform(&w->rng, 0.1, 0.9))
				/ (double)w->nsteps;
			w->steps[k] = 1 + (long)(at * (double)(n > 2 ? n - 2 : 1));
		}
		w->onset = n;
		for (int k = 0; k < w->nsteps; k++)
			if (w->steps[k] < w->onset)
				w->onset = w->steps[k];
		break;
	case SHAPE_BURST:
		w->p1 = rng_uniform(&w->rng, 2, 6);	/* height */
		w->p2 = rng_uniform(&w->rng, 0.1, 0.85) * m->window_h;	/* start */
		w->p3 = rng_uniform(&w->rng, 0.02, 0.15) * m->window_h;	/* length */
		break;
	case SHAPE_DECREASING:
		w->p1 = rng_uniform(&w->rng, 0.3, 0.7);	/* level at the end */
		break;
	case SHAPE_STEPS:
		place_load_steps(w, n);
		break;
	case SHAPE_LEAK_STOPPED:
		w->stop = (long)(rng_uniform(&w->rng, 0.5, 0.85) * (double)n);
		w->onset = 0;
		break;
	case SHAPE_LEAK_STEADY:
	case SHAPE_LEAK_LOAD:
	case SHAPE_LEAK_ACCEL:
		w->onset = 0;
		break;
	default:
		break;
	}
}

/*
 * Leak size from SCORING 6.1: total leaked count over the active part of
 * the window = SNR x (Poisson noise + multiplicative noise + load swing).
 */
static void
size_leak(struct row *w, const struct machine *m)
{
	double snr = rng_log_uniform(&w->rng, 1, 40);
	double swing = w->shape == SHAPE_LEAK_SAWTOOTH ? 0.3 * w->p1 * w->d0 : 0;
	double total = snr * (sqrt(w->d0) + w->sigma * w->d0 + 0.5 * w->w * w->d0
		+ swing);
	w->snr = snr;
	if (total < 4)
		total = 4;
	long onset = w->onset > 0 ? w->onset : 0;
	long end = w->shape == SHAPE_LEAK_STOPPED ? w->stop : m->n - 1;
	double active_h = m->hours[end] - m->hours[onset < end ? onset : end];
	if (active_h <= 0)
		active_h = m->window_h;
	if (w->shape == SHAPE_LEAK_STAIRS)
		w->leak_rate = total / w->nsteps;	/* count per step */
	else if (w->shape == SHAPE_LEAK_LOAD)
		w->leak_rate = total / active_h / m->mean_load;
	else if (w->shape == SHAPE_LEAK_ACCEL)
		w->leak_rate = total / (active_h * active_h);	/* count = A t^2 */
	else
		w->leak_rate = total / active_h;
}

/* Expected allocations over the window, to place or avoid a 2^32 wrap. */
static double
expected_window_allocs(const struct row *w, const struct machine *m)
{
	double sum = 0;
	for (long i = 1; i < m->n; i++)
		sum += w->rate * (m->hours[i] - m->hours[i - 1])
			* (1 + w->w * (m->load[i] - 1));
	return sum + 4 * w->d0;
}

/*
 * Allocs before the window: the tag has been running for hours, so its
 * counters are large.  With --wrap, some hot rows start just below 2^32 so
 * the wrap lands inside the window; otherwise the start is kept low enough
 * that no wrap occurs.
 */
static uint32_t
initial_alloc_offset(struct row *w, const struct machine *m, bool wrap)
{
	double window = expected_window_allocs(w, m);
	double uptime_h = rng_log_uniform(&w->rng, 2, 2000);
	double offset = w->rate * uptime_h;
	if (wrap && window > 1000 && window < 2e9 && rng_chance(&w->rng, 0.05)) {
		w->wraps = true;
		return (uint32_t)(U32_SPAN - rng_uniform(&w->rng, 0.2, 0.8) * window);
	}
	if (wrap)
		return (uint32_t)fmod(offset, U32_SPAN);
	double room = 4294967295.0 - 1.2 * window - 1e6;
	if (offset > room)
		offset = room > 0 ? rng_uniform(&w->rng, 0, room) : 0;
	return (uint32_t)offset;
}

static void
init_row(struct row *w, const struct machine *m, const struct options *o)
{
	w->var_size = rng_chance(&w->rng, 0.3);
	if (w->sigma <= 0)
		w->sigma = w->shape == SHAPE_NOISY ? rng_uniform(&w->rng, 0.05, 0.15)
			: shape_is_leak(w->shape) ? rng_log_uniform(&w->rng, 0.003, 0.05)
			: rng_log_uniform(&w->rng, 0.003, 0.02);
	double lifetime_h = rng_log_uniform(&w->rng, 0.01, 5);
	w->rate = w->d0 / lifetime_h;
	/* Without --wrap, no row may cycle 2^32 inside the window. */
	if (!o->wrap && w->rate * m->window_h * 3 > 2e9)
		w->rate = 2e9 / (m->window_h * 3);
	place_shape_events(w, m);
	if (shape_is_leak(w->shape))
		size_leak(w, m);
	w->first_index = 0;
	if (w->shape == SHAPE_FLAT && m->n > 4 && rng_chance(&w->rng, 0.03))
		w->first_index = (long)(rng_uniform(&w->rng, 0.1, 0.8) * (double)m->n);
	w->allocs = initial_alloc_offset(w, m, o->wrap);
	if (w->first_index > 0)	/* not yet allocated: Allocs == 0, no row */
		w->allocs = 0;
}

static void
random_row_params(struct row *w)
{
	w->size = 16 * ceil(rng_log_uniform(&w->rng, 16, 65536) / 16);
	w->d0 = rng_log_uniform(&w->rng, 3, 2e5);
	w->w = w->shape == SHAPE_LOAD ? rng_uniform(&w->rng, 0.4, 1)
		: rng_uniform(&w->rng, 0, 0.15);
	/* Real tags rarely hold more than tens of MB; the cast holds the giants. */
	if (w->d0 * w->size > 64.0 * 1048576)
		w->d0 = 64.0 * 1048576 / w->size;
}

static int
leak_shape_for(struct rng *r, const struct options *o)
{
	if (o->leak_shape >= 0)
		return o->leak_shape;
	int nshapes = o->all_shapes ? SHAPE_COUNT - SHAPE_LEAK_STEADY
		: SHAPE_LEAK_SAWTOOTH - SHAPE_LEAK_STEADY + 1;
	return SHAPE_LEAK_STEADY + (int)rng_below(r, (uint32_t)nshapes);
}

/*
 * Tags 0..cast-1 are the real-looking cast (when M allows), the rest get
 * random names.  Leaks go to non-cast tags chosen by a partial shuffle.
 */
static void
build_model(struct model *md, const struct machine *m, const struct options *o)
{
	struct rng r;
	rng_seed(&r, o->seed, UINT64_C(0xFFFFFFFF00000002));
	md->ntags = o->tags;
	md->tags = xcalloc((size_t)md->ntags, sizeof *md->tags);

	size_t cap = 64;
	while (cap < (size_t)md->ntags * 4 + 64)
		cap <<= 1;
	struct name_set set = { xcalloc(cap, sizeof(uint32_t)), cap - 1 };

	/* Reserve the requested leak names first so nothing else takes them. */
	char leak_name[4];
	const char *list = o->leak_names;
	while (next_listed_name(&list, leak_name))
		if (!name_set_add(&set, tag_key(leak_name)))
			die("--leak-names: duplicate name '%.4s'", leak_name);
	long ncast = 0;
	for (size_t c = 0; c < CAST_SIZE && ncast < md->ntags - o->leaks; c++) {
		if (!name_set_add(&set, tag_key(cast[c].name)))
			continue;	/* taken by --leak-names */
		memcpy(md->tags[ncast].name, cast[c].name, 4);
		md->tags[ncast].mapped = cast[c].mapped;
		ncast++;
	}
	for (long t = ncast; t < md->ntags; t++) {
		do
			random_tag_name(&r, md->tags[t].name);
		while (!name_set_add(&set, tag_key(md->tags[t].name)));
		md->tags[t].mapped = rng_chance(&r, 0.7) ? "Unknown Driver"
			: fake_mapped[rng_below(&r, sizeof fake_mapped / sizeof fake_mapped[0])];
	}
	free(set.slot);

	/* Choose leaking tags among the non-cast ones. */
	bool *leaks = xcalloc((size_t)md->ntags, sizeof *leaks);
	long pool_size = md->ntags - ncast;
	long *idx = xcalloc((size_t)(pool_size > 0 ? pool_size : 1), sizeof *idx);
	for (long k = 0; k < pool_size; k++)
		idx[k] = ncast + k;
	list = o->leak_names;
	for (long k = 0; k < o->leaks && k < pool_size; k++) {
		long j = k + (long)rng_below(&r, (uint32_t)(pool_size - k));
		long tmp = idx[k];
		idx[k] = idx[j];
		idx[j] = tmp;
		leaks[idx[k]] = true;
		if (next_listed_name(&list, leak_name)) {
			memcpy(md->tags[idx[k]].name, leak_name, 4);
			md->tags[idx[k]].mapped = "Unknown Driver";
		}
	}
	free(idx);

	/* Rows: ~15% of tags have both a Nonp and a Paged row. */
	md->rows = xcalloc((size_t)md->ntags * 2, sizeof *md->rows);
	md->nrows = 0;
	for (long t = 0; t < md->ntags; t++) {
		const struct cast_member *cm = t < ncast ? &cast[0] : NULL;
		if (cm) {
			for (size_t c = 0; c < CAST_SIZE; c++)
				if (memcmp(cast[c].name, md->tags[t].name, 4) == 0)
					cm = &cast[c];
		}
		int pools;
		if (cm)
			pools = cm->pools;
		else {
			double u = rng_unit(&r);
			pools = u < 0.15 ? POOLS_BOTH : u < 0.55 ? POOLS_NONP : POOLS_PAGED;
		}
		bool primary = true;
		for (int p = 0; p < 2; p++) {
			if (!(pools & (1 << p)))
				continue;
			struct row *w = &md->rows[md->nrows];
			rng_seed(&w->rng, o->seed, (uint64_t)md->nrows + 1);
			w->tag = (uint32_t)t;
			w->paged = p == 1;
			if (primary && leaks[t])
				w->shape = leak_shape_for(&w->rng, o);
			else if (cm && primary)
				w->shape = cm->shape;
			else if (!primary)
				w->shape = rng_chance(&w->rng, 0.7) ? SHAPE_FLAT : SHAPE_NOISY;
			else
				w->shape = random_distractor_shape(&w->rng, o->all_shapes);
			random_row_params(w);
			if (cm && primary) {
				w->size = cm->size;
				w->d0 = cm->d0 * rng_uniform(&w->rng, 0.9, 1.1);
				w->w = cm->w;
			}
			if (!primary)	/* the second pool of a tag is usually small */
				w->d0 = rng_log_uniform(&w->rng, 3, 2000);
			init_row(w, m, o);
			md->nrows++;
			primary = false;
		}
	}
	free(leaks);
}

/* ---- simulation --------------------------------------------------------- */

static double
shape_level(const struct row *w, const struct machine *m, long i)
{
	switch (w->shape) {
	case SHAPE_WARMUP:
		return w->p1 + (1 - w->p1) * (1 - exp(-m->since_boot[i] / w->p2));
	case SHAPE_SHIFT:
		return i >= w->onset ? w->p1 : 1.0;
	case SHAPE_SAWTOOTH:
	case SHAPE_LEAK_SAWTOOTH:
		return 1 + w->p1 * fmod(m->since_boot[i] + w->p3, w->p2) / w->p2;
	case SHAPE_BURST:
		return m->hours[i] >= w->p2 && m->hours[i] < w->p2 + w->p3 ? w->p1 : 1.0;
	case SHAPE_DECREASING:
		return 1 - (1 - w->p1) * m->hours[i] / m->window_h;
	case SHAPE_STEPS: {
		double level = 1.0;
		for (int k = 0; k < w->nsteps; k++)
			if (i >= w->steps[k])
				level = w->step_level[k];
		return level;
	}
	default:
		return 1.0;
	}
}

static double
leak_increment(const struct row *w, const struct machine *m, long i, double dt)
{
	switch (w->shape) {
	case SHAPE_LEAK_STEADY:
	case SHAPE_LEAK_SAWTOOTH:
		return w->leak_rate * dt;
	case SHAPE_LEAK_LATE:
		return i > w->onset ? w->leak_rate * dt : 0;
	case SHAPE_LEAK_LOAD:
		return w->leak_rate * dt * m->load[i];
	case SHAPE_LEAK_ACCEL: {	/* A t^2: A (t^2 - (t - dt)^2) */
		double t = m->hours[i];
		return w->leak_rate * dt * (2 * t - dt);
	}
	case SHAPE_LEAK_STOPPED:
		return i <= w->stop ? w->leak_rate * dt : 0;
	case SHAPE_LEAK_STAIRS: {
		double inc = 0;
		for (int k = 0; k < w->nsteps; k++)
			if (w->steps[k] == i)
				inc += w->leak_rate;
		return inc;
	}
	default:
		return 0;
	}
}

/* Outstanding count the row shows at snapshot i, leak included. */
static int64_t
outstanding_at(struct row *w, const struct machine *m, long i)
{
	double level = w->d0 * shape_level(w, m, i) * (1 + w->w * (m->load[i] - 1));
	double v = level * (1 + w->sigma * rng_normal(&w->rng))
		+ sqrt(level) * rng_normal(&w->rng);
	if (w->shape == SHAPE_NOISY && rng_chance(&w->rng, 0.01)) {
		static const double outlier[] = { 0.3, 2, 5 };
		v *= outlier[rng_below(&w->rng, 3)];
	}
	v += w->leak;
	return v < 0 ? 0 : (int64_t)llround(v);
}

/*
 * Advance one row to snapshot i.  Frees = Allocs - Diff, with Allocs
 * increments = churn (Little: D/lifetime) + any net increase, so Frees
 * never goes backwards.  A reboot restarts the counters and frees the leak.
 */
static void
step_row(struct row *w, const struct machine *m, long i)
{
	if (i < w->first_index)
		return;
	bool restart = i == m->reboot_at || !w->live;
	double dt = i > 0 ? m->hours[i] - m->hours[i - 1] : 0;
	if (restart) {
		if (w->live || i > 0)
			w->allocs = (uint32_t)rng_poisson(&w->rng, w->rate * 0.05);
		w->frees = w->allocs;
		w->diff = 0;
		w->leak = 0;
		w->live = true;
		dt = 0;
	}
	double inc = leak_increment(w, m, i, restart ? 0 : dt);
	w->leak += inc;
	w->leaked_total += inc;

	int64_t d = outstanding_at(w, m, i);
	int64_t delta = d - w->diff;
	double lambda = w->rate * dt * (1 + w->w * (m->load[i] - 1));
	uint64_t churn = rng_poisson(&w->rng, lambda);
	uint64_t alloc_inc = churn + (uint64_t)(delta > 0 ? delta : 0);
	uint64_t free_inc = alloc_inc - (uint64_t)delta;
	w->allocs += (uint32_t)alloc_inc;	/* ULONG counters wrap at 2^32 */
	w->frees += (uint32_t)free_inc;
	w->diff = d;

	double bytes = (double)d * w->size;
	if (w->var_size) {
		bytes *= 1 + 0.02 * rng_normal(&w->rng);
		bytes = 16 * floor(bytes / 16);
	}
	w->bytes = bytes > 0 ? (uint64_t)bytes : 0;
}

/* ---- summary lines (-r) ----------------------------------------------- */

struct summary {
	long memory, avail, faults, krnl, paged_ram, commit, limit, peak;
	long pool_n, pool_p;
};

/* Windows longs are 32 bits: values print as signed 32-bit integers. */
static long
as_long32(double v)
{
	if (v < 0)
		v = 0;
	return (long)(int32_t)(uint32_t)fmod(v, U32_SPAN);
}

/*
 * Avail drops and Commit rises as pool grows (pool is unpageable or
 * committed memory) and as load rises; PageFlts is cumulative since boot.
 */
static struct summary
summarise(struct machine *m, const struct model *md, long i)
{
	double nonp = 0, paged = 0;
	for (long k = 0; k < md->nrows; k++) {
		if (md->rows[k].paged)
			paged += (double)md->rows[k].bytes;
		else
			nonp += (double)md->rows[k].bytes;
	}
	double pool_kb = (nonp + paged) / 1024;
	if (i == 0)
		m->pool0_kb = pool_kb;
	double dt = i > 0 ? m->hours[i] - m->hours[i - 1] : 0;
	if (i == m->reboot_at) {
		m->faults = (uint32_t)rng_uniform(&m->rng, 1e5, 1e6);
		m->peak_kb = 0;
		m->pool0_kb = pool_kb;
	}
	m->faults += (uint32_t)rng_poisson(&m->rng, m->fault_rate * dt * m->load[i]);
	double load_kb = 0.05 * m->ram_kb * (m->load[i] - 1);
	double growth_kb = pool_kb - m->pool0_kb;
	double avail = m->avail_kb - growth_kb - load_kb
		+ 0.003 * m->ram_kb * rng_normal(&m->rng);
	/* Pool that shrinks (decreasing tags, a reboot) frees memory, but
	 * never more than the machine has: the kernel and processes keep some. */
	if (avail < 0.02 * m->ram_kb)
		avail = 0.02 * m->ram_kb;
	if (avail > 0.9 * m->ram_kb)
		avail = 0.9 * m->ram_kb;
	double commit = m->commit_kb + growth_kb + load_kb + pool_kb;
	if (commit > m->peak_kb)
		m->peak_kb = commit;
	if (i == 0 || i == m->reboot_at)
		m->peak_kb = commit * rng_uniform(&m->rng, 1.02, 1.15);
	return (struct summary){
		.memory = as_long32(m->ram_kb),
		.avail = as_long32(avail),
		.faults = (long)(int32_t)m->faults,
		.krnl = as_long32(m->krnl_kb),
		.paged_ram = as_long32(paged / 1024 * 0.85),
		.commit = as_long32(commit),
		.limit = as_long32(m->limit_kb),
		.peak = as_long32(m->peak_kb),
		.pool_n = as_long32(nonp / 1024 * 1.04 + 20000),
		.pool_p = as_long32(paged / 1024 * 1.04 + 60000),
	};
}

/* ---- output buffer ------------------------------------------------------ */

struct out {
	int fd;
	const char *path;
	char *buf;
	size_t len, cap;
	const char *eol;
	size_t eol_len;
};

static void
out_flush(struct out *o)
{
	size_t done = 0;
	while (done < o->len) {
		ssize_t n = write(o->fd, o->buf + done, o->len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die_errno("cannot write", o->path);
		}
		done += (size_t)n;
	}
	o->len = 0;
}

static void
out_reserve(struct out *o, size_t n)
{
	if (o->len + n <= o->cap)
		return;
	size_t cap = o->cap ? o->cap : 1 << 16;
	while (cap < o->len + n)
		cap *= 2;
	char *p = realloc(o->buf, cap);
	if (!p)
		die("out of memory");
	o->buf = p;
	o->cap = cap;
}

static void
out_mem(struct out *o, const char *s, size_t n)
{
	out_reserve(o, n);
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void
out_str(struct out *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

static void
out_eol(struct out *o)
{
	out_mem(o, o->eol, o->eol_len);
}

static void
out_spaces(struct out *o, int n)
{
	out_reserve(o, (size_t)n);
	memset(o->buf + o->len, ' ', (size_t)n);
	o->len += (size_t)n;
}

/* printf("%*lld", width, v) without printf: rows are the hot path. */
static void
out_num(struct out *o, int64_t v, int width)
{
	char tmp[24];
	int n = 0;
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		tmp[n++] = (char)('0' + mag % 10);
		mag /= 10;
	} while (mag);
	if (v < 0)
		tmp[n++] = '-';
	out_reserve(o, (size_t)(n > width ? n : width));
	char *p = o->buf + o->len;
	for (int k = n; k < width; k++)
		*p++ = ' ';
	while (n)
		*p++ = tmp[--n];
	o->len = (size_t)(p - o->buf);
}

static void
out_open(struct out *o, const char *path, bool append)
{
	o->path = path;
	o->fd = open(path, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0644);
	if (o->fd < 0)
		die_errno("cannot open", path);
}

static void
out_close(struct out *o)
{
	out_flush(o);
	if (close(o->fd) != 0)
		die_errno("cannot close", o->path);
	o->fd = -1;
}

/* ---- formatting one snapshot block ------------------------------------ */

static void
write_stamp_line(struct out *o, enum stamp stamp, int64_t epoch)
{
	struct civil c = civil_from_epoch(epoch);
	char line[160];
	if (stamp == STAMP_ISO)
		snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d",
			c.year, c.month, c.day, c.hour, c.min, c.sec);
	else if (stamp == STAMP_CLUE)
		snprintf(line, sizeof line, "%04d.%02d.%02d-%02d:%02d:%02d Pacific"
			" Standard Time (local time of the PC where this was collected)",
			c.year, c.month, c.day, c.hour, c.min, c.sec);
	else
		return;
	out_str(o, line);
	out_eol(o);
}

static void
write_summary(struct out *o, const struct summary *s)
{
	char line[256];
	snprintf(line, sizeof line,
		" Memory:%8ldK Avail:%8ldK  PageFlts:%6ld   InRam Krnl:%5ldK P:%5ldK",
		s->memory, s->avail, s->faults, s->krnl, s->paged_ram);
	out_str(o, line);
	out_eol(o);
	snprintf(line, sizeof line,
		" Commit:%7ldK Limit:%7ldK Peak:%7ldK            Pool N:%5ldK P:%5ldK",
		s->commit, s->limit, s->peak, s->pool_n, s->pool_p);
	out_str(o, line);
	out_eol(o);
	out_eol(o);
}

static void
write_header(struct out *o, const struct options *opt)
{
	if (opt->layout == LAYOUT_X64)
		out_str(o, " Tag  Type     Allocs            Frees               Diff"
			"            Bytes                 Per Alloc");
	else
		out_str(o, " Tag  Type     Allocs         Frees    Diff   Bytes    Per Alloc");
	if (opt->mapped)
		out_str(o, opt->layout == LAYOUT_X64 ? "       Mapped_Driver"
			: "    Mapped_Driver");
	out_eol(o);
	out_eol(o);
}

/* " %4s %5s %18I64d %18I64d  %16I64d %14I64d     %12I64d        %s" */
static void
write_row_x64(struct out *o, const struct row *w, const struct tag *t)
{
	uint32_t diff = w->allocs - w->frees;	/* current builds: mod 2^32 */
	int64_t bytes = (int64_t)w->bytes;
	int64_t per = diff ? bytes / (int64_t)diff : bytes;
	out_reserve(o, 128);
	o->buf[o->len++] = ' ';
	memcpy(o->buf + o->len, t->name, 4);
	o->len += 4;
	out_mem(o, w->paged ? " Paged " : " Nonp  ", 7);
	out_num(o, w->allocs, 18);
	out_spaces(o, 1);
	out_num(o, w->frees, 18);
	out_spaces(o, 2);
	out_num(o, diff, 16);
	out_spaces(o, 1);
	out_num(o, bytes, 14);
	out_spaces(o, 5);
	out_num(o, per, 12);
	out_spaces(o, 8);
}

/* " %4s %5s %9ld %9ld  %8ld %7ld     %6ld        %s", all 32-bit signed */
static void
write_row_x86(struct out *o, const struct row *w, const struct tag *t)
{
	int32_t allocs = (int32_t)w->allocs;
	int32_t frees = (int32_t)w->frees;
	int32_t diff = (int32_t)(w->allocs - w->frees);
	int32_t bytes = (int32_t)(uint32_t)w->bytes;
	int32_t per = (int32_t)(diff ? (int64_t)bytes / diff : bytes);
	out_reserve(o, 96);
	o->buf[o->len++] = ' ';
	memcpy(o->buf + o->len, t->name, 4);
	o->len += 4;
	out_mem(o, w->paged ? " Paged " : " Nonp  ", 7);
	out_num(o, allocs, 9);
	out_spaces(o, 1);
	out_num(o, frees, 9);
	out_spaces(o, 2);
	out_num(o, diff, 8);
	out_spaces(o, 1);
	out_num(o, bytes, 7);
	out_spaces(o, 5);
	out_num(o, per, 6);
	out_spaces(o, 8);
}

struct sort_key {
	uint64_t bytes;
	uint32_t tag;
	uint32_t row;
};

/* poolmon -b: Bytes descending; ties by tag bytes, then Nonp before Paged. */
static int
cmp_by_bytes(const void *a, const void *b)
{
	const struct sort_key *x = a, *y = b;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (x->tag != y->tag)
		return x->tag < y->tag ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

/* poolmon -t: byte-wise tag order. */
static int
cmp_by_tag(const void *a, const void *b)
{
	const struct sort_key *x = a, *y = b;
	if (x->tag != y->tag)
		return x->tag < y->tag ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

static void
write_block(struct out *o, const struct options *opt, const struct model *md,
		const struct summary *s, struct sort_key *keys)
{
	out_eol(o);	/* every poolmon -n run starts with a blank line */
	if (opt->summary)
		write_summary(o, s);
	write_header(o, opt);

	size_t nkeys = 0;
	for (long k = 0; k < md->nrows; k++) {
		const struct row *w = &md->rows[k];
		if (w->allocs == 0)	/* poolmon skips never-used entries */
			continue;
		keys[nkeys++] = (struct sort_key){
			w->bytes, tag_key(md->tags[w->tag].name), (uint32_t)k,
		};
	}
	qsort(keys, nkeys, sizeof *keys,
		opt->sort == SORT_BYTES ? cmp_by_bytes : cmp_by_tag);
	for (size_t k = 0; k < nkeys; k++) {
		const struct row *w = &md->rows[keys[k].row];
		const struct tag *t = &md->tags[w->tag];
		if (opt->layout == LAYOUT_X64)
			write_row_x64(o, w, t);
		else
			write_row_x86(o, w, t);
		if (opt->mapped)
			out_str(o, t->mapped);
		out_eol(o);
	}
}

/* ---- files -------------------------------------------------------------- */

static void
make_dirs_or_die(const char *dir)
{
	char *p = strdup(dir);
	if (!p)
		die("out of memory");
	for (char *s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char saved = *s;
			*s = '\0';
			if (mkdir(p, 0755) != 0 && errno != EEXIST)
				die_errno("cannot create directory", p);
			*s = saved;
			if (!saved)
				break;
		}
	}
	free(p);
}

static void
snapshot_path(char *buf, size_t size, const struct options *o, long i,
		int64_t epoch)
{
	int n;
	if (o->stamp == STAMP_NAME) {
		struct civil c = civil_from_epoch(epoch);
		n = snprintf(buf, size, "%s/poolmon_%04d%02d%02d-%02d%02d%02d.txt",
			o->out_dir, c.year, c.month, c.day, c.hour, c.min, c.sec);
	} else {
		n = snprintf(buf, size, "%s/poolmonlog%ld.txt", o->out_dir, i + 1);
	}
	if (n < 0 || (size_t)n >= size)
		die("output path too long");
}

static void
set_mtime_or_die(const char *path, int64_t epoch)
{
	struct timespec ts[2] = {
		{ .tv_sec = (time_t)epoch, .tv_nsec = 0 },
		{ .tv_sec = (time_t)epoch, .tv_nsec = 0 },
	};
	if (utimensat(AT_FDCWD, path, ts, 0) != 0)
		die_errno("cannot set mtime of", path);
}

/*
 * SCORING 6.1 reports stopped leaks and slow warm-ups as ambiguous.  A
 * leak that stopped is neither a leak now nor a tag that gives memory
 * back; a warm-up that has not reached 95% of its plateau (3 time
 * constants) by two thirds of the last boot epoch looks like a slowing
 * leak in any data.
 */
static int
ambiguous(const struct row *w, const struct machine *m)
{
	if (w->shape == SHAPE_LEAK_STOPPED)
		return 1;
	if (w->shape != SHAPE_WARMUP)
		return 0;
	double boot = m->reboot_at > 0 ? m->hours[m->reboot_at] : 0;
	return 3 * w->p2 > 2.0 / 3.0 * (m->window_h - boot);
}

/*
 * The onset in the last boot epoch: a reboot frees a leak, so the memory
 * at risk now began to pile up at the first leaking snapshot since the
 * reboot (the first step at or after it, or the reboot itself for a leak
 * already running), which is where a support engineer looks for what
 * started it in this boot.  -1 when the leak made no step since.
 */
static long
epoch_onset(const struct row *w, const struct machine *m)
{
	long boot = m->reboot_at > 0 ? m->reboot_at : 0;
	if (!shape_is_leak(w->shape) || w->onset < 0 || w->onset >= boot)
		return w->onset;
	if (w->shape != SHAPE_LEAK_STAIRS)
		return boot;
	long first = -1;
	for (int k = 0; k < w->nsteps; k++)
		if (w->steps[k] >= boot && (first < 0 || w->steps[k] < first))
			first = w->steps[k];
	return first;
}

static void
write_truth(const struct options *o, const struct model *md,
		const struct machine *m)
{
	FILE *f = fopen(o->truth_file, "w");
	if (!f)
		die_errno("cannot open", o->truth_file);
	fprintf(f, "tag\tpool\tshape\tis_leak\tgrowth_bytes_per_hour\tonset_index"
		"\tsnr\tbase_bytes\tambiguous\tepoch_onset_index\n");
	for (long k = 0; k < md->nrows; k++) {
		const struct row *w = &md->rows[k];
		bool leak = shape_is_leak(w->shape);
		double growth = 0;
		if (leak) {
			long on = w->onset >= 0 && w->onset < m->n ? w->onset : 0;
			double active = m->hours[m->n - 1] - m->hours[on];
			growth = active > 0 ? w->leaked_total * w->size / active : 0;
		}
		fprintf(f, "%.4s\t%s\t%s\t%d\t%.0f\t%ld\t%.2f\t%.0f\t%d\t%ld\n",
			md->tags[w->tag].name, w->paged ? "Paged" : "Nonp",
			shape_names[w->shape], leak, growth, w->onset,
			leak ? w->snr : 0.0, w->d0 * w->size,
			ambiguous(w, m), epoch_onset(w, m));
	}
	if (ferror(f) | (fclose(f) != 0))
		die_errno("cannot write", o->truth_file);
}

int
main(int argc, char **argv)
{
	struct options opt;
	parse_options(argc, argv, &opt);

	struct machine m = { 0 };
	build_machine(&m, &opt);
	struct model md;
	build_model(&md, &m, &opt);

	struct out o = { .fd = -1, .eol = opt.crlf ? "\r\n" : "\n" };
	o.eol_len = strlen(o.eol);
	struct sort_key *keys = xcalloc((size_t)md.nrows, sizeof *keys);
	char path[4096];

	if (opt.out_dir)
		make_dirs_or_die(opt.out_dir);
	else
		out_open(&o, opt.append_file, true);

	for (long i = 0; i < m.n; i++) {
		for (long k = 0; k < md.nrows; k++)
			step_row(&md.rows[k], &m, i);
		struct summary s = { 0 };
		if (opt.summary)
			s = summarise(&m, &md, i);
		if (opt.out_dir) {
			snapshot_path(path, sizeof path, &opt, i, m.epoch[i]);
			out_open(&o, path, false);
		}
		write_stamp_line(&o, opt.stamp, m.epoch[i]);
		write_block(&o, &opt, &md, &s, keys);
		if (opt.out_dir) {
			out_close(&o);
			if (opt.mtime)
				set_mtime_or_die(path, m.epoch[i]);
		} else if (o.len > (4u << 20)) {
			out_flush(&o);
		}
	}
	if (opt.append_file) {
		out_close(&o);
		if (opt.mtime)
			set_mtime_or_die(opt.append_file, m.epoch[m.n - 1]);
	}
	if (opt.truth_file)
		write_truth(&opt, &md, &m);
	/* Freed so that sanitizer builds report real leaks only. */
	free(keys);
	free(o.buf);
	free(md.rows);
	free(md.tags);
	free(m.epoch);
	free(m.hours);
	free(m.load);
	free(m.since_boot);
	return 0;
}
