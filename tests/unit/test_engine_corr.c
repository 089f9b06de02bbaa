/* Correlation windows and types (src/engine/): boundaries of sliding,
 * lookback, sequence and all windows; every correlation type; group
 * keys. Rulesets are built from Sigma YAML through the rule module. */
#include "engine/engine.h"
#include "mh_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S  ((int64_t)1000000000)
#define T0 ((int64_t)1600000000 * S)

static const char base_rules[] = "title: base a\n"
				 "id: 11111111-0000-0000-0000-00000000000a\n"
				 "name: rule_a\n"
				 "logsource: {category: network_connection}\n"
				 "detection:\n"
				 "  sel: {DestinationPort: [25, 587]}\n"
				 "  condition: sel\n"
				 "level: low\n"
				 "---\n"
				 "title: base b\n"
				 "id: 11111111-0000-0000-0000-00000000000b\n"
				 "name: rule_b\n"
				 "logsource: {category: network_connection}\n"
				 "detection:\n"
				 "  sel: {DestinationPort: [110, 995]}\n"
				 "  condition: sel\n"
				 "level: low\n"
				 "---\n";

/* A ruleset of rule_a, rule_b and one correlation "corr" whose
 * `correlation:` body lines are given. */
static mh_ruleset *load_corr(const char *body)
{
	char y[4096];
	mh_ruleset *rs = NULL;
	mh_err err;
	int n;

	n = snprintf(y, sizeof(y),
		     "%stitle: corr\n"
		     "id: 11111111-0000-0000-0000-0000000000cc\n"
		     "correlation:\n%s"
		     "level: high\n",
		     base_rules, body);
	if (n < 0 || (size_t)n >= sizeof(y))
		return NULL;
	mh_err_clear(&err);
	if (mh_ruleset_new(&rs) != MH_OK)
		return NULL;
	if (mh_ruleset_add_yaml(rs, "test.yml", y, (size_t)n, &err) != MH_OK ||
	    mh_ruleset_compile(rs, &err) != MH_OK) {
		fprintf(stderr, "ruleset: %s (line %llu)\n", err.msg,
			(unsigned long long)err.line);
		mh_ruleset_free(rs);
		return NULL;
	}
	return rs;
}

static uint32_t ridx(const mh_ruleset *rs, const char *name)
{
	for (size_t i = 0; i < mh_ruleset_count(rs); i++) {
		const mh_rule *r = mh_ruleset_rule(rs, i);
		if (r->name && strcmp(r->name, name) == 0)
			return (uint32_t)i;
	}
	return UINT32_MAX;
}

typedef struct tctx {
	mh_ruleset *rs;
	mh_engine *e;
	uint32_t a, b;
	mh_event ev;
	mh_arena ar;
} tctx;

static bool setup(tctx *t, const char *body, const mh_engine_opts *o)
{
	memset(t, 0, sizeof(*t));
	t->rs = load_corr(body);
	if (!t->rs)
		return false;
	t->a = ridx(t->rs, "rule_a");
	t->b = ridx(t->rs, "rule_b");
	mh_arena_init(&t->ar, 4096, 0);
	t->ev.arena = &t->ar;
	return mh_engine_new(t->rs, o, &t->e, NULL) == MH_OK;
}

static void teardown(tctx *t)
{
	mh_engine_free(t->e);
	mh_ruleset_free(t->rs);
	mh_arena_free(&t->ar);
}

static void put(tctx *t, mh_field f, const char *v)
{
	if (v)
		mh_event_set(&t->ev, f, v, strlen(v));
}

/* Feed one event at time tm matching rule r, with Computer and
 * DestinationIp and optional User / BytesSent. */
static mh_rc feed_full(tctx *t, uint32_t r, int64_t tm, const char *host,
		       const char *dst, const char *user, const char *bytes)
{
	mh_event_clear(&t->ev);
	mh_arena_reset(&t->ar);
	t->ev.time_ns = tm;
	t->ev.file = "input.json";
	t->ev.line++;
	mh_event_set(&t->ev, MH_F_TIME, "t", 1);
	put(t, MH_F_HOST, host);
	put(t, MH_F_DESTINATION_IP, dst);
	put(t, MH_F_USER, user);
	put(t, MH_F_BYTES_SENT, bytes);
	return mh_engine_feed(t->e, &t->ev, &r, 1, NULL);
}

static mh_rc feed_at(tctx *t, uint32_t r, int64_t tm)
{
	return feed_full(t, r, tm, "WS1", "10.0.0.1", NULL, NULL);
}

static size_t finish(tctx *t)
{
	MH_CHECK(mh_engine_finish(t->e, NULL) == MH_OK);
	return mh_engine_alert_count(t->e);
}

/* Number of alerts of the correlation rule (title "corr"). */
static size_t corr_alerts(tctx *t)
{
	size_t n = 0;
	for (size_t i = 0; i < mh_engine_alert_count(t->e); i++)
		if (strcmp(mh_engine_alert(t->e, i)->rule->title, "corr") == 0)
			n++;
	return n;
}

static const mh_alert *corr_alert(tctx *t, size_t k)
{
	for (size_t i = 0; i < mh_engine_alert_count(t->e); i++) {
		const mh_alert *a = mh_engine_alert(t->e, i);
		if (strcmp(a->rule->title, "corr") == 0 && k-- == 0)
			return a;
	}
	return NULL;
}

#define SLIDING_GT2                                                            \
	"  type: event_count\n  rules: [rule_a]\n  group-by: [Computer]\n"     \
	"  timespan: 1h\n  condition: {gt: 2}\n"

static void test_gt2_two_vs_three(void)
{
	tctx t;

	MH_CHECK(setup(&t, SLIDING_GT2, NULL));
	feed_at(&t, t.a, T0);
	feed_at(&t, t.a, T0 + 60 * S);
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 0);
	teardown(&t);

	MH_CHECK(setup(&t, SLIDING_GT2, NULL));
	feed_at(&t, t.a, T0);
	feed_at(&t, t.a, T0 + 60 * S);
	feed_at(&t, t.a, T0 + 120 * S);
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 1);
	if (corr_alerts(&t) == 1) {
		const mh_alert *a = corr_alert(&t, 0);
		MH_CHECK_EQ_INT(a->count, 3);
		MH_CHECK(a->value == 3.0);
		MH_CHECK_EQ_INT(a->first_ns, T0);
		MH_CHECK_EQ_INT(a->last_ns, T0 + 120 * S);
		MH_CHECK_EQ_INT(a->level, MH_LVL_HIGH);
		MH_CHECK_EQ_INT(a->ngroup, 1);
		MH_CHECK_EQ_STR(a->group[0].name, "Computer");
		MH_CHECK_EQ_INT(a->group[0].field, MH_F_HOST);
		MH_CHECK(a->group[0].set);
		MH_CHECK_EQ_SLICE(a->group[0].val.p, a->group[0].val.n, "WS1");
		MH_CHECK_EQ_INT(a->ncontrib, 1);
		MH_CHECK(a->ncontrib == 1 && a->contrib[0]->index == t.a);
	}
	/* the base rule is referenced, so it emits nothing on its own */
	MH_CHECK_EQ_INT(mh_engine_alert_count(t.e), 1);
	teardown(&t);
}

/* Window edges: [t - timespan, t], both ends inclusive. */
static void test_sliding_edges(void)
{
	tctx t;

	MH_CHECK(setup(&t, SLIDING_GT2, NULL));
	feed_at(&t, t.a, T0);
	feed_at(&t, t.a, T0 + 1800 * S);
	feed_at(&t, t.a, T0 + 3600 * S); /* exactly timespan: in */
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 1);
	teardown(&t);

	MH_CHECK(setup(&t, SLIDING_GT2, NULL));
	feed_at(&t, t.a, T0);
	feed_at(&t, t.a, T0 + 1800 * S);
	feed_at(&t, t.a, T0 + 3600 * S + 1); /* 1 ns past: T0 expired */
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 0);
	teardown(&t);
}

/* An open alert extends while events come within timespan of its last
 * event, closes when one arrives later; the group starts afresh. */
static void test_sliding_extend_close(void)
{
	tctx t;
	const mh_alert *a;

	MH_CHECK(setup(&t, SLIDING_GT2, NULL));
	feed_at(&t, t.a, T0);
	feed_at(&t, t.a, T0 + 10 * S);
	feed_at(&t, t.a, T0 + 20 * S);	 /* opens */
	feed_at(&t, t.a, T0 + 30 * S);	 /* extends */
	feed_at(&t, t.a, T0 + 3630 * S); /* exactly timespan after: extends */
	feed_at(&t, t.a, T0 + 7231 * S); /* > timespan: closes, new window */
	feed_at(&t, t.a, T0 + 7232 * S);
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 1);
	a = corr_alert(&t, 0);
	MH_CHECK(a && a->count == 5);
	MH_CHECK(a && a->last_ns == T0 + 3630 * S);
	teardown(&t);

	MH_CHECK(setup(&t, SLIDING_GT2, NULL));
	for (int i = 0; i < 3; i++)
		feed_at(&t, t.a, T0 + i * S);
	for (int i = 0; i < 3; i++)
		feed_at(&t, t.a, T0 + 7200 * S + i * S);
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 2);
	MH_CHECK(corr_alert(&t, 0) && corr_alert(&t, 0)->count == 3);
	MH_CHECK(corr_alert(&t, 1) && corr_alert(&t, 1)->count == 3);
	teardown(&t);
}

static void test_sliding_out_of_order(void)
{
	tctx t;
	mh_engine_stats st;
	const mh_alert *a;

	/* older events within the window are inserted in time order */
	MH_CHECK(setup(&t, SLIDING_GT2, NULL));
	feed_at(&t, t.a, T0 + 100 * S);
	feed_at(&t, t.a, T0 + 50 * S);
	feed_at(&t, t.a, T0 + 10 * S);
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 1);
	a = corr_alert(&t, 0);
	MH_CHECK(a && a->first_ns == T0 + 10 * S);
	MH_CHECK(a && a->last_ns == T0 + 100 * S);
	mh_engine_get_stats(t.e, &st);
	MH_CHECK_EQ_INT(st.late, 0);
	teardown(&t);

	/* older than the newest event minus timespan: dropped, counted */
	MH_CHECK(setup(&t, SLIDING_GT2, NULL));
	feed_at(&t, t.a, T0 + 10000 * S);
	feed_at(&t, t.a, T0 + 100 * S);
	feed_at(&t, t.a, T0 + 6400 * S); /* exactly timespan before: kept */
	feed_at(&t, t.a, T0 + 6399 * S);
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 0);
	mh_engine_get_stats(t.e, &st);
	MH_CHECK_EQ_INT(st.late, 2);
	teardown(&t);
}

/* Upper-bounded conditions are evaluated when the window closes. */
static void test_sliding_closing_condition(void)
{
	tctx t;

	MH_CHECK(setup(&t,
		       "  type: event_count\n  rules: [rule_a]\n"
		       "  group-by: [Computer]\n  timespan: 1h\n"
		       "  condition: {lt: 3}\n",
		       NULL));
	feed_at(&t, t.a, T0);
	feed_at(&t, t.a, T0 + 3600 * S); /* same window (inclusive) */
	feed_at(&t, t.a, T0 + 4000 * S); /* closes [T0, T0+1h]: 2 < 3 */
	feed_at(&t, t.a, T0 + 4001 * S);
	feed_at(&t, t.a, T0 + 4002 * S); /* 3 in window: no alert */
	feed_at(&t, t.a, T0 + 9000 * S); /* closes it; opens a third */
	finish(&t);			 /* third window: 1 < 3 */
	MH_CHECK_EQ_INT(corr_alerts(&t), 2);
	MH_CHECK(corr_alert(&t, 0) && corr_alert(&t, 0)->count == 2);
	MH_CHECK(corr_alert(&t, 0) && corr_alert(&t, 0)->first_ns == T0);
	MH_CHECK(corr_alert(&t, 1) && corr_alert(&t, 1)->count == 1);
	MH_CHECK(corr_alert(&t, 1) &&
		 corr_alert(&t, 1)->first_ns == T0 + 9000 * S);
	teardown(&t);

	/* range gte 2 + lte 3: exactly 2 or 3 events in a window */
	MH_CHECK(setup(&t,
		       "  type: event_count\n  rules: [rule_a]\n"
		       "  group-by: [Computer]\n  timespan: 1h\n"
		       "  condition: {gte: 2, lte: 3}\n",
		       NULL));
	for (int i = 0; i < 4; i++)
		feed_at(&t, t.a, T0 + i * S); /* 4: no */
	for (int i = 0; i < 3; i++)
		feed_at(&t, t.a, T0 + 5000 * S + i * S); /* 3: yes */
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 1);
	MH_CHECK(corr_alert(&t, 0) && corr_alert(&t, 0)->count == 3);
	teardown(&t);
}

#define LOOKBACK_GT2                                                           \
	"  type: event_count\n  rules: [rule_a]\n  group-by: [Computer]\n"     \
	"  timespan: 24h\n  window: lookback\n  condition: {gt: 2}\n"

static void test_lookback_now_set(void)
{
	tctx t;
	mh_engine_opts o = {0};
	int64_t now = T0 + 48 * 3600 * S, day = 24 * 3600 * S;
	mh_engine_stats st;

	o.now_set = true;
	o.now_ns = now;
	MH_CHECK(setup(&t, LOOKBACK_GT2, &o));
	feed_at(&t, t.a, now - day); /* exactly now - 24h: excluded */
	feed_at(&t, t.a, now - day + 1);
	feed_at(&t, t.a, now - 3600 * S);
	/* out of range on arrival: no group is kept for it */
	feed_full(&t, t.a, now - day - 5 * S, "OLD", NULL, NULL, NULL);
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 0);
	mh_engine_get_stats(t.e, &st);
	MH_CHECK_EQ_INT(st.now_ns, now);
	MH_CHECK_EQ_INT(st.groups, 1);
	MH_CHECK_EQ_INT(st.fed, 4);
	MH_CHECK_EQ_INT(st.late, 0);
	teardown(&t);

	MH_CHECK(setup(&t, LOOKBACK_GT2, &o));
	feed_at(&t, t.a, now - day);
	feed_at(&t, t.a, now - day + 1);
	feed_at(&t, t.a, now - 3600 * S);
	feed_at(&t, t.a, now + 3600 * S); /* no upper bound */
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 1);
	MH_CHECK(corr_alert(&t, 0) && corr_alert(&t, 0)->count == 3);
	MH_CHECK(corr_alert(&t, 0) &&
		 corr_alert(&t, 0)->first_ns == now - day + 1);
	teardown(&t);
}

static void test_lookback_default_now(void)
{
	tctx t;
	mh_engine_stats st;
	int64_t day = 24 * 3600 * S;

	/* now = latest time seen (note_time of an unmatched record) */
	MH_CHECK(setup(&t, LOOKBACK_GT2, NULL));
	feed_at(&t, t.a, T0);
	feed_at(&t, t.a, T0 + 3600 * S);
	feed_at(&t, t.a, T0 + 7200 * S);
	feed_at(&t, t.a, T0 + 7300 * S);
	mh_engine_note_time(t.e, T0 + day + 3600 * S); /* cut = T0 + 1h */
	finish(&t);
	mh_engine_get_stats(t.e, &st);
	MH_CHECK_EQ_INT(st.now_ns, T0 + day + 3600 * S);
	MH_CHECK_EQ_INT(corr_alerts(&t), 0); /* T0+1h excluded: 2 left */
	teardown(&t);

	MH_CHECK(setup(&t, LOOKBACK_GT2, NULL));
	feed_at(&t, t.a, T0);
	feed_at(&t, t.a, T0 + 3600 * S);
	feed_at(&t, t.a, T0 + 7200 * S);
	feed_at(&t, t.a, T0 + 7300 * S);
	mh_engine_note_time(t.e, T0 + day + 3599 * S);
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 1);
	MH_CHECK(corr_alert(&t, 0) && corr_alert(&t, 0)->count == 3);
	MH_CHECK(corr_alert(&t, 0) &&
		 corr_alert(&t, 0)->first_ns == T0 + 3600 * S);
	teardown(&t);

	/* events pruned while the max rises, out-of-order ones kept */
	MH_CHECK(setup(&t, LOOKBACK_GT2, NULL));
	for (int i = 0; i < 10; i++)
		feed_at(&t, t.a, T0 + i * 3600 * S);
	feed_at(&t, t.a, T0 + 2 * day);
	feed_at(&t, t.a, T0 + 2 * day - 10 * S);
	feed_at(&t, t.a, T0 + day + 1);
	feed_at(&t, t.a, T0 + day); /* = now - 24h: excluded */
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 1);
	MH_CHECK(corr_alert(&t, 0) && corr_alert(&t, 0)->count == 3);
	MH_CHECK(corr_alert(&t, 0) &&
		 corr_alert(&t, 0)->first_ns == T0 + day + 1);
	teardown(&t);
}

#define SEQ3                                                                   \
	"  type: event_count\n  rules: [rule_a]\n  group-by: [Computer]\n"     \
	"  timespan: 24h\n  window: sequence\n  condition: {gte: 3}\n"

static void test_sequence(void)
{
	tctx t;

	MH_CHECK(setup(&t, SEQ3, NULL));
	for (int i = 0; i < 7; i++)
		feed_at(&t, t.a, T0 + i * 60 * S);
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 2);
	MH_CHECK(corr_alert(&t, 0) && corr_alert(&t, 0)->count == 3);
	MH_CHECK(corr_alert(&t, 1) && corr_alert(&t, 1)->count == 3);
	MH_CHECK(corr_alert(&t, 0) && corr_alert(&t, 0)->first_ns == T0);
	MH_CHECK(corr_alert(&t, 1) &&
		 corr_alert(&t, 1)->first_ns == T0 + 180 * S);
	teardown(&t);

	/* maxspan: pending events older than t - 24h are dropped */
	MH_CHECK(setup(&t, SEQ3, NULL));
	feed_at(&t, t.a, T0);
	feed_at(&t, t.a, T0 + 3600 * S);
	feed_at(&t, t.a, T0 + 24 * 3600 * S + 1); /* T0 expires */
	feed_at(&t, t.a, T0 + 24 * 3600 * S + 2); /* 3 pending: fires */
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 1);
	MH_CHECK(corr_alert(&t, 0) &&
		 corr_alert(&t, 0)->first_ns == T0 + 3600 * S);
	teardown(&t);
}

static void test_all_window(void)
{
	tctx t;

	MH_CHECK(setup(&t,
		       "  type: event_count\n  rules: [rule_a]\n"
		       "  group-by: [Computer]\n  window: all\n"
		       "  condition: {gt: 2}\n",
		       NULL));
	feed_at(&t, t.a, T0);
	feed_at(&t, t.a, T0 + 10 * 24 * 3600 * S);
	feed_full(&t, t.a, T0 + 5 * S, "WS2", "10.0.0.1", NULL, NULL);
	feed_at(&t, t.a, T0 + 30 * 24 * 3600 * S);
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 1);
	MH_CHECK(corr_alert(&t, 0) && corr_alert(&t, 0)->count == 3);
	MH_CHECK(corr_alert(&t, 0) &&
		 corr_alert(&t, 0)->last_ns == T0 + 30 * 24 * 3600 * S);
	teardown(&t);
}

static void test_value_count(void)
{
	tctx t;
	const char *body = "  type: value_count\n  rules: [rule_a]\n"
			   "  group-by: [Computer]\n  timespan: 1h\n"
			   "  condition: {gte: 3, field: DestinationIp}\n";

	MH_CHECK(setup(&t, body, NULL));
	feed_full(&t, t.a, T0, "WS1", "10.0.0.1", NULL, NULL);
	feed_full(&t, t.a, T0 + 1, "WS1", "10.0.0.2", NULL, NULL);
	feed_full(&t, t.a, T0 + 2, "WS1", "10.0.0.1", NULL, NULL);
	feed_full(&t, t.a, T0 + 3, "WS1", NULL, NULL, NULL);
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 0);
	teardown(&t);

	MH_CHECK(setup(&t, body, NULL));
	feed_full(&t, t.a, T0, "WS1", "10.0.0.1", NULL, NULL);
	feed_full(&t, t.a, T0 + 1, "WS1", "10.0.0.2", NULL, NULL);
	feed_full(&t, t.a, T0 + 2, "WS1", "10.0.0.1", NULL, NULL);
	feed_full(&t, t.a, T0 + 3, "WS1", "10.0.0.3", NULL, NULL);
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 1);
	if (corr_alerts(&t) == 1) {
		MH_CHECK(corr_alert(&t, 0)->value == 3.0);
		MH_CHECK_EQ_INT(corr_alert(&t, 0)->count, 4);
		MH_CHECK_EQ_INT(corr_alert(&t, 0)->distinct_dst, 3);
	}
	teardown(&t);

	/* a value leaving the window no longer counts */
	MH_CHECK(setup(&t, body, NULL));
	feed_full(&t, t.a, T0, "WS1", "10.0.0.1", NULL, NULL);
	feed_full(&t, t.a, T0 + 1, "WS1", "10.0.0.2", NULL, NULL);
	feed_full(&t, t.a, T0 + 7200 * S, "WS1", "10.0.0.3", NULL, NULL);
	feed_full(&t, t.a, T0 + 7201 * S, "WS1", "10.0.0.1", NULL, NULL);
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 0);
	teardown(&t);
}

static void test_value_sum_avg(void)
{
	tctx t;

	MH_CHECK(setup(&t,
		       "  type: value_sum\n  rules: [rule_a]\n"
		       "  group-by: [Computer]\n  timespan: 1h\n"
		       "  condition: {gt: 1000, field: BytesSent}\n",
		       NULL));
	feed_full(&t, t.a, T0, "WS1", "10.0.0.1", NULL, "600");
	feed_full(&t, t.a, T0 + 1, "WS1", "10.0.0.1", NULL, "400");
	feed_full(&t, t.a, T0 + 2, "WS1", "10.0.0.1", NULL, "x");
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 0); /* 1000 is not > 1000 */
	teardown(&t);

	MH_CHECK(setup(&t,
		       "  type: value_sum\n  rules: [rule_a]\n"
		       "  group-by: [Computer]\n  timespan: 1h\n"
		       "  condition: {gt: 1000, field: BytesSent}\n",
		       NULL));
	feed_full(&t, t.a, T0, "WS1", "10.0.0.1", NULL, "600");
	feed_full(&t, t.a, T0 + 1, "WS1", "10.0.0.1", NULL, "401");
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 1);
	MH_CHECK(corr_alert(&t, 0) && corr_alert(&t, 0)->value == 1001.0);
	MH_CHECK(corr_alert(&t, 0) && corr_alert(&t, 0)->bytes_sent == 1001);
	teardown(&t);

	MH_CHECK(setup(&t,
		       "  type: value_avg\n  rules: [rule_a]\n"
		       "  group-by: [Computer]\n  window: all\n"
		       "  condition: {gte: 500, field: BytesSent}\n",
		       NULL));
	feed_full(&t, t.a, T0, "WS1", "10.0.0.1", NULL, "200");
	feed_full(&t, t.a, T0 + 1, "WS1", "10.0.0.1", NULL, "800");
	feed_full(&t, t.a, T0 + 2, "WS1", "10.0.0.1", NULL, NULL);
	feed_full(&t, t.a, T0, "WS2", "10.0.0.1", NULL, "200");
	feed_full(&t, t.a, T0 + 1, "WS2", "10.0.0.1", NULL, "799");
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 1);
	if (corr_alerts(&t) == 1) {
		MH_CHECK(corr_alert(&t, 0)->value == 500.0);
		MH_CHECK_EQ_INT(corr_alert(&t, 0)->count, 3);
		MH_CHECK_EQ_SLICE(corr_alert(&t, 0)->group[0].val.p,
				  corr_alert(&t, 0)->group[0].val.n, "WS1");
	}
	teardown(&t);
}

#define TEMPORAL(type)                                                         \
	"  type: " type "\n  rules: [rule_a, rule_b]\n"                        \
	"  group-by: [Computer]\n  timespan: 1h\n"

static void test_temporal(void)
{
	tctx t;

	MH_CHECK(setup(&t, TEMPORAL("temporal"), NULL));
	feed_at(&t, t.b, T0);
	feed_at(&t, t.a, T0 + 60 * S);
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 1);
	MH_CHECK(corr_alert(&t, 0) && corr_alert(&t, 0)->ncontrib == 2);
	teardown(&t);

	MH_CHECK(setup(&t, TEMPORAL("temporal"), NULL));
	feed_at(&t, t.a, T0);
	feed_at(&t, t.a, T0 + 60 * S);
	feed_at(&t, t.b, T0 + 3661 * S); /* the a's are out of window */
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 0);
	teardown(&t);
}

static void test_temporal_ordered(void)
{
	tctx t;

	MH_CHECK(setup(&t, TEMPORAL("temporal_ordered"), NULL));
	feed_at(&t, t.a, T0);
	feed_at(&t, t.b, T0 + 60 * S);
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 1);
	teardown(&t);

	MH_CHECK(setup(&t, TEMPORAL("temporal_ordered"), NULL));
	feed_at(&t, t.b, T0);
	feed_at(&t, t.a, T0 + 60 * S);
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 0);
	teardown(&t);

	/* b, a, b: the a..b subsequence fires */
	MH_CHECK(setup(&t, TEMPORAL("temporal_ordered"), NULL));
	feed_at(&t, t.b, T0);
	feed_at(&t, t.a, T0 + 60 * S);
	feed_at(&t, t.b, T0 + 120 * S);
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 1);
	teardown(&t);

	/* order is event time, not arrival: b arrives first but is later */
	MH_CHECK(setup(&t, TEMPORAL("temporal_ordered"), NULL));
	feed_at(&t, t.b, T0 + 60 * S);
	feed_at(&t, t.a, T0);
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 1);
	teardown(&t);
}

/* Unset and empty group values are distinct groups. */
static void test_null_vs_empty_group(void)
{
	tctx t;
	const mh_alert *x, *y;

	MH_CHECK(setup(&t,
		       "  type: event_count\n  rules: [rule_a]\n"
		       "  group-by: [User]\n  window: all\n"
		       "  condition: {gte: 2}\n",
		       NULL));
	feed_full(&t, t.a, T0, "WS1", NULL, NULL, NULL);
	feed_full(&t, t.a, T0 + 1, "WS1", NULL, "", NULL);
	feed_full(&t, t.a, T0 + 2, "WS1", NULL, NULL, NULL);
	feed_full(&t, t.a, T0 + 3, "WS1", NULL, "", NULL);
	feed_full(&t, t.a, T0 + 4, "WS1", NULL, "bob", NULL);
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 2);
	x = corr_alert(&t, 0);
	y = corr_alert(&t, 1);
	if (x && y) {
		/* default order: first_seen; the unset group came first */
		MH_CHECK(!x->group[0].set);
		MH_CHECK(y->group[0].set && y->group[0].val.n == 0);
		MH_CHECK_EQ_INT(x->count, 2);
		MH_CHECK_EQ_INT(y->count, 2);
		MH_CHECK_EQ_STR(x->group[0].name, "User");
	}
	teardown(&t);
}

/* Group-by through a correlation alias: per-rule fields, alias name. */
static void test_alias_group(void)
{
	tctx t;
	const mh_alert *a;

	MH_CHECK(setup(&t,
		       "  type: temporal\n  rules: [rule_a, rule_b]\n"
		       "  group-by: [host]\n  timespan: 1h\n"
		       "  aliases:\n"
		       "    host:\n"
		       "      rule_a: Computer\n"
		       "      rule_b: SourceIp\n",
		       NULL));
	feed_full(&t, t.a, T0, "10.1.1.1", "10.0.0.9", NULL, NULL);
	mh_event_clear(&t.ev);
	t.ev.time_ns = T0 + 5 * S;
	mh_event_set(&t.ev, MH_F_SOURCE_IP, "10.1.1.1", 8);
	MH_CHECK(mh_engine_feed(t.e, &t.ev, &t.b, 1, NULL) == MH_OK);
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 1);
	a = corr_alert(&t, 0);
	if (a) {
		MH_CHECK_EQ_STR(a->group[0].name, "host");
		MH_CHECK_EQ_INT(a->group[0].field, MH_F_NONE);
		MH_CHECK_EQ_SLICE(a->group[0].val.p, a->group[0].val.n,
				  "10.1.1.1");
		MH_CHECK_EQ_INT(a->count, 2);
	}
	teardown(&t);
}

/* One event matching both referenced rules counts once. */
static void test_multi_match_counts_once(void)
{
	tctx t;
	uint32_t both[2];

	MH_CHECK(setup(&t,
		       "  type: event_count\n  rules: [rule_a, rule_b]\n"
		       "  group-by: [Computer]\n  timespan: 1h\n"
		       "  condition: {gte: 2}\n",
		       NULL));
	both[0] = t.a;
	both[1] = t.b;
	mh_event_clear(&t.ev);
	t.ev.time_ns = T0;
	mh_event_set(&t.ev, MH_F_HOST, "WS1", 3);
	MH_CHECK(mh_engine_feed(t.e, &t.ev, both, 2, NULL) == MH_OK);
	finish(&t);
	MH_CHECK_EQ_INT(corr_alerts(&t), 0);
	teardown(&t);
}

/* A window that never empties nor alerts does not keep every distinct
 * value it ever saw: 20000 distinct values fit a 64 KiB cap. */
static void test_long_window_bounded(void)
{
	tctx t;
	mh_engine_opts o = {0};
	mh_engine_stats st;
	char ip[32];
	const mh_alert *a;

	o.max_memory = 64 * 1024;
	MH_CHECK(setup(&t,
		       "  type: value_count\n  rules: [rule_a]\n"
		       "  group-by: [Computer]\n  timespan: 10s\n"
		       "  condition: {gte: 12, field: DestinationIp}\n",
		       &o));
	for (int i = 0; i < 20000; i++) {
		snprintf(ip, sizeof(ip), "10.%d.%d.%d", i / 65536,
			 (i / 256) % 256, i % 256);
		MH_CHECK(feed_full(&t, t.a, T0 + i * S, "WS1", ip, "u", NULL) ==
			 MH_OK);
	}
	mh_engine_get_stats(t.e, &st);
	MH_CHECK_EQ_INT(st.evicted, 0);
	MH_CHECK_EQ_INT(st.alerts, 0);
	for (int i = 0; i < 12; i++) {
		snprintf(ip, sizeof(ip), "172.16.0.%d", i);
		feed_full(&t, t.a, T0 + 20000 * S + i * (S / 2), "WS1", ip, "u",
			  NULL);
	}
	finish(&t);
	mh_engine_get_stats(t.e, &st);
	MH_CHECK_EQ_INT(st.evicted, 0);
	MH_CHECK_EQ_INT(corr_alerts(&t), 1);
	a = corr_alert(&t, 0);
	if (a) {
		MH_CHECK(a->value >= 12.0);
		MH_CHECK_EQ_INT(a->distinct_dst, a->count);
		MH_CHECK_EQ_INT(a->last_ns, T0 + 20000 * S + 11 * (S / 2));
		MH_CHECK_EQ_INT(a->nusers, 1);
	}
	teardown(&t);
}

/* Idle groups: a group whose newest event is more than timespan +
 * lateness behind the newest time seen is closed (its open alert
 * emitted) and freed; on input in time order the alerts are those of
 * --lateness none, and the state no longer grows with the input. */
static void run_hosts(tctx *t, size_t nhosts)
{
	char host[32];

	for (size_t i = 0; i < nhosts; i++) {
		int64_t t0 = T0 + (int64_t)i * 2 * 3600 * S;
		snprintf(host, sizeof(host), "H%zu", i);
		/* even hosts: 4 events (an open alert), odd ones: 2 */
		for (int k = 0; k < (i % 2 ? 2 : 4); k++)
			feed_full(t, t->a, t0 + k * S, host, "10.0.0.1", NULL,
				  NULL);
	}
}

static void test_idle_groups_closed(void)
{
	mh_engine_opts none = {.lateness_set = true, .lateness_ns = -1};
	mh_engine_stats st, stn;
	tctx t, tn;

	MH_CHECK(setup(&t, SLIDING_GT2, NULL));
	MH_CHECK(setup(&tn, SLIDING_GT2, &none));
	run_hosts(&t, 1000);
	run_hosts(&tn, 1000);
	mh_engine_get_stats(t.e, &st);
	mh_engine_get_stats(tn.e, &stn);
	MH_CHECK(st.groups <= 2);
	MH_CHECK_EQ_INT(st.expired + st.groups, 1000);
	MH_CHECK_EQ_INT(stn.groups, 1000);
	MH_CHECK_EQ_INT(stn.expired, 0);
	/* 500 alerts emitted at expiry, before the end */
	MH_CHECK(mh_engine_alert_count(t.e) >= 499);
	MH_CHECK_EQ_INT(finish(&t), 500);
	MH_CHECK_EQ_INT(finish(&tn), 500);
	for (size_t i = 0; i < 500; i++) {
		const mh_alert *a = corr_alert(&t, i), *b = corr_alert(&tn, i);
		MH_CHECK(a && b);
		if (!a || !b)
			break;
		MH_CHECK_EQ_INT(a->count, 4);
		MH_CHECK_EQ_INT(b->count, 4);
		MH_CHECK(a->first_ns == b->first_ns &&
			 a->last_ns == b->last_ns);
		MH_CHECK(a->ngroup == 1 && b->ngroup == 1 &&
			 a->group[0].val.n == b->group[0].val.n &&
			 memcmp(a->group[0].val.p, b->group[0].val.p,
				a->group[0].val.n) == 0);
	}
	mh_engine_get_stats(t.e, &st);
	MH_CHECK_EQ_INT(st.straggled, 0);
	teardown(&t);
	teardown(&tn);
}

/* An event more than --lateness behind the newest one may find its
 * window closed: it starts a new group, and it is counted. */
static void test_lateness_straggler(void)
{
	mh_engine_opts none = {.lateness_set = true, .lateness_ns = -1};
	mh_engine_opts l0 = {.lateness_set = true, .lateness_ns = 0};
	const mh_engine_opts *opts[3] = {NULL, &none, &l0};
	const size_t want[3] = {0, 1, 0};
	const uint64_t strag[3] = {1, 0, 1};

	for (int k = 0; k < 3; k++) {
		mh_engine_stats st;
		tctx t;
		MH_CHECK(setup(&t, SLIDING_GT2, opts[k]));
		feed_full(&t, t.a, T0, "X", "10.0.0.1", NULL, NULL);
		feed_full(&t, t.a, T0 + S, "X", "10.0.0.1", NULL, NULL);
		/* another host 3 h later: X has been idle for its 1 h
		 * window plus the default 1 h lateness */
		feed_full(&t, t.a, T0 + 3 * 3600 * S, "Y", "10.0.0.2", NULL,
			  NULL);
		feed_full(&t, t.a, T0 + 2 * S, "X", "10.0.0.1", NULL, NULL);
		MH_CHECK_EQ_INT(finish(&t), want[k]);
		mh_engine_get_stats(t.e, &st);
		MH_CHECK_EQ_INT(st.straggled, strag[k]);
		MH_CHECK_EQ_INT(st.expired, k == 1 ? 0 : 1);
		teardown(&t);
	}

	/* lateness 0: a group closes right after its window; an event in
	 * time order is never a straggler */
	{
		mh_engine_stats st;
		tctx t;
		MH_CHECK(setup(&t, SLIDING_GT2, &l0));
		for (int i = 0; i < 3; i++) /* 0, 30 and 60 min */
			feed_full(&t, t.a, T0 + i * 1800 * S, "X", "10.0.0.1",
				  NULL, NULL);
		/* 2 h later: the window closed, the alert was emitted */
		feed_full(&t, t.a, T0 + 3 * 3600 * S, "Y", "10.0.0.2", NULL,
			  NULL);
		mh_engine_get_stats(t.e, &st);
		MH_CHECK_EQ_INT(st.straggled, 0);
		MH_CHECK_EQ_INT(st.expired, 1);
		MH_CHECK_EQ_INT(mh_engine_alert_count(t.e), 1);
		MH_CHECK_EQ_INT(finish(&t), 1);
		teardown(&t);
	}
}

/* lookback without --now: a group whose events all fall out of the
 * lookback is freed; the result is that of --lateness none. */
static void test_lookback_idle(void)
{
	static const char body[] =
	    "  type: event_count\n  rules: [rule_a]\n  group-by: [Computer]\n"
	    "  timespan: 1h\n  window: lookback\n  condition: {gte: 1}\n";
	mh_engine_opts none = {.lateness_set = true, .lateness_ns = -1};
	mh_engine_stats st;
	tctx t, tn;

	MH_CHECK(setup(&t, body, NULL));
	MH_CHECK(setup(&tn, body, &none));
	run_hosts(&t, 100);
	run_hosts(&tn, 100);
	mh_engine_get_stats(t.e, &st);
	MH_CHECK(st.groups <= 2 && st.expired >= 98);
	MH_CHECK_EQ_INT(finish(&t), 1);
	MH_CHECK_EQ_INT(finish(&tn), 1);
	MH_CHECK(corr_alert(&t, 0) && corr_alert(&tn, 0) &&
		 corr_alert(&t, 0)->count == corr_alert(&tn, 0)->count);
	teardown(&t);
	teardown(&tn);
}

int main(void)
{
	MH_RUN(test_gt2_two_vs_three);
	MH_RUN(test_sliding_edges);
	MH_RUN(test_sliding_extend_close);
	MH_RUN(test_sliding_out_of_order);
	MH_RUN(test_sliding_closing_condition);
	MH_RUN(test_lookback_now_set);
	MH_RUN(test_lookback_default_now);
	MH_RUN(test_sequence);
	MH_RUN(test_all_window);
	MH_RUN(test_value_count);
	MH_RUN(test_value_sum_avg);
	MH_RUN(test_temporal);
	MH_RUN(test_temporal_ordered);
	MH_RUN(test_null_vs_empty_group);
	MH_RUN(test_alias_group);
	MH_RUN(test_multi_match_counts_once);
	MH_RUN(test_long_window_bounded);
	MH_RUN(test_idle_groups_closed);
	MH_RUN(test_lateness_straggler);
	MH_RUN(test_lookback_idle);
	MH_DONE();
}
