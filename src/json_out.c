#include "json_out.h"

#include <stdlib.h>
#include <string.h>

#include "pooltrend/text.h"

bool
pt_json_add_escaped(cJSON *obj, const char *name, const char *s)
{
	if (s == NULL)
		return cJSON_AddNullToObject(obj, name) != NULL;
	char *e = pt_escape(s, strlen(s));
	if (e == NULL)
		return false;
	bool ok = cJSON_AddStringToObject(obj, name, e) != NULL;
	free(e);
	return ok;
}

bool
pt_json_write(FILE *out, cJSON *doc, struct pt_error *err)
{
	char *text = doc ? cJSON_Print(doc) : NULL;
	cJSON_Delete(doc);
	if (text == NULL) {
		pt_error_set(err, 0, "out of memory while writing JSON");
		return false;
	}
	bool ok = fputs(text, out) >= 0 && fputc('\n', out) != EOF;
	cJSON_free(text);
	if (!ok)
		pt_error_set(err, 0, "write error");
	return ok;
}
