#include "pooltrend/pooltag.h"

#include <stdlib.h>
#include <string.h>

#include "pooltrend/source.h"

/* pooltag.txt copies are a few hundred KB; anything huge is not one. */
#define POOLTAG_MAX_BYTES ((size_t)64 << 20)

struct pt_pooltag *
pt_pooltag_load(const char *path, struct pt_diags *diags, struct pt_error *err)
{
	struct pt_text text;
	if (!pt_source_read_text(path, POOLTAG_MAX_BYTES, &text, err))
		return NULL;
	struct pt_pooltag *pt = pt_pooltag_parse(text.data, text.len, path, diags,
		err);
	pt_text_finish(&text);
	return pt;
}
