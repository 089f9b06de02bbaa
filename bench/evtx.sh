#!/bin/sh
# EVTX throughput: `mailhunt parse --count` against libevtx's own
# `evtxexport` (Debian libevtx-utils) on the largest corpus EVTX file.
#
#   sh bench/evtx.sh [MAILHUNT] [EVTX] [REPS]
#
# MAILHUNT defaults to build/mailhunt, EVTX to the largest .evtx under
# tests/data/evtx/, REPS (runs per tool, best kept) to 5. The file is
# small (~1 MB), so each run reads it COPIES times (default 20, env
# COPIES): mailhunt is given the path COPIES times on one command line,
# evtxexport runs COPIES times. Prints events/s for both. evtxexport
# missing: its row says so and the mailhunt row is still printed.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
MH=${1:-$ROOT/build/mailhunt}
EVTX=${2:-}
REPS=${3:-5}
COPIES=${COPIES:-20}

if [ -z "$EVTX" ]; then
	EVTX=$(ls -S "$ROOT"/tests/data/evtx/*.evtx 2>/dev/null | head -1)
fi
if [ ! -x "$MH" ] || [ ! -f "$EVTX" ]; then
	echo "usage: sh bench/evtx.sh [MAILHUNT] [EVTX] [REPS]" >&2
	echo "bench/evtx.sh: need an executable mailhunt ($MH) and an EVTX file" >&2
	exit 2
fi

# Best of REPS runs of the shell command string $1 (output discarded):
# prints "WALL CPU" in seconds (CPU = user + sys, of the children; the
# wall time is noisy on a shared machine, the CPU time less so).
TIMEF=$(mktemp)
trap 'rm -f "$TIMEF"' EXIT
best() {
	bw=
	bc_=
	i=0
	while [ "$i" -lt "$REPS" ]; do
		/usr/bin/time -f '%e %U %S' -o "$TIMEF" sh -c "$1" >/dev/null 2>&1
		w=$(cut -d' ' -f1 "$TIMEF")
		c=$(awk '{print $2 + $3}' "$TIMEF")
		if [ -z "$bw" ] || [ "$(echo "$w < $bw" | bc -l)" = 1 ]; then
			bw=$w
		fi
		if [ -z "$bc_" ] || [ "$(echo "$c < $bc_" | bc -l)" = 1 ]; then
			bc_=$c
		fi
		i=$((i + 1))
	done
	echo "$bw $bc_"
}

# "NAME EVENTS WALL CPU"
row() {
	w=${3%% *}
	c=${3##* }
	[ "$(echo "$w <= 0" | bc -l)" = 1 ] && w=0.001
	[ "$(echo "$c <= 0" | bc -l)" = 1 ] && c=0.001
	printf '%-24s %7.3f s wall %9.0f events/s | %7.3f s cpu %9.0f events/s\n' \
		"$1" "$w" "$(echo "$2 / $w" | bc -l)" "$c" "$(echo "$2 / $c" | bc -l)"
}

if [ ! -x /usr/bin/time ]; then
	echo "bench/evtx.sh: needs /usr/bin/time (Debian package time)" >&2
	exit 2
fi

files=
i=0
while [ "$i" -lt "$COPIES" ]; do
	files="$files $EVTX"
	i=$((i + 1))
done

per=$("$MH" parse --count "$EVTX" 2>/dev/null | sed -n 's/.*: events \([0-9]*\),.*/\1/p')
if [ -z "$per" ] || [ "$per" -eq 0 ]; then
	echo "bench/evtx.sh: mailhunt parsed no events from $EVTX" >&2
	exit 1
fi
total=$((per * COPIES))
size=$(wc -c <"$EVTX" | tr -d ' ')
echo "file: $EVTX ($size bytes, $per events) x $COPIES, best of $REPS"

row "mailhunt parse --count" "$total" "$(best "'$MH' parse --count $files")"

if command -v evtxexport >/dev/null 2>&1; then
	ne=$(evtxexport "$EVTX" 2>/dev/null | grep -c '^Event number')
	loop="j=0; while [ \$j -lt $COPIES ]; do evtxexport '$EVTX'; j=\$((j + 1)); done"
	row "evtxexport (text)" "$((ne * COPIES))" "$(best "$loop")"
	loop="j=0; while [ \$j -lt $COPIES ]; do evtxexport -f xml '$EVTX'; j=\$((j + 1)); done"
	row "evtxexport -f xml" "$((ne * COPIES))" "$(best "$loop")"
	echo "(evtxexport: $ne events per copy)"
else
	echo "evtxexport: not installed (Debian package libevtx-utils; scripts/deps.sh installs it)"
fi
