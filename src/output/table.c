/* Table writer, for people. Rows are buffered (already escaped for the
 * terminal and truncated to the column caps) so that the columns can be
 * sized to their content: until close(), or until MH_TABLE_SETTLE_ROWS
 * rows or MH_TABLE_SETTLE_BYTES of text are buffered. Then the widths
 * are fixed from the rows so far, those rows are printed, and every later
 * row is printed as it comes, a wider cell pushing the rest of its line
 * to the right rather than being cut: memory stays bounded however many
 * alerts there are. close() prints what is left and the summary line.
 * Every string that came from a log or a rule file goes through
 * mh_esc_term(). */
#include "output/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { C_LEVEL, C_COUNT, C_FIRST, C_LAST, C_RULE, C_WHY, NCOL };

static const char *const col_name[NCOL] = {
    "LEVEL", "COUNT", "FIRST SEEN", "LAST SEEN", "RULE", "WHY",
};
/* Column width caps, in code points. */
static const size_t col_cap[NCOL] = {13, 20, 30, 30, 50, 160};

#define ELLIPSIS "\xe2\x80\xa6" /* U+2026 */
#define ARROW	 "\xe2\x86\x92" /* U+2192 */
#define MIDDOT	 "\xc2\xb7"	/* U+00B7 */

typedef struct table_row {
	mh_level level;
	size_t off[NCOL], len[NCOL], width[NCOL];
	size_t xoff, xlen; /* explain block (complete lines) */
} table_row;

typedef struct table_state {
	mh_buf text; /* cell text of the buffered rows, by offset */
	mh_buf tmp;
	table_row *rows;
	size_t nrows, caprows;
	bool streaming;	    /* widths fixed, header printed */
	size_t width[NCOL]; /* the fixed widths, once streaming */
} table_state;

/* Display width of valid UTF-8 text: one column per code point. */
static size_t cp_count(const char *s, size_t n)
{
	size_t w = 0;

	for (size_t i = 0; i < n; i++)
		w += ((unsigned char)s[i] & 0xc0) != 0x80;
	return w;
}

/* Append terminal-safe text s (already escaped), cut to cap code points
 * with a trailing ellipsis. Records offset/length/width of the cell. */
static bool put_cell(table_state *st, table_row *r, int c, const char *s,
		     size_t n)
{
	size_t w = cp_count(s, n), cap = col_cap[c];

	r->off[c] = st->text.n;
	if (w > cap) {
		size_t i = 0, k = 0;

		while (i < n) {
			if (((unsigned char)s[i] & 0xc0) != 0x80 &&
			    k++ == cap - 1)
				break;
			i++;
		}
		if (!mh_buf_put(&st->text, s, i) ||
		    !mh_out_puts(&st->text, ELLIPSIS))
			return false;
		w = cap;
	} else if (!mh_buf_put(&st->text, s, n)) {
		return false;
	}
	r->len[c] = st->text.n - r->off[c];
	r->width[c] = w;
	return true;
}

static const mh_alert_kv *find_ctx(const mh_alert *a, mh_field f,
				   const char *name)
{
	for (size_t i = 0; i < a->nctx; i++) {
		const mh_alert_kv *kv = &a->ctx[i];

		if (!kv->set)
			continue;
		if (kv->field == f || (kv->field == MH_F_NONE && kv->name &&
				       strcmp(kv->name, name) == 0))
			return kv;
	}
	return NULL;
}

static bool has_byte(const mh_str *v, char c)
{
	return v->n && memchr(v->p, c, v->n);
}

/* "Name=value"; value quoted when it has a space or is empty, "-" when
 * unset. */
static bool why_kv(mh_buf *b, const mh_alert_kv *kv)
{
	const char *name = kv->name ? kv->name : "";
	bool q = kv->set && (kv->val.n == 0 || has_byte(&kv->val, ' '));

	if (b->n && !mh_buf_putc(b, ' '))
		return false;
	if (!mh_esc_term(b, name, strlen(name)) || !mh_buf_putc(b, '='))
		return false;
	if (!kv->set)
		return mh_buf_putc(b, '-');
	return (!q || mh_buf_putc(b, '"')) &&
	       mh_esc_term(b, kv->val.p, kv->val.n) &&
	       (!q || mh_buf_putc(b, '"'));
}

/* True if the group already shows field f (so WHY need not repeat it). */
static bool in_group(const mh_alert *a, const mh_alert_kv *kv)
{
	for (size_t i = 0; kv && i < a->ngroup; i++) {
		const mh_alert_kv *g = &a->group[i];

		if ((g->field != MH_F_NONE && g->field == kv->field) ||
		    (g->name && kv->name && strcmp(g->name, kv->name) == 0))
			return true;
	}
	return false;
}

static bool why_sep(mh_buf *b)
{
	return b->n == 0 || mh_buf_putc(b, ' ');
}

/* One-line reason: group values (or, without a group, host, user and
 * process), then "→ dst:port (PROTO)" and cmd="...", leaving out what
 * the group already shows. */
static bool build_why(mh_buf *b, const mh_alert *a)
{
	const mh_alert_kv *dst, *port, *proto, *cmd, *look;
	bool conn;

	b->n = 0;
	for (size_t i = 0; i < a->ngroup; i++)
		if (!why_kv(b, &a->group[i]))
			return false;
	if (a->ngroup == 0) {
		const mh_alert_kv *kv[3] = {
		    find_ctx(a, MH_F_HOST, "Computer"),
		    find_ctx(a, MH_F_USER, "User"),
		    find_ctx(a, MH_F_PROCESS_NAME, "ProcessName"),
		};

		if (!kv[2])
			kv[2] = find_ctx(a, MH_F_IMAGE, "Image");
		for (int i = 0; i < 3; i++)
			if (kv[i] && !why_kv(b, kv[i]))
				return false;
	}
	/* a lookalike name: say which name it imitates */
	look = find_ctx(a, MH_F_LOOKALIKE_OF, "LookalikeOf");
	if (look && !in_group(a, look) &&
	    (!why_sep(b) || !mh_out_puts(b, "lookalike of ") ||
	     !mh_esc_term(b, look->val.p, look->val.n)))
		return false;
	dst = find_ctx(a, MH_F_DESTINATION_IP, "DestinationIp");
	if (!dst)
		dst = find_ctx(a, MH_F_DESTINATION_HOSTNAME,
			       "DestinationHostname");
	port = find_ctx(a, MH_F_DESTINATION_PORT, "DestinationPort");
	proto = find_ctx(a, MH_F_MAIL_PROTOCOL, "MailProtocol");
	cmd = find_ctx(a, MH_F_COMMAND_LINE, "CommandLine");
	conn = (dst && !in_group(a, dst)) || (port && !in_group(a, port));
	if (conn) {
		bool br = dst && port && has_byte(&dst->val, ':');

		if (!why_sep(b) || !mh_out_puts(b, ARROW " "))
			return false;
		if (dst && !((!br || mh_buf_putc(b, '[')) &&
			     mh_esc_term(b, dst->val.p, dst->val.n) &&
			     (!br || mh_buf_putc(b, ']'))))
			return false;
		if (port &&
		    !((dst ? mh_buf_putc(b, ':') : mh_out_puts(b, "port ")) &&
		      mh_esc_term(b, port->val.p, port->val.n)))
			return false;
	}
	if (proto && !in_group(a, proto)) {
		if (!why_sep(b) || !mh_out_puts(b, conn ? "(" : "protocol ") ||
		    !mh_esc_term(b, proto->val.p, proto->val.n) ||
		    (conn && !mh_buf_putc(b, ')')))
			return false;
	}
	if (cmd && !in_group(a, cmd)) {
		if (!why_sep(b) || !mh_out_puts(b, "cmd=\"") ||
		    !mh_esc_term(b, cmd->val.p, cmd->val.n) ||
		    !mh_buf_putc(b, '"'))
			return false;
	}
	return true;
}

/* --explain lines, each indented by four spaces:
 *     Name: value        (every context field)
 *     users: a, b, ...   (when any)
 *     rules: id, id      (contributing detection rules, when any)
 *     event: file:line   (each contributing event reference) */
static bool build_explain(mh_buf *b, const mh_alert *a)
{
	for (size_t i = 0; i < a->nctx; i++) {
		const mh_alert_kv *kv = &a->ctx[i];
		const char *name = kv->name ? kv->name : "";

		if (!mh_out_puts(b, "    ") ||
		    !mh_esc_term(b, name, strlen(name)) ||
		    !mh_out_puts(b, ": "))
			return false;
		if (!(kv->set ? mh_esc_term(b, kv->val.p, kv->val.n)
			      : mh_buf_putc(b, '-')) ||
		    !mh_buf_putc(b, '\n'))
			return false;
	}
	if (a->nusers) {
		if (!mh_out_puts(b, "    users: "))
			return false;
		for (size_t i = 0; i < a->nusers; i++)
			if ((i && !mh_out_puts(b, ", ")) ||
			    !mh_esc_term(b, a->users[i].p, a->users[i].n))
				return false;
		if (a->users_truncated && !mh_out_puts(b, ", " ELLIPSIS))
			return false;
		if (!mh_buf_putc(b, '\n'))
			return false;
	}
	if (a->ncontrib) {
		if (!mh_out_puts(b, "    rules: "))
			return false;
		for (size_t i = 0; i < a->ncontrib; i++) {
			const char *id = mh_out_rule_id(a->contrib[i]);

			if ((i && !mh_out_puts(b, ", ")) ||
			    !mh_esc_term(b, id, strlen(id)))
				return false;
		}
		if (!mh_buf_putc(b, '\n'))
			return false;
	}
	for (size_t i = 0; i < a->nrefs; i++)
		if (!mh_out_puts(b, "    event: ") ||
		    !mh_esc_term(b, a->refs[i].p, a->refs[i].n) ||
		    !mh_buf_putc(b, '\n'))
			return false;
	return true;
}

static bool add_row(table_state *st, table_row *r, const mh_alert *a,
		    bool explain)
{
	const char *lvl = mh_out_level_name(a->level);
	const char *title = mh_out_rule_title(a->rule);

	r->level = a->level;
	st->tmp.n = 0;
	if (!put_cell(st, r, C_LEVEL, lvl, strlen(lvl)))
		return false;
	if (!mh_out_putu(&st->tmp, a->count) ||
	    !put_cell(st, r, C_COUNT, st->tmp.p, st->tmp.n))
		return false;
	st->tmp.n = 0;
	if (!mh_out_time(&st->tmp, a->first_ns) ||
	    !put_cell(st, r, C_FIRST, st->tmp.p, st->tmp.n))
		return false;
	st->tmp.n = 0;
	if (!mh_out_time(&st->tmp, a->last_ns) ||
	    !put_cell(st, r, C_LAST, st->tmp.p, st->tmp.n))
		return false;
	st->tmp.n = 0;
	if (!mh_esc_term(&st->tmp, title, strlen(title)) ||
	    !put_cell(st, r, C_RULE, st->tmp.p, st->tmp.n))
		return false;
	if (!build_why(&st->tmp, a) ||
	    !put_cell(st, r, C_WHY, st->tmp.p, st->tmp.n))
		return false;
	r->xoff = st->text.n;
	if (explain && !build_explain(&st->text, a))
		return false;
	r->xlen = st->text.n - r->xoff;
	return true;
}

static void table_free(mh_writer *w)
{
	table_state *st = w->priv;

	if (!st)
		return;
	mh_buf_free(&st->text);
	mh_buf_free(&st->tmp);
	free(st->rows);
	free(st);
	w->priv = NULL;
}

static mh_rc tb_open(mh_writer *w, mh_err *err)
{
	table_state *st = calloc(1, sizeof(*st));

	if (!st)
		return mh_err_set(err, MH_ENOMEM, NULL, 0, 0, "out of memory");
	w->priv = st;
	return MH_OK;
}

static const char *level_color(mh_level l)
{
	switch (l) {
	case MH_LVL_CRITICAL:
		return "\x1b[1;31m";
	case MH_LVL_HIGH:
		return "\x1b[31m";
	case MH_LVL_MEDIUM:
		return "\x1b[33m";
	case MH_LVL_LOW:
		return "\x1b[36m";
	case MH_LVL_INFORMATIONAL:
		return "\x1b[2m";
	}
	return NULL;
}

static bool pad(mh_buf *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!mh_buf_putc(b, ' '))
			return false;
	return true;
}

/* One table line: cells padded to widths (COUNT right-aligned), two
 * spaces between columns, trailing spaces trimmed. */
static bool put_line(mh_buf *b, const size_t *width, const char *const *cell,
		     const size_t *len, const size_t *cw, const char *color)
{
	for (int c = 0; c < NCOL; c++) {
		size_t fill = width[c] > cw[c] ? width[c] - cw[c] : 0;

		if (c && !mh_out_puts(b, "  "))
			return false;
		if (c == C_COUNT && !pad(b, fill))
			return false;
		if (c == C_LEVEL && color && !mh_out_puts(b, color))
			return false;
		if (!mh_buf_put(b, cell[c], len[c]))
			return false;
		if (c == C_LEVEL && color && !mh_out_puts(b, "\x1b[0m"))
			return false;
		if (c != C_COUNT && c != NCOL - 1 && !pad(b, fill))
			return false;
	}
	while (b->n && b->p[b->n - 1] == ' ')
		b->n--;
	return mh_buf_putc(b, '\n');
}

static bool put_summary(mh_buf *b, const mh_summary *s)
{
	char t[64];
	int n;

	if (!(mh_out_puts(b, "events ") && mh_out_putu(b, s->events) &&
	      mh_out_puts(b, " " MIDDOT " malformed ") &&
	      mh_out_putu(b, s->malformed) &&
	      mh_out_puts(b, " " MIDDOT " matched ") &&
	      mh_out_putu(b, s->matched) &&
	      mh_out_puts(b, " " MIDDOT " alerts ") &&
	      mh_out_putu(b, s->alerts)))
		return false;
	if (s->evicted && !(mh_out_puts(b, " " MIDDOT " evicted ") &&
			    mh_out_putu(b, s->evicted)))
		return false;
	n = snprintf(t, sizeof(t), " " MIDDOT " %.2f s", s->seconds);
	if (n < 0 || (size_t)n >= sizeof(t) || !mh_buf_put(b, t, (size_t)n))
		return false;
	if (s->seconds > 0) {
		n = snprintf(t, sizeof(t), " " MIDDOT " %.1f MB/s",
			     (double)s->bytes / 1e6 / s->seconds);
		if (n < 0 || (size_t)n >= sizeof(t) ||
		    !mh_buf_put(b, t, (size_t)n))
			return false;
	}
	if (s->profile && s->profile[0] &&
	    !(mh_out_puts(b, " (profile ") &&
	      mh_esc_term(b, s->profile, strlen(s->profile)) &&
	      mh_buf_putc(b, ')')))
		return false;
	return mh_buf_putc(b, '\n');
}

static mh_rc nomem_printing(table_state *st, mh_err *err)
{
	st->tmp.n = 0;
	return mh_err_set(err, MH_ENOMEM, NULL, 0, 0,
			  "out of memory printing alerts");
}

/* Column widths: the header's, or the widest buffered cell's. */
static void set_widths(table_state *st)
{
	for (int c = 0; c < NCOL; c++) {
		st->width[c] = strlen(col_name[c]);
		for (size_t i = 0; i < st->nrows; i++)
			if (st->rows[i].width[c] > st->width[c])
				st->width[c] = st->rows[i].width[c];
	}
}

static mh_rc put_header(mh_writer *w, table_state *st, mh_err *err)
{
	size_t hlen[NCOL];

	for (int c = 0; c < NCOL; c++)
		hlen[c] = strlen(col_name[c]);
	st->tmp.n = 0;
	if (!put_line(&st->tmp, st->width, col_name, hlen, hlen, NULL))
		return nomem_printing(st, err);
	return mh_out_write(w->out, &st->tmp, err);
}

/* Fix the widths from the buffered rows and print the header, once. */
static mh_rc settle(mh_writer *w, table_state *st, mh_err *err)
{
	if (st->streaming)
		return MH_OK;
	st->streaming = true;
	set_widths(st);
	return put_header(w, st, err);
}

/* Print the buffered rows (with their --explain blocks) at st->width,
 * then empty the buffer. */
static mh_rc put_rows(mh_writer *w, table_state *st, mh_err *err)
{
	const char *cell[NCOL];
	mh_buf *b = &st->tmp;
	mh_rc rc;

	for (size_t i = 0; i < st->nrows; i++) {
		const table_row *r = &st->rows[i];

		b->n = 0;
		for (int c = 0; c < NCOL; c++)
			cell[c] = st->text.p + r->off[c];
		if (!put_line(b, st->width, cell, r->len, r->width,
			      w->color ? level_color(r->level) : NULL) ||
		    !mh_buf_put(b, st->text.p + r->xoff, r->xlen))
			return nomem_printing(st, err);
		if ((rc = mh_out_write(w->out, b, err)) != MH_OK)
			return rc;
	}
	st->nrows = 0;
	st->text.n = 0;
	return MH_OK;
}

/* What close() prints: the table (or "no alerts") unless rows were
 * already streamed, then the summary line when s is not NULL. */
static mh_rc print_rest(mh_writer *w, table_state *st, const mh_summary *s,
			mh_err *err)
{
	mh_rc rc;

	if (!st->streaming && st->nrows == 0) {
		st->tmp.n = 0;
		if (!mh_out_puts(&st->tmp, "no alerts\n"))
			return nomem_printing(st, err);
		if ((rc = mh_out_write(w->out, &st->tmp, err)) != MH_OK)
			return rc;
	} else if ((rc = settle(w, st, err)) != MH_OK ||
		   (rc = put_rows(w, st, err)) != MH_OK) {
		return rc;
	}
	if (s) {
		st->tmp.n = 0;
		if (!put_summary(&st->tmp, s))
			return nomem_printing(st, err);
		if ((rc = mh_out_write(w->out, &st->tmp, err)) != MH_OK)
			return rc;
	}
	return MH_OK;
}

static mh_rc tb_write(mh_writer *w, const mh_alert *a, mh_err *err)
{
	table_state *st = w->priv;
	size_t mark;
	mh_rc rc;

	if (!st)
		return mh_err_set(err, MH_EINVAL, NULL, 0, 0,
				  "table writer not open");
	if (st->nrows == st->caprows) {
		size_t cap = st->caprows ? st->caprows * 2 : 64;
		table_row *p = NULL;

		if (cap <= SIZE_MAX / sizeof(*p))
			p = realloc(st->rows, cap * sizeof(*p));
		if (!p)
			return mh_err_set(err, MH_ENOMEM, NULL, 0, 0,
					  "out of memory buffering alerts");
		st->rows = p;
		st->caprows = cap;
	}
	mark = st->text.n;
	if (!add_row(st, &st->rows[st->nrows], a, w->explain)) {
		st->text.n = mark; /* drop the partial row */
		return mh_err_set(err, MH_ENOMEM, NULL, 0, 0,
				  "out of memory buffering alerts");
	}
	st->nrows++;
	if (!st->streaming && st->nrows < MH_TABLE_SETTLE_ROWS &&
	    st->text.n < MH_TABLE_SETTLE_BYTES)
		return MH_OK;
	if ((rc = settle(w, st, err)) != MH_OK)
		return rc;
	return put_rows(w, st, err);
}

static mh_rc tb_close(mh_writer *w, const mh_summary *s, mh_err *err)
{
	table_state *st = w->priv;
	mh_rc rc = MH_OK, frc;

	if (st)
		rc = print_rest(w, st, s, err);
	table_free(w);
	frc = mh_out_flush(w->out, rc == MH_OK ? err : NULL);
	return rc != MH_OK ? rc : frc;
}

const mh_writer_ops mh_output_table = {
    .name = "table",
    .desc = "aligned table for people, with a summary line",
    .open = tb_open,
    .write = tb_write,
    .close = tb_close,
};
