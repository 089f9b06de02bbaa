/* Derived canonical fields, computed after a reader fills an event:
 *  - ProcessName: basename of Image ('\\' or '/' separators) if unset;
 *  - Direction: from EventDirection (L2R/R2L/L2L/R2R, ECS
 *    network.direction), else Initiated (true=outbound, false=inbound),
 *    else --home-net (src in & dst out = outbound, ...);
 *  - Outcome: from Action (ConnectionSuccess/ConnectionAttempt/
 *    ConnectionFailed/allowed/blocked/...); see docs/schema.md;
 *  - MailProtocol: from DestinationPort through the rule pack's port map;
 *  - ICMP (Protocol 1/58/icmp/icmpv6/...): SourcePort, DestinationPort and
 *    their names are unset first, always (the ICMP type is not a port);
 *  - LookalikeOf: the protected name (lookalikes) that ProcessName
 *    imitates, see event/lookalike.h (always recomputed).
 * Only fields in `need` are derived. Values that are already set by the
 * source are kept. Read-only context: safe to share across threads. */
#ifndef MH_EVENT_NORMALIZE_H
#define MH_EVENT_NORMALIZE_H

#include "event/event.h"
#include "event/lookalike.h"
#include "util/ip.h"

typedef struct mh_portmap_entry {
	uint16_t port;
	char proto[16]; /* "SMTP", "POP3", "IMAP", ... */
} mh_portmap_entry;

typedef struct mh_norm_ctx {
	const mh_portmap_entry *ports; /* from the rule pack */
	size_t nports;
	const mh_cidr *home_net; /* --home-net, may be NULL */
	size_t nhome;
	mh_fieldset need;
	const mh_lookalike *lookalikes; /* protected names, from the pack */
	size_t nlookalikes;
} mh_norm_ctx;

void mh_event_normalize(const mh_norm_ctx *ctx, mh_event *ev);

/* What normalising makes of string field f, for the JSON reader's value
 * prefilter (issue 4): true when every run of f's normalised value that
 * holds no '\\' or '/' lies inside the value one field of *src (f
 * included) had as read, so a text that such a run contains was in one
 * of those values. *src is added to, not cleared. false when
 * normalising may write other text into f (a derived word, a rewritten
 * list) or f is not a string field. Keep in step with the derivations
 * above (tests/unit/test_normalize.c checks them). */
bool mh_event_norm_sources(mh_field f, mh_fieldset *src);

/* Parse "10.0.0.0/8,192.168.0.0/16" into an array (malloc'd, caller
 * frees). Error names the bad element. */
mh_rc mh_home_net_parse(const char *spec, mh_cidr **out, size_t *n,
			mh_err *err);

#endif
