/* mailhunt scan's command line (cli/scan_opts.c): the options and
 * --help. */
#ifndef MH_CLI_SCAN_OPTS_H
#define MH_CLI_SCAN_OPTS_H

#include "rule/rule.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define MH_SCAN_MAX_RULE_PATHS 64

typedef struct mh_scan_opts {
	const char *profile;
	mh_level min_level; /* --min-level: alerts below are not shown */
	const char *rule_paths[MH_SCAN_MAX_RULE_PATHS];
	size_t nrule_paths;
	bool no_builtin;
	const char *format;
	const char *out_path;
	const char *input_format;
	bool now_set, since_set, until_set;
	int64_t now_ns, since_ns, until_ns;
	const char *home_net;
	uint64_t max_memory;
	bool lateness_set;
	int64_t lateness_ns; /* < 0: never close idle groups */
	uint64_t threads;
	bool explain;
	int quiet;
	int verbose;
	const char *color; /* auto|always|never */
} mh_scan_opts;

/* Parse scan's options into o (zeroed, its defaults set by the
 * caller); prints errors, --help and --version itself. Returns MH_EXIT_OK
 * to go on (optind at the first input), -1 after --help or --version
 * (exit 0), else the exit code. Not thread-safe (getopt). */
int mh_scan_parse_args(int argc, char **argv, mh_scan_opts *o);
/* scan --help. */
void mh_scan_usage(FILE *f);

#endif
