#!/bin/sh
# Print the command prefix under which a ThreadSanitizer binary can run
# here: nothing, or "setarch <arch> -R" when the kernel's address-space
# randomisation leaves no room for TSan's shadow memory ("unexpected
# memory mapping" on kernels with large mmap_rnd_bits). Fails, saying
# why, when neither works.
# Usage: tsan-env.sh TSAN_BINARY
set -u
bin=$1
if "$bin" --version >/dev/null 2>/tmp/tsan-env.$$; then
	rm -f /tmp/tsan-env.$$
	exit 0
fi
arch=$(uname -m)
if setarch "$arch" -R "$bin" --version >/dev/null 2>&1; then
	rm -f /tmp/tsan-env.$$
	echo "setarch $arch -R"
	exit 0
fi
echo "tsan-env.sh: $bin does not start under ThreadSanitizer:" >&2
cat /tmp/tsan-env.$$ >&2
rm -f /tmp/tsan-env.$$
exit 1
