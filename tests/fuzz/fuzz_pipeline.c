/*
 * Fuzz target: the whole analysis and both report formats.
 *
 * Input layout (so that seeds stay readable text):
 *
 *   6 option bytes, then up to 8 inputs separated by "\n#FILE\n"
 *   (the last input takes the rest, separators included).
 *
 *   byte 0: time source (% 6, auto .. index); (byte / 6) % 4 picks the
 *           interval: none, 1 s, 15 min, 1 h
 *   byte 1: sort key (% 7); (byte / 7) % 3 picks the pool filter;
 *           (byte / 21) odd: diff the inputs as one set
 *   byte 2: top (% 16, 0 = all); 0x10 lowers max_cells to 4096 so the
 *           "too many cells" path is reached; 0x20 caps max_file_bytes at
 *           256 so the "file too large" path is reached
 *   byte 3: bit i: input i gets a file name with a timestamp
 *   byte 4: bit i: input i gets an mtime
 *   byte 5: low 3 bits pick the mtime/name step, bits 3-4 the base time,
 *           bit 7 gives undated inputs a name full of control bytes
 *
 * A too-short input is padded with zero option bytes.  Every input runs
 * pt_analysis_run_texts; when it succeeds the report is written in every
 * format into memory.  Then pt_diff_run_texts runs over the same inputs
 * (the first half against the rest, or one set; see check_diff) and its
 * report is written and checked the same way.  Checked (abort on violation): the JSON parses with
 * cJSON and is valid UTF-8, the text holds no ESC and no control byte
 * other than LF, scores are in range, diagnostics hold no control bytes.
 * The first input is also written to a file and loaded whole and in parts
 * (opts.split_part_bytes from byte 4): both loads must give the same
 * messages, lines, snapshots and cells, or the same error.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "pooltrend/analysis.h"
#include "pooltrend/diag.h"
#include "pooltrend/diff.h"
#include "pooltrend/report.h"
#include "pooltrend/show.h"
#include "pooltrend/score.h"
#include "pooltrend/timestamp.h"

/* libFuzzer's entry point; declared here for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOPT 6
#define MAX_INPUTS 8
#define NAME_MAX_LEN 64

static const char separator[] = "\n#FILE\n";

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_pipeline: invariant violated: %s\n", what);
	abort();
}

/* Messages go to a terminal: no control bytes may reach them. */
static void
check_clean_string(const char *s, const char *what)
{
	if (s == NULL)
		return;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fail(what);
	}
}

/* RFC 3629 UTF-8, without overlongs or surrogates: report.h promises it. */
static bool
valid_utf8(const unsigned char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		unsigned c = s[i];
		size_t n;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		static const uint32_t min[4] = { 0, 0x80, 0x800, 0x10000 };
		if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

typedef bool (*report_fn)(FILE *f, const void *subject,
		const struct pt_report_opts *o, struct pt_error *err);

static bool
write_rank(FILE *f, const void *subject, const struct pt_report_opts *o,
		struct pt_error *err)
{
	return pt_report_write(f, subject, o, err);
}

static bool
write_diff(FILE *f, const void *subject, const struct pt_report_opts *o,
		struct pt_error *err)
{
	return pt_diff_write(f, subject, o, err);
}

/* Write a report into memory; NULL when the writer failed. */
static char *
render(report_fn write, const void *subject, struct pt_report_opts *o,
		enum pt_format format, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (f == NULL)
		return NULL;
	struct pt_error err = {0};
	o->format = format;
	bool ok = write(f, subject, o, &err);
	/* fclose finalises buf and *len even when the writer failed. */
	if (fclose(f) != 0)
		ok = false;
	if (!ok) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void
check_text_report(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0x1b)
			fail("ESC in text report");
		if (c < 0x20 && c != '\n')
			fail("control byte in text report");
	}
}

static void
check_json_report(const char *s, size_t len, const char *version_key,
		double version)
{
	if (!valid_utf8((const unsigned char *)s, len))
		fail("JSON report is not valid UTF-8");
	/* A NUL inside would make cJSON see only a prefix. */
	if (strlen(s) != len)
		fail("NUL byte in JSON report");
	cJSON *doc = cJSON_ParseWithLength(s, len);
	if (doc == NULL)
		fail("JSON report does not parse");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, version_key);
	if (!cJSON_IsNumber(v) || v->valuedouble != version)
		fail("JSON report without its version");
	cJSON_Delete(doc);
}

static void
check_analysis(const struct pt_analysis *a, bool scored)
{
	if (a->diags.len > PT_DIAGS_MAX)
		fail("too many diags stored");
	for (size_t i = 0; i < a->diags.len; i++) {
		check_clean_string(a->diags.items[i].file,
			"control byte in diag file");
		check_clean_string(a->diags.items[i].msg,
			"control byte in diag message");
	}
	if (a->ds.nseries > 0 && (a->scores == NULL) == scored)
		fail(scored ? "series without scores" : "scores not asked for");
	for (size_t i = 0; i < a->ds.nseries && a->scores != NULL; i++) {
		const struct pt_score *sc = &a->scores[i];
		if (sc->series >= a->ds.nseries)
			fail("score names a series that does not exist");
		if (sc->verdict > PT_VERDICT_LIKELY)
			fail("verdict out of range");
		/* Also catches NaN. */
		if (!(sc->confidence >= 0.0 && sc->confidence <= 1.0))
			fail("confidence outside [0, 1]");
	}
}

/* CSV/TSV: no ESC or control byte but the CR LF line ends and TSV tabs. */
static void
check_table_report(const char *s, size_t len, bool tsv)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n' || (c == '\r' && i + 1 < len && s[i + 1] == '\n') ||
				(tsv && c == '\t'))
			continue;
		if (c < 0x20 || c == 0x7f)
			fail("control byte in CSV/TSV report");
	}
}

/* JSON Lines: every line parses on its own. */
static void
check_jsonl_report(char *s, size_t len)
{
	if (!valid_utf8((const unsigned char *)s, len) || strlen(s) != len)
		fail("JSONL report is not clean UTF-8");
	for (char *line = s; *line != '\0';) {
		char *nl = strchr(line, '\n');
		if (nl == NULL)
			fail("JSONL report without a final line end");
		*nl = '\0';
		cJSON *doc = cJSON_Parse(line);
		if (doc == NULL)
			fail("JSONL line does not parse");
		cJSON_Delete(doc);
		line = nl + 1;
	}
}

/* Every format of one report: text, JSON, CSV, TSV, JSONL. */
static void
check_reports(report_fn write, const void *subject,
		struct pt_report_opts *ro, const char *version_key, double version)
{
	size_t len;
	char *text = render(write, subject, ro, PT_FORMAT_TEXT, &len);
	if (text == NULL)
		fail("text report failed");
	check_text_report(text, len);
	free(text);
	char *json = render(write, subject, ro, PT_FORMAT_JSON, &len);
	if (json == NULL)
		fail("JSON report failed");
	check_json_report(json, len, version_key, version);
	free(json);
	for (int sep = 0; sep < 2; sep++) {
		char *table = render(write, subject, ro,
			sep ? PT_FORMAT_TSV : PT_FORMAT_CSV, &len);
		if (table == NULL)
			fail("CSV/TSV report failed");
		check_table_report(table, len, sep != 0);
		free(table);
	}
	char *jsonl = render(write, subject, ro, PT_FORMAT_JSONL, &len);
	if (jsonl == NULL)
		fail("JSONL report failed");
	check_jsonl_report(jsonl, len);
	free(jsonl);
}

/*
 * diff over the same inputs: the first half against the rest, or, when
 * (byte 1 / 21) is odd or there is one input, the whole as one set.
 */
static void
check_diff(const struct pt_input_text *in, size_t n,
		const struct pt_analysis_opts *ao, struct pt_report_opts *ro,
		uint8_t opt1)
{
	size_t nold = (opt1 / 21) & 1 ? 0 : n / 2;
	struct pt_diff d;
	struct pt_error err = {0};
	if (pt_diff_run_texts(in, n, nold, ao, &d, &err)) {
		check_analysis(&d.a, false);
		if (d.old_snap >= d.a.ds.nsnap || d.new_snap >= d.a.ds.nsnap)
			fail("diff side outside the snapshots");
		if (d.nrows > d.a.ds.nseries)
			fail("more diff rows than series");
		for (size_t i = 0; i < d.nrows; i++) {
			const struct pt_diff_row *r = &d.rows[i];
			if (r->series >= d.a.ds.nseries)
				fail("diff row names a series that does not exist");
			if (r->counters == PT_COUNTERS_OK && d.reboot)
				fail("counter changes across a reboot");
			if (r->bytes_change != r->new.bytes - r->old.bytes)
				fail("bytes change is not new minus old");
		}
		check_reports(write_diff, &d, ro, "schema_version",
			PT_DIFF_SCHEMA_VERSION);
	} else {
		check_clean_string(err.msg, "control byte in diff error message");
	}
	pt_diff_finish(&d);
}

/* show: the text view of every series, and the SVG of the first. */
static void
check_show(const struct pt_analysis *a)
{
	for (size_t s = 0; s < a->ds.nseries && s < 4; s++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		if (f == NULL)
			return;
		struct pt_error err = {0};
		struct pt_show_opts so = { .unicode = (s & 1) != 0 };
		bool ok = pt_show_write_text(f, a, s, &so, &err) &&
			(s != 0 || pt_show_write_svg(f, a, s, &err));
		if (fclose(f) != 0 || !ok)
			fail("show failed");
		for (size_t i = 0; i < len; i++)
			if (buf[i] == 0x1b || ((unsigned char)buf[i] < 0x20 &&
					buf[i] != '\n'))
				fail("control byte in show output");
		free(buf);
	}
}

static void
check_same_load(const struct pt_analysis *a, const struct pt_analysis *b)
{
	if (a->diags.len != b->diags.len || a->diags.dropped != b->diags.dropped)
		fail("split load: other messages");
	for (size_t i = 0; i < a->diags.len; i++)
		if (a->diags.items[i].line != b->diags.items[i].line ||
				a->diags.items[i].severity != b->diags.items[i].severity ||
				strcmp(a->diags.items[i].msg, b->diags.items[i].msg) != 0)
			fail("split load: another message");
	const struct pt_dataset *x = &a->ds, *y = &b->ds;
	if (x->nsnap != y->nsnap || x->nseries != y->nseries ||
			a->rows != b->rows || a->skipped_lines != b->skipped_lines ||
			a->skipped_inputs != b->skipped_inputs)
		fail("split load: other counts");
	for (size_t i = 0; i < x->nsnap; i++)
		if (x->snaps[i].line != y->snaps[i].line ||
				x->snaps[i].t_ms != y->snaps[i].t_ms)
			fail("split load: a snapshot moved");
	size_t cells = x->nsnap * x->nseries;
	if (cells > 0 && (memcmp(x->bytes, y->bytes, cells * 8) != 0 ||
			memcmp(x->allocs32, y->allocs32, cells * 4) != 0))
		fail("split load: other cells");
}

/* The text as a file, loaded whole and cut into parts of part bytes. */
static void
check_split(const struct pt_input_text *in, const struct pt_analysis_opts *o,
		uint64_t part)
{
	/* Unlinked at once, opened through /proc: nothing is left behind. */
	static char path[32];
	static int fd = -1;
	if (fd < 0) {
		char tmp[] = "/tmp/fuzz-pipeline-split-XXXXXX";
		if ((fd = mkstemp(tmp)) < 0)
			return;
		unlink(tmp);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 ||
			pwrite(fd, in->data, in->len, 0) != (ssize_t)in->len)
		return;
	const char *operands[] = { path };
	struct pt_analysis_opts w = *o, p = *o;
	w.threads = 1;
	p.threads = 2;
	p.split_part_bytes = part;
	p.max_held_bytes = part & 1 ? 0 : p.max_held_bytes;
	struct pt_analysis a, b;
	struct pt_error ea = {0}, eb = {0};
	bool oka = pt_analysis_load(operands, 1, &w, &a, &ea);
	bool okb = pt_analysis_load(operands, 1, &p, &b, &eb);
	if (oka != okb || (!oka && strcmp(ea.msg, eb.msg) != 0))
		fail("split load: another outcome");
	if (oka)
		check_same_load(&a, &b);
	pt_analysis_finish(&a);
	pt_analysis_finish(&b);
}

/* Split body into at most MAX_INPUTS pieces at the separator. */
static size_t
split(const uint8_t *body, size_t len, struct pt_input_text *in)
{
	size_t n = 0, sep = sizeof(separator) - 1;
	size_t pos = 0;
	while (n < MAX_INPUTS - 1) {
		const uint8_t *hit = NULL;
		for (size_t i = pos; i + sep <= len; i++) {
			if (memcmp(body + i, separator, sep) == 0) {
				hit = body + i;
				break;
			}
		}
		if (hit == NULL)
			break;
		in[n].data = body + pos;
		in[n].len = (size_t)(hit - (body + pos));
		n++;
		pos = (size_t)(hit - body) + sep;
	}
	in[n].data = body + pos;
	in[n].len = len - pos;
	return n + 1;
}

/* Name "poolmon_YYYYMMDD-HHMMSS.txt" for ms (only when it is a valid date). */
static void
stamped_name(char *out, size_t size, size_t i, int64_t ms)
{
	char iso[32];
	pt_stamp_format(ms, iso);
	/* iso is YYYY-MM-DDTHH:MM:SS[.mmm]; keep the digits only. */
	char d[15];
	size_t k = 0;
	for (size_t j = 0; iso[j] != '\0' && iso[j] != '.' && k < 14; j++) {
		if (iso[j] >= '0' && iso[j] <= '9')
			d[k++] = iso[j];
	}
	d[k] = '\0';
	if (k == 14)
		snprintf(out, size, "logs/poolmon_%.8s-%.6s.txt", d, d + 8);
	else
		snprintf(out, size, "logs/poolmon%zu.txt", i);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t opt[NOPT] = {0};
	size_t nopt = size < NOPT ? size : NOPT;
	memcpy(opt, data, nopt);
	const uint8_t *body = data + nopt;
	size_t blen = size - nopt;

	static const int64_t intervals[4] = { 0, 1000, 15 * 60000, 3600000 };
	/* Steps include 0 (equal times), one ms and backwards time. */
	static const int64_t steps[8] = {
		0, 1, 1000, 60000, 1800000, 86400000, -1800000, 397 * 86400000LL,
	};
	/* 1970, 2026-11-02, before 1970, 9999-12-31: realistic mtime range. */
	static const int64_t bases[4] = {
		0, 1793606400000LL, -86400000LL, 253402300799000LL,
	};

	struct pt_analysis_opts ao;
	pt_analysis_opts_init(&ao);
	ao.time_source = (enum pt_time_source)(opt[0] % 6);
	ao.interval_ms = intervals[(opt[0] / 6) % 4];
	if (opt[2] & 0x10)
		ao.max_cells = 4096;
	if (opt[2] & 0x20)
		ao.max_file_bytes = 256;

	struct pt_report_opts ro = {
		.sort = (enum pt_sort_key)(opt[1] % 7),
		.pool = (enum pt_pool_filter)((opt[1] / 7) % 3),
		.top = opt[2] % 16,
		.color = false,
		.version = "fuzz",
	};

	struct pt_input_text in[MAX_INPUTS];
	char names[MAX_INPUTS][NAME_MAX_LEN];
	memset(in, 0, sizeof(in));
	size_t n = split(body, blen, in);
	int64_t step = steps[opt[5] & 7];
	int64_t base = bases[(opt[5] >> 3) & 3];
	for (size_t i = 0; i < n; i++) {
		int64_t t = base + (int64_t)i * step;
		if (opt[3] & (1u << i))
			stamped_name(names[i], NAME_MAX_LEN, i, t);
		else if (opt[5] & 0x80)
			snprintf(names[i], NAME_MAX_LEN, "dir/\x1b[31mred\n%zu\t.txt", i);
		else
			snprintf(names[i], NAME_MAX_LEN, "poolmonlog%zu.txt", i);
		in[i].name = names[i];
		in[i].has_mtime = (opt[4] & (1u << i)) != 0;
		in[i].mtime_ms = t;
	}

	struct pt_analysis a;
	struct pt_error err = {0};
	bool ok = pt_analysis_run_texts(in, n, &ao, &a, &err);
	if (ok) {
		check_analysis(&a, true);
		check_reports(write_rank, &a, &ro, "schema_version",
			PT_JSON_SCHEMA_VERSION);
		check_show(&a);
	} else {
		check_clean_string(err.msg, "control byte in error message");
	}
	/* finish is documented as required after a failed run too. */
	pt_analysis_finish(&a);
	check_diff(in, n, &ao, &ro, opt[1]);
	check_split(&in[0], &ao, 16 + (uint64_t)opt[4] * 7);
	return 0;
}
