/*
 * Frees with "Leak" (a buffer some other driver allocated) and allocates
 * only with its own "Frer": it must rank below the true owner of "Leak",
 * with a reason saying it frees with the tag.  The allocator call comes
 * right after the free, inside the window a tag load looks at.
 */
#include "kapi.h"

static void *kept;

long DriverEntry(void *driver, void *registry);

long
DriverEntry(void *driver, void *registry)
{
	(void)registry;
	ExFreePoolWithTag(driver, 'kaeL');
	kept = ExAllocatePoolWithTag(0, 16, 'rerF');
	return 0;
}
