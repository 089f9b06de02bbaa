/* Minimal unit-test harness. Each test file defines test functions and a
 * main() that runs them with MH_RUN(). The binary exits non-zero if any
 * check failed and prints "N passed, N failed". */
#ifndef MH_TEST_H
#define MH_TEST_H

#include <stdio.h>
#include <string.h>

static int mh_t_pass, mh_t_fail, mh_t_cur_fail;

#define MH_CHECK(cond)                                                         \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			mh_t_cur_fail++;                                       \
		}                                                              \
	} while (0)

#define MH_CHECK_EQ_INT(a, b)                                                  \
	do {                                                                   \
		long long _a = (long long)(a), _b = (long long)(b);            \
		if (_a != _b) {                                                \
			fprintf(stderr,                                        \
				"%s:%d: %s == %s failed: %lld != %lld\n",      \
				__FILE__, __LINE__, #a, #b, _a, _b);           \
			mh_t_cur_fail++;                                       \
		}                                                              \
	} while (0)

#define MH_CHECK_EQ_STR(a, b)                                                  \
	do {                                                                   \
		const char *_a = (a), *_b = (b);                               \
		if (!_a || !_b || strcmp(_a, _b) != 0) {                       \
			fprintf(stderr,                                        \
				"%s:%d: %s == %s failed: \"%s\" != \"%s\"\n",  \
				__FILE__, __LINE__, #a, #b,                    \
				_a ? _a : "(null)", _b ? _b : "(null)");       \
			mh_t_cur_fail++;                                       \
		}                                                              \
	} while (0)

/* Compare a slice (p, n) to a C string. */
#define MH_CHECK_EQ_SLICE(p, n, s)                                             \
	do {                                                                   \
		const char *_p = (p), *_s = (s);                               \
		size_t _n = (n);                                               \
		if (!_p || strlen(_s) != _n || memcmp(_p, _s, _n) != 0) {      \
			fprintf(stderr,                                        \
				"%s:%d: %s == \"%s\" failed: \"%.*s\"\n",      \
				__FILE__, __LINE__, #p, _s, _p ? (int)_n : 6,  \
				_p ? _p : "(null)");                           \
			mh_t_cur_fail++;                                       \
		}                                                              \
	} while (0)

#define MH_RUN(fn)                                                             \
	do {                                                                   \
		mh_t_cur_fail = 0;                                             \
		fn();                                                          \
		if (mh_t_cur_fail) {                                           \
			fprintf(stderr, "FAIL %s\n", #fn);                     \
			mh_t_fail++;                                           \
		} else {                                                       \
			mh_t_pass++;                                           \
		}                                                              \
	} while (0)

#define MH_DONE()                                                              \
	do {                                                                   \
		printf("%d passed, %d failed\n", mh_t_pass, mh_t_fail);        \
		return mh_t_fail ? 1 : 0;                                      \
	} while (0)

#endif
