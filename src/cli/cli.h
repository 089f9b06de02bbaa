/* Command-line front end. Each command is a function taking argc/argv
 * (argv[0] = the command name) and returning the process exit code. */
#ifndef MH_CLI_CLI_H
#define MH_CLI_CLI_H

#include "util/mh.h"

#include <stdio.h>

/* Exit codes (documented in README.md and `mailhunt --help`). */
enum {
	MH_EXIT_OK = 0,	      /* ran to the end, no alert */
	MH_EXIT_ALERTS = 1,   /* ran to the end, at least one alert */
	MH_EXIT_USAGE = 2,    /* bad command line */
	MH_EXIT_INPUT = 3,    /* unreadable input, unknown format */
	MH_EXIT_RULES = 4,    /* a rule file failed to load or compile */
	MH_EXIT_OUTPUT = 5,   /* could not write the output */
	MH_EXIT_INTERNAL = 6, /* out of memory or internal error */
};

int mh_cmd_scan(int argc, char **argv);
int mh_cmd_rules(int argc, char **argv);

/* Helpers shared by commands (cli/util.c). */
/* Parse a non-negative decimal integer; false if not exactly that. */
bool mh_cli_parse_u64(const char *s, uint64_t *out);
/* "256M", "1G", "512k", "1048576" -> bytes. */
bool mh_cli_parse_size(const char *s, uint64_t *out);
/* --year Y: the year of syslog timestamps that carry none
 * (mh_syslog_set_default_year()); false, with a message on stderr, when
 * s is not a year 1678..2261. */
bool mh_cli_set_year(const char *s);
/* Print "mailhunt: <formatted err>" to stderr. */
void mh_cli_print_err(const char *what, const mh_err *err);
/* Load the ruleset for a profile plus extra --rules paths. When
 * no_builtin is set only the pack's shared files and the paths are
 * loaded. Returns an exit code (MH_EXIT_OK on success). */
struct mh_ruleset;
int mh_cli_load_rules(const char *profile, const char *const *paths,
		      size_t npaths, bool no_builtin, struct mh_ruleset **out);

/* Open path (or "-"), detect or force the reader, and open it. On
 * success *src is set and rd->ops is the open reader, or NULL for an
 * empty input (no events). Errors are printed; returns an exit code. */
#include "input/input.h"
int mh_cli_open_input(const char *path, const char *input_format,
		      const mh_fieldset *need, mh_malformed_fn on_malformed,
		      void *ud, mh_source **src, mh_reader *rd);

int mh_cmd_parse(int argc, char **argv);

/* --input-format takes a reader name (json, csv, xml, ...) or a dialect
 * name (sysmon, mde, ecs, ...: the reader is detected and the dialect
 * forced). Prints the choices and returns false when name is neither. */
bool mh_cli_input_format_ok(const char *name);

/* Expand inputs: a directory becomes the regular files below it
 * (recursive, sorted, hidden entries skipped); files, "-" and missing
 * paths pass through. *out is malloc'd (free with mh_cli_free_inputs).
 * Returns an exit code; on MH_EXIT_INPUT the readable inputs are still
 * listed (unreadable directories are reported). */
int mh_cli_expand_inputs(char *const *args, size_t n, char ***out,
			 size_t *nout);
void mh_cli_free_inputs(char **v, size_t n);

#endif
