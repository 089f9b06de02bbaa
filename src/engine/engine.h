/* Correlation and alerting.
 *
 * The main loop matches each event against the ruleset and calls
 * mh_engine_feed() with the matching detection rules. The engine
 * produces per-event alerts for standalone detection rules and runs
 * every correlation rule's windows (keyed by group-by values), in event
 * time. At the end, mh_engine_finish() evaluates lookback windows
 * against `now`, then sorts the alerts (profile sort, else level desc,
 * count desc, first_seen, group text).
 *
 * Memory: group state is capped by max_memory; at the cap the least
 * recently updated groups are evicted and counted. Not thread-safe: one
 * engine per scan (workers merge into it in event-time order). */
#ifndef MH_ENGINE_ENGINE_H
#define MH_ENGINE_ENGINE_H

#include "engine/alert.h"
#include "rule/rule.h"

typedef struct mh_engine mh_engine;

typedef struct mh_engine_opts {
	bool now_set; /* --now given; else now = latest event time */
	int64_t now_ns;
	size_t max_memory; /* bytes for group state; 0 = default 256 MiB */
	size_t max_refs;   /* --explain: events remembered per alert (0) */
	/* Idle groups: a group of a sliding, sequence or lookback (without
	 * now_set) window whose newest event is more than timespan +
	 * lateness older than the newest event time seen is closed (an open
	 * alert is emitted) and freed, so the state does not grow with the
	 * input. Exact for every event at most `lateness` older than the
	 * newest seen. lateness_set false: MH_ENGINE_LATENESS_DEF;
	 * lateness_ns < 0: never close idle groups. */
	bool lateness_set;
	int64_t lateness_ns;
	/* Alert memory (bytes) kept before the alerts are sorted and
	 * written to a temporary file ($TMPDIR, else /tmp; unlinked at
	 * once) as a run, merged back in order at the end. 0: an eighth of
	 * the group-state cap, at least 256 KiB. */
	size_t alert_spill;
	/* finish_threads > 1: mh_engine_finish() flushes the groups left at
	 * the end on two threads when there are at least finish_min_groups
	 * of them (0: 4096) and they take at most a quarter of max_memory,
	 * and frees them on a helper thread that mh_engine_free() waits
	 * for. The alerts are the same either way. 0 or 1: the calling
	 * thread does it all. */
	unsigned finish_threads;
	size_t finish_min_groups;
} mh_engine_opts;

#define MH_ENGINE_LATENESS_DEF (3600 * (int64_t)1000000000) /* 1 h */

typedef struct mh_engine_stats {
	uint64_t fed;	  /* events fed with >= 1 match */
	uint64_t groups;  /* live groups at the end */
	uint64_t evicted; /* groups evicted at the memory cap */
	uint64_t expired; /* idle groups closed (see lateness) */
	/* fed events more than `lateness` older than the newest event
	 * seen before them: with expired > 0, such an event may have
	 * missed a window that was closed */
	uint64_t straggled;
	uint64_t spilled; /* alerts written to the temporary file */
	/* no temporary file could be written (spill_errno): the alerts
	 * past the first failure stayed in memory */
	bool spill_failed;
	int spill_errno;
	uint64_t alerts;
	int64_t now_ns; /* the `now` used */
	uint64_t late;	/* out-of-order events dropped (too old for
			 * the group's current window) */
} mh_engine_stats;

mh_rc mh_engine_new(const mh_ruleset *rs, const mh_engine_opts *opts,
		    mh_engine **out, mh_err *err);
void mh_engine_free(mh_engine *e);

/* Every record's time (matched or not), for the default `now`. */
void mh_engine_note_time(mh_engine *e, int64_t t_ns);
/* An event and the detection rules (ruleset indexes) it matched. The
 * engine copies what it keeps; ev may be reused after return. */
mh_rc mh_engine_feed(mh_engine *e, const mh_event *ev, const uint32_t *matched,
		     size_t n, mh_err *err);
mh_rc mh_engine_finish(mh_engine *e, mh_err *err);

/* After mh_engine_finish(): every alert in order, one per call. MH_OK
 * with *out set (valid until the next call or mh_engine_free()),
 * MH_EOF at the end, MH_EIO when the temporary file cannot be read. */
mh_rc mh_engine_next_alert(mh_engine *e, const mh_alert **out, mh_err *err);
/* All alerts, including those spilled. */
size_t mh_engine_alert_count(const mh_engine *e);
/* Alert i in order, when none was spilled (stats.spilled == 0, always
 * with small inputs); else NULL: use mh_engine_next_alert(). */
const mh_alert *mh_engine_alert(const mh_engine *e, size_t i);
void mh_engine_get_stats(const mh_engine *e, mh_engine_stats *st);

/* The fields the engine itself reads from events (time, context fields,
 * DestinationIp, BytesSent, User), to add to the reader's need set. */
void mh_engine_fields(mh_fieldset *out);

#endif
