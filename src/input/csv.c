/* CSV with a header row (RFC 4180): Defender portal/Advanced Hunting,
 * QRadar, Splunk and Sumo exports.
 *
 * - Cells are separated by ',', records by LF or CRLF. A cell starting
 *   with '"' is quoted: it may hold ',', line breaks and doubled quotes
 *   ("" = one "). A '"' inside an unquoted cell is kept literally.
 * - A UTF-8 BOM before the header is skipped; blank lines are skipped.
 * - The header names are the keys: the dialect is detected from them
 *   (mh_dialect_detect) and each column is mapped with
 *   mh_dialect_lookup; a column the dialect does not know falls back to
 *   a canonical field name or alias (mh_field_lookup), at the lowest
 *   priority.
 * - An EMPTY cell (nothing, or "") means the export had no value for the
 *   column: the field stays UNSET, never set to "".
 * - A row with another number of cells than the header, an unterminated
 *   quote, junk after a closing quote or a record longer than
 *   CSV_MAX_RECORD is malformed: counted, reported with the line where
 *   the record starts, and skipped (resuming after the first line break
 *   of the bad record).
 * - Lazy: every cell is delimited, but only cells whose column maps to a
 *   needed field (or TIME) are decoded. Decoding is zero-copy unless the
 *   cell holds doubled quotes, which are un-doubled into ev->arena.
 *
 * Values point into the source window (or ev->arena) and stay valid
 * until the next call to next(): the record is consumed only then. */
#include "input/dialect.h"
#include "input/input.h"

#include <stdlib.h>
#include <string.h>

#define CSV_MAX_RECORD	  (16u << 20) /* one record, bytes */
#define CSV_MAX_COLS	  4096
#define CSV_FALLBACK_PRIO 200 /* canonical-name columns lose to dialect */

typedef struct csv_cell {
	size_t off, len; /* content, relative to the record start */
	bool dq;	 /* quoted and holds doubled quotes */
} csv_cell;

typedef struct csv_col {
	mh_dialect_map map; /* field MH_F_NONE: unmapped */
	bool active;	    /* decode this column */
} csv_col;

typedef struct csv_priv {
	const mh_dialect *d;
	char *names; /* header names, NUL-separated (map keys point here) */
	csv_col *cols;
	size_t ncols;
	csv_cell *cells; /* ncols + 1 slots: one extra detects "too many" */
	size_t ncells_cap;
	uint8_t prio[MH_F__COUNT];
	uint64_t line;	/* line number of the first unread byte */
	size_t pending; /* bytes of the last record, consumed on next() */
	bool header_ok;
} csv_priv;

enum scan_rc { SCAN_OK, SCAN_MORE, SCAN_BAD };

/* Bytes that end an unquoted cell. */
static const bool delim[256] = {[','] = true, ['\n'] = true};

#define SWAR_ONES 0x0101010101010101ULL
#define SWAR_HIGH 0x8080808080808080ULL

/* Index of the first ',' or '\n' in p[i..n), or n. Eight bytes at a time
 * on little-endian targets (the lowest flagged byte is exact). */
static size_t skip_unquoted(const char *p, size_t i, size_t n)
{
	if (i < n && delim[(unsigned char)p[i]])
		return i; /* empty cell: the common case in wide exports */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	while (n - i >= 8) {
		uint64_t w, a, b, m;

		memcpy(&w, p + i, 8);
		a = w ^ (SWAR_ONES * ',');
		b = w ^ (SWAR_ONES * '\n');
		m = ((a - SWAR_ONES) & ~a) | ((b - SWAR_ONES) & ~b);
		m &= SWAR_HIGH;
		if (m)
			return i + ((unsigned)__builtin_ctzll(m) >> 3);
		i += 8;
	}
#endif
	while (i < n && !delim[(unsigned char)p[i]])
		i++;
	return i;
}

static uint64_t count_nl(const char *p, size_t n)
{
	uint64_t k = 0;
	const char *e = p + n;

	while (p < e && (p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		k++;
		p++;
	}
	return k;
}

typedef struct scan_res {
	size_t len;    /* bytes of the record incl. its line break */
	size_t ncells; /* cells in the record (may exceed the slots) */
	uint64_t nl;   /* line breaks in the record */
	const char *why;
} scan_res;

/* Delimit one record at p[0..n). at_eof: no bytes follow the window.
 * Stores up to maxcells cells. SCAN_MORE: the record may continue past
 * the window. SCAN_BAD: res->why set, res->len unset. */
static enum scan_rc scan_record(const char *p, size_t n, bool at_eof,
				csv_cell *cells, size_t maxcells, scan_res *res)
{
	size_t i = 0, nc = 0;
	uint64_t nl = 0;

	for (;;) {
		size_t start = i, end;
		bool dq = false, last = false;

		if (i < n && p[i] == '"') {
			i++;
			for (;;) {
				const char *q = memchr(p + i, '"', n - i);
				if (!q) {
					if (!at_eof)
						return SCAN_MORE;
					res->why = "unterminated quoted cell";
					return SCAN_BAD;
				}
				nl += count_nl(p + i, (size_t)(q - p) - i);
				i = (size_t)(q - p) + 1;
				if (i == n && !at_eof)
					return SCAN_MORE;
				if (i < n && p[i] == '"') {
					dq = true;
					i++;
					continue;
				}
				break;
			}
			start++;
			end = i - 1;
			if (i == n) {
				last = true;
			} else if (p[i] == ',') {
				i++;
			} else if (p[i] == '\n') {
				i++;
				nl++;
				last = true;
			} else if (p[i] == '\r' && i + 1 < n &&
				   p[i + 1] == '\n') {
				i += 2;
				nl++;
				last = true;
			} else if (p[i] == '\r' && i + 1 == n) {
				if (!at_eof)
					return SCAN_MORE;
				i++;
				last = true;
			} else {
				res->why = "unexpected character after a "
					   "closing quote";
				return SCAN_BAD;
			}
		} else {
			i = skip_unquoted(p, i, n);
			if (i == n && !at_eof)
				return SCAN_MORE;
			end = i;
			if (i < n && p[i] == ',') {
				i++;
			} else {
				if (end > start && p[end - 1] == '\r')
					end--;
				if (i < n) {
					i++; /* '\n' */
					nl++;
				}
				last = true;
			}
		}
		if (nc < maxcells) {
			cells[nc].off = start;
			cells[nc].len = end - start;
			cells[nc].dq = dq;
		}
		nc++;
		if (last)
			break;
	}
	res->len = i;
	res->ncells = nc;
	res->nl = nl;
	return SCAN_OK;
}

typedef enum rec_rc { REC_OK, REC_BAD, REC_EOF, REC_ERR } rec_rc;

/* Next record from the source into pv->cells. On REC_OK *rec and
 * res->len are the record (not yet consumed); on REC_BAD the bad bytes
 * are already consumed and res->why and *line are set. REC_ERR: I/O
 * error in *rc. */
static rec_rc next_record(mh_reader *r, csv_priv *pv, const char **rec,
			  scan_res *res, uint64_t *line, mh_rc *rc, mh_err *err)
{
	bool at_eof = false;
	const char *p;
	size_t n;

	for (;;) {
		enum scan_rc sr;
		size_t lim;

		mh_source_peek(r->src, &p, &n);
		if (n == 0) {
			mh_rc m = at_eof ? MH_EOF : mh_source_more(r->src, err);
			if (m == MH_OK)
				continue;
			if (m == MH_EOF || m == MH_ELIMIT)
				return REC_EOF;
			*rc = m;
			return REC_ERR;
		}
		*line = pv->line;
		lim = n < CSV_MAX_RECORD ? n : CSV_MAX_RECORD;
		sr = scan_record(p, lim, at_eof || lim < n, pv->cells,
				 pv->ncells_cap, res);
		if (lim < n &&
		    ((sr == SCAN_OK && res->len == lim) || sr == SCAN_BAD)) {
			/* cut by the cap, not by the data */
			sr = SCAN_BAD;
			res->why = "record longer than the maximum";
		}
		if (sr == SCAN_OK) {
			*rec = p;
			return REC_OK;
		}
		if (sr == SCAN_MORE) {
			/* Grow the window at least twofold before scanning
			 * again, so a long record costs O(length) overall
			 * even when the source adds small chunks. */
			size_t want = n * 2, have = n;
			mh_rc m;

			do {
				m = mh_source_more(r->src, err);
				if (m == MH_OK)
					mh_source_peek(r->src, &p, &have);
			} while (m == MH_OK && have < want);
			if (m == MH_OK || (m == MH_ELIMIT && have > n))
				continue;
			if (m == MH_EOF) {
				at_eof = true;
				continue;
			}
			if (m != MH_ELIMIT) {
				*rc = m;
				return REC_ERR;
			}
			res->why = "record longer than the maximum";
		}
		/* Bad: skip through the first line break of the record. */
		for (;;) {
			const char *nl;
			mh_rc m;

			mh_source_peek(r->src, &p, &n);
			nl = memchr(p, '\n', n);
			if (nl) {
				mh_source_consume(r->src, (size_t)(nl - p) + 1);
				pv->line++;
				return REC_BAD;
			}
			mh_source_consume(r->src, n);
			m = mh_source_more(r->src, err);
			if (m == MH_EIO || m == MH_ENOMEM) {
				*rc = m;
				return REC_ERR;
			}
			if (m != MH_OK) {
				pv->line++;
				return REC_BAD;
			}
		}
	}
}

static bool blank_record(const scan_res *res, const csv_cell *c)
{
	return res->ncells == 1 && c[0].len == 0 && res->len <= 2;
}

static mh_rc read_header(mh_reader *r, csv_priv *pv, mh_err *err)
{
	static const char bom[] = "\xEF\xBB\xBF";
	csv_cell *tmp = NULL;
	mh_str *keys = NULL;
	const char *p, *rec = NULL;
	size_t n, total = 0, off = 0;
	scan_res res = {0};
	uint64_t line = 1;
	mh_rc rc = MH_OK;
	rec_rc rr;
	bool all;

	/* The BOM may straddle the first window on a stream. */
	for (;;) {
		mh_source_peek(r->src, &p, &n);
		if (n >= 3 || mh_source_more(r->src, err) != MH_OK)
			break;
	}
	if (n >= 3 && memcmp(p, bom, 3) == 0)
		mh_source_consume(r->src, 3);

	tmp = calloc(CSV_MAX_COLS + 1, sizeof(*tmp));
	if (!tmp)
		return mh_err_set(err, MH_ENOMEM, mh_source_name(r->src), 1, 0,
				  "out of memory reading the CSV header");
	pv->cells = tmp;
	pv->ncells_cap = CSV_MAX_COLS + 1;
	do {
		rr = next_record(r, pv, &rec, &res, &line, &rc, err);
		if (rr == REC_OK && blank_record(&res, tmp)) {
			mh_source_consume(r->src, res.len);
			pv->line += res.nl;
			continue;
		}
		break;
	} while (1);
	pv->cells = NULL;
	pv->ncells_cap = 0;
	if (rr == REC_ERR || rr == REC_EOF) /* EOF: empty input */
		goto out;
	if (rr == REC_BAD) {
		mh_reader_malformed(r, line, "bad CSV header: %s", res.why);
		goto out;
	}
	if (res.ncells > CSV_MAX_COLS) {
		mh_source_consume(r->src, res.len);
		pv->line += res.nl;
		mh_reader_malformed(r, line,
				    "bad CSV header: more than %u columns",
				    CSV_MAX_COLS);
		goto out;
	}

	for (size_t i = 0; i < res.ncells; i++)
		total += tmp[i].len + 1;
	pv->names = malloc(total ? total : 1);
	pv->cols = calloc(res.ncells, sizeof(*pv->cols));
	pv->cells = calloc(res.ncells + 1, sizeof(*pv->cells));
	keys = calloc(res.ncells, sizeof(*keys));
	if (!pv->names || !pv->cols || !pv->cells || !keys) {
		rc = mh_err_set(err, MH_ENOMEM, mh_source_name(r->src), line, 0,
				"out of memory reading the CSV header");
		goto out;
	}
	pv->ncols = res.ncells;
	pv->ncells_cap = res.ncells + 1;
	for (size_t i = 0; i < res.ncells; i++) {
		char *dst = pv->names + off;
		size_t k = 0;
		const char *src = rec + tmp[i].off;

		/* Un-double quotes in names; names stay NUL-terminated. */
		for (size_t j = 0; j < tmp[i].len; j++) {
			dst[k++] = src[j];
			if (tmp[i].dq && src[j] == '"')
				j++;
		}
		dst[k] = '\0';
		keys[i] = (mh_str){dst, k};
		off += k + 1;
	}
	mh_source_consume(r->src, res.len);
	pv->line += res.nl;

	pv->d = r->force_dialect ? mh_dialect_find(r->force_dialect)
				 : mh_dialect_detect(keys, pv->ncols);
	if (pv->d)
		snprintf(r->dialect, sizeof(r->dialect), "%s", pv->d->name);
	all = true;
	for (unsigned w = 0; w < MH_FIELD_WORDS; w++)
		if (r->need.w[w])
			all = false;
	for (size_t i = 0; i < pv->ncols; i++) {
		csv_col *c = &pv->cols[i];
		const mh_dialect_map *m =
		    mh_dialect_lookup(pv->d, keys[i].p, keys[i].n);

		if (m) {
			c->map = *m;
		} else {
			mh_field f = mh_field_lookup(keys[i].p, keys[i].n);
			c->map.key = keys[i].p;
			c->map.field = f;
			c->map.conv =
			    f != MH_F_NONE && mh_field_type(f) == MH_T_TIME
				? MH_CONV_TIME
				: MH_CONV_NONE;
			c->map.prio = CSV_FALLBACK_PRIO;
		}
		c->active = c->map.field != MH_F_NONE &&
			    (all || c->map.field == MH_F_TIME ||
			     mh_fieldset_has(&r->need, c->map.field));
	}
	pv->header_ok = true;
out:
	free(keys);
	free(tmp);
	return rc;
}

static void csv_close(mh_reader *r)
{
	csv_priv *pv = r->priv;

	if (!pv)
		return;
	free(pv->names);
	free(pv->cols);
	free(pv->cells);
	free(pv);
	r->priv = NULL;
}

static mh_rc csv_open(mh_reader *r, mh_err *err)
{
	csv_priv *pv = calloc(1, sizeof(*pv));
	mh_rc rc;

	if (!pv)
		return mh_err_set(err, MH_ENOMEM, mh_source_name(r->src), 0, 0,
				  "out of memory");
	pv->line = 1;
	r->priv = pv;
	r->dialect[0] = '\0';
	rc = read_header(r, pv, err);
	if (rc != MH_OK)
		csv_close(r);
	return rc;
}

/* Cell text: zero-copy, or un-doubled into the arena. NULL on ENOMEM. */
static const char *cell_text(mh_event *ev, const char *rec, const csv_cell *c,
			     size_t *n)
{
	const char *s = rec + c->off;
	char *out;
	size_t k = 0;

	*n = c->len;
	if (!c->dq)
		return s;
	if (!ev->arena)
		return s; /* no scratch: keep the doubled form */
	out = mh_arena_alloc(ev->arena, c->len + 1);
	if (!out)
		return NULL;
	for (size_t j = 0; j < c->len; j++) {
		out[k++] = s[j];
		if (s[j] == '"')
			j++;
	}
	out[k] = '\0';
	*n = k;
	return out;
}

static mh_rc csv_next(mh_reader *r, mh_event *ev, mh_err *err)
{
	csv_priv *pv = r->priv;
	const char *file = mh_source_name(r->src);

	if (!pv || !pv->header_ok)
		return MH_EOF;
	if (pv->pending) {
		mh_source_consume(r->src, pv->pending);
		pv->pending = 0;
	}
	for (;;) {
		const char *rec = NULL;
		scan_res res = {0};
		uint64_t line = 0;
		mh_rc rc = MH_OK;
		rec_rc rr = next_record(r, pv, &rec, &res, &line, &rc, err);

		if (rr == REC_EOF)
			return MH_EOF;
		if (rr == REC_ERR)
			return rc;
		if (rr == REC_BAD) {
			mh_reader_malformed(r, line, "%s", res.why);
			continue;
		}
		pv->line += res.nl;
		if (blank_record(&res, pv->cells)) {
			mh_source_consume(r->src, res.len);
			continue;
		}
		if (res.ncells != pv->ncols) {
			mh_source_consume(r->src, res.len);
			mh_reader_malformed(r, line,
					    "expected %zu cells, got %zu",
					    pv->ncols, res.ncells);
			continue;
		}

		mh_event_clear(ev);
		if (ev->arena)
			mh_arena_reset(ev->arena);
		ev->file = file;
		ev->line = line;
		for (size_t i = 0; i < pv->ncols; i++) {
			const csv_col *c = &pv->cols[i];
			const char *v;
			size_t n;

			if (!c->active || pv->cells[i].len == 0)
				continue; /* inactive, or empty = unset */
			v = cell_text(ev, rec, &pv->cells[i], &n);
			if (!v)
				goto nomem;
			if (mh_dialect_apply(&c->map, ev, pv->prio, v, n) ==
			    MH_ENOMEM)
				goto nomem;
		}
		if (pv->d)
			mh_event_set(ev, MH_F_DIALECT, pv->d->name,
				     strlen(pv->d->name));
		pv->pending = res.len;
		r->stats.records++;
		return MH_OK;
	nomem:
		pv->pending = res.len;
		return mh_err_set(err, MH_ENOMEM, file, line, 0,
				  "out of memory decoding a CSV record");
	}
}

/* The first line looks like a CSV header: not JSON/XML/Zeek, two or more
 * non-empty printable-ASCII names of at most 128 bytes. Names hitting a
 * dialect score 90, names hitting canonical fields 50, other comma lists
 * 10. Reads at most the first 64 KiB. */
static int csv_probe(const char *buf, size_t len)
{
	mh_str keys[256];
	size_t nk = 0, i = 0, known = 0;

	if (len > 65536)
		len = 65536;
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len && (buf[i] == '\n' || buf[i] == '\r'))
		i++;
	if (i >= len || buf[i] == '{' || buf[i] == '[' || buf[i] == '<' ||
	    buf[i] == '#')
		return 0;
	while (i < len && buf[i] != '\n' && nk < MH_ARRAY_LEN(keys)) {
		size_t s = i, e;

		if (buf[i] == '"') {
			s = ++i;
			while (i < len && buf[i] != '"' && buf[i] != '\n')
				i++;
			e = i;
			if (i < len && buf[i] == '"')
				i++;
		} else {
			while (i < len && buf[i] != ',' && buf[i] != '\n')
				i++;
			e = i;
			if (e > s && buf[e - 1] == '\r')
				e--;
		}
		keys[nk++] = (mh_str){buf + s, e - s};
		if (i < len && buf[i] == ',')
			i++;
		else
			break;
	}
	if (nk < 2)
		return 0;
	/* Export header names are short printable ASCII; binary junk that
	 * happens to hold a comma is not a header. */
	for (size_t k = 0; k < nk; k++) {
		if (keys[k].n == 0 || keys[k].n > 128)
			return 0;
		for (size_t j = 0; j < keys[k].n; j++)
			if (keys[k].p[j] < 0x20 || keys[k].p[j] > 0x7e)
				return 0;
	}
	if (mh_dialect_detect(keys, nk))
		return 90;
	for (size_t k = 0; k < nk; k++)
		if (mh_field_lookup(keys[k].p, keys[k].n) != MH_F_NONE)
			known++;
	return known ? 50 : 10;
}

const mh_reader_ops mh_input_csv = {
    .name = "csv",
    .desc = "CSV with a header row (Defender, QRadar, Splunk, Sumo "
	    "exports)",
    .probe = csv_probe,
    .open = csv_open,
    .next = csv_next,
    .close = csv_close,
};
