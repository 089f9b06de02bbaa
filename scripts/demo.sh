#!/bin/sh
# make demo: the main job on bundled data. Exit code 1 from mailhunt
# means "alerts raised", which is the point of the demo.
set -u
MH=${1:-build/mailhunt}
cd "$(dirname "$0")/.."

run() {
	echo "\$ mailhunt $*"
	"$MH" "$@"
	rc=$?
	if [ $rc -gt 1 ]; then
		echo "demo: mailhunt failed with exit code $rc" >&2
		exit $rc
	fi
	echo
}

echo "== 1. Default pack on Sysmon EID 1/3 JSON (synthetic C2 scenario) =="
run scan examples/sysmon-c2.jsonl
echo "== 2. Same data, with the contributing evidence =="
run scan --explain --format table examples/sysmon-c2.jsonl
echo "== 3. --profile splunk: exactly the Splunk SPL reference query =="
run scan --profile splunk examples/splunk-export.json
echo "== 4. Default pack on a real Exchange server (OTRF ProxyLogon, Sysmon) =="
echo "   (mail-server traffic is allowlisted by path; Initiated=false never counts)"
run scan tests/data/sysmon_json/otrf__proxylogon_ssrf_rce_poc__sysmon_eid1_eid3.jsonl
echo "== 5. Machine output for a SIEM: NDJSON on stdout, summary on stderr =="
run scan --profile splunk --format ndjson examples/splunk-export.json
