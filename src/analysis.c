#include "pooltrend/analysis.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pooltrend/decode.h"
#include "pooltrend/snapshot.h"
#include "pooltrend/source.h"
#include "pooltrend/text.h"
#include "pooltrend/timestamp.h"
#include "split.h"
#include "workers.h"

void
pt_analysis_opts_init(struct pt_analysis_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->time_source = PT_TIME_AUTO;
	o->max_file_bytes = PT_DEFAULT_MAX_FILE_BYTES;
	o->max_cells = PT_DEFAULT_MAX_CELLS;
	o->max_held_bytes = PT_DEFAULT_MAX_HELD_BYTES;
}

/*
 * How input is loaded, so that memory holds the aligned columns and
 * little else (issue 7):
 *
 * 1. Every input is read in chunks of CHUNK_BYTES, decoded and parsed as
 *    it streams (pt_decoder, pt_parse_stream), on the worker threads, one
 *    file per task.  Only the snapshots' headers are kept (time, summary,
 *    row count); each snapshot's rows go, as they complete, into the
 *    worker's set of (tag, pool) keys and, while the rows kept by all
 *    files stay within opts->max_held_bytes, into the file's packed rows
 *    (24 bytes a row).  A file that would pass the budget drops its
 *    packed rows and is read a second time in step 3.  Only a regular file
 *    can be (pt_source_open says which): the rows of standard input, a
 *    pipe or a FIFO, even given by path, are always kept.
 * 2. The snapshots are dated and ordered, and the columns are allocated
 *    once, for every key times every snapshot.
 * 3. Every file's rows are written into the columns, from its packed rows
 *    or by reading and parsing it again, on the worker threads; each
 *    snapshot goes to its place in time order.  pt_dataset_end then puts
 *    the series in the order of first appearance.
 *
 * So a small input is read once, as before, and a large one twice, with
 * memory for its columns, the budget, one chunk and one snapshot's rows
 * per worker.  A file that changed between the two reads is an error:
 * the second read must open the same device and inode, at least as long
 * as what the first read consumed (a log still being appended to loads
 * what the first read saw), and find every snapshot's rows with the same
 * hash.
 *
 * One large file, such as a poolsnap.log appended to for weeks, would
 * keep one worker busy while the others wait, so it is parsed in parts
 * (plan_parts, join_parts):
 *
 * - Which: a regular file (not standard input, a pipe, a FIFO or an
 *   in-memory text), read without a size limit, not starting with a
 *   UTF-16 byte-order mark, of at least SPLIT_MIN_PER_WORKER (2 MiB,
 *   two chunks) per worker, cut into about PARTS_PER_WORKER parts per
 *   worker, none under 2 MiB.  Below that the file parses in a few
 *   milliseconds and a part would cost more in opening, seeking and
 *   joining than it saves.  opts->split_part_bytes lowers the size for
 *   tests.
 * - Where: split.h guesses cuts at snapshot starts from the raw bytes.
 *   Each part is read from its offset and parsed by a fresh parser, its
 *   line numbers and snapshot indexes counted from 0, its keys, packed
 *   rows or hashes and messages kept apart.
 * - Whether the guess was right: a fresh parser reads a part as the
 *   parser of the whole file would when nothing before the part's first
 *   header acts on the snapshot left open, and the part before leaves no
 *   pending line (a time, a summary, a title, a held Ctrl-Z) for the
 *   next header (struct pt_parse_seam); the per-file limits of the parser
 *   (kept snapshots, reported empty ones, number messages, the modulo
 *   warning) must also hold for the parts together, and the cell limit
 *   for the file's keys and snapshots together (the counts only grow, so
 *   when the totals fit, every prefix did).  Then the parts are joined in
 *   file order, their lines, snapshot indexes and key positions offset,
 *   which gives exactly the parse of the whole file.  If any check fails,
 *   the file is parsed again whole (correct first, fast second).
 * - The second read of a split file is split the same way, a part
 *   checked against the joined first read; a part that differs sends the
 *   file to a whole second read, so the message for a file that changed
 *   is that of the whole read.
 */

/* Bytes read and decoded at a time. */
#define CHUNK_BYTES ((size_t)1 << 20)

/*
 * The rows of a file (or part) as the first read leaves them: packed
 * while the budget allows, else only each snapshot's rows_hash, to find
 * a file rewritten before the second read.
 */
struct kept_rows {
	struct pt_packed_rows packed;   /* every row, when keep */
	bool keep;
	uint64_t *hashes;         /* per snapshot, once not kept */
	size_t hashes_cap;
};

/* A byte range of a large file, parsed as a task of its own (split_file). */
struct part {
	uint64_t begin, end;      /* end 0: to the end of the file */
	struct pt_parse_result result;
	struct kept_rows rows;
	struct pt_series_keys keys;   /* first seen at the part's own index */
	struct pt_diags diags;
	struct pt_parse_seam seam;
	struct pt_decoder dec;
	struct pt_source_identity id;
	uint64_t length;          /* where the read stopped */
	size_t snaps_with_rows;
	bool ok;                  /* read and parsed to its end */
	bool fill_failed;         /* out of memory filling its packed rows */
	long line_base;           /* lines before it in the file */
	size_t snap_base;         /* snapshots before it in the file */
};

/*
 * Everything parsed from one input file.  Files are parsed in parallel, so
 * each keeps its own messages and counts until they are merged in file
 * order.
 */
struct parsed_file {
	const struct pt_source *src;
	const struct pt_input_text *text; /* in-memory input, or NULL */
	struct pt_parse_result result;  /* snapshots only: rows are not kept */
	struct kept_rows rows;
	struct part *parts;       /* nparts > 1: parsed in parts, merged */
	size_t nparts;
	atomic_size_t parts_left; /* of the first read, then of the second */
	atomic_bool again_whole;  /* a part read again differed */
	atomic_size_t split_snaps; /* snapshots the parts delivered */
	bool parsed;
	bool used;                /* a snapshot of it is in the columns */
	bool read;                /* the bytes could be read */
	bool failed;              /* fatal: err says why */
	struct pt_error err;
	struct pt_diags diags;
	size_t neg_fixed_rows;
	bool mixed_line_ends;   /* LF and lone CR line ends (warned) */
	size_t *slot;             /* per snapshot: place in time order, or SIZE_MAX */
	uint64_t length;          /* bytes the first read saw */
	bool rereadable;          /* in memory or a regular file: not a pipe,
	                             FIFO, terminal or standard input */
	struct pt_source_identity id;  /* the file the first read opened */
};

/* One usable snapshot, before ordering. */
struct usable {
	struct parsed_file *file;
	size_t index;             /* in file->result.snaps */
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
	if (pt_has_utf32_bom(data, len))
		return " (it is UTF-32 text, which is not read; "
			"re-save it as UTF-8 or UTF-16)";
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

/*
 * Lone CRs next to LF line ends: in a file with CR line ends that is how
 * lines end, but among LF ones a CR may as well be damage inside a row.
 * (A file with no snapshot is binary or another tool's: its error says
 * enough.)
 */
static bool
has_mixed_line_ends(const struct pt_decoder *dec,
		const struct pt_parse_result *r)
{
	return dec->has_lf && dec->lone_crs > 0 && r->nsnaps > 0;
}

static void
report_parse_notes(const struct pt_source *src, const struct pt_decoder *dec,
		const struct pt_parse_result *r, struct pt_diags *diags,
		size_t *neg_rows)
{
	if (dec->encoding == PT_ENC_UTF16LE || dec->encoding == PT_ENC_UTF16BE)
		pt_diags_add(diags, PT_SEV_NOTE, src->name, 0,
			"decoded from %s", pt_encoding_name(dec->encoding));
	if (dec->odd_byte)
		pt_diags_add(diags, PT_SEV_WARNING, src->name, 0,
			"UTF-16 text ends in the middle of a character (file cut short?)");
	if (dec->bad_surrogate)
		pt_diags_add(diags, PT_SEV_WARNING, src->name, dec->bad_surrogate_line,
			"UTF-16 text holds an unpaired surrogate, shown as '?' "
			"(file damaged?)");
	if (has_mixed_line_ends(dec, r))
		pt_diags_add(diags, PT_SEV_WARNING, src->name, dec->lone_cr_line,
			"mixed line ends: %zu carriage return%s without a line "
			"feed read as line ends (first here); a row cut by one is "
			"read as two lines", dec->lone_crs,
			dec->lone_crs == 1 ? "" : "s");
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

/* Buffers of one worker, kept from file to file. */
struct chunk_buffers {
	unsigned char *in;        /* CHUNK_BYTES */
	char *out;                /* pt_decoder_room(CHUNK_BYTES) */
};

/* One pass over an input: what is read, and where the text goes. */
struct pass {
	struct parsed_file *pf;
	struct chunk_buffers *buf;
	size_t max_bytes;
	uint64_t stop_at;         /* read no further (a log may still grow);
	                             0: to the end */
	bool again;               /* the second read: the file must be the
	                             one the first read saw */
	struct part *part;        /* a part of the file (the first read), or
	                             NULL: the whole file */
	struct pt_decoder dec;
	unsigned char head[HINT_BYTES];  /* the first bytes, for the hint */
	size_t head_len;
	bool read_failed;         /* err holds the read error */
	struct pt_error err;
};

/* The next chunk of the input; *len 0 at the end. */
static bool
next_chunk(struct pass *ps, struct pt_source_reader *rd, size_t *pos,
		const unsigned char **data, size_t *len)
{
	const struct pt_input_text *text = ps->pf->text;
	if (text != NULL) {
		*len = text->len - *pos < CHUNK_BYTES ? text->len - *pos :
			CHUNK_BYTES;
		*data = text->data + *pos;
		*pos += *len;
		return true;
	}
	*data = ps->buf->in;
	size_t want = CHUNK_BYTES;
	if (ps->stop_at != 0 && ps->stop_at - rd->total < want)
		want = (size_t)(ps->stop_at - rd->total);
	if (pt_source_read_chunk(rd, ps->buf->in, want, len, &ps->err))
		return true;
	ps->read_failed = true;
	return false;
}

static void
keep_head(struct pass *ps, const unsigned char *data, size_t len)
{
	size_t room = HINT_BYTES - ps->head_len;
	size_t k = room < len ? room : len;
	memcpy(ps->head + ps->head_len, data, k);
	ps->head_len += k;
}

static void say_changed(struct pt_error *err, const struct pt_source *src,
		long line);

/*
 * On the first read, note what was opened and whether it can be read
 * again; on the second, check it is still that file.
 */
static bool
opened_as_expected(struct pass *ps, struct pt_source_reader *rd)
{
	struct parsed_file *pf = ps->pf;
	if (pf->text != NULL) {
		pf->rereadable = true;
		return true;
	}
	if (ps->part != NULL && !ps->again) {
		ps->part->id = rd->id;
		return true;
	}
	if (!ps->again) {
		pf->id = rd->id;
		pf->rereadable = rd->id.regular && !pf->src->is_stdin;
		return true;
	}
	if (pt_source_same_file(&pf->id, pf->length, &rd->id))
		return true;
	pt_source_close(rd);
	say_changed(&ps->err, pf->src, 0);
	return false;
}

/*
 * Start reading a part where it begins: past the first, the bytes are
 * 8-bit text (split_file checked the byte-order mark) and the decoder
 * starts as it is after an LF.
 */
static bool
seek_part(struct pass *ps, struct pt_source_reader *rd)
{
	if (ps->part == NULL || ps->part->begin == 0)
		return true;
	/*
	 * The plan cut right after an LF.  A file rewritten since may have
	 * none there, or a CR before it that the whole file's decoder would
	 * fold into the part's first LF: such a part is not joined.
	 */
	unsigned char before = 0;
	if (pread(rd->fd, &before, 1, (off_t)(ps->part->begin - 1)) != 1 ||
			before != '\n') {
		pt_error_set(&ps->err, 0, "the cut is not after a line end");
		ps->read_failed = true;
		pt_source_close(rd);
		return false;
	}
	if (lseek(rd->fd, (off_t)ps->part->begin, SEEK_SET) < 0) {
		pt_error_set(&ps->err, 0, "cannot seek: %s", strerror(errno));
		ps->read_failed = true;
		pt_source_close(rd);
		return false;
	}
	rd->total = ps->part->begin;
	ps->dec.started = true;
	ps->dec.encoding = PT_ENC_BYTES;
	return true;
}

/*
 * Read, decode and parse the input once, handing each snapshot to sink.
 * False when the input could not be read (read_failed, err) or the parse
 * stopped (out of memory or sink; err says why).
 */
static bool
stream_input(struct pass *ps, struct pt_parser *parser,
		struct pt_parse_result *out, struct pt_diags *diags,
		pt_snapshot_sink sink, void *ctx)
{
	const struct pt_source *src = ps->pf->src;
	struct pt_source_reader rd = { .fd = -1 };
	pt_decoder_init(&ps->dec);
	memset(out, 0, sizeof(*out));
	if (ps->pf->text == NULL &&
			!pt_source_open(src, ps->max_bytes, &rd, &ps->err)) {
		ps->read_failed = true;
		return false;
	}
	if (!opened_as_expected(ps, &rd) || !seek_part(ps, &rd))
		return false;
	struct pt_parse_stream *st = pt_parse_stream_begin(parser, src->name,
		out, diags, PT_MAX_ROWS_PER_SNAPSHOT, sink, ctx, &ps->err);
	bool ok = st != NULL;
	if (ok)
		pt_parse_stream_limit_snapshots(st, PT_MAX_SNAPSHOTS);
	size_t pos = 0, len = 1;
	while (ok && len > 0) {
		const unsigned char *data;
		ok = next_chunk(ps, &rd, &pos, &data, &len);
		if (!ok)
			break;
		keep_head(ps, data, len);
		ps->dec.lfs = pt_parse_stream_lines_ended(st);
		size_t n = pt_decoder_feed(&ps->dec, data, len, len == 0,
			ps->buf->out);
		ok = pt_parse_stream_feed(st, ps->buf->out, n);
	}
	if (st != NULL)
		ok = pt_parse_stream_end_seam(st, ok,
			ps->part != NULL ? &ps->part->seam : NULL) && ok;
	if (ps->pf->text == NULL) {
		if (ps->part != NULL)
			ps->part->length = rd.total;
		else
			ps->pf->length = rd.total;
		pt_source_close(&rd);
	}
	return ok;
}

/* What the workers share. */
struct load_job {
	const struct pt_analysis_opts *opts;
	struct parsed_file *files;
	size_t nfiles;
	struct pt_parser **parsers;         /* one per worker */
	struct chunk_buffers *bufs;         /* one per worker */
	struct pt_series_keys *keys;        /* one per worker: of files read */
	struct pt_series_keys *file_keys;   /* one per worker: of the file
	                                       being read, merged into keys
	                                       when it was read whole */
	atomic_size_t held;                 /* bytes of packed rows kept */
	size_t rereads;                     /* files step 3 reads again */
	atomic_size_t reread;               /* of those, read so far */
	atomic_size_t done;                 /* files parsed so far */
	struct pt_dataset *ds;              /* step 3 */
	struct read_task *tasks;            /* step 1: files and parts */
	size_t ntasks;
	bool whole_again;                   /* step 1 again, for the files
	                                       whose parts did not join */
};

/* A task of the first read: a whole file, or one part of it. */
struct read_task {
	size_t file;
	size_t part;              /* SIZE_MAX: the whole file */
};

/* The sink of the first read: keys, and rows while within the budget. */
struct first_read {
	struct load_job *job;
	const struct pt_source *src;
	const struct pt_parse_result *result;  /* being filled */
	struct kept_rows *rows;
	struct pt_series_keys *keys;   /* first seen at the index in result */
	const bool *rereadable;
	size_t snaps_with_rows;   /* in result so far */
	struct pt_error *err;
	atomic_size_t *file_snaps;  /* parts: snapshots of all the file's
	                               parts so far, or NULL */
};

static void
drop_packed_rows(struct load_job *job, struct kept_rows *kr)
{
	atomic_fetch_sub(&job->held, pt_packed_rows_bytes(&kr->packed));
	pt_packed_rows_finish(&kr->packed);
	kr->keep = false;
}

static void
kept_rows_finish(struct load_job *job, struct kept_rows *kr)
{
	drop_packed_rows(job, kr);
	free(kr->hashes);
	kr->hashes = NULL;
	kr->hashes_cap = 0;
}

/*
 * What a second read must find again in a snapshot: a hash of its row
 * count and of each row's key, Allocs, Frees and Bytes, computed alike
 * from parsed rows (rows_hash) and packed ones (packed_hash).
 */
static uint64_t
hash_row(uint64_t h, const uint8_t tag[4], unsigned pool, uint64_t allocs,
		uint64_t frees, int64_t bytes)
{
	uint64_t v[4] = {
		(uint64_t)tag[0] | (uint64_t)tag[1] << 8 | (uint64_t)tag[2] << 16 |
			(uint64_t)tag[3] << 24 | (uint64_t)pool << 32,
		allocs, frees, (uint64_t)bytes,
	};
	for (int k = 0; k < 4; k++) {
		h = (h ^ v[k]) * UINT64_C(0x100000001b3);
		h ^= h >> 29;
	}
	return h;
}

#define HASH_SEED UINT64_C(0xcbf29ce484222325)

static uint64_t
rows_hash(const struct pt_snapshot *snap)
{
	uint64_t h = HASH_SEED ^ snap->nrows;
	for (size_t r = 0; snap->rows != NULL && r < snap->nrows; r++) {
		const struct pt_row *row = &snap->rows[r];
		h = hash_row(h, row->tag, row->pool, (uint64_t)row->allocs,
			(uint64_t)row->frees, row->bytes);
	}
	return h;
}

/* Snapshot i of pk, which had nrows rows (none packed when too many). */
static uint64_t
packed_hash(const struct pt_packed_rows *pk, size_t i, size_t nrows)
{
	uint64_t h = HASH_SEED ^ nrows;
	size_t end = i + 1 < pk->nsnaps ? pk->first[i + 1] : pk->nrows;
	for (size_t r = pk->first[i]; r < end; r++) {
		const struct pt_packed_row *row = &pk->rows[r];
		h = hash_row(h, row->tag, row->pool_mapped & 1, row->allocs,
			row->frees, row->bytes);
	}
	return h;
}

static bool
note_hash(struct kept_rows *kr, size_t index, uint64_t h)
{
	if (index >= kr->hashes_cap) {
		size_t cap = kr->hashes_cap ? kr->hashes_cap * 2 : 16;
		while (cap <= index)
			cap *= 2;
		uint64_t *p = realloc(kr->hashes, cap * sizeof(*p));
		if (p == NULL)
			return false;
		kr->hashes = p;
		kr->hashes_cap = cap;
	}
	kr->hashes[index] = h;
	return true;
}

/* Hash the packed rows of kr's snapshots (of r) into to from base on,
 * and drop them: the file will be read again. */
static bool
hash_and_drop(struct load_job *job, struct kept_rows *kr,
		const struct pt_parse_result *r, struct kept_rows *to, size_t base)
{
	for (size_t i = 0; i < kr->packed.nsnaps; i++)
		if (!note_hash(to, base + i, packed_hash(&kr->packed, i,
				r->snaps[i].nrows)))
			return false;
	drop_packed_rows(job, kr);
	return true;
}

static bool
keep_rows(struct first_read *fr, const struct pt_snapshot *snap)
{
	struct kept_rows *kr = fr->rows;
	size_t before = pt_packed_rows_bytes(&kr->packed);
	struct pt_snapshot rows = *snap;
	if (rows.rows == NULL)
		rows.nrows = 0;     /* too many: ignored later, kept as empty */
	if (!pt_packed_rows_add(&kr->packed, &rows))
		return false;
	size_t grew = pt_packed_rows_bytes(&kr->packed) - before;
	size_t held = atomic_fetch_add(&fr->job->held, grew) + grew;
	/* Hashed only now: a file whose rows stay is read once. */
	if (held > fr->job->opts->max_held_bytes && *fr->rereadable)
		return hash_and_drop(fr->job, kr, fr->result, kr, 0);
	return true;
}

/*
 * Fail early when even this file's keys and snapshots so far would exceed
 * the cell limit, rather than gather keys without bound first (a file
 * whose every snapshot brings new tags).  Both are lower bounds of what
 * pt_dataset_begin will count, so this fails only where it would.  Only
 * this file's are used, not those of files other workers read, so that
 * the message is the same whatever the number of threads.
 */
static bool
cells_may_fit(struct first_read *fr)
{
	const struct load_job *job = fr->job;
	if (job->opts->max_cells == 0)
		return true;
	size_t keys = pt_series_keys_count(fr->keys);
	size_t snaps = fr->snaps_with_rows < PT_MAX_SNAPSHOTS ?
		fr->snaps_with_rows : PT_MAX_SNAPSHOTS;
	if (pt_dataset_cells_fit(keys, snaps, job->opts->max_cells, fr->err))
		return true;
	/* Counted so far in one file: the input holds at least that many. */
	char counted[sizeof(fr->err->msg)];
	memcpy(counted, fr->err->msg, sizeof(counted));
	char *shown = pt_escape(fr->src->name, strlen(fr->src->name));
	pt_error_set(fr->err, 0, "%s: at least %s",
		shown != NULL ? shown : "an input", counted);
	free(shown);
	return false;
}

static bool
first_read_sink(void *ctx, size_t index, const struct pt_snapshot *snap)
{
	struct first_read *fr = ctx;
	struct pt_series_keys *keys = fr->keys;
	/* Parts each keep up to PT_MAX_SNAPSHOTS; more in all of them is
	 * for the whole parse to cut, before they fill memory. */
	if (fr->file_snaps != NULL &&
			atomic_fetch_add(fr->file_snaps, 1) >= PT_MAX_SNAPSHOTS) {
		pt_error_set(fr->err, 0, "too many snapshots for parts");
		return false;
	}
	for (size_t r = 0; snap->rows != NULL && r < snap->nrows; r++)
		if (!pt_series_keys_add_seen(keys, snap->rows[r].tag,
				snap->rows[r].pool, index))
			goto oom;
	if (snap->rows != NULL && snap->nrows > 0) {
		fr->snaps_with_rows++;
		if (!cells_may_fit(fr))
			return false;
	}
	if (fr->rows->keep) {
		if (!keep_rows(fr, snap))
			goto oom;
	} else if (!note_hash(fr->rows, index, rows_hash(snap))) {
		goto oom;
	}
	return true;
oom:
	pt_error_set(fr->err, 0, "out of memory");
	return false;
}

/* An input that could not be read is left out with an error message. */
static void
skip_unreadable(struct load_job *job, struct parsed_file *pf,
		const struct pass *ps)
{
	pt_parse_result_finish(&pf->result);
	drop_packed_rows(job, &pf->rows);
	pt_diags_finish(&pf->diags);
	pt_diags_init(&pf->diags);
	pt_diags_add(&pf->diags, PT_SEV_ERROR, pf->src->name, ps->err.line,
		"%s", ps->err.msg);
}

/*
 * A snapshot's place in the input, in the order collect_usable takes
 * them: where the keys were first seen, so that those of snapshots past
 * PT_MAX_SNAPSHOTS can be dropped (the parser keeps no more per file).
 */
static uint64_t
key_position(size_t file, size_t snapshot)
{
	return (uint64_t)file * PT_MAX_SNAPSHOTS + snapshot;
}

/* Give back the room the packed rows grew for rows that did not come. */
static void
trim_kept(struct load_job *job, struct kept_rows *kr)
{
	if (!kr->keep)
		return;
	size_t before = pt_packed_rows_bytes(&kr->packed);
	pt_packed_rows_trim(&kr->packed);
	atomic_fetch_sub(&job->held, before - pt_packed_rows_bytes(&kr->packed));
}

static void
read_whole(struct load_job *job, size_t worker, size_t i)
{
	struct parsed_file *pf = &job->files[i];
	struct pass ps = { .pf = pf, .buf = &job->bufs[worker],
		.max_bytes = job->opts->max_file_bytes };
	struct first_read fr = { job, pf->src, &pf->result, &pf->rows,
		&job->file_keys[worker], &pf->rereadable, 0, &ps.err, NULL };
	pf->rows.keep = true;
	bool ok = stream_input(&ps, job->parsers[worker], &pf->result,
		&pf->diags, first_read_sink, &fr);
	/* Only the keys of a file read whole can become series. */
	if (ok && !pt_series_keys_merge_at(&job->keys[worker],
			&job->file_keys[worker], key_position(i, 0))) {
		pt_error_set(&ps.err, 0, "out of memory");
		ok = false;
	}
	pt_series_keys_clear(&job->file_keys[worker]);
	if (!ok && ps.read_failed) {
		skip_unreadable(job, pf, &ps);
	} else if (!ok) {
		pf->err = ps.err;
		pf->failed = true;
	} else {
		pf->read = true;
		pf->parsed = true;
		trim_kept(job, &pf->rows);
		report_parse_notes(pf->src, &ps.dec, &pf->result, &pf->diags,
			&pf->neg_fixed_rows);
		pf->mixed_line_ends = has_mixed_line_ends(&ps.dec, &pf->result);
		if (pf->result.nsnaps == 0)
			pt_diags_add(&pf->diags, PT_SEV_ERROR, pf->src->name, 0,
				"no poolmon snapshot found%s",
				no_snapshot_hint(ps.head, ps.head_len));
	}
}

/*
 * Parse one part of a file on its own.  Whatever goes wrong (the file
 * cannot be read, memory, the cell limit) only marks the part not ok:
 * the file is then parsed whole, which says what went wrong as the
 * parse of the whole file says it.
 */
static void
read_part(struct load_job *job, size_t worker, struct parsed_file *pf,
		struct part *pt)
{
	struct pass ps = { .pf = pf, .buf = &job->bufs[worker],
		.stop_at = pt->end, .part = pt };
	struct first_read fr = { job, pf->src, &pt->result, &pt->rows,
		&pt->keys, &pf->rereadable, 0, &ps.err, &pf->split_snaps };
	pt->rows.keep = true;
	pt->ok = stream_input(&ps, job->parsers[worker], &pt->result,
		&pt->diags, first_read_sink, &fr);
	pt->dec = ps.dec;
	pt->snaps_with_rows = fr.snaps_with_rows;
	trim_kept(job, &pt->rows);
}

static void
first_read_task(void *ctx, size_t worker, size_t t)
{
	struct load_job *job = ctx;
	const struct read_task *task = &job->tasks[t];
	struct parsed_file *pf = &job->files[task->file];
	if (task->part == SIZE_MAX) {
		read_whole(job, worker, task->file);
		/* A file parsed whole after its parts failed was counted. */
		if (job->whole_again)
			return;
	} else {
		read_part(job, worker, pf, &pf->parts[task->part]);
		if (atomic_fetch_sub(&pf->parts_left, 1) != 1)
			return;
	}
	size_t done = atomic_fetch_add(&job->done, 1) + 1;
	/* Worker 0 is the calling thread: the callback needs no locking. */
	if (worker == 0 && job->opts->progress != NULL)
		job->opts->progress(job->opts->progress_ctx, done, job->nfiles);
}

/* ---- step 3: the rows into the columns ---- */

/* The sink of the second read: each snapshot to its place. */
struct second_read {
	struct load_job *job;
	struct parsed_file *pf;
	size_t filler;
	struct pt_error *err;
	size_t snap_base;         /* of the part read, or 0 */
	long line_base;
};

static void
say_changed(struct pt_error *err, const struct pt_source *src, long line)
{
	char *shown = pt_escape(src->name, strlen(src->name));
	const char *name = shown != NULL ? shown : "an input";
	/* The CLI prints the message alone: the place goes into it. */
	if (line > 0)
		pt_error_set(err, line, "%s:%ld: changed while it was being read "
			"(it is read twice when large); run again", name, line);
	else
		pt_error_set(err, line, "%s changed while it was being read "
			"(it is read twice when large); run again", name);
	free(shown);
}

static bool
second_read_sink(void *ctx, size_t index, const struct pt_snapshot *snap)
{
	struct second_read *sr = ctx;
	const struct pt_parse_result *first = &sr->pf->result;
	long line = snap->line + sr->line_base;
	index += sr->snap_base;
	if (index >= first->nsnaps || first->snaps[index].nrows != snap->nrows ||
			first->snaps[index].line != line ||
			sr->pf->rows.hashes[index] != rows_hash(snap)) {
		say_changed(sr->err, sr->pf->src, line);
		return false;
	}
	size_t slot = sr->pf->slot[index];
	if (slot == SIZE_MAX || snap->rows == NULL)
		return true;
	if (pt_dataset_fill_rows(sr->job->ds, sr->filler, slot, snap->rows,
			snap->nrows))
		return true;
	/* The hashes matched, so a row of a key the first read never gave
	 * is all but impossible; still, it is the file, not memory. */
	if (!pt_dataset_has_keys(sr->job->ds, snap->rows, snap->nrows))
		say_changed(sr->err, sr->pf->src, line);
	else
		pt_error_set(sr->err, 0, "out of memory while aligning snapshots");
	return false;
}

static void
read_again(struct load_job *job, size_t worker, struct parsed_file *pf)
{
	/* No size limit: the read stops where the first stopped, and a log
	 * that grew past the limit since must still load. */
	struct pass ps = { .pf = pf, .buf = &job->bufs[worker],
		.max_bytes = 0, .stop_at = pf->length, .again = true };
	struct second_read sr = { job, pf, worker, &ps.err, 0, 0 };
	struct pt_parse_result again;
	struct pt_diags diags;   /* said the first time */
	pt_diags_init(&diags);
	bool ok = stream_input(&ps, job->parsers[worker], &again, &diags,
		second_read_sink, &sr);
	if (ok && again.nsnaps != pf->result.nsnaps) {
		say_changed(&ps.err, pf->src, 0);
		ok = false;
	}
	if (!ok && ps.read_failed) {
		/* Gone or unreadable since the first read: name it. */
		char *shown = pt_escape(pf->src->name, strlen(pf->src->name));
		pt_error_set(&pf->err, 0, "%s could not be read again: %s",
			shown != NULL ? shown : "an input", ps.err.msg);
		free(shown);
	} else if (!ok) {
		pf->err = ps.err;
	}
	if (!ok)
		pf->failed = true;
	pt_parse_result_finish(&again);
	pt_diags_finish(&diags);
}

/* The snapshots packed in pk, from the file's snapshot base on; false
 * when out of memory. */
static bool
fill_packed(struct load_job *job, size_t worker, const struct parsed_file *pf,
		struct pt_packed_rows *pk, size_t base)
{
	bool ok = true;
	for (size_t k = 0; k < pk->nsnaps && ok; k++) {
		if (pf->slot[base + k] == SIZE_MAX)
			continue;
		struct pt_packed_ref ref = { pk->rows + pk->first[k],
			(const char *const *)pk->mapped };
		ok = pt_dataset_fill_packed(job->ds, worker, pf->slot[base + k],
			&ref, pf->result.snaps[base + k].nrows);
	}
	pt_packed_rows_finish(pk);
	return ok;
}

static void
say_no_memory_to_fill(struct parsed_file *pf)
{
	pf->failed = true;
	pt_error_set(&pf->err, 0, "out of memory while aligning snapshots");
}

/*
 * Read one part of a split file again, as its first read did.  False
 * when anything differs or fails: the file is then read again whole,
 * which says what changed as the read of the whole file says it.
 */
static bool
read_part_again(struct load_job *job, size_t worker, struct parsed_file *pf,
		struct part *pt)
{
	struct pass ps = { .pf = pf, .buf = &job->bufs[worker],
		.max_bytes = 0, .stop_at = pt->end ? pt->end : pf->length,
		.again = true, .part = pt };
	struct second_read sr = { job, pf, worker, &ps.err, pt->snap_base,
		pt->line_base };
	struct pt_parse_result again;
	struct pt_diags diags;   /* said the first time */
	pt_diags_init(&diags);
	bool ok = stream_input(&ps, job->parsers[worker], &again, &diags,
		second_read_sink, &sr) && again.nsnaps == pt->result.nsnaps;
	pt_parse_result_finish(&again);
	pt_diags_finish(&diags);
	return ok;
}

static void
count_reread(struct load_job *job, size_t worker)
{
	size_t done = atomic_fetch_add(&job->reread, 1) + 1;
	if (worker == 0 && job->opts->progress != NULL)
		job->opts->progress(job->opts->progress_ctx, done, job->rereads);
}

static void
fill_part(struct load_job *job, size_t worker, struct parsed_file *pf,
		size_t p)
{
	struct part *pt = &pf->parts[p];
	if (pf->rows.keep) {
		pt->fill_failed = !fill_packed(job, worker, pf, &pt->rows.packed,
			pt->snap_base);
		return;
	}
	if (!read_part_again(job, worker, pf, pt))
		atomic_store(&pf->again_whole, true);
	if (atomic_fetch_sub(&pf->parts_left, 1) == 1 &&
			!atomic_load(&pf->again_whole))
		count_reread(job, worker);
}

static void
fill_task(void *ctx, size_t worker, size_t t)
{
	struct load_job *job = ctx;
	const struct read_task *task = &job->tasks[t];
	struct parsed_file *pf = &job->files[task->file];
	if (!pf->parsed || pf->slot == NULL || !pf->used)
		return;
	if (task->part != SIZE_MAX) {
		fill_part(job, worker, pf, task->part);
		return;
	}
	if (!pf->rows.keep) {
		read_again(job, worker, pf);
		count_reread(job, worker);
		return;
	}
	if (!fill_packed(job, worker, pf, &pf->rows.packed, 0))
		say_no_memory_to_fill(pf);
}

/*
 * The files whose parts did not read again as the first time, read
 * again whole on the calling thread, for the message of the whole read
 * (a file changed between the reads; the run fails) or, should it have
 * changed back, the rows.
 */
static void
reread_whole_after_parts(struct load_job *job)
{
	for (size_t f = 0; f < job->nfiles; f++) {
		struct parsed_file *pf = &job->files[f];
		for (size_t p = 0; p < pf->nparts; p++)
			if (pf->parts[p].fill_failed)
				say_no_memory_to_fill(pf);
		if (pf->nparts == 0 || !atomic_load(&pf->again_whole))
			continue;
		read_again(job, 0, pf);
		count_reread(job, 0);
	}
}

static size_t
worker_count(const struct pt_analysis_opts *opts, size_t tasks)
{
	return pt_workers_count(opts->threads, tasks);
}

static void
load_job_finish(struct load_job *job, size_t nworkers)
{
	for (size_t w = 0; w < nworkers; w++) {
		if (job->parsers != NULL)
			pt_parser_destroy(job->parsers[w]);
		if (job->bufs != NULL) {
			free(job->bufs[w].in);
			free(job->bufs[w].out);
		}
		if (job->keys != NULL)
			pt_series_keys_finish(&job->keys[w]);
		if (job->file_keys != NULL)
			pt_series_keys_finish(&job->file_keys[w]);
	}
	free(job->parsers);
	free(job->bufs);
	free(job->keys);
	free(job->file_keys);
	free(job->tasks);
}

static bool
load_job_init(struct load_job *job, size_t nworkers, struct pt_error *err)
{
	size_t n = nworkers ? nworkers : 1;
	/* An array of parser handles: the size of a pointer is meant. */
	job->parsers = calloc(n, sizeof(struct pt_parser *)); // NOLINT(bugprone-sizeof-expression)
	job->bufs = calloc(n, sizeof(*job->bufs));
	job->keys = calloc(n, sizeof(*job->keys));
	job->file_keys = calloc(n, sizeof(*job->file_keys));
	if (job->parsers == NULL || job->bufs == NULL || job->keys == NULL ||
			job->file_keys == NULL) {
		pt_error_set(err, 0, "out of memory");
		return false;
	}
	for (size_t w = 0; w < nworkers; w++) {
		if ((job->parsers[w] = pt_parser_create(err)) == NULL)
			return false;
		job->bufs[w].in = malloc(CHUNK_BYTES);
		job->bufs[w].out = malloc(pt_decoder_room(CHUNK_BYTES));
		if (job->bufs[w].in == NULL || job->bufs[w].out == NULL) {
			pt_error_set(err, 0, "out of memory");
			return false;
		}
	}
	return true;
}

/* ---- one large file in parts (issue 7) ---- */

/* Below this many bytes per worker a file is parsed whole. */
#define SPLIT_MIN_PER_WORKER (2 * CHUNK_BYTES)
/* Parts per worker: enough to even out parts that parse at different
 * speeds, few enough that each part's key set stays small. */
#define PARTS_PER_WORKER 4

static uint64_t
part_bytes(const struct pt_analysis_opts *opts, uint64_t size,
		size_t nworkers)
{
	if (opts->split_part_bytes != 0)
		return opts->split_part_bytes;
	if (nworkers < 2 || size < (uint64_t)nworkers * SPLIT_MIN_PER_WORKER)
		return 0;
	uint64_t b = size / ((uint64_t)nworkers * PARTS_PER_WORKER);
	return b > SPLIT_MIN_PER_WORKER ? b : SPLIT_MIN_PER_WORKER;
}

/*
 * Cut a large regular file into parts at snapshot boundaries (see
 * split.h), when there are workers to parse them.  Only a file read from
 * disk to its end (no size limit) is cut; anything that goes wrong here
 * leaves it whole.  False only when out of memory.
 */
static bool
plan_parts(const struct pt_analysis_opts *opts, struct parsed_file *pf,
		size_t nworkers)
{
	struct stat st;
	if (pf->text != NULL || pf->src->is_stdin || opts->max_file_bytes != 0 ||
			stat(pf->src->path, &st) != 0 || !S_ISREG(st.st_mode) ||
			st.st_size <= 0)
		return true;
	uint64_t bytes = part_bytes(opts, (uint64_t)st.st_size, nworkers);
	if (bytes == 0 || (uint64_t)st.st_size / bytes < 2)
		return true;
	int fd = open(pf->src->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return true;
	uint64_t *cuts;
	size_t ncuts;
	bool ok = pt_split_find(fd, (uint64_t)st.st_size, bytes, &cuts, &ncuts);
	close(fd);
	if (!ok || ncuts == 0)
		return true;
	pf->parts = calloc(ncuts + 1, sizeof(*pf->parts));
	if (pf->parts == NULL) {
		free(cuts);
		return false;
	}
	pf->nparts = ncuts + 1;
	for (size_t p = 0; p < pf->nparts; p++) {
		pf->parts[p].begin = p > 0 ? cuts[p - 1] : 0;
		pf->parts[p].end = p < ncuts ? cuts[p] : 0;
		pt_diags_init(&pf->parts[p].diags);
	}
	free(cuts);
	atomic_init(&pf->parts_left, pf->nparts);
	pf->rereadable = true;    /* a regular file, as stat said */
	return true;
}

static void
drop_parts(struct load_job *job, struct parsed_file *pf)
{
	for (size_t p = 0; p < pf->nparts; p++) {
		struct part *pt = &pf->parts[p];
		pt_parse_result_finish(&pt->result);
		kept_rows_finish(job, &pt->rows);
		pt_series_keys_finish(&pt->keys);
		pt_diags_finish(&pt->diags);
	}
	free(pf->parts);
	pf->parts = NULL;
	pf->nparts = 0;
}

/* One task per part of a split file, one per other file. */
static bool
make_read_tasks(struct load_job *job)
{
	free(job->tasks);
	size_t n = 0;
	for (size_t f = 0; f < job->nfiles; f++)
		n += job->files[f].nparts ? job->files[f].nparts : 1;
	job->tasks = calloc(n ? n : 1, sizeof(*job->tasks));
	if (job->tasks == NULL)
		return false;
	job->ntasks = 0;
	for (size_t f = 0; f < job->nfiles; f++) {
		size_t np = job->files[f].nparts;
		for (size_t p = 0; p < (np ? np : 1); p++)
			job->tasks[job->ntasks++] = (struct read_task){
				f, np ? p : SIZE_MAX };
	}
	return true;
}

/*
 * Whether the parts of pf read as the whole file would: each read to its
 * end in the same file, each seam clean (struct pt_parse_seam), and no
 * per-file limit of the parser reached across the parts (out-of-range
 * number messages, the modulo warning given once, the snapshots kept,
 * the headers without rows reported), since each part counted alone.
 */
static bool
parts_join(const struct parsed_file *pf)
{
	size_t empty = 0, unwrapped = 0, nsnaps = 0;
	size_t numbers[PT_PARSE_DIAG_KINDS] = { 0 };
	/* The later parts were read as bytes, which is right only when the
	 * first found no UTF-16 BOM (the file may have been re-saved as
	 * UTF-16 since the plan looked). */
	enum pt_encoding enc = pf->parts[0].dec.encoding;
	if (enc != PT_ENC_BYTES && enc != PT_ENC_UTF8_BOM)
		return false;
	for (size_t p = 0; p < pf->nparts; p++) {
		const struct part *pt = &pf->parts[p];
		const struct pt_parse_result *r = &pt->result;
		bool last = p + 1 == pf->nparts;
		/* Lone CRs: their warning needs the whole file's count and
		 * first line, which the whole parse gives. */
		if (!pt->ok || r->dropped_snaps > 0 || r->empty_dropped > 0 ||
				pt->seam.number_unreported > 0 ||
				pt->dec.lone_crs > 0 ||
				!pt_source_same_file(&pf->parts[0].id, 0, &pt->id) ||
				(!last && (pt->seam.pending_at_end ||
				pt->length != pt->end)))
			return false;
		if (p > 0 && (pt->seam.acted_before_header || r->orphan_rows > 0))
			return false;
		for (size_t i = 0; i < r->nsnaps; i++)
			empty += r->snaps[i].nrows == 0;
		for (int k = 0; k < PT_PARSE_DIAG_KINDS; k++)
			numbers[k] += pt->seam.number_diags[k];
		unwrapped += pt->seam.unwrapped_warned;
		nsnaps += r->nsnaps;
	}
	bool numbers_fit = true;
	for (int k = 0; k < PT_PARSE_DIAG_KINDS; k++)
		numbers_fit = numbers_fit && numbers[k] <= PT_PARSE_NUMBER_DIAGS;
	return nsnaps > 0 && nsnaps <= PT_MAX_SNAPSHOTS &&
		empty < PT_DIAGS_MAX && numbers_fit && unwrapped <= 1;
}

/* Where each part starts in the file's lines and snapshots. */
static void
place_parts(struct parsed_file *pf)
{
	long lines = 0;
	size_t snaps = 0;
	for (size_t p = 0; p < pf->nparts; p++) {
		pf->parts[p].line_base = lines;
		pf->parts[p].snap_base = snaps;
		lines += (long)pf->parts[p].result.lines;
		snaps += pf->parts[p].result.nsnaps;
	}
}

/*
 * The keys of the whole file into keys (cleared first), each first seen
 * at its snapshot's place in the file; false when out of memory or when
 * they and the snapshots with rows exceed the cell limit (the parse of
 * the whole file then says so, with its counts at that point).
 */
static bool
join_keys(const struct load_job *job, const struct parsed_file *pf,
		struct pt_series_keys *keys)
{
	pt_series_keys_clear(keys);
	size_t with_rows = 0;
	for (size_t p = 0; p < pf->nparts; p++) {
		if (!pt_series_keys_merge_at(keys, &pf->parts[p].keys,
				pf->parts[p].snap_base))
			return false;
		with_rows += pf->parts[p].snaps_with_rows;
	}
	struct pt_error ignored;
	/* Counts only grow, so when the totals fit every prefix did. */
	return job->opts->max_cells == 0 ||
		pt_dataset_cells_fit(pt_series_keys_count(keys),
			with_rows < PT_MAX_SNAPSHOTS ? with_rows : PT_MAX_SNAPSHOTS,
			job->opts->max_cells, &ignored);
}

/* The snapshots of the parts, at their places in the file. */
static bool
join_snapshots(struct parsed_file *pf)
{
	const struct part *lastp = &pf->parts[pf->nparts - 1];
	size_t n = lastp->snap_base + lastp->result.nsnaps;
	struct pt_parse_result *r = &pf->result;
	memset(r, 0, sizeof(*r));
	r->snaps = malloc(n * sizeof(*r->snaps));
	if (r->snaps == NULL)
		return false;
	for (size_t p = 0; p < pf->nparts; p++) {
		const struct part *pt = &pf->parts[p];
		const struct pt_parse_result *pr = &pt->result;
		long base = pt->line_base;
		/* Lines skipped before the first header ended the snapshot
		 * open before the part (see struct pt_parse_seam). */
		if (pt->seam.junk_before_header > 0 && pt->snap_base > 0)
			r->snaps[pt->snap_base - 1].end_line =
				base + pt->seam.junk_before_header;
		for (size_t i = 0; i < pr->nsnaps; i++) {
			struct pt_snapshot *sn = &r->snaps[pt->snap_base + i];
			*sn = pr->snaps[i];
			sn->line += base;
			sn->end_line += base;
			if (sn->stamp_line > 0)
				sn->stamp_line += base;
		}
		if (r->skipped == 0 && pr->skipped > 0)
			r->first_skipped = base + pr->first_skipped;
		r->skipped += pr->skipped;
	}
	r->nsnaps = n;
	r->lines = (size_t)(lastp->line_base + (long)lastp->result.lines);
	r->orphan_rows = pf->parts[0].result.orphan_rows;
	return true;
}

/*
 * The rows: packed in their parts when every part kept them (step 3
 * fills from there), else hashed at their places in the file for the
 * second read, which reads the file whole.
 */
static bool
join_rows(struct load_job *job, struct parsed_file *pf)
{
	bool all_kept = true;
	for (size_t p = 0; p < pf->nparts; p++)
		all_kept = all_kept && pf->parts[p].rows.keep;
	pf->rows.keep = all_kept;
	for (size_t p = 0; p < pf->nparts && !all_kept; p++) {
		struct part *pt = &pf->parts[p];
		if (pt->rows.keep) {
			if (!hash_and_drop(job, &pt->rows, &pt->result, &pf->rows,
					pt->snap_base))
				return false;
			continue;
		}
		for (size_t i = 0; i < pt->result.nsnaps; i++)
			if (!note_hash(&pf->rows, pt->snap_base + i,
					pt->rows.hashes[i]))
				return false;
	}
	return true;
}

/* The parts' messages, at their lines in the file. */
static void
join_diags(struct parsed_file *pf)
{
	for (size_t p = 0; p < pf->nparts; p++) {
		struct part *pt = &pf->parts[p];
		for (size_t i = 0; i < pt->diags.len; i++)
			if (pt->diags.items[i].line > 0)
				pt->diags.items[i].line += pt->line_base;
		pt_diags_move(&pf->diags, &pt->diags);
	}
}

/*
 * Make the parts of file f one parsed file, as the parse of the whole
 * file gives it; false when they do not join (the file must be parsed
 * whole) or memory ran out (*oom).
 */
static bool
join_parts(struct load_job *job, size_t f, bool *oom)
{
	struct parsed_file *pf = &job->files[f];
	struct pt_series_keys *keys = &job->file_keys[0];
	*oom = false;
	if (!parts_join(pf))
		return false;
	place_parts(pf);
	bool joined = join_keys(job, pf, keys);
	if (joined && (!join_snapshots(pf) || !join_rows(job, pf) ||
			!pt_series_keys_merge_at(&job->keys[0], keys,
				key_position(f, 0)))) {
		*oom = true;
		joined = false;
	}
	pt_series_keys_clear(keys);
	if (!joined) {
		pt_parse_result_finish(&pf->result);
		kept_rows_finish(job, &pf->rows);
		return false;
	}
	join_diags(pf);
	pf->id = pf->parts[0].id;
	pf->length = pf->parts[pf->nparts - 1].length;
	pf->read = true;
	pf->parsed = true;
	report_parse_notes(pf->src, &pf->parts[0].dec, &pf->result, &pf->diags,
		&pf->neg_fixed_rows);
	return true;
}

/*
 * Join every split file; those whose parts do not join are parsed whole
 * on the workers.  False when out of memory.
 */
static bool
join_or_reread(struct load_job *job, size_t nworkers, struct pt_analysis *a,
		struct pt_error *err)
{
	size_t again = 0;
	for (size_t f = 0; f < job->nfiles; f++) {
		struct parsed_file *pf = &job->files[f];
		if (pf->nparts == 0)
			continue;
		bool oom;
		if (join_parts(job, f, &oom)) {
			a->files_split++;
			continue;
		}
		if (oom) {
			pt_error_set(err, 0, "out of memory");
			return false;
		}
		drop_parts(job, pf);
		pt_diags_finish(&pf->diags);
		pt_diags_init(&pf->diags);
		job->tasks[again++] = (struct read_task){ f, SIZE_MAX };
		a->splits_undone++;
	}
	if (again == 0)
		return true;
	job->whole_again = true;
	pt_workers_run(nworkers, again, first_read_task, job);
	return true;
}

/*
 * Read every source once on the worker threads (step 1), then merge
 * messages and counts in source order, so the result is the same for any
 * number of threads.  False on a fatal error (the first in source order
 * is reported).
 */
static bool
read_all(struct load_job *job, size_t nworkers, struct pt_analysis *a,
		struct pt_error *err)
{
	const struct pt_analysis_opts *opts = job->opts;
	pt_workers_run(nworkers, job->ntasks, first_read_task, job);
	if (!join_or_reread(job, nworkers, a, err))
		return false;
	if (opts->progress != NULL)
		opts->progress(opts->progress_ctx, job->nfiles, job->nfiles);
	bool ok = true;
	for (size_t i = 0; i < job->nfiles; i++) {
		struct parsed_file *pf = &job->files[i];
		pt_diags_move(&a->diags, &pf->diags);
		if (pf->failed) {
			*err = pf->err;
			ok = false;
			break;
		}
		a->files_read += pf->read;
		if (!pf->parsed)
			continue;
		a->skipped_lines += pf->result.skipped;
		a->mixed_line_end_files += pf->mixed_line_ends;
		if (pf->neg_fixed_rows > 0 && a->neg_fixed_rows == 0)
			a->neg_fixed_first = pf->src->name;
		a->neg_fixed_rows += pf->neg_fixed_rows;
	}
	return ok;
}

static void
say_too_many_snapshots(struct pt_analysis *a, const struct pt_source *src,
		long line)
{
	pt_diags_add(&a->diags, PT_SEV_WARNING, src->name, line,
		"more than %d snapshots; the rest are ignored", PT_MAX_SNAPSHOTS);
}

/* Collect the snapshots that have rows; empty ones are reported. */
static bool
collect_usable(struct parsed_file *files, size_t nfiles, struct usable **out,
		size_t *nout, uint64_t *cut_at, struct pt_analysis *a,
		struct pt_error *err)
{
	*cut_at = UINT64_MAX;
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
		a->snapshots_found += r->nsnaps + r->dropped_snaps +
			r->empty_dropped;
		a->skipped_inputs += r->orphan_rows;
		bool cut = false;
		for (size_t i = 0; i < r->nsnaps && !cut; i++) {
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
				if (*cut_at == UINT64_MAX)
					*cut_at = key_position(f, i);
				say_too_many_snapshots(a, files[f].src, r->snaps[i].line);
				a->skipped_inputs += r->nsnaps - i;
				cut = true;
				continue;
			}
			u[n++] = (struct usable){ &files[f], i };
			a->rows += r->snaps[i].nrows;
		}
		/* Headers the parser did not keep (PT_MAX_SNAPSHOTS in this
		 * file alone) are ignored as those past the limit are. */
		if (r->dropped_snaps > 0 && !cut)
			say_too_many_snapshots(a, files[f].src, r->first_dropped);
		a->skipped_inputs += r->dropped_snaps;
		/* Headers without rows the parser counted, not kept: their
		 * warnings would be past PT_DIAGS_MAX, so only counted. */
		a->skipped_inputs += r->empty_dropped;
		pt_diags_count_unstored(&a->diags, PT_SEV_WARNING,
			r->empty_dropped);
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
		const struct pt_snapshot *sn = &u[i].file->result.snaps[u[i].index];
		const struct pt_source *src = u[i].file->src;
		e[i].file = src->name;
		e[i].line = sn->line;
		if (sn->stamp_kind != PT_STAMP_NONE) {
			e[i].has_embedded = true;
			e[i].embedded_ms = sn->stamp_ms;
			e[i].embedded_kind = sn->stamp_kind;
		}
		int64_t ms;
		enum pt_stamp_kind nk = src->is_stdin ? PT_STAMP_NONE
			: pt_stamp_from_name(src->base, &ms);
		if (nk != PT_STAMP_NONE) {
			e[i].has_name = true;
			e[i].name_ms = ms;
			e[i].name_kind = nk;
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

/* Every snapshot's place in time order, in its file's slot array. */
static bool
assign_slots(struct load_job *job, const struct usable *u,
		const struct pt_time_entry *e, size_t n)
{
	for (size_t f = 0; f < job->nfiles; f++) {
		struct parsed_file *pf = &job->files[f];
		if (!pf->parsed)
			continue;
		size_t m = pf->result.nsnaps;
		pf->slot = malloc((m ? m : 1) * sizeof(*pf->slot));
		if (pf->slot == NULL)
			return false;
		for (size_t k = 0; k < m; k++)
			pf->slot[k] = SIZE_MAX;
	}
	for (size_t i = 0; i < n; i++) {
		u[i].file->slot[u[i].index] = e[i].order;
		u[i].file->used = true;
	}
	return true;
}

/* Count the files step 3 reads again, for the second round of progress. */
static void
start_second_round(struct load_job *job)
{
	job->rereads = 0;
	for (size_t f = 0; f < job->nfiles; f++) {
		struct parsed_file *pf = &job->files[f];
		if (pf->parsed && pf->slot != NULL && !pf->rows.keep &&
				pf->used)
			job->rereads++;
		atomic_store(&pf->parts_left, pf->nparts);
	}
	atomic_init(&job->reread, 0);
	if (job->rereads > 0 && job->opts->progress != NULL)
		job->opts->progress(job->opts->progress_ctx, 0, job->rereads);
}

/* Steps 2 and 3: date and order the snapshots, fill the columns.  Keys
 * first seen at cut_at or later are of snapshots left out. */
static bool
align(struct load_job *job, size_t nworkers, const struct usable *u,
		size_t n, uint64_t cut_at, struct pt_analysis *a,
		struct pt_error *err)
{
	const struct pt_analysis_opts *opts = job->opts;
	bool ok = false;
	struct pt_timed_snapshot *ts = NULL;
	struct pt_time_entry *e = time_entries(u, n);
	if (e == NULL)
		goto oom;
	if (!pt_timeline_assign_ordered(e, n, opts->time_source,
			opts->date_order, opts->interval_ms, &a->time_source,
			&a->diags, err))
		goto out;
	ts = malloc(n * sizeof(*ts));
	if (ts == NULL || !assign_slots(job, u, e, n))
		goto oom;
	for (size_t i = 0; i < n; i++)
		ts[e[i].order] = (struct pt_timed_snapshot){
			.snap = &u[i].file->result.snaps[u[i].index],
			.file = u[i].file->src->name, .t_ms = e[i].t_ms,
		};
	for (size_t w = 1; w < nworkers; w++)
		if (!pt_series_keys_merge(&job->keys[0], &job->keys[w]))
			goto oom;
	if (cut_at != UINT64_MAX &&
			!pt_series_keys_drop_from(&job->keys[0], cut_at))
		goto oom;
	if (!pt_dataset_begin(&a->ds, ts, n, &job->keys[0], opts->max_cells,
			nworkers, err))
		goto out;
	job->ds = &a->ds;
	/* Parts that did not join were parsed whole: tasks anew. */
	if (!make_read_tasks(job))
		goto oom;
	start_second_round(job);
	pt_workers_run(nworkers, job->ntasks, fill_task, job);
	reread_whole_after_parts(job);
	if (job->rereads > 0 && opts->progress != NULL)
		opts->progress(opts->progress_ctx, job->rereads, job->rereads);
	for (size_t f = 0; f < job->nfiles; f++)
		if (job->files[f].failed) {
			*err = job->files[f].err;
			goto out;
		}
	if (!pt_dataset_end(&a->ds, &a->diags, err))
		goto out;
	a->ds.times_are_indices = a->time_source == PT_TIME_INDEX;
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
	/* Workers for as many tasks as there may be: a file may be split. */
	size_t nworkers = worker_count(opts, SIZE_MAX);
	struct load_job job = { .opts = opts, .nfiles = nsources };
	atomic_init(&job.held, 0);
	atomic_init(&job.done, 0);

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
	for (size_t i = 0; i < nsources; i++) {
		files[i].src = &sources[i];
		files[i].text = texts != NULL ? &texts[i] : NULL;
		pt_diags_init(&files[i].diags);
	}
	job.files = files;
	for (size_t i = 0; i < nsources; i++)
		if ((nworkers > 1 || opts->split_part_bytes != 0) &&
				!plan_parts(opts, &files[i], nworkers)) {
			pt_error_set(err, 0, "out of memory");
			goto out;
		}
	if (!make_read_tasks(&job)) {
		pt_error_set(err, 0, "out of memory");
		goto out;
	}
	nworkers = worker_count(opts, job.ntasks);
	if (!load_job_init(&job, nworkers, err) ||
			!read_all(&job, nworkers, a, err))
		goto out;
	/* One note for the whole input: a series of x86 files would
	 * otherwise repeat it for every file. */
	if (a->neg_fixed_rows > 0)
		pt_diags_add(&a->diags, PT_SEV_NOTE, a->neg_fixed_first, 0,
			"%zu row%s with negative counters read as unsigned 32-bit "
			"(x86 poolmon prints values above 2^31 as negative; first "
			"in this file)", a->neg_fixed_rows,
			a->neg_fixed_rows == 1 ? "" : "s");
	uint64_t cut_at;
	if (!collect_usable(files, nsources, &usable, &nusable, &cut_at, a, err))
		goto out;
	if (nusable == 0) {
		pt_error_set(err, 0, "no poolmon snapshot with rows in %zu file%s",
			nsources, nsources == 1 ? "" : "s");
		goto out;
	}
	ok = align(&job, nworkers, usable, nusable, cut_at, a, err);
out:
	/* Every error diagnostic is an input left out: unreadable, missing,
	 * or without a snapshot. */
	a->skipped_inputs += pt_diags_count(&a->diags, PT_SEV_ERROR);
	if (files != NULL)
		for (size_t i = 0; i < nsources; i++) {
			pt_packed_rows_finish(&files[i].rows.packed);
			free(files[i].rows.hashes);
			drop_parts(&job, &files[i]);
			pt_parse_result_finish(&files[i].result);
			pt_diags_finish(&files[i].diags);
			free(files[i].slot);
		}
	load_job_finish(&job, nworkers);
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
