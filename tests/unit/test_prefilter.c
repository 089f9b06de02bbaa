/* The JSON reader's prefilter fast path (issue 4): lines whose
 * prefilter-field value is certainly outside the set are skipped without
 * a parse, their time still found exactly; everything unsure is parsed.
 * Also the source's release of consumed pages (the memory-cap logic). */
#include "input/input.h"
#include "mh_test.h"
#include "util/timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const int64_t MAIL[] = {25, 110, 143, 465, 587, 993, 995};

typedef struct pres {
	uint64_t lines[64]; /* lines returned as events */
	size_t n;
	mh_reader_stats stats;
	bool have_t;
	int64_t t;
	uint64_t bad;
} pres;

static void on_bad(void *ud, const char *file, uint64_t line, const char *why)
{
	(void)file;
	(void)line;
	(void)why;
	((pres *)ud)->bad++;
}

/* The disjunctive form (issue 4) for pf_run(): or the port unset, or
 * Service set. */
static bool g_unset, g_str;

/* Read text with the JSON reader and the mail-port prefilter on
 * DestinationPort. since/until: optional bounds (NULL = none). */
static void pf_run(pres *o, const char *text, const char *since,
		   const char *until)
{
	mh_source *s = NULL;
	mh_reader r;
	mh_event ev;
	mh_arena a;
	mh_rc rc;

	memset(o, 0, sizeof(*o));
	memset(&r, 0, sizeof(r));
	memset(&ev, 0, sizeof(ev));
	mh_arena_init(&a, 4096, 0);
	ev.arena = &a;
	MH_CHECK(mh_source_open_mem("t", text, strlen(text), &s, NULL) ==
		 MH_OK);
	r.ops = &mh_input_json;
	r.src = s;
	r.on_malformed = on_bad;
	r.ud = o;
	MH_CHECK(r.ops->open(&r, NULL) == MH_OK);
	r.pf_field = MH_F_DESTINATION_PORT;
	r.pf_vals = MAIL;
	r.pf_n = sizeof(MAIL) / sizeof(MAIL[0]);
	r.pf_allow_unset = g_unset;
	r.pf_str_set = g_str;
	r.pf_str_field = MH_F_SERVICE;
	if (since) {
		r.pf_since_set = true;
		MH_CHECK(mh_time_parse(since, strlen(since), &r.pf_since_ns));
	}
	if (until) {
		r.pf_until_set = true;
		MH_CHECK(mh_time_parse(until, strlen(until), &r.pf_until_ns));
	}
	while ((rc = r.ops->next(&r, &ev, NULL)) == MH_OK)
		if (o->n < 64)
			o->lines[o->n++] = ev.line;
	MH_CHECK(rc == MH_EOF);
	o->stats = r.stats;
	o->have_t = r.skip_time_set;
	o->t = r.skip_time_ns;
	r.ops->close(&r);
	mh_source_close(s);
	mh_arena_free(&a);
}

static int64_t T(const char *s)
{
	int64_t v = 0;
	MH_CHECK(mh_time_parse(s, strlen(s), &v));
	return v;
}

/* The first line is always parsed (it picks the dialect). */
#define MDE1                                                                   \
	"{\"Timestamp\":\"2024-05-01T00:00:00Z\",\"DeviceName\":\"a\","        \
	"\"RemotePort\":443}\n"

static void test_basic_skip_and_time(void)
{
	pres o;

	pf_run(
	    &o,
	    MDE1
	    "{\"Timestamp\":\"2024-05-01T00:00:05Z\",\"RemotePort\":443}\n"
	    "{\"Timestamp\":\"2024-05-01T00:00:03Z\",\"RemotePort\":\"25\"}\n"
	    "{\"Timestamp\":\"2024-05-01T00:00:02Z\",\"DeviceName\":\"x\"}\n"
	    "{\"Timestamp\": \"2024-05-01T00:00:01Z\", \"RemotePort\" : 993 "
	    "}\n",
	    NULL, NULL);
	MH_CHECK_EQ_INT(o.n, 3);
	MH_CHECK_EQ_INT(o.lines[0], 1);
	MH_CHECK_EQ_INT(o.lines[1], 3);	     /* quoted number in the set */
	MH_CHECK_EQ_INT(o.lines[2], 5);	     /* spaces around ':' */
	MH_CHECK_EQ_INT(o.stats.skipped, 2); /* port 443, key absent */
	MH_CHECK_EQ_INT(o.stats.records, 3);
	MH_CHECK(o.have_t);
	MH_CHECK_EQ_INT(o.t, T("2024-05-01T00:00:05Z"));
}

static void test_since_until_bound_skip_time(void)
{
	pres o;
	const char *in =
	    MDE1 "{\"Timestamp\":\"2024-05-01T00:00:09Z\",\"RemotePort\":80}\n"
		 "{\"Timestamp\":\"2024-05-01T00:00:04Z\",\"RemotePort\":80}\n";

	pf_run(&o, in, NULL, "2024-05-01T00:00:05Z");
	MH_CHECK_EQ_INT(o.stats.skipped, 2);
	MH_CHECK(o.have_t);
	MH_CHECK_EQ_INT(o.t, T("2024-05-01T00:00:04Z"));
	pf_run(&o, in, "2024-05-01T00:00:10Z", NULL);
	MH_CHECK_EQ_INT(o.stats.skipped, 2);
	MH_CHECK(!o.have_t);
}

static void test_escapes_and_strings(void)
{
	pres o;

	pf_run(&o,
	       MDE1
	       /* 2: the key text inside a string (escaped quotes) holds a
		* mail port: not a key (its quote is escaped), skipped. */
	       "{\"Timestamp\":\"2024-05-01T00:00:01Z\",\"DeviceName\":"
	       "\"\\\"RemotePort\\\":25\",\"RemotePort\":80}\n"
	       /* 3: the real key is in the set behind a string holding
		* the key text with another port. */
	       "{\"Timestamp\":\"2024-05-01T00:00:01Z\","
	       "\"InitiatingProcessCommandLine\":"
	       "\"\\\"x.exe\\\" \\\"RemotePort\\\":80\",\"RemotePort\":587}\n"
	       /* 4: an escaped value: unsure, parsed (it is 25). */
	       "{\"Timestamp\":\"2024-05-01T00:00:01Z\",\"RemotePort\":"
	       "\"\\u0032\\u0035\"}\n"
	       /* 5: an escaped key: parsed. */
	       "{\"Timestamp\":\"2024-05-01T00:00:01Z\",\"Remote\\u0050ort\":"
	       "25}\n"
	       /* 6: backslashes that are not \\u escapes: skipped. */
	       "{\"Timestamp\":\"2024-05-01T00:00:01Z\","
	       "\"InitiatingProcessFolderPath\":"
	       "\"c:\\\\users\\\\x.exe\",\"RemotePort\":80}\n"
	       /* 7: an array value: unsure, parsed. */
	       "{\"Timestamp\":\"2024-05-01T00:00:01Z\",\"RemotePort\":[80]}\n",
	       NULL, NULL);
	MH_CHECK_EQ_INT(o.n, 5);
	MH_CHECK_EQ_INT(o.lines[1], 3);
	MH_CHECK_EQ_INT(o.lines[2], 4);
	MH_CHECK_EQ_INT(o.lines[3], 5);
	MH_CHECK_EQ_INT(o.lines[4], 7);
	MH_CHECK_EQ_INT(o.stats.skipped, 2);
}

static void test_time_exact(void)
{
	pres o;

	pf_run(&o,
	       MDE1
	       /* nested and in-string time keys are not the record's */
	       "{\"x\":{\"Timestamp\":\"2030-01-01T00:00:00Z\"},\"DeviceName\":"
	       "\"\\\"Timestamp\\\":\\\"2031-01-01T00:00:00Z\\\"\","
	       "\"Timestamp\":\"2024-05-01T00:00:07Z\",\"RemotePort\":80}\n"
	       /* only a nested time: parsed (an event without time) */
	       "{\"x\":{\"Timestamp\":\"2032-01-01T00:00:00Z\"},\"RemotePort\":"
	       "80}\n"
	       /* two records on one line: parsed, both are events */
	       "{\"Timestamp\":\"2024-05-01T00:00:01Z\",\"RemotePort\":80} "
	       "{\"Timestamp\":\"2033-01-01T00:00:00Z\",\"RemotePort\":80}\n"
	       /* an unparsable time: no time, so parsed */
	       "{\"Timestamp\":\"soon\",\"RemotePort\":80}\n",
	       NULL, NULL);
	MH_CHECK_EQ_INT(o.stats.skipped, 1);
	MH_CHECK_EQ_INT(o.n, 5);
	MH_CHECK(o.have_t);
	MH_CHECK_EQ_INT(o.t, T("2024-05-01T00:00:07Z"));
}

static void test_sysmon_prefix_and_priority(void)
{
	pres o;

	pf_run(&o,
	       "{\"EventID\":3,\"UtcTime\":\"2024-05-01 00:00:00.000\","
	       "\"Hostname\":\"h\",\"DestinationPort\":\"443\"}\n"
	       /* 2: DestinationPortName is not DestinationPort */
	       "{\"EventID\":3,\"UtcTime\":\"2024-05-01 00:00:02.000\","
	       "\"DestinationPort\":\"443\",\"DestinationPortName\":\"25\"}\n"
	       /* 3: in the set after a Name key */
	       "{\"EventID\":3,\"UtcTime\":\"2024-05-01 00:00:03.000\","
	       "\"DestinationPortName\":\"smtp\",\"DestinationPort\":\"25\"}\n"
	       /* 4: UtcTime (prio 0) wins over @timestamp (prio 1) */
	       "{\"EventID\":3,\"@timestamp\":\"2030-01-01T00:00:00Z\","
	       "\"UtcTime\":\"2024-05-01 00:00:04.000\","
	       "\"DestinationPort\":\"80\"}\r\n",
	       NULL, NULL);
	MH_CHECK_EQ_INT(o.n, 2);
	MH_CHECK_EQ_INT(o.lines[1], 3);
	MH_CHECK_EQ_INT(o.stats.skipped, 2);
	MH_CHECK(o.have_t);
	MH_CHECK_EQ_INT(o.t, T("2024-05-01T00:00:04Z"));
}

static void test_malformed_not_validated(void)
{
	pres o;

	pf_run(&o,
	       MDE1
	       "{\"Timestamp\":\"2024-05-01T00:00:01Z\",\"RemotePort\":80,,}\n"
	       "{\"Timestamp\":\"2024-05-01T00:00:01Z\",\"RemotePort\":25,,}\n",
	       NULL, NULL);
	MH_CHECK_EQ_INT(o.stats.skipped, 1);   /* not in the set: skipped */
	MH_CHECK_EQ_INT(o.stats.malformed, 1); /* in the set: reported */
	MH_CHECK_EQ_INT(o.bad, 1);
}

/* A mapped regular file gives back consumed pages every few MiB. */
static void test_source_releases_pages(void)
{
	char path[] = "/tmp/mh_pf_XXXXXX";
	int fd = mkstemp(path);
	char line[200];
	size_t len, total = 0;
	FILE *f;
	mh_source *s = NULL;
	mh_str l;
	uint64_t no, n = 0;

	MH_CHECK(fd >= 0);
	if (fd < 0)
		return;
	f = fdopen(fd, "w");
	memset(line, 'x', sizeof(line));
	line[sizeof(line) - 1] = '\n';
	len = sizeof(line);
	while (total < (40u << 20)) {
		fwrite(line, 1, len, f);
		total += len;
	}
	fclose(f);
	MH_CHECK(mh_source_open(path, NULL, &s, NULL) == MH_OK);
	MH_CHECK_EQ_INT(mh_source_released(s), 0);
	while (mh_source_line(s, &l, &no, NULL) == MH_OK)
		n++;
	MH_CHECK_EQ_INT(n, total / len);
	/* all but the last step (8 MiB) and page edges */
	MH_CHECK(mh_source_released(s) >= total - (9u << 20));
	MH_CHECK(mh_source_released(s) <= total);
	mh_source_close(s);
	unlink(path);
}

/* The chunk splitter: newline boundaries, a line longer than a chunk,
 * no trailing newline; slices read back to the same lines. */
static void test_split_chunks(void)
{
	const char *t = "aa\nbbbbbbbbbbbbbbbbbbbb\nc\n\ndd";
	size_t len = strlen(t), off = 0, k = 0;
	size_t ends[16];
	mh_source *whole = NULL;
	uint64_t total = 0;

	MH_CHECK_EQ_INT(mh_split_chunk(t, len, 0, 1), 3); /* "aa\n" */
	MH_CHECK_EQ_INT(mh_split_chunk(t, len, 0, 3), 3);
	MH_CHECK_EQ_INT(mh_split_chunk(t, len, 0, 4), 24); /* long line */
	MH_CHECK_EQ_INT(mh_split_chunk(t, len, 3, 2), 24);
	MH_CHECK_EQ_INT(mh_split_chunk(t, len, 24, 2), 26);  /* "c\n" */
	MH_CHECK_EQ_INT(mh_split_chunk(t, len, 26, 1), 27);  /* "\n" */
	MH_CHECK_EQ_INT(mh_split_chunk(t, len, 27, 1), len); /* no '\n' */
	MH_CHECK_EQ_INT(mh_split_chunk(t, len, 0, 1000), len);
	MH_CHECK_EQ_INT(mh_split_chunk(t, len, len, 4), len);
	while (off < len && k < 16) {
		ends[k] = mh_split_chunk(t, len, off, 2);
		MH_CHECK(ends[k] > off);
		MH_CHECK(ends[k] == len || t[ends[k] - 1] == '\n');
		off = ends[k++];
	}
	MH_CHECK_EQ_INT(k, 4); /* "aa", the long line, "c", "" + "dd" */
	/* Slices: line numbers restart at 1 (or at the base given). */
	MH_CHECK(mh_source_open_mem("w", t, len, &whole, NULL) == MH_OK);
	off = 0;
	for (size_t i = 0; i < k; i++) {
		mh_source *sl = NULL;
		mh_str l;
		uint64_t no;

		MH_CHECK(mh_source_open_slice(whole, off, ends[i] - off, &sl,
					      NULL) == MH_OK);
		if (!sl)
			break;
		MH_CHECK_EQ_STR(mh_source_name(sl), "w");
		mh_source_set_line(sl, total);
		while (mh_source_line(sl, &l, &no, NULL) == MH_OK)
			MH_CHECK_EQ_INT(no, ++total);
		MH_CHECK_EQ_INT(mh_source_lines(sl), total);
		mh_source_close(sl);
		off = ends[i];
	}
	MH_CHECK_EQ_INT(total, 5);
	{
		mh_source *sl = NULL;
		MH_CHECK(mh_source_open_slice(whole, 10, len, &sl, NULL) ==
			 MH_EINVAL);
		MH_CHECK(sl == NULL);
	}
	mh_source_close(whole);
}

/* A reader resumed on a later slice skips from its first line. */
static void test_resume_dialect(void)
{
	const char *t =
	    "{\"Timestamp\":\"2024-05-01T00:00:05Z\",\"RemotePort\":80}\n"
	    "{\"Timestamp\":\"2024-05-01T00:00:06Z\",\"RemotePort\":25}\n";
	mh_source *s = NULL;
	mh_reader r;
	mh_event ev;
	mh_arena a;

	memset(&r, 0, sizeof(r));
	memset(&ev, 0, sizeof(ev));
	mh_arena_init(&a, 4096, 0);
	ev.arena = &a;
	MH_CHECK(mh_source_open_mem("t", t, strlen(t), &s, NULL) == MH_OK);
	r.ops = &mh_input_json;
	r.src = s;
	MH_CHECK(r.ops->open(&r, NULL) == MH_OK);
	MH_CHECK(mh_input_json_is_ndjson(&r));
	mh_input_json_resume(&r, "mde");
	MH_CHECK_EQ_STR(r.dialect, "mde");
	r.pf_field = MH_F_DESTINATION_PORT;
	r.pf_vals = MAIL;
	r.pf_n = sizeof(MAIL) / sizeof(MAIL[0]);
	MH_CHECK(r.ops->next(&r, &ev, NULL) == MH_OK);
	MH_CHECK_EQ_INT(ev.line, 2);
	MH_CHECK(r.ops->next(&r, &ev, NULL) == MH_EOF);
	MH_CHECK_EQ_INT(r.stats.skipped, 1);
	MH_CHECK_EQ_INT(r.skip_time_ns, T("2024-05-01T00:00:05Z"));
	r.ops->close(&r);
	mh_source_close(s);
	mh_arena_free(&a);
}

/* Times of skipped lines in the plain ISO layout are compared as text
 * and parsed only when a record is handed out: the value must still be
 * exact at every return. */
static void test_lazy_time_exact_at_each_return(void)
{
	const char *t = MDE1
	    "{\"Timestamp\":\"2024-05-01T00:00:05.1234567Z\",\"RemotePort\":80}"
	    "\n"
	    "{\"Timestamp\":\"2024-05-01T00:00:09.0000001Z\",\"RemotePort\":80}"
	    "\n"
	    "{\"Timestamp\":\"2024-05-01T00:00:07.5555555Z\",\"RemotePort\":80}"
	    "\n"
	    "{\"Timestamp\":\"2024-05-30T00:00:01.0000000Z\",\"RemotePort\":80}"
	    "\n"
	    "{\"Timestamp\":\"2024-13-01T00:00:00.0000000Z\",\"RemotePort\":80}"
	    "\n"
	    "{\"Timestamp\":\"2024-05-30T00:00:02.0000000Z\",\"RemotePort\":80}"
	    "\n"
	    "{\"Timestamp\":\"2024-05-03T00:00:00.0000000Z\",\"RemotePort\":80}"
	    "\n"
	    "{\"Timestamp\":\"2024-05-31T00:00:00.000Z\",\"RemotePort\":25}\n"
	    "{\"Timestamp\":\"2024-05-30T23:59:59.9999999Z\",\"RemotePort\":80}"
	    "\n";
	mh_source *s = NULL;
	mh_reader r;
	mh_event ev;
	mh_arena a;

	memset(&r, 0, sizeof(r));
	memset(&ev, 0, sizeof(ev));
	mh_arena_init(&a, 4096, 0);
	ev.arena = &a;
	MH_CHECK(mh_source_open_mem("t", t, strlen(t), &s, NULL) == MH_OK);
	r.ops = &mh_input_json;
	r.src = s;
	MH_CHECK(r.ops->open(&r, NULL) == MH_OK);
	r.pf_field = MH_F_DESTINATION_PORT;
	r.pf_vals = MAIL;
	r.pf_n = sizeof(MAIL) / sizeof(MAIL[0]);
	MH_CHECK(r.ops->next(&r, &ev, NULL) == MH_OK);
	MH_CHECK_EQ_INT(ev.line, 1);
	MH_CHECK(!r.skip_time_set);
	/* line 6: an invalid month has no time, so it is parsed */
	MH_CHECK(r.ops->next(&r, &ev, NULL) == MH_OK);
	MH_CHECK_EQ_INT(ev.line, 6);
	MH_CHECK(!mh_event_has(&ev, MH_F_TIME));
	MH_CHECK(r.skip_time_set);
	MH_CHECK_EQ_INT(r.skip_time_ns, T("2024-05-30T00:00:01Z"));
	MH_CHECK(r.ops->next(&r, &ev, NULL) == MH_OK);
	MH_CHECK_EQ_INT(ev.line, 9);
	MH_CHECK_EQ_INT(r.skip_time_ns, T("2024-05-30T00:00:02Z"));
	MH_CHECK(r.ops->next(&r, &ev, NULL) == MH_EOF);
	MH_CHECK_EQ_INT(r.skip_time_ns, T("2024-05-30T23:59:59.9999999Z"));
	MH_CHECK_EQ_INT(r.stats.skipped, 7);
	MH_CHECK_EQ_INT(r.stats.records, 3);
	r.ops->close(&r);
	mh_source_close(s);
	mh_arena_free(&a);
}

/* pf_allow_unset: only a line whose port is certainly set (a top-level
 * key holding an integer) outside the set is skipped, and only when it
 * is a valid flat object without an ICMP protocol. */
static void test_unset_allowed(void)
{
	pres o;

	g_unset = true;
	pf_run(&o,
	       MDE1
	       /* 2: port 443: skipped */
	       "{\"Timestamp\":\"2024-05-01T00:00:01Z\",\"RemotePort\":443,"
	       "\"Protocol\":\"Tcp\"}\n"
	       /* 3: no port key: parsed (an evidence record) */
	       "{\"Timestamp\":\"2024-05-01T00:00:02Z\",\"DeviceName\":\"x\"}\n"
	       /* 4: null, 5: not a number, 6: nested only: parsed */
	       "{\"Timestamp\":\"2024-05-01T00:00:03Z\",\"RemotePort\":null}\n"
	       "{\"Timestamp\":\"2024-05-01T00:00:04Z\",\"RemotePort\":\"-\"}\n"
	       "{\"Timestamp\":\"2024-05-01T00:00:05Z\",\"X\":{\"RemotePort\":"
	       "80}}\n"
	       /* 7: ICMP (normalise unsets the ports): parsed */
	       "{\"Timestamp\":\"2024-05-01T00:00:06Z\",\"RemotePort\":80,"
	       "\"Protocol\":\"Icmp\"}\n"
	       /* 8: malformed (doubled comma): parsed, so reported */
	       "{\"Timestamp\":\"2024-05-01T00:00:07Z\",\"RemotePort\":80,,}\n"
	       /* 9: port 8080 with spaces: skipped */
	       "{ \"Timestamp\" : \"2024-05-01T00:00:08Z\" , \"RemotePort\" : "
	       "\"8080\" }\n",
	       NULL, NULL);
	g_unset = false;
	MH_CHECK_EQ_INT(o.n, 6);
	MH_CHECK_EQ_INT(o.lines[0], 1);
	MH_CHECK_EQ_INT(o.lines[1], 3);
	MH_CHECK_EQ_INT(o.lines[2], 4);
	MH_CHECK_EQ_INT(o.lines[3], 5);
	MH_CHECK_EQ_INT(o.lines[4], 6);
	MH_CHECK_EQ_INT(o.lines[5], 7);
	MH_CHECK_EQ_INT(o.bad, 1);
	MH_CHECK_EQ_INT(o.stats.skipped, 2);
	MH_CHECK(o.have_t);
	MH_CHECK_EQ_INT(o.t, T("2024-05-01T00:00:08Z"));
}

/* pf_str_set (Service): a line with a Service key is parsed whatever its
 * port (Splunk CIM: app). */
#define SPL1                                                                   \
	"{\"_time\":\"2024-05-01T00:00:00Z\",\"sourcetype\":\"x\","            \
	"\"index\":\"n\",\"dest_ip\":\"192.0.2.1\",\"src_ip\":\"10.0.0.1\","   \
	"\"dest_port\":443}\n"

static void test_service_kept(void)
{
	pres o;

	g_unset = g_str = true;
	pf_run(&o,
	       SPL1
	       /* 2: smtp on port 8025: parsed */
	       "{\"_time\":\"2024-05-01T00:00:01Z\",\"dest_port\":8025,"
	       "\"app\":\"smtp\"}\n"
	       /* 3: no app, port 443: skipped */
	       "{\"_time\":\"2024-05-01T00:00:02Z\",\"dest_port\":443}\n"
	       /* 4: app http: parsed too (any Service key keeps the line) */
	       "{\"_time\":\"2024-05-01T00:00:03Z\",\"dest_port\":443,"
	       "\"app\":\"http\"}\n",
	       NULL, NULL);
	g_unset = g_str = false;
	MH_CHECK_EQ_INT(o.n, 3);
	MH_CHECK_EQ_INT(o.lines[1], 2);
	MH_CHECK_EQ_INT(o.lines[2], 4);
	MH_CHECK_EQ_INT(o.stats.skipped, 1);
	MH_CHECK_EQ_INT(o.bad, 0);
}

int main(void)
{
	MH_RUN(test_unset_allowed);
	MH_RUN(test_service_kept);
	MH_RUN(test_lazy_time_exact_at_each_return);
	MH_RUN(test_split_chunks);
	MH_RUN(test_resume_dialect);
	MH_RUN(test_basic_skip_and_time);
	MH_RUN(test_since_until_bound_skip_time);
	MH_RUN(test_escapes_and_strings);
	MH_RUN(test_time_exact);
	MH_RUN(test_sysmon_prefix_and_priority);
	MH_RUN(test_malformed_not_validated);
	MH_RUN(test_source_releases_pages);
	MH_DONE();
}
