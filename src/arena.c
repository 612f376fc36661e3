#include "arena.h"

#include <stdalign.h>
#include <stddef.h>
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

/* n bytes at a multiple of align (a power of two) in a's chunks. */
static void *
arena_alloc(struct pt_arena *a, size_t n, size_t align)
{
	struct pt_arena_chunk *c = a->head;
	size_t pad = c == NULL ? 0 :
		(size_t)(-(uintptr_t)(c->data + c->used) & (align - 1));
	if (c == NULL || c->cap - c->used < pad || c->cap - c->used - pad < n) {
		if (n > SIZE_MAX - sizeof(*c) - align)
			return NULL;
		size_t cap = n + align - 1 > CHUNK_MIN ? n + align - 1 : CHUNK_MIN;
		c = malloc(sizeof(*c) + cap);
		if (c == NULL)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = a->head;
		a->head = c;
		pad = (size_t)(-(uintptr_t)c->data & (align - 1));
	}
	void *p = c->data + c->used + pad;
	c->used += pad + n;
	return p;
}

void *
pt_arena_alloc(struct pt_arena *a, size_t n)
{
	return arena_alloc(a, n, alignof(max_align_t));
}

char *
pt_arena_strndup(struct pt_arena *a, const char *s, size_t len)
{
	if (len == SIZE_MAX)
		return NULL;
	char *p = arena_alloc(a, len + 1, 1);
	if (p == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}
