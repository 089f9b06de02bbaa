/* Dialect tables: how each platform names its fields, detection of the
 * dialect of a record from its keys, and hashed key lookup.
 *
 * The tables are const. The hash indexes are built once, on first use,
 * under pthread_once, into static storage (no malloc); after that every
 * function here is read-only and thread-safe. */
#include "input/dialect.h"

#include "util/hash.h"
#include "util/timefmt.h"

#include <pthread.h>
#include <string.h>

#define N MH_CONV_NONE
#define T MH_CONV_TIME
#define G MH_CONV_GUID
#define B MH_CONV_BOOL

/* The Sysmon EventData names (network_connection, process_creation and
 * the common ones) with their canonical field. Expanded with a key
 * prefix for the flat, evtx_dump and Winlogbeat layouts. UtcTime is the
 * Sysmon event time and wins (prio 0) over the envelope's time. */
#define SYSMON_DATA(X, PFX, PRIO)                                              \
	X(PFX "RuleName", RULE_NAME, N, PRIO)                                  \
	X(PFX "UtcTime", TIME, T, PRIO)                                        \
	X(PFX "ProcessGuid", PROCESS_GUID, G, PRIO)                            \
	X(PFX "ProcessId", PROCESS_ID, N, PRIO)                                \
	X(PFX "Image", IMAGE, N, PRIO)                                         \
	X(PFX "User", USER, N, PRIO)                                           \
	X(PFX "Protocol", PROTOCOL, N, PRIO)                                   \
	X(PFX "Initiated", INITIATED, B, PRIO)                                 \
	X(PFX "SourceIsIpv6", SOURCE_IS_IPV6, B, PRIO)                         \
	X(PFX "SourceIp", SOURCE_IP, N, PRIO)                                  \
	X(PFX "SourceHostname", SOURCE_HOSTNAME, N, PRIO)                      \
	X(PFX "SourcePort", SOURCE_PORT, N, PRIO)                              \
	X(PFX "SourcePortName", SOURCE_PORT_NAME, N, PRIO)                     \
	X(PFX "DestinationIsIpv6", DESTINATION_IS_IPV6, B, PRIO)               \
	X(PFX "DestinationIp", DESTINATION_IP, N, PRIO)                        \
	X(PFX "DestinationHostname", DESTINATION_HOSTNAME, N, PRIO)            \
	X(PFX "DestinationPort", DESTINATION_PORT, N, PRIO)                    \
	X(PFX "DestinationPortName", DESTINATION_PORT_NAME, N, PRIO)           \
	X(PFX "CommandLine", COMMAND_LINE, N, PRIO)                            \
	X(PFX "CurrentDirectory", CURRENT_DIRECTORY, N, PRIO)                  \
	X(PFX "IntegrityLevel", INTEGRITY_LEVEL, N, PRIO)                      \
	X(PFX "Hashes", HASHES, N, PRIO)                                       \
	X(PFX "OriginalFileName", ORIGINAL_FILE_NAME, N, PRIO)                 \
	X(PFX "Product", PRODUCT, N, PRIO)                                     \
	X(PFX "Company", COMPANY, N, PRIO)                                     \
	X(PFX "Description", DESCRIPTION, N, PRIO)                             \
	X(PFX "LogonId", LOGON_ID, N, PRIO)                                    \
	X(PFX "ParentImage", PARENT_IMAGE, N, PRIO)                            \
	X(PFX "ParentProcessId", PARENT_PROCESS_ID, N, PRIO)                   \
	X(PFX "ParentProcessGuid", PARENT_PROCESS_GUID, G, PRIO)               \
	X(PFX "ParentCommandLine", PARENT_COMMAND_LINE, N, PRIO)               \
	X(PFX "ParentUser", PARENT_USER, N, PRIO)                              \
	X(PFX "ScriptBlockText", SCRIPT_BLOCK_TEXT, N, PRIO)

#define E(k, f, c, p) {k, MH_F_##f, c, p},

/* ECS fields shared by the ecs and winlogbeat dialects; in winlogbeat
 * they are fallbacks (PRIO 1) behind winlog.event_data. */
#define ECS_COMMON(X, PRIO)                                                    \
	X("@timestamp", TIME, T, PRIO)                                         \
	X("host.name", HOST, N, PRIO)                                          \
	X("host.hostname", HOST, N, PRIO + 1)                                  \
	X("event.code", EVENT_ID, N, PRIO)                                     \
	X("event.provider", PROVIDER, N, PRIO)                                 \
	X("event.action", ACTION, N, PRIO)                                     \
	X("event.type", EVENT_TYPE, N, PRIO)                                   \
	X("event.category", EVENT_CATEGORY, N, PRIO)                           \
	X("event.outcome", OUTCOME, N, PRIO)                                   \
	X("rule.name", RULE_NAME, N, PRIO)                                     \
	X("process.name", PROCESS_NAME, N, PRIO)                               \
	X("process.executable", IMAGE, N, PRIO)                                \
	X("process.pid", PROCESS_ID, N, PRIO)                                  \
	X("process.entity_id", PROCESS_ENTITY_ID, N, PRIO)                     \
	X("process.command_line", COMMAND_LINE, N, PRIO)                       \
	X("process.working_directory", CURRENT_DIRECTORY, N, PRIO)             \
	X("process.hash.sha256", SHA256, N, PRIO)                              \
	X("process.code_signature.subject_name", SIGNER, N, PRIO)              \
	X("process.pe.original_file_name", ORIGINAL_FILE_NAME, N, PRIO)        \
	X("process.pe.product", PRODUCT, N, PRIO)                              \
	X("process.pe.company", COMPANY, N, PRIO)                              \
	X("process.pe.description", DESCRIPTION, N, PRIO)                      \
	X("process.parent.name", PARENT_PROCESS_NAME, N, PRIO)                 \
	X("process.parent.executable", PARENT_IMAGE, N, PRIO)                  \
	X("process.parent.pid", PARENT_PROCESS_ID, N, PRIO)                    \
	X("process.parent.command_line", PARENT_COMMAND_LINE, N, PRIO)         \
	X("user.name", USER, N, PRIO)                                          \
	X("source.ip", SOURCE_IP, N, PRIO)                                     \
	X("source.port", SOURCE_PORT, N, PRIO)                                 \
	X("source.domain", SOURCE_HOSTNAME, N, PRIO)                           \
	X("source.bytes", BYTES_SENT, N, PRIO)                                 \
	X("destination.ip", DESTINATION_IP, N, PRIO)                           \
	X("destination.port", DESTINATION_PORT, N, PRIO)                       \
	X("destination.domain", DESTINATION_HOSTNAME, N, PRIO)                 \
	X("destination.bytes", BYTES_RECEIVED, N, PRIO)                        \
	X("network.transport", PROTOCOL, N, PRIO)                              \
	X("network.protocol", SERVICE, N, PRIO)                                \
	X("network.direction", EVENT_DIRECTION, N, PRIO)                       \
	X("powershell.file.script_block_text", SCRIPT_BLOCK_TEXT, N, PRIO)

/* --- sysmon: flat OTRF / NXLog style ------------------------------------ */
static const mh_dialect_map map_sysmon[] = {
    SYSMON_DATA(E, "", 0) E("EventID", EVENT_ID, N, 0) E("Hostname", HOST, N, 0)
	E("Computer", HOST, N, 1) E("Channel", CHANNEL, N, 0)
	    E("SourceName", PROVIDER, N, 0) E("@timestamp", TIME, T, 1)
		E("EventTime", TIME, T, 2) E("TimeCreated", TIME, T, 3)
    /* Windows Security 5156/5158 (same OTRF exports): the connection
     * fields under their Security names, below the Sysmon names. */
    E("Application", IMAGE, N, 2) E("SourceAddress", SOURCE_IP, N, 2)
	E("DestAddress", DESTINATION_IP, N, 2)
	    E("DestPort", DESTINATION_PORT, N, 2)
		E("Direction", EVENT_DIRECTION, N, 2)
		    E("ProcessID", PROCESS_ID, N, 2)};
static const char *const sig_sysmon[] = {
    "EventID", "Hostname",    "UtcTime",  "SourceName", "ProviderGuid",
    "Channel", "ProcessGuid", "Keywords", NULL,
};
static const uint8_t sigw_sysmon[] = {3, 3, 1, 2, 2, 1, 1, 1};

/* --- evtxdump: omerbenamram evtx_dump JSON --------------------------- */
static const mh_dialect_map map_evtxdump[] = {
    SYSMON_DATA(E, "Event.EventData.", 0)
    /* Windows Security 5156/5158 under the same envelope */
    E("Event.EventData.Application", IMAGE, N,
      2) E("Event.EventData.SourceAddress", SOURCE_IP, N,
	   2) E("Event.EventData.DestAddress", DESTINATION_IP, N,
		2) E("Event.EventData.DestPort", DESTINATION_PORT, N,
		     2) E("Event.EventData.Direction", EVENT_DIRECTION, N,
			  2) E("Event.EventData.ProcessID", PROCESS_ID, N,
			       2) E("Event.System.EventID", EVENT_ID, N, 0)
	E("Event.System.EventID.#text", EVENT_ID, N,
	  0) E("Event.System.Computer", HOST, N,
	       0) E("Event.System.Channel", CHANNEL, N, 0)
	    E("Event.System.Provider.#attributes.Name", PROVIDER, N,
	      0) E("Event.System.TimeCreated.#attributes.SystemTime", TIME, T,
		   1) E("Event.EventData.Application", IMAGE, N, 2)
		E("Event.EventData.SourceAddress", SOURCE_IP, N, 2)
		    E("Event.EventData.DestAddress", DESTINATION_IP, N, 2)
			E("Event.EventData.DestPort", DESTINATION_PORT, N, 2)};
static const char *const sig_evtxdump[] = {
    "Event.System.EventID",
    "Event.System.EventID.#text",
    "Event.System.Computer",
    "Event.System.Channel",
    "Event.System.Provider.#attributes.Name",
    "Event.System.TimeCreated.#attributes.SystemTime",
    NULL,
};
static const uint8_t sigw_evtxdump[] = {5, 5, 5, 3, 3, 3};

/* --- winlogbeat: winlog.* + ECS --------------------------------------- */
static const mh_dialect_map map_winlogbeat[] = {
    SYSMON_DATA(E, "winlog.event_data.", 0) E(
	"winlog.event_data.Application", IMAGE, N,
	2) E("winlog.event_data.SourceAddress", SOURCE_IP, N,
	     2) E("winlog.event_data.DestAddress", DESTINATION_IP, N,
		  2) E("winlog.event_data.DestPort", DESTINATION_PORT, N,
		       2) E("winlog.event_data.Direction", EVENT_DIRECTION, N,
			    2) E("winlog.event_data.ProcessID", PROCESS_ID, N,
				 2) E("winlog.event_id", EVENT_ID, N, 0)
	E("winlog.channel", CHANNEL, N, 0) E("winlog.computer_name", HOST, N, 0)
	    E("winlog.provider_name", PROVIDER, N,
	      0) E("winlog.event_data.Application", IMAGE, N, 2)
		E("winlog.event_data.SourceAddress", SOURCE_IP, N, 2)
		    E("winlog.event_data.DestAddress", DESTINATION_IP, N, 2)
			E("winlog.event_data.DestPort", DESTINATION_PORT, N, 2)
			    ECS_COMMON(E, 1)};
static const char *const sig_winlogbeat[] = {
    "winlog.channel",
    "winlog.event_id",
    "winlog.computer_name",
    "winlog.provider_name",
    "winlog.record_id",
    "winlog.api",
    NULL,
};
static const uint8_t sigw_winlogbeat[] = {6, 6, 6, 4, 4, 4};

/* --- ecs: Elastic Common Schema (nested or dotted) --------------------- */
static const mh_dialect_map map_ecs[] = {
    ECS_COMMON(E, 0) E("user_agent.original", USER_AGENT, N, 0)
	E("tls.established", TLS, B, 0)
    /* Elastic's Zeek integration keeps the mail envelope here. */
    E("zeek.smtp.mail_from", MAIL_FROM, N,
      0) E("zeek.smtp.rcpt_to", RCPT_TO, N, 0) E("zeek.smtp.subject", SUBJECT,
						 N, 0) E("zeek.smtp.user_agent",
							 USER_AGENT, N, 1)
	E("zeek.smtp.tls", TLS, B, 1) E("zeek.smtp.helo", HELO, N, 0)
	    E("zeek.smtp.path", MAIL_PATH, N, 0) E("zeek.session_id", UID, N, 0)
		E("zeek.connection.local_orig", LOCAL_ORIG, B, 0)
		    E("zeek.connection.local_resp", LOCAL_RESP, B, 0)};
static const char *const sig_ecs[] = {
    "@timestamp",	 "ecs.version",	     "event.kind",
    "event.category",	 "event.type",	     "event.module",
    "event.dataset",	 "host.name",	     "source.ip",
    "destination.ip",	 "destination.port", "network.transport",
    "process.entity_id", "agent.type",	     NULL,
};
static const uint8_t sigw_ecs[] = {1, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};

/* --- mde: Defender Advanced Hunting (Device*Events) -------------------- */
/* DeviceProcessEvents: FileName/FolderPath/ProcessCommandLine/ProcessId
 * describe the created process and win (prio 0) over the initiating
 * process's (prio 1), which DeviceNetworkEvents rows use. FolderPath may
 * hold only the folder: normalize joins Image = folder + "\" +
 * ProcessName when Image does not already end with "\" + ProcessName
 * (case-insensitive); here keys are only mapped. */
static const mh_dialect_map map_mde[] = {
    E("Timestamp", TIME, T, 0) E("DeviceName", HOST, N, 0) E(
	"ActionType", ACTION, N, 0) E("RemoteIP", DESTINATION_IP, N,
				      0) E("RemotePort", DESTINATION_PORT, N, 0)
	E("RemoteUrl", DESTINATION_HOSTNAME, N,
	  0) E("LocalIP", SOURCE_IP, N, 0) E("LocalPort", SOURCE_PORT, N, 0)
	    E("Protocol", PROTOCOL, N, 0) E("SentBytes", BYTES_SENT, N, 0) E(
		"ReceivedBytes", BYTES_RECEIVED, N,
		0) E("FileName", PROCESS_NAME, N, 0) E("FolderPath",
						       IMAGE, N, 0)
		E("ProcessCommandLine", COMMAND_LINE, N,
		  0) E("ProcessId", PROCESS_ID, N,
		       0) E("ProcessIntegrityLevel", INTEGRITY_LEVEL, N, 0)
		    E("AccountName", ACCOUNT_NAME, N,
		      0) E("InitiatingProcessFileName", PROCESS_NAME, N,
			   1) E("InitiatingProcessFolderPath", IMAGE, N, 1)
			E("InitiatingProcessCommandLine", COMMAND_LINE, N,
			  1) E("InitiatingProcessId", PROCESS_ID, N,
			       1) E("InitiatingProcessAccountName", USER, N, 0)
			    E("InitiatingProcessSHA256", SHA256, N, 0) E(
				"InitiatingProcessParentFileName",
				PARENT_PROCESS_NAME, N,
				0) E("InitiatingProcessParentId",
				     PARENT_PROCESS_ID, N, 0)
				E("InitiatingProcessIntegrityLevel",
				  INTEGRITY_LEVEL, N,
				  1) E("InitiatingProcessLogonId", LOGON_ID, N,
				       0) E("InitiatingProcessSignerType",
					    SIGNER, N,
					    0) E("InitiatingProcessVersionInfoO"
						 "riginalFileName",
						 ORIGINAL_FILE_NAME, N, 0)
				    E("InitiatingProcessVersionInfoProductName",
				      PRODUCT, N, 0) E("InitiatingProcessVersio"
						       "nInfoCompanyName",
						       COMPANY, N, 0)
					E("InitiatingProcessVersionInfoFileDesc"
					  "ription",
					  DESCRIPTION, N, 0)};
static const char *const sig_mde[] = {
    "DeviceName",
    "DeviceId",
    "ActionType",
    "ReportId",
    "Timestamp",
    "InitiatingProcessFileName",
    "InitiatingProcessAccountName",
    "RemoteIP",
    "RemotePort",
    "LocalIP",
    NULL,
};
static const uint8_t sigw_mde[] = {4, 4, 3, 2, 1, 3, 2, 2, 1, 1};

/* --- splunk: CIM Network_Traffic --------------------------------------- */
static const mh_dialect_map map_splunk[] = {
    E("_time", TIME, T, 0) E("src_ip", SOURCE_IP, N, 0) E(
	"src", SOURCE_IP, N, 1) E("dest_ip", DESTINATION_IP, N,
				  0) E("dest", DESTINATION_IP, N, 1)
	E("src_port", SOURCE_PORT, N, 0) E("dest_port", DESTINATION_PORT, N, 0)
	    E("process_name", PROCESS_NAME, N, 0) E("process", IMAGE, N, 0)
		E("app_path", IMAGE, N, 1) E("process_id", PROCESS_ID, N, 0) E(
		    "action", ACTION, N, 0) E("bytes_out", BYTES_SENT, N, 0)
		    E("bytes_in", BYTES_RECEIVED, N,
		      0) E("src_user", USER, N, 0) E("user", USER, N, 1)
			E("transport", PROTOCOL, N, 0) E("app", SERVICE, N, 0)
			    E("direction", EVENT_DIRECTION, N,
			      0) E("dvc", HOST, N, 0) E("dvc_host", HOST, N, 1)
				E("host", HOST, N, 2) E("index", INDEX, N, 0)
				    E("sourcetype", SOURCETYPE, N, 0)};
static const char *const sig_splunk[] = {
    "_time", "sourcetype", "index",	    "_raw",	 "_bkt",
    "_cd",   "_indextime", "splunk_server", "_serial",	 "_si",
    "dvc",   "dest_ip",	   "src_ip",	    "dest_port", NULL,
};
static const uint8_t sigw_splunk[] = {2, 2, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1};

/* --- qradar: AQL export (column names, some with spaces) -------------- */
static const mh_dialect_map map_qradar[] = {
    E("sourceip", SOURCE_IP, N, 0) E("destinationip", DESTINATION_IP, N,
				     0) E("sourceport", SOURCE_PORT, N, 0)
	E("destinationport", DESTINATION_PORT, N, 0) E("username", USER, N, 0)
	    E("Process Name", PROCESS_NAME, N, 0) E("Process Path", IMAGE, N, 0)
		E("Event Direction", EVENT_DIRECTION, N, 0)
		    E("starttime", TIME, T, 0) E("Bytes Sent", BYTES_SENT, N, 0)
			E("Bytes Received", BYTES_RECEIVED, N, 0)
			    E("Protocol", PROTOCOL, N, 0)
				E("protocolid", PROTOCOL, N, 1)
				    E("hostname", HOST, N, 0)
					E("Log Source", HOST, N, 1)
    /* Console CSV exports use display names. */
    E("Source IP", SOURCE_IP, N, 1) E("Destination IP", DESTINATION_IP, N, 1)
	E("Source Port", SOURCE_PORT, N, 1)
	    E("Destination Port", DESTINATION_PORT, N, 1)
		E("Username", USER, N, 1) E("Start Time", TIME, T, 1)};
static const char *const sig_qradar[] = {
    "sourceip",
    "destinationip",
    "sourceport",
    "destinationport",
    "Event Direction",
    "Process Name",
    "starttime",
    "qid",
    "logsourceid",
    "Log Source",
    "protocolid",
    "username",
    NULL,
};
static const uint8_t sigw_qradar[] = {3, 3, 2, 2, 3, 2, 2, 3, 3, 2, 2, 1};

/* --- sumo: Sumo Logic search export (API keys may be lower-cased) ----- */
static const mh_dialect_map map_sumo[] = {
    E("_messageTime", TIME, T, 0) E("_messagetime", TIME, T, 0)
	E("_sourceCategory", SOURCE_CATEGORY, N,
	  0) E("_sourcecategory", SOURCE_CATEGORY, N,
	       0) E("_sourceHost", HOST, N, 0) E("_sourcehost", HOST, N, 0)
	    E("src_ip", SOURCE_IP, N, 0) E("dest_ip", DESTINATION_IP, N, 0)
		E("src_port", SOURCE_PORT, N, 0)
		    E("dest_port", DESTINATION_PORT, N, 0) E("process_name",
							     PROCESS_NAME, N, 0)
			E("bytes_out", BYTES_SENT, N, 0)
			    E("bytes_in", BYTES_RECEIVED, N, 0)
				E("src_user", USER, N, 0) E("user", USER, N, 1)
				    E("action", ACTION, N, 0)
					E("protocol", PROTOCOL, N, 0)
    /* Cloud SIEM (CSE) normalised record names. */
    E("srcDevice_ip", SOURCE_IP, N, 1) E("dstDevice_ip", DESTINATION_IP, N, 1)
	E("srcPort", SOURCE_PORT, N, 1) E("dstPort", DESTINATION_PORT, N, 1)
	    E("user_username", USER, N, 2)};
static const char *const sig_sumo[] = {
    "_messageTime",    "_messagetime", "_sourceCategory",
    "_sourcecategory", "_sourceHost",  "_sourcehost",
    "_messageid",      "_sourceName",  "_sourcename",
    "_collector",      NULL,
};
static const uint8_t sigw_sumo[] = {5, 5, 5, 5, 3, 3, 2, 2, 2, 2};

/* --- zeek: Zeek JSON logs (conn, smtp) ---------------------------------- */
static const mh_dialect_map map_zeek[] = {
    E("ts", TIME, T, 0) E("id.orig_h", SOURCE_IP, N, 0) E(
	"id.orig_p", SOURCE_PORT, N, 0) E("id.resp_h", DESTINATION_IP, N, 0)
	E("id.resp_p", DESTINATION_PORT, N, 0) E("proto", PROTOCOL, N, 0) E(
	    "service", SERVICE, N, 0) E("orig_bytes", BYTES_SENT, N,
					0) E("resp_bytes", BYTES_RECEIVED, N, 0)
	    E("local_orig", LOCAL_ORIG, B, 0) E("local_resp", LOCAL_RESP, B, 0)
		E("mailfrom", MAIL_FROM, N, 0) E("rcptto", RCPT_TO, N, 0)
		    E("subject", SUBJECT, N, 0) E("user_agent", USER_AGENT, N,
						  0) E("tls", TLS, B, 0)
			E("_system_name", HOST, N, 0) E("uid", UID, N, 0)
			    E("conn_state", ACTION, N, 0) E("helo", HELO, N, 0)
				E("path", MAIL_PATH, N,
				  0) /* smtp.log: the relay path (a list) */
};
static const char *const sig_zeek[] = {
    "id.orig_h", "id.resp_h", "id.orig_p",  "id.resp_p",   "uid",
    "ts",	 "_path",     "conn_state", "trans_depth", NULL,
};
static const uint8_t sigw_zeek[] = {5, 5, 2, 2, 2, 1, 1, 2, 2};

#undef E
#undef N
#undef T
#undef G
#undef B

#define DIALECT(id, descr)                                                     \
	static const mh_dialect d_##id = {                                     \
	    .name = #id,                                                       \
	    .desc = descr,                                                     \
	    .map = map_##id,                                                   \
	    .nmap = MH_ARRAY_LEN(map_##id),                                    \
	    .signature = sig_##id,                                             \
	};                                                                     \
	_Static_assert(MH_ARRAY_LEN(sig_##id) == MH_ARRAY_LEN(sigw_##id) + 1,  \
		       "signature weights of " #id);

DIALECT(sysmon, "Sysmon/Windows events as flat JSON (OTRF, NXLog)")
DIALECT(evtxdump, "evtx_dump JSON (Event.System / Event.EventData)")
DIALECT(winlogbeat, "Winlogbeat (winlog.event_data.* + ECS)")
DIALECT(mde, "Microsoft Defender Advanced Hunting (Device*Events)")
DIALECT(ecs, "Elastic Common Schema")
DIALECT(splunk, "Splunk CIM Network_Traffic")
DIALECT(qradar, "IBM QRadar AQL export")
DIALECT(sumo, "Sumo Logic search export")
DIALECT(zeek, "Zeek JSON logs (conn, smtp)")

/* Order matters only for ties in detection (earlier wins): sysmon
 * before winsec (same envelope keys), splunk before sumo. winsec and
 * suricata are defined in dialect_wfp.c and dialect_net.c. */
const mh_dialect *const mh_dialects[] = {
    &d_sysmon,
    &mh_dialect_winsec,
    &d_evtxdump,
    &d_winlogbeat,
    &d_mde,
    &d_ecs,
    &d_splunk,
    &d_qradar,
    &d_sumo,
    &d_zeek,
    &mh_dialect_suricata,
    NULL,
};

static const uint8_t *const sig_weights[] = {
    sigw_sysmon,
    mh_dialect_winsec_sigw,
    sigw_evtxdump,
    sigw_winlogbeat,
    sigw_mde,
    sigw_ecs,
    sigw_splunk,
    sigw_qradar,
    sigw_sumo,
    sigw_zeek,
    mh_dialect_suricata_sigw,
};

#define NDIALECTS (MH_ARRAY_LEN(mh_dialects) - 1)
_Static_assert(MH_ARRAY_LEN(sig_weights) == NDIALECTS, "weights per dialect");

/* ---------------------------------------------------------------------- */
/* Hash indexes. One open-addressing table per dialect holding every key
 * (map index) and every dotted prefix of a key (prefix flag); one table
 * for signature keys holding a weight per dialect. */

#define SLOTS	  1024 /* per dialect; load <= 1/2 checked at build */
#define SIG_SLOTS 256

typedef struct slot {
	const char *k; /* NULL = empty */
	uint32_t n;
	int16_t idx; /* map index, -1 = prefix only */
	bool prefix; /* some key continues with k + "." */
} slot;

typedef struct sig_slot {
	const char *k;
	uint32_t n;
	uint8_t w[NDIALECTS];
} sig_slot;

static slot tables[NDIALECTS][SLOTS];
static bool hashed[NDIALECTS]; /* false: table overflowed, scan linearly */
static sig_slot sig_table[SIG_SLOTS];
static pthread_once_t once = PTHREAD_ONCE_INIT;

#define SEED 0x6d61696c68756e74ULL

/* Cheap key hash for the hot lookup path: length, first and last 8
 * bytes, one mix. Keys that share all three only cost a probe. */
static uint64_t key_hash(const char *k, size_t n)
{
	uint64_t a = 0, b = 0;

	if (n >= 8) {
		memcpy(&a, k, 8);
		memcpy(&b, k + n - 8, 8);
	} else if (n >= 4) {
		uint32_t x, y;
		memcpy(&x, k, 4);
		memcpy(&y, k + n - 4, 4);
		a = x;
		b = y;
	} else if (n > 0) {
		a = (uint64_t)(unsigned char)k[0] |
		    (uint64_t)(unsigned char)k[n / 2] << 8 |
		    (uint64_t)(unsigned char)k[n - 1] << 16;
	}
	return mh_hash_mix(a ^ (b * 0x9e3779b97f4a7c15ULL) ^ SEED ^
			   ((uint64_t)n << 56));
}

static slot *slot_find(slot *t, const char *k, size_t n, bool insert)
{
	size_t i = key_hash(k, n) & (SLOTS - 1);

	for (size_t probes = 0; probes < SLOTS; probes++) {
		slot *s = &t[i];
		if (!s->k)
			return insert ? s : NULL;
		if (s->n == n && memcmp(s->k, k, n) == 0)
			return s;
		i = (i + 1) & (SLOTS - 1);
	}
	return NULL;
}

static bool table_put(slot *t, size_t *used, const char *k, size_t n, int idx)
{
	slot *s = slot_find(t, k, n, true);

	if (!s)
		return false;
	if (!s->k) {
		if (++*used > SLOTS / 2)
			return false;
		s->k = k;
		s->n = (uint32_t)n;
		s->idx = -1;
	}
	if (idx >= 0) {
		/* A key listed twice: the first entry is the mapping. */
		if (s->idx < 0)
			s->idx = (int16_t)idx;
	} else {
		s->prefix = true;
	}
	return true;
}

static sig_slot *sig_find(const char *k, size_t n, bool insert)
{
	size_t i = key_hash(k, n) & (SIG_SLOTS - 1);

	for (size_t probes = 0; probes < SIG_SLOTS; probes++) {
		sig_slot *s = &sig_table[i];
		if (!s->k)
			return insert ? s : NULL;
		if (s->n == n && memcmp(s->k, k, n) == 0)
			return s;
		i = (i + 1) & (SIG_SLOTS - 1);
	}
	return NULL;
}

static void build(void)
{
	size_t sig_used = 0;

	for (size_t d = 0; d < NDIALECTS; d++) {
		const mh_dialect *dl = mh_dialects[d];
		size_t used = 0;
		bool ok = true;

		for (size_t i = 0; ok && i < dl->nmap; i++) {
			const char *k = dl->map[i].key;
			size_t n = strlen(k);

			ok = table_put(tables[d], &used, k, n, (int)i);
			/* Every dotted prefix ("a", "a.b" of "a.b.c"). */
			for (size_t j = 1; ok && j < n; j++)
				if (k[j] == '.')
					ok = table_put(tables[d], &used, k, j,
						       -1);
		}
		hashed[d] = ok;

		for (size_t i = 0; dl->signature[i]; i++) {
			const char *k = dl->signature[i];
			sig_slot *s;

			if (sig_used >= SIG_SLOTS / 2)
				break; /* cannot happen with these tables */
			s = sig_find(k, strlen(k), true);
			if (!s)
				break;
			if (!s->k) {
				s->k = k;
				s->n = (uint32_t)strlen(k);
				sig_used++;
			}
			s->w[d] = sig_weights[d][i];
		}
	}
}

static void ensure_built(void)
{
	pthread_once(&once, build);
}

static int dialect_index(const mh_dialect *d)
{
	for (size_t i = 0; i < NDIALECTS; i++)
		if (mh_dialects[i] == d)
			return (int)i;
	return -1;
}

const mh_dialect *mh_dialect_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < NDIALECTS; i++)
		if (strcmp(mh_dialects[i]->name, name) == 0)
			return mh_dialects[i];
	return NULL;
}

const mh_dialect_map *mh_dialect_lookup(const mh_dialect *d, const char *key,
					size_t n)
{
	int di;

	if (!d || !key)
		return NULL;
	ensure_built();
	di = dialect_index(d);
	if (di >= 0 && hashed[di]) {
		const slot *s = slot_find(tables[di], key, n, false);
		return s && s->idx >= 0 ? &d->map[s->idx] : NULL;
	}
	/* A dialect not in the registry (or an overflowed table). */
	for (size_t i = 0; i < d->nmap; i++)
		if (strlen(d->map[i].key) == n &&
		    memcmp(d->map[i].key, key, n) == 0)
			return &d->map[i];
	return NULL;
}

bool mh_dialect_has_prefix(const mh_dialect *d, const char *p, size_t n)
{
	int di;

	if (!d || !p)
		return false;
	ensure_built();
	di = dialect_index(d);
	if (di >= 0 && hashed[di]) {
		const slot *s = slot_find(tables[di], p, n, false);
		return s && s->prefix;
	}
	for (size_t i = 0; i < d->nmap; i++) {
		const char *k = d->map[i].key;
		if (strlen(k) > n && memcmp(k, p, n) == 0 && k[n] == '.')
			return true;
	}
	return false;
}

const mh_dialect *mh_dialect_detect(const mh_str *keys, size_t nkeys)
{
	unsigned score[NDIALECTS] = {0};
	unsigned best = 0;
	const mh_dialect *win = NULL;

	if (!keys)
		return NULL;
	ensure_built();
	for (size_t i = 0; i < nkeys; i++) {
		const sig_slot *s;

		if (!keys[i].p)
			continue;
		s = sig_find(keys[i].p, keys[i].n, false);
		if (!s)
			continue;
		for (size_t d = 0; d < NDIALECTS; d++)
			score[d] += s->w[d];
	}
	for (size_t d = 0; d < NDIALECTS; d++) {
		if (score[d] > best) {
			best = score[d];
			win = mh_dialects[d];
		}
	}
	return win;
}

/* ---------------------------------------------------------------------- */
/* Value conversion. */

static char ascii_upper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

static bool ieq(const char *p, size_t n, const char *lit)
{
	size_t ln = strlen(lit);

	if (n != ln)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != lit[i])
			return false;
	}
	return true;
}

/* Trim ASCII spaces around a GUID/BOOL/TIME value. */
static void trim(const char **p, size_t *n)
{
	while (*n && (**p == ' ' || **p == '\t')) {
		(*p)++;
		(*n)--;
	}
	while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
		(*n)--;
}

/* "{6004d249-...}" / "6004D249-..." -> "{6004D249-...}". Zero-copy when
 * already canonical. Values that are not GUID-shaped (wrong length or
 * characters) are kept as is. */
static mh_rc conv_guid(mh_event *ev, const char **p, size_t *n)
{
	const char *s = *p;
	size_t len = *n;
	bool braced = len >= 2 && s[0] == '{' && s[len - 1] == '}';
	const char *body = braced ? s + 1 : s;
	size_t bn = braced ? len - 2 : len;
	bool lower = false;
	char *out;

	if (bn != 36)
		return MH_OK;
	for (size_t i = 0; i < bn; i++) {
		char c = body[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return MH_OK;
		} else if (c >= 'a' && c <= 'f') {
			lower = true;
		} else if (!((c >= '0' && c <= '9') ||
			     (c >= 'A' && c <= 'F'))) {
			return MH_OK;
		}
	}
	if (braced && !lower)
		return MH_OK;
	out = mh_arena_alloc(ev->arena, 38);
	if (!out)
		return MH_ENOMEM;
	out[0] = '{';
	for (size_t i = 0; i < 36; i++)
		out[i + 1] = ascii_upper(body[i]);
	out[37] = '}';
	*p = out;
	*n = 38;
	return MH_OK;
}

static void conv_bool(const char **p, size_t *n)
{
	static const char t[] = "true", f[] = "false";
	const char *s = *p;
	size_t len = *n;

	trim(&s, &len);
	if (ieq(s, len, "true") || (len == 1 && s[0] == '1')) {
		*p = t;
		*n = 4;
	} else if (ieq(s, len, "false") || (len == 1 && s[0] == '0')) {
		*p = f;
		*n = 5;
	}
}

mh_rc mh_dialect_apply(const mh_dialect_map *m, mh_event *ev, uint8_t *prio,
		       const char *p, size_t n)
{
	mh_field f = m->field;
	int64_t ns = 0;
	mh_rc rc;

	if (mh_event_has(ev, f)) {
		bool cur_empty = ev->v[f].n == 0;
		if (n == 0)
			return MH_OK;
		if (!cur_empty && m->prio >= prio[f])
			return MH_OK;
	}
	switch (m->conv) {
	case MH_CONV_NONE:
		break;
	case MH_CONV_TIME:
		trim(&p, &n);
		if (!mh_time_parse(p, n, &ns))
			return MH_EPARSE;
		ev->time_ns = ns;
		break;
	case MH_CONV_GUID:
		rc = conv_guid(ev, &p, &n);
		if (rc != MH_OK)
			return rc;
		break;
	case MH_CONV_BOOL:
		conv_bool(&p, &n);
		break;
	}
	mh_event_set(ev, f, p, n);
	prio[f] = m->prio;
	return MH_OK;
}
