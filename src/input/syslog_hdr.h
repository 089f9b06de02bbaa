/* Private helpers shared by the syslog-borne readers (Cisco ASA, PAN-OS,
 * CEF/LEEF): header parsing and BSD-style timestamps. Not part of the
 * public reader API. All functions are bounded by n, allocation-free,
 * locale-free and thread-safe. */
#ifndef MH_INPUT_SYSLOG_HDR_H
#define MH_INPUT_SYSLOG_HDR_H

#include "util/mh.h"

typedef struct mh_syslog_hdr {
	mh_str host;	 /* n == 0: none; points into the parsed text */
	mh_str ts;	 /* the timestamp text, if has_time */
	int64_t time_ns; /* valid if has_time */
	bool has_time;
	bool has_pri; /* a "<N>" priority was seen */
} mh_syslog_hdr;

/* Parse the syslog header that makes up ALL of p[0..n) (the text before
 * the message body: "%ASA-", "CEF:", the first PAN-OS CSV field).
 * Accepted, after optional relay text that precedes a "<N>" priority:
 *   RFC 5424: "<N>1 TIMESTAMP HOST APP PROCID MSGID [SD] "
 *   RFC 3164: "[<N>]Mmm dd [yyyy] hh:mm:ss[.f] [TZ][:] [HOST] [:] ..."
 *   ISO time: "[<N>]2021-03-01T20:46:50Z [HOST] ..."
 * Unknown trailing tokens are ignored. Returns false when p is not empty
 * and holds no recognisable timestamp (h then has no time and no host).
 * A year-less RFC 3164 time gets the current UTC year, or the previous
 * one when that would put it more than a month in the future. */
bool mh_syslog_hdr_parse(const char *p, size_t n, mh_syslog_hdr *h);

/* "Mmm dd [yyyy] hh:mm:ss[.fff][ TZ]" at p (also "Mmm dd yyyy hh:mm:ss
 * ZZZ" as CEF rt writes it). Zone: UTC/GMT/Z, a few US/EU abbreviations,
 * or +hh:mm/-hhmm; otherwise UTC. *used gets the bytes consumed. */
bool mh_syslog_bsd_time(const char *p, size_t n, size_t *used, int64_t *ns);

/* Offset of the first occurrence of lit (litn bytes) in p[0..n), or n. */
size_t mh_syslog_find(const char *p, size_t n, const char *lit, size_t litn);

/* Lower-case ASCII compare of p[0..n) with the NUL-terminated lit. */
bool mh_syslog_ieq(const char *p, size_t n, const char *lit);

/* Next non-blank line of a line-oriented reader. A line over the
 * source's cap is counted malformed (with its line number) and skipped.
 * Returns MH_OK (line valid until the next call), MH_EOF, or an I/O
 * error. */
struct mh_reader;
mh_rc mh_syslog_next_line(struct mh_reader *r, mh_str *line, uint64_t *ln,
			  mh_err *err);

/* The first non-blank line within buf[0..len) (at most 64 KiB looked at;
 * a line cut by the end is returned as it is). False if none. */
bool mh_syslog_first_line(const char *buf, size_t len, mh_str *line);

#endif
