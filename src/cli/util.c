#include "cli/cli.h"
#include "rule/rule.h"

#include <stdio.h>
#include <string.h>

bool mh_cli_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++) {
		unsigned d;
		if (*s < '0' || *s > '9')
			return false;
		d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

bool mh_cli_parse_size(const char *s, uint64_t *out)
{
	char num[32];
	size_t n = strlen(s), k;
	uint64_t v, mult = 1;

	if (n == 0 || n >= sizeof(num))
		return false;
	memcpy(num, s, n + 1);
	k = n;
	if (num[k - 1] == 'B' || num[k - 1] == 'b')
		num[--k] = '\0';
	if (k == 0)
		return false;
	switch (num[k - 1]) {
	case 'k':
	case 'K':
		mult = 1024ULL;
		break;
	case 'm':
	case 'M':
		mult = 1024ULL * 1024;
		break;
	case 'g':
	case 'G':
		mult = 1024ULL * 1024 * 1024;
		break;
	default:
		break;
	}
	if (mult != 1)
		num[--k] = '\0';
	if (!mh_cli_parse_u64(num, &v))
		return false;
	if (v > UINT64_MAX / mult)
		return false;
	*out = v * mult;
	return true;
}

void mh_cli_print_err(const char *what, const mh_err *err)
{
	char buf[1024];

	mh_err_format(err, buf, sizeof(buf));
	if (what)
		fprintf(stderr, "mailhunt: %s: %s\n", what, buf);
	else
		fprintf(stderr, "mailhunt: %s\n", buf);
}

int mh_cli_load_rules(const char *profile, const char *const *paths,
		      size_t npaths, bool no_builtin, mh_ruleset **out)
{
	mh_ruleset *rs = NULL;
	mh_err err;
	mh_rc rc;
	int code = MH_EXIT_RULES;

	mh_err_clear(&err);
	if (mh_ruleset_new(&rs) != MH_OK) {
		fprintf(stderr, "mailhunt: out of memory\n");
		return MH_EXIT_INTERNAL;
	}
	if (no_builtin)
		rc = mh_ruleset_add_builtin_shared(rs, &err);
	else
		rc = mh_ruleset_add_builtin(rs, profile, &err);
	if (rc == MH_ENOTFOUND) {
		const char *const *p = mh_builtin_profiles();
		fprintf(stderr,
			"mailhunt: unknown profile '%s'; known:", profile);
		for (; p && *p; p++)
			fprintf(stderr, " %s", *p);
		fprintf(stderr, "\n");
		code = MH_EXIT_USAGE;
		goto out;
	}
	if (rc != MH_OK) {
		mh_cli_print_err("built-in rules", &err);
		goto out;
	}
	for (size_t i = 0; i < npaths; i++) {
		mh_err_clear(&err);
		rc = mh_ruleset_add_path(rs, paths[i], &err);
		if (rc != MH_OK) {
			if (!err.file[0])
				snprintf(err.file, sizeof(err.file), "%s",
					 paths[i]);
			mh_cli_print_err(NULL, &err);
			goto out;
		}
	}
	mh_err_clear(&err);
	rc = mh_ruleset_compile(rs, &err);
	if (rc != MH_OK) {
		mh_cli_print_err("rules", &err);
		goto out;
	}
	*out = rs;
	rs = NULL;
	code = MH_EXIT_OK;
out:
	mh_ruleset_free(rs);
	return code;
}

bool mh_cli_set_year(const char *s)
{
	uint64_t y;

	if (!mh_cli_parse_u64(s, &y) || y < 1678 || y > 2261) {
		fprintf(stderr,
			"mailhunt: --year: '%s' is not a year 1678..2261\n", s);
		return false;
	}
	mh_syslog_set_default_year((int)y);
	return true;
}
