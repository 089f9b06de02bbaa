/* Zeek TSV logs (the ASCII writer's default format): conn.log, smtp.log
 * and any other log whose columns the "zeek" dialect knows.
 *
 * - Header lines start with '#'. "#separator X" (X may be written as a
 *   \xNN escape, and is separated from the name by a space) sets the
 *   column separator; "#set_separator", "#empty_field", "#unset_field",
 *   "#path", "#fields" and "#types" follow, separated by the column
 *   separator. "#open", "#close" and any other '#' line (btest's "###"
 *   banner) are ignored, so a truncated log without "#close" is fine. A
 *   file may hold several header blocks (concatenated or rotated logs):
 *   each "#fields" line replaces the column layout.
 * - A cell equal to the unset marker ("-") leaves its field UNSET. A cell
 *   equal to the empty marker ("(empty)") is an empty set for set[] and
 *   vector[] columns (the field stays unset, as Zeek's JSON writer's []
 *   does through the JSON reader) and an empty string otherwise.
 * - set[...] / vector[...] columns are list fields: the elements, split
 *   on the set separator, are joined with MH_LIST_SEP.
 * - \xNN escapes (how Zeek writes separators and non-printable bytes
 *   inside values) are decoded into the event arena; so is "\\".
 * - bool columns: T/F become "true"/"false", as in Zeek JSON.
 * - Column names are mapped through the "zeek" dialect, the same table
 *   json.c uses for Zeek JSON logs, so both renderings of one log give the
 *   same canonical events. Unknown columns are ignored.
 * - Malformed (counted, reported, skipped): a data line before any
 *   "#fields", a line with another number of cells than "#fields", a
 *   missing or unparsable ts (btest baselines write XXXXXXXXXX.XXXXXX), a
 *   line longer than the source's record cap, a bad header directive.
 *
 * Values point into the source window or the event arena and stay valid
 * until the next call to next(). No allocation per record except arena
 * bytes for escaped or list values. */
#include "input/dialect.h"
#include "input/input.h"

#include <stdlib.h>
#include <string.h>

#define ZK_MAX_COLS    1024
#define ZK_MARK_CAP    64 /* longest #empty_field / #unset_field / #path */
#define ZK_ARENA_BLOCK (64u << 10)
#define ZK_ARENA_CAP   (64u << 20)

typedef struct zk_col {
	mh_dialect_map map; /* field MH_F_NONE: unmapped */
	bool active;	    /* decode this column */
	bool list;	    /* set[...] or vector[...] */
	bool boolean;	    /* bool: T/F */
} zk_col;

typedef struct zk_priv {
	const mh_dialect *d;
	char sep, set_sep;
	char empty[ZK_MARK_CAP], unset[ZK_MARK_CAP], path[ZK_MARK_CAP];
	size_t nempty, nunset;
	char *names; /* #fields names, NUL-separated (map keys point here) */
	zk_col *cols;
	size_t ncols;
	long ts_col;   /* column mapped to TIME, -1 if none */
	mh_str *cells; /* ZK_MAX_COLS + 1 slots */
	bool have_fields;
	bool need_all;
	uint8_t prio[MH_F__COUNT];
	mh_arena arena; /* event values when the caller gives no arena */
} zk_priv;

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode \xNN and "\\" from s[0..n) into out (room for n bytes). Other
 * backslashes are kept. Returns the decoded length. */
static size_t unescape(const char *s, size_t n, char *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x' &&
		    hexval(s[i + 2]) >= 0 && hexval(s[i + 3]) >= 0) {
			out[k++] =
			    (char)(hexval(s[i + 2]) << 4 | hexval(s[i + 3]));
			i += 3;
		} else if (s[i] == '\\' && i + 1 < n && s[i + 1] == '\\') {
			out[k++] = '\\';
			i++;
		} else {
			out[k++] = s[i];
		}
	}
	return k;
}

/* A header value decoded into dst (cap bytes incl. NUL). False if it
 * does not fit. */
static bool header_value(const char *s, size_t n, char *dst, size_t cap,
			 size_t *len)
{
	char tmp[ZK_MARK_CAP];
	size_t k;

	if (n >= sizeof(tmp) || n >= cap)
		return false;
	k = unescape(s, n, tmp);
	memcpy(dst, tmp, k);
	dst[k] = '\0';
	if (len)
		*len = k;
	return true;
}

static bool eq(const char *a, size_t an, const char *b, size_t bn)
{
	return an == bn && memcmp(a, b, an) == 0;
}

#define SWAR_ONES 0x0101010101010101ULL
#define SWAR_HIGH 0x8080808080808080ULL

/* Split p[0..n) on sep into at most max cells; returns the number of
 * cells found (max + 1 means "more than max"). Cells are short in Zeek
 * logs, so separators are found eight bytes at a time (little-endian)
 * rather than with one memchr() call per cell. */
static size_t split(const char *p, size_t n, char sep, mh_str *cells,
		    size_t max)
{
	size_t nc = 0, start = 0, i = 0;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t pat = SWAR_ONES * (unsigned char)sep;

	while (n - i >= 8) {
		uint64_t w, x, m;

		memcpy(&w, p + i, 8);
		x = w ^ pat;
		m = ~(((x & ~SWAR_HIGH) + ~SWAR_HIGH) | x) & SWAR_HIGH;
		while (m) {
			size_t at = i + ((unsigned)__builtin_ctzll(m) >> 3);

			if (nc < max)
				cells[nc] = (mh_str){p + start, at - start};
			if (++nc > max)
				return nc;
			start = at + 1;
			m &= m - 1;
		}
		i += 8;
	}
#endif
	for (; i < n; i++) {
		if (p[i] != sep)
			continue;
		if (nc < max)
			cells[nc] = (mh_str){p + start, i - start};
		if (++nc > max)
			return nc;
		start = i + 1;
	}
	if (nc < max)
		cells[nc] = (mh_str){p + start, n - start};
	return nc + 1;
}

static void fields_reset(zk_priv *pv)
{
	free(pv->names);
	free(pv->cols);
	pv->names = NULL;
	pv->cols = NULL;
	pv->ncols = 0;
	pv->ts_col = -1;
	pv->have_fields = false;
}

/* "#fields" cells[1..nc): the new column layout. */
static mh_rc set_fields(mh_reader *r, zk_priv *pv, const mh_str *cells,
			size_t nc, uint64_t line, mh_err *err)
{
	size_t total = 0, off = 0;

	fields_reset(pv);
	for (size_t i = 1; i < nc; i++)
		total += cells[i].n + 1;
	pv->names = malloc(total ? total : 1);
	pv->cols = calloc(nc, sizeof(*pv->cols));
	if (!pv->names || !pv->cols) {
		fields_reset(pv);
		return mh_err_set(err, MH_ENOMEM, mh_source_name(r->src), line,
				  0, "out of memory reading #fields");
	}
	pv->ncols = nc - 1;
	for (size_t i = 0; i < pv->ncols; i++) {
		zk_col *c = &pv->cols[i];
		char *dst = pv->names + off;
		const mh_dialect_map *m;

		memcpy(dst, cells[i + 1].p, cells[i + 1].n);
		dst[cells[i + 1].n] = '\0';
		off += cells[i + 1].n + 1;
		m = mh_dialect_lookup(pv->d, dst, cells[i + 1].n);
		if (m)
			c->map = *m;
		else
			c->map =
			    (mh_dialect_map){dst, MH_F_NONE, MH_CONV_NONE, 0};
		c->map.key = dst;
		c->active = c->map.field != MH_F_NONE &&
			    (pv->need_all || c->map.field == MH_F_TIME ||
			     mh_fieldset_has(&r->need, c->map.field));
		if (c->map.field == MH_F_TIME && pv->ts_col < 0)
			pv->ts_col = (long)i;
	}
	pv->have_fields = true;
	return MH_OK;
}

static void set_types(mh_reader *r, zk_priv *pv, const mh_str *cells, size_t nc,
		      uint64_t line)
{
	if (!pv->have_fields) {
		mh_reader_malformed(r, line, "#types before #fields");
		return;
	}
	if (nc - 1 != pv->ncols)
		mh_reader_malformed(r, line,
				    "#types has %zu entries, #fields %zu",
				    nc - 1, pv->ncols);
	for (size_t i = 0; i + 1 < nc && i < pv->ncols; i++) {
		const mh_str *t = &cells[i + 1];
		zk_col *c = &pv->cols[i];

		c->list = (t->n >= 4 && memcmp(t->p, "set[", 4) == 0) ||
			  (t->n >= 7 && memcmp(t->p, "vector[", 7) == 0);
		c->boolean = eq(t->p, t->n, "bool", 4);
	}
}

/* One '#' line. Fails only on memory. */
static mh_rc directive(mh_reader *r, zk_priv *pv, const char *p, size_t n,
		       uint64_t line, mh_err *err)
{
	static const char sepname[] = "#separator";
	size_t nc, sl = sizeof(sepname) - 1;
	char v[ZK_MARK_CAP];
	size_t vn;

	if (n > sl && memcmp(p, sepname, sl) == 0 &&
	    (p[sl] == ' ' || p[sl] == pv->sep)) {
		if (!header_value(p + sl + 1, n - sl - 1, v, sizeof(v), &vn) ||
		    vn != 1 || v[0] == '\n') {
			mh_reader_malformed(r, line,
					    "bad #separator (one byte "
					    "expected)");
			return MH_OK;
		}
		pv->sep = v[0];
		return MH_OK;
	}
	nc = split(p, n, pv->sep, pv->cells, ZK_MAX_COLS + 1);
	if (nc > ZK_MAX_COLS + 1) {
		mh_reader_malformed(r, line, "header with more than %u columns",
				    ZK_MAX_COLS);
		if (eq(pv->cells[0].p, pv->cells[0].n, "#fields", 7))
			fields_reset(pv);
		return MH_OK;
	}
	if (eq(pv->cells[0].p, pv->cells[0].n, "#fields", 7))
		return set_fields(r, pv, pv->cells, nc, line, err);
	if (eq(pv->cells[0].p, pv->cells[0].n, "#types", 6)) {
		set_types(r, pv, pv->cells, nc, line);
		return MH_OK;
	}
	if (nc < 2)
		return MH_OK; /* "#close" without a value, "###" banners */
	if (eq(pv->cells[0].p, pv->cells[0].n, "#set_separator", 14)) {
		if (!header_value(pv->cells[1].p, pv->cells[1].n, v, sizeof(v),
				  &vn) ||
		    vn != 1)
			mh_reader_malformed(r, line,
					    "bad #set_separator (one "
					    "byte expected)");
		else
			pv->set_sep = v[0];
	} else if (eq(pv->cells[0].p, pv->cells[0].n, "#empty_field", 12)) {
		if (!header_value(pv->cells[1].p, pv->cells[1].n, pv->empty,
				  sizeof(pv->empty), &pv->nempty))
			mh_reader_malformed(r, line, "bad #empty_field");
	} else if (eq(pv->cells[0].p, pv->cells[0].n, "#unset_field", 12)) {
		if (!header_value(pv->cells[1].p, pv->cells[1].n, pv->unset,
				  sizeof(pv->unset), &pv->nunset))
			mh_reader_malformed(r, line, "bad #unset_field");
	} else if (eq(pv->cells[0].p, pv->cells[0].n, "#path", 5)) {
		if (!header_value(pv->cells[1].p, pv->cells[1].n, pv->path,
				  sizeof(pv->path), NULL))
			pv->path[0] = '\0';
	}
	return MH_OK;
}

static mh_arena *ev_arena(zk_priv *pv, mh_event *ev)
{
	return ev->arena ? ev->arena : &pv->arena;
}

/* The value of cell s for column c, decoded; list columns joined with
 * MH_LIST_SEP. *unset: the field stays unset. NULL on ENOMEM. */
static const char *cell_value(zk_priv *pv, mh_event *ev, const zk_col *c,
			      const mh_str *s, size_t *n, bool *unset)
{
	char *out, *o;

	*unset = false;
	*n = s->n;
	if (eq(s->p, s->n, pv->unset, pv->nunset)) {
		*unset = true;
		return s->p;
	}
	if (eq(s->p, s->n, pv->empty, pv->nempty)) {
		*n = 0;
		*unset = c->list; /* an empty set: unset, like JSON's [] */
		return s->p;
	}
	if ((c->boolean || c->map.conv == MH_CONV_BOOL) && s->n == 1 &&
	    (s->p[0] == 'T' || s->p[0] == 'F')) {
		*n = s->p[0] == 'T' ? 4 : 5;
		return s->p[0] == 'T' ? "true" : "false";
	}
	if (!c->list && !memchr(s->p, '\\', s->n))
		return s->p; /* zero-copy */
	if (c->list && !memchr(s->p, '\\', s->n) &&
	    !memchr(s->p, pv->set_sep, s->n))
		return s->p; /* one element */
	out = mh_arena_alloc(ev_arena(pv, ev), s->n + 1);
	if (!out)
		return NULL;
	o = out;
	if (!c->list) {
		o += unescape(s->p, s->n, o);
	} else {
		const char *p = s->p, *e = s->p + s->n;

		for (;;) {
			const char *q = memchr(p, pv->set_sep, (size_t)(e - p));
			const char *end = q ? q : e;

			if (o > out)
				*o++ = MH_LIST_SEP;
			o += unescape(p, (size_t)(end - p), o);
			if (!q)
				break;
			p = q + 1;
		}
	}
	*o = '\0';
	*n = (size_t)(o - out);
	return out;
}

/* Fill ev from a data line. Returns MH_OK, MH_EPARSE (malformed:
 * reported here) or MH_ENOMEM. */
static mh_rc record(mh_reader *r, zk_priv *pv, mh_event *ev, const char *p,
		    size_t n, uint64_t line)
{
	size_t nc = split(p, n, pv->sep, pv->cells, pv->ncols + 1);

	if (nc != pv->ncols) {
		mh_reader_malformed(r, line, "expected %zu fields, got %s%zu",
				    pv->ncols,
				    nc > pv->ncols ? "more than " : "",
				    nc > pv->ncols ? pv->ncols : nc);
		return MH_EPARSE;
	}
	mh_event_clear(ev);
	if (ev->arena)
		mh_arena_reset(ev->arena);
	else
		mh_arena_reset(&pv->arena);
	ev->file = mh_source_name(r->src);
	ev->line = line;
	if (pv->ts_col < 0) {
		mh_reader_malformed(r, line, "no ts column in #fields");
		return MH_EPARSE;
	}
	for (size_t i = 0; i < pv->ncols; i++) {
		const zk_col *c = &pv->cols[i];
		const char *v;
		size_t vn;
		bool unset;
		mh_rc rc;

		if (!c->active)
			continue;
		v = cell_value(pv, ev, c, &pv->cells[i], &vn, &unset);
		if (!v)
			return MH_ENOMEM;
		if ((long)i == pv->ts_col && (unset || vn == 0)) {
			mh_reader_malformed(r, line, "bad time: ts is unset");
			return MH_EPARSE;
		}
		if (unset)
			continue;
		rc = mh_dialect_apply(&c->map, ev, pv->prio, v, vn);
		if (rc == MH_ENOMEM)
			return rc;
		if (rc == MH_EPARSE && (long)i == pv->ts_col) {
			mh_reader_malformed(r, line, "bad time '%.*s'",
					    (int)(vn > 40 ? 40 : vn), v);
			return MH_EPARSE;
		}
		if (c->list && mh_event_has(ev, c->map.field))
			mh_fieldset_add(&ev->multi, c->map.field);
	}
	if (!mh_event_has(ev, MH_F_TIME)) {
		mh_reader_malformed(r, line, "bad time: no ts");
		return MH_EPARSE;
	}
	mh_event_set(ev, MH_F_DIALECT, "zeek", 4);
	return MH_OK;
}

static void zk_close(mh_reader *r)
{
	zk_priv *pv = r->priv;

	if (!pv)
		return;
	fields_reset(pv);
	free(pv->cells);
	mh_arena_free(&pv->arena);
	free(pv);
	r->priv = NULL;
}

static mh_rc zk_open(mh_reader *r, mh_err *err)
{
	zk_priv *pv = calloc(1, sizeof(*pv));

	if (!pv)
		return mh_err_set(err, MH_ENOMEM, mh_source_name(r->src), 0, 0,
				  "out of memory");
	pv->cells = calloc(ZK_MAX_COLS + 2, sizeof(*pv->cells));
	if (!pv->cells) {
		free(pv);
		return mh_err_set(err, MH_ENOMEM, mh_source_name(r->src), 0, 0,
				  "out of memory");
	}
	mh_arena_init(&pv->arena, ZK_ARENA_BLOCK, ZK_ARENA_CAP);
	pv->d = mh_dialect_find("zeek");
	pv->sep = '\t';
	pv->set_sep = ',';
	memcpy(pv->empty, "(empty)", 8);
	pv->nempty = 7;
	memcpy(pv->unset, "-", 2);
	pv->nunset = 1;
	pv->ts_col = -1;
	pv->need_all = true;
	for (unsigned w = 0; w < MH_FIELD_WORDS; w++)
		if (r->need.w[w])
			pv->need_all = false;
	r->priv = pv;
	snprintf(r->dialect, sizeof(r->dialect), "zeek");
	return MH_OK;
}

static mh_rc zk_next(mh_reader *r, mh_event *ev, mh_err *err)
{
	zk_priv *pv = r->priv;

	if (!pv)
		return MH_EOF;
	for (;;) {
		mh_str line;
		uint64_t no = 0;
		mh_rc rc = mh_source_line(r->src, &line, &no, err);

		if (rc == MH_EOF)
			return MH_EOF;
		if (rc == MH_ELIMIT) {
			mh_reader_malformed(r, no,
					    "line longer than the "
					    "maximum record size");
			continue;
		}
		if (rc != MH_OK)
			return rc;
		if (line.n == 0)
			continue;
		if (line.p[0] == '#') {
			rc = directive(r, pv, line.p, line.n, no, err);
			if (rc != MH_OK)
				return rc;
			continue;
		}
		if (!pv->have_fields) {
			mh_reader_malformed(r, no,
					    "data line before a #fields "
					    "header");
			continue;
		}
		rc = record(r, pv, ev, line.p, line.n, no);
		if (rc == MH_EPARSE)
			continue;
		if (rc == MH_ENOMEM)
			return mh_err_set(err, MH_ENOMEM,
					  mh_source_name(r->src), no, 0,
					  "out of memory decoding a Zeek "
					  "record");
		r->stats.records++;
		return MH_OK;
	}
}

/* Zeek TSV starts with "#separator " (the writer's first line), maybe
 * after other '#' comment lines (btest baselines start with a "###"
 * banner); a log cut from its top may start with another header
 * directive. Looks at the first 4 KiB at most. */
static int zk_probe(const char *buf, size_t len)
{
	static const char *const heads[] = {"#set_separator\t",
					    "#empty_field\t", "#unset_field\t",
					    "#path\t", "#fields\t"};
	size_t i = 0;

	if (len > 4096)
		len = 4096;
	while (i < len && buf[i] == '#') {
		const char *p = buf + i, *nl;
		size_t n = len - i;

		if (n >= 11 && memcmp(p, "#separator ", 11) == 0)
			return 100;
		for (size_t k = 0; k < MH_ARRAY_LEN(heads); k++) {
			size_t hn = strlen(heads[k]);
			if (n >= hn && memcmp(p, heads[k], hn) == 0)
				return 90;
		}
		nl = memchr(p, '\n', n);
		if (!nl)
			break;
		i = (size_t)(nl - buf) + 1;
	}
	return 0;
}

const mh_reader_ops mh_input_zeek = {
    .name = "zeek",
    .desc = "Zeek TSV logs (conn.log, smtp.log; #separator headers)",
    .probe = zk_probe,
    .open = zk_open,
    .next = zk_next,
    .close = zk_close,
};
