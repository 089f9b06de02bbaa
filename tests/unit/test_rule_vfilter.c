/* The value prefilter (issue 4, rule/vfilter.h): which rulesets have one,
 * on which fields, and what its automaton finds (the cores of the chosen
 * literals, ASCII-folded, anywhere in a value). */
#include "mh_test.h"
#include "rule/rule.h"
#include "rule/vfilter.h"

#include <stdlib.h>
#include <string.h>

#define HEAD(name)                                                             \
	"title: " name "\n"                                                    \
	"logsource:\n  category: network_connection\n"                         \
	"detection:\n"

/* port and process: the shape of bench/gen_rules.c's ports mix */
#define PORT_IMAGE                                                             \
	HEAD("pi")                                                             \
	"  sel_port:\n    DestinationPort: [25, 587]\n"                        \
	"  sel_proc:\n    Image|endswith:\n"                                   \
	"      - '\\Tools\\evil.exe'\n"                                        \
	"      - '/usr/bin/sw'\n"                                              \
	"  filter:\n    User: admin\n"                                         \
	"  condition: sel_port and sel_proc and not filter\n"

#define PORT_NAME                                                              \
	HEAD("pn")                                                             \
	"  sel_port:\n    DestinationPort: 993\n"                              \
	"  sel_proc:\n    ProcessName: [Mailer.EXE, 'x y.exe']\n"              \
	"  condition: sel_port and sel_proc\n"

#define CMD_ALL                                                                \
	HEAD("ca")                                                             \
	"  sel:\n    CommandLine|contains|all: [smtp, AUTH]\n"                 \
	"  condition: sel\n"

/* two clauses of literals: the more selective one (the equality) */
#define ACT_CMD                                                                \
	HEAD("ac")                                                             \
	"  cmd:\n    CommandLine|contains: mail\n"                             \
	"  act:\n    Action|cased: ConnectionSuccess\n"                        \
	"  condition: cmd and act\n"

/* an address block, or an image */
#define NET_OR_IMAGE                                                           \
	HEAD("ni")                                                             \
	"  net:\n    DestinationIp|cidr: [10.0.0.0/8, '2001:db8::/32']\n"      \
	"  img:\n    Image|endswith: '\\x.exe'\n"                              \
	"  filter:\n    User: admin\n"                                         \
	"  condition: (net or img) and not filter\n"

/* no literal a rule needs */
#define PORT_ONLY                                                              \
	HEAD("po")                                                             \
	"  sel:\n    DestinationPort: [25]\n"                                  \
	"  filter:\n    ProcessName: outlook.exe\n"                            \
	"  condition: sel and not filter\n"

/* a literal on a derived field (normalising writes the word) */
#define DERIVED                                                                \
	HEAD("dv")                                                             \
	"  sel:\n    DestinationPort: [25]\n"                                  \
	"  dir:\n    Direction: outbound\n"                                    \
	"  condition: sel and dir\n"

/* a literal with no run outside separators */
#define SEP_ONLY                                                               \
	HEAD("so")                                                             \
	"  sel:\n    DestinationPort: [25]\n"                                  \
	"  img:\n    Image|endswith: '\\'\n"                                   \
	"  condition: sel and img\n"

/* an alternative without a literal */
#define OR_REGEX                                                               \
	HEAD("or")                                                             \
	"  a:\n    Image|endswith: '\\a.exe'\n"                                \
	"  b:\n    CommandLine|re: 'x[0-9]+'\n"                                \
	"  condition: a or b\n"

static mh_ruleset *build(const char *a, const char *b, const char *c)
{
	const char *docs[3] = {a, b, c};
	mh_ruleset *rs = NULL;
	mh_err err;

	memset(&err, 0, sizeof(err));
	MH_CHECK(mh_ruleset_new(&rs) == MH_OK);
	for (int i = 0; i < 3; i++)
		if (docs[i])
			MH_CHECK(mh_ruleset_add_yaml(rs, "t.yml", docs[i],
						     strlen(docs[i]),
						     &err) == MH_OK);
	MH_CHECK(mh_ruleset_compile(rs, &err) == MH_OK);
	return rs;
}

/* Does the automaton find a core in s? */
static bool hit(const mh_vfilter *vf, const char *s)
{
	uint32_t st = 0;

	for (; *s; s++)
		if ((st = mh_vfilter_step(vf, st, (unsigned char)*s)) &
		    MH_VF_HIT)
			return true;
	return false;
}

static void test_port_and_process(void)
{
	mh_ruleset *rs = build(PORT_IMAGE, PORT_NAME, CMD_ALL);
	mh_ruleset *ra = build(ACT_CMD, NULL, NULL);
	const mh_vfilter *vf = mh_ruleset_vfilter(rs);

	MH_CHECK(vf != NULL);
	MH_CHECK(mh_fieldset_has(&vf->fields, MH_F_IMAGE));
	MH_CHECK(mh_fieldset_has(&vf->fields, MH_F_PROCESS_NAME));
	MH_CHECK(mh_fieldset_has(&vf->fields, MH_F_COMMAND_LINE));
	/* the negated User literal is no part of it */
	MH_CHECK(!mh_fieldset_has(&vf->fields, MH_F_USER));
	MH_CHECK(!mh_fieldset_has(&vf->fields, MH_F_DESTINATION_PORT));
	/* cores: "evil.exe", "bin" (of /usr/bin/sw: the first longest),
	 * "mailer.exe", "x y.exe", "smtp", "auth" */
	MH_CHECK(hit(vf, "C:\\Tools\\EVIL.exe"));
	MH_CHECK(hit(vf, "evil.exe")); /* the file name of a joined Image */
	MH_CHECK(hit(vf, "/usr/bin"));
	MH_CHECK(hit(vf, "MAILER.exe"));
	MH_CHECK(hit(vf, "c:\\x y.exe"));
	MH_CHECK(hit(vf, "curl SMTP://m"));
	MH_CHECK(!hit(vf, "C:\\Tools\\evil.ex"));
	MH_CHECK(!hit(vf, "mailer.ex"));
	MH_CHECK(!hit(vf, "ConnectionFailed"));
	MH_CHECK(!hit(vf, "admin"));
	/* the automaton is restarted per value: no hit across two */
	MH_CHECK(!hit(vf, "sm") && !hit(vf, "tp"));
	mh_ruleset_free(rs);

	vf = mh_ruleset_vfilter(ra);
	MH_CHECK(vf != NULL);
	MH_CHECK(mh_fieldset_has(&vf->fields, MH_F_ACTION));
	MH_CHECK(!mh_fieldset_has(&vf->fields, MH_F_COMMAND_LINE));
	MH_CHECK(hit(vf, "connectionSUCCESS")); /* |cased: folded here */
	MH_CHECK(!hit(vf, "mail"));
	mh_ruleset_free(ra);
}

static void test_cidr(void)
{
	mh_ruleset *rs = build(NET_OR_IMAGE, PORT_NAME, NULL);
	const mh_vfilter *vf = mh_ruleset_vfilter(rs);

	MH_CHECK(vf != NULL);
	MH_CHECK(mh_fieldset_has(&vf->ipfields, MH_F_DESTINATION_IP));
	MH_CHECK(!mh_fieldset_has(&vf->fields, MH_F_DESTINATION_IP));
	MH_CHECK(mh_fieldset_has(&vf->fields, MH_F_IMAGE));
	MH_CHECK(hit(vf, "C:\\x.exe"));
	MH_CHECK(mh_vfilter_ip_hit(vf, "10.1.2.3", 8));
	MH_CHECK(mh_vfilter_ip_hit(vf, "::ffff:10.9.9.9", 15));
	MH_CHECK(mh_vfilter_ip_hit(vf, "[2001:db8::1]", 13));
	MH_CHECK(!mh_vfilter_ip_hit(vf, "11.1.2.3", 8));
	MH_CHECK(!mh_vfilter_ip_hit(vf, "2001:db9::1", 11));
	MH_CHECK(!mh_vfilter_ip_hit(vf, "10.1.2", 6)); /* not an address */
	mh_ruleset_free(rs);
	/* blocks alone */
	rs = build(HEAD("n") "  net:\n    DestinationIp|cidr: 192.0.2.0/24\n"
			     "  condition: net\n",
		   NULL, NULL);
	vf = mh_ruleset_vfilter(rs);
	MH_CHECK(vf != NULL);
	MH_CHECK(!hit(vf, "192.0.2.1"));
	MH_CHECK(mh_vfilter_ip_hit(vf, "192.0.2.1", 9));
	MH_CHECK(!mh_vfilter_ip_hit(vf, "192.0.3.1", 9));
	mh_ruleset_free(rs);
}

static void test_none(void)
{
	const char *const alone[] = {PORT_ONLY, DERIVED, SEP_ONLY, OR_REGEX};

	for (size_t i = 0; i < sizeof(alone) / sizeof(alone[0]); i++) {
		mh_ruleset *rs = build(alone[i], NULL, NULL);
		MH_CHECK(mh_ruleset_vfilter(rs) == NULL);
		mh_ruleset_free(rs);
		/* one such rule among others takes it away */
		rs = build(PORT_IMAGE, alone[i], NULL);
		MH_CHECK(mh_ruleset_vfilter(rs) == NULL);
		mh_ruleset_free(rs);
	}
}

static void test_no_index(void)
{
	mh_ruleset *rs;

	setenv("MAILHUNT_NO_RULE_INDEX", "1", 1);
	rs = build(PORT_IMAGE, NULL, NULL);
	MH_CHECK(mh_ruleset_vfilter(rs) == NULL);
	mh_ruleset_free(rs);
	unsetenv("MAILHUNT_NO_RULE_INDEX");
	rs = build(PORT_IMAGE, NULL, NULL);
	MH_CHECK(mh_ruleset_vfilter(rs) != NULL);
	mh_ruleset_free(rs);
}

int main(void)
{
	MH_RUN(test_port_and_process);
	MH_RUN(test_cidr);
	MH_RUN(test_none);
	MH_RUN(test_no_index);
	MH_DONE();
}
