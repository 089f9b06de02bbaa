/* Sigma correlation rules (spec v2.1) plus the mailhunt `window:` key.
 * Parsing fills mh_corr and a corr_raw with the unresolved names;
 * mh_corr_resolve() (called from mh_ruleset_compile) binds rule
 * references, group-by fields and aliases. */
#include "rule/rule_int.h"
#include "util/timefmt.h"

/* keep in step with MH_BEACON_MIN_EVENTS_DEF (engine/beacon.h) */
#define MH_BEACON_MIN_EVENTS 4

#include <stdio.h>
#include <string.h>

bool mh_rule_parse_num(const char *s, size_t n, double *out, int64_t *iout,
		       bool *is_int);

static const struct {
	const char *name;
	mh_corr_type t;
} corr_types[] = {
    {"event_count", MH_CORR_EVENT_COUNT},
    {"value_count", MH_CORR_VALUE_COUNT},
    {"temporal", MH_CORR_TEMPORAL},
    {"temporal_ordered", MH_CORR_TEMPORAL_ORDERED},
    {"value_sum", MH_CORR_VALUE_SUM},
    {"value_avg", MH_CORR_VALUE_AVG},
    {"beacon", MH_CORR_BEACON},
};

static const struct {
	const char *name;
	mh_window w;
} windows[] = {
    {"sliding", MH_WIN_SLIDING},
    {"lookback", MH_WIN_LOOKBACK},
    {"sequence", MH_WIN_SEQUENCE},
    {"all", MH_WIN_ALL},
};

static const struct {
	const char *name;
	mh_cmp op;
} cmps[] = {
    {"gt", MH_CMP_GT},	 {"gte", MH_CMP_GTE}, {"lt", MH_CMP_LT},
    {"lte", MH_CMP_LTE}, {"eq", MH_CMP_EQ},   {"neq", MH_CMP_NEQ},
};

static mh_rc to_cref(pctx *c, yaml_node_t *n, cref *out)
{
	out->s = mh_rs_strdup(c->rs, mh_y_str(n), mh_y_len(n));
	out->line = (uint32_t)n->start_mark.line + 1;
	out->col = (uint32_t)n->start_mark.column + 1;
	return out->s ? MH_OK : MH_ENOMEM;
}

/* A string or a list of strings into a cref array. */
static mh_rc name_list(pctx *c, yaml_node_t *n, const char *key, cref **out,
		       size_t *nout)
{
	size_t cnt;
	mh_rc rc;

	if (mh_y_is_scalar(n) && !mh_y_is_null(n)) {
		*out = mh_rs_alloc(c->rs, sizeof(**out));
		if (!*out)
			return MH_ENOMEM;
		*nout = 1;
		return to_cref(c, n, *out);
	}
	if (!n || n->type != YAML_SEQUENCE_NODE ||
	    n->data.sequence.items.top == n->data.sequence.items.start)
		return mh_y_err(c, n, key, MH_EPARSE,
				"'%s' must be a non-empty list of names", key);
	cnt =
	    (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	*out = mh_rs_alloc(c->rs, cnt * sizeof(**out));
	if (!*out)
		return MH_ENOMEM;
	*nout = 0;
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = mh_y_node(c, *it);
		if (!mh_y_is_scalar(e) || mh_y_is_null(e))
			return mh_y_err(c, e, key, MH_EPARSE,
					"'%s' must be a list of names", key);
		if ((rc = to_cref(c, e, &(*out)[(*nout)++])))
			return rc;
	}
	return MH_OK;
}

static mh_rc parse_cond(pctx *c, yaml_node_t *n, mh_corr *co)
{
	if (!n || n->type != YAML_MAPPING_NODE)
		return mh_y_err(c, n, "condition", MH_EPARSE,
				"correlation condition must be a mapping "
				"like {gte: 10}");
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = mh_y_node(c, p->key);
		yaml_node_t *v = mh_y_node(c, p->value);
		const char *ks = mh_y_is_scalar(k) ? mh_y_str(k) : "";
		size_t i;
		bool isint;
		int64_t iv;

		if (!strcmp(ks, "field")) {
			if (!mh_y_is_scalar(v) || mh_y_is_null(v))
				return mh_y_err(c, v, "field", MH_EPARSE,
						"'field' must be a field name");
			/* beacon: the value is named, not a field */
			if (co->type == MH_CORR_BEACON &&
			    !strcmp(mh_y_str(v), "beacon_score"))
				continue;
			co->value_field =
			    mh_field_lookup(mh_y_str(v), mh_y_len(v));
			if (co->value_field == MH_F_NONE)
				return mh_y_err(c, v, mh_y_str(v), MH_ENOTFOUND,
						"unknown field '%s' (see "
						"docs/schema.md)",
						mh_y_str(v));
			continue;
		}
		/* beacon: the value may be named with the operator as a
		 * modifier, {beacon_score|gte: 0.8} */
		if (!strncmp(ks, "beacon_score|", 13)) {
			if (co->type != MH_CORR_BEACON)
				return mh_y_err(c, k, "condition", MH_EPARSE,
						"'%s' is only for type beacon",
						ks);
			ks += 13;
		}
		for (i = 0; i < MH_ARRAY_LEN(cmps); i++)
			if (!strcmp(ks, cmps[i].name))
				break;
		if (i == MH_ARRAY_LEN(cmps))
			return mh_y_err(c, k, "condition", MH_EPARSE,
					"unknown condition operator '%s' (gt, "
					"gte, lt, lte, eq, neq, field)",
					ks);
		if (co->ncond == MH_CORR_MAX_COND)
			return mh_y_err(c, k, "condition", MH_ELIMIT,
					"too many condition terms");
		if (!mh_y_is_scalar(v) ||
		    !mh_rule_parse_num(mh_y_str(v), mh_y_len(v),
				       &co->cond[co->ncond].value, &iv, &isint))
			return mh_y_err(c, v, "condition", MH_EPARSE,
					"'%s' needs a number", ks);
		co->cond[co->ncond].op = cmps[i].op;
		co->ncond++;
	}
	return MH_OK;
}

static mh_rc parse_aliases(pctx *c, yaml_node_t *n, corr_raw *raw)
{
	size_t cnt;

	if (!n || n->type != YAML_MAPPING_NODE)
		return mh_y_err(c, n, "aliases", MH_EPARSE,
				"'aliases' must map alias names to "
				"{rule: field}");
	cnt = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	raw->aliases = mh_rs_alloc(c->rs, cnt * sizeof(*raw->aliases));
	if (!raw->aliases)
		return MH_ENOMEM;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = mh_y_node(c, p->key);
		yaml_node_t *v = mh_y_node(c, p->value);
		calias *a = &raw->aliases[raw->naliases++];
		size_t m;

		if (!mh_y_is_scalar(k) || !v || v->type != YAML_MAPPING_NODE)
			return mh_y_err(c, k, "aliases", MH_EPARSE,
					"alias must map rule names to fields");
		a->name = mh_rs_strdup(c->rs, mh_y_str(k), mh_y_len(k));
		m = (size_t)(v->data.mapping.pairs.top -
			     v->data.mapping.pairs.start);
		a->e = mh_rs_alloc(c->rs, (m ? m : 1) * sizeof(*a->e));
		if (!a->name || !a->e)
			return MH_ENOMEM;
		for (yaml_node_pair_t *q = v->data.mapping.pairs.start;
		     q < v->data.mapping.pairs.top; q++) {
			yaml_node_t *rk = mh_y_node(c, q->key);
			yaml_node_t *fv = mh_y_node(c, q->value);
			calias_ent *e = &a->e[a->n];

			if (!mh_y_is_scalar(rk) || !mh_y_is_scalar(fv))
				return mh_y_err(c, rk, "aliases", MH_EPARSE,
						"alias entry must be "
						"rule: field");
			e->rule =
			    mh_rs_strdup(c->rs, mh_y_str(rk), mh_y_len(rk));
			if (!e->rule)
				return MH_ENOMEM;
			e->field = mh_field_lookup(mh_y_str(fv), mh_y_len(fv));
			if (e->field == MH_F_NONE)
				return mh_y_err(c, fv, mh_y_str(fv),
						MH_ENOTFOUND,
						"unknown field '%s' (see "
						"docs/schema.md)",
						mh_y_str(fv));
			e->line = (uint32_t)rk->start_mark.line + 1;
			e->col = (uint32_t)rk->start_mark.column + 1;
			a->n++;
		}
	}
	return MH_OK;
}

static mh_rc parse_bool(pctx *c, yaml_node_t *v, const char *key, bool *b)
{
	if (mh_y_is_scalar(v) &&
	    (!strcmp(mh_y_str(v), "true") || !strcmp(mh_y_str(v), "false"))) {
		*b = mh_y_str(v)[0] == 't';
		return MH_OK;
	}
	return mh_y_err(c, v, key, MH_EPARSE, "'%s' must be true or false",
			key);
}

mh_rc mh_corr_parse(pctx *c, yaml_node_t *cor, yaml_node_t *root, rule_int *r)
{
	mh_corr *co;
	corr_raw *raw;
	yaml_node_t *n, *ts = NULL, *cond = NULL, *type = NULL;
	yaml_node_t *win = NULL, *minev = NULL;
	mh_rc rc;

	if (!cor || cor->type != YAML_MAPPING_NODE)
		return mh_y_err(c, cor, "correlation", MH_EPARSE,
				"'correlation' must be a mapping");
	co = mh_rs_alloc(c->rs, sizeof(*co));
	raw = mh_rs_alloc(c->rs, sizeof(*raw));
	if (!co || !raw)
		return MH_ENOMEM;
	co->value_field = MH_F_NONE;
	co->window = MH_WIN_SLIDING;
	raw->line = (uint32_t)cor->start_mark.line + 1;
	raw->col = (uint32_t)cor->start_mark.column + 1;
	for (yaml_node_pair_t *p = cor->data.mapping.pairs.start;
	     p < cor->data.mapping.pairs.top; p++) {
		yaml_node_t *k = mh_y_node(c, p->key);
		yaml_node_t *v = mh_y_node(c, p->value);
		const char *ks = mh_y_is_scalar(k) ? mh_y_str(k) : "";
		rc = MH_OK;

		if (!strcmp(ks, "type")) {
			size_t i;
			type = v;
			for (i = 0; i < MH_ARRAY_LEN(corr_types); i++)
				if (mh_y_is_scalar(v) &&
				    !strcmp(mh_y_str(v), corr_types[i].name))
					break;
			if (i == MH_ARRAY_LEN(corr_types))
				return mh_y_err(
				    c, v, "type", MH_EPARSE,
				    "unknown correlation type '%s' "
				    "(event_count, value_count, temporal, "
				    "temporal_ordered, value_sum, "
				    "value_avg, beacon)",
				    mh_y_is_scalar(v) ? mh_y_str(v) : "");
			co->type = corr_types[i].t;
		} else if (!strcmp(ks, "rules")) {
			rc = name_list(c, v, "rules", &raw->refs, &raw->nrefs);
		} else if (!strcmp(ks, "group-by")) {
			rc = name_list(c, v, "group-by", &raw->groups,
				       &raw->ngroup);
		} else if (!strcmp(ks, "timespan")) {
			ts = v;
		} else if (!strcmp(ks, "condition")) {
			cond = v;
		} else if (!strcmp(ks, "aliases")) {
			rc = parse_aliases(c, v, raw);
		} else if (!strcmp(ks, "generate")) {
			rc = parse_bool(c, v, "generate", &raw->generate);
		} else if (!strcmp(ks, "min-events")) {
			minev = v;
		} else if (!strcmp(ks, "window")) {
			size_t i;
			win = v;
			for (i = 0; i < MH_ARRAY_LEN(windows); i++)
				if (mh_y_is_scalar(v) &&
				    !strcmp(mh_y_str(v), windows[i].name))
					break;
			if (i == MH_ARRAY_LEN(windows))
				return mh_y_err(c, v, "window", MH_EPARSE,
						"unknown window '%s' (sliding, "
						"lookback, sequence, all)",
						mh_y_is_scalar(v) ? mh_y_str(v)
								  : "");
			co->window = windows[i].w;
		} else {
			return mh_y_err(c, k, ks, MH_EPARSE,
					"unknown correlation attribute '%s'",
					ks);
		}
		if (rc)
			return rc;
	}
	/* `generate` at the top level (older drafts) */
	n = mh_y_get(c, root, "generate");
	if (n && (rc = parse_bool(c, n, "generate", &raw->generate)))
		return rc;
	if (!type)
		return mh_y_err(c, cor, "type", MH_EPARSE,
				"correlation has no 'type'");
	if (!raw->nrefs)
		return mh_y_err(c, cor, "rules", MH_EPARSE,
				"correlation has no 'rules'");
	if (co->type == MH_CORR_BEACON) {
		/* mailhunt extension: scored over the whole input */
		if (!win)
			co->window = MH_WIN_ALL;
		else if (co->window != MH_WIN_ALL)
			return mh_y_err(c, win, "window", MH_EUNSUP,
					"beacon needs window: all");
		co->min_events = MH_BEACON_MIN_EVENTS;
		if (minev) {
			double d;
			int64_t iv;
			bool isint = false;
			if (!mh_y_is_scalar(minev) ||
			    !mh_rule_parse_num(mh_y_str(minev), mh_y_len(minev),
					       &d, &iv, &isint) ||
			    !isint || iv < 3 || iv > 1000000)
				return mh_y_err(c, minev, "min-events",
						MH_EPARSE,
						"'min-events' must be an "
						"integer from 3 to 1000000");
			co->min_events = (uint32_t)iv;
		}
	} else if (minev) {
		return mh_y_err(c, minev, "min-events", MH_EPARSE,
				"'min-events' is only for type beacon");
	}
	if (ts && !mh_y_is_null(ts)) {
		if (!mh_y_is_scalar(ts) ||
		    !mh_duration_parse(mh_y_str(ts), mh_y_len(ts),
				       &co->timespan_ns) ||
		    co->timespan_ns <= 0)
			return mh_y_err(c, ts, "timespan", MH_EPARSE,
					"bad timespan '%s' (e.g. 30s, 5m, "
					"24h, 7d)",
					mh_y_is_scalar(ts) ? mh_y_str(ts) : "");
	} else if (co->window != MH_WIN_ALL) {
		return mh_y_err(c, cor, "timespan", MH_EPARSE,
				"correlation has no 'timespan' (only "
				"window: all may omit it)");
	}
	if (cond && !mh_y_is_null(cond)) {
		if ((rc = parse_cond(c, cond, co)))
			return rc;
	}
	switch (co->type) {
	case MH_CORR_EVENT_COUNT:
		if (!co->ncond)
			return mh_y_err(c, cond ? cond : cor, "condition",
					MH_EPARSE,
					"event_count needs a condition");
		if (co->value_field != MH_F_NONE)
			return mh_y_err(c, cond, "field", MH_EPARSE,
					"event_count takes no 'field'");
		break;
	case MH_CORR_VALUE_COUNT:
	case MH_CORR_VALUE_SUM:
	case MH_CORR_VALUE_AVG:
		if (co->value_field == MH_F_NONE || !co->ncond)
			return mh_y_err(c, cond ? cond : cor, "condition",
					MH_EPARSE,
					"this correlation type needs a "
					"condition with 'field' and a "
					"comparison");
		break;
	case MH_CORR_BEACON:
		if (!co->ncond)
			return mh_y_err(c, cond ? cond : cor, "condition",
					MH_EPARSE,
					"beacon needs a condition on "
					"beacon_score, e.g. {gte: 0.8}");
		if (co->value_field != MH_F_NONE)
			return mh_y_err(c, cond, "field", MH_EPARSE,
					"beacon takes no field but "
					"beacon_score");
		break;
	default:
		break;
	}
	r->corr = co;
	r->raw = raw;
	r->pub.corr = co;
	return MH_OK;
}

static mh_rc rerr(mh_err *err, rule_int *r, uint32_t line, uint32_t col,
		  const char *field, mh_rc rc, const char *msg, const char *a)
{
	mh_err_set(err, rc, r->pub.path, line, col, "%s '%s'", msg, a);
	if (err)
		snprintf(err->field, sizeof(err->field), "%s", field);
	return rc;
}

static bool rule_has_name(const rule_int *x, const char *s)
{
	return (x->pub.id && !strcmp(x->pub.id, s)) ||
	       (x->pub.name && !strcmp(x->pub.name, s));
}

mh_rc mh_corr_resolve(mh_ruleset *rs, rule_int *r, mh_err *err)
{
	corr_raw *raw = r->raw;
	mh_corr *co = r->corr;
	uint32_t *idx;
	const char **gnames;
	mh_field *gf;

	idx = mh_rs_alloc(rs, raw->nrefs * sizeof(*idx));
	gnames = mh_rs_alloc(rs, (raw->ngroup + 1) * sizeof(*gnames));
	gf = mh_rs_alloc(rs, (raw->ngroup * raw->nrefs + 1) * sizeof(*gf));
	if (!idx || !gnames || !gf)
		return MH_ENOMEM;
	for (size_t i = 0; i < raw->nrefs; i++) {
		size_t j;
		for (j = 0; j < rs->nrules; j++)
			if (rs->rules[j] != r &&
			    rule_has_name(rs->rules[j], raw->refs[i].s))
				break;
		if (j == rs->nrules)
			return rerr(err, r, raw->refs[i].line, raw->refs[i].col,
				    "rules", MH_ENOTFOUND, "unknown rule",
				    raw->refs[i].s);
		if (rs->rules[j]->pub.is_correlation)
			return rerr(err, r, raw->refs[i].line, raw->refs[i].col,
				    "rules", MH_EUNSUP,
				    "chained correlations are not "
				    "supported: rule",
				    raw->refs[i].s);
		idx[i] = (uint32_t)j;
	}
	for (size_t g = 0; g < raw->ngroup; g++) {
		const cref *gr = &raw->groups[g];
		const calias *a = NULL;

		for (size_t k = 0; k < raw->naliases; k++)
			if (!strcmp(raw->aliases[k].name, gr->s))
				a = &raw->aliases[k];
		if (a) {
			gnames[g] = a->name;
			for (size_t i = 0; i < raw->nrefs; i++) {
				const rule_int *t = rs->rules[idx[i]];
				size_t e;
				for (e = 0; e < a->n; e++)
					if (rule_has_name(t, a->e[e].rule) ||
					    !strcmp(a->e[e].rule,
						    raw->refs[i].s))
						break;
				if (e == a->n)
					return rerr(err, r, gr->line, gr->col,
						    gr->s, MH_EPARSE,
						    "alias has no field for "
						    "rule",
						    raw->refs[i].s);
				gf[g * raw->nrefs + i] = a->e[e].field;
			}
		} else {
			mh_field f = mh_field_lookup(gr->s, strlen(gr->s));
			if (f == MH_F_NONE)
				return rerr(err, r, gr->line, gr->col, gr->s,
					    MH_ENOTFOUND,
					    "unknown group-by field", gr->s);
			gnames[g] = mh_field_name(f);
			for (size_t i = 0; i < raw->nrefs; i++)
				gf[g * raw->nrefs + i] = f;
		}
	}
	/* aliases must name referenced rules */
	for (size_t k = 0; k < raw->naliases; k++)
		for (size_t e = 0; e < raw->aliases[k].n; e++) {
			const calias_ent *ae = &raw->aliases[k].e[e];
			size_t i;
			for (i = 0; i < raw->nrefs; i++)
				if (!strcmp(ae->rule, raw->refs[i].s) ||
				    rule_has_name(rs->rules[idx[i]], ae->rule))
					break;
			if (i == raw->nrefs)
				return rerr(err, r, ae->line, ae->col,
					    "aliases", MH_ENOTFOUND,
					    "alias names a rule not in "
					    "'rules':",
					    ae->rule);
		}
	for (size_t i = 0; i < raw->nrefs; i++) {
		rule_int *t = rs->rules[idx[i]];
		t->pub.referenced = true;
		if (raw->generate)
			t->pub.generate = true;
	}
	co->nrules = raw->nrefs;
	co->rules = idx;
	co->ngroup = raw->ngroup;
	co->group_names = gnames;
	co->group_fields = gf;
	return MH_OK;
}
