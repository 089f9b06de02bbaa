/* Beacon scoring: how periodic the connections of one (host, process,
 * destination) group are, in [0, 1]. The method, its constants and
 * their calibration are specified in docs/correlation.md ("Correlation
 * type beacon").
 *
 * State is one fixed-size struct per group (no pointers, no
 * allocation after init): a small reorder buffer of timestamps, the
 * ends of the chain of placed timestamps, and fixed-size samples
 * (reservoirs) of the intervals and of BytesSent. Up to
 * MH_BEACON_SAMPLE intervals / sizes the statistics are exact; beyond,
 * they are computed over a uniform sample of that size. Not
 * thread-safe; a struct belongs to one engine group. */
#ifndef MH_ENGINE_BEACON_H
#define MH_ENGINE_BEACON_H

#include <stdbool.h>
#include <stdint.h>

#define MH_BEACON_SAMPLE	 64 /* intervals / sizes kept exactly */
#define MH_BEACON_REORDER	 16 /* pending timestamps (out-of-order) */
#define MH_BEACON_MIN_EVENTS_DEF 4
#define MH_BEACON_MIN_EVENTS_MIN 3

typedef struct mh_beacon {
	int64_t buf[MH_BEACON_REORDER + 1]; /* pending seconds, ascending */
	uint32_t nbuf;
	bool chain;	      /* lo..hi placed */
	int64_t lo, hi;	      /* first/last placed second */
	uint64_t nint;	      /* intervals placed (= placed polls - 1) */
	uint64_t unordered;   /* timestamps that fell inside lo..hi */
	uint64_t events;      /* every timestamp added */
	uint64_t nasc, ndesc; /* arrival order votes */
	int64_t prev;	      /* previous arrival (seconds) */
	uint64_t nsize;	      /* events with BytesSent */
	uint64_t rng;	      /* deterministic reservoir PRNG state */
	uint32_t ints[MH_BEACON_SAMPLE];  /* interval sample, seconds */
	uint32_t sizes[MH_BEACON_SAMPLE]; /* BytesSent sample */
} mh_beacon;

typedef struct mh_beacon_result {
	double score;	    /* final, rounded to 3 decimals */
	double timing;	    /* timing part T (unrounded) */
	uint64_t polls;	    /* distinct seconds placed */
	uint64_t intervals; /* polls - 1 */
	uint64_t events;    /* timestamps added (all connections) */
	uint64_t unordered; /* timestamps that could not be placed */
	double median_s, mad_s, skew, coverage;
	bool size_set; /* the size part was used */
	double size, size_median, size_mad, size_skew;
} mh_beacon_result;

/* seed: any value; the same seed and input give the same result. */
void mh_beacon_init(mh_beacon *b, uint64_t seed);
/* One connection at t_ns; bytes when has_bytes (negative counts as 0,
 * more than UINT32_MAX saturates). O(MH_BEACON_REORDER). */
void mh_beacon_add(mh_beacon *b, int64_t t_ns, bool has_bytes, int64_t bytes);
/* Score what was added. false (r untouched but zeroed) when fewer than
 * min_events polls were placed. b is not modified. */
bool mh_beacon_eval(const mh_beacon *b, uint32_t min_events,
		    mh_beacon_result *r);

#endif
