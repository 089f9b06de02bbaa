#include "mh_test.h"
#include "util/ip.h"

#include <string.h>

static bool ip(const char *s, mh_ip *o)
{
	return mh_ip_parse(s, strlen(s), o);
}

static const char *fmt(const char *s)
{
	static char buf[64];
	mh_ip a;

	if (!ip(s, &a))
		return "(invalid)";
	mh_ip_format(&a, buf, sizeof(buf));
	return buf;
}

static bool in(const char *cidr, const char *addr)
{
	mh_cidr c;
	mh_ip a;

	if (!mh_cidr_parse(cidr, strlen(cidr), &c) || !ip(addr, &a))
		return false;
	return mh_cidr_contains(&c, &a);
}

static void test_v4(void)
{
	mh_ip a;

	MH_CHECK(ip("192.168.1.10", &a));
	MH_CHECK(a.v4);
	MH_CHECK_EQ_INT(a.b[10], 0xff);
	MH_CHECK_EQ_INT(a.b[11], 0xff);
	MH_CHECK_EQ_INT(a.b[12], 192);
	MH_CHECK_EQ_INT(a.b[15], 10);
	MH_CHECK(ip("0.0.0.0", &a));
	MH_CHECK(ip("255.255.255.255", &a));
	MH_CHECK_EQ_STR(fmt("10.1.2.3"), "10.1.2.3");
	/* invalid forms */
	MH_CHECK(!ip("256.1.1.1", &a));
	MH_CHECK(!ip("1.2.3", &a));
	MH_CHECK(!ip("1.2.3.4.5", &a));
	MH_CHECK(!ip("1.2.3.", &a));
	MH_CHECK(!ip(".1.2.3", &a));
	MH_CHECK(!ip("01.2.3.4", &a));
	MH_CHECK(!ip("1.2.3.4 ", &a));
	MH_CHECK(!ip("1..3.4", &a));
	MH_CHECK(!ip("1.2.3.1234", &a));
	MH_CHECK(!ip("a.b.c.d", &a));
	MH_CHECK(!ip("", &a));
	MH_CHECK(!ip("-", &a));
	MH_CHECK(!ip("1.2.3.4%eth0", &a));
	/* bounded: the length excludes the trailing garbage */
	MH_CHECK(mh_ip_parse("1.2.3.4XYZ", 7, &a));
	MH_CHECK_EQ_INT(a.b[15], 4);
}

static void test_v6(void)
{
	mh_ip a;

	MH_CHECK(ip("2001:db8::1", &a));
	MH_CHECK(!a.v4);
	MH_CHECK_EQ_INT(a.b[0], 0x20);
	MH_CHECK_EQ_INT(a.b[1], 0x01);
	MH_CHECK_EQ_INT(a.b[15], 1);
	MH_CHECK_EQ_STR(fmt("2001:0DB8:0000:0000:0000:0000:0000:0001"),
			"2001:db8::1");
	MH_CHECK_EQ_STR(fmt("::"), "::");
	MH_CHECK_EQ_STR(fmt("::1"), "::1");
	MH_CHECK_EQ_STR(fmt("1::"), "1::");
	MH_CHECK_EQ_STR(fmt("1:0:0:2:0:0:0:3"), "1:0:0:2::3");
	MH_CHECK_EQ_STR(fmt("1:0:0:2:0:0:3:4"), "1::2:0:0:3:4");
	MH_CHECK_EQ_STR(fmt("1:2:3:4:5:6:7:0"), "1:2:3:4:5:6:7:0");
	MH_CHECK_EQ_STR(fmt("fe80::1%eth0"), "fe80::1");
	MH_CHECK_EQ_STR(fmt("[2001:db8::2]"), "2001:db8::2");
	MH_CHECK_EQ_STR(fmt("[fe80::1%12]"), "fe80::1");
	MH_CHECK_EQ_STR(fmt("64:ff9b::192.0.2.33"), "64:ff9b::c000:221");
	MH_CHECK_EQ_STR(fmt("1:2:3:4:5:6:1.2.3.4"), "1:2:3:4:5:6:102:304");
	/* invalid forms */
	MH_CHECK(!ip(":::", &a));
	MH_CHECK(!ip("1:::2", &a));
	MH_CHECK(!ip("1::2::3", &a));
	MH_CHECK(!ip("1:2:3:4:5:6:7", &a));
	MH_CHECK(!ip("1:2:3:4:5:6:7:8:9", &a));
	MH_CHECK(!ip("1:2:3:4:5:6:7::8", &a));
	MH_CHECK(!ip("1:2:3:4:5:6:7:8::", &a));
	MH_CHECK(!ip("12345::1", &a));
	MH_CHECK(!ip("1:2:3:4:5:6:7:", &a));
	MH_CHECK(!ip(":1:2:3:4:5:6:7", &a));
	MH_CHECK(!ip("g::1", &a));
	MH_CHECK(!ip("::1%", &a));
	MH_CHECK(!ip("[::1", &a));
	MH_CHECK(!ip("::1.2.3", &a));
	MH_CHECK(!ip("1:2:3:4:5:6:7:1.2.3.4", &a));
	MH_CHECK(!ip("::1.2.3.4:5", &a));
	MH_CHECK(!ip("[]", &a));
}

static void test_mapped(void)
{
	mh_ip a, b;

	MH_CHECK(ip("::ffff:10.1.2.3", &a));
	MH_CHECK(ip("10.1.2.3", &b));
	MH_CHECK(memcmp(a.b, b.b, 16) == 0);
	MH_CHECK(!a.v4);
	MH_CHECK_EQ_STR(fmt("::ffff:10.1.2.3"), "::ffff:10.1.2.3");
	MH_CHECK_EQ_STR(fmt("::FFFF:a01:203"), "::ffff:10.1.2.3");
	MH_CHECK(in("10.0.0.0/8", "::ffff:10.1.2.3"));
	MH_CHECK(in("::ffff:10.0.0.0/104", "10.200.0.1"));
}

static void test_cidr(void)
{
	mh_cidr c;

	MH_CHECK(mh_cidr_parse("10.0.0.0/8", 10, &c));
	MH_CHECK_EQ_INT(c.bits, 104);
	MH_CHECK(in("10.0.0.0/8", "10.0.0.0"));
	MH_CHECK(in("10.0.0.0/8", "10.255.255.255"));
	MH_CHECK(!in("10.0.0.0/8", "11.0.0.0"));
	MH_CHECK(!in("10.0.0.0/8", "9.255.255.255"));
	MH_CHECK(in("192.168.0.0/16", "192.168.255.1"));
	MH_CHECK(!in("192.168.0.0/16", "192.169.0.1"));
	MH_CHECK(in("172.16.0.0/12", "172.31.255.255"));
	MH_CHECK(!in("172.16.0.0/12", "172.32.0.0"));
	MH_CHECK(in("10.1.2.3/8", "10.9.9.9")); /* host bits masked */
	MH_CHECK(in("1.2.3.4/32", "1.2.3.4"));
	MH_CHECK(!in("1.2.3.4/32", "1.2.3.5"));
	MH_CHECK(in("1.2.3.4", "1.2.3.4"));
	MH_CHECK(in("0.0.0.0/0", "8.8.8.8"));
	MH_CHECK(!in("0.0.0.0/0", "2001:db8::1"));
	MH_CHECK(in("10.0.0.0/31", "10.0.0.1"));
	MH_CHECK(!in("10.0.0.0/31", "10.0.0.2"));
	/* v6 */
	MH_CHECK(in("2001:db8::/32", "2001:db8:ffff::1"));
	MH_CHECK(!in("2001:db8::/32", "2001:db9::1"));
	MH_CHECK(in("fe80::/10", "febf::1"));
	MH_CHECK(!in("fe80::/10", "fec0::1"));
	MH_CHECK(in("::/0", "2001:db8::1"));
	MH_CHECK(in("::/0", "1.2.3.4"));
	MH_CHECK(in("::1/128", "::1"));
	MH_CHECK(!in("::1/128", "::2"));
	MH_CHECK(in("2001:db8::/127", "2001:db8::1"));
	MH_CHECK(!in("2001:db8::/127", "2001:db8::2"));
	/* invalid */
	MH_CHECK(!mh_cidr_parse("10.0.0.0/33", 11, &c));
	MH_CHECK(!mh_cidr_parse("10.0.0.0/", 9, &c));
	MH_CHECK(!mh_cidr_parse("10.0.0.0/08", 11, &c));
	MH_CHECK(!mh_cidr_parse("10.0.0.0/-1", 11, &c));
	MH_CHECK(!mh_cidr_parse("::/129", 6, &c));
	MH_CHECK(!mh_cidr_parse("/8", 2, &c));
	MH_CHECK(!mh_cidr_parse("10.0.0.0/8/8", 12, &c));
}

int main(void)
{
	MH_RUN(test_v4);
	MH_RUN(test_v6);
	MH_RUN(test_mapped);
	MH_RUN(test_cidr);
	MH_DONE();
}
