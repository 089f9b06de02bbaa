/* Necessary literals of a regular expression: a cheap test that rejects
 * most subjects a regex cannot match before PCRE2 runs. */
#ifndef MH_RULE_RE_LITS_H
#define MH_RULE_RE_LITS_H

#include "util/arena.h"

#include <stdbool.h>
#include <stddef.h>

/* A set L of strings, each of at least 2 bytes, such that every subject
 * the regex matches contains some l in L, compared ASCII
 * case-insensitively. */
typedef struct mh_re_lits mh_re_lits;

/* Build L for PCRE2 pattern pat (n bytes) compiled with caseless set or
 * not. The parse is conservative: any construct it does not model
 * (backreferences, \Q, conditionals, extended mode, ...) gives NULL,
 * as does a regex with no literal of 2 bytes that every match needs.
 * NULL also on ENOMEM: then the regex simply runs on every subject.
 * The result lives in arena a (read-only, shareable across threads). */
const mh_re_lits *mh_re_lits_build(mh_arena *a, const char *pat, size_t n,
				   bool caseless);

/* False only when s (n bytes) contains no literal of l: then the regex
 * cannot match s. */
bool mh_re_lits_may_match(const mh_re_lits *l, const char *s, size_t n);

/* The literals, for tests: count, and the i-th (folded to lower case). */
size_t mh_re_lits_count(const mh_re_lits *l);
const char *mh_re_lits_get(const mh_re_lits *l, size_t i, size_t *len);

#endif
