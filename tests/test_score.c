/* Scoring: verdicts on shapes with a known answer, growth, onset, TTE. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pooltrend/score.h"
#include "testutil.h"

#define N 48
#define PI 3.14159265358979323846

/* Room for the longest series a test builds. */
#define NMAX (2 * N)

struct one_series {
	struct pt_snapshot snaps[NMAX];
	struct pt_row rows[NMAX];
	struct pt_timed_snapshot timed[NMAX];
	struct pt_dataset ds;
	struct pt_diags diags;
};

static double
noise(unsigned i)
{
	return pt_test_noise(i, 12345u);
}

/* An accelerating leak: 2e8 + a t^2 bytes at hour t, noise of a. */
static void
quadratic_leak(double *y, size_t n, double a)
{
	for (size_t i = 0; i < n; i++)
		y[i] = 2e8 + a * (double)i * (double)i + a * noise((unsigned)i);
}

/*
 * Turnover per outstanding allocation and hour, a constant lifetime (the
 * load test); 0 gives a flat 500 allocations an hour.
 */
static double churn_per_outstanding;
/* Otherwise, when set, churn_scale[i] x 500 allocations an hour. */
static double churn_scale[NMAX];
/* When set, the hour of each sample instead of a fixed step. */
static const double *sample_hours;

/*
 * Build a dataset of one nonpaged series with n hourly samples; bytes[i]
 * in multiples of 64 bytes per allocation.  reboot_at > 0 restarts the
 * counters there.
 */
static void
build_series(struct one_series *o, const double *bytes, size_t n,
		size_t reboot_at, bool summary, int64_t step_ms)
{
	memset(o, 0, sizeof(*o));
	int64_t allocs = 1000, prev_out = 0;
	for (size_t i = 0; i < n; i++) {
		if (reboot_at && i == reboot_at)
			allocs = prev_out = 0;
		int64_t outstanding = (int64_t)(bytes[i] / 64);
		/* Frees never fall: allocations cover every new outstanding one. */
		int64_t grown = outstanding > prev_out ? outstanding - prev_out : 0;
		/* Churn independent of what is outstanding: a leak does not
		 * make the tag busier (see the load test for one that does). */
		/* Allocations come with time, not with how often poolmon ran. */
		double per_sample = sample_hours == NULL ? 1 : i == 0 ? 1 :
			sample_hours[i] - sample_hours[i - 1];
		allocs += grown + (churn_per_outstanding > 0 ?
			(int64_t)(churn_per_outstanding * (double)outstanding) :
			churn_scale[i] > 0 ? (int64_t)(500 * churn_scale[i]) :
			(int64_t)(500 * per_sample));
		prev_out = outstanding;
		struct pt_row *r = &o->rows[i];
		memcpy(r->tag, "Test", 4);
		r->pool = PT_POOL_NONPAGED;
		r->allocs = allocs;
		r->frees = allocs - outstanding;
		r->diff = outstanding;
		r->bytes = outstanding * 64;
		o->snaps[i].rows = r;
		o->snaps[i].nrows = 1;
		o->snaps[i].line = (long)i + 1;
		if (summary) {
			o->snaps[i].summary.has_memory = true;
			o->snaps[i].summary.avail_k = 1024 * 1024; /* 1 GiB */
			o->snaps[i].summary.page_faults = reboot_at && i >= reboot_at ?
				(int64_t)i : 100000 + (int64_t)i;
		}
		o->timed[i] = (struct pt_timed_snapshot){
			&o->snaps[i], "t.txt", sample_hours != NULL ?
				(int64_t)(sample_hours[i] * 3600000) : (int64_t)i * step_ms,
		};
	}
	struct pt_error err = {0};
	pt_diags_init(&o->diags);
	ck_assert_msg(pt_dataset_build(&o->ds, o->timed, n, 0, &o->diags, &err),
		"%s", err.msg);
}

static struct pt_score
score_of_spaced(const double *bytes, size_t n, size_t reboot_at, bool summary,
		int64_t step_ms)
{
	struct one_series *o = malloc(sizeof(*o));
	ck_assert_ptr_nonnull(o);
	build_series(o, bytes, n, reboot_at, summary, step_ms);
	struct pt_score sc;
	ck_assert(pt_score_series(&o->ds, 0, &sc));
	pt_dataset_finish(&o->ds);
	pt_diags_finish(&o->diags);
	free(o);
	return sc;
}

static struct pt_score
score_of(const double *bytes, size_t n, size_t reboot_at, bool summary)
{
	return score_of_spaced(bytes, n, reboot_at, summary, 3600000);
}

START_TEST(test_ramp)
{
	ck_assert_double_eq(pt_ramp(0, 1, 4, 0, 1), 0);
	ck_assert_double_eq(pt_ramp(2.5, 1, 4, 0, 1), 0.5);
	ck_assert_double_eq(pt_ramp(9, 1, 4, 0, 1), 1);
	ck_assert_double_eq(pt_ramp(0.35, 0.1, 0.6, 1, 0), 0.5);
	ck_assert_double_eq(pt_ramp(NAN, 0, 1, 0.25, 1), 0.25);
}
END_TEST

START_TEST(test_steady_leak_is_likely)
{
	double y[N];
	for (unsigned i = 0; i < N; i++)
		y[i] = 200000 + 6400.0 * i + 3000 * noise(i);
	struct pt_score sc = score_of(y, N, 0, true);
	ck_assert_int_eq(sc.verdict, PT_VERDICT_LIKELY);
	ck_assert(sc.confidence >= PT_LIKELY_MIN);
	ck_assert(sc.has_growth);
	/* 6400 bytes per hour, within 10% despite the noise */
	ck_assert_msg(fabs(sc.growth_bph - 6400) < 640, "growth %f", sc.growth_bph);
	ck_assert(sc.growth_lo <= sc.growth_bph && sc.growth_bph <= sc.growth_hi);
	/* 1 GiB available at 6400 B/h: 19 years, not a forecast. */
	ck_assert(!sc.has_tte);
	ck_assert_str_eq(sc.tte_note, "longer than 10x the observed window");
}
END_TEST

START_TEST(test_fast_leak_has_tte_interval)
{
	/* 25 MB/h against 1 GiB available: about 43 hours. */
	double y[N];
	for (unsigned i = 0; i < N; i++)
		y[i] = 2e8 + 2.5e7 * i + 3e5 * noise(i);
	struct pt_score sc = score_of(y, N, 0, true);
	ck_assert_int_eq(sc.verdict, PT_VERDICT_LIKELY);
	ck_assert(sc.has_tte);
	ck_assert_ptr_null(sc.tte_note);
	ck_assert_msg(fabs(sc.tte_hours - 1073741824.0 / sc.growth_bph) < 1e-6,
		"tte %f", sc.tte_hours);
	ck_assert_str_eq(sc.tte_bound, "available memory");
	ck_assert(sc.tte_lo <= sc.tte_hours && sc.tte_hours <= sc.tte_hi);
	ck_assert(isfinite(sc.tte_hi));
	ck_assert(sc.has_rate_recent && !sc.accelerating);
	ck_assert(isnan(sc.tte_accelerating_hours));

	/* The same leak without -r lines: rates only. */
	sc = score_of(y, N, 0, false);
	ck_assert(!sc.has_tte);
	ck_assert_str_eq(sc.tte_note, "no -r summary lines, rates only");
}
END_TEST

/*
 * A leak whose rate rises by 0.6 MB/h every hour (bytes 2e8 + 3e5 t^2):
 * its last third grows at about 1.45 times its rate since the onset (the
 * rule compares it with the first two thirds, about 2.5 times slower),
 * and the bound that keeps the rise going comes before the steady
 * forecast.
 */
START_TEST(test_accelerating_leak_has_pessimistic_tte)
{
	double y[N];
	quadratic_leak(y, N, 3e5);
	struct pt_score sc = score_of(y, N, 0, true);
	ck_assert_int_eq(sc.verdict, PT_VERDICT_LIKELY);
	double rate = sc.has_rate_after_onset ? sc.rate_after_onset
		: sc.growth_bph;
	ck_assert_msg(sc.accelerating, "recent %f (%f to %f) rate %f",
		sc.rate_recent, sc.rate_recent_lo, sc.rate_recent_hi, rate);
	ck_assert_msg(sc.rate_recent > 1.3 * rate && sc.rate_recent_lo > rate,
		"recent %f rate %f", sc.rate_recent, rate);
	ck_assert_str_eq(sc.reason,
		"grows faster and faster and never gives memory back");
	/* The rate rises 2 x 3e5 B/h each hour; at the last sample, 47 h. */
	ck_assert_msg(fabs(sc.acceleration - 6e5) < 0.15 * 6e5, "acceleration %f",
		sc.acceleration);
	ck_assert_msg(fabs(sc.rate_end - 6e5 * 47) < 0.15 * 6e5 * 47,
		"rate at the end %f", sc.rate_end);
	ck_assert(sc.has_tte);
	ck_assert(sc.tte_accelerating_hours > 0);
	ck_assert(sc.tte_accelerating_hours < sc.tte_hours);
	/* It spends the 1 GiB: rate_end tau + acceleration tau^2 / 2. */
	double tau = sc.tte_accelerating_hours;
	ck_assert_msg(fabs(sc.rate_end * tau + sc.acceleration * tau * tau / 2 -
		1073741824.0) < 1e-3, "tau %f", tau);

	/* Without -r lines there is nothing to use up. */
	sc = score_of(y, N, 0, false);
	ck_assert(sc.accelerating);
	ck_assert(isnan(sc.tte_accelerating_hours));
}
END_TEST

/* Restarted by a reboot at hour 16: the 32 hours since are enough. */
START_TEST(test_accelerating_after_reboot)
{
	double y[N];
	for (unsigned i = 0; i < N; i++) {
		double t = i < 16 ? i : i - 16.0;
		y[i] = 2e8 + 3e5 * t * t + 3e5 * noise(i);
	}
	struct pt_score sc = score_of(y, N, 16, true);
	ck_assert_int_eq(sc.verdict, PT_VERDICT_LIKELY);
	ck_assert_msg(sc.accelerating, "recent %f", sc.rate_recent);
	ck_assert_msg(fabs(sc.acceleration - 6e5) < 0.15 * 6e5, "acceleration %f",
		sc.acceleration);
}
END_TEST

/*
 * Slower: at its current rate the 1 GiB lasts past ten times the 47 h
 * window, so there is no steady forecast; rising 60 KB/h every hour, it
 * is gone in about 150 h, and that bound is still given.
 */
START_TEST(test_accelerating_bound_without_steady_forecast)
{
	double y[N];
	quadratic_leak(y, N, 3e4);
	struct pt_score sc = score_of(y, N, 0, true);
	ck_assert(sc.accelerating);
	ck_assert(!sc.has_tte);
	ck_assert_str_eq(sc.tte_note, "longer than 10x the observed window");
	ck_assert_msg(sc.tte_accelerating_hours > 100 &&
		sc.tte_accelerating_hours < 200, "bound %f",
		sc.tte_accelerating_hours);
}
END_TEST

/*
 * What makes one third fast by chance is not acceleration: a steady leak
 * on a daily load wave, and a staircase whose last step falls in its
 * last third.
 */
START_TEST(test_wave_and_late_step_are_not_accelerating)
{
	double y[N];
	for (unsigned i = 0; i < N; i++)
		y[i] = 2e8 + 2.5e6 * i + 1.5e7 * sin(2 * PI * i / 24.0 + 1) +
			3e5 * noise(i);
	struct pt_score sc = score_of(y, N, 0, true);
	ck_assert_msg(sc.verdict != PT_VERDICT_UNLIKELY, "wave: %s", sc.reason);
	ck_assert(sc.has_rate_recent);
	ck_assert_msg(!sc.accelerating, "wave: recent %f (%f to %f), growth %f",
		sc.rate_recent, sc.rate_recent_lo, sc.rate_recent_hi,
		sc.growth_bph);
	ck_assert(isnan(sc.tte_accelerating_hours));

	for (unsigned i = 0; i < N; i++)
		y[i] = 2e8 + 2e7 * ((i >= 10) + (i >= 22) + (i >= 40)) +
			3e5 * noise(i);
	sc = score_of(y, N, 0, true);
	ck_assert_msg(sc.verdict != PT_VERDICT_UNLIKELY, "steps: %s", sc.reason);
	ck_assert_msg(!sc.accelerating, "steps: recent %f (%f to %f)",
		sc.rate_recent, sc.rate_recent_lo, sc.rate_recent_hi);
}
END_TEST

/*
 * A steady 2 MB/h leak on a daily load wave, sampled hourly for two days
 * and then every 5 minutes for two hours: by sample count the last third
 * is mostly those two hours, where the wave happens to climb; by time it
 * is the last 17 hours.  Not accelerating.
 */
START_TEST(test_faster_sampling_at_the_end_is_not_acceleration)
{
	enum { HOURLY = 49, DENSE = 24, M = HOURLY + DENSE };
	double hours[M], y[M];
	for (unsigned i = 0; i < M; i++) {
		hours[i] = i < HOURLY ? i : HOURLY - 1 + (i - HOURLY + 1) / 12.0;
		y[i] = 5e7 + 2e6 * hours[i] +
			1e7 * sin(2 * PI * (hours[i] + 1) / 24.0) + 2e4 * noise(i);
	}
	sample_hours = hours;
	struct pt_score sc = score_of(y, M, 0, true);
	sample_hours = NULL;
	ck_assert_msg(sc.verdict != PT_VERDICT_UNLIKELY, "%s", sc.reason);
	ck_assert(sc.has_rate_recent);
	ck_assert_msg(!sc.accelerating, "recent %f (%f to %f)", sc.rate_recent,
		sc.rate_recent_lo, sc.rate_recent_hi);
	ck_assert(isnan(sc.tte_accelerating_hours));
}
END_TEST

/*
 * 30 hourly samples, then one more a day later: the last third of the
 * time holds one sample, too few for a recent rate, however fast the
 * growth to it was.
 */
START_TEST(test_recent_rate_needs_samples_in_the_last_third)
{
	enum { M = 31 };
	double hours[M], y[M];
	for (unsigned i = 0; i < M; i++) {
		hours[i] = i < M - 1 ? i : 54;
		y[i] = 2e8 + 3e5 * hours[i] * hours[i] + 3e5 * noise(i);
	}
	sample_hours = hours;
	struct pt_score sc = score_of(y, M, 0, true);
	sample_hours = NULL;
	ck_assert_msg(sc.verdict != PT_VERDICT_UNLIKELY, "%s", sc.reason);
	ck_assert(!sc.has_rate_recent && !sc.accelerating);
	ck_assert(isnan(sc.tte_accelerating_hours));
}
END_TEST

/*
 * The quadratic leak of test_accelerating_leak_has_pessimistic_tte at
 * the m sample times hours[] is likely, has a recent rate and is
 * accelerating; what names the sampling in a failure.
 */
static void
assert_accelerating_at(const double *hours, size_t m, unsigned what)
{
	double y[NMAX];
	for (size_t i = 0; i < m; i++)
		y[i] = 2e8 + 3e5 * hours[i] * hours[i] + 3e5 * noise((unsigned)i);
	sample_hours = hours;
	struct pt_score sc = score_of(y, m, 0, true);
	sample_hours = NULL;
	ck_assert_int_eq(sc.verdict, PT_VERDICT_LIKELY);
	ck_assert_msg(sc.has_rate_recent && sc.accelerating,
		"sampling %u: recent %f (%f to %f)", what, sc.rate_recent,
		sc.rate_recent_lo, sc.rate_recent_hi);
}

/*
 * 32 hourly samples (about 26 since the onset) whose collector runs up
 * to 6 minutes early or late, the first and last snapshots too: still
 * accelerating, as on the exact hour, whatever the jitter.
 */
START_TEST(test_accelerating_despite_jitter)
{
	enum { M = 32 };
	double hours[M];
	for (unsigned salt = 0; salt < 8; salt++) {
		for (unsigned i = 0; i < M; i++)
			hours[i] = i + 0.1 * pt_test_noise(i, 100 + salt);
		assert_accelerating_at(hours, M, salt);
	}
}
END_TEST

/*
 * Uneven sampling: hourly, then every 5 minutes for two hours; every two
 * hours, then hourly; and hourly with the last snapshot two hours late.
 * The slow stretches leave spans empty, yet each part is read: by its
 * count of spans with samples, or (the last) by their share.
 */
START_TEST(test_accelerating_with_uneven_sampling)
{
	enum { M = 52 };
	double hours[M];
	for (unsigned i = 0; i < M; i++)
		hours[i] = i < 28 ? i : 27 + (i - 27) / 12.0;
	assert_accelerating_at(hours, M, 0);
	for (unsigned i = 0; i < M; i++)
		hours[i] = i < 16 ? 2.0 * i : 30 + (i - 15);
	assert_accelerating_at(hours, M, 1);
	for (unsigned i = 0; i < 30; i++)
		hours[i] = i < 29 ? i : 30;
	assert_accelerating_at(hours, 30, 2);
}
END_TEST

/*
 * A steady leak sampled hourly for two days, then after a gap for
 * another half day: the spans after the gap are a sixth of the time and
 * must not stand for the last third, where a load wave's climb or one
 * late step would make it fast.
 */
START_TEST(test_bunched_spans_are_not_acceleration)
{
	enum { M = 60 };
	double hours[M], y[M];
	for (unsigned i = 0; i < M; i++) {
		hours[i] = i < 48 ? i : 63 + (i - 48.0);
		y[i] = 2e8 + 2.5e6 * hours[i] +
			1e7 * sin(2 * PI * hours[i] / 24.0 + PI / 6) + 3e5 * noise(i);
	}
	sample_hours = hours;
	struct pt_score sc = score_of(y, M, 0, true);
	ck_assert_msg(!sc.accelerating, "wave: recent %f (%f to %f)",
		sc.rate_recent, sc.rate_recent_lo, sc.rate_recent_hi);
	for (unsigned i = 0; i < 58; i++) {
		hours[i] = i < 48 ? i : 57 + (i - 48.0);
		y[i] = 2e8 + 2.5e6 * hours[i] + (hours[i] > 60.5 ? 4e7 : 0) +
			3e5 * pt_test_noise(i, 778);
	}
	sc = score_of(y, 58, 0, true);
	sample_hours = NULL;
	ck_assert_msg(!sc.accelerating, "step: recent %f (%f to %f)",
		sc.rate_recent, sc.rate_recent_lo, sc.rate_recent_hi);
}
END_TEST

START_TEST(test_load_following_is_unlikely)
{
	double y[N];
	for (unsigned i = 0; i < N; i++)
		y[i] = 3e6 + 2e6 * sin(i * 2 * PI / 24) + 1e5 * noise(i);
	struct pt_score sc = score_of(y, N, 0, false);
	ck_assert_int_eq(sc.verdict, PT_VERDICT_UNLIKELY);
	ck_assert(!sc.has_tte);
}
END_TEST

START_TEST(test_flat_is_unlikely)
{
	double y[N];
	for (unsigned i = 0; i < N; i++)
		y[i] = 640000;
	struct pt_score sc = score_of(y, N, 0, false);
	ck_assert_int_eq(sc.verdict, PT_VERDICT_UNLIKELY);
	ck_assert_double_eq(sc.confidence, 0);
	ck_assert_double_eq_tol(sc.growth_bph, 0, 1e-9);
}
END_TEST

START_TEST(test_warmup_plateau_is_not_likely)
{
	double y[N];
	for (unsigned i = 0; i < N; i++)
		y[i] = 1e5 + 4e5 * (1 - exp(-(double)i / 3)) + 2000 * noise(i);
	struct pt_score sc = score_of(y, N, 0, false);
	ck_assert_int_ne(sc.verdict, PT_VERDICT_LIKELY);
}
END_TEST

START_TEST(test_leak_restarting_after_reboot_is_likely)
{
	double y[N];
	for (unsigned i = 0; i < N; i++) {
		unsigned k = i < 20 ? i : i - 20;
		y[i] = 50000 + 12800.0 * k + 2000 * noise(i);
	}
	struct pt_score sc = score_of(y, N, 20, true);
	ck_assert_int_eq(sc.verdict, PT_VERDICT_LIKELY);
	ck_assert_uint_eq(sc.growth_epoch, 1);
	ck_assert_msg(fabs(sc.growth_bph - 12800) < 1280, "growth %f", sc.growth_bph);
}
END_TEST

/* One nonpaged series of hourly samples y, scored, and the machine's TTE. */
struct machine_run {
	struct one_series *o;
	struct pt_score *scores;
	struct pt_machine_tte machine;
};

static void
run_machine(struct machine_run *r, const double *y, size_t reboot_at)
{
	r->o = malloc(sizeof(*r->o));
	ck_assert_ptr_nonnull(r->o);
	build_series(r->o, y, N, reboot_at, true, 3600000);
	struct pt_error err = {0};
	r->scores = pt_score_all(&r->o->ds, &err);
	ck_assert_ptr_nonnull(r->scores);
	ck_assert(pt_machine_tte(&r->o->ds, r->scores, &r->machine));
}

static void
machine_run_finish(struct machine_run *r)
{
	free(r->scores);
	pt_dataset_finish(&r->o->ds);
	pt_diags_finish(&r->o->diags);
	free(r->o);
}

START_TEST(test_machine_tte)
{
	/* One fast nonpaged leak, 1 GiB available: the machine's nonpaged
	 * TTE is that headroom over the confidence-weighted rate. */
	double y[N];
	for (unsigned i = 0; i < N; i++)
		y[i] = 2e8 + 2.5e7 * i + 3e5 * noise(i);
	struct machine_run r;
	run_machine(&r, y, 0);
	const struct pt_score *sc = r.scores;
	const struct pt_machine_tte *m = &r.machine;
	const struct pt_pool_tte *np = &m->pool[PT_POOL_NONPAGED];
	double rate = sc[0].has_rate_after_onset ? sc[0].rate_after_onset :
		sc[0].growth_bph;
	ck_assert(np->has_tte && np->has_tte_likely);
	ck_assert_msg(fabs(np->tte_hours - 1073741824.0 /
		(sc[0].confidence * rate)) < 1e-6, "tte %f", np->tte_hours);
	ck_assert_double_eq_tol(np->tte_likely_hours, 1073741824.0 / rate, 1e-6);
	ck_assert(!sc[0].accelerating && !np->has_tte_accelerating);
	/* No paged series and no Commit line: rates only. */
	ck_assert(!m->pool[PT_POOL_PAGED].has_tte);
	ck_assert_str_eq(m->pool[PT_POOL_PAGED].note,
		"no -r summary lines, rates only");
	machine_run_finish(&r);
}
END_TEST

/*
 * The accelerating leak of test_accelerating_leak_has_pessimistic_tte
 * gives the machine's nonpaged pool the same kind of bound, from the
 * confidence-weighted end rate and acceleration.
 */
START_TEST(test_machine_tte_accelerating)
{
	double y[N];
	quadratic_leak(y, N, 3e5);
	struct machine_run r;
	run_machine(&r, y, 0);
	const struct pt_score *sc = r.scores;
	const struct pt_machine_tte *m = &r.machine;
	const struct pt_pool_tte *np = &m->pool[PT_POOL_NONPAGED];
	ck_assert(sc[0].accelerating);
	ck_assert(np->has_tte && np->has_tte_accelerating);
	ck_assert(np->tte_accelerating_hours < np->tte_hours);
	double w = sc[0].confidence, tau = np->tte_accelerating_hours;
	ck_assert_msg(fabs(w * sc[0].rate_end * tau +
		w * sc[0].acceleration * tau * tau / 2 - 1073741824.0) < 1e-3,
		"tau %f", tau);
	ck_assert(!m->pool[PT_POOL_PAGED].has_tte_accelerating);
	machine_run_finish(&r);
}
END_TEST

/*
 * The same leak, then a reboot with two samples since: the flag stays
 * (the growth epoch did accelerate), but neither the tag nor the machine
 * gets a bound, since the leak starts slow again after a reboot.
 */
START_TEST(test_no_accelerating_bound_after_reboot)
{
	double y[N];
	quadratic_leak(y, N, 3e5);
	for (unsigned i = N - 2; i < N; i++)
		y[i] = 2e6 + 1e4 * noise(i);
	struct machine_run r;
	run_machine(&r, y, N - 2);
	const struct pt_score *sc = r.scores;
	ck_assert_uint_eq(sc[0].growth_epoch, 0);
	ck_assert_msg(sc[0].accelerating, "recent %f", sc[0].rate_recent);
	ck_assert(isnan(sc[0].tte_accelerating_hours));
	ck_assert(!r.machine.pool[PT_POOL_NONPAGED].has_tte_accelerating);
	machine_run_finish(&r);
}
END_TEST

START_TEST(test_late_onset_is_found)
{
	double y[N];
	for (unsigned i = 0; i < N; i++)
		y[i] = 100000 + (i > 30 ? 9600.0 * (i - 30) : 0) + 500 * noise(i);
	struct pt_score sc = score_of(y, N, 0, false);
	ck_assert(sc.has_onset);
	int64_t onset_h = sc.onset_ms / 3600000;
	ck_assert_msg(onset_h >= 28 && onset_h <= 32, "onset %lld", (long long)onset_h);
	ck_assert_int_ne(sc.verdict, PT_VERDICT_UNLIKELY);
	/* The slope over the whole epoch understates the leak; the rate
	 * since the onset does not. */
	ck_assert(sc.growth_bph < 7000);
	ck_assert(sc.has_rate_after_onset);
	ck_assert_msg(fabs(sc.rate_after_onset - 9600) < 500, "rate %f",
		sc.rate_after_onset);
	ck_assert(sc.rate_after_onset_lo <= sc.rate_after_onset &&
		sc.rate_after_onset <= sc.rate_after_onset_hi);
	/* 150 leaked an hour against 500 freed: about 23% never freed. */
	ck_assert(sc.has_never_freed);
	ck_assert_msg(sc.never_freed_share > 0.15 && sc.never_freed_share < 0.3,
		"never freed %f", sc.never_freed_share);
}
END_TEST

/* A staircase of `steps` equal steps up, the first at sample `first`. */
static void
staircase(double *y, unsigned first, unsigned gap, unsigned steps)
{
	for (unsigned i = 0; i < N; i++) {
		unsigned up = 0;
		for (unsigned k = 0; k < steps; k++)
			up += i >= first + k * gap;
		y[i] = 100000 + 20000.0 * up + 500 * noise(i);
	}
}

static int64_t
onset_hour_of(const double *y)
{
	struct pt_score sc = score_of(y, N, 0, false);
	ck_assert_int_ne(sc.verdict, PT_VERDICT_UNLIKELY);
	ck_assert(sc.has_onset);
	return sc.onset_ms / 3600000;
}

/*
 * The onset of a staircase is its first step (the knot is the last
 * sample before it), whether a hinge would put its knot before the
 * stairs (a line through them) or inside them.
 */
START_TEST(test_staircase_onset_is_first_step)
{
	static const unsigned first[] = { 6, 9, 14, 20 };
	for (size_t c = 0; c < sizeof first / sizeof *first; c++) {
		double y[N];
		staircase(y, first[c], (N - first[c]) / 4, 4);
		int64_t h = onset_hour_of(y);
		ck_assert_msg(h >= (int64_t)first[c] - 2 && h <= (int64_t)first[c],
			"first step %u, onset %lld", first[c], (long long)h);
	}
}
END_TEST

/*
 * Small steps then large ones: a hinge bends where the large ones begin,
 * inside the stairs; the onset is still the first step.
 */
START_TEST(test_growing_staircase_onset_is_first_step)
{
	static const unsigned at[] = { 12, 20, 30, 38 };
	static const double size[] = { 8000, 8000, 40000, 40000 };
	double y[N];
	for (unsigned i = 0; i < N; i++) {
		y[i] = 100000 + 500 * noise(i);
		for (size_t k = 0; k < 4; k++)
			y[i] += i >= at[k] ? size[k] : 0;
	}
	int64_t h = onset_hour_of(y);
	ck_assert_msg(h >= 10 && h <= 12, "onset %lld", (long long)h);
}
END_TEST

/* A leak from the first sample keeps its onset at the start. */
START_TEST(test_steady_onset_is_start)
{
	double y[N];
	for (unsigned i = 0; i < N; i++)
		y[i] = 100000 + 2000.0 * i + 500 * noise(i);
	ck_assert_int_le(onset_hour_of(y), 1);
}
END_TEST

START_TEST(test_level_shift_is_not_likely)
{
	double y[N];
	for (unsigned i = 0; i < N; i++)
		y[i] = (i < 26 ? 2.8e7 : 5.2e7) + 6e5 * noise(i);
	struct pt_score sc = score_of(y, N, 0, false);
	ck_assert_int_eq(sc.verdict, PT_VERDICT_UNLIKELY);
	ck_assert_msg(sc.step_share > 0.8, "step share %f", sc.step_share);
	ck_assert_str_eq(sc.reason, "one level shift, no growth before or after it");
}
END_TEST

START_TEST(test_staircase_leak_is_found)
{
	/* Four steps of 256 KB, each kept: a leak that happens in bursts. */
	double y[N];
	for (unsigned i = 0; i < N; i++)
		y[i] = 1e6 + 262144.0 * (i / 12) + 4000 * noise(i);
	struct pt_score sc = score_of(y, N, 0, false);
	ck_assert_msg(sc.verdict == PT_VERDICT_LIKELY, "confidence %f (%s) "
		"z_within %.2f load %d step %.2f", sc.confidence, sc.reason,
		sc.z_within, sc.load_adjusted, sc.f_step);
}
END_TEST

START_TEST(test_noisy_leak_is_found)
{
	/* 48 h, 1.2 MB of growth under noise of +-300 KB. */
	double y[N];
	for (unsigned i = 0; i < N; i++)
		y[i] = 5e6 + 25600.0 * i + 3e5 * noise(i);
	struct pt_score sc = score_of(y, N, 0, false);
	ck_assert_msg(sc.verdict == PT_VERDICT_LIKELY, "confidence %f (%s) "
		"z_within %.2f load %d step %.2f", sc.confidence, sc.reason,
		sc.z_within, sc.load_adjusted, sc.f_step);
	/* Its last third, under that noise, is no faster. */
	ck_assert(sc.has_rate_recent);
	ck_assert(!sc.accelerating);
}
END_TEST

START_TEST(test_warmup_reason)
{
	double y[N];
	for (unsigned i = 0; i < N; i++)
		y[i] = 1.7e7 + 4e7 * (1 - exp(-(double)i / 10)) + 2e5 * noise(i);
	struct pt_score sc = score_of(y, N, 0, false);
	ck_assert_int_ne(sc.verdict, PT_VERDICT_LIKELY);
	ck_assert_msg(sc.half_ratio < 0.5, "half ratio %f", sc.half_ratio);
}
END_TEST

START_TEST(test_equal_times_give_no_growth)
{
	/* A forced time source can date every snapshot alike. */
	double y[N];
	for (unsigned i = 0; i < N; i++)
		y[i] = 1e5 + 6400.0 * i;
	struct pt_score sc = score_of_spaced(y, N, 0, false, 0);
	ck_assert(!sc.has_growth);
	ck_assert(!sc.has_tte);
}
END_TEST

START_TEST(test_growth_epoch_needs_three_samples)
{
	/* 10 samples, a reboot, then 2: the slope comes from epoch 0. */
	double y[12];
	for (unsigned i = 0; i < 12; i++)
		y[i] = 1e5 + 6400.0 * (i < 10 ? i : i - 10);
	struct pt_score sc = score_of(y, 12, 10, true);
	ck_assert(sc.has_growth);
	ck_assert_uint_eq(sc.growth_epoch, 0);
	ck_assert_msg(fabs(sc.growth_bph - 6400) < 1, "growth %f", sc.growth_bph);
}
END_TEST

START_TEST(test_too_few_samples)
{
	double y[3] = { 1000, 2000, 3000 };
	struct pt_score sc = score_of(y, 3, 0, false);
	ck_assert_int_eq(sc.verdict, PT_VERDICT_UNLIKELY);
	ck_assert_str_eq(sc.reason, "too few samples to judge");
}
END_TEST

START_TEST(test_rise_with_own_turnover_is_load)
{
	/*
	 * Bytes triple over two days, smoothly.  With the tag's turnover
	 * flat that is a leak; with the turnover rising in step (a constant
	 * lifetime, Little's law) it is load, and the load check says so.
	 */
	double y[N];
	for (unsigned i = 0; i < N; i++)
		y[i] = 1e6 + 4.2e4 * i + 5000 * noise(i);
	struct pt_score leak = score_of(y, N, 0, false);
	ck_assert_int_eq(leak.verdict, PT_VERDICT_LIKELY);

	churn_per_outstanding = 2;
	struct pt_score load = score_of(y, N, 0, false);
	churn_per_outstanding = 0;
	ck_assert(load.load_adjusted);
	ck_assert_msg(load.verdict != PT_VERDICT_LIKELY, "confidence %f",
		load.confidence);
}
END_TEST

START_TEST(test_shift_on_a_wave_is_one_jump)
{
	/*
	 * A 16% level shift at hour 28 on a slow wave: the wave gives the
	 * segments around the shift a trend and the floors more than one
	 * rise, but the segments' own lines rise little; the rise is the
	 * jump between them.
	 */
	double y[N];
	for (unsigned i = 0; i < N; i++)
		y[i] = 1e7 + (i >= 28 ? 1.6e6 : 0) + 4e5 * sin(i * 2 * PI / 32) +
			2e5 * noise(i);
	struct pt_score sc = score_of(y, N, 0, false);
	ck_assert_msg(sc.verdict == PT_VERDICT_UNLIKELY, "confidence %f",
		sc.confidence);
	ck_assert_msg(sc.rise_share < 0.3, "within share %f", sc.rise_share);
	ck_assert_str_eq(sc.reason, "rose in one jump: a level shift, not growth");
}
END_TEST

START_TEST(test_staircase_freed_by_reboot_is_found)
{
	/*
	 * Three steps of 256 KB in the first 32 hours, a reboot that frees
	 * them, and one step since: the current epoch alone is one level
	 * shift, but the epoch before shows the leak's staircase.
	 */
	double y[N];
	for (unsigned i = 0; i < N; i++)
		y[i] = 1e6 + 262144.0 * (i < 32 ? (i + 4) / 9 : i >= 40) +
			4000 * noise(i);
	struct pt_score sc = score_of(y, N, 32, true);
	ck_assert_msg(sc.verdict != PT_VERDICT_UNLIKELY, "confidence %f (%s)",
		sc.confidence, sc.reason);
	ck_assert_msg(sc.z_within > 2.5, "z within %f", sc.z_within);
}
END_TEST

START_TEST(test_late_leak_after_reboot_is_likely)
{
	/*
	 * Flat for a day, a reboot, eight flat hours, then 25 KB/h: the flat
	 * first epoch says nothing about what the leak keeps, so retention
	 * weighs the epochs by how far they moved.
	 */
	double y[N];
	for (unsigned i = 0; i < N; i++)
		y[i] = 1e6 + (i >= 32 ? 25600.0 * (i - 32) : 0) + 8000 * noise(i);
	struct pt_score sc = score_of(y, N, 24, true);
	ck_assert_msg(sc.verdict == PT_VERDICT_LIKELY, "confidence %f (%s)",
		sc.confidence, sc.reason);
	ck_assert_msg(sc.retention > 0.8, "retention %f", sc.retention);
}
END_TEST

START_TEST(test_load_check_vetoes_rise_with_turnover)
{
	/* The series of test_rise_with_own_turnover_is_load: with the tag's
	 * turnover rising in step, Bytes over the turnover rate is flat. */
	double y[N];
	for (unsigned i = 0; i < N; i++)
		y[i] = 1e6 + 4.2e4 * i + 5000 * noise(i);
	churn_per_outstanding = 2;
	struct pt_score sc = score_of(y, N, 0, false);
	churn_per_outstanding = 0;
	ck_assert_msg(sc.verdict == PT_VERDICT_UNLIKELY, "confidence %f",
		sc.confidence);
	ck_assert_msg(fabs(sc.load_ratio) < 0.05, "slope ratio %f",
		sc.load_ratio);
	ck_assert_str_eq(sc.reason,
		"rises with its own allocation rate: load, not a leak");
}
END_TEST

START_TEST(test_within_shift_of_earlier_growth_epoch_is_adjusted)
{
	/*
	 * Bytes that follow the tag's own rising turnover, with a reboot
	 * before the last snapshot: the growth epoch is the one before, and
	 * its within-shift Z is read on the load-adjusted view alone, as
	 * without the reboot, not the larger of that and the raw one.
	 */
	double y[N];
	for (unsigned i = 0; i < N; i++) {
		churn_scale[i] = 1 + 0.03 * i;
		y[i] = 1e6 * churn_scale[i] * (1 + 0.03 * noise(i));
	}
	struct pt_score whole = score_of(y, N, 0, true);
	struct pt_score rebooted = score_of(y, N, N - 1, true);
	memset(churn_scale, 0, sizeof(churn_scale));
	ck_assert(whole.load_adjusted && rebooted.load_adjusted);
	ck_assert_uint_eq(rebooted.growth_epoch, 0);
	ck_assert_msg(whole.z_within < 1.5, "z within %f", whole.z_within);
	ck_assert_msg(rebooted.z_within < 1.5, "z within after the reboot %f",
		rebooted.z_within);
	ck_assert_msg(fabs(rebooted.f_within - whole.f_within) < 0.1,
		"within factor %f, without the reboot %f", rebooted.f_within,
		whole.f_within);
}
END_TEST

START_TEST(test_cache_filled_early_is_unlikely)
{
	/*
	 * A cache that fills in a few hours, then a swing of load lifts the
	 * last twelve: the end slopes no longer say "levelled off", but
	 * half of the rise was there in the first tenth of the epoch.
	 */
	double y[N];
	for (unsigned i = 0; i < N; i++)
		y[i] = 1e5 + 4e5 * (1 - exp(-(double)i / 3)) +
			(i >= 36 ? 10000.0 * (i - 36) : 0) + 3000 * noise(i);
	struct pt_score sc = score_of(y, N, 0, false);
	ck_assert_msg(sc.verdict == PT_VERDICT_UNLIKELY, "confidence %f",
		sc.confidence);
	ck_assert_msg(sc.half_rise < 0.1, "half rise at %f", sc.half_rise);
	ck_assert_str_eq(sc.reason,
		"reached its level early and held it, like a cache");
}
END_TEST

START_TEST(test_growth_gate_reads_what_load_leaves)
{
	/*
	 * A leak per operation; after a reboot at hour 16 the tag's load
	 * falls by 1.2% an hour, and Bytes with it, faster than the leak
	 * adds: the current slope is down, Bytes over the turnover rate up.
	 */
	double y[N];
	for (unsigned i = 0; i < N; i++) {
		double load = i < 16 ? 1 : 1 - 0.012 * (i - 16);
		churn_scale[i] = 20 * load;
		y[i] = 2e6 * load + 20000.0 * (i < 16 ? i : i - 16) +
			3000 * noise(i);
	}
	struct pt_score sc = score_of(y, N, 16, true);
	ck_assert_msg(sc.growth_bph <= 0, "growth %f", sc.growth_bph);
	ck_assert(sc.load_adjusted);
	/* What the load leaves rises faster than Bytes fall: in full. */
	ck_assert_msg(sc.adjusted_slope >= -sc.growth_bph, "adjusted %f",
		sc.adjusted_slope);
	ck_assert_double_eq(sc.f_growth, 1);

	/* A tenth of that leak: a sliver against the fall, half. */
	for (unsigned i = 0; i < N; i++) {
		double load = i < 16 ? 1 : 1 - 0.012 * (i - 16);
		y[i] = 2e6 * load + 2000.0 * (i < 16 ? i : i - 16) +
			3000 * noise(i);
	}
	sc = score_of(y, N, 16, true);
	memset(churn_scale, 0, sizeof(churn_scale));
	ck_assert(sc.load_adjusted && sc.growth_bph <= 0);
	ck_assert_msg(sc.adjusted_slope > 0 &&
		sc.adjusted_slope < -sc.growth_bph / 2, "adjusted %f growth %f",
		sc.adjusted_slope, sc.growth_bph);
	ck_assert_double_eq(sc.f_growth, 0.5);
}
END_TEST

START_TEST(test_growth_gate_is_monotone_in_the_slope)
{
	/*
	 * The tag's turnover falls by 1.2% an hour, so what the load leaves
	 * rises whether Bytes fall a little, stay flat or rise a little (the
	 * last inside noise that puts the 95% interval across zero): the
	 * gate must not give falling Bytes more than flat or rising ones.
	 */
	static const double slope[] = { -100, 0, 300 };
	static const double jitter[] = { 0, 0, 20000 };
	double f[3];
	for (unsigned c = 0; c < 3; c++) {
		double y[N];
		for (unsigned i = 0; i < N; i++) {
			churn_scale[i] = 20 * (1 - 0.012 * i);
			y[i] = 2e6 + slope[c] * i + jitter[c] * noise(i);
		}
		struct pt_score sc = score_of(y, N, 0, false);
		ck_assert(sc.load_adjusted && sc.adjusted_slope > 0);
		if (c == 1)
			ck_assert_double_eq(sc.growth_bph, 0);
		if (c == 2)
			ck_assert_msg(sc.growth_bph > 0 && sc.growth_lo <= 0,
				"growth %f, low %f", sc.growth_bph, sc.growth_lo);
		f[c] = sc.f_growth;
	}
	memset(churn_scale, 0, sizeof(churn_scale));
	ck_assert_double_eq(f[0], 1);
	ck_assert_msg(f[1] == 1 && f[2] == 1, "flat %f, rising %f", f[1], f[2]);
}
END_TEST

/*
 * A machine busier every afternoon whose load ramps up 2.5-fold: BUSY
 * tags turn over in step with it (the machine's load index), one quiet tag
 * (10 allocations an hour, too few for its own load check; or, with
 * churn_per_load > 0, that many times the load, a busy one) has quiet[i]
 * bytes.  Returns the quiet tag's score with the machine's load, and in
 * *alone its score without (pt_score_series).
 */
#define MN 96
#define BUSY 12

static double
machine_load_at(unsigned i)
{
	double burst = i % 24 >= 9 && i % 24 < 14 ? 0.8 : 0;
	return (1 + burst) * (1 + 1.5 * i / (double)MN);
}

struct ramp_machine {
	struct pt_snapshot snaps[MN];
	struct pt_row rows[MN * (BUSY + 1)];
	struct pt_timed_snapshot timed[MN];
	struct pt_dataset ds;
	struct pt_diags diags;
};

/* When set, the snapshot whose file was cut after five busy rows (the
 * quiet tag's row is kept). */
static unsigned truncated_at;

/* The machine above with its first nbusy (<= BUSY) busy tags. */
static struct ramp_machine *
ramp_machine_build(const double *quiet, double churn_per_load, unsigned nbusy)
{
	struct ramp_machine *m = calloc(1, sizeof(*m));
	ck_assert_ptr_nonnull(m);
	int64_t allocs[BUSY + 1] = {0};
	unsigned w = nbusy + 1;
	for (unsigned i = 0; i < MN; i++) {
		for (unsigned k = 0; k < w; k++) {
			bool busy = k < nbusy;
			struct pt_row *r = &m->rows[i * w + k];
			int64_t out = busy ? 1000 + 100 * k :
				(int64_t)(quiet[i] / 64);
			double churn = busy ? (300 + 40 * k) *
				machine_load_at(i) * (1 + 0.05 * noise(i * 31 + k)) :
				churn_per_load > 0 ?
				churn_per_load * machine_load_at(i) : 10;
			allocs[k] += (int64_t)churn + (i == 0 ? out : 0);
			if (!busy && i > 0 && out > m->rows[(i - 1) * w + k].diff)
				allocs[k] += out - m->rows[(i - 1) * w + k].diff;
			memcpy(r->tag, busy ? "Busy" : "Qiet", 4);
			r->tag[3] = busy ? (uint8_t)('A' + k) : 't';
			r->pool = PT_POOL_NONPAGED;
			r->allocs = allocs[k];
			r->frees = allocs[k] - out;
			r->diff = out;
			r->bytes = out * 64;
		}
		m->snaps[i].rows = &m->rows[i * w];
		m->snaps[i].nrows = w;
		if (truncated_at && i == truncated_at && nbusy > 5) {
			m->rows[i * w + 5] = m->rows[i * w + nbusy];
			m->snaps[i].nrows = 6;
		}
		m->snaps[i].line = (long)i + 1;
		m->timed[i] = (struct pt_timed_snapshot){ &m->snaps[i], "t.txt",
			(int64_t)i * 3600000 };
	}
	struct pt_error err = {0};
	pt_diags_init(&m->diags);
	ck_assert_msg(pt_dataset_build(&m->ds, m->timed, MN, 0, &m->diags,
		&err), "%s", err.msg);
	return m;
}

static void
ramp_machine_destroy(struct ramp_machine *m)
{
	pt_dataset_finish(&m->ds);
	pt_diags_finish(&m->diags);
	free(m);
}

static struct pt_score
tag_on_ramp(const double *quiet, double churn_per_load,
		struct pt_score *alone)
{
	struct ramp_machine *m = ramp_machine_build(quiet, churn_per_load,
		BUSY);
	size_t q = m->ds.nseries;
	for (size_t s = 0; s < m->ds.nseries; s++)
		if (memcmp(m->ds.series[s].tag, "Qiet", 4) == 0)
			q = s;
	ck_assert_uint_lt(q, m->ds.nseries);
	struct pt_error err = {0};
	struct pt_score *all = pt_score_all(&m->ds, &err);
	ck_assert_ptr_nonnull(all);
	struct pt_score sc = all[q];
	ck_assert(pt_score_series(&m->ds, q, alone));
	free(all);
	ramp_machine_destroy(m);
	return sc;
}

START_TEST(test_load_index_follows_busy_tags)
{
	double y[MN], l[MN];
	for (unsigned i = 0; i < MN; i++) {
		y[i] = 64 * 400;
		l[i] = machine_load_at(i);
	}
	/* The index is the load relative to its median over the intervals. */
	double ref = pt_median_inplace(l + 1, MN - 1);
	struct ramp_machine *m = ramp_machine_build(y, 0, BUSY);
	struct pt_load *load = pt_load_create(&m->ds);
	ck_assert_ptr_nonnull(load);
	ck_assert_uint_eq(load->busy[0], BUSY);
	for (unsigned i = 1; i < MN; i++)
		ck_assert_msg(fabs(load->index[i] * ref / machine_load_at(i) - 1) <
			0.05, "index %f at %u", load->index[i], i);
	ck_assert_double_eq(load->index[0], load->index[1]);
	pt_load_destroy(load);
	ramp_machine_destroy(m);

	/* Too few busy tags to pool: no index, and quiet tags keep their
	 * own view. */
	m = ramp_machine_build(y, 0, PT_LOAD_MIN_SERIES - 1);
	load = pt_load_create(&m->ds);
	ck_assert_ptr_nonnull(load);
	for (unsigned i = 0; i < MN; i++)
		ck_assert(isnan(load->index[i]));
	pt_load_destroy(load);
	ramp_machine_destroy(m);
}
END_TEST

/*
 * A one-time shift in a quiet tag that holds 15% more with every unit of
 * the machine's load: the ramp keeps both of its levels climbing.
 */
static void
shift_on_machine_ramp(double y[MN])
{
	for (unsigned i = 0; i < MN; i++)
		y[i] = 64 * 400 * (i >= 40 ? 1.3 : 1) *
			(1 + 0.15 * (machine_load_at(i) - 1)) + 300 * noise(i);
}

START_TEST(test_quiet_shift_on_machine_ramp_is_load)
{
	double y[MN];
	shift_on_machine_ramp(y);
	struct pt_score alone, sc = tag_on_ramp(y, 0, &alone);
	ck_assert_int_eq(alone.verdict, PT_VERDICT_LIKELY);
	ck_assert(!alone.machine_load_adjusted);
	ck_assert(sc.machine_load_adjusted && !sc.load_adjusted);
	ck_assert_msg(sc.load_elasticity > 0.05 && sc.load_elasticity < 0.35,
		"elasticity %f", sc.load_elasticity);
	ck_assert_int_ne(sc.verdict, PT_VERDICT_LIKELY);
}
END_TEST

START_TEST(test_truncated_file_keeps_machine_load)
{
	/*
	 * The shift of test_quiet_shift_on_machine_ramp_is_load with one
	 * file in the middle cut after five of the twelve busy rows: the
	 * index is missing around that snapshot only, and the quiet tag is
	 * still read against the machine's load.
	 */
	double y[MN];
	shift_on_machine_ramp(y);
	truncated_at = 60;
	struct ramp_machine *m = ramp_machine_build(y, 0, BUSY);
	struct pt_load *load = pt_load_create(&m->ds);
	ck_assert_ptr_nonnull(load);
	for (unsigned i = 0; i < MN; i++)
		ck_assert_msg(isnan(load->index[i]) == (i == 60 || i == 61),
			"index %f at %u", load->index[i], i);
	pt_load_destroy(load);
	ramp_machine_destroy(m);
	struct pt_score alone, sc = tag_on_ramp(y, 0, &alone);
	truncated_at = 0;
	ck_assert(sc.machine_load_adjusted && !sc.load_adjusted);
	ck_assert_msg(sc.load_elasticity > 0.05 && sc.load_elasticity < 0.35,
		"elasticity %f", sc.load_elasticity);
	ck_assert_int_ne(sc.verdict, PT_VERDICT_LIKELY);
}
END_TEST

START_TEST(test_quiet_leak_on_machine_ramp_is_likely)
{
	/* The same tag leaking 20 allocations an hour instead. */
	double y[MN];
	for (unsigned i = 0; i < MN; i++)
		y[i] = 64 * (400 + 20.0 * i) *
			(1 + 0.15 * (machine_load_at(i) - 1)) + 300 * noise(i);
	struct pt_score alone, sc = tag_on_ramp(y, 0, &alone);
	ck_assert(sc.machine_load_adjusted);
	ck_assert_int_eq(sc.verdict, PT_VERDICT_LIKELY);
}
END_TEST

START_TEST(test_busy_leak_on_machine_ramp_is_likely)
{
	/* A busy tag whose own turnover follows the ramp leaks 40
	 * allocations an hour: divided by that turnover, the leak bends down
	 * as if it levelled off; with the machine's load taken out it keeps
	 * its slope. */
	double y[MN];
	for (unsigned i = 0; i < MN; i++)
		y[i] = 64 * (400 * (1 + 0.15 * (machine_load_at(i) - 1)) +
			40.0 * i) + 300 * noise(i);
	struct pt_score alone, sc = tag_on_ramp(y, 300, &alone);
	ck_assert(alone.load_adjusted && sc.load_adjusted);
	ck_assert(isnan(alone.machine_end_ratio));
	ck_assert_int_ne(alone.verdict, PT_VERDICT_LIKELY);
	ck_assert_msg(sc.machine_end_ratio > 0.6, "ratio %f",
		sc.machine_end_ratio);
	ck_assert_int_eq(sc.verdict, PT_VERDICT_LIKELY);

	/* A busy cache that warms up and then follows the load levels off
	 * in both views. */
	for (unsigned i = 0; i < MN; i++)
		y[i] = 64 * 400 * (0.3 + 0.7 * (1 - exp(-(double)i / 10))) *
			(1 + 0.3 * (machine_load_at(i) - 1)) + 300 * noise(i);
	sc = tag_on_ramp(y, 300, &alone);
	ck_assert(sc.load_adjusted && isfinite(sc.machine_end_ratio));
	ck_assert_int_ne(sc.verdict, PT_VERDICT_LIKELY);
}
END_TEST

START_TEST(test_verdict_names)
{
	enum pt_verdict v;
	ck_assert(pt_verdict_parse("likely", &v) && v == PT_VERDICT_LIKELY);
	ck_assert(pt_verdict_parse("possible", &v) && v == PT_VERDICT_POSSIBLE);
	ck_assert(!pt_verdict_parse("maybe", &v));
	ck_assert_str_eq(pt_verdict_name(PT_VERDICT_UNLIKELY), "unlikely");
}
END_TEST

static Suite *
score_suite(void)
{
	Suite *s = suite_create("score");
	TCase *tc = tcase_create("shapes");
	tcase_add_test(tc, test_ramp);
	tcase_add_test(tc, test_steady_leak_is_likely);
	tcase_add_test(tc, test_fast_leak_has_tte_interval);
	tcase_add_test(tc, test_accelerating_leak_has_pessimistic_tte);
	tcase_add_test(tc, test_accelerating_after_reboot);
	tcase_add_test(tc, test_accelerating_bound_without_steady_forecast);
	tcase_add_test(tc, test_wave_and_late_step_are_not_accelerating);
	tcase_add_test(tc, test_faster_sampling_at_the_end_is_not_acceleration);
	tcase_add_test(tc, test_recent_rate_needs_samples_in_the_last_third);
	tcase_add_test(tc, test_accelerating_despite_jitter);
	tcase_add_test(tc, test_accelerating_with_uneven_sampling);
	tcase_add_test(tc, test_bunched_spans_are_not_acceleration);
	tcase_add_test(tc, test_load_following_is_unlikely);
	tcase_add_test(tc, test_flat_is_unlikely);
	tcase_add_test(tc, test_warmup_plateau_is_not_likely);
	tcase_add_test(tc, test_leak_restarting_after_reboot_is_likely);
	tcase_add_test(tc, test_late_onset_is_found);
	tcase_add_test(tc, test_staircase_onset_is_first_step);
	tcase_add_test(tc, test_growing_staircase_onset_is_first_step);
	tcase_add_test(tc, test_steady_onset_is_start);
	tcase_add_test(tc, test_machine_tte);
	tcase_add_test(tc, test_machine_tte_accelerating);
	tcase_add_test(tc, test_no_accelerating_bound_after_reboot);
	tcase_add_test(tc, test_too_few_samples);
	tcase_add_test(tc, test_equal_times_give_no_growth);
	tcase_add_test(tc, test_growth_epoch_needs_three_samples);
	tcase_add_test(tc, test_level_shift_is_not_likely);
	tcase_add_test(tc, test_staircase_leak_is_found);
	tcase_add_test(tc, test_noisy_leak_is_found);
	tcase_add_test(tc, test_warmup_reason);
	tcase_add_test(tc, test_rise_with_own_turnover_is_load);
	tcase_add_test(tc, test_shift_on_a_wave_is_one_jump);
	tcase_add_test(tc, test_staircase_freed_by_reboot_is_found);
	tcase_add_test(tc, test_late_leak_after_reboot_is_likely);
	tcase_add_test(tc, test_load_check_vetoes_rise_with_turnover);
	tcase_add_test(tc, test_cache_filled_early_is_unlikely);
	tcase_add_test(tc, test_within_shift_of_earlier_growth_epoch_is_adjusted);
	tcase_add_test(tc, test_growth_gate_reads_what_load_leaves);
	tcase_add_test(tc, test_growth_gate_is_monotone_in_the_slope);
	tcase_add_test(tc, test_load_index_follows_busy_tags);
	tcase_add_test(tc, test_quiet_shift_on_machine_ramp_is_load);
	tcase_add_test(tc, test_quiet_leak_on_machine_ramp_is_likely);
	tcase_add_test(tc, test_truncated_file_keeps_machine_load);
	tcase_add_test(tc, test_busy_leak_on_machine_ramp_is_likely);
	tcase_add_test(tc, test_verdict_names);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pt_test_run(score_suite());
}
