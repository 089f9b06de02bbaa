/* An alert: what a detection rule (per event) or a correlation rule
 * (per group) produced. All memory is owned by the engine and lives
 * until mh_engine_free(). */
#ifndef MH_ENGINE_ALERT_H
#define MH_ENGINE_ALERT_H

#include "event/event.h"
#include "rule/rule.h"

#define MH_ALERT_MAX_USERS 16

typedef struct mh_alert_kv {
	const char *name; /* canonical field name, or the correlation alias */
	mh_field field;	  /* MH_F_NONE if not a single field */
	bool set;	  /* false = unset (null) */
	mh_str val;
} mh_alert_kv;

typedef struct mh_alert {
	const mh_rule *rule; /* the rule that fired */
	mh_level level;
	uint64_t count;	       /* contributing events */
	uint64_t distinct_dst; /* distinct DestinationIp values */
	bool bytes_set;	       /* some event carried BytesSent */
	int64_t bytes_sent;    /* sum of BytesSent */
	int64_t first_ns, last_ns;
	double value; /* value_count/sum/avg result; count for event_count */
	size_t ngroup;
	const mh_alert_kv *group; /* correlation group-by values */
	size_t nusers;		  /* distinct User values, sorted */
	const mh_str *users;
	bool users_truncated; /* more than MH_ALERT_MAX_USERS */
	size_t ncontrib;
	const mh_rule *const *contrib; /* contributing detection rules */
	/* Context from the last contributing event: the fields an analyst
	 * needs to see why it fired (host, user, image, command line,
	 * parent, connection). Only set fields are listed. */
	size_t nctx;
	const mh_alert_kv *ctx;
	/* --explain: up to a few contributing events as "file:line" */
	size_t nrefs;
	const mh_str *refs;
} mh_alert;

#endif
