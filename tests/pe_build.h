/*
 * A minimal PE image written byte by byte, for shapes the MinGW-w64 test
 * drivers do not cover: PE32 (x86), ARM64, imports by ordinal, chosen
 * instruction bytes.  Layout: headers (0x200 bytes), .text at RVA 0x1000
 * (file 0x200), .idata at RVA 0x2000 (file 0x400) importing
 * ExAllocatePoolWithTag by name and ordinal 7 from ntoskrnl.exe; the IAT
 * slot of ExAllocatePoolWithTag is at RVA PE_BUILD_IAT.
 */
#ifndef TEST_PE_BUILD_H
#define TEST_PE_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PE_BUILD_SIZE 0x600
#define PE_BUILD_TEXT_RVA 0x1000
#define PE_BUILD_TEXT_OFF 0x200
#define PE_BUILD_IAT 0x2060

/* Write the image into out (PE_BUILD_SIZE bytes); code goes at the start of .text. */
void pe_build(uint8_t out[PE_BUILD_SIZE], uint16_t machine, bool plus,
		const uint8_t *code, size_t code_len);

#endif
