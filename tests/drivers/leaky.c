/*
 * The true owner of "Leak", "Thk2" and "Drsd": allocates with them and never
 * frees.  "Leak" goes through call [IAT], "Thk2" through a jmp thunk;
 * "Temp" is freed again.  Each allocator is called once, so the compiler
 * cannot load the IAT slot into a register and call through that.
 */
#include "kapi.h"

static void *kept[64];
static int next;

long DriverEntry(void *driver, void *registry);

long
DriverEntry(void *driver, void *registry)
{
	(void)driver;
	(void)registry;
	kept[next++ & 63] = ExAllocatePoolWithTag(0, 128, 'kaeL');
	kept[next++ & 63] = ExAllocatePoolWithTagPriority(0, 64, '2khT', 16);
	/* The leak of the demo series (testdata/demo). */
	kept[next++ & 63] = ExAllocatePoolWithTagPriority(1, 6144, 'dsrD', 16);
	void *t = ExAllocatePoolWithQuotaTag(1, 32, 'pmeT');
	ExFreePoolWithTag(t, 'pmeT');
	return 0;
}
