/*
 * cJSON documents built in an arena: a report of thousands of tags is
 * hundreds of thousands of small cJSON allocations, and freeing them one
 * by one (and glibc merging the freed chunks afterwards) cost about as
 * much as building them.  While a thread has an arena, every cJSON
 * allocation it makes comes from the arena and cJSON's frees on it do
 * nothing; threads without one keep malloc and free.  Internal to the
 * library.
 *
 * cJSON's hooks are process-wide: the first pt_json_arena_use installs
 * ones that look at the calling thread's arena, and they stay, so that
 * reports written at the same time on several threads cannot take them
 * from each other.  Without an arena they are malloc and free, except
 * that cJSON then grows a print buffer by copying rather than realloc.
 * cJSON objects made without the arena must not be freed while it is
 * set, and objects made with it are never passed to cJSON_Delete: the
 * arena's owner drops them all with pt_arena_finish.
 */
#ifndef POOLTREND_SRC_JSON_ARENA_H
#define POOLTREND_SRC_JSON_ARENA_H

#include "arena.h"

/* The calling thread's cJSON allocations go to a (borrowed; NULL: malloc
 * again).  Each thread needs an arena of its own. */
void pt_json_arena_use(struct pt_arena *a);

#endif
