/* mailhunt: common types shared by every module.
 *
 * Every fallible function returns an mh_rc and, when given a non-NULL
 * mh_err, fills it with a human message and the location (file, line,
 * column, field) of the problem. Library code never exits or aborts. */
#ifndef MH_UTIL_MH_H
#define MH_UTIL_MH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum mh_rc {
	MH_OK = 0,
	MH_EOF,	      /* end of input: not an error */
	MH_ENOMEM,    /* allocation failed or memory cap reached */
	MH_EIO,	      /* read/write/open failure */
	MH_EPARSE,    /* malformed input (rule, record, option) */
	MH_EINVAL,    /* invalid argument or option */
	MH_ENOTFOUND, /* name, field, rule or profile does not exist */
	MH_ELIMIT,    /* a fixed cap was hit */
	MH_EUNSUP,    /* recognised but not supported */
} mh_rc;

const char *mh_rc_str(mh_rc rc);

/* Error detail. All strings are NUL-terminated and truncated to fit. */
typedef struct mh_err {
	char msg[512];
	char file[256];
	char field[128];
	uint64_t line; /* 1-based, 0 = unknown */
	uint32_t col;  /* 1-based, 0 = unknown */
} mh_err;

/* Set err (if non-NULL). file may be NULL. Returns rc for tail calls:
 *   return mh_err_set(err, MH_EPARSE, path, line, col, "bad %s", x); */
mh_rc mh_err_set(mh_err *err, mh_rc rc, const char *file, uint64_t line,
		 uint32_t col, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
void mh_err_clear(mh_err *err);
/* "file:line:col: field: msg" into buf (always NUL-terminated). */
void mh_err_format(const mh_err *err, char *buf, size_t cap);

/* A borrowed byte slice. Not NUL-terminated unless stated. */
typedef struct mh_str {
	const char *p;
	size_t n;
} mh_str;

#define MH_STR_LIT(s)	((mh_str){(s), sizeof(s) - 1})
#define MH_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MH_UNUSED(x)	((void)(x))
#define MH_LIKELY(x)	__builtin_expect(!!(x), 1)
#define MH_UNLIKELY(x)	__builtin_expect(!!(x), 0)

#endif
