/* Byte sources: mmap'd regular files, streamed pipes/stdin, and gzip or
 * zip (first member) decompressed on the fly with zlib.
 *
 * Layout: the raw bytes come either from memory (an mmap'd file or a
 * caller buffer: raw/raw_len) or from a file descriptor (read into ib).
 * Uncompressed memory input is served in place (the window is the whole
 * region). Everything else is produced into the growable output buffer
 * ob, whose size is capped near max_record. */
#include "input/source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define DEFAULT_MAX_RECORD (16u << 20)
#define IN_CHUNK	   (1u << 20) /* compressed/streamed read size */
#define OUT_INIT	   (2u << 20) /* initial output window */

typedef enum src_kind {
	K_PLAIN_MEM, /* window = raw region */
	K_PLAIN_FD,  /* read(fd) into ob */
	K_INFLATE,   /* gzip or zip-deflate: raw -> inflate -> ob */
	K_STORED,    /* zip stored member from memory: served in place */
} src_kind;

struct mh_source {
	char *name;
	src_kind kind;
	int fd; /* -1 when not reading an fd */
	bool own_fd;
	void *map; /* mmap'd region (munmap at close), or NULL */
	size_t map_len;

	/* raw input */
	const unsigned char *raw; /* memory input, or NULL for fd */
	size_t raw_len, raw_pos;
	unsigned char *ib; /* fd input buffer */
	size_t ib_len, ib_pos;
	bool raw_eof;
	uint64_t raw_total; /* raw bytes fed to the decoder */
	uint64_t size;	    /* file size when known */

	/* zlib */
	z_stream z;
	bool z_init, z_gzip, z_done;
	uint64_t z_remaining; /* zip: compressed bytes left (or max) */

	/* output window */
	char *ob;
	size_t cap;
	const char *win;   /* base of the window */
	size_t rpos, wpos; /* unread = [rpos, wpos) */
	bool eof;

	size_t max_record;
	uint64_t consumed; /* bytes consumed before the current base */
	uint64_t line_no;

	/* Peak RSS: pages of an mmap'd file behind the cursor are returned
	 * to the kernel every RELEASE_STEP bytes (they stay in the page
	 * cache). Only for mappings we own or slices of them. */
	bool can_release;
	size_t released;	 /* window offset released up to */
	size_t release_step;	 /* RELEASE_STEP, or less for slices */
	uint64_t released_bytes; /* total, for tests and -v */
};

#define RELEASE_STEP	   (4u << 20)
#define SLICE_RELEASE_STEP (4u << 20)
#define RELEASE_PMD	   (2u << 20)

/* Give back the pages of the window wholly before offset upto. Pointers
 * into released pages stay valid (the mapping is private and read-only:
 * a later touch reads the page again), so this only costs time if a
 * reader looks back, which the source contract forbids anyway. */
static void release_behind(mh_source *s, size_t upto)
{
	uintptr_t a, b;
	long pg;

	if (!s->can_release ||
	    upto < s->released +
		       (s->release_step ? s->release_step : RELEASE_STEP))
		return;
	pg = sysconf(_SC_PAGESIZE);
	if (pg <= 0)
		pg = 4096;
	a = (uintptr_t)(s->win + s->released);
	b = (uintptr_t)(s->win + upto);
	a = (a + (uintptr_t)pg - 1) & ~((uintptr_t)pg - 1);
	/* end on a 2 MiB boundary when the step allows: the page cache
	 * maps a file read sequentially with 2 MiB folios (PMD mappings),
	 * and a range that ends inside one leaves it mapped */
	if (upto - s->released > RELEASE_PMD && s->release_step != 1)
		b &= ~((uintptr_t)RELEASE_PMD - 1);
	else
		b &= ~((uintptr_t)pg - 1);
	if (b > a && madvise((void *)a, b - a, MADV_DONTNEED) == 0)
		s->released_bytes += b - a;
	s->released = b > a ? (size_t)(b - (uintptr_t)s->win) : s->released;
}

static mh_rc io_err(mh_source *s, mh_err *err, const char *what)
{
	return mh_err_set(err, MH_EIO, s ? s->name : NULL, 0, 0, "%s: %s", what,
			  strerror(errno));
}

/* Read from the fd into ib (compacting). Returns MH_OK when bytes were
 * added, MH_EOF at end of file. */
static mh_rc fill_ib(mh_source *s, mh_err *err)
{
	ssize_t r;

	if (s->raw_eof)
		return MH_EOF;
	if (s->ib_pos > 0) {
		memmove(s->ib, s->ib + s->ib_pos, s->ib_len - s->ib_pos);
		s->ib_len -= s->ib_pos;
		s->ib_pos = 0;
	}
	if (s->ib_len == IN_CHUNK)
		return MH_OK;
	do {
		r = read(s->fd, s->ib + s->ib_len, IN_CHUNK - s->ib_len);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return io_err(s, err, "read");
	if (r == 0) {
		s->raw_eof = true;
		return MH_EOF;
	}
	s->ib_len += (size_t)r;
	return MH_OK;
}

/* The unread raw bytes. */
static void raw_avail(mh_source *s, const unsigned char **p, size_t *n)
{
	if (s->raw) {
		*p = s->raw + s->raw_pos;
		*n = s->raw_len - s->raw_pos;
	} else {
		*p = s->ib + s->ib_pos;
		*n = s->ib_len - s->ib_pos;
	}
}

static void raw_consume(mh_source *s, size_t n)
{
	if (s->raw)
		s->raw_pos += n;
	else
		s->ib_pos += n;
	s->raw_total += n;
}

/* Make sure at least want raw bytes are available (fd input), or as many
 * as exist. */
static mh_rc raw_need(mh_source *s, size_t want, mh_err *err)
{
	const unsigned char *p;
	size_t n;

	if (want > IN_CHUNK)
		want = IN_CHUNK;
	for (;;) {
		mh_rc rc;

		raw_avail(s, &p, &n);
		if (n >= want || s->raw)
			return MH_OK;
		rc = fill_ib(s, err);
		if (rc == MH_EOF)
			return MH_OK;
		if (rc != MH_OK)
			return rc;
	}
}

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

/* Compressed size of the first member from the central directory (memory
 * input only). Returns false if there is no usable directory. */
static bool zip_cd_size(const unsigned char *b, size_t len, uint64_t *csize)
{
	size_t lo = len > 65557 ? len - 65557 : 0;

	if (len < 22)
		return false;
	for (size_t i = len - 22 + 1; i-- > lo;) {
		uint32_t cd_off;

		if (le32(b + i) != 0x06054b50)
			continue;
		cd_off = le32(b + i + 16);
		if ((size_t)cd_off + 46 > len || le32(b + cd_off) != 0x02014b50)
			return false;
		*csize = le32(b + cd_off + 20);
		return *csize != 0xffffffffu;
	}
	return false;
}

/* Parse the first local header; position raw at the member's data and
 * set up inflate (deflate) or an in-place window (stored). */
static mh_rc zip_start(mh_source *s, mh_err *err)
{
	const unsigned char *p;
	size_t n, hdr;
	uint16_t flags, method, nlen, xlen;
	uint64_t csize;
	mh_rc rc;

	rc = raw_need(s, 30, err);
	if (rc != MH_OK)
		return rc;
	raw_avail(s, &p, &n);
	if (n < 30)
		return mh_err_set(err, MH_EIO, s->name, 0, 0,
				  "zip: truncated local header");
	flags = le16(p + 6);
	method = le16(p + 8);
	csize = le32(p + 18);
	nlen = le16(p + 26);
	xlen = le16(p + 28);
	hdr = 30u + nlen + xlen;
	if (flags & 1)
		return mh_err_set(err, MH_EUNSUP, s->name, 0, 0,
				  "zip: encrypted member not supported");
	rc = raw_need(s, hdr, err);
	if (rc != MH_OK)
		return rc;
	raw_avail(s, &p, &n);
	if (n < hdr)
		return mh_err_set(err, MH_EIO, s->name, 0, 0,
				  "zip: truncated local header");
	raw_consume(s, hdr);
	s->raw_total = 0;

	if ((flags & 8) || csize == 0 || csize == 0xffffffffu) {
		/* Sizes in a data descriptor: ask the central directory. */
		if (!(s->raw && zip_cd_size(s->raw, s->raw_len, &csize)))
			csize = UINT64_MAX;
	}
	if (method == 0) {
		if (csize == UINT64_MAX || !s->raw)
			return mh_err_set(err, MH_EUNSUP, s->name, 0, 0,
					  "zip: stored member of unknown size "
					  "(or from a pipe) not supported");
		raw_avail(s, &p, &n);
		if (csize > n)
			csize = n;
		s->kind = K_STORED;
		s->win = (const char *)p;
		s->rpos = 0;
		s->wpos = (size_t)csize;
		s->raw_total = csize;
		return MH_OK;
	}
	if (method != 8)
		return mh_err_set(err, MH_EUNSUP, s->name, 0, 0,
				  "zip: compression method %u not supported",
				  (unsigned)method);
	s->z_remaining = csize;
	if (inflateInit2(&s->z, -15) != Z_OK)
		return mh_err_set(err, MH_ENOMEM, s->name, 0, 0,
				  "zlib: inflateInit failed");
	s->z_init = true;
	s->kind = K_INFLATE;
	return MH_OK;
}

static mh_rc gzip_start(mh_source *s, mh_err *err)
{
	if (inflateInit2(&s->z, 15 + 32) != Z_OK)
		return mh_err_set(err, MH_ENOMEM, s->name, 0, 0,
				  "zlib: inflateInit failed");
	s->z_init = true;
	s->z_gzip = true;
	s->z_remaining = UINT64_MAX;
	s->kind = K_INFLATE;
	return MH_OK;
}

/* Inspect the first raw bytes and choose the decoder. */
static mh_rc detect_start(mh_source *s, mh_err *err)
{
	const unsigned char *p;
	size_t n;
	mh_rc rc;

	rc = raw_need(s, 4, err);
	if (rc != MH_OK)
		return rc;
	raw_avail(s, &p, &n);
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return gzip_start(s, err);
	if (n >= 4 && p[0] == 'P' && p[1] == 'K' && p[2] == 3 && p[3] == 4)
		return zip_start(s, err);
	if (s->raw) {
		s->kind = K_PLAIN_MEM;
		s->win = (const char *)s->raw;
		s->rpos = 0;
		s->wpos = s->raw_len;
		s->raw_total = s->raw_len;
		s->eof = true;
	} else {
		s->kind = K_PLAIN_FD;
	}
	return MH_OK;
}

static mh_rc alloc_ob(mh_source *s, mh_err *err)
{
	if (s->kind == K_PLAIN_MEM || s->kind == K_STORED)
		return MH_OK;
	s->cap = OUT_INIT;
	if (s->cap > s->max_record + 2)
		s->cap = s->max_record + 2 > 4096 ? s->max_record + 2 : 4096;
	s->ob = malloc(s->cap);
	if (!s->ob)
		return mh_err_set(err, MH_ENOMEM, s->name, 0, 0,
				  "out of memory");
	s->win = s->ob;
	/* Stream input already read into ib (for detection) is data. */
	if (s->kind == K_PLAIN_FD) {
		size_t n = s->ib_len - s->ib_pos;
		if (n > s->cap)
			n = s->cap;
		memcpy(s->ob, s->ib + s->ib_pos, n);
		s->ib_pos += n;
		s->raw_total += n;
		s->wpos = n;
	}
	return MH_OK;
}

static mh_source *new_source(const char *name, const mh_source_opts *opts)
{
	mh_source *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->name = strdup(name);
	if (!s->name) {
		free(s);
		return NULL;
	}
	s->fd = -1;
	s->max_record =
	    opts && opts->max_record ? opts->max_record : DEFAULT_MAX_RECORD;
	return s;
}

mh_rc mh_source_open(const char *path, const mh_source_opts *opts,
		     mh_source **out, mh_err *err)
{
	mh_source *s = NULL;
	struct stat st;
	bool is_stdin;
	mh_rc rc;

	*out = NULL;
	if (!path)
		return mh_err_set(err, MH_EINVAL, NULL, 0, 0, "no path");
	is_stdin = strcmp(path, "-") == 0;
	s = new_source(is_stdin ? "<stdin>" : path, opts);
	if (!s)
		return mh_err_set(err, MH_ENOMEM, path, 0, 0, "out of memory");
	if (is_stdin) {
		s->fd = STDIN_FILENO;
	} else {
		s->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (s->fd < 0) {
			rc = io_err(s, err, "cannot open");
			goto out;
		}
		s->own_fd = true;
	}
	if (fstat(s->fd, &st) < 0) {
		rc = io_err(s, err, "stat");
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		rc = io_err(s, err, "cannot read");
		goto out;
	}
	if (S_ISREG(st.st_mode)) {
		s->size = (uint64_t)st.st_size;
		if (st.st_size > 0) {
			void *m = mmap(NULL, (size_t)st.st_size, PROT_READ,
				       MAP_PRIVATE, s->fd, 0);
			if (m != MAP_FAILED) {
				s->map = m;
				s->map_len = (size_t)st.st_size;
				(void)madvise(m, s->map_len, MADV_SEQUENTIAL);
				s->raw = m;
				s->raw_len = s->map_len;
				s->can_release = true;
			}
		} else if (!is_stdin) {
			/* Empty regular file (or a procfs-like one that
			 * reports 0): read it as a stream. */
		}
	}
	if (!s->raw) {
		s->ib = malloc(IN_CHUNK);
		if (!s->ib) {
			rc = mh_err_set(err, MH_ENOMEM, s->name, 0, 0,
					"out of memory");
			goto out;
		}
	}
	rc = detect_start(s, err);
	if (rc != MH_OK)
		goto out;
	rc = alloc_ob(s, err);
	if (rc != MH_OK)
		goto out;
	*out = s;
	return MH_OK;
out:
	mh_source_close(s);
	return rc;
}

mh_rc mh_source_open_mem(const char *name, const void *buf, size_t len,
			 mh_source **out, mh_err *err)
{
	mh_source *s;
	mh_rc rc;

	*out = NULL;
	s = new_source(name ? name : "<memory>", NULL);
	if (!s)
		return mh_err_set(err, MH_ENOMEM, name, 0, 0, "out of memory");
	s->raw = buf ? buf : (const unsigned char *)"";
	s->raw_len = buf ? len : 0;
	s->size = s->raw_len;
	rc = detect_start(s, err);
	if (rc == MH_OK)
		rc = alloc_ob(s, err);
	if (rc != MH_OK) {
		mh_source_close(s);
		return rc;
	}
	*out = s;
	return MH_OK;
}

void mh_source_close(mh_source *s)
{
	if (!s)
		return;
	if (s->z_init)
		inflateEnd(&s->z);
	if (s->release_step && s->kind == K_PLAIN_MEM) {
		s->release_step = 1;
		release_behind(s, s->wpos);
	}
	if (s->map)
		munmap(s->map, s->map_len);
	if (s->own_fd && s->fd >= 0)
		close(s->fd);
	free(s->ib);
	free(s->ob);
	free(s->name);
	free(s);
}

const char *mh_source_name(const mh_source *s)
{
	return s->name;
}

void mh_source_peek(mh_source *s, const char **p, size_t *n)
{
	*p = s->win + s->rpos;
	*n = s->wpos - s->rpos;
}

void mh_source_consume(mh_source *s, size_t n)
{
	if (n > s->wpos - s->rpos)
		n = s->wpos - s->rpos;
	s->rpos += n;
	if (s->kind == K_PLAIN_MEM)
		release_behind(s, s->rpos);
}

void mh_source_skip_lines(mh_source *s, size_t n, uint64_t nlines)
{
	mh_source_consume(s, n);
	s->line_no += nlines;
}

size_t mh_source_max_record(const mh_source *s)
{
	return s->max_record;
}

/* Inflate into ob[wpos..cap). Returns MH_OK if bytes were produced,
 * MH_EOF at the end of the (last) member. */
static mh_rc inflate_more(mh_source *s, mh_err *err)
{
	size_t before = s->wpos;

	while (s->wpos == before && !s->z_done) {
		const unsigned char *p;
		size_t n;
		int zr;
		size_t in_before;

		raw_avail(s, &p, &n);
		if (n == 0 && !s->raw) {
			mh_rc rc = fill_ib(s, err);
			if (rc != MH_OK && rc != MH_EOF)
				return rc;
			raw_avail(s, &p, &n);
		}
		if ((uint64_t)n > s->z_remaining)
			n = (size_t)s->z_remaining;
		if (n > UINT32_MAX)
			n = UINT32_MAX;
		s->z.next_in = (Bytef *)(uintptr_t)p;
		s->z.avail_in = (uInt)n;
		in_before = n;
		{
			size_t room = s->cap - s->wpos;
			if (room > UINT32_MAX)
				room = UINT32_MAX;
			s->z.next_out = (Bytef *)s->ob + s->wpos;
			s->z.avail_out = (uInt)room;
		}
		zr = inflate(&s->z, Z_NO_FLUSH);
		s->wpos = (size_t)((char *)s->z.next_out - s->ob);
		raw_consume(s, in_before - s->z.avail_in);
		if (s->z_remaining != UINT64_MAX)
			s->z_remaining -= in_before - s->z.avail_in;
		if (zr == Z_STREAM_END) {
			const unsigned char *q;
			size_t m;

			if (!s->z_gzip) {
				s->z_done = true;
				break;
			}
			/* Another gzip member? */
			if (raw_need(s, 2, err) != MH_OK)
				return MH_EIO;
			raw_avail(s, &q, &m);
			if (m >= 2 && q[0] == 0x1f && q[1] == 0x8b) {
				inflateReset(&s->z);
				continue;
			}
			s->z_done = true; /* trailing garbage ignored */
			break;
		}
		if (zr == Z_BUF_ERROR && in_before == 0) {
			/* No input left and no progress: truncated stream. */
			return mh_err_set(err, MH_EIO, s->name, 0, 0,
					  "%s: unexpected end of compressed "
					  "data",
					  s->z_gzip ? "gzip" : "zip");
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR)
			return mh_err_set(err, MH_EIO, s->name, 0, 0,
					  "%s: corrupt compressed data (%s)",
					  s->z_gzip ? "gzip" : "zip",
					  s->z.msg ? s->z.msg : "inflate");
	}
	return s->wpos > before ? MH_OK : MH_EOF;
}

mh_rc mh_source_more(mh_source *s, mh_err *err)
{
	size_t unread;
	mh_rc rc;

	if (s->eof || s->kind == K_PLAIN_MEM || s->kind == K_STORED) {
		s->eof = true;
		return MH_EOF;
	}
	unread = s->wpos - s->rpos;
	/* Compact: keep the unread bytes at the start of ob. */
	if (s->rpos > 0) {
		memmove(s->ob, s->ob + s->rpos, unread);
		s->consumed += s->rpos;
		s->rpos = 0;
		s->wpos = unread;
	}
	if (s->wpos == s->cap) {
		size_t limit = s->max_record + 2;
		size_t ncap;
		char *nb;

		if (s->cap >= limit)
			return mh_err_set(err, MH_ELIMIT, s->name, 0, 0,
					  "record longer than %zu bytes",
					  s->max_record);
		ncap = s->cap * 2 < limit ? s->cap * 2 : limit;
		nb = realloc(s->ob, ncap);
		if (!nb)
			return mh_err_set(err, MH_ENOMEM, s->name, 0, 0,
					  "out of memory");
		s->ob = nb;
		s->win = nb;
		s->cap = ncap;
	}
	if (s->kind == K_PLAIN_FD) {
		size_t left = s->ib ? s->ib_len - s->ib_pos : 0;
		ssize_t r;

		if (left) {
			/* Bytes read ahead during detection come first. */
			if (left > s->cap - s->wpos)
				left = s->cap - s->wpos;
			memcpy(s->ob + s->wpos, s->ib + s->ib_pos, left);
			s->ib_pos += left;
			s->wpos += left;
			s->raw_total += left;
			return MH_OK;
		}
		do {
			r = read(s->fd, s->ob + s->wpos, s->cap - s->wpos);
		} while (r < 0 && errno == EINTR);
		if (r < 0)
			return io_err(s, err, "read");
		if (r == 0) {
			s->eof = true;
			return MH_EOF;
		}
		s->wpos += (size_t)r;
		s->raw_total += (uint64_t)r;
		return MH_OK;
	}
	rc = inflate_more(s, err);
	if (rc == MH_EOF)
		s->eof = true;
	return rc;
}

/* Drop the window and keep reading until a newline; used for lines past
 * max_record. Leaves the bytes after the newline unread. */
static mh_rc skip_to_newline(mh_source *s, mh_err *err)
{
	for (;;) {
		const char *p = s->win + s->rpos;
		size_t n = s->wpos - s->rpos;
		const char *nl = memchr(p, '\n', n);
		mh_rc rc;

		if (nl) {
			s->rpos += (size_t)(nl - p) + 1;
			return MH_OK;
		}
		s->rpos = s->wpos;
		rc = mh_source_more(s, err);
		if (rc == MH_EOF)
			return MH_OK;
		if (rc != MH_OK)
			return rc;
	}
}

mh_rc mh_source_line(mh_source *s, mh_str *line, uint64_t *line_no, mh_err *err)
{
	size_t scanned = 0;

	if (s->kind == K_PLAIN_MEM)
		release_behind(s, s->rpos); /* the previous line is done */
	for (;;) {
		const char *p = s->win + s->rpos;
		size_t n = s->wpos - s->rpos;
		const char *nl = memchr(p + scanned, '\n', n - scanned);
		size_t len;
		mh_rc rc;

		if (nl || (s->eof && n > 0)) {
			len = nl ? (size_t)(nl - p) : n;
			s->rpos += nl ? len + 1 : len;
			s->line_no++;
			if (line_no)
				*line_no = s->line_no;
			if (len && p[len - 1] == '\r')
				len--;
			if (len > s->max_record) {
				line->p = NULL;
				line->n = 0;
				return mh_err_set(err, MH_ELIMIT, s->name,
						  s->line_no, 0,
						  "line longer than %zu bytes",
						  s->max_record);
			}
			line->p = p;
			line->n = len;
			return MH_OK;
		}
		if (s->eof) {
			line->p = NULL;
			line->n = 0;
			return MH_EOF;
		}
		scanned = n;
		rc = mh_source_more(s, err);
		if (rc == MH_OK) {
			continue;
		}
		if (rc == MH_EOF) {
			s->eof = true;
			continue;
		}
		if (rc == MH_ELIMIT) {
			rc = skip_to_newline(s, err);
			if (rc != MH_OK)
				return rc;
			s->line_no++;
			if (line_no)
				*line_no = s->line_no;
			line->p = NULL;
			line->n = 0;
			return mh_err_set(err, MH_ELIMIT, s->name, s->line_no,
					  0, "line longer than %zu bytes",
					  s->max_record);
		}
		return rc;
	}
}

uint64_t mh_source_offset(const mh_source *s)
{
	if (s->kind == K_PLAIN_MEM || s->kind == K_STORED)
		return s->rpos;
	return s->consumed + s->rpos;
}

uint64_t mh_source_size(const mh_source *s)
{
	return s->size;
}

uint64_t mh_source_raw_offset(const mh_source *s)
{
	if (s->kind == K_PLAIN_MEM)
		return s->rpos;
	if (s->kind == K_PLAIN_FD)
		return s->consumed + s->rpos;
	return s->raw_total;
}

mh_rc mh_source_open_slice(mh_source *parent, uint64_t off, size_t len,
			   mh_source **out, mh_err *err)
{
	mh_source *s;

	*out = NULL;
	if (!parent || parent->kind != K_PLAIN_MEM || off > parent->raw_len ||
	    len > parent->raw_len - off)
		return mh_err_set(err, MH_EINVAL, parent ? parent->name : NULL,
				  0, 0, "no such slice of the input");
	s = new_source(parent->name, NULL);
	if (!s)
		return mh_err_set(err, MH_ENOMEM, parent->name, 0, 0,
				  "out of memory");
	s->max_record = parent->max_record;
	s->kind = K_PLAIN_MEM;
	s->raw = parent->raw + off;
	s->raw_len = len;
	s->size = len;
	s->win = (const char *)s->raw;
	s->wpos = len;
	s->raw_total = len;
	s->eof = true;
	/* Many slices are read at once (one per thread): release in small
	 * steps, and all of the slice at close. */
	s->can_release = parent->can_release;
	s->release_step = SLICE_RELEASE_STEP;
	*out = s;
	return MH_OK;
}

void mh_source_slice_keep_pages(mh_source *s)
{
	s->can_release = false;
	s->release_step = 0;
}

bool mh_source_mem(const mh_source *s, const char **p, size_t *n)
{
	if (s->kind != K_PLAIN_MEM)
		return false;
	*p = (const char *)s->raw;
	*n = s->raw_len;
	return true;
}

uint64_t mh_source_released(const mh_source *s)
{
	return s->released_bytes;
}

uint64_t mh_source_lines(const mh_source *s)
{
	return s->line_no;
}

void mh_source_set_line(mh_source *s, uint64_t base)
{
	s->line_no = base;
}

size_t mh_split_chunk(const char *p, size_t len, size_t off, size_t want)
{
	const char *nl;
	size_t at;

	if (off >= len)
		return len;
	if (want == 0)
		want = 1;
	if (want >= len - off)
		return len;
	at = off + want - 1;
	nl = memchr(p + at, '\n', len - at);
	return nl ? (size_t)(nl - p) + 1 : len;
}
