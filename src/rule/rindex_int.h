/* The rule index's private types, shared by rindex.c (the literals and
 * their scanners), rindex_atoms.c (the rules' necessary atoms) and
 * rindex_match.c (the per-event scan). See rindex.c for the design. */
#ifndef MH_RULE_RINDEX_INT_H
#define MH_RULE_RINDEX_INT_H

#include "rule/rule_int.h"
#include "rule/vfilter.h"

#include <stdlib.h>
#include <string.h>

#define F_CONT	1u
#define F_START 2u
#define F_END	4u
#define F_EQ	8u

#define RX_OUT 0x80000000u /* DFA entry: the target state reports */
/* DFA size cap per scanner, in entries of 4 bytes (16 MiB): above it the
 * field's literals are tested by the plain matcher. The environment
 * variable MAILHUNT_RX_MAX_CELLS overrides it at compile (tests). */
#define RX_MAX_CELLS (1u << 22)

typedef struct rx_use {
	uint32_t slot;
	uint8_t bit; /* F_*: the kind of hit that sets the slot */
} rx_use;

typedef struct rx_lit {
	const char *s; /* folded unless cased */
	uint32_t n;
	uint32_t use0, nuse; /* uses[use0 .. use0 + nuse) */
	uint8_t need;	     /* union of the uses' bits */
	uint8_t eq;	     /* equality literal (hash), else automaton */
	uint8_t cased;	     /* compare the bytes exactly on a folded hit */
	int32_t fm;
	int32_t next; /* automaton: next literal, same folded bytes, or -1 */
	uint8_t anch; /* value prefilter cores: F_* where it may occur, 0 any */
} rx_lit;

/* A goto-only trie over byte classes, walked from the first byte of a
 * value (startswith) or backwards from the last one (endswith): at most
 * the length of the longest literal, usually a few bytes. delta[off +
 * cls[byte]] = next state * ncls | RX_OUT when a literal ends there, 0
 * for no edge (the root is no target). */
typedef struct rx_trie {
	uint32_t *delta;
	int32_t *term; /* by state: the first literal ending there, or -1 */
} rx_trie;

typedef struct rx_fm {
	mh_field field;
	uint8_t atom;	   /* carries some rule's atom: run on every event */
	uint8_t ac_ok;	   /* the automaton fits RX_MAX_CELLS */
	size_t total_len;  /* build: bytes of the automaton literals */
	uint8_t used[256]; /* build: bytes of the automaton literals */
	/* automaton: delta[state * ncls + cls[byte]] = next state * ncls,
	 * | RX_OUT when that state (or its fail chain) ends a literal */
	uint32_t ncls;
	uint8_t cls[256];
	uint32_t *delta;
	int32_t *term;	/* by state: the first literal ending there, or -1 */
	uint32_t *dict; /* by state: next state on the fail chain with a
			   term, 0 for none */
	/* startswith-only and endswith-only literals: anchored tries */
	rx_trie head, tail;
	/* equality literals: open addressing, hlit = literal + 1 */
	size_t hcap;
	uint32_t *hlit;
	uint64_t *hh;
} rx_fm;

/* Integer atoms of one field: (v[i], rule[i]) sorted by value. */
typedef struct rx_ints {
	mh_field f;
	size_t n;
	int64_t *v;
	uint32_t *rule;
} rx_ints;

/* CIDR atoms of one field, one group per prefix length: masked
 * networks sorted by bytes. */
typedef struct rx_cgroup {
	uint8_t bits;
	size_t n;
	uint8_t (*net)[16];
	uint32_t *rule;
} rx_cgroup;

typedef struct rx_cidrs {
	mh_field f;
	size_t ngrp;
	rx_cgroup *grp;
} rx_cidrs;

/* A core of a fingerprint table, with what the check of a hit needs
 * (so that a hit whose core does not match touches no rx_lit): its text
 * s[0..n), the offset of its window, its field (vf field index + 1), its
 * anchoring, pre (its first 8 bytes with the case bits set, when n >= 8)
 * and its uses (rx_lit.use0, nuse). */
typedef struct rx_fpe {
	const char *s;
	uint64_t pre;
	uint32_t n, use0, off, nuse;
	uint8_t fm, anch;
} rx_fpe;

/* A fingerprint table (rindex_vf.c): bits has h set when some core's
 * window of w bytes hashes to h; the cores of the r-th set bit (r: its
 * rank, rank[h / 64] plus the set bits below h in its word) are
 * ent[bstart[r] .. bstart[r + 1]). */
typedef struct rx_fp {
	unsigned w;
	uint64_t fmask; /* the fields (mh_vfilter.field indexes) of its cores */
	uint64_t *bits;
	uint32_t *rank, *bstart;
	rx_fpe *ent;
} rx_fp;

struct rx_index {
	size_t nfm;
	rx_fm *fm;
	size_t nlit;
	rx_lit *lit;
	size_t nuse;
	rx_use *use;
	size_t nslot;
	/* by slot: 0, or (det index << 2 | clauses) of the rule whose
	 * atom the slot is (clauses: bit 0 first, bit 1 second) */
	uint32_t *slot_rule;
	size_t ndet;
	uint64_t *always; /* rules with no atom */
	uint64_t *need2;  /* rules with a second clause */
	size_t nints;
	rx_ints *ints;
	size_t ncidrs;
	rx_cidrs *cidrs;
	size_t natom_fm;
	int32_t *atom_fm;
	/* the value prefilter (rindex_vf.c), NULL when there is none; its
	 * automaton is the one scanner of vx */
	mh_vfilter *vf;
	rx_index *vx;
	/* in vx only (rindex_vf.c): by core use, the rule clauses it marks
	 * (rule << 2 | clause bits); by rule, the clause bits it needs */
	uint32_t *vf_tag;
	uint8_t *vf_need;
	mh_vf_feed *vf_feed; /* by rule and clause: mh_vfilter.feed */
	/* in vx only: the cores' fingerprint tables (rindex_vf.c), by
	 * windows of 4 bytes and of 2 */
	struct rx_fp *fp4, *fp2;
	/* in vx only: fields with the same sources form a class
	 * (vf_cls, by scanner); a window's fingerprint is salted by its
	 * class, so a value is checked against the cores of the fields
	 * it feeds only. vf_cmask: by class, its fields (mask bits as
	 * mh_vfilter_scan()'s) */
	size_t nvcls;
	uint8_t vf_cls[1 + MH_VF_MAXF];
	uint64_t vf_cmask[MH_VF_MAXF];
	/* in vx only: bit a << 8 | b set when some IPv4 address a.b.x.y
	 * may lie in a CIDR block of cidrs (NULL: no such test) */
	uint64_t *vf_ip16;
	/* in vx only: bit v set when the integer table holds v (0 <= v <
	 * 65536; NULL: no table) */
	uint64_t *vf_int16;
};

/* bits of a 4-byte window's fingerprint: a 32 KiB bit set (in L1) */
#define VF_FP4_BITS 18

/* The salt of the fingerprints of class c's cores (0 for class 0). */
static inline uint32_t fp_salt(size_t c)
{
	return (uint32_t)c * 0x2545f491u;
}

/* The fingerprint of the w (4 or 2) bytes at p in a value of a class
 * salted salt: case bits set (a coarser fold than mh_lc(): equal folded
 * bytes give equal fingerprints), VF_FP4_BITS (w 4) or 16 bits (w 2). */
static inline uint32_t fp_hash(unsigned w, const char *p, uint32_t salt)
{
	if (w == 4) {
		uint32_t x;
		memcpy(&x, p, 4);
		return (((x | 0x20202020u) ^ salt) * 0x9e3779b1u) >>
		       (32 - VF_FP4_BITS);
	} else {
		uint16_t x;
		memcpy(&x, p, 2);
		return (((uint32_t)(x | 0x2020u) ^ salt) * 0x9e3779b1u) >> 16;
	}
}

static inline size_t words(size_t nbits)
{
	return nbits / 64 + 1;
}

static inline void set_bit(uint64_t *w, size_t i)
{
	w[i / 64] |= 1ULL << (i % 64);
}

/* A total order of 16-byte networks (not the byte order: two native
 * words, cheaper than memcmp in the probe's binary search). */
static inline int net_cmp(const uint8_t *a, const uint8_t *b)
{
	uint64_t x[2], y[2];

	memcpy(x, a, 16);
	memcpy(y, b, 16);
	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	if (x[1] != y[1])
		return x[1] < y[1] ? -1 : 1;
	return 0;
}

/* The first network of group G that holds ip (G->n when none); the
 * next ones that do follow it (same masked key). */
static inline size_t rx_cgroup_find(const rx_cgroup *G, const mh_ip *ip,
				    uint8_t key[16])
{
	unsigned full = G->bits / 8, rem = G->bits % 8;
	size_t lo = 0, hi = G->n;

	memset(key, 0, 16);
	memcpy(key, ip->b, full);
	if (rem)
		key[full] = ip->b[full] & (uint8_t)(0xff00u >> rem);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (net_cmp(G->net[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* --- build ---------------------------------------------------------------- */

typedef struct buse {
	uint32_t lit;
	rx_use u;
} buse;

typedef struct atom {
	uint8_t t; /* A_* */
	mh_field f;
	uint32_t slot;
	int64_t v;
	mh_cidr c;
} atom;

enum { A_SLOT, A_INT, A_CIDR };

typedef struct aset {
	atom *a;
	size_t n, cap;
	double score;
} aset;

typedef struct iatom {
	mh_field f;
	int64_t v;
	uint32_t rule;
} iatom;

typedef struct catom {
	mh_field f;
	uint8_t bits;
	uint8_t net[16];
	uint32_t rule;
} catom;

typedef struct bctx {
	mh_ruleset *rs;
	rx_index *ix;
	size_t max_cells; /* RX_MAX_CELLS or MAILHUNT_RX_MAX_CELLS */
	int32_t fmid[MH_F__COUNT];
	size_t capfm, caplit, capuse, capslot;
	buse *uses;
	/* literal dedupe: open addressing, lit + 1 */
	size_t lcap;
	uint32_t *lmap;
	uint64_t *lhash;
	/* per slot */
	double *slot_score;
	int32_t *slot_fm;
	uint8_t *slot_used;
	size_t capint, ncatom, capcatom;
	iatom *iat;
	size_t niat;
	catom *cat;
	/* the value prefilter (rindex_atoms.c's vf_note()): by rule, its
	 * clause bits; vf_off when a rule has none */
	uint8_t *vf_need;
	bool vf_off;
	iatom *vf_iat; /* integer atoms (field NONE, tag rule << 2 | bit) */
	size_t nvf_iat, capvf_iat;
	catom *vf_cat; /* CIDR atoms (the same) */
	size_t nvf_cat, capvf_cat;
	mh_fieldset vf_intf, vf_ipf; /* their fields */
} bctx;

static inline bool pred_indexable(const mh_pred *p)
{
	return p->field != MH_F_NONE && !p->exists;
}

/* rindex.c: the Aho-Corasick DFA (and anchored tries) of scanner F =
 * ix->fm[fmi] over the literals of ix with fm == fmi, from F->used. */
mh_rc mh_rx_ac_build(rx_index *ix, rx_fm *F, int32_t fmi);
/* rindex_atoms.c */
mh_rc mh_rx_atoms_build(bctx *b);
mh_rc mh_rx_cidr_tables(catom *cat, size_t n, rx_cidrs **out, size_t *nout);
mh_rc mh_rx_int_tables(iatom *iat, size_t n, rx_ints **out, size_t *nout);
/* rindex_vf.c: b->ix->vf from the clauses rindex_atoms.c chose */
mh_rc mh_rx_vf_build(bctx *b);

#endif
