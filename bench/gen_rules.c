/* gen_rules: deterministic generator of Sigma detection rules for the
 * many-rules benchmark (bench/many-rules.sh).
 *
 *   gen_rules --mix ports|contains|mixed --count N [--seed S] -o DIR
 *
 * Writes DIR/rule-NNNN.yml, one detection rule per file, over the fields
 * of the Defender-named bench data (bench/gen.c): DestinationPort,
 * Image, ProcessName, CommandLine, User, Computer, DestinationIp,
 * DestinationHostname. Rule i depends only on (mix, seed, i), so the
 * rules of `--count 1` are the first rule of `--count 500`.
 *
 * Mixes:
 *  - ports:    every rule requires a DestinationPort list (no 80/443/53),
 *              most with an Image|endswith or ProcessName list, some with
 *              a `not` filter on User or DestinationIp|cidr;
 *  - contains: CommandLine|contains lists of many distinct needles (some
 *              |all, some |cased), some with an Image|endswith selection
 *              and a `not` filter;
 *  - mixed:    a blend of the above plus Image|startswith,
 *              DestinationIp|cidr, User/Computer equality lists,
 *              DestinationHostname|endswith and |windash.
 * A few needles and names are taken from the bench data so that some
 * rules fire; most do not. Deterministic: same arguments, same bytes. */
#define _GNU_SOURCE
#include "../src/util/splitmix.h" /* mh_rng: the PRNG */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* true with probability pct/100 */
static bool chance(mh_rng *r, uint32_t pct)
{
	return mh_rng_below(r, 100) < pct;
}

static const char *pick(mh_rng *r, const char *const *a, size_t n)
{
	return a[mh_rng_below(r, (uint32_t)n)];
}

/* ------------------------------------------------------------ pools */

/* No 80, 443 or 53: a port-bound rule is about rare ports. */
static const int ports[] = {
    25,	  465,	 587,  2525, 110,  995,	 143,  993,  4444,  1337, 6667, 8081,
    9001, 31337, 5985, 5986, 3389, 22,	 23,   21,   1433,  5432, 3306, 9200,
    636,  3268,	 135,  88,   8443, 2500, 9930, 1080, 50050, 8888};

static const char *const bad_images[] = {
    "\\powershell.exe", "\\pwsh.exe",	     "\\cmd.exe",      "\\wscript.exe",
    "\\cscript.exe",	"\\mshta.exe",	     "\\rundll32.exe", "\\regsvr32.exe",
    "\\certutil.exe",	"\\bitsadmin.exe",   "\\python.exe",   "\\msupdate.exe",
    "\\msbuild.exe",	"\\installutil.exe", "\\wmic.exe",     "\\curl.exe",
    "\\blat.exe",	"\\sendemail.exe",   "\\swaks.exe",    "\\nc.exe",
    "\\ncat.exe",	"\\socat.exe",	     "\\plink.exe",    "\\psexec.exe",
    "\\AnyDesk.exe",	"\\procdump.exe"};

/* in the bench data (a rule using one fires) */
static const char *const real_images[] = {
    "\\w3wp.exe", "\\zoom.exe", "\\code.exe", "\\ccmexec.exe", "\\java.exe"};

static const char *const real_names[] = {"w3wp.exe", "Zoom.exe", "Code.exe",
					 "CcmExec.exe", "slack.exe"};

static const char *const starts[] = {
    "C:\\Users\\", "C:\\ProgramData\\", "C:\\Windows\\Temp\\",
    "/tmp/",	   "/dev/shm/",		"C:\\PerfLogs\\",
    "/var/tmp/",   "C:\\Recycler\\",	"C:\\Users\\Public\\",
    "/home/",	   "D:\\apps\\"};

static const char *const cl_vocab[] = {"Invoke-WebRequest",
				       "DownloadString",
				       "-EncodedCommand",
				       "FromBase64String",
				       "Net.WebClient",
				       "bitsadmin /transfer",
				       "certutil -urlcache",
				       "regsvr32 /s /n /u",
				       "mshta http",
				       "javascript:",
				       "vbscript:",
				       "WScript.Shell",
				       "Send-MailMessage",
				       "-SmtpServer",
				       "System.Net.Mail",
				       "SmtpClient",
				       "--mail-from",
				       "--mail-rcpt",
				       "smtps://",
				       "-Attachments",
				       "Start-BitsTransfer",
				       "IEX(",
				       "-nop -w hidden",
				       "Add-MpPreference",
				       "vssadmin delete",
				       "wbadmin delete",
				       "schtasks /create",
				       "reg add",
				       "sekurlsa",
				       "lsass.dmp",
				       "comsvcs.dll",
				       "MiniDump",
				       "rclone",
				       "mega.nz",
				       "pastebin.com",
				       "ngrok",
				       "AppData\\Roaming\\",
				       "\\Temp\\",
				       "/dev/tcp/",
				       "base64 -d",
				       "chmod +x",
				       "nohup",
				       "wget http",
				       "python -c",
				       "import socket",
				       "--no-check-certificate"};

/* in the bench data */
static const char *const cl_real[] = {"iisipm", "billing.jar", "kafka-connect",
				      "CortanaUI", "inventory.ps1"};

static const char *const users[] = {
    "system",	"network service", "root",	 "local service",
    "www-data", "oscar.garcia",	   "trent.smith"};

static const char *const tlds[] = {".ru",    ".top", ".xyz", ".tk", ".cn",
				   ".onion", ".zip", ".mov", ".su"};

static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";

/* A synthetic token: distinct literals that (almost surely) do not
 * occur in the data. */
static void token(mh_rng *r, char *buf, size_t cap)
{
	static const char *const pre[] = {
	    "", "-", "--", "/", "\\", "x-", "cfg=", "%TEMP%\\", "id:", "run "};
	size_t n = 5 + mh_rng_below(r, 8), k;
	int len = snprintf(buf, cap, "%s", pick(r, pre, ARRAY_LEN(pre)));

	k = (size_t)len;
	for (size_t i = 0; i < n && k + 1 < cap; i++)
		buf[k++] =
		    alnum[mh_rng_below(r, (uint32_t)(sizeof(alnum) - 1))];
	buf[k] = '\0';
}

/* ------------------------------------------------------------ output */

/* A YAML single-quoted scalar. */
static void q(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		fputc(*s, f);
	}
	fputc('\'', f);
}

static void list_begin(FILE *f, const char *key)
{
	fprintf(f, "    %s:\n", key);
}

static void item(FILE *f, const char *s)
{
	fputs("      - ", f);
	q(f, s);
	fputc('\n', f);
}

static void port_sel(mh_rng *r, FILE *f, const char *name)
{
	size_t n = 1 + mh_rng_below(r, 4);

	fprintf(f, "  %s:\n    DestinationPort:\n", name);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "      - %d\n",
			ports[mh_rng_below(r, (uint32_t)ARRAY_LEN(ports))]);
}

static void image_ends(mh_rng *r, FILE *f)
{
	size_t n = 1 + mh_rng_below(r, 3);
	char buf[64];

	list_begin(f, "Image|endswith");
	for (size_t i = 0; i < n; i++) {
		if (chance(r, 4)) {
			item(f, pick(r, real_images, ARRAY_LEN(real_images)));
		} else if (chance(r, 50)) {
			item(f, pick(r, bad_images, ARRAY_LEN(bad_images)));
		} else {
			char t[32];
			token(r, t, sizeof(t));
			snprintf(buf, sizeof(buf), "\\%s.exe",
				 t[0] == '\\' ? t + 1 : t);
			item(f, buf);
		}
	}
}

static void process_names(mh_rng *r, FILE *f)
{
	size_t n = 2 + mh_rng_below(r, 10);
	char t[32];

	list_begin(f, "ProcessName");
	for (size_t i = 0; i < n; i++) {
		if (chance(r, 3)) {
			item(f, pick(r, real_names, ARRAY_LEN(real_names)));
		} else {
			char buf[48];
			token(r, t, sizeof(t));
			snprintf(buf, sizeof(buf), "%s.exe",
				 strpbrk(t, alnum) ? strpbrk(t, alnum) : t);
			item(f, buf);
		}
	}
}

static void needles(mh_rng *r, FILE *f, size_t n, int real_pct)
{
	char t[48];

	for (size_t i = 0; i < n; i++) {
		if (chance(r, (uint32_t)real_pct)) {
			item(f, pick(r, cl_real, ARRAY_LEN(cl_real)));
		} else if (chance(r, 35)) {
			item(f, pick(r, cl_vocab, ARRAY_LEN(cl_vocab)));
		} else {
			token(r, t, sizeof(t));
			item(f, t);
		}
	}
}

static void cl_sel(mh_rng *r, FILE *f, const char *name, bool allow_all,
		   int real_pct)
{
	bool all = allow_all && chance(r, 20);
	bool cased = chance(r, 15);
	char key[64];

	snprintf(key, sizeof(key), "CommandLine|contains%s%s",
		 all ? "|all" : "", cased ? "|cased" : "");
	fprintf(f, "  %s:\n", name);
	list_begin(f, key);
	/* |all with a real needle plus synthetic ones never fires: fine */
	needles(r, f, all ? 2 + mh_rng_below(r, 2) : 2 + mh_rng_below(r, 5),
		real_pct);
}

static void user_list(mh_rng *r, FILE *f)
{
	size_t n = 1 + mh_rng_below(r, 12);
	char buf[64];

	list_begin(f, "User");
	for (size_t i = 0; i < n; i++) {
		if (chance(r, 30)) {
			item(f, pick(r, users, ARRAY_LEN(users)));
		} else {
			snprintf(buf, sizeof(buf), "svc_%c%c%c%u",
				 alnum[mh_rng_below(r, 26)],
				 alnum[mh_rng_below(r, 26)],
				 alnum[mh_rng_below(r, 26)],
				 mh_rng_below(r, 1000));
			item(f, buf);
		}
	}
}

static void computer_list(mh_rng *r, FILE *f)
{
	size_t n = 1 + mh_rng_below(r, 16);
	char buf[64];

	list_begin(f, "Computer");
	for (size_t i = 0; i < n; i++) {
		/* 3000 hosts in the data; a fifth of the names do not exist */
		if (chance(r, 80))
			snprintf(buf, sizeof(buf), "ws-%04u.contoso.com",
				 mh_rng_below(r, 3000));
		else
			snprintf(buf, sizeof(buf), "dc-%02u.fabrikam.local",
				 mh_rng_below(r, 100));
		item(f, buf);
	}
}

static void cidr_list(mh_rng *r, FILE *f, bool internal)
{
	size_t n = 1 + mh_rng_below(r, 3);
	char buf[64];

	list_begin(f, "DestinationIp|cidr");
	for (size_t i = 0; i < n; i++) {
		if (internal)
			snprintf(buf, sizeof(buf), "10.%u.0.0/16",
				 mh_rng_below(r, 32));
		else
			snprintf(buf, sizeof(buf), "%u.%u.%u.0/24",
				 1 + mh_rng_below(r, 223), mh_rng_below(r, 256),
				 mh_rng_below(r, 256));
		item(f, buf);
	}
}

static void filter_sel(mh_rng *r, FILE *f)
{
	fputs("  filter:\n", f);
	switch (mh_rng_below(r, 3)) {
	case 0:
		user_list(r, f);
		break;
	case 1:
		cidr_list(r, f, true);
		break;
	default:
		list_begin(f, "Image|startswith");
		item(f, "C:\\Program Files\\");
		item(f, "c:\\windows\\system32\\");
		break;
	}
}

/* --------------------------------------------------------- rule shapes */

static void rule_ports(mh_rng *r, FILE *f)
{
	bool filt = chance(r, 40);

	port_sel(r, f, "sel_port");
	fputs("  sel_proc:\n", f);
	if (chance(r, 60))
		image_ends(r, f);
	else
		process_names(r, f);
	if (filt)
		filter_sel(r, f);
	fprintf(f, "  condition: sel_port and sel_proc%s\n",
		filt ? " and not filter" : "");
}

static void rule_contains(mh_rng *r, FILE *f)
{
	bool img = chance(r, 30), filt = chance(r, 30);

	cl_sel(r, f, "sel", true, 1);
	if (img) {
		fputs("  sel_img:\n", f);
		image_ends(r, f);
	}
	if (filt) {
		fputs("  filter:\n", f);
		if (chance(r, 50)) {
			list_begin(f, "CommandLine|contains");
			needles(r, f, 1 + mh_rng_below(r, 3), 0);
		} else {
			user_list(r, f);
		}
	}
	fprintf(f, "  condition: sel%s%s\n", img ? " and sel_img" : "",
		filt ? " and not filter" : "");
}

static void rule_mixed(mh_rng *r, FILE *f)
{
	char buf[64];

	switch (mh_rng_below(r, 8)) {
	case 0:
		rule_ports(r, f);
		return;
	case 1:
	case 2:
		rule_contains(r, f);
		return;
	case 3: /* Image|startswith + CommandLine|contains */
		fputs("  sel:\n", f);
		list_begin(f, "Image|startswith");
		for (size_t i = 0, n = 1 + mh_rng_below(r, 3); i < n; i++)
			item(f, pick(r, starts, ARRAY_LEN(starts)));
		cl_sel(r, f, "sel_cl", false, 3);
		fputs("  condition: sel and sel_cl\n", f);
		return;
	case 4: /* outbound to a network, not from a known image */
		fputs("  sel:\n", f);
		cidr_list(r, f, false);
		fputs("  filter:\n", f);
		image_ends(r, f);
		fputs("  condition: sel and not filter\n", f);
		return;
	case 5: /* accounts on a port */
		fputs("  sel:\n", f);
		user_list(r, f);
		port_sel(r, f, "sel_port");
		fputs("  condition: sel and sel_port\n", f);
		return;
	case 6: /* hosts running a command */
		fputs("  sel:\n", f);
		computer_list(r, f);
		if (chance(r, 30)) {
			fputs("  sel_cl:\n", f);
			list_begin(f, "CommandLine|windash|contains");
			snprintf(buf, sizeof(buf), " -%c%c%c ",
				 alnum[mh_rng_below(r, 26)],
				 alnum[mh_rng_below(r, 26)],
				 alnum[mh_rng_below(r, 26)]);
			item(f, buf);
		} else {
			cl_sel(r, f, "sel_cl", false, 5);
		}
		fputs("  condition: sel and sel_cl\n", f);
		return;
	default: /* hostnames */
		fputs("  sel:\n", f);
		list_begin(f, "DestinationHostname|endswith");
		for (size_t i = 0, n = 1 + mh_rng_below(r, 4); i < n; i++)
			item(f, pick(r, tlds, ARRAY_LEN(tlds)));
		if (chance(r, 50)) {
			fputs("  sel_proc:\n", f);
			image_ends(r, f);
			fputs("  condition: sel and sel_proc\n", f);
		} else {
			fputs("  condition: sel\n", f);
		}
		return;
	}
}

static uint64_t hash2(uint64_t a, uint64_t b)
{
	mh_rng r = {a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e019ULL)};

	mh_rng_next(&r);
	return mh_rng_next(&r);
}

static void usage(void)
{
	fprintf(stderr, "usage: gen_rules --mix ports|contains|mixed "
			"--count N [--seed S] -o DIR\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *mix = NULL, *dir = NULL;
	unsigned long count = 0, seed = 1;
	int m;

	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--mix"))
			mix = argv[++i];
		else if (!strcmp(argv[i], "--count"))
			count = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--seed"))
			seed = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "-o"))
			dir = argv[++i];
		else
			usage();
	}
	if (!mix || !dir || count == 0 || count > 100000)
		usage();
	if (!strcmp(mix, "ports"))
		m = 0;
	else if (!strcmp(mix, "contains"))
		m = 1;
	else if (!strcmp(mix, "mixed"))
		m = 2;
	else
		usage();
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "gen_rules: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	for (unsigned long i = 0; i < count; i++) {
		char path[4096];
		mh_rng r = {hash2(seed * 3 + (uint64_t)m, i)};
		FILE *f;

		snprintf(path, sizeof(path), "%s/rule-%04lu.yml", dir, i);
		f = fopen(path, "w");
		if (!f) {
			fprintf(stderr, "gen_rules: %s: %s\n", path,
				strerror(errno));
			return 1;
		}
		fprintf(f,
			"title: generated %s rule %lu\n"
			"id: gen-%s-%04lu\n"
			"level: %s\n"
			"logsource: {category: network_connection}\n"
			"detection:\n",
			mix, i, mix, i,
			i % 3 ? "medium" : (i % 2 ? "high" : "low"));
		if (m == 0)
			rule_ports(&r, f);
		else if (m == 1)
			rule_contains(&r, f);
		else
			rule_mixed(&r, f);
		if (fclose(f) != 0) {
			fprintf(stderr, "gen_rules: %s: write error\n", path);
			return 1;
		}
	}
	return 0;
}
