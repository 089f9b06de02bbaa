/* Beacon scoring (src/engine/beacon.c) and the `type: beacon`
 * correlation: calibration (jittered periodic vs Poisson), low-and-slow
 * series, min-events, memory bound per key, eviction accounting,
 * arrival order and determinism, rule syntax. */
#include "engine/beacon.h"
#include "engine/engine.h"
#include "mh_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S     ((int64_t)1000000000)
#define T0    ((int64_t)1700000000 * S)
#define HOUR  (3600 * S)
#define DAY   (24 * HOUR)
#define NSEED 50

/* ---- a deterministic PRNG of our own (xorshift64*) ---------------- */

static uint64_t prng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static uint64_t prng_seed(uint64_t seed)
{
	return seed * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
}

/* uniform in [0, 1) */
static double prng_unit(uint64_t *s)
{
	return (double)(prng_next(s) >> 11) / 9007199254740992.0;
}

/* Series generators; return the number of timestamps written (ns). */

/* n events, each interval = period * U(1 - j, 1 + j) */
static size_t gen_jitter(uint64_t seed, int64_t period, double j, size_t n,
			 int64_t *out)
{
	uint64_t s = prng_seed(seed);
	double t = (double)T0;

	for (size_t i = 0; i < n; i++) {
		out[i] = (int64_t)t;
		t += (double)period * (1 - j + 2 * j * prng_unit(&s));
	}
	return n;
}

/* n events at k * period + U(-j, +j) * period (anchored jitter) */
static size_t gen_anchored(uint64_t seed, int64_t period, double j, size_t n,
			   int64_t *out)
{
	uint64_t s = prng_seed(seed);

	for (size_t i = 0; i < n; i++)
		out[i] =
		    T0 + (int64_t)i * period +
		    (int64_t)((double)period * j * (2 * prng_unit(&s) - 1));
	return n;
}

/* Poisson arrivals of mean interval `mean` over `span` from T0 */
static size_t gen_poisson(uint64_t seed, int64_t mean, int64_t span, size_t cap,
			  int64_t *out)
{
	uint64_t s = prng_seed(seed);
	double t = (double)T0;
	size_t n = 0;

	while (n < cap && t <= (double)(T0 + span)) {
		out[n++] = (int64_t)t;
		t += -log(1 - prng_unit(&s)) * (double)mean;
	}
	return n;
}

/* Score of a series fed in order; -1 when there is no score. */
static double score_of(const int64_t *ts, size_t n, uint32_t min_events,
		       mh_beacon_result *res)
{
	mh_beacon b;
	mh_beacon_result r;

	mh_beacon_init(&b, 42);
	for (size_t i = 0; i < n; i++)
		mh_beacon_add(&b, ts[i], false, 0);
	if (!mh_beacon_eval(&b, min_events, &r))
		return -1;
	if (res)
		*res = r;
	return r.score;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* ---- calibration -------------------------------------------------- */

/* 6 per day for 5 days (every 4 h), +-20 % jitter, 50 seeds: all score
 * >= 0.8, under both jitter models. Poisson arrivals at the same rate
 * over the same 5 days: all 50 score <= 0.4, the median is 0.
 * docs/correlation.md quotes the printed numbers. */
static void test_calibration(void)
{
	int64_t ts[512];
	double jit[NSEED], anc[NSEED], poi[NSEED];

	for (int k = 0; k < NSEED; k++) {
		size_t n = gen_jitter((uint64_t)k + 1, 4 * HOUR, 0.2, 30, ts);
		jit[k] = score_of(ts, n, 4, NULL);
		n = gen_anchored((uint64_t)k + 1, 4 * HOUR, 0.2, 30, ts);
		anc[k] = score_of(ts, n, 4, NULL);
		n = gen_poisson((uint64_t)k + 1, 4 * HOUR, 5 * DAY, 512, ts);
		poi[k] = score_of(ts, n, 4, NULL);
		if (poi[k] < 0)
			poi[k] = 0; /* too few events: no score */
	}
	qsort(jit, NSEED, sizeof(double), cmp_d);
	qsort(anc, NSEED, sizeof(double), cmp_d);
	qsort(poi, NSEED, sizeof(double), cmp_d);
	printf("calibration (%d seeds): jitter min %.3f median %.3f; "
	       "anchored min %.3f median %.3f; poisson median %.3f p98 "
	       "%.3f max %.3f\n",
	       NSEED, jit[0], jit[NSEED / 2], anc[0], anc[NSEED / 2],
	       poi[NSEED / 2], poi[NSEED - 2], poi[NSEED - 1]);
	MH_CHECK(jit[0] >= 0.8);
	MH_CHECK(anc[0] >= 0.8);
	MH_CHECK(poi[NSEED - 1] <= 0.4);
	MH_CHECK(poi[NSEED / 2] <= 0.1);
}

/* A strict period gives exactly 1, whatever the period. */
static void test_strict_period(void)
{
	int64_t ts[40];
	mh_beacon_result r;

	for (int i = 0; i < 40; i++)
		ts[i] = T0 + i * 4 * HOUR;
	MH_CHECK(score_of(ts, 40, 4, &r) == 1.0);
	MH_CHECK(r.median_s == 14400.0);
	MH_CHECK(r.mad_s == 0.0);
	MH_CHECK(r.skew == 0.0);
	MH_CHECK(r.coverage == 1.0);
	MH_CHECK_EQ_INT(r.polls, 40);
	MH_CHECK_EQ_INT(r.intervals, 39);
	MH_CHECK(!r.size_set);
}

/* Hand-computed: intervals 100, 100, 100, 130 s (5 polls).
 * Q1 = Q2 = 100, Q3 = 107.5 -> Bowley (107.5 + 100 - 200) / 7.5 = 1;
 * MAD = median(0, 0, 0, 30) = 0; coverage 4 * 100 / 430 = 0.930;
 * D = 1, S = lin(1; 0.3, 1) = 0, C = 1, K = 4 / 8 = 0.5:
 * T = 1 * (0.4 + 0 + 0.4 * 1 * 0.5) = 0.6. */
static void test_hand_computed(void)
{
	int64_t ts[5] = {T0, T0 + 100 * S, T0 + 200 * S, T0 + 300 * S,
			 T0 + 430 * S};
	mh_beacon_result r;

	MH_CHECK(score_of(ts, 5, 4, &r) == 0.6);
	MH_CHECK(r.median_s == 100.0);
	MH_CHECK(r.skew == 1.0);
	MH_CHECK(r.mad_s == 0.0);
	MH_CHECK(fabs(r.coverage - 400.0 / 430.0) < 1e-12);
}

/* The statistics against a plain reference (doubles, qsort, type-7
 * quantiles) on random in-order timelines of up to 64 polls, with
 * repeated intervals and sizes, odd and even counts: exactly equal. */
static double ref_quant(const double *v, size_t n, double p)
{
	double h = (double)(n - 1) * p;
	size_t lo = (size_t)floor(h), hi = lo + 1 < n ? lo + 1 : n - 1;
	return v[lo] + (h - lo) * (v[hi] - v[lo]);
}

static void ref_describe(const double *in, size_t n, double *med, double *mad,
			 double *skew)
{
	double v[80], q1, q3;

	memcpy(v, in, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_d);
	q1 = ref_quant(v, n, 0.25);
	*med = ref_quant(v, n, 0.5);
	q3 = ref_quant(v, n, 0.75);
	*skew = q3 == q1 ? 0 : (q3 + q1 - 2 * *med) / (q3 - q1);
	for (size_t i = 0; i < n; i++)
		v[i] = fabs(v[i] - *med);
	qsort(v, n, sizeof(*v), cmp_d);
	*mad = ref_quant(v, n, 0.5);
}

static void test_stats_reference(void)
{
	uint64_t st = prng_seed(9);
	size_t bad = 0;

	for (int round = 0; round < 2000; round++) {
		/* up to MH_BEACON_SAMPLE sizes: all kept */
		size_t n = 5 + (size_t)(prng_next(&st) % 60);
		double gaps[80], sizes[80], m, d, k;
		int64_t t = T0;
		mh_beacon b;
		mh_beacon_result r;

		mh_beacon_init(&b, 1);
		for (size_t i = 0; i < n; i++) {
			uint64_t x = prng_next(&st);
			sizes[i] = i && x % 3 == 0 ? sizes[i - 1]
						   : (double)(x % 100000);
			if (i) {
				gaps[i - 1] =
				    i > 1 && x % 5 == 0
					? gaps[i - 2]
					: (double)(1 + (x >> 20) % 3000);
				t += (int64_t)gaps[i - 1] * S;
			}
			mh_beacon_add(&b, t, true, (int64_t)sizes[i]);
		}
		if (!mh_beacon_eval(&b, 4, &r) || !r.size_set) {
			bad++;
			continue;
		}
		ref_describe(gaps, n - 1, &m, &d, &k);
		bad += r.median_s != m || r.mad_s != d || r.skew != k;
		ref_describe(sizes, n, &m, &d, &k);
		bad +=
		    r.size_median != m || r.size_mad != d || r.size_skew != k;
	}
	MH_CHECK_EQ_INT(bad, 0);
}

/* ---- the correlation through the engine --------------------------- */

static const char base_rule[] = "title: mail conn\n"
				"id: 22222222-0000-0000-0000-00000000000a\n"
				"name: conn\n"
				"logsource: {category: network_connection}\n"
				"detection:\n"
				"  sel: {DestinationPort: [993, 587]}\n"
				"  condition: sel\n"
				"level: low\n";

static mh_ruleset *load(const char *corrs, mh_err *err)
{
	char y[8192];
	mh_ruleset *rs = NULL;
	int n = snprintf(y, sizeof(y), "%s---\n%s", base_rule, corrs);

	mh_err_clear(err);
	if (n < 0 || (size_t)n >= sizeof(y) || mh_ruleset_new(&rs) != MH_OK)
		return NULL;
	if (mh_ruleset_add_yaml(rs, "t.yml", y, (size_t)n, err) != MH_OK ||
	    mh_ruleset_compile(rs, err) != MH_OK) {
		mh_ruleset_free(rs);
		return NULL;
	}
	return rs;
}

#define BEACON_CORR_C(extra, cond)                                             \
	"title: beacon\n"                                                      \
	"id: 22222222-0000-0000-0000-0000000000bb\n"                           \
	"correlation:\n"                                                       \
	"  type: beacon\n"                                                     \
	"  rules: [conn]\n"                                                    \
	"  group-by: [Computer, Image, DestinationIp]\n"                       \
	"  window: all\n" extra "  condition: " cond "\n"                      \
	"level: high\n"
#define BEACON_CORR(extra)                                                     \
	BEACON_CORR_C(extra, "{field: beacon_score, gte: 0.8}")

#define COUNT_CORR                                                             \
	"title: count\n"                                                       \
	"id: 22222222-0000-0000-0000-0000000000cc\n"                           \
	"correlation:\n"                                                       \
	"  type: event_count\n"                                                \
	"  rules: [conn]\n"                                                    \
	"  group-by: [Computer, Image]\n"                                      \
	"  timespan: 24h\n"                                                    \
	"  condition: {gt: 2}\n"                                               \
	"level: high\n"

typedef struct run {
	mh_ruleset *rs;
	mh_engine *e;
	mh_event ev;
	mh_arena ar;
	uint32_t conn;
} run;

static bool run_open(run *r, const char *corrs, size_t max_memory)
{
	mh_engine_opts o;
	mh_err err;

	memset(r, 0, sizeof(*r));
	memset(&o, 0, sizeof(o));
	o.max_memory = max_memory;
	r->rs = load(corrs, &err);
	if (!r->rs) {
		fprintf(stderr, "ruleset: %s\n", err.msg);
		return false;
	}
	for (size_t i = 0; i < mh_ruleset_count(r->rs); i++)
		if (!mh_ruleset_rule(r->rs, i)->is_correlation)
			r->conn = (uint32_t)i;
	mh_arena_init(&r->ar, 4096, 0);
	r->ev.arena = &r->ar;
	return mh_engine_new(r->rs, &o, &r->e, NULL) == MH_OK;
}

static void run_close(run *r)
{
	mh_engine_free(r->e);
	mh_ruleset_free(r->rs);
	mh_arena_free(&r->ar);
}

static mh_rc feed(run *r, int64_t t, const char *dst, const char *bytes)
{
	mh_event_clear(&r->ev);
	mh_arena_reset(&r->ar);
	r->ev.time_ns = t;
	mh_event_set(&r->ev, MH_F_TIME, "t", 1);
	mh_event_set(&r->ev, MH_F_HOST, "WS1", 3);
	mh_event_set(&r->ev, MH_F_IMAGE, "C:\\x\\upd.exe", 12);
	mh_event_set(&r->ev, MH_F_DESTINATION_IP, dst, strlen(dst));
	mh_event_set(&r->ev, MH_F_DESTINATION_PORT, "993", 3);
	if (bytes)
		mh_event_set(&r->ev, MH_F_BYTES_SENT, bytes, strlen(bytes));
	return mh_engine_feed(r->e, &r->ev, &r->conn, 1, NULL);
}

static const mh_alert *find_alert(const mh_engine *e, const char *title)
{
	for (size_t i = 0; i < mh_engine_alert_count(e); i++) {
		const mh_alert *a = mh_engine_alert(e, i);
		if (strcmp(a->rule->title, title) == 0)
			return a;
	}
	return NULL;
}

static const char *ctx_val(const mh_alert *a, const char *name, char *buf,
			   size_t cap)
{
	for (size_t i = 0; i < a->nctx; i++)
		if (a->ctx[i].name && !strcmp(a->ctx[i].name, name) &&
		    a->ctx[i].field == MH_F_NONE && a->ctx[i].val.n < cap) {
			memcpy(buf, a->ctx[i].val.p, a->ctx[i].val.n);
			buf[a->ctx[i].val.n] = 0;
			return buf;
		}
	return NULL;
}

/* An implant polling every 4 h +-20 % for 5 days scores high and the
 * alert carries the statistics; every ~14 h (never 3 in 24 h, below
 * any "> 2 in 24 h" threshold) it also scores high while the event_count
 * correlation stays silent. */
static void test_low_and_slow(void)
{
	int64_t ts[64];
	size_t n = gen_jitter(7, 4 * HOUR, 0.2, 30, ts);
	const mh_alert *a;
	char b[64];
	run r;

	MH_CHECK(run_open(&r, BEACON_CORR("") "---\n" COUNT_CORR, 0));
	for (size_t i = 0; i < n; i++)
		MH_CHECK(feed(&r, ts[i], "198.51.100.7", NULL) == MH_OK);
	MH_CHECK(mh_engine_finish(r.e, NULL) == MH_OK);
	a = find_alert(r.e, "beacon");
	MH_CHECK(a != NULL);
	MH_CHECK(find_alert(r.e, "count") != NULL);
	if (a) {
		MH_CHECK(a->value >= 0.8 && a->value <= 1.0);
		MH_CHECK_EQ_INT(a->count, 30);
		MH_CHECK_EQ_INT(a->ngroup, 3);
		MH_CHECK_EQ_STR(ctx_val(a, "beacon_connections", b, 64), "30");
		MH_CHECK(ctx_val(a, "beacon_score", b, 64) != NULL);
		MH_CHECK(ctx_val(a, "beacon_interval_median_s", b, 64));
		MH_CHECK(ctx_val(a, "beacon_interval_mad_s", b, 64));
		MH_CHECK(ctx_val(a, "beacon_interval_skew", b, 64));
		MH_CHECK(!ctx_val(a, "beacon_size_mad", b, 64));
		/* the ordinary context comes first */
		MH_CHECK(a->nctx > 0 && a->ctx[0].field == MH_F_HOST);
	}
	run_close(&r);

	/* every 14 h +-10 %: two intervals always exceed 24 h */
	n = gen_jitter(8, 14 * HOUR, 0.1, 10, ts);
	MH_CHECK(run_open(&r, BEACON_CORR("") "---\n" COUNT_CORR, 0));
	for (size_t i = 0; i < n; i++)
		MH_CHECK(feed(&r, ts[i], "198.51.100.7", NULL) == MH_OK);
	MH_CHECK(mh_engine_finish(r.e, NULL) == MH_OK);
	a = find_alert(r.e, "beacon");
	MH_CHECK(a != NULL && a->value >= 0.8);
	MH_CHECK(find_alert(r.e, "count") == NULL);
	run_close(&r);
}

/* Fewer than min-events polls: no score, no alert; connections within
 * the same second are one poll. */
static void test_min_events(void)
{
	run r;

	MH_CHECK(run_open(&r, BEACON_CORR(""), 0));
	for (int i = 0; i < 3; i++) {
		MH_CHECK(feed(&r, T0 + i * HOUR, "198.51.100.7", NULL) ==
			 MH_OK);
		MH_CHECK(feed(&r, T0 + i * HOUR + S / 2, "198.51.100.7",
			      NULL) == MH_OK);
	}
	MH_CHECK(mh_engine_finish(r.e, NULL) == MH_OK);
	MH_CHECK_EQ_INT(mh_engine_alert_count(r.e), 0);
	run_close(&r);

	/* 4 polls score (at most 0.75: 3 intervals give count
	 * confidence 3/8) */
	MH_CHECK(run_open(&r, BEACON_CORR_C("", "{gte: 0.7}"), 0));
	for (int i = 0; i < 4; i++)
		MH_CHECK(feed(&r, T0 + i * HOUR, "198.51.100.7", NULL) ==
			 MH_OK);
	MH_CHECK(mh_engine_finish(r.e, NULL) == MH_OK);
	MH_CHECK_EQ_INT(mh_engine_alert_count(r.e), 1);
	run_close(&r);

	MH_CHECK(
	    run_open(&r, BEACON_CORR_C("  min-events: 6\n", "{gte: 0}"), 0));
	for (int i = 0; i < 5; i++)
		MH_CHECK(feed(&r, T0 + i * HOUR, "198.51.100.7", NULL) ==
			 MH_OK);
	MH_CHECK(mh_engine_finish(r.e, NULL) == MH_OK);
	MH_CHECK_EQ_INT(mh_engine_alert_count(r.e), 0);
	run_close(&r);

	MH_CHECK(
	    run_open(&r, BEACON_CORR_C("  min-events: 6\n", "{gte: 0}"), 0));
	for (int i = 0; i < 6; i++)
		MH_CHECK(feed(&r, T0 + i * HOUR, "198.51.100.7", NULL) ==
			 MH_OK);
	MH_CHECK(mh_engine_finish(r.e, NULL) == MH_OK);
	MH_CHECK_EQ_INT(mh_engine_alert_count(r.e), 1);
	run_close(&r);

	{
		mh_beacon b;
		mh_beacon_result res;
		mh_beacon_init(&b, 1);
		for (int i = 0; i < 3; i++)
			mh_beacon_add(&b, T0 + i * HOUR, false, 0);
		MH_CHECK(!mh_beacon_eval(&b, 4, &res));
		MH_CHECK_EQ_INT(res.polls, 3);
	}
}

/* Memory per key is fixed: 200000 events of one group under a 64 KiB
 * cap never evict it, and the score stays exact for a strict period
 * (the interval sample holds identical values). */
static void test_memory_bound(void)
{
	const mh_alert *a;
	mh_engine_stats st;
	run r;

	MH_CHECK(sizeof(mh_beacon) < 1024);
	MH_CHECK(run_open(&r, BEACON_CORR(""), 64 * 1024));
	for (int i = 0; i < 200000; i++)
		MH_CHECK(feed(&r, T0 + (int64_t)i * 60 * S, "198.51.100.7",
			      "120") == MH_OK);
	MH_CHECK(mh_engine_finish(r.e, NULL) == MH_OK);
	mh_engine_get_stats(r.e, &st);
	MH_CHECK_EQ_INT(st.evicted, 0);
	a = find_alert(r.e, "beacon");
	MH_CHECK(a != NULL);
	if (a) {
		char b[64];
		MH_CHECK_EQ_INT(a->count, 200000);
		MH_CHECK(a->value == 1.0);
		MH_CHECK_EQ_STR(ctx_val(a, "beacon_interval_median_s", b, 64),
				"60.0");
		MH_CHECK_EQ_STR(ctx_val(a, "beacon_size_mad", b, 64), "0.0");
		MH_CHECK_EQ_STR(ctx_val(a, "beacon_connections", b, 64),
				"200000");
	}
	run_close(&r);
}

/* The beacon state is accounted: under the same cap, a beacon
 * correlation keeps fewer live groups than an event_count `all`
 * correlation with the same keys, and evicted + live = created. */
static void test_eviction_accounting(void)
{
	static const char count_all[] =
	    "title: cnt\n"
	    "id: 22222222-0000-0000-0000-0000000000dd\n"
	    "correlation:\n"
	    "  type: event_count\n"
	    "  rules: [conn]\n"
	    "  group-by: [Computer, Image, DestinationIp]\n"
	    "  window: all\n"
	    "  condition: {gte: 1}\n"
	    "level: high\n";
	mh_engine_stats sb, sc;
	size_t cap = 48 * 1024;
	run r;

	for (int pass = 0; pass < 2; pass++) {
		MH_CHECK(run_open(&r, pass ? count_all : BEACON_CORR(""), cap));
		for (int i = 0; i < 400; i++) {
			char dst[32];
			snprintf(dst, sizeof(dst), "10.1.%d.%d", i / 200,
				 i % 200);
			MH_CHECK(feed(&r, T0 + i * S, dst, NULL) == MH_OK);
		}
		MH_CHECK(mh_engine_finish(r.e, NULL) == MH_OK);
		mh_engine_get_stats(r.e, pass ? &sc : &sb);
		run_close(&r);
	}
	MH_CHECK(sb.evicted > 0);
	MH_CHECK_EQ_INT(sb.evicted + sb.groups, 400);
	MH_CHECK_EQ_INT(sc.evicted + sc.groups, 400);
	MH_CHECK(sb.groups < sc.groups);
	MH_CHECK(sb.groups * sizeof(mh_beacon) <= cap);
}

/* Ascending, descending and locally shuffled input give the same
 * (exact) statistics; the same input twice gives the same result;
 * a timestamp arriving inside the placed range is counted. */
static void test_order_and_determinism(void)
{
	int64_t ts[30], sh[30];
	mh_beacon_result a, d, s, a2;
	mh_beacon b;
	uint64_t st = prng_seed(99);

	gen_jitter(3, 4 * HOUR, 0.2, 30, ts);
	MH_CHECK(score_of(ts, 30, 4, &a) >= 0);
	MH_CHECK(score_of(ts, 30, 4, &a2) >= 0);
	MH_CHECK(memcmp(&a, &a2, sizeof(a)) == 0);
	for (int i = 0; i < 30; i++)
		sh[i] = ts[29 - i];
	MH_CHECK(score_of(sh, 30, 4, &d) >= 0);
	/* shuffle within blocks of 8 */
	memcpy(sh, ts, sizeof(ts));
	for (int blk = 0; blk < 30; blk += 8)
		for (int i = blk; i < blk + 8 && i < 30; i++) {
			int lim = blk + 8 < 30 ? blk + 8 : 30;
			int j = i + (int)(prng_next(&st) % (uint64_t)(lim - i));
			int64_t x = sh[i];
			sh[i] = sh[j];
			sh[j] = x;
		}
	MH_CHECK(score_of(sh, 30, 4, &s) >= 0);
	MH_CHECK(a.score == d.score && a.score == s.score);
	MH_CHECK(a.median_s == d.median_s && a.median_s == s.median_s);
	MH_CHECK(a.mad_s == d.mad_s && a.mad_s == s.mad_s);
	MH_CHECK(a.skew == d.skew && a.skew == s.skew);
	MH_CHECK_EQ_INT(a.polls, 30);
	MH_CHECK_EQ_INT(d.polls, 30);
	MH_CHECK_EQ_INT(s.polls, 30);
	MH_CHECK_EQ_INT(s.unordered, 0);

	/* 30 ordered, then one far back inside the placed range */
	mh_beacon_init(&b, 5);
	for (int i = 0; i < 30; i++)
		mh_beacon_add(&b, ts[i], false, 0);
	mh_beacon_add(&b, ts[2] + 60 * S, false, 0);
	MH_CHECK(mh_beacon_eval(&b, 4, &a2));
	MH_CHECK_EQ_INT(a2.unordered, 1);
	MH_CHECK_EQ_INT(a2.polls, 30);
	MH_CHECK_EQ_INT(a2.events, 31);
	MH_CHECK(a2.score == a.score);

	/* beyond the sample size, the same input twice is the same */
	{
		int64_t big[400];
		mh_beacon_result x, y;
		gen_poisson(11, HOUR, 30 * DAY, 400, big);
		MH_CHECK(score_of(big, 400, 4, &x) >= 0);
		MH_CHECK(score_of(big, 400, 4, &y) >= 0);
		MH_CHECK(memcmp(&x, &y, sizeof(x)) == 0);
		MH_CHECK_EQ_INT(x.intervals, 399);
	}
}

/* BytesSent: constant sizes keep the timing score; irregular sizes
 * lower it (final = (2 T + Z) / 3); no sizes = timing only. */
static void test_sizes(void)
{
	mh_beacon b;
	mh_beacon_result r;
	uint64_t st = prng_seed(4);

	mh_beacon_init(&b, 1);
	for (int i = 0; i < 20; i++)
		mh_beacon_add(&b, T0 + i * HOUR, true, 310);
	MH_CHECK(mh_beacon_eval(&b, 4, &r));
	MH_CHECK(r.size_set && r.size == 1.0 && r.score == 1.0);
	MH_CHECK(r.size_median == 310.0 && r.size_mad == 0.0);

	mh_beacon_init(&b, 1);
	for (int i = 0; i < 20; i++)
		mh_beacon_add(&b, T0 + i * HOUR, true,
			      (int64_t)(prng_next(&st) % 100000));
	MH_CHECK(mh_beacon_eval(&b, 4, &r));
	MH_CHECK(r.size_set && r.size < 0.5);
	MH_CHECK(r.score < 1.0 && r.score >= 2.0 / 3.0 - 0.001);

	/* sizes on fewer than min-events connections: timing only */
	mh_beacon_init(&b, 1);
	for (int i = 0; i < 20; i++)
		mh_beacon_add(&b, T0 + i * HOUR, i < 3, 99999 * i);
	MH_CHECK(mh_beacon_eval(&b, 4, &r));
	MH_CHECK(!r.size_set && r.score == 1.0);
}

/* Rule syntax: window must be all (default all), min-events >= 3 and
 * only for beacon, a condition is required, `field: beacon_score` is
 * accepted and other fields are not. */
static void test_syntax(void)
{
	static const char *bad[] = {
	    "title: b\ncorrelation:\n  type: beacon\n  rules: [conn]\n"
	    "  group-by: [Computer]\n  window: sliding\n  timespan: 1h\n"
	    "  condition: {gte: 0.8}\n",
	    "title: b\ncorrelation:\n  type: beacon\n  rules: [conn]\n"
	    "  group-by: [Computer]\n  min-events: 2\n"
	    "  condition: {gte: 0.8}\n",
	    "title: b\ncorrelation:\n  type: beacon\n  rules: [conn]\n"
	    "  group-by: [Computer]\n  min-events: many\n"
	    "  condition: {gte: 0.8}\n",
	    "title: b\ncorrelation:\n  type: beacon\n  rules: [conn]\n"
	    "  group-by: [Computer]\n",
	    "title: b\ncorrelation:\n  type: beacon\n  rules: [conn]\n"
	    "  group-by: [Computer]\n  condition: {field: BytesSent, "
	    "gte: 0.8}\n",
	    "title: b\ncorrelation:\n  type: event_count\n  rules: [conn]\n"
	    "  group-by: [Computer]\n  timespan: 1h\n  min-events: 5\n"
	    "  condition: {gte: 3}\n",
	    "title: b\ncorrelation:\n  type: event_count\n  rules: [conn]\n"
	    "  group-by: [Computer]\n  timespan: 1h\n"
	    "  condition: {field: beacon_score, gte: 3}\n",
	    "title: b\ncorrelation:\n  type: event_count\n  rules: [conn]\n"
	    "  group-by: [Computer]\n  timespan: 1h\n"
	    "  condition: {beacon_score|gte: 3}\n",
	    "title: b\ncorrelation:\n  type: beacon\n  rules: [conn]\n"
	    "  group-by: [Computer]\n"
	    "  condition: {beacon_score|above: 0.8}\n",
	};
	mh_ruleset *rs;
	mh_err err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rs = load(bad[i], &err);
		if (rs)
			fprintf(stderr, "accepted bad rule %zu\n", i);
		MH_CHECK(rs == NULL);
		mh_ruleset_free(rs);
	}
	rs = load("title: b\ncorrelation:\n  type: beacon\n  rules: [conn]\n"
		  "  group-by: [Computer]\n  min-events: 5\n"
		  "  condition: {gte: 0.7, lte: 1}\n",
		  &err);
	MH_CHECK(rs != NULL);
	if (rs) {
		const mh_corr *c = NULL;
		for (size_t i = 0; i < mh_ruleset_count(rs); i++)
			if (mh_ruleset_rule(rs, i)->is_correlation)
				c = mh_ruleset_rule(rs, i)->corr;
		MH_CHECK(c && c->type == MH_CORR_BEACON);
		MH_CHECK(c && c->window == MH_WIN_ALL);
		MH_CHECK(c && c->min_events == 5);
		MH_CHECK(c && c->ncond == 2);
		MH_CHECK(c && c->value_field == MH_F_NONE);
	}
	mh_ruleset_free(rs);
	/* the spelling: beacon_score|gte: 0.8 */
	rs = load("title: b\ncorrelation:\n  type: beacon\n  rules: [conn]\n"
		  "  group-by: [Computer]\n"
		  "  condition: {beacon_score|gte: 0.8}\n",
		  &err);
	MH_CHECK(rs != NULL);
	if (rs) {
		const mh_corr *c = NULL;
		for (size_t i = 0; i < mh_ruleset_count(rs); i++)
			if (mh_ruleset_rule(rs, i)->is_correlation)
				c = mh_ruleset_rule(rs, i)->corr;
		MH_CHECK(c && c->ncond == 1);
		MH_CHECK(c && c->cond[0].op == MH_CMP_GTE);
		MH_CHECK(c && c->cond[0].value == 0.8);
	}
	mh_ruleset_free(rs);
	rs = load(BEACON_CORR(""), &err);
	MH_CHECK(rs != NULL);
	if (rs) {
		for (size_t i = 0; i < mh_ruleset_count(rs); i++) {
			const mh_rule *x = mh_ruleset_rule(rs, i);
			if (x->is_correlation)
				MH_CHECK_EQ_INT(x->corr->min_events,
						MH_BEACON_MIN_EVENTS_DEF);
		}
	}
	mh_ruleset_free(rs);
}

int main(void)
{
	MH_RUN(test_calibration);
	MH_RUN(test_strict_period);
	MH_RUN(test_hand_computed);
	MH_RUN(test_stats_reference);
	MH_RUN(test_low_and_slow);
	MH_RUN(test_min_events);
	MH_RUN(test_memory_bound);
	MH_RUN(test_eviction_accounting);
	MH_RUN(test_order_and_determinism);
	MH_RUN(test_sizes);
	MH_RUN(test_syntax);
	MH_DONE();
}
