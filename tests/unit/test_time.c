#include "mh_test.h"
#include "util/splitmix.h"
#include "util/timefmt.h"

#include <string.h>

/* 2021-03-14T06:39:30Z */
#define T0 1615703970LL
#define S  1000000000LL

static bool tp(const char *s, int64_t *ns)
{
	return mh_time_parse(s, strlen(s), ns);
}

static int64_t tv(const char *s)
{
	int64_t ns = -1;

	if (!tp(s, &ns))
		return -1;
	return ns;
}

static const char *tf(int64_t ns)
{
	static char buf[48];

	mh_time_format(ns, buf, sizeof(buf));
	return buf;
}

static void test_civil(void)
{
	MH_CHECK_EQ_INT(mh_days_from_civil(1970, 1, 1), 0);
	MH_CHECK_EQ_INT(mh_days_from_civil(1970, 1, 2), 1);
	MH_CHECK_EQ_INT(mh_days_from_civil(1969, 12, 31), -1);
	MH_CHECK_EQ_INT(mh_days_from_civil(2000, 3, 1), 11017);
	MH_CHECK_EQ_INT(mh_days_from_civil(2021, 3, 14), T0 / 86400);
	MH_CHECK_EQ_INT(mh_days_from_civil(1900, 1, 1), -25567);
}

static void test_iso(void)
{
	MH_CHECK_EQ_INT(tv("2021-03-14T06:39:30Z"), T0 * S);
	MH_CHECK_EQ_INT(tv("2021-03-14T06:39:30.227Z"), T0 * S + 227000000);
	MH_CHECK_EQ_INT(tv("2021-03-14 06:39:30.227Z"), T0 * S + 227000000);
	MH_CHECK_EQ_INT(tv("2021-03-14t06:39:30z"), T0 * S);
	MH_CHECK_EQ_INT(tv("2021-03-14T06:39:30"), T0 * S);
	/* 7 digits (Defender), 9 digits, more than 9 truncated */
	MH_CHECK_EQ_INT(tv("2023-12-21T19:04:59.0109752Z"),
			1703185499LL * S + 10975200);
	MH_CHECK_EQ_INT(tv("2021-03-14T06:39:30.123456789Z"),
			T0 * S + 123456789);
	MH_CHECK_EQ_INT(tv("2021-03-14T06:39:30.1234567891234Z"),
			T0 * S + 123456789);
	MH_CHECK_EQ_INT(tv("2021-03-14T06:39:30.5"), T0 * S + 500000000);
	MH_CHECK_EQ_INT(tv("2021-03-14T06:39:30,5Z"), T0 * S + 500000000);
	/* Splunk _time rendering with a zone name */
	MH_CHECK_EQ_INT(tv("2021-03-14 06:39:30.227 UTC"), T0 * S + 227000000);
	MH_CHECK_EQ_INT(tv("2021-03-14 06:39:30 GMT"), T0 * S);
	MH_CHECK(tv("2021-03-14 06:39:30 CET") == -1);
	/* zones */
	MH_CHECK_EQ_INT(tv("2021-03-14T07:39:30+01:00"), T0 * S);
	MH_CHECK_EQ_INT(tv("2021-03-14T07:39:30+0100"), T0 * S);
	MH_CHECK_EQ_INT(tv("2021-03-14T01:09:30-05:30"), T0 * S);
	MH_CHECK_EQ_INT(tv("2021-03-14T01:09:30.227-0530"), T0 * S + 227000000);
	MH_CHECK_EQ_INT(tv("2021-03-14T06:39:30+00:00"), T0 * S);
	/* Sysmon UtcTime */
	MH_CHECK_EQ_INT(tv("2021-03-14 06:39:30.227"), T0 * S + 227000000);
	/* leap day and leap second */
	MH_CHECK_EQ_INT(tv("2020-02-29T00:00:00Z"),
			mh_days_from_civil(2020, 2, 29) * 86400 * S);
	MH_CHECK_EQ_INT(tv("2000-02-29T00:00:00Z"), 951782400LL * S);
	MH_CHECK_EQ_INT(tv("2016-12-31T23:59:60Z"), 1483228800LL * S);
	MH_CHECK_EQ_INT(tv("1969-12-31T23:59:59.5Z"), -S / 2);
	/* surrounding blanks are tolerated */
	MH_CHECK_EQ_INT(tv(" 2021-03-14T06:39:30Z "), T0 * S);
}

static void test_invalid(void)
{
	int64_t ns;

	MH_CHECK(!tp("2021-02-29T00:00:00Z", &ns));
	MH_CHECK(!tp("1900-02-29T00:00:00Z", &ns));
	MH_CHECK(!tp("2021-04-31T00:00:00Z", &ns));
	MH_CHECK(!tp("2021-13-01T00:00:00Z", &ns));
	MH_CHECK(!tp("2021-00-01T00:00:00Z", &ns));
	MH_CHECK(!tp("2021-01-00T00:00:00Z", &ns));
	MH_CHECK(!tp("2021-01-01T24:00:00Z", &ns));
	MH_CHECK(!tp("2021-01-01T23:60:00Z", &ns));
	MH_CHECK(!tp("2021-01-01T23:59:61Z", &ns));
	MH_CHECK(!tp("2021-01-01T23:59:59.Z", &ns));
	MH_CHECK(!tp("2021-01-01T23:59:59ZZ", &ns));
	MH_CHECK(!tp("2021-01-01T23:59:59+25:00", &ns));
	MH_CHECK(!tp("2021-01-01T23:59:59+01:60", &ns));
	MH_CHECK(!tp("2021-01-01T23:59:59+1", &ns));
	MH_CHECK(!tp("2021-01-01T23:59", &ns));
	MH_CHECK(!tp("2021-01-01", &ns));
	MH_CHECK(!tp("2021-1-01T00:00:00Z", &ns));
	MH_CHECK(!tp("2021-01-01X00:00:00Z", &ns));
	MH_CHECK(!tp("3000-01-01T00:00:00Z", &ns)); /* past int64 ns */
	MH_CHECK(!tp("", &ns));
	MH_CHECK(!tp("now", &ns));
	MH_CHECK(!tp("-", &ns));
	MH_CHECK(!tp("12a", &ns));
	MH_CHECK(!tp("1543877987.", &ns));
	MH_CHECK(!tp("1543877987.38a", &ns));
	MH_CHECK(!tp("99999999999999999999", &ns));
	MH_CHECK(!tp("2/30/2021 6:39:30 AM", &ns));
	MH_CHECK(!tp("3/14/2021 13:39:30 PM", &ns));
	MH_CHECK(!tp("3/14/2021 0:39:30 AM", &ns));
	MH_CHECK(!tp("3/14/2021 6:39:30 XM", &ns));
	MH_CHECK(!tp("3/14/21 6:39:30 AM", &ns));
	/* bounded: n excludes the rest */
	MH_CHECK(mh_time_parse("2021-03-14T06:39:30Zjunk", 20, &ns));
	MH_CHECK_EQ_INT(ns, T0 * S);
}

static void test_epoch(void)
{
	MH_CHECK_EQ_INT(tv("1543877987.381899"), 1543877987381899000LL);
	MH_CHECK_EQ_INT(tv("1543877987"), 1543877987LL * S);
	MH_CHECK_EQ_INT(tv("0"), 0);
	MH_CHECK_EQ_INT(tv("1615703970227"), T0 * S + 227000000);
	MH_CHECK_EQ_INT(tv("1615703970227123"), T0 * S + 227123000);
	MH_CHECK_EQ_INT(tv("1615703970227123456"), T0 * S + 227123456);
	MH_CHECK_EQ_INT(tv("9000000000"), 9000000000LL * S);
	/* seconds past the int64 ns range are rejected, not wrapped */
	MH_CHECK_EQ_INT(tv("99999999999"), -1);
	MH_CHECK_EQ_INT(tv("100000000000"), 100000000000LL * 1000000);
	MH_CHECK_EQ_INT(tv("1615703970227.5"), T0 * S + 227500000);
}

static void test_us(void)
{
	MH_CHECK_EQ_INT(tv("3/14/2021 6:39:30.227 AM"), T0 * S + 227000000);
	MH_CHECK_EQ_INT(tv("3/14/2021 6:39:30 PM"), (T0 + 12 * 3600) * S);
	MH_CHECK_EQ_INT(tv("03/14/2021 12:39:30 AM"), (T0 - 6 * 3600) * S);
	MH_CHECK_EQ_INT(tv("3/14/2021 12:39:30 pm"), (T0 + 6 * 3600) * S);
	MH_CHECK_EQ_INT(tv("3/14/2021 06:39:30"), T0 * S);
	MH_CHECK_EQ_INT(tv("2/29/2020 0:00:00"),
			mh_days_from_civil(2020, 2, 29) * 86400 * S);
}

static void test_format(void)
{
	const char *in[] = {
	    "2021-03-14T06:39:30Z",	      "2021-03-14T06:39:30.227Z",
	    "2021-03-14T06:39:30.227100Z",    "2021-03-14T06:39:30.000000001Z",
	    "2023-12-21T19:04:59.010975200Z", "1969-12-31T23:59:59.500Z",
	    "1970-01-01T00:00:00Z",	      "2020-02-29T23:59:59.999999999Z",
	};
	char buf[48];

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		int64_t ns;
		MH_CHECK(tp(in[i], &ns));
		MH_CHECK_EQ_STR(tf(ns), in[i]);
	}
	MH_CHECK_EQ_STR(tf(T0 * S + 227000000), "2021-03-14T06:39:30.227Z");
	MH_CHECK_EQ_INT(mh_time_format(T0 * S, buf, sizeof(buf)), 20);
	MH_CHECK_EQ_STR(tf(-1), "1969-12-31T23:59:59.999999999Z");
	/* truncates to cap, NUL-terminated */
	MH_CHECK_EQ_INT(mh_time_format(T0 * S, buf, 5), 4);
	MH_CHECK_EQ_STR(buf, "2021");
}

/* format then parse gives the instant back, for random instants of
 * the years an int64_t of nanoseconds holds (1678 to 2261), with each
 * fraction form. */
static void test_format_random(void)
{
	mh_rng rng = {0x9e3779b97f4a7c15ULL};

	for (int i = 0; i < 100000; i++) {
		int64_t ns, back = 0, lo = -9200000000LL, hi = 9200000000LL;
		char buf[48];
		size_t n;
		uint64_t x = mh_rng_next(&rng);
		ns = (lo + (int64_t)(x % (uint64_t)(hi - lo))) * S;
		switch (i % 4) {
		case 1:
			ns += (int64_t)(x >> 40) % 1000 * 1000000;
			break;
		case 2:
			ns += (int64_t)(x >> 30) % 1000000 * 1000;
			break;
		case 3:
			ns += (int64_t)(x >> 20) % 1000000000;
			break;
		}
		n = mh_time_format(ns, buf, sizeof(buf));
		MH_CHECK(n >= 20 && n < sizeof(buf));
		MH_CHECK(tp(buf, &back));
		if (back != ns) {
			MH_CHECK_EQ_STR(buf, "(round trip)");
			break;
		}
	}
}

static void test_duration(void)
{
	int64_t ns;

	MH_CHECK(mh_duration_parse("30s", 3, &ns));
	MH_CHECK_EQ_INT(ns, 30 * S);
	MH_CHECK(mh_duration_parse("5m", 2, &ns));
	MH_CHECK_EQ_INT(ns, 300 * S);
	MH_CHECK(mh_duration_parse("24h", 3, &ns));
	MH_CHECK_EQ_INT(ns, 86400 * S);
	MH_CHECK(mh_duration_parse("7d", 2, &ns));
	MH_CHECK_EQ_INT(ns, 7 * 86400 * S);
	MH_CHECK(mh_duration_parse("250ms", 5, &ns));
	MH_CHECK_EQ_INT(ns, 250000000);
	MH_CHECK(!mh_duration_parse("", 0, &ns));
	MH_CHECK(!mh_duration_parse("s", 1, &ns));
	MH_CHECK(!mh_duration_parse("10", 2, &ns));
	MH_CHECK(!mh_duration_parse("10x", 3, &ns));
	MH_CHECK(!mh_duration_parse("10 s", 4, &ns));
	MH_CHECK(!mh_duration_parse("-5m", 3, &ns));
	MH_CHECK(!mh_duration_parse("5mm", 3, &ns));
	MH_CHECK(!mh_duration_parse("1.5h", 4, &ns));
	MH_CHECK(!mh_duration_parse("999999999999d", 13, &ns));
	MH_CHECK(!mh_duration_parse("9999999999999999999s", 20, &ns));
}

int main(void)
{
	MH_RUN(test_civil);
	MH_RUN(test_iso);
	MH_RUN(test_invalid);
	MH_RUN(test_epoch);
	MH_RUN(test_us);
	MH_RUN(test_format);
	MH_RUN(test_format_random);
	MH_RUN(test_duration);
	MH_DONE();
}
