/* mailhunt scan's command line: options, their checks, --help. */
#include "cli/scan_opts.h"
#include "cli/cli.h"
#include "output/output.h"
#include "util/timefmt.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

void mh_scan_usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: mailhunt scan [options] FILE|DIR...|-\n"
	    "\n"
	    "Read telemetry (Sysmon JSON, Defender CSV/JSON, Elastic ECS, "
	    "Splunk,\n"
	    "QRadar, Sumo exports, XML/EVTX, Zeek, EVE, ASA, PAN-OS, CEF, "
	    "auditd, pcap;\n"
	    "gzip and zip transparently; '-' = stdin), run the\n"
	    "rule pack and print alerts.\n"
	    "\n"
	    "Rules:\n"
	    "  -p, --profile NAME     built-in profile (default: mailhunt):\n"
	    "                           mailhunt  mailhunt's own default pack\n"
	    "                           sentinel  exactly the Sentinel KQL "
	    "reference query\n"
	    "                           elastic   exactly the Elastic EQL "
	    "reference query\n"
	    "                           splunk    exactly the Splunk SPL "
	    "reference query\n"
	    "                           qradar    exactly the QRadar AQL "
	    "reference query\n"
	    "                           sumo      exactly the Sumo Logic "
	    "reference query\n"
	    "  -r, --rules PATH       add a Sigma rule file or directory "
	    "(repeatable)\n"
	    "      --no-builtin       use only --rules (keeps the pack's port "
	    "map)\n"
	    "\n"
	    "Input:\n"
	    "  -i, --input-format F   force the reader (json, csv, xml, evtx, "
	    "zeek,\n"
	    "                         asa, panos, cef, auditd, pcap) or, for "
	    "JSON\n"
	    "                         and CSV, the dialect (sysmon, evtxdump,\n"
	    "                         winlogbeat, mde, ecs, splunk, qradar, "
	    "sumo,\n"
	    "                         zeek, winsec, suricata); default: detect "
	    "both\n"
	    "      --home-net CIDRS   internal networks, e.g. "
	    "10.0.0.0/8,192.168.0.0/16;\n"
	    "                         gives a direction to records that lack "
	    "one\n"
	    "      --now TIME         'now' for relative windows such as KQL "
	    "ago(24h)\n"
	    "                         (default: the latest event time in the "
	    "input)\n"
	    "      --since TIME       ignore events before TIME\n"
	    "      --until TIME       ignore events after TIME\n"
	    "      --year YYYY        year of syslog timestamps that carry "
	    "none\n"
	    "                         (default: this year; give it when "
	    "replaying)\n"
	    "                         TIME: 2024-05-02T12:00:00Z, epoch "
	    "seconds or ms\n"
	    "\n"
	    "Output:\n"
	    "  -f, --format F         table (default), ndjson or csv; with "
	    "ndjson and csv\n"
	    "                         stdout carries alerts only, the summary "
	    "goes to stderr\n"
	    "  -o, --output FILE      write alerts to FILE instead of stdout\n"
	    "      --explain          show the contributing events of each "
	    "alert\n"
	    "      --min-level L      only alerts at level L or above: "
	    "informational\n"
	    "                         (default: all), low, medium, high, "
	    "critical\n"
	    "      --color WHEN       auto (default), always, never\n"
	    "  -q, --quiet            no progress line, no summary\n"
	    "      --version          print the version and exit\n"
	    "  -v, --verbose          report every malformed record, the "
	    "dialect,\n"
	    "                         and the engine's counts (groups, "
	    "evictions)\n"
	    "\n"
	    "Limits:\n"
	    "      --max-memory SIZE  memory for correlation state (default "
	    "256M)\n"
	    "      --lateness D       how much older than the newest event a "
	    "record may\n"
	    "                         be and still join a window that went "
	    "idle (default\n"
	    "                         1h). A group idle for its timespan plus "
	    "D is closed\n"
	    "                         and freed, so memory does not grow with "
	    "the input;\n"
	    "                         'none' keeps every group (unsorted "
	    "input, e.g. files\n"
	    "                         that overlap in time: raise it or sort "
	    "the input)\n"
	    "      --threads N        worker threads (default: every core; 1 = "
	    "one\n"
	    "                         thread). Only uncompressed NDJSON files "
	    "are\n"
	    "                         split; other inputs use one thread\n"
	    "\n"
	    "Examples:\n"
	    "  mailhunt scan sysmon-eid3.jsonl\n"
	    "  mailhunt scan --profile sentinel --now 2024-05-02T12:00:00Z "
	    "DeviceNetworkEvents.csv\n"
	    "  mailhunt scan --profile splunk --format csv -o alerts.csv "
	    "splunk-export.json\n"
	    "  mailhunt scan --rules my-rules/ --format ndjson "
	    "winlogbeat.ndjson.gz | jq .\n"
	    "\n"
	    "Exit codes: 0 no alert, 1 alerts raised, 2 usage, 3 input error,\n"
	    "            4 rule error, 5 output error, 6 internal error.\n");
}

static bool parse_time_opt(const char *name, const char *s, int64_t *out)
{
	if (mh_time_parse(s, strlen(s), out))
		return true;
	fprintf(stderr,
		"mailhunt: %s: cannot read time '%s' (try "
		"2024-05-02T12:00:00Z or epoch seconds)\n",
		name, s);
	return false;
}

enum {
	OPT_NOW = 256,
	OPT_SINCE,
	OPT_UNTIL,
	OPT_HOME_NET,
	OPT_MAX_MEMORY,
	OPT_LATENESS,
	OPT_THREADS,
	OPT_EXPLAIN,
	OPT_COLOR,
	OPT_NO_BUILTIN,
	OPT_HELP,
	OPT_YEAR,
	OPT_MIN_LEVEL,
	OPT_VERSION,
};

static const struct option long_opts[] = {
    {"profile", required_argument, NULL, 'p'},
    {"rules", required_argument, NULL, 'r'},
    {"no-builtin", no_argument, NULL, OPT_NO_BUILTIN},
    {"format", required_argument, NULL, 'f'},
    {"output", required_argument, NULL, 'o'},
    {"input-format", required_argument, NULL, 'i'},
    {"now", required_argument, NULL, OPT_NOW},
    {"since", required_argument, NULL, OPT_SINCE},
    {"until", required_argument, NULL, OPT_UNTIL},
    {"home-net", required_argument, NULL, OPT_HOME_NET},
    {"max-memory", required_argument, NULL, OPT_MAX_MEMORY},
    {"lateness", required_argument, NULL, OPT_LATENESS},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"explain", no_argument, NULL, OPT_EXPLAIN},
    {"color", required_argument, NULL, OPT_COLOR},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, OPT_HELP},
    {"year", required_argument, NULL, OPT_YEAR},
    {"min-level", required_argument, NULL, OPT_MIN_LEVEL},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

int mh_scan_parse_args(int argc, char **argv, mh_scan_opts *o)
{
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:r:f:o:i:qvh", long_opts,
				NULL)) != -1) {
		switch (c) {
		case 'p':
			o->profile = optarg;
			break;
		case 'r':
			if (o->nrule_paths >= MH_SCAN_MAX_RULE_PATHS) {
				fprintf(stderr,
					"mailhunt: too many --rules "
					"(max %d)\n",
					MH_SCAN_MAX_RULE_PATHS);
				return MH_EXIT_USAGE;
			}
			o->rule_paths[o->nrule_paths++] = optarg;
			break;
		case OPT_NO_BUILTIN:
			o->no_builtin = true;
			break;
		case 'f':
			o->format = optarg;
			break;
		case 'o':
			o->out_path = optarg;
			break;
		case 'i':
			o->input_format = optarg;
			break;
		case OPT_NOW:
			if (!parse_time_opt("--now", optarg, &o->now_ns))
				return MH_EXIT_USAGE;
			o->now_set = true;
			break;
		case OPT_SINCE:
			if (!parse_time_opt("--since", optarg, &o->since_ns))
				return MH_EXIT_USAGE;
			o->since_set = true;
			break;
		case OPT_UNTIL:
			if (!parse_time_opt("--until", optarg, &o->until_ns))
				return MH_EXIT_USAGE;
			o->until_set = true;
			break;
		case OPT_HOME_NET:
			o->home_net = optarg;
			break;
		case OPT_MAX_MEMORY:
			if (!mh_cli_parse_size(optarg, &o->max_memory) ||
			    o->max_memory < 1024 * 1024) {
				fprintf(stderr,
					"mailhunt: --max-memory: '%s' "
					"is not a size >= 1M (e.g. "
					"256M, 2G)\n",
					optarg);
				return MH_EXIT_USAGE;
			}
			break;
		case OPT_LATENESS:
			o->lateness_set = true;
			if (!strcmp(optarg, "none")) {
				o->lateness_ns = -1;
				break;
			}
			if (!mh_duration_parse(optarg, strlen(optarg),
					       &o->lateness_ns) ||
			    o->lateness_ns < 0) {
				fprintf(stderr,
					"mailhunt: --lateness: '%s' is not a "
					"duration (e.g. 0s, 90s, 30m, 1h, 7d) "
					"or 'none'\n",
					optarg);
				return MH_EXIT_USAGE;
			}
			break;
		case OPT_THREADS:
			if (!mh_cli_parse_u64(optarg, &o->threads) ||
			    o->threads > 1024) {
				fprintf(stderr,
					"mailhunt: --threads: '%s' is "
					"not a number 0..1024\n",
					optarg);
				return MH_EXIT_USAGE;
			}
			break;
		case OPT_EXPLAIN:
			o->explain = true;
			break;
		case OPT_VERSION:
			printf("mailhunt %s\n", MH_VERSION);
			return -1;
		case OPT_MIN_LEVEL: {
			int l;
			for (l = MH_LVL_INFORMATIONAL; l <= MH_LVL_CRITICAL;
			     l++)
				if (!strcmp(optarg, mh_level_name((mh_level)l)))
					break;
			if (l > MH_LVL_CRITICAL) {
				fprintf(stderr, "mailhunt: --min-level: use "
						"informational, low, medium, "
						"high or critical\n");
				return MH_EXIT_USAGE;
			}
			o->min_level = (mh_level)l;
			break;
		}
		case OPT_YEAR:
			if (!mh_cli_set_year(optarg))
				return MH_EXIT_USAGE;
			break;
		case OPT_COLOR:
			if (strcmp(optarg, "auto") &&
			    strcmp(optarg, "always") &&
			    strcmp(optarg, "never")) {
				fprintf(stderr, "mailhunt: --color: use auto, "
						"always or never\n");
				return MH_EXIT_USAGE;
			}
			o->color = optarg;
			break;
		case 'q':
			o->quiet++;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
		case OPT_HELP:
			mh_scan_usage(stdout);
			return -1;
		case ':':
			fprintf(stderr,
				"mailhunt: scan: option '%s' needs a "
				"value\n",
				argv[optind - 1]);
			return MH_EXIT_USAGE;
		default:
			fprintf(stderr,
				"mailhunt: scan: unknown option '%s' "
				"(see mailhunt scan --help)\n",
				argv[optind - 1]);
			return MH_EXIT_USAGE;
		}
	}
	if (o->input_format && !mh_cli_input_format_ok(o->input_format))
		return MH_EXIT_USAGE;
	if (!mh_writer_find(o->format)) {
		fprintf(stderr,
			"mailhunt: --format: unknown format '%s'; "
			"known:",
			o->format);
		for (const mh_writer_ops *const *w = mh_writers; *w; w++)
			fprintf(stderr, " %s", (*w)->name);
		fprintf(stderr, "\n");
		return MH_EXIT_USAGE;
	}
	if (optind >= argc) {
		fprintf(stderr, "mailhunt: scan: no input file (use - for "
				"stdin; see mailhunt scan --help)\n");
		return MH_EXIT_USAGE;
	}
	return MH_EXIT_OK;
}
