/* mailhunt: find command-and-control over mail protocols (T1071.003)
 * in exported telemetry, with Sigma rules. */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "mailhunt %s: hunt command-and-control over mail protocols "
	    "(ATT&CK T1071.003)\n"
	    "\n"
	    "Usage:\n"
	    "  mailhunt scan [options] FILE|DIR...|-  scan telemetry with the "
	    "rule pack\n"
	    "  mailhunt parse [options] FILE|DIR...   show the canonical events "
	    "of a file\n"
	    "  mailhunt rules list [--profile P]      list built-in profiles and "
	    "rules\n"
	    "  mailhunt rules show ID|NAME            print one rule's YAML\n"
	    "  mailhunt rules check FILE...           validate Sigma rule files\n"
	    "  mailhunt --version | --help\n"
	    "\n"
	    "Examples:\n"
	    "  mailhunt scan sysmon.jsonl                   default pack, "
	    "table output\n"
	    "  mailhunt scan --profile sentinel export.csv  exactly the "
	    "Sentinel KQL rows\n"
	    "  zcat logs.json.gz | mailhunt scan --format ndjson - | jq .\n"
	    "  mailhunt rules check my-rules/\n"
	    "\n"
	    "Run 'mailhunt scan --help' for every scan option.\n"
	    "Exit codes: 0 no alert, 1 alerts raised, 2 usage, 3 input error,\n"
	    "            4 rule error, 5 output error, 6 internal error.\n",
	    MH_VERSION);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return MH_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return MH_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("mailhunt %s\n", MH_VERSION);
		return MH_EXIT_OK;
	}
	if (!strcmp(argv[1], "scan"))
		return mh_cmd_scan(argc - 1, argv + 1);
	if (!strcmp(argv[1], "parse"))
		return mh_cmd_parse(argc - 1, argv + 1);
	if (!strcmp(argv[1], "rules"))
		return mh_cmd_rules(argc - 1, argv + 1);
	fprintf(stderr, "mailhunt: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return MH_EXIT_USAGE;
}
