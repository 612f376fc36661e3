/*
 * PE reader: the parts of a Windows driver or DLL that say who owns a pool
 * tag.  PE32 and PE32+ (x86, x64, ARM64 and any other machine number):
 * the section table, the import directory (by name and by ordinal, with
 * the address of each import's IAT slot) and the version resource strings
 * that sigcheck shows.
 *
 * The files come from an untrusted machine: every offset, count and size
 * is checked against the buffer, counts are capped and recursion is
 * bounded, so any byte string gives either a struct pt_pe or an error,
 * never a read outside the buffer.
 *
 * Ownership: pt_pe_open borrows data (it must outlive the struct pt_pe,
 * e.g. a mapping of the file); the struct owns every string it hands out
 * (module and import names, UTF-8 version strings), valid until
 * pt_pe_destroy.  Strings are raw bytes from the file: escape them before
 * printing (pt_escape).
 */
#ifndef POOLTREND_PE_H
#define POOLTREND_PE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pooltrend/diag.h"

#define PT_PE_MACHINE_I386  0x014c
#define PT_PE_MACHINE_AMD64 0x8664
#define PT_PE_MACHINE_ARM64 0xaa64

/* Caps on what one file may declare; real drivers stay far below. */
#define PT_PE_MAX_SECTIONS 96
#define PT_PE_MAX_IMPORTS 65536

struct pt_pe_section {
	char name[9];          /* NUL-terminated, raw bytes */
	uint32_t vaddr;        /* RVA */
	uint32_t vsize;
	uint32_t raw_offset;   /* file offset of the raw data */
	uint32_t raw_size;     /* clipped to the file */
	uint32_t characteristics;
	bool exec;             /* IMAGE_SCN_MEM_EXECUTE or IMAGE_SCN_CNT_CODE */
};

struct pt_pe_import {
	const char *module;    /* "ntoskrnl.exe" as written in the file */
	const char *name;      /* NULL when imported by ordinal */
	uint16_t ordinal;      /* by ordinal: the ordinal; by name: the hint */
	uint32_t iat_rva;      /* RVA of the slot the loader fills in */
};

/* Version resource strings (first string table), UTF-8, NULL if absent. */
struct pt_pe_version {
	const char *company;           /* CompanyName */
	const char *description;       /* FileDescription */
	const char *file_version;      /* FileVersion, else the fixed version */
	const char *product;           /* ProductName */
	const char *original_filename; /* OriginalFilename */
};

struct pt_pe;

/*
 * Parse a PE image held in data[0..len).  NULL with err when the bytes
 * are not a PE file or its headers are inconsistent; a damaged import or
 * resource directory is not fatal: what can be read is kept, and
 * pt_pe_damage says what was not.
 */
struct pt_pe *pt_pe_open(const uint8_t *data, size_t len, struct pt_error *err);
void pt_pe_destroy(struct pt_pe *pe);

uint16_t pt_pe_machine(const struct pt_pe *pe);
bool pt_pe_is_pe32plus(const struct pt_pe *pe);
/* The preferred load address (x86 code addresses the IAT absolutely). */
uint64_t pt_pe_image_base(const struct pt_pe *pe);
/* "x86", "x64", "arm64", or "other". */
const char *pt_pe_machine_name(uint16_t machine);

size_t pt_pe_section_count(const struct pt_pe *pe);
const struct pt_pe_section *pt_pe_section(const struct pt_pe *pe, size_t i);
/* The section whose raw data holds file offset off, or NULL (headers, overlay). */
const struct pt_pe_section *pt_pe_section_at(const struct pt_pe *pe,
		size_t off);
/* The file offset of an RVA, false when no raw byte backs it. */
bool pt_pe_rva_to_offset(const struct pt_pe *pe, uint32_t rva, size_t *off);
/* The RVA of a file offset inside a section, false otherwise. */
bool pt_pe_offset_to_rva(const struct pt_pe *pe, size_t off, uint32_t *rva);

size_t pt_pe_import_count(const struct pt_pe *pe);
const struct pt_pe_import *pt_pe_import(const struct pt_pe *pe, size_t i);
/* The import whose IAT slot is at rva, or NULL. */
const struct pt_pe_import *pt_pe_import_at(const struct pt_pe *pe,
		uint32_t rva);

const struct pt_pe_version *pt_pe_version(const struct pt_pe *pe);

/* What could not be read ("import directory cut short"), or NULL. */
const char *pt_pe_damage(const struct pt_pe *pe);

#endif
