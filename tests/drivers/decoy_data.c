/*
 * Decoy: allocates pool (with its own tag "Dcoy") and holds the bytes of
 * "Leak" and "Thk2" only as data, e.g. a table of tags it reports on.
 */
#include "kapi.h"

const char tag_names[] = "Leak Thk2 names of other drivers' tags";
static void *kept;

long DriverEntry(void *driver, void *registry);

long
DriverEntry(void *driver, void *registry)
{
	(void)driver;
	(void)registry;
	kept = ExAllocatePoolWithTag(0, 16, 'yocD');
	return tag_names[(SIZE_T)registry & 7];
}
