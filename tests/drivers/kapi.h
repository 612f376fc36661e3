/*
 * The few kernel declarations the test drivers need, written here so the
 * build needs only MinGW-w64's import libraries, not its DDK headers.
 * Tags are multi-character constants, as in real driver source: 'kaeL'
 * is stored little-endian, so the pool (and poolmon) show "Leak".
 */
#ifndef TEST_KAPI_H
#define TEST_KAPI_H

typedef unsigned long long SIZE_T;
typedef unsigned int ULONG;

/* dllimport: the compiler calls through the IAT (call [rip+X]). */
__declspec(dllimport) void *ExAllocatePoolWithTag(int type, SIZE_T n, ULONG tag);
__declspec(dllimport) void *ExAllocatePoolWithQuotaTag(int type, SIZE_T n, ULONG tag);
__declspec(dllimport) void ExFreePoolWithTag(void *p, ULONG tag);
__declspec(dllimport) ULONG KeQueryTimeIncrement(void);
/* No dllimport: the call goes to a jmp [IAT] thunk in .text. */
void *ExAllocatePoolWithTagPriority(int type, SIZE_T n, ULONG tag, int prio);

#endif
