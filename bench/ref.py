#!/usr/bin/env python3
"""Independent reference for the Sentinel T1071.003 query, in plain Python.

    ref.py --naming mde|sysmon --now TIME FILE > rows.csv

Reads the NDJSON file with the json module and writes the result in
mailhunt's CSV alert format (docs/output.md: count, distinct_dst,
bytes_sent, first_seen, last_seen, group), so that compare.py can check
DuckDB's rows against it when the mailhunt binary is not available.
Slow (~20 MB/s): used by run.sh --quick only. Standard library only.
"""
import argparse
import csv
import json
import sys

PORTS = {25: "SMTP", 465: "SMTP", 587: "SMTP", 110: "POP3", 995: "POP3",
         143: "IMAP", 993: "IMAP"}
CLIENTS = {"outlook.exe", "thunderbird.exe", "mailclient.exe",
           "em client.exe", "msedge.exe", "chrome.exe"}


def tkey(s):
    """Time text -> sortable (date time, fraction) string, us precision."""
    s = s.replace("T", " ").rstrip("Z")
    base, _, frac = s.partition(".")
    return base + "." + (frac + "000000")[:6]


def sub24h(k):
    import datetime
    d = datetime.datetime.strptime(k, "%Y-%m-%d %H:%M:%S.%f")
    return (d - datetime.timedelta(hours=24)).strftime("%Y-%m-%d %H:%M:%S.%f")


def esc(v):
    return v.replace("\\", "\\\\").replace(";", "\\;")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--naming", choices=["mde", "sysmon"], required=True)
    ap.add_argument("--now", required=True)
    ap.add_argument("--strict-action", action="store_true",
                    help="sysmon: require ActionType == ConnectionSuccess")
    ap.add_argument("file")
    a = ap.parse_args()
    cut = sub24h(tkey(a.now))
    groups = {}
    with open(a.file, encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            if a.naming == "mde":
                if e.get("ActionType") != "ConnectionSuccess":
                    continue
                t, port = e["Timestamp"], int(e["RemotePort"])
                host, proc = e["DeviceName"], e["InitiatingProcessFileName"]
                ip, acct, sent = e["RemoteIP"], e["AccountName"], \
                    e.get("SentBytes")
            else:
                if int(e.get("EventID", 0)) != 3:
                    continue
                if a.strict_action and \
                        e.get("ActionType") != "ConnectionSuccess":
                    continue
                t, port = e["UtcTime"], int(e["DestinationPort"])
                host, ip, acct, sent = e["Hostname"], e["DestinationIp"], \
                    e["User"], None
                img = e["Image"]
                proc = img[max(img.rfind("\\"), img.rfind("/")) + 1:]
            if port not in PORTS or proc.lower() in CLIENTS:
                continue
            k = tkey(t)
            if k <= cut:
                continue
            g = groups.setdefault((host, proc, ip, port, acct),
                                  [0, set(), None, k, k])
            g[0] += 1
            g[1].add(ip)
            if sent is not None:
                g[2] = (g[2] or 0) + int(sent)
            g[3] = min(g[3], k)
            g[4] = max(g[4], k)
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["level", "rule_id", "rule", "count", "distinct_dst",
                "bytes_sent", "first_seen", "last_seen", "group", "users",
                "context"])
    for (host, proc, ip, port, acct), g in sorted(
            groups.items(), key=lambda x: (-x[1][0], x[0])):
        if g[0] <= 2:
            continue
        grp = ";".join(f"{n}={esc(str(v))}" for n, v in (
            ("Computer", host), ("ProcessName", proc),
            ("DestinationIp", ip), ("DestinationPort", port),
            ("MailProtocol", PORTS[port]), ("AccountName", acct)))
        w.writerow(["high", "ref", "ref", g[0], len(g[1]),
                    "" if g[2] is None else g[2], g[3], g[4], grp, "", ""])


if __name__ == "__main__":
    main()
