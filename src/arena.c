#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_MIN 16384

struct pt_arena_chunk {
	struct pt_arena_chunk *next;
	size_t used;
	size_t cap;
	char data[];
};

void
pt_arena_init(struct pt_arena *a)
{
	a->head = NULL;
}

void
pt_arena_finish(struct pt_arena *a)
{
	if (a == NULL)
		return;
	struct pt_arena_chunk *c = a->head;
	while (c != NULL) {
		struct pt_arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
}

static void *
arena_alloc(struct pt_arena *a, size_t n)
{
	struct pt_arena_chunk *c = a->head;
	if (c == NULL || c->cap - c->used < n) {
		size_t cap = n > CHUNK_MIN ? n : CHUNK_MIN;
		if (cap > SIZE_MAX - sizeof(*c))
			return NULL;
		c = malloc(sizeof(*c) + cap);
		if (c == NULL)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = a->head;
		a->head = c;
	}
	void *p = c->data + c->used;
	c->used += n;
	return p;
}

char *
pt_arena_strndup(struct pt_arena *a, const char *s, size_t len)
{
	if (len == SIZE_MAX)
		return NULL;
	char *p = arena_alloc(a, len + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}
