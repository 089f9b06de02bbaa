/* Sigma rules: YAML (libyaml) -> compiled, read-only ruleset.
 *
 * A ruleset is built single-threaded (new, add_*, compile), then is
 * immutable and may be shared by any number of worker threads, each with
 * its own mh_match_ctx.
 *
 * YAML documents accepted in a rule file (several per file with ---):
 *  - Sigma detection rules (title, id, name, logsource, detection, level..)
 *  - Sigma correlation rules (correlation: type/rules/group-by/timespan/
 *    condition/aliases/generate) plus the mailhunt extension key
 *    `window: sliding|lookback|sequence` inside `correlation:`
 *    (see docs/rules.md):
 *      sliding  (default) Sigma semantics: condition over any window of
 *               `timespan` ending at an event;
 *      lookback the SIEM scheduled-search semantics: aggregate the events
 *               with time > now - timespan (now = --now, default the
 *               latest event time in the input), evaluate once at end;
 *      sequence EQL `sequence ... with runs=N, maxspan=timespan`: when the
 *               condition is met the alert fires and its events are
 *               consumed (7 events, runs=3 -> 2 alerts);
 *      all      the whole input is one window (a search over the time
 *               range the user exported): aggregate, evaluate at end;
 *               timespan is optional and ignored.
 *    and the mailhunt correlation `type: beacon` (value beacon_score,
 *    window all, optional `min-events: N`; see docs/correlation.md);
 *  - `mailhunt-portmap:` {PROTO: [ports]} the mail port map;
 *  - `mailhunt-profile:` {name, title, description, sort: [..]};
 *  - `mailhunt-lookalikes:` [names] protected process names whose
 *    lookalikes get the LookalikeOf field (event/lookalike.h). */
#ifndef MH_RULE_RULE_H
#define MH_RULE_RULE_H

#include "event/event.h"
#include "event/normalize.h"
#include "util/mh.h"

typedef enum mh_level {
	MH_LVL_INFORMATIONAL = 0,
	MH_LVL_LOW,
	MH_LVL_MEDIUM,
	MH_LVL_HIGH,
	MH_LVL_CRITICAL,
} mh_level;

const char *mh_level_name(mh_level l); /* "informational".."critical" */

typedef enum mh_corr_type {
	MH_CORR_EVENT_COUNT,
	MH_CORR_VALUE_COUNT,
	MH_CORR_TEMPORAL,
	MH_CORR_TEMPORAL_ORDERED,
	MH_CORR_VALUE_SUM,
	MH_CORR_VALUE_AVG,
	MH_CORR_BEACON, /* mailhunt: beacon_score in [0,1], window all */
} mh_corr_type;

typedef enum mh_window {
	MH_WIN_SLIDING,
	MH_WIN_LOOKBACK,
	MH_WIN_SEQUENCE,
	MH_WIN_ALL,
} mh_window;

typedef enum mh_cmp {
	MH_CMP_GT,
	MH_CMP_GTE,
	MH_CMP_LT,
	MH_CMP_LTE,
	MH_CMP_EQ,
	MH_CMP_NEQ,
} mh_cmp;

typedef struct mh_corr_cond {
	mh_cmp op;
	double value;
} mh_corr_cond;

#define MH_CORR_MAX_COND 4

typedef struct mh_corr {
	mh_corr_type type;
	mh_window window;
	int64_t timespan_ns;
	/* referenced detection rules, as ruleset indexes, in the order
	 * written (temporal_ordered uses this order). */
	size_t nrules;
	const uint32_t *rules;
	/* group-by: ngroup names: the canonical field name when the entry
	 * is a field or field alias (DeviceName -> "Computer"), the alias
	 * name when it is a correlation alias (aliases:),
	 * and group_fields[g * nrules + r] = field of group g in rule r
	 * (aliases resolved per rule; same field for all r without aliases) */
	size_t ngroup;
	const char *const *group_names;
	const mh_field *group_fields;
	/* value_count / value_sum / value_avg: the field (condition.field) */
	mh_field value_field;
	/* all terms must hold (gte+lte = a range) */
	size_t ncond;
	mh_corr_cond cond[MH_CORR_MAX_COND];
	/* beacon: polls (distinct seconds) needed for a score (min-events,
	 * default 4); 0 for other types */
	uint32_t min_events;
} mh_corr;

typedef struct mh_rule {
	uint32_t index; /* position in the ruleset */
	bool is_correlation;
	const char *id;	  /* may be NULL */
	const char *name; /* may be NULL */
	const char *title;
	const char *description; /* may be NULL */
	const char *path; /* file it came from (embedded: "builtin:...") */
	uint32_t line;	  /* line of the document start */
	mh_level level;
	size_t ntags;
	const char *const *tags;
	size_t nfalsepositives;
	const char *const *falsepositives;
	/* detection rules: true if some correlation references it; such a
	 * rule emits alerts of its own only when a referencing correlation
	 * says generate: true (then `generate` is true). */
	bool referenced;
	bool generate;
	const mh_corr *corr; /* correlation rules only */
} mh_rule;

typedef enum mh_sort_key {
	MH_SORT_LEVEL,	    /* by severity rank */
	MH_SORT_LEVEL_NAME, /* by the severity *string* (SPL sort - Severity) */
	MH_SORT_COUNT,
	MH_SORT_FIRST_SEEN,
	MH_SORT_LAST_SEEN,
	MH_SORT_GROUP, /* group values as text: the final tie-break */
} mh_sort_key;

typedef struct mh_sort_term {
	mh_sort_key key;
	bool desc;
} mh_sort_term;

typedef struct mh_profile_info {
	const char *name;
	const char *title;
	const char *description;
	size_t nsort;
	mh_sort_term sort[6];
} mh_profile_info;

typedef struct mh_ruleset mh_ruleset;
typedef struct mh_match_ctx mh_match_ctx;

mh_rc mh_ruleset_new(mh_ruleset **out);
void mh_ruleset_free(mh_ruleset *rs);

/* Parse YAML text holding one or more documents. `name` is used in
 * errors and as mh_rule.path. Errors carry line:column and field. */
mh_rc mh_ruleset_add_yaml(mh_ruleset *rs, const char *name, const char *text,
			  size_t len, mh_err *err);
/* A .yml/.yaml file, or a directory (recursive, sorted by name). */
mh_rc mh_ruleset_add_path(mh_ruleset *rs, const char *path, mh_err *err);
/* The embedded pack for `profile` ("mailhunt", "sentinel", "elastic",
 * "splunk", "qradar", "sumo"), plus the pack's shared files (port map).
 * MH_ENOTFOUND for an unknown profile. */
mh_rc mh_ruleset_add_builtin(mh_ruleset *rs, const char *profile, mh_err *err);
/* Only the pack's shared files (the port map), for --rules replace. */
mh_rc mh_ruleset_add_builtin_shared(mh_ruleset *rs, mh_err *err);
/* Resolve correlation references and aliases, compute field needs.
 * After this the ruleset is read-only. */
mh_rc mh_ruleset_compile(mh_ruleset *rs, mh_err *err);

size_t mh_ruleset_count(const mh_ruleset *rs);
const mh_rule *mh_ruleset_rule(const mh_ruleset *rs, size_t i);
/* NULL when no profile document was loaded. */
const mh_profile_info *mh_ruleset_profile(const mh_ruleset *rs);
const mh_portmap_entry *mh_ruleset_portmap(const mh_ruleset *rs, size_t *n);
/* Every field any rule reads (detection fields, fieldrefs, group-by,
 * value fields). */
void mh_ruleset_fields(const mh_ruleset *rs, mh_fieldset *out);
/* Cheapest necessary condition: if every detection rule requires field
 * *f to be one of the integers vals[0..n), returns true. Readers and the
 * engine may drop an event that fails it without evaluating rules. */
bool mh_ruleset_prefilter(const mh_ruleset *rs, mh_field *f,
			  const int64_t **vals, size_t *n);
/* --- addition (issue 4): the disjunctive prefilter ---
 * Every detection rule requires: field is one of vals[0..n), or (with
 * allow_unset) field is unset, or (str_field != MH_F_NONE) str_field is
 * set. An event for which none holds (field set to an integer outside
 * vals, str_field unset) matches no rule. unset_proto (only with
 * allow_unset): some rule allows the field unset while Protocol is set;
 * when false, a record whose field normalising unsets (ICMP, which has a
 * Protocol) still matches no rule. mh_ruleset_prefilter() above
 * returns true only for the plain form (no allow_unset, no str_field).
 * Returns false (and *out zeroed, str_field MH_F_NONE) when there is
 * none. Pointers stay valid while rs lives. */
typedef struct mh_prefilter {
	mh_field field;
	const int64_t *vals; /* sorted, n > 0 */
	size_t n;
	bool allow_unset;
	bool unset_proto;
	mh_field str_field;
} mh_prefilter;
bool mh_ruleset_prefilter_ex(const mh_ruleset *rs, mh_prefilter *out);

/* The value prefilter (rule/vfilter.h), NULL when the ruleset has none.
 * Valid while rs lives. */
const struct mh_vfilter *mh_ruleset_vfilter(const mh_ruleset *rs);

/* Names of the embedded profiles (NULL-terminated static array). */
const char *const *mh_builtin_profiles(void);

/* Per-worker matching scratch. */
mh_rc mh_match_ctx_new(const mh_ruleset *rs, mh_match_ctx **out);
void mh_match_ctx_free(mh_match_ctx *m);
/* Evaluate all detection rules against ev. Writes the indexes of the
 * matching detection rules to out[0..cap) in ruleset order and returns
 * how many matched. Thread-safe for distinct m. */
size_t mh_ruleset_match(const mh_ruleset *rs, mh_match_ctx *m,
			const mh_event *ev, uint32_t *out, size_t cap);

/* Protected names of `mailhunt-lookalikes:` documents (see
 * event/lookalike.h), for mh_norm_ctx.lookalikes; NULL/0 when none. */
const mh_lookalike *mh_ruleset_lookalikes(const mh_ruleset *rs, size_t *n);

/* Embedded rule files, generated at build time from rules/. */
typedef struct mh_embedded_file {
	const char
	    *path; /* relative to rules/, e.g. "t1071.003/sentinel/x.yml" */
	const char *data;
	size_t len;
} mh_embedded_file;
extern const mh_embedded_file mh_embedded_rules[];
extern const size_t mh_embedded_rules_count;

#endif
