/* Time parsing and formatting. Locale-independent, no libc time zone
 * state (timegm-free arithmetic). All times are ns since the Unix epoch,
 * UTC. */
#ifndef MH_UTIL_TIMEFMT_H
#define MH_UTIL_TIMEFMT_H

#include "util/mh.h"

/* Accepts:
 *   ISO 8601 / RFC 3339: 2021-03-14T06:39:30.227Z, with 'T' or ' ',
 *     0..9 fractional digits (more are truncated), Z or +hh:mm / -hhmm
 *     or no zone (UTC);
 *   Sysmon UtcTime "2021-03-14 06:39:30.227";
 *   epoch seconds with fraction "1543877987.381899" (Zeek, Splunk _time);
 *   epoch milliseconds "1615703970227" (QRadar starttime, Sumo
 *     _messageTime): an all-digit value >= 1e11 is read as ms, >= 1e14
 *     as us, >= 1e17 as ns;
 *   US export form "3/14/2021 6:39:30.227 AM" (Defender portal CSV).
 * Returns false if the text is not a recognised time. */
bool mh_time_parse(const char *s, size_t n, int64_t *ns_out);

/* Parse a duration "30s", "5m", "24h", "7d" (Sigma timespan) or with
 * "ms". Returns false if invalid. */
bool mh_duration_parse(const char *s, size_t n, int64_t *ns_out);

/* RFC 3339 UTC with the shortest of 0/3/6/9 fractional digits that is
 * exact: "2021-03-14T06:39:30.227Z". cap >= 40. Returns length. */
size_t mh_time_format(int64_t ns, char *buf, size_t cap);

/* Days from civil date (proleptic Gregorian). */
int64_t mh_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
