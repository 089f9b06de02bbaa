/* JSON dialect for network sensors: Suricata EVE (one JSON object per
 * line; event_type flow, smtp, alert, tls, ...). Registered in
 * mh_dialects[] (dialect.c); read by json.c.
 *
 * EVE layout (Suricata 6/7): timestamp "2020-01-01T00:00:00.000000+0000",
 * flow_id, in_iface, event_type, src_ip, src_port, dest_ip, dest_port,
 * proto ("TCP"), app_proto ("smtp", "imap", "tls", "failed", ...), and
 * per event type objects: flow{bytes_toserver, bytes_toclient, state},
 * smtp{helo, mail_from, rcpt_to[]}, email{subject, ...},
 * alert{action, signature, ...}, tls{sni, ...}. The flow is seen from
 * the client (src = the side that opened it), so bytes_toserver is what
 * the source sent. */
#include "input/dialect.h"

#define N	      MH_CONV_NONE
#define T	      MH_CONV_TIME
#define E(k, f, c, p) {k, MH_F_##f, c, p},

static const mh_dialect_map map_suricata[] = {
    E("timestamp", TIME, T, 0) E("flow_id", UID, N, 0)
	E("event_type", EVENT_TYPE, N, 0) E("src_ip", SOURCE_IP, N, 0) E(
	    "src_port", SOURCE_PORT, N, 0) E("dest_ip", DESTINATION_IP, N, 0)
	    E("dest_port", DESTINATION_PORT, N,
	      0) E("proto", PROTOCOL, N, 0) E("app_proto", SERVICE, N, 0)
		E("host", HOST, N, 1) E("flow.bytes_toserver", BYTES_SENT, N, 0)
		    E("flow.bytes_toclient", BYTES_RECEIVED, N,
		      0) E("alert.action", ACTION, N,
			   0) E("alert.signature", RULE_NAME, N, 0)
			E("smtp.helo", HELO, N, 0) E("smtp.mail_from",
						     MAIL_FROM, N, 0)
			    E("smtp.rcpt_to", RCPT_TO, N, 0)
				E("email.subject", SUBJECT, N, 0)
				    E("tls.sni", DESTINATION_HOSTNAME, N, 0)
					E("http.hostname", DESTINATION_HOSTNAME,
					  N, 1) E("http.http_user_agent",
						  USER_AGENT, N, 0)};

static const char *const sig_suricata[] = {
    "event_type",
    "flow_id",
    "in_iface",
    "src_ip",
    "dest_ip",
    "app_proto",
    "flow.bytes_toserver",
    "community_id",
    NULL,
};

/* Weights per signature key, in sig_suricata order (dialect.c's
 * detection sums them; src_ip/dest_ip are shared with Splunk CIM). */
const uint8_t mh_dialect_suricata_sigw[] = {4, 4, 2, 1, 1, 1, 2, 1};

_Static_assert(MH_ARRAY_LEN(sig_suricata) ==
		   MH_ARRAY_LEN(mh_dialect_suricata_sigw) + 1,
	       "signature weights of suricata");

const mh_dialect mh_dialect_suricata = {
    .name = "suricata",
    .desc = "Suricata EVE JSON (flow, smtp, alert, ...)",
    .map = map_suricata,
    .nmap = MH_ARRAY_LEN(map_suricata),
    .signature = sig_suricata,
};
