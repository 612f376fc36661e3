#include "pooltrend/analysis.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "pooltrend/decode.h"
#include "pooltrend/snapshot.h"
#include "pooltrend/source.h"
#include "pooltrend/text.h"
#include "pooltrend/timestamp.h"
#include "workers.h"

void
pt_analysis_opts_init(struct pt_analysis_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->time_source = PT_TIME_AUTO;
	o->max_file_bytes = PT_DEFAULT_MAX_FILE_BYTES;
	o->max_cells = PT_DEFAULT_MAX_CELLS;
}

/*
 * Everything parsed from one input file.  Files are parsed in parallel, so
 * each keeps its own messages and counts until they are merged in file
 * order.
 */
struct parsed_file {
	const struct pt_source *src;
	struct pt_parse_result result;  /* rows released once packed */
	struct pt_packed_rows packed;
	bool parsed;
	bool read;                /* the bytes could be read */
	bool failed;              /* fatal: err says why */
	struct pt_error err;
	struct pt_diags diags;
	size_t neg_fixed_rows;
};

/* One usable snapshot, before ordering. */
struct usable {
	const struct pt_snapshot *snap;
	const struct pt_source *src;
	struct pt_packed_ref rows;
};

/* memmem is a GNU extension; the prefix scanned is small. */
static bool
contains(const unsigned char *hay, size_t n, const char *needle)
{
	size_t m = strlen(needle);
	for (size_t i = 0; i + m <= n; i++)
		if (memcmp(hay + i, needle, m) == 0)
			return true;
	return false;
}

/* What no_snapshot_hint looks at. */
#define HINT_BYTES 4096

/* Guess why a file without snapshots has none, for a helpful message. */
static const char *
no_snapshot_hint(const unsigned char *data, size_t len)
{
	if (len == 0)
		return " (the file is empty)";
	size_t zeros_odd = 0, zeros_even = 0, n = len < HINT_BYTES ? len : HINT_BYTES;
	for (size_t i = 0; i < n; i++)
		if (data[i] == 0)
		{
			if (i & 1)
				zeros_odd++;
			else
				zeros_even++;
		}
	if (n >= 16 && (zeros_odd > n / 4 || zeros_even > n / 4))
		return " (it looks like UTF-16 without a byte-order mark; "
			"re-save it as UTF-8 or with a BOM)";
	if (n >= 8 && memcmp(data, "\x89PNG", 4) == 0)
		return " (it is a PNG image)";
	if (contains(data, n, "Pool Used:") ||
			contains(data, n, "Sorting by"))
		return " (it looks like WinDbg !poolused output, which has no "
			"allocation counters; use poolmon -n)";
	return "";
}

static void
report_parse_notes(const struct pt_source *src, const struct pt_text *text,
		const struct pt_parse_result *r, struct pt_diags *diags,
		size_t *neg_rows)
{
	if (text->encoding == PT_ENC_UTF16LE || text->encoding == PT_ENC_UTF16BE)
		pt_diags_add(diags, PT_SEV_NOTE, src->name, 0,
			"decoded from %s", pt_encoding_name(text->encoding));
	if (text->odd_byte)
		pt_diags_add(diags, PT_SEV_WARNING, src->name, 0,
			"UTF-16 text ends in the middle of a character (file cut short?)");
	if (text->bad_surrogate)
		pt_diags_add(diags, PT_SEV_WARNING, src->name, 0,
			"UTF-16 text holds an unpaired surrogate, shown as '?' "
			"(file damaged?)");
	size_t neg = 0, loose = 0;
	for (size_t i = 0; i < r->nsnaps; i++) {
		neg += r->snaps[i].neg_fixed;
		loose += r->snaps[i].loose;
	}
	*neg_rows += neg;
	if (loose > 0)
		pt_diags_add(diags, PT_SEV_NOTE, src->name, 0,
			"%zu snapshot%s damaged spacing and %s read loosely; "
			"tags with blanks inside may be cut", loose,
			loose == 1 ? " had" : "s had", loose == 1 ? "was" : "were");
	if (r->skipped > 0 && r->nsnaps > 0)
		pt_diags_add(diags, PT_SEV_NOTE, src->name, r->first_skipped,
			"%zu line%s not recognised and skipped (first here)",
			r->skipped, r->skipped == 1 ? "" : "s");
}

/*
 * Decode and parse one input's bytes.  When owned is not NULL it is data,
 * malloc'd with room for len + 1 bytes, and is decoded in place, so a
 * large file is not held twice.
 */
static void
parse_bytes(struct pt_parser *parser, const unsigned char *data, size_t len,
		unsigned char *owned, struct parsed_file *pf)
{
	struct pt_text text;
	const struct pt_source *src = pf->src;
	unsigned char head[HINT_BYTES];
	size_t head_len = len < HINT_BYTES ? len : HINT_BYTES;
	if (head_len > 0)
		memcpy(head, data, head_len);
	bool decoded = owned != NULL ?
		pt_decode_owned(owned, len, &text, &pf->err) :
		pt_decode(data, len, &text, &pf->err);
	if (!decoded) {
		pf->failed = true;
		return;
	}
	pf->parsed = pt_parse_text(parser, text.data, text.len, src->name,
		&pf->result, &pf->diags, &pf->err);
	if (pf->parsed)
		report_parse_notes(src, &text, &pf->result, &pf->diags,
			&pf->neg_fixed_rows);
	/* The rows do not point into the text: free it before packing. */
	pt_text_finish(&text);
	if (!pf->parsed) {
		pf->failed = true;
		return;
	}
	if (pf->result.nsnaps == 0)
		pt_diags_add(&pf->diags, PT_SEV_ERROR, src->name, 0,
			"no poolmon snapshot found%s",
			no_snapshot_hint(head, head_len));
	/* Rows wait for alignment in the packed form, a third of the size;
	 * the full rows are freed at once. */
	if (!pt_packed_rows_build(&pf->packed, &pf->result)) {
		pt_error_set(&pf->err, 0, "out of memory");
		pf->failed = true;
	}
	pt_parse_result_release_rows(&pf->result, parser);
}

/* Read, decode and parse one file; a file that cannot be read is reported. */
static void
parse_file(struct pt_parser *parser, const struct pt_analysis_opts *opts,
		struct parsed_file *pf)
{
	unsigned char *data = NULL;
	size_t len = 0;
	struct pt_error rerr = {0};
	if (!pt_source_read(pf->src, opts->max_file_bytes, &data, &len, &rerr)) {
		pt_diags_add(&pf->diags, PT_SEV_ERROR, pf->src->name, rerr.line,
			"%s", rerr.msg);
		return;
	}
	pf->read = true;
	parse_bytes(parser, data, len, data, pf);
}

/* What the parse workers share; each task is one file. */
struct parse_job {
	const struct pt_input_text *texts;  /* NULL: read the files */
	const struct pt_analysis_opts *opts;
	struct parsed_file *files;
	struct pt_parser **parsers;         /* one per worker */
	size_t nfiles;
	atomic_size_t done;                 /* files parsed so far */
};

static void
parse_task(void *ctx, size_t worker, size_t i)
{
	struct parse_job *job = ctx;
	struct parsed_file *pf = &job->files[i];
	if (job->texts != NULL) {
		pf->read = true;
		parse_bytes(job->parsers[worker], job->texts[i].data,
			job->texts[i].len, NULL, pf);
	} else {
		parse_file(job->parsers[worker], job->opts, pf);
	}
	size_t done = atomic_fetch_add(&job->done, 1) + 1;
	/* Worker 0 is the calling thread: the callback needs no locking. */
	if (worker == 0 && job->opts->progress != NULL)
		job->opts->progress(job->opts->progress_ctx, done, job->nfiles);
}

/* Move the messages of src to the end of dst, as if added there. */
static void
move_diags(struct pt_diags *dst, struct pt_diags *src)
{
	for (size_t i = 0; i < src->len; i++) {
		struct pt_diag *d = &src->items[i];
		struct pt_diag *slot = NULL;
		if (dst->len < PT_DIAGS_MAX) {
			if (dst->len == dst->cap) {
				size_t cap = dst->cap ? dst->cap * 2 : 16;
				struct pt_diag *items = realloc(dst->items,
					cap * sizeof(*items));
				if (items != NULL) {
					dst->items = items;
					dst->cap = cap;
				}
			}
			if (dst->len < dst->cap)
				slot = &dst->items[dst->len++];
		}
		if (slot != NULL) {
			*slot = *d;
		} else {
			free(d->file);
			free(d->msg);
			dst->dropped++;
		}
	}
	dst->dropped += src->dropped;
	src->len = 0;
	src->dropped = 0;
	pt_diags_finish(src);
}

static size_t
worker_count(const struct pt_analysis_opts *opts, size_t tasks)
{
	size_t n = opts->threads ? opts->threads : pt_workers_default();
	if (n > PT_MAX_WORKERS)
		n = PT_MAX_WORKERS;
	return n < tasks ? n : (tasks ? tasks : 1);
}

/*
 * Parse every source on the worker threads, then merge messages and counts
 * in source order, so the result is the same for any number of threads.
 * False on a fatal error (the first in source order is reported).
 */
static bool
parse_all(const struct pt_source *sources, size_t nsources,
		const struct pt_input_text *texts,
		const struct pt_analysis_opts *opts, struct parsed_file *files,
		struct pt_analysis *a, struct pt_error *err)
{
	size_t nworkers = worker_count(opts, nsources);
	struct pt_parser *parsers[PT_MAX_WORKERS] = {0};
	bool ok = true;
	for (size_t w = 0; ok && w < nworkers; w++)
		ok = (parsers[w] = pt_parser_create(err)) != NULL;
	for (size_t i = 0; i < nsources; i++) {
		files[i].src = &sources[i];
		pt_diags_init(&files[i].diags);
	}
	if (ok) {
		struct parse_job job = { texts, opts, files, parsers, nsources, 0 };
		atomic_init(&job.done, 0);
		pt_workers_run(nworkers, nsources, parse_task, &job);
		if (opts->progress != NULL)
			opts->progress(opts->progress_ctx, nsources, nsources);
	}
	for (size_t i = 0; ok && i < nsources; i++) {
		struct parsed_file *pf = &files[i];
		move_diags(&a->diags, &pf->diags);
		if (pf->failed) {
			*err = pf->err;
			ok = false;
			break;
		}
		a->files_read += pf->read;
		if (!pf->parsed)
			continue;
		a->skipped_lines += pf->result.skipped;
		if (pf->neg_fixed_rows > 0 && a->neg_fixed_rows == 0)
			a->neg_fixed_first = pf->src->name;
		a->neg_fixed_rows += pf->neg_fixed_rows;
	}
	for (size_t i = 0; i < nsources; i++)
		pt_diags_finish(&files[i].diags);
	for (size_t w = 0; w < nworkers; w++)
		pt_parser_destroy(parsers[w]);
	return ok;
}

/* Collect the snapshots that have rows; empty ones are reported. */
static bool
collect_usable(struct parsed_file *files, size_t nfiles, struct usable **out,
		size_t *nout, struct pt_analysis *a, struct pt_error *err)
{
	size_t total = 0;
	for (size_t f = 0; f < nfiles; f++)
		total += files[f].parsed ? files[f].result.nsnaps : 0;
	struct usable *u = malloc((total ? total : 1) * sizeof(*u));
	if (u == NULL) {
		pt_error_set(err, 0, "out of memory");
		return false;
	}
	size_t n = 0;
	for (size_t f = 0; f < nfiles; f++) {
		if (!files[f].parsed)
			continue;
		const struct pt_parse_result *r = &files[f].result;
		if (r->nsnaps > 0)
			a->files_with_snapshots++;
		a->snapshots_found += r->nsnaps;
		a->skipped_inputs += r->orphan_rows;
		for (size_t i = 0; i < r->nsnaps; i++) {
			a->skipped_inputs += r->snaps[i].duplicates;
			if (r->snaps[i].nrows == 0) {
				pt_diags_add(&a->diags, PT_SEV_WARNING,
					files[f].src->name, r->snaps[i].line,
					"snapshot has a header but no rows; ignored");
				a->skipped_inputs++;
				continue;
			}
			if (r->snaps[i].nrows > PT_MAX_ROWS_PER_SNAPSHOT) {
				pt_diags_add(&a->diags, PT_SEV_WARNING,
					files[f].src->name, r->snaps[i].line,
					"snapshot has %zu rows, more than the limit of %d; "
					"ignored", r->snaps[i].nrows,
					PT_MAX_ROWS_PER_SNAPSHOT);
				a->skipped_inputs++;
				continue;
			}
			if (n == PT_MAX_SNAPSHOTS) {
				pt_diags_add(&a->diags, PT_SEV_WARNING,
					files[f].src->name, r->snaps[i].line,
					"more than %d snapshots; the rest are ignored",
					PT_MAX_SNAPSHOTS);
				a->skipped_inputs += r->nsnaps - i;
				break;
			}
			const struct pt_packed_rows *pk = &files[f].packed;
			u[n++] = (struct usable){ &r->snaps[i], files[f].src,
				{ pk->rows + pk->first[i],
				  (const char *const *)pk->mapped } };
			a->rows += r->snaps[i].nrows;
		}
	}
	*out = u;
	*nout = n;
	return true;
}

static struct pt_time_entry *
time_entries(const struct usable *u, size_t n)
{
	struct pt_time_entry *e = calloc(n ? n : 1, sizeof(*e));
	if (e == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const struct pt_snapshot *sn = u[i].snap;
		const struct pt_source *src = u[i].src;
		e[i].file = src->name;
		e[i].line = sn->line;
		if (sn->stamp_kind != PT_STAMP_NONE) {
			e[i].has_embedded = true;
			e[i].embedded_ms = sn->stamp_ms;
		}
		int64_t ms;
		if (!src->is_stdin &&
				pt_stamp_from_name(src->base, &ms) != PT_STAMP_NONE) {
			e[i].has_name = true;
			e[i].name_ms = ms;
		}
		e[i].has_mtime = src->has_mtime;
		e[i].mtime_ms = src->mtime_ms;
	}
	return e;
}

/*
 * One machine's physical memory does not change between snapshots, so
 * summaries that disagree mean logs of different machines were mixed.
 */
static void
warn_mixed_machines(struct pt_analysis *a)
{
	const struct pt_snapinfo *first = NULL;
	for (size_t i = 0; i < a->ds.nsnap; i++) {
		const struct pt_snapinfo *s = &a->ds.snaps[i];
		if (!s->summary.has_memory)
			continue;
		if (first == NULL) {
			first = s;
			continue;
		}
		if (s->summary.memory_k == first->summary.memory_k)
			continue;
		a->mixed_machines = true;
		const char *where = first->file ? first->file : "the first snapshot";
		char *shown = pt_escape(where, strlen(where));
		pt_diags_add(&a->diags, PT_SEV_WARNING, s->file, s->line,
			"snapshots from different machines? physical memory is "
			"%lld KB here but %lld KB in %s:%ld",
			(long long)s->summary.memory_k,
			(long long)first->summary.memory_k,
			shown ? shown : "the first snapshot", first->line);
		free(shown);
		return;
	}
}

static bool
align(const struct usable *u, size_t n,
		const struct pt_analysis_opts *opts, struct pt_analysis *a,
		struct pt_error *err)
{
	bool ok = false;
	struct pt_timed_snapshot *ts = NULL;
	struct pt_packed_ref *rows = NULL;
	struct pt_time_entry *e = time_entries(u, n);
	if (e == NULL)
		goto oom;
	if (!pt_timeline_assign(e, n, opts->time_source, opts->interval_ms,
			&a->time_source, &a->diags, err))
		goto out;
	ts = malloc(n * sizeof(*ts));
	rows = malloc(n * sizeof(*rows));
	if (ts == NULL || rows == NULL)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		ts[e[i].order] = (struct pt_timed_snapshot){
			.snap = u[i].snap, .file = u[i].src->name, .t_ms = e[i].t_ms,
		};
		rows[e[i].order] = u[i].rows;
	}
	if (!pt_dataset_build_packed(&a->ds, ts, rows, n, opts->max_cells,
			worker_count(opts, n), &a->diags, err))
		goto out;
	warn_mixed_machines(a);
	a->first_ms = a->ds.snaps[0].t_ms;
	a->last_ms = a->ds.snaps[n - 1].t_ms;
	a->span_hours = pt_analysis_hours(a, a->last_ms);
	ok = true;
	goto out;
oom:
	pt_error_set(err, 0, "out of memory");
out:
	free(e);
	free(ts);
	free(rows);
	return ok;
}

struct score_job {
	const struct pt_dataset *ds;
	const struct pt_load *load;
	struct pt_score *out;
	atomic_bool failed;
};

static void
score_task(void *ctx, size_t worker, size_t s)
{
	(void)worker;
	struct score_job *job = ctx;
	if (!pt_score_series_load(job->ds, s, job->load, &job->out[s]))
		atomic_store(&job->failed, true);
}

/*
 * Score every series on the worker threads; each writes its own slot.
 * With opts->no_scores, a->scores stays NULL.
 */
static bool
score_all(const struct pt_analysis_opts *opts, struct pt_analysis *a,
		struct pt_error *err)
{
	if (opts->no_scores)
		return true;
	size_t n = a->ds.nseries;
	struct score_job job = { .ds = &a->ds };
	atomic_init(&job.failed, false);
	job.out = calloc(n ? n : 1, sizeof(*job.out));
	struct pt_load *load = job.out != NULL ? pt_load_create(&a->ds) : NULL;
	if (load == NULL) {
		free(job.out);
		pt_error_set(err, 0, "out of memory while scoring");
		return false;
	}
	job.load = load;
	pt_workers_run(worker_count(opts, n), n, score_task, &job);
	pt_load_destroy(load);
	if (atomic_load(&job.failed)) {
		free(job.out);
		pt_error_set(err, 0, "out of memory while scoring");
		return false;
	}
	a->scores = job.out;
	if (!pt_groups_find(&a->ds, a->scores, &a->groups) ||
			!pt_machine_tte(&a->ds, a->scores, &a->machine)) {
		pt_error_set(err, 0, "out of memory while grouping");
		return false;
	}
	return true;
}

/*
 * The pipeline over sources; texts, when not NULL, holds each source's
 * bytes so nothing is read from disk.
 */
static bool
analyse(const struct pt_source *sources, size_t nsources,
		const struct pt_input_text *texts,
		const struct pt_analysis_opts *opts, struct pt_analysis *a,
		struct pt_error *err)
{
	bool ok = false;
	struct parsed_file *files = NULL;
	struct usable *usable = NULL;
	size_t nusable = 0;

	a->files = nsources;
	if (nsources == 0) {
		pt_error_set(err, 0, "no input file to read");
		goto out;
	}
	files = calloc(nsources, sizeof(*files));
	if (files == NULL) {
		pt_error_set(err, 0, "out of memory");
		goto out;
	}
	if (!parse_all(sources, nsources, texts, opts, files, a, err))
		goto out;
	/* One note for the whole input: a series of x86 files would
	 * otherwise repeat it for every file. */
	if (a->neg_fixed_rows > 0)
		pt_diags_add(&a->diags, PT_SEV_NOTE, a->neg_fixed_first, 0,
			"%zu row%s with negative counters read as unsigned 32-bit "
			"(x86 poolmon prints values above 2^31 as negative; first "
			"in this file)", a->neg_fixed_rows,
			a->neg_fixed_rows == 1 ? "" : "s");
	if (!collect_usable(files, nsources, &usable, &nusable, a, err))
		goto out;
	if (nusable == 0) {
		pt_error_set(err, 0, "no poolmon snapshot with rows in %zu file%s",
			nsources, nsources == 1 ? "" : "s");
		goto out;
	}
	ok = align(usable, nusable, opts, a, err);
out:
	/* Every error diagnostic is an input left out: unreadable, missing,
	 * or without a snapshot. */
	a->skipped_inputs += pt_diags_count(&a->diags, PT_SEV_ERROR);
	if (files != NULL)
		for (size_t i = 0; i < nsources; i++)
			if (files[i].parsed) {
				pt_packed_rows_finish(&files[i].packed);
				pt_parse_result_finish(&files[i].result);
			}
	free(files);
	free(usable);
	a->neg_fixed_first = NULL; /* it points into the caller's sources */
	return ok;
}

bool
pt_analysis_run(const char *const *operands, size_t n,
		const struct pt_analysis_opts *opts, struct pt_analysis *a,
		struct pt_error *err)
{
	return pt_analysis_load(operands, n, opts, a, err) &&
		score_all(opts, a, err);
}

bool
pt_analysis_load(const char *const *operands, size_t n,
		const struct pt_analysis_opts *opts, struct pt_analysis *a,
		struct pt_error *err)
{
	memset(a, 0, sizeof(*a));
	pt_diags_init(&a->diags);
	struct pt_source_list sources;
	pt_source_list_init(&sources);
	bool ok = pt_sources_expand(operands, n, &sources, &a->diags, err) &&
		analyse(sources.items, sources.len, NULL, opts, a, err);
	/* FIFOs, dangling links and loops inside a directory were left out
	 * with a warning (errors are counted by analyse). */
	a->skipped_inputs += sources.skipped;
	pt_source_list_finish(&sources);
	return ok;
}

/* The last path component of name (names may carry a directory). */
static const char *
base_name(const char *name)
{
	const char *slash = strrchr(name, '/');
	return slash != NULL ? slash + 1 : name;
}

bool
pt_analysis_run_texts(const struct pt_input_text *inputs, size_t n,
		const struct pt_analysis_opts *opts, struct pt_analysis *a,
		struct pt_error *err)
{
	memset(a, 0, sizeof(*a));
	pt_diags_init(&a->diags);
	struct pt_source *sources = calloc(n ? n : 1, sizeof(*sources));
	if (sources == NULL) {
		pt_error_set(err, 0, "out of memory");
		return false;
	}
	/* Borrowed names: the sources live only for this call. */
	for (size_t i = 0; i < n; i++) {
		sources[i].path = (char *)inputs[i].name;
		sources[i].name = (char *)inputs[i].name;
		sources[i].base = base_name(inputs[i].name);
		sources[i].has_mtime = inputs[i].has_mtime;
		sources[i].mtime_ms = inputs[i].mtime_ms;
	}
	bool ok = analyse(sources, n, inputs, opts, a, err) &&
		score_all(opts, a, err);
	free(sources);
	return ok;
}

void
pt_analysis_finish(struct pt_analysis *a)
{
	if (a == NULL)
		return;
	pt_diags_finish(&a->diags);
	pt_dataset_finish(&a->ds);
	free(a->scores);
	a->scores = NULL;
	pt_groups_finish(&a->groups);
}
