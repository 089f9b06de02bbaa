#!/bin/sh
# Zeek TSV benchmark: mailhunt's Zeek reader against zeek-cut-style field
# extraction with awk, on a large conn.log made by repeating the data rows
# of the corpus's real conn.log (tests/data/zeek/rita__test_data_truncated__
# conn.log, its truncated last line dropped) to ~SIZE MB under one header.
#
#   sh bench/zeek.sh [--size MB] [--reps N] [MAILHUNT]
#
# MAILHUNT: the mailhunt binary (default: build/mailhunt). Prints MB/s
# (best of N runs, wall clock) for:
#   awk        awk -F'\t' '!/^#/{print $3,$5,$6}' >/dev/null
#   parse      mailhunt parse --count (reads and normalises every field)
#   scan       mailhunt scan -q --home-net 10.0.0.0/8 (default pack; only
#              the rules' fields are decoded)
# The generated file is kept in bench/out/zeek-conn-SIZE.log.
set -u

BENCH=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
OUT=$BENCH/out
SIZE=200
REPS=3
MH=$ROOT/build/mailhunt

usage() {
	echo "usage: sh bench/zeek.sh [--size MB] [--reps N] [MAILHUNT]" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--size)
		[ $# -ge 2 ] || usage
		SIZE=$2
		shift
		;;
	--reps)
		[ $# -ge 2 ] || usage
		REPS=$2
		shift
		;;
	-h | --help) usage ;;
	-*) usage ;;
	*) MH=$1 ;;
	esac
	shift
done
case $SIZE in '' | *[!0-9]* | 0) usage ;; esac
case $REPS in '' | *[!0-9]* | 0) usage ;; esac
[ -x "$MH" ] || {
	echo "zeek.sh: no mailhunt binary at $MH" >&2
	exit 2
}

SRC=$ROOT/tests/data/zeek/rita__test_data_truncated__conn.log
mkdir -p "$OUT"
LOG=$OUT/zeek-conn-$SIZE.log
WANT=$((SIZE * 1000 * 1000))

if [ ! -f "$LOG" ] || [ "$(wc -c <"$LOG")" -lt "$WANT" ]; then
	echo "generating $LOG (~$SIZE MB)" >&2
	# header, then the complete data rows (21 fields) repeated
	grep '^#' "$SRC" | grep -v '^#close' >"$LOG.tmp"
	awk -F'\t' '!/^#/ && NF == 21' "$SRC" >"$OUT/zeek-rows.tmp"
	rows=$(wc -c <"$OUT/zeek-rows.tmp")
	n=$((WANT / rows + 1))
	# doubling: cat the block onto itself until it holds n copies
	cp "$OUT/zeek-rows.tmp" "$OUT/zeek-block.tmp"
	have=1
	while [ $((have * 2)) -le "$n" ]; do
		cat "$OUT/zeek-block.tmp" "$OUT/zeek-block.tmp" >"$OUT/zeek-block2.tmp"
		mv "$OUT/zeek-block2.tmp" "$OUT/zeek-block.tmp"
		have=$((have * 2))
	done
	cat "$OUT/zeek-block.tmp" >>"$LOG.tmp"
	while [ "$have" -lt "$n" ]; do
		cat "$OUT/zeek-rows.tmp" >>"$LOG.tmp"
		have=$((have + 1))
	done
	mv "$LOG.tmp" "$LOG"
	rm -f "$OUT/zeek-rows.tmp" "$OUT/zeek-block.tmp"
fi
BYTES=$(wc -c <"$LOG")
LINES=$(grep -vc '^#' "$LOG")

# best of REPS runs of "$@": sets W (wall s) and C (user+sys CPU s).
# CPU time is the fairer figure on a loaded machine.
best() {
	W=
	C=
	i=0
	while [ $i -lt "$REPS" ]; do
		/usr/bin/time -f '%e %U %S' -o "$OUT/zeek-time.tmp" "$@" \
		    >/dev/null 2>/dev/null
		w=$(awk '{print $1}' "$OUT/zeek-time.tmp")
		c=$(awk '{print $2 + $3}' "$OUT/zeek-time.tmp")
		if [ -z "$W" ] || [ "$(echo "$w < $W" | bc -l)" = 1 ]; then
			W=$w
		fi
		if [ -z "$C" ] || [ "$(echo "$c < $C" | bc -l)" = 1 ]; then
			C=$c
		fi
		i=$((i + 1))
	done
	rm -f "$OUT/zeek-time.tmp"
}

mbps() {
	if [ "$(echo "$1 <= 0" | bc -l)" = 1 ]; then
		echo "-"
	else
		echo "scale=1; $BYTES / 1000000 / $1" | bc -l
	fi
}

row() {
	printf '%-6s %7s s %8s MB/s   %7s s %8s MB/s\n' "$1" "$W" \
	    "$(mbps "$W")" "$C" "$(mbps "$C")"
}

# warm the page cache
cat "$LOG" >/dev/null

echo "Zeek TSV conn.log: $BYTES bytes, $LINES records ($LOG)"
echo "best of $REPS:  wall                    CPU (user+sys)"
best awk -F'\t' '!/^#/{print $3,$5,$6}' "$LOG"
row awk
best "$MH" parse --count "$LOG"
row parse
best "$MH" scan -q --home-net 10.0.0.0/8 --format csv "$LOG"
row scan
"$MH" parse --count "$LOG"
