/* The "winsec" JSON dialect: Windows Security events as flat JSON (OTRF
 * Security-Datasets, NXLog), above all 5156/5157/5158 (Windows Filtering
 * Platform connection and bind).
 *
 * 5156 names: Application (a "\device\harddiskvolumeN\..." path; Image
 * keeps it, normalize derives ProcessName), Direction ("%%14593"
 * outbound, "%%14592" inbound; normalize maps them), SourceAddress,
 * SourcePort, DestAddress, DestPort, Protocol (IANA number: normalize
 * unsets the ports of ICMP 1/58), ProcessID (5158 writes ProcessId).
 *
 * OTRF files mix channels, and json.c keeps the dialect of the first
 * record while anything maps, so the Sysmon names are mapped too (a
 * Sysmon record in a file detected as winsec keeps its fields).
 *
 * Detection: the signature holds the envelope keys with the same
 * weights as the "sysmon" dialect (a tie goes to sysmon, listed first)
 * plus keys only the Filtering Platform events have, so a 5156/5158
 * record scores higher here and a Sysmon record (UtcTime, ProcessGuid)
 * scores higher as sysmon. */
#include "input/dialect.h"

/* clang-format off */
#define N MH_CONV_NONE
#define T MH_CONV_TIME
#define G MH_CONV_GUID
#define B MH_CONV_BOOL
#define E(k, f, c, p) {k, MH_F_##f, c, p},

static const mh_dialect_map map_winsec[] = {
	/* envelope */
	E("EventID", EVENT_ID, N, 0)
	E("Hostname", HOST, N, 0)
	E("Computer", HOST, N, 1)
	E("Channel", CHANNEL, N, 0)
	E("SourceName", PROVIDER, N, 0)
	E("@timestamp", TIME, T, 1)
	E("EventTime", TIME, T, 2)
	E("TimeCreated", TIME, T, 3)
	/* Filtering Platform */
	E("Application", IMAGE, N, 0)
	E("ProcessID", PROCESS_ID, N, 0)
	E("ProcessId", PROCESS_ID, N, 0)
	E("Direction", EVENT_DIRECTION, N, 0)
	E("SourceAddress", SOURCE_IP, N, 0)
	E("SourcePort", SOURCE_PORT, N, 0)
	E("DestAddress", DESTINATION_IP, N, 0)
	E("DestPort", DESTINATION_PORT, N, 0)
	E("Protocol", PROTOCOL, N, 0)
	/* Sysmon names (mixed files) */
	E("UtcTime", TIME, T, 0)
	E("RuleName", RULE_NAME, N, 0)
	E("ProcessGuid", PROCESS_GUID, G, 0)
	E("Image", IMAGE, N, 0)
	E("User", USER, N, 0)
	E("Initiated", INITIATED, B, 0)
	E("SourceIsIpv6", SOURCE_IS_IPV6, B, 0)
	E("SourceIp", SOURCE_IP, N, 0)
	E("SourceHostname", SOURCE_HOSTNAME, N, 0)
	E("SourcePortName", SOURCE_PORT_NAME, N, 0)
	E("DestinationIsIpv6", DESTINATION_IS_IPV6, B, 0)
	E("DestinationIp", DESTINATION_IP, N, 0)
	E("DestinationHostname", DESTINATION_HOSTNAME, N, 0)
	E("DestinationPort", DESTINATION_PORT, N, 0)
	E("DestinationPortName", DESTINATION_PORT_NAME, N, 0)
	E("CommandLine", COMMAND_LINE, N, 0)
	E("CurrentDirectory", CURRENT_DIRECTORY, N, 0)
	E("IntegrityLevel", INTEGRITY_LEVEL, N, 0)
	E("Hashes", HASHES, N, 0)
	E("OriginalFileName", ORIGINAL_FILE_NAME, N, 0)
	E("Product", PRODUCT, N, 0)
	E("Company", COMPANY, N, 0)
	E("Description", DESCRIPTION, N, 0)
	E("LogonId", LOGON_ID, N, 0)
	E("ParentImage", PARENT_IMAGE, N, 0)
	E("ParentProcessId", PARENT_PROCESS_ID, N, 0)
	E("ParentProcessGuid", PARENT_PROCESS_GUID, G, 0)
	E("ParentCommandLine", PARENT_COMMAND_LINE, N, 0)
	E("ParentUser", PARENT_USER, N, 0)
	E("ScriptBlockText", SCRIPT_BLOCK_TEXT, N, 0)
	E("Path", PATH, N, 0)
};

/* clang-format on */

static const char *const sig_winsec[] = {
    /* as in the sysmon dialect */
    "EventID",
    "Hostname",
    "SourceName",
    "ProviderGuid",
    "Channel",
    "Keywords",
    /* Filtering Platform only */
    "Application",
    "DestAddress",
    "SourceAddress",
    "FilterRTID",
    "LayerRTID",
    "LayerName",
    NULL,
};

/* Weights of sig_winsec, in order (dialect.c reads them). */
const uint8_t mh_dialect_winsec_sigw[] = {3, 3, 2, 2, 1, 1, 2, 2, 1, 2, 1, 1};

_Static_assert(MH_ARRAY_LEN(sig_winsec) ==
		   MH_ARRAY_LEN(mh_dialect_winsec_sigw) + 1,
	       "signature weights of winsec");

const mh_dialect mh_dialect_winsec = {
    .name = "winsec",
    .desc = "Windows Security events as flat JSON (OTRF, NXLog), "
	    "5156/5157/5158 Filtering Platform",
    .map = map_winsec,
    .nmap = MH_ARRAY_LEN(map_winsec),
    .signature = sig_winsec,
};
