/* The reader registry. Adding an input format = one file in src/input/
 * defining a `const mh_reader_ops` + one row in mh_readers[] below. */
#include "input/input.h"
#include "input/json_simd.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const mh_reader_ops *const mh_readers[] = {
    &mh_input_json,
    &mh_input_csv,
    &mh_input_zeek,
    &mh_input_xml,
    &mh_input_evtx,
    &mh_input_asa,
    &mh_input_panos,
    &mh_input_cef,
    &mh_input_auditd,
#ifdef MH_WITH_SIMDJSON
    &mh_input_json_simd, /* never probed: --input-format json-simd */
#endif
    &mh_input_pcap,
    /* new readers above this line */
    NULL,
};

const mh_reader_ops *mh_reader_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; mh_readers[i]; i++)
		if (strcmp(mh_readers[i]->name, name) == 0)
			return mh_readers[i];
	return NULL;
}

/* Highest probe score wins; ties go to the earlier row. NULL if every
 * reader scores 0. */
const mh_reader_ops *mh_reader_detect(const char *buf, size_t len)
{
	const mh_reader_ops *best = NULL;
	int best_score = 0;

	if (!buf)
		return NULL;
	for (size_t i = 0; mh_readers[i]; i++) {
		int s =
		    mh_readers[i]->probe ? mh_readers[i]->probe(buf, len) : 0;
		if (s > best_score) {
			best_score = s;
			best = mh_readers[i];
		}
	}
	return best;
}

void mh_reader_malformed(mh_reader *r, uint64_t line, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	r->stats.malformed++;
	if (!r->on_malformed)
		return;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	r->on_malformed(r->ud, r->src ? mh_source_name(r->src) : "<input>",
			line, reason);
}
