/* gen: deterministic generator of synthetic network-connection telemetry
 * for the mailhunt benchmark.
 *
 *   gen --dialect mde|sysmon --size 1G [--seed 1] [-o FILE]
 *
 * Writes NDJSON, one connection per line (mean ~725 B for mde, ~690 B
 * for sysmon: the Defender columns alone take ~600 B):
 *  - mde:    Defender DeviceNetworkEvents flat (Advanced Hunting export);
 *  - sysmon: Sysmon Event ID 3 flattened (EventData keys at top level).
 * Both dialects draw from the same entities and event mix (same seed ->
 * same hosts, processes, senders and beacons); event times are spread
 * over the same 72 h, so the two files hold the same kind of traffic
 * (not the same events: line lengths, hence event counts, differ).
 *
 * Content: 3000 hosts (Windows workstations and servers, Linux servers),
 * ~300 processes, 72 h of activity ending at 2026-11-23T00:00:00Z.
 * About 2% of events go to mail ports (25/465/587/110/995/143/993 and a
 * few 2525): real mail clients (Outlook, Thunderbird, eM Client), server
 * senders (app servers, SQL Database Mail, backup, postfix, monitoring)
 * and planted beacons (a non-mail process on a few hosts polling 993/587
 * every N minutes with jitter). Background traffic includes ports that
 * share a prefix with mail ports (2500, 9930, 25565, ...).
 *
 * A sidecar FILE.meta (key=value) records counts and the max event time
 * (used as "now" for the ago(24h) filter). Sizes accept K/M/G suffixes
 * (binary: 1G = 2^30 bytes). Deterministic: same arguments, same bytes. */
#define _GNU_SOURCE
#include "../src/util/splitmix.h" /* mh_rng: the PRNG */

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NHOSTS	    3000
#define NVENDOR	    160
#define SPAN_NS	    (72LL * 3600 * 1000000000LL)
#define END_NS	    1795392000000000000LL /* 2026-11-23T00:00:00Z */
#define MAIL_PERMIL 20 /* share of mail-port events, per mille */

/* ---------------------------------------------------------------- PRNG */

static uint64_t hash2(uint64_t a, uint64_t b)
{
	mh_rng r = {a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e019ULL)};

	mh_rng_next(&r);
	return mh_rng_next(&r);
}

/* -------------------------------------------------------------- output */

static char obuf[1 << 20];
static size_t olen;
static FILE *ofp;
static uint64_t obytes;

static void oflush(void)
{
	if (olen && fwrite(obuf, 1, olen, ofp) != olen) {
		fprintf(stderr, "gen: write: %s\n", strerror(errno));
		exit(1);
	}
	obytes += olen;
	olen = 0;
}

static void put(const char *s, size_t n)
{
	memcpy(obuf + olen, s, n);
	olen += n;
}

#define PUTL(lit) put(lit, sizeof(lit) - 1)

static void puts_(const char *s)
{
	put(s, strlen(s));
}

static void putc_(char c)
{
	obuf[olen++] = c;
}

/* JSON string body: escapes '"', '\\' and control characters. */
static void put_js(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			obuf[olen++] = '\\';
			obuf[olen++] = (char)c;
		} else if (c < 0x20) {
			static const char hx[] = "0123456789abcdef";

			put("\\u00", 4);
			obuf[olen++] = hx[c >> 4];
			obuf[olen++] = hx[c & 15];
		} else {
			obuf[olen++] = (char)c;
		}
	}
}

static void put_u64(uint64_t v)
{
	char t[24];
	int i = 24;

	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(t + i, (size_t)(24 - i));
}

static void put_dig(uint64_t v, int w)
{
	char t[24];

	for (int i = w - 1; i >= 0; i--) {
		t[i] = (char)('0' + v % 10);
		v /= 10;
	}
	put(t, (size_t)w);
}

static void put_ip(uint32_t ip)
{
	put_u64(ip >> 24);
	putc_('.');
	put_u64((ip >> 16) & 255);
	putc_('.');
	put_u64((ip >> 8) & 255);
	putc_('.');
	put_u64(ip & 255);
}

static void put_hex(uint64_t seed, int n)
{
	static const char hx[] = "0123456789abcdef";
	mh_rng r = {seed};
	uint64_t w = 0;

	for (int i = 0; i < n; i++) {
		if (i % 16 == 0)
			w = mh_rng_next(&r);
		obuf[olen++] = hx[w & 15];
		w >>= 4;
	}
}

/* Date/time: `style` 0 = 2026-11-22T10:00:00.1234567Z (Defender),
 * 1 = 2026-11-22 10:00:00.123 (Sysmon UtcTime),
 * 2 = 2026-11-22T10:00:00.123Z (@timestamp). */
static void put_time(int64_t ns, int style)
{
	int64_t secs = ns / 1000000000LL;
	int64_t frac = ns % 1000000000LL;
	int64_t days = secs / 86400, sod = secs % 86400;
	/* civil_from_days */
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;

	y += m <= 2;
	put_dig((uint64_t)y, 4);
	putc_('-');
	put_dig((uint64_t)m, 2);
	putc_('-');
	put_dig((uint64_t)d, 2);
	putc_(style == 1 ? ' ' : 'T');
	put_dig((uint64_t)(sod / 3600), 2);
	putc_(':');
	put_dig((uint64_t)(sod / 60 % 60), 2);
	putc_(':');
	put_dig((uint64_t)(sod % 60), 2);
	putc_('.');
	if (style == 0)
		put_dig((uint64_t)(frac / 100), 7);
	else
		put_dig((uint64_t)(frac / 1000000), 3);
	if (style != 1)
		putc_('Z');
}

/* ------------------------------------------------------------ entities */

enum acct { A_USER, A_SYSTEM, A_NETSVC, A_LOCALSVC, A_ROOT, A_WWW };
enum os { OS_WIN, OS_LNX };

typedef struct pdef {
	const char *path;
	const char *args; /* command-line tail, may be "" */
	const char *company;
	uint8_t os;
	uint8_t acct;
	uint16_t weight; /* background weight; 0 = only used explicitly */
} pdef;

typedef struct proc {
	const char *path, *args, *company;
	uint8_t os, acct;
	uint16_t weight;
	const char *base; /* file name part of path */
	char lpath[160];  /* lowercased path (Defender FolderPath style) */
	uint64_t h;
} proc;

/* Paths are C strings with single backslashes; JSON escaping doubles
 * them on output. */
static const pdef pdefs[] = {
    /* --- Windows: browsers, Office, common apps --- */
    {"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
     "--type=utility --utility-sub-type=network.mojom.NetworkService",
     "Google LLC", OS_WIN, A_USER, 500},
    {"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", "",
     "Google LLC", OS_WIN, A_USER, 400},
    {"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
     "--type=utility --utility-sub-type=network.mojom.NetworkService",
     "Microsoft Corporation", OS_WIN, A_USER, 400},
    {"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
     "--no-startup-window --win-session-start", "Microsoft Corporation", OS_WIN,
     A_USER, 400},
    {"C:\\Program Files\\Mozilla Firefox\\firefox.exe",
     "-contentproc -childID 7 -isForBrowser", "Mozilla Corporation", OS_WIN,
     A_USER, 150},
    {"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
     "/recycle", "Microsoft Corporation", OS_WIN, A_USER, 120},
    {"C:\\Program Files (x86)\\Microsoft Office\\root\\Office16\\"
     "Outlook.exe",
     "", "Microsoft Corporation", OS_WIN, A_USER, 0},
    {"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
     "/n \"C:\\Users\\Public\\Documents\\Quarterly report.docx\"",
     "Microsoft Corporation", OS_WIN, A_USER, 60},
    {"C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE", "",
     "Microsoft Corporation", OS_WIN, A_USER, 50},
    {"C:\\Program Files\\Microsoft Office\\root\\Office16\\POWERPNT.EXE", "",
     "Microsoft Corporation", OS_WIN, A_USER, 15},
    {"C:\\Program Files\\Microsoft Office\\root\\Office16\\ONENOTE.EXE", "",
     "Microsoft Corporation", OS_WIN, A_USER, 10},
    {"C:\\Program Files\\Microsoft Office\\root\\Integration\\"
     "Integrator.exe",
     "/C /M", "Microsoft Corporation", OS_WIN, A_SYSTEM, 5},
    {"C:\\Program Files\\Common Files\\microsoft shared\\ClickToRun\\"
     "OfficeClickToRun.exe",
     "/service", "Microsoft Corporation", OS_WIN, A_SYSTEM, 40},
    {"C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe", "/background",
     "Microsoft Corporation", OS_WIN, A_USER, 300},
    {"C:\\Program Files\\Microsoft\\Teams\\current\\Teams.exe",
     "--type=utility --utility-sub-type=network.mojom.NetworkService",
     "Microsoft Corporation", OS_WIN, A_USER, 350},
    {"C:\\Program Files\\WindowsApps\\MSTeams_23320.3027.2591.1505_x64__"
     "8wekyb3d8bbwe\\ms-teams.exe",
     "", "Microsoft Corporation", OS_WIN, A_USER, 150},
    {"C:\\Program Files\\Slack\\slack.exe",
     "--type=renderer --autoplay-policy=no-user-gesture-required",
     "Slack Technologies", OS_WIN, A_USER, 60},
    {"C:\\Program Files\\Zoom\\bin\\Zoom.exe", "",
     "Zoom Video "
     "Communications",
     OS_WIN, A_USER, 50},
    {"C:\\Program Files\\Mozilla Thunderbird\\thunderbird.exe", "",
     "Mozilla Corporation", OS_WIN, A_USER, 10},
    {"C:\\Program Files (x86)\\eM Client\\MailClient.exe", "",
     "eM Client s.r.o.", OS_WIN, A_USER, 3},
    {"C:\\Program Files (x86)\\eM Client\\eM Client.exe", "",
     "eM Client s.r.o.", OS_WIN, A_USER, 3},
    /* --- Windows: system --- */
    {"C:\\Windows\\System32\\svchost.exe", "-k NetworkService -p -s Dnscache",
     "Microsoft Corporation", OS_WIN, A_NETSVC, 700},
    {"C:\\Windows\\System32\\svchost.exe", "-k netsvcs -p -s wuauserv",
     "Microsoft Corporation", OS_WIN, A_SYSTEM, 300},
    {"C:\\Windows\\System32\\svchost.exe",
     "-k LocalServiceNetworkRestricted -p -s W32Time", "Microsoft Corporation",
     OS_WIN, A_LOCALSVC, 80},
    {"C:\\Windows\\System32\\svchost.exe", "-k netsvcs -p -s BITS",
     "Microsoft Corporation", OS_WIN, A_SYSTEM, 120},
    {"C:\\Windows\\System32\\lsass.exe", "", "Microsoft Corporation", OS_WIN,
     A_SYSTEM, 200},
    {"C:\\Windows\\System32\\services.exe", "", "Microsoft Corporation", OS_WIN,
     A_SYSTEM, 20},
    {"C:\\Windows\\System32\\spoolsv.exe", "", "Microsoft Corporation", OS_WIN,
     A_SYSTEM, 15},
    {"C:\\Windows\\System32\\taskhostw.exe", "", "Microsoft Corporation",
     OS_WIN, A_USER, 20},
    {"C:\\Windows\\System32\\backgroundTaskHost.exe",
     "-ServerName:BackgroundTaskHost.WebAccountProvider",
     "Microsoft Corporation", OS_WIN, A_USER, 20},
    {"C:\\Windows\\System32\\wermgr.exe", "-upload", "Microsoft Corporation",
     OS_WIN, A_SYSTEM, 8},
    {"C:\\Windows\\System32\\CompatTelRunner.exe",
     "-m:appraiser.dll -f:DoScheduledTelemetryRun", "Microsoft Corporation",
     OS_WIN, A_SYSTEM, 10},
    {"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
     "-NoProfile -File C:\\IT\\inventory.ps1", "Microsoft Corporation", OS_WIN,
     A_SYSTEM, 25},
    {"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
     "-NoLogo -Command \"Test-NetConnection -ComputerName "
     "mail.contoso.com -Port 993\"",
     "Microsoft Corporation", OS_WIN, A_USER, 3},
    {"C:\\Windows\\System32\\cmd.exe", "/c ping -n 1 fileserver01",
     "Microsoft Corporation", OS_WIN, A_USER, 5},
    {"C:\\Windows\\System32\\rundll32.exe",
     "C:\\Windows\\System32\\shell32.dll,SHCreateLocalServerRunDll "
     "{9aa46009-3ce0-458a-a354-715610a075e6} -Embedding",
     "Microsoft Corporation", OS_WIN, A_USER, 10},
    {"C:\\Windows\\System32\\mstsc.exe", "/v:jump01.contoso.com",
     "Microsoft Corporation", OS_WIN, A_USER, 15},
    {"C:\\Windows\\System32\\curl.exe",
     "-s https://intranet.contoso.com/health", "Microsoft Corporation", OS_WIN,
     A_USER, 4},
    {"C:\\Windows\\explorer.exe", "", "Microsoft Corporation", OS_WIN, A_USER,
     40},
    {"C:\\Windows\\SystemApps\\MicrosoftWindows.Client.CBS_cw5n1h2txyewy\\"
     "SearchHost.exe",
     "-ServerName:CortanaUI.AppX8z9r6jm96hw4.mca", "Microsoft Corporation",
     OS_WIN, A_USER, 40},
    {"C:\\Windows\\SystemApps\\Microsoft.Windows.StartMenuExperienceHost_"
     "cw5n1h2txyewy\\StartMenuExperienceHost.exe",
     "-ServerName:App.AppXywbrabmsek0.mca", "Microsoft Corporation", OS_WIN,
     A_USER, 15},
    {"C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\"
     "4.18.23110.3-0\\MsMpEng.exe",
     "", "Microsoft Corporation", OS_WIN, A_SYSTEM, 250},
    {"C:\\Program Files\\Windows Defender Advanced Threat Protection\\"
     "MsSense.exe",
     "", "Microsoft Corporation", OS_WIN, A_SYSTEM, 250},
    {"C:\\Program Files\\Windows Defender Advanced Threat Protection\\"
     "SenseNdr.exe",
     "", "Microsoft Corporation", OS_WIN, A_SYSTEM, 60},
    {"C:\\Program Files\\Windows Defender Advanced Threat Protection\\"
     "SenseCncProxy.exe",
     "", "Microsoft Corporation", OS_WIN, A_SYSTEM, 40},
    {"C:\\Windows\\CCM\\CcmExec.exe", "", "Microsoft Corporation", OS_WIN,
     A_SYSTEM, 70},
    {"C:\\Program Files\\Microsoft Monitoring Agent\\Agent\\"
     "MonitoringHost.exe",
     "-Embedding", "Microsoft Corporation", OS_WIN, A_SYSTEM, 40},
    {"C:\\Program Files\\AzureConnectedMachineAgent\\himds.exe", "",
     "Microsoft Corporation", OS_WIN, A_SYSTEM, 20},
    {"C:\\Program Files\\Microsoft VS Code\\Code.exe",
     "--type=utility --utility-sub-type=network.mojom.NetworkService",
     "Microsoft Corporation", OS_WIN, A_USER, 40},
    {"C:\\Program Files\\Git\\mingw64\\bin\\git-remote-https.exe",
     "origin https://git.contoso.com/platform/infra.git",
     "The Git Development Community", OS_WIN, A_USER, 10},
    {"C:\\Program Files\\Python311\\python.exe",
     "C:\\Tools\\sync\\sync_assets.py --env prod",
     "Python Software "
     "Foundation",
     OS_WIN, A_USER, 10},
    {"C:\\Program Files\\Notepad++\\updater\\GUP.exe", "-options", "Don HO",
     OS_WIN, A_USER, 3},
    {"C:\\Program Files\\7-Zip\\7zFM.exe", "", "Igor Pavlov", OS_WIN, A_USER,
     1},
    {"C:\\Program Files\\Adobe\\Acrobat DC\\Acrobat\\Acrobat.exe", "",
     "Adobe Inc.", OS_WIN, A_USER, 30},
    {"C:\\Program Files (x86)\\Common Files\\Adobe\\ARM\\1.0\\"
     "AdobeARM.exe",
     "", "Adobe Inc.", OS_WIN, A_USER, 8},
    {"C:\\Program Files\\Cisco\\Cisco AnyConnect Secure Mobility Client\\"
     "vpnagent.exe",
     "", "Cisco Systems, Inc.", OS_WIN, A_SYSTEM, 60},
    {"C:\\Program Files\\Zscaler\\ZSATunnel\\ZSATunnel.exe", "",
     "Zscaler, Inc.", OS_WIN, A_SYSTEM, 90},
    {"C:\\Program Files\\CrowdStrike\\CSFalconService.exe", "",
     "CrowdStrike, Inc.", OS_WIN, A_SYSTEM, 50},
    {"C:\\Program Files\\Google\\Drive File Stream\\84.0.4.0\\"
     "GoogleDriveFS.exe",
     "--crash_handler", "Google LLC", OS_WIN, A_USER, 20},
    {"C:\\Program Files (x86)\\Dropbox\\Client\\Dropbox.exe", "/systemstartup",
     "Dropbox, Inc.", OS_WIN, A_USER, 15},
    {"C:\\Program Files\\Java\\jre1.8.0_391\\bin\\java.exe",
     "-Xmx2g -jar D:\\apps\\billing\\billing.jar", "Oracle Corporation", OS_WIN,
     A_NETSVC, 40},
    {"C:\\Windows\\System32\\inetsrv\\w3wp.exe",
     "-ap \"DefaultAppPool\" -v \"v4.0\" -l \"webengine4.dll\" -a "
     "\\\\.\\pipe\\iisipm7d8",
     "Microsoft Corporation", OS_WIN, A_NETSVC, 40},
    {"C:\\Program Files\\Microsoft SQL Server\\MSSQL15.MSSQLSERVER\\"
     "MSSQL\\Binn\\sqlservr.exe",
     "-sMSSQLSERVER", "Microsoft Corporation", OS_WIN, A_NETSVC, 30},
    {"C:\\Program Files\\Microsoft SQL Server\\MSSQL15.MSSQLSERVER\\"
     "MSSQL\\Binn\\DatabaseMail.exe",
     "-MSSQLSERVER", "Microsoft Corporation", OS_WIN, A_NETSVC, 0},
    {"C:\\Program Files\\Veeam\\Backup and Replication\\Backup\\"
     "Veeam.Backup.Service.exe",
     "", "Veeam Software Group GmbH", OS_WIN, A_SYSTEM, 5},
    {"C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Bin\\"
     "MSExchangeFrontendTransport.exe",
     "", "Microsoft Corporation", OS_WIN, A_NETSVC, 0},
    {"C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Bin\\"
     "MSExchangeTransport.exe",
     "", "Microsoft Corporation", OS_WIN, A_NETSVC, 0},
    {"C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Bin\\"
     "MSExchangeHMWorker.exe",
     "", "Microsoft Corporation", OS_WIN, A_SYSTEM, 6},
    {"C:\\Program Files\\PRTG Network Monitor\\PRTG Server.exe", "",
     "Paessler AG", OS_WIN, A_SYSTEM, 4},
    {"C:\\Program Files\\SolarWinds\\Orion\\SolarWinds.BusinessLayerHost."
     "exe",
     "", "SolarWinds Worldwide, LLC.", OS_WIN, A_SYSTEM, 4},
    /* --- Linux --- */
    {"/usr/bin/curl", "-fsS https://repo.contoso.com/health", "", OS_LNX,
     A_ROOT, 60},
    {"/usr/bin/wget", "-q -O- https://updates.contoso.com/manifest", "", OS_LNX,
     A_ROOT, 15},
    {"/usr/bin/python3.11",
     "/opt/app/bin/worker.py --queue default --concurrency 4", "", OS_LNX,
     A_WWW, 70},
    {"/usr/sbin/sshd", "-D", "", OS_LNX, A_ROOT, 60},
    {"/usr/bin/ssh", "-o BatchMode=yes deploy@build01", "", OS_LNX, A_USER, 15},
    {"/usr/sbin/nginx", "-g daemon off;", "", OS_LNX, A_WWW, 90},
    {"/usr/sbin/apache2", "-k start", "", OS_LNX, A_WWW, 30},
    {"/usr/bin/node", "/srv/api/dist/server.js", "", OS_LNX, A_WWW, 60},
    {"/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
     "-Xms1g -Xmx4g -jar /opt/kafka-connect/connect.jar", "", OS_LNX, A_ROOT,
     40},
    {"/usr/sbin/chronyd", "-F 1", "", OS_LNX, A_ROOT, 10},
    {"/usr/lib/systemd/systemd-resolved", "", "", OS_LNX, A_ROOT, 50},
    {"/usr/bin/dockerd",
     "-H fd:// --containerd=/run/containerd/"
     "containerd.sock",
     "", OS_LNX, A_ROOT, 40},
    {"/usr/bin/containerd", "", "", OS_LNX, A_ROOT, 30},
    {"/usr/local/bin/kubelet",
     "--config=/var/lib/kubelet/config.yaml --kubeconfig=/etc/kubernetes/"
     "kubelet.conf",
     "", OS_LNX, A_ROOT, 40},
    {"/usr/bin/apt-get", "-qq update", "", OS_LNX, A_ROOT, 5},
    {"/usr/lib/apt/methods/http", "", "", OS_LNX, A_ROOT, 10},
    {"/usr/bin/dnf", "makecache --timer", "", OS_LNX, A_ROOT, 4},
    {"/usr/sbin/rsyslogd", "-n -iNONE", "", OS_LNX, A_ROOT, 20},
    {"/opt/microsoft/mdatp/sbin/wdavdaemon", "", "", OS_LNX, A_ROOT, 40},
    {"/opt/splunkforwarder/bin/splunkd",
     "-p 8089 _internal_launch_under_"
     "systemd",
     "", OS_LNX, A_ROOT, 30},
    {"/usr/bin/filebeat",
     "--environment systemd -c /etc/filebeat/"
     "filebeat.yml",
     "", OS_LNX, A_ROOT, 20},
    {"/usr/sbin/zabbix_agent2", "-c /etc/zabbix/zabbix_agent2.conf", "", OS_LNX,
     A_ROOT, 20},
    {"/usr/sbin/zabbix_server", "-c /etc/zabbix/zabbix_server.conf", "", OS_LNX,
     A_ROOT, 2},
    {"/usr/lib/postfix/sbin/smtp", "-n smtp -t unix -u -c", "", OS_LNX, A_ROOT,
     0},
    {"/usr/lib/postfix/sbin/smtpd", "-n smtp -t inet -u -c -o stress=", "",
     OS_LNX, A_ROOT, 0},
    {"/usr/sbin/sendmail", "-t -i", "", OS_LNX, A_ROOT, 0},
    {"/usr/bin/fetchmail", "-d 300 --nodetach", "", OS_LNX, A_USER, 0},
    {"/usr/lib/thunderbird/thunderbird", "", "", OS_LNX, A_USER, 2},
    {"/usr/bin/git", "fetch --all --prune", "", OS_LNX, A_USER, 10},
    {"/usr/bin/postgres", "-D /var/lib/postgresql/15/main", "", OS_LNX, A_ROOT,
     20},
    {"/usr/sbin/mysqld", "--daemonize --pid-file=/run/mysqld/mysqld.pid", "",
     OS_LNX, A_ROOT, 15},
    {"/usr/bin/redis-server", "127.0.0.1:6379", "", OS_LNX, A_ROOT, 10},
    {"/usr/share/elasticsearch/jdk/bin/java",
     "-Xms4g -Xmx4g -Des.path.home=/usr/share/elasticsearch", "", OS_LNX,
     A_ROOT, 15},
    {"/usr/bin/prometheus", "--config.file=/etc/prometheus/prometheus.yml", "",
     OS_LNX, A_ROOT, 20},
    {"/usr/sbin/ntpd", "-u ntp:ntp -g", "", OS_LNX, A_ROOT, 5},
    {"/snap/snapd/20290/usr/lib/snapd/snapd", "", "", OS_LNX, A_ROOT, 8},
    {"/usr/bin/rclone", "sync /srv/backup remote:backup --transfers 8", "",
     OS_LNX, A_ROOT, 5},
    {"/usr/bin/nc", "-zv 10.10.0.25 25", "", OS_LNX, A_USER, 0},
    {NULL, NULL, NULL, 0, 0, 0},
};
static proc ptab[400];
static size_t nproc_;

/* Synthetic third-party agents to reach a realistic process count. */
static const char *vend_a[] = {"Acme",	   "Northwind", "Contoso",   "Fabrikam",
			       "Tailspin", "Litware",	"Proseware", "Adatum",
			       "Wingtip",  "Woodgrove"};
static const char *vend_b[] = {"Agent",	    "Updater", "Sync",	 "Telemetry",
			       "Connector", "Monitor", "Broker", "Helper"};
static char vend_path[NVENDOR][128];
static char vend_comp[NVENDOR][48];

static const char *first_names[] = {
    "alice",  "bob",	 "carol",   "dave",   "erin",	 "frank",
    "grace",  "heidi",	 "ivan",    "judy",   "mallory", "nina",
    "oscar",  "peggy",	 "quentin", "rupert", "sybil",	 "trent",
    "ursula", "victor",	 "wendy",   "xavier", "yvonne",	 "zoe",
    "amir",   "bea",	 "chen",    "dmitri", "elif",	 "fatima",
    "goran",  "hiroshi", "ines",    "jamal",  "kasia",	 "lars"};
static const char *last_names[] = {
    "moreau", "smith",	 "garcia",  "nguyen",	"kowalski", "muller",
    "rossi",  "tanaka",	 "okafor",  "jensen",	"silva",    "novak",
    "brown",  "dubois",	 "yilmaz",  "petrov",	"haddad",   "lindqvist",
    "murphy", "schmidt", "fischer", "martinez", "kim",	    "wilson"};

enum role { R_WS, R_SRV, R_LNX };

typedef struct host {
	char fqdn[48];
	char upper[48]; /* Sysmon Hostname style */
	uint8_t os, role, client;
	uint32_t ip;
	char user[24];
	uint64_t report_id, rec_id;
	uint64_t h;
} host;

static host hosts[NHOSTS];

/* Mail clients on workstations. */
enum client { C_NONE, C_OUTLOOK, C_THUNDERBIRD, C_EMCLIENT, C_EMCLIENT2 };

static int pidx(const char *path, const char *args)
{
	for (size_t i = 0; i < nproc_; i++)
		if (!strcmp(ptab[i].path, path) &&
		    (!args || !strcmp(ptab[i].args, args)))
			return (int)i;
	fprintf(stderr, "gen: internal: no process %s\n", path);
	exit(2);
}

static char lc(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

static void finish_proc(proc *p)
{
	const char *b = p->path;
	size_t i;

	for (const char *q = p->path; *q; q++)
		if (*q == '\\' || *q == '/')
			b = q + 1;
	p->base = b;
	for (i = 0; p->path[i] && i + 1 < sizeof(p->lpath); i++)
		p->lpath[i] = p->os == OS_WIN ? lc(p->path[i]) : p->path[i];
	p->lpath[i] = 0;
	p->h = hash2(0x5eed, (uint64_t)(p - ptab));
	for (const char *q = p->path; *q; q++)
		p->h = p->h * 1099511628211ULL ^ (unsigned char)*q;
}

/* Weighted pick tables for background traffic, per OS. */
static uint32_t wcum[2][400];
static int widx[2][400];
static int wn[2];

static void build_weights(void)
{
	for (size_t i = 0; i < nproc_; i++) {
		int o = ptab[i].os;

		if (!ptab[i].weight)
			continue;
		widx[o][wn[o]] = (int)i;
		wcum[o][wn[o]] =
		    (wn[o] ? wcum[o][wn[o] - 1] : 0) + ptab[i].weight;
		wn[o]++;
	}
}

static int pick_proc(mh_rng *r, int os)
{
	uint32_t x = mh_rng_below(r, wcum[os][wn[os] - 1]);
	int lo = 0, hi = wn[os] - 1;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (wcum[os][mid] > x)
			hi = mid;
		else
			lo = mid + 1;
	}
	return widx[os][lo];
}

static void init_entities(uint64_t seed)
{
	mh_rng r = {seed ^ 0xa5a5a5a5ULL};
	static const char *roles[] = {"app", "sql", "web", "file", "mx",
				      "dc",  "bkp", "mon", "k8s",  "etl"};

	for (; pdefs[nproc_].path; nproc_++) {
		const pdef *d = &pdefs[nproc_];
		proc *p = &ptab[nproc_];

		p->path = d->path;
		p->args = d->args;
		p->company = d->company;
		p->os = d->os;
		p->acct = d->acct;
		p->weight = d->weight;
	}
	for (int i = 0; i < NVENDOR; i++) {
		const char *a = vend_a[i % 10];
		const char *b = vend_b[(i / 10) % 8];
		proc *p = &ptab[nproc_++];

		snprintf(vend_comp[i], sizeof(vend_comp[i]), "%s Software Ltd",
			 a);
		snprintf(vend_path[i], sizeof(vend_path[i]),
			 "C:\\Program Files\\%s\\%s%s%d.exe", a, a, b,
			 i / 80 + 1);
		p->path = vend_path[i];
		p->args = i % 3 ? "/service" : "";
		p->company = vend_comp[i];
		p->os = OS_WIN;
		p->acct = i % 4 ? A_SYSTEM : A_USER;
		p->weight = (uint16_t)(1 + mh_rng_below(&r, 12));
	}
	for (size_t i = 0; i < nproc_; i++)
		finish_proc(&ptab[i]);
	build_weights();

	for (int i = 0; i < NHOSTS; i++) {
		host *h = &hosts[i];
		uint32_t x = mh_rng_below(&r, 100);

		h->h = hash2(seed, (uint64_t)i + 77);
		if (x < 84) {
			h->os = OS_WIN;
			h->role = R_WS;
			snprintf(h->fqdn, sizeof(h->fqdn),
				 "ws-%04d.contoso.com", i);
		} else if (x < 91) {
			h->os = OS_WIN;
			h->role = R_SRV;
			snprintf(h->fqdn, sizeof(h->fqdn),
				 "srv-%s-%02d.contoso.com", roles[i % 10],
				 i % 97);
		} else {
			h->os = OS_LNX;
			h->role = R_LNX;
			snprintf(h->fqdn, sizeof(h->fqdn),
				 "lnx-%s-%03d.contoso.com", roles[(i / 3) % 10],
				 i % 997);
		}
		for (size_t k = 0; k < sizeof(h->upper); k++) {
			char c = h->fqdn[k];

			/* Sysmon: "WS-0042.contoso.com" */
			h->upper[k] = c;
			if (!c)
				break;
		}
		for (char *q = h->upper; *q && *q != '.'; q++)
			if (*q >= 'a' && *q <= 'z')
				*q = (char)(*q - 32);
		h->ip = (10u << 24) | ((uint32_t)(20 + i / 250) << 16) |
			((uint32_t)(i % 250) << 8) |
			(1 + mh_rng_below(&r, 250));
		snprintf(h->user, sizeof(h->user), "%s.%s",
			 first_names[mh_rng_below(&r, 36)],
			 last_names[mh_rng_below(&r, 24)]);
		if (h->role == R_WS) {
			x = mh_rng_below(&r, 100);
			h->client = x < 55   ? C_OUTLOOK
				    : x < 63 ? C_THUNDERBIRD
				    : x < 66 ? C_EMCLIENT
				    : x < 68 ? C_EMCLIENT2
					     : C_NONE;
		}
		h->report_id = 1000 + mh_rng_below(&r, 50000);
		h->rec_id = 100000 + mh_rng_below(&r, 5000000);
	}
}

/* ----------------------------------------------------------- IP pools */

static uint32_t public_ip(uint32_t k)
{
	uint64_t x = hash2(0xb0b, k);
	uint32_t a = (uint32_t)(x >> 56);

	/* avoid 0/10/127/172.16/192.168/224+ */
	a = 11 + a % 200;
	if (a == 127 || a == 172 || a == 192 || a == 100)
		a++;
	return (a << 24) | (uint32_t)(x & 0xffffff);
}

static const char *domains[] = {"login.microsoftonline.com",
				"graph.microsoft.com",
				"officecdn.microsoft.com",
				"settings-win.data.microsoft.com",
				"v10.events.data.microsoft.com",
				"www.google.com",
				"update.googleapis.com",
				"clients4.google.com",
				"github.com",
				"objects.githubusercontent.com",
				"slack.com",
				"zoom.us",
				"s3.amazonaws.com",
				"cdn.jsdelivr.net",
				"winatp-gw-weu.microsoft.com",
				"teams.microsoft.com",
				"api.dropboxapi.com",
				"www.linkedin.com",
				"sync.1rx.io",
				"image6.pubmatic.com",
				"ctldl.windowsupdate.com",
				"dl.delivery.mp.microsoft.com",
				"ocsp.digicert.com",
				"crl.globalsign.com"};

/* Mail destinations. */
typedef struct mdst {
	uint32_t ip;
	const char *url;
} mdst;

#define IP4(a, b, c, d)                                                        \
	(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) |                       \
	 ((uint32_t)(c) << 8) | (uint32_t)(d))

static const mdst o365[] = {
    {IP4(52, 97, 146, 18), "outlook.office365.com"},
    {IP4(52, 97, 201, 226), "outlook.office365.com"},
    {IP4(40, 99, 150, 82), "outlook.office365.com"},
    {IP4(52, 98, 32, 50), "smtp.office365.com"},
    {IP4(40, 101, 42, 130), "smtp.office365.com"},
    {IP4(52, 96, 88, 2), "outlook.office365.com"},
};
static const mdst gmail[] = {
    {IP4(142, 250, 102, 108), "imap.gmail.com"},
    {IP4(142, 250, 102, 109), "smtp.gmail.com"},
    {IP4(64, 233, 184, 108), "imap.gmail.com"},
    {IP4(74, 125, 140, 109), "smtp.gmail.com"},
};
static const mdst onprem[] = {
    {IP4(10, 10, 0, 25), "mail.contoso.com"},
    {IP4(10, 10, 0, 26), "mail.contoso.com"},
    {IP4(10, 10, 0, 30), "smtp-relay.contoso.com"},
};
static const mdst misc[] = {
    {IP4(167, 89, 118, 52), "smtp.sendgrid.net"},
    {IP4(185, 70, 42, 45), "mail.protonmail.ch"},
    {IP4(212, 227, 15, 183), "imap.gmx.net"},
    {IP4(87, 248, 110, 35), "imap.mail.yahoo.com"},
};

/* -------------------------------------------------------------- events */

enum action { ACT_OK, ACT_ATTEMPT, ACT_FAILED, ACT_INBOUND, ACT_LISTEN };
static const char *act_name[] = {
    "ConnectionSuccess", "ConnectionAttempt", "ConnectionFailed",
    "InboundConnectionAccepted", "ListeningConnectionCreated"};

typedef struct ev {
	int64_t t;
	int hi, pi;
	uint32_t rip;
	uint16_t rport, lport;
	uint8_t act, udp;
	const char *url; /* may be NULL */
	uint64_t sent, recv;
} ev;

static const char *acct_name(const host *h, const proc *p)
{
	switch (p->acct) {
	case A_USER:
		return h->user;
	case A_SYSTEM:
		return h->os == OS_WIN ? "system" : "root";
	case A_NETSVC:
		return "network service";
	case A_LOCALSVC:
		return "local service";
	case A_WWW:
		return "www-data";
	default:
		return "root";
	}
}

static uint32_t pid_of(const host *h, const proc *p)
{
	uint32_t v = (uint32_t)hash2(h->h, p->h);

	return h->os == OS_WIN ? 4 * (100 + v % 15000) : 300 + v % 60000;
}

static void emit_mde(const ev *e)
{
	host *h = &hosts[e->hi];
	const proc *p = &ptab[e->pi];
	bool inb = e->act == ACT_INBOUND || e->act == ACT_LISTEN;

	PUTL("{\"Timestamp\":\"");
	put_time(e->t, 0);
	PUTL("\",\"DeviceId\":\"");
	put_hex(h->h, 40);
	PUTL("\",\"DeviceName\":\"");
	puts_(h->fqdn);
	PUTL("\",\"ActionType\":\"");
	puts_(act_name[e->act]);
	PUTL("\",\"RemoteIP\":\"");
	if (e->act == ACT_LISTEN)
		PUTL("0.0.0.0");
	else
		put_ip(e->rip);
	PUTL("\",\"RemotePort\":");
	put_u64(e->act == ACT_LISTEN ? 0 : e->rport);
	PUTL(",\"RemoteUrl\":\"");
	if (e->url)
		puts_(e->url);
	PUTL("\",\"LocalIP\":\"");
	put_ip(h->ip);
	PUTL("\",\"LocalPort\":");
	put_u64(e->lport);
	PUTL(",\"Protocol\":\"");
	puts_(e->udp ? "Udp" : "Tcp");
	PUTL("\",\"InitiatingProcessSHA256\":\"");
	put_hex(p->h, 64);
	PUTL("\",\"InitiatingProcessFileName\":\"");
	put_js(p->base);
	PUTL("\",\"InitiatingProcessFolderPath\":\"");
	put_js(p->lpath);
	PUTL("\",\"InitiatingProcessId\":");
	put_u64(pid_of(h, p));
	PUTL(",\"InitiatingProcessCommandLine\":\"");
	if (p->os == OS_WIN) {
		PUTL("\\\"");
		put_js(p->base);
		PUTL("\\\"");
	} else {
		put_js(p->path);
	}
	if (*p->args) {
		putc_(' ');
		put_js(p->args);
	}
	PUTL("\",\"InitiatingProcessAccountName\":\"");
	put_js(acct_name(h, p));
	PUTL("\",\"AccountName\":\"");
	put_js(acct_name(h, p));
	PUTL("\",\"SentBytes\":");
	put_u64(inb ? e->recv : e->sent);
	PUTL(",\"ReportId\":");
	put_u64(h->report_id++);
	PUTL("}\n");
}

static const char *port_name(unsigned port)
{
	switch (port) {
	case 25:
		return "smtp";
	case 465:
		return "submissions";
	case 587:
		return "submission";
	case 110:
		return "pop3";
	case 995:
		return "pop3s";
	case 143:
		return "imap";
	case 993:
		return "imaps";
	case 443:
		return "https";
	case 80:
		return "http";
	case 53:
		return "domain";
	case 88:
		return "kerberos";
	case 389:
		return "ldap";
	case 445:
		return "microsoft-ds";
	case 135:
		return "epmap";
	case 3389:
		return "ms-wbt-server";
	case 22:
		return "ssh";
	default:
		return "-";
	}
}

static void emit_sysmon(const ev *e)
{
	host *h = &hosts[e->hi];
	const proc *p = &ptab[e->pi];
	uint64_t ph = hash2(h->h, p->h);
	bool inb = e->act == ACT_INBOUND || e->act == ACT_LISTEN;
	uint32_t sip = inb ? e->rip : h->ip, dip = inb ? h->ip : e->rip;
	unsigned sport = inb ? e->rport : e->lport;
	unsigned dport = inb ? e->lport : e->rport;
	int64_t ingest = e->t + 1000000000LL + (int64_t)(ph % 2000) * 1000000;

	if (h->os == OS_WIN)
		PUTL("{\"EventID\":3,\"Channel\":\"Microsoft-Windows-Sysmon/"
		     "Operational\",\"Hostname\":\"");
	else
		PUTL("{\"EventID\":3,\"Channel\":\"Linux-Sysmon/Operational\","
		     "\"Hostname\":\"");
	puts_(h->os == OS_WIN ? h->upper : h->fqdn);
	PUTL("\",\"EventRecordID\":\"");
	put_u64(h->rec_id++);
	PUTL("\",\"RuleName\":\"");
	if (dport == 25 || dport == 587 || dport == 993 || dport == 465)
		PUTL("technique_id=T1071.003,technique_name=Mail Protocols");
	else
		PUTL("-");
	PUTL("\",\"UtcTime\":\"");
	put_time(e->t, 1);
	/* the collector's ingest time: a second time field, never UtcTime */
	PUTL("\",\"@timestamp\":\"");
	put_time(ingest, 2);
	PUTL("\",\"ProcessGuid\":\"{");
	put_hex(h->h, 8);
	putc_('-');
	put_hex(ph, 4);
	PUTL("-6553-");
	put_hex(ph + 1, 4);
	putc_('-');
	put_hex(ph + 2, 12);
	PUTL("}\",\"ProcessId\":\"");
	put_u64(pid_of(h, p));
	PUTL("\",\"Image\":\"");
	put_js(p->path);
	PUTL("\",\"User\":\"");
	if (h->os == OS_WIN) {
		switch (p->acct) {
		case A_USER:
			PUTL("CORP\\\\");
			put_js(h->user);
			break;
		case A_NETSVC:
			PUTL("NT AUTHORITY\\\\NETWORK SERVICE");
			break;
		case A_LOCALSVC:
			PUTL("NT AUTHORITY\\\\LOCAL SERVICE");
			break;
		default:
			PUTL("NT AUTHORITY\\\\SYSTEM");
		}
	} else {
		put_js(acct_name(h, p));
	}
	PUTL("\",\"Protocol\":\"");
	puts_(e->udp ? "udp" : "tcp");
	PUTL("\",\"Initiated\":\"");
	puts_(inb ? "false" : "true");
	PUTL("\",\"SourceIsIpv6\":\"false\",\"SourceIp\":\"");
	put_ip(sip);
	PUTL("\",\"SourceHostname\":\"");
	if (inb || h->os == OS_LNX)
		PUTL("-");
	else
		puts_(h->upper);
	PUTL("\",\"SourcePort\":\"");
	put_u64(sport);
	PUTL("\",\"SourcePortName\":\"");
	puts_(inb ? "-" : port_name(sport));
	PUTL("\",\"DestinationIsIpv6\":\"false\",\"DestinationIp\":\"");
	put_ip(dip);
	PUTL("\",\"DestinationHostname\":\"");
	if (inb)
		puts_(h->os == OS_WIN ? h->upper : h->fqdn);
	else if (e->url)
		puts_(e->url);
	else
		PUTL("-");
	PUTL("\",\"DestinationPort\":\"");
	put_u64(dport);
	PUTL("\",\"DestinationPortName\":\"");
	puts_(port_name(dport));
	PUTL("\"}\n");
}

/* Background (non-mail) ports, weighted; includes near-miss ports that
 * share digits with mail ports. */
static const struct {
	uint16_t port;
	uint16_t w;
} bports[] = {{443, 6000}, {80, 1100}, {53, 450},   {445, 350}, {389, 300},
	      {88, 200},   {135, 150}, {8080, 180}, {3389, 60}, {5985, 60},
	      {22, 80},	   {8443, 80}, {1433, 40},  {3268, 40}, {636, 40},
	      {123, 40},   {9200, 30}, {5432, 30},  {3306, 30}, {6379, 10},
	      {2500, 8},   {9930, 6},  {5870, 6},   {4650, 5},	{1100, 5},
	      {9950, 5},   {1430, 5},  {25565, 6},  {9993, 4},	{12525, 3},
	      {49152, 30}, {50443, 20}};

static uint32_t bport_cum[sizeof(bports) / sizeof(bports[0])];

static uint16_t pick_bport(mh_rng *r)
{
	size_t n = sizeof(bports) / sizeof(bports[0]);
	uint32_t x = mh_rng_below(r, bport_cum[n - 1]);

	for (size_t i = 0; i < n; i++)
		if (x < bport_cum[i])
			return bports[i].port;
	return 443;
}

static uint16_t ephemeral(mh_rng *r, int os)
{
	return (uint16_t)(os == OS_WIN ? 49152 + mh_rng_below(r, 16000)
				       : 32768 + mh_rng_below(r, 28000));
}

static void background(mh_rng *r, ev *e)
{
	host *h;
	uint32_t x;

	e->hi = (int)mh_rng_below(r, NHOSTS);
	h = &hosts[e->hi];
	e->pi = pick_proc(r, h->os);
	e->rport = pick_bport(r);
	e->udp = e->rport == 53 || e->rport == 123;
	e->lport = ephemeral(r, h->os);
	e->url = NULL;
	if (e->rport == 53 || e->rport == 88 || e->rport == 389 ||
	    e->rport == 445 || e->rport == 135 || e->rport == 3268 ||
	    e->rport == 636) {
		e->rip = IP4(10, 0, 0, 10 + mh_rng_below(r, 4));
	} else if (e->rport == 3389 || e->rport == 5985 || e->rport == 22 ||
		   e->rport == 1433 || e->rport == 5432 || e->rport == 3306 ||
		   e->rport == 6379 || e->rport == 9200) {
		e->rip = hosts[mh_rng_below(r, NHOSTS)].ip;
	} else {
		uint32_t k = mh_rng_below(r, 20000);

		e->rip = public_ip(k);
		if (k % 10 < 7)
			e->url =
			    domains[k % (sizeof(domains) / sizeof(domains[0]))];
	}
	x = mh_rng_below(r, 1000);
	e->act = x < 900   ? ACT_OK
		 : x < 940 ? ACT_ATTEMPT
		 : x < 960 ? ACT_FAILED
		 : x < 985 ? ACT_INBOUND
			   : ACT_LISTEN;
	if (e->act == ACT_INBOUND || e->act == ACT_LISTEN) {
		/* a peer connects to one of our service ports */
		static const uint16_t svc[] = {445, 3389, 5985, 135, 22, 443};

		e->lport = svc[mh_rng_below(r, 6)];
		e->rport = ephemeral(r, OS_WIN);
		e->rip = IP4(10, 20 + mh_rng_below(r, 12), mh_rng_below(r, 250),
			     1 + mh_rng_below(r, 250));
		e->udp = 0;
		e->url = NULL;
	}
	e->sent = 60 + mh_rng_below(r, 40000);
	e->recv = 60 + mh_rng_below(r, 400000);
}

/* Mail-port traffic: clients, server senders, one-offs. */
static int hosts_by_client[5][NHOSTS];
static int nby_client[5];
static int hosts_by_role[3][NHOSTS];
static int nby_role[3];

typedef struct sender {
	int hi, pi;
	mdst dst;
	uint16_t port;
} sender;
static sender senders[80];
static int nsenders;
static int p_outlook, p_outlook2, p_tb_win, p_tb_lnx, p_em1, p_em2, p_edge,
    p_chrome, p_postfix, p_smtpd, p_exfront, p_nc;

static uint16_t client_port(mh_rng *r)
{
	uint32_t x = mh_rng_below(r, 100);

	return x < 35	? 993
	       : x < 68 ? 587
	       : x < 76 ? 465
	       : x < 81 ? 143
	       : x < 86 ? 995
	       : x < 89 ? 110
			: 25;
}

static void init_mail(uint64_t seed)
{
	mh_rng r = {seed ^ 0x3a11ULL};
	static const struct {
		const char *path, *args;
		int role;
		uint16_t port;
	} sp[] = {
	    {"C:\\Program Files\\Java\\jre1.8.0_391\\bin\\java.exe", NULL,
	     R_SRV, 25},
	    {"C:\\Windows\\System32\\inetsrv\\w3wp.exe", NULL, R_SRV, 25},
	    {"C:\\Program Files\\Microsoft SQL Server\\MSSQL15.MSSQLSERVER\\"
	     "MSSQL\\Binn\\DatabaseMail.exe",
	     NULL, R_SRV, 587},
	    {"C:\\Program Files\\Veeam\\Backup and Replication\\Backup\\"
	     "Veeam.Backup.Service.exe",
	     NULL, R_SRV, 587},
	    {"C:\\Program Files\\PRTG Network Monitor\\PRTG Server.exe", NULL,
	     R_SRV, 25},
	    {"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\"
	     "powershell.exe",
	     "-NoProfile -File C:\\IT\\inventory.ps1", R_SRV, 587},
	    {"C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Bin\\"
	     "MSExchangeTransport.exe",
	     NULL, R_SRV, 25},
	    {"/usr/bin/python3.11", NULL, R_LNX, 587},
	    {"/usr/sbin/zabbix_server", NULL, R_LNX, 25},
	    {"/usr/sbin/sendmail", NULL, R_LNX, 25},
	    {"/usr/lib/jvm/java-17-openjdk-amd64/bin/java", NULL, R_LNX, 465},
	    {"/usr/bin/fetchmail", NULL, R_LNX, 995},
	    {"/usr/bin/python3.11", NULL, R_LNX, 2525},
	};

	for (int i = 0; i < NHOSTS; i++) {
		host *h = &hosts[i];

		hosts_by_client[h->client][nby_client[h->client]++] = i;
		hosts_by_role[h->role][nby_role[h->role]++] = i;
	}
	p_outlook = pidx("C:\\Program Files\\Microsoft Office\\root\\Office16"
			 "\\OUTLOOK.EXE",
			 NULL);
	p_outlook2 = pidx("C:\\Program Files (x86)\\Microsoft Office\\root\\"
			  "Office16\\Outlook.exe",
			  NULL);
	p_tb_win = pidx("C:\\Program Files\\Mozilla Thunderbird\\"
			"thunderbird.exe",
			NULL);
	p_tb_lnx = pidx("/usr/lib/thunderbird/thunderbird", NULL);
	p_em1 =
	    pidx("C:\\Program Files (x86)\\eM Client\\MailClient.exe", NULL);
	p_em2 = pidx("C:\\Program Files (x86)\\eM Client\\eM Client.exe", NULL);
	p_edge = pidx("C:\\Program Files (x86)\\Microsoft\\Edge\\Application"
		      "\\msedge.exe",
		      NULL);
	p_chrome = pidx("C:\\Program Files\\Google\\Chrome\\Application\\"
			"chrome.exe",
			NULL);
	p_postfix = pidx("/usr/lib/postfix/sbin/smtp", NULL);
	p_smtpd = pidx("/usr/lib/postfix/sbin/smtpd", NULL);
	p_exfront = pidx("C:\\Program Files\\Microsoft\\Exchange Server\\V15"
			 "\\Bin\\MSExchangeFrontendTransport.exe",
			 NULL);
	p_nc = pidx("/usr/bin/nc", NULL);
	for (int i = 0; i < 60; i++) {
		int k = (int)mh_rng_below(&r, sizeof(sp) / sizeof(sp[0]));
		sender *s = &senders[nsenders++];
		int role = sp[k].role;

		s->hi =
		    hosts_by_role[role]
				 [mh_rng_below(&r, (uint32_t)nby_role[role])];
		s->pi = pidx(sp[k].path, sp[k].args);
		s->port = sp[k].port;
		if (s->port == 2525)
			s->dst = misc[0];
		else if (mh_rng_below(&r, 3))
			s->dst = onprem[2];
		else
			s->dst = o365[3 + mh_rng_below(&r, 2)];
		if (mh_rng_below(&r, 4) == 0)
			s->dst = onprem[mh_rng_below(&r, 2)];
	}
}

static void mail_event(mh_rng *r, ev *e)
{
	uint32_t x = mh_rng_below(r, 1000);
	host *h;

	e->udp = 0;
	e->act = ACT_OK;
	if (x < 430) {
		/* Outlook, occasionally with a different file-name case */
		e->hi = hosts_by_client[C_OUTLOOK][mh_rng_below(
		    r, (uint32_t)nby_client[C_OUTLOOK])];
		/* 32-bit Office installs report "Outlook.exe" */
		e->pi = e->hi % 10 == 3 ? p_outlook2 : p_outlook;
		e->rport = client_port(r);
		{
			const mdst *d =
			    e->hi % 4 ? &o365[e->hi % 3] : &onprem[e->hi % 2];

			if (e->rport == 587 || e->rport == 25 ||
			    e->rport == 465)
				d = e->hi % 4 ? &o365[3 + e->hi % 2]
					      : &onprem[e->hi % 2];
			e->rip = d->ip;
			e->url = d->url;
		}
	} else if (x < 530) {
		int lnx = mh_rng_below(r, 5) == 0;

		if (lnx) {
			e->hi = hosts_by_role[R_LNX][mh_rng_below(
			    r, (uint32_t)nby_role[R_LNX])];
			e->pi = p_tb_lnx;
		} else {
			e->hi = hosts_by_client[C_THUNDERBIRD][mh_rng_below(
			    r, (uint32_t)nby_client[C_THUNDERBIRD])];
			e->pi = p_tb_win;
		}
		e->rport = client_port(r);
		{
			const mdst *d = &gmail[e->hi % 4];

			e->rip = d->ip;
			e->url = d->url;
		}
	} else if (x < 570) {
		int c = mh_rng_below(r, 2) ? C_EMCLIENT : C_EMCLIENT2;

		e->hi =
		    hosts_by_client[c]
				   [mh_rng_below(r, (uint32_t)nby_client[c])];
		e->pi = c == C_EMCLIENT ? p_em1 : p_em2;
		e->rport = client_port(r);
		e->rip = misc[1 + e->hi % 3].ip;
		e->url = misc[1 + e->hi % 3].url;
	} else if (x < 600) {
		/* webmail helpers / browsers on mail ports (excluded) */
		e->hi =
		    hosts_by_role[R_WS]
				 [mh_rng_below(r, (uint32_t)nby_role[R_WS])];
		e->pi = mh_rng_below(r, 2) ? p_edge : p_chrome;
		e->rport = mh_rng_below(r, 2) ? 993 : 587;
		e->rip = gmail[mh_rng_below(r, 4)].ip;
		e->url = NULL;
	} else if (x < 860) {
		const sender *s = &senders[mh_rng_below(r, (uint32_t)nsenders)];

		e->hi = s->hi;
		e->pi = s->pi;
		e->rport = s->port;
		e->rip = s->dst.ip;
		e->url = s->dst.url;
	} else if (x < 910) {
		/* postfix relays delivering to many MX hosts */
		int k = (int)mh_rng_below(r, 4);

		e->hi = hosts_by_role[R_LNX][k * 7 % nby_role[R_LNX]];
		e->pi = p_postfix;
		e->rport = 25;
		e->rip = public_ip(100000 + mh_rng_below(r, 400));
		e->url = NULL;
	} else if (x < 940) {
		/* inbound SMTP on Exchange / postfix servers */
		int k = (int)mh_rng_below(r, 3);

		if (k < 2) {
			e->hi = hosts_by_role[R_SRV][k * 5 % nby_role[R_SRV]];
			e->pi = p_exfront;
		} else {
			e->hi = hosts_by_role[R_LNX][0];
			e->pi = p_smtpd;
		}
		e->act = ACT_INBOUND;
		e->lport = 25;
		e->rport = ephemeral(r, OS_LNX);
		e->rip = public_ip(200000 + mh_rng_below(r, 300));
		e->url = NULL;
		goto bytes;
	} else if (x < 975) {
		/* one-off tests: background process to a mail port */
		h = &hosts[mh_rng_below(r, NHOSTS)];
		e->hi = (int)(h - hosts);
		e->pi = h->os == OS_LNX && mh_rng_below(r, 3) == 0
			    ? p_nc
			    : pick_proc(r, h->os);
		e->rport = client_port(r);
		e->rip = onprem[mh_rng_below(r, 3)].ip;
		e->url = NULL;
	} else {
		/* failed / attempted connections by clients */
		e->hi = hosts_by_client[C_OUTLOOK][mh_rng_below(
		    r, (uint32_t)nby_client[C_OUTLOOK])];
		e->pi = p_outlook;
		e->rport = client_port(r);
		e->rip = o365[mh_rng_below(r, 6)].ip;
		e->url = "outlook.office365.com";
	}
	h = &hosts[e->hi];
	e->lport = ephemeral(r, h->os);
	x = mh_rng_below(r, 1000);
	if (x < 40)
		e->act = ACT_ATTEMPT;
	else if (x < 65)
		e->act = ACT_FAILED;
bytes:
	e->sent = 300 + mh_rng_below(r, 60000);
	e->recv = 200 + mh_rng_below(r, 20000);
}

/* Planted beacons: a non-mail process on a few hosts polling a mail
 * port every `period` with +-jitter. */
typedef struct beacon {
	const char *path; /* process (added to ptab if absent) */
	int role;
	uint16_t port;
	uint32_t ip, ip2; /* ip2: alternate C2 address, 0 = none */
	int64_t period, jitter;
	/* state */
	int hi, pi;
	int64_t next;
	uint64_t n;
} beacon;

static beacon beacons[] = {
    {"C:\\ProgramData\\Microsoft\\Windows\\Caches\\msupdate.exe", R_WS, 993,
     IP4(185, 141, 63, 120), 0, 10, 2, 0, 0, 0, 0},
    {"C:\\Windows\\System32\\rundll32.exe", R_WS, 587, IP4(45, 77, 13, 240), 0,
     15, 3, 0, 0, 0, 0},
    {"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", R_SRV,
     993, IP4(91, 219, 236, 18), IP4(91, 219, 236, 19), 5, 1, 0, 0, 0, 0},
    {"/tmp/.cache/kworkerd", R_LNX, 993, IP4(193, 37, 212, 7), 0, 7, 1, 0, 0, 0,
     0},
    {"C:\\Users\\Public\\Libraries\\OneDriveUpdater.exe", R_WS, 587,
     IP4(52, 98, 32, 50), 0, 30, 6, 0, 0, 0, 0},
    {"C:\\Users\\Public\\OUTLOOK.EXE", R_WS, 993, IP4(104, 168, 44, 9), 0, 12,
     3, 0, 0, 0, 0},
};
#define NBEACONS (sizeof(beacons) / sizeof(beacons[0]))

static void init_beacons(uint64_t seed)
{
	mh_rng r = {seed ^ 0xbeac0ULL};

	for (size_t i = 0; i < NBEACONS; i++) {
		beacon *b = &beacons[i];
		int found = -1;

		for (size_t k = 0; k < nproc_; k++)
			if (!strcmp(ptab[k].path, b->path)) {
				found = (int)k;
				break;
			}
		if (found < 0) {
			proc *p = &ptab[nproc_];

			p->path = b->path;
			p->args = "";
			p->company = "";
			p->os = b->role == R_LNX ? OS_LNX : OS_WIN;
			p->acct = b->role == R_LNX ? A_WWW : A_USER;
			finish_proc(p);
			found = (int)nproc_++;
		}
		b->pi = found;
		b->hi = hosts_by_role[b->role][mh_rng_below(
		    &r, (uint32_t)nby_role[b->role])];
		b->period *= 60LL * 1000000000LL;
		b->jitter *= 60LL * 1000000000LL;
		b->next = END_NS - SPAN_NS +
			  (int64_t)mh_rng_below(&r, 600) * 1000000000LL;
	}
}

static void beacon_event(mh_rng *r, beacon *b, ev *e)
{
	e->t = b->next;
	e->hi = b->hi;
	e->pi = b->pi;
	e->rport = b->port;
	e->rip = b->ip2 && (b->n & 1) ? b->ip2 : b->ip;
	e->url = NULL;
	e->udp = 0;
	e->act = ACT_OK;
	e->lport = ephemeral(r, hosts[b->hi].os);
	e->sent = 400 + mh_rng_below(r, 900);
	e->recv = 300 + mh_rng_below(r, 3000);
	b->n++;
	b->next += b->period - b->jitter +
		   (int64_t)(mh_rng_next(r) % (uint64_t)(2 * b->jitter + 1));
}

/* ---------------------------------------------------------------- main */

/* Mean line length of this dialect, from a trial run of 20000 events
 * whose output is discarded (host counters are restored), so that the
 * file spans the full 72 h whatever its size. */
static uint64_t estimate_mean(void (*emit)(const ev *), uint64_t seed)
{
	static host saved[NHOSTS];
	mh_rng r = {seed ^ 0x7e57ULL};
	uint64_t total = 0;
	const int n = 20000;

	memcpy(saved, hosts, sizeof(hosts));
	for (int i = 0; i < n; i++) {
		ev e;

		if (mh_rng_below(&r, 1000) < MAIL_PERMIL)
			mail_event(&r, &e);
		else
			background(&r, &e);
		e.t = END_NS;
		emit(&e);
		total += olen;
		olen = 0;
	}
	memcpy(hosts, saved, sizeof(hosts));
	return total / (uint64_t)n;
}

static bool parse_size(const char *s, uint64_t *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v <= 0)
		return false;
	switch (*end) {
	case 'k':
	case 'K':
		v *= 1024.0;
		end++;
		break;
	case 'm':
	case 'M':
		v *= 1048576.0;
		end++;
		break;
	case 'g':
	case 'G':
		v *= 1073741824.0;
		end++;
		break;
	default:
		break;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end)
		return false;
	*out = (uint64_t)v;
	return true;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: gen --dialect mde|sysmon --size SIZE [--seed N] "
		"[-o FILE]\n"
		"  SIZE: bytes, or with K/M/G (binary) suffix, e.g. 1G, "
		"100M\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *dialect = NULL, *out = NULL;
	uint64_t size = 0, seed = 1, nest, nev = 0, nmail = 0, nbeacon = 0;
	int64_t dt, tmax = 0, tmin = INT64_MAX;
	mh_rng r;
	void (*emit)(const ev *);
	char meta[4096];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dialect") && i + 1 < argc) {
			dialect = argv[++i];
		} else if (!strcmp(argv[i], "--size") && i + 1 < argc) {
			if (!parse_size(argv[++i], &size))
				usage();
		} else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			char *end;

			seed = strtoull(argv[++i], &end, 10);
			if (*end)
				usage();
		} else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			out = argv[++i];
		} else {
			usage();
		}
	}
	if (!dialect || !size)
		usage();
	if (!strcmp(dialect, "mde"))
		emit = emit_mde;
	else if (!strcmp(dialect, "sysmon"))
		emit = emit_sysmon;
	else
		usage();
	ofp = out ? fopen(out, "wb") : stdout;
	if (!ofp) {
		fprintf(stderr, "gen: %s: %s\n", out, strerror(errno));
		return 1;
	}

	for (size_t i = 0; i < sizeof(bports) / sizeof(bports[0]); i++)
		bport_cum[i] = (i ? bport_cum[i - 1] : 0) + bports[i].w;
	init_entities(seed);
	init_mail(seed);
	init_beacons(seed);

	nest = size / estimate_mean(emit, seed) + 1;
	dt = SPAN_NS / (int64_t)nest;
	r.s = seed * 0x2545f4914f6cdd1dULL + 12345;
	for (uint64_t i = 0; obytes + olen < size; i++) {
		ev e;
		int64_t base = END_NS - SPAN_NS + (int64_t)i * dt;

		for (;;) {
			beacon *b = NULL;

			for (size_t k = 0; k < NBEACONS; k++)
				if (beacons[k].next <= base &&
				    (!b || beacons[k].next < b->next))
					b = &beacons[k];
			if (!b)
				break;
			beacon_event(&r, b, &e);
			goto have;
		}
		if (mh_rng_below(&r, 1000) < MAIL_PERMIL)
			mail_event(&r, &e);
		else
			background(&r, &e);
		/* near-sorted: up to +-1.5 s of export jitter */
		e.t = base - 1500000000LL +
		      (int64_t)(mh_rng_next(&r) % 3000000000ULL);
	have:
		if (e.t > tmax)
			tmax = e.t;
		if (e.t < tmin)
			tmin = e.t;
		if (e.rport == 25 || e.rport == 465 || e.rport == 587 ||
		    e.rport == 110 || e.rport == 995 || e.rport == 143 ||
		    e.rport == 993 || e.rport == 2525 ||
		    (e.act == ACT_INBOUND && e.lport == 25))
			nmail++;
		emit(&e);
		nev++;
		if (olen > sizeof(obuf) - 4096)
			oflush();
	}
	oflush();
	if (out && fclose(ofp)) {
		fprintf(stderr, "gen: %s: %s\n", out, strerror(errno));
		return 1;
	}
	for (size_t k = 0; k < NBEACONS; k++)
		nbeacon += beacons[k].n;
	fprintf(stderr,
		"gen: %s: %" PRIu64 " events, %" PRIu64
		" bytes (mean %.0f B/line), "
		"%" PRIu64 " on mail ports, %" PRIu64 " beacon events\n",
		dialect, nev, obytes, (double)obytes / (double)nev, nmail,
		nbeacon);
	if (out) {
		FILE *m;
		char ts[64];
		size_t save = olen;

		/* format max time with the dialect's style into ts */
		put_time(tmax, !strcmp(dialect, "mde") ? 0 : 1);
		memcpy(ts, obuf + save, olen - save);
		ts[olen - save] = 0;
		olen = save;
		snprintf(meta, sizeof(meta), "%s.meta", out);
		m = fopen(meta, "w");
		if (!m) {
			fprintf(stderr, "gen: %s: %s\n", meta, strerror(errno));
			return 1;
		}
		fprintf(m,
			"dialect=%s\nseed=%" PRIu64 "\nevents=%" PRIu64
			"\nbytes=%" PRIu64 "\nmail_port_events=%" PRIu64
			"\nbeacon_events=%" PRIu64 "\nmax_time=%s\n"
			"max_time_ns=%" PRId64 "\nmin_time_ns=%" PRId64 "\n",
			dialect, seed, nev, obytes, nmail, nbeacon, ts, tmax,
			tmin);
		for (size_t k = 0; k < NBEACONS; k++)
			fprintf(m, "beacon=%s %s %u every %lldm\n",
				hosts[beacons[k].hi].fqdn,
				ptab[beacons[k].pi].base, beacons[k].port,
				(long long)(beacons[k].period / 60000000000LL));
		if (fclose(m)) {
			fprintf(stderr, "gen: %s: %s\n", meta, strerror(errno));
			return 1;
		}
	}
	return 0;
}
