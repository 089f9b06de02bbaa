/* The JSON reader's value stage (issue 4) drops no record a rule matches:
 * random Defender- and Sysmon-named NDJSON lines (escapes, `\u`, arrays,
 * objects, null, numbers, blanks around ':', keys inside strings, nested
 * and repeated keys, truncated lines) are read with the value prefilter
 * and without any prefilter; each record read is normalised and matched,
 * and the lines that match must be the same, with the bulk kernel and
 * with the per-line scan, for a pack with a port condition and one
 * without. The malformed reports with the stage are a subset of those
 * without it. */
#include "event/normalize.h"
#include "input/input.h"
#include "mh_test.h"
#include "rule/rule.h"
#include "rule/vfilter.h"
#include "rule_fixture.h"
#include "sbuf.h"
#include "util/splitmix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* clang-format off */
/* A port condition in every rule: the port prefilter and the stage. */
static const char PACK_PORT[] =
    HEAD("image on a port")
    "  port:\n    DestinationPort: [25, 587]\n"
    "  img:\n    Image|endswith: ['\\Tools\\evil.exe', '/opt/ev']\n"
    "  not_admin:\n    User: admin\n"
    "  condition: port and img and not not_admin\n"
    "---\n"
    HEAD("name and network on a port")
    "  port:\n    DestinationPort: 993\n"
    "  name:\n    ProcessName: [Tool.EXE, 'x\"y.exe']\n"
    "  net:\n    DestinationIp|cidr: [198.51.100.0/24, '2001:db8::/32']\n"
    "  condition: port and name and net\n";

/* No port condition: the stage judges every line. */
static const char PACK_NOPORT[] =
    HEAD("command line and user")
    "  cmd:\n    CommandLine|contains|all: [smtp, 'A\\UTH']\n"
    "  user:\n    User|startswith: [root, 'NT AUTHORITY']\n"
    "  condition: cmd and user\n"
    "---\n"
    HEAD("image alone")
    "  img:\n    Image|endswith: '\\\\host\\sh.exe'\n"
    "  condition: img\n"
    "---\n"
    HEAD("a URL in a command line")
    "  cmd:\n    CommandLine|contains: 'tp://m'\n"
    "  user:\n    User|endswith: oot\n"
    "  condition: cmd and user\n"
    "---\n"
    HEAD("a port in a list")
    "  p:\n    DestinationPort: [465, 2525]\n"
    "  h:\n    DestinationHostname|endswith: .example\n"
    "  condition: p and h\n";

/* Keys the stage may leave untested (json_vstage.c): the command line
 * and the network are tested (each alone makes a rule), the port is
 * the cheapest key that closes the name rule; the image, the name, and
 * one of user and host are gated. */
static const char PACK_GATE[] =
    HEAD("image and command line")
    "  img:\n    Image|endswith: ['\\Tools\\evil.exe', '\\sh.exe']\n"
    "  cmd:\n    CommandLine|contains: smtp\n"
    "  condition: img and cmd\n"
    "---\n"
    HEAD("name on a port")
    "  name:\n    ProcessName: [Tool.EXE, sh.exe]\n"
    "  port:\n    DestinationPort: [25, 993]\n"
    "  condition: name and port\n"
    "---\n"
    HEAD("user and host")
    "  user:\n    User|startswith: root\n"
    "  host:\n    DestinationHostname|endswith: .example\n"
    "  condition: user and host\n"
    "---\n"
    HEAD("a network")
    "  net:\n    DestinationIp|cidr: 198.51.100.0/24\n"
    "  condition: net\n"
    "---\n"
    HEAD("a command line")
    "  cmd:\n    CommandLine|contains: 'tp://m'\n"
    "  condition: cmd\n";

/* clang-format on */

static mh_rng rng = {0x853c49e6748fea9bULL};

static unsigned rnd(unsigned n)
{
	return mh_rng_below(&rng, (uint32_t)n);
}

static const char *pick(const char *const *a, size_t n)
{
	return a[rnd((unsigned)n)];
}

#define PICK(a) pick(a, sizeof(a) / sizeof(a[0]))

/* JSON value texts (already encoded) */
static const char *const PATHS[] = {"\"C:\\\\Tools\"",
				    "\"C:\\\\Tools\\\\evil.exe\"",
				    "\"c:\\\\tools\\\\EVIL.EXE\"",
				    "\"C:\\\\Other\"",
				    "\"\\/opt\\/ev\"",
				    "\"/opt\"",
				    "\"/opt/ev/x\"",
				    "\"C:\\\\To\\u006fls\"",
				    "\"\\\\\\\\host\\\\sh.exe\"",
				    "\"\\\\\\\\HOST\\\\SH.EXE\"",
				    "[\"C:\\\\Tools\"]",
				    "null",
				    "{\"x\":\"C:\\\\Tools\"}",
				    "42",
				    "\"\"",
				    "\"C:\\\\Tools\\\\\""};
static const char *const NAMES[] = {
    "\"evil.exe\"",	 "\"EVIL.exe\"",   "\"ev\"",
    "\"Tool.EXE\"",	 "\"tool.exe\"",   "\"x\\\"y.exe\"",
    "\"x\\u0022y.exe\"", "[\"Tool.EXE\"]", "null",
    "\"sh.exe\"",	 "\"Tool.EX\"",	   "true"};
static const char *const PORTS[] = {
    "25",      "587",  "993",  "465",  "2525",	   "443",  "\"25\"",
    "\"993\"", "null", "[25]", "25.0", "\" 587\"", "\"x\""};
static const char *const IPS[] = {"\"198.51.100.7\"",
				  "\"198.51.101.7\"",
				  "\"2001:db8::7\"",
				  "\"[2001:db8::1]\"",
				  "\"::ffff:198.51.100.9\"",
				  "\"10.0.0.1\"",
				  "null",
				  "\"198.51.100\""};
static const char *const USERS[] = {
    "\"admin\"", "\"root\"",	   "\"ROOTS\"", "\"NT AUTHORITY\\\\SYSTEM\"",
    "\"xroot\"", "\"r\\u006fot\"", "null",	"\"Admin\""};
static const char *const CMDS[] = {"\"curl smtp:\\/\\/m\"",
				   "\"smtp:/\\/m\"",
				   "\"curl smtp://m -u A\\\\UTH\"",
				   "\"SMTP a\\\\uth\"",
				   "\"smtp\"",
				   "\"a\\\\UTH smtp\"",
				   "\"x\"",
				   "\"sm\\ttp a\\\\uth\"",
				   "null",
				   "\"smtp\\\\A\\\\UTH\""};
static const char *const HOSTS[] = {"\"m.example\"", "\"m.example.org\"",
				    "\"M.EXAMPLE\"", "\"example\"", "null"};
static const char *const BLANK[] = {"", " ", "\t", "  "};

static void kv(sbuf *b, const char *k, const char *v)
{
	sb_s(b, "\"");
	sb_s(b, k);
	sb_s(b, "\"");
	sb_s(b, PICK(BLANK));
	sb_s(b, ":");
	sb_s(b, PICK(BLANK));
	sb_s(b, v);
}

/* One random record line (Defender or Sysmon names), sometimes broken. */
static void gen_line(sbuf *b, unsigned i, bool sysmon)
{
	char ts[48];
	const char *keys[8], *vals[8];
	size_t n = 0;

	snprintf(ts, sizeof(ts), "\"2024-05-01T%02u:%02u:%02uZ\"",
		 i / 3600 % 24, i / 60 % 60, i % 60);
	if (sysmon) {
		snprintf(ts, sizeof(ts), "\"2024-05-01 %02u:%02u:%02u.000\"",
			 i / 3600 % 24, i / 60 % 60, i % 60);
		keys[n] = "Image", vals[n++] = PICK(PATHS);
		keys[n] = "DestinationPort", vals[n++] = PICK(PORTS);
		keys[n] = "DestinationIp", vals[n++] = PICK(IPS);
		keys[n] = "User", vals[n++] = PICK(USERS);
		keys[n] = "CommandLine", vals[n++] = PICK(CMDS);
		keys[n] = "DestinationHostname", vals[n++] = PICK(HOSTS);
	} else {
		keys[n] = "InitiatingProcessFolderPath",
		vals[n++] = PICK(PATHS);
		keys[n] = "InitiatingProcessFileName", vals[n++] = PICK(NAMES);
		keys[n] = "RemotePort", vals[n++] = PICK(PORTS);
		keys[n] = "RemoteIP", vals[n++] = PICK(IPS);
		keys[n] = "InitiatingProcessAccountName",
		vals[n++] = PICK(USERS);
		keys[n] = "InitiatingProcessCommandLine",
		vals[n++] = PICK(CMDS);
		keys[n] = "RemoteUrl", vals[n++] = PICK(HOSTS);
	}
	sb_s(b, "{");
	if (sysmon) {
		sb_s(b, "\"EventID\":3,\"Channel\":\"Microsoft-Windows-Sysmon/"
			"Operational\",");
		kv(b, "UtcTime", ts);
	} else {
		kv(b, "Timestamp", ts);
		sb_s(b, ",\"DeviceName\":\"WS1\",\"ActionType\":"
			"\"ConnectionSuccess\"");
	}
	for (size_t k = 0; k < n; k++) {
		unsigned r = rnd(100);
		if (r < 12)
			continue; /* key missing */
		sb_s(b, ",");
		if (r < 16) {
			/* the key inside a string, the real one after */
			sb_s(b, "\"Note\":\"\\\"");
			sb_s(b, keys[k]);
			sb_s(b, "\\\":1\",");
		} else if (r < 20) {
			/* nested under another key */
			sb_s(b, "\"Extra\":{");
			kv(b, keys[k], PICK(PATHS));
			sb_s(b, "},");
		}
		kv(b, keys[k], vals[k]);
		if (rnd(100) < 5) { /* the key again */
			sb_s(b, ",");
			kv(b, keys[k], vals[rnd((unsigned)n)]);
		}
	}
	switch (rnd(40)) {
	case 0:
		sb_s(b, "\n"); /* truncated */
		return;
	case 1:
		sb_s(b, ",}\n");
		return;
	case 2:
		sb_s(b, "} {\"x\":1}\n");
		return;
	default:
		sb_s(b, "}\n");
	}
}

typedef struct vres {
	uint8_t *matched; /* by line: a rule matched the record there */
	uint8_t *bad;	  /* by line: reported malformed */
	size_t nlines;
	uint64_t records, skipped, untested;
} vres;

static void on_bad(void *ud, const char *file, uint64_t line, const char *why)
{
	vres *o = ud;

	(void)file;
	(void)why;
	if (line < o->nlines)
		o->bad[line] = 1;
}

/* Read text with (stage) or without any prefilter; mark the lines of the
 * records some rule matches. */
static void vrun(vres *o, const mh_ruleset *rs, const char *text, size_t len,
		 bool stage)
{
	mh_source *s = NULL;
	mh_reader r;
	mh_event ev;
	mh_arena a;
	mh_match_ctx *mc = NULL;
	mh_norm_ctx nctx;
	mh_field f;
	const int64_t *vals;
	size_t nv;
	uint32_t out[16];
	mh_rc rc;

	memset(o->matched, 0, o->nlines);
	memset(o->bad, 0, o->nlines);
	memset(&r, 0, sizeof(r));
	memset(&ev, 0, sizeof(ev));
	memset(&nctx, 0, sizeof(nctx));
	mh_arena_init(&a, 4096, 0);
	ev.arena = &a;
	MH_CHECK(mh_match_ctx_new(rs, &mc) == MH_OK);
	MH_CHECK(mh_source_open_mem("t", text, len, &s, NULL) == MH_OK);
	r.ops = &mh_input_json;
	r.src = s;
	r.on_malformed = on_bad;
	r.ud = o;
	MH_CHECK(r.ops->open(&r, NULL) == MH_OK);
	if (stage) {
		if (mh_ruleset_prefilter(rs, &f, &vals, &nv)) {
			r.pf_field = f;
			r.pf_vals = vals;
			r.pf_n = nv;
		}
		r.pf_vf = mh_ruleset_vfilter(rs);
		MH_CHECK(r.pf_vf != NULL);
		r.pf_vonly = r.pf_n == 0;
	}
	while ((rc = r.ops->next(&r, &ev, NULL)) == MH_OK) {
		mh_event_normalize(&nctx, &ev);
		if (ev.line < o->nlines &&
		    mh_ruleset_match(rs, mc, &ev, out, 16) > 0)
			o->matched[ev.line] = 1;
		mh_event_clear(&ev);
		mh_arena_reset(&a);
	}
	MH_CHECK(rc == MH_EOF);
	o->records = r.stats.records;
	o->skipped = r.stats.skipped;
	o->untested = r.stats.vs_untested;
	r.ops->close(&r);
	mh_source_close(s);
	mh_arena_free(&a);
	mh_match_ctx_free(mc);
}

static void one_pack(const char *pack, bool port, bool gated)
{
	mh_ruleset *rs = build(pack, NULL, NULL);
	uint64_t nmatch = 0, nskip = 0, nlines_all = 0, nuntested = 0;
	vres off, on;

	MH_CHECK(rs != NULL);
	MH_CHECK(mh_ruleset_vfilter(rs) != NULL);
	{
		mh_field f;
		const int64_t *v;
		size_t n;
		MH_CHECK(mh_ruleset_prefilter(rs, &f, &v, &n) == port);
	}
	for (int round = 0; round < 200; round++) {
		sbuf b = {0};
		bool sysmon = round % 2;
		size_t nl = 400, base;

		for (unsigned i = 0; i < nl; i++)
			gen_line(&b, i, sysmon);
		base = b.n;
		off.nlines = on.nlines = nl + 2;
		off.matched = calloc(nl + 2, 1);
		off.bad = calloc(nl + 2, 1);
		on.matched = calloc(nl + 2, 1);
		on.bad = calloc(nl + 2, 1);
		/* padded with blank lines: the bulk kernel judges the
		 * lines; without: the per-line scan */
		for (int pad = 0; pad < 2; pad++) {
			if (pad)
				for (int k = 0; k < 4096; k++)
					sb_s(&b, "\n");
			vrun(&off, rs, b.p, pad ? b.n : base, false);
			vrun(&on, rs, b.p, pad ? b.n : base, true);
			for (size_t l = 0; l < nl + 2; l++) {
				MH_CHECK(on.matched[l] == off.matched[l]);
				MH_CHECK(!on.bad[l] || off.bad[l]);
				nmatch += off.matched[l];
			}
			nskip += on.skipped;
			nuntested += on.untested;
			nlines_all += nl;
		}
		free(off.matched);
		free(off.bad);
		free(on.matched);
		free(on.bad);
		free(b.p);
	}
	/* the test is only worth something if both happen */
	MH_CHECK(nmatch > 100);
	MH_CHECK(nskip > nlines_all / 10);
	MH_CHECK(!gated || nuntested > nlines_all / 10);
	printf("  %s: %llu matching lines, %llu of %llu lines dropped, %llu "
	       "values untested\n",
	       port ? "port pack" : "no-port pack", (unsigned long long)nmatch,
	       (unsigned long long)nskip, (unsigned long long)nlines_all,
	       (unsigned long long)nuntested);
	mh_ruleset_free(rs);
}

static void test_port_pack(void)
{
	/* its lines reach the stage on a port of every rule */
	one_pack(PACK_PORT, true, false);
}

static void test_noport_pack(void)
{
	one_pack(PACK_NOPORT, false, false);
}

static void test_gate_pack(void)
{
	one_pack(PACK_GATE, false, true);
}

/* The line after a first one (parsed: the reader learns the dialect
 * from it) read with the stage under PACK_GATE: (1 if its record is
 * returned, values of it left untested). */
static void gate_lines(const mh_ruleset *rs, const char *line,
		       uint64_t *records, uint64_t *untested)
{
	static const char first[] =
	    "{\"Timestamp\":\"2024-05-01T00:00:00Z\",\"ActionType\":"
	    "\"ConnectionSuccess\",\"RemotePort\":443}\n";
	char text[1024];
	vres o;
	uint8_t m[8], b[8];

	snprintf(text, sizeof(text), "%s%s", first, line);
	o.matched = m;
	o.bad = b;
	o.nlines = sizeof(m);
	vrun(&o, rs, text, strlen(text), true);
	*records = o.records - 1;
	*untested = o.untested;
}

/* A gated key is tested only when a rule that needs it has seen the
 * clauses the tested keys feed: evil.exe alone is left untested and the
 * line dropped; with smtp in the command line it is tested and the line
 * kept; a port of the name rule has the name tested. */
static void test_gate_lines(void)
{
	/* the keys after Timestamp and ActionType; the record kept?; values
	 * left untested */
	static const struct {
		const char *keys;
		uint64_t rec, unt;
	} cases[] = {
	    {"\"InitiatingProcessFolderPath\":\"C:\\\\Tools\\\\evil.exe\","
	     "\"InitiatingProcessCommandLine\":\"x\",\"RemotePort\":443",
	     0, 1},
	    {"\"InitiatingProcessFolderPath\":\"C:\\\\Tools\\\\evil.exe\","
	     "\"InitiatingProcessCommandLine\":\"a smtp b\",\"RemotePort\":443",
	     1, 0},
	    /* the name comes first on the line, the port after it */
	    {"\"InitiatingProcessFileName\":\"tool.exe\",\"RemotePort\":993", 1,
	     0},
	    {"\"InitiatingProcessFileName\":\"tool.exe\",\"RemotePort\":994", 0,
	     1},
	};
	mh_ruleset *rs = build(PACK_GATE, NULL, NULL);
	char line[512];

	MH_CHECK(rs != NULL);
	for (size_t i = 0; rs && i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t rec, unt;
		snprintf(line, sizeof(line),
			 "{\"Timestamp\":\"2024-05-01T00:00:01Z\","
			 "\"ActionType\":\"ConnectionSuccess\",%s}\n",
			 cases[i].keys);
		gate_lines(rs, line, &rec, &unt);
		MH_CHECK_EQ_INT(rec, cases[i].rec);
		MH_CHECK_EQ_INT(unt, cases[i].unt);
	}
	mh_ruleset_free(rs);
}

int main(void)
{
	MH_RUN(test_port_pack);
	MH_RUN(test_noport_pack);
	MH_RUN(test_gate_pack);
	MH_RUN(test_gate_lines);
	MH_DONE();
}
