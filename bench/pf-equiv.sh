#!/bin/sh
# Differential check of the JSON prefilter (docs/performance.md): every
# input scanned with the default pack gives the same stdout, stderr
# (timing stripped) and exit code with MAILHUNT_NO_PREFILTER=1, with 1 and
# 2 threads. Inputs: bench/out/{mde,sysmon}-100m.ndjson (when present) and
# every input file under tests/e2e.
#   sh bench/pf-equiv.sh MAILHUNT [EXTRA_FILES...]
set -u
MH=${1:?usage: sh bench/pf-equiv.sh MAILHUNT [FILES...]}
shift
ROOT=$(cd "$(dirname "$0")/.." && pwd)
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
strip() { sed 's/, [0-9.]* s, [0-9.]* MB\/s//' "$1"; }
files=$(mktemp -p "$t")
for f in "$ROOT"/bench/out/mde-100m.ndjson "$ROOT"/bench/out/sysmon-100m.ndjson; do
	[ -f "$f" ] && echo "$f" >> "$files"
done
find "$ROOT/tests/e2e" -type f ! -name cmd ! -name 'expected.*' | sort >> "$files"
for f in "$@"; do echo "$f" >> "$files"; done
n=0; bad=0
while IFS= read -r f; do
	for th in 1 2; do
		"$MH" scan --threads $th --format csv "$f" > "$t/on" 2> "$t/eon"
		echo $? > "$t/rcon"
		MAILHUNT_NO_PREFILTER=1 "$MH" scan --threads $th --format csv \
			"$f" > "$t/off" 2> "$t/eoff"
		echo $? > "$t/rcoff"
		strip "$t/eon" > "$t/son"; strip "$t/eoff" > "$t/soff"
		n=$((n + 1))
		if cmp -s "$t/on" "$t/off" && cmp -s "$t/son" "$t/soff" &&
			cmp -s "$t/rcon" "$t/rcoff"; then
			:
		else
			bad=$((bad + 1))
			echo "DIFFERS: $f threads=$th"
		fi
	done
done < "$files"
echo "$n runs, $bad differ"
[ "$bad" = 0 ]
