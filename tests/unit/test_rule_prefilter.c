/* The ruleset's prefilter (issue 4): which detection rule shapes give the
 * plain form (port in a set), the disjunctive form (or port unset, or
 * Service set), or none. */
#include "mh_test.h"
#include "rule/rule.h"
#include "rule_fixture.h"

#include <string.h>

/* A network rule on the mail ports: plain form alone. */
#define NET_PORTS                                                              \
	HEAD("net")                                                            \
	"  sel:\n    DestinationPort: [25, 587]\n"                             \
	"  outb:\n    Direction: outbound\n"                                   \
	"  condition: sel and outb\n"

/* The shape of mailhunt_evidence_*: port unset (`not` an exists sel). */
#define EVIDENCE                                                               \
	HEAD("ev")                                                             \
	"  cmd:\n    CommandLine|contains: smtp://\n"                          \
	"  script:\n    ScriptBlockText|contains: Send-MailMessage\n"          \
	"  connection:\n    DestinationPort|exists: true\n"                    \
	"  condition: (cmd or script) and not connection\n"

/* The shape of mailhunt_evidence_* now: a record with a Protocol is a
 * connection record too (ICMP has no port). */
#define EVIDENCE_PROTO                                                         \
	HEAD("evp")                                                            \
	"  cmd:\n    CommandLine|contains: smtp://\n"                          \
	"  script:\n    ScriptBlockText|contains: Send-MailMessage\n"          \
	"  connection:\n    - DestinationPort|exists: true\n"                  \
	"    - Protocol|exists: true\n"                                        \
	"  condition: (cmd or script) and not connection\n"

/* The shape of mailhunt_default_net_service_port_mismatch. */
#define MISMATCH                                                               \
	HEAD("mm")                                                             \
	"  svc:\n    Service: [smtp, imap]\n"                                  \
	"  std:\n    DestinationPort: [25, 993]\n"                             \
	"  mp:\n    DestinationPort: [25, 993, 2525]\n"                        \
	"  condition: (svc and not std) or (mp and not svc)\n"

static void test_plain_form_unchanged(void)
{
	mh_ruleset *rs = build(NET_PORTS, NULL, NULL);
	mh_prefilter p;
	mh_field f;
	const int64_t *v;
	size_t n;

	MH_CHECK(mh_ruleset_prefilter(rs, &f, &v, &n));
	MH_CHECK_EQ_INT(f, MH_F_DESTINATION_PORT);
	MH_CHECK_EQ_INT(n, 2);
	MH_CHECK(mh_ruleset_prefilter_ex(rs, &p));
	MH_CHECK_EQ_INT(p.n, 2);
	MH_CHECK_EQ_INT(p.vals[0], 25);
	MH_CHECK_EQ_INT(p.vals[1], 587);
	MH_CHECK(!p.allow_unset);
	MH_CHECK_EQ_INT(p.str_field, MH_F_NONE);
	mh_ruleset_free(rs);
}

static void test_evidence_allows_unset(void)
{
	mh_ruleset *rs = build(NET_PORTS, EVIDENCE, NULL);
	mh_prefilter p;
	mh_field f;
	const int64_t *v;
	size_t n;

	/* not the plain form any more */
	MH_CHECK(!mh_ruleset_prefilter(rs, &f, &v, &n));
	MH_CHECK(mh_ruleset_prefilter_ex(rs, &p));
	MH_CHECK_EQ_INT(p.field, MH_F_DESTINATION_PORT);
	MH_CHECK_EQ_INT(p.n, 2);
	MH_CHECK(p.allow_unset);
	MH_CHECK(p.unset_proto); /* an ICMP record may match */
	MH_CHECK_EQ_INT(p.str_field, MH_F_NONE);
	mh_ruleset_free(rs);

	/* |exists: false says the same */
	rs = build(NET_PORTS,
		   HEAD("ev2") "  cmd:\n    CommandLine|contains: smtp://\n"
			       "  nc:\n    DestinationPort|exists: false\n"
			       "  condition: cmd and nc\n",
		   NULL);
	MH_CHECK(mh_ruleset_prefilter_ex(rs, &p));
	MH_CHECK(p.allow_unset);
	MH_CHECK(p.unset_proto);
	mh_ruleset_free(rs);
}

/* not (port exists or Protocol exists): the port unset, and Protocol
 * too, so no ICMP record (it has a Protocol) can match */
static void test_unset_without_protocol(void)
{
	mh_ruleset *rs = build(NET_PORTS, EVIDENCE_PROTO, NULL);
	mh_prefilter p;

	MH_CHECK(mh_ruleset_prefilter_ex(rs, &p));
	MH_CHECK_EQ_INT(p.n, 2);
	MH_CHECK(p.allow_unset);
	MH_CHECK(!p.unset_proto);
	mh_ruleset_free(rs);
	/* one rule that allows it with a Protocol is enough */
	rs = build(NET_PORTS, EVIDENCE_PROTO, EVIDENCE);
	MH_CHECK(mh_ruleset_prefilter_ex(rs, &p));
	MH_CHECK(p.allow_unset);
	MH_CHECK(p.unset_proto);
	mh_ruleset_free(rs);
	/* not (port exists or Image exists): only the port is known
	 * unset */
	rs = build(NET_PORTS,
		   HEAD("img") "  cmd:\n    CommandLine|contains: smtp://\n"
			       "  c:\n    - DestinationPort|exists: true\n"
			       "    - Image|exists: true\n"
			       "  condition: cmd and not c\n",
		   NULL);
	MH_CHECK(mh_ruleset_prefilter_ex(rs, &p));
	MH_CHECK(p.allow_unset);
	MH_CHECK(p.unset_proto);
	mh_ruleset_free(rs);
	/* not (Protocol exists) alone says nothing of the port: no
	 * usable atom */
	rs = build(NET_PORTS,
		   HEAD("pr") "  cmd:\n    CommandLine|contains: smtp://\n"
			      "  c:\n    - Protocol|exists: true\n"
			      "    - Image|exists: true\n"
			      "  condition: cmd and not c\n",
		   NULL);
	MH_CHECK(!mh_ruleset_prefilter_ex(rs, &p));
	mh_ruleset_free(rs);
	/* not (port exists and Protocol exists) does not imply the port
	 * unset */
	rs = build(NET_PORTS,
		   HEAD("and") "  cmd:\n    CommandLine|contains: smtp://\n"
			       "  c:\n    DestinationPort|exists: true\n"
			       "    Protocol|exists: true\n"
			       "  condition: cmd and not c\n",
		   NULL);
	MH_CHECK(!mh_ruleset_prefilter_ex(rs, &p));
	mh_ruleset_free(rs);
}

static void test_service_atom(void)
{
	mh_ruleset *rs = build(NET_PORTS, EVIDENCE, MISMATCH);
	mh_prefilter p;

	MH_CHECK(mh_ruleset_prefilter_ex(rs, &p));
	MH_CHECK_EQ_INT(p.field, MH_F_DESTINATION_PORT);
	MH_CHECK_EQ_INT(p.n, 4); /* 25 587 993 2525 */
	MH_CHECK_EQ_INT(p.vals[3], 2525);
	MH_CHECK(p.allow_unset);
	MH_CHECK_EQ_INT(p.str_field, MH_F_SERVICE);
	mh_ruleset_free(rs);
}

static void test_no_usable_atom(void)
{
	mh_prefilter p;
	mh_ruleset *rs;

	/* a rule on the command line alone: no prefilter at all */
	rs = build(NET_PORTS,
		   HEAD("cl") "  cmd:\n    CommandLine|contains: smtp://\n"
			      "  condition: cmd\n",
		   NULL);
	MH_CHECK(!mh_ruleset_prefilter_ex(rs, &p));
	MH_CHECK_EQ_INT(p.n, 0);
	mh_ruleset_free(rs);
	/* `Service: null` or a negated port set says nothing usable */
	rs = build(NET_PORTS,
		   HEAD("nul") "  a:\n    Service: null\n"
			       "  b:\n    DestinationPort: 443\n"
			       "  condition: a or not b\n",
		   NULL);
	MH_CHECK(!mh_ruleset_prefilter_ex(rs, &p));
	mh_ruleset_free(rs);
	/* `or` with one branch unconstrained */
	rs = build(NET_PORTS,
		   HEAD("or") "  a:\n    Service: smtp\n"
			      "  b:\n    Direction: outbound\n"
			      "  condition: a or b\n",
		   NULL);
	MH_CHECK(!mh_ruleset_prefilter_ex(rs, &p));
	mh_ruleset_free(rs);
	/* a string atom on another field than Service */
	rs = build(NET_PORTS,
		   HEAD("other") "  a:\n    DestinationHostname: x\n"
				 "  condition: a\n",
		   NULL);
	MH_CHECK(!mh_ruleset_prefilter_ex(rs, &p));
	mh_ruleset_free(rs);
}

static void test_builtin_default_pack(void)
{
	mh_ruleset *rs = NULL;
	mh_prefilter p;
	mh_err err;

	memset(&err, 0, sizeof(err));
	MH_CHECK(mh_ruleset_new(&rs) == MH_OK);
	MH_CHECK(mh_ruleset_add_builtin(rs, "mailhunt", &err) == MH_OK);
	MH_CHECK(mh_ruleset_compile(rs, &err) == MH_OK);
	MH_CHECK(mh_ruleset_prefilter_ex(rs, &p));
	MH_CHECK_EQ_INT(p.field, MH_F_DESTINATION_PORT);
	MH_CHECK(p.allow_unset);
	/* the evidence rules exclude connection records, ICMP included */
	MH_CHECK(!p.unset_proto);
	MH_CHECK_EQ_INT(p.str_field, MH_F_SERVICE);
	MH_CHECK(p.n >= 8);
	mh_ruleset_free(rs);
	/* a profile keeps the plain form */
	MH_CHECK(mh_ruleset_new(&rs) == MH_OK);
	MH_CHECK(mh_ruleset_add_builtin(rs, "sentinel", &err) == MH_OK);
	MH_CHECK(mh_ruleset_compile(rs, &err) == MH_OK);
	MH_CHECK(mh_ruleset_prefilter_ex(rs, &p));
	MH_CHECK(!p.allow_unset);
	MH_CHECK_EQ_INT(p.str_field, MH_F_NONE);
	mh_ruleset_free(rs);
}

int main(void)
{
	MH_RUN(test_plain_form_unchanged);
	MH_RUN(test_evidence_allows_unset);
	MH_RUN(test_unset_without_protocol);
	MH_RUN(test_service_atom);
	MH_RUN(test_no_usable_atom);
	MH_RUN(test_builtin_default_pack);
	MH_DONE();
}
