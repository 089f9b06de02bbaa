/* CSV writer: the header row, then one row per alert; columns and
 * encodings as in docs/output.md. Rows end with LF. Each row is built
 * in a buffer and written with one fwrite. */
#include "output/common.h"

#include <stdlib.h>
#include <string.h>

typedef struct csv_state {
	mh_buf row;
	mh_buf cell; /* a list cell before CSV quoting */
} csv_state;

static const char csv_header[] = "level,rule_id,rule,count,distinct_dst,"
				 "bytes_sent,first_seen,last_seen,group,"
				 "users,context\n";

/* A list element: '\' -> "\\", ';' -> "\;". */
static bool put_elem(mh_buf *b, const char *s, size_t n)
{
	size_t run = 0, i = 0;

	/* most elements are short: a 16-byte scan pays from 16 bytes on */
	if (n >= 16)
		i = mh_out_span_none(s, n, "\\;;;");
	for (; i < n; i++) {
		if (s[i] != '\\' && s[i] != ';')
			continue;
		if (!mh_buf_put(b, s + run, i - run) || !mh_buf_putc(b, '\\'))
			return false;
		run = i; /* the special byte itself starts the next run */
	}
	return mh_buf_put(b, s + run, n - run);
}

/* "Name=value;Name=value" (unset: "Name=") as one CSV cell. */
static bool put_kv_cell(mh_buf *b, mh_buf *tmp, const mh_alert_kv *kv, size_t n)
{
	tmp->n = 0;
	for (size_t i = 0; i < n; i++) {
		const char *name = kv[i].name ? kv[i].name : "";

		if (i && !mh_buf_putc(tmp, ';'))
			return false;
		if (!put_elem(tmp, name, strlen(name)) ||
		    !mh_buf_putc(tmp, '='))
			return false;
		if (kv[i].set && !put_elem(tmp, kv[i].val.p, kv[i].val.n))
			return false;
	}
	return mh_esc_csv(b, tmp->p, tmp->n);
}

static bool put_users_cell(mh_buf *b, mh_buf *tmp, const mh_alert *a)
{
	tmp->n = 0;
	for (size_t i = 0; i < a->nusers; i++) {
		if (i && !mh_buf_putc(tmp, ';'))
			return false;
		if (!put_elem(tmp, a->users[i].p, a->users[i].n))
			return false;
	}
	if (a->users_truncated && !mh_out_puts(tmp, a->nusers ? ";..." : "..."))
		return false;
	return mh_esc_csv(b, tmp->p, tmp->n);
}

static bool put_cstr_cell(mh_buf *b, const char *s)
{
	return mh_esc_csv(b, s, strlen(s));
}

static bool build(mh_buf *b, mh_buf *tmp, const mh_alert *a)
{
	return put_cstr_cell(b, mh_out_level_name(a->level)) &&
	       mh_buf_putc(b, ',') &&
	       put_cstr_cell(b, mh_out_rule_id(a->rule)) &&
	       mh_buf_putc(b, ',') &&
	       put_cstr_cell(b, mh_out_rule_title(a->rule)) &&
	       mh_buf_putc(b, ',') && mh_out_putu(b, a->count) &&
	       mh_buf_putc(b, ',') && mh_out_putu(b, a->distinct_dst) &&
	       mh_buf_putc(b, ',') &&
	       (!a->bytes_set || mh_out_puti(b, a->bytes_sent)) &&
	       mh_buf_putc(b, ',') && mh_out_time(b, a->first_ns) &&
	       mh_buf_putc(b, ',') && mh_out_time(b, a->last_ns) &&
	       mh_buf_putc(b, ',') &&
	       put_kv_cell(b, tmp, a->group, a->ngroup) &&
	       mh_buf_putc(b, ',') && put_users_cell(b, tmp, a) &&
	       mh_buf_putc(b, ',') && put_kv_cell(b, tmp, a->ctx, a->nctx) &&
	       mh_buf_putc(b, '\n');
}

static void csv_free(mh_writer *w)
{
	csv_state *st = w->priv;

	if (!st)
		return;
	mh_buf_free(&st->row);
	mh_buf_free(&st->cell);
	free(st);
	w->priv = NULL;
}

static mh_rc csv_open(mh_writer *w, mh_err *err)
{
	csv_state *st = calloc(1, sizeof(*st));
	mh_rc rc;

	if (!st)
		return mh_err_set(err, MH_ENOMEM, NULL, 0, 0, "out of memory");
	w->priv = st;
	if (!mh_buf_put(&st->row, csv_header, sizeof(csv_header) - 1)) {
		rc = mh_err_set(err, MH_ENOMEM, NULL, 0, 0, "out of memory");
		goto out;
	}
	rc = mh_out_write(w->out, &st->row, err);
out:
	if (rc != MH_OK)
		csv_free(w);
	return rc;
}

static mh_rc csv_write(mh_writer *w, const mh_alert *a, mh_err *err)
{
	csv_state *st = w->priv;

	if (!st)
		return mh_err_set(err, MH_EINVAL, NULL, 0, 0,
				  "csv writer not open");
	st->row.n = 0;
	if (!build(&st->row, &st->cell, a)) {
		st->row.n = 0;
		return mh_err_set(err, MH_ENOMEM, NULL, 0, 0,
				  "out of memory formatting an alert");
	}
	return mh_out_write(w->out, &st->row, err);
}

static mh_rc csv_close(mh_writer *w, const mh_summary *s, mh_err *err)
{
	MH_UNUSED(s);
	csv_free(w);
	return mh_out_flush(w->out, err);
}

const mh_writer_ops mh_output_csv = {
    .name = "csv",
    .desc = "comma-separated values, one row per alert (RFC 4180)",
    .open = csv_open,
    .write = csv_write,
    .close = csv_close,
};
