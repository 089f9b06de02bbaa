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
	MH_CONV_TIME,     /* parse with mh_time_parse into ev->time_ns, and
			     set the TIME field to the text */
	MH_CONV_GUID,     /* GUID: add { } if missing, upper-case (Sysmon
			     XML/EVTX render "{6004D249-...}") */
	MH_CONV_BOOL,     /* true/false/1/0 -> "true"/"false" */
} mh_conv;

typedef struct mh_dialect_map {
	const char *key; /* exact, case-sensitive; nested paths dotted */
	mh_field field;
	mh_conv conv;
	uint8_t prio;    /* when several keys feed one field: lower wins */
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

#endif
