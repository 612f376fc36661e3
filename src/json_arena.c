#include "json_arena.h"

#include <stdlib.h>

#include <cjson/cJSON.h>

static _Thread_local struct pt_arena *thread_arena;

static void *
arena_malloc(size_t n)
{
	return thread_arena != NULL ? pt_arena_alloc(thread_arena, n) :
		malloc(n);
}

static void
arena_free(void *p)
{
	if (thread_arena == NULL)
		free(p);
}

void
pt_json_arena_begin(struct pt_arena *a)
{
	cJSON_Hooks hooks = { arena_malloc, arena_free };
	cJSON_InitHooks(&hooks);
	thread_arena = a;
}

void
pt_json_arena_use(struct pt_arena *a)
{
	thread_arena = a;
}

void
pt_json_arena_end(void)
{
	thread_arena = NULL;
	cJSON_InitHooks(NULL);
}
