/* NDJSON writer: one JSON object per alert per line, keys in the fixed
 * order of docs/output.md. Each line is built in a buffer and written
 * with one fwrite, so an allocation failure never leaves half a line. */
#include "output/common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ndjson_state {
	mh_buf line;
} ndjson_state;

static bool put_jstr(mh_buf *b, const char *s, size_t n)
{
	return mh_buf_putc(b, '"') && mh_esc_json(b, s, n) &&
	       mh_buf_putc(b, '"');
}

static bool put_jcstr(mh_buf *b, const char *s)
{
	return put_jstr(b, s ? s : "", s ? strlen(s) : 0);
}

static bool put_key(mh_buf *b, const char *key)
{
	return mh_buf_putc(b, ',') && put_jcstr(b, key) && mh_buf_putc(b, ':');
}

/* A JSON number for v: integers exactly, otherwise the shortest %g
 * form that reads back to v; NaN and infinities as null. */
static bool put_jnum(mh_buf *b, double v)
{
	char t[40];
	int k, len = 0;

	if (!isfinite(v))
		return mh_out_puts(b, "null");
	if (v == 0)
		return mh_buf_putc(b, '0');
	if (fabs(v) < 9007199254740992.0 && v == (double)(int64_t)v)
		return mh_out_puti(b, (int64_t)v);
	for (k = 15; k <= 17; k++) {
		len = snprintf(t, sizeof(t), "%.*g", k, v);
		if (strtod(t, NULL) == v)
			break;
	}
	if (len <= 0 || (size_t)len >= sizeof(t))
		return mh_out_puts(b, "null");
	/* JSON wants '.', whatever LC_NUMERIC the process runs under. */
	for (int i = 0; i < len; i++)
		if (t[i] == ',')
			t[i] = '.';
	return mh_buf_put(b, t, (size_t)len);
}

static bool put_kvs(mh_buf *b, const mh_alert_kv *kv, size_t n)
{
	if (!mh_buf_putc(b, '{'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (i && !mh_buf_putc(b, ','))
			return false;
		if (!put_jcstr(b, kv[i].name) || !mh_buf_putc(b, ':'))
			return false;
		if (!kv[i].set) {
			if (!mh_out_puts(b, "null"))
				return false;
		} else if (!put_jstr(b, kv[i].val.p, kv[i].val.n)) {
			return false;
		}
	}
	return mh_buf_putc(b, '}');
}

static bool put_strs(mh_buf *b, const mh_str *s, size_t n)
{
	if (!mh_buf_putc(b, '['))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (i && !mh_buf_putc(b, ','))
			return false;
		if (!put_jstr(b, s[i].p, s[i].n))
			return false;
	}
	return mh_buf_putc(b, ']');
}

static bool build(mh_buf *b, const mh_alert *a, bool explain)
{
	bool ok = mh_out_puts(b, "{\"level\":") &&
		  put_jcstr(b, mh_out_level_name(a->level)) &&
		  put_key(b, "rule_id") &&
		  put_jcstr(b, mh_out_rule_id(a->rule)) && put_key(b, "rule") &&
		  put_jcstr(b, mh_out_rule_title(a->rule)) &&
		  put_key(b, "count") && mh_out_putu(b, a->count) &&
		  put_key(b, "distinct_dst") &&
		  mh_out_putu(b, a->distinct_dst) && put_key(b, "bytes_sent") &&
		  (a->bytes_set ? mh_out_puti(b, a->bytes_sent)
				: mh_out_puts(b, "null")) &&
		  put_key(b, "first_seen") && mh_buf_putc(b, '"') &&
		  mh_out_time(b, a->first_ns) && mh_buf_putc(b, '"') &&
		  put_key(b, "last_seen") && mh_buf_putc(b, '"') &&
		  mh_out_time(b, a->last_ns) && mh_buf_putc(b, '"') &&
		  put_key(b, "group") && put_kvs(b, a->group, a->ngroup) &&
		  put_key(b, "users") && put_strs(b, a->users, a->nusers) &&
		  put_key(b, "users_truncated") &&
		  mh_out_puts(b, a->users_truncated ? "true" : "false") &&
		  put_key(b, "contributing_rules") && mh_buf_putc(b, '[');

	for (size_t i = 0; ok && i < a->ncontrib; i++)
		ok = (i == 0 || mh_buf_putc(b, ',')) &&
		     put_jcstr(b, mh_out_rule_id(a->contrib[i]));
	ok = ok && mh_buf_putc(b, ']') && put_key(b, "context") &&
	     put_kvs(b, a->ctx, a->nctx);
	if (ok && mh_out_has_value(a->rule))
		ok = put_key(b, "value") && put_jnum(b, a->value);
	if (ok && explain && a->nrefs)
		ok = put_key(b, "events") && put_strs(b, a->refs, a->nrefs);
	return ok && mh_out_puts(b, "}\n");
}

static mh_rc nd_open(mh_writer *w, mh_err *err)
{
	ndjson_state *st = calloc(1, sizeof(*st));

	if (!st)
		return mh_err_set(err, MH_ENOMEM, NULL, 0, 0, "out of memory");
	w->priv = st;
	return MH_OK;
}

static mh_rc nd_write(mh_writer *w, const mh_alert *a, mh_err *err)
{
	ndjson_state *st = w->priv;

	if (!st)
		return mh_err_set(err, MH_EINVAL, NULL, 0, 0,
				  "ndjson writer not open");
	st->line.n = 0;
	if (!build(&st->line, a, w->explain)) {
		st->line.n = 0;
		return mh_err_set(err, MH_ENOMEM, NULL, 0, 0,
				  "out of memory formatting an alert");
	}
	return mh_out_write(w->out, &st->line, err);
}

static mh_rc nd_close(mh_writer *w, const mh_summary *s, mh_err *err)
{
	ndjson_state *st = w->priv;

	MH_UNUSED(s);
	if (st) {
		mh_buf_free(&st->line);
		free(st);
		w->priv = NULL;
	}
	return mh_out_flush(w->out, err);
}

const mh_writer_ops mh_output_ndjson = {
    .name = "ndjson",
    .desc = "one JSON object per alert per line",
    .open = nd_open,
    .write = nd_write,
    .close = nd_close,
};
