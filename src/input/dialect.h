/* Dialects: how one platform names its fields. A dialect maps source
 * keys (flat names like "RemotePort", dotted paths like
 * "winlog.event_data.Image" or "Event.EventData.Image") to canonical
 * fields. Used by every key/value reader (JSON, CSV). Tables are const
 * and shared. */
#ifndef MH_INPUT_DIALECT_H
#define MH_INPUT_DIALECT_H

#include "event/event.h"

typedef enum mh_conv {
	MH_CONV_NONE = 0, /* value as is */
	MH_CONV_TIME,	  /* parse with mh_time_parse into ev->time_ns, and
			     set the TIME field to the text */
	MH_CONV_GUID,	  /* GUID: add { } if missing, upper-case (Sysmon
			     XML/EVTX render "{6004D249-...}") */
	MH_CONV_BOOL,	  /* true/false/1/0 -> "true"/"false" */
} mh_conv;

typedef struct mh_dialect_map {
	const char *key; /* exact, case-sensitive; nested paths dotted */
	mh_field field;
	mh_conv conv;
	uint8_t prio; /* when several keys feed one field: lower wins */
} mh_dialect_map;

typedef struct mh_dialect {
	const char *name; /* sysmon, evtxdump, winlogbeat, mde, ecs, splunk,
			     qradar, sumo, zeek */
	const char *desc;
	const mh_dialect_map *map;
	size_t nmap;
	/* keys whose presence identifies the dialect (NULL-terminated);
	 * detection scores each dialect by signature keys present. */
	const char *const *signature;
} mh_dialect;

extern const mh_dialect *const mh_dialects[]; /* NULL-terminated */
const mh_dialect *mh_dialect_find(const char *name);
/* Best dialect for a record whose (flattened, dotted) keys are given;
 * NULL if none scores. */
const mh_dialect *mh_dialect_detect(const mh_str *keys, size_t nkeys);
/* The mapping of key in d, or NULL. O(1) average (hashed). */
const mh_dialect_map *mh_dialect_lookup(const mh_dialect *d, const char *key,
					size_t n);

/* --- additions (json/dialect helper) --- */

/* True if some key of d starts with p[0..n) followed by '.', i.e. a
 * nested object at path p may hold mapped keys. Lets a reader skip
 * whole sub-objects. O(1) average. */
bool mh_dialect_has_prefix(const mh_dialect *d, const char *p, size_t n);

/* Store the value (p, n) of map entry m into ev, applying m->conv and the
 * priority rule: the value replaces the field's current one only if the
 * field is unset, or m->prio is lower than the stored prio, or the
 * current value is empty and this one is not. An empty value never
 * replaces a non-empty one. prio[] has MH_F__COUNT entries owned by the
 * caller; an entry is read only when the field is present, so it needs
 * no reset. GUID conversion copies into ev->arena when the text changes;
 * TIME also sets ev->time_ns. A TIME value that does not parse leaves
 * the event unchanged and returns MH_EPARSE (the caller may report it;
 * it is not a malformed record). Returns MH_ENOMEM if the arena is
 * exhausted, else MH_OK. */
mh_rc mh_dialect_apply(const mh_dialect_map *m, mh_event *ev, uint8_t *prio,
		       const char *p, size_t n);

/* --- addition (network dialects, src/input/dialect_net.c) --- */

/* Suricata EVE JSON, and its signature-key weights (one per key of its
 * signature list), listed in mh_dialects[]. */
extern const mh_dialect mh_dialect_suricata;
extern const uint8_t mh_dialect_suricata_sigw[];

/* --- addition (Windows XML/EVTX helper, src/input/dialect_wfp.c) --- */

/* Windows Security events as flat JSON ("winsec": 5156/5157/5158
 * Filtering Platform), and its signature-key weights (one per key of its
 * signature list), listed in mh_dialects[]. */
extern const mh_dialect mh_dialect_winsec;
extern const uint8_t mh_dialect_winsec_sigw[];

#endif
