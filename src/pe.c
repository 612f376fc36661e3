/*
 * PE reader (see pe.h).  Every read goes through rd16/rd32/rd64, which
 * check the offset against the buffer, so the parsing code below can
 * follow the format without repeating bounds arithmetic.
 */
#include "pooltrend/pe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Nested resource and version blocks deeper than this are not followed. */
#define MAX_VERSION_DEPTH 4
#define MAX_RESOURCE_ENTRIES 4096
#define MAX_IMPORT_MODULES 4096
#define MAX_NAME 512

enum ver_field { VF_COMPANY, VF_DESCRIPTION, VF_VERSION, VF_PRODUCT,
	VF_ORIGINAL, VF_COUNT };

struct iat_slot {
	uint32_t rva;
	size_t import; /* index into imports */
};

struct pt_pe {
	const uint8_t *data;
	size_t len;
	uint16_t machine;
	bool plus;
	uint32_t size_of_headers;
	uint64_t image_base;
	struct pt_pe_section sections[PT_PE_MAX_SECTIONS];
	size_t nsections;
	uint32_t dir_rva[3]; /* export, import, resource */
	uint32_t dir_size[3];
	struct pt_pe_import *imports;
	size_t nimports, cap_imports;
	struct iat_slot *by_iat; /* imports sorted by IAT slot */
	char **modules;        /* module names the imports point to */
	size_t nmodules;
	char *strings[VF_COUNT];
	char *fixed_version;
	struct pt_pe_version version;
	const char *damage;
};

static bool
in_buf(const struct pt_pe *pe, size_t off, size_t n)
{
	return off <= pe->len && n <= pe->len - off;
}

static bool
rd16(const struct pt_pe *pe, size_t off, uint16_t *v)
{
	if (!in_buf(pe, off, 2))
		return false;
	*v = (uint16_t)(pe->data[off] | pe->data[off + 1] << 8);
	return true;
}

static bool
rd32(const struct pt_pe *pe, size_t off, uint32_t *v)
{
	if (!in_buf(pe, off, 4))
		return false;
	const uint8_t *p = pe->data + off;
	*v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		(uint32_t)p[3] << 24;
	return true;
}

static bool
rd64(const struct pt_pe *pe, size_t off, uint64_t *v)
{
	uint32_t lo, hi;
	if (!rd32(pe, off, &lo) || !rd32(pe, off + 4, &hi))
		return false;
	*v = (uint64_t)hi << 32 | lo;
	return true;
}

const char *
pt_pe_machine_name(uint16_t machine)
{
	switch (machine) {
	case PT_PE_MACHINE_I386: return "x86";
	case PT_PE_MACHINE_AMD64: return "x64";
	case PT_PE_MACHINE_ARM64: return "arm64";
	default: return "other";
	}
}

bool
pt_pe_rva_to_offset(const struct pt_pe *pe, uint32_t rva, size_t *off)
{
	for (size_t i = 0; i < pe->nsections; i++) {
		const struct pt_pe_section *s = &pe->sections[i];
		if (rva >= s->vaddr && rva - s->vaddr < s->raw_size) {
			*off = (size_t)s->raw_offset + (rva - s->vaddr);
			return true;
		}
	}
	/* Headers are mapped at RVA 0 as they are in the file. */
	if (rva < pe->size_of_headers && rva < pe->len) {
		*off = rva;
		return true;
	}
	return false;
}

bool
pt_pe_offset_to_rva(const struct pt_pe *pe, size_t off, uint32_t *rva)
{
	const struct pt_pe_section *s = pt_pe_section_at(pe, off);
	if (s == NULL)
		return false;
	*rva = s->vaddr + (uint32_t)(off - s->raw_offset);
	return true;
}

const struct pt_pe_section *
pt_pe_section_at(const struct pt_pe *pe, size_t off)
{
	for (size_t i = 0; i < pe->nsections; i++) {
		const struct pt_pe_section *s = &pe->sections[i];
		if (off >= s->raw_offset && off - s->raw_offset < s->raw_size)
			return s;
	}
	return NULL;
}

/* A NUL-terminated ASCII name at an RVA, copied; NULL if unreadable. */
static char *
name_at(const struct pt_pe *pe, uint32_t rva)
{
	size_t off;
	if (!pt_pe_rva_to_offset(pe, rva, &off))
		return NULL;
	size_t max = pe->len - off < MAX_NAME ? pe->len - off : MAX_NAME;
	const uint8_t *nul = memchr(pe->data + off, 0, max);
	if (nul == NULL)
		return NULL;
	size_t n = (size_t)(nul - (pe->data + off));
	char *s = malloc(n + 1);
	if (s != NULL) {
		memcpy(s, pe->data + off, n);
		s[n] = '\0';
	}
	return s;
}

static bool
read_headers(struct pt_pe *pe, struct pt_error *err)
{
	uint16_t mz, nsec, optsize, magic;
	uint32_t lfanew, sig, ndirs;
	if (!rd16(pe, 0, &mz) || mz != 0x5a4d) {
		pt_error_set(err, 0, "not a PE file (no MZ header)");
		return false;
	}
	if (!rd32(pe, 0x3c, &lfanew) || !rd32(pe, lfanew, &sig) ||
			sig != 0x00004550) {
		pt_error_set(err, 0, "not a PE file (no PE signature)");
		return false;
	}
	size_t coff = (size_t)lfanew + 4, opt = coff + 20;
	if (!rd16(pe, coff, &pe->machine) || !rd16(pe, coff + 2, &nsec) ||
			!rd16(pe, coff + 16, &optsize) || !rd16(pe, opt, &magic)) {
		pt_error_set(err, 0, "PE header cut short");
		return false;
	}
	if (magic != 0x10b && magic != 0x20b) {
		pt_error_set(err, 0, "unknown optional header magic 0x%x", magic);
		return false;
	}
	pe->plus = magic == 0x20b;
	uint32_t base32 = 0;
	if (pe->plus ? !rd64(pe, opt + 24, &pe->image_base) :
			!rd32(pe, opt + 28, &base32)) {
		pt_error_set(err, 0, "optional header cut short");
		return false;
	}
	if (!pe->plus)
		pe->image_base = base32;
	size_t ndirs_off = opt + (pe->plus ? 108 : 92);
	size_t dirs = ndirs_off + 4;
	if (!rd32(pe, opt + 60, &pe->size_of_headers) ||
			!rd32(pe, ndirs_off, &ndirs) || optsize < dirs - opt) {
		pt_error_set(err, 0, "optional header cut short");
		return false;
	}
	for (uint32_t i = 0; i < 3 && i < ndirs; i++) {
		size_t d = dirs + (size_t)i * 8;
		if (d + 8 > opt + optsize || !rd32(pe, d, &pe->dir_rva[i]) ||
				!rd32(pe, d + 4, &pe->dir_size[i]))
			break;
	}
	if (nsec > PT_PE_MAX_SECTIONS) {
		pt_error_set(err, 0, "%u sections (at most %d)", nsec,
			PT_PE_MAX_SECTIONS);
		return false;
	}
	size_t table = opt + optsize;
	for (size_t i = 0; i < nsec; i++) {
		size_t h = table + i * 40;
		struct pt_pe_section *s = &pe->sections[i];
		if (!in_buf(pe, h, 40) || !rd32(pe, h + 8, &s->vsize) ||
				!rd32(pe, h + 12, &s->vaddr) ||
				!rd32(pe, h + 16, &s->raw_size) ||
				!rd32(pe, h + 20, &s->raw_offset) ||
				!rd32(pe, h + 36, &s->characteristics)) {
			pt_error_set(err, 0, "section table cut short");
			return false;
		}
		memcpy(s->name, pe->data + h, 8);
		s->name[8] = '\0';
		/* Raw data past the end of the file does not exist. */
		if (s->raw_offset >= pe->len)
			s->raw_size = 0;
		else if (s->raw_size > pe->len - s->raw_offset)
			s->raw_size = (uint32_t)(pe->len - s->raw_offset);
		/* Nor past the end of the 32-bit address space. */
		if (s->raw_size > UINT32_MAX - s->vaddr)
			s->raw_size = UINT32_MAX - s->vaddr;
		s->exec = (s->characteristics & 0x20000020u) != 0;
	}
	pe->nsections = nsec;
	return true;
}

static bool
add_import(struct pt_pe *pe, const char *module, char *name,
		uint16_t ordinal, uint32_t iat_rva)
{
	if (pe->nimports == pe->cap_imports) {
		size_t cap = pe->cap_imports ? pe->cap_imports * 2 : 64;
		struct pt_pe_import *n = realloc(pe->imports, cap * sizeof(*n));
		if (n == NULL)
			return false;
		pe->imports = n;
		pe->cap_imports = cap;
	}
	pe->imports[pe->nimports++] = (struct pt_pe_import){
		module, name, ordinal, iat_rva };
	return true;
}

/* One thunk of an import table: by ordinal or an RVA to hint + name. */
static bool
read_thunk(struct pt_pe *pe, size_t off, const char *module,
		uint32_t iat_rva, bool *end)
{
	uint64_t v;
	uint32_t v32;
	bool ok = pe->plus ? rd64(pe, off, &v) : (rd32(pe, off, &v32) &&
		((v = v32), true));
	if (!ok) {
		pe->damage = "import table cut short";
		*end = true;
		return true;
	}
	*end = v == 0;
	if (v == 0)
		return true;
	uint64_t ord_flag = pe->plus ? 1ULL << 63 : 1ULL << 31;
	if (v & ord_flag)
		return add_import(pe, module, NULL, (uint16_t)v, iat_rva);
	uint16_t hint = 0;
	size_t hoff;
	char *name = NULL;
	if (v <= UINT32_MAX && pt_pe_rva_to_offset(pe, (uint32_t)v, &hoff) &&
			rd16(pe, hoff, &hint))
		name = name_at(pe, (uint32_t)v + 2);
	if (name == NULL) {
		/* The rest of this table is as wild: read no more of it. */
		pe->damage = "import name outside the file";
		*end = true;
		return true;
	}
	if (!add_import(pe, module, name, hint, iat_rva)) {
		free(name);
		return false;
	}
	return true;
}

static bool
read_module(struct pt_pe *pe, size_t desc, char **module)
{
	uint32_t oft, name_rva, ft;
	if (!rd32(pe, desc, &oft) || !rd32(pe, desc + 12, &name_rva) ||
			!rd32(pe, desc + 16, &ft)) {
		pe->damage = "import directory cut short";
		return true;
	}
	*module = name_at(pe, name_rva);
	if (*module == NULL) {
		pe->damage = "import module name outside the file";
		return true;
	}
	/* The lookup table names the imports; the IAT may already be bound. */
	uint32_t lookup = oft ? oft : ft;
	size_t off;
	if (!pt_pe_rva_to_offset(pe, lookup, &off)) {
		pe->damage = "import lookup table outside the file";
		return true;
	}
	size_t step = pe->plus ? 8 : 4;
	/*
	 * Each thunk read adds an import or ends the table, so the imports
	 * cap and the modules cap bound the walk of all tables together.
	 */
	for (size_t i = 0;; i++) {
		if (pe->nimports >= PT_PE_MAX_IMPORTS) {
			pe->damage = "more than 65536 imports, the rest not read";
			break;
		}
		bool end;
		uint32_t iat = ft + (uint32_t)(i * step);
		if (!read_thunk(pe, off + i * step, *module, iat, &end))
			return false;
		if (end)
			break;
	}
	return true;
}

static bool
read_imports(struct pt_pe *pe)
{
	size_t off;
	if (pe->dir_rva[1] == 0 || !pt_pe_rva_to_offset(pe, pe->dir_rva[1], &off))
		return true;
	for (size_t i = 0;; i++) {
		if (i == MAX_IMPORT_MODULES) {
			pe->damage = "more than 4096 imported modules, the rest not read";
			return true;
		}
		size_t desc = off + i * 20;
		uint32_t name_rva, ft;
		if (!rd32(pe, desc + 12, &name_rva) || !rd32(pe, desc + 16, &ft)) {
			pe->damage = "import directory cut short";
			return true;
		}
		if (name_rva == 0 && ft == 0)
			return true;
		char **grown = realloc(pe->modules,
			(pe->nmodules + 1) * sizeof(char *));
		if (grown == NULL)
			return false;
		pe->modules = grown;
		pe->modules[pe->nmodules] = NULL;
		/* Counted first: a name read by read_module is freed with pe. */
		char **slot = &pe->modules[pe->nmodules++];
		if (!read_module(pe, desc, slot))
			return false;
	}
	return true;
}

/* ---- version resource ---- */

/* Append code point cp as UTF-8. */
static size_t
put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * UTF-16LE at off, at most units code units or up to a NUL, as UTF-8;
 * unpaired surrogates become U+FFFD.  *used receives the units read
 * (with the NUL when there is one).
 */
static char *
utf16_at(const struct pt_pe *pe, size_t off, size_t units, size_t *used)
{
	if (units > MAX_NAME)
		units = MAX_NAME;
	char *s = malloc(units * 4 + 1);
	if (s == NULL)
		return NULL;
	size_t k = 0, i = 0;
	uint16_t u;
	while (i < units && rd16(pe, off + i * 2, &u)) {
		i++;
		if (u == 0)
			break;
		uint32_t cp = u;
		uint16_t lo;
		if (u >= 0xd800 && u < 0xdc00 && i < units &&
				rd16(pe, off + i * 2, &lo) && lo >= 0xdc00 && lo < 0xe000) {
			cp = 0x10000 + ((uint32_t)(u - 0xd800) << 10) + (lo - 0xdc00);
			i++;
		} else if (u >= 0xd800 && u < 0xe000) {
			cp = 0xfffd;
		}
		k += put_utf8(s + k, cp);
	}
	s[k] = '\0';
	if (used != NULL)
		*used = i;
	return s;
}

static size_t
align4(size_t v)
{
	return (v + 3) & ~(size_t)3;
}

static const char *const field_keys[VF_COUNT] = {
	"CompanyName", "FileDescription", "FileVersion", "ProductName",
	"OriginalFilename",
};

/* A String leaf: remember it when its key is one we show. */
static void
take_string(struct pt_pe *pe, const char *key, size_t value, size_t end,
		uint16_t value_len)
{
	for (int f = 0; f < VF_COUNT; f++) {
		if (strcmp(key, field_keys[f]) != 0 || pe->strings[f] != NULL)
			continue;
		size_t room = (end - value) / 2;
		size_t units = value_len < room ? value_len : room, used = 0;
		uint16_t last;
		pe->strings[f] = utf16_at(pe, value, units, &used);
		if (units > MAX_NAME && used == MAX_NAME &&
				rd16(pe, value + (used - 1) * 2, &last) && last != 0)
			pe->damage = "version string longer than 512 characters, cut";
	}
}

static void
take_fixed(struct pt_pe *pe, size_t value, uint16_t value_len)
{
	uint32_t sig, ms, ls;
	if (value_len < 52 || !rd32(pe, value, &sig) || sig != 0xfeef04bd ||
			!rd32(pe, value + 8, &ms) || !rd32(pe, value + 12, &ls))
		return;
	char buf[48];
	(void)snprintf(buf, sizeof(buf), "%u.%u.%u.%u", ms >> 16, ms & 0xffff,
		ls >> 16, ls & 0xffff);
	free(pe->fixed_version);
	pe->fixed_version = strdup(buf);
}

/*
 * One version block (VS_VERSIONINFO, StringFileInfo, StringTable, String,
 * VarFileInfo): wLength, wValueLength, wType, key, padding, value,
 * padding, children.  Bounded by its parent's end and by depth.
 */
static void
walk_version(struct pt_pe *pe, size_t off, size_t end, int depth)
{
	uint16_t len, vlen, type;
	if (depth > MAX_VERSION_DEPTH || !rd16(pe, off, &len) ||
			!rd16(pe, off + 2, &vlen) || !rd16(pe, off + 4, &type) ||
			len < 6 || len > end - off)
		return;
	size_t block_end = off + len, used;
	char *key = utf16_at(pe, off + 6, (block_end - off - 6) / 2, &used);
	if (key == NULL)
		return;
	size_t value = align4(off + 6 + used * 2);
	if (depth == 0 && strcmp(key, "VS_VERSION_INFO") == 0)
		take_fixed(pe, value, vlen);
	if (depth == 3 && value < block_end)
		take_string(pe, key, value, block_end, vlen);
	/* Only StringTables and Strings have text children worth reading. */
	bool text_kids = depth == 0 || (depth == 1 &&
		strcmp(key, "StringFileInfo") == 0) || depth == 2;
	free(key);
	if (!text_kids || depth >= 3)
		return;
	/* wValueLength counts bytes for binary values, words for text. */
	size_t vbytes = type == 1 ? (size_t)vlen * 2 : vlen;
	size_t child = align4(value + vbytes);
	for (int n = 0; child + 6 <= block_end && n < 256; n++) {
		uint16_t clen;
		if (!rd16(pe, child, &clen) || clen == 0)
			break;
		walk_version(pe, child, block_end, depth + 1);
		child = align4(child + clen);
	}
}

/* The first entry of a resource directory level, optionally by id. */
static bool
resource_entry(struct pt_pe *pe, size_t base, size_t rsrc_len,
		uint32_t dir, bool by_id, uint32_t id, uint32_t *target)
{
	uint16_t named, ids;
	if (dir > rsrc_len || !rd16(pe, base + dir + 12, &named) ||
			!rd16(pe, base + dir + 14, &ids))
		return false;
	size_t n = (size_t)named + ids;
	bool capped = n > MAX_RESOURCE_ENTRIES;
	if (capped)
		n = MAX_RESOURCE_ENTRIES;
	for (size_t i = 0; i < n; i++) {
		uint32_t name, data;
		size_t e = base + dir + 16 + i * 8;
		if (!rd32(pe, e, &name) || !rd32(pe, e + 4, &data))
			return false;
		if (!by_id || name == id) {
			*target = data;
			return true;
		}
	}
	if (capped)
		pe->damage = "more than 4096 resource entries, the rest not read";
	return false;
}

/* RT_VERSION (16) -> first name -> first language -> data entry. */
static void
read_version(struct pt_pe *pe)
{
	size_t base;
	if (pe->dir_rva[2] == 0 || !pt_pe_rva_to_offset(pe, pe->dir_rva[2], &base))
		return;
	size_t rsrc_len = pe->len - base;
	uint32_t t = 0;
	if (!resource_entry(pe, base, rsrc_len, 0, true, 16, &t) ||
			!(t & 0x80000000u) ||
			!resource_entry(pe, base, rsrc_len, t & 0x7fffffffu, false, 0, &t) ||
			!(t & 0x80000000u) ||
			!resource_entry(pe, base, rsrc_len, t & 0x7fffffffu, false, 0, &t) ||
			(t & 0x80000000u))
		return; /* no version resource: not damage, many files have none */
	uint32_t data_rva, size;
	size_t off;
	if (!rd32(pe, base + t, &data_rva) || !rd32(pe, base + t + 4, &size) ||
			!pt_pe_rva_to_offset(pe, data_rva, &off)) {
		pe->damage = "version resource outside the file";
		return;
	}
	size_t end = size <= pe->len - off ? off + size : pe->len;
	walk_version(pe, off, end, 0);
}

static void
fill_version(struct pt_pe *pe)
{
	pe->version.company = pe->strings[VF_COMPANY];
	pe->version.description = pe->strings[VF_DESCRIPTION];
	pe->version.file_version = pe->strings[VF_VERSION] ?
		pe->strings[VF_VERSION] : pe->fixed_version;
	pe->version.product = pe->strings[VF_PRODUCT];
	pe->version.original_filename = pe->strings[VF_ORIGINAL];
}

/* By slot, then by import order, so equal slots give the first import. */
static int
cmp_iat(const void *a, const void *b)
{
	const struct iat_slot *x = a, *y = b;
	if (x->rva != y->rva)
		return x->rva < y->rva ? -1 : 1;
	return x->import < y->import ? -1 : x->import > y->import;
}

/* pt_pe_import_at runs for every call near a tag: a binary search. */
static bool
index_imports(struct pt_pe *pe)
{
	if (pe->nimports == 0)
		return true;
	pe->by_iat = malloc(pe->nimports * sizeof(*pe->by_iat));
	if (pe->by_iat == NULL)
		return false;
	for (size_t i = 0; i < pe->nimports; i++)
		pe->by_iat[i] = (struct iat_slot){ pe->imports[i].iat_rva, i };
	qsort(pe->by_iat, pe->nimports, sizeof(*pe->by_iat), cmp_iat);
	return true;
}

struct pt_pe *
pt_pe_open(const uint8_t *data, size_t len, struct pt_error *err)
{
	struct pt_pe *pe = calloc(1, sizeof(*pe));
	if (pe == NULL) {
		pt_error_set(err, 0, "out of memory");
		return NULL;
	}
	pe->data = data;
	pe->len = len;
	if (!read_headers(pe, err)) {
		free(pe);
		return NULL;
	}
	if (!read_imports(pe)) {
		pt_pe_destroy(pe);
		pt_error_set(err, 0, "out of memory");
		return NULL;
	}
	if (!index_imports(pe)) {
		pt_pe_destroy(pe);
		pt_error_set(err, 0, "out of memory");
		return NULL;
	}
	read_version(pe);
	fill_version(pe);
	return pe;
}

void
pt_pe_destroy(struct pt_pe *pe)
{
	if (pe == NULL)
		return;
	for (size_t i = 0; i < pe->nimports; i++)
		free((char *)pe->imports[i].name);
	free(pe->imports);
	free(pe->by_iat);
	for (size_t i = 0; i < pe->nmodules; i++)
		free(pe->modules[i]);
	free(pe->modules);
	for (int f = 0; f < VF_COUNT; f++)
		free(pe->strings[f]);
	free(pe->fixed_version);
	free(pe);
}

uint16_t
pt_pe_machine(const struct pt_pe *pe)
{
	return pe->machine;
}

bool
pt_pe_is_pe32plus(const struct pt_pe *pe)
{
	return pe->plus;
}

uint64_t
pt_pe_image_base(const struct pt_pe *pe)
{
	return pe->image_base;
}

size_t
pt_pe_section_count(const struct pt_pe *pe)
{
	return pe->nsections;
}

const struct pt_pe_section *
pt_pe_section(const struct pt_pe *pe, size_t i)
{
	return i < pe->nsections ? &pe->sections[i] : NULL;
}

size_t
pt_pe_import_count(const struct pt_pe *pe)
{
	return pe->nimports;
}

const struct pt_pe_import *
pt_pe_import(const struct pt_pe *pe, size_t i)
{
	return i < pe->nimports ? &pe->imports[i] : NULL;
}

const struct pt_pe_import *
pt_pe_import_at(const struct pt_pe *pe, uint32_t rva)
{
	if (pe->by_iat == NULL)
		return NULL;
	size_t lo = 0, hi = pe->nimports;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (pe->by_iat[mid].rva < rva)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == pe->nimports || pe->by_iat[lo].rva != rva)
		return NULL;
	return &pe->imports[pe->by_iat[lo].import];
}

const struct pt_pe_version *
pt_pe_version(const struct pt_pe *pe)
{
	return &pe->version;
}

const char *
pt_pe_damage(const struct pt_pe *pe)
{
	return pe->damage;
}
