#!/bin/sh
# Peak RSS on a large input (issue 4: "at most 64 MB for any input size,
# 1 GB or 10 GB"): writes out/<naming>-<size>.ndjson with gen.c (seed 1;
# kept and reused until gen.c changes), drops it from the page cache and
# reads it back (as run.sh does), then scans it once per row with
# /usr/bin/time -v: --profile sentinel and the default pack, 1 and 2
# threads. Prints a markdown table; exits 1 if the 1- and 2-thread
# alerts differ, 2 if it cannot run (no disk space, no /usr/bin/time).
# Run by `make bench` (bench/run.sh), not by `make check`.
#
# usage: sh bench/rss-big.sh [--mailhunt PATH] [--size 10G] [--naming mde|sysmon]
set -eu
BENCH=$(cd "$(dirname "$0")" && pwd)
OUT=$BENCH/out
MH=$(pwd)/build/mailhunt
SIZE=10G
NAMING=mde
while [ $# -gt 0 ]; do
	case $1 in
	--mailhunt) MH=$2; shift ;;
	--size) SIZE=$2; shift ;;
	--naming) NAMING=$2; shift ;;
	*) echo "usage: sh bench/rss-big.sh [--mailhunt PATH] [--size 10G] [--naming mde|sysmon]" >&2; exit 2 ;;
	esac
	shift
done
case $MH in /*) ;; *) MH=$(pwd)/$MH ;; esac
[ -x /usr/bin/time ] || { echo "rss-big: /usr/bin/time not found (Debian package 'time')"; exit 2; }
TAG=$(echo "$SIZE" | tr 'GMK' 'gmk')
F=$OUT/$NAMING-$TAG.ndjson
mkdir -p "$OUT"
CC=${CC:-cc}
[ -x "$OUT/gen" ] && [ -z "$(find "$BENCH/gen.c" -newer "$OUT/gen")" ] ||
	$CC -O2 -std=c11 -Wall -Wextra -Werror -o "$OUT/gen" "$BENCH/gen.c"
if [ -s "$F" ] && [ -s "$F.meta" ] && [ -n "$(find "$F" -newer "$BENCH/gen.c")" ]; then
	:
else
	rm -f "$F" "$F.meta"
	# the file, plus 1 GiB to spare
	need_kb=$(awk -v s="$SIZE" 'BEGIN { n = s + 0; u = substr(s, length(s));
		m = u == "G" ? 1048576 : u == "M" ? 1024 : u == "K" ? 1 : 1 / 1024;
		printf "%d", n * m + 1048576 }')
	free_kb=$(df -Pk "$OUT" | awk 'NR == 2 { print $4 }')
	if [ "$free_kb" -lt "$need_kb" ]; then
		echo "rss-big: not enough disk for $F ($((free_kb / 1024)) MB free, $((need_kb / 1024)) MB needed): skipped"
		exit 2
	fi
	echo "rss-big: writing $F ($SIZE)" >&2
	"$OUT/gen" --dialect "$NAMING" --size "$SIZE" --seed 1 -o "$F" >&2
fi
NOW=$(sed -n 's/^max_time=//p' "$F.meta")
# as run.sh: the file's pages as after reading a log from disk
python3 -c "import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)" "$F" 2>/dev/null || true
cat "$F" >/dev/null

row() { # LABEL THREADS ARGS...
	label=$1 th=$2
	shift 2
	/usr/bin/time -v "$MH" scan "$@" --format csv -q --threads "$th" --now "$NOW" "$F" \
		>"$OUT/rss-big-$th.csv" 2>"$OUT/rss-big-time.txt" || true
	kb=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$OUT/rss-big-time.txt")
	wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): *//p' "$OUT/rss-big-time.txt")
	rows=$(($(wc -l <"$OUT/rss-big-$th.csv") - 1))
	mb=$(awk -v k="$kb" 'BEGIN { printf "%.1f", k / 1024 }')
	ok=$(awk -v m="$mb" 'BEGIN { print (m <= 64 ? "yes" : "**no**") }')
	echo "| $label | $th | $mb | $ok | $rows | $wall |"
}

STATUS=0
echo "Peak RSS: $(basename "$F") ($(wc -c <"$F" | tr -d ' ') bytes), $(date -u +%Y-%m-%dT%H:%MZ), \`--now $NOW\`"
echo
echo "| rules | threads | peak RSS, MB | <= 64 | alert rows | wall |"
echo "| --- | ---: | ---: | --- | ---: | ---: |"
for rules in sentinel default; do
	set --
	[ $rules = sentinel ] && set -- --profile sentinel
	row "$rules" 1 "$@"
	row "$rules" 2 "$@"
	cmp -s "$OUT/rss-big-1.csv" "$OUT/rss-big-2.csv" || {
		echo "| $rules: 1- and 2-thread alerts differ | | | **no** | | |"
		STATUS=1
	}
done
rm -f "$OUT/rss-big-1.csv" "$OUT/rss-big-2.csv" "$OUT/rss-big-time.txt"
exit $STATUS
