/* Correlation rules, compile-time resolution, field needs, prefilter. */
#include "mh_test.h"
#include "rule/rule.h"

#include <stdio.h>
#include <stdlib.h>

static const char *dets = "title: smtp conn\n"
			  "id: 5f8c9d6e-0000-4000-8000-000000000001\n"
			  "name: smtp_conn\n"
			  "detection:\n"
			  "  sel:\n"
			  "    DestinationPort: [25, 587]\n"
			  "  condition: sel\n"
			  "---\n"
			  "title: pop conn\n"
			  "name: pop_conn\n"
			  "detection:\n"
			  "  sel:\n"
			  "    DestinationPort: 110\n"
			  "    Image|endswith: '\\powershell.exe'\n"
			  "  condition: sel\n"
			  "---\n"
			  "title: unrelated\n"
			  "name: other\n"
			  "detection:\n"
			  "  sel:\n"
			  "    DestinationPort: 995\n"
			  "  condition: sel\n";

static mh_rc load2(const char *a, const char *b, mh_err *err, mh_ruleset **out)
{
	mh_ruleset *rs;
	mh_rc rc;

	mh_err_clear(err);
	if (mh_ruleset_new(&rs))
		return MH_ENOMEM;
	rc = mh_ruleset_add_yaml(rs, "a.yml", a, strlen(a), err);
	if (!rc && b)
		rc = mh_ruleset_add_yaml(rs, "b.yml", b, strlen(b), err);
	if (!rc)
		rc = mh_ruleset_compile(rs, err);
	if (rc || !out) {
		mh_ruleset_free(rs);
		if (out)
			*out = NULL;
	} else {
		*out = rs;
	}
	return rc;
}

/* Load dets + corr text; return the correlation (last rule). */
static const mh_corr *corr_of(const char *corr, mh_ruleset **rs)
{
	mh_err err;
	char msg[1024];

	if (load2(corr, dets, &err, rs)) { /* correlation file first */
		mh_err_format(&err, msg, sizeof(msg));
		fprintf(stderr, "load: %s\n", msg);
		return NULL;
	}
	return mh_ruleset_rule(*rs, 0)->corr;
}

static void test_event_count(void)
{
	mh_ruleset *rs;
	const mh_corr *co = corr_of("title: many smtp\n"
				    "correlation:\n"
				    "  type: event_count\n"
				    "  rules: smtp_conn\n"
				    "  group-by: [DeviceName, RemoteIP]\n"
				    "  timespan: 1h\n"
				    "  condition:\n    gte: 10\n"
				    "level: critical\n",
				    &rs);
	const mh_rule *r;

	MH_CHECK(co != NULL);
	if (!co)
		return;
	r = mh_ruleset_rule(rs, 0);
	MH_CHECK(r->is_correlation);
	MH_CHECK_EQ_INT(r->level, MH_LVL_CRITICAL);
	MH_CHECK_EQ_INT(co->type, MH_CORR_EVENT_COUNT);
	MH_CHECK_EQ_INT(co->window, MH_WIN_SLIDING);
	MH_CHECK_EQ_INT(co->timespan_ns, 3600LL * 1000000000LL);
	MH_CHECK_EQ_INT(co->nrules, 1);
	MH_CHECK_EQ_INT(co->rules[0], 1);
	MH_CHECK_EQ_INT(co->ngroup, 2);
	MH_CHECK_EQ_STR(co->group_names[0], "Computer");
	MH_CHECK_EQ_STR(co->group_names[1], "DestinationIp");
	MH_CHECK_EQ_INT(co->group_fields[0], MH_F_HOST);
	MH_CHECK_EQ_INT(co->group_fields[1], MH_F_DESTINATION_IP);
	MH_CHECK_EQ_INT(co->ncond, 1);
	MH_CHECK_EQ_INT(co->cond[0].op, MH_CMP_GTE);
	MH_CHECK(co->cond[0].value == 10);
	MH_CHECK_EQ_INT(co->value_field, MH_F_NONE);
	/* referenced, no generate */
	MH_CHECK(mh_ruleset_rule(rs, 1)->referenced);
	MH_CHECK(!mh_ruleset_rule(rs, 1)->generate);
	MH_CHECK(!mh_ruleset_rule(rs, 2)->referenced);
	MH_CHECK(!mh_ruleset_rule(rs, 3)->referenced);
	mh_ruleset_free(rs);
}

static void test_value_types(void)
{
	static const struct {
		const char *type;
		mh_corr_type t;
	} types[] = {
	    {"value_count", MH_CORR_VALUE_COUNT},
	    {"value_sum", MH_CORR_VALUE_SUM},
	    {"value_avg", MH_CORR_VALUE_AVG},
	};
	for (size_t i = 0; i < MH_ARRAY_LEN(types); i++) {
		char buf[1024];
		mh_ruleset *rs;
		const mh_corr *co;
		mh_fieldset fs;

		snprintf(buf, sizeof(buf),
			 "title: v\n"
			 "correlation:\n"
			 "  type: %s\n"
			 "  rules: [smtp_conn, pop_conn]\n"
			 "  group-by: Computer\n"
			 "  timespan: 24h\n"
			 "  condition:\n"
			 "    field: SentBytes\n"
			 "    gt: 100\n"
			 "    lte: 5000.5\n",
			 types[i].type);
		co = corr_of(buf, &rs);
		MH_CHECK(co != NULL);
		if (!co)
			continue;
		MH_CHECK_EQ_INT(co->type, types[i].t);
		MH_CHECK_EQ_INT(co->value_field, MH_F_BYTES_SENT);
		MH_CHECK_EQ_INT(co->ncond, 2);
		MH_CHECK_EQ_INT(co->cond[0].op, MH_CMP_GT);
		MH_CHECK_EQ_INT(co->cond[1].op, MH_CMP_LTE);
		MH_CHECK(co->cond[1].value == 5000.5);
		MH_CHECK_EQ_INT(co->nrules, 2);
		MH_CHECK_EQ_INT(co->rules[1], 2);
		MH_CHECK_EQ_INT(co->group_fields[0], MH_F_HOST);
		MH_CHECK_EQ_INT(co->group_fields[1], MH_F_HOST);
		memset(&fs, 0, sizeof(fs));
		mh_ruleset_fields(rs, &fs);
		MH_CHECK(mh_fieldset_has(&fs, MH_F_BYTES_SENT));
		MH_CHECK(mh_fieldset_has(&fs, MH_F_HOST));
		MH_CHECK(mh_fieldset_has(&fs, MH_F_DESTINATION_PORT));
		MH_CHECK(mh_fieldset_has(&fs, MH_F_IMAGE));
		MH_CHECK(!mh_fieldset_has(&fs, MH_F_USER));
		mh_ruleset_free(rs);
	}
}

static void test_temporal(void)
{
	mh_ruleset *rs;
	const mh_corr *co;

	co = corr_of("title: t\n"
		     "correlation:\n"
		     "  type: temporal_ordered\n"
		     "  rules:\n    - pop_conn\n"
		     "    - 5f8c9d6e-0000-4000-8000-000000000001\n"
		     "  group-by: [Computer]\n"
		     "  timespan: 30s\n"
		     "  generate: true\n"
		     "  window: sequence\n",
		     &rs);
	MH_CHECK(co != NULL);
	if (!co)
		return;
	MH_CHECK_EQ_INT(co->type, MH_CORR_TEMPORAL_ORDERED);
	MH_CHECK_EQ_INT(co->window, MH_WIN_SEQUENCE);
	MH_CHECK_EQ_INT(co->timespan_ns, 30LL * 1000000000LL);
	MH_CHECK_EQ_INT(co->ncond, 0);
	/* order as written; id reference works */
	MH_CHECK_EQ_INT(co->rules[0], 2);
	MH_CHECK_EQ_INT(co->rules[1], 1);
	MH_CHECK(mh_ruleset_rule(rs, 1)->generate);
	MH_CHECK(mh_ruleset_rule(rs, 2)->generate);
	MH_CHECK(!mh_ruleset_rule(rs, 3)->generate);
	mh_ruleset_free(rs);

	co = corr_of("title: t\ncorrelation:\n  type: temporal\n"
		     "  rules: [pop_conn, smtp_conn]\n  timespan: 5m\n"
		     "  window: lookback\n",
		     &rs);
	MH_CHECK(co != NULL);
	if (!co)
		return;
	MH_CHECK_EQ_INT(co->type, MH_CORR_TEMPORAL);
	MH_CHECK_EQ_INT(co->window, MH_WIN_LOOKBACK);
	MH_CHECK_EQ_INT(co->ngroup, 0);
	mh_ruleset_free(rs);
}

static void test_window_all(void)
{
	mh_ruleset *rs;
	const mh_corr *co;

	/* timespan optional with window: all */
	co = corr_of("title: t\ncorrelation:\n  type: event_count\n"
		     "  rules: [smtp_conn]\n  group-by: [Computer]\n"
		     "  window: all\n  condition: {gt: 2}\n",
		     &rs);
	MH_CHECK(co != NULL);
	if (!co)
		return;
	MH_CHECK_EQ_INT(co->window, MH_WIN_ALL);
	MH_CHECK_EQ_INT(co->timespan_ns, 0);
	MH_CHECK_EQ_INT(co->cond[0].op, MH_CMP_GT);
	mh_ruleset_free(rs);
}

static void test_aliases(void)
{
	mh_ruleset *rs;
	const mh_corr *co;

	co = corr_of("title: t\n"
		     "correlation:\n"
		     "  type: temporal\n"
		     "  rules: [smtp_conn, pop_conn]\n"
		     "  aliases:\n"
		     "    peer:\n"
		     "      smtp_conn: DestinationIp\n"
		     "      pop_conn: SourceIp\n"
		     "  group-by: [peer, DeviceName]\n"
		     "  timespan: 10m\n",
		     &rs);
	MH_CHECK(co != NULL);
	if (!co)
		return;
	MH_CHECK_EQ_INT(co->ngroup, 2);
	MH_CHECK_EQ_STR(co->group_names[0], "peer");
	MH_CHECK_EQ_STR(co->group_names[1], "Computer");
	MH_CHECK_EQ_INT(co->group_fields[0 * 2 + 0], MH_F_DESTINATION_IP);
	MH_CHECK_EQ_INT(co->group_fields[0 * 2 + 1], MH_F_SOURCE_IP);
	MH_CHECK_EQ_INT(co->group_fields[1 * 2 + 0], MH_F_HOST);
	MH_CHECK_EQ_INT(co->group_fields[1 * 2 + 1], MH_F_HOST);
	mh_ruleset_free(rs);
}

static void test_ranges_and_ops(void)
{
	mh_ruleset *rs;
	const mh_corr *co;

	co = corr_of("title: t\ncorrelation:\n  type: event_count\n"
		     "  rules: smtp_conn\n  timespan: 7d\n"
		     "  condition: {gte: 3, lte: 9, neq: 5, eq: 4}\n",
		     &rs);
	MH_CHECK(co != NULL);
	if (!co)
		return;
	MH_CHECK_EQ_INT(co->timespan_ns, 7LL * 86400 * 1000000000LL);
	MH_CHECK_EQ_INT(co->ncond, 4);
	MH_CHECK_EQ_INT(co->cond[0].op, MH_CMP_GTE);
	MH_CHECK_EQ_INT(co->cond[1].op, MH_CMP_LTE);
	MH_CHECK_EQ_INT(co->cond[2].op, MH_CMP_NEQ);
	MH_CHECK_EQ_INT(co->cond[3].op, MH_CMP_EQ);
	MH_CHECK(co->cond[2].value == 5);
	mh_ruleset_free(rs);
}

/* Expect a correlation load error at line:col (corr text is a.yml). */
static void expect_err(const char *corr, mh_rc rc, unsigned line, unsigned col,
		       const char *field, const char *frag)
{
	mh_err err;
	mh_rc got = load2(corr, dets, &err, NULL);

	MH_CHECK_EQ_INT(got, rc);
	MH_CHECK_EQ_INT(err.line, line);
	MH_CHECK_EQ_INT(err.col, col);
	MH_CHECK_EQ_STR(err.file, "a.yml");
	if (field)
		MH_CHECK_EQ_STR(err.field, field);
	if (frag && !strstr(err.msg, frag)) {
		fprintf(stderr, "message '%s' lacks '%s'\n", err.msg, frag);
		MH_CHECK(0);
	}
}

static void test_errors(void)
{
	/* bad timespan */
	expect_err("title: t\ncorrelation:\n  type: event_count\n"
		   "  rules: smtp_conn\n  timespan: 5x\n"
		   "  condition: {gte: 2}\n",
		   MH_EPARSE, 5, 13, "timespan", "5x");
	/* missing timespan */
	expect_err("title: t\ncorrelation:\n  type: event_count\n"
		   "  rules: smtp_conn\n  condition: {gte: 2}\n",
		   MH_EPARSE, 3, 3, "timespan", "timespan");
	/* unknown referenced rule: at the reference */
	expect_err("title: t\ncorrelation:\n  type: event_count\n"
		   "  rules:\n    - smtp_conn\n    - nosuch\n"
		   "  timespan: 5m\n  condition: {gte: 2}\n",
		   MH_ENOTFOUND, 6, 7, "rules", "nosuch");
	/* unknown type, window, attribute, operator */
	expect_err("title: t\ncorrelation:\n  type: event_sum\n"
		   "  rules: smtp_conn\n  timespan: 5m\n",
		   MH_EPARSE, 3, 9, "type", "event_sum");
	expect_err("title: t\ncorrelation:\n  type: event_count\n"
		   "  rules: smtp_conn\n  timespan: 5m\n  window: tumbling\n"
		   "  condition: {gte: 2}\n",
		   MH_EPARSE, 6, 11, "window", "tumbling");
	expect_err("title: t\ncorrelation:\n  type: event_count\n"
		   "  rules: smtp_conn\n  timespan: 5m\n  groupby: [x]\n"
		   "  condition: {gte: 2}\n",
		   MH_EPARSE, 6, 3, "groupby", "groupby");
	expect_err("title: t\ncorrelation:\n  type: event_count\n"
		   "  rules: smtp_conn\n  timespan: 5m\n"
		   "  condition: {greater: 2}\n",
		   MH_EPARSE, 6, 15, "condition", "greater");
	/* event_count without condition; value_count without field */
	expect_err("title: t\ncorrelation:\n  type: event_count\n"
		   "  rules: smtp_conn\n  timespan: 5m\n",
		   MH_EPARSE, 3, 3, "condition", "condition");
	expect_err("title: t\ncorrelation:\n  type: value_count\n"
		   "  rules: smtp_conn\n  timespan: 5m\n"
		   "  condition: {gte: 2}\n",
		   MH_EPARSE, 6, 14, "condition", "field");
	/* unknown group-by field and value field */
	expect_err("title: t\ncorrelation:\n  type: event_count\n"
		   "  rules: smtp_conn\n  timespan: 5m\n"
		   "  group-by: [Nope]\n  condition: {gte: 2}\n",
		   MH_ENOTFOUND, 6, 14, "Nope", "group-by");
	expect_err("title: t\ncorrelation:\n  type: value_count\n"
		   "  rules: smtp_conn\n  timespan: 5m\n"
		   "  condition: {field: Nope, gte: 2}\n",
		   MH_ENOTFOUND, 6, 22, "Nope", "unknown field");
	/* alias missing a rule */
	expect_err("title: t\ncorrelation:\n  type: temporal\n"
		   "  rules: [smtp_conn, pop_conn]\n"
		   "  aliases:\n    peer:\n      smtp_conn: DestinationIp\n"
		   "  group-by: [peer]\n  timespan: 5m\n",
		   MH_EPARSE, 8, 14, "peer", "pop_conn");
	/* detection and correlation in one document */
	expect_err("title: t\ncorrelation:\n  type: temporal\n"
		   "  rules: smtp_conn\n  timespan: 5m\n"
		   "detection:\n  s:\n    Image: x\n  condition: s\n",
		   MH_EPARSE, 7, 3, "detection", "not both");
	/* chained correlation */
	{
		const char *two = "title: c1\nname: c1\ncorrelation:\n"
				  "  type: event_count\n  rules: smtp_conn\n"
				  "  timespan: 5m\n  condition: {gte: 2}\n"
				  "---\n"
				  "title: c2\ncorrelation:\n"
				  "  type: event_count\n  rules: c1\n"
				  "  timespan: 5m\n  condition: {gte: 2}\n";
		expect_err(two, MH_EUNSUP, 12, 10, "rules", "chained");
	}
}

static void test_prefilter(void)
{
	mh_ruleset *rs;
	mh_err err;
	mh_field f;
	const int64_t *v;
	size_t n;

	/* every detection rule requires DestinationPort in a set */
	MH_CHECK_EQ_INT(load2(dets, NULL, &err, &rs), MH_OK);
	if (!rs)
		return;
	MH_CHECK(mh_ruleset_prefilter(rs, &f, &v, &n));
	MH_CHECK_EQ_INT(f, MH_F_DESTINATION_PORT);
	MH_CHECK_EQ_INT(n, 4);
	if (n == 4) {
		MH_CHECK_EQ_INT(v[0], 25);
		MH_CHECK_EQ_INT(v[1], 110);
		MH_CHECK_EQ_INT(v[2], 587);
		MH_CHECK_EQ_INT(v[3], 995);
	}
	mh_ruleset_free(rs);

	/* OR of constrained branches, AND with other predicates, NOT
	 * elsewhere: still constrained */
	MH_CHECK_EQ_INT(load2("title: x\ndetection:\n"
			      "  a:\n    DestinationPort: 143\n    Image: '*'\n"
			      "  b:\n    - DestinationPort: 993\n"
			      "    - DestinationPort: [25]\n      User: u\n"
			      "  f:\n    Image: outlook.exe\n"
			      "  condition: (a or b) and not f\n",
			      NULL, &err, &rs),
			MH_OK);
	if (!rs)
		return;
	MH_CHECK(mh_ruleset_prefilter(rs, &f, &v, &n));
	MH_CHECK_EQ_INT(n, 3);
	if (n == 3) {
		MH_CHECK_EQ_INT(v[0], 25);
		MH_CHECK_EQ_INT(v[1], 143);
		MH_CHECK_EQ_INT(v[2], 993);
	}
	mh_ruleset_free(rs);

	/* one rule without a port constraint: no prefilter */
	{
		char buf[2048];
		snprintf(buf, sizeof(buf),
			 "%s---\ntitle: any\ndetection:\n  s:\n"
			 "    CommandLine|contains: smtp\n  condition: s\n",
			 dets);
		MH_CHECK_EQ_INT(load2(buf, NULL, &err, &rs), MH_OK);
		if (!rs)
			return;
		MH_CHECK(!mh_ruleset_prefilter(rs, &f, &v, &n));
		mh_ruleset_free(rs);
	}
	/* a port under OR with an unconstrained branch: none */
	MH_CHECK_EQ_INT(load2("title: x\ndetection:\n"
			      "  a:\n    DestinationPort: 25\n"
			      "  b:\n    Image: x\n"
			      "  condition: a or b\n",
			      NULL, &err, &rs),
			MH_OK);
	if (!rs)
		return;
	MH_CHECK(!mh_ruleset_prefilter(rs, &f, &v, &n));
	mh_ruleset_free(rs);
	/* not port: none */
	MH_CHECK_EQ_INT(load2("title: x\ndetection:\n"
			      "  a:\n    DestinationPort: 25\n"
			      "  condition: not a\n",
			      NULL, &err, &rs),
			MH_OK);
	if (!rs)
		return;
	MH_CHECK(!mh_ruleset_prefilter(rs, &f, &v, &n));
	mh_ruleset_free(rs);
	/* another int field works too */
	MH_CHECK_EQ_INT(load2("title: x\ndetection:\n"
			      "  a:\n    EventID: 3\n"
			      "  condition: a\n",
			      NULL, &err, &rs),
			MH_OK);
	if (!rs)
		return;
	MH_CHECK(mh_ruleset_prefilter(rs, &f, &v, &n));
	MH_CHECK_EQ_INT(f, MH_F_EVENT_ID);
	MH_CHECK_EQ_INT(n, 1);
	mh_ruleset_free(rs);
}

static void test_fields(void)
{
	mh_ruleset *rs;
	mh_err err;
	mh_fieldset fs;

	MH_CHECK_EQ_INT(load2("title: x\ndetection:\n"
			      "  a:\n    SourceIp|fieldref: DestinationIp\n"
			      "    User: null\n"
			      "  condition: a\n",
			      NULL, &err, &rs),
			MH_OK);
	if (!rs)
		return;
	memset(&fs, 0, sizeof(fs));
	mh_ruleset_fields(rs, &fs);
	MH_CHECK(mh_fieldset_has(&fs, MH_F_SOURCE_IP));
	MH_CHECK(mh_fieldset_has(&fs, MH_F_DESTINATION_IP));
	MH_CHECK(mh_fieldset_has(&fs, MH_F_USER));
	MH_CHECK(!mh_fieldset_has(&fs, MH_F_IMAGE));
	mh_ruleset_free(rs);
	/* keywords read every field */
	MH_CHECK_EQ_INT(load2("title: x\ndetection:\n"
			      "  k: [evil]\n  condition: k\n",
			      NULL, &err, &rs),
			MH_OK);
	if (!rs)
		return;
	memset(&fs, 0, sizeof(fs));
	mh_ruleset_fields(rs, &fs);
	MH_CHECK(mh_fieldset_has(&fs, MH_F_IMAGE));
	MH_CHECK(mh_fieldset_has(&fs, MH_F_SUBJECT));
	mh_ruleset_free(rs);
}

int main(void)
{
	MH_RUN(test_event_count);
	MH_RUN(test_value_types);
	MH_RUN(test_temporal);
	MH_RUN(test_window_all);
	MH_RUN(test_aliases);
	MH_RUN(test_ranges_and_ops);
	MH_RUN(test_errors);
	MH_RUN(test_prefilter);
	MH_RUN(test_fields);
	MH_DONE();
}
