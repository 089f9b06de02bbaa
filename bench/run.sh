#!/bin/sh
# mailhunt benchmark: mailhunt vs DuckDB on the Sentinel T1071.003 query,
# plus raw-scan anchors. See bench/README.md.
#
#   sh bench/run.sh [--quick] [--reps N] [--sysmon-strict] [MAILHUNT]
#
# MAILHUNT: path to the mailhunt binary (make bench passes build/mailhunt).
# If it is missing or `scan` fails, the mailhunt rows are skipped with a
# message and everything else still runs.
# --quick: 100 MB files, results in bench/out/RESULTS-quick.md; the full
# run (1 GiB files) regenerates bench/RESULTS.md.
# --sysmon-strict: in the Sysmon naming, keep the query's
# ActionType == "ConnectionSuccess" literally (Sysmon has no ActionType:
# no rows), as mailhunt's sentinel profile does; by default DuckDB and
# ref.py use EventID = 3 in its place.
# Exit status: 0, or 1 if some result rows differ between engines.
# Per-naming results are stored with eval into NAME_<naming> variables.
# shellcheck disable=SC2034
set -u

BENCH=$(cd "$(dirname "$0")" && pwd)
OUT=$BENCH/out
QUICK=0
REPS=9
# the witness's largest value for a repetition in which the second vCPU
# counts as free: two one-thread scans at once each use at most 5% more CPU
# than one alone (see pair_probe)
FREE_MAX=1.05
STRICT=
MH=

usage() {
	echo "usage: sh bench/run.sh [--quick] [--reps N] [--sysmon-strict] [MAILHUNT]" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--sysmon-strict) STRICT=--strict-action ;;
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
case $REPS in '' | *[!0-9]* | 0) usage ;; esac
if [ -n "$MH" ]; then
	case $MH in /*) ;; *) MH=$(pwd)/$MH ;; esac
fi

if [ $QUICK = 1 ]; then
	SIZE=100M
	TAG=100m
	RESULTS=$OUT/RESULTS-quick.md
else
	SIZE=1G
	TAG=1g
	RESULTS=$BENCH/RESULTS.md
fi

say() { printf '%s\n' "bench: $*" >&2; }
die() {
	say "$*"
	exit 2
}

mkdir -p "$OUT" || die "cannot create $OUT"
T0=$(date +%s)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="${LOAD0%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 4) }'; then
	say "warning: load average $LOAD0 on $(nproc) CPUs: other processes will skew the timings (threads=2 most)"
fi

# ---------------------------------------------------------------- tools
CC=${CC:-cc}
say "building gen, spawn and anchors ($CC -O2)"
$CC -O2 -std=c11 -Wall -Wextra -Werror -o "$OUT/gen" "$BENCH/gen.c" ||
	die "gen.c does not compile"
$CC -O2 -std=c11 -Wall -Wextra -Werror -o "$OUT/spawn" "$BENCH/spawn.c" ||
	die "spawn.c does not compile"
$CC -O2 -std=c11 -Wall -Wextra -Werror -o "$OUT/anchors" "$BENCH/anchors.c" ||
	die "anchors.c does not compile"

TIMEV=
if [ -x /usr/bin/time ]; then
	TIMEV=/usr/bin/time
else
	say "peak RSS: /usr/bin/time not found (Debian package 'time'); RSS not measured"
fi

DUCK=0
if ! command -v node >/dev/null 2>&1; then
	say "node not found: DuckDB rows skipped"
elif [ -d "$BENCH/duckdb/node_modules/@duckdb/node-api" ]; then
	DUCK=1
else
	say "installing @duckdb/node-api (npm install in bench/duckdb)"
	if (cd "$BENCH/duckdb" && npm install --no-audit --no-fund >&2); then
		DUCK=1
	else
		say "npm install failed: DuckDB rows skipped"
	fi
fi

MHOK=0
if [ -z "$MH" ]; then
	say "no mailhunt binary given: mailhunt rows skipped"
elif [ ! -x "$MH" ]; then
	say "mailhunt binary $MH not found or not executable: mailhunt rows skipped (build it with 'make build')"
else
	MHOK=1
fi
MH_INPUT=
MHSIMD=0
if [ $MHOK = 1 ] && echo '{"Timestamp":"2026-01-01T00:00:00Z","RemotePort":25}' |
	"$MH" scan --input-format json-simd -q - >/dev/null 2>&1; then
	MHSIMD=1
fi
MHNOW=0
if [ $MHOK = 1 ] && "$MH" scan --help 2>&1 | grep -q -- '--now'; then
	MHNOW=1
fi

# ------------------------------------------------------------- helpers
now_ns() { date +%s%N; }
# FileHugePages (/proc/meminfo), kB: page cache held in 2 MiB folios
file_huge_kb() { awk '/^FileHugePages:/ { print $2; f = 1 } END { if (!f) print 0 }' /proc/meminfo; }
# steal: CPU seconds the hypervisor gave to other guests (all CPUs, /proc/stat)
steal() { awk '/^cpu / { printf "%.2f", $9 / 100 }' /proc/stat; }
# sum_steal TOTAL BEFORE AFTER: TOTAL + AFTER - BEFORE
sum_steal() { awk -v s="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.2f", s + b - a }'; }

# lines FILE: its number of lines
lines() { wc -l <"$1" | tr -d ' '; }

# median of the numbers in file $1 (one per line)
median() {
	sort -g "$1" | awk '{ a[NR] = $1 }
		END { if (NR == 0) { print ""; exit }
		      if (NR % 2) print a[(NR + 1) / 2];
		      else printf "%.6f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# gbps BYTES SECONDS
gbps() {
	[ -n "$2" ] || { echo; return; }
	awk -v b="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.2f", b / s / 1e9 }'
}

# ratio A B -> A/B with 2 decimals, empty if either is empty
ratio() {
	if [ -z "$1" ] || [ -z "$2" ]; then
		echo
		return
	fi
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b }'
}

meta() { sed -n "s/^$2=//p" "$1.meta"; }

# mh_run NAMING THREADS FILE OUTCSV [default]: one timed mailhunt run (with
# "default": the built-in default pack instead of the sentinel query); prints
# "WALL CPU" seconds (CPU = user + sys from /usr/bin/time, empty without it)
# The rules for a naming: the sentinel profile on Defender names; on
# Sysmon names the same query as a rule file (see bench/rules/).
mh_rules() {
	if [ "${2:-}" = default ]; then
		return # the built-in default pack
	fi
	if [ "$1" = sysmon ] && [ -z "$STRICT" ]; then
		echo "--no-builtin --rules $BENCH/rules/sentinel-sysmon.yml"
	else
		echo "--profile sentinel"
	fi
}

mh_run() {
	o=$4
	# shellcheck disable=SC2046
	if [ $MHNOW = 1 ]; then
		set -- scan $(mh_rules "$1" "${5:-}") --format csv --threads "$2" -q \
			${MH_INPUT:+--input-format "$MH_INPUT"} --now "$NOW" "$3"
	else
		set -- scan $(mh_rules "$1" "${5:-}") --format csv --threads "$2" -q \
			${MH_INPUT:+--input-format "$MH_INPUT"} "$3"
	fi
	# bench/spawn.c: wall from fork to wait4(), and the child's CPU
	s=$("$OUT/spawn" "$o" "$o.err" "$MH" "$@")
	rc=$?
	# exit status 1 is accepted (alerts found), >= 2 is a failure
	[ $rc -le 1 ] || return 1
	echo "$s" | awk '{ printf "%.4f %.4f\n", $1, $2 }'
}

# pair_probe NAMING FILE: the witness that the second vCPU was free. Two
# one-thread default-pack scans start together (two processes that share
# nothing but the machine); prints their mean CPU seconds. Divided by the
# CPU of the one-thread default-pack scan that ran alone in the same
# repetition, it is how much the two vCPUs slow each other down when both
# are busy: near 1.00 when the second vCPU is free, more when the host
# gives its core (or the core's other hyperthread) to someone else. It
# does not depend on how mailhunt splits work between threads.
pair_probe() {
	mh_run "$1" 1 "$2" "$OUT/pair-a.csv" default >"$OUT/pair-a.t" &
	mh_run "$1" 1 "$2" "$OUT/pair-b.csv" default >"$OUT/pair-b.t"
	wait
	cat "$OUT/pair-a.t" "$OUT/pair-b.t" |
		awk '{ c += $2; n++ } END { if (n == 2) printf "%.4f\n", c / 2 }'
}

# duck_run NAMING THREADS FILE: one DuckDB run (fresh node process);
# prints "WALL CPU" seconds of the query inside the process
duck_run() {
	node "$BENCH/duckdb/run.mjs" --naming "$1" --file "$3" --threads "$2" ${STRICT:+"$STRICT"} \
		--reps 1 --now "$NOW" 2>>"$OUT/duckdb.err" |
		sed -n 's/^RUN .* seconds=\([0-9.]*\) cpu=\([0-9.]*\).*/\1 \2/p'
}

# peak_rss CMD...: peak RSS of one run, in MB (1 decimal)
peak_rss() {
	[ -n "$TIMEV" ] || { echo; return; }
	"$TIMEV" -v "$@" >/dev/null 2>"$OUT/time-v.txt"
	sed -n 's/.*Maximum resident set size (kbytes): *//p' "$OUT/time-v.txt" |
		awk '{ printf "%.1f", $1 / 1024 }'
}

STATUS=0
MHFAILED=

# ---------------------------------------------------------- per naming
for NAMING in mde sysmon; do
	FILE=$OUT/$NAMING-$TAG.ndjson
	if [ -s "$FILE" ] && [ -s "$FILE.meta" ] &&
		[ -n "$(find "$FILE" -newer "$BENCH/gen.c")" ]; then
		say "$NAMING: reusing $FILE"
	else
		say "$NAMING: generating $FILE ($SIZE)"
		g0=$(now_ns)
		"$OUT/gen" --dialect "$NAMING" --size "$SIZE" --seed 1 -o "$FILE" ||
			die "gen failed"
		g1=$(now_ns)
		say "$NAMING: generated in $(awk -v a="$g0" -v b="$g1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s"
	fi
	BYTES=$(meta "$FILE" bytes)
	EVENTS=$(meta "$FILE" events)
	NOW=$(meta "$FILE" max_time)
	eval "BYTES_$NAMING=\$BYTES EVENTS_$NAMING=\$EVENTS"

	# The page cache as a log file read from disk has it: the file's
	# cached pages are dropped (posix_fadvise DONTNEED; a file the
	# generator just wrote sits in small write-path pages, which make
	# every mmap reader fault ten times as often) and read back once.
	say "$NAMING: dropping and re-reading the file's page cache"
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.fsync(fd)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
os.close(fd)' "$FILE" || say "$NAMING: could not drop the file's cache"
	fi
	# how much of it the kernel cached in 2 MiB folios (mapped with far
	# fewer faults; see docs/performance.md): FileHugePages before and
	# after the read, MB (other files' folios may come and go meanwhile)
	hp0=$(file_huge_kb)
	cat "$FILE" >/dev/null
	hp1=$(file_huge_kb)
	eval "FOLIO_$NAMING=\$(( (hp1 - hp0) / 1024 ))"

	# anchors
	"$OUT/anchors" "$FILE" >"$OUT/anchors-$NAMING.txt" || die "anchors failed"
	A_LINES=$(sed -n 's/^ANCHOR name=lines .*gbps=\([0-9.]*\).*/\1/p' "$OUT/anchors-$NAMING.txt")
	A_PORTS=$(sed -n 's/^ANCHOR name=ports .*gbps=\([0-9.]*\).*/\1/p' "$OUT/anchors-$NAMING.txt")
	say "$NAMING: anchors: memchr lines $A_LINES GB/s, port key $A_PORTS GB/s"

	# mailhunt probe (also its result rows)
	MH_NAMING=$MHOK
	if [ $MHOK = 1 ]; then
		if ! mh_run "$NAMING" 1 "$FILE" "$OUT/mh-$NAMING.csv" >/dev/null; then
			say "$NAMING: mailhunt scan failed: mailhunt rows skipped; its stderr:"
			tail -n 5 "$OUT/mh-$NAMING.csv.err" >&2
			MH_NAMING=0
			MHFAILED="$MHFAILED $NAMING"
		fi
	fi

	# DuckDB rows (untimed run) and the independent Python reference
	if [ $DUCK = 1 ]; then
		if ! node "$BENCH/duckdb/run.mjs" --naming "$NAMING" --file "$FILE" ${STRICT:+"$STRICT"} \
			--now "$NOW" --rows "$OUT/duck-$NAMING.csv" \
			>"$OUT/duck-$NAMING.txt" 2>>"$OUT/duckdb.err"; then
			say "$NAMING: DuckDB failed (see $OUT/duckdb.err): DuckDB rows skipped"
			DUCK_NAMING=0
		else
			DUCK_NAMING=1
			DUCKVER=$(sed -n 's/.* duckdb=\([^ ]*\).*/\1/p' "$OUT/duck-$NAMING.txt")
		fi
	else
		DUCK_NAMING=0
	fi
	REF_OK=
	MH_ROWS_OK=
	rm -f "$OUT/cmp-mh-$NAMING.txt"
	if [ $DUCK_NAMING = 1 ] && command -v python3 >/dev/null 2>&1; then
		say "$NAMING: checking DuckDB's rows against bench/ref.py"
		if python3 "$BENCH/ref.py" --naming "$NAMING" --now "$NOW" ${STRICT:+"$STRICT"} "$FILE" \
			>"$OUT/ref-$NAMING.csv" &&
			python3 "$BENCH/compare.py" "$OUT/duck-$NAMING.csv" \
				"$OUT/ref-$NAMING.csv" >"$OUT/cmp-ref-$NAMING.txt"; then
			REF_OK=yes
		else
			REF_OK=NO
			STATUS=1
			cat "$OUT/cmp-ref-$NAMING.txt" >&2
		fi
		if [ $MH_NAMING = 1 ]; then
			if python3 "$BENCH/compare.py" "$OUT/duck-$NAMING.csv" \
				"$OUT/mh-$NAMING.csv" >"$OUT/cmp-mh-$NAMING.txt" 2>&1; then
				MH_ROWS_OK=yes
			else
				MH_ROWS_OK=NO
				STATUS=1
				say "$NAMING: mailhunt's rows differ from DuckDB's:"
				cat "$OUT/cmp-mh-$NAMING.txt" >&2
			fi
		fi
	fi
	DROWS=$(sed -n 's/.* rows=\([0-9]*\).*/\1/p' "$OUT/duck-$NAMING.txt" 2>/dev/null)

	# interleaved timing: each repetition runs mailhunt, DuckDB and the
	# default pack with 1 thread, then the same with 2, so that the
	# 1-thread and 2-thread figures come from the same minutes (the
	# machine's speed drifts; separate loops turned a drift into a
	# thread ratio)
	for T in 1 2; do
		: >"$OUT/t-mh$T-$NAMING"
		: >"$OUT/t-mhd$T-$NAMING"
		: >"$OUT/t-duck$T-$NAMING"
		: >"$OUT/c-mh$T-$NAMING"
		: >"$OUT/c-mhd$T-$NAMING"
		: >"$OUT/c-duck$T-$NAMING"
	done
	: >"$OUT/c-pair-$NAMING"
	say "$NAMING: timing $REPS x (mailhunt, DuckDB, mailhunt default pack; --threads 1, then 2)"
	STEAL_1=0
	STEAL_2=0
	i=0
	while [ $i -lt "$REPS" ]; do
		i=$((i + 1))
		for T in 1 2; do
			st0=$(steal)
			if [ $MH_NAMING = 1 ] &&
				s=$(mh_run "$NAMING" "$T" "$FILE" "$OUT/mh-t.csv"); then
				echo "${s% *}" >>"$OUT/t-mh$T-$NAMING"
				[ -n "${s#* }" ] && echo "${s#* }" >>"$OUT/c-mh$T-$NAMING"
			fi
			if [ $DUCK_NAMING = 1 ]; then
				s=$(duck_run "$NAMING" "$T" "$FILE")
				if [ -n "$s" ]; then
					echo "${s% *}" >>"$OUT/t-duck$T-$NAMING"
					echo "${s#* }" >>"$OUT/c-duck$T-$NAMING"
				fi
			fi
			if [ $MH_NAMING = 1 ] &&
				s=$(mh_run "$NAMING" "$T" "$FILE" "$OUT/mhd-t.csv" default); then
				echo "${s% *}" >>"$OUT/t-mhd$T-$NAMING"
				[ -n "${s#* }" ] && echo "${s#* }" >>"$OUT/c-mhd$T-$NAMING"
			fi
			# the witness, next in time to the 2-thread run it vouches for
			if [ $MH_NAMING = 1 ] && [ "$T" = 2 ]; then
				pair_probe "$NAMING" "$FILE" >>"$OUT/c-pair-$NAMING"
			fi
			st1=$(steal)
			if [ "$T" = 1 ]; then
				STEAL_1=$(sum_steal "$STEAL_1" "$st0" "$st1")
			else
				STEAL_2=$(sum_steal "$STEAL_2" "$st0" "$st1")
			fi
		done
	done
	eval "STEAL1_$NAMING=\$STEAL_1"
	eval "STEAL2_$NAMING=\$STEAL_2"
	# anchor (c): the same scan through the simdjson reader (json-simd,
	# a build option), one thread, when the binary has it
	: >"$OUT/t-simd-$NAMING"
	if [ $MH_NAMING = 1 ] && [ $MHSIMD = 1 ]; then
		say "$NAMING: timing $REPS x mailhunt --input-format json-simd --threads 1"
		i=0
		while [ $i -lt "$REPS" ]; do
			i=$((i + 1))
			MH_INPUT=json-simd
			s=$(mh_run "$NAMING" 1 "$FILE" "$OUT/mhs-t.csv") &&
				echo "${s% *}" >>"$OUT/t-simd-$NAMING"
			MH_INPUT=
		done
		cmp -s "$OUT/mhs-t.csv" "$OUT/mh-$NAMING.csv" || {
			say "$NAMING: the json-simd reader's rows differ from the json reader's"
			STATUS=1
		}
	fi
	SIMD=$(median "$OUT/t-simd-$NAMING")
	G_SIMD=$(gbps "$BYTES" "$SIMD")
	MH1=$(median "$OUT/t-mh1-$NAMING")
	MH2=$(median "$OUT/t-mh2-$NAMING")
	MHD1=$(median "$OUT/t-mhd1-$NAMING")
	MHD2=$(median "$OUT/t-mhd2-$NAMING")
	CMHD1=$(median "$OUT/c-mhd1-$NAMING")
	D1=$(median "$OUT/t-duck1-$NAMING")
	D2=$(median "$OUT/t-duck2-$NAMING")
	CMH1=$(median "$OUT/c-mh1-$NAMING")
	CD1=$(median "$OUT/c-duck1-$NAMING")
	G_CMH1=$(gbps "$BYTES" "$CMH1")
	G_CD1=$(gbps "$BYTES" "$CD1")

	RSS1=
	RSS2=
	RSSD1=
	RSSD2=
	DRSS=
	if [ $MH_NAMING = 1 ]; then
		if [ $MHNOW = 1 ]; then
			set -- --now "$NOW"
		else
			set --
		fi
		# shellcheck disable=SC2046
		RSS1=$(peak_rss "$MH" scan $(mh_rules "$NAMING") --format csv --threads 1 -q "$@" "$FILE")
		# shellcheck disable=SC2046
		RSS2=$(peak_rss "$MH" scan $(mh_rules "$NAMING") --format csv --threads 2 -q "$@" "$FILE")
		RSSD1=$(peak_rss "$MH" scan --format csv --threads 1 -q "$@" "$FILE")
		RSSD2=$(peak_rss "$MH" scan --format csv --threads 2 -q "$@" "$FILE")
	fi
	if [ $DUCK_NAMING = 1 ]; then
		DRSS=$(peak_rss node "$BENCH/duckdb/run.mjs" --naming "$NAMING" --file "$FILE" --threads 1 --now "$NOW" ${STRICT:+"$STRICT"})
	fi

	# the witness (pair_probe) of each repetition, and the default pack's
	# 2/1 over the repetitions in which it says the second vCPU was free
	WIT=
	FREEN=
	RDF=
	: >"$OUT/w-$NAMING"
	if [ -s "$OUT/c-pair-$NAMING" ] &&
		[ "$(lines "$OUT/c-pair-$NAMING")" = "$(lines "$OUT/c-mhd1-$NAMING")" ] &&
		[ "$(lines "$OUT/c-pair-$NAMING")" = "$(lines "$OUT/t-mhd1-$NAMING")" ] &&
		[ "$(lines "$OUT/c-pair-$NAMING")" = "$(lines "$OUT/t-mhd2-$NAMING")" ]; then
		paste "$OUT/c-pair-$NAMING" "$OUT/c-mhd1-$NAMING" "$OUT/t-mhd1-$NAMING" \
			"$OUT/t-mhd2-$NAMING" | awk '{ printf "%.3f %s %s\n", $1 / $2, $3, $4 }' \
			>"$OUT/w-$NAMING"
		cut -d' ' -f1 "$OUT/w-$NAMING" >"$OUT/w1-$NAMING"
		WIT=$(median "$OUT/w1-$NAMING")
		awk -v m="$FREE_MAX" '$1 <= m { print $2 }' "$OUT/w-$NAMING" >"$OUT/w1-$NAMING"
		awk -v m="$FREE_MAX" '$1 <= m { print $3 }' "$OUT/w-$NAMING" >"$OUT/w2-$NAMING"
		FREEN=$(lines "$OUT/w1-$NAMING")
		RDF=$(ratio "$(median "$OUT/w1-$NAMING")" "$(median "$OUT/w2-$NAMING")")
	fi

	G_MH1=$(gbps "$BYTES" "$MH1")
	G_MH2=$(gbps "$BYTES" "$MH2")
	G_MHD1=$(gbps "$BYTES" "$MHD1")
	G_MHD2=$(gbps "$BYTES" "$MHD2")
	G_D1=$(gbps "$BYTES" "$D1")
	G_D2=$(gbps "$BYTES" "$D2")
	say "$NAMING: DuckDB t1 ${G_D1:-n/a} GB/s, t2 ${G_D2:-n/a} GB/s; mailhunt t1 ${G_MH1:-n/a} GB/s, t2 ${G_MH2:-n/a} GB/s"
	for v in A_LINES A_PORTS SIMD G_SIMD MH1 MH2 MHD1 MHD2 D1 D2 CMH1 CMHD1 CD1 G_CMH1 G_CD1 G_MH1 G_MH2 G_MHD1 G_MHD2 G_D1 G_D2 RSS1 RSS2 RSSD1 RSSD2 DRSS WIT FREEN RDF REF_OK MH_ROWS_OK DROWS; do
		eval "${v}_$NAMING=\${$v}"
	done
	MHROWS=
	[ $MH_NAMING = 1 ] && [ -s "$OUT/cmp-mh-$NAMING.txt" ] &&
		MHROWS=$(sed -n 's/^compare: .* mailhunt \([0-9]*\) rows.*/\1/p' "$OUT/cmp-mh-$NAMING.txt")
	eval "MHROWS_$NAMING=\$MHROWS"
done

# -------------------------------------------------------------- report
T1=$(date +%s)
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
CPU=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -n 1)
MEM=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
NPROC=$(nproc)
MHVER=n/a
[ $MHOK = 1 ] && MHVER=$("$MH" --version 2>/dev/null | head -n 1)
[ -n "$MHVER" ] || MHVER=unknown
DUCKPKG=$(sed -n 's/.*"@duckdb\/node-api": *"\([^"]*\)".*/\1/p' "$BENCH/duckdb/package.json")

v() { eval "printf '%s' \"\${$1:-n/a}\""; }
# mib BYTES: whole MiB, or n/a
mib() { case $1 in '' | *[!0-9]*) printf 'n/a' ;; *) printf '%s' $(($1 / 1048576)) ;; esac; }
# yesno VALUE TARGET OP: "yes"/"no"/"n/a"
meets() {
	[ -n "$1" ] || { printf 'n/a'; return; }
	awk -v x="$1" -v t="$2" -v op="$3" 'BEGIN {
		ok = (op == ">=") ? (x >= t) : (x <= t); printf ok ? "yes" : "**no**" }'
}

# speed ratios from the median seconds (same file: a/b speed = b/a time)
R1_mde=$(ratio "${D1_mde:-}" "${MH1_mde:-}")
R1_sysmon=$(ratio "${D1_sysmon:-}" "${MH1_sysmon:-}")
R2_mde=$(ratio "${MH1_mde:-}" "${MH2_mde:-}")
R2_sysmon=$(ratio "${MH1_sysmon:-}" "${MH2_sysmon:-}")
RC_mde=$(ratio "${CD1_mde:-}" "${CMH1_mde:-}")
RC_sysmon=$(ratio "${CD1_sysmon:-}" "${CMH1_sysmon:-}")
# DuckDB's own 2-thread scaling: the witness that the second vCPU was
# free during this run (near 2 when it was; a busy neighbour drags it down
# for every program, not only mailhunt)
RDD_mde=$(ratio "${D1_mde:-}" "${D2_mde:-}")
RDD_sysmon=$(ratio "${D1_sysmon:-}" "${D2_sysmon:-}")
R3_mde=$(ratio "${D2_mde:-}" "${MH2_mde:-}")
R3_sysmon=$(ratio "${D2_sysmon:-}" "${MH2_sysmon:-}")
P_mde=$(ratio "${G_MH1_mde:-}" "${A_PORTS_mde:-}")
P_sysmon=$(ratio "${G_MH1_sysmon:-}" "${A_PORTS_sysmon:-}")
RSSMAX_mde=$(printf '%s\n%s\n' "${RSS1_mde:-}" "${RSS2_mde:-}" | sort -g | tail -n 1)
RSSMAX_sysmon=$(printf '%s\n%s\n' "${RSS1_sysmon:-}" "${RSS2_sysmon:-}" | sort -g | tail -n 1)
# the default pack
RD1_mde=$(ratio "${D1_mde:-}" "${MHD1_mde:-}")
RD1_sysmon=$(ratio "${D1_sysmon:-}" "${MHD1_sysmon:-}")
RDC_mde=$(ratio "${CD1_mde:-}" "${CMHD1_mde:-}")
RDC_sysmon=$(ratio "${CD1_sysmon:-}" "${CMHD1_sysmon:-}")
RD2_mde=$(ratio "${MHD1_mde:-}" "${MHD2_mde:-}")
RD2_sysmon=$(ratio "${MHD1_sysmon:-}" "${MHD2_sysmon:-}")
RSSDMAX_mde=$(printf '%s\n%s\n' "${RSSD1_mde:-}" "${RSSD2_mde:-}" | sort -g | tail -n 1)
RSSDMAX_sysmon=$(printf '%s\n%s\n' "${RSSD1_sysmon:-}" "${RSSD2_sysmon:-}" | sort -g | tail -n 1)

{
	echo "# Benchmark results"
	echo
	echo "Regenerated by \`make bench\` (\`bench/run.sh$([ $QUICK = 1 ] && echo ' --quick')$([ -n "$STRICT" ] && echo ' --sysmon-strict')\`); see bench/README.md for what each number means."
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), run took $((T1 - T0)) s"
	echo "- machine: $NPROC CPUs (nproc), $CPU, $MEM RAM, Linux $(uname -r);"
	echo "  load average before/after: $LOAD0 / $LOAD1 (other load skews the timings)"
	echo "- DuckDB: ${DUCKVER:-n/a} (@duckdb/node-api $DUCKPKG, node $(node --version 2>/dev/null || echo n/a))"
	echo "- mailhunt: $MHVER (\`scan --profile sentinel --format csv -q$([ $MHNOW = 1 ] && echo ' --now <max time>')\`)"
	if [ -n "$STRICT" ]; then
		echo "- Sysmon naming: ActionType == \"ConnectionSuccess\" kept literally (no Sysmon row has it)"
	else
		echo "- Sysmon naming: DuckDB/ref.py use EventID = 3 in place of ActionType == \"ConnectionSuccess\""
	fi
	echo "- timing: median of $REPS runs, interleaved (per repetition: mailhunt, DuckDB, default pack with 1 thread, then with 2), warm page cache;"
	echo "  mailhunt = wall time of the whole process, from fork to wait4() (\`bench/spawn.c\`: no \`date\` or \`time\` process inside the interval);"
	echo "  DuckDB = time of the query inside a fresh node process"
	echo "  (start-up excluded, external file cache off)."
	echo
	echo "| file | bytes | events | mean line |"
	echo "| --- | ---: | ---: | ---: |"
	for n in mde sysmon; do
		b=$(v BYTES_$n)
		e=$(v EVENTS_$n)
		echo "| $n-$TAG.ndjson | $b | $e | $(awk -v b="$b" -v e="$e" 'BEGIN { if (e > 0) printf "%.0f B", b / e }') |"
	done
	echo
	echo "| GB/s (higher is better) | mde (Defender naming) | sysmon (Sysmon naming) |"
	echo "| --- | ---: | ---: |"
	echo "| anchor (a): mmap + memchr line count | $(v A_LINES_mde) | $(v A_LINES_sysmon) |"
	echo "| anchor (b): find port key + parse, per line | $(v A_PORTS_mde) | $(v A_PORTS_sysmon) |"
	echo "| anchor (c): mailhunt with the simdjson reader (\`--input-format json-simd\`), 1 thread | $(v G_SIMD_mde) | $(v G_SIMD_sysmon) |"
	echo "| DuckDB threads=1 | $(v G_D1_mde) | $(v G_D1_sysmon) |"
	echo "| DuckDB threads=2 | $(v G_D2_mde) | $(v G_D2_sysmon) |"
	echo "| mailhunt --threads 1 | $(v G_MH1_mde) | $(v G_MH1_sysmon) |"
	echo "| mailhunt --threads 2 | $(v G_MH2_mde) | $(v G_MH2_sysmon) |"
	echo "| mailhunt default pack, --threads 1 | $(v G_MHD1_mde) | $(v G_MHD1_sysmon) |"
	echo "| mailhunt default pack, --threads 2 | $(v G_MHD2_mde) | $(v G_MHD2_sysmon) |"
	echo "| DuckDB threads=1, per CPU-second | $(v G_CD1_mde) | $(v G_CD1_sysmon) |"
	echo "| mailhunt --threads 1, per CPU-second | $(v G_CMH1_mde) | $(v G_CMH1_sysmon) |"
	echo
	echo "| ratio / check | target | mde | sysmon |"
	echo "| --- | --- | ---: | ---: |"
	echo "| mailhunt 1 thread / DuckDB threads=1 | >= 3.5 | $(v R1_mde) ($(meets "${R1_mde:-}" 3.5 '>=')) | $(v R1_sysmon) ($(meets "${R1_sysmon:-}" 3.5 '>=')) |"
	echo "| same, on CPU time (less sensitive to other load) | - | $(v RC_mde) | $(v RC_sysmon) |"
	echo "| mailhunt 2 threads / mailhunt 1 thread | >= 1.7 | $(v R2_mde) ($(meets "${R2_mde:-}" 1.7 '>=')) | $(v R2_sysmon) ($(meets "${R2_sysmon:-}" 1.7 '>=')) |"
	echo "| mailhunt 2 threads / DuckDB threads=2 | - | $(v R3_mde) | $(v R3_sysmon) |"
	echo "| mailhunt 1 thread / anchor (b) | - | $(v P_mde) | $(v P_sysmon) |"
	echo "| mailhunt peak RSS, MB (max of 1 and 2 threads) | <= 64 | $(v RSSMAX_mde) ($(meets "${RSSMAX_mde:-}" 64 '<=')) | $(v RSSMAX_sysmon) ($(meets "${RSSMAX_sysmon:-}" 64 '<=')) |"
	echo "| default pack: mailhunt 1 thread / DuckDB threads=1 (DuckDB runs the sentinel query) | >= 3.5 | $(v RD1_mde) ($(meets "${RD1_mde:-}" 3.5 '>=')) | $(v RD1_sysmon) ($(meets "${RD1_sysmon:-}" 3.5 '>=')) |"
	echo "| same, on CPU time | - | $(v RDC_mde) | $(v RDC_sysmon) |"
	echo "| default pack: 2 threads / 1 thread | >= 1.7 | $(v RD2_mde) ($(meets "${RD2_mde:-}" 1.7 '>=')) | $(v RD2_sysmon) ($(meets "${RD2_sysmon:-}" 1.7 '>=')) |"
	echo "| default pack: peak RSS, MB (max of 1 and 2 threads) | <= 64 | $(v RSSDMAX_mde) ($(meets "${RSSDMAX_mde:-}" 64 '<=')) | $(v RSSDMAX_sysmon) ($(meets "${RSSDMAX_sysmon:-}" 64 '<=')) |"
	echo "| CPU time stolen by the hypervisor during the 1-thread / 2-thread timing loops, s | - | $(v STEAL1_mde) / $(v STEAL2_mde) | $(v STEAL1_sysmon) / $(v STEAL2_sysmon) |"
	echo "| MB of the file read back into 2 MiB page-cache folios (FileHugePages growth; the rest in small pages, which cost the 2-thread scans most) | - | $(v FOLIO_mde) of $(mib "$(v BYTES_mde)") | $(v FOLIO_sysmon) of $(mib "$(v BYTES_sysmon)") |"
	echo "| DuckDB threads=2 / threads=1 (was the second vCPU free? near 2 if so) | - | $(v RDD_mde) | $(v RDD_sysmon) |"
	echo "| witness: two 1-thread default-pack scans at once / one alone, CPU time (median of the repetitions; near 1.00 when the second vCPU is free) | - | $(v WIT_mde) | $(v WIT_sysmon) |"
	echo "| default pack: 2 threads / 1 thread in the repetitions whose witness is <= $FREE_MAX (how many of $REPS) | >= 1.7 | $(v RDF_mde) ($(meets "${RDF_mde:-}" 1.7 '>='); $(v FREEN_mde)) | $(v RDF_sysmon) ($(meets "${RDF_sysmon:-}" 1.7 '>='); $(v FREEN_sysmon)) |"
	echo "| DuckDB peak RSS, MB (node process, threads=1) | - | $(v DRSS_mde) | $(v DRSS_sysmon) |"
	echo "| result rows (DuckDB / mailhunt) | - | $(v DROWS_mde) / $(v MHROWS_mde) | $(v DROWS_sysmon) / $(v MHROWS_sysmon) |"
	echo "| DuckDB rows = bench/ref.py rows | yes | $(v REF_OK_mde) | $(v REF_OK_sysmon) |"
	echo "| mailhunt rows = DuckDB rows | yes | $(v MH_ROWS_OK_mde) | $(v MH_ROWS_OK_sysmon) |"
	echo
	echo "Median seconds: DuckDB t1 $(v D1_mde) / $(v D1_sysmon), t2 $(v D2_mde) / $(v D2_sysmon);"
	echo "mailhunt t1 $(v MH1_mde) / $(v MH1_sysmon), t2 $(v MH2_mde) / $(v MH2_sysmon);"
	echo "mailhunt default pack t1 $(v MHD1_mde) / $(v MHD1_sysmon), t2 $(v MHD2_mde) / $(v MHD2_sysmon) (mde / sysmon)."
	if [ -s "$OUT/w-mde" ] || [ -s "$OUT/w-sysmon" ]; then
		echo
		echo "Default pack, each repetition: seconds with 1 and 2 threads, their ratio, and the witness (two 1-thread scans at once / one alone, CPU time):"
		echo
		echo "| rep | mde 1 thread | 2 threads | 2/1 | witness | sysmon 1 thread | 2 threads | 2/1 | witness |"
		echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
		for n in mde sysmon; do
			[ -s "$OUT/w-$n" ] || : >"$OUT/w-$n"
			awk '{ printf "%.4f | %.4f | %.2f | %.2f\n", $2, $3, $2 / $3, $1 }' "$OUT/w-$n" >"$OUT/wt-$n"
		done
		paste -d'|' "$OUT/wt-mde" "$OUT/wt-sysmon" |
			awk -F'|' '{ printf "| %d |", NR; for (i = 1; i <= 8; i++) printf " %s |", ($i == "" ? "n/a" : $i); print "" }' |
			sed 's/  */ /g'
	fi
	[ $MHOK = 1 ] || echo "
mailhunt was not measured (binary missing: \`${MH:-none given}\`)."
	[ -z "$MHFAILED" ] || echo "
mailhunt \`scan\` failed on:$MHFAILED (stderr in bench/out/mh-<naming>.csv.err)."
} >"$RESULTS"

# Many rules (bench/many-rules.sh): 1 against 500 generated rules on the
# Defender file of this run, alerts checked equal with the index off.
if [ $MHOK = 1 ] && [ -s "$OUT/mde-$TAG.ndjson" ]; then
	say "many rules: bench/many-rules.sh on mde-$TAG.ndjson"
	{
		echo
		echo "## Many rules (\`bench/many-rules.sh\`, target: ratio >= 0.50)"
		echo
		if sh "$BENCH/many-rules.sh" --mailhunt "$MH" "$OUT/mde-$TAG.ndjson" >"$OUT/many-rules.txt" 2>&1; then
			cat "$OUT/many-rules.txt"
		else
			STATUS=1
			echo "many-rules.sh failed:"
			echo
			sed 's/^/    /' "$OUT/many-rules.txt"
		fi
	} >>"$RESULTS"
fi
# big_section SCRIPT TITLE: a full run's extra section from one of the
# scripts below (they exit 0 when every target holds, 1 when one does
# not, 2 when they cannot run)
big_section() {
	say "$2: bench/$1.sh"
	{
		echo
		echo "## $2 (\`bench/$1.sh\`, target: $3)"
		echo
		sh "$BENCH/$1.sh" --mailhunt "$MH" >"$OUT/$1.txt" 2>&1
		rc=$?
		[ $rc = 1 ] && STATUS=1
		[ $rc = 0 ] || [ $rc = 1 ] || printf '    %s\n' "$1.sh did not run:"
		cat "$OUT/$1.txt"
	} >>"$RESULTS"
}
# Many groups (10 M records, 1.76 GB of disk, about 50 s) and peak RSS on
# a 10 GiB file (10 GiB of disk, ~35 s to write the first time): full
# runs only.
if [ $MHOK = 1 ] && [ $QUICK = 0 ]; then
	big_section many-groups "Many groups" \
		"peak RSS within \`--max-memory\`, evictions counted and reported"
	big_section rss-big "Peak RSS at 10 GiB" "<= 64 MB"
fi
T1=$(date +%s)

say "wrote $RESULTS ($((T1 - T0)) s)"
cat "$RESULTS"
exit $STATUS
