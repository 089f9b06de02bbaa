/* EVTX (Windows XML Event Log) files through libevtx.
 *
 * Every record, then every recovered record (libevtx carves those from
 * damaged chunks and slack space), is rendered to XML by libevtx and
 * parsed by the same code as the XML reader (xml_event.h), so an EVTX
 * file and its XML export give the same canonical events.
 *
 * - ev->line is the record's ordinal in the file (1-based: records
 *   first, then recovered records).
 * - A recovered record whose EventRecordID is also a regular record's is
 *   a duplicate and is skipped; one libevtx cannot render is a failed
 *   carving, counted in stats.skipped (not malformed: it may not be a
 *   record at all).
 * - A regular record that cannot be rendered or parsed is malformed.
 * - Damaged chunks are found by checking each 64 KiB chunk slot after
 *   the file header: a slot that is not all zeros but lacks the
 *   "ElfChnk" signature, a chunk header whose CRC32 does not match, or a
 *   chunk whose record data CRC32 does not match (records lost) is
 *   reported once, with the chunk number and file offset, as malformed.
 *   libevtx skips what it cannot read and the other chunks are read.
 * - libevtx opens the file by path, so only regular files are read:
 *   stdin and compressed EVTX fail at open with a clear message.
 *
 * Not thread-safe (one reader per file). */
#include "input/input.h"
#include "input/xml_event.h"
#include "input/xml_evtx_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define EVTX_HEADER    4096u
#define EVTX_CHUNK     65536u
#define EVTX_CHUNK_HDR 512u
#define EVTX_MAX_XML   (64u << 20) /* one rendered record */

typedef struct evtx_priv {
	libevtx_file_t *f;
	mh_xmlev *x;
	mh_arena arena;
	char *buf; /* rendered XML */
	size_t buf_size;
	int nrec, nrecov;
	int next; /* index over records then recovered records */
	bool chunks_done;
	uint64_t *ids; /* sorted EventRecordIDs of the regular records */
	size_t nids;
	bool ids_done;
} evtx_priv;

static void lib_msg(libevtx_error_t **e, char *out, size_t cap)
{
	size_t n;

	out[0] = '\0';
	if (e && *e) {
		/* the whole chain: the first line alone is too vague */
		if (libevtx_error_backtrace_sprint(*e, out, cap) < 0 &&
		    libevtx_error_sprint(*e, out, cap) < 0)
			snprintf(out, cap, "libevtx error");
		libevtx_error_free(e);
	} else {
		snprintf(out, cap, "libevtx error");
	}
	/* one line */
	out[cap - 1] = '\0';
	n = strlen(out);
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r' ||
			 out[n - 1] == ' ' || out[n - 1] == '.'))
		out[--n] = '\0';
	for (char *p = out; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Check every chunk slot of the file image p[0..n) (see the top). */
static void check_chunks(mh_reader *r, const unsigned char *p, size_t n)
{
	uint64_t k = 0;

	for (size_t off = EVTX_HEADER; off + EVTX_CHUNK_HDR <= n;
	     off += EVTX_CHUNK, k++) {
		const unsigned char *c = p + off;
		size_t avail = n - off < EVTX_CHUNK ? n - off : EVTX_CHUNK;
		uint32_t crc, free_off;

		if (memcmp(c, "ElfChnk", 8) != 0) {
			if (all_zero(c, avail))
				continue; /* unused slot */
			mh_reader_malformed(r, 0,
					    "chunk %llu at offset 0x%zx: bad "
					    "chunk signature, chunk skipped",
					    (unsigned long long)k, off);
			continue;
		}
		crc = (uint32_t)crc32(0L, c, 120);
		crc = (uint32_t)crc32(crc, c + 128, EVTX_CHUNK_HDR - 128);
		if (crc != le32(c + 124)) {
			mh_reader_malformed(r, 0,
					    "chunk %llu at offset 0x%zx: bad "
					    "chunk header checksum, chunk "
					    "skipped",
					    (unsigned long long)k, off);
			continue;
		}
		free_off = le32(c + 48);
		if (free_off < EVTX_CHUNK_HDR || free_off > avail)
			continue; /* libevtx judges the records */
		crc = (uint32_t)crc32(0L, c + EVTX_CHUNK_HDR,
				      free_off - EVTX_CHUNK_HDR);
		if (crc != le32(c + 52))
			mh_reader_malformed(
			    r, 0,
			    "chunk %llu at offset 0x%zx: record data "
			    "checksum mismatch (records %llu-%llu), records "
			    "after the damage may be lost",
			    (unsigned long long)k, off,
			    (unsigned long long)le64(c + 8),
			    (unsigned long long)le64(c + 16));
	}
}

static int id_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Collect the regular records' identifiers (once) for de-duplicating
 * recovered records. Failure only disables the de-duplication. */
static void collect_ids(evtx_priv *pv)
{
	pv->ids_done = true;
	if (pv->nrec <= 0)
		return;
	pv->ids = malloc((size_t)pv->nrec * sizeof(*pv->ids));
	if (!pv->ids)
		return;
	for (int i = 0; i < pv->nrec; i++) {
		libevtx_record_t *rec = NULL;
		uint64_t id;

		if (libevtx_file_get_record_by_index(pv->f, i, &rec, NULL) != 1)
			continue;
		if (libevtx_record_get_identifier(rec, &id, NULL) == 1)
			pv->ids[pv->nids++] = id;
		libevtx_record_free(&rec, NULL);
	}
	qsort(pv->ids, pv->nids, sizeof(*pv->ids), id_cmp);
}

static bool known_id(const evtx_priv *pv, uint64_t id)
{
	return pv->ids &&
	       bsearch(&id, pv->ids, pv->nids, sizeof(*pv->ids), id_cmp);
}

/* Render record rec into pv->buf. Returns the XML length, or -1 with
 * msg set. */
static long render(evtx_priv *pv, libevtx_record_t *rec, char *msg, size_t cap)
{
	libevtx_error_t *e = NULL;
	size_t sz = 0;

	if (libevtx_record_get_utf8_xml_string_size(rec, &sz, &e) != 1) {
		lib_msg(&e, msg, cap);
		return -1;
	}
	if (sz == 0 || sz > EVTX_MAX_XML) {
		snprintf(msg, cap, "rendered XML of %zu bytes", sz);
		return -1;
	}
	if (sz > pv->buf_size) {
		size_t want = pv->buf_size ? pv->buf_size : 16384;
		char *nb;

		while (want < sz)
			want *= 2;
		nb = realloc(pv->buf, want);
		if (!nb) {
			snprintf(msg, cap, "out of memory");
			return -1;
		}
		pv->buf = nb;
		pv->buf_size = want;
	}
	if (libevtx_record_get_utf8_xml_string(rec, (uint8_t *)pv->buf, sz,
					       &e) != 1) {
		lib_msg(&e, msg, cap);
		return -1;
	}
	sz--; /* the NUL */
	while (sz > 0 && pv->buf[sz - 1] == '\0')
		sz--;
	return (long)sz;
}

static mh_rc evtx_next(mh_reader *r, mh_event *ev, mh_err *err)
{
	evtx_priv *pv = r->priv;
	const char *file = mh_source_name(r->src);

	if (!pv)
		return MH_EOF;
	if (!pv->chunks_done) {
		const char *p;
		size_t n;

		pv->chunks_done = true;
		mh_source_peek(r->src, &p, &n);
		check_chunks(r, (const unsigned char *)p, n);
	}
	while (pv->next < pv->nrec + pv->nrecov) {
		int i = pv->next++;
		bool recov = i >= pv->nrec;
		uint64_t ord = (uint64_t)i + 1, id = 0;
		libevtx_record_t *rec = NULL;
		libevtx_error_t *e = NULL;
		char msg[1024];
		const char *why;
		uint64_t el, ec;
		long len;
		int ok;
		mh_rc rc;

		if (recov && !pv->ids_done)
			collect_ids(pv);
		ok = recov
			 ? libevtx_file_get_recovered_record_by_index(
			       pv->f, i - pv->nrec, &rec, &e)
			 : libevtx_file_get_record_by_index(pv->f, i, &rec, &e);
		if (ok != 1) {
			lib_msg(&e, msg, sizeof(msg));
			if (recov)
				r->stats.skipped++;
			else
				mh_reader_malformed(r, ord, "record %llu: %s",
						    (unsigned long long)ord,
						    msg);
			continue;
		}
		if (libevtx_record_get_identifier(rec, &id, NULL) != 1)
			id = 0;
		if (recov && (id == 0 || known_id(pv, id))) {
			libevtx_record_free(&rec, NULL);
			r->stats.skipped++;
			continue;
		}
		len = render(pv, rec, msg, sizeof(msg));
		libevtx_record_free(&rec, NULL);
		if (len < 0) {
			if (recov)
				r->stats.skipped++;
			else
				mh_reader_malformed(
				    r, ord,
				    "record %llu (EventRecordID %llu): "
				    "cannot render: %s",
				    (unsigned long long)ord,
				    (unsigned long long)id, msg);
			continue;
		}
		mh_event_clear(ev);
		if (!ev->arena)
			ev->arena = &pv->arena;
		mh_arena_reset(ev->arena);
		ev->file = file;
		ev->line = ord;
		rc = mh_xmlev_parse(pv->x, ev, pv->buf, (size_t)len, &why, &el,
				    &ec);
		if (rc == MH_ENOMEM)
			return mh_err_set(err, MH_ENOMEM, file, ord, 0,
					  "out of memory decoding record %llu",
					  (unsigned long long)ord);
		if (rc != MH_OK) {
			mh_reader_malformed(
			    r, ord,
			    "record %llu (EventRecordID %llu): bad rendered "
			    "XML: %s (line %llu, column %llu)",
			    (unsigned long long)ord, (unsigned long long)id,
			    why, (unsigned long long)el,
			    (unsigned long long)ec);
			continue;
		}
		snprintf(r->dialect, sizeof(r->dialect), "%s",
			 mh_xmlev_dialect(pv->x));
		r->stats.records++;
		return MH_OK;
	}
	{
		/* libevtx read the file by path: mark the bytes consumed, for
		 * the throughput and progress figures */
		const char *p;
		size_t n;

		mh_source_peek(r->src, &p, &n);
		mh_source_consume(r->src, n);
	}
	return MH_EOF;
}

static void evtx_close(mh_reader *r)
{
	evtx_priv *pv = r->priv;

	if (!pv)
		return;
	if (pv->f) {
		libevtx_file_close(pv->f, NULL);
		libevtx_file_free(&pv->f, NULL);
	}
	mh_xmlev_free(pv->x);
	mh_arena_free(&pv->arena);
	free(pv->buf);
	free(pv->ids);
	free(pv);
	r->priv = NULL;
}

/* True if the file at path starts with the EVTX signature (it is not
 * compressed on disk). */
static bool raw_signature(const char *path)
{
	unsigned char b[8];
	FILE *fp = fopen(path, "rb");
	bool ok;

	if (!fp)
		return false;
	ok = fread(b, 1, 8, fp) == 8 && memcmp(b, "ElfFile", 8) == 0;
	fclose(fp);
	return ok;
}

static mh_rc evtx_open(mh_reader *r, mh_err *err)
{
	const char *path = mh_source_name(r->src);
	libevtx_error_t *e = NULL;
	evtx_priv *pv;
	char msg[1024];
	mh_rc rc = MH_OK;

	if (strcmp(path, "<stdin>") == 0 || strcmp(path, "-") == 0)
		return mh_err_set(err, MH_EUNSUP, path, 0, 0,
				  "EVTX input must be a regular file (libevtx "
				  "reads by path); stdin is not supported");
	if (!raw_signature(path))
		return mh_err_set(err, MH_EUNSUP, path, 0, 0,
				  "not an uncompressed EVTX file (compressed "
				  "EVTX is not supported: decompress it "
				  "first)");
	pv = calloc(1, sizeof(*pv));
	if (!pv || mh_xmlev_new(&r->need, &pv->x) != MH_OK) {
		free(pv);
		return mh_err_set(err, MH_ENOMEM, path, 0, 0, "out of memory");
	}
	mh_arena_init(&pv->arena, 64 * 1024, 0);
	r->priv = pv;
	snprintf(r->dialect, sizeof(r->dialect), "windows");
	if (libevtx_file_initialize(&pv->f, &e) != 1) {
		lib_msg(&e, msg, sizeof(msg));
		rc = mh_err_set(err, MH_ENOMEM, path, 0, 0, "libevtx: %s", msg);
		goto out;
	}
	if (libevtx_file_open(pv->f, path, LIBEVTX_OPEN_READ, &e) != 1) {
		lib_msg(&e, msg, sizeof(msg));
		libevtx_file_free(&pv->f, NULL);
		rc = mh_err_set(err, MH_EIO, path, 0, 0,
				"cannot open the EVTX file: %s", msg);
		goto out;
	}
	if (libevtx_file_get_number_of_records(pv->f, &pv->nrec, &e) != 1) {
		lib_msg(&e, msg, sizeof(msg));
		pv->nrec = 0;
		mh_reader_malformed(r, 0, "cannot count records: %s", msg);
	}
	if (libevtx_file_get_number_of_recovered_records(pv->f, &pv->nrecov,
							 &e) != 1) {
		libevtx_error_free(&e);
		pv->nrecov = 0;
	}
	if (pv->nrec < 0)
		pv->nrec = 0;
	if (pv->nrecov < 0)
		pv->nrecov = 0;
out:
	if (rc != MH_OK)
		evtx_close(r);
	return rc;
}

static int evtx_probe(const char *buf, size_t len)
{
	return buf && len >= 8 && memcmp(buf, "ElfFile", 8) == 0 ? 100 : 0;
}

const mh_reader_ops mh_input_evtx = {
    .name = "evtx",
    .desc = "Windows EVTX event log files (libevtx), read by path",
    .probe = evtx_probe,
    .open = evtx_open,
    .next = evtx_next,
    .close = evtx_close,
};
