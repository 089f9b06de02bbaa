/* The value prefilter (issue 4): a necessary condition on the text of a
 * record's string values, derived from the rule index, that the JSON
 * reader tests on the raw line of a record the port prefilter would
 * keep.
 *
 * It exists when every detection rule needs some literal (equality,
 * contains, startswith, endswith; any case, any |all group) of a string
 * field to occur in that field's value, or an address field to lie in
 * some CIDR block: the index's atoms say so (see rule/rindex.c). Each such
 * literal is weakened to its core, its longest run without '\\' or '/', which
 * then occurs, ASCII-folded, inside one value the record had as read: in a
 * value of the field itself or of a field normalising builds it from
 * (mh_event_norm_sources()). So a record none of whose values of those fields
 * contains a core matches no rule. One Aho-Corasick DFA over all cores answers
 * that, and one table of CIDR blocks the addresses (mh_vfilter_ip_hit()).
 *
 * Built by mh_ruleset_compile() with the rule index (none with
 * MAILHUNT_NO_RULE_INDEX=1), read-only afterwards: safe to share across
 * threads. */
#ifndef MH_RULE_VFILTER_H
#define MH_RULE_VFILTER_H

#include "event/event.h"

#include <stdbool.h>
#include <stdint.h>

#define MH_VF_HIT 0x80000000u

typedef struct mh_vfilter {
	/* string fields some rule's chosen literals are on; the reader adds
	 * their sources (mh_event_norm_sources()) */
	mh_fieldset fields;
	uint8_t cls[256]; /* byte -> class, ASCII-folded */
	/* delta[state + cls[byte]]: the next state (an offset), with
	 * MH_VF_HIT when a core ends there */
	const uint32_t *delta;
	/* address fields some rule's chosen CIDR blocks are on (no
	 * sources: normalising does not write them) */
	mh_fieldset ipfields;
	const struct rx_cidrs *cidr; /* NULL: none */
} mh_vfilter;

/* One byte of a value; start each value at state 0. Returns the next
 * state, with MH_VF_HIT set when a core ends at this byte (keep the
 * record). */
static inline uint32_t mh_vfilter_step(const mh_vfilter *vf, uint32_t s,
				       unsigned char c)
{
	return vf->delta[(s & ~MH_VF_HIT) + vf->cls[c]];
}

/* May the text p[0..n) (a value of a field of vf->ipfields, as stored)
 * be an address inside one of vf's CIDR blocks? It is parsed as the
 * matcher parses it (mh_ip_parse()). */
bool mh_vfilter_ip_hit(const mh_vfilter *vf, const char *p, size_t n);

#endif
