/* YAML text -> rule documents: the libyaml walker, the common Sigma
 * attributes, and the mailhunt-portmap / -profile / -placeholders
 * documents. Detection and correlation bodies are in compile.c and
 * corr_parse.c. */
#include "rule/rule_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

mh_rc mh_rule_vec_grow(void **arr, size_t *cap, size_t need, size_t sz)
{
	size_t nc;
	void *p;

	if (need <= *cap)
		return MH_OK;
	nc = *cap ? *cap * 2 : 8;
	while (nc < need)
		nc *= 2;
	p = realloc(*arr, nc * sz);
	if (!p)
		return MH_ENOMEM;
	*arr = p;
	*cap = nc;
	return MH_OK;
}

char *mh_rs_strdup(mh_ruleset *rs, const char *s, size_t n)
{
	return mh_arena_strndup(&rs->arena, s, n);
}

void *mh_rs_alloc(mh_ruleset *rs, size_t n)
{
	void *p = mh_arena_alloc(&rs->arena, n ? n : 1);
	if (p)
		memset(p, 0, n ? n : 1);
	return p;
}

mh_rc mh_rs_add_re(mh_ruleset *rs, pcre2_code *re)
{
	if (mh_rule_vec_grow((void **)&rs->res, &rs->capre, rs->nre + 1,
			     sizeof(*rs->res))) {
		pcre2_code_free(re);
		return MH_ENOMEM;
	}
	rs->res[rs->nre++] = re;
	return MH_OK;
}

yaml_node_t *mh_y_node(pctx *c, int idx)
{
	return yaml_document_get_node(c->doc, idx);
}

bool mh_y_is_scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE;
}

/* A plain null / ~ / empty scalar (quoted "" is an empty string). */
bool mh_y_is_null(yaml_node_t *n)
{
	const char *s;

	if (!n)
		return true;
	if (n->type != YAML_SCALAR_NODE)
		return false;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = (const char *)n->data.scalar.value;
	return n->data.scalar.length == 0 || strcmp(s, "null") == 0 ||
	       strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0 ||
	       strcmp(s, "~") == 0;
}

const char *mh_y_str(yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

size_t mh_y_len(yaml_node_t *n)
{
	return n->data.scalar.length;
}

yaml_node_t *mh_y_get(pctx *c, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;
	size_t kl = strlen(key);

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = mh_y_node(c, p->key);
		if (mh_y_is_scalar(k) && k->data.scalar.length == kl &&
		    memcmp(k->data.scalar.value, key, kl) == 0)
			return mh_y_node(c, p->value);
	}
	return NULL;
}

static mh_rc verr(pctx *c, uint32_t line, uint32_t col, const char *field,
		  mh_rc rc, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	mh_err_set(c->err, rc, c->name, line, col, "%s", msg);
	if (c->err)
		snprintf(c->err->field, sizeof(c->err->field), "%s",
			 field ? field : "");
	return rc;
}

mh_rc mh_y_err(pctx *c, yaml_node_t *n, const char *field, mh_rc rc,
	       const char *fmt, ...)
{
	va_list ap;
	mh_rc r;

	va_start(ap, fmt);
	r = verr(c, n ? (uint32_t)n->start_mark.line + 1 : 0,
		 n ? (uint32_t)n->start_mark.column + 1 : 0, field, rc, fmt,
		 ap);
	va_end(ap);
	return r;
}

mh_rc mh_y_err_at(pctx *c, uint32_t line, uint32_t col, const char *field,
		  mh_rc rc, const char *fmt, ...)
{
	va_list ap;
	mh_rc r;

	va_start(ap, fmt);
	r = verr(c, line, col, field, rc, fmt, ap);
	va_end(ap);
	return r;
}

/* Scalar string attribute (optional); NULL when absent. */
static mh_rc get_str(pctx *c, yaml_node_t *root, const char *key,
		     const char **out)
{
	yaml_node_t *n = mh_y_get(c, root, key);

	*out = NULL;
	if (!n || mh_y_is_null(n))
		return MH_OK;
	if (!mh_y_is_scalar(n))
		return mh_y_err(c, n, key, MH_EPARSE, "'%s' must be a string",
				key);
	*out = mh_rs_strdup(c->rs, mh_y_str(n), mh_y_len(n));
	return *out ? MH_OK : MH_ENOMEM;
}

/* A list of strings (or a single string). */
static mh_rc get_strlist(pctx *c, yaml_node_t *root, const char *key,
			 size_t *n_out, const char *const **out)
{
	yaml_node_t *n = mh_y_get(c, root, key);
	const char **v;
	size_t cnt = 0;
	yaml_node_item_t *it;

	*n_out = 0;
	*out = NULL;
	if (!n || mh_y_is_null(n))
		return MH_OK;
	if (mh_y_is_scalar(n)) {
		v = mh_rs_alloc(c->rs, sizeof(*v));
		if (!v ||
		    !(v[0] = mh_rs_strdup(c->rs, mh_y_str(n), mh_y_len(n))))
			return MH_ENOMEM;
		*n_out = 1;
		*out = v;
		return MH_OK;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return mh_y_err(c, n, key, MH_EPARSE,
				"'%s' must be a list of strings", key);
	v = mh_rs_alloc(c->rs,
			sizeof(*v) * (size_t)(n->data.sequence.items.top -
					      n->data.sequence.items.start));
	if (!v)
		return MH_ENOMEM;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *e = mh_y_node(c, *it);
		if (!mh_y_is_scalar(e))
			return mh_y_err(c, e, key, MH_EPARSE,
					"'%s' must be a list of strings", key);
		v[cnt] = mh_rs_strdup(c->rs, mh_y_str(e), mh_y_len(e));
		if (!v[cnt])
			return MH_ENOMEM;
		cnt++;
	}
	*n_out = cnt;
	*out = v;
	return MH_OK;
}

static const char *const level_names[] = {"informational", "low", "medium",
					  "high", "critical"};

const char *mh_level_name(mh_level l)
{
	if ((unsigned)l >= MH_ARRAY_LEN(level_names))
		return "unknown";
	return level_names[l];
}

static mh_rc parse_common(pctx *c, yaml_node_t *root, rule_int *r)
{
	mh_rule *p = &r->pub;
	yaml_node_t *n;
	mh_rc rc;

	p->path = mh_rs_strdup(c->rs, c->name, strlen(c->name));
	if (!p->path)
		return MH_ENOMEM;
	p->line = (uint32_t)root->start_mark.line + 1;
	if ((rc = get_str(c, root, "id", &p->id)) ||
	    (rc = get_str(c, root, "name", &p->name)) ||
	    (rc = get_str(c, root, "title", &p->title)) ||
	    (rc = get_str(c, root, "description", &p->description)) ||
	    (rc = get_strlist(c, root, "tags", &p->ntags, &p->tags)) ||
	    (rc = get_strlist(c, root, "falsepositives", &p->nfalsepositives,
			      &p->falsepositives)))
		return rc;
	if (!p->title)
		return mh_y_err(c, root, "title", MH_EPARSE,
				"rule has no 'title'");
	p->level = MH_LVL_MEDIUM;
	n = mh_y_get(c, root, "level");
	if (n && !mh_y_is_null(n)) {
		size_t i;
		if (!mh_y_is_scalar(n))
			return mh_y_err(c, n, "level", MH_EPARSE,
					"'level' must be a string");
		for (i = 0; i < MH_ARRAY_LEN(level_names); i++)
			if (strcmp(mh_y_str(n), level_names[i]) == 0)
				break;
		if (i == MH_ARRAY_LEN(level_names))
			return mh_y_err(c, n, "level", MH_EPARSE,
					"unknown level '%s' (informational, "
					"low, medium, high, critical)",
					mh_y_str(n));
		p->level = (mh_level)i;
	}
	return MH_OK;
}

static mh_rc add_rule(pctx *c, rule_int *r)
{
	mh_ruleset *rs = c->rs;

	if (mh_rule_vec_grow((void **)&rs->rules, &rs->caprules, rs->nrules + 1,
			     sizeof(*rs->rules)))
		return MH_ENOMEM;
	r->pub.index = (uint32_t)rs->nrules;
	rs->rules[rs->nrules++] = r;
	return MH_OK;
}

/* Parse a decimal integer scalar into *v. */
static bool scalar_int(yaml_node_t *n, int64_t *v)
{
	const char *s;
	size_t i = 0, len;
	int64_t x = 0;
	bool neg = false;

	if (!mh_y_is_scalar(n))
		return false;
	s = mh_y_str(n);
	len = mh_y_len(n);
	if (len && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == len || len - i > 18)
		return false;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (s[i] - '0');
	}
	*v = neg ? -x : x;
	return true;
}

static mh_rc parse_portmap(pctx *c, yaml_node_t *pm)
{
	mh_ruleset *rs = c->rs;
	yaml_node_pair_t *p;

	if (!pm || pm->type != YAML_MAPPING_NODE)
		return mh_y_err(c, pm, "mailhunt-portmap", MH_EPARSE,
				"'mailhunt-portmap' must map protocol names "
				"to port lists");
	for (p = pm->data.mapping.pairs.start; p < pm->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = mh_y_node(c, p->key);
		yaml_node_t *v = mh_y_node(c, p->value);
		yaml_node_item_t *it;

		if (!mh_y_is_scalar(k) || mh_y_len(k) == 0 || mh_y_len(k) > 15)
			return mh_y_err(c, k, "mailhunt-portmap", MH_EPARSE,
					"protocol name must be 1..15 "
					"characters");
		if (!v || v->type != YAML_SEQUENCE_NODE)
			return mh_y_err(c, v ? v : k, mh_y_str(k), MH_EPARSE,
					"port list expected");
		for (it = v->data.sequence.items.start;
		     it < v->data.sequence.items.top; it++) {
			yaml_node_t *e = mh_y_node(c, *it);
			int64_t port;
			size_t i;

			if (!scalar_int(e, &port) || port < 0 || port > 65535)
				return mh_y_err(c, e, mh_y_str(k), MH_EPARSE,
						"bad port number");
			/* a later map overrides an earlier entry */
			for (i = 0; i < rs->nports; i++)
				if (rs->ports[i].port == port)
					break;
			if (i == rs->nports) {
				if (mh_rule_vec_grow(
					(void **)&rs->ports, &rs->capports,
					rs->nports + 1, sizeof(*rs->ports)))
					return MH_ENOMEM;
				rs->nports++;
			}
			memset(&rs->ports[i], 0, sizeof(rs->ports[i]));
			rs->ports[i].port = (uint16_t)port;
			memcpy(rs->ports[i].proto, mh_y_str(k), mh_y_len(k));
		}
	}
	return MH_OK;
}

static const struct {
	const char *name;
	mh_sort_key key;
} sort_keys[] = {
    {"level", MH_SORT_LEVEL},	      {"level_name", MH_SORT_LEVEL_NAME},
    {"count", MH_SORT_COUNT},	      {"first_seen", MH_SORT_FIRST_SEEN},
    {"last_seen", MH_SORT_LAST_SEEN}, {"group", MH_SORT_GROUP},
};

static mh_rc parse_sort_term(pctx *c, yaml_node_t *k, yaml_node_t *dir,
			     mh_sort_term *t)
{
	size_t i;

	for (i = 0; i < MH_ARRAY_LEN(sort_keys); i++)
		if (strcmp(mh_y_str(k), sort_keys[i].name) == 0)
			break;
	if (i == MH_ARRAY_LEN(sort_keys))
		return mh_y_err(c, k, "sort", MH_EPARSE,
				"unknown sort key '%s' (level, level_name, "
				"count, first_seen, last_seen, group)",
				mh_y_str(k));
	t->key = sort_keys[i].key;
	t->desc = false;
	if (dir) {
		if (!mh_y_is_scalar(dir) || (strcmp(mh_y_str(dir), "asc") &&
					     strcmp(mh_y_str(dir), "desc")))
			return mh_y_err(c, dir, "sort", MH_EPARSE,
					"sort direction must be asc or desc");
		t->desc = strcmp(mh_y_str(dir), "desc") == 0;
	}
	return MH_OK;
}

static mh_rc parse_profile(pctx *c, yaml_node_t *pn)
{
	mh_profile_info *pi;
	yaml_node_t *sort;
	mh_rc rc;

	if (!pn || pn->type != YAML_MAPPING_NODE)
		return mh_y_err(c, pn, "mailhunt-profile", MH_EPARSE,
				"'mailhunt-profile' must be a mapping");
	for (yaml_node_pair_t *p = pn->data.mapping.pairs.start;
	     p < pn->data.mapping.pairs.top; p++) {
		yaml_node_t *k = mh_y_node(c, p->key);
		const char *ks = mh_y_is_scalar(k) ? mh_y_str(k) : "";
		if (strcmp(ks, "name") && strcmp(ks, "title") &&
		    strcmp(ks, "description") && strcmp(ks, "sort"))
			return mh_y_err(c, k, ks, MH_EPARSE,
					"unknown profile attribute '%s' (name, "
					"title, description, sort)",
					ks);
	}
	pi = mh_rs_alloc(c->rs, sizeof(*pi));
	if (!pi)
		return MH_ENOMEM;
	if ((rc = get_str(c, pn, "name", &pi->name)) ||
	    (rc = get_str(c, pn, "title", &pi->title)) ||
	    (rc = get_str(c, pn, "description", &pi->description)))
		return rc;
	if (!pi->name)
		return mh_y_err(c, pn, "name", MH_EPARSE,
				"profile has no 'name'");
	sort = mh_y_get(c, pn, "sort");
	if (sort && !mh_y_is_null(sort)) {
		yaml_node_item_t *it;

		if (sort->type != YAML_SEQUENCE_NODE)
			return mh_y_err(c, sort, "sort", MH_EPARSE,
					"'sort' must be a list");
		for (it = sort->data.sequence.items.start;
		     it < sort->data.sequence.items.top; it++) {
			yaml_node_t *e = mh_y_node(c, *it);
			yaml_node_t *k, *d = NULL;

			if (pi->nsort == MH_ARRAY_LEN(pi->sort))
				return mh_y_err(c, e, "sort", MH_ELIMIT,
						"at most 6 sort keys");
			if (mh_y_is_scalar(e)) {
				k = e;
			} else if (e->type == YAML_MAPPING_NODE &&
				   e->data.mapping.pairs.top -
					   e->data.mapping.pairs.start ==
				       1) {
				k = mh_y_node(c,
					      e->data.mapping.pairs.start->key);
				d = mh_y_node(
				    c, e->data.mapping.pairs.start->value);
				if (!mh_y_is_scalar(k))
					return mh_y_err(c, e, "sort", MH_EPARSE,
							"bad sort term");
			} else {
				return mh_y_err(c, e, "sort", MH_EPARSE,
						"sort term must be {key: "
						"asc|desc}");
			}
			rc = parse_sort_term(c, k, d, &pi->sort[pi->nsort]);
			if (rc)
				return rc;
			pi->nsort++;
		}
	}
	c->rs->profile = pi;
	return MH_OK;
}

static mh_rc parse_placeholders(pctx *c, yaml_node_t *pn)
{
	mh_ruleset *rs = c->rs;
	yaml_node_pair_t *p;
	mh_rc rc;

	if (!pn || pn->type != YAML_MAPPING_NODE)
		return mh_y_err(c, pn, "mailhunt-placeholders", MH_EPARSE,
				"'mailhunt-placeholders' must map names to "
				"value lists");
	for (p = pn->data.mapping.pairs.start; p < pn->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = mh_y_node(c, p->key);
		placeholder ph;

		if (!mh_y_is_scalar(k))
			return mh_y_err(c, k, "mailhunt-placeholders",
					MH_EPARSE, "bad placeholder name");
		ph.name = mh_rs_strdup(rs, mh_y_str(k), mh_y_len(k));
		if (!ph.name)
			return MH_ENOMEM;
		rc = get_strlist(c, pn, ph.name, &ph.n,
				 (const char *const **)&ph.vals);
		if (rc)
			return rc;
		if (mh_rule_vec_grow((void **)&rs->ph, &rs->capph, rs->nph + 1,
				     sizeof(*rs->ph)))
			return MH_ENOMEM;
		rs->ph[rs->nph++] = ph;
	}
	return MH_OK;
}

static mh_rc parse_document(pctx *c, yaml_node_t *root)
{
	yaml_node_t *n, *det;
	rule_int *r;
	mh_rc rc;

	if (!root || mh_y_is_null(root))
		return MH_OK; /* empty document */
	if (root->type != YAML_MAPPING_NODE)
		return mh_y_err(c, root, NULL, MH_EPARSE,
				"a rule document must be a mapping");
	if ((n = mh_y_get(c, root, "mailhunt-portmap")))
		return parse_portmap(c, n);
	if ((n = mh_y_get(c, root, "mailhunt-profile")))
		return parse_profile(c, n);
	if ((n = mh_y_get(c, root, "mailhunt-placeholders")))
		return parse_placeholders(c, n);
	if ((n = mh_y_get(c, root, "mailhunt-lookalikes")))
		return mh_lookalike_doc_parse(c, n);
	r = mh_rs_alloc(c->rs, sizeof(*r));
	if (!r)
		return MH_ENOMEM;
	if ((rc = parse_common(c, root, r)))
		return rc;
	if ((n = mh_y_get(c, root, "correlation"))) {
		if ((det = mh_y_get(c, root, "detection")))
			return mh_y_err(c, det, "detection", MH_EPARSE,
					"a rule has either 'detection' or "
					"'correlation', not both");
		r->pub.is_correlation = true;
		rc = mh_corr_parse(c, n, root, r);
	} else {
		det = mh_y_get(c, root, "detection");
		if (!det)
			return mh_y_err(c, root, "detection", MH_EPARSE,
					"rule has neither 'detection' nor "
					"'correlation'");
		rc = mh_detection_compile(c, det, r);
	}
	if (rc)
		return rc;
	return add_rule(c, r);
}

mh_rc mh_ruleset_add_yaml(mh_ruleset *rs, const char *name, const char *text,
			  size_t len, mh_err *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	pctx c = {rs, name ? name : "<rules>", &doc, err};
	mh_rc rc = MH_OK;
	size_t before = rs->nrules;

	if (rs->compiled)
		return mh_err_set(err, MH_EINVAL, name, 0, 0,
				  "ruleset already compiled");
	if (!yaml_parser_initialize(&parser))
		return mh_err_set(err, MH_ENOMEM, name, 0, 0,
				  "cannot initialise YAML parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	for (;;) {
		yaml_node_t *root;

		if (!yaml_parser_load(&parser, &doc)) {
			rc = mh_err_set(
			    err, MH_EPARSE, c.name,
			    parser.problem_mark.line + 1,
			    (uint32_t)parser.problem_mark.column + 1,
			    "YAML: %s%s%s",
			    parser.problem ? parser.problem : "syntax error",
			    parser.context ? " " : "",
			    parser.context ? parser.context : "");
			if (err)
				err->field[0] = '\0';
			break;
		}
		root = yaml_document_get_root_node(&doc);
		if (!root) { /* end of stream */
			yaml_document_delete(&doc);
			break;
		}
		rc = parse_document(&c, root);
		yaml_document_delete(&doc);
		if (rc) {
			if (rc == MH_ENOMEM)
				mh_err_set(err, rc, c.name, 0, 0,
					   "out of memory");
			break;
		}
	}
	yaml_parser_delete(&parser);
	if (rc)
		rs->nrules = before; /* drop the partial file */
	return rc;
}
