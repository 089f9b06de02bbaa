/* The Windows event XML reader (src/input/xml.c): Sysmon for Windows and
 * Linux, Windows Security 5156, PowerShell 4104, and bad input. */
#include "event/normalize.h"
#include "input/input.h"
#include "mh_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static struct {
	int n;
	uint64_t line[32];
	char why[32][512];
} bad;

static void on_bad(void *ud, const char *file, uint64_t line,
		   const char *reason)
{
	(void)ud;
	(void)file;
	if (bad.n < 32) {
		bad.line[bad.n] = line;
		snprintf(bad.why[bad.n], sizeof(bad.why[0]), "%s", reason);
	}
	bad.n++;
}

typedef struct harness {
	mh_reader r;
	mh_event ev;
	mh_arena arena;
	mh_err err;
} harness;

static void h_open_src(harness *h, mh_source *src, const mh_fieldset *need)
{
	memset(h, 0, sizeof(*h));
	memset(&bad, 0, sizeof(bad));
	mh_arena_init(&h->arena, 4096, 0);
	h->ev.arena = &h->arena;
	h->r.ops = &mh_input_xml;
	h->r.src = src;
	h->r.on_malformed = on_bad;
	if (need)
		h->r.need = *need;
	MH_CHECK_EQ_INT(mh_input_xml.open(&h->r, &h->err), MH_OK);
}

static void h_open_mem(harness *h, const char *text, size_t n,
		       const mh_fieldset *need)
{
	mh_source *src = NULL;

	MH_CHECK_EQ_INT(mh_source_open_mem("mem.xml", text, n, &src, NULL),
			MH_OK);
	h_open_src(h, src, need);
}

static void h_open(harness *h, const char *text)
{
	h_open_mem(h, text, strlen(text), NULL);
}

static mh_rc h_next(harness *h)
{
	static const mh_norm_ctx ctx; /* derive everything */
	mh_rc rc = mh_input_xml.next(&h->r, &h->ev, &h->err);

	if (rc == MH_OK)
		mh_event_normalize(&ctx, &h->ev);
	return rc;
}

static void h_close(harness *h)
{
	mh_input_xml.close(&h->r);
	mh_source_close(h->r.src);
	mh_arena_free(&h->arena);
}

static const char *get(const mh_event *ev, mh_field f)
{
	static char buf[4][4096];
	static int k;
	const mh_str *s = mh_event_get(ev, f);

	if (!s)
		return "(unset)";
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%.*s", (int)s->n, s->p);
	return buf[k];
}

/* Count the events of text; malformed count in bad.n. */
static int count_events(const char *text, size_t n)
{
	harness h;
	int k = 0;
	mh_rc rc;

	h_open_mem(&h, text, n, NULL);
	while ((rc = h_next(&h)) == MH_OK)
		k++;
	MH_CHECK_EQ_INT(rc, MH_EOF);
	h_close(&h);
	return k;
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long len;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)len + 1);
	if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf)
		buf[len] = '\0';
	*n = (size_t)len;
	return buf;
}

#define NS "xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\""

/* A Windows Sysmon EID 3, one per line. */
static const char win_eid3[] =
    "<Event " NS "><System><Provider Name=\"Microsoft-Windows-Sysmon\" "
    "Guid=\"{5770385F-C22A-43E0-BF4C-06F5698FFBD9}\"/><EventID>3</EventID>"
    "<TimeCreated SystemTime=\"2019-09-03T11:04:07.207049300Z\"/>"
    "<Channel>Microsoft-Windows-Sysmon/Operational</Channel>"
    "<Computer>IIS01.example</Computer><Security UserID=\"S-1-5-18\"/>"
    "</System><EventData><Data Name=\"RuleName\"/>"
    "<Data Name=\"UtcTime\">2019-09-03 11:04:05.123</Data>"
    "<Data Name=\"ProcessGuid\">{6004d249-1d2e-5d6e-0000-0010a3b10c00}</Data>"
    "<Data Name=\"ProcessId\">3144</Data>"
    "<Data Name=\"Image\">C:\\Windows\\System32\\inetsrv\\w3wp.exe</Data>"
    "<Data Name=\"User\">IIS APPPOOL\\DefaultAppPool</Data>"
    "<Data Name=\"Protocol\">tcp</Data><Data Name=\"Initiated\">true</Data>"
    "<Data Name=\"SourceIsIpv6\">false</Data>"
    "<Data Name=\"SourceIp\">10.0.2.17</Data>"
    "<Data Name=\"SourcePort\">49710</Data>"
    "<Data Name=\"DestinationIp\">10.0.2.20</Data>"
    "<Data Name=\"DestinationHostname\">mail.example</Data>"
    "<Data Name=\"DestinationPort\">587</Data>"
    "<Data Name=\"DestinationPortName\">submission</Data>"
    "</EventData></Event>";

static void test_windows_line(void)
{
	harness h;

	h_open(&h, win_eid3);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_INT(h.ev.line, 1);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_EVENT_ID), "3");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_HOST), "IIS01.example");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_CHANNEL),
			"Microsoft-Windows-Sysmon/Operational");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROVIDER), "Microsoft-Windows-Sysmon");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DIALECT), "sysmon");
	/* UtcTime wins over TimeCreated */
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_TIME), "2019-09-03 11:04:05.123");
	MH_CHECK_EQ_INT(h.ev.time_ns, 1567508645123000000LL);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROCESS_GUID),
			"{6004D249-1D2E-5D6E-0000-0010A3B10C00}");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_IMAGE),
			"C:\\Windows\\System32\\inetsrv\\w3wp.exe");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROCESS_NAME), "w3wp.exe");
	/* EventData User wins over System/Security UserID */
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_USER), "IIS APPPOOL\\DefaultAppPool");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_RULE_NAME), "");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_INITIATED), "true");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DIRECTION), "outbound");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_IP), "10.0.2.17");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_PORT), "587");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_HOSTNAME), "mail.example");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_PORT_NAME), "submission");
	MH_CHECK_EQ_STR(h.r.dialect, "sysmon");
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(bad.n, 0);
	MH_CHECK_EQ_INT(h.r.stats.records, 1);
	h_close(&h);
}

/* Sysmon for Linux: syslog prefix, CRLF, UserId (not UserID), banner
 * lines, Image placeholders. */
static void test_linux_syslog(void)
{
	static const char text[] =
	    "Oct 24 17:05:31 host1 sysmon[3041]: Sysmon v1.0.0 - Monitors "
	    "system events\r\n"
	    "Oct 24 17:05:38 host1 sysmon: <Event><System><Provider "
	    "Name=\"Linux-Sysmon\" Guid=\"{ff032593-a8d3-4f13-b0d6-"
	    "01fc615a0f97}\"/><EventID>3</EventID><TimeCreated SystemTime="
	    "\"2021-10-24T17:05:46.792000000Z\"/><Channel>Linux-Sysmon/"
	    "Operational</Channel><Computer>host1</Computer><Security "
	    "UserId=\"0\"/></System><EventData><Data Name=\"Image\">(null)"
	    "</Data><Data Name=\"DestinationPort\">25</Data></EventData>"
	    "</Event>\r\n"
	    "Oct 24 17:05:39 host1 sysmon: <Event><System><EventID>3</EventID>"
	    "<Channel>Linux-Sysmon/Operational</Channel><Security "
	    "UserId=\"0\"/></System><EventData><Data Name=\"Image\">-</Data>"
	    "<Data Name=\"User\">root</Data></EventData></Event>\r\n"
	    "Oct 24 17:05:40 host1 sysmon: <Event><System><EventID>3</EventID>"
	    "</System><EventData><Data Name=\"Image\">&lt;unknown process&gt;"
	    "</Data></EventData></Event>\r\n";
	harness h;

	h_open(&h, text);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_INT(h.ev.line, 2);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DIALECT), "sysmon");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_HOST), "host1");
	/* UserId (Linux spelling) is the User fallback */
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_USER), "0");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_IMAGE), "(null)");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROCESS_NAME), "(unset)");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_TIME),
			"2021-10-24T17:05:46.792000000Z");
	/* the CR of CRLF is not part of any value */
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_PORT), "25");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_INT(h.ev.line, 3);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_USER), "root");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_IMAGE), "-");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROCESS_NAME), "(unset)");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_INT(h.ev.line, 4);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_IMAGE), "<unknown process>");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROCESS_NAME), "(unset)");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DIALECT), "windows");
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	/* the banner line is skipped, not malformed */
	MH_CHECK_EQ_INT(bad.n, 0);
	MH_CHECK_EQ_INT(h.r.stats.skipped, 1);
	h_close(&h);
}

/* Windows UserID; no EventData User. */
static void test_userid(void)
{
	harness h;

	h_open(&h, "<Event " NS "><System><EventID>5</EventID><Security "
		   "UserID=\"S-1-5-18\"/></System><EventData/></Event>\n");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_USER), "S-1-5-18");
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	h_close(&h);

	/* empty Security: no User */
	h_open(&h, "<Event><System><EventID>5156</EventID><Security/>"
		   "</System></Event>");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_USER), "(unset)");
	h_close(&h);
}

/* The real Sysmon for Linux sample (36 events, 14 banner lines). */
static void test_linux_sample(void)
{
	size_t n;
	char *text = slurp("tests/data/sysmon_xml/"
			   "elastic-integrations__sysmon_linux__sample_logs__"
			   "sysmon.log",
			   &n);
	harness h;
	int k = 0, eid3 = 0;
	mh_rc rc;

	MH_CHECK(text != NULL);
	if (!text)
		return;
	MH_CHECK(memmem(text, n, "\r\n", 2) != NULL);
	MH_CHECK_EQ_INT(mh_input_xml.probe(text, n), 90);
	h_open_mem(&h, text, n, NULL);
	while ((rc = h_next(&h)) == MH_OK) {
		k++;
		MH_CHECK_EQ_STR(get(&h.ev, MH_F_DIALECT), "sysmon");
		if (strcmp(get(&h.ev, MH_F_EVENT_ID), "3") == 0) {
			eid3++;
			MH_CHECK(mh_event_has(&h.ev, MH_F_DESTINATION_IP));
		}
		/* no value keeps a CR */
		for (int f = 0; f < MH_F__COUNT; f++)
			if (mh_event_has(&h.ev, (mh_field)f))
				MH_CHECK(memchr(h.ev.v[f].p, '\r',
						h.ev.v[f].n) == NULL);
	}
	MH_CHECK_EQ_INT(rc, MH_EOF);
	MH_CHECK_EQ_INT(k, 36);
	MH_CHECK_EQ_INT(eid3, 3);
	MH_CHECK_EQ_INT(bad.n, 0);
	MH_CHECK_EQ_INT(h.r.stats.skipped, 14);
	h_close(&h);
	free(text);
}

/* A whole exported file: <?xml?>, <Events>, pretty-printed events. */
static void test_whole_file(void)
{
	static const char text[] =
	    "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<Events>\n"
	    "<Event " NS ">\n"
	    "  <System>\n"
	    "    <Provider Name=\"Microsoft-Windows-Sysmon\"/>\n"
	    "    <EventID>1</EventID>\n"
	    "    <Computer>\n      WS1\n    </Computer>\n"
	    "  </System>\n"
	    "  <EventData>\n"
	    "    <Data Name=\"CommandLine\">cmd.exe /c \"a &amp; b\"\n"
	    "second line</Data>\n"
	    "    <Data Name=\"Image\">C:\\Windows\\System32\\cmd.exe</Data>\n"
	    "  </EventData>\n"
	    "</Event>\n"
	    "<Event " NS "><System><EventID>3</EventID></System>"
	    "<EventData><Data Name=\"DestinationPort\">143</Data>"
	    "</EventData></Event>\n"
	    "</Events>\n";
	harness h;

	MH_CHECK_EQ_INT(mh_input_xml.probe(text, sizeof(text) - 1), 90);
	h_open(&h, text);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_INT(h.ev.line, 3);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_EVENT_ID), "1");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_HOST), "WS1"); /* System text trimmed */
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_COMMAND_LINE),
			"cmd.exe /c \"a & b\"\nsecond line");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROCESS_NAME), "cmd.exe");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_INT(h.ev.line, 17);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_PORT), "143");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_MAIL_PROTOCOL), "(unset)");
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(bad.n, 0);
	h_close(&h);
}

/* wevtutil qe /f:xml writes events back to back, no separators. */
static void test_concatenated(void)
{
	harness h;

	h_open(&h, "<Event " NS "><System><EventID>1</EventID></System></Event>"
		   "<Event " NS "><System><EventID>2</EventID></System></Event>"
		   "<Event><System><EventID>3</EventID></System></Event>");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_EVENT_ID), "1");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_EVENT_ID), "2");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_EVENT_ID), "3");
	MH_CHECK_EQ_INT(h.ev.line, 1);
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(bad.n, 0);
	h_close(&h);
}

/* Entities and character references are decoded by expat. */
static void test_entities(void)
{
	harness h;

	h_open(&h, "<Event><System><EventID>1</EventID></System><EventData>"
		   "<Data Name=\"CommandLine\">&lt;&gt;&amp;&quot;&apos;"
		   "&#x41;&#66;&#xE9;</Data><Data Name=\"User\">"
		   "<![CDATA[a<b]]></Data></EventData></Event>");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_COMMAND_LINE), "<>&\"'AB\xC3\xA9");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_USER), "a<b");
	h_close(&h);

	/* entity declarations (billion laughs) are refused */
	h_open(&h, "<!DOCTYPE Event [<!ENTITY a \"aaaa\">]><Event><System>"
		   "<EventID>1</EventID></System></Event>\n"
		   "<Event><System><EventID>2</EventID></System></Event>\n");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_EVENT_ID), "1"); /* doctype outside */
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	/* the DOCTYPE is text before the event: expat never sees it */
	MH_CHECK_EQ_INT(bad.n, 0);
	h_close(&h);

	/* an undefined entity is a malformed event */
	h_open(&h, "<Event><System><EventID>&a;</EventID></System></Event>\n"
		   "<Event><System><EventID>2</EventID></System></Event>\n");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_EVENT_ID), "2");
	MH_CHECK_EQ_INT(h.ev.line, 2);
	MH_CHECK_EQ_INT(bad.n, 1);
	MH_CHECK_EQ_INT(bad.line[0], 1);
	MH_CHECK(strstr(bad.why[0], "undefined entity") != NULL);
	h_close(&h);
}

/* PowerShell 4104 */
static void test_powershell_4104(void)
{
	static const char text[] =
	    "<Event " NS "><System><Provider Name=\"Microsoft-Windows-"
	    "PowerShell\" Guid=\"{A0C1853B-5C40-4B15-8766-3CF1C58F985A}\"/>"
	    "<EventID>4104</EventID><TimeCreated SystemTime=\"2020-01-02T03:"
	    "04:05.000Z\"/><Channel>Microsoft-Windows-PowerShell/Operational"
	    "</Channel><Computer>WS1</Computer><Security UserID=\"S-1-5-21-1\""
	    "/></System><EventData><Data Name=\"MessageNumber\">1</Data>"
	    "<Data Name=\"MessageTotal\">1</Data><Data "
	    "Name=\"ScriptBlockText\">"
	    "$c = New-Object Net.Mail.SmtpClient('smtp.example', 587)&#xD;&#xA;"
	    "$c.Send('a@x', 'b@y', 's', 'b')</Data><Data "
	    "Name=\"ScriptBlockId\">"
	    "{1}</Data><Data Name=\"Path\">C:\\t\\m.ps1</Data></EventData>"
	    "</Event>\n";
	harness h;

	h_open(&h, text);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DIALECT), "powershell");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_EVENT_ID), "4104");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SCRIPT_BLOCK_TEXT),
			"$c = New-Object Net.Mail.SmtpClient('smtp.example', "
			"587)\r\n$c.Send('a@x', 'b@y', 's', 'b')");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_PATH), "C:\\t\\m.ps1");
	MH_CHECK_EQ_INT(h.ev.time_ns, 1577934245000000000LL);
	h_close(&h);
}

/* Windows Security 5156 (Filtering Platform), XML. */
static const char wfp_xml[] =
    "<Event " NS "><System><Provider Name=\"Microsoft-Windows-Security-"
    "Auditing\"/><EventID>5156</EventID><TimeCreated SystemTime=\"2021-03-"
    "14T01:40:15.425Z\"/><Channel>Security</Channel><Computer>MXS01</Computer>"
    "<Security/></System><EventData><Data Name=\"ProcessID\">12252</Data>"
    "<Data Name=\"Application\">\\device\\harddiskvolume2\\program files\\"
    "microsoft\\exchange server\\v15\\bin\\msexchangehmworker.exe</Data>"
    "<Data Name=\"Direction\">%%14593</Data><Data Name=\"SourceAddress\">"
    "127.0.0.1</Data><Data Name=\"SourcePort\">30069</Data><Data Name="
    "\"DestAddress\">127.0.0.1</Data><Data Name=\"DestPort\">25</Data>"
    "<Data Name=\"Protocol\">6</Data><Data Name=\"FilterRTID\">65788</Data>"
    "<Data Name=\"LayerName\">%%14611</Data></EventData></Event>\n"
    /* inbound */
    "<Event><System><Provider Name=\"Microsoft-Windows-Security-Auditing\"/>"
    "<EventID>5156</EventID><Channel>Security</Channel></System><EventData>"
    "<Data Name=\"Application\">\\device\\harddiskvolume2\\windows\\system32"
    "\\svchost.exe</Data><Data Name=\"Direction\">%%14592</Data>"
    "<Data Name=\"DestPort\">993</Data><Data Name=\"Protocol\">6</Data>"
    "</EventData></Event>\n"
    /* ICMPv6 type 143 in SourcePort: not a port */
    "<Event><System><Provider Name=\"Microsoft-Windows-Security-Auditing\"/>"
    "<EventID>5156</EventID><Channel>Security</Channel></System><EventData>"
    "<Data Name=\"Application\">System</Data><Data Name=\"Direction\">"
    "%%14593</Data><Data Name=\"SourcePort\">143</Data><Data Name="
    "\"DestPort\">0</Data><Data Name=\"Protocol\">58</Data></EventData>"
    "</Event>\n"
    /* 5157: blocked */
    "<Event><System><Provider Name=\"Microsoft-Windows-Security-Auditing\"/>"
    "<EventID>5157</EventID><Channel>Security</Channel></System><EventData>"
    "<Data Name=\"DestPort\">110</Data><Data Name=\"Protocol\">1</Data>"
    "</EventData></Event>\n";

static void test_wfp_xml(void)
{
	static const mh_portmap_entry ports[] = {
	    {25, "SMTP"}, {110, "POP3"}, {143, "IMAP"}, {993, "IMAP"}};
	mh_norm_ctx ctx = {.ports = ports, .nports = 4};
	harness h;

	h_open(&h, wfp_xml);
	MH_CHECK_EQ_INT(mh_input_xml.next(&h.r, &h.ev, &h.err), MH_OK);
	mh_event_normalize(&ctx, &h.ev);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DIALECT), "winsec");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_IMAGE),
			"\\device\\harddiskvolume2\\program files\\microsoft\\"
			"exchange server\\v15\\bin\\msexchangehmworker.exe");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROCESS_NAME),
			"msexchangehmworker.exe");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROCESS_ID), "12252");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_EVENT_DIRECTION), "%%14593");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DIRECTION), "outbound");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_IP), "127.0.0.1");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_PORT), "30069");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_IP), "127.0.0.1");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_PORT), "25");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROTOCOL), "6");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_MAIL_PROTOCOL), "SMTP");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_OUTCOME), "allowed");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_HOST), "MXS01");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_USER), "(unset)");

	MH_CHECK_EQ_INT(mh_input_xml.next(&h.r, &h.ev, &h.err), MH_OK);
	mh_event_normalize(&ctx, &h.ev);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DIRECTION), "inbound");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROCESS_NAME), "svchost.exe");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_MAIL_PROTOCOL), "IMAP");

	MH_CHECK_EQ_INT(mh_input_xml.next(&h.r, &h.ev, &h.err), MH_OK);
	mh_event_normalize(&ctx, &h.ev);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROTOCOL), "58");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_SOURCE_PORT), "(unset)");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_PORT), "(unset)");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_MAIL_PROTOCOL), "(unset)");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROCESS_NAME), "System");

	MH_CHECK_EQ_INT(mh_input_xml.next(&h.r, &h.ev, &h.err), MH_OK);
	mh_event_normalize(&ctx, &h.ev);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_OUTCOME), "denied");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_PORT), "(unset)");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_MAIL_PROTOCOL), "(unset)");
	MH_CHECK_EQ_INT(mh_input_xml.next(&h.r, &h.ev, &h.err), MH_EOF);
	MH_CHECK_EQ_INT(bad.n, 0);
	h_close(&h);
}

/* Truncated events, garbage, invalid UTF-8: reported, the rest kept. */
static void test_bad_input(void)
{
	static const char text[] =
	    "<Event><System><EventID>1</EventID></System></Event>\n"
	    "\x01\x02\xff garbage \x7f\n"
	    "<Event><System><EventID>2</EventID><Sys\n" /* truncated */
	    "<Event><System><EventID>3</EventID></System></Event>\n"
	    "<Event><System><EventID>\xC3\x28</EventID></System></Event>\n"
	    "<Event><System><EventID>5</EventID></Syst></Event>\n"
	    "<Event><System><EventID>6</EventID></System></Event>\n"
	    "<Event><System><EventID>7</EventID>"; /* truncated at the end */
	static const char json[] = "{\"EventID\":3,\"Image\":\"a\"}\n"
				   "{\"EventID\":1}\n";
	harness h;

	h_open(&h, text);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_EVENT_ID), "1");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_EVENT_ID), "3");
	MH_CHECK_EQ_INT(h.ev.line, 4);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_EVENT_ID), "6");
	MH_CHECK_EQ_INT(h.ev.line, 7);
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(bad.n, 5);
	MH_CHECK_EQ_INT(bad.line[0], 2);
	MH_CHECK(strstr(bad.why[0], "no <Event>") != NULL);
	MH_CHECK_EQ_INT(bad.line[1], 3);
	MH_CHECK(strstr(bad.why[1], "truncated") != NULL);
	MH_CHECK_EQ_INT(bad.line[2], 5); /* invalid UTF-8 */
	MH_CHECK(strstr(bad.why[2], "line 5, column 25") != NULL);
	MH_CHECK_EQ_INT(bad.line[3], 6); /* mismatched tag */
	MH_CHECK(strstr(bad.why[3], "mismatched tag") != NULL);
	MH_CHECK_EQ_INT(bad.line[4], 8);
	MH_CHECK(strstr(bad.why[4], "end of the input") != NULL);
	MH_CHECK_EQ_INT(h.r.stats.malformed, 5);
	MH_CHECK_EQ_INT(h.r.stats.records, 3);
	h_close(&h);

	/* a self-closed <Event/> and a nested start: both truncated */
	h_open(&h, "<Event/><Events><Event><Event>x</Event>");
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_EVENT_ID), "(unset)");
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(bad.n, 2);
	h_close(&h);

	/* JSON forced through the XML reader: every line reported */
	MH_CHECK_EQ_INT(count_events(json, strlen(json)), 0);
	MH_CHECK_EQ_INT(bad.n, 2);
	MH_CHECK_EQ_INT(bad.line[1], 2);
}

static void gz(const char *in, size_t n, char **out, size_t *on)
{
	z_stream z;
	size_t cap = n / 2 + 1024;

	memset(&z, 0, sizeof(z));
	*out = malloc(cap);
	MH_CHECK(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) ==
		 Z_OK);
	z.next_in = (unsigned char *)in;
	z.avail_in = (unsigned)n;
	z.next_out = (unsigned char *)*out;
	z.avail_out = (unsigned)cap;
	MH_CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
	*on = z.total_out;
	deflateEnd(&z);
}

/* A 10 MB line: as a value it is read; as junk it is one report. Read
 * through gzip too, so the window grows in steps. */
static void test_long_line(void)
{
	size_t big = 10u << 20, n = 0, cap = 2 * big + 4096;
	char *text = malloc(cap), *z = NULL;
	size_t zn;

	n += (size_t)snprintf(text, 4096,
			      "<Event><System><EventID>1</EventID></System>"
			      "<EventData><Data Name=\"CommandLine\">");
	memset(text + n, 'A', big);
	n += big;
	n += (size_t)snprintf(text + n, cap - n,
			      "</Data></EventData></Event>\n");
	memset(text + n, 'x', big - 4096); /* 10 MB of junk, one line */
	n += big - 4096;
	n += (size_t)snprintf(text + n, cap - n,
			      "\n<Event><System><EventID>2</EventID>"
			      "</System></Event>\n");
	MH_CHECK(n < cap);
	for (int mode = 0; mode < 2; mode++) {
		harness h;

		if (mode == 0) {
			h_open_mem(&h, text, n, NULL);
		} else {
			mh_source *src = NULL;
			gz(text, n, &z, &zn);
			MH_CHECK_EQ_INT(
			    mh_source_open_mem("mem.xml.gz", z, zn, &src, NULL),
			    MH_OK);
			h_open_src(&h, src, NULL);
		}
		MH_CHECK_EQ_INT(h_next(&h), MH_OK);
		MH_CHECK_EQ_INT(mh_event_get(&h.ev, MH_F_COMMAND_LINE)->n, big);
		MH_CHECK_EQ_INT(h_next(&h), MH_OK);
		MH_CHECK_EQ_STR(get(&h.ev, MH_F_EVENT_ID), "2");
		MH_CHECK_EQ_INT(h.ev.line, 3);
		MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
		MH_CHECK_EQ_INT(bad.n, 1);
		MH_CHECK_EQ_INT(bad.line[0], 2);
		h_close(&h);
		free(z);
		z = NULL;
	}
	free(text);
}

/* Only the needed fields (and the time) are filled. */
static void test_lazy(void)
{
	mh_fieldset need = {{0}};
	harness h;

	mh_fieldset_add(&need, MH_F_DESTINATION_PORT);
	h_open_mem(&h, win_eid3, strlen(win_eid3), &need);
	MH_CHECK_EQ_INT(mh_input_xml.next(&h.r, &h.ev, &h.err), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_DESTINATION_PORT), "587");
	MH_CHECK(mh_event_has(&h.ev, MH_F_TIME));
	/* inputs of normalize.c's ICMP and Security rules */
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_PROTOCOL), "tcp");
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_EVENT_ID), "3");
	MH_CHECK(!mh_event_has(&h.ev, MH_F_IMAGE));
	MH_CHECK(!mh_event_has(&h.ev, MH_F_USER));
	h_close(&h);
}

/* The whole-file rendering and the per-line rendering of the corpus
 * EVTX files parse (counts), and probe() picks XML for them. */
static void test_rendered_files(void)
{
	size_t n;
	char *t = slurp("tests/data/sysmon_xml/sbousseaden__tunna_iis_rdp_smb_"
			"tunneling_sysmon_3.rendered.xml",
			&n);

	MH_CHECK(t != NULL);
	if (t) {
		MH_CHECK_EQ_INT(mh_input_xml.probe(t, n), 90);
		MH_CHECK_EQ_INT(count_events(t, n), 12);
		MH_CHECK_EQ_INT(bad.n, 0);
		free(t);
	}
	t = slurp("tests/data/sysmon_xml/sbousseaden__exec_persist_rundll32_"
		  "mshta_scheduledtask_sysmon_1_3_11.rendered-lines.xml",
		  &n);
	MH_CHECK(t != NULL);
	if (t) {
		MH_CHECK_EQ_INT(mh_input_xml.probe(t, n), 90);
		MH_CHECK_EQ_INT(count_events(t, n), 8);
		MH_CHECK_EQ_INT(bad.n, 0);
		free(t);
	}
}

static void test_probe(void)
{
	static const char *no[] = {
	    "{\"EventID\":3}\n",
	    "[{\"a\":1}]",
	    "EventID,Image\n3,a\n",
	    "#separator \\x09\n",
	    "ElfFile\0\0\0",
	    "<html><body>",
	    "Oct 24 17:05:31 host sshd[1]: Accepted\n",
	    "",
	};
	for (size_t i = 0; i < MH_ARRAY_LEN(no); i++)
		MH_CHECK_EQ_INT(mh_input_xml.probe(no[i], strlen(no[i])), 0);
	MH_CHECK_EQ_INT(mh_input_xml.probe("ElfFile\0\0\0", 10), 0);
	MH_CHECK_EQ_INT(mh_input_xml.probe("<Event xmlns='x'>", 17), 90);
	MH_CHECK_EQ_INT(mh_input_xml.probe("  <Events>", 10), 90);
	MH_CHECK_EQ_INT(
	    mh_input_xml.probe("Oct 24 h sysmon: <Event><System>", 32), 90);
	MH_CHECK(mh_reader_detect(win_eid3, strlen(win_eid3)) == &mh_input_xml);
}

/* UTF-8 text to UTF-16 (le or be), with a BOM when bom. Returns the
 * byte length; out must hold 2 * (n + 1) * 2 bytes. */
static size_t to_utf16(const char *in, size_t n, char *out, bool be, bool bom)
{
	const unsigned char *u = (const unsigned char *)in;
	size_t o = 0;

#define PUT(c)                                                                 \
	do {                                                                   \
		out[o + (be ? 0 : 1)] = (char)((c) >> 8);                      \
		out[o + (be ? 1 : 0)] = (char)((c)&0xFF);                      \
		o += 2;                                                        \
	} while (0)
	if (bom)
		PUT(0xFEFFu);
	for (size_t i = 0; i < n;) {
		uint32_t c;

		if (u[i] < 0x80) {
			c = u[i++];
		} else if (u[i] < 0xE0) {
			c = (uint32_t)(u[i] & 0x1F) << 6 | (u[i + 1] & 0x3F);
			i += 2;
		} else if (u[i] < 0xF0) {
			c = (uint32_t)(u[i] & 0x0F) << 12 |
			    (uint32_t)(u[i + 1] & 0x3F) << 6 |
			    (u[i + 2] & 0x3F);
			i += 3;
		} else {
			c = (uint32_t)(u[i] & 0x07) << 18 |
			    (uint32_t)(u[i + 1] & 0x3F) << 12 |
			    (uint32_t)(u[i + 2] & 0x3F) << 6 |
			    (u[i + 3] & 0x3F);
			i += 4;
		}
		if (c >= 0x10000) {
			c -= 0x10000;
			PUT(0xD800 + (c >> 10));
			PUT(0xDC00 + (c & 0x3FF));
		} else {
			PUT(c);
		}
	}
#undef PUT
	return o;
}

/* UTF-16 exports (PowerShell 5 Out-File writes UTF-16LE with a BOM) are
 * transcoded: same events as the UTF-8 text, surrogate pairs decoded,
 * a lone surrogate and an odd final byte become U+FFFD. */
static void test_utf16(void)
{
	static const char text[] =
	    "<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n<Events>\r\n"
	    "<Event><System><EventID>1</EventID></System><EventData><Data "
	    "Name=\"CommandLine\">caf\xC3\xA9 \xF0\x9F\x98\x80 \xE2\x82\xAC"
	    "</Data></EventData></Event>\r\n"
	    "<Event><System><EventID>2</EventID></System><EventData><Data "
	    "Name=\"User\">X</Data></EventData></Event>\r\n</Events>\r\n";
	size_t n = sizeof(text) - 1, m;
	char *u = malloc(4 * (n + 8));
	harness h;

	for (int be = 0; be < 2; be++) {
		for (int bom = 0; bom < 2; bom++) {
			m = to_utf16(text, n, u, be, bom);
			if (!bom) /* no BOM: "<" first */
				MH_CHECK((u[0] == '<') == !be);
			MH_CHECK_EQ_INT(mh_input_xml.probe(u, m), 90);
			h_open_mem(&h, u, m, NULL);
			MH_CHECK_EQ_INT(h_next(&h), MH_OK);
			MH_CHECK_EQ_INT(h.ev.line, 3);
			MH_CHECK_EQ_STR(get(&h.ev, MH_F_COMMAND_LINE),
					"caf\xC3\xA9 \xF0\x9F\x98\x80 "
					"\xE2\x82\xAC");
			MH_CHECK_EQ_INT(h_next(&h), MH_OK);
			MH_CHECK_EQ_STR(get(&h.ev, MH_F_USER), "X");
			MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
			MH_CHECK_EQ_INT(bad.n, 0);
			h_close(&h);
		}
	}
	/* a lone high surrogate inside a value, an odd final byte */
	m = to_utf16("<Event><System><EventID>7</EventID></System><EventData>"
		     "<Data Name=\"User\">a",
		     74, u, false, true);
	u[m++] = 0x00;
	u[m++] = (char)0xD8; /* high surrogate, then "b" */
	m +=
	    to_utf16("b</Data></EventData></Event>\n", 29, u + m, false, false);
	u[m++] = 'x'; /* odd byte */
	h_open_mem(&h, u, m, NULL);
	MH_CHECK_EQ_INT(h_next(&h), MH_OK);
	MH_CHECK_EQ_STR(get(&h.ev, MH_F_USER), "a\xEF\xBF\xBD"
					       "b");
	MH_CHECK_EQ_INT(h_next(&h), MH_EOF);
	MH_CHECK_EQ_INT(bad.n, 1); /* the U+FFFD line */
	h_close(&h);
	free(u);

	/* a 3.6 MB UTF-16 file read through gzip: the transcoding works in
	 * steps, the window grows */
	{
		size_t fn, big_n = 0, zn;
		char *f = slurp("tests/data/sysmon_xml/sbousseaden__tunna_iis_"
				"rdp_smb_tunneling_sysmon_3.rendered.xml",
				&fn);
		char *big, *w, *z = NULL;
		mh_source *src = NULL;
		int k = 0;

		MH_CHECK(f != NULL);
		if (!f)
			return;
		big = malloc(fn * 100);
		for (int i = 0; i < 100; i++) {
			memcpy(big + big_n, f, fn);
			big_n += fn;
		}
		w = malloc(4 * (big_n + 8));
		m = to_utf16(big, big_n, w, false, true);
		gz(w, m, &z, &zn);
		MH_CHECK_EQ_INT(
		    mh_source_open_mem("mem.xml.gz", z, zn, &src, NULL), MH_OK);
		h_open_src(&h, src, NULL);
		while (h_next(&h) == MH_OK)
			k++;
		MH_CHECK_EQ_INT(k, 1200);
		/* "<?xml" and "<Events>" of the 99 later copies are junk
		 * lines that are skipped silently */
		MH_CHECK_EQ_INT(bad.n, 0);
		h_close(&h);
		free(z);
		free(w);
		free(big);
		free(f);
	}
}

/* Fuzz regressions kept under tests/data/sysmon_xml/regress/: each must
 * parse to EOF without a crash, all bytes judged. */
static void test_regress(void)
{
	static const char *files[] = {
	    "tests/data/sysmon_xml/regress/nested-event-start.xml",
	    "tests/data/sysmon_xml/regress/partial-start-tag-at-end.xml",
	    "tests/data/sysmon_xml/regress/many-unclosed-events.xml",
	};
	for (size_t i = 0; i < MH_ARRAY_LEN(files); i++) {
		size_t n;
		char *t = slurp(files[i], &n);

		MH_CHECK(t != NULL);
		if (!t)
			continue;
		MH_CHECK_EQ_INT(count_events(t, n), i < 2 ? 1 : 0);
		/* nested: the outer start and the cut one; many-unclosed: one
		 * report per line (and linear time: the end search stops at
		 * the next start) */
		MH_CHECK_EQ_INT(bad.n, i == 0 ? 2 : i == 1 ? 1 : 2000);
		free(t);
	}
}

int main(void)
{
	MH_RUN(test_windows_line);
	MH_RUN(test_linux_syslog);
	MH_RUN(test_userid);
	MH_RUN(test_linux_sample);
	MH_RUN(test_whole_file);
	MH_RUN(test_concatenated);
	MH_RUN(test_entities);
	MH_RUN(test_powershell_4104);
	MH_RUN(test_wfp_xml);
	MH_RUN(test_bad_input);
	MH_RUN(test_long_line);
	MH_RUN(test_lazy);
	MH_RUN(test_rendered_files);
	MH_RUN(test_probe);
	MH_RUN(test_utf16);
	MH_RUN(test_regress);
	MH_DONE();
}
