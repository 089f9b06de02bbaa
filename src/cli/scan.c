/* mailhunt scan: input -> normalise -> match -> correlate -> output. */
#include "cli/cli.h"
#include "cli/scan_mt.h"
#include "cli/scan_opts.h"
#include "cli/scan_pf.h"
#include "engine/engine.h"
#include "event/normalize.h"
#include "input/input.h"
#include "output/output.h"
#include "rule/rule.h"
#include "util/timefmt.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_MATCHES	1024
#define MALFORMED_SHOWN 20 /* per file, unless -v */

typedef struct scan_state {
	const mh_scan_opts *o;
	uint64_t malformed_file; /* malformed records in the current file */
	uint64_t events, malformed, matched, bytes, files;
	bool progress;	    /* draw a progress line on stderr */
	mh_source *cur_src; /* for the progress of threaded scans */
	/* alerts so far, for the progress line: read by the thread that
	 * feeds the engine (the merging thread of a threaded scan) */
	const mh_engine *eng;
	double t0, last_draw;
} scan_state;

static double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_malformed(void *ud, const char *file, uint64_t line,
			 const char *reason)
{
	scan_state *st = ud;

	st->malformed_file++;
	if (st->o->quiet && !st->o->verbose)
		return;
	if (st->o->verbose || st->malformed_file <= MALFORMED_SHOWN) {
		if (st->progress)
			fputs("\r\033[K", stderr);
		fprintf(stderr, "%s:%llu: malformed record: %s\n", file,
			(unsigned long long)line, reason);
	}
	if (!st->o->verbose && st->malformed_file == MALFORMED_SHOWN + 1)
		fprintf(stderr,
			"%s: further malformed records are counted "
			"but not shown (use -v)\n",
			file);
}

static void draw_progress(scan_state *st, mh_source *src, const char *name,
			  bool force)
{
	double t = now_mono();
	uint64_t off, size;
	double mb, rate, unit;
	unsigned long long alerts;
	bool big;

	if (!st->progress || (!force && t - st->last_draw < 0.25))
		return;
	alerts =
	    st->eng ? (unsigned long long)mh_engine_alert_count(st->eng) : 0;
	st->last_draw = t;
	off = mh_source_raw_offset(src);
	size = mh_source_size(src);
	mb = (double)(st->bytes + mh_source_offset(src)) / 1e6;
	rate = t > st->t0 ? mb / (t - st->t0) : 0;
	/* kB below 10 MB, so that a small file does not read "0/0 MB" */
	big = (size ? size : off) >= 10000000u;
	unit = big ? 1e6 : 1e3;
	if (size)
		fprintf(stderr,
			"\r\033[K%s: %.0f/%.0f %s (%.0f%%) %.0f MB/s "
			"events %llu matched %llu alerts %llu",
			name, (double)off / unit, (double)size / unit,
			big ? "MB" : "kB", 100.0 * (double)off / (double)size,
			rate, (unsigned long long)st->events,
			(unsigned long long)st->matched, alerts);
	else
		fprintf(stderr,
			"\r\033[K%s: %.0f %s %.0f MB/s events %llu matched "
			"%llu alerts %llu",
			name, (double)off / unit, big ? "MB" : "kB", rate,
			(unsigned long long)st->events,
			(unsigned long long)st->matched, alerts);
}

static void mt_progress(void *ud, const struct mh_mt_stats *so)
{
	scan_state *st = ud;
	uint64_t e = st->events, m = st->matched;

	st->events += so->events;
	st->matched += so->matched;
	draw_progress(st, st->cur_src, mh_source_name(st->cur_src), false);
	st->events = e;
	st->matched = m;
}

/* A size from the environment (tests' knobs); 0 when unset or not a size. */
static uint64_t env_size(const char *name)
{
	const char *env = getenv(name);
	uint64_t v;

	return env && mh_cli_parse_size(env, &v) ? v : 0;
}

/* --threads, 0 = every core. */
static unsigned scan_threads(const mh_scan_opts *o)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (o->threads)
		return (unsigned)o->threads; /* at most 1024 (scan_opts.c) */
	return ncpu > 0 ? (unsigned)ncpu : 1u;
}

/* Workers for one file: --threads (0 = every core); 1 when the input
 * cannot be split (then -v says why). */
static unsigned file_threads(const mh_scan_opts *o, const mh_reader *rd,
			     mh_source *src, size_t chunk)
{
	unsigned n = scan_threads(o);

	if (n <= 1)
		return 1;
	if (!mh_scan_mt_eligible(rd, src)) {
		if (o->verbose)
			fprintf(stderr,
				"%s: scanning on one thread (only "
				"uncompressed NDJSON files are split "
				"across threads)\n",
				mh_source_name(src));
		return 1;
	}
	if (mh_source_size(src) <= (chunk ? chunk : 8u << 20))
		return 1; /* one chunk */
	if (o->verbose)
		fprintf(stderr, "%s: scanning on %llu threads\n",
			mh_source_name(src), (unsigned long long)n);
	return n;
}

static bool in_sorted(const int64_t *v, size_t n, int64_t x)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] == x)
			return true;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Scan one input. Returns an exit code (OK unless the input could not be
 * opened/read). */
static int scan_file(scan_state *st, const char *path, const mh_ruleset *rs,
		     mh_match_ctx *mctx, mh_engine *eng,
		     const mh_norm_ctx *nctx, const mh_fieldset *need)
{
	const mh_scan_opts *o = st->o;
	mh_source *src = NULL;
	mh_reader rd;
	mh_event ev;
	mh_arena arena;
	mh_err err;
	mh_rc rc;
	uint32_t matched[MAX_MATCHES];
	mh_scan_pf pf;
	mh_scan_pf_opts pfo;
	int code = MH_EXIT_OK;
	bool opened = false;

	memset(&rd, 0, sizeof(rd));
	memset(&ev, 0, sizeof(ev));
	mh_arena_init(&arena, 64 * 1024, 0);
	mh_err_clear(&err);
	st->malformed_file = 0;

	code = mh_cli_open_input(path, o->input_format, need, on_malformed, st,
				 &src, &rd);
	if (code != MH_EXIT_OK || !rd.ops) {
		if (code == MH_EXIT_OK)
			st->files++; /* empty input */
		goto out;
	}
	opened = true;
	st->files++;
	pfo.since_set = o->since_set;
	pfo.since_ns = o->since_ns;
	pfo.until_set = o->until_set;
	pfo.until_ns = o->until_ns;
	pfo.now_set = o->now_set;
	/* the prefilters (issue 4): the reader may drop records unparsed;
	 * the plain form (pf) is also tested on parsed records below */
	mh_scan_arm_prefilter(&rd, src, rs, &pfo, &pf);
	ev.arena = &arena;

	{
		mh_mt_args ma;
		mh_mt_stats ms;
		uint64_t chunk = env_size("MAILHUNT_CHUNK");

		memset(&ma, 0, sizeof(ma));
		ma.threads = file_threads(o, &rd, src, (size_t)chunk);
		if (ma.threads > 1) {
			ma.rs = rs;
			ma.nctx = nctx;
			ma.eng = eng;
			ma.chunk = (size_t)chunk;
			ma.since_set = o->since_set;
			ma.since_ns = o->since_ns;
			ma.until_set = o->until_set;
			ma.until_ns = o->until_ns;
			ma.progress = mt_progress;
			ma.progress_ud = st;
			st->cur_src = src;
			rc = mh_scan_mt(&ma, &rd, src, &ms, &err);
			st->events += ms.records;
			st->matched += ms.matched;
			rd.stats.records = ms.records;
			rd.stats.malformed = ms.malformed;
			rd.stats.skipped = ms.skipped;
			if (rc != MH_OK) {
				mh_cli_print_err("scan", &err);
				code = rc == MH_EIO ? MH_EXIT_INPUT
						    : MH_EXIT_INTERNAL;
			}
			goto done;
		}
	}
	for (;;) {
		size_t n;

		mh_event_clear(&ev);
		mh_arena_reset(&arena);
		rc = rd.ops->next(&rd, &ev, &err);
		if (rc == MH_EOF)
			break;
		if (rc != MH_OK) {
			if (!err.file[0])
				snprintf(err.file, sizeof(err.file), "%s",
					 mh_source_name(src));
			mh_cli_print_err("read", &err);
			code = MH_EXIT_INPUT;
			break;
		}
		st->events++;
		if ((st->events & 0xffff) == 0)
			draw_progress(st, src, mh_source_name(src), false);
		if (rd.skip_time_set)
			mh_engine_note_time(eng, rd.skip_time_ns);
		if (mh_event_has(&ev, MH_F_TIME)) {
			if (o->since_set && ev.time_ns < o->since_ns)
				continue;
			if (o->until_set && ev.time_ns > o->until_ns)
				continue;
			mh_engine_note_time(eng, ev.time_ns);
		}
		if (pf.plain) {
			int64_t v;
			if (!mh_event_int(&ev, pf.field, &v) ||
			    !in_sorted(pf.vals, pf.n, v))
				continue;
		}
		mh_event_normalize(nctx, &ev);
		n = mh_ruleset_match(rs, mctx, &ev, matched, MAX_MATCHES);
		if (!n)
			continue;
		st->matched++;
		rc = mh_engine_feed(eng, &ev, matched, n, &err);
		if (rc != MH_OK) {
			mh_cli_print_err("correlation", &err);
			code = MH_EXIT_INTERNAL;
			break;
		}
	}
done:
	/* Records the reader dropped on the prefilter are events too. */
	st->events += rd.stats.skipped;
	if (rd.skip_time_set)
		mh_engine_note_time(eng, rd.skip_time_ns);
	if (o->verbose)
		fprintf(stderr,
			"%s: reader %s, dialect %s, %llu records, "
			"%llu malformed, %llu skipped unparsed by the "
			"prefilter (value stage: %llu judged, %llu "
			"cleared, %llu values left untested)\n",
			mh_source_name(src), rd.ops->name,
			rd.dialect[0] ? rd.dialect : "-",
			(unsigned long long)rd.stats.records,
			(unsigned long long)rd.stats.malformed,
			(unsigned long long)rd.stats.skipped,
			(unsigned long long)rd.stats.vs_tried,
			(unsigned long long)rd.stats.vs_cleared,
			(unsigned long long)rd.stats.vs_untested);
	draw_progress(st, src, mh_source_name(src), true);
out:
	if (src)
		st->bytes += mh_source_offset(src);
	st->malformed += rd.stats.malformed;
	if (opened && rd.ops->close)
		rd.ops->close(&rd);
	mh_source_close(src);
	mh_arena_free(&arena);
	return code;
}

/* stdout's or -o FILE's buffer: static, as stdout is flushed at exit */
static char out_buf[256 * 1024];

int mh_cmd_scan(int argc, char **argv)
{
	char **inputs = NULL;
	size_t ninputs = 0;
	size_t nshown;
	mh_scan_opts o;
	scan_state st;
	mh_ruleset *rs = NULL;
	mh_match_ctx *mctx = NULL;
	mh_engine *eng = NULL;
	mh_engine_opts eo;
	mh_engine_stats es;
	mh_norm_ctx nctx;
	mh_cidr *home = NULL;
	size_t nhome = 0;
	mh_fieldset need;
	mh_writer w;
	mh_summary sum;
	mh_err err;
	FILE *out = stdout;
	bool writer_open = false;
	int code;

	memset(&o, 0, sizeof(o));
	memset(&st, 0, sizeof(st));
	memset(&w, 0, sizeof(w));
	memset(&nctx, 0, sizeof(nctx));
	memset(&need, 0, sizeof(need));
	mh_err_clear(&err);
	o.profile = "mailhunt";
	o.format = "table";
	o.color = "auto";

	code = mh_scan_parse_args(argc, argv, &o);
	if (code < 0)
		return MH_EXIT_OK; /* --help */
	if (code != MH_EXIT_OK)
		return code;

	code = mh_cli_load_rules(o.profile, o.rule_paths, o.nrule_paths,
				 o.no_builtin, &rs);
	if (code != MH_EXIT_OK)
		goto out;
	if (o.home_net &&
	    mh_home_net_parse(o.home_net, &home, &nhome, &err) != MH_OK) {
		mh_cli_print_err("--home-net", &err);
		code = MH_EXIT_USAGE;
		goto out;
	}

	/* What the readers must extract: the rules' fields, the engine's,
	 * and the inputs of the derived fields. */
	mh_ruleset_fields(rs, &need);
	mh_engine_fields(&need);
	mh_fieldset_add(&need, MH_F_TIME);
	mh_fieldset_add(&need, MH_F_DIALECT);
	mh_fieldset_add(&need, MH_F_IMAGE);
	mh_fieldset_add(&need, MH_F_PROCESS_NAME);
	mh_fieldset_add(&need, MH_F_DESTINATION_PORT);
	mh_fieldset_add(&need, MH_F_EVENT_DIRECTION);
	mh_fieldset_add(&need, MH_F_INITIATED);
	mh_fieldset_add(&need, MH_F_ACTION);
	mh_fieldset_add(&need, MH_F_SOURCE_IP);
	mh_fieldset_add(&need, MH_F_DESTINATION_IP);
	mh_fieldset_add(&need, MH_F_LOCAL_ORIG);
	mh_fieldset_add(&need, MH_F_LOCAL_RESP);
	mh_fieldset_add(&need, MH_F_PROTOCOL);
	mh_fieldset_add(&need, MH_F_SERVICE);
	mh_fieldset_add(&need, MH_F_EVENT_ID);
	mh_fieldset_add(&need, MH_F_CHANNEL);
	mh_fieldset_add(&need, MH_F_HELO);
	mh_fieldset_add(&need, MH_F_MAIL_FROM);
	mh_fieldset_add(&need, MH_F_RCPT_TO);
	nctx.ports = mh_ruleset_portmap(rs, &nctx.nports);
	nctx.lookalikes = mh_ruleset_lookalikes(rs, &nctx.nlookalikes);
	nctx.home_net = home;
	nctx.nhome = nhome;
	nctx.need = need;

	if (mh_match_ctx_new(rs, &mctx) != MH_OK) {
		code = MH_EXIT_INTERNAL;
		goto out;
	}
	memset(&eo, 0, sizeof(eo));
	eo.now_set = o.now_set;
	eo.now_ns = o.now_ns;
	eo.max_memory = (size_t)o.max_memory;
	eo.lateness_set = o.lateness_set;
	eo.lateness_ns = o.lateness_ns;
	/* tests: alert bytes kept before spilling to disk, and the groups
	 * at the end from which two threads flush them (0: the defaults) */
	eo.alert_spill = (size_t)env_size("MAILHUNT_ALERT_SPILL");
	eo.max_refs = o.explain ? 8 : 0;
	eo.finish_threads = scan_threads(&o);
	eo.finish_min_groups = (size_t)env_size("MAILHUNT_FINISH_MIN_GROUPS");
	if (mh_engine_new(rs, &eo, &eng, &err) != MH_OK) {
		mh_cli_print_err("engine", &err);
		code = MH_EXIT_INTERNAL;
		goto out;
	}

	if (o.out_path) {
		out = fopen(o.out_path, "w");
		if (!out) {
			fprintf(stderr, "mailhunt: cannot write '%s': %m\n",
				o.out_path);
			out = stdout;
			code = MH_EXIT_OUTPUT;
			goto out;
		}
	}
	/* Alerts are written at the end, in one burst: a file or pipe takes
	 * them in large writes (stdio's default is st_blksize, 4 KiB, a
	 * system call per 4 KiB); a terminal keeps its line buffering. */
	if (!isatty(fileno(out)))
		(void)setvbuf(out, out_buf, _IOFBF, sizeof(out_buf));
	w.ops = mh_writer_find(o.format);
	w.out = out;
	w.explain = o.explain;
	if (!strcmp(o.color, "always"))
		w.color = true;
	else if (!strcmp(o.color, "auto"))
		w.color = !strcmp(o.format, "table") && isatty(fileno(out)) &&
			  !getenv("NO_COLOR");

	st.o = &o;
	st.eng = eng;
	st.progress = !o.quiet && isatty(STDERR_FILENO);
	st.t0 = now_mono();
	code = mh_cli_expand_inputs(argv + optind, (size_t)(argc - optind),
				    &inputs, &ninputs);
	if (code == MH_EXIT_INTERNAL || code == MH_EXIT_USAGE)
		goto out;
	for (size_t i = 0; i < ninputs; i++) {
		int c = scan_file(&st, inputs[i], rs, mctx, eng, &nctx, &need);
		if (c != MH_EXIT_OK && code == MH_EXIT_OK)
			code = c;
	}
	if (st.progress)
		fputs("\r\033[K", stderr);
	if (st.files == 0 && code != MH_EXIT_OK)
		goto out; /* no input could be read: no report at all */
	if (mh_engine_finish(eng, &err) != MH_OK) {
		mh_cli_print_err("correlation", &err);
		code = MH_EXIT_INTERNAL;
		goto out;
	}
	mh_engine_get_stats(eng, &es);

	if (w.ops->open(&w, &err) != MH_OK) {
		mh_cli_print_err("output", &err);
		code = MH_EXIT_OUTPUT;
		goto out;
	}
	writer_open = true;
	nshown = 0;
	for (;;) {
		const mh_alert *a;
		mh_rc arc = mh_engine_next_alert(eng, &a, &err);
		if (arc == MH_EOF)
			break;
		if (arc != MH_OK) {
			mh_cli_print_err("correlation", &err);
			code = MH_EXIT_INTERNAL;
			goto out;
		}
		if (a->level < o.min_level)
			continue;
		nshown++;
		if (w.ops->write(&w, a, &err) != MH_OK) {
			mh_cli_print_err("output", &err);
			code = MH_EXIT_OUTPUT;
			goto out;
		}
	}
	memset(&sum, 0, sizeof(sum));
	sum.files = st.files;
	sum.bytes = st.bytes;
	sum.events = st.events;
	sum.malformed = st.malformed;
	sum.matched = st.matched;
	sum.alerts = nshown;
	sum.evicted = es.evicted;
	sum.seconds = now_mono() - st.t0;
	sum.profile = o.no_builtin ? "custom" : o.profile;
	writer_open = false;
	if (w.ops->close(&w, strcmp(o.format, "table") || o.quiet ? NULL : &sum,
			 &err) != MH_OK) {
		mh_cli_print_err("output", &err);
		code = MH_EXIT_OUTPUT;
		goto out;
	}
	if (!o.quiet && strcmp(o.format, "table"))
		fprintf(stderr,
			"events %llu, malformed %llu, matched %llu, alerts "
			"%llu%s, %.2f s, %.1f MB/s (profile %s)\n",
			(unsigned long long)sum.events,
			(unsigned long long)sum.malformed,
			(unsigned long long)sum.matched,
			(unsigned long long)sum.alerts,
			sum.evicted ? ", groups evicted at the memory cap" : "",
			sum.seconds,
			sum.seconds > 0 ? (double)sum.bytes / 1e6 / sum.seconds
					: 0.0,
			sum.profile);
	if (o.verbose)
		fprintf(
		    stderr,
		    "engine: %llu events fed to rules, %llu correlation "
		    "groups at the end, %llu closed idle, %llu evicted, "
		    "%llu late events dropped, %llu behind --lateness\n",
		    (unsigned long long)es.fed, (unsigned long long)es.groups,
		    (unsigned long long)es.expired,
		    (unsigned long long)es.evicted, (unsigned long long)es.late,
		    (unsigned long long)es.straggled);
	if (o.verbose && es.spilled)
		fprintf(stderr,
			"engine: %llu alerts went through a temporary file "
			"(sorted runs, merged back in order)\n",
			(unsigned long long)es.spilled);
	if (es.expired && es.straggled && !o.quiet)
		fprintf(stderr,
			"mailhunt: %llu matched events were more than "
			"--lateness older than the newest event before them; "
			"a correlation window they belonged to may have been "
			"closed already. Sort the input or raise --lateness "
			"(or 'none') for exact results\n",
			(unsigned long long)es.straggled);
	if (es.spill_failed && !o.quiet)
		fprintf(stderr,
			"mailhunt: alerts were kept in memory: no temporary "
			"file could be written in $TMPDIR or /tmp (%s)\n",
			strerror(es.spill_errno));
	if (sum.evicted && !o.quiet)
		fprintf(stderr,
			"mailhunt: %llu correlation groups were "
			"evicted at --max-memory; raise it for exact "
			"counts\n",
			(unsigned long long)sum.evicted);
	if (code == MH_EXIT_OK && sum.alerts)
		code = MH_EXIT_ALERTS;
out:
	if (writer_open)
		w.ops->close(&w, NULL, &err);
	if (out != stdout && out) {
		if (fclose(out) != 0 && code <= MH_EXIT_ALERTS) {
			fprintf(stderr, "mailhunt: error writing '%s'\n",
				o.out_path);
			code = MH_EXIT_OUTPUT;
		}
	} else if (fflush(stdout) != 0 && code <= MH_EXIT_ALERTS) {
		code = MH_EXIT_OUTPUT;
	}
	mh_cli_free_inputs(inputs, ninputs);
	mh_engine_free(eng);
	mh_match_ctx_free(mctx);
	mh_ruleset_free(rs);
	free(home);
	return code;
}
