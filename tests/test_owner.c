/*
 * Owner scan: the MinGW-w64 test drivers rank as designed (true owner
 * first, decoys below with their reason), the instruction forms the scan
 * decodes, the one-pass search at file edges, and what is skipped.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "pe_build.h"
#include "pooltrend/owner.h"
#include "pooltrend/pe.h"
#include "pooltrend/report.h"
#include "testutil.h"

static struct pt_diags diags;
static struct pt_owner_scan *scan;

static void
setup(void)
{
	pt_diags_init(&diags);
	scan = NULL;
}

static void
teardown(void)
{
	pt_owner_scan_destroy(scan);
	pt_diags_finish(&diags);
}

static void
new_scan(const char *const *tags, size_t n)
{
	uint8_t (*t)[4] = calloc(n, 4);
	for (size_t i = 0; i < n; i++)
		memcpy(t[i], tags[i], 4);
	struct pt_error err = { 0 };
	scan = pt_owner_scan_create((const uint8_t (*)[4])t, n, &err);
	free(t);
	ck_assert_ptr_nonnull(scan);
}

static const struct pt_owner_tag *
tag(const char *t4)
{
	const struct pt_owner_tag *t = pt_owner_scan_find(scan, (const uint8_t *)t4);
	ck_assert_ptr_nonnull(t);
	return t;
}

static const char *
base(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static void
scan_drivers(void)
{
	static const char *const tags[] = { "Leak", "Thk2", "Drsd", "Dcoy", "Nope" };
	new_scan(tags, 5);
	struct pt_error err = { 0 };
	ck_assert(pt_owner_scan_path(scan, DRIVERS_DIR, &diags, &err));
	pt_owner_scan_finish(scan);
}

START_TEST(true_owner_first_decoys_below_with_reasons)
{
	scan_drivers();
	ck_assert_uint_ge(scan->pe_files, 3);
	const struct pt_owner_tag *t = tag("Leak");
	ck_assert_uint_eq(t->nhits, 4);
	const struct pt_owner_hit *h = t->hits;
	ck_assert_str_eq(base(h[0].path), "leaky.sys");
	ck_assert_uint_ge(h[0].allocator_calls, 1);
	ck_assert_str_eq(h[0].best[0].operand, "r8d");
	ck_assert_str_eq(h[0].best[0].call_import, "ExAllocatePoolWithTag");
	ck_assert_str_eq(h[0].best[0].call_module, "ntoskrnl.exe");
	ck_assert_str_eq(h[0].company, "Contoso Test Drivers Ltd.");
	ck_assert_str_eq(h[0].file_version, "1.2.3.4 (test)");
	ck_assert(strstr(h[0].reason, "argument of a call to ExAllocatePoolWithTag"));

	/* Frees with "Leak"; the allocator call after it is not credited. */
	ck_assert_str_eq(base(h[1].path), "decoy_freer.sys");
	ck_assert_uint_eq(h[1].allocator_calls, 0);
	ck_assert(h[1].best[0].free_call);
	ck_assert(!h[1].best[0].allocator_call);
	ck_assert_str_eq(h[1].best[0].operand, "edx");
	ck_assert(strstr(h[1].reason, "frees with the tag") != NULL);
	ck_assert(h[1].confidence < 0.9);

	ck_assert_str_eq(base(h[2].path), "decoy_data.sys");
	ck_assert_uint_eq(h[2].places[PT_PLACE_ARGUMENT], 0);
	ck_assert_uint_ge(h[2].places[PT_PLACE_DATA], 1);
	ck_assert(strstr(h[2].reason, "data section") != NULL);
	ck_assert_str_eq(base(h[3].path), "decoy_noimport.sys");
	ck_assert_ptr_null(h[3].allocator);
	ck_assert(strstr(h[3].reason, "no pool allocator import") != NULL);
	for (int i = 0; i < 3; i++)
		ck_assert(h[i].confidence > h[i + 1].confidence);
}
END_TEST

START_TEST(thunk_call_resolved_and_unfound_tag)
{
	scan_drivers();
	const struct pt_owner_tag *t = tag("Thk2");
	ck_assert_uint_eq(t->nhits, 2);
	/* Called through a jmp [IAT] thunk, not call [IAT]. */
	ck_assert_str_eq(t->hits[0].best[0].call_import,
		"ExAllocatePoolWithTagPriority");
	ck_assert_str_eq(base(t->hits[0].path), "leaky.sys");
	ck_assert_str_eq(base(tag("Dcoy")->hits[0].path), "decoy_data.sys");
	ck_assert_uint_eq(tag("Nope")->nhits, 0);
}
END_TEST

static const struct pt_owner_hit *
scan_code(uint16_t machine, bool plus, const uint8_t *code, size_t n,
		const char *t4)
{
	uint8_t img[PE_BUILD_SIZE];
	pe_build(img, machine, plus, code, n);
	const char *tags[] = { t4 };
	new_scan(tags, 1);
	struct pt_error err = { 0 };
	ck_assert(pt_owner_scan_buffer(scan, "built.sys", img, sizeof(img),
		&diags, &err));
	pt_owner_scan_finish(scan);
	ck_assert_uint_eq(tag(t4)->nhits, 1);
	return &tag(t4)->hits[0];
}

START_TEST(x64_stack_argument_and_call_through_iat)
{
	/* mov dword [rsp+0x20], 'Stak'; call [rip+disp32] -> the IAT slot */
	uint8_t code[14] = { 0xc7, 0x44, 0x24, 0x20, 'S', 't', 'a', 'k', 0xff, 0x15 };
	uint32_t disp = PE_BUILD_IAT - (PE_BUILD_TEXT_RVA + 14);
	memcpy(code + 10, &disp, 4);
	const struct pt_owner_hit *h = scan_code(PT_PE_MACHINE_AMD64, true, code,
		sizeof(code), "Stak");
	ck_assert_str_eq(h->best[0].operand, "[rsp+0x20]");
	/* The fifth argument is not ExAllocatePoolWithTag's tag (the third). */
	ck_assert(h->best[0].call_near);
	ck_assert(!h->best[0].allocator_call);
	ck_assert_uint_eq(h->best[0].offset, PE_BUILD_TEXT_OFF + 4);
	ck_assert_str_eq(h->best[0].section, ".text");
}
END_TEST

/* mov r8d, 'Ebjm' then the bytes in code; the import table of pe_build. */
static const struct pt_owner_hit *
scan_after_r8d(const uint8_t *tail, size_t n)
{
	uint8_t code[64] = { 0x41, 0xb8, 'E', 'b', 'j', 'm' };
	memcpy(code + 6, tail, n);
	return scan_code(PT_PE_MACHINE_AMD64, true, code, 6 + n, "Ebjm");
}

/* FF 25 disp32 at text offset at: jmp [rip+disp32] to the IAT slot. */
static void
put_iat_jmp(uint8_t *code, size_t at, uint8_t op2)
{
	code[at] = 0xff;
	code[at + 1] = op2;
	uint32_t disp = PE_BUILD_IAT - (uint32_t)(PE_BUILD_TEXT_RVA + at + 6);
	memcpy(code + at + 2, &disp, 4);
}

START_TEST(jmp_counts_only_to_an_import_thunk)
{
	/* jmp short +2 over two bytes: a branch, not a call. */
	static const uint8_t branch[] = { 0xeb, 0x02, 0x90, 0x90 };
	const struct pt_owner_hit *h = scan_after_r8d(branch, sizeof(branch));
	ck_assert_int_eq(h->best[0].kind, PT_PLACE_ARGUMENT);
	ck_assert(!h->best[0].call_near);
	pt_owner_scan_destroy(scan);
	scan = NULL;
	/* jmp rel32 (+0x10) to a jmp [IAT] thunk: a tail call to the allocator. */
	uint8_t code[64] = { 0x41, 0xb8, 'E', 'b', 'j', 'm', 0xe9, 0x10, 0, 0, 0 };
	put_iat_jmp(code, 6 + 5 + 0x10, 0x25);
	h = scan_code(PT_PE_MACHINE_AMD64, true, code, sizeof(code), "Ebjm");
	ck_assert(h->best[0].allocator_call);
	ck_assert_str_eq(h->best[0].call_import, "ExAllocatePoolWithTag");
}
END_TEST

/* tail for scan_after_r8d: bytes, then call [rip+IAT] (the allocator). */
static size_t
tail_then_call(uint8_t tail[32], const uint8_t *bytes, size_t n)
{
	memcpy(tail, bytes, n);
	tail[n] = 0xff;
	tail[n + 1] = 0x15;
	/* RIP-relative to the end of the call, after the 6-byte mov r8d. */
	uint32_t disp = PE_BUILD_IAT - (uint32_t)(PE_BUILD_TEXT_RVA + 6 + n + 6);
	memcpy(tail + n + 2, &disp, 4);
	return n + 6;
}

START_TEST(window_ends_at_ret_and_indirect_calls)
{
	/* ret, call rax, call [not the IAT]: the allocator call after is not credited. */
	static const uint8_t ends[][6] = {
		{ 0xc3 }, { 0xc2, 0x08, 0x00 }, { 0xff, 0xd0 },
		{ 0xff, 0x15, 0x00, 0x00, 0x00, 0x00 },
	};
	static const size_t lens[] = { 1, 3, 2, 6 };
	/* C2/C3 as operands (mov edx, eax; mov edx, 0xc3) are not a ret. */
	static const uint8_t operands[][5] = { { 0x89, 0xc2 },
		{ 0xba, 0xc3, 0, 0, 0 } };
	static const size_t oplens[] = { 2, 5 };
	uint8_t tail[32];
	for (size_t i = 0; i < 6; i++) {
		bool end = i < 4;
		size_t n = end ? tail_then_call(tail, ends[i], lens[i]) :
			tail_then_call(tail, operands[i - 4], oplens[i - 4]);
		ck_assert_msg(scan_after_r8d(tail, n)->best[0].allocator_call != end,
			"case %zu", i);
		pt_owner_scan_destroy(scan);
		scan = NULL;
	}
	/* Nothing in between: the call is credited. */
	static const uint8_t nothing[1];
	ck_assert(scan_after_r8d(tail, tail_then_call(tail, nothing, 0))->
		best[0].allocator_call);
}
END_TEST

START_TEST(x64_forms_of_argument_loads)
{
	static const struct { uint8_t pre[3]; size_t n; const char *op; } forms[] = {
		{ { 0xb9 }, 1, "ecx" },
		{ { 0xba }, 1, "edx" },
		{ { 0x41, 0xb8 }, 2, "r8d" },
		{ { 0x41, 0xb9 }, 2, "r9d" },
		{ { 0xc7, 0xc2 }, 2, "edx" },
		{ { 0x41, 0xc7, 0xc0 }, 3, "r8d" },
	};
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		uint8_t code[16] = { 0x90, 0x90, 0x90 };
		memcpy(code + 3 - forms[i].n, forms[i].pre, forms[i].n);
		memcpy(code + 3, "Argm", 4);
		/* call rel32 to the ret at the end of the code */
		code[7] = 0xe8;
		uint32_t rel = 3;
		memcpy(code + 8, &rel, 4);
		code[15] = 0xc3;
		const struct pt_owner_hit *h = scan_code(PT_PE_MACHINE_AMD64, true,
			code, sizeof(code), "Argm");
		ck_assert_msg(h->best[0].kind == PT_PLACE_ARGUMENT, "form %zu", i);
		ck_assert_str_eq(h->best[0].operand, forms[i].op);
		ck_assert(h->best[0].call_near);
		ck_assert(!h->best[0].allocator_call);
		/* Imports an allocator, an argument before a call: 0.85. */
		ck_assert(h->confidence > 0.8 && h->confidence < 0.9);
		pt_owner_scan_destroy(scan);
		scan = NULL;
	}
}
END_TEST

START_TEST(rex_w_and_other_registers_are_not_arguments)
{
	/* mov rcx, imm64 (REX.W B9): the tag is half of a 64-bit constant. */
	uint8_t code[12] = { 0x48, 0xb9, 'W', 'i', 'd', 'e', 0, 0, 0, 0, 0xc3 };
	const struct pt_owner_hit *h = scan_code(PT_PE_MACHINE_AMD64, true, code,
		sizeof(code), "Wide");
	ck_assert_int_eq(h->best[0].kind, PT_PLACE_CODE);
	pt_owner_scan_destroy(scan);
	scan = NULL;
	/* mov ebx, imm32: not an argument register. */
	uint8_t code2[6] = { 0xbb, 'E', 'b', 'x', '!', 0xc3 };
	h = scan_code(PT_PE_MACHINE_AMD64, true, code2, sizeof(code2), "Ebx!");
	ck_assert_int_eq(h->best[0].kind, PT_PLACE_CODE);
}
END_TEST

START_TEST(x86_push_before_call)
{
	uint8_t code[11] = { 0x68, 'P', 'u', 's', 'h', 0xe8, 0, 0, 0, 0, 0xc3 };
	const struct pt_owner_hit *h = scan_code(PT_PE_MACHINE_I386, false, code,
		sizeof(code), "Push");
	ck_assert_str_eq(h->best[0].operand, "push");
	ck_assert(h->best[0].call_near);
	ck_assert(!h->best[0].allocator_call);
	ck_assert_uint_eq(h->machine, PT_PE_MACHINE_I386);
}
END_TEST

START_TEST(x86_call_through_the_iat_by_absolute_address)
{
	/* push 'Push'; call dword [ImageBase + IAT slot] (pe_build: base 0). */
	uint8_t code[12] = { 0x68, 'P', 'u', 's', 'h', 0xff, 0x15 };
	uint32_t slot = PE_BUILD_IAT;
	memcpy(code + 7, &slot, 4);
	code[11] = 0xc3;
	const struct pt_owner_hit *h = scan_code(PT_PE_MACHINE_I386, false, code,
		sizeof(code), "Push");
	ck_assert(h->best[0].allocator_call);
	ck_assert_str_eq(h->best[0].call_import, "ExAllocatePoolWithTag");
	ck_assert(h->confidence > 0.95);
}
END_TEST

/* ARM64 instruction words, little-endian into code at word i. */
static void
put_insn(uint8_t *code, size_t i, uint32_t insn)
{
	for (int b = 0; b < 4; b++)
		code[i * 4 + (size_t)b] = (uint8_t)(insn >> (8 * b));
}

static uint32_t
movz_w(unsigned rd, uint32_t imm, unsigned hw)
{
	return 0x52800000u | hw << 21 | imm << 5 | rd;
}

static uint32_t
movk_w(unsigned rd, uint32_t imm, unsigned hw)
{
	return 0x72800000u | hw << 21 | imm << 5 | rd;
}

/* adrp xd, +1 page; ldr xd, [xd, #0x60]: the IAT slot PE_BUILD_IAT. */
static void
put_slot_load(uint8_t *code, size_t i, unsigned rd)
{
	put_insn(code, i, 0xb0000000u | rd);
	put_insn(code, i + 1, 0xf9400000u | 12u << 10 | rd << 5 | rd);
}

START_TEST(arm64_movz_movk_and_call_through_a_thunk)
{
	/* 'Leak' = 0x6b61654c in w2, bl to an adrp/ldr/br x16 thunk. */
	uint8_t code[28];
	put_insn(code, 0, movz_w(2, 0x654c, 0));
	put_insn(code, 1, movk_w(2, 0x6b61, 1));
	put_insn(code, 2, 0x94000002u);          /* bl +8 */
	put_insn(code, 3, 0xd65f03c0u);          /* ret */
	put_slot_load(code, 4, 16);
	put_insn(code, 6, 0xd61f0200u);          /* br x16 */
	const struct pt_owner_hit *h = scan_code(PT_PE_MACHINE_ARM64, true, code,
		sizeof(code), "Leak");
	ck_assert_int_eq(h->best[0].kind, PT_PLACE_ARGUMENT);
	ck_assert(h->best[0].split);
	ck_assert_str_eq(h->best[0].operand, "w2");
	ck_assert_uint_eq(h->best[0].offset, PE_BUILD_TEXT_OFF);
	ck_assert(h->best[0].allocator_call);
	ck_assert_str_eq(h->best[0].call_import, "ExAllocatePoolWithTag");
	ck_assert(h->confidence > 0.95);
}
END_TEST

START_TEST(arm64_high_half_first_and_blr)
{
	/* 'Blr!' = 0x21726c42 built high half first in w2, then adrp/ldr/blr. */
	uint8_t code[20];
	put_insn(code, 0, movz_w(2, 0x2172, 1));
	put_insn(code, 1, movk_w(2, 0x6c42, 0));
	put_slot_load(code, 2, 8);
	put_insn(code, 4, 0xd63f0100u);          /* blr x8 */
	const struct pt_owner_hit *h = scan_code(PT_PE_MACHINE_ARM64, true, code,
		sizeof(code), "Blr!");
	ck_assert_str_eq(h->best[0].operand, "w2");
	ck_assert(h->best[0].allocator_call);
	pt_owner_scan_destroy(scan);
	scan = NULL;
	/* The same pair into w9 is not an argument; overwritten rd breaks it. */
	put_insn(code, 0, movz_w(9, 0x2172, 1));
	put_insn(code, 1, movk_w(9, 0x6c42, 0));
	h = scan_code(PT_PE_MACHINE_ARM64, true, code, sizeof(code), "Blr!");
	ck_assert_int_eq(h->best[0].kind, PT_PLACE_CODE);
	pt_owner_scan_destroy(scan);
	scan = NULL;
	uint8_t img[PE_BUILD_SIZE];
	put_insn(code, 0, movz_w(1, 0x2172, 1));
	put_insn(code, 1, 0x2a1f03e1u);          /* mov w1, wzr */
	put_insn(code, 2, movk_w(1, 0x6c42, 0));
	pe_build(img, PT_PE_MACHINE_ARM64, true, code, sizeof(code));
	const char *tags[] = { "Blr!" };
	new_scan(tags, 1);
	struct pt_error err = { 0 };
	ck_assert(pt_owner_scan_buffer(scan, "a.sys", img, sizeof(img), &diags, &err));
	ck_assert_uint_eq(tag("Blr!")->nhits, 0);
}
END_TEST

START_TEST(tag_in_headers_and_at_the_last_bytes)
{
	uint8_t img[PE_BUILD_SIZE];
	pe_build(img, PT_PE_MACHINE_AMD64, true, NULL, 0);
	memcpy(img + PE_BUILD_SIZE - 4, "Edge", 4);
	memcpy(img + 0x100, "Edge", 4);
	const char *tags[] = { "Edge", "Edge", "None" };
	new_scan(tags, 3);
	ck_assert_uint_eq(scan->ntags, 2); /* duplicates kept once */
	struct pt_error err = { 0 };
	ck_assert(pt_owner_scan_buffer(scan, "edge.sys", img, sizeof(img),
		&diags, &err));
	pt_owner_scan_finish(scan);
	const struct pt_owner_hit *h = &tag("Edge")->hits[0];
	ck_assert_uint_eq(h->places[PT_PLACE_OUTSIDE], 1);
	ck_assert_uint_eq(h->places[PT_PLACE_DATA], 1);
	ck_assert_uint_eq(tag("None")->nhits, 0);
}
END_TEST

START_TEST(non_pe_files_are_skipped_with_a_note_for_driver_names)
{
	const char *tags[] = { "Leak" };
	new_scan(tags, 1);
	struct pt_error err = { 0 };
	ck_assert(pt_owner_scan_buffer(scan, "readme.txt",
		(const uint8_t *)"Leak Leak", 9, &diags, &err));
	ck_assert(pt_owner_scan_buffer(scan, "fake.sys",
		(const uint8_t *)"Leak", 4, &diags, &err));
	ck_assert(pt_owner_scan_buffer(scan, "broken.dll",
		(const uint8_t *)"MZLeak", 6, &diags, &err));
	ck_assert_uint_eq(scan->files, 3);
	ck_assert_uint_eq(scan->pe_files, 0);
	ck_assert_uint_eq(tag("Leak")->nhits, 0);
	ck_assert_uint_eq(diags.len, 2);
	ck_assert_str_eq(diags.items[0].file, "fake.sys");
	ck_assert(strstr(diags.items[1].msg, "PE signature") != NULL);
}
END_TEST

START_TEST(a_file_reached_twice_is_read_once)
{
	const char *tags[] = { "Leak" };
	new_scan(tags, 1);
	struct pt_error err = { 0 };
	char path[1024];
	snprintf(path, sizeof(path), "%s/leaky.sys", DRIVERS_DIR);
	ck_assert(pt_owner_scan_path(scan, DRIVERS_DIR, &diags, &err));
	ck_assert(pt_owner_scan_path(scan, path, &diags, &err));
	pt_owner_scan_finish(scan);
	ck_assert_uint_eq(tag("Leak")->nhits, 4);
	ck_assert_uint_eq(diags.len, 1);
	ck_assert(strstr(diags.items[0].msg, "read once") != NULL);
}
END_TEST

/*
 * A scan for "Leak" and a fresh directory under TMPDIR (or /tmp), with
 * path set to name inside it; the caller removes both.
 */
static void
leak_scan_and_temp_dir(char dir[512], char path[600], const char *name)
{
	const char *tags[] = { "Leak" };
	const char *t = getenv("TMPDIR");
	new_scan(tags, 1);
	snprintf(dir, 512, "%s/pt-owner-XXXXXX", t && t[0] ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, 600, "%s/%s", dir, name);
}

START_TEST(a_file_over_the_size_cap_is_skipped_with_a_warning)
{
	char dir[512], path[600];
	leak_scan_and_temp_dir(dir, path, "huge.sys");
	/* Sparse: no disk space, but its size is over the cap. */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "MZ", 2), 2);
	ck_assert_int_eq(ftruncate(fd, (off_t)PT_OWNER_MAX_FILE + 1), 0);
	close(fd);
	struct pt_error err = { 0 };
	ck_assert(pt_owner_scan_path(scan, dir, &diags, &err));
	unlink(path);
	rmdir(dir);
	ck_assert_uint_eq(scan->pe_files, 0);
	ck_assert_uint_eq(diags.len, 1);
	ck_assert_int_eq(diags.items[0].severity, PT_SEV_WARNING);
	ck_assert(strstr(diags.items[0].msg, "too large") != NULL);
}
END_TEST

START_TEST(more_tags_than_the_cap_is_an_error)
{
	uint8_t (*t)[4] = calloc(PT_OWNER_MAX_TAGS + 1, 4);
	ck_assert_ptr_nonnull(t);
	struct pt_error err = { 0 };
	scan = pt_owner_scan_create((const uint8_t (*)[4])t,
		PT_OWNER_MAX_TAGS + 1, &err);
	free(t);
	ck_assert_ptr_null(scan);
	ck_assert(strstr(err.msg, "more than 4096 tags") != NULL);
}
END_TEST

START_TEST(places_over_the_analysis_cap_are_reported)
{
	/* 4097 copies of the tag after the sections, all counted. */
	size_t len = PE_BUILD_SIZE + 4097 * 4;
	uint8_t *img = malloc(len);
	ck_assert_ptr_nonnull(img);
	pe_build(img, PT_PE_MACHINE_AMD64, true, NULL, 0);
	for (size_t i = PE_BUILD_SIZE; i < len; i += 4)
		memcpy(img + i, "Many", 4);
	const char *tags[] = { "Many" };
	new_scan(tags, 1);
	struct pt_error err = { 0 };
	ck_assert(pt_owner_scan_buffer(scan, "many.sys", img, len, &diags, &err));
	free(img);
	ck_assert_uint_eq(tag("Many")->hits[0].places[PT_PLACE_OUTSIDE], 4097);
	ck_assert_uint_eq(diags.len, 1);
	ck_assert(strstr(diags.items[0].msg, "more than 4096 places") != NULL);
}
END_TEST

/* x64 code: n times "mov r8d, 'Leak'; call [rip+IAT]" (the allocator). */
static void
scan_allocator_calls(const char *name, int n)
{
	uint8_t img[PE_BUILD_SIZE], code[64] = { 0 };
	for (int i = 0; i < n; i++) {
		uint8_t *c = code + i * 12;
		memcpy(c, "\x41\xb8Leak\xff\x15", 8);
		uint32_t disp = PE_BUILD_IAT -
			(uint32_t)(PE_BUILD_TEXT_RVA + i * 12 + 12);
		memcpy(c + 8, &disp, 4);
	}
	pe_build(img, PT_PE_MACHINE_AMD64, true, code, (size_t)n * 12);
	struct pt_error err = { 0 };
	ck_assert(pt_owner_scan_buffer(scan, name, img, sizeof(img), &diags,
		&err));
}

START_TEST(ties_break_on_allocator_calls_and_are_said)
{
	const char *tags[] = { "Leak" };
	new_scan(tags, 1);
	scan_allocator_calls("a.sys", 1);
	scan_allocator_calls("b.sys", 2);
	pt_owner_scan_finish(scan);
	const struct pt_owner_tag *t = tag("Leak");
	ck_assert_uint_eq(t->nhits, 2);
	/* Same confidence: more allocator calls first, not the path. */
	ck_assert_str_eq(t->hits[0].path, "b.sys");
	ck_assert(t->hits[0].confidence == t->hits[1].confidence);
	ck_assert(t->hits[0].tie);
	ck_assert(strstr(t->hits[0].reason, "; tie with a.sys") != NULL);
	ck_assert(!t->hits[1].tie);
}
END_TEST

START_TEST(weak_evidence_names_no_driver)
{
	/* A likely series "Leak"; its only binary holds the tag in data. */
	struct pt_series se = { 0 };
	struct pt_score sc = { 0 };
	memcpy(se.tag, "Leak", 4);
	sc.verdict = PT_VERDICT_LIKELY;
	struct pt_analysis a = { 0 };
	a.ds.series = &se;
	a.ds.nseries = 1;
	a.scores = &sc;
	const char *tags[] = { "Leak" };
	new_scan(tags, 1);
	uint8_t img[PE_BUILD_SIZE];
	pe_build(img, PT_PE_MACHINE_AMD64, true, NULL, 0);
	memcpy(img + 0x400 + 0x1f0, "Leak", 4);   /* in .idata: data */
	struct pt_error err = { 0 };
	ck_assert(pt_owner_scan_buffer(scan, "weak.sys", img, sizeof(img),
		&diags, &err));
	pt_owner_scan_finish(scan);
	ck_assert_uint_eq(tag("Leak")->nhits, 1);
	struct pt_report_opts o = { .drivers = scan };
	/* 0.40 (data, imports an allocator) is the lowest still named. */
	ck_assert(tag("Leak")->hits[0].confidence >= PT_OWNER_MIN_DRIVER);
	ck_assert_ptr_nonnull(pt_report_driver(&a, &o, 0));
	/* Without the allocator import it is 0.10: no driver named. */
	pt_owner_scan_destroy(scan);
	new_scan(tags, 1);
	memset(img + 0x4a2, 0, 22);   /* the import's name */
	ck_assert(pt_owner_scan_buffer(scan, "weak.sys", img, sizeof(img),
		&diags, &err));
	pt_owner_scan_finish(scan);
	o.drivers = scan;
	ck_assert(tag("Leak")->hits[0].confidence < PT_OWNER_MIN_DRIVER);
	ck_assert_ptr_null(pt_report_driver(&a, &o, 0));
}
END_TEST

START_TEST(a_directory_reached_twice_is_walked_once)
{
	char dir[512], link[600];
	leak_scan_and_temp_dir(dir, link, "drivers");
	ck_assert_int_eq(symlink(DRIVERS_DIR, link), 0);
	struct pt_error err = { 0 };
	/* The link as an operand is followed, and reaches the same directory. */
	ck_assert(pt_owner_scan_path(scan, DRIVERS_DIR, &diags, &err));
	ck_assert(pt_owner_scan_path(scan, link, &diags, &err));
	unlink(link);
	rmdir(dir);
	pt_owner_scan_finish(scan);
	ck_assert_uint_eq(tag("Leak")->nhits, 4);
	ck_assert_uint_eq(diags.len, 1);
	ck_assert(strstr(diags.items[0].msg, "same directory") != NULL);
}
END_TEST

START_TEST(a_free_ranks_below_an_unknown_call)
{
	/*
	 * mov r8d, 'Wrap'; call +0 (the driver's own wrapper), then
	 * mov edx, 'Wrap'; call [rip+IAT], the import renamed ExFreePoolWithTag.
	 */
	uint8_t img[PE_BUILD_SIZE], code[32] = { 0x41, 0xb8, 'W', 'r', 'a', 'p',
		0xe8, 0, 0, 0, 0, 0xba, 'W', 'r', 'a', 'p', 0xff, 0x15 };
	uint32_t disp = PE_BUILD_IAT - (PE_BUILD_TEXT_RVA + 22);
	memcpy(code + 18, &disp, 4);
	pe_build(img, PT_PE_MACHINE_AMD64, true, code, 22);
	memcpy(img + 0x4a2, "ExFreePoolWithTag", 18);
	const char *tags[] = { "Wrap" };
	new_scan(tags, 1);
	struct pt_error err = { 0 };
	ck_assert(pt_owner_scan_buffer(scan, "w.sys", img, sizeof(img), &diags,
		&err));
	pt_owner_scan_finish(scan);
	const struct pt_owner_hit *h = &tag("Wrap")->hits[0];
	ck_assert_uint_eq(h->nbest, 2);
	ck_assert(!h->best[0].free_call && h->best[0].call_near);
	ck_assert(h->best[1].free_call);
	ck_assert(h->free_only);
	ck_assert(h->confidence > 0.80 * 0.8);
}
END_TEST

START_TEST(missing_path_is_reported_not_fatal)
{
	const char *tags[] = { "Leak" };
	new_scan(tags, 1);
	struct pt_error err = { 0 };
	ck_assert(pt_owner_scan_path(scan, "/nonexistent/pooltrend", &diags, &err));
	ck_assert_uint_eq(scan->unreadable, 1);
	ck_assert_uint_eq(diags.len, 1);
}
END_TEST

static Suite *
owner_suite(void)
{
	Suite *s = suite_create("owner");
	TCase *tc = tcase_create("owner");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, true_owner_first_decoys_below_with_reasons);
	tcase_add_test(tc, thunk_call_resolved_and_unfound_tag);
	tcase_add_test(tc, x64_stack_argument_and_call_through_iat);
	tcase_add_test(tc, jmp_counts_only_to_an_import_thunk);
	tcase_add_test(tc, window_ends_at_ret_and_indirect_calls);
	tcase_add_test(tc, x64_forms_of_argument_loads);
	tcase_add_test(tc, rex_w_and_other_registers_are_not_arguments);
	tcase_add_test(tc, x86_push_before_call);
	tcase_add_test(tc, x86_call_through_the_iat_by_absolute_address);
	tcase_add_test(tc, arm64_movz_movk_and_call_through_a_thunk);
	tcase_add_test(tc, arm64_high_half_first_and_blr);
	tcase_add_test(tc, tag_in_headers_and_at_the_last_bytes);
	tcase_add_test(tc, non_pe_files_are_skipped_with_a_note_for_driver_names);
	tcase_add_test(tc, a_file_reached_twice_is_read_once);
	tcase_add_test(tc, missing_path_is_reported_not_fatal);
	tcase_add_test(tc, a_free_ranks_below_an_unknown_call);
	tcase_add_test(tc, a_directory_reached_twice_is_walked_once);
	tcase_add_test(tc, weak_evidence_names_no_driver);
	tcase_add_test(tc, ties_break_on_allocator_calls_and_are_said);
	tcase_add_test(tc, places_over_the_analysis_cap_are_reported);
	tcase_add_test(tc, more_tags_than_the_cap_is_an_error);
	tcase_add_test(tc, a_file_over_the_size_cap_is_skipped_with_a_warning);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pt_test_run(owner_suite());
}
