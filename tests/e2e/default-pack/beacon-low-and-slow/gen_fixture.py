#!/usr/bin/env python3
"""Writes sysmon.jsonl (run once; the file is committed).

An implant polls IMAPS every 4 h +-20 % (each interval uniform in
[0.8, 1.2] x 14400 s, whole seconds) for 5 days: 30 connections. The real
Outlook (allowlisted by path) polls the same server every 2 h: 60
connections. Lines are merged in time order."""
import json
import random
from datetime import datetime, timedelta, timezone

R = random.Random(20240603)
t0 = datetime(2024, 6, 3, 0, 17, 5, tzinfo=timezone.utc)
IMPLANT = "C:\\ProgramData\\WinSvc\\wsvchelper.exe"
OUTLOOK = "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE"
rows = []
t = t0
for i in range(30):
    rows.append((t, IMPLANT, "CORP\\alice"))
    t += timedelta(seconds=round(14400 * R.uniform(0.8, 1.2)))
t = t0 + timedelta(minutes=3)
for i in range(60):
    rows.append((t, OUTLOOK, "CORP\\alice"))
    t += timedelta(hours=2)
rows.sort(key=lambda r: r[0])
with open("sysmon.jsonl", "w") as f:
    for t, image, user in rows:
        f.write(json.dumps({
            "EventID": 3,
            "Channel": "Microsoft-Windows-Sysmon/Operational",
            "Hostname": "WS7",
            "UtcTime": t.strftime("%Y-%m-%d %H:%M:%S.000"),
            "Image": image,
            "User": user,
            "Initiated": "true",
            "DestinationIp": "203.0.113.50",
            "DestinationPort": 993,
        }, ensure_ascii=False) + "\n")
