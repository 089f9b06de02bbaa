/* The value prefilter (issue 4): a necessary condition on the text of a
 * record's values, derived from the rule index, that the JSON reader
 * tests on the raw line before parsing it.
 *
 * The rule index gives each detection rule up to two clauses: sets of
 * atoms (a literal of a field's predicate occurred, an integer field
 * holds a value, an address field lies in a CIDR block) such that the
 * rule holds only if an atom of each clause fired (see rule/rindex.c).
 * Here, each literal is weakened to its core, its longest run without
 * '\\' or '/', which then occurs, ASCII-folded, inside one value the
 * record had as read: in a value of the field itself or of a field
 * normalising builds it from (mh_event_norm_sources()). Integer and
 * address values are parsed as the matcher parses them. A record none of
 * whose rules sees an atom of each of its clauses this way matches no
 * rule. There is no value prefilter when a rule has no clause (it may
 * match any record), a literal has no core or its field is one that
 * normalising writes words into.
 *
 * Built by mh_ruleset_compile() with the rule index (none with
 * MAILHUNT_NO_RULE_INDEX=1), read-only afterwards: safe to share across
 * threads. The per-record state (mh_vf_state) is each reader's own. */
#ifndef MH_RULE_VFILTER_H
#define MH_RULE_VFILTER_H

#include "event/event.h"
#include "util/mh.h"

#include <stdbool.h>
#include <stdint.h>

#define MH_VF_HIT 0x80000000u

typedef struct mh_vfilter {
	/* string fields with literals; the reader adds their sources */
	mh_fieldset fields;
	mh_fieldset intfields; /* integer fields with integer atoms */
	mh_fieldset ipfields;  /* address fields with CIDR atoms */
	uint8_t cls[256];      /* byte -> class, ASCII-folded */
	/* delta[state + cls[byte]]: the next state (an offset), with
	 * MH_VF_HIT when a core ends there (mh_vfilter_report()) */
	const uint32_t *delta;
	size_t nrules;		   /* detection rules */
	const uint8_t *need;	   /* by rule: its clause bits (1, 2, or 3) */
	const struct rx_index *vx; /* rindex_vf.c: cores, tables */
} mh_vfilter;

/* Which clauses of which rules have seen an atom on this record. */
typedef struct mh_vf_state {
	uint8_t *hit;	   /* by rule: clause bits seen */
	uint32_t *touched; /* rules with hit != 0 */
	size_t nt;
} mh_vf_state;

mh_rc mh_vf_state_init(const mh_vfilter *vf, mh_vf_state *s);
void mh_vf_state_free(mh_vf_state *s);
/* Forget the last record (cost: the rules it touched). */
static inline void mh_vf_state_clear(mh_vf_state *s)
{
	for (size_t i = 0; i < s->nt; i++)
		s->hit[s->touched[i]] = 0;
	s->nt = 0;
}

/* One byte of a value; start each value at state 0. Returns the next
 * state, with MH_VF_HIT set when a core ends at this byte: then call
 * mh_vfilter_report() with it. */
static inline uint32_t mh_vfilter_step(const mh_vfilter *vf, uint32_t s,
				       unsigned char c)
{
	return vf->delta[(s & ~MH_VF_HIT) + vf->cls[c]];
}

/* The cores ending at DFA state st (as mh_vfilter_step() returned it)
 * mark their rules' clauses in s. True when some rule has now seen every
 * clause it needs (keep the record). */
bool mh_vfilter_report(const mh_vfilter *vf, mh_vf_state *s, uint32_t st);
/* The value p[0..n) of an address field (of an integer field), as
 * stored: its atoms mark their rules' clauses; true as above. */
bool mh_vfilter_ip(const mh_vfilter *vf, mh_vf_state *s, const char *p,
		   size_t n);
bool mh_vfilter_int(const mh_vfilter *vf, mh_vf_state *s, const char *p,
		    size_t n);

#endif
