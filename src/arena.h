/*
 * A bump allocator for strings that live as long as their owner (a dataset,
 * a report): one free releases them all.  Internal to the library.
 */
#ifndef POOLTREND_SRC_ARENA_H
#define POOLTREND_SRC_ARENA_H

#include <stddef.h>

struct pt_arena_chunk;

struct pt_arena {
	struct pt_arena_chunk *head;
};

void pt_arena_init(struct pt_arena *a);
void pt_arena_finish(struct pt_arena *a);

/* A copy of len bytes of s plus a NUL, or NULL when out of memory. */
char *pt_arena_strndup(struct pt_arena *a, const char *s, size_t len);

#endif
