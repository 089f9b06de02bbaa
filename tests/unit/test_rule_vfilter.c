/* The value prefilter (issue 4, rule/vfilter.h): which rulesets have one,
 * on which fields, and which values complete a rule (an atom of each of
 * its clauses: a literal's core, ASCII-folded, anywhere in a value, an
 * integer, an address in a block). */
#include "mh_test.h"
#include "rule/rule.h"
#include "rule/vfilter.h"
#include "rule_fixture.h"
#include "util/ip.h"
#include "util/splitmix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* short cores: 1, 2 and 3 bytes (a DFA, the 2-byte table) */
#define SHORT                                                                  \
	HEAD("sh")                                                             \
	"  host:\n    DestinationHostname|endswith: ['.ru', '.TK']\n"          \
	"  img:\n    Image|startswith: ['/dev/', 'q']\n"                       \
	"  condition: host or img\n"

/* fields normalising leaves as read: the whole literal, anchored */
#define ANCHORED                                                               \
	HEAD("an")                                                             \
	"  user:\n    User: [root, 'nt authority\\system']\n"                  \
	"  host:\n    DestinationHostname|endswith: .corp.example\n"           \
	"  cmd:\n    CommandLine|startswith: 'curl -k'\n"                      \
	"  condition: user or host or cmd\n"

/* only a `not` filter */
#define NOT_ONLY                                                               \
	HEAD("no")                                                             \
	"  filter:\n    ProcessName: outlook.exe\n"                            \
	"  condition: not filter\n"

/* a port list and a filter: integers alone */
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

/* Feed the text of one value; true when some rule is complete. */
static bool feed(const mh_vfilter *vf, mh_vf_state *st, const char *s)
{
	return mh_vfilter_scan(vf, st, ~0ULL, s, strlen(s)); /* any field */
}

static bool port(const mh_vfilter *vf, mh_vf_state *st, const char *s)
{
	return mh_vfilter_int(vf, st, s, strlen(s));
}

static bool addr(const mh_vfilter *vf, mh_vf_state *st, const char *s)
{
	return mh_vfilter_ip(vf, st, s, strlen(s));
}

static void test_port_and_process(void)
{
	mh_ruleset *rs = build(PORT_IMAGE, PORT_NAME, CMD_ALL);
	mh_ruleset *ra = build(ACT_CMD, NULL, NULL);
	const mh_vfilter *vf = mh_ruleset_vfilter(rs);
	mh_vf_state st;

	MH_CHECK(vf != NULL);
	MH_CHECK(mh_vf_state_init(vf, &st) == MH_OK);
	MH_CHECK(mh_fieldset_has(&vf->fields, MH_F_IMAGE));
	MH_CHECK(mh_fieldset_has(&vf->fields, MH_F_PROCESS_NAME));
	MH_CHECK(mh_fieldset_has(&vf->fields, MH_F_COMMAND_LINE));
	MH_CHECK(mh_fieldset_has(&vf->intfields, MH_F_DESTINATION_PORT));
	/* the negated User literal is no part of it */
	MH_CHECK(!mh_fieldset_has(&vf->fields, MH_F_USER));
	/* a rule needs an atom of each clause: the port and the image */
	MH_CHECK(!feed(vf, &st, "C:\\Tools\\EVIL.exe"));
	MH_CHECK(port(vf, &st, "25"));
	mh_vf_state_clear(&st);
	MH_CHECK(!port(vf, &st, "25"));
	MH_CHECK(feed(vf, &st, "evil.exe")); /* the file name of a join */
	mh_vf_state_clear(&st);
	MH_CHECK(!port(vf, &st, "443"));
	MH_CHECK(!feed(vf, &st, "evil.exe")); /* that rule's other ports */
	MH_CHECK(!port(vf, &st, "993"));      /* a port of the other rule */
	MH_CHECK(feed(vf, &st, "MAILER.exe"));
	mh_vf_state_clear(&st);
	MH_CHECK(!port(vf, &st, "587"));
	MH_CHECK(feed(vf, &st, "/usr/bin")); /* core "bin" of /usr/bin/sw */
	mh_vf_state_clear(&st);
	MH_CHECK(!port(vf, &st, "993"));
	MH_CHECK(!feed(vf, &st, "mailer.ex"));
	MH_CHECK(!feed(vf, &st, "C:\\Tools\\evil.ex"));
	MH_CHECK(!port(vf, &st, "x25"));
	MH_CHECK(!feed(vf, &st, "admin"));
	MH_CHECK(feed(vf, &st, "c:\\x y.exe"));
	/* a rule without a port: its |all group alone */
	mh_vf_state_clear(&st);
	MH_CHECK(feed(vf, &st, "curl SMTP://m -u AUTH"));
	mh_vf_state_clear(&st);
	MH_CHECK(!feed(vf, &st, "curl"));
	mh_vf_state_free(&st);
	mh_ruleset_free(rs);

	/* two clauses of literals: both */
	vf = mh_ruleset_vfilter(ra);
	MH_CHECK(vf != NULL);
	MH_CHECK(mh_vf_state_init(vf, &st) == MH_OK);
	MH_CHECK(mh_fieldset_has(&vf->fields, MH_F_ACTION));
	MH_CHECK(mh_fieldset_has(&vf->fields, MH_F_COMMAND_LINE));
	MH_CHECK(!feed(vf, &st, "connectionSUCCESS")); /* |cased: folded */
	MH_CHECK(feed(vf, &st, "mail"));
	mh_vf_state_clear(&st);
	MH_CHECK(!feed(vf, &st, "mail"));
	MH_CHECK(!feed(vf, &st, "ConnectionFailed"));
	mh_vf_state_free(&st);
	mh_ruleset_free(ra);
}

static void test_cidr(void)
{
	mh_ruleset *rs = build(NET_OR_IMAGE, PORT_NAME, NULL);
	const mh_vfilter *vf = mh_ruleset_vfilter(rs);
	mh_vf_state st;

	MH_CHECK(vf != NULL);
	MH_CHECK(mh_vf_state_init(vf, &st) == MH_OK);
	MH_CHECK(mh_fieldset_has(&vf->ipfields, MH_F_DESTINATION_IP));
	MH_CHECK(!mh_fieldset_has(&vf->fields, MH_F_DESTINATION_IP));
	MH_CHECK(mh_fieldset_has(&vf->fields, MH_F_IMAGE));
	MH_CHECK(feed(vf, &st, "C:\\x.exe"));
	mh_vf_state_clear(&st);
	MH_CHECK(addr(vf, &st, "10.1.2.3"));
	mh_vf_state_clear(&st);
	MH_CHECK(addr(vf, &st, "::ffff:10.9.9.9"));
	mh_vf_state_clear(&st);
	MH_CHECK(addr(vf, &st, "[2001:db8::1]"));
	mh_vf_state_clear(&st);
	MH_CHECK(!addr(vf, &st, "11.1.2.3"));
	MH_CHECK(!addr(vf, &st, "2001:db9::1"));
	MH_CHECK(!addr(vf, &st, "10.1.2")); /* not an address */
	mh_vf_state_free(&st);
	mh_ruleset_free(rs);
	/* blocks alone */
	rs = build(HEAD("n") "  net:\n    DestinationIp|cidr: 192.0.2.0/24\n"
			     "  condition: net\n",
		   NULL, NULL);
	vf = mh_ruleset_vfilter(rs);
	MH_CHECK(vf != NULL);
	MH_CHECK(mh_vf_state_init(vf, &st) == MH_OK);
	MH_CHECK(!feed(vf, &st, "192.0.2.1"));
	MH_CHECK(addr(vf, &st, "192.0.2.1"));
	mh_vf_state_clear(&st);
	MH_CHECK(!addr(vf, &st, "192.0.3.1"));
	mh_vf_state_free(&st);
	mh_ruleset_free(rs);
}

/* addr() on random IPv4 texts against random blocks (IPv4 ones, and
 * IPv6 ones that hold IPv4-mapped addresses or none) agrees with
 * mh_cidr_contains(): the first-two-bytes test (rindex_vf.c) drops no
 * address a block holds. */
static void test_cidr_random(void)
{
	static const char *const v6[] = {
	    "::ffff:0:0/96",	  "::ffff:0:0/97",
	    "::ffff:a00:0/104",	  "::/0",
	    "2001:db8::/32",	  "::ffff:c000:0/112",
	    "::ffff:102:300/120", "::/80"};
	mh_rng rng;

	rng.s = 7;
	for (int round = 0; round < 200; round++) {
		char doc[2048], blocks[1024] = "", txt[64];
		mh_cidr c[6];
		size_t nc = 1 + mh_rng_below(&rng, 5), bl = 0;
		mh_ruleset *rs;
		const mh_vfilter *vf;
		mh_vf_state st;

		for (size_t i = 0; i < nc; i++) {
			char one[64];
			if (mh_rng_below(&rng, 4) == 0)
				snprintf(one, sizeof(one), "%s",
					 v6[mh_rng_below(&rng, 8)]);
			else
				snprintf(one, sizeof(one), "%u.%u.0.0/%u",
					 mh_rng_below(&rng, 4),
					 mh_rng_below(&rng, 256),
					 mh_rng_below(&rng, 33));
			MH_CHECK(mh_cidr_parse(one, strlen(one), &c[i]));
			bl += (size_t)snprintf(blocks + bl, sizeof(blocks) - bl,
					       "%s'%s'", i ? ", " : "", one);
		}
		snprintf(doc, sizeof(doc),
			 HEAD("r") "  net:\n    DestinationIp|cidr: [%s]\n"
				   "  condition: net\n",
			 blocks);
		rs = build(doc, NULL, NULL);
		vf = mh_ruleset_vfilter(rs);
		MH_CHECK(vf != NULL);
		MH_CHECK(mh_vf_state_init(vf, &st) == MH_OK);
		for (int k = 0; k < 500; k++) {
			mh_ip ip;
			bool want = false, parsed;
			unsigned a = mh_rng_below(&rng, 5),
				 b = mh_rng_below(&rng, 260);
			switch (mh_rng_below(&rng, 10)) {
			case 0: /* not an address, or a leading zero */
				snprintf(txt, sizeof(txt), "%u.0%u.1.2", a, b);
				break;
			case 1:
				snprintf(txt, sizeof(txt), "%u.%u.3", a, b);
				break;
			case 2: /* five numbers, a zone, 4 digits: none */
				snprintf(txt, sizeof(txt), "%u.%u.1.2.3", a, b);
				break;
			case 3:
				snprintf(txt, sizeof(txt), "%u.%u.1.2%%eth0", a,
					 b);
				break;
			case 4:
				snprintf(txt, sizeof(txt), "%u.1%03u.1.2", a,
					 b);
				break;
			case 5: /* in brackets: an address */
				snprintf(txt, sizeof(txt), "[%u.%u.1.2]", a, b);
				break;
			default:
				snprintf(txt, sizeof(txt), "%u.%u.%u.%u", a, b,
					 mh_rng_below(&rng, 256),
					 mh_rng_below(&rng, 256));
			}
			parsed = mh_ip_parse(txt, strlen(txt), &ip);
			for (size_t i = 0; parsed && i < nc; i++)
				want |= mh_cidr_contains(&c[i], &ip);
			mh_vf_state_clear(&st);
			if (addr(vf, &st, txt) != want) {
				fprintf(stderr, "%s in [%s]: want %d\n", txt,
					blocks, want);
				MH_CHECK(0);
				break;
			}
		}
		mh_vf_state_free(&st);
		mh_ruleset_free(rs);
	}
}

/* Integer atoms: a value is marked exactly when the list holds it, in
 * and out of 0..65535 (the bit set in front of the sorted table). */
static void test_int_random(void)
{
	static const long long far[] = {-1,    -70000, 65535,
					65536, 70000,  4294967296LL};
	mh_rng rng;

	rng.s = 11;
	for (int round = 0; round < 100; round++) {
		char doc[4096], list[2048] = "", txt[32];
		long long v[24];
		size_t nv = 1 + mh_rng_below(&rng, 24), bl = 0;
		mh_ruleset *rs;
		const mh_vfilter *vf;
		mh_vf_state st;

		for (size_t i = 0; i < nv; i++) {
			v[i] = mh_rng_below(&rng, 3)
				   ? (long long)mh_rng_below(&rng, 2000)
				   : far[mh_rng_below(&rng, 6)];
			bl += (size_t)snprintf(list + bl, sizeof(list) - bl,
					       "%s%lld", i ? ", " : "", v[i]);
		}
		snprintf(doc, sizeof(doc),
			 HEAD("r") "  p:\n    DestinationPort: [%s]\n"
				   "  condition: p\n",
			 list);
		rs = build(doc, NULL, NULL);
		vf = mh_ruleset_vfilter(rs);
		MH_CHECK(vf != NULL);
		if (!vf) {
			mh_ruleset_free(rs);
			break;
		}
		MH_CHECK(mh_vf_state_init(vf, &st) == MH_OK);
		for (int k = 0; k < 300; k++) {
			long long x = mh_rng_below(&rng, 4)
					  ? (long long)mh_rng_below(&rng, 2000)
					  : far[mh_rng_below(&rng, 6)];
			bool want = false;
			for (size_t i = 0; i < nv; i++)
				want |= v[i] == x;
			snprintf(txt, sizeof(txt), "%lld", x);
			mh_vf_state_clear(&st);
			if (port(vf, &st, txt) != want) {
				fprintf(stderr, "%s in [%s]: want %d\n", txt,
					list, want);
				MH_CHECK(0);
				break;
			}
		}
		mh_vf_state_free(&st);
		mh_ruleset_free(rs);
	}
}

static void test_short(void)
{
	mh_ruleset *rs = build(SHORT, NULL, NULL);
	const mh_vfilter *vf = mh_ruleset_vfilter(rs);
	mh_vf_state st;

	MH_CHECK(vf != NULL);
	MH_CHECK(mh_vf_state_init(vf, &st) == MH_OK);
	MH_CHECK(feed(vf, &st, "x.RU"));
	mh_vf_state_clear(&st);
	MH_CHECK(feed(vf, &st, "mm.tk"));
	mh_vf_state_clear(&st);
	MH_CHECK(feed(vf, &st, "/usr/DEV"));
	mh_vf_state_clear(&st);
	MH_CHECK(feed(vf, &st, "Q")); /* a one-byte core */
	mh_vf_state_clear(&st);
	MH_CHECK(!feed(vf, &st, "r.u t-k de-v"));
	MH_CHECK(!feed(vf, &st, ""));
	/* a value is scanned for the cores of the fields it feeds only */
	for (size_t i = 0; i < vf->nfield; i++)
		if (vf->field[i] == MH_F_IMAGE) {
			MH_CHECK(
			    !mh_vfilter_scan(vf, &st, 1ULL << i, "x.ru", 4));
			MH_CHECK(
			    mh_vfilter_scan(vf, &st, 1ULL << i, "/dev", 4));
		}
	mh_vf_state_free(&st);
	mh_ruleset_free(rs);
}

/* The AVX2 window scan against the scalar one: the same verdict and the
 * same clauses marked, on random texts made of pieces of the cores. */
static void test_anchored(void)
{
	mh_ruleset *rs = build(ANCHORED, NULL, NULL);
	const mh_vfilter *vf = mh_ruleset_vfilter(rs);
	mh_vf_state st;
	static const char *const yes[] = {"ROOT", "NT AUTHORITY\\SYSTEM",
					  "mx.corp.example",
					  "curl -k https://x"};
	static const char *const no[] = {"rootkit", "xroot",
					 "NT AUTHORITY\\SYSTEM2",
					 "corp.example.org", "x curl -k"};

	MH_CHECK(vf != NULL);
	MH_CHECK(mh_vf_state_init(vf, &st) == MH_OK);
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		mh_vf_state_clear(&st);
		MH_CHECK(feed(vf, &st, yes[i]));
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		mh_vf_state_clear(&st);
		MH_CHECK(!feed(vf, &st, no[i]));
	}
	mh_vf_state_free(&st);
	mh_ruleset_free(rs);
}

static void test_simd_same(void)
{
	static const char *const piece[] = {
	    "evil.exe", "EVIL",	 ".ru",	 "mm.tk", "/dev/", "Q",	  "q",
	    "mailer",	".exe",	 "x y",	 "smtp",  "auth",  "bin", "/usr/",
	    "C:\\",	"tools", "zzzz", "a",	  " ",	   "\"",  "0123456789"};
	mh_ruleset *rs = build(PORT_IMAGE, PORT_NAME, SHORT);
	const mh_vfilter *vf = mh_ruleset_vfilter(rs);
	mh_vfilter scalar;
	mh_vf_state a, b;
	uint64_t x = 0x243f6a8885a308d3ULL;
	char txt[160];

	MH_CHECK(vf != NULL);
	scalar = *vf;
	scalar.simd = false;
	MH_CHECK(mh_vf_state_init(vf, &a) == MH_OK);
	MH_CHECK(mh_vf_state_init(vf, &b) == MH_OK);
	for (int iter = 0; iter < 20000; iter++) {
		size_t n = 0;
		uint64_t mask;
		bool ra, rb;
		while (n < 100) {
			const char *pc;
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			pc = piece[x % (sizeof(piece) / sizeof(piece[0]))];
			if (n + strlen(pc) >= sizeof(txt) || (x >> 40) % 9 == 0)
				break;
			memcpy(txt + n, pc, strlen(pc));
			n += strlen(pc);
		}
		mask = (x >> 20) % 4 ? ~0ULL : x >> 24;
		mh_vf_state_clear(&a);
		mh_vf_state_clear(&b);
		ra = mh_vfilter_scan(vf, &a, mask, txt, n);
		rb = mh_vfilter_scan(&scalar, &b, mask, txt, n);
		MH_CHECK(ra == rb);
		if (!ra)
			MH_CHECK(!memcmp(a.hit, b.hit, vf->nrules));
	}
	mh_vf_state_free(&a);
	mh_vf_state_free(&b);
	mh_ruleset_free(rs);
}

static void test_none(void)
{
	const char *const alone[] = {NOT_ONLY, DERIVED, SEP_ONLY, OR_REGEX};

	for (size_t i = 0; i < sizeof(alone) / sizeof(alone[0]); i++) {
		mh_ruleset *rs = build(alone[i], NULL, NULL);
		MH_CHECK(mh_ruleset_vfilter(rs) == NULL);
		mh_ruleset_free(rs);
		/* one such rule among others takes it away */
		rs = build(PORT_IMAGE, alone[i], NULL);
		MH_CHECK(mh_ruleset_vfilter(rs) == NULL);
		mh_ruleset_free(rs);
	}
	/* a port list alone: its integers */
	{
		mh_ruleset *rs = build(PORT_ONLY, NULL, NULL);
		const mh_vfilter *vf = mh_ruleset_vfilter(rs);
		mh_vf_state st;
		MH_CHECK(vf != NULL);
		MH_CHECK(mh_vf_state_init(vf, &st) == MH_OK);
		MH_CHECK(!port(vf, &st, "26"));
		MH_CHECK(port(vf, &st, " 25"));
		mh_vf_state_free(&st);
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
	MH_RUN(test_cidr_random);
	MH_RUN(test_int_random);
	MH_RUN(test_short);
	MH_RUN(test_anchored);
	MH_RUN(test_simd_same);
	MH_RUN(test_none);
	MH_RUN(test_no_index);
	MH_DONE();
}
