/*
 * Decoy: the tag "Leak" is an immediate in its code, even loaded into an
 * argument register before a call, but it imports no pool allocator.
 */
#include "kapi.h"

long DriverEntry(void *driver, void *registry);

__attribute__((noipa)) static long
count_tag(ULONG seen, ULONG tag)
{
	return seen == tag;
}

long
DriverEntry(void *driver, void *registry)
{
	(void)driver;
	ULONG seen = (ULONG)(SIZE_T)registry ^ KeQueryTimeIncrement();
	return count_tag(seen, 'kaeL');
}
