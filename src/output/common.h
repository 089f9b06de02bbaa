/* Helpers shared by the alert writers (output/common.c, escape.c).
 * Internal to src/output/; not part of the public output contract. */
#ifndef MH_OUTPUT_COMMON_H
#define MH_OUTPUT_COMMON_H

#include "output/output.h"

/* Length of the UTF-8 sequence at s[0..n) (n >= 1). *valid is false for
 * an invalid sequence; the length is then its maximal subpart (>= 1),
 * the bytes to replace or show as \xNN together. */
size_t mh_out_utf8_seq(const char *s, size_t n, bool *valid);

/* How many bytes at the start of s[0..n) are none of the bytes set[0..3]
 * (repeat one to look for fewer). */
size_t mh_out_span_none(const char *s, size_t n, const char set[4]);
/* How many bytes at the start of s[0..n) are printable ASCII (0x20 to
 * 0x7e) other than x and y. */
size_t mh_out_span_ascii(const char *s, size_t n, char x, char y);

/* rule->id, else rule->name, else rule->title ("" if none/NULL rule). */
const char *mh_out_rule_id(const mh_rule *r);
/* Rule title ("" if none). */
const char *mh_out_rule_title(const mh_rule *r);
/* mh_level_name(), "unknown" for an out-of-range level. */
const char *mh_out_level_name(mh_level l);
/* True when the rule is a value_count/value_sum/value_avg or beacon
 * correlation. */
bool mh_out_has_value(const mh_rule *r);

/* Write b->p[0..n) to f in one fwrite and empty b. MH_EIO (with errno
 * text) on a short write. */
mh_rc mh_out_write(FILE *f, mh_buf *b, mh_err *err);
/* fflush f and check its error flag: MH_EIO on failure. */
mh_rc mh_out_flush(FILE *f, mh_err *err);

/* Append a C string / an unsigned / a signed decimal. */
bool mh_out_puts(mh_buf *b, const char *s);
bool mh_out_putu(mh_buf *b, uint64_t v);
bool mh_out_puti(mh_buf *b, int64_t v);
/* RFC 3339 UTC time via mh_time_format. */
bool mh_out_time(mh_buf *b, int64_t ns);

#endif
