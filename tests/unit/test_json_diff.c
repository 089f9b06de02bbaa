/* Differential test: the hand-written JSON reader ("json", json.c)
 * against the simdjson baseline ("json-simd", json_simd.cpp), through
 * their mh_reader_ops, with every field requested (need = all-zero).
 *
 * Inputs: every NDJSON file under tests/data/ and tests/e2e/ (a file
 * qualifies when each non-blank line starts with '{'), the edge cases in
 * tests/data/json/diff/, and deterministic mutations of their lines.
 * Per line, the readers must agree: both malformed, or both a record
 * with the same fields, byte-identical values, multi bits and time.
 *
 * Allowed differences, counted and printed, never silent:
 *  - unsupported: json-simd reads one object per line; lines that json.c
 *    reads as an array, an envelope or several values are skipped (the
 *    shim's reason says "not supported" or json.c returns more than one
 *    outcome for the line, and then json-simd must report it malformed);
 *  - lazy: json.c accepts a line whose error lies inside a value that it
 *    documents as skipped with loose validation (the contents of an
 *    array, a value under a key that maps to no field); json-simd
 *    validates everything and rejects it. The shim says where its error
 *    was (mh_json_simd_last_error_class(); "unlocated" when simdjson
 *    found an unclosed string in its first stage, which has no place);
 *  - known json.c bugs (tests/data/json/diff/README.md): an empty event
 *    for a malformed record read before any dialect is known, and a
 *    trailing comma accepted in a mapped array;
 *  - after any of these on a line, later lines of the same input may
 *    differ in their dialect (one reader learned it from a record the
 *    other rejected): their field differences are counted.
 * A second fuzz pass requests a typical scan's fields only; both readers
 * then skip other arrays and objects loosely, each in its own way, so
 * only the fields of records both accept are compared.
 * Every other difference fails the test and is printed with its input.
 * Debugging aids: MH_DIFF_SEED, MH_DIFF_CASES, MH_DIFF_SHOW (print every
 * difference), MH_DIFF_DUMP=DIR (write failing inputs), or file
 * arguments (compare those files only). */
#include "input/input.h"
#include "input/json_simd.h"
#include "input/source.h"
#include "mh_test.h"
#include "sbuf.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_FILE   (8u << 20)
#define FUZZ_CASES 6000
#define FUZZ_SOME  2000
#define MAX_SEEDS  4000
#define MAX_SHOWN  12

typedef struct outcome {
	uint64_t line;
	bool record;
	int where; /* json-simd: MH_SIMD_ERR_* */
	char reason[160];
	char *sig; /* records: the serialised fields */
} outcome;

typedef struct outs {
	outcome *v;
	size_t n, cap;
	mh_reader *r;
} outs;

/* The fields requested; all-zero (every field) except in
 * test_fuzz_some_fields(). */
static mh_fieldset g_need;
static bool g_some;

static struct {
	size_t files, lines, lines_rec, lines_bad, fuzz, fuzz_lines;
	size_t unsupported, lazy, unlocated, known_bug, known_bug2, diffs;
	size_t some_verdict, after_div;
	size_t shown;
} st;

static void push(outs *o, const outcome *x)
{
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 64;
		o->v = realloc(o->v, o->cap * sizeof(*o->v));
		if (!o->v)
			abort();
	}
	o->v[o->n++] = *x;
}

static void on_bad(void *ud, const char *file, uint64_t line,
		   const char *reason)
{
	outs *o = ud;
	outcome x;

	(void)file;
	memset(&x, 0, sizeof(x));
	x.line = line;
	x.where = o->r->ops == &mh_input_json_simd
		      ? mh_json_simd_last_error_class(o->r)
		      : MH_SIMD_ERR_STRICT;
	snprintf(x.reason, sizeof(x.reason), "%s", reason);
	push(o, &x);
}

/* Grow-only text buffer. */

static void sb_esc(sbuf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char t[8];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			sb_put(b, (const char *)&c, 1);
		} else {
			snprintf(t, sizeof(t), "\\x%02x", c);
			sb_put(b, t, 4);
		}
	}
}

static char *serialise(const mh_event *ev)
{
	sbuf b = {0};
	char t[64];

	snprintf(t, sizeof(t), "time_ns=%lld\n", (long long)ev->time_ns);
	sb_put(&b, t, strlen(t));
	for (int f = 0; f < MH_F__COUNT; f++) {
		const char *name;
		if (!mh_event_has(ev, f))
			continue;
		name = mh_field_name(f);
		sb_put(&b, name, strlen(name));
		if (mh_fieldset_has(&ev->multi, f))
			sb_put(&b, "[list]", 6);
		sb_put(&b, "=", 1);
		sb_esc(&b, ev->v[f].p, ev->v[f].n);
		sb_put(&b, "\n", 1);
	}
	return b.p;
}

/* Run one reader over buf; outcomes in order. */
static void run(const mh_reader_ops *ops, const char *buf, size_t n, outs *o)
{
	mh_source *s = NULL;
	mh_reader r;
	mh_event ev;
	mh_err err;
	mh_rc rc;

	memset(o, 0, sizeof(*o));
	memset(&r, 0, sizeof(r));
	memset(&ev, 0, sizeof(ev));
	o->r = &r;
	if (mh_source_open_mem("diff.ndjson", buf, n, &s, &err) != MH_OK) {
		MH_CHECK(0);
		return;
	}
	r.ops = ops;
	r.src = s;
	r.on_malformed = on_bad;
	r.ud = o;
	r.need = g_need; /* all-zero: every field */
	rc = ops->open(&r, &err);
	MH_CHECK_EQ_INT(rc, MH_OK);
	if (rc == MH_OK) {
		while ((rc = ops->next(&r, &ev, &err)) == MH_OK) {
			outcome x;
			memset(&x, 0, sizeof(x));
			x.line = ev.line;
			x.record = true;
			x.sig = serialise(&ev);
			push(o, &x);
		}
		MH_CHECK_EQ_INT(rc, MH_EOF);
		ops->close(&r);
	}
	mh_source_close(s);
}

static void outs_free(outs *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->v[i].sig);
	free(o->v);
}

/* The text of line `line` (1-based) of buf, for reports. */
static void show_line(const char *buf, size_t n, uint64_t line)
{
	const char *p = buf, *end = buf + n;
	sbuf b = {0};

	for (uint64_t l = 1; l < line && p < end; l++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		p = nl ? nl + 1 : end;
	}
	{
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);
		sb_esc(&b, p, len > 600 ? 600 : len);
	}
	fprintf(stderr, "  input: %s\n", b.p ? b.p : "");
	free(b.p);
}

/* Does line `line` of buf hold ',' then ']' (blanks between)? */
static bool line_has_comma_bracket(const char *buf, size_t n, uint64_t line)
{
	const char *p = buf, *end = buf + n, *e;

	for (uint64_t l = 1; l < line && p < end; l++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		p = nl ? nl + 1 : end;
	}
	e = memchr(p, '\n', (size_t)(end - p));
	if (!e)
		e = end;
	for (; p < e; p++) {
		const char *q = p + 1;
		if (*p != ',')
			continue;
		while (q < e && (*q == ' ' || *q == '\t'))
			q++;
		if (q < e && *q == ']')
			return true;
	}
	return false;
}

static void diff(const char *what, const char *name, const char *buf, size_t n,
		 uint64_t line, const outcome *a, const outcome *b)
{
	st.diffs++;
	if (st.shown++ >= (getenv("MH_DIFF_SHOW") ? 100000 : MAX_SHOWN))
		return;
	fprintf(stderr, "DIFF (%s) %s line %llu\n", what, name,
		(unsigned long long)line);
	show_line(buf, n, line);
	fprintf(stderr, "  json:      %s%s\n",
		a ? (a->record ? "record\n" : "malformed: ") : "nothing",
		a ? (a->record ? a->sig : a->reason) : "");
	fprintf(stderr, "  json-simd: %s%s\n",
		b ? (b->record ? "record\n" : "malformed: ") : "nothing",
		b ? (b->record ? b->sig : b->reason) : "");
}

/* Compare both readers on buf; counts lines. */
static void compare(const char *name, const char *buf, size_t n, size_t *nlines)
{
	outs a, b;
	size_t i = 0, j = 0;
	/* After an allowed verdict difference the readers may have learned
	 * different dialects (from a record only one accepted): later field
	 * differences are counted, not failed. */
	bool diverged = false;

	run(&mh_input_json, buf, n, &a);
	run(&mh_input_json_simd, buf, n, &b);
	while (i < a.n || j < b.n) {
		uint64_t line = UINT64_MAX;
		size_t i2 = i, j2 = j;

		if (i < a.n)
			line = a.v[i].line;
		if (j < b.n && b.v[j].line < line)
			line = b.v[j].line;
		while (i2 < a.n && a.v[i2].line == line)
			i2++;
		while (j2 < b.n && b.v[j2].line == line)
			j2++;
		(*nlines)++;
		if (j2 - j == 1 && !b.v[j].record &&
		    strstr(b.v[j].reason, "not supported")) {
			st.unsupported++;
			diverged = true;
		} else if (i2 - i > 1) {
			/* several values on one line: json.c only */
			st.unsupported++;
			diverged = true;
			if (j2 - j != 1 || b.v[j].record)
				diff("multi-value line", name, buf, n, line,
				     &a.v[i], j2 > j ? &b.v[j] : NULL);
		} else if (i2 - i != 1 || j2 - j != 1) {
			diff("missing outcome", name, buf, n, line,
			     i2 > i ? &a.v[i] : NULL, j2 > j ? &b.v[j] : NULL);
		} else if (a.v[i].record && b.v[j].record) {
			st.lines_rec++;
			if (strcmp(a.v[i].sig, b.v[j].sig) == 0)
				;
			else if (diverged)
				st.after_div++;
			else if (!strcmp(a.v[i].sig, "time_ns=0\n")) {
				/* json.c bug 1 when json-simd's lazy detection
				 * does not see the error either */
				st.known_bug++;
				diverged = true;
			} else
				diff("fields", name, buf, n, line, &a.v[i],
				     &b.v[j]);
		} else if (!a.v[i].record && !b.v[j].record) {
			st.lines_bad++;
		} else if (g_some) {
			/* some fields: both skip the others loosely, each in
			 * its own way (docs/json-simd.md) */
			st.some_verdict++;
			diverged = true;
		} else if (a.v[i].record && b.v[j].where == MH_SIMD_ERR_LAZY) {
			st.lazy++;
			diverged = true;
		} else if (a.v[i].record &&
			   b.v[j].where == MH_SIMD_ERR_UNLOCATED) {
			st.unlocated++;
			diverged = true;
		} else if (a.v[i].record &&
			   !strcmp(a.v[i].sig, "time_ns=0\n")) {
			/* json.c bug 1 (tests/data/json/diff/README.md): before
			 * any dialect is known, a record that fails detection
			 * is only bracket-checked and comes out as an empty
			 * event. */
			st.known_bug++;
			diverged = true;
		} else if (a.v[i].record &&
			   line_has_comma_bracket(buf, n, line)) {
			/* json.c bug 2: a trailing comma in an array under a
			 * mapped key is accepted ("path":["a","b",]). */
			st.known_bug2++;
			diverged = true;
		} else {
			diff("verdict", name, buf, n, line, &a.v[i], &b.v[j]);
		}
		i = i2;
		j = j2;
	}
	outs_free(&a);
	outs_free(&b);
}

/* --- inputs ----------------------------------------------------------------
 */

typedef struct seed {
	char *p;
	size_t n;
} seed;

static seed seeds[MAX_SEEDS];
static size_t nseeds;

static bool is_ndjson(const char *p, size_t n)
{
	const char *end = p + n;
	bool any = false;

	if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	if (memchr(p, 0, (size_t)(end - p)))
		return false;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		while (p < e && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		if (p < e) {
			if (*p != '{')
				return false;
			any = true;
		}
		p = e + 1;
	}
	return any;
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	struct stat sb;

	if (!f)
		return NULL;
	if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size <= 0 || (size_t)sb.st_size > MAX_FILE) {
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)sb.st_size + 1);
	*n = fread(buf, 1, (size_t)sb.st_size, f);
	fclose(f);
	buf[*n] = 0;
	return buf;
}

static void add_seeds(const char *buf, size_t n)
{
	const char *p = buf, *end = buf + n;

	while (p < end && nseeds < MAX_SEEDS) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		/* json-simd does not read export envelopes: no seeds */
		if (e > p && *p == '{' && strncmp(p, "{\"preview\"", 10) &&
		    strncmp(p, "{\"result\"", 9) &&
		    strncmp(p, "{\"lastrow\"", 10)) {
			seeds[nseeds].p = malloc((size_t)(e - p));
			memcpy(seeds[nseeds].p, p, (size_t)(e - p));
			seeds[nseeds].n = (size_t)(e - p);
			nseeds++;
		}
		p = e + 1;
	}
}

static void walk_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[4096];

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat sb;
		char *buf;
		size_t n;

		/* e2e scripts and golden outputs are not telemetry */
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "cmd") ||
		    !strncmp(de->d_name, "expected.", 9))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &sb) != 0)
			continue;
		if (S_ISDIR(sb.st_mode)) {
			walk_dir(path);
			continue;
		}
		buf = slurp(path, &n);
		if (!buf)
			continue;
		if (is_ndjson(buf, n)) {
			st.files++;
			compare(path, buf, n, &st.lines);
			/* known json.c bugs make poor seeds: json.c learns a
			 * dialect from a line json-simd rejects */
			if (strncmp(de->d_name, "bug_", 4) != 0)
				add_seeds(buf, n);
		}
		free(buf);
	}
	closedir(d);
}

static void test_corpus(void)
{
	walk_dir("tests/data");
	walk_dir("tests/e2e");
	fprintf(stderr,
		"corpus: %zu NDJSON files, %zu lines (%zu records agree, %zu "
		"malformed in both), %zu unsupported shapes, %zu lazy, %zu "
		"unlocated, known json.c bugs: %zu empty event, %zu trailing "
		"comma\n",
		st.files, st.lines, st.lines_rec, st.lines_bad, st.unsupported,
		st.lazy, st.unlocated, st.known_bug, st.known_bug2);
	MH_CHECK(st.files >= 5);
	MH_CHECK(st.lines_rec >= 200);
	MH_CHECK_EQ_INT(st.diffs, 0);
}

/* --- fuzzing -------------------------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static size_t rndn(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

static void ins(sbuf *b, size_t at, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	memmove(b->p + at + n, b->p + at, b->n - at + 1);
	memcpy(b->p + at, s, n);
	b->n += n;
}

/* The first key of the line (with quotes), or "\"deep\"". */
static void first_key(const sbuf *b, char *out, size_t cap)
{
	const char *q = memchr(b->p, '"', b->n), *e;

	snprintf(out, cap, "\"deep\"");
	if (!q || rndn(2))
		return;
	e = memchr(q + 1, '"', b->n - (size_t)(q + 1 - b->p));
	if (e && (size_t)(e - q + 2) < cap && !memchr(q, '\\', (size_t)(e - q)))
		snprintf(out, cap, "%.*s", (int)(e - q + 1), q);
}

static void mutate(sbuf *b)
{
	static const char *const frag[] = {"\"",
					   "\\",
					   "{",
					   "}",
					   "[",
					   "]",
					   ",",
					   ":",
					   " ",
					   "null",
					   "true",
					   "-",
					   ".",
					   "e",
					   "1e400",
					   "\xff",
					   "\xc3",
					   "\xed\xa0\x80",
					   "\xe2\x82",
					   "\xf4\x8f\xbf\xbf",
					   "\t",
					   "\x01",
					   "\x7f",
					   "\\u00e9",
					   "\\ud800",
					   "\\udc00",
					   "\\uD83D\\uDE00",
					   "\\x",
					   "\\u12",
					   "\\u",
					   "\"\"",
					   "[]",
					   "{}",
					   "[1,2]",
					   "[\"a\",null,3]",
					   "0",
					   "00",
					   "+1",
					   "nul",
					   "tru"};
	size_t at = rndn(b->n + 1);
	unsigned kind = (unsigned)rndn(7);

	switch (kind) {
	case 0: { /* byte flip (never a newline) */
		char c;
		if (!b->n)
			break;
		at = rndn(b->n);
		do
			c = (char)rndn(256);
		while (c == '\n');
		b->p[at] = c;
		break;
	}
	case 1: /* truncate */
		b->n = at;
		b->p[at] = 0;
		break;
	case 2:
	case 3: { /* insert a fragment */
		const char *f = frag[rndn(MH_ARRAY_LEN(frag))];
		ins(b, at, f, strlen(f));
		break;
	}
	case 4: { /* insert a fragment inside a string value */
		const char *f = frag[rndn(MH_ARRAY_LEN(frag))];
		const char *q =
		    at < b->n ? memchr(b->p + at, '"', b->n - at) : NULL;
		if (q)
			ins(b, (size_t)(q - b->p) + 1, f, strlen(f));
		break;
	}
	case 5: { /* deep nesting near the limit, as a new first member */
		char k[128];
		sbuf t = {0};
		int depth = 60 + (int)rndn(8);
		bool obj = rndn(2);
		first_key(b, k, sizeof(k));
		sb_put(&t, k, strlen(k));
		sb_put(&t, ":", 1);
		for (int i = 0; i < depth; i++)
			sb_put(&t, obj ? "{\"a\":" : "[", obj ? 5 : 1);
		sb_put(&t, "1", 1);
		for (int i = 0; i < depth; i++)
			sb_put(&t, obj ? "}" : "]", 1);
		sb_put(&t, ",", 1);
		if (b->n && b->p[0] == '{')
			ins(b, 1, t.p, t.n);
		free(t.p);
		break;
	}
	default: { /* duplicate a slice elsewhere */
		size_t s = rndn(b->n + 1), l = rndn(24);
		char tmp[32];
		if (s + l > b->n)
			l = b->n - s;
		memcpy(tmp, b->p + s, l);
		ins(b, at, tmp, l);
		break;
	}
	}
}

/* One fuzz case: a mutated seed line after a valid one, or before it. */
static void fuzz_case(size_t i, size_t *lines)
{
	const seed *sd = &seeds[rndn(nseeds)];
	const seed *ok = &seeds[rndn(nseeds)];
	sbuf m = {0}, in = {0};
	unsigned k = 1 + (unsigned)rndn(3);
	char name[64];
	const char *q, *nl;

	sb_put(&m, sd->p, sd->n);
	for (unsigned j = 0; j < k; j++)
		mutate(&m);
	/* The mutated line after a valid one (dialect known) or first
	 * (detection on the mutated record). */
	if (i % 3) {
		sb_put(&in, ok->p, ok->n);
		sb_put(&in, "\n", 1);
		sb_put(&in, m.p ? m.p : "", m.n);
	} else {
		sb_put(&in, m.p ? m.p : "", m.n);
		sb_put(&in, "\n", 1);
		sb_put(&in, sd->p, sd->n);
	}
	sb_put(&in, "\n", 1);
	snprintf(name, sizeof(name), "fuzz case %zu", i);
	/* A first line starting with '[' puts json.c in stream mode (arrays,
	 * multi-line records), and so does a first line that is not a whole
	 * value when the second does not start with '{': not NDJSON. */
	q = in.p;
	while (q < in.p + in.n && (*q == ' ' || *q == '\t'))
		q++;
	nl = memchr(in.p, '\n', in.n);
	if ((q < in.p + in.n && *q == '[') || (nl && nl[1] != '{')) {
		st.unsupported++;
	} else {
		size_t before = st.diffs;
		const char *dump = getenv("MH_DIFF_DUMP");
		compare(name, in.p, in.n, lines);
		if (dump && st.diffs != before) {
			/* debugging aid: keep the failing input */
			char path[4096];
			FILE *f;
			snprintf(path, sizeof(path), "%s/case-%s%zu.ndjson",
				 dump, g_some ? "some-" : "", i);
			f = fopen(path, "wb");
			if (f) {
				fwrite(in.p, 1, in.n, f);
				fclose(f);
			}
		}
	}
	free(m.p);
	free(in.p);
}

/* A scan requests some fields only: both readers skip the rest loosely,
 * each its own way, so verdicts on malformed lines may differ (counted),
 * but records both accept must hold the same fields. */
static void test_fuzz_some_fields(void)
{
	static const mh_field want[] = {
	    MH_F_TIME,		 MH_F_HOST,	    MH_F_DESTINATION_PORT,
	    MH_F_DESTINATION_IP, MH_F_PROCESS_NAME, MH_F_IMAGE,
	    MH_F_ACTION,	 MH_F_EVENT_TYPE,   MH_F_COMMAND_LINE,
	    MH_F_DIALECT};
	size_t lines = 0, d0 = st.diffs, r0 = st.lines_rec, v0;
	size_t a0 = st.after_div, k0 = st.known_bug;

	memset(&g_need, 0, sizeof(g_need));
	for (size_t i = 0; i < MH_ARRAY_LEN(want); i++)
		mh_fieldset_add(&g_need, want[i]);
	g_some = true;
	v0 = st.some_verdict;
	for (size_t i = 0; i < FUZZ_SOME && nseeds; i++)
		fuzz_case(i, &lines);
	g_some = false;
	memset(&g_need, 0, sizeof(g_need));
	fprintf(stderr,
		"fuzz, some fields: %d cases, %zu lines (%zu records agree), "
		"%zu verdicts differ (loose skipping), %zu field differences "
		"after one, %zu known json.c bug (empty event), %zu diffs\n",
		FUZZ_SOME, lines, st.lines_rec - r0, st.some_verdict - v0,
		st.after_div - a0, st.known_bug - k0, st.diffs - d0);
	MH_CHECK(st.lines_rec - r0 >= 1000);
	MH_CHECK_EQ_INT(st.diffs - d0, 0);
}

static void test_fuzz(void)
{
	size_t lines = 0;
	size_t d0 = st.diffs, u0 = st.unsupported, z0 = st.lazy;
	size_t l0 = st.unlocated;
	size_t r0 = st.lines_rec, m0 = st.lines_bad, k0 = st.known_bug;
	size_t k2 = st.known_bug2;

	/* debugging aids: another seed, more cases */
	size_t ncases = getenv("MH_DIFF_CASES")
			    ? strtoull(getenv("MH_DIFF_CASES"), NULL, 10)
			    : FUZZ_CASES;
	if (getenv("MH_DIFF_SEED"))
		rng = strtoull(getenv("MH_DIFF_SEED"), NULL, 10) | 1;

	MH_CHECK(nseeds >= 100);
	if (nseeds == 0)
		return;
	for (size_t i = 0; i < ncases; i++)
		fuzz_case(i, &lines);
	st.fuzz = ncases;
	st.fuzz_lines = lines;
	fprintf(stderr,
		"fuzz: %zu cases, %zu lines (%zu records agree, %zu malformed "
		"in both), %zu unsupported shapes, %zu lazy, %zu unlocated, "
		"known json.c bugs: %zu empty event, %zu trailing comma; %zu "
		"diffs\n",
		ncases, lines, st.lines_rec - r0, st.lines_bad - m0,
		st.unsupported - u0, st.lazy - z0, st.unlocated - l0,
		st.known_bug - k0, st.known_bug2 - k2, st.diffs - d0);
	MH_CHECK(st.lines_bad - m0 >= 1000);
	MH_CHECK_EQ_INT(st.diffs - d0, 0);
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		/* debugging aid: compare the given files only */
		for (int i = 1; i < argc; i++) {
			size_t n;
			char *buf = slurp(argv[i], &n);
			if (buf)
				compare(argv[i], buf, n, &st.lines);
			free(buf);
		}
		printf("%zu lines: %zu records agree, %zu malformed in both, "
		       "%zu unsupported, %zu lazy, %zu unlocated, known json.c "
		       "bugs: %zu empty event, %zu trailing comma; %zu diffs\n",
		       st.lines, st.lines_rec, st.lines_bad, st.unsupported,
		       st.lazy, st.unlocated, st.known_bug, st.known_bug2,
		       st.diffs);
		return st.diffs != 0;
	}
	MH_RUN(test_corpus);
	MH_RUN(test_fuzz);
	MH_RUN(test_fuzz_some_fields);
	for (size_t i = 0; i < nseeds; i++)
		free(seeds[i].p);
	MH_DONE();
}
