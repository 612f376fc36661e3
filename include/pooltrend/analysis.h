/*
 * The whole analysis: operands in, ranked scores out.
 *
 * pt_analysis_run reads every source, decodes and parses it, dates and
 * orders the snapshots, aligns them into series and scores every series.
 * Problems with single files are collected in a->diags and the rest of the
 * input is still analysed; the run fails only when nothing usable was found
 * or memory ran out.
 *
 * Files are read and parsed, and series scored, on opts->threads worker
 * threads; every result goes to its own slot and slots are merged in input
 * order, so the output is the same for any number of threads.
 *
 * Ownership: struct pt_analysis owns everything it points to; release it
 * with pt_analysis_finish (also after a failed run).  Operands and options
 * are borrowed for the duration of the call.
 */
#ifndef POOLTREND_ANALYSIS_H
#define POOLTREND_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pooltrend/diag.h"
#include "pooltrend/group.h"
#include "pooltrend/score.h"
#include "pooltrend/series.h"
#include "pooltrend/timeline.h"

/* Default limits; each is documented in pooltrend(1). */
/* Inputs are streamed, so their size is not limited (0). */
#define PT_DEFAULT_MAX_FILE_BYTES ((size_t)0)
/* series x snapshots: PT_BYTES_PER_CELL (16) bytes and a presence bit
 * each, so the columns of 2^28 cells take 4.3 GB; 20,000 snapshots of
 * 5,000 series take 1.6 GB */
#define PT_DEFAULT_MAX_CELLS ((size_t)1 << 28)
/* Rows kept packed (24 bytes each) between the two steps of loading,
 * rather than read again (see analysis.c) */
#define PT_DEFAULT_MAX_HELD_BYTES ((size_t)256 << 20)
/* A real tag table has thousands of rows; far more is not poolmon. */
#define PT_MAX_ROWS_PER_SNAPSHOT 100000
#define PT_MAX_SNAPSHOTS 1000000

struct pt_analysis_opts {
	enum pt_time_source time_source;
	enum pt_date_order date_order; /* of NN/NN dates; PT_DATE_AUTO (0) */
	int64_t interval_ms;          /* 0 = not given */
	size_t max_file_bytes;        /* 0 = no limit */
	size_t max_cells;             /* 0 = no limit */
	size_t max_held_bytes;        /* rows kept in memory rather than read
	                                 twice; 0: every regular file is read
	                                 twice (standard input, pipes and
	                                 FIFOs, even by path, never are) */
	uint64_t split_part_bytes;    /* hidden, for tests: cut every regular
	                                 file of at least two parts' worth into
	                                 parts of about this many bytes, parsed
	                                 apart (see analysis.c), whatever the
	                                 threads; 0: only large files, by the
	                                 number of threads */
	bool no_scores;               /* leave scores NULL: diff needs no verdicts,
	                                 and scoring is most of the run time */
	size_t threads;               /* worker threads; 0 = online CPUs */
	/*
	 * Called as input files are read and parsed, always on the calling
	 * thread (never a worker), with the files done so far and the total;
	 * once more with done == total at the end.  When files are read a
	 * second time (see max_held_bytes), a second round of calls counts
	 * them from 0 to their number, ending the same way.  NULL: no calls.
	 */
	void (*progress)(void *ctx, size_t done, size_t total);
	void *progress_ctx;
};

void pt_analysis_opts_init(struct pt_analysis_opts *o);

struct pt_analysis {
	struct pt_diags diags;
	size_t files;                 /* input files found */
	size_t files_read;            /* read successfully */
	size_t files_with_snapshots;
	size_t snapshots_found;       /* including empty ones */
	size_t rows;                  /* rows in the snapshots used */
	size_t skipped_lines;
	size_t skipped_inputs;        /* files, snapshots or rows left out; see --strict */
	bool mixed_machines;          /* summaries disagree on physical memory */
	size_t mixed_line_end_files;  /* with LF and lone CR line ends; see --strict */
	size_t files_split;           /* parsed in parts on the workers */
	size_t splits_undone;        /* parsed in parts that did not join,
	                                 then whole (see analysis.c) */
	size_t neg_fixed_rows;        /* rows with negative x86 prints reinterpreted */
	const char *neg_fixed_first;  /* first file with one (valid during the run only) */
	enum pt_time_source time_source; /* the source actually used */
	double span_hours;
	int64_t first_ms, last_ms;
	struct pt_dataset ds;
	struct pt_score *scores;      /* ds.nseries entries */
	struct pt_groups groups;      /* lock-step groups of leaking series */
	struct pt_machine_tte machine; /* time to exhaustion of the machine */
};

/* Hours from the first snapshot to ms. */
static inline double
pt_analysis_hours(const struct pt_analysis *a, int64_t ms)
{
	return (double)(ms - a->first_ms) / 3600000.0;
}

/*
 * Run the analysis over n operands (see pt_sources_expand).  Returns false
 * with err filled when no snapshot at all could be used, or on a fatal
 * error (out of memory, a forced time source that cannot date the input).
 */
bool pt_analysis_run(const char *const *operands, size_t n,
		const struct pt_analysis_opts *opts, struct pt_analysis *a,
		struct pt_error *err);

/*
 * pt_analysis_run without the scoring: read, parse, date and align, and
 * leave a->scores NULL.  For benchmarks and tools that need only the
 * aligned series.
 */
bool pt_analysis_load(const char *const *operands, size_t n,
		const struct pt_analysis_opts *opts, struct pt_analysis *a,
		struct pt_error *err);

/* One input already in memory (for fuzzing and tests). */
struct pt_input_text {
	const char *name;             /* used in messages and for name times */
	const unsigned char *data;    /* raw bytes, decoded like a file */
	size_t len;
	bool has_mtime;
	int64_t mtime_ms;
};

/*
 * The same analysis over n inputs held in memory, in the given order.
 * Nothing is read from disk.
 */
bool pt_analysis_run_texts(const struct pt_input_text *inputs, size_t n,
		const struct pt_analysis_opts *opts, struct pt_analysis *a,
		struct pt_error *err);

void pt_analysis_finish(struct pt_analysis *a);

#endif
