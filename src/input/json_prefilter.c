/* The JSON reader's prefilter fast path (issue 4): decide from the raw
 * NDJSON line, without a parse, that a record cannot match the ruleset's
 * cheapest necessary condition, while keeping the default `now` exact.
 * Split from json.c; shares its private state through json_int.h. */
#include "input/json_int.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* --- prefilter fast path ---------------------------------------------------
 *
 * With r->pf_n > 0, an NDJSON line is skipped without a parse when every
 * occurrence of a key that maps to pf_field holds a value that is not an
 * integer in pf_vals. Keys are found by their closing `"` + ':' (any
 * whitespace between), so a key is never missed; extra hits (text inside
 * strings, nested keys) only make the test keep more lines. A line is
 * parsed normally when anything is unsure: a value with escapes or an
 * array, a `\u` escape anywhere (it could spell a key), no time, or a
 * time key that may be nested or in a second record on the line.
 *
 * The time of a skipped line is exact: the time keys are checked to be
 * members of the top-level object (a forward scan of brackets outside
 * strings up to the key) and the dialect's priority is applied as
 * mh_dialect_apply() does (lowest prio that parses; first on a tie).
 * Skipped lines are not validated: a malformed line that fails the
 * prefilter is counted as skipped, not malformed. */

static void pf_add(pf_plan *pl, const mh_dialect_map *m, bool time,
		   uint8_t role)
{
	const char *k = m->key, *dot = strrchr(k, '.');
	const char *l = dot ? dot + 1 : k;
	size_t n = strlen(l);
	pf_pat *pt = NULL;

	if (n == 0 || n > 250 || strpbrk(k, "\"\\")) {
		pl->ok = false;
		return;
	}
	for (size_t i = 0; i < pl->npat; i++)
		if (pl->pat[i].time == time && pl->pat[i].n == n &&
		    (time || pl->pat[i].role == role) &&
		    !memcmp(pl->pat[i].k, l, n))
			pt = &pl->pat[i];
	if (!pt) {
		if (pl->npat == PF_PATS) {
			pl->ok = false;
			return;
		}
		pt = &pl->pat[pl->npat++];
		memset(pt, 0, sizeof(*pt));
		pt->k = l;
		pt->n = (uint8_t)n;
		if (n < 2) {
			pl->ok = false;
			return;
		}
		{
			unsigned h = pf_last2(l, n);
			pl->last2[h >> 3] |= (uint8_t)(1u << (h & 7));
		}
		pt->time = time;
		pt->role = time ? PR_FIELD : role;
		pt->prio = 255;
	}
	if (dot) {
		pt->dotted = true;
	} else {
		pt->flat = true;
		if (m->prio < pt->prio)
			pt->prio = m->prio;
	}
}

/* With r->pf_allow_unset (issue 4) a line is skipped only when a
 * top-level flat key of pf_field certainly holds an integer outside the
 * set (so the field is set, not unset), no Protocol key holds anything
 * that may be ICMP (normalise unsets the ports of ICMP records; only
 * with r->pf_unset_proto: else no rule allows the port unset while a
 * Protocol is set), and no key of pf_str_field occurs at all. */
static void pf_make_plan(pf_plan *pl, const mh_dialect *d, const mh_reader *r)
{
	bool any_time = false;
	mh_field f = r->pf_field;

	memset(pl, 0, sizeof(*pl));
	pl->d = d;
	pl->ok = d != NULL;
	/* normalise derives Service for Zeek smtp.log records */
	if (d && r->pf_str_set && !strcmp(d->name, "zeek"))
		pl->ok = false;
	for (size_t i = 0; d && i < d->nmap; i++) {
		const mh_dialect_map *m = &d->map[i];
		if (m->field == f) {
			pf_add(pl, m, false, PR_FIELD);
			if (r->pf_allow_unset && m->conv != MH_CONV_NONE)
				pl->ok = false;
		}
		if (r->pf_allow_unset && r->pf_unset_proto &&
		    m->field == MH_F_PROTOCOL)
			pf_add(pl, m, false, PR_PROTO);
		if (r->pf_str_set && m->field == r->pf_str_field)
			pf_add(pl, m, false, PR_STR);
		if (m->field == MH_F_TIME) {
			pf_add(pl, m, true, PR_FIELD);
			any_time = true;
		}
	}
	if (!any_time || f == MH_F_TIME)
		pl->ok = false;
	mh_json_vs_plan(pl, d, r);
	if (r->pf_vonly && !pl->vs)
		pl->ok = false; /* nothing to judge a line by */
	/* the bulk kernel (AVX-512BW, else AVX2; for the equivalence tests
	 * MAILHUNT_PF_KERNEL=0 turns it off and =avx2 keeps to AVX2) */
	pl->nkern = 0;
#ifdef MH_JSON_PF_SIMD
	{
		const char *kv = getenv("MAILHUNT_PF_KERNEL");
		pl->avx2 =
		    __builtin_cpu_supports("avx2") && !(kv && !strcmp(kv, "0"));
		pl->avx512 = pl->avx2 && __builtin_cpu_supports("avx512bw") &&
			     !(kv && !strcmp(kv, "avx2"));
	}
	if (pl->ok && pl->avx2) {
		size_t maxn = 0, nk = 0;
		/* time keys are not looked for with pf_no_time */
		for (size_t i = 0; i < pl->npat && nk <= PF_KPATS; i++) {
			if (pl->pat[i].time && r->pf_no_time)
				continue;
			if (nk < PF_KPATS)
				pl->kidx[nk] = (uint8_t)i;
			nk++;
			if (pl->pat[i].n > maxn)
				maxn = pl->pat[i].n;
		}
		if (nk && nk <= PF_KPATS && maxn <= PF_KMAXN) {
			pl->nkern = nk;
			pl->slack = maxn + 2;
		}
	}
#endif
}

/* The integer value of a field, as mh_event_int() reads it. */
static bool pf_int(const char *p, const char *end, int64_t *out)
{
	bool neg = false;
	uint64_t v = 0;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (p < end && (*p == '-' || *p == '+'))
		neg = (*p++ == '-');
	if (p == end || *p < '0' || *p > '9')
		return false;
	while (p < end && *p >= '0' && *p <= '9') {
		unsigned dg = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - dg) / 10)
			return false;
		v = v * 10 + dg;
		p++;
	}
	if (p < end && *p == '.') {
		p++;
		while (p < end && *p == '0')
			p++;
	}
	if (p != end || v > (uint64_t)INT64_MAX + (neg ? 1u : 0u))
		return false;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

static bool pf_in(const int64_t *v, size_t n, int64_t x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] == x)
			return true;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

typedef enum pf_val {
	PV_UNSURE, /* escapes, arrays, truncation: parse the line */
	PV_NONE,   /* null, object, true/false: no usable value */
	PV_TEXT,   /* [*vp, *ve) is the text the parser would store */
} pf_val;

/* The value after the ':' at c. */
static pf_val pf_value(const char *c, const char *end, const char **vp,
		       const char **ve)
{
	const char *p = json_skip_ws(c + 1, end), *q;

	if (p >= end)
		return PV_UNSURE;
	if (*p == '"') {
		/* short values (ports, protocols) without a libc call */
		const char *lim = end - p > 33 ? p + 33 : end;

		for (q = p + 1; q < lim && *q != '"' && *q != '\\'; q++)
			;
		if (q == lim) {
			q = memchr(p + 1, '"', (size_t)(end - p - 1));
			if (!q || memchr(p + 1, '\\', (size_t)(q - p - 1)))
				return PV_UNSURE;
		} else if (*q == '\\') {
			return PV_UNSURE;
		}
		*vp = p + 1;
		*ve = q;
		return PV_TEXT;
	}
	if (*p == '-' || (*p >= '0' && *p <= '9')) {
		q = p + 1;
		while (q < end &&
		       ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' ||
			*q == 'E' || *q == '+' || *q == '-'))
			q++;
		*vp = p;
		*ve = q;
		return PV_TEXT;
	}
	if (*p == '[')
		return PV_UNSURE;
	return PV_NONE;
}

/* Bracket depth at target (an unescaped '"') scanning from the record's
 * '{' at p; -1 when target is inside a string or the record closes
 * before it (a second value on the line). *q / *depth carry the scan
 * forward between calls with increasing targets. */
static int pf_depth(const char **qp, int *depth, const char *end,
		    const char *target)
{
	const char *q = *qp;
	int d = *depth;
	int res;

	for (;;) {
		q = json_next_structural(q, target);
		if (q >= target) {
			res = q == target ? d : -1;
			break;
		}
		if (*q == '"') {
			if (json_skip_string_fast(q, end, &q) != JS_OK ||
			    q > target) {
				/* target is inside this string */
				*qp = q;
				*depth = d;
				return -1;
			}
			continue;
		}
		if (*q == '{' || *q == '[') {
			d++;
		} else if (--d <= 0) {
			res = -2; /* the record closed */
			break;
		}
		q++;
	}
	*qp = q;
	*depth = d;
	return res;
}

/* The flatness of the line, computed once: *flat is -1 (not asked yet),
 * 0 or 1. */
static bool pf_flat(const pf_plan *pl, const char *p, const char *end,
		    int *flat)
{
	if (*flat < 0)
		*flat = mh_json_pf_flat(pl->avx2, p, end);
	return *flat;
}

/* Is there a '{' or '[' in [p, e) (p just after the record's '{') that
 * does not follow a quote? An unescaped `"K":` with none before it is a
 * member of the top-level object of a valid line: a bracket right after
 * a quote lies inside a string there (`"{` cannot be structural), and
 * the bulk kernel ignores the same ones. */
static bool pf_has_open(const char *p, const char *e)
{
	const char *s = p;

#ifdef __SSE2__
	while (e - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)p);
		unsigned m = (unsigned)_mm_movemask_epi8(
		    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('{')),
				 _mm_cmpeq_epi8(v, _mm_set1_epi8('['))));
		for (; m; m &= m - 1) {
			const char *b = p + __builtin_ctz(m);
			if (b == s || b[-1] != '"')
				return true;
		}
		p += 16;
	}
#endif
	for (; p < e; p++)
		if ((*p == '{' || *p == '[') && (p == s || p[-1] != '"'))
			return true;
	return false;
}

/* May normalise take this Protocol value for ICMP (see is_icmp() in
 * normalize.c)? Any "icmp" inside, or the numbers 1 and 58. */
static bool pf_maybe_icmp(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if ((e - p == 1 && *p == '1') || (e - p == 2 && !memcmp(p, "58", 2)))
		return true;
	for (const char *q = p; e - q >= 4; q++)
		if ((q[0] | 0x20) == 'i' && (q[1] | 0x20) == 'c' &&
		    (q[2] | 0x20) == 'm' && (q[3] | 0x20) == 'p')
			return true;
	return false;
}

typedef struct pf_occ {
	const pf_pat *pt;
	const char *ks; /* the key's opening quote (or the '.') */
	const char *colon;
} pf_occ;

/* What a scan of one line found (see pf_key()). */
#define PF_SETOCC 4
typedef struct pf_ls {
	pf_occ occ[PF_TIMEOCC]; /* time keys, in line order */
	size_t nocc;
	/* pf_allow_unset: flat keys of pf_field holding an integer
	 * (outside the set), in line order; maybe nested, maybe in a
	 * string: pf_decide() checks them */
	const char *set_ks[PF_SETOCC];
	size_t nset;
	bool unsure; /* the line must be parsed */
	/* Known from the bulk kernel (else NULL / false): the first '{' or
	 * '[' after the record's own '{' (or end when none), and that the
	 * line holds one value only. */
	const char *first_open;
	bool single;
	/* the value stage: vs = the plan has one; vhit = a key of pf_field
	 * holds an integer in the set (the caller asks pf_vclear()) */
	bool vs, vhit;
} pf_ls;

/* The key of pattern pt at ks (its opening quote or '.'), whose ':' is c:
 * a time key is remembered, a prefilter key's value is tested. Sets
 * ls->unsure when the line must be parsed. */
static void pf_occ_one(const mh_reader *r, const pf_pat *pt, const char *ks,
		       const char *c, const char *end, pf_ls *ls)
{
	const char *vp, *ve;
	int64_t v;

	if (pt->time) {
		if (ls->nocc == PF_TIMEOCC) {
			ls->unsure = true;
			return;
		}
		ls->occ[ls->nocc].pt = pt;
		ls->occ[ls->nocc].ks = ks;
		ls->occ[ls->nocc].colon = c;
		ls->nocc++;
		return;
	}
	if (pt->role == PR_STR) {
		ls->unsure = true;
		return;
	}
	if (pt->role == PR_PROTO) {
		pf_val pv = pf_value(c, end, &vp, &ve);
		if (pv == PV_UNSURE || (pv == PV_TEXT && pf_maybe_icmp(vp, ve)))
			ls->unsure = true;
		return;
	}
	switch (pf_value(c, end, &vp, &ve)) {
	case PV_UNSURE:
		ls->unsure = true;
		return;
	case PV_NONE:
		if (r->pf_allow_unset)
			ls->unsure = true;
		return;
	case PV_TEXT:
		if (!pf_int(vp, ve, &v)) {
			if (r->pf_allow_unset)
				ls->unsure = true;
			return;
		}
		if (pf_in(r->pf_vals, r->pf_n, v)) {
			if (!ls->vs) {
				ls->unsure = true;
				return;
			}
			/* the field is set: as below, for pf_decide() */
			ls->vhit = true;
		}
		if ((r->pf_allow_unset || r->pf_no_time) && *ks == '"' &&
		    pt->flat && ls->nset < PF_SETOCC)
			ls->set_ks[ls->nset++] = ks;
		return;
	}
}

/* A key ending at e (its closing quote; c = the ':' after it): every
 * pattern that ends there is handled by pf_occ_one(). */
static void pf_key(const mh_reader *r, const pf_plan *pl, const char *p,
		   const char *end, const char *c, const char *e, pf_ls *ls)
{
	for (size_t i = 0; i < pl->npat && !ls->unsure; i++) {
		const pf_pat *pt = &pl->pat[i];
		const char *ks = e - pt->n - 1;

		if (ks < p || e[-1] != pt->k[pt->n - 1] ||
		    (*ks != '"' && *ks != '.') ||
		    memcmp(ks + 1, pt->k, pt->n) != 0)
			continue;
		pf_occ_one(r, pt, ks, c, end, ls);
	}
}

/* Backslashes at the set bits of mb (positions blk + i): is one of them
 * a real `\u` escape (an odd run of backslashes before 'u')? It could
 * spell a key, so the line must be parsed. */
static bool pf_u_escape(const char *p, const char *end, const char *blk,
			unsigned mb)
{
	for (; mb; mb &= mb - 1) {
		const char *bs = blk + __builtin_ctz(mb), *q = bs;

		if (bs + 1 >= end || bs[1] != 'u')
			continue;
		while (q > p && q[-1] == '\\')
			q--;
		if (!((bs - q) & 1))
			return true;
	}
	return false;
}

/* Per-colon scan of [from, to) of the line [p, end): the key (if any)
 * that ends before each ':' is checked with pf_key(); a real `\u` escape
 * makes the line unsure. Returns false when the line must be parsed. */
static bool pf_scan_range(const mh_reader *r, const pf_plan *pl, const char *p,
			  const char *from, const char *to, const char *end,
			  pf_ls *ls)
{
	for (const char *blk = from; blk < to; blk += 16) {
		unsigned mc = pf_mask16(blk, to, ':');
		unsigned mb = pf_mask16(blk, to, '\\');

		if (mb && pf_u_escape(p, end, blk, mb))
			return false;
		for (; mc; mc &= mc - 1) {
			const char *c = blk + __builtin_ctz(mc), *e;
			unsigned h;

			if (!(e = pf_colon_key(p, c, pl->last2, &h)))
				continue;
			pf_key(r, pl, p, end, c, e, ls);
			if (ls->unsure)
				return false;
		}
	}
	return true;
}

/* --- the time of skipped lines, mostly without a parse ---
 * st->tx holds the text of the latest skipped time so far when it is a
 * plain ISO time: YYYY-MM-DD[Tt ]hh:mm:ss[.f...][Zz]. A value of the
 * same layout (same length, digits in the same places, same other
 * characters) with fields valid in every month (day <= 28, year
 * 1700..2199) parses (mh_time_parse() accepts it), and its order is the
 * byte order of its text. So such a value only replaces st->tx when it
 * sorts later, and the text is parsed once, when the reader hands out a
 * record (mh_json_pf_flush()). Not used with since/until bounds (they need each
 * value). */
static bool pf_iso_layout(const char *v, size_t n)
{
	static const char lay[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;

	if (n < 19 || n > sizeof(((jstate *)0)->tx))
		return false;
	for (i = 0; i < 19; i++) {
		bool ok;

		if (lay[i] == 'd')
			ok = v[i] >= '0' && v[i] <= '9';
		else if (lay[i] == 'T')
			ok = v[i] == 'T' || v[i] == 't' || v[i] == ' ';
		else
			ok = v[i] == lay[i];
		if (!ok)
			return false;
	}
	if (i < n && v[i] == '.') {
		if (++i == n || v[i] < '0' || v[i] > '9')
			return false;
		while (i < n && v[i] >= '0' && v[i] <= '9')
			i++;
	}
	if (i < n && (v[i] == 'Z' || v[i] == 'z'))
		i++;
	return i == n;
}

static unsigned pf_2d(const char *v)
{
	return (unsigned)(v[0] - '0') * 10 + (unsigned)(v[1] - '0');
}

/* Remember v as the latest time text (if it has the plain ISO layout),
 * with its layout as 8-byte words: tw = the text, dm = 0xff where it
 * holds a digit. */
static void pf_set_tx(jstate *st, const char *v, size_t n)
{
	size_t k = 0;

	st->txn = 0;
	st->tpending = false;
	if (!pf_iso_layout(v, n))
		return;
	memcpy(st->tx, v, n);
	st->txn = (uint8_t)n;
	for (size_t o = 0; o + 8 <= n && k < 5; o += 8)
		st->off[k++] = (uint8_t)o;
	st->off[k++] = (uint8_t)(n - 8);
	st->nw = (uint8_t)k;
	for (size_t i = 0; i < k; i++) {
		uint64_t w = 0, dm = 0;
		for (int b = 0; b < 8; b++) {
			unsigned char c = (unsigned char)v[st->off[i] + b];
			w |= (uint64_t)c << (8 * b);
			if (c >= '0' && c <= '9')
				dm |= (uint64_t)0xff << (8 * b);
		}
		st->tw[i] = w;
		st->dm[i] = dm;
	}
}

/* Same layout as st->tx (digits where it has digits, its other
 * characters elsewhere, same length) and fields valid in every month?
 * 8 bytes at a time: non-digit bytes must equal tx's; the digit bytes
 * (others forced to '0') must all lie in '0'..'9'. */
static bool pf_same_layout(const jstate *st, const char *v, size_t n)
{
	const uint64_t k30 = 0x3030303030303030ULL;
	const uint64_t k46 = 0x4646464646464646ULL;
	const uint64_t k80 = 0x8080808080808080ULL;
	unsigned y, mo, d;

	if (!st->txn || n != st->txn)
		return false;
	for (unsigned i = 0; i < st->nw; i++) {
		uint64_t x, z, dm = st->dm[i];

		memcpy(&x, v + st->off[i], 8);
		if ((x ^ st->tw[i]) & ~dm)
			return false;
		z = (x & dm) | (k30 & ~dm);
		if (((z - k30) | (z + k46)) & k80)
			return false;
	}
	y = pf_2d(v) * 100 + pf_2d(v + 2);
	mo = pf_2d(v + 5);
	d = pf_2d(v + 8);
	return y >= 1700 && y < 2200 && mo >= 1 && mo <= 12 && d >= 1 &&
	       d <= 28 && pf_2d(v + 11) <= 23 && pf_2d(v + 14) <= 59 &&
	       pf_2d(v + 17) <= 59;
}

/* Parse a pending st->tx into r->skip_time_ns. */
void mh_json_pf_flush(mh_reader *r)
{
	jstate *st = r->priv;
	int64_t ns;

	if (!st || !st->tpending)
		return;
	st->tpending = false;
	if (mh_time_parse(st->tx, st->txn, &ns) &&
	    (!r->skip_time_set || ns > r->skip_time_ns)) {
		r->skip_time_ns = ns;
		r->skip_time_set = true;
	}
}

/* Is there no second value on the line [p, end) (p at '{')? rest_next()
 * would hand out a second record (see pf_decide()). Conservative: any
 * '}' followed (after blanks) by something other than ',', '}', ']', '"'
 * or the line end says maybe. */
static bool pf_single_value(const char *p, const char *end)
{
	const char *q = p;

	for (;;) {
		const char *b = memchr(q, '}', (size_t)(end - q));
		if (!b)
			return true;
		q = json_skip_ws(b + 1, end);
		if (q < end && *q != ',' && *q != '}' && *q != ']' && *q != '"')
			return false;
	}
}

/* Is there a '{' or '[' between the record's '{' at p and ks? */
static inline bool pf_open_before(const pf_ls *ls, const char *p,
				  const char *ks)
{
	return ls->first_open ? ls->first_open < ks : pf_has_open(p + 1, ks);
}

/* mh_json_vs_clear(), counted in r->stats (scan.c's vstage_pays() reads it). */
static bool pf_vstage(mh_reader *r, const pf_plan *pl, const char *p,
		      const char *end)
{
	bool clear = mh_json_vs_clear(r, pl, p, end, &r->stats.vs_untested);

	r->stats.vs_tried++;
	r->stats.vs_cleared += clear;
	return clear;
}

/* Decide for the record line [p, end) (p at '{') from the scan ls, which
 * saw every key of the line without finding a reason to parse. Returns
 * true when the line may be skipped; *t / *have_t receive its time
 * (not looked for when r->pf_no_time).
 *
 * A skipped line holds one value only. With pf_allow_unset or
 * pf_no_time it must also hold its field: one of ls->set_ks must be a
 * member of the top-level object (the field is then set, to an integer
 * outside the set: every value was seen; and a key of the dialect maps,
 * so the reader keeps the dialect; without pf_no_time the time key
 * proves that). A malformed line may be skipped: it is counted as
 * skipped, not malformed (docs/performance.md). */
static bool pf_decide(const mh_reader *r, const char *p, const char *end,
		      const pf_ls *ls, int64_t *t, bool *have_t, mh_str *tv,
		      bool *tsame)
{
	const jstate *st = r->priv;
	bool lazy = !r->pf_since_set && !r->pf_until_set, same;
	const char *sq;
	int sd, best_prio = 256, flat = -1;

	*have_t = false;
	if (r->pf_allow_unset || r->pf_no_time) {
		bool set = false;

		sq = p;
		sd = 0;
		for (size_t i = 0; i < ls->nset && !set; i++) {
			const char *ks = ls->set_ks[i];
			int d;

			if (ks[-1] == '\\')
				continue; /* an escaped quote: in a string */
			d = !pf_open_before(ls, p, ks) ||
				    pf_flat(&st->pf, p, end, &flat)
				? 1
				: pf_depth(&sq, &sd, end, ks);
			if (d == -2)
				return false;
			set = d == 1;
		}
		if (!set)
			return false;
	}
	/* A second value on the line is parsed on its own, and a value in
	 * which no key maps makes the reader detect the dialect again: the
	 * keys of this plan say nothing about it. Either test proves there
	 * is none; the cheap one first. */
	if (!ls->single && !pf_single_value(p, end) &&
	    !pf_flat(&st->pf, p, end, &flat))
		return false;
	if (r->pf_no_time)
		return true;
	if (!ls->nocc)
		return false;
	/* Time: walk the occurrences in line order. */
	sq = p;
	sd = 0;
	for (size_t i = 0; i < ls->nocc; i++) {
		const pf_occ *o = &ls->occ[i];
		const pf_pat *pt = o->pt;
		const char *vp, *ve;
		int64_t ns;
		int d;

		if (*o->ks == '.') {
			if (pt->dotted)
				return false; /* maybe a flat dotted key */
			continue;
		}
		if (o->ks > p && o->ks[-1] == '\\')
			continue; /* an escaped quote: inside a string */
		if (!pf_open_before(ls, p, o->ks) ||
		    pf_flat(&st->pf, p, end, &flat))
			d = 1; /* no bracket before: a top-level key */
		else
			d = pf_depth(&sq, &sd, end, o->ks);
		if (d == -2)
			return false;
		if (d == -1)
			continue;
		if (d != 1) {
			if (pt->dotted)
				return false; /* maybe the nested path */
			continue;
		}
		if (!pt->flat)
			continue;
		switch (pf_value(o->colon, end, &vp, &ve)) {
		case PV_UNSURE:
			return false;
		case PV_NONE:
			continue;
		case PV_TEXT:
			break;
		}
		while (vp < ve && (*vp == ' ' || *vp == '\t'))
			vp++;
		while (ve > vp && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		if ((int)pt->prio >= best_prio)
			continue;
		same = lazy && pf_same_layout(st, vp, (size_t)(ve - vp));
		if (!same && !mh_time_parse(vp, (size_t)(ve - vp), &ns))
			continue;
		*tsame = same;
		best_prio = pt->prio;
		*t = ns;
		*have_t = true;
		tv->p = vp;
		tv->n = (size_t)(ve - vp);
	}
	return *have_t;
}

/* Decide for the record line [p, end) (p at '{') with the per-colon
 * scan. Returns true when the line may be skipped. */
static bool pf_check(mh_reader *r, const pf_plan *pl, const char *p,
		     const char *end, int64_t *t, bool *have_t, mh_str *tv,
		     bool *tsame)
{
	pf_ls ls;

	ls.nocc = ls.nset = 0;
	ls.unsure = false;
	ls.vs = pl->vs;
	ls.vhit = r->pf_vonly; /* no port: the value stage judges */
	ls.first_open = NULL;
	ls.single = false;
	*have_t = false;
	if (!pf_scan_range(r, pl, p, p, end, end, &ls) ||
	    (ls.vhit && !pf_vstage(r, pl, p, end)))
		return false;
	return pf_decide(r, p, end, &ls, t, have_t, tv, tsame);
}

/* Count a skipped line and fold its time (see pf_decide()). */
static void pf_note_skip(mh_reader *r, bool have_t, int64_t t, mh_str tv,
			 bool tsame)
{
	jstate *st = r->priv;

	r->stats.skipped++;
	if (have_t && tsame) {
		/* the text order is the time order: parse later */
		if (memcmp(tv.p, st->tx, tv.n) > 0) {
			memcpy(st->tx, tv.p, tv.n);
			st->tpending = true;
		}
		return;
	}
	if (!have_t)
		return;
	mh_json_pf_flush(r);
	if ((!r->pf_since_set || t >= r->pf_since_ns) &&
	    (!r->pf_until_set || t <= r->pf_until_ns) &&
	    (!r->skip_time_set || t > r->skip_time_ns)) {
		r->skip_time_ns = t;
		r->skip_time_set = true;
		pf_set_tx(st, tv.p, tv.n);
	}
}

/* The fast path for one NDJSON line; true if it was skipped. */
bool mh_json_pf_skip_line(mh_reader *r, const char *p, const char *end)
{
	jstate *st = r->priv;
	int64_t t = 0;
	bool have_t, tsame = false;
	mh_str tv = {NULL, 0};

	if (st->pf.d != st->d)
		pf_make_plan(&st->pf, st->d, r);
	if (!st->pf.ok ||
	    !pf_check(r, &st->pf, p, end, &t, &have_t, &tv, &tsame))
		return false;
	pf_note_skip(r, have_t, t, tv, tsame);
	return true;
}

/* --- the bulk fast path (issue 4) ------------------------------------------
 *
 * mh_json_pf_run() skips whole NDJSON lines at the source cursor without
 * handing each to json_next_rec(): one pass over the bytes finds the
 * line's end, every place where a plan key may start (its first
 * character and its closing quote, compared 32 bytes at a time for all
 * keys at once), every backslash followed by 'u', and the brackets. The
 * candidates are then checked exactly and handed to pf_occ_one() in line order,
 * so a line gets the same verdict as from pf_scan_range() (the per-colon scan
 * finds exactly the keys `"K"` or `.K"` followed, after blanks, by ':').
 * The first line that needs the parser (or anything else the fast path
 * does not handle: line 1, a blank-led envelope, a line near the window
 * end) is left at the cursor for json_next_rec(). */

#define PF_RUN_MAX (1u << 20) /* bytes one mh_json_pf_run() call scans */

/* Is there a real `\u` escape (an odd run of backslashes before 'u') in
 * [p, end)? */
static bool pf_has_u_escape(const char *p, const char *end)
{
	for (const char *q = p; q + 1 < end; q++) {
		const char *s;

		q = memchr(q, '\\', (size_t)(end - 1 - q));
		if (!q)
			return false;
		s = q;
		while (q + 1 < end && q[1] == '\\')
			q++;
		/* [s, q] is a run of backslashes */
		if (q + 1 < end && q[1] == 'u' && !((q - s) & 1))
			return true;
	}
	return false;
}

/* May mh_json_envelope() see an envelope in the record line at p ('{')?
 * Only when the first key starts like one of its keys (preview, result,
 * lastrow, took, hits, timed_out, _scroll_id, _shards) or the first value
 * is an array; anything unusual says maybe. */
static bool pf_maybe_envelope(const char *p, const char *end, bool brackets)
{
	const char *k = json_skip_ws(p + 1, end), *q, *v;

	if (k + 1 >= end || *k != '"')
		return k < end && *k == '"';
	switch (k[1]) {
	case 'p':
	case 'r':
	case 'l':
	case 't':
	case 'h':
	case '_':
		return true;
	default:
		break;
	}
	if (!brackets)
		return false; /* no '[' outside strings: no array value */
	for (q = k + 1; q < end && *q != '"' && *q != '\\'; q++)
		;
	if (q >= end || *q == '\\')
		return true;
	v = json_skip_ws(q + 1, end);
	if (v >= end || *v != ':')
		return false;
	v = json_skip_ws(v + 1, end);
	return v < end && *v == '[';
}

/* The verdict on the line [q, end) from the kernel's findings o: true
 * when it was skipped (counted, its time noted) or blank. */
static bool pf_line(mh_reader *r, const pf_plan *pl, const char *q,
		    const char *end, const pf_kout *o)
{
	const char *p = json_skip_ws(q, end), *rec, *arr;
	int64_t t = 0;
	bool have_t = false, tsame = false;
	mh_str tv = {NULL, 0};
	pf_ls ls;
	uint32_t po, fo;

	if (p == end)
		return true; /* blank: json_next_rec() ignores it too */
	/* the first bracket outside strings other than the record's own */
	po = (uint32_t)(p - q);
	fo = o->open1 == po ? o->open2 : o->open1;
	if (*p != '{' || o->nc > PF_CAND ||
	    (o->uesc && pf_has_u_escape(p, end)) ||
	    (pf_maybe_envelope(p, end, fo != PF_NONE) &&
	     (mh_json_envelope(p, end, &rec, &arr) != ENV_NONE || rec)))
		return false;
	ls.nocc = ls.nset = 0;
	ls.unsure = false;
	ls.vs = pl->vs;
	ls.vhit = r->pf_vonly; /* no port: the value stage judges */
	{
		ls.first_open = fo == PF_NONE ? end : q + fo;
		/* one '}' and nothing after it: no second value (none at
		 * all: the record never closes) */
		ls.single = o->nclose == 0 ||
			    (o->nclose == 1 &&
			     json_skip_ws(q + o->last_close + 1, end) == end);
	}
	for (size_t i = 0; i < o->nc; i++) {
		const char *ks = q + o->cand[i];

		if (ks < p || (*ks != '"' && *ks != '.'))
			continue;
		for (size_t j = 0; j < pl->nkern; j++) {
			const pf_pat *pt = &pl->pat[pl->kidx[j]];
			const char *e = ks + pt->n + 1, *c;

			if (e >= end || *e != '"' ||
			    !pf_eq(ks + 1, pt->k, pt->n))
				continue;
			c = json_skip_ws(e + 1, end);
			if (c >= end || *c != ':')
				continue;
			pf_occ_one(r, pt, ks, c, end, &ls);
			if (ls.unsure)
				return false;
		}
	}
	if ((ls.vhit && !pf_vstage(r, pl, p, end)) ||
	    !pf_decide(r, p, end, &ls, &t, &have_t, &tv, &tsame))
		return false;
	pf_note_skip(r, have_t, t, tv, tsame);
	return true;
}

void mh_json_pf_run(mh_reader *r)
{
	jstate *st = r->priv;
	const pf_plan *pl = &st->pf;
	const char *base, *q, *lim;
	size_t n, max;
	uint64_t lines = 0;
	pf_kout ko;
	mh_json_pf_kernel_fn kern;

	if (st->pf.d != st->d)
		pf_make_plan(&st->pf, st->d, r);
	if (!pl->ok || !pl->nkern || mh_source_lines(r->src) == 0)
		return;
	mh_source_peek(r->src, &base, &n);
	if (n < (size_t)pl->slack + 64)
		return;
	kern = mh_json_pf_kernel(pl->nkern, pl->avx512);
	if (!kern)
		return;
	/* a bounded stretch per call: the source releases the pages behind
	 * the cursor as it moves */
	lim = base + n - pl->slack;
	if (n - pl->slack > PF_RUN_MAX)
		lim = base + PF_RUN_MAX;
	max = mh_source_max_record(r->src);
	q = base;
	while (q < lim) {
		const char *nl = kern(pl, q, lim, &ko);
		const char *end = nl;

		if (!nl)
			break;
		if (end > q && end[-1] == '\r')
			end--;
		if ((size_t)(end - q) > max)
			break;
		if (!pf_line(r, pl, q, end, &ko)) {
			st->pf_judged = true; /* json_next_rec(): parse it */
			break;
		}
		q = nl + 1;
		lines++;
	}
	if (lines)
		mh_source_skip_lines(r->src, (size_t)(q - base), lines);
}
