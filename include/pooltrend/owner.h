/*
 * Owner scan: which driver binaries contain a pool tag, and how strongly
 * the evidence says each one allocates with it.
 *
 * Every file under the given paths (directories recursively, symbolic
 * links not followed inside them) that is a PE image is read once: the 4
 * bytes of every wanted tag are searched for in one pass, and each place
 * found is judged by
 *   - the section that holds it: executable code or data;
 *   - on x64, whether it is the imm32 of an instruction that loads an
 *     argument register (mov ecx/edx/r8d/r9d, imm32; mov dword
 *     [rsp+X], imm32 for a stack argument) with a call within
 *     PT_OWNER_CALL_WINDOW bytes after it, and whether that call goes to
 *     a pool allocator import (call [rip+IAT] or call to a jmp [IAT]
 *     thunk) with the tag in the allocator's tag argument, or to
 *     ExFreePoolWithTag (freed with the tag: weaker).  Only the first
 *     call counts; a ret, call [non-IAT] or call reg ends the window;
 *     a jmp counts only when it lands on a jmp [IAT] thunk; on x86, push imm32 before a call; on ARM64, where the
 *     tag's bytes are not contiguous in code, a movz/movk pair that
 *     builds it in w0-w7 with a bl within PT_OWNER_CALL_WINDOW bytes
 *     (resolved through an adrp/ldr/br thunk) or an adrp/ldr/blr;
 *   - whether the binary imports a pool allocator, and from which module.
 * Only the first 4096 places of a tag in one binary get the instruction
 * and call analysis (a bound on hostile files); the rest are counted by
 * section, with a warning.
 * From that each (tag, binary) pair gets a confidence in [0, 1] and a
 * one-line reason; pt_owner_scan_finish ranks the binaries of each tag.
 *
 * Ownership: a struct pt_owner_scan owns every result and string in it
 * (paths as given, version strings copied from the files); the fields are
 * read-only for callers and valid until pt_owner_scan_destroy.  Strings
 * from files are raw bytes: escape them before printing.
 */
#ifndef POOLTREND_OWNER_H
#define POOLTREND_OWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pooltrend/diag.h"

/* Bytes after a tag-loading instruction searched for the call. */
#define PT_OWNER_CALL_WINDOW 64
/* Places kept per (tag, binary) as evidence, best first. */
#define PT_OWNER_MAX_PLACES 4
/* Tags one scan looks for. */
#define PT_OWNER_MAX_TAGS 4096
/* Below this confidence no binary is named as a series' driver (--drivers). */
#define PT_OWNER_MIN_DRIVER 0.40
/* Larger files are skipped with a warning (each file is read into memory). */
#define PT_OWNER_MAX_FILE (256 << 20)

enum pt_place_kind {
	PT_PLACE_DATA,      /* a data section */
	PT_PLACE_CODE,      /* an executable section, not a recognised argument */
	PT_PLACE_OUTSIDE,   /* headers or data after the last section */
	PT_PLACE_ARGUMENT,  /* the immediate of an argument load in code */
};

/* One place where a tag's bytes were found. */
struct pt_tag_place {
	size_t offset;              /* file offset (ARM64 pair: the first instruction) */
	bool split;                 /* built by ARM64 movz/movk: the bytes are not there */
	char section[9];            /* section name, "" outside sections */
	enum pt_place_kind kind;
	char operand[24];           /* ARGUMENT: "r8d", "edx", "[rsp+0x20]", "push" */
	bool call_near;             /* ARGUMENT: a call follows within the window */
	const char *call_import;    /* the pool allocator that call reaches (a
	                               static string), or NULL */
	char call_module[32];       /* its module as named in the file (cut) */
	bool allocator_call;        /* the call reaches a pool allocator */
	bool free_call;             /* the call is ExFreePoolWithTag with the
	                               tag as its tag argument */
};

/* One binary that holds one tag. */
struct pt_owner_hit {
	const char *path;
	uint16_t machine;
	const char *company, *description, *file_version, *product,
		*original_filename;         /* NULL when the file has none */
	const char *allocator;          /* first pool allocator imported, or NULL */
	const char *allocator_module;   /* and its module */
	bool free_only;                 /* imports only ExFreePoolWithTag */
	size_t places[4];               /* count per enum pt_place_kind */
	size_t near_call;               /* arguments followed by a call */
	size_t allocator_calls;         /* arguments of a call to an allocator */
	struct pt_tag_place best[PT_OWNER_MAX_PLACES];
	size_t nbest;
	double confidence;
	bool tie;                       /* the first-ranked hit, and the next
	                                   one has the same confidence */
	char reason[320];
};

struct pt_owner_tag {
	uint8_t tag[4];
	struct pt_owner_hit *hits;  /* ranked after pt_owner_scan_finish */
	size_t nhits;
};

struct pt_owner_scan {
	struct pt_owner_tag *tags;
	size_t ntags;
	size_t files;       /* regular files looked at */
	size_t pe_files;    /* of those, PE images scanned */
	uint64_t bytes;     /* bytes of PE images scanned */
	size_t unreadable;  /* files or directories that could not be read */
	/* private */
	struct pt_owner_file *file_list; /* newest first */
	struct pt_owner_seen *seen;      /* (device, inode) of files read */
	size_t nseen, cap_seen;
	struct pt_owner_key *keys; /* the tags as little-endian words, sorted */
	uint64_t *first2;    /* bitmap of two-byte windows of the tags */
};

/*
 * Tags are copied; duplicates are kept once.  NULL with err when out of
 * memory or ntags is over PT_OWNER_MAX_TAGS (nothing is silently dropped).
 */
struct pt_owner_scan *pt_owner_scan_create(const uint8_t (*tags)[4],
		size_t ntags, struct pt_error *err);
void pt_owner_scan_destroy(struct pt_owner_scan *s);

/*
 * Scan a file or a directory tree.  Unreadable entries and damaged PE
 * files are reported in diags and counted; false with err only when out
 * of memory.
 */
bool pt_owner_scan_path(struct pt_owner_scan *s, const char *path,
		struct pt_diags *diags, struct pt_error *err);

/*
 * Scan one file already in memory; name is how results call it.  Bytes
 * that are not a PE image are skipped (false is only for out of memory).
 */
bool pt_owner_scan_buffer(struct pt_owner_scan *s, const char *name,
		const uint8_t *data, size_t len, struct pt_diags *diags,
		struct pt_error *err);

/*
 * Rank the binaries of every tag: confidence, allocator calls, argument
 * places, path.  When the first two have the same confidence the first
 * is marked a tie and its reason names the other.
 */
void pt_owner_scan_finish(struct pt_owner_scan *s);

/* The scan's entry for a tag, or NULL when it was not asked for. */
const struct pt_owner_tag *pt_owner_scan_find(const struct pt_owner_scan *s,
		const uint8_t tag[4]);

/* Is name one of the pool allocator imports the scan looks for? */
bool pt_owner_is_allocator(const char *name);

/* The kind as a word: "data", "code", "outside", "argument". */
const char *pt_place_kind_name(enum pt_place_kind k);

struct pt_pooltag;

/* Options of the owner report. */
struct pt_owner_report_opts {
	const char *version;               /* tool version for JSON */
	const struct pt_pooltag *pooltag;  /* --pooltag table, or NULL */
	size_t top;                        /* binaries per tag, 0 = all */
};

#define PT_OWNER_SCHEMA_VERSION 1

/* Ranked binaries per tag for people.  False with err on a write error. */
bool pt_owner_write_text(FILE *out, const struct pt_owner_scan *s,
		const struct pt_owner_report_opts *o, struct pt_error *err);
/* The same as JSON ("kind": "owner", "schema_version" 1). */
bool pt_owner_write_json(FILE *out, const struct pt_owner_scan *s,
		const struct pt_owner_report_opts *o, struct pt_error *err);

#endif
