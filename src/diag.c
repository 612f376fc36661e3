#include "pooltrend/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pooltrend/text.h"

/* Shorter than any message buffer (PT_ERROR_MSG_MAX is 256). */
#define UNFORMATTABLE "(message could not be formatted)"

void
pt_diags_init(struct pt_diags *d)
{
	memset(d, 0, sizeof(*d));
}

void
pt_diags_finish(struct pt_diags *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->len; i++) {
		free(d->items[i].file);
		free(d->items[i].msg);
	}
	free(d->items);
	memset(d, 0, sizeof(*d));
}

/* Whether a message of severity sev has a place to be stored. */
static bool
has_room(const struct pt_diags *d, enum pt_severity sev)
{
	return sev == PT_SEV_ERROR || d->stored_others < PT_DIAGS_MAX;
}

static bool
reserve_one(struct pt_diags *d)
{
	if (d->len < d->cap)
		return true;
	size_t cap = d->cap ? d->cap * 2 : 16;
	struct pt_diag *items = realloc(d->items, cap * sizeof(*items));
	if (items == NULL)
		return false;
	d->items = items;
	d->cap = cap;
	return true;
}

void
pt_diags_add(struct pt_diags *d, enum pt_severity sev, const char *file,
		long line, const char *fmt, ...)
{
	if (d == NULL || sev < PT_SEV_NOTE || sev > PT_SEV_ERROR)
		return;
	d->added[sev]++;
	if (!has_room(d, sev) || !reserve_one(d)) {
		d->dropped++;
		return;
	}
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	/* A longer message is cut short on purpose; a failed format (an
	 * encoding error) leaves buf unspecified, so replace it. */
	if (vsnprintf(buf, sizeof(buf), fmt, ap) < 0)
		memcpy(buf, UNFORMATTABLE, sizeof(UNFORMATTABLE));
	va_end(ap);

	char *msg = strdup(buf);
	char *fcopy = file ? pt_escape(file, strlen(file)) : NULL;
	if (msg == NULL || (file != NULL && fcopy == NULL)) {
		free(msg);
		free(fcopy);
		d->dropped++;
		return;
	}
	d->items[d->len++] = (struct pt_diag){
		.severity = sev, .file = fcopy, .line = line, .msg = msg,
	};
	d->stored_others += sev != PT_SEV_ERROR;
}

size_t
pt_diags_count(const struct pt_diags *d, enum pt_severity sev)
{
	return d->added[sev];
}

void
pt_diags_count_unstored(struct pt_diags *d, enum pt_severity sev, size_t n)
{
	if (d == NULL || sev < PT_SEV_NOTE || sev > PT_SEV_ERROR)
		return;
	d->added[sev] += n;
	d->dropped += n;
}

void
pt_diags_move(struct pt_diags *dst, struct pt_diags *src)
{
	for (size_t i = 0; i < src->len; i++) {
		struct pt_diag *g = &src->items[i];
		if (has_room(dst, g->severity) && reserve_one(dst)) {
			dst->items[dst->len++] = *g;
			dst->stored_others += g->severity != PT_SEV_ERROR;
		} else {
			free(g->file);
			free(g->msg);
			dst->dropped++;
		}
	}
	dst->dropped += src->dropped;
	for (int k = 0; k < 3; k++)
		dst->added[k] += src->added[k];
	src->len = 0;
	pt_diags_finish(src);
}

void
pt_error_set(struct pt_error *err, long line, const char *fmt, ...)
{
	if (err == NULL)
		return;
	err->line = line;
	va_list ap;
	va_start(ap, fmt);
	/* As in pt_diags_add: long messages are cut, failed ones replaced. */
	if (vsnprintf(err->msg, sizeof(err->msg), fmt, ap) < 0)
		memcpy(err->msg, UNFORMATTABLE, sizeof(UNFORMATTABLE));
	va_end(ap);
}

bool
pt_error_if_write_failed(FILE *out, struct pt_error *err)
{
	if (!ferror(out))
		return true;
	pt_error_set(err, 0, "write error");
	return false;
}
