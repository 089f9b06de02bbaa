/* Input readers. One file per format in src/input/, one row in the
 * reader table (input/registry.c). A reader turns a source into
 * canonical events.
 *
 * Contract:
 *  - probe(): confidence 0..100 that the first bytes are this format.
 *  - next(): fills ev and returns MH_OK, or MH_EOF at the end. A
 *    malformed record is NOT an error: the reader calls
 *    mh_reader_malformed() (counts it, reports file:line and reason)
 *    and moves on. next() fails (MH_EIO/MH_ENOMEM) only on I/O or
 *    memory failure.
 *  - Only fields in r->need must be filled (laziness); filling more is
 *    allowed. Readers must set ev->file/ev->line and TIME (time_ns).
 *  - Records that are not of interest (another channel, another event
 *    type) are still events: they are returned, not counted malformed.
 */
#ifndef MH_INPUT_INPUT_H
#define MH_INPUT_INPUT_H

#include "event/event.h"
#include "input/source.h"

#include <stdio.h>

typedef struct mh_reader mh_reader;

typedef void (*mh_malformed_fn)(void *ud, const char *file, uint64_t line,
				const char *reason);

typedef struct mh_reader_stats {
	uint64_t records;   /* events returned */
	uint64_t malformed; /* records skipped as malformed */
	uint64_t skipped;   /* records dropped by the prefilter */
	/* the value stage (issue 4): lines it judged, lines it cleared,
	 * values it left untested (their keys gated: json_vstage.c) */
	uint64_t vs_tried, vs_cleared, vs_untested;
} mh_reader_stats;

typedef struct mh_reader_ops {
	const char *name; /* --input-format name */
	const char *desc; /* one line for --help */
	/* Confidence 0..100 that buf (the first bytes, decompressed) is this
	 * format. Must be bounded and never read past len. */
	int (*probe)(const char *buf, size_t len);
	mh_rc (*open)(mh_reader *r, mh_err *err);
	mh_rc (*next)(mh_reader *r, mh_event *ev, mh_err *err);
	void (*close)(mh_reader *r);
} mh_reader_ops;

struct mh_reader {
	const mh_reader_ops *ops;
	mh_source *src;
	mh_fieldset need; /* fields the ruleset uses; all if empty */
	mh_malformed_fn on_malformed;
	void *ud;
	mh_reader_stats stats;
	void *priv;	  /* reader-owned state */
	char dialect[32]; /* detected dialect, for -v and summary */

	/* --- addition (issue 4): the cheapest necessary condition ---
	 * Set by the caller before next(): records whose pf_field (an
	 * integer field) is certainly not in the sorted set pf_vals[0..pf_n)
	 * may be dropped unparsed and unvalidated (counted in
	 * stats.skipped, not in records). Such a record's time is still
	 * found exactly; when it lies within [pf_since, pf_until] (bounds
	 * optional) it is folded into skip_time_ns. pf_n == 0: off. */
	mh_field pf_field;
	const int64_t *pf_vals;
	size_t pf_n;
	bool pf_since_set, pf_until_set;
	int64_t pf_since_ns, pf_until_ns;
	bool skip_time_set;   /* out: a skipped record had a time in range */
	int64_t skip_time_ns; /* out: the latest such time */

	/* --input-format DIALECT: a dialect (mh_dialect name) the reader
	 * uses for every record instead of detecting one. NULL = detect.
	 * Honoured by the key/value readers (json, csv). */
	const char *force_dialect;

	/* --- addition (issue 4): the disjunctive prefilter ---
	 * With pf_n > 0: pf_allow_unset = a record whose pf_field is unset
	 * must be kept too (only a record with pf_field certainly set to an
	 * integer outside pf_vals may be dropped); pf_str_set = a record
	 * where pf_str_field is set must be kept too; pf_unset_proto (with
	 * pf_allow_unset) = a record whose ports normalising unsets (ICMP)
	 * must be kept too. Zero = off. See mh_ruleset_prefilter_ex(). */
	bool pf_allow_unset;
	bool pf_unset_proto;
	bool pf_str_set;
	mh_field pf_str_field;
	/* With pf_n > 0: the caller needs no time of skipped records
	 * (scan --now: skip_time_ns is never used), so a record may be
	 * dropped without looking for its time at all. */
	bool pf_no_time;
	/* With pf_n > 0 (issue 4): the ruleset's value prefilter
	 * (rule/vfilter.h), or NULL. A record the test above would keep
	 * because its pf_field is in the set may still be dropped when no
	 * value of the prefilter's fields (or their sources) contains a
	 * core of it. */
	const struct mh_vfilter *pf_vf;
	/* With pf_n == 0 and pf_vf (issue 4): every NDJSON line goes to the
	 * value stage alone (a ruleset with no port condition, such as
	 * command-line rules). The fast path then always looks for the
	 * time keys: set pf_no_time false. */
	bool pf_vonly;
};

/* The registry. NULL-terminated. */
extern const mh_reader_ops *const mh_readers[];
const mh_reader_ops *mh_reader_find(const char *name);
/* Probe the first bytes against every reader; best score wins (> 0). */
const mh_reader_ops *mh_reader_detect(const char *buf, size_t len);

/* Count and report a malformed record. */
void mh_reader_malformed(mh_reader *r, uint64_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

extern const mh_reader_ops mh_input_json; /* NDJSON / JSON / arrays */
/* --- additions (issue 4): splitting NDJSON across threads ---
 * True if r is an open JSON reader that reads one record per line. */
bool mh_input_json_is_ndjson(const mh_reader *r);
/* Make an open JSON reader read one record per line and start with the
 * named dialect (NULL/"" = detect), as a reader that has already seen
 * earlier lines of the same file would. */
void mh_input_json_resume(mh_reader *r, const char *dialect);
extern const mh_reader_ops mh_input_csv; /* CSV with a header row */

extern const mh_reader_ops mh_input_zeek; /* Zeek TSV logs */

extern const mh_reader_ops mh_input_asa;    /* Cisco ASA/FTD syslog */
extern const mh_reader_ops mh_input_panos;  /* PAN-OS CSV syslog */
extern const mh_reader_ops mh_input_cef;    /* CEF and LEEF */
extern const mh_reader_ops mh_input_auditd; /* Linux auditd */

extern const mh_reader_ops mh_input_xml; /* Windows event XML */

extern const mh_reader_ops mh_input_evtx; /* EVTX files (libevtx) */

/* BSD syslog timestamps carry no year. By default a reader takes the
 * current UTC year (the previous one for a date more than a month ahead);
 * a replay of an old log should give the year with --year, which calls
 * this once before any reader runs (not thread-safe to change later). */
void mh_syslog_set_default_year(int year);

extern const mh_reader_ops mh_input_pcap; /* pcap/pcapng -> flow events */
/* --- additions (pcap reader) ---
 * Flow table cap of pcap readers opened after the call (default
 * MH_PCAP_MAX_FLOWS; 0 restores it). For tests; not thread-safe. */
#define MH_PCAP_MAX_FLOWS 65536
void mh_input_pcap_set_max_flows(size_t n);
typedef struct mh_pcap_stats {
	uint64_t packets;   /* packet records read */
	uint64_t fragments; /* non-first IP fragments (skipped) */
	uint64_t other;	    /* non-IP, non-TCP/UDP, unsupported link */
	uint64_t evicted;   /* live flows emitted early: table full */
} mh_pcap_stats;
/* Counters of an open pcap reader; false if r is not one. */
bool mh_input_pcap_stats(const mh_reader *r, mh_pcap_stats *out);

#endif
