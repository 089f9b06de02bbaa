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

/* string fields with cores at most (a 64-bit mask names them) */
#define MH_VF_MAXF 64

/* What may mark one clause of a rule: cores of the string fields
 * field[i] for the bits i of text, integer atoms (MH_VF_FEED_INT: any
 * integer key's value) and CIDR atoms (MH_VF_FEED_IP: any address
 * key's). A reader that knows which keys feed what may skip a key whose
 * every rule has a clause only keys it has already tested feed and no
 * atom of it showed (json_vstage.c). */
#define MH_VF_FEED_INT 1u
#define MH_VF_FEED_IP  2u
typedef struct mh_vf_feed {
	uint64_t text;
	uint8_t kind;
} mh_vf_feed;

typedef struct mh_vfilter {
	/* string fields with literals; the reader adds their sources */
	mh_fieldset fields;
	mh_fieldset intfields; /* integer fields with integer atoms */
	mh_fieldset ipfields;  /* address fields with CIDR atoms */
	/* the string fields with cores, by index: the mask of
	 * mh_vfilter_scan() tells which of them a value may feed */
	size_t nfield;
	mh_field field[MH_VF_MAXF];
	bool simd;     /* the AVX2 window scan (else scalar; same results) */
	size_t nrules; /* detection rules */
	const uint8_t *need; /* by rule: its clause bits (1, 2, or 3) */
	/* by rule r and clause k (0, 1): feed[2 * r + k], empty when r
	 * does not need k */
	const mh_vf_feed *feed;
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

/* The text p[0..n) of one value, as stored, of a field that feeds the
 * fields field[i] for the bits i of mask (the field itself, or one
 * normalising builds them from): their cores in it mark their rules'
 * clauses in s. True when some rule has then seen every clause it needs
 * (keep the record); it may stop marking there. */
bool mh_vfilter_scan(const mh_vfilter *vf, mh_vf_state *s, uint64_t mask,
		     const char *p, size_t n);
/* The value p[0..n) of an address field (of an integer field), as
 * stored: its atoms mark their rules' clauses; true as above. */
bool mh_vfilter_ip(const mh_vfilter *vf, mh_vf_state *s, const char *p,
		   size_t n);
bool mh_vfilter_int(const mh_vfilter *vf, mh_vf_state *s, const char *p,
		    size_t n);

#endif
