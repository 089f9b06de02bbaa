/* Private structures of the rule module (src/rule/ only).
 *
 * A compiled detection rule is a boolean tree (cnode) over predicates
 * (pred). A predicate tests one field (or, for keywords, every set field)
 * against a list of value matchers. Everything is allocated in the
 * ruleset's arena, except PCRE2 codes (kept in rs->res for freeing) and
 * the growable top-level arrays. */
#ifndef MH_RULE_RULE_INT_H
#define MH_RULE_RULE_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <yaml.h>

#include "rule/rule.h"
#include "util/arena.h"
#include "util/ip.h"

/* ---- matchers ---- */
enum mkind {
	M_EQ,	    /* whole value equals s */
	M_CONTAINS, /* s occurs in value */
	M_STARTS,
	M_ENDS,
	M_GLOB,	 /* s with wild[] marks: 1 = '*', 2 = '?' */
	M_ANY,	 /* pattern "*": any value (field must be set) */
	M_INTEQ, /* numeric equality with inum (MH_T_INT field) */
	M_RE,
	M_CIDR,
	M_NUM,	/* op (lt/lte/gt/gte) against num */
	M_NULL, /* field unset */
	M_REF,	/* compare to another field (op: EQ/CONTAINS/STARTS/ENDS) */
};

typedef struct mh_matcher {
	uint8_t kind;
	uint8_t cased;
	uint8_t op;	 /* M_NUM: MH_CMP_*; M_REF: M_EQ..M_ENDS */
	uint8_t num_int; /* M_NUM: num is an integer (inum valid) */
	uint32_t group;	 /* index of the rule value it came from */
	const char *s;	 /* literal, folded unless cased */
	const uint8_t *wild;
	size_t n;
	pcre2_code *re;
	/* M_RE: literals every match contains (re_lits.h), NULL: none */
	const struct mh_re_lits *lits;
	mh_cidr cidr;
	double num;
	int64_t inum;
	mh_field ref;
} mh_matcher;

/* Open-addressing hash set of folded strings (exact, case-insensitive). */
typedef struct strset {
	size_t cap; /* power of two; 0 = no set */
	size_t count;
	const char **s;
	uint32_t *n;
	uint64_t *h;
} strset;

typedef struct mh_pred {
	mh_field field; /* MH_F_NONE = keyword (every set field) */
	uint8_t exists; /* |exists predicate: exists_val says true/false */
	uint8_t exists_val;
	uint8_t all; /* every value (group) must match */
	uint8_t neg; /* |neq */
	uint8_t has_null;
	uint8_t has_cidr;
	uint8_t has_num;
	uint32_t ngroups;
	size_t nm;
	mh_matcher *m; /* sorted by group */
	size_t nints;
	int64_t *ints; /* sorted; any-mode integer equality values */
	strset set;
	int cost;
	/* rule index (rindex.c), valid when the ruleset has one: ix_fm is
	 * the (field, case mode) scanner that sets this predicate's slot
	 * bits (-1: no literal indexed, evaluate as without the index);
	 * slot ix_slot (any) or ix_slot + group (all) is set when an indexed
	 * literal of the predicate matched; ix_rest[0..ix_nrest) are the
	 * matchers the index does not cover (ints stay in ints). */
	int32_t ix_fm;
	uint32_t ix_slot;
	size_t ix_nrest;
	mh_matcher *ix_rest;
	uint8_t ix_seen; /* build-time mark */
} mh_pred;

enum copk { C_PRED, C_AND, C_OR, C_NOT, C_TRUE, C_FALSE };

typedef struct cnode {
	uint8_t op;
	uint32_t nkids;
	struct cnode **kids;
	mh_pred *pred;
	int cost;
} cnode;

typedef struct rx_index rx_index; /* rindex.c */

/* ---- raw correlation data, resolved in compile ---- */
typedef struct cref {
	const char *s;
	uint32_t line, col;
} cref;

typedef struct calias_ent {
	const char *rule;
	mh_field field;
	uint32_t line, col;
} calias_ent;

typedef struct calias {
	const char *name;
	size_t n;
	calias_ent *e;
} calias;

typedef struct corr_raw {
	size_t nrefs;
	cref *refs;
	size_t ngroup;
	cref *groups;
	size_t naliases;
	calias *aliases;
	bool generate;
	uint32_t line, col; /* of `correlation:` */
} corr_raw;

typedef struct rule_int {
	mh_rule pub; /* first member */
	cnode *root; /* detection rules */
	corr_raw *raw;
	mh_corr *corr;
} rule_int;

typedef struct placeholder {
	const char *name;
	size_t n;
	const char **vals;
} placeholder;

struct mh_ruleset {
	mh_arena arena;
	bool compiled;
	size_t nrules, caprules;
	rule_int **rules;
	size_t ndet;
	uint32_t *det; /* detection rule indexes */
	size_t nre, capre;
	pcre2_code **res;
	/* compiled regexes by pattern and options (compile.c), so that a
	 * pattern used by many rules (the evidence placeholders) is
	 * compiled and JIT-compiled once; entries point into res/arena */
	size_t nrec, caprec;
	struct re_cache_ent *rec;
	size_t nports, capports;
	mh_portmap_entry *ports;
	mh_profile_info *profile;
	size_t nph, capph;
	placeholder *ph;
	mh_fieldset fields;
	bool has_prefilter;
	mh_field pf_field;
	size_t pf_n;
	int64_t *pf_vals;
	bool pf_unset;	       /* issue 4: or pf_field is unset */
	bool pf_unset_proto;   /* ... possibly with Protocol set */
	mh_field pf_str_field; /* issue 4: or this field is set */
	/* mailhunt-lookalikes (lookalike_doc.c), in rs->arena */
	mh_lookalike *lookalikes;
	size_t nlookalikes;
	/* the rule index (rindex.c); NULL with MAILHUNT_NO_RULE_INDEX=1 */
	rx_index *ix;
};

/* Lazily parsed forms of one value (an element of a list field). */
typedef struct mh_elem {
	const char *p;
	size_t n;
	int ip_state; /* 0 unknown, 1 ok, -1 not an ip */
	mh_ip ip;
	int num_state;
	bool num_int;
	int64_t inum;
	double num;
	int int_state;
	int64_t ival;
} mh_elem;

/* Per-event cache of the parsed forms of a single-valued field. */
typedef struct rx_fcache {
	uint32_t epoch; /* == ctx epoch: e is valid for this event */
	mh_elem e;
} rx_fcache;

struct mh_match_ctx {
	pcre2_match_data *md;
	pcre2_match_context *mc; /* JIT stack + backtracking limit */
	pcre2_jit_stack *js;
	/* rule index scratch, sized for ix (NULL: none, use the plain
	 * matcher); cleared per event by mh_rindex_match() */
	const rx_index *ix;
	uint64_t *slots;   /* literal hits per predicate (group) */
	uint64_t *cand;	   /* detection rules an atom of clause 0 fired for */
	uint64_t *cand2;   /* ... of clause 1 (rindex.c) */
	uint64_t *fm_done; /* scanners already run on this event */
	uint8_t *lflags;   /* per literal: hit kinds seen (this field) */
	uint32_t *touched; /* literals with lflags != 0 */
	size_t ntouched;
	uint32_t epoch;
	rx_fcache fc[MH_F__COUNT];
};

/* ---- helpers shared between the files ---- */
static inline unsigned char mh_lc(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* Do the n bytes at a and at b agree, ASCII-folded (neither side needs
 * to be folded already)? */
static inline bool mh_fold_eq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (mh_lc((unsigned char)a[i]) != mh_lc((unsigned char)b[i]))
			return false;
	return true;
}

/* Grow *arr (elements of size sz) to hold at least need; MH_ENOMEM. */
mh_rc mh_rule_vec_grow(void **arr, size_t *cap, size_t need, size_t sz);

/* yaml.c: the document walker used by compile.c / corr_parse.c */
typedef struct pctx {
	mh_ruleset *rs;
	const char *name;
	yaml_document_t *doc;
	mh_err *err;
} pctx;

yaml_node_t *mh_y_node(pctx *c, int idx);
/* Value node of key in a mapping, NULL if absent. */
yaml_node_t *mh_y_get(pctx *c, yaml_node_t *map, const char *key);
bool mh_y_is_scalar(yaml_node_t *n);
bool mh_y_is_null(yaml_node_t *n);
const char *mh_y_str(yaml_node_t *n); /* scalar text (NUL-terminated) */
size_t mh_y_len(yaml_node_t *n);
/* Error at node n (1-based line:col) with err->field = field (may be
 * NULL). Returns rc. */
mh_rc mh_y_err(pctx *c, yaml_node_t *n, const char *field, mh_rc rc,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
mh_rc mh_y_err_at(pctx *c, uint32_t line, uint32_t col, const char *field,
		  mh_rc rc, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
char *mh_rs_strdup(mh_ruleset *rs, const char *s, size_t n);
void *mh_rs_alloc(mh_ruleset *rs, size_t n); /* zeroed */
mh_rc mh_rs_add_re(mh_ruleset *rs, pcre2_code *re);

/* compile.c */
mh_rc mh_detection_compile(pctx *c, yaml_node_t *det, rule_int *r);
/* corr_parse.c */
mh_rc mh_corr_parse(pctx *c, yaml_node_t *cor, yaml_node_t *root, rule_int *r);
mh_rc mh_corr_resolve(mh_ruleset *rs, rule_int *r, mh_err *err);
/* lookalike_doc.c: a `mailhunt-lookalikes:` document */
mh_rc mh_lookalike_doc_parse(pctx *c, yaml_node_t *list);
/* match.c */
bool mh_cnode_eval(const cnode *n, const mh_event *ev, mh_match_ctx *m);
/* The same verdict through the rule index: literal tests read the slot
 * bits of m (the scanners run on demand, once per event). Only under
 * mh_rindex_match(). */
bool mh_cnode_eval_ix(const cnode *n, const mh_event *ev, mh_match_ctx *m);
int mh_pred_cost(const mh_pred *p);
/* compile.c: FNV-1a of the ASCII-folded bytes (the strset hash). */
uint64_t mh_rule_fold_hash(const char *p, size_t n);
/* Signed decimal integer with optional spaces and all-zero fraction, as
 * integer equality reads a value. */
bool mh_rule_str_int(const char *p, size_t n, int64_t *out);

/* rindex.c: the compile-time rule index (see the comment there) */
mh_rc mh_rindex_build(mh_ruleset *rs);
/* How many fields have an Aho-Corasick automaton (tests: the others
 * fell back to the plain matcher at the size cap). */
size_t mh_rindex_automata(const mh_ruleset *rs);
void mh_rindex_free(rx_index *ix);
/* Scratch of m for rs's index; MH_ENOMEM. */
mh_rc mh_rindex_ctx_init(const mh_ruleset *rs, mh_match_ctx *m);
void mh_rindex_ctx_free(mh_match_ctx *m);
/* mh_ruleset_match() through the index (same result). */
size_t mh_rindex_match(const mh_ruleset *rs, mh_match_ctx *m,
		       const mh_event *ev, uint32_t *out, size_t cap);
/* Run scanner fm on ev unless it ran for this event. */
void mh_rindex_scan(mh_match_ctx *m, const mh_event *ev, int32_t fm);
/* Test bit i of a bitset. */
static inline bool mh_bit(const uint64_t *w, size_t i)
{
	return (w[i / 64] >> (i % 64)) & 1;
}

#endif
