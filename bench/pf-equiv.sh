#!/bin/sh
# Differential check of the JSON prefilter (docs/performance.md): every
# input scanned with the default pack and with --profile sentinel gives
# the same alerts and exit code with MAILHUNT_NO_PREFILTER=1, with 1 and
# 2 threads, and every malformed-record report made with the prefilter
# is also made without it (lines the prefilter drops are not validated).
# Inputs: bench/out/{mde,sysmon}-100m.ndjson (when present) and every
# input file under tests/e2e.
#   sh bench/pf-equiv.sh MAILHUNT [EXTRA_FILES...]
set -u
MH=${1:?usage: sh bench/pf-equiv.sh MAILHUNT [FILES...]}
shift
ROOT=$(cd "$(dirname "$0")/.." && pwd)
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
files=$(mktemp -p "$t")
for f in "$ROOT"/bench/out/mde-100m.ndjson "$ROOT"/bench/out/sysmon-100m.ndjson; do
	[ -f "$f" ] && echo "$f" >> "$files"
done
find "$ROOT/tests/e2e" -type f ! -name cmd ! -name 'expected.*' | sort >> "$files"
for f in "$@"; do echo "$f" >> "$files"; done
n=0; bad=0
while IFS= read -r f; do
	for prof in mailhunt sentinel; do
	for th in 1 2; do
		"$MH" scan --profile $prof --threads $th -v --format csv "$f" \
			> "$t/on" 2> "$t/eon"
		echo $? > "$t/rcon"
		MAILHUNT_NO_PREFILTER=1 "$MH" scan --profile $prof --threads $th \
			-v --format csv "$f" > "$t/off" 2> "$t/eoff"
		echo $? > "$t/rcoff"
		grep 'malformed record' "$t/eon" | sort > "$t/mon"
		grep 'malformed record' "$t/eoff" | sort > "$t/moff"
		n=$((n + 1))
		if cmp -s "$t/on" "$t/off" && cmp -s "$t/rcon" "$t/rcoff" &&
			[ -z "$(comm -23 "$t/mon" "$t/moff")" ]; then
			:
		else
			bad=$((bad + 1))
			echo "DIFFERS: $f --profile $prof threads=$th"
		fi
	done
	done
done < "$files"
echo "$n runs, $bad differ"
[ "$bad" = 0 ]
