#include "testutil.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
pt_test_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

char *
pt_test_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	while (buf != NULL) {
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n < cap)
			break;
		char *bigger = realloc(buf, cap * 2 + 1);
		if (bigger == NULL) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = bigger;
		cap *= 2;
	}
	fclose(f);
	if (buf == NULL)
		return NULL;
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

void
pt_test_analyse(struct pt_analysis *a, const struct pt_timed_snapshot *timed,
		size_t n)
{
	struct pt_error err = {0};
	pt_diags_init(&a->diags);
	ck_assert_msg(pt_dataset_build(&a->ds, timed, n, 0, &a->diags, &err),
		"%s", err.msg);
	a->scores = pt_score_all(&a->ds, &err);
	ck_assert_msg(a->scores != NULL, "%s", err.msg);
	a->files_with_snapshots = n;
	a->first_ms = timed[0].t_ms;
	a->last_ms = timed[n - 1].t_ms;
	a->span_hours = (double)(a->last_ms - a->first_ms) / 3600000.0;
}

double
pt_test_noise(unsigned i, unsigned salt)
{
	uint32_t x = i * 2654435761u + salt;
	x ^= x >> 13;
	x *= 0x5bd1e995u;
	x ^= x >> 15;
	return (double)(x % 2001) / 1000.0 - 1.0;
}

bool
pt_test_same_text(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

void
pt_test_make_temp(char *path)
{
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

void
pt_test_assert_same_dataset(const struct pt_dataset *x,
		const struct pt_dataset *y)
{
	ck_assert_uint_eq(x->nsnap, y->nsnap);
	ck_assert_uint_eq(x->nseries, y->nseries);
	ck_assert_uint_eq(x->nepochs, y->nepochs);
	for (size_t i = 0; i < x->nsnap; i++) {
		const struct pt_snapinfo *p = &x->snaps[i], *q = &y->snaps[i];
		ck_assert(p->t_ms == q->t_ms && p->epoch == q->epoch);
		ck_assert(pt_test_same_text(p->file, q->file));
		ck_assert_int_eq(p->line, q->line);
		ck_assert_uint_eq(p->nrows, q->nrows);
		ck_assert(memcmp(&p->summary, &q->summary,
			sizeof(p->summary)) == 0);
	}
	size_t cells = x->nsnap * x->nseries;
	if (cells == 0)
		return;   /* a failed run: nothing was allocated */
	ck_assert(memcmp(x->allocs32, y->allocs32, cells * 4) == 0);
	ck_assert(memcmp(x->frees32, y->frees32, cells * 4) == 0);
	ck_assert(memcmp(x->bytes, y->bytes, cells * 8) == 0);
	ck_assert(memcmp(x->present, y->present,
		x->nseries * pt_present_words(x->nsnap) * 8) == 0);
	for (size_t s = 0; s < x->nseries; s++) {
		ck_assert(memcmp(x->series[s].tag, y->series[s].tag, 4) == 0);
		ck_assert(x->series[s].pool == y->series[s].pool);
		ck_assert(pt_test_same_text(x->series[s].mapped,
			y->series[s].mapped));
		ck_assert_uint_eq(x->series[s].wraps, y->series[s].wraps);
	}
}
