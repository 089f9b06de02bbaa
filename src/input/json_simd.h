/* json-simd: the library baseline for the JSON reader (issue 4).
 *
 * An NDJSON reader built on simdjson On-Demand (src/input/json_simd.cpp),
 * compiled only with the CMake option MH_WITH_SIMDJSON (which defines the
 * macro of the same name). It produces the same events as the "json"
 * reader (same flattening, dialect tables and value policies) so the two
 * can be benchmarked and checked against each other
 * (tests/unit/test_json_diff.c). Not auto-detected: select it with
 * `--input-format json-simd`. One JSON object per line only: top-level
 * arrays, envelopes and pretty-printed records are reported as
 * unsupported, per line. */
#ifndef MH_INPUT_JSON_SIMD_H
#define MH_INPUT_JSON_SIMD_H

#include "input/input.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const mh_reader_ops mh_input_json_simd;

/* For the differential test: where the last record r reported as
 * malformed failed, compared with what the "json" reader validates:
 *  MH_SIMD_ERR_STRICT   where json.c validates fully too;
 *  MH_SIMD_ERR_LAZY     inside a value that json.c skips with loose
 *                       validation (the contents of an array, a value
 *                       under a key that maps to no field);
 *  MH_SIMD_ERR_UNLOCATED simdjson's first stage found a string that never
 *                       closes, so no position is known; json.c may accept
 *                       the line when the stray quote is inside a value it
 *                       skips (skipping resynchronises on brackets).
 * r must be open with mh_input_json_simd. */
enum {
	MH_SIMD_ERR_STRICT = 0,
	MH_SIMD_ERR_LAZY = 1,
	MH_SIMD_ERR_UNLOCATED = 2,
};
int mh_json_simd_last_error_class(const mh_reader *r);

#ifdef __cplusplus
}
#endif

#endif
