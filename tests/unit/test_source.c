/* Byte sources: files (mmap), memory, pipes, gzip, zip, line splitting. */
#include "input/source.h"
#include "mh_test.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static char tmpdir[] = "/tmp/mh_test_source_XXXXXX";

static char *tmp_path(const char *name)
{
	static char buf[4][256];
	static int k;
	char *p = buf[k++ % 4];
	snprintf(p, 256, "%s/%s", tmpdir, name);
	return p;
}

static void write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	MH_CHECK(f != NULL);
	if (!f)
		return;
	MH_CHECK(fwrite(data, 1, n, f) == n);
	fclose(f);
}

/* Compress with zlib: wbits 15+16 = gzip, -15 = raw deflate. */
static unsigned char *deflate_buf(const void *in, size_t n, int wbits,
				  size_t *out_n)
{
	z_stream z;
	size_t cap = compressBound(n) + 64;
	unsigned char *out = malloc(cap);

	memset(&z, 0, sizeof(z));
	deflateInit2(&z, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	deflate(&z, Z_FINISH);
	*out_n = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

/* Read every line; join them with '|' into out. Returns line count. */
static int all_lines(mh_source *s, char *out, size_t cap, int *limits)
{
	mh_str l;
	uint64_t no = 0, prev = 0;
	int n = 0;
	mh_rc rc;
	size_t o = 0;

	if (limits)
		*limits = 0;
	out[0] = 0;
	while ((rc = mh_source_line(s, &l, &no, NULL)) != MH_EOF) {
		MH_CHECK_EQ_INT(no, prev + 1);
		prev = no;
		if (rc == MH_ELIMIT) {
			if (limits)
				(*limits)++;
			n++;
			continue;
		}
		MH_CHECK_EQ_INT(rc, MH_OK);
		if (rc != MH_OK)
			break;
		if (o + l.n + 2 < cap) {
			if (n)
				out[o++] = '|';
			memcpy(out + o, l.p, l.n);
			o += l.n;
			out[o] = 0;
		}
		n++;
	}
	return n;
}

static void test_mem_lines(void)
{
	static const char data[] = "a\nbb\r\n\nccc";
	mh_source *s = NULL;
	char out[256];

	MH_CHECK_EQ_INT(mh_source_open_mem("m", data, strlen(data), &s, NULL),
			MH_OK);
	MH_CHECK_EQ_STR(mh_source_name(s), "m");
	MH_CHECK_EQ_INT(mh_source_size(s), strlen(data));
	MH_CHECK_EQ_INT(all_lines(s, out, sizeof(out), NULL), 4);
	MH_CHECK_EQ_STR(out, "a|bb||ccc");
	MH_CHECK_EQ_INT(mh_source_offset(s), strlen(data));
	mh_source_close(s);
}

static void test_empty(void)
{
	mh_source *s = NULL;
	mh_str l;
	const char *p;
	size_t n;

	MH_CHECK_EQ_INT(mh_source_open_mem("e", "", 0, &s, NULL), MH_OK);
	MH_CHECK_EQ_INT(mh_source_line(s, &l, NULL, NULL), MH_EOF);
	mh_source_close(s);

	write_file(tmp_path("empty"), "", 0);
	MH_CHECK_EQ_INT(mh_source_open(tmp_path("empty"), NULL, &s, NULL),
			MH_OK);
	mh_source_peek(s, &p, &n);
	MH_CHECK_EQ_INT(n, 0);
	MH_CHECK_EQ_INT(mh_source_line(s, &l, NULL, NULL), MH_EOF);
	MH_CHECK_EQ_INT(mh_source_more(s, NULL), MH_EOF);
	mh_source_close(s);
}

static void test_file_mmap(void)
{
	static const char data[] = "{\"a\":1}\r\n{\"b\":2}\n{\"c\":3}";
	mh_source *s = NULL;
	char out[256];
	const char *p;
	size_t n;

	write_file(tmp_path("f.json"), data, strlen(data));
	MH_CHECK_EQ_INT(mh_source_open(tmp_path("f.json"), NULL, &s, NULL),
			MH_OK);
	/* The window is the whole file. */
	mh_source_peek(s, &p, &n);
	MH_CHECK_EQ_INT(n, strlen(data));
	MH_CHECK_EQ_INT(mh_source_more(s, NULL), MH_EOF);
	MH_CHECK_EQ_INT(mh_source_size(s), strlen(data));
	MH_CHECK_EQ_INT(all_lines(s, out, sizeof(out), NULL), 3);
	MH_CHECK_EQ_STR(out, "{\"a\":1}|{\"b\":2}|{\"c\":3}");
	mh_source_close(s);
}

static void test_open_errors(void)
{
	mh_source *s = (mh_source *)1;
	mh_err err;

	memset(&err, 0, sizeof(err));
	MH_CHECK_EQ_INT(
	    mh_source_open(tmp_path("does-not-exist"), NULL, &s, &err), MH_EIO);
	MH_CHECK(s == NULL);
	MH_CHECK(strstr(err.msg, "cannot open") != NULL);
	MH_CHECK_EQ_INT(mh_source_open(tmpdir, NULL, &s, &err), MH_EIO);
}

static void test_gzip(void)
{
	static const char a[] = "line1\nline2\r\n";
	static const char b[] = "line3\nline4";
	size_t na, nb;
	unsigned char *ga = deflate_buf(a, strlen(a), 15 + 16, &na);
	unsigned char *gb = deflate_buf(b, strlen(b), 15 + 16, &nb);
	unsigned char *cat = malloc(na + nb);
	mh_source *s = NULL;
	char out[256];

	/* One member, from memory. */
	MH_CHECK_EQ_INT(mh_source_open_mem("g", ga, na, &s, NULL), MH_OK);
	MH_CHECK_EQ_INT(all_lines(s, out, sizeof(out), NULL), 2);
	MH_CHECK_EQ_STR(out, "line1|line2");
	MH_CHECK_EQ_INT(mh_source_offset(s), strlen(a));
	MH_CHECK_EQ_INT(mh_source_raw_offset(s), na);
	mh_source_close(s);

	/* Concatenated members, from a file. */
	memcpy(cat, ga, na);
	memcpy(cat + na, gb, nb);
	write_file(tmp_path("cat.gz"), cat, na + nb);
	MH_CHECK_EQ_INT(mh_source_open(tmp_path("cat.gz"), NULL, &s, NULL),
			MH_OK);
	MH_CHECK_EQ_INT(all_lines(s, out, sizeof(out), NULL), 4);
	MH_CHECK_EQ_STR(out, "line1|line2|line3|line4");
	MH_CHECK_EQ_INT(mh_source_size(s), na + nb);
	mh_source_close(s);

	/* Truncated: an I/O error, not a crash. */
	{
		mh_str l;
		mh_rc rc;
		mh_err err;
		int guard = 0;

		MH_CHECK_EQ_INT(mh_source_open_mem("t", ga, na / 2, &s, NULL),
				MH_OK);
		while ((rc = mh_source_line(s, &l, NULL, &err)) == MH_OK &&
		       guard++ < 10)
			;
		MH_CHECK_EQ_INT(rc, MH_EIO);
		mh_source_close(s);
	}
	free(ga);
	free(gb);
	free(cat);
}

/* Build a one-member zip. method 8 (deflate) or 0 (stored). With
 * descriptor, the local header carries zero sizes (flag bit 3). */
static unsigned char *make_zip(const char *data, int method, bool descriptor,
			       size_t *out_n)
{
	size_t dn = strlen(data), cn = dn;
	unsigned char *comp =
	    method == 8 ? deflate_buf(data, dn, -15, &cn) : NULL;
	const unsigned char *body = comp ? comp : (const unsigned char *)data;
	const char name[] = "inner.json";
	size_t nn = sizeof(name) - 1;
	size_t lh = 30 + nn, dd = descriptor ? 16 : 0, cd = 46 + nn, eo = 22;
	size_t total = lh + cn + dd + cd + eo;
	unsigned char *z = calloc(1, total);
	unsigned char *p = z;
	uint32_t crc = (uint32_t)crc32(0, (const Bytef *)data, (uInt)dn);

#define W16(q, v)                                                              \
	((q)[0] = (unsigned char)(v), (q)[1] = (unsigned char)((v) >> 8))
#define W32(q, v) (W16(q, (v)&0xffff), W16((q) + 2, ((uint32_t)(v)) >> 16))
	W32(p, 0x04034b50);
	W16(p + 4, 20);
	W16(p + 6, descriptor ? 8 : 0);
	W16(p + 8, method);
	if (!descriptor) {
		W32(p + 14, crc);
		W32(p + 18, cn);
		W32(p + 22, dn);
	}
	W16(p + 26, nn);
	memcpy(p + 30, name, nn);
	p += lh;
	memcpy(p, body, cn);
	p += cn;
	if (descriptor) {
		W32(p, 0x08074b50);
		W32(p + 4, crc);
		W32(p + 8, cn);
		W32(p + 12, dn);
		p += 16;
	}
	{
		unsigned char *c = p;
		W32(c, 0x02014b50);
		W16(c + 4, 20);
		W16(c + 6, 20);
		W16(c + 8, descriptor ? 8 : 0);
		W16(c + 10, method);
		W32(c + 16, crc);
		W32(c + 20, cn);
		W32(c + 24, dn);
		W16(c + 28, nn);
		W32(c + 42, 0);
		memcpy(c + 46, name, nn);
		p += cd;
		W32(p, 0x06054b50);
		W16(p + 8, 1);
		W16(p + 10, 1);
		W32(p + 12, cd);
		W32(p + 16, (uint32_t)(c - z));
	}
#undef W16
#undef W32
	free(comp);
	*out_n = total;
	return z;
}

static void test_zip(void)
{
	static const char data[] = "{\"x\":1}\n{\"y\":2}\n";
	static const int methods[] = {8, 0};
	char out[256];

	for (int m = 0; m < 2; m++) {
		for (int desc = 0; desc < 2; desc++) {
			size_t n;
			unsigned char *z = make_zip(data, methods[m], desc, &n);
			mh_source *s = NULL;

			MH_CHECK_EQ_INT(mh_source_open_mem("z", z, n, &s, NULL),
					MH_OK);
			if (s) {
				MH_CHECK_EQ_INT(
				    all_lines(s, out, sizeof(out), NULL), 2);
				MH_CHECK_EQ_STR(out, "{\"x\":1}|{\"y\":2}");
				mh_source_close(s);
			}
			if (m == 0 && desc == 1) {
				write_file(tmp_path("d.zip"), z, n);
				s = NULL;
				MH_CHECK_EQ_INT(
				    mh_source_open(tmp_path("d.zip"), NULL, &s,
						   NULL),
				    MH_OK);
				MH_CHECK_EQ_INT(
				    all_lines(s, out, sizeof(out), NULL), 2);
				mh_source_close(s);
			}
			free(z);
		}
	}
}

/* The real OTRF archive: 10,487 lines of inner JSON (19,346,820 bytes). */
static void test_zip_corpus(void)
{
	const char *path = "../shared/corpus/sysmon_windows_json/"
			   "otrf__proxylogon_ssrf_rce_poc.zip";
	mh_source *s = NULL;
	mh_str l;
	uint64_t no = 0, lines = 0;
	mh_rc rc;

	if (access(path, R_OK) != 0) {
		printf("notice: %s not present, corpus zip check skipped\n",
		       path);
		return;
	}
	MH_CHECK_EQ_INT(mh_source_open(path, NULL, &s, NULL), MH_OK);
	if (!s)
		return;
	while ((rc = mh_source_line(s, &l, &no, NULL)) == MH_OK) {
		if (lines == 0)
			MH_CHECK(l.n > 14 &&
				 memcmp(l.p, "{\"SourceName\"", 13) == 0);
		lines++;
	}
	MH_CHECK_EQ_INT(rc, MH_EOF);
	MH_CHECK_EQ_INT(lines, 10487);
	MH_CHECK_EQ_INT(mh_source_offset(s), 19346820);
	MH_CHECK_EQ_INT(mh_source_raw_offset(s) <= mh_source_size(s), 1);
	mh_source_close(s);
}

/* Lines longer than max_record are skipped and reported, in place
 * (mmap) and through the growable buffer (gzip). */
static void test_long_line(void)
{
	size_t big = 100000;
	char *data = malloc(big + 64);
	mh_source_opts o = {.max_record = 4096};
	char out[256];
	int limits;
	size_t n = 0, gn;
	unsigned char *gz;
	mh_source *s = NULL;

	n += (size_t)snprintf(data, 64, "first\n");
	memset(data + n, 'x', big);
	n += big;
	memcpy(data + n, "\nlast\n", 6);
	n += 6;

	write_file(tmp_path("long.txt"), data, n);
	MH_CHECK_EQ_INT(mh_source_open(tmp_path("long.txt"), &o, &s, NULL),
			MH_OK);
	MH_CHECK_EQ_INT(all_lines(s, out, sizeof(out), &limits), 3);
	MH_CHECK_EQ_INT(limits, 1);
	MH_CHECK_EQ_STR(out, "first|last");
	mh_source_close(s);

	gz = deflate_buf(data, n, 15 + 16, &gn);
	write_file(tmp_path("long.gz"), gz, gn);
	MH_CHECK_EQ_INT(mh_source_open(tmp_path("long.gz"), &o, &s, NULL),
			MH_OK);
	MH_CHECK_EQ_INT(all_lines(s, out, sizeof(out), &limits), 3);
	MH_CHECK_EQ_INT(limits, 1);
	MH_CHECK_EQ_STR(out, "first|last");
	mh_source_close(s);

	/* A line exactly at the cap is fine. */
	memset(data, 'y', 4096);
	memcpy(data + 4096, "\r\nz", 3);
	gz = (free(gz), deflate_buf(data, 4099, 15 + 16, &gn));
	write_file(tmp_path("cap.gz"), gz, gn);
	MH_CHECK_EQ_INT(mh_source_open(tmp_path("cap.gz"), &o, &s, NULL),
			MH_OK);
	MH_CHECK_EQ_INT(all_lines(s, out, sizeof(out), &limits), 2);
	MH_CHECK_EQ_INT(limits, 0);
	mh_source_close(s);
	free(gz);
	free(data);
}

/* A pipe is read in chunks through the growable window. */
struct writer {
	int fd;
	size_t lines;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	char buf[64];

	for (size_t i = 0; i < w->lines; i++) {
		int n = snprintf(buf, sizeof(buf), "{\"n\":%zu}\n", i);
		if (write(w->fd, buf, (size_t)n) != n)
			break;
	}
	/* No final newline on the last line. */
	if (write(w->fd, "tail", 4) != 4)
		perror("write");
	close(w->fd);
	return NULL;
}

static void test_pipe(void)
{
	int fds[2];
	pthread_t th;
	struct writer w;
	char path[64];
	mh_source *s = NULL;
	mh_str l;
	uint64_t no = 0, count = 0;
	mh_rc rc;
	bool ok = true;

	MH_CHECK(pipe(fds) == 0);
	w.fd = fds[1];
	w.lines = 300000; /* ~3.3 MB: several refills and a buffer grow */
	pthread_create(&th, NULL, writer_main, &w);
	snprintf(path, sizeof(path), "/dev/fd/%d", fds[0]);
	MH_CHECK_EQ_INT(mh_source_open(path, NULL, &s, NULL), MH_OK);
	while (s && (rc = mh_source_line(s, &l, &no, NULL)) == MH_OK) {
		char want[64];
		int n;

		if (count < w.lines)
			n = snprintf(want, sizeof(want), "{\"n\":%llu}",
				     (unsigned long long)count);
		else
			n = snprintf(want, sizeof(want), "tail");
		if ((size_t)n != l.n || memcmp(want, l.p, l.n) != 0)
			ok = false;
		count++;
	}
	MH_CHECK(ok);
	MH_CHECK_EQ_INT(count, w.lines + 1);
	MH_CHECK_EQ_INT(mh_source_size(s), 0);
	pthread_join(th, NULL);
	mh_source_close(s);
	close(fds[0]);
}

static void test_peek_consume_more(void)
{
	static const char a[] = "0123456789";
	size_t gn;
	unsigned char *gz = deflate_buf(a, 10, 15 + 16, &gn);
	mh_source *s = NULL;
	const char *p;
	size_t n, total = 0;

	MH_CHECK_EQ_INT(mh_source_open_mem("g", gz, gn, &s, NULL), MH_OK);
	mh_source_peek(s, &p, &n);
	while (n == 0 && mh_source_more(s, NULL) == MH_OK)
		mh_source_peek(s, &p, &n);
	MH_CHECK(n > 0 && p[0] == '0');
	mh_source_consume(s, 3);
	total += 3;
	while (mh_source_more(s, NULL) == MH_OK)
		;
	mh_source_peek(s, &p, &n);
	MH_CHECK_EQ_SLICE(p, n, "3456789");
	mh_source_consume(s, n);
	total += n;
	MH_CHECK_EQ_INT(mh_source_offset(s), total);
	mh_source_close(s);
	free(gz);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	MH_RUN(test_mem_lines);
	MH_RUN(test_empty);
	MH_RUN(test_file_mmap);
	MH_RUN(test_open_errors);
	MH_RUN(test_gzip);
	MH_RUN(test_zip);
	MH_RUN(test_zip_corpus);
	MH_RUN(test_long_line);
	MH_RUN(test_pipe);
	MH_RUN(test_peek_consume_more);
	{
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
	MH_DONE();
}
