/*
 * Owner scan (see owner.h): walk the paths, map each PE image once, find
 * every wanted tag in one pass, judge each place and score the binaries.
 */
#include "pooltrend/owner.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pooltrend/pe.h"

/* Directory levels followed below an operand. */
#define MAX_DEPTH 64
/*
 * Places of one tag in one binary that get the instruction and call
 * analysis; later ones are only counted by section.  Bounds the work on
 * a hostile file made of nothing but tag loads.
 */
#define MAX_DECODED 4096

/* A file already read: a hash set slot (ino 0 and dev 0 = empty). */
struct pt_owner_seen {
	dev_t dev;
	ino_t ino;
};

struct pt_owner_key {
	uint32_t key;
	size_t tag;
};

/* What one binary says about itself, shared by its hits. */
struct pt_owner_file {
	struct pt_owner_file *next;
	char *path;
	char *version[5];
	char *allocator;
	char *allocator_module;
	bool free_only;
	uint16_t machine;
};

/* The one import that only frees: evidence, but weaker than allocating. */
static const char free_import[] = "ExFreePoolWithTag";

/* Each allocator and the position (1-based) of its tag argument. */
static const struct allocator {
	const char *name;
	int tag_arg;
} allocators[] = {
	{ "ExAllocatePoolWithTag", 3 }, { "ExAllocatePoolWithQuotaTag", 3 },
	{ "ExAllocatePoolWithTagPriority", 3 }, { "ExAllocatePool2", 3 },
	{ "ExAllocatePool3", 3 }, { "ExAllocatePoolZero", 3 },
	{ "ExAllocatePoolQuotaZero", 3 }, { "ExAllocatePoolPriorityZero", 3 },
	{ "NdisAllocateMemoryWithTagPriority", 3 },
	{ "NdisAllocateMemoryWithTag", 3 },
	{ "FltAllocatePoolAlignedWithTag", 4 },
	{ "ExInitializeNPagedLookasideList", 6 },
	{ "ExInitializePagedLookasideList", 6 },
	{ "ExInitializeLookasideListEx", 7 },
};

/* ExFreePoolWithTag(P, Tag): the tag is the second argument. */
#define FREE_TAG_ARG 2

/* The allocator called name, or NULL. */
static const struct allocator *
find_allocator(const char *name)
{
	for (size_t i = 0; name && i < sizeof(allocators) / sizeof(allocators[0]); i++) {
		if (strcmp(name, allocators[i].name) == 0)
			return &allocators[i];
	}
	return NULL;
}

bool
pt_owner_is_allocator(const char *name)
{
	return find_allocator(name) != NULL;
}

const char *
pt_place_kind_name(enum pt_place_kind k)
{
	switch (k) {
	case PT_PLACE_DATA: return "data";
	case PT_PLACE_CODE: return "code";
	case PT_PLACE_ARGUMENT: return "argument";
	case PT_PLACE_OUTSIDE:
	default: return "outside";
	}
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		(uint32_t)p[3] << 24;
}

static int
cmp_keys(const void *a, const void *b)
{
	uint32_t x = ((const struct pt_owner_key *)a)->key;
	uint32_t y = ((const struct pt_owner_key *)b)->key;
	return x < y ? -1 : x > y;
}

static bool
has_tag(const struct pt_owner_scan *s, const uint8_t tag[4])
{
	for (size_t i = 0; i < s->ntags; i++) {
		if (memcmp(s->tags[i].tag, tag, 4) == 0)
			return true;
	}
	return false;
}

struct pt_owner_scan *
pt_owner_scan_create(const uint8_t (*tags)[4], size_t ntags,
		struct pt_error *err)
{
	if (ntags > PT_OWNER_MAX_TAGS) {
		pt_error_set(err, 0, "more than %d tags to look for",
			PT_OWNER_MAX_TAGS);
		return NULL;
	}
	struct pt_owner_scan *s = calloc(1, sizeof(*s));
	if (s != NULL) {
		s->tags = calloc(ntags ? ntags : 1, sizeof(*s->tags));
		s->keys = calloc(ntags ? ntags : 1, sizeof(*s->keys));
		s->first2 = calloc(65536 / 64, sizeof(uint64_t));
	}
	if (s == NULL || s->tags == NULL || s->keys == NULL || s->first2 == NULL) {
		pt_owner_scan_destroy(s);
		pt_error_set(err, 0, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < ntags; i++) {
		if (has_tag(s, tags[i]))
			continue;
		memcpy(s->tags[s->ntags].tag, tags[i], 4);
		s->keys[s->ntags] = (struct pt_owner_key){ le32(tags[i]), s->ntags };
		/* The windows at tag bytes 0-1 and 1-2 (see search_tags). */
		for (int w = 0; w < 2; w++) {
			unsigned k = (unsigned)tags[i][w] | (unsigned)tags[i][w + 1] << 8;
			s->first2[k >> 6] |= 1ULL << (k & 63);
		}
		s->ntags++;
	}
	qsort(s->keys, s->ntags, sizeof(*s->keys), cmp_keys);
	return s;
}

static void
free_file(struct pt_owner_file *f)
{
	if (f == NULL)
		return;
	free(f->path);
	for (int i = 0; i < 5; i++)
		free(f->version[i]);
	free(f->allocator);
	free(f->allocator_module);
	free(f);
}

void
pt_owner_scan_destroy(struct pt_owner_scan *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->ntags; i++)
		free(s->tags[i].hits);
	free(s->tags);
	while (s->file_list != NULL) {
		struct pt_owner_file *next = s->file_list->next;
		free_file(s->file_list);
		s->file_list = next;
	}
	free(s->keys);
	free(s->first2);
	free(s->seen);
	free(s);
}

const struct pt_owner_tag *
pt_owner_scan_find(const struct pt_owner_scan *s, const uint8_t tag[4])
{
	for (size_t i = 0; i < s->ntags; i++) {
		if (memcmp(s->tags[i].tag, tag, 4) == 0)
			return &s->tags[i];
	}
	return NULL;
}

/* ---- one binary ---- */

struct image {
	const uint8_t *data;
	size_t len;
	const struct pt_pe *pe;
	struct pt_owner_file *file;
	bool places_capped; /* a tag had more places than get the analysis */
};

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static bool
describe_file(struct pt_owner_file *f, const struct pt_pe *pe)
{
	const struct pt_pe_version *v = pt_pe_version(pe);
	const char *vs[5] = { v->company, v->description, v->file_version,
		v->product, v->original_filename };
	for (int i = 0; i < 5; i++) {
		f->version[i] = dup_or_null(vs[i]);
		if (vs[i] != NULL && f->version[i] == NULL)
			return false;
	}
	f->machine = pt_pe_machine(pe);
	bool frees = false;
	for (size_t i = 0; i < pt_pe_import_count(pe); i++) {
		const struct pt_pe_import *im = pt_pe_import(pe, i);
		if (im->name == NULL)
			continue;
		if (strcmp(im->name, free_import) == 0)
			frees = true;
		if (f->allocator == NULL && pt_owner_is_allocator(im->name)) {
			f->allocator = strdup(im->name);
			f->allocator_module = strdup(im->module ? im->module : "");
			if (f->allocator == NULL || f->allocator_module == NULL)
				return false;
		}
	}
	f->free_only = frees && f->allocator == NULL;
	return true;
}

/* The import an instruction at file offset off calls through, if any. */
static const struct pt_pe_import *
iat_import(const struct image *im, size_t next, int32_t disp)
{
	uint32_t rva;
	if (!pt_pe_offset_to_rva(im->pe, next, &rva))
		return NULL;
	return pt_pe_import_at(im->pe, rva + (uint32_t)disp);
}

static int32_t
sdisp(const uint8_t *p)
{
	return (int32_t)le32(p);
}

/* x86: the import whose IAT slot is at the absolute address in p, or NULL. */
static const struct pt_pe_import *
abs_import(const struct image *im, const uint8_t *p)
{
	uint64_t va = le32(p), base = pt_pe_image_base(im->pe);
	if (va < base || va - base > UINT32_MAX)
		return NULL;
	return pt_pe_import_at(im->pe, (uint32_t)(va - base));
}

/* The import reached through an FF 15 / FF 25 operand at p (next: after it). */
static const struct pt_pe_import *
indirect_import(const struct image *im, const uint8_t *p, size_t next, bool x64)
{
	return x64 ? iat_import(im, next, sdisp(p)) : abs_import(im, p);
}

/* What the bytes at q are to the search for the call after a tag. */
enum insn_kind {
	INSN_OTHER,  /* not a call: go on */
	INSN_CALL,   /* a call: the first one takes the arguments */
	INSN_END,    /* ret, call reg, call [not an import]: the window ends */
};

/* The import a jmp [disp32] thunk at file offset t reaches, or NULL. */
static const struct pt_pe_import *
thunk_import(const struct image *im, size_t t, bool x64)
{
	if (t + 6 > im->len || im->data[t] != 0xff || im->data[t + 1] != 0x25)
		return NULL;
	return indirect_import(im, im->data + t + 2, t + 6, x64);
}

/* The file offset a relative branch ending at next lands on, in code. */
static bool
branch_target(const struct image *im, size_t next, int32_t rel, size_t *t)
{
	uint32_t rva;
	if (!pt_pe_offset_to_rva(im->pe, next, &rva) ||
			!pt_pe_rva_to_offset(im->pe, rva + (uint32_t)rel, t))
		return false;
	const struct pt_pe_section *ts = pt_pe_section_at(im->pe, *t);
	return ts != NULL && ts->exec;
}

/*
 * Is the C2/C3 at q more likely part of another instruction than a ret?
 * The window is scanned byte by byte, so "mov edx, eax" (89 C2) or a size
 * of 0xC3 would otherwise end it before the real call: a ModRM after a
 * common register opcode, or inside the imm32 of mov r32, imm32.
 */
static bool
operand_byte(const uint8_t *d, size_t q, size_t from)
{
	static const uint8_t modrm_ops[] = { 0x01, 0x03, 0x09, 0x0b, 0x21,
		0x23, 0x29, 0x2b, 0x31, 0x33, 0x39, 0x3b, 0x85, 0x87, 0x89, 0x8b };
	if (q > from && memchr(modrm_ops, d[q - 1], sizeof(modrm_ops)) != NULL)
		return true;
	for (size_t k = 1; k <= 4 && q >= from + k; k++) {
		if (d[q - k] >= 0xb8 && d[q - k] <= 0xbf)
			return true;
	}
	return false;
}

/*
 * The bytes at q inside [q, end): a call (E8 rel32 into code, FF 15
 * [disp32] through the IAT, or a tail call E9/EB/FF 25 that reaches an
 * import), with *callee the import reached (directly or through a
 * jmp [disp32] thunk) or NULL; or an instruction that ends the window.
 * [disp32] is RIP-relative on x64 and absolute on x86; from is where
 * the search started (an instruction boundary).  A jmp that does
 * not reach an import is only a branch: counting it would credit the tag
 * to whatever call follows the branch target.
 */
static enum insn_kind
call_at(const struct image *im, size_t q, size_t from, size_t end,
		const struct pt_pe_import **callee)
{
	const uint8_t *d = im->data;
	bool x64 = pt_pe_machine(im->pe) == PT_PE_MACHINE_AMD64;
	*callee = NULL;
	if ((d[q] == 0xc3 || (d[q] == 0xc2 && q + 3 <= end)) && !operand_byte(d, q, from))
		return INSN_END;
	if (q + 2 <= end && d[q] == 0xff && d[q + 1] >= 0xd0 && d[q + 1] <= 0xd7)
		return INSN_END;
	if (q + 6 <= end && d[q] == 0xff && (d[q + 1] == 0x15 || d[q + 1] == 0x25)) {
		*callee = indirect_import(im, d + q + 2, q + 6, x64);
		return *callee != NULL ? INSN_CALL : INSN_END;
	}
	size_t t;
	if (q + 5 <= end && (d[q] == 0xe8 || d[q] == 0xe9)) {
		if (!branch_target(im, q + 5, sdisp(d + q + 1), &t))
			return INSN_OTHER;
		*callee = thunk_import(im, t, x64);
		return d[q] == 0xe8 || *callee != NULL ? INSN_CALL : INSN_OTHER;
	}
	if (q + 2 <= end && d[q] == 0xeb) {
		int32_t rel = d[q + 1] < 0x80 ? d[q + 1] : (int32_t)d[q + 1] - 256;
		if (!branch_target(im, q + 2, rel, &t))
			return INSN_OTHER;
		*callee = thunk_import(im, t, x64);
		return *callee != NULL ? INSN_CALL : INSN_OTHER;
	}
	return INSN_OTHER;
}

/* Does operand (as argument_operand names it) carry argument number arg? */
static bool
operand_is_arg(const char *operand, int arg, uint16_t machine)
{
	static const char *const x64_regs[] = { "ecx", "edx", "r8d", "r9d" };
	char want[24];
	if (machine == PT_PE_MACHINE_ARM64) {
		(void)snprintf(want, sizeof(want), "w%d", arg - 1);
		return strcmp(operand, want) == 0;
	}
	/* x86: stdcall pushes, fastcall registers: positions are not checked. */
	if (machine != PT_PE_MACHINE_AMD64)
		return true;
	if (arg <= 4)
		return strcmp(operand, x64_regs[arg - 1]) == 0;
	/* Stack arguments start above the 32-byte home area. */
	(void)snprintf(want, sizeof(want), "[rsp+0x%x]", 0x20 + (arg - 5) * 8);
	return strcmp(operand, want) == 0;
}

/* Credit the first call after a tag load to the import it reaches. */
static void
credit_call(const struct image *im, const struct pt_pe_import *callee,
		struct pt_tag_place *pl)
{
	uint16_t m = pt_pe_machine(im->pe);
	pl->call_near = true;
	if (callee == NULL || callee->name == NULL)
		return;
	const struct allocator *a = find_allocator(callee->name);
	if (a != NULL && operand_is_arg(pl->operand, a->tag_arg, m)) {
		pl->call_import = a->name;
		pl->allocator_call = true;
	} else if (a == NULL && strcmp(callee->name, free_import) == 0 &&
			operand_is_arg(pl->operand, FREE_TAG_ARG, m)) {
		pl->call_import = free_import;
		pl->free_call = true;
	} else {
		return;
	}
	(void)snprintf(pl->call_module, sizeof(pl->call_module), "%s",
		callee->module ? callee->module : "");
}

/* Look for the call the arguments go to, after the instruction ending at from. */
static void
find_call(const struct image *im, size_t from, size_t sec_end,
		struct pt_tag_place *pl)
{
	size_t end = from + PT_OWNER_CALL_WINDOW < sec_end ?
		from + PT_OWNER_CALL_WINDOW : sec_end;
	for (size_t q = from; q < end; q++) {
		const struct pt_pe_import *callee;
		enum insn_kind k = call_at(im, q, from, sec_end, &callee);
		if (k == INSN_END)
			return;
		if (k == INSN_CALL) {
			credit_call(im, callee, pl);
			return;
		}
	}
}

static const char *const reg32[16] = {
	"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
	"r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d",
};

/* Registers that carry the first four arguments (x64) or fastcall's two (x86). */
static bool
arg_register(int r, bool x64)
{
	return r == 1 || r == 2 || (x64 && (r == 8 || r == 9));
}

/*
 * The operand an instruction ending with the imm32 at off loads, or NULL.
 * back is how many bytes of the section come before off.
 */
static const char *
argument_operand(const uint8_t *d, size_t off, size_t back, bool x64,
		char buf[24])
{
	uint8_t b1 = back >= 1 ? d[off - 1] : 0, b2 = back >= 2 ? d[off - 2] : 0;
	uint8_t b3 = back >= 3 ? d[off - 3] : 0;
	bool rex2 = x64 && back >= 2 && (b2 & 0xf0) == 0x40;
	bool rex3 = x64 && back >= 3 && (b3 & 0xf0) == 0x40;
	/* mov r32, imm32 (B8+r); REX.W would make it a 64-bit immediate. */
	if (back >= 1 && b1 >= 0xb8 && b1 <= 0xbf && !(rex2 && (b2 & 0x08))) {
		int r = (b1 - 0xb8) + (rex2 && (b2 & 1) ? 8 : 0);
		if (arg_register(r, x64))
			return reg32[r];
	}
	/* mov r/m32, imm32 (C7 /0) to a register. */
	if (back >= 2 && b2 == 0xc7 && (b1 & 0xf8) == 0xc0) {
		int r = (b1 & 7) + (rex3 && (b3 & 1) ? 8 : 0);
		if (arg_register(r, x64))
			return reg32[r];
	}
	const char *sp = x64 ? "rsp" : "esp";
	/* mov dword [rsp+disp8], imm32: a stack argument. */
	if (back >= 4 && d[off - 4] == 0xc7 && d[off - 3] == 0x44 && b2 == 0x24) {
		(void)snprintf(buf, 24, "[%s+0x%x]", sp, b1);
		return buf;
	}
	if (back >= 7 && d[off - 7] == 0xc7 && d[off - 6] == 0x84 &&
			d[off - 5] == 0x24) {
		(void)snprintf(buf, 24, "[%s+0x%x]", sp, (unsigned)le32(d + off - 4));
		return buf;
	}
	if (!x64 && b1 == 0x68)
		return "push";
	return NULL;
}

static void
judge_place(const struct image *im, size_t off, bool decode,
		struct pt_tag_place *pl)
{
	memset(pl, 0, sizeof(*pl));
	pl->offset = off;
	const struct pt_pe_section *sec = pt_pe_section_at(im->pe, off);
	if (sec == NULL) {
		pl->kind = PT_PLACE_OUTSIDE;
		return;
	}
	memcpy(pl->section, sec->name, sizeof(pl->section));
	if (!sec->exec) {
		pl->kind = PT_PLACE_DATA;
		return;
	}
	pl->kind = PT_PLACE_CODE;
	uint16_t m = pt_pe_machine(im->pe);
	if (!decode || (m != PT_PE_MACHINE_AMD64 && m != PT_PE_MACHINE_I386))
		return;
	char buf[24];
	const char *op = argument_operand(im->data, off, off - sec->raw_offset,
		m == PT_PE_MACHINE_AMD64, buf);
	if (op == NULL)
		return;
	pl->kind = PT_PLACE_ARGUMENT;
	(void)snprintf(pl->operand, sizeof(pl->operand), "%s", op);
	find_call(im, off + 4, (size_t)sec->raw_offset + sec->raw_size, pl);
}

/* Strength of one place, for keeping the best few. */
static int
place_rank(const struct pt_tag_place *p)
{
	if (p->allocator_call)
		return 6;
	/*
	 * An unknown call may be the driver's own allocation wrapper: that
	 * beats a free, which beats an argument no call takes.
	 */
	if (p->kind == PT_PLACE_ARGUMENT && !p->free_call)
		return p->call_near ? 5 : 3;
	if (p->free_call)
		return 4;
	if (p->kind == PT_PLACE_CODE)
		return 2;
	return p->kind == PT_PLACE_DATA ? 1 : 0;
}

static void
keep_place(struct pt_owner_hit *h, const struct pt_tag_place *pl)
{
	h->places[pl->kind]++;
	h->near_call += pl->call_near;
	h->allocator_calls += pl->allocator_call;
	size_t i = h->nbest;
	if (i == PT_OWNER_MAX_PLACES) {
		if (place_rank(&h->best[i - 1]) >= place_rank(pl))
			return;
		i--;
	} else {
		h->nbest++;
	}
	/* Insert after places at least as strong: file order within a rank. */
	while (i > 0 && place_rank(&h->best[i - 1]) < place_rank(pl)) {
		h->best[i] = h->best[i - 1];
		i--;
	}
	h->best[i] = *pl;
}

static struct pt_owner_hit *
hit_for(struct pt_owner_tag *t, const struct pt_owner_file *f)
{
	if (t->nhits > 0 && t->hits[t->nhits - 1].path == f->path)
		return &t->hits[t->nhits - 1];
	struct pt_owner_hit *n = realloc(t->hits, (t->nhits + 1) * sizeof(*n));
	if (n == NULL)
		return NULL;
	t->hits = n;
	struct pt_owner_hit *h = &t->hits[t->nhits++];
	memset(h, 0, sizeof(*h));
	h->path = f->path;
	h->machine = f->machine;
	h->company = f->version[0];
	h->description = f->version[1];
	h->file_version = f->version[2];
	h->product = f->version[3];
	h->original_filename = f->version[4];
	h->allocator = f->allocator;
	h->allocator_module = f->allocator_module;
	h->free_only = f->free_only;
	return h;
}

static const struct pt_owner_key *
find_key(const struct pt_owner_scan *s, uint32_t key)
{
	size_t lo = 0, hi = s->ntags;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->keys[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->ntags && s->keys[lo].key == key ? &s->keys[lo] : NULL;
}

static bool
check_at(struct pt_owner_scan *s, struct image *im, size_t p)
{
	const struct pt_owner_key *key = find_key(s, le32(im->data + p));
	if (key == NULL)
		return true;
	struct pt_owner_hit *h = hit_for(&s->tags[key->tag], im->file);
	if (h == NULL)
		return false;
	struct pt_tag_place pl;
	size_t seen = h->places[0] + h->places[1] + h->places[2] + h->places[3];
	if (seen == MAX_DECODED)
		im->places_capped = true;
	judge_place(im, p, seen < MAX_DECODED, &pl);
	keep_place(h, &pl);
	return true;
}

/*
 * The one pass over the bytes.  A tag at offset p holds a two-byte
 * window at an odd offset: its bytes 0-1 when p is odd, 1-2 when p is
 * even.  So only odd offsets are looked at, each with one load and a
 * bitmap of those windows; the rare window that matches is checked as
 * the start (p = i) or the middle (p = i - 1) of a tag.  Half the loads
 * of a byte-by-byte scan, whatever the number of tags.
 */
static bool
search_tags(struct pt_owner_scan *s, struct image *im)
{
	const uint8_t *d = im->data;
	const uint64_t *bits = s->first2;
	size_t len = im->len;
	if (len < 4)
		return true;
	for (size_t i = 1; i + 1 < len; i += 2) {
		unsigned k = (unsigned)d[i] | (unsigned)d[i + 1] << 8;
		if (!(bits[k >> 6] >> (k & 63) & 1))
			continue;
		if (i + 3 <= len && !check_at(s, im, i - 1))
			return false;
		if (i + 4 <= len && !check_at(s, im, i))
			return false;
	}
	return true;
}

/* ---- ARM64: tags built by movz/movk ---- */

static uint32_t
insn_at(const uint8_t *d, size_t off)
{
	return le32(d + off);
}

/* Sign-extend the low bits of v. */
static int64_t
sign_extend(uint64_t v, int bits)
{
	uint64_t m = 1ULL << (bits - 1);
	v &= (1ULL << bits) - 1;
	return (int64_t)(v ^ m) - (int64_t)m;
}

/*
 * The IAT slot loaded by "adrp xA, page; ldr xB, [xA, #off]" with the ldr
 * at file offset ldr_off, or 0.
 */
static uint32_t
arm64_slot(const struct image *im, size_t ldr_off, size_t sec_start)
{
	if (ldr_off < sec_start + 4)
		return 0;
	uint32_t ldr = insn_at(im->data, ldr_off), adrp = insn_at(im->data, ldr_off - 4);
	/* LDR Xt, [Xn, #imm12*8] and ADRP Xd, with Xn == Xd */
	if ((ldr & 0xffc00000u) != 0xf9400000u || (adrp & 0x9f000000u) != 0x90000000u ||
			((ldr >> 5) & 31) != (adrp & 31))
		return 0;
	uint32_t pc;
	if (!pt_pe_offset_to_rva(im->pe, ldr_off - 4, &pc))
		return 0;
	uint64_t imm = ((uint64_t)((adrp >> 5) & 0x7ffff) << 2) | ((adrp >> 29) & 3);
	int64_t page = (int64_t)(pc & ~0xfffu) + sign_extend(imm, 21) * 4096;
	return (uint32_t)(page + (int64_t)((ldr >> 10) & 0xfff) * 8);
}

/* The import a bl at off reaches through an adrp/ldr/br x16 thunk, or NULL. */
static const struct pt_pe_import *
arm64_bl_target(const struct image *im, size_t off)
{
	uint32_t pc;
	size_t t;
	uint32_t bl = insn_at(im->data, off);
	if (!pt_pe_offset_to_rva(im->pe, off, &pc) ||
			!pt_pe_rva_to_offset(im->pe, pc + (uint32_t)(sign_extend(bl, 26) * 4), &t))
		return NULL;
	const struct pt_pe_section *ts = pt_pe_section_at(im->pe, t);
	if (ts == NULL || !ts->exec || t + 12 > (size_t)ts->raw_offset + ts->raw_size ||
			(insn_at(im->data, t + 8) & 0xfffffc1fu) != 0xd61f0000u)
		return NULL;
	return pt_pe_import_at(im->pe, arm64_slot(im, t + 4, ts->raw_offset));
}

/* After the pair: bl (to a thunk) or blr (after adrp/ldr) within the window. */
static void
arm64_find_call(const struct image *im, size_t from, size_t sec_start,
		size_t sec_end, struct pt_tag_place *pl)
{
	for (size_t q = from; q + 4 <= sec_end && q < from + PT_OWNER_CALL_WINDOW;
			q += 4) {
		uint32_t insn = insn_at(im->data, q);
		const struct pt_pe_import *callee;
		if ((insn & 0xfc000000u) == 0x94000000u)
			callee = arm64_bl_target(im, q);
		else if ((insn & 0xfffffc1fu) == 0xd63f0000u)
			callee = pt_pe_import_at(im->pe, arm64_slot(im, q - 4, sec_start));
		else
			continue;
		credit_call(im, callee, pl);
		return; /* the first call takes the arguments */
	}
}

/* MOVZ (hw 0 or 1) of a 32- or 64-bit register; *rd, *imm, *hw. */
static bool
arm64_movz(uint32_t insn, unsigned *rd, uint32_t *imm, unsigned *hw)
{
	if ((insn & 0x7f800000u) != 0x52800000u || ((insn >> 21) & 3) > 1)
		return false;
	*rd = insn & 31;
	*imm = (insn >> 5) & 0xffff;
	*hw = (insn >> 21) & 3;
	return true;
}

/* The MOVK that completes a MOVZ of rd (the other half) within 4 instructions. */
static bool
arm64_movk(const uint8_t *d, size_t off, size_t end, unsigned rd, unsigned hw,
		uint32_t *imm)
{
	for (size_t q = off + 4; q + 4 <= end && q <= off + 16; q += 4) {
		uint32_t insn = insn_at(d, q);
		if ((insn & 0x7f800000u) == 0x72800000u && (insn & 31) == rd &&
				((insn >> 21) & 3) == (hw ^ 1)) {
			*imm = (insn >> 5) & 0xffff;
			return true;
		}
		if ((insn & 31) == rd)
			return false; /* rd written by something else first */
	}
	return false;
}

static bool
arm64_pair(struct pt_owner_scan *s, const struct image *im,
		const struct pt_pe_section *sec, size_t off)
{
	unsigned rd, hw;
	uint32_t a, b;
	size_t end = (size_t)sec->raw_offset + sec->raw_size;
	if (!arm64_movz(insn_at(im->data, off), &rd, &a, &hw) ||
			!arm64_movk(im->data, off, end, rd, hw, &b))
		return true;
	uint32_t value = hw == 0 ? (a | b << 16) : (b | a << 16);
	const struct pt_owner_key *key = find_key(s, value);
	if (key == NULL)
		return true;
	struct pt_owner_hit *h = hit_for(&s->tags[key->tag], im->file);
	if (h == NULL)
		return false;
	struct pt_tag_place pl;
	memset(&pl, 0, sizeof(pl));
	pl.offset = off;
	pl.split = true;
	memcpy(pl.section, sec->name, sizeof(pl.section));
	pl.kind = rd < 8 ? PT_PLACE_ARGUMENT : PT_PLACE_CODE;
	if (rd < 8) {
		(void)snprintf(pl.operand, sizeof(pl.operand), "w%u", rd);
		arm64_find_call(im, off + 8, sec->raw_offset, end, &pl);
	}
	keep_place(h, &pl);
	return true;
}

/* Every 4-byte-aligned instruction of every code section. */
static bool
search_arm64(struct pt_owner_scan *s, const struct image *im)
{
	for (size_t i = 0; i < pt_pe_section_count(im->pe); i++) {
		const struct pt_pe_section *sec = pt_pe_section(im->pe, i);
		if (!sec->exec || sec->raw_size == 0)
			continue;
		/* In size_t: a raw offset near 2^32 must not wrap to 0. */
		size_t start = ((size_t)sec->raw_offset + 3) & ~(size_t)3;
		size_t end = (size_t)sec->raw_offset + sec->raw_size;
		for (size_t off = start; off + 8 <= end; off += 4) {
			if (!arm64_pair(s, im, sec, off))
				return false;
		}
	}
	return true;
}

/* ---- confidence ---- */

static void
describe_place(const struct pt_tag_place *p, char *out, size_t n)
{
	if (p->kind == PT_PLACE_ARGUMENT)
		(void)snprintf(out, n, "loaded into %s in %s", p->operand, p->section);
	else if (p->kind == PT_PLACE_OUTSIDE)
		(void)snprintf(out, n, "outside every section");
	else
		(void)snprintf(out, n, "in %s section %s",
			p->kind == PT_PLACE_CODE ? "code" : "data", p->section);
}

static void
score_hit(struct pt_owner_hit *h)
{
	static const double with_alloc[] = { 0.40, 0.55, 0.20, 0.70 };
	static const double without[] = { 0.10, 0.15, 0.05, 0.25 };
	const struct pt_tag_place *b = &h->best[0];
	char where[96], imports[160];
	describe_place(b, where, sizeof(where));
	if (h->allocator != NULL)
		(void)snprintf(imports, sizeof(imports), "imports %s (%s)",
			h->allocator, h->allocator_module);
	else if (h->free_only)
		(void)snprintf(imports, sizeof(imports), "imports only %s",
			free_import);
	else
		(void)snprintf(imports, sizeof(imports), "no pool allocator import");
	if (b->allocator_call) {
		h->confidence = 0.97;
		(void)snprintf(h->reason, sizeof(h->reason),
			"tag is the %s argument of a call to %s (%s) in %s",
			b->operand, b->call_import, b->call_module, b->section);
		return;
	}
	if (b->free_call) {
		/* Using the tag to free says less than allocating with it. */
		h->confidence = h->free_only ? 0.80 * 0.8 : 0.80;
		(void)snprintf(h->reason, sizeof(h->reason),
			"frees with the tag: %s argument of a call to %s (%s) in %s; %s",
			b->operand, b->call_import, b->call_module, b->section, imports);
		return;
	}
	bool has_alloc = h->allocator != NULL || h->free_only;
	h->confidence = has_alloc ? with_alloc[b->kind] : without[b->kind];
	if (b->kind == PT_PLACE_ARGUMENT && b->call_near && has_alloc)
		h->confidence = 0.85;
	/* Freeing with the tag but allocating elsewhere is weaker evidence. */
	if (h->free_only)
		h->confidence *= 0.8;
	(void)snprintf(h->reason, sizeof(h->reason), "tag %s%s; %s", where,
		b->kind == PT_PLACE_ARGUMENT ?
			(b->call_near ? " before a call" : ", no call follows") :
			(b->kind == PT_PLACE_DATA ? " only" : ""),
		imports);
}

static int
cmp_hits(const void *a, const void *b)
{
	const struct pt_owner_hit *x = a, *y = b;
	if (x->confidence != y->confidence)
		return x->confidence > y->confidence ? -1 : 1;
	if (x->allocator_calls != y->allocator_calls)
		return x->allocator_calls > y->allocator_calls ? -1 : 1;
	if (x->places[PT_PLACE_ARGUMENT] != y->places[PT_PLACE_ARGUMENT])
		return x->places[PT_PLACE_ARGUMENT] > y->places[PT_PLACE_ARGUMENT] ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* The order of a tie says little: say so rather than let the path decide. */
static void
mark_tie(struct pt_owner_hit *first, const struct pt_owner_hit *next)
{
	size_t n = strlen(first->reason);
	const char *base = strrchr(next->path, '/');
	first->tie = true;
	(void)snprintf(first->reason + n, sizeof(first->reason) - n,
		"; tie with %s", base ? base + 1 : next->path);
}

void
pt_owner_scan_finish(struct pt_owner_scan *s)
{
	for (size_t t = 0; t < s->ntags; t++) {
		struct pt_owner_tag *tg = &s->tags[t];
		for (size_t i = 0; i < tg->nhits; i++)
			score_hit(&tg->hits[i]);
		if (tg->nhits > 1)
			qsort(tg->hits, tg->nhits, sizeof(*tg->hits), cmp_hits);
		if (tg->nhits > 1 && tg->hits[0].confidence == tg->hits[1].confidence)
			mark_tie(&tg->hits[0], &tg->hits[1]);
	}
}

/* ---- files and directories ---- */

static bool
looks_like_driver(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot != NULL && (strcasecmp(dot, ".sys") == 0 ||
		strcasecmp(dot, ".dll") == 0 || strcasecmp(dot, ".exe") == 0);
}

bool
pt_owner_scan_buffer(struct pt_owner_scan *s, const char *name,
		const uint8_t *data, size_t len, struct pt_diags *diags,
		struct pt_error *err)
{
	s->files++;
	if (len < 2 || data[0] != 'M' || data[1] != 'Z') {
		if (looks_like_driver(name))
			pt_diags_add(diags, PT_SEV_NOTE, name, 0,
				"not a PE file (no MZ header), skipped");
		return true;
	}
	struct pt_error perr = {0};
	struct pt_pe *pe = pt_pe_open(data, len, &perr);
	if (pe == NULL) {
		pt_diags_add(diags, PT_SEV_WARNING, name, 0, "%s, skipped", perr.msg);
		return true;
	}
	if (pt_pe_damage(pe) != NULL)
		pt_diags_add(diags, PT_SEV_WARNING, name, 0, "%s", pt_pe_damage(pe));
	struct pt_owner_file *f = calloc(1, sizeof(*f));
	bool ok = f != NULL && (f->path = strdup(name)) != NULL &&
		describe_file(f, pe);
	if (ok) {
		f->next = s->file_list;
		s->file_list = f;
	} else {
		free_file(f);
	}
	struct image im = { data, len, pe, f, false };
	ok = ok && search_tags(s, &im) &&
		(pt_pe_machine(pe) != PT_PE_MACHINE_ARM64 || search_arm64(s, &im));
	if (im.places_capped)
		pt_diags_add(diags, PT_SEV_WARNING, name, 0,
			"a tag is in more than %d places; the rest are only counted",
			MAX_DECODED);
	pt_pe_destroy(pe);
	s->pe_files++;
	s->bytes += len;
	if (!ok)
		pt_error_set(err, 0, "out of memory");
	return ok;
}

static void
unreadable(struct pt_owner_scan *s, struct pt_diags *diags, const char *path)
{
	s->unreadable++;
	pt_diags_add(diags, PT_SEV_WARNING, path, 0, "%s", strerror(errno));
}

static size_t
seen_slot(const struct pt_owner_seen *set, size_t cap, dev_t dev, ino_t ino)
{
	size_t h = ((size_t)ino * 0x9e3779b97f4a7c15u) ^ (size_t)dev;
	for (size_t i = h & (cap - 1);; i = (i + 1) & (cap - 1)) {
		if ((set[i].dev == 0 && set[i].ino == 0) ||
				(set[i].dev == dev && set[i].ino == ino))
			return i;
	}
}

/*
 * Overlapping paths ("drivers drivers/x64", a link given as an operand)
 * reach one file twice; it is read once.  *again tells which; false only
 * when out of memory.
 */
static bool
first_visit(struct pt_owner_scan *s, const struct stat *st, bool *again)
{
	if (s->nseen * 2 >= s->cap_seen) {
		size_t cap = s->cap_seen ? s->cap_seen * 2 : 256;
		struct pt_owner_seen *n = calloc(cap, sizeof(*n));
		if (n == NULL)
			return false;
		for (size_t i = 0; i < s->cap_seen; i++) {
			const struct pt_owner_seen *e = &s->seen[i];
			if (e->dev != 0 || e->ino != 0)
				n[seen_slot(n, cap, e->dev, e->ino)] = *e;
		}
		free(s->seen);
		s->seen = n;
		s->cap_seen = cap;
	}
	struct pt_owner_seen *slot = &s->seen[seen_slot(s->seen, s->cap_seen,
		st->st_dev, st->st_ino)];
	*again = slot->dev == st->st_dev && slot->ino == st->st_ino &&
		(st->st_dev != 0 || st->st_ino != 0);
	if (!*again) {
		slot->dev = st->st_dev;
		slot->ino = st->st_ino;
		s->nseen++;
	}
	return true;
}

/*
 * Up to size bytes of fd into a new buffer (*len: how many; fewer when
 * the file shrank meanwhile).  Read, not mapped: a file cut short while
 * it is scanned would raise SIGBUS through a mapping.  NULL with errno.
 */
static uint8_t *
read_all(int fd, size_t size, size_t *len)
{
	uint8_t *data = malloc(size ? size : 1);
	*len = 0;
	if (data == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	while (*len < size) {
		ssize_t n = read(fd, data + *len, size - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(data);
			errno = e;
			return NULL;
		}
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	return data;
}

enum visit { VISIT_FIRST, VISIT_AGAIN, VISIT_OUT_OF_MEMORY };

/* First visit of st, or a warning (what: the words for a second one). */
static enum visit
visit_once(struct pt_owner_scan *s, const struct stat *st, const char *path,
		const char *what, struct pt_diags *diags, struct pt_error *err)
{
	bool again = false;
	if (!first_visit(s, st, &again)) {
		pt_error_set(err, 0, "out of memory");
		return VISIT_OUT_OF_MEMORY;
	}
	if (!again)
		return VISIT_FIRST;
	pt_diags_add(diags, PT_SEV_WARNING, path, 0, "%s; read once", what);
	return VISIT_AGAIN;
}

/* Open what (l)stat saw at path: below an operand a link is not followed. */
static int
open_same(const char *path, int flags, bool nofollow, const struct stat *seen,
		struct stat *st)
{
	int fd = open(path, flags | O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
		(nofollow ? O_NOFOLLOW : 0));
	if (fd < 0)
		return -1;
	if (fstat(fd, st) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (st->st_dev != seen->st_dev || st->st_ino != seen->st_ino) {
		/* Replaced between the look and the open. */
		close(fd);
		errno = ESTALE;
		return -1;
	}
	return fd;
}

static bool
scan_file(struct pt_owner_scan *s, const char *path, bool nofollow,
		const struct stat *seen, struct pt_diags *diags, struct pt_error *err)
{
	struct stat st;
	int fd = open_same(path, 0, nofollow, seen, &st);
	if (fd < 0) {
		unreadable(s, diags, path);
		return true;
	}
	enum visit v = S_ISREG(st.st_mode) ?
		visit_once(s, &st, path, "same file as one scanned before",
			diags, err) : VISIT_FIRST;
	if (v != VISIT_FIRST) {
		close(fd);
		return v == VISIT_AGAIN;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < 2) {
		close(fd);
		if (S_ISREG(st.st_mode))
			s->files++;
		return true;
	}
	if ((uint64_t)st.st_size > PT_OWNER_MAX_FILE) {
		close(fd);
		s->files++;
		pt_diags_add(diags, PT_SEV_WARNING, path, 0,
			"too large (over %d MiB), skipped", PT_OWNER_MAX_FILE >> 20);
		return true;
	}
	size_t len;
	uint8_t *data = read_all(fd, (size_t)st.st_size, &len);
	close(fd);
	if (data == NULL) {
		if (errno == ENOMEM) {
			pt_error_set(err, 0, "out of memory");
			return false;
		}
		unreadable(s, diags, path);
		return true;
	}
	bool ok = pt_owner_scan_buffer(s, path, data, len, diags, err);
	free(data);
	return ok;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool scan_tree(struct pt_owner_scan *s, const char *path, int depth,
		struct pt_diags *diags, struct pt_error *err);

/*
 * The entries of an open directory (closed here), sorted so that results
 * do not depend on the file system.  NULL with errno on a read error or
 * out of memory: a partial listing would be a silently wrong answer.
 */
static char **
list_dir(DIR *d, const char *path, size_t *n)
{
	char **names = NULL;
	size_t cap = 0;
	struct dirent *e;
	*n = 0;
	for (;;) {
		errno = 0;
		if ((e = readdir(d)) == NULL)
			break;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 32;
			char **g = realloc(names, cap * sizeof(*g));
			if (g == NULL)
				goto fail;
			names = g;
		}
		size_t len = strlen(path) + strlen(e->d_name) + 2;
		char *full = malloc(len);
		if (full == NULL)
			goto fail;
		/* "drivers/" given by the shell's completion: no "//" in names. */
		bool slash = len > 2 && path[strlen(path) - 1] == '/';
		(void)snprintf(full, len, "%s%s%s", path, slash ? "" : "/", e->d_name);
		names[(*n)++] = full;
	}
	if (errno != 0)
		goto fail;
	closedir(d);
	if (*n > 0)
		qsort(names, *n, sizeof(*names), cmp_names);
	return names ? names : malloc(1);

fail:;
	int saved = errno ? errno : ENOMEM;
	closedir(d);
	for (size_t i = 0; i < *n; i++)
		free(names[i]);
	free(names);
	*n = 0;
	errno = saved;
	return NULL;
}

static bool
scan_dir(struct pt_owner_scan *s, const char *path, int depth,
		const struct stat *seen, struct pt_diags *diags, struct pt_error *err)
{
	struct stat st;
	int fd = open_same(path, O_DIRECTORY, depth > 0, seen, &st);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		unreadable(s, diags, path);
		if (fd >= 0)
			close(fd);
		return true;
	}
	/* Directories join the seen set: a loop or an overlap is walked once. */
	enum visit v = visit_once(s, &st, path, "same directory as one read before",
		diags, err);
	if (v != VISIT_FIRST) {
		closedir(d);
		return v == VISIT_AGAIN;
	}
	size_t n;
	char **names = list_dir(d, path, &n);
	if (names == NULL) {
		if (errno == ENOMEM) {
			pt_error_set(err, 0, "out of memory");
			return false;
		}
		unreadable(s, diags, path);
		return true;
	}
	bool ok = true;
	for (size_t i = 0; i < n; i++) {
		ok = ok && scan_tree(s, names[i], depth + 1, diags, err);
		free(names[i]);
	}
	free(names);
	return ok;
}

static bool
scan_tree(struct pt_owner_scan *s, const char *path, int depth,
		struct pt_diags *diags, struct pt_error *err)
{
	struct stat st;
	/* Below an operand, links are not followed: no loops, no escapes. */
	int rc = depth == 0 ? stat(path, &st) : lstat(path, &st);
	if (rc != 0) {
		unreadable(s, diags, path);
		return true;
	}
	if (S_ISDIR(st.st_mode)) {
		if (depth >= MAX_DEPTH) {
			pt_diags_add(diags, PT_SEV_WARNING, path, 0,
				"more than %d directory levels, not read", MAX_DEPTH);
			return true;
		}
		return scan_dir(s, path, depth, &st, diags, err);
	}
	if (S_ISREG(st.st_mode))
		return scan_file(s, path, depth > 0, &st, diags, err);
	return true;
}

bool
pt_owner_scan_path(struct pt_owner_scan *s, const char *path,
		struct pt_diags *diags, struct pt_error *err)
{
	return scan_tree(s, path, 0, diags, err);
}
