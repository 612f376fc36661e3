#include "json_arena.h"

#include <pthread.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

static _Thread_local struct pt_arena *thread_arena;
static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;

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

static void
install_hooks(void)
{
	cJSON_Hooks hooks = { arena_malloc, arena_free };
	cJSON_InitHooks(&hooks);
}

void
pt_json_arena_use(struct pt_arena *a)
{
	(void)pthread_once(&hooks_once, install_hooks);
	thread_arena = a;
}
