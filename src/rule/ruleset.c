/* Ruleset lifecycle: files, the embedded pack, compile (references,
 * field needs, prefilter) and the read-only accessors. */
#include "rule/rule_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_RULE_FILE (64u << 20)
#define MAX_DIR_DEPTH 32

mh_rc mh_ruleset_new(mh_ruleset **out)
{
	mh_ruleset *rs = calloc(1, sizeof(*rs));

	if (!rs)
		return MH_ENOMEM;
	mh_arena_init(&rs->arena, 64 * 1024, 0);
	*out = rs;
	return MH_OK;
}

void mh_ruleset_free(mh_ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->nre; i++)
		pcre2_code_free(rs->res[i]);
	free(rs->res);
	free(rs->rec);
	free(rs->rules);
	free(rs->det);
	free(rs->ports);
	free(rs->ph);
	free(rs->pf_vals);
	mh_rindex_free(rs->ix);
	mh_arena_free(&rs->arena);
	free(rs);
}

static mh_rc add_file(mh_ruleset *rs, const char *path, mh_err *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	mh_rc rc;

	if (!f)
		return mh_err_set(err, MH_EIO, path, 0, 0, "cannot open: %s",
				  strerror(errno));
	for (;;) {
		size_t got;
		if (len == cap) {
			char *nb;
			if (cap >= MAX_RULE_FILE) {
				fclose(f);
				free(buf);
				return mh_err_set(err, MH_ELIMIT, path, 0, 0,
						  "rule file too large");
			}
			cap = cap ? cap * 2 : 16384;
			nb = realloc(buf, cap);
			if (!nb) {
				fclose(f);
				free(buf);
				return mh_err_set(err, MH_ENOMEM, path, 0, 0,
						  "out of memory");
			}
			buf = nb;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return mh_err_set(err, MH_EIO, path, 0, 0, "read error");
	}
	fclose(f);
	rc = mh_ruleset_add_yaml(rs, path, buf ? buf : "", len, err);
	free(buf);
	return rc;
}

static bool has_yaml_ext(const char *s)
{
	size_t n = strlen(s);
	return (n > 4 && !strcmp(s + n - 4, ".yml")) ||
	       (n > 5 && !strcmp(s + n - 5, ".yaml"));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static mh_rc add_dir(mh_ruleset *rs, const char *path, int depth, mh_err *err)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	mh_rc rc = MH_OK;

	if (depth > MAX_DIR_DEPTH)
		return mh_err_set(err, MH_ELIMIT, path, 0, 0,
				  "directories nested too deep");
	d = opendir(path);
	if (!d)
		return mh_err_set(err, MH_EIO, path, 0, 0, "cannot open: %s",
				  strerror(errno));
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (mh_rule_vec_grow((void **)&names, &cap, n + 1,
				     sizeof(*names)) ||
		    !(names[n] = strdup(de->d_name))) {
			rc = mh_err_set(err, MH_ENOMEM, path, 0, 0,
					"out of memory");
			goto out;
		}
		n++;
	}
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n && !rc; i++) {
		size_t need = strlen(path) + strlen(names[i]) + 2;
		char *full = malloc(need);
		struct stat st;

		if (!full) {
			rc = MH_ENOMEM;
			break;
		}
		snprintf(full, need, "%s/%s", path, names[i]);
		if (stat(full, &st) == 0 && S_ISDIR(st.st_mode))
			rc = add_dir(rs, full, depth + 1, err);
		else if (has_yaml_ext(names[i]))
			rc = add_file(rs, full, err);
		free(full);
	}
out:
	closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

mh_rc mh_ruleset_add_path(mh_ruleset *rs, const char *path, mh_err *err)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return mh_err_set(err, MH_EIO, path, 0, 0, "cannot open: %s",
				  strerror(errno));
	if (S_ISDIR(st.st_mode))
		return add_dir(rs, path, 0, err);
	return add_file(rs, path, err);
}

#define PACK "t1071.003/"

static bool is_shared(const char *p)
{
	size_t pl = strlen(PACK);
	return !strncmp(p, PACK, pl) && !strchr(p + pl, '/') && has_yaml_ext(p);
}

static mh_rc add_embedded(mh_ruleset *rs, const mh_embedded_file *f,
			  mh_err *err)
{
	char name[512];

	snprintf(name, sizeof(name), "builtin:%s", f->path);
	return mh_ruleset_add_yaml(rs, name, f->data, f->len, err);
}

mh_rc mh_ruleset_add_builtin_shared(mh_ruleset *rs, mh_err *err)
{
	for (size_t i = 0; i < mh_embedded_rules_count; i++) {
		mh_rc rc;
		if (!is_shared(mh_embedded_rules[i].path))
			continue;
		if ((rc = add_embedded(rs, &mh_embedded_rules[i], err)))
			return rc;
	}
	return MH_OK;
}

static bool in_profile(const char *p, const char *profile)
{
	size_t pl = strlen(PACK), n = strlen(profile);
	return !strncmp(p, PACK, pl) && !strncmp(p + pl, profile, n) &&
	       p[pl + n] == '/' && has_yaml_ext(p);
}

mh_rc mh_ruleset_add_builtin(mh_ruleset *rs, const char *profile, mh_err *err)
{
	bool found = false;
	mh_rc rc;

	for (size_t i = 0; i < mh_embedded_rules_count; i++)
		if (in_profile(mh_embedded_rules[i].path, profile))
			found = true;
	if (!found || !*profile || strchr(profile, '/'))
		return mh_err_set(err, MH_ENOTFOUND, NULL, 0, 0,
				  "unknown profile '%s'", profile);
	if ((rc = mh_ruleset_add_builtin_shared(rs, err)))
		return rc;
	for (size_t i = 0; i < mh_embedded_rules_count; i++) {
		if (!in_profile(mh_embedded_rules[i].path, profile))
			continue;
		if ((rc = add_embedded(rs, &mh_embedded_rules[i], err)))
			return rc;
	}
	return MH_OK;
}

/* Computed on first call into static storage: not thread-safe on the
 * first call (call it from the main thread). */
const char *const *mh_builtin_profiles(void)
{
	static char names[32][64];
	static const char *list[33];
	static bool done;
	size_t n = 0, pl = strlen(PACK);

	if (done)
		return list;
	for (size_t i = 0; i < mh_embedded_rules_count && n < 32; i++) {
		const char *p = mh_embedded_rules[i].path;
		const char *slash;
		size_t len, k;

		if (strncmp(p, PACK, pl))
			continue;
		slash = strchr(p + pl, '/');
		if (!slash)
			continue;
		len = (size_t)(slash - (p + pl));
		if (!len || len >= sizeof(names[0]))
			continue;
		for (k = 0; k < n; k++)
			if (strlen(names[k]) == len &&
			    !memcmp(names[k], p + pl, len))
				break;
		if (k < n)
			continue;
		memcpy(names[n], p + pl, len);
		names[n][len] = '\0';
		list[n] = names[n];
		n++;
	}
	list[n] = NULL;
	done = true;
	return list;
}

/* ---------- compile ---------- */
static void node_fields(const cnode *n, mh_fieldset *fs)
{
	if (n->op == C_PRED) {
		const mh_pred *p = n->pred;
		if (p->field == MH_F_NONE) {
			for (int f = 0; f < MH_F__COUNT; f++)
				mh_fieldset_add(fs, (mh_field)f);
		} else {
			mh_fieldset_add(fs, p->field);
		}
		for (size_t i = 0; i < p->nm; i++)
			if (p->m[i].kind == M_REF)
				mh_fieldset_add(fs, p->m[i].ref);
		return;
	}
	for (uint32_t i = 0; i < n->nkids; i++)
		node_fields(n->kids[i], fs);
}

typedef struct ivec {
	int64_t *v;
	size_t n, cap;
	bool oom;
} ivec;

static void iv_set(ivec *a, const int64_t *v, size_t n)
{
	if (mh_rule_vec_grow((void **)&a->v, &a->cap, n ? n : 1,
			     sizeof(*a->v))) {
		a->oom = true;
		a->n = 0;
		return;
	}
	memcpy(a->v, v, n * sizeof(*v));
	a->n = n;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static void iv_union(ivec *a, const ivec *b)
{
	size_t k = 0;

	if (mh_rule_vec_grow((void **)&a->v, &a->cap, a->n + b->n + 1,
			     sizeof(*a->v))) {
		a->oom = true;
		return;
	}
	memcpy(a->v + a->n, b->v, b->n * sizeof(*b->v));
	a->n += b->n;
	qsort(a->v, a->n, sizeof(*a->v), cmp_i64);
	for (size_t i = 0; i < a->n; i++)
		if (!k || a->v[k - 1] != a->v[i])
			a->v[k++] = a->v[i];
	a->n = k;
}

static void iv_intersect(ivec *a, const ivec *b)
{
	size_t k = 0;
	for (size_t i = 0; i < a->n; i++)
		for (size_t j = 0; j < b->n; j++)
			if (a->v[i] == b->v[j]) {
				a->v[k++] = a->v[i];
				break;
			}
	a->n = k;
}

/* Does n require field f to be one of a set of integers? 1 + *out. */
static int required(const cnode *n, mh_field f, ivec *out)
{
	switch (n->op) {
	case C_PRED: {
		const mh_pred *p = n->pred;
		if (p->field != f || p->exists || p->neg || p->all || p->nm ||
		    p->set.cap || p->has_null || !p->nints)
			return 0;
		iv_set(out, p->ints, p->nints);
		return !out->oom;
	}
	case C_AND: {
		int got = 0;
		for (uint32_t i = 0; i < n->nkids; i++) {
			ivec k = {0};
			if (required(n->kids[i], f, &k)) {
				if (!got)
					iv_set(out, k.v, k.n);
				else
					iv_intersect(out, &k);
				got = 1;
			}
			free(k.v);
		}
		return got && !out->oom;
	}
	case C_OR: {
		out->n = 0;
		for (uint32_t i = 0; i < n->nkids; i++) {
			ivec k = {0};
			int ok = required(n->kids[i], f, &k);
			if (ok)
				iv_union(out, &k);
			free(k.v);
			if (!ok)
				return 0;
		}
		return n->nkids > 0 && !out->oom;
	}
	default:
		return 0;
	}
}

/* A necessary condition of a node on int field f (issue 4):
 * (f in s) or (unset and f is unset) or (g != MH_F_NONE and g is set).
 * sv: the s atom is present. unset_proto: the unset atom may hold while
 * Protocol is set; when false, every way the node allows f unset also
 * requires Protocol unset (`not (f|exists: true or Protocol|exists:
 * true)`), so normalising an ICMP record (which has a Protocol) that
 * unsets its ports cannot make the node true. */
typedef struct preq {
	ivec s;
	bool sv, unset, unset_proto;
	mh_field g;
} preq;

/* Is n the predicate `field|exists: true` (not negated)? */
static bool is_exists_true(const cnode *n, mh_field field)
{
	const mh_pred *p = n->op == C_PRED ? n->pred : NULL;
	return p && p->field == field && p->exists && p->exists_val && !p->neg;
}

/* n without its one-kid AND/OR wrappers (a selection of one item). */
static const cnode *unwrap1(const cnode *n)
{
	while (n && (n->op == C_AND || n->op == C_OR) && n->nkids == 1)
		n = n->kids[0];
	return n;
}

/* Only Service may be the string atom: the JSON fast path finds it by
 * its dialect keys; normalise derives it only for Zeek smtp.log records
 * (the fast path is off for that dialect). */
#define PF_STR_FIELD MH_F_SERVICE

/* Does n imply a condition of the form above? 1 + *out. Conservative:
 * 0 whenever unsure. */
static int req_any(const cnode *n, mh_field f, preq *out)
{
	switch (n->op) {
	case C_PRED: {
		const mh_pred *p = n->pred;
		if (p->field == f) {
			if (p->exists && !p->exists_val && !p->neg) {
				out->unset = out->unset_proto = true;
				return 1;
			}
			if (required(n, f, &out->s)) {
				out->sv = true;
				return 1;
			}
			return 0;
		}
		/* pred_eval(): a pred on an unset field is false unless
		 * it is |exists: false or has a null value */
		if (p->field == PF_STR_FIELD &&
		    (p->exists ? p->exists_val && !p->neg : !p->has_null)) {
			out->g = p->field;
			return 1;
		}
		return 0;
	}
	case C_NOT: {
		/* not (f|exists: true), or not (A or B or ...) with one of
		 * them f|exists: true: f is unset (not (A or B) implies not
		 * A); with Protocol|exists: true among them too, so is
		 * Protocol */
		const cnode *k = unwrap1(n->nkids == 1 ? n->kids[0] : NULL);
		bool proto = false;
		if (!k)
			return 0;
		if (is_exists_true(k, f)) {
			out->unset = out->unset_proto = true;
			return 1;
		}
		if (k->op != C_OR)
			return 0;
		for (uint32_t i = 0; i < k->nkids; i++) {
			const cnode *c = unwrap1(k->kids[i]);
			if (is_exists_true(c, f))
				out->unset = true;
			else if (is_exists_true(c, MH_F_PROTOCOL))
				proto = true;
		}
		out->unset_proto = out->unset && !proto;
		return out->unset;
	}
	case C_AND: {
		/* any kid's condition holds; prefer int-only ones
		 * (intersected), then the first other one */
		int got = 0;
		ivec k = {0};
		if (required(n, f, &k)) {
			iv_set(&out->s, k.v, k.n);
			out->sv = true;
			free(k.v);
			return !out->s.oom;
		}
		free(k.v);
		for (uint32_t i = 0; i < n->nkids && !got; i++) {
			preq q = {.g = MH_F_NONE};
			if (req_any(n->kids[i], f, &q)) {
				*out = q;
				got = 1;
			} else {
				free(q.s.v);
			}
		}
		return got && !out->s.oom;
	}
	case C_OR: {
		if (!n->nkids)
			return 0;
		for (uint32_t i = 0; i < n->nkids; i++) {
			preq q = {.g = MH_F_NONE};
			int ok = req_any(n->kids[i], f, &q);
			if (ok && q.g != MH_F_NONE) {
				if (out->g != MH_F_NONE && out->g != q.g)
					ok = 0;
				out->g = q.g;
			}
			if (ok && q.sv) {
				iv_union(&out->s, &q.s);
				out->sv = true;
			}
			if (ok && q.unset)
				out->unset = true;
			if (ok && q.unset_proto)
				out->unset_proto = true;
			free(q.s.v);
			if (!ok)
				return 0;
		}
		return !out->s.oom;
	}
	default:
		return 0;
	}
}

static void compute_prefilter(mh_ruleset *rs)
{
	mh_field order[MH_F__COUNT];
	size_t no = 0;

	rs->has_prefilter = false;
	rs->pf_unset = rs->pf_unset_proto = false;
	rs->pf_str_field = MH_F_NONE;
	if (!rs->ndet)
		return;
	order[no++] = MH_F_DESTINATION_PORT;
	for (int f = 0; f < MH_F__COUNT; f++)
		if (f != MH_F_DESTINATION_PORT &&
		    mh_field_type((mh_field)f) == MH_T_INT)
			order[no++] = (mh_field)f;
	for (size_t o = 0; o < no; o++) {
		ivec all = {0};
		bool ok = true;

		for (size_t i = 0; i < rs->ndet && ok; i++) {
			ivec k = {0};
			if (required(rs->rules[rs->det[i]]->root, order[o], &k))
				iv_union(&all, &k);
			else
				ok = false;
			free(k.v);
		}
		if (ok && !all.oom) {
			rs->has_prefilter = true;
			rs->pf_field = order[o];
			rs->pf_vals = all.v;
			rs->pf_n = all.n;
			return;
		}
		free(all.v);
	}
	/* issue 4: the disjunctive form, on the destination port only */
	{
		preq all = {.g = MH_F_NONE};
		bool ok = true;
		mh_field f = MH_F_DESTINATION_PORT;

		for (size_t i = 0; i < rs->ndet && ok; i++) {
			preq q = {.g = MH_F_NONE};
			if (!req_any(rs->rules[rs->det[i]]->root, f, &q)) {
				ok = false;
			} else {
				if (q.sv)
					iv_union(&all.s, &q.s);
				all.unset |= q.unset;
				all.unset_proto |= q.unset_proto;
				if (q.g != MH_F_NONE) {
					if (all.g != MH_F_NONE && all.g != q.g)
						ok = false;
					all.g = q.g;
				}
			}
			free(q.s.v);
		}
		if (ok && !all.s.oom && all.s.n) {
			rs->has_prefilter = true;
			rs->pf_field = f;
			rs->pf_vals = all.s.v;
			rs->pf_n = all.s.n;
			rs->pf_unset = all.unset;
			rs->pf_unset_proto = all.unset_proto;
			rs->pf_str_field = all.g;
			return;
		}
		free(all.s.v);
	}
}

/* An environment switch: set and not "0". */
static bool env_flag(const char *name)
{
	const char *v = getenv(name);
	return v && *v && strcmp(v, "0") != 0;
}

mh_rc mh_ruleset_compile(mh_ruleset *rs, mh_err *err)
{
	mh_rc rc;

	if (rs->compiled)
		return MH_OK;
	free(rs->det);
	rs->det = calloc(rs->nrules ? rs->nrules : 1, sizeof(*rs->det));
	if (!rs->det)
		return mh_err_set(err, MH_ENOMEM, NULL, 0, 0, "out of memory");
	rs->ndet = 0;
	memset(&rs->fields, 0, sizeof(rs->fields));
	for (size_t i = 0; i < rs->nrules; i++) {
		rule_int *r = rs->rules[i];
		r->pub.referenced = false;
		r->pub.generate = false;
	}
	for (size_t i = 0; i < rs->nrules; i++) {
		rule_int *r = rs->rules[i];
		if (!r->pub.is_correlation) {
			rs->det[rs->ndet++] = (uint32_t)i;
			node_fields(r->root, &rs->fields);
			continue;
		}
		if ((rc = mh_corr_resolve(rs, r, err))) {
			if (rc == MH_ENOMEM)
				mh_err_set(err, rc, NULL, 0, 0,
					   "out of memory");
			return rc;
		}
		for (size_t g = 0; g < r->corr->ngroup * r->corr->nrules; g++)
			mh_fieldset_add(&rs->fields, r->corr->group_fields[g]);
		if (r->corr->value_field != MH_F_NONE)
			mh_fieldset_add(&rs->fields, r->corr->value_field);
	}
	compute_prefilter(rs);
	/* MAILHUNT_NO_RULE_INDEX=1: every rule on every event (the plain
	 * matcher), for equivalence checks; read here, once */
	if (!env_flag("MAILHUNT_NO_RULE_INDEX") && (rc = mh_rindex_build(rs)))
		return mh_err_set(err, rc, NULL, 0, 0, "out of memory");
	rs->compiled = true;
	return MH_OK;
}

size_t mh_ruleset_count(const mh_ruleset *rs)
{
	return rs->nrules;
}

const mh_rule *mh_ruleset_rule(const mh_ruleset *rs, size_t i)
{
	return i < rs->nrules ? &rs->rules[i]->pub : NULL;
}

const mh_profile_info *mh_ruleset_profile(const mh_ruleset *rs)
{
	return rs->profile;
}

const mh_portmap_entry *mh_ruleset_portmap(const mh_ruleset *rs, size_t *n)
{
	*n = rs->nports;
	return rs->ports;
}

void mh_ruleset_fields(const mh_ruleset *rs, mh_fieldset *out)
{
	for (unsigned i = 0; i < MH_FIELD_WORDS; i++)
		out->w[i] |= rs->fields.w[i];
}

bool mh_ruleset_prefilter(const mh_ruleset *rs, mh_field *f,
			  const int64_t **vals, size_t *n)
{
	if (!rs->has_prefilter || rs->pf_unset || rs->pf_str_field != MH_F_NONE)
		return false;
	*f = rs->pf_field;
	*vals = rs->pf_vals;
	*n = rs->pf_n;
	return true;
}

bool mh_ruleset_prefilter_ex(const mh_ruleset *rs, mh_prefilter *out)
{
	memset(out, 0, sizeof(*out));
	out->str_field = MH_F_NONE;
	if (!rs->has_prefilter)
		return false;
	out->field = rs->pf_field;
	out->vals = rs->pf_vals;
	out->n = rs->pf_n;
	out->allow_unset = rs->pf_unset;
	out->unset_proto = rs->pf_unset_proto;
	out->str_field = rs->pf_str_field;
	return true;
}
