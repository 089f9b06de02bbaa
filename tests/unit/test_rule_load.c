/* Rule loading: YAML documents, attributes, errors with line:column,
 * files and directories, portmap / profile documents, builtin packs. */
#include "mh_test.h"
#include "rule/rule.h"

#include <stdio.h>
#include <stdlib.h>

static mh_rc load(const char *y, mh_err *err, mh_ruleset **out)
{
	mh_ruleset *rs;
	mh_rc rc;

	mh_err_clear(err);
	if (mh_ruleset_new(&rs))
		return MH_ENOMEM;
	rc = mh_ruleset_add_yaml(rs, "r.yml", y, strlen(y), err);
	if (!rc)
		rc = mh_ruleset_compile(rs, err);
	if (out && !rc)
		*out = rs;
	else
		mh_ruleset_free(rs);
	return rc;
}

/* Expect failure rc at line:col with err->field and a message fragment. */
static void expect_err(const char *y, mh_rc rc, unsigned line, unsigned col,
		       const char *field, const char *frag)
{
	mh_err err;
	mh_rc got = load(y, &err, NULL);

	MH_CHECK_EQ_INT(got, rc);
	MH_CHECK_EQ_INT(err.line, line);
	MH_CHECK_EQ_INT(err.col, col);
	MH_CHECK_EQ_STR(err.file, "r.yml");
	if (field)
		MH_CHECK_EQ_STR(err.field, field);
	if (frag && !strstr(err.msg, frag)) {
		fprintf(stderr, "message '%s' lacks '%s'\n", err.msg, frag);
		MH_CHECK(0);
	}
}

static void test_attributes(void)
{
	const char *y =
	    "title: Mail port from non-mail process\n"
	    "id: 11111111-2222-3333-4444-555555555555\n"
	    "name: mail_port\n"
	    "status: experimental\n"
	    "description: desc\n"
	    "author: someone\n"
	    "date: 2024-01-01\n"
	    "modified: 2024-02-01\n"
	    "license: DRL-1.1\n"
	    "references:\n  - https://attack.mitre.org/techniques/T1071/003/\n"
	    "tags:\n  - attack.command-and-control\n  - attack.t1071.003\n"
	    "logsource:\n  category: network_connection\n  product: windows\n"
	    "fields: [Image]\n"
	    "related:\n  - id: abc\n    type: derived\n"
	    "falsepositives:\n  - Mail clients\n"
	    "detection:\n"
	    "  sel:\n    DestinationPort: [25, 587]\n"
	    "  condition: sel\n"
	    "level: high\n";
	mh_ruleset *rs = NULL;
	mh_err err;
	const mh_rule *r;

	MH_CHECK_EQ_INT(load(y, &err, &rs), MH_OK);
	if (!rs)
		return;
	MH_CHECK_EQ_INT(mh_ruleset_count(rs), 1);
	r = mh_ruleset_rule(rs, 0);
	MH_CHECK_EQ_STR(r->title, "Mail port from non-mail process");
	MH_CHECK_EQ_STR(r->id, "11111111-2222-3333-4444-555555555555");
	MH_CHECK_EQ_STR(r->name, "mail_port");
	MH_CHECK_EQ_STR(r->description, "desc");
	MH_CHECK_EQ_STR(r->path, "r.yml");
	MH_CHECK_EQ_INT(r->line, 1);
	MH_CHECK_EQ_INT(r->level, MH_LVL_HIGH);
	MH_CHECK_EQ_INT(r->ntags, 2);
	MH_CHECK_EQ_STR(r->tags[1], "attack.t1071.003");
	MH_CHECK_EQ_INT(r->nfalsepositives, 1);
	MH_CHECK_EQ_STR(r->falsepositives[0], "Mail clients");
	MH_CHECK(!r->is_correlation);
	MH_CHECK(!r->referenced);
	MH_CHECK(r->corr == NULL);
	MH_CHECK(mh_ruleset_rule(rs, 1) == NULL);
	MH_CHECK(mh_ruleset_profile(rs) == NULL);
	mh_ruleset_free(rs);
}

static void test_levels(void)
{
	MH_CHECK_EQ_STR(mh_level_name(MH_LVL_INFORMATIONAL), "informational");
	MH_CHECK_EQ_STR(mh_level_name(MH_LVL_LOW), "low");
	MH_CHECK_EQ_STR(mh_level_name(MH_LVL_MEDIUM), "medium");
	MH_CHECK_EQ_STR(mh_level_name(MH_LVL_HIGH), "high");
	MH_CHECK_EQ_STR(mh_level_name(MH_LVL_CRITICAL), "critical");
	expect_err("title: t\nlevel: severe\ndetection:\n  s:\n    Image: a\n"
		   "  condition: s\n",
		   MH_EPARSE, 2, 8, "level", "severe");
}

static void test_multi_doc(void)
{
	const char *y = "title: a\ndetection:\n  s:\n    Image: a\n"
			"  condition: s\n"
			"---\n"
			"---\n" /* an empty document is skipped */
			"title: b\nlevel: low\ndetection:\n  s:\n    Image: b\n"
			"  condition: s\n";
	mh_ruleset *rs = NULL;
	mh_err err;

	MH_CHECK_EQ_INT(load(y, &err, &rs), MH_OK);
	if (!rs)
		return;
	MH_CHECK_EQ_INT(mh_ruleset_count(rs), 2);
	MH_CHECK_EQ_STR(mh_ruleset_rule(rs, 1)->title, "b");
	MH_CHECK_EQ_INT(mh_ruleset_rule(rs, 1)->index, 1);
	MH_CHECK_EQ_INT(mh_ruleset_rule(rs, 1)->line, 8);
	MH_CHECK_EQ_INT(mh_ruleset_rule(rs, 1)->level, MH_LVL_LOW);
	/* default level */
	MH_CHECK_EQ_INT(mh_ruleset_rule(rs, 0)->level, MH_LVL_MEDIUM);
	mh_ruleset_free(rs);
}

static void test_errors(void)
{
	/* unknown field */
	expect_err("title: t\ndetection:\n  sel:\n    Imagee: x\n"
		   "  condition: sel\n",
		   MH_ENOTFOUND, 4, 5, "Imagee", "unknown field");
	/* unknown modifier */
	expect_err("title: t\ndetection:\n  sel:\n    Image|containz: x\n"
		   "  condition: sel\n",
		   MH_EPARSE, 4, 5, "Image", "containz");
	/* conflicting modifiers */
	expect_err("title: t\ndetection:\n  sel:\n"
		   "    Image|contains|endswith: x\n  condition: sel\n",
		   MH_EPARSE, 4, 5, "Image", "cannot be combined");
	/* i without re */
	expect_err("title: t\ndetection:\n  sel:\n    Image|contains|i: x\n"
		   "  condition: sel\n",
		   MH_EPARSE, 4, 5, "Image", "'re'");
	/* undefined selection, plain and quoted condition */
	expect_err("title: t\ndetection:\n  sel:\n    Image: x\n"
		   "  condition: sel and nope\n",
		   MH_EPARSE, 5, 22, "condition", "'nope'");
	expect_err("title: t\ndetection:\n  sel:\n    Image: x\n"
		   "  condition: 'sel and nope'\n",
		   MH_EPARSE, 5, 23, "condition", "'nope'");
	/* bad condition syntax */
	expect_err("title: t\ndetection:\n  sel:\n    Image: x\n"
		   "  condition: sel andd sel\n",
		   MH_EPARSE, 5, 18, "condition", "'andd'");
	expect_err("title: t\ndetection:\n  sel:\n    Image: x\n"
		   "  condition: (sel or sel\n",
		   MH_EPARSE, 5, 14, "condition", "parenthesis");
	expect_err("title: t\ndetection:\n  sel:\n    Image: x\n"
		   "  condition: sel and\n",
		   MH_EPARSE, 5, 21, "condition", "end of condition");
	expect_err("title: t\ndetection:\n  sel:\n    Image: x\n"
		   "  condition: 1 of foo*\n",
		   MH_EPARSE, 5, 19, "condition", "foo*");
	expect_err("title: t\ndetection:\n  sel:\n    Image: x\n"
		   "  condition: sel | count() > 5\n",
		   MH_EUNSUP, 5, 18, "condition", "aggregation");
	/* missing pieces */
	expect_err("title: t\ndetection:\n  sel:\n    Image: x\n", MH_EPARSE, 3,
		   3, "condition", "no 'condition'");
	expect_err("detection:\n  sel:\n    Image: x\n  condition: sel\n",
		   MH_EPARSE, 1, 1, "title", "title");
	expect_err("title: t\nlogsource: {}\n", MH_EPARSE, 1, 1, "detection",
		   "detection");
	/* bad regex, cidr, number */
	expect_err("title: t\ndetection:\n  sel:\n    Image|re: 'a(b'\n"
		   "  condition: sel\n",
		   MH_EPARSE, 4, 15, "Image", "regular expression");
	expect_err("title: t\ndetection:\n  sel:\n"
		   "    DestinationIp|cidr: 10.0.0/33\n  condition: sel\n",
		   MH_EPARSE, 4, 25, "DestinationIp", "CIDR");
	expect_err("title: t\ndetection:\n  sel:\n    BytesSent|gt: lots\n"
		   "  condition: sel\n",
		   MH_EPARSE, 4, 19, "BytesSent", "number");
	expect_err("title: t\ndetection:\n  sel:\n"
		   "    Image|fieldref: NoSuchField\n  condition: sel\n",
		   MH_ENOTFOUND, 4, 21, "NoSuchField", "fieldref");
	expect_err("title: t\ndetection:\n  sel:\n    Image|exists: maybe\n"
		   "  condition: sel\n",
		   MH_EPARSE, 4, 19, "Image", "exists");
	/* YAML syntax error */
	{
		mh_err err;
		MH_CHECK_EQ_INT(load("title: t\ndetection: [a\n", &err, NULL),
				MH_EPARSE);
		MH_CHECK(err.line >= 2);
		MH_CHECK(strstr(err.msg, "YAML") != NULL);
	}
	/* timeframe is refused with a pointer to correlation rules */
	expect_err("title: t\ndetection:\n  sel:\n    Image: x\n"
		   "  timeframe: 5m\n  condition: sel\n",
		   MH_EUNSUP, 5, 3, "timeframe", "correlation");
	/* a document that is not a mapping */
	expect_err("- a\n- b\n", MH_EPARSE, 1, 1, NULL, "mapping");
}

static void test_error_drops_file(void)
{
	mh_ruleset *rs;
	mh_err err;
	const char *good = "title: a\ndetection:\n  s:\n    Image: a\n"
			   "  condition: s\n";
	const char *bad = "title: a\ndetection:\n  s:\n    Image: a\n"
			  "  condition: s\n---\ntitle: b\n";

	MH_CHECK(mh_ruleset_new(&rs) == MH_OK);
	MH_CHECK_EQ_INT(mh_ruleset_add_yaml(rs, "g", good, strlen(good), &err),
			MH_OK);
	MH_CHECK(mh_ruleset_add_yaml(rs, "b", bad, strlen(bad), &err) != MH_OK);
	MH_CHECK_EQ_INT(mh_ruleset_count(rs), 1);
	MH_CHECK_EQ_INT(mh_ruleset_compile(rs, &err), MH_OK);
	/* read-only after compile */
	MH_CHECK_EQ_INT(mh_ruleset_add_yaml(rs, "g", good, strlen(good), &err),
			MH_EINVAL);
	mh_ruleset_free(rs);
}

static void test_portmap_profile(void)
{
	const char *y = "mailhunt-portmap:\n"
			"  SMTP: [25, 465, 587, 2525]\n"
			"  POP3: [110, 995]\n"
			"  IMAP: [143, 993]\n"
			"---\n"
			"mailhunt-profile:\n"
			"  name: splunk\n"
			"  title: Splunk SPL reference\n"
			"  description: reproduces the SPL search\n"
			"  sort:\n"
			"    - {count: desc}\n"
			"    - level_name: desc\n"
			"    - first_seen\n"
			"    - {group: asc}\n";
	mh_ruleset *rs = NULL;
	mh_err err;
	const mh_portmap_entry *pm;
	const mh_profile_info *pi;
	size_t n;

	MH_CHECK_EQ_INT(load(y, &err, &rs), MH_OK);
	if (!rs)
		return;
	MH_CHECK_EQ_INT(mh_ruleset_count(rs), 0);
	pm = mh_ruleset_portmap(rs, &n);
	MH_CHECK_EQ_INT(n, 8);
	MH_CHECK_EQ_INT(pm[0].port, 25);
	MH_CHECK_EQ_STR(pm[0].proto, "SMTP");
	MH_CHECK_EQ_INT(pm[3].port, 2525);
	MH_CHECK_EQ_INT(pm[5].port, 995);
	MH_CHECK_EQ_STR(pm[5].proto, "POP3");
	MH_CHECK_EQ_STR(pm[7].proto, "IMAP");
	pi = mh_ruleset_profile(rs);
	MH_CHECK(pi != NULL);
	if (pi) {
		MH_CHECK_EQ_STR(pi->name, "splunk");
		MH_CHECK_EQ_STR(pi->title, "Splunk SPL reference");
		MH_CHECK_EQ_INT(pi->nsort, 4);
		MH_CHECK_EQ_INT(pi->sort[0].key, MH_SORT_COUNT);
		MH_CHECK(pi->sort[0].desc);
		MH_CHECK_EQ_INT(pi->sort[1].key, MH_SORT_LEVEL_NAME);
		MH_CHECK(pi->sort[1].desc);
		MH_CHECK_EQ_INT(pi->sort[2].key, MH_SORT_FIRST_SEEN);
		MH_CHECK(!pi->sort[2].desc);
		MH_CHECK_EQ_INT(pi->sort[3].key, MH_SORT_GROUP);
	}
	/* no detection rules: no prefilter */
	{
		mh_field f;
		const int64_t *v;
		MH_CHECK(!mh_ruleset_prefilter(rs, &f, &v, &n));
	}
	mh_ruleset_free(rs);

	expect_err("mailhunt-portmap:\n  SMTP: [25, 70000]\n", MH_EPARSE, 2, 14,
		   "SMTP", "port");
	expect_err("mailhunt-portmap:\n  AVERYLONGPROTOCOLNAME: [25]\n",
		   MH_EPARSE, 2, 3, "mailhunt-portmap", "15");
	expect_err("mailhunt-profile:\n  name: x\n  sortt: [count]\n",
		   MH_EPARSE, 3, 3, "sortt", "unknown profile attribute");
	expect_err("mailhunt-profile:\n  name: x\n  sort: [{colour: desc}]\n",
		   MH_EPARSE, 3, 11, "sort", "colour");
	expect_err("mailhunt-profile:\n  name: x\n  sort: [{count: down}]\n",
		   MH_EPARSE, 3, 18, "sort", "asc or desc");
	expect_err("mailhunt-profile:\n  name: x\n  sort: [level, level, "
		   "count, count, group, group, level]\n",
		   MH_ELIMIT, 3, 52, "sort", "6");
}

static void test_portmap_override(void)
{
	const char *y = "mailhunt-portmap:\n  SMTP: [25, 587]\n---\n"
			"mailhunt-portmap:\n  SUBMISSION: [587]\n";
	mh_ruleset *rs = NULL;
	mh_err err;
	const mh_portmap_entry *pm;
	size_t n;

	MH_CHECK_EQ_INT(load(y, &err, &rs), MH_OK);
	if (!rs)
		return;
	pm = mh_ruleset_portmap(rs, &n);
	MH_CHECK_EQ_INT(n, 2);
	MH_CHECK_EQ_INT(pm[1].port, 587);
	MH_CHECK_EQ_STR(pm[1].proto, "SUBMISSION");
	mh_ruleset_free(rs);
}

static void test_add_path(void)
{
	mh_ruleset *rs;
	mh_err err;
	const mh_corr *co;
	size_t i;

	MH_CHECK(mh_ruleset_new(&rs) == MH_OK);
	/* dir: a_corr.yml references rules from b/ and c_detect.yml; the
	 * README.txt is ignored; order is sorted, recursive */
	MH_CHECK_EQ_INT(mh_ruleset_add_path(rs, "tests/data/rules/good", &err),
			MH_OK);
	MH_CHECK_EQ_INT(mh_ruleset_compile(rs, &err), MH_OK);
	MH_CHECK_EQ_INT(mh_ruleset_count(rs), 4);
	if (mh_ruleset_count(rs) != 4) {
		mh_ruleset_free(rs);
		return;
	}
	MH_CHECK_EQ_STR(mh_ruleset_rule(rs, 0)->path,
			"tests/data/rules/good/a_corr.yml");
	MH_CHECK_EQ_STR(mh_ruleset_rule(rs, 1)->path,
			"tests/data/rules/good/b/nested.yaml");
	MH_CHECK_EQ_STR(mh_ruleset_rule(rs, 2)->title, "SMTP from script host");
	co = mh_ruleset_rule(rs, 0)->corr;
	MH_CHECK(co != NULL);
	if (co) {
		MH_CHECK_EQ_INT(co->nrules, 2);
		MH_CHECK_EQ_INT(co->rules[0], 2);
		MH_CHECK_EQ_INT(co->rules[1], 1);
	}
	for (i = 1; i < 3; i++)
		MH_CHECK(mh_ruleset_rule(rs, i)->referenced);
	MH_CHECK(!mh_ruleset_rule(rs, 3)->referenced);
	mh_ruleset_free(rs);

	/* every modifier compiles */
	MH_CHECK(mh_ruleset_new(&rs) == MH_OK);
	MH_CHECK_EQ_INT(
	    mh_ruleset_add_path(rs, "tests/data/rules/all_modifiers.yml", &err),
	    MH_OK);
	MH_CHECK_EQ_INT(mh_ruleset_compile(rs, &err), MH_OK);
	MH_CHECK_EQ_INT(mh_ruleset_count(rs), 5);
	mh_ruleset_free(rs);

	/* a single file */
	MH_CHECK(mh_ruleset_new(&rs) == MH_OK);
	MH_CHECK_EQ_INT(
	    mh_ruleset_add_path(rs, "tests/data/rules/good/c_detect.yml", &err),
	    MH_OK);
	MH_CHECK_EQ_INT(mh_ruleset_count(rs), 2);
	mh_ruleset_free(rs);

	/* errors carry the file name */
	MH_CHECK(mh_ruleset_new(&rs) == MH_OK);
	MH_CHECK_EQ_INT(mh_ruleset_add_path(
			    rs, "tests/data/rules/bad/unknown_field.yml", &err),
			MH_ENOTFOUND);
	MH_CHECK_EQ_STR(err.file, "tests/data/rules/bad/unknown_field.yml");
	MH_CHECK_EQ_INT(err.line, 7);
	MH_CHECK_EQ_INT(err.col, 5);
	MH_CHECK_EQ_STR(err.field, "RemoteHost");
	MH_CHECK_EQ_INT(
	    mh_ruleset_add_path(rs, "tests/data/rules/missing", &err), MH_EIO);
	mh_ruleset_free(rs);
}

static void test_builtin(void)
{
	const char *const *p = mh_builtin_profiles();
	mh_ruleset *rs;
	mh_err err;

	MH_CHECK(p != NULL);
	MH_CHECK(mh_ruleset_new(&rs) == MH_OK);
	MH_CHECK_EQ_INT(mh_ruleset_add_builtin(rs, "no-such-profile", &err),
			MH_ENOTFOUND);
	MH_CHECK_EQ_INT(mh_ruleset_add_builtin(rs, "", &err), MH_ENOTFOUND);
	mh_ruleset_free(rs);
	/* every embedded profile loads and compiles */
	for (; p && *p; p++) {
		MH_CHECK(mh_ruleset_new(&rs) == MH_OK);
		mh_err_clear(&err);
		if (mh_ruleset_add_builtin(rs, *p, &err) ||
		    mh_ruleset_compile(rs, &err)) {
			char msg[1024];
			mh_err_format(&err, msg, sizeof(msg));
			fprintf(stderr, "builtin %s: %s\n", *p, msg);
			MH_CHECK(0);
		}
		mh_ruleset_free(rs);
	}
	MH_CHECK(mh_ruleset_new(&rs) == MH_OK);
	MH_CHECK_EQ_INT(mh_ruleset_add_builtin_shared(rs, &err), MH_OK);
	MH_CHECK_EQ_INT(mh_ruleset_compile(rs, &err), MH_OK);
	mh_ruleset_free(rs);
}

int main(void)
{
	MH_RUN(test_attributes);
	MH_RUN(test_levels);
	MH_RUN(test_multi_doc);
	MH_RUN(test_errors);
	MH_RUN(test_error_drops_file);
	MH_RUN(test_portmap_profile);
	MH_RUN(test_portmap_override);
	MH_RUN(test_add_path);
	MH_RUN(test_builtin);
	MH_DONE();
}
