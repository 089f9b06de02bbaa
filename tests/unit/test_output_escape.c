/* Per-sink escaping: JSON, CSV, terminal. */
#include "mh_test.h"
#include "output/common.h"
#include "output/output.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef bool (*esc_fn)(mh_buf *, const char *, size_t);

/* Escape (s, n) and compare the result to want. */
static int esc_eq(esc_fn fn, const char *s, size_t n, const char *want)
{
	mh_buf b = {0};
	int ok;

	if (!fn(&b, s, n)) {
		mh_buf_free(&b);
		return 0;
	}
	ok = b.n == strlen(want) && (b.n == 0 || memcmp(b.p, want, b.n) == 0);
	if (!ok)
		fprintf(stderr, "  got \"%.*s\" want \"%s\"\n", (int)b.n,
			b.p ? b.p : "", want);
	mh_buf_free(&b);
	return ok;
}

#define ESC(fn, lit, want) esc_eq(fn, lit, sizeof(lit) - 1, want)

static void test_buf(void)
{
	mh_buf b = {0};
	char big[1000];

	memset(big, 'x', sizeof(big));
	MH_CHECK(mh_buf_put(&b, "ab", 2));
	MH_CHECK(mh_buf_putc(&b, 'c'));
	MH_CHECK(mh_buf_put(&b, NULL, 0));
	for (int i = 0; i < 10; i++)
		MH_CHECK(mh_buf_put(&b, big, sizeof(big)));
	MH_CHECK_EQ_INT(b.n, 3 + 10 * sizeof(big));
	MH_CHECK(b.cap >= b.n);
	MH_CHECK(memcmp(b.p, "abcxx", 5) == 0);
	/* size overflow is refused, the buffer is unchanged */
	MH_CHECK(!mh_buf_put(&b, big, SIZE_MAX));
	MH_CHECK_EQ_INT(b.n, 3 + 10 * sizeof(big));
	mh_buf_free(&b);
	MH_CHECK(b.p == NULL && b.n == 0 && b.cap == 0);
	mh_buf_free(&b); /* twice is fine */
}

static void test_json(void)
{
	MH_CHECK(ESC(mh_esc_json, "", ""));
	MH_CHECK(ESC(mh_esc_json, "plain text/ok", "plain text/ok"));
	MH_CHECK(ESC(mh_esc_json, "say \"hi\"", "say \\\"hi\\\""));
	MH_CHECK(ESC(mh_esc_json, "C:\\x\\evil.exe", "C:\\\\x\\\\evil.exe"));
	MH_CHECK(ESC(mh_esc_json, "a\nb\r\tc", "a\\u000ab\\u000d\\u0009c"));
	MH_CHECK(ESC(mh_esc_json, "\x1b[31mred", "\\u001b[31mred"));
	MH_CHECK(ESC(mh_esc_json, "nul\0x", "nul\\u0000x"));
	MH_CHECK(ESC(mh_esc_json, "\x01\x1f\x7f", "\\u0001\\u001f\\u007f"));
	/* C1 control encoded as UTF-8 */
	MH_CHECK(ESC(mh_esc_json,
		     "a\xc2\x9b"
		     "b",
		     "a\\u009bb"));
	/* valid 2-, 3-, 4-byte UTF-8 passes through */
	MH_CHECK(ESC(mh_esc_json, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		     "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
	MH_CHECK(ESC(mh_esc_json, "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"));
	/* invalid UTF-8 -> U+FFFD (one per maximal subpart) */
	MH_CHECK(ESC(mh_esc_json,
		     "a\xff"
		     "b",
		     "a\\ufffdb"));
	MH_CHECK(ESC(mh_esc_json, "\x9b", "\\ufffd"));
	MH_CHECK(ESC(mh_esc_json, "\xc3", "\\ufffd"));	   /* truncated */
	MH_CHECK(ESC(mh_esc_json, "\xe2\x82", "\\ufffd")); /* truncated */
	MH_CHECK(ESC(mh_esc_json, "\xe2\x82x", "\\ufffdx"));
	MH_CHECK(ESC(mh_esc_json, "\xc0\xaf", "\\ufffd\\ufffd")); /* overlong */
	MH_CHECK(ESC(mh_esc_json, "\xe0\x80\xaf", "\\ufffd\\ufffd\\ufffd"));
	MH_CHECK(ESC(mh_esc_json, "\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd"));
	MH_CHECK(ESC(mh_esc_json, "\xf4\x90\x80\x80",
		     "\\ufffd\\ufffd\\ufffd\\ufffd")); /* > U+10FFFF */
	MH_CHECK(ESC(mh_esc_json, "\xf0\x9f\x98", "\\ufffd"));
	MH_CHECK(ESC(mh_esc_json, "\xf8\x88\x80\x80\x80",
		     "\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd"));
	/* line/paragraph separators are escaped (JavaScript-safe) */
	MH_CHECK(
	    ESC(mh_esc_json, "\xe2\x80\xa8\xe2\x80\xa9", "\\u2028\\u2029"));
}

static void test_csv(void)
{
	MH_CHECK(ESC(mh_esc_csv, "", ""));
	MH_CHECK(ESC(mh_esc_csv, "plain", "plain"));
	MH_CHECK(ESC(mh_esc_csv, "a,b", "\"a,b\""));
	MH_CHECK(ESC(mh_esc_csv, "say \"hi\"", "\"say \"\"hi\"\"\""));
	MH_CHECK(ESC(mh_esc_csv, "\"", "\"\"\"\""));
	MH_CHECK(ESC(mh_esc_csv, "l1\nl2", "\"l1\nl2\""));
	MH_CHECK(ESC(mh_esc_csv, "l1\r\nl2", "\"l1\r\nl2\""));
	/* formula injection */
	MH_CHECK(ESC(mh_esc_csv, "=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"));
	MH_CHECK(ESC(mh_esc_csv, "+1+1", "'+1+1"));
	MH_CHECK(ESC(mh_esc_csv, "-2+3", "'-2+3"));
	MH_CHECK(ESC(mh_esc_csv, "@SUM(A1)", "'@SUM(A1)"));
	MH_CHECK(ESC(mh_esc_csv, "\t=1", "'\t=1"));
	MH_CHECK(ESC(mh_esc_csv, "\r=1", "\"'\r=1\""));
	MH_CHECK(ESC(mh_esc_csv, "=HYPERLINK(\"http://x\",\"y\")",
		     "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""));
	/* only the first character matters */
	MH_CHECK(ESC(mh_esc_csv, "a=b-c", "a=b-c"));
	MH_CHECK(ESC(mh_esc_csv, " =1", " =1"));
	/* bytes pass through unchanged otherwise */
	MH_CHECK(ESC(mh_esc_csv, "caf\xc3\xa9;x\\y", "caf\xc3\xa9;x\\y"));
}

static void test_term(void)
{
	MH_CHECK(ESC(mh_esc_term, "", ""));
	MH_CHECK(ESC(mh_esc_term, "C:\\x\\evil.exe -x \"q\"",
		     "C:\\x\\evil.exe -x \"q\""));
	MH_CHECK(
	    ESC(mh_esc_term, "\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"));
	MH_CHECK(ESC(mh_esc_term, "ok\rfake", "ok\\x0dfake"));
	MH_CHECK(ESC(mh_esc_term, "ab\b\bxy", "ab\\x08\\x08xy"));
	MH_CHECK(ESC(mh_esc_term, "bell\a", "bell\\x07"));
	MH_CHECK(ESC(mh_esc_term, "a\nb\tc", "a\\x0ab\\x09c"));
	MH_CHECK(ESC(mh_esc_term, "nul\0", "nul\\x00"));
	MH_CHECK(ESC(mh_esc_term, "del\x7f", "del\\x7f"));
	/* OSC title change */
	MH_CHECK(ESC(mh_esc_term, "\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"));
	/* C1 CSI as UTF-8 (U+009B) and as a raw byte */
	MH_CHECK(ESC(mh_esc_term,
		     "\xc2\x9b"
		     "31m",
		     "\\xc2\\x9b31m"));
	MH_CHECK(ESC(mh_esc_term,
		     "\x9b"
		     "31m",
		     "\\x9b31m"));
	MH_CHECK(ESC(mh_esc_term, "\xc2\x80\xc2\x9f", "\\xc2\\x80\\xc2\\x9f"));
	/* invalid UTF-8 */
	MH_CHECK(ESC(mh_esc_term,
		     "a\xff"
		     "b",
		     "a\\xffb"));
	MH_CHECK(ESC(mh_esc_term, "\xe2\x82", "\\xe2\\x82"));
	MH_CHECK(ESC(mh_esc_term, "\xc0\xaf", "\\xc0\\xaf"));
	/* valid UTF-8 passes, incl. U+00A0.. and 4-byte */
	MH_CHECK(ESC(mh_esc_term, "\xc2\xa0\xc3\xa9\xf0\x9f\x98\x80",
		     "\xc2\xa0\xc3\xa9\xf0\x9f\x98\x80"));
	/* bidi override (Trojan Source) is shown, not applied */
	MH_CHECK(ESC(mh_esc_term,
		     "a\xe2\x80\xae"
		     "b",
		     "a\\u202eb"));
	MH_CHECK(ESC(mh_esc_term, "\xe2\x81\xa6x", "\\u2066x"));
}

/* Strict UTF-8 check, independent of the code under test. */
static size_t utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i], cp, len;

		if (c < 0x80) {
			i++;
			continue;
		}
		len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		if (c < 0xc2 || c > 0xf4 || i + len > n)
			return 0;
		cp = c & (0x3f >> (len - 1));
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		if (cp <= 0x9f) /* C1 control */
			return 0;
		i += len;
	}
	return 1;
}

/* Escaped output of random bytes is always safe for its sink. */
static void test_random(void)
{
	uint32_t seed = 12345;
	unsigned char in[64];
	mh_buf b = {0};

	for (int round = 0; round < 5000; round++) {
		size_t n;

		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % sizeof(in);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			in[i] = (unsigned char)(seed >> 16);
			if ((seed >> 8) % 4 == 0) /* favour tricky bytes */
				in[i] =
				    (const unsigned char[]){0x1b, 0x9b, 0xc2,
							    0xe2, 0x80, 0xf0,
							    '"',  '\\', 0x7f,
							    '\r'}[(seed >> 4) %
								  10];
		}
		b.n = 0;
		MH_CHECK(mh_esc_term(&b, (const char *)in, n));
		MH_CHECK(utf8_ok((const unsigned char *)b.p, b.n));
		for (size_t i = 0; i < b.n; i++)
			MH_CHECK((unsigned char)b.p[i] >= 0x20 &&
				 b.p[i] != 0x7f);
		b.n = 0;
		MH_CHECK(mh_esc_json(&b, (const char *)in, n));
		MH_CHECK(utf8_ok((const unsigned char *)b.p, b.n));
		for (size_t i = 0; i < b.n; i++) {
			unsigned char c = (unsigned char)b.p[i];

			MH_CHECK(c >= 0x20 && c != 0x7f && c != '"');
			if (c == '\\') {
				MH_CHECK(i + 1 < b.n);
				if (i + 1 < b.n && b.p[i + 1] == 'u')
					i += 5;
				else
					i++;
			}
		}
	}
	mh_buf_free(&b);
}

/* The 16-byte spans (mh_out_span_none(), mh_out_span_ascii()) against a
 * byte-at-a-time reference, at every length and offset of random text
 * where the stop byte, if any, lies anywhere. */
static void test_spans(void)
{
	static const char set[4] = {',', '"', '\r', '\n'};
	const char pool[] = {'a',  'b',	       ',',	   '"', '\r',
			     '\n', ' ',	       '\\',	   ';', 0x1f,
			     0x7f, (char)0x80, (char)0xff, '~', 0};
	uint32_t seed = 99;
	char in[80];
	size_t bad = 0;

	for (int round = 0; round < 20000; round++) {
		size_t n, want_none = 0, want_ascii = 0;

		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % sizeof(in);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			/* mostly plain text: long runs before a stop */
			in[i] = (seed >> 16) % 23
				    ? 'x'
				    : pool[(seed >> 8) % sizeof(pool)];
		}
		while (want_none < n && !memchr(set, in[want_none], 4))
			want_none++;
		while (want_ascii < n &&
		       (unsigned char)in[want_ascii] >= 0x20 &&
		       (unsigned char)in[want_ascii] < 0x7f &&
		       in[want_ascii] != '"' && in[want_ascii] != '\\')
			want_ascii++;
		bad += mh_out_span_none(in, n, set) != want_none;
		bad += mh_out_span_ascii(in, n, '"', '\\') != want_ascii;
	}
	MH_CHECK_EQ_INT(bad, 0);
}

int main(void)
{
	MH_RUN(test_buf);
	MH_RUN(test_json);
	MH_RUN(test_csv);
	MH_RUN(test_term);
	MH_RUN(test_random);
	MH_RUN(test_spans);
	MH_DONE();
}
