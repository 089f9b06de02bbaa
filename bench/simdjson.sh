#!/bin/sh
# bench/simdjson.sh: mailhunt's own NDJSON reader ("json", src/input/json.c)
# against the simdjson baseline ("json-simd", src/input/json_simd.cpp) on
# the same file, one thread, same rules (the default pack), warm cache.
#
#   sh bench/simdjson.sh [MAILHUNT]        default: build/mailhunt
#
# Environment: SIZE (default 1G, as bench/gen.c reads it), REPS (default
# 3; the median is reported), OUT (default bench/out/simdjson), ARGS
# (extra scan options, e.g. "--profile sentinel").
#
# The binary must be built with -DMH_WITH_SIMDJSON=ON (the default when
# libsimdjson-dev is installed). simdjson's first stage dispatches to the
# CPU's kernels at run time; its On-Demand walk is compiled into
# json_simd.cpp: configure with -DMH_SIMDJSON_NATIVE=ON to compile that
# file for the build machine. Runs are interleaved (json, json-simd,
# json, ...) and both readers must produce the same alerts.
set -eu

MH=${1:-build/mailhunt}
SIZE=${SIZE:-1G}
REPS=${REPS:-3}
OUT=${OUT:-bench/out/simdjson}
ARGS=${ARGS:-}

if [ ! -x "$MH" ]; then
	echo "simdjson.sh: $MH: no such binary (make build)" >&2
	exit 1
fi
mkdir -p "$OUT"
: >"$OUT/empty.ndjson"
if ! "$MH" parse -q -c -i json-simd "$OUT/empty.ndjson" >/dev/null 2>&1; then
	echo "simdjson.sh: $MH has no json-simd reader (built without" \
		"MH_WITH_SIMDJSON; install libsimdjson-dev)" >&2
	exit 1
fi

cc -O2 -o "$OUT/gen" bench/gen.c
DATA="$OUT/mde-$SIZE.ndjson"
if [ ! -s "$DATA" ]; then
	"$OUT/gen" --dialect mde --size "$SIZE" -o "$DATA"
fi
BYTES=$(wc -c <"$DATA")
cat "$DATA" >/dev/null # warm the page cache

now() { date +%s.%N; }

# run FORMAT: one timed scan, then one timed `parse -c` (the reader
# alone, every field decoded, no rules); seconds appended to
# $OUT/t-FORMAT and $OUT/p-FORMAT
run() {
	t0=$(now)
	rc=0
	# shellcheck disable=SC2086
	"$MH" scan -q --threads 1 --input-format "$1" $ARGS "$DATA" \
		>"$OUT/alerts-$1.txt" || rc=$?
	t1=$(now)
	if [ "$rc" -gt 1 ]; then # 0: no alert, 1: alerts
		echo "simdjson.sh: scan --input-format $1 failed ($rc)" >&2
		exit 1
	fi
	echo "$t0 $t1" | awk '{ printf "%.4f\n", $2 - $1 }' >>"$OUT/t-$1"
	t0=$(now)
	"$MH" parse -q -c --input-format "$1" "$DATA" >"$OUT/count-$1.txt"
	t1=$(now)
	echo "$t0 $t1" | awk '{ printf "%.4f\n", $2 - $1 }' >>"$OUT/p-$1"
}

median() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2];
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

rm -f "$OUT/t-json" "$OUT/t-json-simd" "$OUT/p-json" "$OUT/p-json-simd"
i=0
while [ "$i" -lt "$REPS" ]; do
	run json
	run json-simd
	i=$((i + 1))
done

if ! cmp -s "$OUT/alerts-json.txt" "$OUT/alerts-json-simd.txt"; then
	echo "simdjson.sh: the readers' alerts differ" \
		"($OUT/alerts-json.txt vs $OUT/alerts-json-simd.txt)" >&2
	exit 1
fi

if [ "$(sed 's/reader json-simd/reader json/' "$OUT/count-json-simd.txt")" != \
	"$(cat "$OUT/count-json.txt")" ]; then
	echo "simdjson.sh: the readers' event counts differ" >&2
	exit 1
fi

echo "| run (1 thread, $REPS runs, median) | json s | json GB/s |" \
	"json-simd s | json-simd GB/s | json speed / json-simd |"
echo "|---|---|---|---|---|---|"
for k in "t scan${ARGS:+ $ARGS}" "p parse -c (reader only, all fields)"; do
	set -- $k
	p=$1
	shift
	tj=$(median "$OUT/$p-json")
	ts=$(median "$OUT/$p-json-simd")
	echo "$tj $ts $BYTES" | awk -v what="$*" '{
		printf "| %s | %.3f | %.2f | %.3f | %.2f | %.2fx |\n", what,
		    $1, $3 / $1 / 1e9, $2, $3 / $2 / 1e9, $2 / $1 }'
done
echo
echo "file: $DATA, $BYTES bytes; alerts identical" \
	"($(wc -l <"$OUT/alerts-json.txt") lines); $(cat "$OUT/count-json.txt")"
