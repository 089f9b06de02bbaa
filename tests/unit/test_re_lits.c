/* Necessary literals of a regex (src/rule/re_lits.c): what is extracted,
 * what is refused, and soundness against PCRE2 itself: no subject PCRE2
 * matches is ever rejected. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "mh_test.h"
#include "rule/re_lits.h"
#include "util/splitmix.h"

#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static mh_arena ar;

/* The literals of pat as "[a][b]...", or "NULL". */
static const char *lits(const char *pat, bool ci)
{
	static char out[512];
	const mh_re_lits *l = mh_re_lits_build(&ar, pat, strlen(pat), ci);
	size_t o = 0;

	if (!l)
		return "NULL";
	out[0] = 0;
	for (size_t i = 0; i < mh_re_lits_count(l); i++) {
		size_t n;
		const char *s = mh_re_lits_get(l, i, &n);
		int w = snprintf(out + o, sizeof(out) - o, "[%.*s]", (int)n, s);
		if (w < 0 || (size_t)w >= sizeof(out) - o)
			break;
		o += (size_t)w;
	}
	return out;
}

static void test_extract(void)
{
	MH_CHECK_EQ_STR(lits("abc", false), "[abc]");
	MH_CHECK_EQ_STR(lits("ABC", false), "[abc]"); /* folded */
	MH_CHECK_EQ_STR(lits("a.c", false), "NULL");  /* no 2-byte run */
	MH_CHECK_EQ_STR(lits("ab.cde", false), "[cde]");
	MH_CHECK_EQ_STR(lits("(?:foo|barbaz)", false), "[foo][barbaz]");
	MH_CHECK_EQ_STR(lits("x(?:foo|)y", false), "NULL");
	MH_CHECK_EQ_STR(lits("ab?cd", false), "[cd]");
	MH_CHECK_EQ_STR(lits("ab*cd", false), "[cd]");
	MH_CHECK_EQ_STR(lits("xab+cd", false), "[xab]");
	MH_CHECK_EQ_STR(lits("(?:abc)?de", false), "[de]");
	MH_CHECK_EQ_STR(lits("(?:abc)+d", false), "[abc]");
	MH_CHECK_EQ_STR(lits("a\\.exe", false), "[a.exe]");
	MH_CHECK_EQ_STR(lits("\\s--mail-(?:from|rcpt)", false), "[--mail-]");
	MH_CHECK_EQ_STR(lits("[abc]def", false), "[def]");
	MH_CHECK_EQ_STR(lits("[]x]yz", false), "[yz]");
	MH_CHECK_EQ_STR(lits("[[:alpha:]]yz", false), "[yz]");
	MH_CHECK_EQ_STR(lits("ab(?=cd)ef", false), "[ab]");
	MH_CHECK_EQ_STR(lits("(?<name>abc)d", false), "[abc]");
	MH_CHECK_EQ_STR(lits("ab{2,3}c", false), "[ab]");
	/* caseless: k and s also match U+212A and U+017F */
	MH_CHECK_EQ_STR(lits("smtps://", true), "[mtp]");
	MH_CHECK_EQ_STR(lits("(?i)nc\\.openbsd", false), "[nc.openb]");
	MH_CHECK_EQ_STR(lits("nc\\.openbsd", false), "[nc.openbsd]");
	MH_CHECK_EQ_STR(lits("(?i:x)smtp", false), "[mtp]");
	/* not modelled: the whole regex is unfiltered */
	MH_CHECK_EQ_STR(lits("(a)\\1xyz", false), "NULL");
	MH_CHECK_EQ_STR(lits("\\Qabc\\E", false), "NULL");
	MH_CHECK_EQ_STR(lits("(?x) a b c", false), "NULL");
	MH_CHECK_EQ_STR(lits("(?#c)abc", false), "NULL");
	MH_CHECK_EQ_STR(lits("(?(1)ab|cd)", false), "NULL");
	MH_CHECK_EQ_STR(lits("(*UTF)abc", false), "NULL");
	MH_CHECK_EQ_STR(lits("\\x41bc", false), "NULL");
	MH_CHECK_EQ_STR(lits("\\p{L}bc", false), "NULL");
	MH_CHECK_EQ_STR(lits("abc)", false), "NULL");
	MH_CHECK_EQ_STR(lits("(abc", false), "NULL");
	MH_CHECK_EQ_STR(lits("a{,2}bc", false), "NULL");
	MH_CHECK_EQ_STR(lits("caf\xc3\xa9s", false), "[caf]");
}

/* In PCRE2's caseless UTF matching, the only ASCII letters that match a
 * non-ASCII character are k (U+212A) and s (U+017F): the reason
 * re_lits.c ends a run at them. */
static void test_caseless_partners(void)
{
	for (char c = 'a'; c <= 'z'; c++) {
		char pat[16];
		int ec;
		PCRE2_SIZE eo;
		pcre2_code *re;
		pcre2_match_data *md;
		unsigned partners = 0;

		snprintf(pat, sizeof(pat), "^%c$", c);
		re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
				   PCRE2_UTF | PCRE2_CASELESS, &ec, &eo, NULL);
		MH_CHECK(re != NULL);
		if (!re)
			return;
		md = pcre2_match_data_create(1, NULL);
		for (uint32_t cp = 0x80; cp < 0x30000; cp++) {
			unsigned char u[4];
			size_t n;
			if (cp >= 0xd800 && cp < 0xe000)
				continue;
			if (cp < 0x800) {
				u[0] = (unsigned char)(0xc0 | cp >> 6);
				u[1] = (unsigned char)(0x80 | (cp & 0x3f));
				n = 2;
			} else if (cp < 0x10000) {
				u[0] = (unsigned char)(0xe0 | cp >> 12);
				u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
				u[2] = (unsigned char)(0x80 | (cp & 0x3f));
				n = 3;
			} else {
				u[0] = (unsigned char)(0xf0 | cp >> 18);
				u[1] =
				    (unsigned char)(0x80 | (cp >> 12 & 0x3f));
				u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
				u[3] = (unsigned char)(0x80 | (cp & 0x3f));
				n = 4;
			}
			if (pcre2_match(re, u, n, 0, 0, md, NULL) >= 0) {
				partners++;
				MH_CHECK((c == 'k' && cp == 0x212a) ||
					 (c == 's' && cp == 0x17f));
			}
		}
		MH_CHECK_EQ_INT(partners, (c == 'k' || c == 's') ? 1 : 0);
		pcre2_match_data_free(md);
		pcre2_code_free(re);
	}
}

static mh_rng rng = {0x243f6a8885a308d3ULL};

static uint64_t next(void)
{
	return mh_rng_next(&rng);
}

/* A random edit of s (len *n, cap bytes): replace, insert or delete a
 * byte, flip a letter's case, or put a Kelvin sign / long s for k / s. */
static void mutate(char *s, size_t *n, size_t cap)
{
	static const char pool[] = "abcdefghijklmnopqrstuvwxyzKS.:/-\\ \"'0123";
	size_t i = *n ? (size_t)(next() % *n) : 0;

	switch (next() % 5) {
	case 0:
		if (*n)
			s[i] = pool[next() % (sizeof(pool) - 1)];
		break;
	case 1:
		if (*n + 1 < cap) {
			memmove(s + i + 1, s + i, *n - i);
			s[i] = pool[next() % (sizeof(pool) - 1)];
			(*n)++;
		}
		break;
	case 2:
		if (*n) {
			memmove(s + i, s + i + 1, *n - i - 1);
			(*n)--;
		}
		break;
	case 3:
		if (*n && ((s[i] | 32) >= 'a' && (s[i] | 32) <= 'z'))
			s[i] ^= 32;
		break;
	default:
		if (*n && (s[i] == 'k' || s[i] == 'K') && *n + 2 < cap) {
			memmove(s + i + 3, s + i + 1, *n - i - 1);
			memcpy(s + i, "\xe2\x84\xaa", 3);
			*n += 2;
		} else if (*n && (s[i] == 's' || s[i] == 'S') && *n + 1 < cap) {
			memmove(s + i + 2, s + i + 1, *n - i - 1);
			memcpy(s + i, "\xc5\xbf", 2);
			*n += 1;
		}
		break;
	}
}

typedef struct rcase {
	const char *pat;
	bool ci;
	const char *pos[4]; /* subjects it matches: seeds for mutation */
} rcase;

/* The built-in pack's evidence patterns (rules/t1071.003/mailhunt/
 * evidence.yml) and assorted shapes. */
static const rcase cases[] = {
    {"(?is)(?:^|[\\\\/\\s\"'])(?:powershell(?:_ise)?|pwsh)(?:\\.exe)?[\"']?"
     "\\s.*(?:Send-MailMessage|Net\\.Mail\\.SmtpClient|System\\.Net\\.Mail)",
     false,
     {"powershell.exe -c Send-MailMessage -To x",
      "C:\\pwsh \"[System.Net.Mail.SmtpClient]::new()\""}},
    {"(?is)(?:^|[\\\\/\\s\"'])curl(?:\\.exe)?[\"']?\\s.*\\b(?:smtps?|imaps?|"
     "pop3s?)://",
     false,
     {"curl -s smtps://mail.example.com", "/usr/bin/curl imap://h/INBOX"}},
    {"(?i)\\s--mail-(?:from|rcpt|auth)(?:[\\s=]|$)",
     false,
     {"x --mail-from a@b", "y --MAIL-RCPT=c"}},
    {"(?is)(?:^|[\\\\/\\s\"'])(?:nc|ncat|netcat|nc\\.openbsd|nc\\.traditional|"
     "socat|telnet)(?:\\.exe)?[\"']?\\s(?:.*[\\s:,\"'])?(?:25|465|587|2525|110|"
     "995|143|993)(?:$|[\\s,\"'])",
     false,
     {"nc 10.0.0.1 25", "socat - TCP:h:993,crlf", "/bin/telnet h 110"}},
    {"(?is)(?:^|[\\\\/\\s\"'])python[0-9.]*w?(?:\\.exe)?[\"']?\\s(?:.*\\s)?-c."
     "*\\b(?:smtplib|imaplib|poplib)\\b",
     false,
     {"python3 -c 'import smtplib'"}},
    {"(?is)(?:^|[\\\\/\\s\"'])openssl(?:\\.exe)?[\"']?\\s+s_client\\b.*(?:-"
     "starttls\\s+(?:smtp|imap|pop3)\\b|-connect\\s+\\S*:(?:465|993|995)\\b)",
     false,
     {"openssl s_client -starttls smtp -connect h:25",
      "openssl s_client -connect h:993"}},
    {"(?i)\\b(?:smtps?|imaps?|pop3s?)://[^\\s/@:\"']+:[^\\s/@\"']*@",
     false,
     {"imaps://user:pass@host/"}},
    {"(?is)(?:\\s-u\\s*[^\\s-]|\\s--user[\\s=]).*\\b(?:smtps?|imaps?|pop3s?)"
     "://",
     false,
     {"curl -u bob smtp://x", "curl --user=b imaps://y"}},
    {"(?i)Send-MailMessage|Net\\.Mail\\.SmtpClient|System\\.Net\\.Mail",
     false,
     {"Send-MailMessage -SmtpServer x"}},
    {"kiosk|task", true, {"KIOSK", "a TASK b"}},
    {"ab+c{2,}(?:de|fgh)?ij", false, {"abbbcccij", "abccfghij"}},
    {"(?:x(?=yy)yyz|qq(?!r)s)tt", false, {"xyyztt", "qqstt"}},
    {"(?<w>ww)(?i:mM)[a-c]{1,2}zz", false, {"wwMmbzz", "wwmmaczz"}},
};

static void test_sound_against_pcre2(void)
{
	size_t matched = 0, rejected = 0;

	for (size_t ci = 0; ci < sizeof(cases) / sizeof(cases[0]); ci++) {
		const rcase *k = &cases[ci];
		uint32_t opt = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF |
			       (k->ci ? PCRE2_CASELESS : 0);
		int ec;
		PCRE2_SIZE eo;
		pcre2_code *re =
		    pcre2_compile((PCRE2_SPTR)k->pat, PCRE2_ZERO_TERMINATED,
				  opt, &ec, &eo, NULL);
		pcre2_match_data *md;
		const mh_re_lits *l;

		MH_CHECK(re != NULL);
		if (!re)
			continue;
		l = mh_re_lits_build(&ar, k->pat, strlen(k->pat), k->ci);
		MH_CHECK(l != NULL); /* every case here has literals */
		md = pcre2_match_data_create(1, NULL);
		for (size_t si = 0; si < 4 && k->pos[si]; si++) {
			for (int round = 0; round < 3000; round++) {
				char s[256];
				size_t n = strlen(k->pos[si]), edits;
				memcpy(s, k->pos[si], n);
				edits = round == 0 ? 0 : 1 + next() % 4;
				for (size_t e = 0; e < edits; e++)
					mutate(s, &n, sizeof(s));
				int rc = pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0,
						     md, NULL);
				if (round == 0)
					MH_CHECK(rc >= 0); /* a real seed */
				if (rc >= 0) {
					matched++;
					if (l &&
					    !mh_re_lits_may_match(l, s, n)) {
						fprintf(stderr,
							"unsound: /%s/ on "
							"'%.*s'\n",
							k->pat, (int)n, s);
						MH_CHECK(false);
					}
				} else if (l &&
					   !mh_re_lits_may_match(l, s, n)) {
					rejected++;
				}
			}
		}
		pcre2_match_data_free(md);
		pcre2_code_free(re);
	}
	/* not vacuous: many matches checked, and the filter does reject */
	MH_CHECK(matched > 10000);
	MH_CHECK(rejected > 1000);
}

/* A random regex over a small alphabet (so random subjects match
 * often): literals, classes, escapes, groups of every modelled kind,
 * inline options, quantifiers, anchors and lookarounds. */
static void rand_re(char *out, size_t *o, size_t cap, int depth)
{
	static const char lit[] = "abcksKS .-";
	int items = 1 + (int)(next() % 4);

	for (int i = 0; i < items && *o + 24 < cap; i++) {
		unsigned k = (unsigned)(next() % 16);
		const char *q = "";
		if (k < 7) {
			out[(*o)++] = lit[next() % (sizeof(lit) - 1)];
		} else if (k == 7) {
			memcpy(out + *o, "[ab]", 4);
			*o += 4;
		} else if (k == 8) {
			out[(*o)++] = '.';
		} else if (k == 9) {
			memcpy(out + *o, next() % 2 ? "\\s" : "\\.", 2);
			*o += 2;
		} else if (k == 10) {
			out[(*o)++] = next() % 2 ? '^' : '$';
		} else if (k == 11) {
			memcpy(out + *o, "(?i)", 4);
			*o += 4;
		} else if (depth < 3) {
			static const char *const open[] = {
			    "(", "(?:", "(?i:", "(?=", "(?!", "(?>"};
			const char *op = open[next() % 6];
			int alts = 1 + (int)(next() % 3);
			memcpy(out + *o, op, strlen(op));
			*o += strlen(op);
			for (int a = 0; a < alts && *o + 24 < cap; a++) {
				if (a)
					out[(*o)++] = '|';
				rand_re(out, o, cap, depth + 1);
			}
			out[(*o)++] = ')';
		}
		switch (next() % 10) {
		case 0:
			q = "?";
			break;
		case 1:
			q = "*";
			break;
		case 2:
			q = "+";
			break;
		case 3:
			q = "{2}";
			break;
		case 4:
			q = "{0,2}";
			break;
		default:
			break;
		}
		if (*q && *o > 0 && out[*o - 1] != '^' && out[*o - 1] != '$' &&
		    out[*o - 1] != ')') {
			memcpy(out + *o, q, strlen(q));
			*o += strlen(q);
		}
	}
}

/* Soundness on random regexes: whatever literals are proven, no subject
 * PCRE2 matches is rejected. */
static void test_random_patterns(void)
{
	static const char alpha[] = "abcksKSx .-";
	size_t checked = 0, with_lits = 0, rejected = 0;

	for (int pi = 0; pi < 20000; pi++) {
		char pat[256];
		size_t o = 0;
		bool ci = next() % 4 == 0;
		int ec;
		PCRE2_SIZE eo;
		pcre2_code *re;
		pcre2_match_data *md;
		const mh_re_lits *l;

		rand_re(pat, &o, sizeof(pat), 0);
		pat[o] = 0;
		re = pcre2_compile((PCRE2_SPTR)pat, o,
				   PCRE2_UTF | PCRE2_MATCH_INVALID_UTF |
				       (ci ? PCRE2_CASELESS : 0),
				   &ec, &eo, NULL);
		l = mh_re_lits_build(&ar, pat, o,
				     ci); /* any pattern: no crash */
		if (!re)
			continue;
		md = pcre2_match_data_create(1, NULL);
		with_lits += l != NULL;
		for (int si = 0; si < 200 && l; si++) {
			char s[40];
			size_t n = 1 + next() % 30;
			for (size_t i = 0; i < n; i++)
				s[i] = alpha[next() % (sizeof(alpha) - 1)];
			if (next() % 8 == 0 && n > 3) /* a Kelvin sign */
				memcpy(s + n - 3, "\xe2\x84\xaa", 3);
			if (pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, md, NULL) >=
			    0) {
				checked++;
				if (!mh_re_lits_may_match(l, s, n)) {
					fprintf(stderr,
						"unsound: /%s/%s on '%.*s'\n",
						pat, ci ? "i" : "", (int)n, s);
					MH_CHECK(false);
				}
			} else if (!mh_re_lits_may_match(l, s, n)) {
				rejected++;
			}
		}
		pcre2_match_data_free(md);
		pcre2_code_free(re);
	}
	MH_CHECK(with_lits > 500);
	MH_CHECK(checked > 5000);
	MH_CHECK(rejected > 1000);
}

static void test_may_match(void)
{
	const mh_re_lits *l =
	    mh_re_lits_build(&ar, "(?:Send-Mail|curl)", 18, false);

	MH_CHECK(l != NULL);
	if (!l)
		return;
	MH_CHECK(mh_re_lits_may_match(l, "x SEND-MAIL y", 13));
	MH_CHECK(mh_re_lits_may_match(l, "Curl", 4));
	MH_CHECK(!mh_re_lits_may_match(l, "cur", 3));
	MH_CHECK(!mh_re_lits_may_match(l, "\"OUTLOOK.EXE\" /recycle", 22));
	MH_CHECK(!mh_re_lits_may_match(l, "", 0));
	/* at the very end of the subject */
	MH_CHECK(mh_re_lits_may_match(l, "xxcurl", 6));
	MH_CHECK(!mh_re_lits_may_match(l, "xxcur", 5));
}

int main(void)
{
	mh_arena_init(&ar, 64 * 1024, 0);
	MH_RUN(test_extract);
	MH_RUN(test_may_match);
	MH_RUN(test_caseless_partners);
	MH_RUN(test_sound_against_pcre2);
	MH_RUN(test_random_patterns);
	mh_arena_free(&ar);
	MH_DONE();
}
