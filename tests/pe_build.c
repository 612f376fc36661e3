#include "pe_build.h"

#include <string.h>

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void
put_thunk(uint8_t *p, bool plus, uint64_t v)
{
	put32(p, (uint32_t)v);
	if (plus)
		put32(p + 4, (uint32_t)(v >> 32));
}

static void
section(uint8_t *h, const char *name, uint32_t rva, uint32_t off,
		uint32_t chars)
{
	memcpy(h, name, strlen(name));
	put32(h + 8, 0x200);   /* VirtualSize */
	put32(h + 12, rva);
	put32(h + 16, 0x200);  /* SizeOfRawData */
	put32(h + 20, off);
	put32(h + 36, chars);
}

void
pe_build(uint8_t out[PE_BUILD_SIZE], uint16_t machine, bool plus,
		const uint8_t *code, size_t code_len)
{
	memset(out, 0, PE_BUILD_SIZE);
	out[0] = 'M';
	out[1] = 'Z';
	put32(out + 0x3c, 0x40);
	memcpy(out + 0x40, "PE\0\0", 4);
	uint8_t *coff = out + 0x44, *opt = out + 0x58;
	uint16_t optsize = plus ? 240 : 224;
	put16(coff, machine);
	put16(coff + 2, 2);
	put16(coff + 16, optsize);
	put16(opt, plus ? 0x20b : 0x10b);
	put32(opt + 60, 0x200);                 /* SizeOfHeaders */
	uint8_t *ndirs = opt + (plus ? 108 : 92);
	put32(ndirs, 16);
	put32(ndirs + 4 + 8, 0x2000);           /* import directory */
	put32(ndirs + 4 + 12, 40);
	uint8_t *sec = opt + optsize;
	section(sec, ".text", 0x1000, 0x200, 0x60000020);
	section(sec + 40, ".idata", 0x2000, 0x400, 0xc0000040);
	if (code_len > 0)
		memcpy(out + PE_BUILD_TEXT_OFF, code, code_len);
	uint8_t *idata = out + 0x400;
	put32(idata, 0x2040);                   /* OriginalFirstThunk */
	put32(idata + 12, 0x2080);              /* Name */
	put32(idata + 16, 0x2060);              /* FirstThunk */
	size_t step = plus ? 8 : 4;
	uint64_t ordinal = (plus ? 1ULL << 63 : 1ULL << 31) | 7;
	for (uint32_t table = 0x40; table <= 0x60; table += 0x20) {
		put_thunk(idata + table, plus, 0x20a0);
		put_thunk(idata + table + step, plus, ordinal);
	}
	memcpy(idata + 0x80, "ntoskrnl.exe", 13);
	memcpy(idata + 0xa2, "ExAllocatePoolWithTag", 22);
}
