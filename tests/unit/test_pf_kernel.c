/* The prefilter's line kernels (issue 4): the AVX-512BW kernel must find
 * on every line exactly what the AVX2 kernel finds (key candidates,
 * `\u`, the first brackets, the closing braces, the newline), on random
 * lines dense in the bytes they look for, for 1 to PF_KPATS keys. The
 * AVX-512 kernel scans 64 bytes at a time, so it may leave a line whose
 * newline lies in the last 64 bytes before lim to the caller (NULL);
 * the AVX2 one 32. */
#include "input/json_int.h"
#include "mh_test.h"
#include "util/splitmix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static mh_rng g_rng;

static const char *const KEYS[PF_KPATS] = {
    "RemotePort", "Protocol",  "Timestamp", "DestinationPort",
    "app",	  "dest_port", "UtcTime",   "Xy"};

/* a byte, mostly from the ones the kernels test */
static char rnd_byte(void)
{
	static const char hot[] = "\"\"\"{}[]\\u:,RPTDadUX \n";
	uint64_t r = mh_rng_below(&g_rng, 100);

	if (r < 60)
		return hot[mh_rng_below(&g_rng, sizeof(hot) - 1)];
	return (char)(' ' + mh_rng_below(&g_rng, 95));
}

/* fills n bytes: random bytes with whole keys spliced in */
static void fill(char *p, size_t n, size_t np)
{
	size_t i = 0;

	while (i < n) {
		if (mh_rng_below(&g_rng, 12) == 0) {
			const char *k = KEYS[mh_rng_below(&g_rng, np)];
			size_t kl = strlen(k);
			if (i + kl + 2 <= n) {
				p[i++] = mh_rng_below(&g_rng, 4) ? '"' : '.';
				memcpy(p + i, k, kl);
				i += kl;
				p[i++] = '"';
				continue;
			}
		}
		p[i++] = rnd_byte();
	}
	/* newlines sparse in most buffers, so lines span many blocks */
	if (mh_rng_below(&g_rng, 3))
		for (i = 0; i < n; i++)
			if (p[i] == '\n' && mh_rng_below(&g_rng, 8))
				p[i] = ' ';
}

static bool kout_same(const pf_kout *a, const pf_kout *b)
{
	if (a->nc != b->nc || a->uesc != b->uesc || a->open1 != b->open1 ||
	    a->open2 != b->open2 || a->nclose != b->nclose ||
	    a->last_close != b->last_close)
		return false;
	for (size_t i = 0; i < a->nc && i < PF_CAND; i++)
		if (a->cand[i] != b->cand[i])
			return false;
	return true;
}

static void test_kernels_agree(void)
{
	pf_plan pl;
	unsigned lines = 0, tails = 0, bad = 0;

	if (!__builtin_cpu_supports("avx2") ||
	    !__builtin_cpu_supports("avx512bw")) {
		/* nothing to compare: the AVX2 kernel alone is used */
		fprintf(stderr, "no AVX-512BW on this CPU: kernels not "
				"compared\n");
		MH_CHECK(mh_json_pf_kernel(1, false) != NULL ||
			 !__builtin_cpu_supports("avx2"));
		return;
	}
	g_rng.s = 0x5eed0004;
	for (unsigned iter = 0; iter < 3000; iter++) {
		size_t np = 1 + mh_rng_below(&g_rng, PF_KPATS), maxn = 0;
		size_t n = 64 + mh_rng_below(&g_rng, 3000);
		mh_json_pf_kernel_fn k2 = mh_json_pf_kernel(np, false);
		mh_json_pf_kernel_fn k5 = mh_json_pf_kernel(np, true);
		char *buf;
		const char *q, *lim;

		memset(&pl, 0, sizeof(pl));
		for (size_t j = 0; j < np; j++) {
			pl.pat[j].k = KEYS[j];
			pl.pat[j].n = (uint8_t)strlen(KEYS[j]);
			pl.kidx[j] = (uint8_t)j;
			if (pl.pat[j].n > maxn)
				maxn = pl.pat[j].n;
		}
		pl.npat = pl.nkern = np;
		pl.slack = maxn + 2;
		MH_CHECK(k2 && k5);
		if (!k2 || !k5)
			return;
		/* exactly n + slack bytes, so ASan sees any read past */
		buf = malloc(n + pl.slack);
		MH_CHECK(buf != NULL);
		if (!buf)
			return;
		fill(buf, n + pl.slack, np);
		lim = buf + n;
		q = buf;
		while (q < lim) {
			pf_kout o2, o5;
			const char *e2 = k2(&pl, q, lim, &o2);
			const char *e5 = k5(&pl, q, lim, &o5);
			size_t full64 = (size_t)(lim - q) / 64 * 64;

			lines++;
			if (e5) {
				if (e5 != e2 || !kout_same(&o2, &o5)) {
					if (!bad++)
						fprintf(stderr,
							"iter %u: line at %zu "
							"differs\n",
							iter,
							(size_t)(q - buf));
				}
				q = e5 + 1;
				continue;
			}
			/* left to the caller: the newline is past every
			 * whole 64-byte block */
			tails++;
			if (e2 && (size_t)(e2 - q) < full64 && !bad++)
				fprintf(stderr,
					"iter %u: AVX-512 missed a "
					"newline\n",
					iter);
			break;
		}
		free(buf);
	}
	MH_CHECK_EQ_INT(bad, 0);
	/* the random lines reached both outcomes many times */
	MH_CHECK(lines > 20000);
	MH_CHECK(tails > 1000);
}

int main(void)
{
	MH_RUN(test_kernels_agree);
	MH_DONE();
}
