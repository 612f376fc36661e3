/*
 * Parser internals for tests: the fast reader of the common row shape can
 * be switched off so tests and the fuzz target can check that it gives
 * exactly what the PCRE2 patterns give.
 */
#ifndef POOLTREND_PARSE_INTERNAL_H
#define POOLTREND_PARSE_INTERNAL_H

#include <stdbool.h>

#include "pooltrend/snapshot.h"

/* On by default. */
void pt_parser_set_fast_path(struct pt_parser *p, bool on);

#endif
