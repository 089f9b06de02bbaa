#!/bin/sh
# Many-rules benchmark (issue 4): single-thread scan throughput with 1 and
# with 500 generated Sigma rules, for three rule mixes (bench/gen_rules.c:
# ports, contains, mixed), and the same alerts with the rule index on and
# off (MAILHUNT_NO_RULE_INDEX=1).
#
#   sh bench/many-rules.sh [--reps N] [--rules N] [--mailhunt PATH] [FILE]
#
# FILE: Defender-named NDJSON (default bench/out/mde-100m.ndjson, made by
# `sh bench/run.sh --quick`). PATH: default build/mailhunt. Prints a
# markdown table: MB/s (10^6 bytes/s of FILE) as the median of N runs
# (default 9), the 1-rule and N-rule runs interleaved, and the ratio
# (target >= 0.50). Exit status: 0, 1 if the alerts differ between index
# on and off, 2 on a usage or setup error.
set -u

BENCH=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH")
REPS=9
NRULES=500
MH=$ROOT/build/mailhunt
FILE=$BENCH/out/mde-100m.ndjson
CC=${CC:-cc}

usage() {
	echo "usage: sh bench/many-rules.sh [--reps N] [--rules N] [--mailhunt PATH] [FILE]" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--reps | --rules | --mailhunt)
		[ $# -ge 2 ] || usage
		case $1 in
		--reps) REPS=$2 ;;
		--rules) NRULES=$2 ;;
		*) MH=$2 ;;
		esac
		shift
		;;
	-h | --help | -*) usage ;;
	*) FILE=$1 ;;
	esac
	shift
done
case $REPS in '' | *[!0-9]* | 0) usage ;; esac
case $NRULES in '' | *[!0-9]* | 0) usage ;; esac
[ -x "$MH" ] || { echo "many-rules: no mailhunt binary at $MH (make)" >&2; exit 2; }
[ -r "$FILE" ] || {
	echo "many-rules: no $FILE (sh bench/run.sh --quick makes it)" >&2
	exit 2
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mh-many-rules.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT INT TERM
$CC -O2 -std=c11 -Wall -Wextra -Werror -o "$TMP/gen_rules" \
	"$BENCH/gen_rules.c" || { echo "many-rules: gen_rules.c does not compile" >&2; exit 2; }
$CC -O2 -std=c11 -Wall -Wextra -Werror -o "$TMP/spawn" \
	"$BENCH/spawn.c" || { echo "many-rules: spawn.c does not compile" >&2; exit 2; }

BYTES=$(wc -c <"$FILE")
MIXES="ports contains mixed"

# median of the numbers in file $1 (one per line)
median() {
	sort -g "$1" | awk '{ a[NR] = $1 }
		END { if (NR % 2) print a[(NR + 1) / 2];
		      else printf "%.6f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# scan RULEDIR OUTFILE: one timed single-thread scan, seconds on stdout
# (exit status 0: no alert, 1: alerts, else an error)
scan() {
	# bench/spawn.c: wall seconds from fork to wait4()
	s=$("$TMP/spawn" "$2" "$2.err" "$MH" scan --threads 1 --no-builtin \
		--rules "$1" -q --format csv "$FILE")
	rc=$?
	[ $rc -le 1 ] || { echo "many-rules: scan failed ($1): $rc" >&2; cat "$2.err" >&2; exit 2; }
	echo "${s%% *}"
}

# alert rows of a CSV output (the header line aside)
alerts() { awk 'END { print (NR > 0) ? NR - 1 : 0 }' "$1"; }

mbps() { awk -v b="$BYTES" -v s="$1" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }

STATUS=0
ROWS=
for mix in $MIXES; do
	for n in 1 "$NRULES"; do
		"$TMP/gen_rules" --mix "$mix" --count "$n" -o "$TMP/$mix-$n" ||
			{ echo "many-rules: gen_rules failed" >&2; exit 2; }
	done
	# equivalence first (also warms the page cache)
	for n in 1 "$NRULES"; do
		scan "$TMP/$mix-$n" "$TMP/on-$mix-$n.csv" >/dev/null
		MAILHUNT_NO_RULE_INDEX=1 scan "$TMP/$mix-$n" \
			"$TMP/off-$mix-$n.csv" >/dev/null
	done
	SAME=yes
	for n in 1 "$NRULES"; do
		cmp -s "$TMP/on-$mix-$n.csv" "$TMP/off-$mix-$n.csv" || SAME=NO
	done
	[ $SAME = yes ] || STATUS=1
	: >"$TMP/t1"
	: >"$TMP/tn"
	i=0
	while [ $i -lt "$REPS" ]; do
		scan "$TMP/$mix-1" "$TMP/x.csv" >>"$TMP/t1"
		scan "$TMP/$mix-$NRULES" "$TMP/x.csv" >>"$TMP/tn"
		i=$((i + 1))
	done
	S1=$(median "$TMP/t1")
	SN=$(median "$TMP/tn")
	R=$(awk -v a="$S1" -v b="$SN" 'BEGIN { printf "%.2f", a / b }')
	OK=$(awk -v r="$R" 'BEGIN { print (r >= 0.5) ? "yes" : "no" }')
	A1=$(alerts "$TMP/on-$mix-1.csv")
	AN=$(alerts "$TMP/on-$mix-$NRULES.csv")
	ROWS="$ROWS| $mix | $(mbps "$S1") | $(mbps "$SN") | $R | $OK | $A1 / $AN | $SAME |
"
done

echo "Many rules: $(basename "$FILE") ($BYTES bytes), --threads 1, median of $REPS runs (interleaved), $(date -u +%Y-%m-%dT%H:%MZ), load:$(uptime | sed 's/.*load average://')"
echo
echo "| mix | 1 rule MB/s | $NRULES rules MB/s | ratio | >= 0.50 | alert rows (1 / $NRULES) | index on == off |"
echo "| --- | ---: | ---: | ---: | --- | ---: | --- |"
printf '%s' "$ROWS"
exit $STATUS
