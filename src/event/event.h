/* The canonical event record.
 *
 * A reader fills an mh_event with slices pointing into its read buffer
 * (zero-copy) or into the event's arena (for decoded/escaped values).
 * Values are valid until the reader's next call to next(). A field is
 * unset unless its bit is set in `present`; unset is distinct from an
 * empty string (present with n == 0).
 *
 * Thread safety: an mh_event belongs to one worker. */
#ifndef MH_EVENT_EVENT_H
#define MH_EVENT_EVENT_H

#include "util/arena.h"
#include "util/mh.h"

typedef enum mh_ftype {
	MH_T_STR,
	MH_T_INT,  /* decimal integer in text form; see mh_event_int() */
	MH_T_IP,   /* IPv4/IPv6 text */
	MH_T_TIME, /* the record's time; time_ns holds the parsed value */
} mh_ftype;

typedef enum mh_field {
#define MH_FIELD(id, name, type, aliases) MH_F_##id,
#include "event/fields.def"
#undef MH_FIELD
	MH_F__COUNT,
	MH_F_NONE = -1,
} mh_field;

#define MH_LIST_SEP '\x1f'

#define MH_FIELD_WORDS ((MH_F__COUNT + 63) / 64)

typedef struct mh_fieldset {
	uint64_t w[MH_FIELD_WORDS];
} mh_fieldset;

static inline void mh_fieldset_add(mh_fieldset *s, mh_field f)
{
	s->w[(unsigned)f / 64] |= 1ULL << ((unsigned)f % 64);
}
static inline bool mh_fieldset_has(const mh_fieldset *s, mh_field f)
{
	return (s->w[(unsigned)f / 64] >> ((unsigned)f % 64)) & 1;
}

typedef struct mh_event {
	mh_fieldset present;
	/* Fields whose value is a list (a JSON array such as ECS event.type):
	 * the elements are joined with MH_LIST_SEP in v[f]; a rule value
	 * matches the field if it matches any element. */
	mh_fieldset multi;
	mh_str v[MH_F__COUNT];
	int64_t time_ns;  /* event time, ns since epoch; valid if TIME set */
	const char *file; /* input name, for diagnostics */
	uint64_t line;	  /* 1-based line (or record number) in file */
	mh_arena *arena;  /* scratch for decoded values; reset per record */
} mh_event;

/* Clear all fields (cheap: only the bitmask). Does not reset the arena. */
static inline void mh_event_clear(mh_event *ev)
{
	for (unsigned i = 0; i < MH_FIELD_WORDS; i++) {
		ev->present.w[i] = 0;
		ev->multi.w[i] = 0;
	}
	ev->time_ns = 0;
}

static inline bool mh_event_has(const mh_event *ev, mh_field f)
{
	return mh_fieldset_has(&ev->present, f);
}

static inline void mh_event_set(mh_event *ev, mh_field f, const char *p,
				size_t n)
{
	ev->v[f].p = p;
	ev->v[f].n = n;
	mh_fieldset_add(&ev->present, f);
}

static inline void mh_event_unset(mh_event *ev, mh_field f)
{
	ev->present.w[(unsigned)f / 64] &= ~(1ULL << ((unsigned)f % 64));
}

/* Returns the value or NULL when unset. */
static inline const mh_str *mh_event_get(const mh_event *ev, mh_field f)
{
	return mh_event_has(ev, f) ? &ev->v[f] : NULL;
}

/* Parse the field as a signed decimal integer (leading/trailing ASCII
 * spaces allowed, optional fractional ".0..." part ignored only if all
 * zeros). Returns false if unset or not an integer. */
bool mh_event_int(const mh_event *ev, mh_field f, int64_t *out);

/* Set a field to a copy of s in the event's arena. Returns MH_ENOMEM. */
mh_rc mh_event_set_copy(mh_event *ev, mh_field f, const char *p, size_t n);

/* Field metadata. */
const char *mh_field_name(mh_field f);
mh_ftype mh_field_type(mh_field f);
/* The '|'-separated alias list of f ("" if none). */
const char *mh_field_aliases(mh_field f);
/* Resolve a canonical name or alias (exact, case-sensitive).
 * Returns MH_F_NONE if unknown. */
mh_field mh_field_lookup(const char *name, size_t n);

#endif
