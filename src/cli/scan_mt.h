/* Multi-threaded scan of one uncompressed NDJSON file (issue 4).
 *
 * The mapped file is split at newline boundaries into chunks; worker
 * threads each run their own JSON reader (over a slice of the mapping),
 * normalisation and matcher, and keep per chunk the matched events
 * (copied compactly), their rule indexes, the chunk's latest time and
 * its counts. Chunks are fed to the engine one at a time in file order,
 * by the calling thread (which scans too) or, when a worker has nothing
 * left to scan, by that worker, so the alerts equal those of a
 * one-thread scan. At most a fixed
 * number of chunks is in flight (back-pressure). A chunk with a malformed
 * record is scanned again, in order, by the thread that merges it, so
 * malformed reports come out in order with their exact line numbers. */
#ifndef MH_CLI_SCAN_MT_H
#define MH_CLI_SCAN_MT_H

#include "engine/engine.h"
#include "event/normalize.h"
#include "input/input.h"
#include "rule/rule.h"

struct mh_mt_stats;

typedef struct mh_mt_args {
	const mh_ruleset *rs;
	const mh_norm_ctx *nctx;
	mh_engine *eng;
	unsigned threads; /* workers, >= 2 */
	size_t chunk;	  /* bytes per chunk (0 = default) */
	bool since_set, until_set;
	int64_t since_ns, until_ns;
	/* called after each merged chunk, on the thread that merged it
	 * (one call at a time) */
	void (*progress)(void *ud, const struct mh_mt_stats *sofar);
	void *progress_ud;
} mh_mt_args;

typedef struct mh_mt_stats {
	uint64_t events;  /* records returned + skipped by the prefilter */
	uint64_t matched; /* events with >= 1 matching rule */
	uint64_t records, malformed, skipped;
} mh_mt_stats;

/* Can rd (open over src, nothing read yet) be split across threads? */
bool mh_scan_mt_eligible(const mh_reader *rd, mh_source *src);

/* Scan the whole input of rd/src (rd as opened by mh_cli_open_input,
 * with its prefilter fields set; its malformed callback is used for the
 * reports). Consumes src as it goes (progress uses its offset). Returns
 * MH_OK, or MH_ENOMEM/MH_EIO/an engine error with err set. */
mh_rc mh_scan_mt(const mh_mt_args *a, mh_reader *rd, mh_source *src,
		 mh_mt_stats *st, mh_err *err);

#endif
