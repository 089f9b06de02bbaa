#!/bin/sh
# The memory-cap worst case of issue 4: N distinct correlation groups
# (one host and one process per record, every record on a mail port, so
# every record matches), scanned with the built-in default pack at the
# default --max-memory (256 MB) with 1 and 2 threads. Prints a markdown
# table (peak RSS from /usr/bin/time -v, the evictions the summary
# reports, alert rows, wall time) and checks that both outputs are
# identical. Exits 1 if a peak RSS is above the cap, the evictions are not
# reported, or the outputs differ; 2 if it cannot run. Run by `make bench`
# (bench/run.sh, full runs); a small-cap version is in `make check`
# (tests/e2e/cli/memory-cap-many-groups).
#
# usage: sh bench/many-groups.sh [--mailhunt PATH] [--records N]
#        (default build/mailhunt, 10000000 records: 1.76 GB under bench/out)
set -eu
BENCH=$(cd "$(dirname "$0")" && pwd)
OUT=$BENCH/out
MH=$(pwd)/build/mailhunt
N=10000000
CAP_MB=256
while [ $# -gt 0 ]; do
	case $1 in
	--mailhunt) MH=$2; shift ;;
	--records) N=$2; shift ;;
	*) echo "usage: sh bench/many-groups.sh [--mailhunt PATH] [--records N]" >&2; exit 2 ;;
	esac
	shift
done
case $N in '' | *[!0-9]* | 0) echo "many-groups: --records wants a positive number" >&2; exit 2 ;; esac
case $MH in /*) ;; *) MH=$(pwd)/$MH ;; esac
[ -x "$MH" ] || { echo "many-groups: no mailhunt binary at $MH (make)"; exit 2; }
[ -x /usr/bin/time ] || { echo "many-groups: /usr/bin/time not found (Debian package 'time')"; exit 2; }
F=$OUT/many-groups-$N.jsonl
mkdir -p "$OUT"
if [ ! -s "$F" ]; then
	# about 176 bytes a record, plus 256 MB to spare
	need_kb=$((N * 180 / 1024 + 262144))
	free_kb=$(df -Pk "$OUT" | awk 'NR == 2 { print $4 }')
	if [ "$free_kb" -lt "$need_kb" ]; then
		echo "many-groups: not enough disk for $F ($((free_kb / 1024)) MB free, $((need_kb / 1024)) MB needed): skipped"
		exit 2
	fi
	echo "many-groups: writing $F ($N records)" >&2
	awk -v n="$N" 'BEGIN {
	  for (i = 0; i < n; i++) {
	    s = 1714521600 + int(i / 100);
	    printf "{\"EventID\":3,\"UtcTime\":\"2024-05-01 %02d:%02d:%02d.000\",\"Hostname\":\"H%d\",\"Image\":\"C:\\\\t\\\\p%d.exe\",\"Initiated\":\"true\",\"DestinationIp\":\"198.51.100.1\",\"DestinationPort\":\"587\"}\n", int(s % 86400 / 3600), int(s % 3600 / 60), s % 60, i, i
	  }
	}' >"$F.tmp" && mv "$F.tmp" "$F"
fi

STATUS=0
echo "Many groups: $(basename "$F") ($N records, each with its own host and process: $N distinct correlation keys), built-in default pack, default \`--max-memory\` ($CAP_MB MB), $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| threads | peak RSS, MB | <= $CAP_MB | groups evicted (summary) | alert rows | wall |"
echo "| ---: | ---: | --- | ---: | ---: | ---: |"
for t in 1 2; do
	/usr/bin/time -v "$MH" scan --threads "$t" -v --format csv "$F" \
		>"$OUT/many-groups-$t.csv" 2>"$OUT/many-groups-$t.err" || true
	kb=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$OUT/many-groups-$t.err")
	wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): *//p' "$OUT/many-groups-$t.err")
	# "mailhunt: N correlation groups were evicted at --max-memory; ..."
	ev=$(sed -n 's/^mailhunt: \([0-9]*\) correlation groups were evicted at --max-memory.*/\1/p' "$OUT/many-groups-$t.err")
	rows=$(($(wc -l <"$OUT/many-groups-$t.csv") - 1))
	mb=$(awk -v k="${kb:-0}" 'BEGIN { printf "%.1f", k / 1024 }')
	ok=$(awk -v m="$mb" -v c="$CAP_MB" 'BEGIN { print (m > 0 && m <= c ? "yes" : "**no**") }')
	[ "$ok" = yes ] || STATUS=1
	[ -n "$ev" ] || { ev="**not reported**"; STATUS=1; }
	echo "| $t | $mb | $ok | $ev | $rows | $wall |"
done
echo
if cmp -s "$OUT/many-groups-1.csv" "$OUT/many-groups-2.csv"; then
	echo "The 1- and 2-thread alerts are identical."
else
	echo "The 1- and 2-thread alerts **differ**."
	STATUS=1
fi
exit $STATUS
