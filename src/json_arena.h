/*
 * cJSON documents built in an arena: a report of thousands of tags is
 * hundreds of thousands of small cJSON allocations, and freeing them one
 * by one (and glibc merging the freed chunks afterwards) cost about as
 * much as building them.  Between pt_json_arena_begin and
 * pt_json_arena_end, every cJSON allocation of the calling thread comes
 * from the arena and cJSON's frees on that thread do nothing; other
 * threads keep malloc and free.  Internal to the library.
 *
 * cJSON's hooks are process-wide: begin installs ones that look at the
 * calling thread's arena, end puts cJSON's defaults back.  The caller
 * must be the only one to install hooks meanwhile; cJSON objects made
 * before begin must not be freed inside the window, and objects made
 * inside it are never passed to cJSON_Delete after it: the arena's
 * owner drops them all with pt_arena_finish.
 */
#ifndef POOLTREND_SRC_JSON_ARENA_H
#define POOLTREND_SRC_JSON_ARENA_H

#include "arena.h"

/* Install the hooks; the calling thread allocates from a (borrowed). */
void pt_json_arena_begin(struct pt_arena *a);
/* Between begin and end, another thread's allocations go to a (NULL:
 * malloc again); each thread needs an arena of its own. */
void pt_json_arena_use(struct pt_arena *a);
/* The calling thread goes back to malloc, and cJSON to its defaults. */
void pt_json_arena_end(void);

#endif
