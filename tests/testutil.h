/* Shared helpers for the Check suites. */
#ifndef POOLTREND_TESTUTIL_H
#define POOLTREND_TESTUTIL_H

#include <check.h>
#include <stddef.h>

/* Run a suite with CK_ENV verbosity; returns a process exit status. */
int pt_test_run(Suite *s);

/* Deterministic noise in [-1, 1] for sample i; salt picks the sequence. */
double pt_test_noise(unsigned i, unsigned salt);

/* Read a whole file into a malloc'd NUL-terminated buffer; NULL on error. */
char *pt_test_slurp(const char *path, size_t *len);

#endif
