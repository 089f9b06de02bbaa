#!/bin/sh
# Run one end-to-end golden case: the real binary on real input.
# A case directory holds:
#   cmd           a shell fragment; $MH is the mailhunt binary. It runs in
#                 the case directory.
#   expected.out  exact expected stdout
#   expected.rc   expected exit code (default 0)
#   expected.err  optional: lines that must each appear in stderr
# Usage: run_case.sh MAILHUNT_BINARY CASE_DIR
set -u
MH=$1
dir=$2
export MH
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
( cd "$dir" && sh -c "$(cat cmd)" ) >"$tmp/out" 2>"$tmp/err" </dev/null
rc=$?
want_rc=0
[ -f "$dir/expected.rc" ] && want_rc=$(cat "$dir/expected.rc")
fail=0
if [ "$rc" != "$want_rc" ]; then
	echo "exit code $rc, expected $want_rc" >&2
	fail=1
fi
if [ -f "$dir/expected.out" ]; then
	if ! diff -u "$dir/expected.out" "$tmp/out" >&2; then
		echo "stdout differs from expected.out" >&2
		fail=1
	fi
else
	# a case without its golden output would assert nothing
	echo "no expected.out in $dir" >&2
	fail=1
fi
if [ -f "$dir/expected.err" ]; then
	while IFS= read -r line; do
		[ -z "$line" ] && continue
		if ! grep -qF -- "$line" "$tmp/err"; then
			echo "stderr lacks: $line" >&2
			fail=1
		fi
	done <"$dir/expected.err"
fi
if [ $fail -ne 0 ]; then
	echo "--- stderr ---" >&2
	head -c 4000 "$tmp/err" >&2
fi
exit $fail
