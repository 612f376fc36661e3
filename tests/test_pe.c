/*
 * PE reader: the MinGW-w64 test drivers (x64, PE32+, version resource),
 * hand-built PE32 (x86) and ARM64 images with imports by ordinal, and
 * damaged images: every prefix, wild offsets and counts.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pe_build.h"
#include "pooltrend/pe.h"
#include "testutil.h"

static uint8_t *
load_driver(const char *name, size_t *len)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", DRIVERS_DIR, name);
	uint8_t *data = (uint8_t *)pt_test_slurp(path, len);
	ck_assert_msg(data != NULL, "cannot read %s", path);
	return data;
}

static const struct pt_pe_import *
find_import(const struct pt_pe *pe, const char *name)
{
	for (size_t i = 0; i < pt_pe_import_count(pe); i++) {
		const struct pt_pe_import *im = pt_pe_import(pe, i);
		if (im->name != NULL && strcmp(im->name, name) == 0)
			return im;
	}
	return NULL;
}

static const struct pt_pe_section *
find_section(const struct pt_pe *pe, const char *name)
{
	for (size_t i = 0; i < pt_pe_section_count(pe); i++) {
		if (strcmp(pt_pe_section(pe, i)->name, name) == 0)
			return pt_pe_section(pe, i);
	}
	return NULL;
}

START_TEST(leaky_driver_headers_and_sections)
{
	size_t len;
	uint8_t *data = load_driver("leaky.sys", &len);
	struct pt_error err = { 0 };
	struct pt_pe *pe = pt_pe_open(data, len, &err);
	ck_assert_msg(pe != NULL, "%s", err.msg);
	ck_assert_uint_eq(pt_pe_machine(pe), PT_PE_MACHINE_AMD64);
	ck_assert_str_eq(pt_pe_machine_name(pt_pe_machine(pe)), "x64");
	ck_assert(pt_pe_is_pe32plus(pe));
	/* MinGW-w64's default base for 64-bit images. */
	ck_assert_uint_eq(pt_pe_image_base(pe), 0x140000000ULL);
	const struct pt_pe_section *text = find_section(pe, ".text");
	const struct pt_pe_section *rdata = find_section(pe, ".rdata");
	ck_assert_ptr_nonnull(text);
	ck_assert(text->exec);
	ck_assert(rdata == NULL || !rdata->exec);
	ck_assert_ptr_eq(pt_pe_section_at(pe, text->raw_offset), text);
	ck_assert_ptr_null(pt_pe_section_at(pe, 0));
	uint32_t rva;
	size_t off;
	ck_assert(pt_pe_offset_to_rva(pe, text->raw_offset + 5, &rva));
	ck_assert_uint_eq(rva, text->vaddr + 5);
	ck_assert(pt_pe_rva_to_offset(pe, rva, &off));
	ck_assert_uint_eq(off, text->raw_offset + 5);
	ck_assert_ptr_null(pt_pe_damage(pe));
	pt_pe_destroy(pe);
	free(data);
}
END_TEST

START_TEST(leaky_driver_imports)
{
	size_t len;
	uint8_t *data = load_driver("leaky.sys", &len);
	struct pt_error err = { 0 };
	struct pt_pe *pe = pt_pe_open(data, len, &err);
	ck_assert_ptr_nonnull(pe);
	const char *names[] = { "ExAllocatePoolWithTag", "ExAllocatePoolWithQuotaTag",
		"ExAllocatePoolWithTagPriority", "ExFreePoolWithTag" };
	for (size_t i = 0; i < 4; i++) {
		const struct pt_pe_import *im = find_import(pe, names[i]);
		ck_assert_msg(im != NULL, "%s not imported", names[i]);
		ck_assert_str_eq(im->module, "ntoskrnl.exe");
		ck_assert_ptr_eq(pt_pe_import_at(pe, im->iat_rva), im);
	}
	ck_assert_ptr_null(find_import(pe, "KeQueryTimeIncrement"));
	pt_pe_destroy(pe);
	free(data);
}
END_TEST

START_TEST(version_resource_strings)
{
	size_t len;
	uint8_t *data = load_driver("leaky.sys", &len);
	struct pt_error err = { 0 };
	struct pt_pe *pe = pt_pe_open(data, len, &err);
	ck_assert_ptr_nonnull(pe);
	const struct pt_pe_version *v = pt_pe_version(pe);
	ck_assert_str_eq(v->company, "Contoso Test Drivers Ltd.");
	ck_assert_str_eq(v->description, "Leaky pool test driver");
	ck_assert_str_eq(v->file_version, "1.2.3.4 (test)");
	ck_assert_str_eq(v->product, "pooltrend test suite");
	ck_assert_str_eq(v->original_filename, "leaky.sys");
	pt_pe_destroy(pe);
	free(data);
}
END_TEST

START_TEST(pe32_x86_by_name_and_ordinal)
{
	static const uint8_t code[] = { 0x68, 'L', 'e', 'a', 'k', 0xc3 };
	uint8_t img[PE_BUILD_SIZE];
	pe_build(img, PT_PE_MACHINE_I386, false, code, sizeof(code));
	struct pt_error err = { 0 };
	struct pt_pe *pe = pt_pe_open(img, sizeof(img), &err);
	ck_assert_msg(pe != NULL, "%s", err.msg);
	ck_assert_str_eq(pt_pe_machine_name(pt_pe_machine(pe)), "x86");
	ck_assert(!pt_pe_is_pe32plus(pe));
	ck_assert_uint_eq(pt_pe_import_count(pe), 2);
	const struct pt_pe_import *byname = pt_pe_import(pe, 0);
	const struct pt_pe_import *byord = pt_pe_import(pe, 1);
	ck_assert_str_eq(byname->name, "ExAllocatePoolWithTag");
	ck_assert_uint_eq(byname->iat_rva, PE_BUILD_IAT);
	ck_assert_ptr_null(byord->name);
	ck_assert_uint_eq(byord->ordinal, 7);
	ck_assert_str_eq(byord->module, "ntoskrnl.exe");
	ck_assert_uint_eq(byord->iat_rva, PE_BUILD_IAT + 4);
	/* No version resource: none is made up. */
	ck_assert_ptr_null(pt_pe_version(pe)->company);
	ck_assert_ptr_null(pt_pe_version(pe)->file_version);
	pt_pe_destroy(pe);
}
END_TEST

START_TEST(pe32plus_arm64)
{
	uint8_t img[PE_BUILD_SIZE];
	pe_build(img, PT_PE_MACHINE_ARM64, true, (const uint8_t *)"\xc0\x03\x5f\xd6", 4);
	struct pt_error err = { 0 };
	struct pt_pe *pe = pt_pe_open(img, sizeof(img), &err);
	ck_assert_msg(pe != NULL, "%s", err.msg);
	ck_assert_str_eq(pt_pe_machine_name(pt_pe_machine(pe)), "arm64");
	ck_assert(pt_pe_is_pe32plus(pe));
	ck_assert_uint_eq(pt_pe_import_count(pe), 2);
	ck_assert_uint_eq(pt_pe_import(pe, 1)->iat_rva, PE_BUILD_IAT + 8);
	ck_assert_uint_eq(pt_pe_import(pe, 1)->ordinal, 7);
	pt_pe_destroy(pe);
}
END_TEST

START_TEST(not_pe_is_an_error_with_a_reason)
{
	struct pt_error err = { 0 };
	uint8_t img[PE_BUILD_SIZE];
	ck_assert_ptr_null(pt_pe_open((const uint8_t *)"hello", 5, &err));
	ck_assert_str_eq(err.msg, "not a PE file (no MZ header)");
	pe_build(img, PT_PE_MACHINE_AMD64, true, NULL, 0);
	img[0x3c] = 0xf0; /* e_lfanew far past the end */
	img[0x3d] = 0xff;
	ck_assert_ptr_null(pt_pe_open(img, sizeof(img), &err));
	ck_assert_str_eq(err.msg, "not a PE file (no PE signature)");
	pe_build(img, PT_PE_MACHINE_AMD64, true, NULL, 0);
	img[0x58] = 0x07; /* optional header magic */
	ck_assert_ptr_null(pt_pe_open(img, sizeof(img), &err));
	ck_assert(strstr(err.msg, "magic") != NULL);
	pe_build(img, PT_PE_MACHINE_AMD64, true, NULL, 0);
	img[0x46] = 200; /* NumberOfSections */
	ck_assert_ptr_null(pt_pe_open(img, sizeof(img), &err));
	ck_assert(strstr(err.msg, "sections") != NULL);
}
END_TEST

START_TEST(damaged_imports_keep_the_rest)
{
	uint8_t img[PE_BUILD_SIZE];
	pe_build(img, PT_PE_MACHINE_AMD64, true, NULL, 0);
	/* The module name points outside the file. */
	img[0x400 + 12] = 0xff;
	img[0x400 + 13] = 0xff;
	img[0x400 + 14] = 0xff;
	struct pt_error err = { 0 };
	struct pt_pe *pe = pt_pe_open(img, sizeof(img), &err);
	ck_assert_ptr_nonnull(pe);
	ck_assert_uint_eq(pt_pe_import_count(pe), 0);
	ck_assert_ptr_nonnull(pt_pe_damage(pe));
	ck_assert_uint_eq(pt_pe_section_count(pe), 2);
	pt_pe_destroy(pe);
}
END_TEST

static void
put32le(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
put64le(uint8_t *p, uint64_t v)
{
	put32le(p, (uint32_t)v);
	put32le(p + 4, (uint32_t)(v >> 32));
}

/*
 * A PE32+ image whose .idata section (RVA 0x2000, file offset 0x400) is
 * idata_len bytes of zeros, for import tables of hostile sizes.
 */
static uint8_t *
big_idata_image(size_t idata_len, size_t *len)
{
	*len = 0x400 + idata_len;
	uint8_t *img = calloc(1, *len);
	ck_assert_ptr_nonnull(img);
	pe_build(img, PT_PE_MACHINE_AMD64, true, NULL, 0);
	memset(img + 0x400, 0, 0x200);
	/* second section header: VirtualSize and SizeOfRawData */
	put32le(img + 0x58 + 240 + 40 + 8, (uint32_t)idata_len);
	put32le(img + 0x58 + 240 + 40 + 16, (uint32_t)idata_len);
	return img;
}

/* Descriptor i of the import directory: lookup table, name, IAT. */
static void
put_descriptor(uint8_t *img, size_t i, uint32_t table, uint32_t name)
{
	uint8_t *d = img + 0x400 + i * 20;
	put32le(d, table);
	put32le(d + 12, name);
	put32le(d + 16, 0x900000);
}

#define ORDINAL_7 (1ULL << 63 | 7)

START_TEST(unreadable_import_name_ends_its_table)
{
	uint8_t img[PE_BUILD_SIZE];
	pe_build(img, PT_PE_MACHINE_AMD64, true, NULL, 0);
	/* First lookup entry names an RVA far outside; an ordinal follows. */
	put64le(img + 0x400 + 0x40, 0x7ffffff0);
	struct pt_error err = { 0 };
	struct pt_pe *pe = pt_pe_open(img, sizeof(img), &err);
	ck_assert_ptr_nonnull(pe);
	ck_assert_uint_eq(pt_pe_import_count(pe), 0);
	ck_assert_str_eq(pt_pe_damage(pe), "import name outside the file");
	pt_pe_destroy(pe);
}
END_TEST

/*
 * The review's dos_thunks: every module shares one long table of names
 * that cannot be read.  The walk ends each table at its first entry (it
 * took 26 s on 1.1 MB when it read them all); 4097 modules hit the cap.
 */
START_TEST(wild_thunk_tables_and_module_cap_are_bounded)
{
	enum { MODULES = 4097, THUNKS = 1 << 17 };
	uint32_t name = 0x2000 + 20 * (MODULES + 1);
	uint32_t table = (name + 16 + 0xfff) & ~0xfffu;
	size_t len, tbl_off = 0x400 + (table - 0x2000);
	uint8_t *img = big_idata_image(table - 0x2000 + (size_t)THUNKS * 8 + 8,
		&len);
	for (size_t i = 0; i < MODULES; i++)
		put_descriptor(img, i, table, name);
	memcpy(img + 0x400 + (name - 0x2000), "a.dll", 6);
	for (size_t i = 0; i + 1 < THUNKS; i++)
		put64le(img + tbl_off + i * 8, 0x7ffffff0);
	put64le(img + tbl_off + (THUNKS - 1) * 8, ORDINAL_7);
	struct pt_error err = { 0 };
	struct pt_pe *pe = pt_pe_open(img, len, &err);
	ck_assert_ptr_nonnull(pe);
	ck_assert_uint_eq(pt_pe_import_count(pe), 0);
	ck_assert_str_eq(pt_pe_damage(pe),
		"more than 4096 imported modules, the rest not read");
	pt_pe_destroy(pe);
	free(img);
}
END_TEST

START_TEST(import_cap_is_reported)
{
	enum { THUNKS = PT_PE_MAX_IMPORTS + 1 };
	size_t len;
	uint8_t *img = big_idata_image(0x1000 + (size_t)THUNKS * 8 + 8, &len);
	put_descriptor(img, 0, 0x3000, 0x2100);
	memcpy(img + 0x400 + 0x100, "a.dll", 6);
	for (size_t i = 0; i < THUNKS; i++)
		put64le(img + 0x400 + 0x1000 + i * 8, ORDINAL_7);
	struct pt_error err = { 0 };
	struct pt_pe *pe = pt_pe_open(img, len, &err);
	ck_assert_ptr_nonnull(pe);
	ck_assert_uint_eq(pt_pe_import_count(pe), PT_PE_MAX_IMPORTS);
	ck_assert_str_eq(pt_pe_damage(pe),
		"more than 65536 imports, the rest not read");
	pt_pe_destroy(pe);
	free(img);
}
END_TEST

/* The review's ver1.sys: a CompanyName far over 512 characters is cut, and said. */
START_TEST(long_version_string_is_cut_with_a_note)
{
	size_t len;
	uint8_t *data = (uint8_t *)pt_test_slurp(
		TESTDATA_DIR "/fuzz/pe/hostile-ver1.sys", &len);
	ck_assert_ptr_nonnull(data);
	struct pt_error err = { 0 };
	struct pt_pe *pe = pt_pe_open(data, len, &err);
	ck_assert_ptr_nonnull(pe);
	ck_assert_str_eq(pt_pe_damage(pe),
		"version string longer than 512 characters, cut");
	pt_pe_destroy(pe);
	free(data);
}
END_TEST

/* Every prefix of a real driver: an error or a struct, never a bad read. */
START_TEST(every_prefix_of_a_driver)
{
	size_t len;
	uint8_t *data = load_driver("leaky.sys", &len);
	size_t opened = 0;
	for (size_t n = 0; n <= len; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, data, n);
		struct pt_error err = { 0 };
		struct pt_pe *pe = pt_pe_open(copy, n, &err);
		if (pe != NULL) {
			opened++;
			(void)pt_pe_version(pe);
			pt_pe_destroy(pe);
		} else {
			ck_assert(err.msg[0] != '\0');
		}
		free(copy);
	}
	ck_assert_uint_gt(opened, 0);
	free(data);
}
END_TEST

static Suite *
pe_suite(void)
{
	Suite *s = suite_create("pe");
	TCase *tc = tcase_create("pe");
	tcase_add_test(tc, leaky_driver_headers_and_sections);
	tcase_add_test(tc, leaky_driver_imports);
	tcase_add_test(tc, version_resource_strings);
	tcase_add_test(tc, pe32_x86_by_name_and_ordinal);
	tcase_add_test(tc, pe32plus_arm64);
	tcase_add_test(tc, not_pe_is_an_error_with_a_reason);
	tcase_add_test(tc, damaged_imports_keep_the_rest);
	tcase_add_test(tc, unreadable_import_name_ends_its_table);
	tcase_add_test(tc, wild_thunk_tables_and_module_cap_are_bounded);
	tcase_add_test(tc, import_cap_is_reported);
	tcase_add_test(tc, long_version_string_is_cut_with_a_note);
	tcase_add_test(tc, every_prefix_of_a_driver);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pt_test_run(pe_suite());
}
