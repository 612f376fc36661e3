#include "testutil.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

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
