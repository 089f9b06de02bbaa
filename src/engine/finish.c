/* The end of the input: every correlation group left is flushed (its
 * window closes) and freed, on one thread or two, and the alerts are
 * sorted for output (engine.h, mh_engine_finish()). */
#include "engine/engine_int.h"
#include "util/thread.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

/* bytes of group state freed between two malloc_trim() calls at the end */
#define ENG_TRIM_STEP ((size_t)4 << 20)
/* groups at the end from which finish_parallel() is tried */
#define ENG_FIN_PAR_MIN 4096

/* Flush group g and, past the alert budget, spill. */
static mh_rc flush_keep(mh_engine *e, eng_group *g)
{
	mh_rc rc = mh_eng_group_flush(e, g, false);

	if (rc == MH_OK && e->arena.used_total >= e->spill_budget)
		rc = mh_eng_spill(e);
	return rc;
}

/* The one-thread end: flush and free every group, least recently
 * updated first (a deterministic order). A group is freed once flushed,
 * so the alerts of the last groups reuse its memory instead of adding to
 * the peak. */
static mh_rc finish_serial(mh_engine *e)
{
	size_t trim_mem = e->mem;
	mh_rc rc;

	while (e->lru.tail) {
		rc = flush_keep(e, e->lru.tail);
		if (rc != MH_OK)
			return rc;
		mh_eng_group_free(e, e->lru.tail);
#ifdef __GLIBC__
		/* the alerts take new arena chunks while the groups' memory
		 * sits in malloc's free lists: give it back as it frees up,
		 * or the process would hold both at the end */
		if (e->mem + ENG_TRIM_STEP < trim_mem) {
			malloc_trim(0);
			trim_mem = e->mem;
		}
#endif
	}
	return MH_OK;
}

/* Groups claimed at a time by either thread of the two-thread end. */
#define FIN_BATCH 64

/* The two-thread end's shared state. The groups form one list, least
 * recently updated (the tail) first: this thread flushes from the tail
 * and a helper from the head, each claiming FIN_BATCH groups at a time
 * from the count nobody has claimed, so the groups neither took form a
 * run in the middle. The helper flushes into an engine of its own: a
 * copy of e that shares the read-only rule and correlation data, with
 * its own alert arena and list. Flushing a group reads the group, the
 * rules, e->opts and e->st.now_ns, and writes only the group's own
 * state and the alert arena and list (agg.c, window.c), and neither
 * thread writes the lru links, so the two never touch the same memory. */
typedef struct fin_share {
	mh_engine sub;
	pthread_mutex_t mu;
	size_t left;	/* groups neither thread has claimed (mu) */
	eng_group *g;	/* the helper's next group (towards the tail) */
	uint32_t *runs; /* alerts of each group the helper flushed */
	size_t nruns;
	size_t budget; /* stop once sub's alerts take this */
	mh_rc rc;
} fin_share;

static size_t fin_claim(fin_share *h)
{
	size_t k;

	pthread_mutex_lock(&h->mu);
	k = h->left < FIN_BATCH ? h->left : FIN_BATCH;
	h->left -= k;
	pthread_mutex_unlock(&h->mu);
	return k;
}

/* Hand back the last k groups a thread claimed but did not flush: they
 * border the unclaimed run, which they join. */
static void fin_unclaim(fin_share *h, size_t k)
{
	pthread_mutex_lock(&h->mu);
	h->left += k;
	pthread_mutex_unlock(&h->mu);
}

static void *fin_helper(void *p)
{
	fin_share *h = p;
	size_t k;

	h->rc = MH_OK;
	while ((k = fin_claim(h)) != 0) {
		while (k && h->g) {
			size_t before = h->sub.nalerts;
			if (h->sub.arena.used_total >= h->budget)
				break;
			h->rc = mh_eng_group_flush(&h->sub, h->g, false);
			h->runs[h->nruns++] =
			    (uint32_t)(h->sub.nalerts - before);
			if (h->rc != MH_OK)
				return NULL;
			h->g = h->g->lru.next;
			k--;
		}
		if (k) {
			fin_unclaim(h, k);
			break;
		}
	}
	return NULL;
}

/* Append the helper's alerts to e's as a one-thread end would have
 * made them: the helper went from the most recently updated group, so
 * its groups' runs of alerts go in the reverse order (each run as it
 * is), numbered after e's. Then take over their memory. */
static mh_rc fin_adopt(mh_engine *e, fin_share *h)
{
	size_t k = h->sub.nalerts, from = 0, to = k;

	if (!mh_eng_alerts_reserve(e, k))
		return MH_ENOMEM;
	for (size_t r = 0; r < h->nruns; r++) {
		to -= h->runs[r];
		memcpy(&e->alerts[e->nalerts + to], &h->sub.alerts[from],
		       h->runs[r] * sizeof(*e->alerts));
		from += h->runs[r];
	}
	for (size_t i = 0; i < k; i++)
		e->alerts[e->nalerts + i]->seq = e->aseq + i;
	e->nalerts += k;
	e->aseq += k;
	mh_arena_adopt(&e->arena, &h->sub.arena);
	return MH_OK;
}

static void *fin_reaper(void *p)
{
	mh_engine *e = p;

	while (e->reap) {
		eng_group *next = e->reap->lru.next;
		if (next)
			__builtin_prefetch(next);
		mh_eng_group_release_detached(e->reap);
		e->reap = next;
	}
	return NULL;
}

/* The two-thread end (opts.finish_threads > 1): the groups are taken
 * out of the table and flushed from both ends of their list (fin_share),
 * each thread within half of the alert budget left; the run neither
 * flushed is then flushed here, in order, with spills, and the helper's
 * alerts follow. The groups are freed on another helper while the
 * caller writes the alerts (freeing beside the flushes slowed both:
 * malloc's locks), and mh_engine_free() waits for it. The alerts are
 * the ones finish_serial() gives, in the same order. Only while the
 * groups take at most a quarter of the memory cap: groups and alerts
 * are then held at once. false: not taken (too few groups, no memory),
 * nothing was done; else *out is the result. */
static bool finish_parallel(mh_engine *e, mh_rc *out)
{
	size_t min = e->opts.finish_min_groups ? e->opts.finish_min_groups
					       : ENG_FIN_PAR_MIN;
	size_t used = e->arena.used_total, n, k;
	eng_group *head, *g;
	fin_share *sh;
	pthread_t tid;
	bool helper;
	mh_rc rc = MH_OK, arc;

	if (e->opts.finish_threads < 2 || e->ngroups < min ||
	    e->mem > e->max_mem / 4 || used >= e->spill_budget)
		return false;
	if (!(sh = calloc(1, sizeof(*sh))))
		return false;
	if (!(sh->runs = malloc(e->ngroups * sizeof(*sh->runs)))) {
		free(sh);
		return false;
	}
	head = mh_eng_groups_take(e, &g, &n);
	sh->sub = *e;
	mh_arena_init(&sh->sub.arena, e->arena.block_size, 0);
	sh->sub.alerts = NULL;
	sh->sub.nalerts = sh->sub.alerts_cap = 0;
	sh->sub.aseq = 0;
	pthread_mutex_init(&sh->mu, NULL);
	sh->left = n;
	sh->g = head;
	sh->budget = (e->spill_budget - used) / 2;
	/* no helper: all of it in the loop after this one */
	helper = mh_thread_spawn(&tid, fin_helper, sh) == 0;
	while (helper && rc == MH_OK && (k = fin_claim(sh)) != 0) {
		while (k && g && e->arena.used_total - used < sh->budget) {
			if ((rc = mh_eng_group_flush(e, g, false)) != MH_OK)
				break;
			g = g->lru.prev;
			k--;
		}
		if (k) {
			fin_unclaim(sh, k);
			break;
		}
	}
	if (helper)
		pthread_join(tid, NULL);
	/* the run neither thread flushed, before the helper's alerts */
	for (size_t i = 0; rc == MH_OK && g && i < sh->left; i++) {
		rc = flush_keep(e, g);
		g = g->lru.prev;
	}
	arc = fin_adopt(e, sh);
	if (rc == MH_OK)
		rc = sh->rc != MH_OK ? sh->rc : arc;
	free(sh->sub.alerts);
	mh_arena_free(&sh->sub.arena);
	pthread_mutex_destroy(&sh->mu);
	free(sh->runs);
	free(sh);
	if (rc == MH_OK && e->arena.used_total >= e->spill_budget)
		rc = mh_eng_spill(e);
	e->reap = head;
	e->reaping = mh_thread_spawn(&e->reaper, fin_reaper, e) == 0;
	if (!e->reaping)
		fin_reaper(e);
	*out = rc;
	return true;
}

mh_rc mh_engine_finish(mh_engine *e, mh_err *err)
{
	mh_rc rc = MH_OK;

	if (e->finished)
		return MH_OK;
	e->st.now_ns =
	    e->opts.now_set ? e->opts.now_ns : (e->have_t ? e->max_t : 0);
	e->st.groups = e->ngroups;
	if (!finish_parallel(e, &rc))
		rc = finish_serial(e);
	if (rc != MH_OK)
		goto out;
	mh_eng_groups_free_all(e);
	mh_eng_sort_alerts(e);
	e->st.alerts = e->nalerts + e->st.spilled;
	e->st.spill_failed = e->spill_failed;
	e->st.spill_errno = e->spill_errno;
	if (e->nruns && (rc = mh_eng_merge_start(e)) != MH_OK)
		goto out;
	e->finished = true;
out:
	if (rc != MH_OK)
		return mh_err_set(err, rc, NULL, 0, 0, "engine: %s",
				  mh_rc_str(rc));
	return MH_OK;
}
