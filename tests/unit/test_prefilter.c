/* The JSON reader's prefilter fast path (issue 4): lines whose
 * prefilter-field value is certainly outside the set are skipped without
 * a parse, their time still found exactly; everything unsure is parsed.
 * Also the source's release of consumed pages (the memory-cap logic). */
#include "input/input.h"
#include "mh_test.h"
#include "sbuf.h"
#include "util/timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const int64_t MAIL[] = {25, 110, 143, 465, 587, 993, 995};

typedef struct pres {
	uint64_t lines[64]; /* lines returned as events */
	size_t n;
	uint64_t nall, hall; /* all events: count and a hash of lines */
	/* optional (the random test): lines of events the prefilter must
	 * keep (port in the set; with g_unset also unset or maybe ICMP) */
	uint64_t *keep;
	size_t nkeep, capkeep;
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
 * Service set. g_unset_proto (with g_unset): the port may be unset while
 * a Protocol is set (a rule on `not DestinationPort|exists: true`), so
 * ICMP records, whose ports normalising unsets, are kept too; without it
 * the rules need Protocol unset as well. g_off: no prefilter at all. */
static bool g_unset, g_unset_proto = true, g_str, g_off;
static uint64_t *g_keep; /* event lines go here when set: */
static size_t g_capkeep;
static bool g_keep_all; /* all of them, not only must_keep() ones */

static bool must_keep(const mh_event *ev)
{
	int64_t v;
	const mh_str *pr;

	pr = mh_event_get(ev, MH_F_PROTOCOL);
	if (mh_event_int(ev, MH_F_DESTINATION_PORT, &v)) {
		for (size_t i = 0; i < sizeof(MAIL) / sizeof(MAIL[0]); i++)
			if (MAIL[i] == v)
				return true;
	} else if (g_unset) {
		return g_unset_proto || !pr;
	}
	if (!g_unset_proto)
		return false;
	if (g_unset && pr)
		for (size_t i = 0; i + 4 <= pr->n; i++)
			if (!strncasecmp(pr->p + i, "icmp", 4))
				return true;
	return g_unset && pr &&
	       ((pr->n == 1 && pr->p[0] == '1') ||
		(pr->n == 2 && !memcmp(pr->p, "58", 2)));
}

static bool g_no_time;

/* Read text with the JSON reader and the mail-port prefilter on
 * DestinationPort. since/until: optional bounds (NULL = none). */
static void pf_run1(pres *o, const char *text, size_t len, const char *since,
		    const char *until)
{
	mh_source *s = NULL;
	mh_reader r;
	mh_event ev;
	mh_arena a;
	mh_rc rc;

	memset(o, 0, sizeof(*o));
	o->keep = g_keep;
	o->capkeep = g_capkeep;
	memset(&r, 0, sizeof(r));
	memset(&ev, 0, sizeof(ev));
	mh_arena_init(&a, 4096, 0);
	ev.arena = &a;
	MH_CHECK(mh_source_open_mem("t", text, len, &s, NULL) == MH_OK);
	r.ops = &mh_input_json;
	r.src = s;
	r.on_malformed = on_bad;
	r.ud = o;
	MH_CHECK(r.ops->open(&r, NULL) == MH_OK);
	r.pf_field = MH_F_DESTINATION_PORT;
	r.pf_vals = MAIL;
	r.pf_n = sizeof(MAIL) / sizeof(MAIL[0]);
	r.pf_allow_unset = g_unset;
	r.pf_unset_proto = g_unset_proto;
	r.pf_str_set = g_str;
	r.pf_str_field = MH_F_SERVICE;
	r.pf_no_time = g_no_time;
	if (since) {
		r.pf_since_set = true;
		MH_CHECK(mh_time_parse(since, strlen(since), &r.pf_since_ns));
	}
	if (until) {
		r.pf_until_set = true;
		MH_CHECK(mh_time_parse(until, strlen(until), &r.pf_until_ns));
	}
	if (g_off)
		r.pf_n = 0;
	while ((rc = r.ops->next(&r, &ev, NULL)) == MH_OK) {
		if (o->n < 64)
			o->lines[o->n++] = ev.line;
		o->nall++;
		o->hall = (o->hall ^ ev.line) * 1099511628211ULL;
		if (o->capkeep && o->nkeep < o->capkeep &&
		    (g_keep_all || must_keep(&ev)))
			o->keep[o->nkeep++] = ev.line;
		mh_event_clear(&ev);
		mh_arena_reset(&a);
	}
	MH_CHECK(rc == MH_EOF);
	o->stats = r.stats;
	o->have_t = r.skip_time_set;
	o->t = r.skip_time_ns;
	r.ops->close(&r);
	mh_source_close(s);
	mh_arena_free(&a);
}

static void pres_same(const pres *a, const pres *b)
{
	MH_CHECK_EQ_INT(a->n, b->n);
	MH_CHECK_EQ_INT(a->nall, b->nall);
	MH_CHECK_EQ_INT(a->hall, b->hall);
	for (size_t i = 0; i < a->n && i < b->n; i++)
		MH_CHECK_EQ_INT(a->lines[i], b->lines[i]);
	MH_CHECK_EQ_INT(a->stats.records, b->stats.records);
	MH_CHECK_EQ_INT(a->stats.skipped, b->stats.skipped);
	MH_CHECK_EQ_INT(a->stats.malformed, b->stats.malformed);
	MH_CHECK_EQ_INT(a->bad, b->bad);
	MH_CHECK_EQ_INT(a->have_t, b->have_t);
	if (a->have_t && b->have_t)
		MH_CHECK_EQ_INT(a->t, b->t);
}

/* pf_run1() on text as given (too short for the bulk kernel, whose loads
 * need room past each line: the per-line path judges every line), and
 * again followed by 4096 blank lines (which change nothing), so the bulk
 * kernel judges them, with the kernel off, and with the AVX2 kernel
 * (where the AVX-512 one is the default): all four must agree. */
static void pf_run(pres *o, const char *text, const char *since,
		   const char *until)
{
	size_t n = strlen(text);
	char *pad = malloc(n + 4096);
	pres k = {0}, nk = {0};

	MH_CHECK(pad != NULL);
	if (!pad)
		return;
	memcpy(pad, text, n);
	memset(pad + n, '\n', 4096);
	pf_run1(o, text, n, since, until);
	pf_run1(&k, pad, n + 4096, since, until);
	pres_same(o, &k);
	setenv("MAILHUNT_PF_KERNEL", "0", 1);
	pf_run1(&nk, pad, n + 4096, since, until);
	pres_same(o, &nk);
	/* the AVX2 kernel where the AVX-512 one is the default */
	setenv("MAILHUNT_PF_KERNEL", "avx2", 1);
	pf_run1(&nk, pad, n + 4096, since, until);
	unsetenv("MAILHUNT_PF_KERNEL");
	pres_same(o, &nk);
	free(pad);
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
	/* all but the last step (4 MiB), up to 2 MiB more (the ranges end
	 * on 2 MiB boundaries) and page edges */
	MH_CHECK(mh_source_released(s) >= total - (7u << 20));
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
static const char UNSET_TEXT[] = MDE1
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
    /* 8: malformed (doubled comma) with a port outside the
     * set: skipped unvalidated, as without pf_allow_unset */
    "{\"Timestamp\":\"2024-05-01T00:00:07Z\",\"RemotePort\":80,,}\n"
    /* 9: port 8080 with spaces: skipped */
    "{ \"Timestamp\" : \"2024-05-01T00:00:08Z\" , \"RemotePort\" : "
    "\"8080\" }\n"
    /* 10: a second value on the line (its port may be unset):
     * parsed, two events */
    "{\"Timestamp\":\"2024-05-01T00:00:09Z\",\"RemotePort\":80} "
    "{\"DeviceName\":\"y\"}\n"
    /* 11: a nested object before the top-level port: skipped */
    "{\"Timestamp\":\"2024-05-01T00:00:10Z\",\"X\":{\"a\":[1]},"
    "\"RemotePort\":80}\n"
    /* 12: the port only inside a string (escaped quotes): parsed
     * (the field is unset) */
    "{\"Timestamp\":\"2024-05-01T00:00:11Z\",\"N\":"
    "\"\\\"RemotePort\\\":"
    "80\"}\n"
    /* 13: a '}' inside a string, then the port: skipped */
    "{\"Timestamp\":\"2024-05-01T00:00:12Z\",\"N\":\"a}\","
    "\"RemotePort\":80}\n"
    /* 14: "} {" inside a string is not a second value: skipped
     * (quote parity, pf_flat()) */
    "{\"Timestamp\":\"2024-05-01T00:00:13Z\",\"N\":\"a} {b\","
    "\"RemotePort\":80}\n";

static void test_unset_allowed(void)
{
	pres o;

	g_unset = true;
	pf_run(&o, UNSET_TEXT, NULL, NULL);
	MH_CHECK_EQ_INT(o.n, 9);
	MH_CHECK_EQ_INT(o.lines[0], 1);
	MH_CHECK_EQ_INT(o.lines[1], 3);
	MH_CHECK_EQ_INT(o.lines[2], 4);
	MH_CHECK_EQ_INT(o.lines[3], 5);
	MH_CHECK_EQ_INT(o.lines[4], 6);
	MH_CHECK_EQ_INT(o.lines[5], 7);
	MH_CHECK_EQ_INT(o.lines[6], 10);
	MH_CHECK_EQ_INT(o.lines[7], 10);
	MH_CHECK_EQ_INT(o.lines[8], 12);
	MH_CHECK_EQ_INT(o.bad, 0);
	MH_CHECK_EQ_INT(o.stats.skipped, 6);
	MH_CHECK(o.have_t);
	MH_CHECK_EQ_INT(o.t, T("2024-05-01T00:00:13Z"));

	/* no rule allows the port unset with a Protocol set: the ICMP
	 * line 7 is skipped too (its Protocol fails every rule) */
	g_unset_proto = false;
	pf_run(&o, UNSET_TEXT, NULL, NULL);
	g_unset = false;
	g_unset_proto = true;
	MH_CHECK_EQ_INT(o.n, 8);
	MH_CHECK_EQ_INT(o.lines[4], 6);
	MH_CHECK_EQ_INT(o.lines[5], 10);
	MH_CHECK_EQ_INT(o.lines[7], 12);
	MH_CHECK_EQ_INT(o.bad, 0);
	MH_CHECK_EQ_INT(o.stats.skipped, 7);
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

/* --- random differential test of the bulk kernel (issue 4) ---
 * Seeded lines built to sit on the fast path's edges (keys in strings,
 * escapes, nested and dotted keys, second values, truncation, CRs,
 * blanks, long values, ICMP, duplicate keys) in Defender and Sysmon
 * naming. For every prefilter mode the bulk kernel and the per-line
 * scan must agree exactly (events, counts, time), and no event the
 * rules could match may be dropped (checked against no prefilter). */
static uint64_t rng_s;
static unsigned rnd(unsigned n)
{
	rng_s ^= rng_s << 13;
	rng_s ^= rng_s >> 7;
	rng_s ^= rng_s << 17;
	return (unsigned)(rng_s % n);
}

static const char *const PORTS[] = {"443",
				    "80",
				    "25",
				    "993",
				    "\"25\"",
				    "\"443\"",
				    "null",
				    "\"\"",
				    "\"-\"",
				    "[25]",
				    "[80]",
				    "25.0",
				    " 8080 ",
				    "-1",
				    "\"\\u0032\\u0035\"",
				    "true",
				    "{}",
				    "\"587\"",
				    "99999999999999999999",
				    "110",
				    "0",
				    "2525"};
static const char *const PROTOS[] = {"\"Tcp\"", "\"Udp\"",	"\"Icmp\"",
				     "\"1\"",	"58",		"\"icmpv6\"",
				     "null",	"\"T\\u0063p\""};
static const char *const TIMES[] = {"\"2024-05-01T00:00:%02uZ\"",
				    "\"2024-05-01 00:00:%02u.123\"",
				    "\"2024-05-%02uT10:00:00.1234567Z\"",
				    "\"soon%u\"",
				    "%u",
				    "\"2024-06-01T00:00:%02u+02:00\""};
static const char *const FILL[] = {
    "\"c:\\\\program files\\\\x.exe\"", "\"a} {b\"",
    "\"\\\"RemotePort\\\":25\"", "\"x\\\\u0041\"", "\"x\\u0041\"",
    "{\"RemotePort\":25}", "[1,{\"a\":2}]", "\"Timestamp\"", "\"\\\\\"", "12",
    "{\"Timestamp\":\"2031-01-01T00:00:00Z\"}", "\"}\"",
    "\":\\\"RemotePort\\\":\"",
    /* brackets inside strings (a Sysmon ProcessGuid), and after a quote
     * on a malformed line */
    "\"{fe4798be-b318}\"", "\"[a]\"", "\"x{\"", "\"a\"{\"RemotePort\":25}",
    "\"a\"[25]"};

static void gen_key(sbuf *b, bool sysmon, unsigned k)
{
	char t[96];

	switch (k) {
	case 0:
		sb_s(b, sysmon ? (rnd(3) ? "\"UtcTime\"" : "\"@timestamp\"")
			       : "\"Timestamp\"");
		sb_s(b, rnd(8) ? ":" : " : ");
		snprintf(t, sizeof(t), TIMES[rnd(6)], 1 + rnd(28));
		sb_s(b, t);
		break;
	case 1:
		sb_s(b, sysmon ? "\"DestinationPort\"" : "\"RemotePort\"");
		sb_s(b, rnd(8) ? ":" : " :");
		sb_s(b, PORTS[rnd(sizeof(PORTS) / sizeof(PORTS[0]))]);
		break;
	case 2:
		sb_s(b, "\"Protocol\":");
		sb_s(b, PROTOS[rnd(sizeof(PROTOS) / sizeof(PROTOS[0]))]);
		break;
	case 3:
		sb_s(b, sysmon ? "\"DestinationPortName\":\"smtp\""
			       : "\"RemoteUrl\":\"RemotePort\"");
		break;
	case 4:
		sb_s(b, rnd(2) ? "\"x.RemotePort\":25" : "\"Port\":25");
		break;
	default:
		snprintf(t, sizeof(t), "\"K%u\":", rnd(50));
		sb_s(b, t);
		sb_s(b, FILL[rnd(sizeof(FILL) / sizeof(FILL[0]))]);
		break;
	}
}

static void gen_input(sbuf *b, unsigned nlines, bool sysmon)
{
	char big[3001];

	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	/* line 1 picks the dialect */
	sb_s(b, sysmon
		    ? "{\"EventID\":3,\"UtcTime\":\"2024-05-01 00:00:00.000\","
		      "\"Hostname\":\"h\",\"DestinationPort\":\"443\"}\n"
		    : "{\"Timestamp\":\"2024-05-01T00:00:00Z\","
		      "\"DeviceName\":\"a\",\"RemotePort\":443}\n");
	for (unsigned i = 0; i < nlines; i++) {
		size_t start = b->n;
		unsigned nk = 1 + rnd(9), shape = rnd(40);

		if (shape == 0) {
			sb_s(b, "\n");
			continue;
		}
		if (shape == 1)
			sb_s(b, "  ");
		sb_s(b, "{");
		if (sysmon)
			sb_s(b, "\"EventID\":3,");
		for (unsigned k = 0; k < nk; k++) {
			unsigned which = rnd(10);
			if (k)
				sb_s(b, rnd(30) ? "," : " , ");
			/* mostly a time and a port, in any order */
			if (k == 0 && rnd(6))
				which = 0;
			else if (k == 1 && rnd(6))
				which = 1;
			gen_key(b, sysmon, which);
		}
		if (shape == 2) {
			sb_s(b, ",\"Long\":\"");
			sb_s(b, big);
			sb_s(b, "\"");
		}
		sb_s(b, "}");
		if (shape == 3)
			sb_s(b, " {\"DeviceName\":\"z\"}");
		if (shape == 4)
			sb_s(b, " 5");
		if (shape == 5)
			sb_s(b, "\r");
		if (shape == 6)
			sb_s(b, "   ");
		if (shape == 7 && b->n - start > 4) {
			/* truncate */
			b->n = start + 1 + rnd((unsigned)(b->n - start - 1));
			b->p[b->n] = 0;
		}
		if (shape == 8)
			sb_s(b, ",}");
		if (shape == 9) /* a second value of the other dialect */
			sb_s(b,
			     sysmon
				 ? " {\"Timestamp\":\"2024-05-01T00:00:01Z\","
				   "\"RemotePort\":25}"
				 : " {\"EventID\":3,\"UtcTime\":\"2024-05-01 "
				   "00:00:01.000\",\"DestinationPort\":25}");
		sb_s(b, "\n");
	}
	/* room for the kernel's loads past the last lines */
	for (int i = 0; i < 300; i++)
		sb_s(b, "\n");
}

static void test_kernel_random(void)
{
	unsigned checked = 0;

	for (unsigned seed = 1; seed <= 24; seed++) {
		sbuf b = {0};
		bool sysmon = seed & 1;
		pres on, off, none;

		rng_s = 0x9e3779b97f4a7c15ULL * seed;
		gen_input(&b, 6000, sysmon);
		/* MH_DUMP_SEED=N writes seed N's input, to debug a failure */
		if (getenv("MH_DUMP_SEED") &&
		    strtoul(getenv("MH_DUMP_SEED"), NULL, 10) == seed) {
			FILE *df = fopen("/tmp/mh_seed.ndjson", "w");
			if (df) {
				fwrite(b.p, 1, b.n, df);
				fclose(df);
			}
		}
		g_unset = (seed >> 1) & 1;
		g_no_time = (seed >> 2) & 1;
		g_unset_proto = !((seed >> 3) & 1);
		for (int mode = 0; mode < 3; mode++) {
			const char *since =
			    mode == 1 ? "2024-05-01T00:00:10Z" : NULL;
			const char *until =
			    mode == 2 ? "2024-05-20T00:00:00Z" : NULL;
			pf_run1(&on, b.p, b.n, since, until);
			setenv("MAILHUNT_PF_KERNEL", "0", 1);
			pf_run1(&off, b.p, b.n, since, until);
			pres_same(&on, &off);
			setenv("MAILHUNT_PF_KERNEL", "avx2", 1);
			pf_run1(&off, b.p, b.n, since, until);
			unsetenv("MAILHUNT_PF_KERNEL");
			pres_same(&on, &off);
			checked++;
		}
		/* soundness: every event the rules could match is kept */
		{
			static uint64_t must[200000], got[200000];
			size_t j = 0, miss = 0;

			g_keep = must;
			g_capkeep = sizeof(must) / sizeof(must[0]);
			g_off = true;
			pf_run1(&none, b.p, b.n, NULL, NULL);
			g_off = false;
			g_keep = got;
			g_keep_all = true;
			pf_run1(&on, b.p, b.n, NULL, NULL);
			g_keep_all = false;
			g_keep = NULL;
			g_capkeep = 0;
			/* both lists are in line order */
			for (size_t i = 0; i < none.nkeep; i++) {
				while (j < on.nkeep && got[j] < must[i])
					j++;
				if (j == on.nkeep || got[j] != must[i]) {
					if (!miss++)
						fprintf(stderr,
							"seed %u: line %llu "
							"dropped\n",
							seed,
							(unsigned long long)
							    must[i]);
				}
			}
			MH_CHECK_EQ_INT(miss, 0);
		}
		MH_CHECK(none.nkeep > 0);
		MH_CHECK(on.stats.skipped > 0);
		free(b.p);
	}
	g_unset = g_no_time = false;
	g_unset_proto = true;
	MH_CHECK_EQ_INT(checked, 72);
}

int main(void)
{
	MH_RUN(test_unset_allowed);
	MH_RUN(test_kernel_random);
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
