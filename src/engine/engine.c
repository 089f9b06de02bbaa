/* Engine API: per-event alerts of standalone detection rules, dispatch
 * of matches to correlation groups, alert access (the end of the input:
 * finish.c). */
#include "engine/engine_int.h"
#include "util/timefmt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Append "s" to buf at *off, cut to cap-1 bytes overall. */
static void sum_put(char *buf, size_t cap, size_t *off, const char *s, size_t n)
{
	if (*off + 1 >= cap)
		return;
	if (n > cap - 1 - *off)
		n = cap - 1 - *off;
	memcpy(buf + *off, s, n);
	*off += n;
	buf[*off] = '\0';
}

size_t mh_eng_ref_summary(const mh_event *ev, char *buf, size_t cap)
{
	const mh_str *proc = mh_event_get(ev, MH_F_PROCESS_NAME);
	const mh_str *dip = mh_event_get(ev, MH_F_DESTINATION_IP);
	const mh_str *dport = mh_event_get(ev, MH_F_DESTINATION_PORT);
	const mh_str *cmd = mh_event_get(ev, MH_F_COMMAND_LINE);
	const mh_str *sb = mh_event_get(ev, MH_F_SCRIPT_BLOCK_TEXT);
	const mh_str *eid = mh_event_get(ev, MH_F_EVENT_ID);
	char t[48];
	size_t off = 0, tn;

	if (!cap)
		return 0;
	buf[0] = '\0';
	if (!proc)
		proc = mh_event_get(ev, MH_F_IMAGE);
	if (mh_event_has(ev, MH_F_TIME)) {
		tn = mh_time_format(ev->time_ns, t, sizeof(t));
		sum_put(buf, cap, &off, t, tn);
	}
	if (eid) {
		sum_put(buf, cap, &off, " EventID ", 9);
		sum_put(buf, cap, &off, eid->p, eid->n);
	}
	if (proc) {
		sum_put(buf, cap, &off, " ", 1);
		sum_put(buf, cap, &off, proc->p, proc->n);
	}
	if (dip || dport) {
		sum_put(buf, cap, &off, " -> ", 4);
		if (dip)
			sum_put(buf, cap, &off, dip->p, dip->n);
		if (dport) {
			sum_put(buf, cap, &off, ":", 1);
			sum_put(buf, cap, &off, dport->p, dport->n);
		}
	}
	if (cmd) {
		sum_put(buf, cap, &off, " cmd=\"", 6);
		sum_put(buf, cap, &off, cmd->p, cmd->n > 160 ? 160 : cmd->n);
		sum_put(buf, cap, &off, cmd->n > 160 ? "...\"" : "\"",
			cmd->n > 160 ? 4 : 1);
	} else if (sb) {
		sum_put(buf, cap, &off, " script=\"", 9);
		sum_put(buf, cap, &off, sb->p, sb->n > 160 ? 160 : sb->n);
		sum_put(buf, cap, &off, sb->n > 160 ? "...\"" : "\"",
			sb->n > 160 ? 4 : 1);
	}
	return off;
}

#define ENG_DEFAULT_MEM ((size_t)256 * 1024 * 1024)

char *mh_eng_strdup(mh_engine *e, const char *p, size_t n)
{
	return mh_arena_strndup(&e->arena, n ? p : "", n);
}

bool mh_eng_alerts_reserve(mh_engine *e, size_t k)
{
	size_t n = e->alerts_cap ? e->alerts_cap : 64;
	eng_alert **v;

	if (e->nalerts + k <= e->alerts_cap)
		return true;
	while (n < e->nalerts + k)
		n *= 2;
	if (!(v = realloc(e->alerts, n * sizeof(*v))))
		return false;
	e->alerts = v;
	e->alerts_cap = n;
	return true;
}

eng_alert *mh_eng_alert_new(mh_engine *e)
{
	eng_alert *a;

	if (!mh_eng_alerts_reserve(e, 1))
		return NULL;
	a = mh_arena_alloc(&e->arena, sizeof(*a));
	if (!a)
		return NULL;
	memset(a, 0, sizeof(*a));
	a->seq = e->aseq++;
	e->alerts[e->nalerts++] = a;
	return a;
}

static bool is_closing(const mh_corr *c)
{
	for (size_t i = 0; i < c->ncond && i < MH_CORR_MAX_COND; i++)
		if (c->cond[i].op != MH_CMP_GT && c->cond[i].op != MH_CMP_GTE)
			return true;
	return false;
}

mh_rc mh_engine_new(const mh_ruleset *rs, const mh_engine_opts *opts,
		    mh_engine **out, mh_err *err)
{
	mh_engine *e;
	size_t nref = 0;
	mh_rc rc = MH_ENOMEM;

	*out = NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return mh_err_set(err, MH_ENOMEM, NULL, 0, 0,
				  "engine: out of memory");
	e->rs = rs;
	if (opts)
		e->opts = *opts;
	{
		/* A cap of 64 MiB or more bounds the process, not only the
		 * group state: keep 32 MiB for the reader, the rules and the
		 * binary, and a fifth of the rest for heap fragmentation
		 * under eviction churn. */
		size_t cap =
		    e->opts.max_memory ? e->opts.max_memory : ENG_DEFAULT_MEM;
		if (cap >= ((size_t)64 << 20))
			e->max_mem = (cap - ((size_t)32 << 20)) / 5 * 4;
		else
			e->max_mem = cap; /* small caps: the group state only */
	}
	mh_arena_init(&e->arena, 16 * 1024, 0);
	e->spill_fd = -1;
	e->merge_last = SIZE_MAX;
	e->spill_budget =
	    e->opts.alert_spill ? e->opts.alert_spill : e->max_mem / 8;
	if (!e->opts.alert_spill && e->spill_budget < ((size_t)256 << 10))
		e->spill_budget = (size_t)256 << 10;
	e->nrules = mh_ruleset_count(rs);
	e->rules = calloc(e->nrules ? e->nrules : 1, sizeof(*e->rules));
	e->rref_start = calloc(e->nrules + 1, sizeof(*e->rref_start));
	if (!e->rules || !e->rref_start)
		goto out;
	for (size_t i = 0; i < e->nrules; i++) {
		const mh_rule *r = mh_ruleset_rule(rs, i);
		e->rules[i] = r;
		if (r->is_correlation && r->corr) {
			e->ncorr++;
			nref += r->corr->nrules;
		}
	}
	e->corrs = calloc(e->ncorr ? e->ncorr : 1, sizeof(*e->corrs));
	e->touched = calloc(e->ncorr ? e->ncorr : 1, sizeof(*e->touched));
	e->keys = calloc(e->ncorr ? e->ncorr : 1, sizeof(*e->keys));
	e->rrefs = calloc(nref ? nref : 1, sizeof(*e->rrefs));
	if (!e->corrs || !e->touched || !e->keys || !e->rrefs)
		goto out;
	/* count references per detection rule, then fill (CSR layout) */
	e->ncorr = 0;
	for (size_t i = 0; i < e->nrules; i++) {
		const mh_rule *r = e->rules[i];
		const mh_corr *c;
		if (!r->is_correlation || !r->corr)
			continue;
		c = r->corr;
		if (c->ngroup && !c->group_fields) {
			rc = MH_EINVAL;
			mh_err_set(err, rc, r->path, r->line, 0,
				   "correlation '%s' has no group fields",
				   r->title ? r->title : "?");
			goto out;
		}
		e->corrs[e->ncorr].rule = r;
		e->corrs[e->ncorr].c = c;
		e->corrs[e->ncorr].closing = is_closing(c);
		e->corrs[e->ncorr].beacon = c->type == MH_CORR_BEACON;
		e->corrs[e->ncorr].queues =
		    c->type != MH_CORR_BEACON &&
		    (c->window == MH_WIN_SLIDING ||
		     c->window == MH_WIN_SEQUENCE ||
		     (c->window == MH_WIN_LOOKBACK && !e->opts.now_set));
		e->ncorr++;
		for (size_t p = 0; p < c->nrules && p < ENG_MAX_POS; p++)
			if (c->rules[p] < e->nrules)
				e->rref_start[c->rules[p] + 1]++;
	}
	e->lateness =
	    e->opts.lateness_set ? e->opts.lateness_ns : MH_ENGINE_LATENESS_DEF;
	e->xcorrs = calloc(e->ncorr ? e->ncorr : 1, sizeof(*e->xcorrs));
	if (!e->xcorrs)
		goto out;
	e->sweep_step = INT64_MAX;
	for (size_t ci = 0; ci < e->ncorr && e->lateness >= 0; ci++) {
		eng_corr *ec = &e->corrs[ci];
		mh_window w = ec->c->window;
		/* `all` and lookback with --now aggregate for the whole
		 * input: their groups are never idle */
		if (w == MH_WIN_ALL ||
		    (w == MH_WIN_LOOKBACK && e->opts.now_set))
			continue;
		if (__builtin_add_overflow(ec->c->timespan_ns, e->lateness,
					   &ec->horizon))
			continue;
		ec->expires = true;
		e->xcorrs[e->nxcorr++] = (uint32_t)ci;
		if (ec->horizon / 64 < e->sweep_step)
			e->sweep_step = ec->horizon / 64;
	}
	if (e->sweep_step < 1)
		e->sweep_step = 1;
	e->next_sweep = INT64_MIN;
	for (size_t i = 0; i < e->nrules; i++)
		e->rref_start[i + 1] += e->rref_start[i];
	{
		uint32_t *fill =
		    calloc(e->nrules ? e->nrules : 1, sizeof(*fill));
		if (!fill)
			goto out;
		for (size_t ci = 0; ci < e->ncorr; ci++) {
			const mh_corr *c = e->corrs[ci].c;
			for (size_t p = 0; p < c->nrules && p < ENG_MAX_POS;
			     p++) {
				uint32_t d = c->rules[p];
				eng_rref *rr;
				if (d >= e->nrules)
					continue;
				rr = &e->rrefs[e->rref_start[d] + fill[d]++];
				rr->corr = (uint32_t)ci;
				rr->pos = (uint32_t)p;
			}
		}
		free(fill);
	}
	*out = e;
	return MH_OK;
out:
	if (rc == MH_ENOMEM)
		mh_err_set(err, rc, NULL, 0, 0, "engine: out of memory");
	mh_engine_free(e);
	return rc;
}

void mh_engine_free(mh_engine *e)
{
	if (!e)
		return;
	if (e->reaping)
		pthread_join(e->reaper, NULL);
	mh_eng_groups_free_all(e);
	mh_eng_spill_free(e);
	mh_arena_free(&e->arena);
	free(e->alerts);
	free(e->kbuf);
	free(e->rules);
	free(e->rref_start);
	free(e->rrefs);
	free(e->corrs);
	free(e->xcorrs);
	free(e->touched);
	free(e->keys);
	free(e);
}

void mh_engine_note_time(mh_engine *e, int64_t t_ns)
{
	if (!e->have_t || t_ns > e->max_t) {
		e->max_t = t_ns;
		e->have_t = true;
	}
}

/* One alert for one event of a standalone detection rule. */
/* What the alerts of one event share: its user, context and reference,
 * copied into the engine's arena by the first of them (done). */
typedef struct ev_share {
	bool done;
	const mh_str *users;
	size_t nusers;
	const mh_alert_kv *ctx;
	size_t nctx;
	const mh_str *refs;
	size_t nrefs;
} ev_share;

/* Fills sh from ev (once per event; the alerts point into it). */
static mh_rc share_event(mh_engine *e, const mh_event *ev, ev_share *sh)
{
	const mh_str *s = mh_event_get(ev, MH_F_USER);
	mh_alert_kv *kv;
	size_t n = 0;

	if (s) {
		mh_str *u = mh_arena_alloc(&e->arena, sizeof(*u));
		if (!u)
			return MH_ENOMEM;
		u->p = mh_eng_strdup(e, s->p, s->n);
		u->n = s->n;
		if (!u->p)
			return MH_ENOMEM;
		sh->users = u;
		sh->nusers = 1;
	}
	for (int i = 0; i < ENG_NCTX; i++)
		n += mh_event_get(ev, mh_engine_ctx_fields[i]) != NULL;
	kv = mh_arena_alloc(&e->arena, (n ? n : 1) * sizeof(*kv));
	if (!kv)
		return MH_ENOMEM;
	n = 0;
	for (int i = 0; i < ENG_NCTX; i++) {
		mh_field f = mh_engine_ctx_fields[i];
		s = mh_event_get(ev, f);
		if (!s)
			continue;
		kv[n].field = f;
		kv[n].name = mh_field_name(f);
		kv[n].set = true;
		kv[n].val.p = mh_eng_strdup(e, s->p, s->n);
		kv[n].val.n = s->n;
		if (!kv[n].val.p)
			return MH_ENOMEM;
		n++;
	}
	sh->ctx = kv;
	sh->nctx = n;
	if (e->opts.max_refs) {
		const char *f = ev->file ? ev->file : "?";
		char sum[512];
		size_t sl = mh_eng_ref_summary(ev, sum, sizeof(sum));
		size_t fl = strlen(f), cap = fl + 26 + sl;
		mh_str *ref = mh_arena_alloc(&e->arena, sizeof(*ref));
		char *p = mh_arena_alloc(&e->arena, cap);
		int w;
		if (!ref || !p)
			return MH_ENOMEM;
		w = snprintf(p, cap, "%s:%llu%s%s", f,
			     (unsigned long long)ev->line, sl ? " " : "", sum);
		ref->p = p;
		ref->n = w > 0 && (size_t)w < cap ? (size_t)w : 0;
		sh->refs = ref;
		sh->nrefs = 1;
	}
	sh->done = true;
	return MH_OK;
}

/* The alert of detection rule r on ev; sh: what ev's alerts share. */
static mh_rc emit_single(mh_engine *e, const mh_rule *r, const mh_event *ev,
			 ev_share *sh)
{
	eng_alert *al = mh_eng_alert_new(e);
	mh_alert *x;
	int64_t b;
	mh_rc rc;

	if (!al)
		return MH_ENOMEM;
	if (!sh->done && (rc = share_event(e, ev, sh)) != MH_OK)
		return rc;
	x = &al->a;
	x->rule = r;
	x->level = r->level;
	x->count = 1;
	x->value = 1;
	x->first_ns = x->last_ns = ev->time_ns;
	x->distinct_dst = mh_event_has(ev, MH_F_DESTINATION_IP) ? 1 : 0;
	if (mh_event_int(ev, MH_F_BYTES_SENT, &b)) {
		x->bytes_set = true;
		x->bytes_sent = b;
	}
	x->users = sh->users;
	x->nusers = sh->nusers;
	{
		const mh_rule **c = mh_arena_alloc(&e->arena, sizeof(*c));
		if (!c)
			return MH_ENOMEM;
		c[0] = r;
		x->contrib = c;
		x->ncontrib = 1;
	}
	x->ctx = sh->ctx;
	x->nctx = sh->nctx;
	x->refs = sh->refs;
	x->nrefs = sh->nrefs;
	return MH_OK;
}

mh_rc mh_engine_feed(mh_engine *e, const mh_event *ev, const uint32_t *matched,
		     size_t n, mh_err *err)
{
	mh_rc rc = MH_OK;
	ev_share sh;

	if (e->finished)
		return mh_err_set(err, MH_EINVAL, NULL, 0, 0,
				  "engine: feed after finish");
	memset(&sh, 0, sizeof(sh));
	if (mh_event_has(ev, MH_F_TIME)) {
		int64_t behind;
		if (n && e->lateness >= 0 && e->have_t &&
		    (__builtin_sub_overflow(e->max_t, ev->time_ns, &behind) ||
		     behind > e->lateness))
			e->st.straggled++;
		mh_engine_note_time(e, ev->time_ns);
	}
	if (!n)
		return MH_OK;
	e->st.fed++;
	e->ntouched = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t m = matched[i];
		const mh_rule *r;
		if (m >= e->nrules)
			continue;
		r = e->rules[m];
		if (r->is_correlation)
			continue;
		if (!r->referenced || r->generate) {
			rc = emit_single(e, r, ev, &sh);
			if (rc != MH_OK)
				goto out;
		}
		for (uint32_t k = e->rref_start[m]; k < e->rref_start[m + 1];
		     k++) {
			eng_corr *ec = &e->corrs[e->rrefs[k].corr];
			if (!ec->touched) {
				ec->touched = true;
				ec->pend_mask = 0;
				e->touched[e->ntouched++] = e->rrefs[k].corr;
			}
			ec->pend_mask |= 1u << e->rrefs[k].pos;
		}
	}
	/* correlations in ruleset order, whatever the match order */
	for (size_t i = 1; i < e->ntouched; i++) {
		uint32_t v = e->touched[i];
		size_t j = i;
		while (j > 0 && e->touched[j - 1] > v) {
			e->touched[j] = e->touched[j - 1];
			j--;
		}
		e->touched[j] = v;
	}
	/* The keys first; then the table slots and the groups they head
	 * are prefetched, so that the cache misses of the event's groups
	 * overlap (the table is cold: the reader streams the input through
	 * the cache between two matched events). */
	e->kn = 0;
	for (size_t i = 0; i < e->ntouched && rc == MH_OK; i++) {
		eng_corr *ec = &e->corrs[e->touched[i]];
		rc = mh_eng_corr_key(e, e->touched[i], ev, ec->pend_mask,
				     &e->keys[i]);
		if (rc == MH_OK)
			mh_eng_prefetch_slot(e, &e->keys[i]);
	}
	for (size_t i = 0; i < e->ntouched && rc == MH_OK; i++)
		mh_eng_prefetch_group(e, &e->keys[i]);
	for (size_t i = 0; i < e->ntouched; i++) {
		eng_corr *ec = &e->corrs[e->touched[i]];
		ec->touched = false;
		if (rc == MH_OK)
			rc = mh_eng_corr_feed(e, e->touched[i], ev,
					      ec->pend_mask, &e->keys[i]);
	}
	e->ntouched = 0;
	if (rc == MH_OK)
		rc = mh_eng_expire(e);
	if (rc == MH_OK && e->arena.used_total >= e->spill_budget)
		rc = mh_eng_spill(e);
out:
	for (size_t i = 0; i < e->ntouched; i++)
		e->corrs[e->touched[i]].touched = false;
	e->ntouched = 0;
	/* the groups hold their own references */
	mh_eng_ctx_release(e, e->evctx);
	e->evctx = NULL;
	if (rc != MH_OK)
		return mh_err_set(err, rc, ev->file, ev->line, 0, "engine: %s",
				  mh_rc_str(rc));
	return MH_OK;
}

size_t mh_engine_alert_count(const mh_engine *e)
{
	return e->nalerts + (size_t)e->st.spilled;
}

const mh_alert *mh_engine_alert(const mh_engine *e, size_t i)
{
	return !e->nruns && i < e->nalerts ? &e->alerts[i]->a : NULL;
}

mh_rc mh_engine_next_alert(mh_engine *e, const mh_alert **out, mh_err *err)
{
	mh_rc rc;

	*out = NULL;
	if (!e->finished)
		return mh_err_set(err, MH_EINVAL, NULL, 0, 0,
				  "engine: alerts read before finish");
	if (!e->nruns) {
		if (e->next_i >= e->nalerts)
			return MH_EOF;
		*out = &e->alerts[e->next_i++]->a;
		return MH_OK;
	}
	rc = mh_eng_merge_next(e, out);
	if (rc == MH_EIO)
		return mh_err_set(err, rc, NULL, 0, 0,
				  "engine: reading spilled alerts back: %s",
				  strerror(errno));
	return rc;
}

void mh_engine_get_stats(const mh_engine *e, mh_engine_stats *st)
{
	*st = e->st;
	if (!e->finished) {
		st->groups = e->ngroups;
		st->alerts = e->nalerts + e->st.spilled;
		st->now_ns = e->opts.now_set ? e->opts.now_ns : e->max_t;
	}
	st->late = e->late;
}

void mh_engine_fields(mh_fieldset *out)
{
	mh_fieldset_add(out, MH_F_TIME);
	mh_fieldset_add(out, MH_F_DESTINATION_IP);
	mh_fieldset_add(out, MH_F_BYTES_SENT);
	mh_fieldset_add(out, MH_F_USER);
	for (int i = 0; i < ENG_NCTX; i++)
		mh_fieldset_add(out, mh_engine_ctx_fields[i]);
}
