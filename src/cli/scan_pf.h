/* How `scan` arms a reader's prefilters (issue 4, docs/performance.md):
 * the ruleset's port prefilter (plain or disjunctive form), the value
 * prefilter, and whether the value stage pays on this file. */
#ifndef MH_CLI_SCAN_PF_H
#define MH_CLI_SCAN_PF_H

#include "input/input.h"
#include "rule/rule.h"

typedef struct mh_scan_pf_opts {
	bool since_set, until_set, now_set;
	int64_t since_ns, until_ns;
} mh_scan_pf_opts;

/* The plain form, which the scan loop also tests on parsed records:
 * plain false when there is none. */
typedef struct mh_scan_pf {
	bool plain;
	mh_field field;
	const int64_t *vals; /* sorted; valid while the ruleset lives */
	size_t n;
} mh_scan_pf;

/* Set the pf_* fields of rd, an open reader of src, from rs and o.
 * MAILHUNT_NO_PREFILTER=1 arms nothing, MAILHUNT_NO_VALUE_PREFILTER=1
 * no value stage (equivalence tests). May read the file's first MiB
 * once (the value stage's sample); src's cursor is not moved. */
void mh_scan_arm_prefilter(mh_reader *rd, mh_source *src, const mh_ruleset *rs,
			   const mh_scan_pf_opts *o, mh_scan_pf *pf);

#endif
