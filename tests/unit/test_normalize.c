#include "event/normalize.h"
#include "mh_test.h"
#include "util/splitmix.h"

#include <stdlib.h>
#include <string.h>

static mh_arena arena;

static void ev_init(mh_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	mh_arena_reset(&arena);
	ev->arena = &arena;
}

static void set(mh_event *ev, mh_field f, const char *s)
{
	mh_event_set(ev, f, s, strlen(s));
}

static const char *get(const mh_event *ev, mh_field f)
{
	static char buf[4][256];
	static int k;
	const mh_str *s = mh_event_get(ev, f);

	if (!s)
		return "(unset)";
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%.*s", (int)s->n, s->p);
	return buf[k];
}

static const mh_norm_ctx all_ctx; /* need empty: derive everything */

static void test_process_name(void)
{
	mh_event ev;

	ev_init(&ev);
	set(&ev, MH_F_IMAGE,
	    "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe");
	mh_event_normalize(&all_ctx, &ev);
	MH_CHECK_EQ_STR(get(&ev, MH_F_PROCESS_NAME), "powershell.exe");

	ev_init(&ev);
	set(&ev, MH_F_IMAGE, "/usr/bin/curl");
	mh_event_normalize(&all_ctx, &ev);
	MH_CHECK_EQ_STR(get(&ev, MH_F_PROCESS_NAME), "curl");

	ev_init(&ev);
	set(&ev, MH_F_IMAGE, "nc");
	mh_event_normalize(&all_ctx, &ev);
	MH_CHECK_EQ_STR(get(&ev, MH_F_PROCESS_NAME), "nc");

	/* the source's own value is kept */
	ev_init(&ev);
	set(&ev, MH_F_IMAGE, "C:\\a\\b.exe");
	set(&ev, MH_F_PROCESS_NAME, "B.EXE");
	mh_event_normalize(&all_ctx, &ev);
	MH_CHECK_EQ_STR(get(&ev, MH_F_PROCESS_NAME), "B.EXE");

	const char *none[] = {"(null)", "-", "<unknown process>", "",
			      "C:\\folder\\"};
	for (size_t i = 0; i < MH_ARRAY_LEN(none); i++) {
		ev_init(&ev);
		set(&ev, MH_F_IMAGE, none[i]);
		mh_event_normalize(&all_ctx, &ev);
		MH_CHECK_EQ_STR(get(&ev, MH_F_PROCESS_NAME), "(unset)");
	}

	/* not needed: not derived */
	mh_norm_ctx ctx = {0};
	mh_fieldset_add(&ctx.need, MH_F_DIRECTION);
	ev_init(&ev);
	set(&ev, MH_F_IMAGE, "/usr/bin/curl");
	mh_event_normalize(&ctx, &ev);
	MH_CHECK(!mh_event_has(&ev, MH_F_PROCESS_NAME));
}

static void test_mde_image(void)
{
	mh_event ev;

	/* folder only: joined */
	ev_init(&ev);
	set(&ev, MH_F_DIALECT, "mde");
	set(&ev, MH_F_IMAGE, "c:\\windows\\system32");
	set(&ev, MH_F_PROCESS_NAME, "svchost.exe");
	mh_event_normalize(&all_ctx, &ev);
	MH_CHECK_EQ_STR(get(&ev, MH_F_IMAGE),
			"c:\\windows\\system32\\svchost.exe");
	MH_CHECK_EQ_STR(get(&ev, MH_F_PROCESS_NAME), "svchost.exe");

	/* trailing separator not doubled */
	ev_init(&ev);
	set(&ev, MH_F_DIALECT, "mde");
	set(&ev, MH_F_IMAGE, "c:\\tools\\");
	set(&ev, MH_F_PROCESS_NAME, "x.exe");
	mh_event_normalize(&all_ctx, &ev);
	MH_CHECK_EQ_STR(get(&ev, MH_F_IMAGE), "c:\\tools\\x.exe");

	/* Linux/macOS device: '/' */
	ev_init(&ev);
	set(&ev, MH_F_DIALECT, "mde");
	set(&ev, MH_F_IMAGE, "/usr/bin");
	set(&ev, MH_F_PROCESS_NAME, "curl");
	mh_event_normalize(&all_ctx, &ev);
	MH_CHECK_EQ_STR(get(&ev, MH_F_IMAGE), "/usr/bin/curl");

	/* already a full path (case-insensitive): kept */
	ev_init(&ev);
	set(&ev, MH_F_DIALECT, "mde");
	set(&ev, MH_F_IMAGE,
	    "C:\\Program Files\\Microsoft Office\\OUTLOOK.EXE");
	set(&ev, MH_F_PROCESS_NAME, "outlook.exe");
	mh_event_normalize(&all_ctx, &ev);
	MH_CHECK_EQ_STR(get(&ev, MH_F_IMAGE),
			"C:\\Program Files\\Microsoft Office\\OUTLOOK.EXE");

	/* full path to another .exe: kept */
	ev_init(&ev);
	set(&ev, MH_F_DIALECT, "mde");
	set(&ev, MH_F_IMAGE, "C:\\x\\a.exe");
	set(&ev, MH_F_PROCESS_NAME, "b.exe");
	mh_event_normalize(&all_ctx, &ev);
	MH_CHECK_EQ_STR(get(&ev, MH_F_IMAGE), "C:\\x\\a.exe");

	/* other dialects: never joined */
	ev_init(&ev);
	set(&ev, MH_F_DIALECT, "sysmon");
	set(&ev, MH_F_IMAGE, "c:\\windows\\system32");
	set(&ev, MH_F_PROCESS_NAME, "svchost.exe");
	mh_event_normalize(&all_ctx, &ev);
	MH_CHECK_EQ_STR(get(&ev, MH_F_IMAGE), "c:\\windows\\system32");

	/* no ProcessName: nothing to join; Defender has its own name
	 * column, so an absent name stays absent (faithful to KQL) */
	ev_init(&ev);
	set(&ev, MH_F_DIALECT, "mde");
	set(&ev, MH_F_IMAGE, "c:\\windows\\system32\\svchost.exe");
	mh_event_normalize(&all_ctx, &ev);
	MH_CHECK_EQ_STR(get(&ev, MH_F_IMAGE),
			"c:\\windows\\system32\\svchost.exe");
	MH_CHECK_EQ_STR(get(&ev, MH_F_PROCESS_NAME), "(unset)");

	/* Sysmon has only Image: the name is derived */
	ev_init(&ev);
	set(&ev, MH_F_DIALECT, "sysmon");
	set(&ev, MH_F_IMAGE, "c:\\windows\\system32\\svchost.exe");
	mh_event_normalize(&all_ctx, &ev);
	MH_CHECK_EQ_STR(get(&ev, MH_F_PROCESS_NAME), "svchost.exe");

	/* neither do ECS, Splunk, QRadar and Sumo records */
	static const char *const own[] = {"ecs", "splunk", "qradar", "sumo"};
	for (size_t i = 0; i < MH_ARRAY_LEN(own); i++) {
		ev_init(&ev);
		set(&ev, MH_F_DIALECT, own[i]);
		set(&ev, MH_F_IMAGE, "/usr/bin/curl");
		mh_event_normalize(&all_ctx, &ev);
		MH_CHECK_EQ_STR(get(&ev, MH_F_PROCESS_NAME), "(unset)");
	}
}

static const char *dir_of(const mh_norm_ctx *ctx, mh_field f, const char *v)
{
	static mh_event ev;

	ev_init(&ev);
	if (f != MH_F_NONE)
		set(&ev, f, v);
	mh_event_normalize(ctx, &ev);
	return get(&ev, MH_F_DIRECTION);
}

static void test_direction(void)
{
	MH_CHECK_EQ_STR(dir_of(&all_ctx, MH_F_EVENT_DIRECTION, "L2R"),
			"outbound");
	MH_CHECK_EQ_STR(dir_of(&all_ctx, MH_F_EVENT_DIRECTION, "R2L"),
			"inbound");
	MH_CHECK_EQ_STR(dir_of(&all_ctx, MH_F_EVENT_DIRECTION, "l2l"), "local");
	MH_CHECK_EQ_STR(dir_of(&all_ctx, MH_F_EVENT_DIRECTION, "R2R"),
			"external");
	MH_CHECK_EQ_STR(dir_of(&all_ctx, MH_F_EVENT_DIRECTION, "egress"),
			"outbound");
	MH_CHECK_EQ_STR(dir_of(&all_ctx, MH_F_EVENT_DIRECTION, "outbound"),
			"outbound");
	MH_CHECK_EQ_STR(dir_of(&all_ctx, MH_F_EVENT_DIRECTION, "ingress"),
			"inbound");
	MH_CHECK_EQ_STR(dir_of(&all_ctx, MH_F_EVENT_DIRECTION, "Inbound"),
			"inbound");
	MH_CHECK_EQ_STR(dir_of(&all_ctx, MH_F_EVENT_DIRECTION, "internal"),
			"local");
	MH_CHECK_EQ_STR(dir_of(&all_ctx, MH_F_EVENT_DIRECTION, "external"),
			"external");
	MH_CHECK_EQ_STR(dir_of(&all_ctx, MH_F_EVENT_DIRECTION, "unknown"),
			"(unset)");
	MH_CHECK_EQ_STR(dir_of(&all_ctx, MH_F_INITIATED, "true"), "outbound");
	MH_CHECK_EQ_STR(dir_of(&all_ctx, MH_F_INITIATED, "false"), "inbound");
	MH_CHECK_EQ_STR(dir_of(&all_ctx, MH_F_INITIATED, "maybe"), "(unset)");
	MH_CHECK_EQ_STR(dir_of(&all_ctx, MH_F_NONE, ""), "(unset)");

	/* EventDirection wins over Initiated; source Direction is kept */
	mh_event ev;
	ev_init(&ev);
	set(&ev, MH_F_EVENT_DIRECTION, "R2L");
	set(&ev, MH_F_INITIATED, "true");
	mh_event_normalize(&all_ctx, &ev);
	MH_CHECK_EQ_STR(get(&ev, MH_F_DIRECTION), "inbound");
	ev_init(&ev);
	set(&ev, MH_F_DIRECTION, "sideways");
	set(&ev, MH_F_INITIATED, "true");
	mh_event_normalize(&all_ctx, &ev);
	MH_CHECK_EQ_STR(get(&ev, MH_F_DIRECTION), "sideways");
}

static const char *hn_dir(const mh_norm_ctx *ctx, const char *src,
			  const char *dst)
{
	static mh_event ev;

	ev_init(&ev);
	set(&ev, MH_F_SOURCE_IP, src);
	set(&ev, MH_F_DESTINATION_IP, dst);
	mh_event_normalize(ctx, &ev);
	return get(&ev, MH_F_DIRECTION);
}

static void test_home_net(void)
{
	mh_cidr *home = NULL;
	size_t n = 0;
	mh_err err;
	mh_norm_ctx ctx = {0};

	MH_CHECK_EQ_INT(
	    mh_home_net_parse(" 10.0.0.0/8, 192.168.0.0/16 ,fd00::/8", &home,
			      &n, &err),
	    MH_OK);
	MH_CHECK_EQ_INT(n, 3);
	ctx.home_net = home;
	ctx.nhome = n;
	MH_CHECK_EQ_STR(hn_dir(&ctx, "10.1.1.1", "8.8.8.8"), "outbound");
	MH_CHECK_EQ_STR(hn_dir(&ctx, "8.8.8.8", "192.168.3.4"), "inbound");
	MH_CHECK_EQ_STR(hn_dir(&ctx, "10.1.1.1", "192.168.3.4"), "local");
	MH_CHECK_EQ_STR(hn_dir(&ctx, "1.1.1.1", "8.8.8.8"), "external");
	MH_CHECK_EQ_STR(hn_dir(&ctx, "fd00::5", "2001:db8::1"), "outbound");
	MH_CHECK_EQ_STR(hn_dir(&ctx, "::ffff:10.0.0.1", "8.8.8.8"), "outbound");
	MH_CHECK_EQ_STR(hn_dir(&ctx, "10.1.1.1", "-"), "(unset)");
	/* without --home-net: nothing */
	MH_CHECK_EQ_STR(hn_dir(&all_ctx, "10.1.1.1", "8.8.8.8"), "(unset)");
	free(home);

	MH_CHECK_EQ_INT(
	    mh_home_net_parse("10.0.0.0/8,10.0.0.300/8", &home, &n, &err),
	    MH_EINVAL);
	MH_CHECK(home == NULL);
	MH_CHECK(strstr(err.msg, "element 2") != NULL);
	MH_CHECK(strstr(err.msg, "10.0.0.300/8") != NULL);
	MH_CHECK_EQ_INT(err.col, 12);
	MH_CHECK_EQ_STR(err.field, "home-net");
	MH_CHECK_EQ_INT(
	    mh_home_net_parse("10.0.0.0/8,,1.2.3.4", &home, &n, &err),
	    MH_EINVAL);
	MH_CHECK(strstr(err.msg, "element 2") != NULL);
	MH_CHECK_EQ_INT(mh_home_net_parse("  ", &home, &n, &err), MH_EINVAL);
	MH_CHECK_EQ_INT(mh_home_net_parse("10.0.0.0/33", &home, &n, NULL),
			MH_EINVAL);
	MH_CHECK_EQ_INT(mh_home_net_parse("172.16.0.0/12", &home, &n, NULL),
			MH_OK);
	MH_CHECK_EQ_INT(n, 1);
	free(home);
}

static const char *outcome(mh_field f, const char *v)
{
	static mh_event ev;

	ev_init(&ev);
	set(&ev, f, v);
	mh_event_normalize(&all_ctx, &ev);
	return get(&ev, MH_F_OUTCOME);
}

static void test_outcome(void)
{
	MH_CHECK_EQ_STR(outcome(MH_F_ACTION, "ConnectionSuccess"), "succeeded");
	MH_CHECK_EQ_STR(outcome(MH_F_ACTION, "connectionsuccess"), "succeeded");
	MH_CHECK_EQ_STR(outcome(MH_F_ACTION, "InboundConnectionAccepted"),
			"succeeded");
	MH_CHECK_EQ_STR(outcome(MH_F_ACTION, "ConnectionAttempt"), "attempted");
	MH_CHECK_EQ_STR(outcome(MH_F_ACTION, "ConnectionRequest"), "attempted");
	MH_CHECK_EQ_STR(outcome(MH_F_ACTION, "connection_attempted"),
			"attempted");
	MH_CHECK_EQ_STR(outcome(MH_F_ACTION, "ConnectionFailed"), "failed");
	MH_CHECK_EQ_STR(outcome(MH_F_ACTION, "allowed"), "allowed");
	MH_CHECK_EQ_STR(outcome(MH_F_ACTION, "ALLOW"), "allowed");
	MH_CHECK_EQ_STR(outcome(MH_F_ACTION, "accept"), "allowed");
	MH_CHECK_EQ_STR(outcome(MH_F_ACTION, "pass"), "allowed");
	MH_CHECK_EQ_STR(outcome(MH_F_ACTION, "permitted"), "allowed");
	MH_CHECK_EQ_STR(outcome(MH_F_ACTION, "blocked"), "denied");
	MH_CHECK_EQ_STR(outcome(MH_F_ACTION, "deny"), "denied");
	MH_CHECK_EQ_STR(outcome(MH_F_ACTION, "Denied"), "denied");
	MH_CHECK_EQ_STR(outcome(MH_F_ACTION, "drop"), "denied");
	MH_CHECK_EQ_STR(outcome(MH_F_ACTION, "reject"), "denied");
	MH_CHECK_EQ_STR(outcome(MH_F_ACTION, "reset-both"), "denied");
	MH_CHECK_EQ_STR(outcome(MH_F_ACTION, "drop-icmp"), "denied");
	MH_CHECK_EQ_STR(outcome(MH_F_ACTION, "S1"), "succeeded");
	MH_CHECK_EQ_STR(outcome(MH_F_ACTION, "RSTO"), "succeeded");
	MH_CHECK_EQ_STR(outcome(MH_F_ACTION, "SH"), "attempted");
	MH_CHECK_EQ_STR(outcome(MH_F_ACTION, "ConnectionFound"), "(unset)");
	MH_CHECK_EQ_STR(outcome(MH_F_ACTION, "ListeningConnectionCreated"),
			"(unset)");
	MH_CHECK_EQ_STR(outcome(MH_F_ACTION, "allowedx"), "(unset)");
	/* ECS event.outcome */
	MH_CHECK_EQ_STR(outcome(MH_F_OUTCOME, "success"), "succeeded");
	MH_CHECK_EQ_STR(outcome(MH_F_OUTCOME, "failure"), "failed");
	MH_CHECK_EQ_STR(outcome(MH_F_OUTCOME, "unknown"), "unknown");
}

static void test_mail_protocol(void)
{
	static const mh_portmap_entry ports[] = {
	    {25, "SMTP"},  {465, "SMTP"}, {587, "SMTP"}, {110, "POP3"},
	    {995, "POP3"}, {143, "IMAP"}, {993, "IMAP"},
	};
	mh_norm_ctx ctx = {.ports = ports, .nports = MH_ARRAY_LEN(ports)};
	const struct {
		const char *port, *proto;
	} cases[] = {
	    {"25", "SMTP"},	{"587", "SMTP"},    {"995", "POP3"},
	    {"143", "IMAP"},	{"993", "IMAP"},    {"443", "(unset)"},
	    {"0", "(unset)"},	{"-25", "(unset)"}, {"70000", "(unset)"},
	    {"abc", "(unset)"}, {"", "(unset)"},    {" 110 ", "POP3"},
	};
	mh_event ev;

	for (size_t i = 0; i < MH_ARRAY_LEN(cases); i++) {
		ev_init(&ev);
		set(&ev, MH_F_DESTINATION_PORT, cases[i].port);
		mh_event_normalize(&ctx, &ev);
		MH_CHECK_EQ_STR(get(&ev, MH_F_MAIL_PROTOCOL), cases[i].proto);
	}
	ev_init(&ev);
	mh_event_normalize(&ctx, &ev);
	MH_CHECK(!mh_event_has(&ev, MH_F_MAIL_PROTOCOL));

	/* only the needed fields are derived */
	mh_fieldset_add(&ctx.need, MH_F_MAIL_PROTOCOL);
	ev_init(&ev);
	set(&ev, MH_F_DESTINATION_PORT, "25");
	set(&ev, MH_F_ACTION, "ConnectionSuccess");
	set(&ev, MH_F_INITIATED, "true");
	mh_event_normalize(&ctx, &ev);
	MH_CHECK_EQ_STR(get(&ev, MH_F_MAIL_PROTOCOL), "SMTP");
	MH_CHECK(!mh_event_has(&ev, MH_F_OUTCOME));
	MH_CHECK(!mh_event_has(&ev, MH_F_DIRECTION));
}

/* mh_event_norm_sources() against what normalising does: on random
 * events, every run without '\\' or '/' of a string field's final value
 * lies inside the value, as set, of one of its source fields. */
static mh_rng rng = {0x9e3779b97f4a7c15ULL};

static unsigned rnd(unsigned n)
{
	return mh_rng_below(&rng, (uint32_t)n);
}

static bool run_inside(const char *run, size_t n, const mh_event *orig,
		       const mh_fieldset *src)
{
	for (int f = 0; f < MH_F__COUNT; f++) {
		const mh_str *v = mh_event_get(orig, (mh_field)f);
		if (!v || !mh_fieldset_has(src, (mh_field)f))
			continue;
		for (size_t i = 0; i + n <= v->n; i++)
			if (!memcmp(v->p + i, run, n))
				return true;
	}
	return n == 0;
}

static void test_sources(void)
{
	static const char *const pool[] = {"C:\\Windows\\System32",
					   "C:\\Tools\\",
					   "/usr/bin",
					   "/usr/bin/curl",
					   "powershell.exe",
					   "POWERSHELL.EXE",
					   "evil",
					   "evil.dll",
					   "C:\\x\\evil.exe",
					   "(null)",
					   "-",
					   "",
					   "smtp,imap",
					   "<a@b.example>",
					   "icmp",
					   "1",
					   "outbound",
					   "ConnectionSuccess",
					   "true",
					   "success"};
	static const char *const dia[] = {"mde", "sysmon", "zeek", "ecs",
					  "splunk"};
	unsigned checked = 0;

	for (int iter = 0; iter < 20000; iter++) {
		mh_event ev, orig;

		ev_init(&ev);
		for (int f = 0; f < MH_F__COUNT; f++)
			if (f != MH_F_DIALECT && rnd(100) < 30)
				set(&ev, (mh_field)f,
				    pool[rnd(sizeof(pool) / sizeof(pool[0]))]);
		if (rnd(100) < 90)
			set(&ev, MH_F_DIALECT,
			    dia[rnd(sizeof(dia) / sizeof(dia[0]))]);
		orig = ev;
		mh_event_normalize(&all_ctx, &ev);
		for (int f = 0; f < MH_F__COUNT; f++) {
			mh_fieldset src;
			const mh_str *v = mh_event_get(&ev, (mh_field)f);
			size_t i = 0;

			memset(&src, 0, sizeof(src));
			if (!v || !mh_event_norm_sources((mh_field)f, &src))
				continue;
			MH_CHECK(mh_fieldset_has(&src, (mh_field)f));
			while (i <= v->n) {
				size_t j = i;
				while (j < v->n && v->p[j] != '\\' &&
				       v->p[j] != '/')
					j++;
				MH_CHECK(
				    run_inside(v->p + i, j - i, &orig, &src));
				checked++;
				i = j + 1;
			}
		}
	}
	MH_CHECK(checked > 100000);
	/* derived words and non-string fields have none */
	{
		mh_fieldset src;
		memset(&src, 0, sizeof(src));
		MH_CHECK(!mh_event_norm_sources(MH_F_DIRECTION, &src));
		MH_CHECK(!mh_event_norm_sources(MH_F_SERVICE, &src));
		MH_CHECK(!mh_event_norm_sources(MH_F_DESTINATION_PORT, &src));
		MH_CHECK(!mh_event_norm_sources(MH_F_DESTINATION_IP, &src));
		MH_CHECK(mh_event_norm_sources(MH_F_PROCESS_NAME, &src));
		MH_CHECK(mh_fieldset_has(&src, MH_F_IMAGE));
	}
}

int main(void)
{
	mh_arena_init(&arena, 4096, 0);
	MH_RUN(test_process_name);
	MH_RUN(test_mde_image);
	MH_RUN(test_direction);
	MH_RUN(test_home_net);
	MH_RUN(test_outcome);
	MH_RUN(test_mail_protocol);
	MH_RUN(test_sources);
	mh_arena_free(&arena);
	MH_DONE();
}
