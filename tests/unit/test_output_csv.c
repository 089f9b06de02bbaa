/* CSV writer: exact rows, list escaping, quoting, formula guard. */
#include "mh_test.h"
#include "output_fixture.h"

#define HEADER                                                                 \
	"level,rule_id,rule,count,distinct_dst,bytes_sent,first_seen,"         \
	"last_seen,group,users,context\n"

static void test_basic(void)
{
	const mh_alert *al[] = {&fx_alert1, &fx_alert3};
	mh_rc rc;
	char *out;

	out = fx_run(&mh_output_csv, al, 2, true, true, NULL, &rc);
	MH_CHECK_EQ_INT(rc, MH_OK);
	MH_CHECK_EQ_STR(
	    out, HEADER
	    "high,c0ffee00-0000-4000-8000-000000000001,SMTP beaconing,3,1,"
	    "1200,2021-03-14T06:39:30.227Z,2021-03-14T06:39:39.023Z,"
	    "Computer=WS1;ProcessName=evil.exe,CORP\\\\bob;alice,"
	    "Computer=WS1;Image=C:\\\\x\\\\evil.exe;"
	    "CommandLine=evil.exe -x;DestinationIp=203.0.113.5;"
	    "DestinationPort=587;MailProtocol=SMTP\n"
	    "medium,mh_fanout,Many mail servers,12,4,,"
	    "2021-03-14T06:39:30.227Z,2021-03-14T06:39:30.227Z,"
	    "Computer=WS\\;2\\\\x;User=,a\\;b;c\\\\d;...,"
	    "DestinationIp=2001:db8::1;DestinationPort=465\n");
	free(out);
}

static void test_hostile(void)
{
	static const mh_rule r = {
	    .id = "-2+3",
	    .title = "=cmd|' /C calc'!A0",
	    .level = MH_LVL_LOW,
	};
	static const mh_alert_kv group[] = {
	    KV("Computer", MH_F_HOST, "+1"),
	};
	static const mh_str users[] = {S("@evil"), S("x,y")};
	static const mh_alert_kv ctx[] = {
	    KV("CommandLine", MH_F_COMMAND_LINE, "cmd.exe /c \"a,b\"\nnext"),
	};
	static const mh_str users2[] = {S("\tx")};
	mh_alert a = {
	    .rule = &r,
	    .level = MH_LVL_LOW,
	    .count = 1,
	    .first_ns = T_FIRST,
	    .last_ns = T_FIRST,
	    .ngroup = 1,
	    .group = group,
	    .nusers = 2,
	    .users = users,
	    .nctx = 1,
	    .ctx = ctx,
	};
	mh_alert b = {
	    .rule = &r,
	    .level = MH_LVL_INFORMATIONAL,
	    .first_ns = T_FIRST,
	    .last_ns = T_LAST,
	    .nusers = 1,
	    .users = users2,
	    .users_truncated = true,
	};
	const mh_alert *al[] = {&a, &b};
	mh_rc rc;
	char *out;

	out = fx_run(&mh_output_csv, al, 2, false, false, NULL, &rc);
	MH_CHECK_EQ_INT(rc, MH_OK);
	MH_CHECK_EQ_STR(out, HEADER
			"low,'-2+3,'=cmd|' /C calc'!A0,1,0,,"
			"2021-03-14T06:39:30.227Z,2021-03-14T06:39:30.227Z,"
			"Computer=+1,\"'@evil;x,y\","
			"\"CommandLine=cmd.exe /c \"\"a,b\"\"\nnext\"\n"
			"informational,'-2+3,'=cmd|' /C calc'!A0,0,0,,"
			"2021-03-14T06:39:30.227Z,2021-03-14T06:39:39.023Z,,"
			"'\tx;...,\n");
	free(out);
}

/* List elements of every length up to 60 with '\\' and ';' anywhere
 * (the writer scans 16 bytes at a time from 16 on): each escaped with a
 * backslash, the rest unchanged. */
static void test_long_elements(void)
{
	static const mh_rule r = {.id = "x", .title = "t", .level = MH_LVL_LOW};
	uint32_t seed = 7;
	size_t bad = 0;

	for (int round = 0; round < 600; round++) {
		char val[64], want[160], tail[200];
		size_t n = (size_t)round % 61, w = 0, ol;
		mh_alert_kv kv[1];
		mh_alert a;
		const mh_alert *al[1] = {&a};
		mh_rc rc;
		char *out;

		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			val[i] = (seed >> 16) % 9 == 0 ? ';'
				 : (seed >> 16) % 9 == 1
				     ? '\\'
				     : 'a' + (char)((seed >> 20) % 26);
			if (val[i] == ';' || val[i] == '\\')
				want[w++] = '\\';
			want[w++] = val[i];
		}
		want[w] = 0;
		memset(kv, 0, sizeof(kv));
		kv[0].name = "X";
		kv[0].field = MH_F_COMMAND_LINE;
		kv[0].set = true;
		kv[0].val.p = val;
		kv[0].val.n = n;
		memset(&a, 0, sizeof(a));
		a.rule = &r;
		a.level = MH_LVL_LOW;
		a.first_ns = a.last_ns = T_FIRST;
		a.nctx = 1;
		a.ctx = kv;
		out = fx_run(&mh_output_csv, al, 1, false, false, NULL, &rc);
		snprintf(tail, sizeof(tail), ",X=%s\n", want);
		ol = out ? strlen(out) : 0;
		bad += rc != MH_OK || ol < strlen(tail) ||
		       strcmp(out + ol - strlen(tail), tail) != 0;
		free(out);
	}
	MH_CHECK_EQ_INT(bad, 0);
}

static void test_empty_and_errors(void)
{
	mh_summary s = {.events = 1};
	mh_rc rc;
	char *out;

	out = fx_run(&mh_output_csv, NULL, 0, false, false, &s, &rc);
	MH_CHECK_EQ_INT(rc, MH_OK);
	MH_CHECK_EQ_STR(out, HEADER); /* header even without alerts */
	free(out);
	MH_CHECK_EQ_INT(fx_run_full(&mh_output_csv, &fx_alert1, &s), MH_EIO);
}

int main(void)
{
	MH_RUN(test_basic);
	MH_RUN(test_hostile);
	MH_RUN(test_long_elements);
	MH_RUN(test_empty_and_errors);
	MH_DONE();
}
