/* Shared helpers for the Check suites. */
#ifndef POOLTREND_TESTUTIL_H
#define POOLTREND_TESTUTIL_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>

#include "pooltrend/analysis.h"

/* Run a suite with CK_ENV verbosity; returns a process exit status. */
int pt_test_run(Suite *s);

/* Deterministic noise in [-1, 1] for sample i; salt picks the sequence. */
double pt_test_noise(unsigned i, unsigned salt);

/* Read a whole file into a malloc'd NUL-terminated buffer; NULL on error. */
char *pt_test_slurp(const char *path, size_t *len);

/*
 * Align n timed snapshots and score them into *a (diagnostics set up,
 * times and span from the first and last snapshot), asserting success.
 * Release with pt_analysis_finish.
 */
void pt_test_analyse(struct pt_analysis *a,
		const struct pt_timed_snapshot *timed, size_t n);

/* Two strings both NULL or equal. */
bool pt_test_same_text(const char *a, const char *b);

/* A new empty file at path, a mkstemp template filled in. */
void pt_test_make_temp(char *path);

/*
 * Two aligned datasets the same: snapshots (time, epoch, file, line, rows,
 * summary), series (key, -g text, wraps) and every cell.
 */
void pt_test_assert_same_dataset(const struct pt_dataset *x,
		const struct pt_dataset *y);

#endif
