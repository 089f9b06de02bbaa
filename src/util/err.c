#include "util/mh.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *mh_rc_str(mh_rc rc)
{
	switch (rc) {
	case MH_OK:
		return "ok";
	case MH_EOF:
		return "end of input";
	case MH_ENOMEM:
		return "out of memory";
	case MH_EIO:
		return "I/O error";
	case MH_EPARSE:
		return "parse error";
	case MH_EINVAL:
		return "invalid argument";
	case MH_ENOTFOUND:
		return "not found";
	case MH_ELIMIT:
		return "limit reached";
	case MH_EUNSUP:
		return "unsupported";
	}
	return "unknown error";
}

void mh_err_clear(mh_err *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

mh_rc mh_err_set(mh_err *err, mh_rc rc, const char *file, uint64_t line,
		 uint32_t col, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return rc;
	if (file)
		snprintf(err->file, sizeof(err->file), "%s", file);
	else
		err->file[0] = '\0';
	err->line = line;
	err->col = col;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return rc;
}

void mh_err_format(const mh_err *err, char *buf, size_t cap)
{
	size_t off = 0;
	int n;

	if (!cap)
		return;
	buf[0] = '\0';
	if (err->file[0]) {
		n = snprintf(buf, cap, "%s:", err->file);
		off = n > 0 ? (size_t)n : 0;
		if (err->line && off < cap) {
			n = snprintf(buf + off, cap - off,
				     "%llu:", (unsigned long long)err->line);
			off += n > 0 ? (size_t)n : 0;
			if (err->col && off < cap) {
				n = snprintf(buf + off, cap - off,
					     "%u:", err->col);
				off += n > 0 ? (size_t)n : 0;
			}
		}
		if (off < cap) {
			n = snprintf(buf + off, cap - off, " ");
			off += n > 0 ? (size_t)n : 0;
		}
	}
	if (err->field[0] && off < cap) {
		n = snprintf(buf + off, cap - off, "field '%s': ", err->field);
		off += n > 0 ? (size_t)n : 0;
	}
	if (off < cap)
		snprintf(buf + off, cap - off, "%s", err->msg);
}
