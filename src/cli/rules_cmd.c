/* mailhunt rules list|show|check */
#include "cli/cli.h"
#include "rule/rule.h"

#include <string.h>

static void rules_usage(FILE *f)
{
	fprintf(
	    f, "Usage:\n"
	       "  mailhunt rules list [--profile P]  profiles, then the rules "
	       "of P\n"
	       "                                     (default: every profile)\n"
	       "  mailhunt rules show ID|NAME        print the YAML file "
	       "holding a\n"
	       "                                     built-in rule\n"
	       "  mailhunt rules check FILE|DIR...   parse and compile Sigma "
	       "rules;\n"
	       "                                     errors name "
	       "file:line:column\n"
	       "\n"
	       "Examples:\n"
	       "  mailhunt rules list --profile splunk\n"
	       "  mailhunt rules show mailhunt_default_mail_c2_smtp\n"
	       "  mailhunt rules check my-rules/ && mailhunt scan --rules "
	       "my-rules/ x.json\n"
	       "\n"
	       "check exits 0 when every file compiles, 4 otherwise.\n");
}

static void list_profile(const char *profile)
{
	mh_ruleset *rs = NULL;

	if (mh_cli_load_rules(profile, NULL, 0, false, &rs) != MH_EXIT_OK)
		return;
	const mh_profile_info *pi = mh_ruleset_profile(rs);
	printf("%s%s%s\n", profile, pi && pi->title ? ": " : "",
	       pi && pi->title ? pi->title : "");
	for (size_t i = 0; i < mh_ruleset_count(rs); i++) {
		const mh_rule *r = mh_ruleset_rule(rs, i);
		printf("  %-13s %-11s %-40s %s\n",
		       r->is_correlation ? "correlation" : "detection",
		       mh_level_name(r->level),
		       r->name ? r->name : (r->id ? r->id : "-"), r->title);
	}
	mh_ruleset_free(rs);
}

static int cmd_list(int argc, char **argv)
{
	const char *only = NULL;

	for (int i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "--profile") || !strcmp(argv[i], "-p")) &&
		    i + 1 < argc) {
			only = argv[++i];
		} else {
			rules_usage(stderr);
			return MH_EXIT_USAGE;
		}
	}
	if (only) {
		bool known = false;
		for (const char *const *p = mh_builtin_profiles(); *p; p++)
			known |= !strcmp(*p, only);
		if (!known) {
			fprintf(stderr, "mailhunt: unknown profile '%s'\n",
				only);
			return MH_EXIT_USAGE;
		}
		list_profile(only);
		return MH_EXIT_OK;
	}
	for (const char *const *p = mh_builtin_profiles(); *p; p++)
		list_profile(*p);
	return MH_EXIT_OK;
}

static int cmd_show(int argc, char **argv)
{
	if (argc != 2) {
		rules_usage(stderr);
		return MH_EXIT_USAGE;
	}
	for (const char *const *p = mh_builtin_profiles(); *p; p++) {
		mh_ruleset *rs = NULL;
		if (mh_cli_load_rules(*p, NULL, 0, false, &rs) != MH_EXIT_OK)
			continue;
		for (size_t i = 0; i < mh_ruleset_count(rs); i++) {
			const mh_rule *r = mh_ruleset_rule(rs, i);
			if ((r->id && !strcmp(r->id, argv[1])) ||
			    (r->name && !strcmp(r->name, argv[1]))) {
				const char *path = r->path;
				if (!strncmp(path, "builtin:", 8))
					path += 8;
				for (size_t k = 0; k < mh_embedded_rules_count;
				     k++) {
					const mh_embedded_file *f =
					    &mh_embedded_rules[k];
					if (strcmp(f->path, path))
						continue;
					printf("# builtin:%s (profile %s)\n",
					       f->path, *p);
					fwrite(f->data, 1, f->len, stdout);
					mh_ruleset_free(rs);
					return MH_EXIT_OK;
				}
			}
		}
		mh_ruleset_free(rs);
	}
	fprintf(stderr,
		"mailhunt: no built-in rule with id or name '%s' "
		"(see mailhunt rules list)\n",
		argv[1]);
	return MH_EXIT_USAGE;
}

static int cmd_check(int argc, char **argv)
{
	int code = MH_EXIT_OK;

	if (argc < 2) {
		rules_usage(stderr);
		return MH_EXIT_USAGE;
	}
	for (int i = 1; i < argc; i++) {
		mh_ruleset *rs = NULL;
		mh_err err;
		mh_rc rc;

		mh_err_clear(&err);
		if (mh_ruleset_new(&rs) != MH_OK)
			return MH_EXIT_INTERNAL;
		/* The pack's port map and rules stay available so that a
		 * user's correlation may reference built-in rules. */
		rc = mh_ruleset_add_builtin_shared(rs, &err);
		if (rc == MH_OK)
			rc = mh_ruleset_add_path(rs, argv[i], &err);
		if (rc == MH_OK)
			rc = mh_ruleset_compile(rs, &err);
		if (rc != MH_OK) {
			if (!err.file[0])
				snprintf(err.file, sizeof(err.file), "%s",
					 argv[i]);
			mh_cli_print_err(NULL, &err);
			code = MH_EXIT_RULES;
		} else {
			size_t n = mh_ruleset_count(rs), nc = 0;
			for (size_t k = 0; k < n; k++)
				nc += mh_ruleset_rule(rs, k)->is_correlation;
			printf("%s: ok (%zu detection, %zu correlation)\n",
			       argv[i], n - nc, nc);
		}
		mh_ruleset_free(rs);
	}
	return code;
}

int mh_cmd_rules(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		rules_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? MH_EXIT_USAGE : MH_EXIT_OK;
	}
	if (!strcmp(argv[1], "list"))
		return cmd_list(argc - 1, argv + 1);
	if (!strcmp(argv[1], "show"))
		return cmd_show(argc - 1, argv + 1);
	if (!strcmp(argv[1], "check"))
		return cmd_check(argc - 1, argv + 1);
	fprintf(stderr, "mailhunt: rules: unknown subcommand '%s'\n", argv[1]);
	rules_usage(stderr);
	return MH_EXIT_USAGE;
}
