/*
 * Fuzz target: raw bytes -> pt_pe_open -> accessors, then the owner scan
 * of the same bytes and both owner report formats.
 *
 * Checked against pe.h and owner.h: sections' raw data lies inside the
 * buffer and pt_pe_section_at agrees with it; RVA and offset conversions
 * round-trip inside sections; every import has a module and an IAT slot
 * that pt_pe_import_at finds; strings are NUL-terminated; every place
 * found is inside the buffer and holds the tag's bytes; counts add up;
 * confidences lie in [0, 1] and are ranked; reasons are set.  Any
 * violation aborts.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pooltrend/owner.h"
#include "pooltrend/pe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_pe: invariant violated: %s\n", what);
	abort();
}

static void
check_sections(const struct pt_pe *pe, size_t size)
{
	if (pt_pe_section_count(pe) > PT_PE_MAX_SECTIONS)
		fail("too many sections");
	for (size_t i = 0; i < pt_pe_section_count(pe); i++) {
		const struct pt_pe_section *s = pt_pe_section(pe, i);
		if (s->raw_size == 0)
			continue;
		if ((size_t)s->raw_offset + s->raw_size > size)
			fail("section raw data past the buffer");
		if (pt_pe_section_at(pe, s->raw_offset) == NULL)
			fail("section_at misses a section start");
		uint32_t rva;
		size_t off;
		if (!pt_pe_offset_to_rva(pe, s->raw_offset, &rva) ||
				!pt_pe_rva_to_offset(pe, rva, &off) || off >= size)
			fail("offset/RVA conversion");
	}
}

static void
check_imports(const struct pt_pe *pe)
{
	if (pt_pe_import_count(pe) > PT_PE_MAX_IMPORTS)
		fail("too many imports");
	for (size_t i = 0; i < pt_pe_import_count(pe); i++) {
		const struct pt_pe_import *im = pt_pe_import(pe, i);
		if (im->module == NULL)
			fail("import without module");
		(void)strlen(im->module);
		if (im->name != NULL)
			(void)strlen(im->name);
		const struct pt_pe_import *at = pt_pe_import_at(pe, im->iat_rva);
		if (at == NULL || at->iat_rva != im->iat_rva)
			fail("import_at does not find the IAT slot");
	}
	const struct pt_pe_version *v = pt_pe_version(pe);
	const char *vs[] = { v->company, v->description, v->file_version,
		v->product, v->original_filename };
	for (size_t i = 0; i < 5; i++) {
		if (vs[i] != NULL)
			(void)strlen(vs[i]);
	}
}

static void
check_hit(const struct pt_owner_hit *h, const uint8_t tag[4],
		const uint8_t *data, size_t size)
{
	size_t total = 0;
	for (int k = 0; k < 4; k++)
		total += h->places[k];
	if (total == 0 || h->nbest == 0 || h->nbest > PT_OWNER_MAX_PLACES ||
			h->nbest > total)
		fail("place counts");
	if (h->allocator_calls > h->near_call ||
			h->near_call > h->places[PT_PLACE_ARGUMENT])
		fail("call counts");
	if (!(h->confidence >= 0 && h->confidence <= 1) || h->reason[0] == '\0')
		fail("confidence or reason");
	for (size_t i = 0; i < h->nbest; i++) {
		const struct pt_tag_place *p = &h->best[i];
		if (p->offset + 4 > size)
			fail("place outside the buffer");
		if (!p->split && memcmp(data + p->offset, tag, 4) != 0)
			fail("place does not hold the tag");
		if (p->split && h->machine != PT_PE_MACHINE_ARM64)
			fail("movz/movk place outside ARM64");
		if (p->allocator_call && (p->call_import == NULL ||
				!pt_owner_is_allocator(p->call_import)))
			fail("allocator call without an allocator");
		if (p->free_call && (p->allocator_call || p->call_import == NULL ||
				strcmp(p->call_import, "ExFreePoolWithTag") != 0))
			fail("free call that is not ExFreePoolWithTag alone");
		if ((p->allocator_call || p->free_call) && !p->call_near)
			fail("call credited without a call");
	}
}

static void
scan(const uint8_t *data, size_t size)
{
	/* The first bytes, bytes from the middle, and a common real tag. */
	uint8_t tags[3][4] = { { 'L', 'e', 'a', 'k' } };
	if (size >= 4)
		memcpy(tags[1], data, 4);
	if (size >= 8)
		memcpy(tags[2], data + size / 2 - 2, 4);
	struct pt_error err = { 0 };
	struct pt_owner_scan *s = pt_owner_scan_create((const uint8_t (*)[4])tags,
		3, &err);
	struct pt_diags d;
	pt_diags_init(&d);
	if (s == NULL || !pt_owner_scan_buffer(s, "fuzz.sys", data, size, &d, &err))
		fail("owner scan failed");
	pt_owner_scan_finish(s);
	for (size_t t = 0; t < s->ntags; t++) {
		const struct pt_owner_tag *tg = &s->tags[t];
		for (size_t i = 0; i < tg->nhits; i++)
			check_hit(&tg->hits[i], tg->tag, data, size);
	}
	static FILE *null;
	if (null == NULL)
		null = fopen("/dev/null", "w");
	struct pt_owner_report_opts o = { "fuzz", NULL, 0 };
	if (null != NULL && (!pt_owner_write_text(null, s, &o, &err) ||
			!pt_owner_write_json(null, s, &o, &err)))
		fail("report failed");
	pt_owner_scan_destroy(s);
	pt_diags_finish(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pt_error err = { 0 };
	struct pt_pe *pe = pt_pe_open(data, size, &err);
	if (pe != NULL) {
		check_sections(pe, size);
		check_imports(pe);
		pt_pe_destroy(pe);
	} else if (err.msg[0] == '\0') {
		fail("error without a message");
	}
	scan(data, size);
	return 0;
}
