/* Alert contents and ordering (src/engine/): standalone detection
 * alerts, context, users cap, distinct_dst, bytes, refs, generate,
 * memory cap and eviction, default and profile sort orders. */
#include "engine/engine.h"
#include "mh_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S  ((int64_t)1000000000)
#define T0 ((int64_t)1600000000 * S)

#define DET(name, level, port)                                                 \
	"title: " name "\n"                                                    \
	"name: " name "\n"                                                     \
	"logsource: {category: network_connection}\n"                          \
	"detection:\n"                                                         \
	"  sel: {DestinationPort: " port "}\n"                                 \
	"  condition: sel\n"                                                   \
	"level: " level "\n"

static mh_ruleset *load(const char *y)
{
	mh_ruleset *rs = NULL;
	mh_err err;

	mh_err_clear(&err);
	if (mh_ruleset_new(&rs) != MH_OK)
		return NULL;
	if (mh_ruleset_add_yaml(rs, "test.yml", y, strlen(y), &err) != MH_OK ||
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
	mh_event ev;
	mh_arena ar;
} tctx;

static bool setup(tctx *t, const char *yaml, const mh_engine_opts *o)
{
	memset(t, 0, sizeof(*t));
	mh_arena_init(&t->ar, 4096, 0);
	t->ev.arena = &t->ar;
	t->rs = load(yaml);
	if (!t->rs)
		return false;
	return mh_engine_new(t->rs, o, &t->e, NULL) == MH_OK;
}

static void teardown(tctx *t)
{
	mh_engine_free(t->e);
	mh_ruleset_free(t->rs);
	mh_arena_free(&t->ar);
}

static void ev_begin(tctx *t, int64_t tm)
{
	mh_event_clear(&t->ev);
	mh_arena_reset(&t->ar);
	t->ev.time_ns = tm;
	t->ev.file = "logs/x.json";
	t->ev.line++;
	mh_event_set(&t->ev, MH_F_TIME, "t", 1);
}

static void put(tctx *t, mh_field f, const char *v)
{
	if (v)
		mh_event_set_copy(&t->ev, f, v, strlen(v));
}

static mh_rc feed_rule(tctx *t, const char *rule)
{
	uint32_t r = ridx(t->rs, rule);
	return mh_engine_feed(t->e, &t->ev, &r, 1, NULL);
}

static mh_rc feed_simple(tctx *t, const char *rule, int64_t tm,
			 const char *host, const char *user, const char *dst)
{
	ev_begin(t, tm);
	put(t, MH_F_HOST, host);
	put(t, MH_F_USER, user);
	put(t, MH_F_DESTINATION_IP, dst);
	return feed_rule(t, rule);
}

static const mh_alert *alert_of(tctx *t, const char *title, size_t k)
{
	for (size_t i = 0; i < mh_engine_alert_count(t->e); i++) {
		const mh_alert *a = mh_engine_alert(t->e, i);
		if (strcmp(a->rule->title, title) == 0 && k-- == 0)
			return a;
	}
	return NULL;
}

static size_t count_of(tctx *t, const char *title)
{
	size_t n = 0;
	while (alert_of(t, title, n))
		n++;
	return n;
}

static void test_standalone_alert(void)
{
	tctx t;
	const mh_alert *a;
	static const char *const order[] = {
	    "Computer", "User",		 "Image",	    "CommandLine",
	    "SourceIp", "DestinationIp", "DestinationPort", "Direction",
	};

	MH_CHECK(setup(&t, DET("det", "medium", "25"), NULL));
	ev_begin(&t, T0 + 7);
	/* set in scrambled order; ctx lists them in the fixed order */
	put(&t, MH_F_DIRECTION, "outbound");
	put(&t, MH_F_DESTINATION_PORT, "25");
	put(&t, MH_F_COMMAND_LINE, "evil.exe -x");
	put(&t, MH_F_HOST, "WS1");
	put(&t, MH_F_DESTINATION_IP, "203.0.113.5");
	put(&t, MH_F_SOURCE_IP, "10.0.0.5");
	put(&t, MH_F_IMAGE, "C:\\evil.exe");
	put(&t, MH_F_USER, "CORP\\bob");
	put(&t, MH_F_BYTES_SENT, "1234");
	put(&t, MH_F_SUBJECT, "not context");
	MH_CHECK(feed_rule(&t, "det") == MH_OK);
	/* the event's memory is reused after feed */
	mh_arena_reset(&t.ar);
	{
		void *junk = mh_arena_alloc(&t.ar, 4000);
		if (junk)
			memset(junk, 'Z', 4000);
	}
	MH_CHECK(mh_engine_finish(t.e, NULL) == MH_OK);
	MH_CHECK_EQ_INT(mh_engine_alert_count(t.e), 1);
	a = mh_engine_alert(t.e, 0);
	if (a) {
		MH_CHECK_EQ_INT(a->count, 1);
		MH_CHECK_EQ_INT(a->level, MH_LVL_MEDIUM);
		MH_CHECK_EQ_INT(a->first_ns, T0 + 7);
		MH_CHECK_EQ_INT(a->last_ns, T0 + 7);
		MH_CHECK_EQ_INT(a->distinct_dst, 1);
		MH_CHECK(a->bytes_set);
		MH_CHECK_EQ_INT(a->bytes_sent, 1234);
		MH_CHECK_EQ_INT(a->ngroup, 0);
		MH_CHECK_EQ_INT(a->nusers, 1);
		MH_CHECK_EQ_SLICE(a->users[0].p, a->users[0].n, "CORP\\bob");
		MH_CHECK_EQ_INT(a->ncontrib, 1);
		MH_CHECK_EQ_INT(a->nctx, MH_ARRAY_LEN(order));
		for (size_t i = 0; i < a->nctx && i < MH_ARRAY_LEN(order); i++)
			MH_CHECK_EQ_STR(a->ctx[i].name, order[i]);
		MH_CHECK_EQ_SLICE(a->ctx[3].val.p, a->ctx[3].val.n,
				  "evil.exe -x");
		MH_CHECK_EQ_INT(a->nrefs, 0);
	}
	teardown(&t);
}

#define CORR_HEAD(win, cond)                                                   \
	"---\n"                                                                \
	"title: corr\n"                                                        \
	"correlation:\n"                                                       \
	"  type: event_count\n"                                                \
	"  rules: [base]\n"                                                    \
	"  group-by: [Computer]\n"                                             \
	"  timespan: 1h\n"                                                     \
	"  window: " win "\n"                                                  \
	"  condition: {" cond "}\n"

static void test_generate(void)
{
	tctx t;

	MH_CHECK(setup(&t,
		       DET("base", "low", "25")
			   CORR_HEAD("sliding", "gte: 2") "  generate: true\n"
							  "level: high\n",
		       NULL));
	feed_simple(&t, "base", T0, "WS1", NULL, NULL);
	feed_simple(&t, "base", T0 + S, "WS1", NULL, NULL);
	MH_CHECK(mh_engine_finish(t.e, NULL) == MH_OK);
	MH_CHECK_EQ_INT(count_of(&t, "base"), 2);
	MH_CHECK_EQ_INT(count_of(&t, "corr"), 1);
	/* default order: level desc first */
	MH_CHECK(mh_engine_alert(t.e, 0) &&
		 mh_engine_alert(t.e, 0)->level == MH_LVL_HIGH);
	teardown(&t);
}

static void test_users_cap(void)
{
	tctx t;
	const mh_alert *a;
	char u[16];

	MH_CHECK(setup(&t,
		       DET("base", "low", "25")
			   CORR_HEAD("all", "gte: 1") "level: high\n",
		       NULL));
	for (int i = 19; i >= 0; i--) {
		snprintf(u, sizeof(u), "u%02d", i);
		feed_simple(&t, "base", T0 + i, "WS1", u, NULL);
		feed_simple(&t, "base", T0 + i, "WS1", u, NULL);
	}
	feed_simple(&t, "base", T0, "WS1", NULL, NULL);
	/* a second group with exactly 16 users: not truncated */
	for (int i = 0; i < 16; i++) {
		snprintf(u, sizeof(u), "v%02d", 15 - i);
		feed_simple(&t, "base", T0 + i, "WS2", u, NULL);
	}
	MH_CHECK(mh_engine_finish(t.e, NULL) == MH_OK);
	MH_CHECK_EQ_INT(count_of(&t, "corr"), 2);
	a = alert_of(&t, "corr", 0); /* count 41 first */
	if (a) {
		MH_CHECK_EQ_INT(a->count, 41);
		MH_CHECK_EQ_INT(a->nusers, MH_ALERT_MAX_USERS);
		MH_CHECK(a->users_truncated);
		MH_CHECK_EQ_SLICE(a->users[0].p, a->users[0].n, "u00");
		MH_CHECK_EQ_SLICE(a->users[15].p, a->users[15].n, "u15");
		for (size_t i = 1; i < a->nusers; i++)
			MH_CHECK(memcmp(a->users[i - 1].p, a->users[i].p, 3) <
				 0);
	}
	a = alert_of(&t, "corr", 1);
	if (a) {
		MH_CHECK_EQ_INT(a->nusers, 16);
		MH_CHECK(!a->users_truncated);
		MH_CHECK_EQ_SLICE(a->users[0].p, a->users[0].n, "v00");
		MH_CHECK_EQ_SLICE(a->users[15].p, a->users[15].n, "v15");
	}
	teardown(&t);
}

static void test_distinct_dst_bytes(void)
{
	tctx t;
	const mh_alert *a;

	MH_CHECK(setup(&t,
		       DET("base", "low", "25")
			   CORR_HEAD("all", "gte: 1") "level: high\n",
		       NULL));
	feed_simple(&t, "base", T0, "WS1", NULL, "203.0.113.1");
	feed_simple(&t, "base", T0 + 1, "WS1", NULL, "203.0.113.2");
	feed_simple(&t, "base", T0 + 2, "WS1", NULL, "203.0.113.1");
	feed_simple(&t, "base", T0 + 3, "WS1", NULL, NULL);
	/* WS2: BytesSent 0 is set; WS1 never had it */
	ev_begin(&t, T0);
	put(&t, MH_F_HOST, "WS2");
	put(&t, MH_F_BYTES_SENT, "0");
	feed_rule(&t, "base");
	ev_begin(&t, T0 + 1);
	put(&t, MH_F_HOST, "WS2");
	put(&t, MH_F_BYTES_SENT, "junk");
	feed_rule(&t, "base");
	MH_CHECK(mh_engine_finish(t.e, NULL) == MH_OK);
	a = alert_of(&t, "corr", 0);
	MH_CHECK(a != NULL);
	if (a) {
		MH_CHECK_EQ_SLICE(a->group[0].val.p, a->group[0].val.n, "WS1");
		MH_CHECK_EQ_INT(a->count, 4);
		MH_CHECK_EQ_INT(a->distinct_dst, 2);
		MH_CHECK(!a->bytes_set);
		MH_CHECK_EQ_INT(a->nusers, 0);
	}
	a = alert_of(&t, "corr", 1);
	MH_CHECK(a != NULL);
	if (a) {
		MH_CHECK_EQ_SLICE(a->group[0].val.p, a->group[0].val.n, "WS2");
		MH_CHECK_EQ_INT(a->distinct_dst, 0);
		MH_CHECK(a->bytes_set);
		MH_CHECK_EQ_INT(a->bytes_sent, 0);
	}
	teardown(&t);
}

/* A window queue outgrows its inline space while its head has moved
 * (an expired event): every queued event survives the move. */
static void test_queue_grows_after_expiry(void)
{
	static const int mins[] = {0, 10, 20, 30, 65, 66, 67};
	tctx t;
	const mh_alert *a;
	char dst[32];

	MH_CHECK(setup(&t,
		       DET("base", "low", "25")
			   CORR_HEAD("sliding", "gte: 6") "level: high\n",
		       NULL));
	for (size_t i = 0; i < MH_ARRAY_LEN(mins); i++) {
		snprintf(dst, sizeof(dst), "203.0.113.%zu", i + 1);
		feed_simple(&t, "base", T0 + mins[i] * 60 * S, "WS1", NULL,
			    dst);
	}
	MH_CHECK(mh_engine_finish(t.e, NULL) == MH_OK);
	MH_CHECK_EQ_INT(count_of(&t, "corr"), 1);
	a = alert_of(&t, "corr", 0);
	if (a) {
		/* 10, 20, 30, 65, 66 and 67 min: the one at 0 expired */
		MH_CHECK_EQ_INT(a->count, 6);
		MH_CHECK_EQ_INT(a->distinct_dst, 6);
		MH_CHECK_EQ_INT(a->first_ns, T0 + 10 * 60 * S);
	}
	teardown(&t);
}

/* ctx comes from the newest contributing event; refs with --explain */
static void test_ctx_and_refs(void)
{
	tctx t;
	const mh_alert *a;
	mh_engine_opts o = {0};

	o.max_refs = 2;
	MH_CHECK(setup(&t,
		       DET("base", "low", "25")
			   CORR_HEAD("sliding", "gte: 3") "level: high\n",
		       &o));
	ev_begin(&t, T0 + 50 * S);
	put(&t, MH_F_HOST, "WS1");
	put(&t, MH_F_IMAGE, "newest.exe");
	feed_rule(&t, "base");
	ev_begin(&t, T0);
	put(&t, MH_F_HOST, "WS1");
	put(&t, MH_F_IMAGE, "older.exe");
	put(&t, MH_F_COMMAND_LINE, "older -c");
	feed_rule(&t, "base");
	ev_begin(&t, T0 + 10 * S);
	put(&t, MH_F_HOST, "WS1");
	put(&t, MH_F_IMAGE, "middle.exe");
	feed_rule(&t, "base");
	/* base is referenced without generate: no alerts of its own */
	MH_CHECK(mh_engine_finish(t.e, NULL) == MH_OK);
	MH_CHECK_EQ_INT(mh_engine_alert_count(t.e), 1);
	a = alert_of(&t, "corr", 0);
	if (a) {
		MH_CHECK_EQ_INT(a->nctx, 2);
		MH_CHECK_EQ_STR(a->ctx[0].name, "Computer");
		MH_CHECK_EQ_STR(a->ctx[1].name, "Image");
		MH_CHECK_EQ_SLICE(a->ctx[1].val.p, a->ctx[1].val.n,
				  "newest.exe");
		MH_CHECK_EQ_INT(a->nrefs, 2);
		if (a->nrefs == 2) {
			/* time order: line 2 (T0) then line 3 (T0+10s),
			 * each with its event summary */
			MH_CHECK_EQ_SLICE(a->refs[0].p, a->refs[0].n,
					  "logs/x.json:2 2020-09-13T12:26:40Z "
					  "older.exe cmd=\"older -c\"");
			MH_CHECK_EQ_SLICE(a->refs[1].p, a->refs[1].n,
					  "logs/x.json:3 2020-09-13T12:26:50Z "
					  "middle.exe");
		}
	}
	teardown(&t);
}

/* Many groups under a tiny cap: LRU eviction, counted; an open sliding
 * alert of an evicted group is emitted, not lost. */
static void test_memory_cap(void)
{
	tctx t;
	mh_engine_opts o = {0};
	mh_engine_stats st;
	char h[32];
	const mh_alert *a;

	o.max_memory = 16 * 1024;
	MH_CHECK(setup(&t,
		       DET("base", "low", "25")
			   CORR_HEAD("sliding", "gt: 2") "level: high\n",
		       &o));
	for (int i = 0; i < 3; i++)
		feed_simple(&t, "base", T0 + i, "victim", "u", "10.0.0.1");
	for (int i = 0; i < 20000; i++) {
		snprintf(h, sizeof(h), "host%05d", i);
		MH_CHECK(feed_simple(&t, "base", T0 + 10 + i, h, "u",
				     "10.0.0.1") == MH_OK);
	}
	mh_engine_get_stats(t.e, &st);
	MH_CHECK(st.evicted > 19000);
	MH_CHECK(st.groups < 200);
	MH_CHECK(mh_engine_finish(t.e, NULL) == MH_OK);
	MH_CHECK_EQ_INT(count_of(&t, "corr"), 1);
	a = alert_of(&t, "corr", 0);
	if (a) {
		MH_CHECK_EQ_SLICE(a->group[0].val.p, a->group[0].val.n,
				  "victim");
		MH_CHECK_EQ_INT(a->count, 3);
	}
	mh_engine_get_stats(t.e, &st);
	MH_CHECK_EQ_INT(st.fed, 20003);
	MH_CHECK_EQ_INT(st.alerts, 1);
	teardown(&t);

	/* lookback groups too; no crash, evictions counted */
	MH_CHECK(setup(&t,
		       DET("base", "low", "25")
			   CORR_HEAD("lookback", "gt: 0") "level: high\n",
		       &o));
	for (int i = 0; i < 5000; i++) {
		snprintf(h, sizeof(h), "host%05d", i % 2500);
		MH_CHECK(feed_simple(&t, "base", T0 + i, h, h, h) == MH_OK);
	}
	MH_CHECK(mh_engine_finish(t.e, NULL) == MH_OK);
	mh_engine_get_stats(t.e, &st);
	MH_CHECK(st.evicted > 0);
	MH_CHECK(st.alerts > 0 && st.alerts < 2500);
	teardown(&t);
}

#define THREE_LEVELS                                                           \
	DET("r_med", "medium", "25")                                           \
	"---\n" DET("r_high", "high", "587") "---\n" DET("r_crit", "critical", \
							 "993")

static void test_sort_default(void)
{
	tctx t;
	const mh_alert *a;

	MH_CHECK(setup(&t, THREE_LEVELS, NULL));
	feed_simple(&t, "r_med", T0, "A", NULL, NULL);
	feed_simple(&t, "r_high", T0 + 5, "A", NULL, NULL);
	feed_simple(&t, "r_crit", T0 + 9, "A", NULL, NULL);
	feed_simple(&t, "r_high", T0 + 1, "A", NULL, NULL);
	MH_CHECK(mh_engine_finish(t.e, NULL) == MH_OK);
	MH_CHECK_EQ_INT(mh_engine_alert_count(t.e), 4);
	if (mh_engine_alert_count(t.e) == 4) {
		MH_CHECK_EQ_INT(mh_engine_alert(t.e, 0)->level,
				MH_LVL_CRITICAL);
		a = mh_engine_alert(t.e, 1);
		MH_CHECK(a->level == MH_LVL_HIGH && a->first_ns == T0 + 1);
		a = mh_engine_alert(t.e, 2);
		MH_CHECK(a->level == MH_LVL_HIGH && a->first_ns == T0 + 5);
		MH_CHECK_EQ_INT(mh_engine_alert(t.e, 3)->level, MH_LVL_MEDIUM);
	}
	teardown(&t);
}

/* Splunk `sort - Severity` on the severity string: medium, high,
 * critical; then count desc. */
static void test_sort_level_name(void)
{
	tctx t;

	MH_CHECK(setup(&t,
		       "mailhunt-profile:\n"
		       "  name: splunkish\n"
		       "  sort: [{level_name: desc}, {count: desc}]\n"
		       "---\n" THREE_LEVELS,
		       NULL));
	feed_simple(&t, "r_crit", T0, "A", NULL, NULL);
	feed_simple(&t, "r_high", T0, "A", NULL, NULL);
	feed_simple(&t, "r_med", T0, "A", NULL, NULL);
	MH_CHECK(mh_engine_finish(t.e, NULL) == MH_OK);
	MH_CHECK_EQ_INT(mh_engine_alert_count(t.e), 3);
	if (mh_engine_alert_count(t.e) == 3) {
		MH_CHECK_EQ_INT(mh_engine_alert(t.e, 0)->level, MH_LVL_MEDIUM);
		MH_CHECK_EQ_INT(mh_engine_alert(t.e, 1)->level, MH_LVL_HIGH);
		MH_CHECK_EQ_INT(mh_engine_alert(t.e, 2)->level,
				MH_LVL_CRITICAL);
	}
	teardown(&t);
}

/* Profile sort by count desc; ties broken by group text. */
static void test_sort_count_group_ties(void)
{
	tctx t;
	const char *hosts[] = {"WS3", "WS1", "WS2", "WS0"};
	const int n[] = {2, 2, 5, 2};
	const char *want[] = {"WS2", "WS0", "WS1", "WS3"};

	MH_CHECK(setup(&t,
		       "mailhunt-profile:\n"
		       "  name: bycount\n"
		       "  sort: [{count: desc}]\n"
		       "---\n" DET("base", "low", "25")
			   CORR_HEAD("all", "gt: 1") "level: high\n",
		       NULL));
	for (int h = 0; h < 4; h++)
		for (int i = 0; i < n[h]; i++)
			feed_simple(&t, "base", T0 + h * 10 + i, hosts[h], NULL,
				    NULL);
	MH_CHECK(mh_engine_finish(t.e, NULL) == MH_OK);
	MH_CHECK_EQ_INT(mh_engine_alert_count(t.e), 4);
	for (size_t i = 0; i < 4 && i < mh_engine_alert_count(t.e); i++) {
		const mh_alert *a = mh_engine_alert(t.e, i);
		MH_CHECK_EQ_SLICE(a->group[0].val.p, a->group[0].val.n,
				  want[i]);
	}
	teardown(&t);
}

/* The sort's integer keys (engine/sort.c) give the order of the terms
 * themselves: negative and large times, counts past 2^32, equal keys
 * decided by the rest. Checked pairwise against the terms read off the
 * alerts, for the default order and for a profile's ascending and
 * descending integer terms ahead of a text term. */
static int ref_term(const mh_alert *a, const mh_alert *b, const char *t)
{
	int64_t x, y;

	if (!strcmp(t, "level"))
		x = a->level, y = b->level;
	else if (!strcmp(t, "first"))
		x = a->first_ns, y = b->first_ns;
	else if (!strcmp(t, "last"))
		x = a->last_ns, y = b->last_ns;
	else
		return a->count < b->count ? -1 : a->count > b->count;
	return x < y ? -1 : x > y;
}

static void sort_keys_run(const char *profile, const char *const *terms,
			  const bool *desc, size_t nterms)
{
	static const char y[] =
	    THREE_LEVELS "---\n" DET("r_high2", "high", "465") "---\n" DET(
		"base", "low", "25") CORR_HEAD("all", "gte: 1") "level: high\n";
	const char *rules[5] = {"r_med", "r_high", "r_crit", "base", "r_high2"};
	char *yaml = malloc(strlen(profile) + sizeof(y));
	const int64_t times[] = {-3 * S,	-1,	      0, 1, T0, T0 + 1,
				 INT64_MAX / 2, INT64_MIN / 2};
	const mh_alert *prev = NULL, *a;
	size_t n = 0, bad = 0;
	tctx t;

	memcpy(yaml, profile, strlen(profile));
	memcpy(yaml + strlen(profile), y, sizeof(y));
	MH_CHECK(setup(&t, yaml, NULL));
	for (int i = 0; i < 400; i++) {
		char h[16];
		snprintf(h, sizeof(h), "h%d", (i * 7) % 23);
		ev_begin(&t, times[(i * 5) % 8] + (i % 3));
		put(&t, MH_F_HOST, h);
		MH_CHECK(feed_rule(&t, rules[i % 5]) == MH_OK);
	}
	MH_CHECK(mh_engine_finish(t.e, NULL) == MH_OK);
	while (mh_engine_next_alert(t.e, &a, NULL) == MH_OK) {
		size_t k = 0;
		for (; prev && k < nterms; k++) {
			int r = ref_term(prev, a, terms[k]);
			if (desc[k])
				r = -r;
			if (r < 0)
				break;
			bad += r > 0;
			if (r > 0)
				break;
		}
		/* the default order: the rule's position next */
		if (prev && k == nterms && !*profile)
			bad += prev->rule->index > a->rule->index;
		prev = a;
		n++;
	}
	MH_CHECK_EQ_INT(bad, 0);
	MH_CHECK(n > 300);
	teardown(&t);
	free(yaml);
}

static void test_sort_keys(void)
{
	const char *dflt[] = {"level", "count", "first"};
	const bool ddesc[] = {true, true, false};
	const char *prof[] = {"last", "count", "level", "first"};
	const bool pdesc[] = {false, true, false, true};

	sort_keys_run("", dflt, ddesc, 3);
	sort_keys_run("mailhunt-profile:\n"
		      "  name: keys\n"
		      "  sort: [{last_seen: asc}, {count: desc}, "
		      "{level: asc}, {first_seen: desc}, {group: asc}]\n"
		      "---\n",
		      prof, pdesc, 4);
}

static void test_fields(void)
{
	mh_fieldset fs;

	memset(&fs, 0, sizeof(fs));
	mh_engine_fields(&fs);
	MH_CHECK(mh_fieldset_has(&fs, MH_F_TIME));
	MH_CHECK(mh_fieldset_has(&fs, MH_F_DESTINATION_IP));
	MH_CHECK(mh_fieldset_has(&fs, MH_F_BYTES_SENT));
	MH_CHECK(mh_fieldset_has(&fs, MH_F_USER));
	MH_CHECK(mh_fieldset_has(&fs, MH_F_COMMAND_LINE));
	MH_CHECK(mh_fieldset_has(&fs, MH_F_DIRECTION));
	MH_CHECK(!mh_fieldset_has(&fs, MH_F_SUBJECT));
}

static bool str_eq(mh_str a, mh_str b)
{
	return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static bool kvs_eq(const mh_alert_kv *a, const mh_alert_kv *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].field != b[i].field || a[i].set != b[i].set ||
		    strcmp(a[i].name, b[i].name) != 0 ||
		    !str_eq(a[i].val, b[i].val))
			return false;
	return true;
}

/* Every field of two alerts. */
static bool alert_eq(const mh_alert *a, const mh_alert *b)
{
	/* the two engines have rulesets of their own: rules by index */
	bool ok = a->rule->index == b->rule->index && a->level == b->level &&
		  a->count == b->count && a->distinct_dst == b->distinct_dst &&
		  a->bytes_set == b->bytes_set &&
		  a->bytes_sent == b->bytes_sent &&
		  a->first_ns == b->first_ns && a->last_ns == b->last_ns &&
		  a->value == b->value && a->ngroup == b->ngroup &&
		  a->nusers == b->nusers &&
		  a->users_truncated == b->users_truncated &&
		  a->ncontrib == b->ncontrib && a->nctx == b->nctx &&
		  a->nrefs == b->nrefs;

	ok = ok && kvs_eq(a->group, b->group, a->ngroup) &&
	     kvs_eq(a->ctx, b->ctx, a->nctx);
	for (size_t i = 0; ok && i < a->nusers; i++)
		ok = str_eq(a->users[i], b->users[i]);
	for (size_t i = 0; ok && i < a->ncontrib; i++)
		ok = a->contrib[i]->index == b->contrib[i]->index;
	for (size_t i = 0; ok && i < a->nrefs; i++)
		ok = str_eq(a->refs[i], b->refs[i]);
	return ok;
}

/* 3000 events of three detection rules and a correlation, into an engine
 * that keeps every alert in memory and one that spills them to disk
 * after every event (alert_spill 1 byte) or, with tmpdir set, cannot: the
 * same alerts in the same order from mh_engine_next_alert(). */
static void spill_run(const char *tmpdir)
{
	static const char y[] = THREE_LEVELS "---\n" DET("base", "low", "25")
	    CORR_HEAD("sliding", "gte: 2") "level: high\n";
	const char *rules[4] = {"r_med", "r_high", "r_crit", "base"};
	mh_engine_opts keep = {0}, spill = {0};
	mh_engine_stats st;
	tctx a, b;
	char h[32], u[32], d[32];
	size_t n = 0;

	keep.max_refs = spill.max_refs = 3;
	spill.alert_spill = 1;
	MH_CHECK(setup(&a, y, &keep));
	MH_CHECK(setup(&b, y, &spill));
	for (int i = 0; i < 3000; i++) {
		tctx *t[2] = {&a, &b};
		snprintf(h, sizeof(h), "host%d", i % 37);
		snprintf(u, sizeof(u), "CORP\\user%d", i % 5);
		snprintf(d, sizeof(d), "10.0.%d.%d", i % 3, i % 11);
		for (int k = 0; k < 2; k++) {
			ev_begin(t[k], T0 + (int64_t)(i % 500) * 60 * S);
			put(t[k], MH_F_HOST, h);
			put(t[k], MH_F_USER, i % 4 ? u : NULL);
			put(t[k], MH_F_DESTINATION_IP, d);
			put(t[k], MH_F_COMMAND_LINE, i % 3 ? "a.exe -x" : NULL);
			put(t[k], MH_F_BYTES_SENT, i % 2 ? "100" : NULL);
			MH_CHECK(feed_rule(t[k], rules[i % 4]) == MH_OK);
		}
	}
	MH_CHECK(mh_engine_finish(a.e, NULL) == MH_OK);
	MH_CHECK(mh_engine_finish(b.e, NULL) == MH_OK);
	MH_CHECK_EQ_INT(mh_engine_alert_count(a.e), mh_engine_alert_count(b.e));
	mh_engine_get_stats(b.e, &st);
	if (tmpdir) {
		MH_CHECK(st.spill_failed);
		MH_CHECK_EQ_INT(st.spilled, 0);
	} else {
		MH_CHECK(!st.spill_failed);
		MH_CHECK(st.spilled > 2000);
		MH_CHECK(mh_engine_alert(b.e, 0) == NULL);
	}
	for (;;) {
		const mh_alert *x, *z;
		mh_rc ra = mh_engine_next_alert(a.e, &x, NULL);
		mh_rc rb = mh_engine_next_alert(b.e, &z, NULL);
		MH_CHECK_EQ_INT(ra, rb);
		if (ra != MH_OK || rb != MH_OK)
			break;
		if (!alert_eq(x, z)) {
			MH_CHECK(!"alerts differ");
			break;
		}
		n++;
	}
	MH_CHECK_EQ_INT(n, mh_engine_alert_count(a.e));
	MH_CHECK(n > 2000);
	teardown(&a);
	teardown(&b);
}

static void test_spill(void)
{
	const char *old = getenv("TMPDIR");
	char *save = old ? strdup(old) : NULL;

	spill_run(NULL);
	/* no temporary file: the alerts stay in memory, nothing is lost */
	setenv("TMPDIR", "/nonexistent/mailhunt-test", 1);
	spill_run("/nonexistent/mailhunt-test");
	if (save)
		setenv("TMPDIR", save, 1);
	else
		unsetenv("TMPDIR");
	free(save);
}

int main(void)
{
	MH_RUN(test_standalone_alert);
	MH_RUN(test_generate);
	MH_RUN(test_users_cap);
	MH_RUN(test_distinct_dst_bytes);
	MH_RUN(test_ctx_and_refs);
	MH_RUN(test_queue_grows_after_expiry);
	MH_RUN(test_memory_cap);
	MH_RUN(test_sort_default);
	MH_RUN(test_sort_level_name);
	MH_RUN(test_sort_count_group_ties);
	MH_RUN(test_sort_keys);
	MH_RUN(test_fields);
	MH_RUN(test_spill);
	MH_DONE();
}
