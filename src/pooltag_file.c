#include "pooltrend/pooltag.h"

#include <stdlib.h>
#include <string.h>

#include "pooltrend/decode.h"
#include "pooltrend/source.h"

/* pooltag.txt copies are a few hundred KB; anything huge is not one. */
#define POOLTAG_MAX_BYTES ((size_t)64 << 20)

struct pt_pooltag *
pt_pooltag_load(const char *path, struct pt_diags *diags, struct pt_error *err)
{
	struct pt_source src = {
		.path = (char *)path, .name = (char *)path, .base = path,
	};
	unsigned char *data = NULL;
	size_t len = 0;
	if (!pt_source_read(&src, POOLTAG_MAX_BYTES, &data, &len, err))
		return NULL;
	struct pt_text text;
	struct pt_pooltag *pt = NULL;
	if (pt_decode(data, len, &text, err)) {
		pt = pt_pooltag_parse(text.data, text.len, path, diags, err);
		pt_text_finish(&text);
	}
	free(data);
	return pt;
}
