/* Private to the rule compiler: "wild strings" (a rule value's bytes,
 * each literal or a '*' / '?' wildcard) and the Sigma transformation
 * modifiers on them (wide/utf16*, base64, base64offset, windash). The
 * functions return 0, or -1 when out of memory (tr_windash: 1 when the
 * value would have more than MAX_VARIANTS variants). */
#ifndef MH_RULE_WILD_H
#define MH_RULE_WILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_VARIANTS 1024

typedef struct sstr {
	char *b;
	uint8_t *w; /* 0 literal, 1 '*', 2 '?' */
	size_t n, cap;
} sstr;

typedef struct sslist {
	sstr *v;
	size_t n, cap;
} sslist;

void mh_ss_free(sstr *s);
int mh_ss_push(sstr *s, char c, uint8_t w);
void mh_sl_free(sslist *l);
/* Appends *s, taking ownership (s is emptied; freed on failure). */
int mh_sl_add(sslist *l, sstr *s);
bool mh_ss_has_wild(const sstr *s);
/* Sigma escaping: '\' escapes '*', '?' and '\'; before any other
 * character it is a literal backslash. */
int mh_ss_from_text(sstr *s, const char *t, size_t n);

/* UTF-16 (little-endian unless be; with bom: a byte order mark first) of
 * the UTF-8 in `in`, wildcards kept, into o. */
int mh_tr_utf16(const sstr *in, sstr *o, bool be, bool bom);
/* Standard base64 of p[0..n) into o. */
int mh_b64(const unsigned char *p, size_t n, sstr *o);
/* base64offset: the three variants, appended to out. */
int mh_tr_b64off(const sstr *in, sslist *out);
/* windash: the variants appended to out, their count in *nvar. */
int mh_tr_windash(const sstr *in, sslist *out, size_t *nvar);

#endif
