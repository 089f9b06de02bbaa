/* The prefilters a scan arms on its readers (cli/scan_pf.h). */
#include "cli/scan_pf.h"
#include "input/source.h"

#include <stdlib.h>
#include <string.h>

/* Is the switch `name` set to anything but "0"? */
static bool env_on(const char *name)
{
	const char *v = getenv(name);

	return v && strcmp(v, "0") != 0;
}

static void vprobe_bad(void *ud, const char *file, uint64_t line,
		       const char *why)
{
	(void)ud;
	(void)file;
	(void)line;
	(void)why;
}

/* The value stage costs a look at each line it judges (every line
 * without a port condition, pf_vonly; the lines with a port in the set
 * otherwise): worth it only when it drops a fair share of them. Decided
 * once per file from its first MiB (an eighth of a file under 8 MiB),
 * before any thread starts, so that every --threads count gives the same
 * reports: the sample is read as the scan would read it, and the stage
 * stays when it cleared at least half of the lines it judged (or judged
 * none). A file under 512 KiB (the sample would cost more than a wrong
 * guess) and an input not held in memory (a pipe) keep it. */
static bool vstage_pays(const mh_reader *proto, mh_source *src)
{
	const char *base;
	size_t len, want;
	mh_source *s = NULL;
	mh_reader r;
	mh_event ev;
	mh_arena ar;
	bool pays = true;

	if (!mh_input_json_is_ndjson(proto))
		return false; /* the stage is in the NDJSON fast path only */
	/* a pipe, or a file too small for a sample to pay: the stage stays
	 * (a look at each line costs it at most a few percent) */
	if (!mh_source_mem(src, &base, &len) || len < (512u << 10))
		return true;
	/* the first MiB; an eighth of a smaller file (at least 64 KiB) */
	want = len / 8;
	len = mh_split_chunk(base, len, 0, want < (1u << 20) ? want : 1u << 20);
	memset(&ev, 0, sizeof(ev));
	mh_arena_init(&ar, 64 * 1024, 0);
	ev.arena = &ar;
	if (mh_source_open_slice(src, 0, len, &s, NULL) != MH_OK)
		goto out;
	r = *proto;
	r.src = s;
	r.priv = NULL;
	r.on_malformed = vprobe_bad;
	r.ud = NULL;
	memset(&r.stats, 0, sizeof(r.stats));
	r.dialect[0] = 0;
	r.skip_time_set = false;
	if (r.ops->open(&r, NULL) != MH_OK)
		goto out;
	for (;;) {
		mh_event_clear(&ev);
		mh_arena_reset(&ar);
		if (r.ops->next(&r, &ev, NULL) != MH_OK)
			break;
	}
	pays = r.stats.vs_cleared * 2 >= r.stats.vs_tried;
	r.ops->close(&r);
out:
	mh_source_close(s);
	mh_arena_free(&ar);
	return pays;
}

void mh_scan_arm_prefilter(mh_reader *rd, mh_source *src, const mh_ruleset *rs,
			   const mh_scan_pf_opts *o, mh_scan_pf *pf)
{
	bool no_pf = env_on("MAILHUNT_NO_PREFILTER");
	mh_prefilter pfx;

	memset(pf, 0, sizeof(*pf));
	pf->plain = !no_pf &&
		    mh_ruleset_prefilter(rs, &pf->field, &pf->vals, &pf->n) &&
		    mh_field_type(pf->field) == MH_T_INT &&
		    pf->field != MH_F_MAIL_PROTOCOL;
	if (pf->plain && pf->n) {
		/* The reader may drop records failing the prefilter unparsed
		 * (JSON), reporting their latest time for the default now. */
		rd->pf_field = pf->field;
		rd->pf_vals = pf->vals;
		rd->pf_n = pf->n;
	} else if (!no_pf && mh_ruleset_prefilter_ex(rs, &pfx) &&
		   pfx.field == MH_F_DESTINATION_PORT && pfx.n) {
		/* The disjunctive form: the JSON fast path only; parsed
		 * records all go to the matcher. */
		rd->pf_field = pfx.field;
		rd->pf_vals = pfx.vals;
		rd->pf_n = pfx.n;
		rd->pf_allow_unset = pfx.allow_unset;
		rd->pf_unset_proto = pfx.unset_proto;
		rd->pf_str_set = pfx.str_field != MH_F_NONE;
		rd->pf_str_field = pfx.str_field;
	}
	/* the time bounds of the records the fast path drops (any form) */
	rd->pf_since_set = o->since_set;
	rd->pf_since_ns = o->since_ns;
	rd->pf_until_set = o->until_set;
	rd->pf_until_ns = o->until_ns;
	/* the value prefilter refines either form */
	if (!no_pf && !env_on("MAILHUNT_NO_VALUE_PREFILTER"))
		rd->pf_vf = mh_ruleset_vfilter(rs);
	/* With --now the engine never reads skipped times (max_t) */
	rd->pf_no_time = o->now_set;
	if (!rd->pf_n && rd->pf_vf) {
		/* no port condition: the value stage alone, which needs the
		 * time keys to keep the dialect */
		rd->pf_vonly = true;
		rd->pf_no_time = false;
	}
	if (rd->pf_vf && !vstage_pays(rd, src)) {
		rd->pf_vonly = false;
		rd->pf_vf = NULL;
		rd->pf_no_time = o->now_set;
	}
}
