/* mailhunt parse: show how records normalise to canonical events. */
#include "cli/cli.h"
#include "event/normalize.h"
#include "input/input.h"
#include "output/output.h"
#include "rule/rule.h"
#include "util/timefmt.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

typedef struct parse_opts {
	const char *input_format;
	const char *home_net;
	bool count;
	uint64_t limit;
	bool have_fields;
	mh_fieldset fields;
	int quiet;
} parse_opts;

static void parse_usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: mailhunt parse [options] FILE...|-\n"
	    "\n"
	    "Print each record as the canonical event mailhunt builds from it\n"
	    "(after normalisation), one JSON object per line, so you can see "
	    "what\n"
	    "rules will see. Only set fields are printed, in schema order\n"
	    "(docs/schema.md).\n"
	    "\n"
	    "Options:\n"
	    "  -c, --count            one line per file: events, malformed, "
	    "reader,\n"
	    "                         dialect\n"
	    "      --fields A,B,...   only these fields (canonical names or "
	    "aliases)\n"
	    "  -n, --limit N          at most N events per file\n"
	    "  -i, --input-format F   force the reader; default: detect\n"
	    "      --home-net CIDRS   internal networks, for Direction\n"
	    "      --year YYYY        year of syslog timestamps that carry "
	    "none\n"
	    "  -q, --quiet            do not report malformed records\n"
	    "\n"
	    "Examples:\n"
	    "  mailhunt parse --limit 2 sysmon.jsonl\n"
	    "  mailhunt parse --count logs/*.json.gz\n"
	    "  mailhunt parse --fields Computer,ProcessName,DestinationPort "
	    "x.csv\n");
}

static void on_malformed(void *ud, const char *file, uint64_t line,
			 const char *reason)
{
	const parse_opts *o = ud;
	if (!o->quiet)
		fprintf(stderr, "%s:%llu: malformed record: %s\n", file,
			(unsigned long long)line, reason);
}

static bool parse_fields(const char *spec, mh_fieldset *out)
{
	const char *p = spec;

	memset(out, 0, sizeof(*out));
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		mh_field f = mh_field_lookup(p, n);
		if (f == MH_F_NONE) {
			fprintf(stderr,
				"mailhunt: --fields: unknown field "
				"'%.*s' (see docs/schema.md)\n",
				(int)n, p);
			return false;
		}
		mh_fieldset_add(out, f);
		if (!end)
			break;
		p = end + 1;
	}
	return true;
}

/* One event as a JSON object into b. */
static bool event_json(mh_buf *b, const mh_event *ev, const parse_opts *o)
{
	char num[32];
	bool ok = true;
	int n;

	ok &= mh_buf_put(b, "{\"file\":\"", 9);
	ok &= mh_esc_json(b, ev->file ? ev->file : "",
			  ev->file ? strlen(ev->file) : 0);
	n = snprintf(num, sizeof(num), "\",\"line\":%llu",
		     (unsigned long long)ev->line);
	ok &= mh_buf_put(b, num, (size_t)n);
	for (int f = 0; f < MH_F__COUNT; f++) {
		const mh_str *v = mh_event_get(ev, (mh_field)f);
		const char *name;

		if (!v || (o->have_fields && !mh_fieldset_has(&o->fields, f)))
			continue;
		name = mh_field_name((mh_field)f);
		ok &= mh_buf_put(b, ",\"", 2);
		ok &= mh_esc_json(b, name, strlen(name));
		ok &= mh_buf_put(b, "\":", 2);
		if (f == MH_F_TIME) {
			char t[48];
			size_t tn = mh_time_format(ev->time_ns, t, sizeof(t));
			ok &= mh_buf_putc(b, '"');
			ok &= mh_buf_put(b, t, tn);
			ok &= mh_buf_putc(b, '"');
		} else if (mh_fieldset_has(&ev->multi, f)) {
			const char *p = v->p, *end = v->p + v->n;
			ok &= mh_buf_putc(b, '[');
			for (bool first = true;; first = false) {
				const char *sep =
				    memchr(p, MH_LIST_SEP, (size_t)(end - p));
				const char *e = sep ? sep : end;
				if (!first)
					ok &= mh_buf_putc(b, ',');
				ok &= mh_buf_putc(b, '"');
				ok &= mh_esc_json(b, p, (size_t)(e - p));
				ok &= mh_buf_putc(b, '"');
				if (!sep)
					break;
				p = sep + 1;
			}
			ok &= mh_buf_putc(b, ']');
		} else {
			ok &= mh_buf_putc(b, '"');
			ok &= mh_esc_json(b, v->p, v->n);
			ok &= mh_buf_putc(b, '"');
		}
	}
	ok &= mh_buf_put(b, "}\n", 2);
	return ok;
}

static int parse_file(const char *path, const parse_opts *o,
		      const mh_norm_ctx *nctx)
{
	mh_source *src = NULL;
	mh_reader rd;
	mh_event ev;
	mh_arena arena;
	mh_buf b = {0};
	mh_err err;
	uint64_t shown = 0;
	int code;

	memset(&ev, 0, sizeof(ev));
	mh_err_clear(&err);
	mh_arena_init(&arena, 64 * 1024, 0);
	code = mh_cli_open_input(path, o->input_format, &nctx->need,
				 on_malformed, (void *)o, &src, &rd);
	if (code != MH_EXIT_OK)
		goto out;
	ev.arena = &arena;
	while (rd.ops) {
		mh_rc rc;

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
		if (o->count)
			continue;
		if (o->limit && shown >= o->limit)
			continue; /* keep reading: counts stay exact */
		mh_event_normalize(nctx, &ev);
		b.n = 0;
		if (!event_json(&b, &ev, o)) {
			code = MH_EXIT_INTERNAL;
			break;
		}
		if (fwrite(b.p, 1, b.n, stdout) != b.n) {
			code = MH_EXIT_OUTPUT;
			break;
		}
		shown++;
	}
	if (o->count)
		printf("%s: events %llu, malformed %llu, reader %s, dialect "
		       "%s\n",
		       path, (unsigned long long)rd.stats.records,
		       (unsigned long long)rd.stats.malformed,
		       rd.ops ? rd.ops->name : "-",
		       rd.dialect[0] ? rd.dialect : "-");
out:
	if (rd.ops && rd.ops->close)
		rd.ops->close(&rd);
	mh_source_close(src);
	mh_arena_free(&arena);
	mh_buf_free(&b);
	return code;
}

int mh_cmd_parse(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"count", no_argument, NULL, 'c'},
	    {"fields", required_argument, NULL, 'F'},
	    {"limit", required_argument, NULL, 'n'},
	    {"input-format", required_argument, NULL, 'i'},
	    {"home-net", required_argument, NULL, 'H'},
	    {"year", required_argument, NULL, 'Y'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	char **inputs = NULL;
	size_t ninputs = 0;
	parse_opts o;
	mh_norm_ctx nctx;
	mh_ruleset *rs = NULL;
	mh_cidr *home = NULL;
	size_t nhome = 0;
	mh_err err;
	int c, code = MH_EXIT_OK;

	memset(&o, 0, sizeof(o));
	memset(&nctx, 0, sizeof(nctx));
	mh_err_clear(&err);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":cn:i:qh", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.count = true;
			break;
		case 'F':
			if (!parse_fields(optarg, &o.fields))
				return MH_EXIT_USAGE;
			o.have_fields = true;
			break;
		case 'n':
			if (!mh_cli_parse_u64(optarg, &o.limit)) {
				fprintf(stderr,
					"mailhunt: --limit: '%s' is "
					"not a number\n",
					optarg);
				return MH_EXIT_USAGE;
			}
			break;
		case 'i':
			if (!mh_cli_input_format_ok(optarg))
				return MH_EXIT_USAGE;
			o.input_format = optarg;
			break;
		case 'H':
			o.home_net = optarg;
			break;
		case 'Y':
			if (!mh_cli_set_year(optarg))
				return MH_EXIT_USAGE;
			break;
		case 'q':
			o.quiet++;
			break;
		case 'h':
			parse_usage(stdout);
			return MH_EXIT_OK;
		case ':':
			fprintf(stderr,
				"mailhunt: parse: option '%s' needs a "
				"value\n",
				argv[optind - 1]);
			return MH_EXIT_USAGE;
		default:
			fprintf(stderr,
				"mailhunt: parse: unknown option '%s' "
				"(see mailhunt parse --help)\n",
				argv[optind - 1]);
			return MH_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "mailhunt: parse: no input file (use - for "
				"stdin)\n");
		return MH_EXIT_USAGE;
	}
	/* The pack's port map gives MailProtocol. */
	code = mh_cli_load_rules(NULL, NULL, 0, true, &rs);
	if (code != MH_EXIT_OK)
		return code;
	if (o.home_net &&
	    mh_home_net_parse(o.home_net, &home, &nhome, &err) != MH_OK) {
		mh_cli_print_err("--home-net", &err);
		code = MH_EXIT_USAGE;
		goto out;
	}
	nctx.ports = mh_ruleset_portmap(rs, &nctx.nports);
	nctx.lookalikes = mh_ruleset_lookalikes(rs, &nctx.nlookalikes);
	nctx.home_net = home;
	nctx.nhome = nhome;
	/* need all-zero = every field. */
	code = mh_cli_expand_inputs(argv + optind, (size_t)(argc - optind),
				    &inputs, &ninputs);
	if (code == MH_EXIT_INTERNAL || code == MH_EXIT_USAGE)
		goto out;
	for (size_t i = 0; i < ninputs; i++) {
		int r = parse_file(inputs[i], &o, &nctx);
		if (r != MH_EXIT_OK && code == MH_EXIT_OK)
			code = r;
	}
out:
	if (fflush(stdout) != 0 && code == MH_EXIT_OK)
		code = MH_EXIT_OUTPUT;
	mh_cli_free_inputs(inputs, ninputs);
	free(home);
	mh_ruleset_free(rs);
	return code;
}
