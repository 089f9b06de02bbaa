#!/usr/bin/env python3
"""Compare DuckDB's result rows with mailhunt's CSV alerts.

    compare.py DUCK_ROWS.csv MAILHUNT.csv

DUCK_ROWS.csv is written by duckdb/run.mjs --rows (host, process,
remote_ip, port, protocol, account, connection_count, unique_remote_ips,
bytes_sent, first_seen, last_seen). MAILHUNT.csv is `mailhunt scan
--format csv` output (docs/output.md): the `group` cell holds
`Name=value` pairs joined with `;` (`\\` and `;` escaped with `\\`).

A row is identified by (host, process, remote ip, port, account); the
account is left out of the key when mailhunt's group has no account value
(e.g. AccountName is unset in Sysmon data). For each row, count,
distinct destinations, bytes sent and first/last seen (compared at
microsecond precision, what DuckDB keeps) must be equal.
Exit status: 0 equal, 1 different, 2 usage or unreadable input.
Standard library only.
"""
import csv
import sys

HOST = ("Computer", "DeviceName", "Hostname", "host.name")
PROC = ("ProcessName", "InitiatingProcessFileName", "process.name")
IP = ("DestinationIp", "RemoteIP", "destination.ip")
PORT = ("DestinationPort", "RemotePort", "destination.port")
ACCT = ("AccountName", "User", "InitiatingProcessAccountName")


def parse_group(s):
    """'A=x;B=y\\;z' -> {'A': 'x', 'B': 'y;z'}"""
    out, name, cur, i = {}, None, [], 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            cur.append(s[i + 1])
            i += 2
            continue
        if c == "=" and name is None:
            name, cur = "".join(cur), []
        elif c == ";":
            if name is not None:
                out[name] = "".join(cur)
            name, cur = None, []
        else:
            cur.append(c)
        i += 1
    if name is not None:
        out[name] = "".join(cur)
    return out


def pick(g, names):
    for n in names:
        if n in g:
            return g[n]
    return None


def norm_time(s):
    """'2026-11-22T01:17:59.0643302Z' / '2026-11-22 01:17:59.06433' ->
    '2026-11-22 01:17:59.064330' (microseconds, truncated)."""
    if not s:
        return ""
    s = s.strip().replace("T", " ")
    if s.endswith("Z"):
        s = s[:-1]
    if "." in s:
        base, frac = s.split(".", 1)
    else:
        base, frac = s, ""
    return base + "." + (frac + "000000")[:6]


def norm_int(s):
    s = (s or "").strip()
    return str(int(s)) if s else ""


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        with open(argv[1], newline="", encoding="utf-8") as f:
            duck = list(csv.DictReader(f))
        with open(argv[2], newline="", encoding="utf-8") as f:
            mh = list(csv.DictReader(f))
    except (OSError, csv.Error) as e:
        print(f"compare: {e}", file=sys.stderr)
        return 2
    if mh and "group" not in mh[0]:
        print("compare: mailhunt CSV has no 'group' column", file=sys.stderr)
        return 2

    parsed = [(parse_group(r["group"]), r) for r in mh]
    use_acct = any(pick(g, ACCT) for g, _ in parsed)
    mrows = {}
    for g, r in parsed:
        key = (pick(g, HOST), pick(g, PROC), pick(g, IP),
               norm_int(pick(g, PORT)),
               (pick(g, ACCT) or "") if use_acct else None)
        val = (norm_int(r.get("count")), norm_int(r.get("distinct_dst")),
               norm_int(r.get("bytes_sent")), norm_time(r.get("first_seen")),
               norm_time(r.get("last_seen")))
        mrows.setdefault(key, []).append(val)

    drows = {}
    for r in duck:
        key = (r["host"], r["process"], r["remote_ip"], norm_int(r["port"]),
               r["account"] if use_acct else None)
        val = (norm_int(r["connection_count"]),
               norm_int(r["unique_remote_ips"]), norm_int(r["bytes_sent"]),
               norm_time(r["first_seen"]), norm_time(r["last_seen"]))
        drows.setdefault(key, []).append(val)

    diffs = []
    for k in sorted(set(drows) | set(mrows), key=lambda k: tuple(
            "" if x is None else x for x in k)):
        a, b = sorted(drows.get(k, [])), sorted(mrows.get(k, []))
        if a != b:
            diffs.append(f"  {'|'.join(x or '' for x in k)}: "
                         f"duckdb={a or '-'} mailhunt={b or '-'}")
    print(f"compare: duckdb {len(duck)} rows, mailhunt {len(mh)} rows, "
          f"{len(diffs)} differing keys"
          f"{'' if use_acct else ' (account not in mailhunt group: ignored)'}")
    for d in diffs[:15]:
        print(d)
    if len(diffs) > 15:
        print(f"  ... {len(diffs) - 15} more")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
