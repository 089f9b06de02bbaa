#include "output/common.h"
#include "util/timefmt.h"

#include <errno.h>
#include <string.h>

const char *mh_out_rule_id(const mh_rule *r)
{
	if (!r)
		return "";
	if (r->id && r->id[0])
		return r->id;
	if (r->name && r->name[0])
		return r->name;
	return r->title ? r->title : "";
}

const char *mh_out_rule_title(const mh_rule *r)
{
	return r && r->title ? r->title : "";
}

const char *mh_out_level_name(mh_level l)
{
	const char *s = NULL;

	if (l >= MH_LVL_INFORMATIONAL && l <= MH_LVL_CRITICAL)
		s = mh_level_name(l);
	return s ? s : "unknown";
}

bool mh_out_has_value(const mh_rule *r)
{
	if (!r || !r->is_correlation || !r->corr)
		return false;
	return r->corr->type == MH_CORR_VALUE_COUNT ||
	       r->corr->type == MH_CORR_VALUE_SUM ||
	       r->corr->type == MH_CORR_VALUE_AVG ||
	       r->corr->type == MH_CORR_BEACON;
}

mh_rc mh_out_write(FILE *f, mh_buf *b, mh_err *err)
{
	size_t n = b->n;

	b->n = 0;
	if (n == 0)
		return MH_OK;
	errno = 0;
	if (fwrite(b->p, 1, n, f) != n)
		return mh_err_set(err, MH_EIO, NULL, 0, 0, "writing alerts: %s",
				  errno ? strerror(errno) : "short write");
	return MH_OK;
}

mh_rc mh_out_flush(FILE *f, mh_err *err)
{
	errno = 0;
	if (fflush(f) != 0 || ferror(f))
		return mh_err_set(err, MH_EIO, NULL, 0, 0, "writing alerts: %s",
				  errno ? strerror(errno) : "write error");
	return MH_OK;
}

bool mh_out_puts(mh_buf *b, const char *s)
{
	return mh_buf_put(b, s, strlen(s));
}

bool mh_out_putu(mh_buf *b, uint64_t v)
{
	char d[24];
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return mh_buf_put(b, d + i, sizeof(d) - i);
}

bool mh_out_puti(mh_buf *b, int64_t v)
{
	uint64_t u = (uint64_t)v;

	if (v < 0) {
		if (!mh_buf_putc(b, '-'))
			return false;
		u = 0 - u;
	}
	return mh_out_putu(b, u);
}

bool mh_out_time(mh_buf *b, int64_t ns)
{
	char t[64];
	size_t n = mh_time_format(ns, t, sizeof(t));

	return mh_buf_put(b, t, n < sizeof(t) ? n : sizeof(t) - 1);
}
