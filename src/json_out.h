/*
 * JSON helpers shared by the report writers (private to the library).
 * Ownership: strings are copied into the cJSON tree; pt_json_write
 * consumes doc.
 */
#ifndef POOLTREND_JSON_OUT_H
#define POOLTREND_JSON_OUT_H

#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "pooltrend/diag.h"

/* name: s escaped with pt_escape (untrusted bytes), or null when s is NULL. */
bool pt_json_add_escaped(cJSON *obj, const char *name, const char *s);

/*
 * Print doc (indented) and a newline to out, then delete doc (NULL is
 * taken as out of memory).  False with err on either failure.
 */
bool pt_json_write(FILE *out, cJSON *doc, struct pt_error *err);

#endif
