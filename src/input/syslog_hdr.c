/* Syslog header parsing shared by the firewall readers. See
 * syslog_hdr.h. */
#include "input/syslog_hdr.h"

#include "input/input.h"
#include "util/timefmt.h"

#include <string.h>
#include <time.h>

#define NS 1000000000LL

static bool dig(char c)
{
	return c >= '0' && c <= '9';
}

static char low(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

bool mh_syslog_ieq(const char *p, size_t n, const char *lit)
{
	size_t k = strlen(lit);

	if (n != k)
		return false;
	for (size_t i = 0; i < k; i++)
		if (low(p[i]) != low(lit[i]))
			return false;
	return true;
}

size_t mh_syslog_find(const char *p, size_t n, const char *lit, size_t litn)
{
	const char *q;

	if (litn == 0 || n < litn)
		return n;
	q = memmem(p, n, lit, litn);
	return q ? (size_t)(q - p) : n;
}

static int month_of(const char *p, size_t n)
{
	static const char *const m[12] = {"jan", "feb", "mar", "apr",
					  "may", "jun", "jul", "aug",
					  "sep", "oct", "nov", "dec"};

	if (n < 3)
		return 0;
	for (int i = 0; i < 12; i++)
		if (low(p[0]) == m[i][0] && low(p[1]) == m[i][1] &&
		    low(p[2]) == m[i][2])
			return i + 1;
	return 0;
}

/* Digits at p[*i], at most max; false if none. */
static bool num(const char *p, size_t n, size_t *i, unsigned max, unsigned *out)
{
	unsigned v = 0, k = 0;

	while (*i < n && dig(p[*i]) && k < max) {
		v = v * 10 + (unsigned)(p[*i] - '0');
		(*i)++;
		k++;
	}
	*out = v;
	return k > 0;
}

/* Offset in minutes east of UTC for a zone abbreviation, or false. */
static bool zone_abbr(const char *p, size_t n, int *min)
{
	static const struct {
		const char *z;
		int off;
	} zt[] = {
	    {"UTC", 0},	   {"GMT", 0},	  {"Z", 0},	 {"WET", 0},
	    {"EST", -300}, {"EDT", -240}, {"CST", -360}, {"CDT", -300},
	    {"MST", -420}, {"MDT", -360}, {"PST", -480}, {"PDT", -420},
	    {"CET", 60},   {"CEST", 120}, {"EET", 120},	 {"EEST", 180},
	    {"BST", 60},   {"IST", 330},  {"JST", 540},	 {"AEST", 600},
	    {"AEDT", 660},
	};

	for (size_t i = 0; i < sizeof(zt) / sizeof(zt[0]); i++) {
		if (mh_syslog_ieq(p, n, zt[i].z) && p[0] >= 'A' &&
		    p[0] <= 'Z') {
			*min = zt[i].off;
			return true;
		}
	}
	return false;
}

/* The year given with --year, 0 = guess from the clock. Set once by the
 * CLI before any reader runs, then only read. */
static int default_year;

void mh_syslog_set_default_year(int year)
{
	default_year = year;
}

/* Year for a year-less timestamp: see mh_syslog_hdr_parse(). */
static int64_t guess_year(unsigned mon)
{
	time_t now;
	struct tm tm;

	if (default_year)
		return default_year;
	now = time(NULL);
	if (!gmtime_r(&now, &tm))
		return 1970;
	if ((int)mon > tm.tm_mon + 2)
		return tm.tm_year + 1900 - 1;
	return tm.tm_year + 1900;
}

bool mh_syslog_bsd_time(const char *p, size_t n, size_t *used, int64_t *ns)
{
	unsigned d, y = 0, hh, mm, ss;
	bool has_y = false;
	int64_t frac = 0, yr, t;
	size_t i = 0, save;
	int mon, zmin = 0;

	mon = month_of(p, n);
	if (!mon)
		return false;
	i = 3;
	while (i < n && p[i] >= 'a' && p[i] <= 'z')
		i++; /* "March" */
	if (i >= n || p[i] != ' ')
		return false;
	while (i < n && p[i] == ' ')
		i++;
	if (!num(p, n, &i, 2, &d) || d < 1 || d > 31 || i >= n || p[i] != ' ')
		return false;
	while (i < n && p[i] == ' ')
		i++;
	save = i;
	if (num(p, n, &i, 4, &y) && i - save == 4 && i < n && p[i] == ' ') {
		has_y = true;
		while (i < n && p[i] == ' ')
			i++;
	} else {
		i = save;
		y = 0;
	}
	if (!num(p, n, &i, 2, &hh) || i >= n || p[i] != ':')
		return false;
	i++;
	if (!num(p, n, &i, 2, &mm) || i >= n || p[i] != ':')
		return false;
	i++;
	if (!num(p, n, &i, 2, &ss) || hh > 23 || mm > 59 || ss > 60)
		return false;
	if (i + 1 < n && (p[i] == '.' || p[i] == ',') && dig(p[i + 1])) {
		int64_t scale = NS;

		i++;
		while (i < n && dig(p[i])) {
			if (scale > 1) {
				scale /= 10;
				frac += (p[i] - '0') * scale;
			}
			i++;
		}
	}
	/* optional zone */
	save = i;
	if (i + 1 < n && p[i] == ' ') {
		size_t s = i + 1, e = s;

		while (e < n && ((p[e] >= 'A' && p[e] <= 'Z') ||
				 (p[e] >= 'a' && p[e] <= 'z')))
			e++;
		if (e > s && (e == n || p[e] == ' ' || p[e] == ':') &&
		    zone_abbr(p + s, e - s, &zmin)) {
			i = e;
		} else if (s < n && (p[s] == '+' || p[s] == '-')) {
			unsigned zh, zm = 0;
			size_t j = s + 1;

			if (num(p, n, &j, 2, &zh) && j - s == 3) {
				if (j < n && p[j] == ':')
					j++;
				if (num(p, n, &j, 2, &zm) && zh < 24 &&
				    zm < 60 && (j == n || p[j] == ' ')) {
					zmin = (int)(zh * 60 + zm);
					if (p[s] == '-')
						zmin = -zmin;
					i = j;
				}
			}
		}
	}
	if (i == save)
		zmin = 0;
	yr = has_y ? (int64_t)y : guess_year((unsigned)mon);
	if (yr < 1678 || yr > 2261) /* outside int64 nanoseconds */
		return false;
	t = mh_days_from_civil(yr, (unsigned)mon, d) * 86400 + hh * 3600 +
	    mm * 60 + ss - (int64_t)zmin * 60;
	*ns = t * NS + frac;
	*used = i;
	return true;
}

typedef struct tok {
	const char *p;
	size_t n;
} tok;

/* Space-separated tokens of p[0..n), at most max. */
static size_t tokens(const char *p, size_t n, tok *t, size_t max)
{
	size_t k = 0, i = 0;

	while (i < n && k < max) {
		size_t s;

		while (i < n && p[i] == ' ')
			i++;
		if (i >= n)
			break;
		s = i;
		while (i < n && p[i] != ' ')
			i++;
		t[k].p = p + s;
		t[k].n = i - s;
		k++;
	}
	return k;
}

/* "<digits>" at p[0..]; returns its length or 0. */
static size_t pri_len(const char *p, size_t n)
{
	size_t i = 1;

	if (n < 3 || p[0] != '<')
		return 0;
	while (i < n && i < 5 && dig(p[i]))
		i++;
	return i > 1 && i < n && p[i] == '>' ? i + 1 : 0;
}

static mh_str host_tok(const tok *t)
{
	size_t n = t->n;

	while (n && t->p[n - 1] == ':')
		n--;
	return (mh_str){t->p, n};
}

bool mh_syslog_hdr_parse(const char *p, size_t n, mh_syslog_hdr *h)
{
	tok t[8];
	size_t i, k, pl = 0, used;

	memset(h, 0, sizeof(*h));
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n == 0)
		return true;
	/* The last "<N>" starting a token begins the real header; anything
	 * before it is relay text. */
	for (i = n; i-- > 0;) {
		if (p[i] == '<' && (i == 0 || p[i - 1] == ' ') &&
		    (pl = pri_len(p + i, n - i)) != 0) {
			p += i + pl;
			n -= i + pl;
			h->has_pri = true;
			break;
		}
	}
	if (h->has_pri && n >= 2 && p[0] == '1' && p[1] == ' ') {
		/* RFC 5424 */
		k = tokens(p + 2, n - 2, t, 2);
		if (k >= 1 && !(t[0].n == 1 && t[0].p[0] == '-')) {
			h->has_time =
			    mh_time_parse(t[0].p, t[0].n, &h->time_ns);
			h->ts = (mh_str){t[0].p, t[0].n};
		}
		if (k >= 2 && !(t[1].n == 1 && t[1].p[0] == '-'))
			h->host = (mh_str){t[1].p, t[1].n};
		return k >= 1;
	}
	if (n && dig(p[0])) {
		/* ISO timestamp */
		k = tokens(p, n, t, 2);
		if (k >= 1) {
			mh_str ts = host_tok(&t[0]);
			h->has_time = mh_time_parse(ts.p, ts.n, &h->time_ns);
			h->ts = ts;
		}
		if (!h->has_time)
			return false;
		if (k >= 2)
			h->host = host_tok(&t[1]);
		return true;
	}
	if (!mh_syslog_bsd_time(p, n, &used, &h->time_ns))
		return h->has_pri && n == 0;
	h->has_time = true;
	h->ts = (mh_str){p, used};
	if (used < n && p[used] == ':')
		used++;
	k = tokens(p + used, n - used, t, 2);
	for (i = 0; i < k; i++) {
		mh_str s = host_tok(&t[i]);

		if (s.n) {
			h->host = s;
			break;
		}
	}
	return true;
}

static bool blank_line(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return false;
	return true;
}

mh_rc mh_syslog_next_line(struct mh_reader *r, mh_str *line, uint64_t *ln,
			  mh_err *err)
{
	for (;;) {
		mh_rc rc = mh_source_line(r->src, line, ln, err);

		if (rc == MH_ELIMIT) {
			mh_err_clear(err);
			mh_reader_malformed(
			    r, *ln,
			    "line longer than the maximum record "
			    "size: skipped");
			continue;
		}
		if (rc != MH_OK)
			return rc;
		if (!blank_line(line->p, line->n))
			return MH_OK;
	}
}

bool mh_syslog_first_line(const char *buf, size_t len, mh_str *line)
{
	size_t i = 0;

	if (len > 65536)
		len = 65536;
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - buf) : len;

		if (!blank_line(buf + i, e - i)) {
			*line = (mh_str){buf + i, e - i};
			if (line->n && line->p[line->n - 1] == '\r')
				line->n--;
			return true;
		}
		i = e + 1;
	}
	return false;
}
