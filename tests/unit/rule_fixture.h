/* Shared by the rule unit tests: a rule document's head, and a ruleset
 * compiled from up to three documents (NULL: none). The caller frees it
 * with mh_ruleset_free(). */
#ifndef MH_TEST_RULE_FIXTURE_H
#define MH_TEST_RULE_FIXTURE_H

#include "mh_test.h"
#include "rule/rule.h"

#include <string.h>

#define HEAD(name)                                                             \
	"title: " name "\n"                                                    \
	"logsource:\n  category: network_connection\n"                         \
	"detection:\n"

static inline mh_ruleset *build(const char *a, const char *b, const char *c)
{
	const char *docs[3] = {a, b, c};
	mh_ruleset *rs = NULL;
	mh_err err;

	memset(&err, 0, sizeof(err));
	MH_CHECK(mh_ruleset_new(&rs) == MH_OK);
	for (int i = 0; i < 3; i++)
		if (docs[i])
			MH_CHECK(mh_ruleset_add_yaml(rs, "t.yml", docs[i],
						     strlen(docs[i]),
						     &err) == MH_OK);
	MH_CHECK(mh_ruleset_compile(rs, &err) == MH_OK);
	return rs;
}

#endif
