/* The value prefilter (rule/vfilter.h), built from the clauses of the
 * rule index: the cores of the literals of the slot atoms, each with the
 * rule clauses its literal's slots are atoms of; the integer and CIDR
 * atoms in one table each. All of it lives in vx, a private rx_index.
 *
 * Cores are found in a value by a window of their bytes: each position
 * of the value hashes its next 4 bytes (case bits set) into a 2^18-bit
 * set; a set bit sends to the cores with that window hash, compared in
 * full (ASCII-folded). Cores of 2 or 3 bytes have a table of their own,
 * by 2-byte windows (the hash is the pair itself), and cores of one byte
 * a DFA per field (rindex.c builds it). A DFA over 1,000 and more cores
 * takes megabytes and a cache miss per byte; a bit set is 32 KiB and no
 * position depends on the one before. */
#include "event/normalize.h"
#include "rule/rindex_int.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define VF_SIMD 1
#endif

/* The longest run of s[0..n) without '\\' or '/' (the first one of that
 * length): *off, *len (0 when s has none). */
static void core_of(const char *s, size_t n, size_t *off, size_t *len)
{
	size_t i = 0;

	*off = *len = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && s[j] != '\\' && s[j] != '/')
			j++;
		if (j - i > *len) {
			*off = i;
			*len = j - i;
		}
		i = j + 1;
	}
}

/* Does normalising leave field f as read (its sources: f alone)? */
static bool only_itself(const mh_fieldset *src, mh_field f)
{
	for (int g = 0; g < MH_F__COUNT; g++)
		if (g != (int)f && mh_fieldset_has(src, (mh_field)g))
			return false;
	return mh_fieldset_has(src, f);
}

/* How many of L's uses are on slots that are some rule's atom. */
static uint32_t atom_uses(const rx_index *ix, const rx_lit *L)
{
	uint32_t n = 0;

	for (uint32_t u = L->use0; u < L->use0 + L->nuse; u++)
		n += ix->slot_rule[ix->use[u].slot] != 0;
	return n;
}

/* Adds the core of L to vx, its uses (the rule clauses of L's atom
 * slots, as slot_rule holds them) to vx->vf_tag from *nuse on; false
 * when L has no core or its field has no known sources. */
static bool add_core(const rx_index *ix, rx_index *vx, mh_fieldset *fields,
		     const rx_lit *L, size_t *nuse)
{
	mh_field f = ix->fm[L->fm].field;
	mh_fieldset src;
	rx_fm *F;
	rx_lit *C;
	size_t off, len, fi;
	uint8_t anch = 0;

	memset(&src, 0, sizeof(src));
	if (!mh_event_norm_sources(f, &src))
		return false;
	if (only_itself(&src, f)) {
		/* the value as read is the value matched: the whole
		 * literal, where its atom uses may find it */
		off = 0;
		len = L->n;
		for (uint32_t u = L->use0; u < L->use0 + L->nuse; u++)
			if (ix->slot_rule[ix->use[u].slot])
				anch |= ix->use[u].bit;
		if (anch & F_CONT)
			anch = 0;
	} else {
		core_of(L->s, L->n, &off, &len);
	}
	if (!len)
		return false;
	/* the core's field: scanner 1 + its index (fm[0] is unused) */
	for (fi = 1; fi < vx->nfm && vx->fm[fi].field != f; fi++)
		;
	if (fi == vx->nfm) {
		if (fi == 1 + MH_VF_MAXF)
			return false;
		vx->fm[vx->nfm++].field = f;
	}
	F = &vx->fm[fi];
	mh_fieldset_add(fields, f);
	C = &vx->lit[vx->nlit++];
	memset(C, 0, sizeof(*C));
	C->s = L->s + off;
	C->n = (uint32_t)len;
	C->fm = (int32_t)fi;
	C->next = -1;
	C->anch = len >= 2 ? anch : 0; /* the DFA (1 byte) finds any */
	/* only 1-byte cores go to the DFA: the others to a fingerprint
	 * table */
	C->need = len >= 2 ? 0 : F_CONT;
	C->use0 = (uint32_t)*nuse;
	for (uint32_t u = L->use0; u < L->use0 + L->nuse; u++) {
		uint32_t r = ix->slot_rule[ix->use[u].slot];
		if (r)
			vx->vf_tag[(*nuse)++] = r;
	}
	C->nuse = (uint32_t)*nuse - C->use0;
	if (len < 2) {
		F->total_len += len;
		for (size_t i = 0; i < len; i++)
			F->used[mh_lc((unsigned char)C->s[i])] = 1;
	}
	return true;
}

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

/* How common the w bytes at p may be in log text (lower: rarer): digits
 * and rare letters low, frequent letters, blanks and punctuation such as
 * the '.' of ".exe" high. A core is looked for by its rarest window, so
 * that text holding none of the cores seldom hits the bit set. */
static unsigned fp_common(const char *p, unsigned w)
{
	unsigned sum = 0;

	for (unsigned i = 0; i < w; i++) {
		unsigned char c = mh_lc((unsigned char)p[i]);
		if (c >= '0' && c <= '9')
			sum += 1;
		else if (strchr("qzxjkvwybgpfm", c) && c)
			sum += 2;
		else if (strchr("etaoinsrhldcu", c) && c)
			sum += 5;
		else if (strchr(". -_:=", c) && c)
			sum += 6;
		else
			sum += 3;
	}
	return sum;
}

/* The length of s[0..n) without its file name extension (a '.' and 1
 * to 4 letters or digits at its end), else n. Extensions such as ".exe"
 * are in most values of a path field: a window there would hit on
 * nearly every record. */
static uint32_t fp_stem(const char *s, uint32_t n)
{
	for (uint32_t k = 1; k <= 4 && k < n; k++) {
		unsigned char c = (unsigned char)s[n - k];
		if (c == '.')
			return k > 1 ? n - k : n;
		if (!((c | 0x20) >= 'a' && (c | 0x20) <= 'z') &&
		    !(c >= '0' && c <= '9'))
			return n;
	}
	return n;
}

/* Does table T take core C (its length)? */
static bool fp_takes(unsigned w, const rx_lit *C)
{
	return w == 4 ? C->n >= 4 : C->n >= 2 && C->n < 4;
}

/* The fingerprint table of vx's cores of w-byte windows (w 4: 4 bytes and
 * longer; w 2: 2 and 3 bytes). Each core takes its rarest window
 * (fp_common()), and among those the one whose hash has the fewest cores
 * so far: cores that share a prefix ("Invoke-WebRequest ...") then spread
 * over their distinct parts, and a hit is checked against few cores.
 * NULL (MH_OK) when no core. */
static mh_rc build_fp(rx_index *vx, unsigned w, rx_fp **out)
{
	uint32_t *cnt = NULL, *off = NULL, *hash = NULL, nh, nw, nset = 0;
	rx_fp *T;
	size_t n = 0;
	mh_rc rc = MH_ENOMEM;

	for (size_t l = 0; l < vx->nlit; l++)
		n += fp_takes(w, &vx->lit[l]);
	if (!n)
		return MH_OK;
	*out = T = calloc(1, sizeof(*T));
	if (!T)
		return MH_ENOMEM;
	T->w = w;
	nh = w == 4 ? 1u << VF_FP4_BITS : 1u << 16;
	nw = nh / 64;
	T->bits = calloc(nw, sizeof(*T->bits));
	T->rank = calloc(nw, sizeof(*T->rank));
	T->ent = calloc(n, sizeof(*T->ent));
	cnt = calloc(nh, sizeof(*cnt));
	off = calloc(vx->nlit, sizeof(*off));
	hash = calloc(vx->nlit, sizeof(*hash));
	if (!T->bits || !T->rank || !T->ent || !cnt || !off || !hash)
		goto out;
	for (size_t l = 0; l < vx->nlit; l++) {
		const rx_lit *C = &vx->lit[l];
		uint32_t salt = fp_salt(vx->vf_cls[C->fm]), lim, best, h;
		if (!fp_takes(w, C))
			continue;
		lim = fp_stem(C->s, C->n);
		if (lim < w)
			lim = C->n;
		best = 0;
		for (uint32_t o = 1; o + w <= lim; o++) {
			unsigned a = fp_common(C->s + o, w),
				 b = fp_common(C->s + best, w);
			if (a < b ||
			    (a == b && cnt[fp_hash(w, C->s + o, salt)] <
					   cnt[fp_hash(w, C->s + best, salt)]))
				best = o;
		}
		off[l] = best;
		T->fmask |= 1ULL << (C->fm - 1);
		hash[l] = h = fp_hash(w, C->s + best, salt);
		T->bits[h / 64] |= 1ULL << (h % 64);
		cnt[h]++;
	}
	for (uint32_t k = 0; k < nw; k++) {
		T->rank[k] = nset;
		nset += (uint32_t)__builtin_popcountll(T->bits[k]);
	}
	T->bstart = calloc(nset + 1, sizeof(*T->bstart));
	if (!T->bstart)
		goto out;
	/* bstart by rank; cnt[h] then the next free entry of h */
	for (uint32_t h = 0, r = 0; h < nh; h++)
		if (cnt[h]) {
			T->bstart[r + 1] = T->bstart[r] + cnt[h];
			cnt[h] = T->bstart[r++];
		}
	for (size_t l = 0; l < vx->nlit; l++) {
		const rx_lit *C = &vx->lit[l];
		rx_fpe *E;
		if (!fp_takes(w, C))
			continue;
		E = &T->ent[cnt[hash[l]]++];
		E->s = C->s;
		E->n = C->n;
		E->off = off[l];
		E->fm = (uint8_t)C->fm;
		E->anch = C->anch;
		E->use0 = C->use0;
		E->nuse = C->nuse;
		if (C->n >= 8) {
			memcpy(&E->pre, C->s, 8);
			E->pre |= 0x2020202020202020ULL;
		}
	}
	rc = MH_OK;
out:
	free(cnt);
	free(off);
	free(hash);
	return rc;
}

/* vx's scanners into classes of fields with equal sources (a value
 * feeds all fields of a class or none of them): vx->vf_cls,
 * vf_cmask, nvcls. */
static void fp_classes(rx_index *vx)
{
	mh_fieldset src[1 + MH_VF_MAXF];

	vx->nvcls = 0;
	for (size_t k = 1; k < vx->nfm; k++) {
		size_t j;
		memset(&src[k], 0, sizeof(src[k]));
		mh_event_norm_sources(vx->fm[k].field, &src[k]);
		for (j = 1; j < k; j++)
			if (!memcmp(&src[j], &src[k], sizeof(src[k])))
				break;
		vx->vf_cls[k] = j < k ? vx->vf_cls[j] : (uint8_t)vx->nvcls++;
		vx->vf_cmask[vx->vf_cls[k]] |= 1ULL << (k - 1);
	}
}

/* The cores of the atom literals into vx (its DFA and uses); MH_OK with
 * *ok false when there is no value prefilter. */
static mh_rc build_cores(const bctx *b, rx_index *vx, mh_fieldset *fields,
			 bool *ok)
{
	const rx_index *ix = b->ix;
	size_t n = 0, nuse = 0, ncls = 1;

	*ok = false;
	for (size_t l = 0; l < ix->nlit; l++) {
		uint32_t k = atom_uses(ix, &ix->lit[l]);
		n += k > 0;
		nuse += k;
	}
	vx->fm = calloc(1 + MH_VF_MAXF, sizeof(*vx->fm));
	vx->lit = calloc(n ? n : 1, sizeof(*vx->lit));
	vx->vf_tag = calloc(nuse ? nuse : 1, sizeof(*vx->vf_tag));
	if (!vx->fm || !vx->lit || !vx->vf_tag)
		return MH_ENOMEM;
	vx->nfm = 1;
	nuse = 0;
	for (size_t l = 0; l < ix->nlit; l++)
		if (atom_uses(ix, &ix->lit[l]) &&
		    !add_core(ix, vx, fields, &ix->lit[l], &nuse))
			return MH_OK;
	for (size_t k = 1; k < vx->nfm; k++) {
		rx_fm *F = &vx->fm[k];
		mh_rc rc;
		ncls = 1;
		for (int c = 0; c < 256; c++)
			ncls += F->used[c];
		if ((F->total_len + 1) * ncls > b->max_cells)
			return MH_OK;
		if ((rc = mh_rx_ac_build(vx, F, (int32_t)k)))
			return rc;
	}
	fp_classes(vx);
	if (n) {
		mh_rc rc = build_fp(vx, 4, &vx->fp4);
		if (rc || (rc = build_fp(vx, 2, &vx->fp2)))
			return rc;
	}
	*ok = true;
	return MH_OK;
}

/* vx->vf_ip16 from the CIDR table (IPv4 addresses are ::ffff:a.b.c.d):
 * the blocks that hold IPv4 addresses, by their first two bytes; none
 * when there is no block or one holds every IPv4 address. false: out of
 * memory. */
static bool ip16_build(rx_index *vx)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0,    0,
					   0, 0, 0, 0, 0xff, 0xff};
	const rx_cidrs *t = vx->ncidrs ? &vx->cidrs[0] : NULL;
	uint64_t *w;

	if (!t)
		return true;
	w = calloc(1024, sizeof(*w));
	if (!w)
		return false;
	for (size_t g = 0; g < t->ngrp; g++) {
		const rx_cgroup *G = &t->grp[g];
		unsigned pb = G->bits < 96 ? G->bits : 96, q;
		for (size_t k = 0; k < G->n; k++) {
			const uint8_t *net = G->net[k];
			uint32_t base, span;
			/* the block's first min(bits, 96) bits against the
			 * mapped prefix (the network is masked) */
			if (memcmp(net, mapped, pb / 8) ||
			    (pb % 8 && (net[pb / 8] ^ mapped[pb / 8]) &
					   (0xff00u >> (pb % 8))))
				continue;
			if (G->bits <= 96) {
				free(w); /* every IPv4 address */
				return true;
			}
			q = G->bits - 96 < 16 ? G->bits - 96 : 16;
			base = (uint32_t)(net[12] << 8 | net[13]) &
			       (0xffff0000u >> q);
			span = 1u << (16 - q);
			for (uint32_t x = base; x < base + span; x++)
				w[x / 64] |= 1ULL << (x % 64);
		}
	}
	vx->vf_ip16 = w;
	return true;
}

/* vx->vf_int16 from the integer table. false: out of memory. */
static bool int16_build(rx_index *vx)
{
	const rx_ints *t = vx->nints ? &vx->ints[0] : NULL;

	if (!t)
		return true;
	vx->vf_int16 = calloc(1024, sizeof(*vx->vf_int16));
	if (!vx->vf_int16)
		return false;
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i] >= 0 && t->v[i] < 65536)
			vx->vf_int16[t->v[i] / 64] |= 1ULL << (t->v[i] % 64);
	return true;
}

/* The first two numbers a, b of a value that is an IPv4 address if any
 * address (1 to 3 digits, '.', 1 to 3 digits, '.': mh_ip_parse() reads
 * such a value as IPv4 or not at all), as a << 8 | b; false when the
 * value does not start so. */
static bool v4_head(const char *p, size_t n, unsigned *ab)
{
	size_t i = 0;

	*ab = 0;
	for (int k = 0; k < 2; k++) {
		unsigned x = 0, d = 0;
		for (; i < n && p[i] >= '0' && p[i] <= '9' && d < 4; i++, d++)
			x = x * 10 + (unsigned)(p[i] - '0');
		if (!d || d > 3 || x > 255 || i >= n || p[i] != '.')
			return false;
		i++;
		*ab = *ab << 8 | x;
	}
	return true;
}

/* May the parsed address ip lie in vx's CIDR blocks? false only for an
 * IPv4 (or IPv4-mapped) address whose first two bytes are in no block. */
static bool ip16_maybe(const rx_index *vx, const mh_ip *ip)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0,    0,
					   0, 0, 0, 0, 0xff, 0xff};
	unsigned x = (unsigned)ip->b[12] << 8 | ip->b[13];

	return !vx->vf_ip16 || memcmp(ip->b, mapped, 12) ||
	       (vx->vf_ip16[x / 64] >> (x % 64) & 1);
}

/* vx->vf_feed: what marks each clause of each of the ndet rules (the
 * cores' fields, the integer and CIDR atoms of b). false: out of
 * memory. */
static bool feed_build(const bctx *b, rx_index *vx, size_t ndet)
{
	mh_vf_feed *fd = calloc(ndet ? 2 * ndet : 1, sizeof(*fd));

	if (!fd)
		return false;
	for (size_t l = 0; l < vx->nlit; l++) {
		const rx_lit *C = &vx->lit[l];
		for (uint32_t u = C->use0; u < C->use0 + C->nuse; u++) {
			uint32_t t = vx->vf_tag[u];
			for (unsigned k = 0; k < 2; k++)
				if (t >> k & 1)
					fd[2 * (t >> 2) + k].text |=
					    1ULL << (C->fm - 1);
		}
	}
	for (size_t i = 0; i < b->nvf_iat + b->nvf_cat; i++) {
		uint32_t t = i < b->nvf_iat ? b->vf_iat[i].rule
					    : b->vf_cat[i - b->nvf_iat].rule;
		for (unsigned k = 0; k < 2; k++)
			if (t >> k & 1)
				fd[2 * (t >> 2) + k].kind |=
				    i < b->nvf_iat ? MH_VF_FEED_INT
						   : MH_VF_FEED_IP;
	}
	vx->vf_feed = fd;
	return true;
}

mh_rc mh_rx_vf_build(bctx *b)
{
	rx_index *ix = b->ix, *vx = NULL;
	mh_vfilter *vf = NULL;
	mh_fieldset fields;
	bool ok = false;
	mh_rc rc = MH_ENOMEM;

	if (b->vf_off)
		return MH_OK;
	memset(&fields, 0, sizeof(fields));
	vx = calloc(1, sizeof(*vx));
	if (!vx)
		goto out;
	if ((rc = build_cores(b, vx, &fields, &ok)) || !ok)
		goto out; /* none (ok false, rc MH_OK) or out of memory */
	if ((rc = mh_rx_int_tables(b->vf_iat, b->nvf_iat, &vx->ints,
				   &vx->nints)) ||
	    (rc = mh_rx_cidr_tables(b->vf_cat, b->nvf_cat, &vx->cidrs,
				    &vx->ncidrs)))
		goto out;
	rc = MH_ENOMEM;
	if (!ip16_build(vx) || !int16_build(vx) || !feed_build(b, vx, ix->ndet))
		goto out;
	vf = calloc(1, sizeof(*vf));
	if (!vf)
		goto out;
	vx->ndet = ix->ndet;
	vx->vf_need = b->vf_need; /* taken over */
	b->vf_need = NULL;
	vf->fields = fields;
#ifdef VF_SIMD
	/* MAILHUNT_VF_SIMD=0: the scalar scan (tests, comparisons) */
	{
		const char *e = getenv("MAILHUNT_VF_SIMD");
		vf->simd =
		    __builtin_cpu_supports("avx2") && !(e && !strcmp(e, "0"));
	}
#endif
	vf->nfield = vx->nfm - 1;
	for (size_t k = 1; k < vx->nfm; k++)
		vf->field[k - 1] = vx->fm[k].field;
	vf->intfields = b->vf_intf;
	vf->ipfields = b->vf_ipf;
	vf->nrules = ix->ndet;
	vf->need = vx->vf_need;
	vf->feed = vx->vf_feed;
	vf->vx = vx;
	ix->vf = vf;
	ix->vx = vx;
	return MH_OK;
out:
	free(vf);
	mh_rindex_free(vx);
	return rc;
}

const mh_vfilter *mh_ruleset_vfilter(const mh_ruleset *rs)
{
	return rs && rs->ix ? rs->ix->vf : NULL;
}

/* ================================================================ match */

mh_rc mh_vf_state_init(const mh_vfilter *vf, mh_vf_state *s)
{
	memset(s, 0, sizeof(*s));
	s->hit = calloc(vf->nrules ? vf->nrules : 1, 1);
	s->touched =
	    malloc((vf->nrules ? vf->nrules : 1) * sizeof(*s->touched));
	if (!s->hit || !s->touched) {
		mh_vf_state_free(s);
		return MH_ENOMEM;
	}
	return MH_OK;
}

void mh_vf_state_free(mh_vf_state *s)
{
	free(s->hit);
	free(s->touched);
	memset(s, 0, sizeof(*s));
}

/* Clauses `tag & 3` of rule `tag >> 2` saw an atom: is the rule
 * complete? */
static inline bool mark(const mh_vfilter *vf, mh_vf_state *s, uint32_t tag)
{
	uint32_t r = tag >> 2;

	if (!s->hit[r])
		s->touched[s->nt++] = r;
	s->hit[r] |= (uint8_t)(tag & 3);
	return (s->hit[r] & vf->need[r]) == vf->need[r];
}

/* The short cores of F ending at its DFA state st (an offset, RX_OUT
 * cleared). */
static bool report_short(const mh_vfilter *vf, const rx_fm *F, mh_vf_state *s,
			 uint32_t st)
{
	const rx_index *vx = vf->vx;
	uint32_t n = st / F->ncls;
	uint32_t t = F->term[n] >= 0 ? n : F->dict[n];
	bool done = false;

	for (; t; t = F->dict[t])
		for (int32_t l = F->term[t]; l >= 0; l = vx->lit[l].next) {
			const rx_lit *C = &vx->lit[l];
			for (uint32_t u = C->use0; u < C->use0 + C->nuse; u++)
				done |= mark(vf, s, vx->vf_tag[u]);
		}
	return done;
}

/* The cores of table T (of the fields in mask) whose window is at
 * position i of p[0..n), with hash h (its bit set): true when a rule is
 * complete. */
static bool fp_hit(const mh_vfilter *vf, const rx_fp *T, mh_vf_state *s,
		   uint64_t mask, const char *p, size_t n, size_t i, uint32_t h)
{
	const rx_index *vx = vf->vx;
	uint64_t below = T->bits[h / 64] & ((1ULL << (h % 64)) - 1);
	uint32_t r = T->rank[h / 64] + (uint32_t)__builtin_popcountll(below);

	for (uint32_t k = T->bstart[r]; k < T->bstart[r + 1]; k++) {
		const rx_fpe *E = &T->ent[k];
		bool done = false;
		size_t at = i - E->off;
		if (!(mask >> (E->fm - 1) & 1) || E->off > i || E->n > n - at)
			continue;
		if (E->n >= 8) {
			uint64_t x;
			memcpy(&x, p + at, 8);
			if ((x | 0x2020202020202020ULL) != E->pre)
				continue;
		}
		if (!mh_fold_eq(p + at, E->s, E->n))
			continue;
		if (E->anch && !((E->anch & F_START && at == 0) ||
				 (E->anch & F_END && at + E->n == n) ||
				 (E->anch & F_EQ && at == 0 && E->n == n)))
			continue;
		for (uint32_t u = E->use0; u < E->use0 + E->nuse; u++)
			done |= mark(vf, s, vx->vf_tag[u]);
		if (done)
			return true;
	}
	return false;
}

/* The tables of one pass over a value: the 4- and 2-byte tables (NULL
 * when the class has no core there), the class's fields and salt. */
typedef struct fp_pass {
	const rx_fp *t4, *t2;
	uint64_t mask;
	uint32_t salt;
} fp_pass;

/* The cores of the pass's tables in p[0..n), from position i on. */
static bool scan_fp_from(const mh_vfilter *vf, const fp_pass *ps,
			 mh_vf_state *s, const char *p, size_t n, size_t i)
{
	for (; i + 2 <= n; i++) {
		uint32_t h;

		if (ps->t4 && i + 4 <= n) {
			h = fp_hash(4, p + i, ps->salt);
			if (MH_UNLIKELY(ps->t4->bits[h / 64] >> (h % 64) & 1) &&
			    fp_hit(vf, ps->t4, s, ps->mask, p, n, i, h))
				return true;
		}
		if (ps->t2) {
			h = fp_hash(2, p + i, ps->salt);
			if (MH_UNLIKELY(ps->t2->bits[h / 64] >> (h % 64) & 1) &&
			    fp_hit(vf, ps->t2, s, ps->mask, p, n, i, h))
				return true;
		}
	}
	return false;
}

#ifdef VF_SIMD
/* The bit-set hits (bit j: position j) of table T for 8 windows
 * shuffled out of the 16 bytes of v by sh, salted sl: the windows
 * hashed (w 4: VF_FP4_BITS, else 16 bits) and their bits gathered from
 * the bit set (as 32-bit words: the same bits on a little-endian
 * machine). */
__attribute__((target("avx2"), always_inline)) static inline unsigned
fp_hits8(const rx_fp *T, __m256i v, __m256i sh, __m256i sl)
{
	const bool w4 = T->w == 4;
	__m256i h, g;

	h = _mm256_xor_si256(
	    _mm256_or_si256(_mm256_shuffle_epi8(v, sh),
			    _mm256_set1_epi32(w4 ? 0x20202020 : 0x2020)),
	    sl);
	h = _mm256_srl_epi32(
	    _mm256_mullo_epi32(h, _mm256_set1_epi32((int)0x9e3779b1u)),
	    _mm_cvtsi32_si128(w4 ? 32 - VF_FP4_BITS : 16));
	g = _mm256_i32gather_epi32((const int *)T->bits,
				   _mm256_srli_epi32(h, 5), 4);
	g = _mm256_srlv_epi32(g, _mm256_and_si256(h, _mm256_set1_epi32(31)));
	return (unsigned)_mm256_movemask_ps(
	    _mm256_castsi256_ps(_mm256_slli_epi32(g, 31)));
}

/* The hits m (bit j: position at + j) of table T checked. */
static bool fp_hits_check(const mh_vfilter *vf, const fp_pass *ps,
			  const rx_fp *T, mh_vf_state *s, const char *p,
			  size_t n, size_t at, unsigned m)
{
	for (; m; m &= m - 1) {
		size_t k = at + (size_t)__builtin_ctz(m);
		if (fp_hit(vf, T, s, ps->mask, p, n, k,
			   fp_hash(T->w, p + k, ps->salt)))
			return true;
	}
	return false;
}

/* The windows at offsets o..o+7 of 16 bytes: byte shuffle sh (the
 * windows at 0..7, -1 for bytes of none) moved by o. */
__attribute__((target("avx2"), always_inline)) static inline __m256i
fp_shift(__m256i sh, char o)
{
	return _mm256_or_si256(_mm256_add_epi8(sh, _mm256_set1_epi8(o)),
			       _mm256_cmpeq_epi8(sh, _mm256_set1_epi8(-1)));
}

/* scan_fp_from(p, n, 0), 8 positions at a time from 16-byte loads. A
 * value of 16 bytes or more ends with a load of its last 16 bytes (at
 * b): the positions left, i..n-w with b < i <= b + 8, are those of the
 * windows at b+1..b+8 from i on, and at b+9..b+12 (w 4) or b+9..b+14
 * (w 2). A shorter value is left to the scalar scan. */
__attribute__((target("avx2"))) static bool
scan_fp_avx2(const mh_vfilter *vf, const fp_pass *ps, mh_vf_state *s,
	     const char *p, size_t n)
{
	const __m256i sh4 =
	    _mm256_setr_epi8(0, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 5, 3, 4, 5, 6, 4,
			     5, 6, 7, 5, 6, 7, 8, 6, 7, 8, 9, 7, 8, 9, 10);
	const __m256i sh2 = _mm256_setr_epi8(
	    0, 1, -1, -1, 1, 2, -1, -1, 2, 3, -1, -1, 3, 4, -1, -1, 4, 5, -1,
	    -1, 5, 6, -1, -1, 6, 7, -1, -1, 7, 8, -1, -1);
	const __m256i sl = _mm256_set1_epi32((int)ps->salt);
	size_t i = 0, b;
	unsigned first;
	__m256i v;

	if (n < 16)
		return scan_fp_from(vf, ps, s, p, n, 0);
	for (; i + 16 <= n; i += 8) {
		v = _mm256_broadcastsi128_si256(
		    _mm_loadu_si128((const __m128i *)(const void *)(p + i)));
		if ((ps->t4 && fp_hits_check(vf, ps, ps->t4, s, p, n, i,
					     fp_hits8(ps->t4, v, sh4, sl))) ||
		    (ps->t2 && fp_hits_check(vf, ps, ps->t2, s, p, n, i,
					     fp_hits8(ps->t2, v, sh2, sl))))
			return true;
	}
	b = n - 16;
	first = 0xffu << (i - b - 1);
	v = _mm256_broadcastsi128_si256(
	    _mm_loadu_si128((const __m128i *)(const void *)(p + b)));
	if (ps->t4 &&
	    (fp_hits_check(vf, ps, ps->t4, s, p, n, b + 1,
			   fp_hits8(ps->t4, v, fp_shift(sh4, 1), sl) & first) ||
	     fp_hits_check(vf, ps, ps->t4, s, p, n, b + 5,
			   fp_hits8(ps->t4, v, fp_shift(sh4, 5), sl) & 0xf0)))
		return true;
	return ps->t2 &&
	       (fp_hits_check(vf, ps, ps->t2, s, p, n, b + 1,
			      fp_hits8(ps->t2, v, fp_shift(sh2, 1), sl) &
				  first) ||
		fp_hits_check(vf, ps, ps->t2, s, p, n, b + 7,
			      fp_hits8(ps->t2, v, fp_shift(sh2, 7), sl) &
				  0xfc));
}
#endif

/* The cores of the fingerprint tables of the fields in mask in p[0..n):
 * one pass per class of those fields. */
static bool scan_fp(const mh_vfilter *vf, mh_vf_state *s, uint64_t mask,
		    const char *p, size_t n)
{
	const rx_index *vx = vf->vx;
	uint64_t m4 = vx->fp4 ? vx->fp4->fmask : 0,
		 m2 = vx->fp2 ? vx->fp2->fmask : 0;

	for (uint64_t m = mask & (m4 | m2); m;) {
		size_t c = vx->vf_cls[1 + __builtin_ctzll(m)];
		fp_pass ps;
		ps.mask = m & vx->vf_cmask[c];
		ps.t4 = ps.mask & m4 ? vx->fp4 : NULL;
		ps.t2 = ps.mask & m2 ? vx->fp2 : NULL;
		ps.salt = fp_salt(c);
		m &= ~vx->vf_cmask[c];
#ifdef VF_SIMD
		if (vf->simd) {
			if (scan_fp_avx2(vf, &ps, s, p, n))
				return true;
			continue;
		}
#endif
		if (scan_fp_from(vf, &ps, s, p, n, 0))
			return true;
	}
	return false;
}

bool mh_vfilter_scan(const mh_vfilter *vf, mh_vf_state *s, uint64_t mask,
		     const char *p, size_t n)
{
	const rx_index *vx = vf->vx;

	for (uint64_t m = mask; m; m &= m - 1) {
		const rx_fm *F = &vx->fm[1 + __builtin_ctzll(m)];
		const uint32_t *d = F->delta;
		uint32_t q = 0;
		if (!d)
			continue;
		for (size_t i = 0; i < n; i++) {
			q = d[q + F->cls[(unsigned char)p[i]]];
			if (MH_UNLIKELY(q & RX_OUT)) {
				q &= ~RX_OUT;
				if (report_short(vf, F, s, q))
					return true;
			}
		}
	}
	return scan_fp(vf, s, mask, p, n);
}

bool mh_vfilter_int(const mh_vfilter *vf, mh_vf_state *s, const char *p,
		    size_t n)
{
	const rx_ints *t = vf->vx->nints ? &vf->vx->ints[0] : NULL;
	size_t lo = 0, hi;
	int64_t v;
	bool done = false;

	if (!t || !mh_rule_str_int(p, n, &v) ||
	    (v >= 0 && v < 65536 &&
	     !(vf->vx->vf_int16[v / 64] >> (v % 64) & 1)))
		return false;
	hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->v[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < t->n && t->v[lo] == v; lo++)
		done |= mark(vf, s, t->rule[lo]);
	return done;
}

bool mh_vfilter_ip(const mh_vfilter *vf, mh_vf_state *s, const char *p,
		   size_t n)
{
	const rx_cidrs *t = vf->vx->ncidrs ? &vf->vx->cidrs[0] : NULL;
	const uint64_t *w = vf->vx->vf_ip16;
	mh_ip ip;
	unsigned ab;
	bool done = false;

	/* most addresses: no parse when their a.b lies in no block */
	if (!t || (w && v4_head(p, n, &ab) && !(w[ab / 64] >> (ab % 64) & 1)) ||
	    !mh_ip_parse(p, n, &ip) || !ip16_maybe(vf->vx, &ip))
		return false;
	for (size_t g = 0; g < t->ngrp; g++) {
		const rx_cgroup *G = &t->grp[g];
		uint8_t key[16];
		for (size_t k = rx_cgroup_find(G, &ip, key);
		     k < G->n && !net_cmp(G->net[k], key); k++)
			done |= mark(vf, s, G->rule[k]);
	}
	return done;
}
