/* The EVTX reader (src/input/evtx.c): corpus counts, damaged chunks,
 * and the same canonical events as the XML and evtx_dump renderings. */
#include "event/normalize.h"
#include "input/input.h"
#include "mh_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define DATA "tests/data/evtx/"

static struct {
	int n;
	char why[32][512];
} bad;

static void on_bad(void *ud, const char *file, uint64_t line,
		   const char *reason)
{
	(void)ud;
	(void)file;
	(void)line;
	if (bad.n < 32)
		snprintf(bad.why[bad.n], sizeof(bad.why[0]), "%s", reason);
	bad.n++;
}

typedef struct harness {
	mh_reader r;
	mh_event ev;
	mh_arena arena;
	mh_err err;
	mh_rc open_rc;
} harness;

static void h_open(harness *h, const mh_reader_ops *ops, const char *path)
{
	mh_source *src = NULL;

	memset(h, 0, sizeof(*h));
	memset(&bad, 0, sizeof(bad));
	mh_arena_init(&h->arena, 4096, 0);
	h->ev.arena = &h->arena;
	MH_CHECK_EQ_INT(mh_source_open(path, NULL, &src, &h->err), MH_OK);
	h->r.ops = ops;
	h->r.src = src;
	h->r.on_malformed = on_bad;
	h->open_rc = ops->open(&h->r, &h->err);
}

static mh_rc h_next(harness *h)
{
	static const mh_norm_ctx ctx;
	mh_rc rc = h->r.ops->next(&h->r, &h->ev, &h->err);

	if (rc == MH_OK)
		mh_event_normalize(&ctx, &h->ev);
	return rc;
}

static void h_close(harness *h)
{
	if (h->open_rc == MH_OK)
		h->r.ops->close(&h->r);
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

/* Events and malformed records of a file; eid[i] counts EventID i. */
static int count(const char *path, int *malformed, int eid[32])
{
	harness h;
	int k = 0;
	uint64_t prev = 0;
	mh_rc rc;

	h_open(&h, &mh_input_evtx, path);
	MH_CHECK_EQ_INT(h.open_rc, MH_OK);
	if (h.open_rc != MH_OK) {
		h_close(&h);
		return -1;
	}
	while ((rc = h_next(&h)) == MH_OK) {
		int64_t id;
		k++;
		/* the record ordinal: increasing, from 1 */
		MH_CHECK(h.ev.line > prev);
		prev = h.ev.line;
		if (eid && mh_event_int(&h.ev, MH_F_EVENT_ID, &id) && id >= 0 &&
		    id < 32)
			eid[id]++;
	}
	MH_CHECK_EQ_INT(rc, MH_EOF);
	MH_CHECK_EQ_INT((int)h.r.stats.records, k);
	MH_CHECK_EQ_INT((int)h.r.stats.malformed, bad.n);
	*malformed = bad.n;
	h_close(&h);
	return k;
}

static void test_corpus_counts(void)
{
	static const struct {
		const char *file;
		int events, malformed;
	} want[] = {
	    {"sbousseaden__DE_sysmon-3-rdp-tun.evtx", 73, 0},
	    {"sbousseaden__tunna_iis_rdp_smb_tunneling_sysmon_3.evtx", 12, 0},
	    {"sbousseaden__powercat_revShell_sysmon_1_3.evtx", 9, 0},
	    {"sbousseaden__exec_persist_rundll32_mshta_scheduledtask_sysmon_"
	     "1_3_11.evtx",
	     8, 0},
	    {"sbousseaden__sysmon_mshta_sharpshooter_stageless_meterpreter."
	     "evtx",
	     3, 0},
	    {"sigma__271de298-cc0e-4842-acd8-079a0a99ea65.evtx", 1, 0},
	    /* 9 good chunks, then 8 slots of non-chunk bytes (reported) */
	    {"omerbenamram-evtx__sysmon.evtx", 358, 8},
	};
	for (size_t i = 0; i < MH_ARRAY_LEN(want); i++) {
		char path[512];
		int mal = -1, eid[32] = {0};

		snprintf(path, sizeof(path), DATA "%s", want[i].file);
		MH_CHECK_EQ_INT(count(path, &mal, eid), want[i].events);
		MH_CHECK_EQ_INT(mal, want[i].malformed);
		if (i == 0) {
			/* SOURCES.md: 42x EID 3, 13x 1, 12x 5, 6x 6 */
			MH_CHECK_EQ_INT(eid[3], 42);
			MH_CHECK_EQ_INT(eid[1], 13);
			MH_CHECK_EQ_INT(eid[5], 12);
			MH_CHECK_EQ_INT(eid[6], 6);
		}
		if (i == 6) {
			MH_CHECK_EQ_INT(eid[1], 227);
			MH_CHECK_EQ_INT(eid[10], 60);
			MH_CHECK_EQ_INT(eid[11], 34);
			MH_CHECK_EQ_INT(eid[13], 24);
			MH_CHECK_EQ_INT(eid[3], 2);
			MH_CHECK(strstr(bad.why[0], "chunk 9 at offset "
						    "0x91000") != NULL);
		}
	}
}

/* 29 of the 42 EID 3 of DE_sysmon-3-rdp-tun are inbound. */
static void test_fields(void)
{
	harness h;
	int inbound = 0, n3 = 0;

	h_open(&h, &mh_input_evtx,
	       DATA "sbousseaden__DE_sysmon-3-rdp-tun.evtx");
	MH_CHECK_EQ_INT(h.open_rc, MH_OK);
	while (h_next(&h) == MH_OK) {
		MH_CHECK_EQ_STR(get(&h.ev, MH_F_DIALECT), "sysmon");
		MH_CHECK_EQ_STR(get(&h.ev, MH_F_CHANNEL),
				"Microsoft-Windows-Sysmon/Operational");
		MH_CHECK(mh_event_has(&h.ev, MH_F_TIME));
		if (strcmp(get(&h.ev, MH_F_EVENT_ID), "3") != 0)
			continue;
		n3++;
		MH_CHECK(mh_event_has(&h.ev, MH_F_DESTINATION_PORT));
		MH_CHECK(mh_event_has(&h.ev, MH_F_PROCESS_NAME));
		if (strcmp(get(&h.ev, MH_F_DIRECTION), "inbound") == 0)
			inbound++;
	}
	MH_CHECK_EQ_INT(n3, 42);
	MH_CHECK_EQ_INT(inbound, 29);
	MH_CHECK_EQ_STR(h.r.dialect, "sysmon");
	h_close(&h);
}

/* The bad-chunk sample: 267 records, 81 recovered records libevtx can
 * render (unique EventRecordIDs), 82 failed carvings skipped; the two
 * slots with a bad chunk signature and three chunks with a bad data
 * checksum are reported; the rest is read. */
static void test_bad_chunk(void)
{
	harness h;
	int k = 0, winsec = 0;

	h_open(&h, &mh_input_evtx,
	       DATA "omerbenamram-evtx__sample_with_a_bad_chunk_magic.evtx");
	MH_CHECK_EQ_INT(h.open_rc, MH_OK);
	while (h_next(&h) == MH_OK) {
		k++;
		MH_CHECK_EQ_STR(get(&h.ev, MH_F_EVENT_ID), "325");
		MH_CHECK_EQ_STR(get(&h.ev, MH_F_DIALECT), "windows");
		winsec += mh_event_has(&h.ev, MH_F_IMAGE);
		/* records 1..267, then recovered records from 268 */
		if (k <= 267)
			MH_CHECK_EQ_INT(h.ev.line, k);
		else
			MH_CHECK(h.ev.line > 267);
	}
	MH_CHECK_EQ_INT(k, 348);
	MH_CHECK_EQ_INT(winsec, 0);
	MH_CHECK_EQ_INT(bad.n, 5);
	MH_CHECK(strstr(bad.why[0], "chunk 0 at offset 0x1000: record data "
				    "checksum mismatch") != NULL);
	MH_CHECK(strstr(bad.why[1], "chunk 6 at offset 0x61000: bad chunk "
				    "signature") != NULL);
	MH_CHECK(strstr(bad.why[4], "chunk 10 at offset 0xa1000") != NULL);
	MH_CHECK_EQ_INT(h.r.stats.skipped, 82);
	h_close(&h);
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
	*n = (size_t)len;
	return buf;
}

static bool spew(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	bool ok;

	if (!f)
		return false;
	ok = fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok;
}

/* A chunk whose signature is destroyed is reported and skipped; the
 * records of the other chunks are read. A truncated file reads what is
 * there. */
static void test_damaged_copies(void)
{
	char tmpl[] = "/tmp/mh_evtx_XXXXXX";
	char path[64];
	size_t n;
	char *img = slurp(DATA "omerbenamram-evtx__sysmon.evtx", &n);
	int fd, mal = 0, k;

	MH_CHECK(img != NULL);
	if (!img)
		return;
	fd = mkstemp(tmpl);
	MH_CHECK(fd >= 0);
	close(fd);
	snprintf(path, sizeof(path), "%s", tmpl);

	/* chunk 3 (records 121-163) loses its signature */
	memcpy(img + 4096 + 3 * 65536, "XXXXXXXX", 8);
	MH_CHECK(spew(path, img, n));
	k = count(path, &mal, NULL);
	/* reported, and libevtx recovers the chunk's 43 records */
	MH_CHECK_EQ_INT(k, 358);
	MH_CHECK_EQ_INT(mal, 9);
	MH_CHECK(strstr(bad.why[0], "chunk 3 at offset 0x31000: bad chunk "
				    "signature") != NULL);
	memcpy(img + 4096 + 3 * 65536, "ElfChnk", 8);

	/* cut in the middle of chunk 5 */
	MH_CHECK(spew(path, img, 4096 + 5 * 65536 + 30000));
	k = count(path, &mal, NULL);
	MH_CHECK(k >= 5 * 40 && k < 358);

	/* only the file header */
	MH_CHECK(spew(path, img, 4096));
	k = count(path, &mal, NULL);
	MH_CHECK_EQ_INT(k, 0);

	unlink(path);
	free(img);
}

/* stdin and compressed EVTX fail at open with a clear message. */
static void test_unsupported(void)
{
	char tmpl[] = "/tmp/mh_evtx_XXXXXX";
	size_t n, zn;
	char *img =
	    slurp(DATA "sigma__271de298-cc0e-4842-acd8-079a0a99ea65.evtx", &n);
	char *z;
	z_stream s;
	harness h;
	int fd;

	MH_CHECK(img != NULL);
	if (!img)
		return;
	memset(&s, 0, sizeof(s));
	z = malloc(n + 1024);
	MH_CHECK(deflateInit2(&s, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) ==
		 Z_OK);
	s.next_in = (unsigned char *)img;
	s.avail_in = (unsigned)n;
	s.next_out = (unsigned char *)z;
	s.avail_out = (unsigned)n + 1024;
	MH_CHECK(deflate(&s, Z_FINISH) == Z_STREAM_END);
	zn = s.total_out;
	deflateEnd(&s);
	fd = mkstemp(tmpl);
	MH_CHECK(fd >= 0);
	close(fd);
	MH_CHECK(spew(tmpl, z, zn));
	h_open(&h, &mh_input_evtx, tmpl);
	MH_CHECK_EQ_INT(h.open_rc, MH_EUNSUP);
	MH_CHECK(strstr(h.err.msg, "compressed EVTX") != NULL);
	/* the source decompresses: probe sees the EVTX signature */
	{
		const char *p;
		size_t pn;
		mh_source_peek(h.r.src, &p, &pn);
		while (pn < 8 && mh_source_more(h.r.src, NULL) == MH_OK)
			mh_source_peek(h.r.src, &p, &pn);
		MH_CHECK(mh_reader_detect(p, pn) == &mh_input_evtx);
	}
	h_close(&h);
	unlink(tmpl);

	h_open(&h, &mh_input_evtx, "-");
	MH_CHECK_EQ_INT(h.open_rc, MH_EUNSUP);
	MH_CHECK(strstr(h.err.msg, "stdin") != NULL);
	h_close(&h);
	free(z);
	free(img);
}

static bool same_event(const mh_event *a, const mh_event *b, bool dialect)
{
	bool ok = true;

	for (int f = 0; f < MH_F__COUNT; f++) {
		const mh_str *x = mh_event_get(a, (mh_field)f);
		const mh_str *y = mh_event_get(b, (mh_field)f);

		if (!dialect && f == MH_F_DIALECT)
			continue;
		if (!x != !y ||
		    (x && (x->n != y->n || memcmp(x->p, y->p, x->n) != 0))) {
			fprintf(stderr,
				"field %s differs: \"%.*s\" vs \"%.*s\"\n",
				mh_field_name((mh_field)f), x ? (int)x->n : 5,
				x ? x->p : "unset", y ? (int)y->n : 5,
				y ? y->p : "unset");
			ok = false;
		}
	}
	if (a->time_ns != b->time_ns)
		ok = false;
	return ok;
}

/* EVTX, its XML rendering (whole-file and per-line) and evtx_dump JSON
 * give identical canonical events. */
static void test_equivalence(void)
{
	static const struct {
		const char *evtx;
		const mh_reader_ops *ops;
		const char *other;
		bool dialect;
		int n;
	} pairs[] = {
	    {DATA "sbousseaden__tunna_iis_rdp_smb_tunneling_sysmon_3.evtx",
	     &mh_input_xml,
	     "tests/data/sysmon_xml/sbousseaden__tunna_iis_rdp_smb_tunneling_"
	     "sysmon_3.rendered.xml",
	     true, 12},
	    {DATA "sbousseaden__exec_persist_rundll32_mshta_scheduledtask_"
		  "sysmon_1_3_11.evtx",
	     &mh_input_xml,
	     "tests/data/sysmon_xml/sbousseaden__exec_persist_rundll32_mshta_"
	     "scheduledtask_sysmon_1_3_11.rendered-lines.xml",
	     true, 8},
	    {DATA "sigma__271de298-cc0e-4842-acd8-079a0a99ea65.evtx",
	     &mh_input_json,
	     "tests/data/json/sigma__271de298-cc0e-4842-acd8-079a0a99ea65."
	     "evtx_dump.json",
	     false, 1},
	};
	for (size_t i = 0; i < MH_ARRAY_LEN(pairs); i++) {
		harness a, b;
		int k = 0;

		h_open(&a, &mh_input_evtx, pairs[i].evtx);
		h_open(&b, pairs[i].ops, pairs[i].other);
		MH_CHECK_EQ_INT(a.open_rc, MH_OK);
		MH_CHECK_EQ_INT(b.open_rc, MH_OK);
		for (;;) {
			mh_rc ra = h_next(&a), rb = h_next(&b);

			MH_CHECK_EQ_INT(ra, rb);
			if (ra != MH_OK || rb != MH_OK)
				break;
			k++;
			MH_CHECK(same_event(&a.ev, &b.ev, pairs[i].dialect));
		}
		MH_CHECK_EQ_INT(k, pairs[i].n);
		if (i == 2) {
			MH_CHECK_EQ_STR(get(&a.ev, MH_F_LOGON_ID), "0x1eba8");
			MH_CHECK_EQ_STR(b.r.dialect, "evtxdump");
		}
		h_close(&a);
		h_close(&b);
	}
}

static void test_probe(void)
{
	MH_CHECK_EQ_INT(mh_input_evtx.probe("ElfFile\0\1\0\0", 11), 100);
	MH_CHECK_EQ_INT(mh_input_evtx.probe("ElfFile", 7), 0);
	MH_CHECK_EQ_INT(mh_input_evtx.probe("ElfChnk\0", 8), 0);
	MH_CHECK_EQ_INT(mh_input_evtx.probe("<Event>", 7), 0);
	MH_CHECK_EQ_INT(mh_input_evtx.probe("{\"a\":1}", 7), 0);
}

int main(void)
{
	MH_RUN(test_corpus_counts);
	MH_RUN(test_fields);
	MH_RUN(test_bad_chunk);
	MH_RUN(test_damaged_copies);
	MH_RUN(test_unsupported);
	MH_RUN(test_equivalence);
	MH_RUN(test_probe);
	MH_DONE();
}
