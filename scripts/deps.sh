#!/bin/sh
# Install the Debian packages that building and testing mailhunt need.
# Idempotent: installs only what is missing. Run as root on Debian 12.
set -eu

# (bsdutils: script(1), which gives tests/e2e/cli/progress-line a terminal)
PKGS="build-essential cmake pkg-config libyaml-dev libpcre2-dev zlib1g-dev libexpat1-dev libevtx-dev libbfio-dev libevtx-utils libsimdjson-dev g++ bsdutils"

# make bench also needs: /usr/bin/time (peak RSS), Node.js + npm (DuckDB's
# @duckdb/node-api) and python3 (row checks). Not needed by make check.
# These are checked by command, since a machine may have them from
# elsewhere (a newer Node.js, say) and Debian's package would conflict.
BENCH_CMDS="/usr/bin/time:time node:nodejs npm:npm python3:python3"

missing=""
if [ "${1:-}" = "--bench" ]; then
	for pair in $BENCH_CMDS; do
		cmd=${pair%%:*}
		pkg=${pair#*:}
		if ! command -v "$cmd" >/dev/null 2>&1; then
			missing="$missing $pkg"
		fi
	done
fi
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

echo "deps.sh: installing:$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
