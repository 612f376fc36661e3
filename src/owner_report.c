/*
 * The owner report (see owner.h): ranked binaries per tag, as text and as
 * JSON.  Everything read from a binary or a path is escaped (pt_escape):
 * it comes from a customer's machine.
 */
#include "pooltrend/owner.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "pooltrend/pe.h"
#include "pooltrend/pooltag.h"
#include "pooltrend/text.h"
#include "report_shared.h"

static size_t
shown(const struct pt_owner_report_opts *o, size_t n)
{
	return o->top && o->top < n ? o->top : n;
}

/* Print untrusted text escaped; "-" for none. */
static void
put_escaped(FILE *out, const char *s)
{
	if (s == NULL || s[0] == '\0') {
		fputc('-', out);
		return;
	}
	char *e = pt_escape(s, strlen(s));
	fputs(e ? e : "?", out);
	free(e);
}

static void
text_pooltag(FILE *out, const struct pt_owner_report_opts *o,
		const uint8_t tag[4])
{
	const struct pt_pooltag_entry *e;
	if (o->pooltag == NULL || pt_pooltag_lookup(o->pooltag, tag, &e, 1) == 0)
		return;
	fputs("  pooltag.txt: ", out);
	put_escaped(out, e->binary);
	fputs(" - ", out);
	put_escaped(out, e->description);
	fputc('\n', out);
}

static void
text_hit(FILE *out, const struct pt_owner_hit *h, size_t rank)
{
	fprintf(out, "  %zu. %.2f  ", rank, h->confidence);
	put_escaped(out, h->path);
	fputs("\n     ", out);
	put_escaped(out, h->company);
	fputs(", ", out);
	put_escaped(out, h->description);
	fputs(", version ", out);
	put_escaped(out, h->file_version);
	fprintf(out, ", %s\n     ", pt_pe_machine_name(h->machine));
	/* The reason quotes section and import names from the file. */
	put_escaped(out, h->reason);
	fputc('\n', out);
}

bool
pt_owner_write_text(FILE *out, const struct pt_owner_scan *s,
		const struct pt_owner_report_opts *o, struct pt_error *err)
{
	for (size_t t = 0; t < s->ntags; t++) {
		const struct pt_owner_tag *tg = &s->tags[t];
		char tag[PT_TAG_TEXT_MAX];
		pt_tag_escape(tg->tag, tag);
		if (tg->nhits == 0)
			fprintf(out, "%s: no binary contains this tag\n", tag);
		else
			fprintf(out, "%s: %zu binar%s\n", tag, tg->nhits,
				tg->nhits == 1 ? "y" : "ies");
		text_pooltag(out, o, tg->tag);
		size_t n = shown(o, tg->nhits);
		for (size_t i = 0; i < n; i++)
			text_hit(out, &tg->hits[i], i + 1);
		if (n < tg->nhits)
			fprintf(out, "  (%zu more binaries not shown)\n", tg->nhits - n);
		fputc('\n', out);
	}
	fprintf(out, "Scanned %zu files: %zu PE images, %" PRIu64 " bytes.\n",
		s->files, s->pe_files, s->bytes);
	return pt_error_if_write_failed(out, err);
}

/* ---- JSON ---- */

/* Counts and offsets stay far below 2^53, where doubles are exact. */
static bool
add_count(cJSON *obj, const char *name, uint64_t v)
{
	return cJSON_AddNumberToObject(obj, name, (double)v) != NULL;
}

static cJSON *
place_object(const struct pt_tag_place *p)
{
	cJSON *o = cJSON_CreateObject();
	bool ok = o && add_count(o, "offset", p->offset) &&
		pt_json_add_escaped(o, "section", p->section[0] ? p->section : NULL) &&
		cJSON_AddStringToObject(o, "kind", pt_place_kind_name(p->kind)) &&
		pt_json_add_escaped(o, "operand", p->operand[0] ? p->operand : NULL) &&
		cJSON_AddBoolToObject(o, "call_near", p->call_near) &&
		pt_json_add_escaped(o, "call", p->call_import) &&
		pt_json_add_escaped(o, "call_module", p->call_import ? p->call_module : NULL);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static bool
add_places(cJSON *obj, const struct pt_owner_hit *h)
{
	cJSON *c = cJSON_AddObjectToObject(obj, "places");
	cJSON *ev = cJSON_AddArrayToObject(obj, "evidence");
	bool ok = c && ev;
	for (int k = 0; ok && k < 4; k++)
		ok = add_count(c, pt_place_kind_name((enum pt_place_kind)k),
			h->places[k]);
	ok = ok && add_count(c, "near_call", h->near_call) &&
		add_count(c, "allocator_call", h->allocator_calls);
	for (size_t i = 0; ok && i < h->nbest; i++) {
		cJSON *p = place_object(&h->best[i]);
		ok = p != NULL && cJSON_AddItemToArray(ev, p);
	}
	return ok;
}

static cJSON *
hit_object(const struct pt_owner_hit *h, size_t rank)
{
	cJSON *o = cJSON_CreateObject();
	char conf[16];
	(void)snprintf(conf, sizeof(conf), "%.2f", h->confidence);
	bool ok = o && add_count(o, "rank", rank) && pt_json_add_escaped(o, "file", h->path) &&
		cJSON_AddRawToObject(o, "confidence", conf) &&
		pt_json_add_escaped(o, "reason", h->reason) &&
		cJSON_AddStringToObject(o, "machine", pt_pe_machine_name(h->machine)) &&
		pt_json_add_escaped(o, "company", h->company) &&
		pt_json_add_escaped(o, "description", h->description) &&
		pt_json_add_escaped(o, "file_version", h->file_version) &&
		pt_json_add_escaped(o, "product", h->product) &&
		pt_json_add_escaped(o, "original_filename", h->original_filename) &&
		pt_json_add_escaped(o, "allocator", h->allocator) &&
		pt_json_add_escaped(o, "allocator_module", h->allocator_module) &&
		cJSON_AddBoolToObject(o, "free_only", h->free_only) &&
		add_places(o, h);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static bool
add_pooltag(cJSON *obj, const struct pt_owner_report_opts *o,
		const uint8_t tag[4])
{
	const struct pt_pooltag_entry *e;
	if (o->pooltag == NULL || pt_pooltag_lookup(o->pooltag, tag, &e, 1) == 0)
		return cJSON_AddNullToObject(obj, "pooltag") != NULL;
	cJSON *p = cJSON_AddObjectToObject(obj, "pooltag");
	return p && pt_json_add_escaped(p, "binary", e->binary) &&
		pt_json_add_escaped(p, "description", e->description);
}

static cJSON *
tag_object(const struct pt_owner_tag *tg, const struct pt_owner_report_opts *o)
{
	char tag[PT_TAG_TEXT_MAX], hex[9];
	pt_tag_hex(tg->tag, hex);
	cJSON *t = cJSON_CreateObject();
	cJSON *owners = NULL;
	bool ok = t && cJSON_AddStringToObject(t, "tag", pt_tag_escape(tg->tag, tag)) &&
		cJSON_AddStringToObject(t, "tag_hex", hex) && add_pooltag(t, o, tg->tag) &&
		add_count(t, "binaries", tg->nhits) &&
		(owners = cJSON_AddArrayToObject(t, "owners")) != NULL;
	size_t n = shown(o, tg->nhits);
	for (size_t i = 0; ok && i < n; i++) {
		cJSON *h = hit_object(&tg->hits[i], i + 1);
		ok = h != NULL && cJSON_AddItemToArray(owners, h);
	}
	if (!ok) {
		cJSON_Delete(t);
		return NULL;
	}
	return t;
}

static cJSON *
owner_document(const struct pt_owner_scan *s,
		const struct pt_owner_report_opts *o)
{
	cJSON *doc = cJSON_CreateObject(), *tool, *scan, *tags = NULL;
	bool ok = doc && add_count(doc, "schema_version", PT_OWNER_SCHEMA_VERSION) &&
		cJSON_AddStringToObject(doc, "kind", "owner") &&
		(tool = cJSON_AddObjectToObject(doc, "tool")) != NULL &&
		cJSON_AddStringToObject(tool, "name", "pooltrend") &&
		cJSON_AddStringToObject(tool, "version", o->version ? o->version : "") &&
		(scan = cJSON_AddObjectToObject(doc, "scan")) != NULL &&
		add_count(scan, "files", s->files) &&
		add_count(scan, "pe_files", s->pe_files) &&
		add_count(scan, "bytes", s->bytes) &&
		add_count(scan, "unreadable", s->unreadable) &&
		(tags = cJSON_AddArrayToObject(doc, "tags")) != NULL;
	for (size_t i = 0; ok && i < s->ntags; i++) {
		cJSON *t = tag_object(&s->tags[i], o);
		ok = t != NULL && cJSON_AddItemToArray(tags, t);
	}
	if (!ok) {
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

bool
pt_owner_write_json(FILE *out, const struct pt_owner_scan *s,
		const struct pt_owner_report_opts *o, struct pt_error *err)
{
	cJSON *doc = owner_document(s, o);
	bool ok = pt_json_print(out, doc, true, err);
	cJSON_Delete(doc);
	return ok;
}
