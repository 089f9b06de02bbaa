#include "event/event.h"

#include <string.h>

static const struct {
	const char *name;
	mh_ftype type;
	const char *aliases;
} field_info[MH_F__COUNT] = {
#define MH_FIELD(id, name, type, aliases) {name, type, aliases},
#include "event/fields.def"
#undef MH_FIELD
};

const char *mh_field_name(mh_field f)
{
	if ((int)f < 0 || f >= MH_F__COUNT)
		return "?";
	return field_info[f].name;
}

mh_ftype mh_field_type(mh_field f)
{
	return field_info[f].type;
}

const char *mh_field_aliases(mh_field f)
{
	return field_info[f].aliases;
}

mh_field mh_field_lookup(const char *name, size_t n)
{
	for (int f = 0; f < MH_F__COUNT; f++) {
		const char *c = field_info[f].name;
		if (strlen(c) == n && memcmp(c, name, n) == 0)
			return (mh_field)f;
	}
	for (int f = 0; f < MH_F__COUNT; f++) {
		const char *a = field_info[f].aliases;
		while (*a) {
			const char *end = strchr(a, '|');
			size_t len = end ? (size_t)(end - a) : strlen(a);
			if (len == n && memcmp(a, name, n) == 0)
				return (mh_field)f;
			if (!end)
				break;
			a = end + 1;
		}
	}
	return MH_F_NONE;
}

bool mh_event_int(const mh_event *ev, mh_field f, int64_t *out)
{
	const mh_str *s = mh_event_get(ev, f);
	const char *p, *end;
	bool neg = false;
	uint64_t v = 0;

	if (!s)
		return false;
	p = s->p;
	end = s->p + s->n;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (p < end && (*p == '-' || *p == '+'))
		neg = (*p++ == '-');
	if (p == end || *p < '0' || *p > '9')
		return false;
	while (p < end && *p >= '0' && *p <= '9') {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
		p++;
	}
	if (p < end && *p == '.') {
		p++;
		while (p < end && *p == '0')
			p++;
	}
	if (p != end)
		return false;
	if (v > (uint64_t)INT64_MAX + (neg ? 1u : 0u))
		return false;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

mh_rc mh_event_set_copy(mh_event *ev, mh_field f, const char *p, size_t n)
{
	char *c = mh_arena_strndup(ev->arena, p, n);
	if (!c)
		return MH_ENOMEM;
	mh_event_set(ev, f, c, n);
	return MH_OK;
}
