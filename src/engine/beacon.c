/* Beacon scoring (see beacon.h and docs/correlation.md). */
#include "engine/beacon.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_S ((int64_t)1000000000)

/* Score constants, documented in docs/correlation.md. lin() gives 1 at
 * `full`, 0 at `zero`, linear in between. */
#define R_FULL	0.2 /* interval MAD / median: full credit at or below */
#define R_ZERO	0.5 /* ... no credit at or above */
#define B_FULL	0.3 /* |Bowley skewness|: full credit at or below */
#define B_ZERO	1.0
#define C_FULL	0.9 /* coverage: full credit at or above */
#define C_ZERO	0.5
#define K_FULL	8.0 /* intervals for full count confidence */
#define RS_FULL 0.1 /* size MAD / median */
#define RS_ZERO 0.5

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Algorithm R: keep a uniform sample of MH_BEACON_SAMPLE of the k + 1
 * values seen so far (k = values before this one). */
static void sample_put(uint32_t *smp, uint64_t k, uint32_t v, uint64_t *rng)
{
	if (k < MH_BEACON_SAMPLE) {
		smp[k] = v;
		return;
	}
	k = rng_next(rng) % (k + 1);
	if (k < MH_BEACON_SAMPLE)
		smp[k] = v;
}

void mh_beacon_init(mh_beacon *b, uint64_t seed)
{
	memset(b, 0, sizeof(*b));
	b->rng = seed;
}

static int64_t to_sec(int64_t t_ns)
{
	int64_t s = t_ns / NS_PER_S;

	if (t_ns % NS_PER_S < 0)
		s--;
	return s;
}

static uint32_t sat32(int64_t v)
{
	if (v < 0)
		return 0;
	return v > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* Place x (outside lo..hi) at an end of the chain. */
static void place(mh_beacon *b, int64_t x)
{
	int64_t d;

	if (!b->chain) {
		b->chain = true;
		b->lo = b->hi = x;
		return;
	}
	if (x > b->hi) {
		d = x - b->hi;
		b->hi = x;
	} else {
		d = b->lo - x;
		b->lo = x;
	}
	sample_put(b->ints, b->nint, sat32(d), &b->rng);
	b->nint++;
}

static void buf_remove(mh_beacon *b, uint32_t i)
{
	memmove(&b->buf[i], &b->buf[i + 1],
		(b->nbuf - i - 1) * sizeof(b->buf[0]));
	b->nbuf--;
}

/* Place one pending timestamp. Ascending arrival (the majority vote so
 * far): the oldest pending one after hi, else the newest before lo;
 * descending: the reverse. Always the one nearest to the chain end, so
 * the other pending ones stay outside lo..hi. */
static void commit_one(mh_beacon *b)
{
	bool asc = b->nasc >= b->ndesc;
	uint32_t above = b->nbuf, below = b->nbuf; /* indexes, or nbuf */

	if (!b->nbuf)
		return;
	if (!b->chain) {
		uint32_t i = asc ? 0 : b->nbuf - 1;
		place(b, b->buf[i]);
		buf_remove(b, i);
		return;
	}
	for (uint32_t i = 0; i < b->nbuf; i++) {
		if (b->buf[i] > b->hi && above == b->nbuf)
			above = i;
		if (b->buf[i] < b->lo)
			below = i;
	}
	if (asc ? above < b->nbuf : below == b->nbuf) {
		place(b, b->buf[above]);
		buf_remove(b, above);
	} else {
		place(b, b->buf[below]);
		buf_remove(b, below);
	}
}

void mh_beacon_add(mh_beacon *b, int64_t t_ns, bool has_bytes, int64_t bytes)
{
	int64_t s = to_sec(t_ns);
	uint32_t i;

	if (has_bytes) {
		sample_put(b->sizes, b->nsize, sat32(bytes), &b->rng);
		b->nsize++;
	}
	if (b->events) {
		if (s > b->prev)
			b->nasc++;
		else if (s < b->prev)
			b->ndesc++;
	}
	b->prev = s;
	b->events++;
	if (b->chain && s >= b->lo && s <= b->hi) {
		/* an end is the same poll; inside cannot be placed */
		if (s != b->lo && s != b->hi)
			b->unordered++;
		return;
	}
	for (i = 0; i < b->nbuf && b->buf[i] < s; i++)
		;
	if (i < b->nbuf && b->buf[i] == s)
		return; /* same second as a pending poll */
	memmove(&b->buf[i + 1], &b->buf[i], (b->nbuf - i) * sizeof(b->buf[0]));
	b->buf[i] = s;
	b->nbuf++;
	if (b->nbuf > MH_BEACON_REORDER)
		commit_one(b);
}

/* Ascending insertion sort of a[0..n), n <= MH_BEACON_SAMPLE: cheaper
 * than qsort() at that size. */
static void sort_u64(uint64_t *a, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		uint64_t x = a[i];
		size_t j = i;
		for (; j > 0 && a[j - 1] > x; j--)
			a[j] = a[j - 1];
		a[j] = x;
	}
}

/* Quantile of sorted v[0..n), linear interpolation between order
 * statistics (Hyndman-Fan type 7): h = (n - 1) p. */
static double quant(const double *v, size_t n, double p)
{
	double h = (double)(n - 1) * p;
	size_t lo = (size_t)floor(h);
	size_t hi = lo + 1 < n ? lo + 1 : n - 1;

	return v[lo] + (h - lo) * (v[hi] - v[lo]);
}

/* Median, MAD (median of |v - median|) and Bowley skewness
 * (Q3 + Q1 - 2 Q2) / (Q3 - Q1), 0 when Q3 == Q1, of n >= 1 values. */
static void describe(const uint32_t *smp, size_t n, double *med, double *mad,
		     double *skew)
{
	uint64_t w[MH_BEACON_SAMPLE], m2;
	double v[MH_BEACON_SAMPLE], q1, q3;

	for (size_t i = 0; i < n; i++)
		w[i] = smp[i];
	sort_u64(w, n);
	for (size_t i = 0; i < n; i++)
		v[i] = (double)w[i];
	q1 = quant(v, n, 0.25);
	*med = quant(v, n, 0.5);
	q3 = quant(v, n, 0.75);
	*skew = q3 == q1 ? 0 : (q3 + q1 - 2 * *med) / (q3 - q1);
	/* the median is a sample or the mean of two: twice the distances
	 * to it are integers, and half of each is |v - median| exactly */
	m2 = (uint64_t)(2 * *med);
	for (size_t i = 0; i < n; i++)
		w[i] = 2 * (uint64_t)smp[i] > m2 ? 2 * (uint64_t)smp[i] - m2
						 : m2 - 2 * (uint64_t)smp[i];
	sort_u64(w, n);
	for (size_t i = 0; i < n; i++)
		v[i] = (double)w[i] / 2;
	*mad = quant(v, n, 0.5);
}

static double lin(double x, double full, double zero)
{
	if (full < zero) {
		if (x <= full)
			return 1;
		if (x >= zero)
			return 0;
		return (zero - x) / (zero - full);
	}
	if (x >= full)
		return 1;
	if (x <= zero)
		return 0;
	return (x - zero) / (full - zero);
}

bool mh_beacon_eval(const mh_beacon *b0, uint32_t min_events,
		    mh_beacon_result *r)
{
	mh_beacon b = *b0;
	size_t n;
	double d, s, c, k, t, score;

	memset(r, 0, sizeof(*r));
	/* place every pending timestamp: after hi ascending, before lo
	 * descending (nearest first), so all of them fit */
	if (!b.chain && b.nbuf) {
		place(&b, b.buf[0]);
		buf_remove(&b, 0);
	}
	for (uint32_t i = 0; i < b.nbuf; i++)
		if (b.buf[i] > b.hi)
			place(&b, b.buf[i]);
	for (uint32_t i = b.nbuf; i-- > 0;)
		if (b.buf[i] < b.lo)
			place(&b, b.buf[i]);
	r->events = b.events;
	r->unordered = b.unordered;
	r->intervals = b.nint;
	r->polls = b.chain ? b.nint + 1 : 0;
	if (min_events < MH_BEACON_MIN_EVENTS_MIN)
		min_events = MH_BEACON_MIN_EVENTS_MIN;
	if (r->polls < min_events)
		return false;

	n = b.nint < MH_BEACON_SAMPLE ? (size_t)b.nint : MH_BEACON_SAMPLE;
	describe(b.ints, n, &r->median_s, &r->mad_s, &r->skew);
	/* intervals are >= 1 s and hi - lo >= nint, so no division by 0 */
	r->coverage = (double)b.nint * r->median_s / (double)(b.hi - b.lo);
	d = lin(r->mad_s / r->median_s, R_FULL, R_ZERO);
	s = lin(fabs(r->skew), B_FULL, B_ZERO);
	c = lin(r->coverage, C_FULL, C_ZERO);
	k = (double)b.nint / K_FULL;
	if (k > 1)
		k = 1;
	t = d * (0.4 + 0.2 * s + 0.4 * c * k);
	r->timing = t;
	score = t;

	if (b.nsize >= min_events) {
		double rs;
		n = b.nsize < MH_BEACON_SAMPLE ? (size_t)b.nsize
					       : MH_BEACON_SAMPLE;
		describe(b.sizes, n, &r->size_median, &r->size_mad,
			 &r->size_skew);
		if (r->size_median == 0)
			rs = r->size_mad == 0 ? 0 : 1;
		else
			rs = r->size_mad / r->size_median;
		r->size = lin(rs, RS_FULL, RS_ZERO) *
			  (1 + lin(fabs(r->size_skew), B_FULL, B_ZERO)) / 2;
		r->size_set = true;
		score = (2 * t + r->size) / 3;
	}
	r->score = floor(score * 1000 + 0.5) / 1000;
	return true;
}
