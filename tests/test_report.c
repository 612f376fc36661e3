/*
 * Reports: ranking, exact JSON integers, escaping, colour, human units,
 * CSV/TSV (quoting, CRLF, formula neutralisation) and JSON Lines.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "pooltrend/report.h"
#include "testutil.h"

#define NSNAP 12
#define NTAGS 3
/* setup_wide adds a fourth tag for the spreadsheet formats. */
#define MAXTAGS 4

struct fixture {
	struct pt_snapshot snaps[NSNAP];
	struct pt_row rows[NSNAP][MAXTAGS];
	struct pt_timed_snapshot timed[NSNAP];
	struct pt_analysis a;
};

static const uint8_t tags[MAXTAGS][4] = {
	{ 'L', 'e', 'a', 'k' },
	{ 'B', 'i', 'g', ' ' },
	{ 0x1b, '[', '2', 'J' },   /* a hostile tag: ESC [ 2 J clears a screen */
	{ '=', 'A', ',', '"' },    /* a formula for a spreadsheet, with , and " */
};

/* Driver text for Leak in setup_wide: a formula, a comma, quotes, a tab. */
static const char leak_owner[] = "-evil.sys, \"x\"\tq";

/*
 * Leak grows; Big is huge and flat; the hostile tag wobbles; with ntags 4,
 * "=A,\"" shrinks (negative growth) and Leak has an owner.
 */
static void
setup_n(struct fixture *f, int ntags)
{
	memset(f, 0, sizeof(*f));
	for (int i = 0; i < NSNAP; i++) {
		int64_t big = INT64_C(123456789012345678);
		int64_t b[MAXTAGS] = { 64000 + 6400 * i, big, 640 * (1 + i % 2),
			200000 - 9600 * i };
		for (int t = 0; t < ntags; t++) {
			struct pt_row *r = &f->rows[i][t];
			memcpy(r->tag, tags[t], 4);
			r->pool = t == 1 ? PT_POOL_PAGED : PT_POOL_NONPAGED;
			r->allocs = 1000 + 100 * i;
			r->diff = b[t] / 64;
			r->frees = r->allocs - r->diff;
			r->bytes = b[t];
			r->mapped = ntags > NTAGS && t == 0 ? leak_owner : NULL;
		}
		f->snaps[i].rows = f->rows[i];
		f->snaps[i].nrows = (size_t)ntags;
		f->snaps[i].line = 1;
		f->timed[i] = (struct pt_timed_snapshot){
			&f->snaps[i], "x.txt", (int64_t)i * 3600000,
		};
	}
	struct pt_error err = {0};
	pt_diags_init(&f->a.diags);
	ck_assert(pt_dataset_build(&f->a.ds, f->timed, NSNAP, 0, &f->a.diags, &err));
	f->a.scores = pt_score_all(&f->a.ds, &err);
	ck_assert_ptr_nonnull(f->a.scores);
	f->a.files_with_snapshots = 1;
	f->a.time_source = PT_TIME_EMBEDDED;
	f->a.last_ms = (NSNAP - 1) * 3600000;
	f->a.span_hours = NSNAP - 1;
	pt_diags_add(&f->a.diags, PT_SEV_WARNING, "x.txt", 7, "something odd");
}

static void
setup(struct fixture *f)
{
	setup_n(f, NTAGS);
}

static void
setup_wide(struct fixture *f)
{
	setup_n(f, MAXTAGS);
}

static char *
render(struct fixture *f, const struct pt_report_opts *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(m);
	struct pt_error err = {0};
	ck_assert_msg(pt_report_write(m, &f->a, o, &err), "%s", err.msg);
	fclose(m);
	return buf;
}

static struct pt_report_opts
opts(enum pt_format fmt)
{
	return (struct pt_report_opts){ .format = fmt, .version = "9.9" };
}

START_TEST(test_json_contract)
{
	struct fixture f;
	setup(&f);
	struct pt_report_opts o = opts(PT_FORMAT_JSON);
	char *text = render(&f, &o);
	cJSON *doc = cJSON_Parse(text);
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(cJSON_GetObjectItem(doc, "schema_version")->valueint, 1);
	cJSON *tool = cJSON_GetObjectItem(doc, "tool");
	ck_assert_str_eq(cJSON_GetObjectItem(tool, "name")->valuestring, "pooltrend");
	ck_assert_str_eq(cJSON_GetObjectItem(tool, "version")->valuestring, "9.9");
	cJSON *in = cJSON_GetObjectItem(doc, "input");
	ck_assert_int_eq(cJSON_GetObjectItem(in, "snapshots")->valueint, NSNAP);
	ck_assert_str_eq(cJSON_GetObjectItem(in, "time_source")->valuestring, "embedded");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(in, "warnings")), 1);
	cJSON *t = cJSON_GetObjectItem(doc, "tags");
	ck_assert_int_eq(cJSON_GetArraySize(t), NTAGS);
	cJSON *first = cJSON_GetArrayItem(t, 0);
	ck_assert_str_eq(cJSON_GetObjectItem(first, "tag")->valuestring, "Leak");
	ck_assert_str_eq(cJSON_GetObjectItem(first, "tag_hex")->valuestring, "4c65616b");
	ck_assert_str_eq(cJSON_GetObjectItem(first, "verdict")->valuestring, "likely");
	ck_assert_str_eq(cJSON_GetObjectItem(first, "pool")->valuestring, "nonpaged");
	ck_assert_int_eq(cJSON_GetObjectItem(first, "rank")->valueint, 1);
	ck_assert_ptr_nonnull(cJSON_GetObjectItem(first, "components"));
	/* 123456789012345678 > 2^53: must appear literally, not rounded. */
	ck_assert_ptr_nonnull(strstr(text, "\"bytes_last\":\t123456789012345678"));
	/* The hostile tag is escaped, never raw. */
	ck_assert_ptr_null(strchr(text, 0x1b));
	ck_assert_ptr_nonnull(strstr(text, "\"tag\":\t\"\\\\x1b[2J\""));
	cJSON_Delete(doc);
	free(text);
	pt_analysis_finish(&f.a);
}
END_TEST

START_TEST(test_text_ranks_and_escapes)
{
	struct fixture f;
	setup(&f);
	struct pt_report_opts o = opts(PT_FORMAT_TEXT);
	char *text = render(&f, &o);
	ck_assert_ptr_null(strchr(text, 0x1b));
	ck_assert_ptr_nonnull(strstr(text, "\\x1b[2J"));
	char *leak = strstr(text, "Leak"), *big = strstr(text, "Big ");
	ck_assert(leak != NULL && big != NULL && leak < big);
	ck_assert_ptr_nonnull(strstr(text, "12 snapshots"));
	free(text);
	o.color = true;
	text = render(&f, &o);
	ck_assert_ptr_nonnull(strstr(text, "\033[1;31mlikely"));
	free(text);
	pt_analysis_finish(&f.a);
}
END_TEST

START_TEST(test_sort_and_filter)
{
	struct fixture f;
	setup(&f);
	struct pt_report_opts o = opts(PT_FORMAT_TEXT);
	size_t n;
	o.sort = PT_SORT_BYTES;
	size_t *r = pt_report_rank(&f.a, &o, &n);
	ck_assert_uint_eq(n, NTAGS);
	ck_assert(memcmp(f.a.ds.series[r[0]].tag, "Big ", 4) == 0);
	free(r);
	o.sort = PT_SORT_TAG;
	r = pt_report_rank(&f.a, &o, &n);
	ck_assert_int_eq(f.a.ds.series[r[0]].tag[0], 0x1b);
	free(r);
	o.pool = PT_FILTER_PAGED;
	r = pt_report_rank(&f.a, &o, &n);
	ck_assert_uint_eq(n, 1);
	free(r);
	o.pool = PT_FILTER_ALL;
	o.top = 1;
	char *text = render(&f, &o);
	ck_assert_ptr_nonnull(strstr(text, "(2 more series not shown"));
	free(text);
	pt_analysis_finish(&f.a);
}
END_TEST

START_TEST(test_sort_impact_and_tte)
{
	struct fixture f;
	setup(&f);
	struct pt_report_opts o = opts(PT_FORMAT_TEXT);
	size_t n;
	/* A certain small leak and a probable large one. */
	struct pt_score *small = &f.a.scores[0], *large = &f.a.scores[1];
	for (size_t s = 0; s < f.a.ds.nseries; s++)
		f.a.scores[s].has_rate_after_onset = false;
	small->confidence = 1.0;
	small->verdict = PT_VERDICT_LIKELY;
	small->has_growth = true;
	small->growth_bph = 100;
	large->confidence = 0.6;
	large->verdict = PT_VERDICT_POSSIBLE;
	large->has_growth = true;
	large->growth_bph = 10e6;
	for (size_t s = 2; s < f.a.ds.nseries; s++) {
		/* Unlikely, however fast: after every possible or likely one. */
		f.a.scores[s].confidence = 0.3;
		f.a.scores[s].verdict = PT_VERDICT_UNLIKELY;
		f.a.scores[s].has_growth = true;
		f.a.scores[s].growth_bph = 1e9;
	}
	o.sort = PT_SORT_IMPACT;
	size_t *r = pt_report_rank(&f.a, &o, &n);
	ck_assert_uint_eq(r[0], 1);
	ck_assert_uint_eq(r[1], 0);
	free(r);
	/* The default is the same blend. */
	struct pt_report_opts d = opts(PT_FORMAT_TEXT);
	r = pt_report_rank(&f.a, &d, &n);
	ck_assert_uint_eq(r[0], 1);
	ck_assert_uint_eq(r[1], 0);
	free(r);
	o.sort = PT_SORT_CONFIDENCE;
	r = pt_report_rank(&f.a, &o, &n);
	ck_assert_uint_eq(r[0], 0);
	free(r);

	/* Soonest exhaustion first, then the series without one. */
	for (size_t s = 0; s < f.a.ds.nseries; s++)
		f.a.scores[s].has_tte = false;
	small->has_tte = large->has_tte = true;
	small->tte_hours = 5;
	large->tte_hours = 50;
	o.sort = PT_SORT_TTE;
	r = pt_report_rank(&f.a, &o, &n);
	ck_assert_uint_eq(r[0], 0);
	ck_assert_uint_eq(r[1], 1);
	free(r);
	pt_analysis_finish(&f.a);
}
END_TEST

START_TEST(test_human_bytes)
{
	char b[32];
	ck_assert_str_eq(pt_human_bytes(512, b), "512 B");
	ck_assert_str_eq(pt_human_bytes(41600, b), "40.6 KB");
	ck_assert_str_eq(pt_human_bytes(2.1 * 1024 * 1024 * 1024, b), "2.10 GB");
	ck_assert_str_eq(pt_human_bytes(-2048, b), "-2.00 KB");
	ck_assert_str_eq(pt_human_bytes(300.0 * 1024 * 1024, b), "300 MB");
}
END_TEST

START_TEST(test_option_words)
{
	enum pt_format fmt;
	enum pt_sort_key key;
	enum pt_pool_filter pool;
	ck_assert(pt_format_parse("json", &fmt) && fmt == PT_FORMAT_JSON);
	ck_assert(pt_format_parse("csv", &fmt) && fmt == PT_FORMAT_CSV);
	ck_assert(pt_format_parse("tsv", &fmt) && fmt == PT_FORMAT_TSV);
	ck_assert(pt_format_parse("jsonl", &fmt) && fmt == PT_FORMAT_JSONL);
	ck_assert(!pt_format_parse("CSV", &fmt));
	ck_assert(!pt_format_parse("xml", &fmt));
	ck_assert(pt_sort_key_parse("diff", &key) && key == PT_SORT_DIFF);
	ck_assert(pt_sort_key_parse("impact", &key) && key == PT_SORT_IMPACT);
	ck_assert(pt_sort_key_parse("tte", &key) && key == PT_SORT_TTE);
	ck_assert(!pt_sort_key_parse("size", &key));
	ck_assert(pt_pool_filter_parse("nonpaged", &pool) && pool == PT_FILTER_NONPAGED);
	ck_assert(!pt_pool_filter_parse("both", &pool));
}
END_TEST

/* ---- CSV / TSV / JSON Lines ---- */

#define NCOLS 30
#define MAXROWS 8

static const char *const table_columns[NCOLS] = {
	"rank", "tag", "tag_hex", "pool", "verdict", "confidence",
	"growth_bytes_per_hour", "growth_ci95_low", "growth_ci95_high",
	"bytes_first", "bytes_last", "bytes_max",
	"allocs_first", "allocs_last", "frees_first", "frees_last",
	"diff_first", "diff_last", "samples", "span_hours",
	"onset", "onset_hours", "tte_hours", "tte_bound", "counter_wraps",
	"reason", "owner_source", "owner_binary", "owner_description",
	"owner_text",
};

/* A parsed table: every record ended by CRLF, every cell unquoted. */
struct table {
	size_t nrows;
	size_t ncols[MAXROWS];
	char *cell[MAXROWS][NCOLS];
};

static void
table_free(struct table *t)
{
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols[r]; c++)
			free(t->cell[r][c]);
}

/*
 * Strict RFC 4180 reader (sep ',') or TSV reader (sep '\t', no quoting):
 * a CR or LF outside quotes must be part of a CRLF record end.
 */
static void
table_parse(const char *s, char sep, struct table *t)
{
	memset(t, 0, sizeof(*t));
	size_t len = strlen(s);
	ck_assert_msg(len >= 2 && strcmp(s + len - 2, "\r\n") == 0,
		"output must end in CRLF");
	const char *p = s;
	while (*p != '\0') {
		ck_assert_uint_lt(t->nrows, MAXROWS);
		size_t r = t->nrows++;
		for (;;) {
			ck_assert_uint_lt(t->ncols[r], NCOLS + 1);
			char *v = malloc(strlen(p) + 1), *o = v;
			ck_assert_ptr_nonnull(v);
			if (sep == ',' && *p == '"') {
				for (p++;; p++) {
					ck_assert_msg(*p != '\0', "unterminated quote");
					if (*p == '"' && p[1] == '"')
						*o++ = *p++;
					else if (*p == '"')
						break;
					else
						*o++ = *p;
				}
				p++;
			} else {
				for (; *p != '\0' && *p != sep && *p != '\r' && *p != '\n'; p++) {
					ck_assert_msg(sep != ',' || *p != '"',
						"quote inside an unquoted CSV field");
					*o++ = *p;
				}
			}
			*o = '\0';
			ck_assert_uint_lt(t->ncols[r], NCOLS);
			t->cell[r][t->ncols[r]++] = v;
			if (*p == sep) {
				p++;
				continue;
			}
			ck_assert_msg(p[0] == '\r' && p[1] == '\n',
				"record %zu not ended by CRLF", r);
			p += 2;
			break;
		}
	}
}

static int
column_of(const char *name)
{
	for (int c = 0; c < NCOLS; c++)
		if (strcmp(table_columns[c], name) == 0)
			return c;
	ck_abort_msg("no column %s", name);
	return -1;
}

static bool
formula_like(const char *s)
{
	return s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' ||
		s[0] == '\t' || s[0] == '\r';
}

/* The row of a table whose (escaped, neutralised) tag cell is tag. */
static size_t
row_of(const struct table *t, const char *tag)
{
	int c = column_of("tag");
	for (size_t r = 1; r < t->nrows; r++)
		if (strcmp(t->cell[r][c], tag) == 0)
			return r;
	ck_abort_msg("no row for tag %s", tag);
	return 0;
}

static char *
render_fmt(struct fixture *f, enum pt_format fmt, size_t top)
{
	struct pt_report_opts o = opts(fmt);
	o.top = top;
	return render(f, &o);
}

START_TEST(test_csv_layout)
{
	struct fixture f;
	setup_wide(&f);
	char *text = render_fmt(&f, PT_FORMAT_CSV, 0);
	/* The header, byte for byte. */
	const char *header = "rank,tag,tag_hex,pool,verdict,confidence,"
		"growth_bytes_per_hour,growth_ci95_low,growth_ci95_high,"
		"bytes_first,bytes_last,bytes_max,allocs_first,allocs_last,"
		"frees_first,frees_last,diff_first,diff_last,samples,span_hours,"
		"onset,onset_hours,tte_hours,tte_bound,counter_wraps,reason,"
		"owner_source,owner_binary,owner_description,owner_text\r\n";
	ck_assert_int_eq(strncmp(text, header, strlen(header)), 0);
	struct table t;
	table_parse(text, ',', &t);
	ck_assert_uint_eq(t.nrows, 1 + MAXTAGS);
	for (size_t r = 0; r < t.nrows; r++)
		ck_assert_uint_eq(t.ncols[r], NCOLS);
	for (int c = 0; c < NCOLS; c++)
		ck_assert_str_eq(t.cell[0][c], table_columns[c]);
	/* No bare LF: every LF follows a CR. */
	for (const char *p = strchr(text, '\n'); p != NULL; p = strchr(p + 1, '\n'))
		ck_assert_int_eq(p[-1], '\r');
	/* Ranked like the text and JSON reports: Leak first. */
	ck_assert_str_eq(t.cell[1][column_of("tag")], "Leak");
	ck_assert_str_eq(t.cell[1][column_of("rank")], "1");
	table_free(&t);
	free(text);
	/* --top cuts the rows, never the header. */
	text = render_fmt(&f, PT_FORMAT_CSV, 2);
	table_parse(text, ',', &t);
	ck_assert_uint_eq(t.nrows, 3);
	table_free(&t);
	free(text);
	pt_analysis_finish(&f.a);
}
END_TEST

START_TEST(test_csv_quoting_and_values)
{
	struct fixture f;
	setup_wide(&f);
	char *text = render_fmt(&f, PT_FORMAT_CSV, 0);
	/* A tag with a comma and a quote: quoted, the quote doubled, and
	 * the leading '=' neutralised inside the quotes. */
	ck_assert_ptr_nonnull(strstr(text, ",\"'=A,\"\"\",3d412c22,"));
	/* Owner text: escaped (the tab is \x09), neutralised, quoted. */
	ck_assert_ptr_nonnull(strstr(text,
		",dump,,,\"'-evil.sys, \"\"x\"\"\\x09q\"\r\n"));
	/* The 64-bit value exactly, as a bare number. */
	ck_assert_ptr_nonnull(strstr(text,
		",123456789012345678,123456789012345678,123456789012345678,"));
	/* The hostile tag escaped, never raw. */
	ck_assert_ptr_null(strchr(text, 0x1b));
	ck_assert_ptr_nonnull(strstr(text, ",\\x1b[2J,"));
	struct table t;
	table_parse(text, ',', &t);
	size_t r = row_of(&t, "'=A,\"");
	/* Shrinking: negative growth, a number, so no apostrophe. */
	const char *g = t.cell[r][column_of("growth_bytes_per_hour")];
	ck_assert_msg(g[0] == '-', "growth %s", g);
	ck_assert_double_lt(strtod(g, NULL), 0);
	ck_assert_ptr_null(strchr(g, '\''));
	/* Numbers never carry an apostrophe, thousands separators or
	 * quotes; text cells never start with a formula character. */
	for (size_t i = 1; i < t.nrows; i++) {
		for (int c = 0; c < NCOLS; c++) {
			const char *v = t.cell[i][c];
			ck_assert_msg(!formula_like(v) || v[0] == '-',
				"row %zu %s: %s", i, table_columns[c], v);
			if (v[0] == '-') {
				char *end;
				(void)strtod(v, &end);
				ck_assert_msg(*end == '\0', "text cell %s "
					"starts with '-': %s", table_columns[c], v);
			}
		}
	}
	table_free(&t);
	free(text);
	pt_analysis_finish(&f.a);
}
END_TEST

/* Every cell equals the JSON "tags" value of the same series. */
START_TEST(test_csv_matches_json)
{
	struct fixture f;
	setup_wide(&f);
	char *csv = render_fmt(&f, PT_FORMAT_CSV, 0);
	char *json = render_fmt(&f, PT_FORMAT_JSON, 0);
	cJSON *doc = cJSON_Parse(json);
	ck_assert_ptr_nonnull(doc);
	cJSON *tags_arr = cJSON_GetObjectItem(doc, "tags");
	struct table t;
	table_parse(csv, ',', &t);
	ck_assert_uint_eq(t.nrows - 1, (size_t)cJSON_GetArraySize(tags_arr));
	for (size_t r = 1; r < t.nrows; r++) {
		cJSON *obj = cJSON_GetArrayItem(tags_arr, (int)r - 1);
		for (int c = 0; c < NCOLS; c++) {
			const char *name = table_columns[c];
			const char *v = t.cell[r][c];
			if (strncmp(name, "owner_", 6) == 0)
				continue;
			cJSON *item;
			if (strcmp(name, "growth_ci95_low") == 0 ||
					strcmp(name, "growth_ci95_high") == 0) {
				cJSON *ci = cJSON_GetObjectItem(obj, "growth_ci95");
				int k = strcmp(name, "growth_ci95_low") == 0 ? 0 : 1;
				item = cJSON_IsArray(ci) ? cJSON_GetArrayItem(ci, k) : ci;
			} else {
				item = cJSON_GetObjectItem(obj, name);
			}
			ck_assert_msg(item != NULL, "JSON has no %s", name);
			if (cJSON_IsNull(item)) {
				ck_assert_msg(v[0] == '\0', "%s: %s for null", name, v);
			} else if (cJSON_IsString(item)) {
				const char *s = item->valuestring;
				if (formula_like(s))
					ck_assert_msg(v[0] == '\'' && strcmp(v + 1, s) == 0,
						"%s: %s vs %s", name, v, s);
				else
					ck_assert_str_eq(v, s);
			} else {
				ck_assert_msg(cJSON_IsNumber(item), "%s", name);
				char *end;
				double d = strtod(v, &end);
				ck_assert_msg(v[0] != '\0' && *end == '\0' &&
					d == item->valuedouble, "%s: %s vs %.17g",
					name, v, item->valuedouble);
			}
		}
		/* The JSON "owner" object and the owner columns agree. */
		cJSON *owner = cJSON_GetObjectItem(obj, "owner");
		const char *src = t.cell[r][column_of("owner_source")];
		const char *ot = t.cell[r][column_of("owner_text")];
		if (cJSON_IsObject(owner)) {
			const char *js = cJSON_GetObjectItem(owner, "source")->valuestring;
			const char *jt = cJSON_GetObjectItem(owner, "text")->valuestring;
			ck_assert_str_eq(src, js);
			ck_assert_str_eq(src, "dump");
			ck_assert_str_eq(ot + (formula_like(jt) ? 1 : 0), jt);
		} else {
			ck_assert_str_eq(src, "");
			ck_assert_str_eq(ot, "");
		}
	}
	table_free(&t);
	cJSON_Delete(doc);
	free(json);
	free(csv);
	pt_analysis_finish(&f.a);
}
END_TEST

START_TEST(test_tsv)
{
	struct fixture f;
	setup_wide(&f);
	char *text = render_fmt(&f, PT_FORMAT_TSV, 0);
	ck_assert_int_eq(strncmp(text, "rank\ttag\ttag_hex\tpool\t", 22), 0);
	ck_assert_ptr_null(strchr(text, 0x1b));
	/* table_parse splits on every tab: exactly NCOLS cells per line
	 * means no tab inside a field; no quoting in TSV. */
	struct table t;
	table_parse(text, '\t', &t);
	ck_assert_uint_eq(t.nrows, 1 + MAXTAGS);
	for (size_t r = 0; r < t.nrows; r++)
		ck_assert_uint_eq(t.ncols[r], NCOLS);
	size_t r = row_of(&t, "'=A,\"");
	ck_assert_str_eq(t.cell[r][column_of("tag_hex")], "3d412c22");
	ck_assert_int_eq(t.cell[r][column_of("growth_bytes_per_hour")][0], '-');
	size_t leak = row_of(&t, "Leak");
	ck_assert_str_eq(t.cell[leak][column_of("owner_text")],
		"'-evil.sys, \"x\"\\x09q");
	ck_assert_str_eq(t.cell[row_of(&t, "Big ")][column_of("bytes_last")],
		"123456789012345678");
	table_free(&t);
	free(text);
	pt_analysis_finish(&f.a);
}
END_TEST

START_TEST(test_jsonl)
{
	struct fixture f;
	setup_wide(&f);
	char *lines = render_fmt(&f, PT_FORMAT_JSONL, 0);
	char *json = render_fmt(&f, PT_FORMAT_JSON, 0);
	cJSON *doc = cJSON_Parse(json);
	ck_assert_ptr_nonnull(doc);
	cJSON *tags_arr = cJSON_GetObjectItem(doc, "tags");
	ck_assert_ptr_null(strchr(lines, 0x1b));
	ck_assert_ptr_nonnull(strstr(lines, "\"bytes_last\":123456789012345678,"));
	int n = 0;
	for (char *p = lines; *p != '\0'; n++) {
		char *nl = strchr(p, '\n');
		ck_assert_ptr_nonnull(nl);
		*nl = '\0';
		ck_assert_ptr_null(strchr(p, '\r'));
		cJSON *line = cJSON_Parse(p);
		ck_assert_msg(cJSON_IsObject(line), "line %d: %s", n + 1, p);
		ck_assert_msg(cJSON_Compare(line, cJSON_GetArrayItem(tags_arr, n), true),
			"line %d differs from tags[%d]", n + 1, n);
		cJSON_Delete(line);
		p = nl + 1;
	}
	ck_assert_int_eq(n, cJSON_GetArraySize(tags_arr));
	ck_assert_int_eq(n, MAXTAGS);
	free(lines);
	/* --top: the first lines only. */
	lines = render_fmt(&f, PT_FORMAT_JSONL, 2);
	n = 0;
	for (char *p = lines; (p = strchr(p, '\n')) != NULL; p++)
		n++;
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(strncmp(lines, "{\"tag\":\"Leak\",", 14), 0);
	free(lines);
	cJSON_Delete(doc);
	free(json);
	pt_analysis_finish(&f.a);
}
END_TEST

struct concurrent_render {
	struct fixture *f;
	char *text;
};

static void *
render_json_thread(void *arg)
{
	struct concurrent_render *r = arg;
	struct pt_report_opts o = opts(PT_FORMAT_JSON);
	o.threads = 2;
	r->text = render(r->f, &o);
	return NULL;
}

/* JSON reports written at the same time on several threads, each
 * building its tags on two workers, come out as one written alone. */
START_TEST(test_json_reports_at_once)
{
	struct fixture f;
	setup(&f);
	struct pt_report_opts o = opts(PT_FORMAT_JSON);
	char *want = render(&f, &o);
	struct concurrent_render r[4];
	pthread_t th[4];
	for (int i = 0; i < 4; i++) {
		r[i] = (struct concurrent_render){ &f, NULL };
		ck_assert_int_eq(pthread_create(&th[i], NULL, render_json_thread,
			&r[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_str_eq(r[i].text, want);
		free(r[i].text);
	}
	free(want);
	pt_analysis_finish(&f.a);
}
END_TEST

/*
 * Whether every line of cJSON's pretty text is indented by one tab for
 * each object or array open around it (outside strings), as cJSON prints.
 */
static bool
indented_by_depth(const char *text)
{
	int depth = 0;
	bool in_string = false, escaped = false, line_start = true;
	for (const char *p = text; *p != '\0'; p++) {
		if (line_start) {
			int tabs = 0;
			while (p[tabs] == '\t')
				tabs++;
			char c = p[tabs];
			int want = depth - (c == '}' || c == ']');
			if (c != '\0' && c != '\n' && tabs != want)
				return false;
			p += tabs;
			line_start = false;
			if (*p == '\0')
				break;
		}
		char c = *p;
		if (in_string) {
			in_string = escaped || c != '"';
			escaped = !escaped && c == '\\';
		} else if (c == '"') {
			in_string = true;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			depth--;
		} else if (c == '\n') {
			line_start = true;
		}
	}
	return depth == 0 && !in_string;
}

/* The tags printed on the workers and linked in as raw text are indented
 * as at their depth in the document, and the document reads back. */
START_TEST(test_json_tags_at_their_depth)
{
	struct fixture f;
	setup(&f);
	struct pt_report_opts o = opts(PT_FORMAT_JSON);
	o.threads = 3;
	char *text = render(&f, &o);
	cJSON *doc = cJSON_Parse(text);
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_ge(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "tags")),
		2);
	ck_assert(indented_by_depth(text));
	/* The checker itself: one tab too many is caught. */
	char *p = strstr(text, "\n\t\t\t\"tag\"");
	ck_assert_ptr_nonnull(p);
	p[1] = ' ';
	ck_assert(!indented_by_depth(text));
	cJSON_Delete(doc);
	free(text);
	pt_analysis_finish(&f.a);
}
END_TEST

static Suite *
report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("formats");
	tcase_add_test(tc, test_json_contract);
	tcase_add_test(tc, test_text_ranks_and_escapes);
	tcase_add_test(tc, test_sort_and_filter);
	tcase_add_test(tc, test_sort_impact_and_tte);
	tcase_add_test(tc, test_human_bytes);
	tcase_add_test(tc, test_option_words);
	tcase_add_test(tc, test_csv_layout);
	tcase_add_test(tc, test_csv_quoting_and_values);
	tcase_add_test(tc, test_csv_matches_json);
	tcase_add_test(tc, test_tsv);
	tcase_add_test(tc, test_jsonl);
	tcase_add_test(tc, test_json_reports_at_once);
	tcase_add_test(tc, test_json_tags_at_their_depth);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pt_test_run(report_suite());
}
