/* The `mailhunt-lookalikes:` pack document: the protected process names
 * whose lookalikes get LookalikeOf (see event/lookalike.h):
 *
 *   mailhunt-lookalikes: [outlook.exe, thunderbird.exe, ...]
 *
 * Several documents add up; a name already listed (ASCII case-insensitive)
 * is skipped. At most MH_LOOKALIKE_MAX names, each 1..63 bytes with a
 * non-empty stem. The table lives in the ruleset's arena. */
#include "rule/rule_int.h"

#include <string.h>

static bool listed(const mh_ruleset *rs, const char *s, size_t n)
{
	for (size_t i = 0; i < rs->nlookalikes; i++) {
		const mh_lookalike *e = &rs->lookalikes[i];
		size_t j = 0;

		if (e->name_n != n)
			continue;
		while (j < n && mh_lc((unsigned char)e->name[j]) ==
				    mh_lc((unsigned char)s[j]))
			j++;
		if (j == n)
			return true;
	}
	return false;
}

mh_rc mh_lookalike_doc_parse(pctx *c, yaml_node_t *list)
{
	mh_ruleset *rs = c->rs;
	yaml_node_item_t *it;

	if (!list || list->type != YAML_SEQUENCE_NODE)
		return mh_y_err(c, list, "mailhunt-lookalikes", MH_EPARSE,
				"'mailhunt-lookalikes' must be a list of "
				"process names");
	if (!rs->lookalikes) {
		rs->lookalikes =
		    mh_rs_alloc(rs, MH_LOOKALIKE_MAX * sizeof(*rs->lookalikes));
		if (!rs->lookalikes)
			return MH_ENOMEM;
	}
	for (it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++) {
		yaml_node_t *e = mh_y_node(c, *it);
		mh_lookalike tmp;

		if (!mh_y_is_scalar(e) ||
		    mh_lookalike_init(&tmp, mh_y_str(e), mh_y_len(e)) != MH_OK)
			return mh_y_err(c, e, "mailhunt-lookalikes", MH_EPARSE,
					"a process name of 1..%d bytes with "
					"a name before its extension expected",
					MH_LOOKALIKE_NAME_MAX - 1);
		if (listed(rs, tmp.name, tmp.name_n))
			continue;
		if (rs->nlookalikes == MH_LOOKALIKE_MAX)
			return mh_y_err(c, e, "mailhunt-lookalikes", MH_EPARSE,
					"more than %d protected names",
					MH_LOOKALIKE_MAX);
		rs->lookalikes[rs->nlookalikes++] = tmp;
	}
	return MH_OK;
}

const mh_lookalike *mh_ruleset_lookalikes(const mh_ruleset *rs, size_t *n)
{
	*n = rs->nlookalikes;
	return rs->nlookalikes ? rs->lookalikes : NULL;
}
