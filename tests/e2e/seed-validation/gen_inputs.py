#!/usr/bin/env python3
"""Writes the input files of the three seed validation tests
(test*/sysmon.jsonl, events.xml, sysmon.log, audit.log, native/*).
Synthetic data in the real field layouts (see README.md). Only inputs:
every expected.out was derived by hand. evidence-patterns/ is not
generated here.

Usage (from the repository root):
  python3 tests/e2e/seed-validation/gen_inputs.py tests/e2e/seed-validation
"""
import json, os, sys
from xml.sax.saxutils import escape

ROOT = sys.argv[1]

def jdump(d):
    return json.dumps(d, ensure_ascii=False, separators=(",", ":"))

SYSMON_PROV = "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}"
PS_PROV = "{A0C1853B-5C40-4B15-8766-3CF1C58F985A}"

# ---------------------------------------------------------------- test 1
T1 = dict(
    host="WS01.corp.example",
    user="CORP\\alice",
    sid="S-1-5-21-3623811015-3361044348-30300820-1104",
    ps="C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
    guid="{8D5A8E1B-CD13-665D-A702-000000000B00}",
    pguid="{8D5A8E1B-CC9F-665D-9A02-000000000B00}",
    pid="6812", ppid="5120",
    cmd='"powershell.exe" & {Send-MailMessage -From \'art@example.com\' -To \'c2@example.com\' -Subject \'T1071.003 SMTP C2\' -Body \'exfil test\' -SmtpServer 127.0.0.1 -Port 25}',
    pcmd='"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" ',
    sb="Send-MailMessage -From 'art@example.com' -To 'c2@example.com' -Subject 'T1071.003 SMTP C2' -Body 'exfil test' -SmtpServer 127.0.0.1 -Port 25",
    sbid="{4C1E2B7A-9F0D-4E53-8B0E-2D6C1A9F7E31}",
    t1="2024-06-03 14:02:11.317", t1c="2024-06-03T14:02:11.319Z",
    t4104c="2024-06-03T14:02:11.902Z",
    t3="2024-06-03 14:02:12.144", t3c="2024-06-03T14:02:13.208Z",
    sport="50112",
)

def sysmon_msg(title, pairs):
    return title + "\r\n" + "\r\n".join("%s: %s" % kv for kv in pairs)

def t1_eid1():
    t = T1
    data = [
        ("RuleName", "-"), ("UtcTime", t["t1"]), ("ProcessGuid", t["guid"]),
        ("ProcessId", t["pid"]), ("Image", t["ps"]),
        ("FileVersion", "10.0.19041.3996 (WinBuild.160101.0800)"),
        ("Description", "Windows PowerShell"),
        ("Product", "Microsoft\u00ae Windows\u00ae Operating System"),
        ("Company", "Microsoft Corporation"),
        ("OriginalFileName", "PowerShell.EXE"),
        ("CommandLine", t["cmd"]),
        ("CurrentDirectory", "C:\\Users\\alice\\"),
        ("User", t["user"]),
        ("LogonGuid", "{8D5A8E1B-2F61-665D-4E7A-0B0000000000}"),
        ("LogonId", "0xb7a4e"), ("TerminalSessionId", "1"),
        ("IntegrityLevel", "Medium"),
        ("Hashes", "SHA1=F43D9BB316E30AE1A3494AC5B0624F6BEA1BF054,MD5=04029E121A0CFA5991749937DD22A1D9,SHA256=9F914D42706FE215501044ACD85A32D58AAEF1419D404FDDFA5D3B48F66CCD9F,IMPHASH=7C955A0ABC747F57CCC4324480737EF7"),
        ("ParentProcessGuid", t["pguid"]), ("ParentProcessId", t["ppid"]),
        ("ParentImage", t["ps"]), ("ParentCommandLine", t["pcmd"]),
    ]
    return data

def t1_eid3():
    t = T1
    return [
        ("RuleName", "-"), ("UtcTime", t["t3"]), ("ProcessGuid", t["guid"]),
        ("ProcessId", t["pid"]), ("Image", t["ps"]), ("User", t["user"]),
        ("Protocol", "tcp"), ("Initiated", "true"),
        ("SourceIsIpv6", "false"), ("SourceIp", "127.0.0.1"),
        ("SourceHostname", "-"), ("SourcePort", t["sport"]),
        ("SourcePortName", "-"), ("DestinationIsIpv6", "false"),
        ("DestinationIp", "127.0.0.1"), ("DestinationHostname", "-"),
        ("DestinationPort", "25"), ("DestinationPortName", "smtp"),
    ]

def otrf_sysmon(eid, task, title, tc, data):
    d = {"SourceName": "Microsoft-Windows-Sysmon", "ProviderGuid": SYSMON_PROV,
         "Level": "4", "Keywords": "0x8000000000000000",
         "Channel": "Microsoft-Windows-Sysmon/Operational",
         "Hostname": T1["host"], "TimeCreated": tc, "@timestamp": tc,
         "EventID": eid, "Message": sysmon_msg(title, data), "Task": task}
    for k, v in data:
        d[k] = v
    return d

def otrf_4104():
    t = T1
    msg = ("Creating Scriptblock text (1 of 1):\r\n%s\r\n\r\nScriptBlock ID: %s\r\nPath: "
           % (t["sb"], t["sbid"].strip("{}").lower()))
    return {"SourceName": "Microsoft-Windows-PowerShell", "ProviderGuid": PS_PROV,
            "Level": "5", "Keywords": "0x0",
            "Channel": "Microsoft-Windows-PowerShell/Operational",
            "Hostname": t["host"], "TimeCreated": t["t4104c"],
            "@timestamp": t["t4104c"], "EventID": 4104, "Message": msg,
            "Task": "2", "MessageNumber": "1", "MessageTotal": "1",
            "ScriptBlockText": t["sb"],
            "ScriptBlockId": t["sbid"].strip("{}").lower(), "Path": ""}

def xml_event(prov_name, prov_guid, eid, version, level, task, opcode, kw,
              tc, rec, exec_pid, exec_tid, channel, computer, security,
              data, q="'", ns=True, corr=""):
    def a(v):
        return escape(v, {"'": "&apos;", '"': "&quot;"})
    x = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>" if ns else "<Event>"
    x += "<System><Provider Name=%s%s%s Guid=%s%s%s/>" % (q, prov_name, q, q, prov_guid, q)
    x += "<EventID>%d</EventID><Version>%d</Version><Level>%d</Level><Task>%d</Task><Opcode>%d</Opcode><Keywords>%s</Keywords>" % (eid, version, level, task, opcode, kw)
    x += "<TimeCreated SystemTime=%s%s%s/><EventRecordID>%d</EventRecordID>" % (q, tc, q, rec)
    x += corr or "<Correlation/>"
    x += "<Execution ProcessID=%s%s%s ThreadID=%s%s%s/>" % (q, exec_pid, q, q, exec_tid, q)
    x += "<Channel>%s</Channel><Computer>%s</Computer>%s</System>" % (channel, computer, security)
    x += "<EventData>"
    for k, v in data:
        if v == "":
            x += "<Data Name=%s%s%s></Data>" % (q, k, q)
        else:
            x += "<Data Name=%s%s%s>%s</Data>" % (q, k, q, a(v))
    x += "</EventData></Event>"
    return x

def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)

D1 = os.path.join(ROOT, "test1-powershell-smtp")
# JSON (OTRF flat)
lines = [otrf_sysmon(1, "1", "Process Create:", T1["t1c"], t1_eid1()),
         otrf_4104(),
         otrf_sysmon(3, "3", "Network connection detected:", T1["t3c"], t1_eid3())]
write(os.path.join(D1, "sysmon.jsonl"), "".join(jdump(l) + "\n" for l in lines))
# XML (Windows event XML, one per line)
sec_sys = "<Security UserID='S-1-5-18'/>"
x1 = xml_event("Microsoft-Windows-Sysmon", SYSMON_PROV.lower(), 1, 5, 4, 1, 0,
               "0x8000000000000000", "2024-06-03T14:02:11.3190517Z", 184211,
               "2956", "3804", "Microsoft-Windows-Sysmon/Operational",
               T1["host"], sec_sys, t1_eid1())
x4 = xml_event("Microsoft-Windows-PowerShell", PS_PROV.lower(), 4104, 1, 5, 2, 15,
               "0x0", "2024-06-03T14:02:11.9021377Z", 5227, T1["pid"], "7040",
               "Microsoft-Windows-PowerShell/Operational", T1["host"],
               "<Security UserID='%s'/>" % T1["sid"],
               [("MessageNumber", "1"), ("MessageTotal", "1"),
                ("ScriptBlockText", T1["sb"]),
                ("ScriptBlockId", T1["sbid"].strip("{}").lower()),
                ("Path", "")],
               corr="<Correlation ActivityID='{6f0c2a14-b5d1-0002-8a41-0c6fd1b5da01}'/>")
x3 = xml_event("Microsoft-Windows-Sysmon", SYSMON_PROV.lower(), 3, 5, 4, 3, 0,
               "0x8000000000000000", "2024-06-03T14:02:13.2084410Z", 184214,
               "2956", "4172", "Microsoft-Windows-Sysmon/Operational",
               T1["host"], sec_sys, t1_eid3())
write(os.path.join(D1, "events.xml"), x1 + "\n" + x4 + "\n" + x3 + "\n")

# ---------------------------------------------------------------- tests 2, 3
LINUX_PROV = "{ff032593-a8d3-4f13-b0d6-01fc615a0f97}"
HOST = "ubuntu-lab"

def linux_eid1(t):
    return [
        ("RuleName", "-"), ("UtcTime", t["t1"]), ("ProcessGuid", t["guid"]),
        ("ProcessId", t["pid"]), ("Image", t["image"]), ("FileVersion", "-"),
        ("Description", "-"), ("Product", "-"), ("Company", "-"),
        ("OriginalFileName", "-"), ("CommandLine", t["cmd"]),
        ("CurrentDirectory", "/root/AtomicRedTeam"), ("User", "root"),
        ("LogonGuid", "{3d2c7a1e-0000-0000-0000-000000000000}"),
        ("LogonId", "0"), ("TerminalSessionId", "3"),
        ("IntegrityLevel", "no level"), ("Hashes", "-"),
        ("ParentProcessGuid", t["pguid"]), ("ParentProcessId", t["ppid"]),
        ("ParentImage", "/usr/bin/dash"), ("ParentCommandLine", t["pcmd"]),
        ("ParentUser", "root"),
    ]

def linux_eid3(t):
    return [
        ("RuleName", "-"), ("UtcTime", t["t3"]), ("ProcessGuid", t["guid"]),
        ("ProcessId", t["pid"]), ("Image", t["image"]), ("User", "root"),
        ("Protocol", "tcp"), ("Initiated", "true"), ("SourceIsIpv6", "false"),
        ("SourceIp", "127.0.0.1"), ("SourceHostname", "-"),
        ("SourcePort", t["sport"]), ("SourcePortName", "-"),
        ("DestinationIsIpv6", "false"), ("DestinationIp", "127.0.0.1"),
        ("DestinationHostname", "-"), ("DestinationPort", t["dport"]),
        ("DestinationPortName", "-"),
    ]

def syslog_line(stamp, ev):
    return "%s %s sysmon: %s\n" % (stamp, HOST, ev)

def linux_xml(t, eid, data, tc, rec):
    return xml_event("Linux-Sysmon", LINUX_PROV, eid, 5, 4, eid, 0,
                     "0x8000000000000000", tc, rec, "1024", "1024",
                     "Linux-Sysmon/Operational", HOST,
                     "<Security UserId=\"0\"/>", data, q='"', ns=False)

T2 = dict(
    image="/usr/bin/nc.openbsd", cmd="nc 127.0.0.1 110",
    pcmd="sh -c \"printf 'USER art\\r\\nPASS art\\r\\nLIST\\r\\nRETR 1\\r\\nQUIT\\r\\n' | nc 127.0.0.1 110\"",
    guid="{3d2c7a1e-d6bd-665d-0952-7b4f1e560000}",
    pguid="{3d2c7a1e-d6bd-665d-4157-3e1b8a550000}",
    pid="23817", ppid="23815", dport="110", sport="44218",
    t1="2024-06-03 14:10:05.221", t1c="2024-06-03T14:10:05.221934000Z",
    t3="2024-06-03 14:10:05.236", t3c="2024-06-03T14:10:05.237102000Z",
    s1="Jun  3 14:10:05", s3="Jun  3 14:10:05", rec1=48211, rec3=48213,
    epoch1="1717423805.221", epoch3="1717423805.236", serial1=40117,
    serial3=40119, comm="nc", argv=["nc", "127.0.0.1", "110"],
    sc_exit="-115", sc_success="no",
)
T3 = dict(
    image="/usr/bin/curl", cmd="curl imap://user:pass@127.0.0.1:143/INBOX",
    pcmd="sh -c \"curl imap://user:pass@127.0.0.1:143/INBOX\"",
    guid="{3d2c7a1e-d8c9-665d-a9e3-a5c11d560000}",
    pguid="{3d2c7a1e-d8c9-665d-1c7b-0f3e9c550000}",
    pid="24102", ppid="24101", dport="143", sport="51934",
    t1="2024-06-03 14:20:41.508", t1c="2024-06-03T14:20:41.508377000Z",
    t3="2024-06-03 14:20:41.519", t3c="2024-06-03T14:20:41.520688000Z",
    s1="Jun  3 14:20:41", s3="Jun  3 14:20:41", rec1=49377, rec3=49379,
    epoch1="1717424441.508", epoch3="1717424441.519", serial1=41502,
    serial3=41506, comm="curl", argv=["curl", "imap://user:pass@127.0.0.1:143/INBOX"],
    sc_exit="-115", sc_success="no",
)

def hexs(b):
    return b.hex().upper()

def auditd(t):
    argv = t["argv"]
    ptitle = hexs("\0".join(argv).encode())
    node = "node=%s " % HOST
    out = []
    s1 = "audit(%s:%d)" % (t["epoch1"], t["serial1"])
    out.append(node + "type=SYSCALL msg=%s: arch=c000003e syscall=59 success=yes exit=0 a0=55d4c3a1e2b0 a1=55d4c3a1f0c8 a2=55d4c3a1f0e8 a3=8 items=2 ppid=%s pid=%s auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts1 ses=3 comm=\"%s\" exe=\"%s\" subj=unconfined key=\"exec\"" % (s1, t["ppid"], t["pid"], t["comm"], t["image"]))
    ex = "argc=%d" % len(argv)
    for i, a in enumerate(argv):
        ex += " a%d=\"%s\"" % (i, a)
    out.append(node + "type=EXECVE msg=%s: %s" % (s1, ex))
    out.append(node + "type=CWD msg=%s: cwd=\"/root/AtomicRedTeam\"" % s1)
    out.append(node + "type=PATH msg=%s: item=0 name=\"/usr/bin/%s\" inode=1573057 dev=fd:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0" % (s1, t["comm"]))
    out.append(node + "type=PATH msg=%s: item=1 name=\"/lib64/ld-linux-x86-64.so.2\" inode=1575093 dev=fd:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0" % s1)
    out.append(node + "type=PROCTITLE msg=%s: proctitle=%s" % (s1, ptitle))
    s3 = "audit(%s:%d)" % (t["epoch3"], t["serial3"])
    port = int(t["dport"])
    saddr = "0200%04X7F0000010000000000000000" % port
    out.append(node + "type=SYSCALL msg=%s: arch=c000003e syscall=42 success=%s exit=%s a0=3 a1=7ffd6b1c2a30 a2=10 a3=0 items=0 ppid=%s pid=%s auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts1 ses=3 comm=\"%s\" exe=\"%s\" subj=unconfined key=\"net\"" % (s3, t["sc_success"], t["sc_exit"], t["ppid"], t["pid"], t["comm"], t["image"]))
    out.append(node + "type=SOCKADDR msg=%s: saddr=%s" % (s3, saddr))
    out.append(node + "type=PROCTITLE msg=%s: proctitle=%s" % (s3, ptitle))
    return "".join(l + "\n" for l in out)

for name, t in (("test2-nc-pop3", T2), ("test3-curl-imap", T3)):
    d = os.path.join(ROOT, name)
    e1 = linux_xml(t, 1, linux_eid1(t), t["t1c"], t["rec1"])
    e3 = linux_xml(t, 3, linux_eid3(t), t["t3c"], t["rec3"])
    write(os.path.join(d, "sysmon.log"),
          syslog_line(t["s1"], e1) + syslog_line(t["s3"], e3))
    write(os.path.join(d, "audit.log"), auditd(t))

# ------------------------------------------------ platform renderings
import csv, io, datetime

HDR = open(os.path.join(ROOT, "..", "profile-sentinel", "threshold-csv",
                        "DeviceNetworkEvents.csv")).readline().rstrip("\n").split(",")

NATIVE = {
    "test1-powershell-smtp": dict(
        win=True, dev="ws01.corp.example", user="alice", dom="corp",
        fname="powershell.exe",
        folder="c:\\windows\\system32\\windowspowershell\\v1.0\\powershell.exe",
        exe=T1["ps"], pid=6812, ppid=5120, pfname="powershell.exe",
        cmd=T1["cmd"], sport=50112, dport=25, proto="smtp",
        t_proc="2024-06-03T14:02:11.317", t_conn="2024-06-03T14:02:12.144",
        entity="MWQ1YzJmYTAtNmE2OC00ZjBmLWFlNTMtNjgxMi0xNzE3NDIzMzMx",
        pexe=T1["ps"], pcmd=T1["pcmd"], bytes=1874),
    "test2-nc-pop3": dict(
        win=False, dev="ubuntu-lab", user="root", dom="ubuntu-lab",
        fname="nc.openbsd", folder="/usr/bin", exe="/usr/bin/nc.openbsd",
        pid=23817, ppid=23815, pfname="dash", cmd=T2["cmd"], sport=44218,
        dport=110, proto="pop3",
        t_proc="2024-06-03T14:10:05.221", t_conn="2024-06-03T14:10:05.236",
        entity="NzE0ZDJlOGMtMjM4MTctMTcxNzQyMzgwNQ==",
        pexe="/usr/bin/dash", pcmd=T2["pcmd"], bytes=52),
    "test3-curl-imap": dict(
        win=False, dev="ubuntu-lab", user="root", dom="ubuntu-lab",
        fname="curl", folder="/usr/bin", exe="/usr/bin/curl", pid=24102,
        ppid=24101, pfname="dash", cmd=T3["cmd"], sport=51934, dport=143,
        proto="imap",
        t_proc="2024-06-03T14:20:41.508", t_conn="2024-06-03T14:20:41.519",
        entity="NzE0ZDJlOGMtMjQxMDItMTcxNzQyNDQ0MQ==",
        pexe="/usr/bin/dash", pcmd=T3["pcmd"], bytes=97),
}

def iso_plus(ts, secs):
    t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%f")
    return t + datetime.timedelta(seconds=secs)

def ms_epoch(dt):
    return int((dt - datetime.datetime(1970, 1, 1)).total_seconds() * 1000 + 0.5)

def z3(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)

def mde_csv(n, x):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HDR)
    for i in range(n):
        dt = iso_plus(x["t_conn"], 10 * i)
        row = dict.fromkeys(HDR, "")
        row.update({
            "Timestamp": dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%07dZ" % (dt.microsecond * 10),
            "DeviceId": "7f3c1e9a2b4d6058a1c3e5f7092b4d6f8a0c2e41" if x["win"] else "c0d2a4b6e8f01325476980ab1cd3ef5061728394",
            "DeviceName": x["dev"], "ActionType": "ConnectionSuccess",
            "RemoteIP": "127.0.0.1", "RemotePort": str(x["dport"]),
            "LocalIP": "127.0.0.1", "LocalPort": str(x["sport"] + i),
            "InitiatingProcessFileName": x["fname"],
            "InitiatingProcessFolderPath": x["folder"],
            "InitiatingProcessId": str(x["pid"]),
            "InitiatingProcessCommandLine": x["cmd"],
            "InitiatingProcessAccountDomain": x["dom"],
            "InitiatingProcessAccountName": x["user"],
            "InitiatingProcessParentId": str(x["ppid"]),
            "InitiatingProcessParentFileName": x["pfname"],
            "Protocol": "Tcp", "LocalIPType": "Loopback",
            "RemoteIPType": "Loopback",
        })
        w.writerow([row[h] for h in HDR])
    return buf.getvalue()

def ecs(n, x, with_proc):
    out = []
    if with_proc:
        dt = iso_plus(x["t_proc"], 0)
        out.append({"@timestamp": z3(dt),
                    "event": {"category": ["process"], "type": ["start"], "action": "start"},
                    "host": {"name": x["dev"]},
                    "process": {"entity_id": x["entity"], "pid": x["pid"],
                                "name": x["exe"].replace("\\", "/").rsplit("/", 1)[-1],
                                "executable": x["exe"], "command_line": x["cmd"],
                                "parent": {"pid": x["ppid"], "executable": x["pexe"]}},
                    "user": {"name": x["user"]}})
    for i in range(n):
        dt = iso_plus(x["t_conn"], 10 * i)
        out.append({"@timestamp": z3(dt),
                    "event": {"category": ["network"], "type": ["start", "connection_attempted"],
                              "action": "connection_attempted"},
                    "host": {"name": x["dev"]},
                    "process": {"entity_id": x["entity"], "pid": x["pid"],
                                "name": x["exe"].replace("\\", "/").rsplit("/", 1)[-1],
                                "executable": x["exe"]},
                    "user": {"name": x["user"]},
                    "source": {"ip": "127.0.0.1", "port": x["sport"] + i},
                    "destination": {"ip": "127.0.0.1", "port": x["dport"]},
                    "network": {"direction": "egress", "transport": "tcp"}})
    return "".join(jdump(o) + "\n" for o in out)

def splunk(n, x):
    out = []
    for i in range(n):
        dt = iso_plus(x["t_conn"], 10 * i)
        out.append({"preview": False, "result": {
            "_time": dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d+00:00" % (dt.microsecond // 1000),
            "index": "network", "sourcetype": "stream:" + x["proto"],
            "src_ip": "127.0.0.1", "dest_ip": "127.0.0.1",
            "dest_port": str(x["dport"]), "action": "allowed",
            "process_name": x["exe"].replace("\\", "/").rsplit("/", 1)[-1],
            "src_user": x["user"], "bytes_out": str(x["bytes"])}})
    return "".join(jdump(o) + "\n" for o in out)

def qradar(n, x):
    out = []
    for i in range(n):
        dt = iso_plus(x["t_conn"], 10 * i)
        out.append({"starttime": ms_epoch(dt), "sourceip": "127.0.0.1",
                    "destinationip": "127.0.0.1", "destinationport": x["dport"],
                    "username": x["user"],
                    "Process Name": x["exe"].replace("\\", "/").rsplit("/", 1)[-1],
                    "Event Direction": "L2R", "Bytes Sent": x["bytes"]})
    return "".join(jdump(o) + "\n" for o in out)

def sumo(n, x):
    out = []
    for i in range(n):
        dt = iso_plus(x["t_conn"], 10 * i)
        out.append({"_messageTime": ms_epoch(dt),
                    "_sourceCategory": "prod/network/fw",
                    "src_ip": "127.0.0.1", "dest_ip": "127.0.0.1",
                    "dest_port": str(x["dport"]),
                    "process_name": x["exe"].replace("\\", "/").rsplit("/", 1)[-1],
                    "bytes_out": x["bytes"]})
    return "".join(jdump(o) + "\n" for o in out)

for name, x in NATIVE.items():
    d = os.path.join(ROOT, name, "native")
    write(os.path.join(d, "DeviceNetworkEvents.csv"), mde_csv(1, x))
    write(os.path.join(d, "ecs.ndjson"), ecs(1, x, True))
    write(os.path.join(d, "splunk.json"), splunk(1, x))
    write(os.path.join(d, "qradar.json"), qradar(1, x))
    write(os.path.join(d, "sumo.json"), sumo(1, x))
    # controls: the same connection three times (10 s apart)
    write(os.path.join(d, "DeviceNetworkEvents-x3.csv"), mde_csv(3, x))
    write(os.path.join(d, "ecs-x3.ndjson"), ecs(3, x, False))
    write(os.path.join(d, "splunk-x3.json"), splunk(3, x))
    write(os.path.join(d, "qradar-x3.json"), qradar(3, x))
    write(os.path.join(d, "sumo-x3.json"), sumo(3, x))
