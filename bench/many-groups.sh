#!/bin/sh
# The memory-cap worst case of issue 4: N distinct correlation groups
# (one host and one process per record, every record on a mail port, so
# every record matches), scanned at the default --max-memory (256 MB)
# with 1 and 2 threads. Prints peak RSS, time and the engine's counts,
# and checks that both outputs are identical. Not part of `make check`
# (a small-cap version is: tests/e2e/cli/memory-cap-many-groups).
#
# usage: sh bench/many-groups.sh [path/to/mailhunt] [records]
#        (default build/mailhunt, 10000000 records: 1.76 GB under bench/out)
set -eu
MH=${1:-build/mailhunt}
N=${2:-10000000}
OUT=$(dirname "$0")/out
F=$OUT/many-groups-$N.jsonl
mkdir -p "$OUT"
if [ ! -s "$F" ]; then
	echo "many-groups: writing $F ($N records)"
	awk -v n="$N" 'BEGIN {
	  for (i = 0; i < n; i++) {
	    s = 1714521600 + int(i / 100);
	    printf "{\"EventID\":3,\"UtcTime\":\"2024-05-01 %02d:%02d:%02d.000\",\"Hostname\":\"H%d\",\"Image\":\"C:\\\\t\\\\p%d.exe\",\"Initiated\":\"true\",\"DestinationIp\":\"198.51.100.1\",\"DestinationPort\":\"587\"}\n", int(s % 86400 / 3600), int(s % 3600 / 60), s % 60, i, i
	  }
	}' >"$F"
fi
for t in 1 2; do
	/usr/bin/time -f "many-groups: --threads $t: %e s, peak RSS %M KB" \
		"$MH" scan --threads "$t" -v --format csv "$F" \
		2>"$OUT/many-groups-$t.err" >"$OUT/many-groups-$t.csv" || true
	grep -E '^engine:|^many-groups:' "$OUT/many-groups-$t.err"
done
if cmp -s "$OUT/many-groups-1.csv" "$OUT/many-groups-2.csv"; then
	echo "many-groups: outputs identical ($(wc -l <"$OUT/many-groups-1.csv") lines)"
else
	echo "many-groups: outputs DIFFER" >&2
	exit 1
fi
