/* Dialect tables: detection on a sample record of each dialect, hashed
 * lookup, prefixes, and value conversion/priority. */
#include "input/dialect.h"
#include "mh_test.h"

#include <string.h>

#define K(s)                                                                   \
	{                                                                      \
		(s), sizeof(s) - 1                                             \
	}
#define LK(d, s) mh_dialect_lookup((d), (s), sizeof(s) - 1)

static const char *detect(const mh_str *k, size_t n)
{
	const mh_dialect *d = mh_dialect_detect(k, n);
	return d ? d->name : "(none)";
}

static void test_registry(void)
{
	static const char *const names[] = {
	    "sysmon", "evtxdump", "winlogbeat", "mde",	  "ecs",      "splunk",
	    "qradar", "sumo",	  "zeek",	"winsec", "suricata",
	};
	size_t n = 0;

	for (size_t i = 0; i < MH_ARRAY_LEN(names); i++) {
		const mh_dialect *d = mh_dialect_find(names[i]);
		MH_CHECK(d != NULL);
		if (d)
			MH_CHECK_EQ_STR(d->name, names[i]);
	}
	while (mh_dialects[n])
		n++;
	MH_CHECK_EQ_INT(n, MH_ARRAY_LEN(names));
	MH_CHECK(mh_dialect_find("nope") == NULL);
	MH_CHECK(mh_dialect_find(NULL) == NULL);
}

/* Every key of every table is found by the hashed lookup, maps to
 * itself, and a key listed twice resolves to its first entry. */
static void test_lookup_all_keys(void)
{
	for (size_t d = 0; mh_dialects[d]; d++) {
		const mh_dialect *dl = mh_dialects[d];
		for (size_t i = 0; i < dl->nmap; i++) {
			const char *k = dl->map[i].key;
			const mh_dialect_map *m =
			    mh_dialect_lookup(dl, k, strlen(k));
			MH_CHECK(m != NULL);
			if (m)
				MH_CHECK_EQ_STR(m->key, k);
			MH_CHECK((int)dl->map[i].field >= 0 &&
				 dl->map[i].field < MH_F__COUNT);
		}
		MH_CHECK(LK(dl, "no.such.key") == NULL);
	}
}

static void test_lookup_examples(void)
{
	const mh_dialect *e = mh_dialect_find("evtxdump");
	const mh_dialect *w = mh_dialect_find("winlogbeat");
	const mh_dialect *q = mh_dialect_find("qradar");
	const mh_dialect *m = mh_dialect_find("mde");
	const mh_dialect_map *x;

	x = LK(e, "Event.EventData.Image");
	MH_CHECK(x && x->field == MH_F_IMAGE);
	x = LK(e, "Event.System.TimeCreated.#attributes.SystemTime");
	MH_CHECK(x && x->field == MH_F_TIME && x->conv == MH_CONV_TIME);
	MH_CHECK(x && x->prio > 0);
	x = LK(e, "Event.EventData.UtcTime");
	MH_CHECK(x && x->field == MH_F_TIME && x->prio == 0);
	x = LK(e, "Event.EventData.ProcessGuid");
	MH_CHECK(x && x->conv == MH_CONV_GUID);

	x = LK(w, "winlog.event_data.DestinationPort");
	MH_CHECK(x && x->field == MH_F_DESTINATION_PORT && x->prio == 0);
	x = LK(w, "destination.port");
	MH_CHECK(x && x->field == MH_F_DESTINATION_PORT && x->prio > 0);

	x = LK(q, "Process Name");
	MH_CHECK(x && x->field == MH_F_PROCESS_NAME);
	x = LK(q, "Event Direction");
	MH_CHECK(x && x->field == MH_F_EVENT_DIRECTION);

	x = LK(m, "InitiatingProcessFolderPath");
	MH_CHECK(x && x->field == MH_F_IMAGE);
	x = LK(m, "AccountName");
	MH_CHECK(x && x->field == MH_F_ACCOUNT_NAME);
	x = LK(m, "RemotePort");
	MH_CHECK(x && x->field == MH_F_DESTINATION_PORT);
	/* Case-sensitive. */
	MH_CHECK(LK(m, "remoteport") == NULL);
	/* Length is honoured (no NUL needed). */
	MH_CHECK(mh_dialect_lookup(m, "RemotePortXYZ", 10) != NULL);
}

static void test_prefix(void)
{
	const mh_dialect *e = mh_dialect_find("evtxdump");
	const mh_dialect *c = mh_dialect_find("ecs");

	MH_CHECK(mh_dialect_has_prefix(e, "Event", 5));
	MH_CHECK(mh_dialect_has_prefix(e, "Event.System", 12));
	MH_CHECK(mh_dialect_has_prefix(e, "Event.System.TimeCreated", 24));
	MH_CHECK(!mh_dialect_has_prefix(e, "Event.UserData", 14));
	MH_CHECK(!mh_dialect_has_prefix(e, "Event.EventData.Image", 21));
	MH_CHECK(mh_dialect_has_prefix(c, "process.parent", 14));
	MH_CHECK(!mh_dialect_has_prefix(c, "agent", 5));
	MH_CHECK(!mh_dialect_has_prefix(c, "proc", 4));
}

static void test_detect(void)
{
	static const mh_str sysmon[] = {
	    K("SourceName"),	  K("ProviderGuid"), K("Level"),
	    K("Keywords"),	  K("Channel"),	     K("Hostname"),
	    K("TimeCreated"),	  K("@timestamp"),   K("EventID"),
	    K("Message"),	  K("UtcTime"),	     K("ProcessGuid"),
	    K("DestinationPort"),
	};
	static const mh_str evtx[] = {
	    K("Event.#attributes.xmlns"),
	    K("Event.System.Provider.#attributes.Name"),
	    K("Event.System.EventID"),
	    K("Event.System.TimeCreated.#attributes.SystemTime"),
	    K("Event.System.Channel"),
	    K("Event.System.Computer"),
	    K("Event.EventData.Image"),
	};
	/* The Zircolite winlogbeat sample: many ECS keys too. */
	static const mh_str wlb[] = {
	    K("@timestamp"),	       K("host.name"),
	    K("winlog.channel"),       K("winlog.record_id"),
	    K("winlog.provider_name"), K("winlog.computer_name"),
	    K("winlog.api"),	       K("winlog.event_data.User"),
	    K("winlog.event_id"),      K("agent.type"),
	    K("ecs.version"),	       K("event.kind"),
	    K("event.provider"),       K("event.module"),
	    K("event.type"),	       K("event.category"),
	    K("event.action"),	       K("event.code"),
	    K("process.entity_id"),    K("process.pid"),
	};
	static const mh_str ecs[] = {
	    K("@timestamp"),	    K("destination.address"),
	    K("destination.ip"),    K("destination.port"),
	    K("ecs.version"),	    K("event.category"),
	    K("event.kind"),	    K("event.type"),
	    K("network.transport"), K("source.ip"),
	    K("zeek.session_id"),
	};
	static const mh_str mde[] = {
	    K("Timestamp"),  K("DeviceId"),
	    K("DeviceName"), K("ActionType"),
	    K("RemoteIP"),   K("RemotePort"),
	    K("LocalIP"),    K("LocalPort"),
	    K("Protocol"),   K("InitiatingProcessFileName"),
	    K("ReportId"),
	};
	/* A Splunk export `result` object (envelope already unwrapped). */
	static const mh_str splunk[] = {
	    K("_bkt"),	     K("_cd"),		 K("_indextime"),  K("_raw"),
	    K("_serial"),    K("_si"),		 K("_sourcetype"), K("_time"),
	    K("host"),	     K("index"),	 K("linecount"),   K("source"),
	    K("sourcetype"), K("splunk_server"),
	};
	static const mh_str splunk_cim[] = {
	    K("_time"),	       K("src_ip"), K("dest_ip"),   K("dest_port"),
	    K("process_name"), K("action"), K("bytes_out"), K("src_user"),
	};
	static const mh_str qradar[] = {
	    K("sourceip"),  K("destinationip"),	  K("destinationport"),
	    K("username"),  K("Process Name"),	  K("Bytes Sent"),
	    K("starttime"), K("Event Direction"),
	};
	static const mh_str sumo[] = {
	    K("_messagetime"), K("_raw"),	  K("_sourcecategory"),
	    K("_sourcehost"),  K("src_ip"),	  K("dest_ip"),
	    K("dest_port"),    K("process_name"), K("bytes_out"),
	};
	static const mh_str zeek[] = {
	    K("ts"),	      K("uid"),	      K("id.orig_h"),
	    K("id.orig_p"),   K("id.resp_h"), K("id.resp_p"),
	    K("trans_depth"), K("helo"),      K("tls"),
	};
	static const mh_str none[] = {K("foo"), K("bar.baz")};

	MH_CHECK_EQ_STR(detect(sysmon, MH_ARRAY_LEN(sysmon)), "sysmon");
	MH_CHECK_EQ_STR(detect(evtx, MH_ARRAY_LEN(evtx)), "evtxdump");
	MH_CHECK_EQ_STR(detect(wlb, MH_ARRAY_LEN(wlb)), "winlogbeat");
	MH_CHECK_EQ_STR(detect(ecs, MH_ARRAY_LEN(ecs)), "ecs");
	MH_CHECK_EQ_STR(detect(mde, MH_ARRAY_LEN(mde)), "mde");
	MH_CHECK_EQ_STR(detect(splunk, MH_ARRAY_LEN(splunk)), "splunk");
	MH_CHECK_EQ_STR(detect(splunk_cim, MH_ARRAY_LEN(splunk_cim)), "splunk");
	MH_CHECK_EQ_STR(detect(qradar, MH_ARRAY_LEN(qradar)), "qradar");
	MH_CHECK_EQ_STR(detect(sumo, MH_ARRAY_LEN(sumo)), "sumo");
	MH_CHECK_EQ_STR(detect(zeek, MH_ARRAY_LEN(zeek)), "zeek");
	MH_CHECK(mh_dialect_detect(none, MH_ARRAY_LEN(none)) == NULL);
	MH_CHECK(mh_dialect_detect(NULL, 0) == NULL);
}

static void test_apply(void)
{
	const mh_dialect *e = mh_dialect_find("evtxdump");
	const mh_dialect *s = mh_dialect_find("sysmon");
	mh_arena a;
	mh_event ev;
	uint8_t prio[MH_F__COUNT];
	const mh_dialect_map *m;

	mh_arena_init(&a, 4096, 0);
	memset(&ev, 0, sizeof(ev));
	ev.arena = &a;
	mh_event_clear(&ev);

	/* GUID: braces added, upper-cased. */
	m = LK(e, "Event.EventData.ProcessGuid");
	MH_CHECK(m != NULL);
	MH_CHECK_EQ_INT(mh_dialect_apply(m, &ev, prio,
					 "0197231e-9be6-6934-5301-000000000B00",
					 36),
			MH_OK);
	MH_CHECK_EQ_SLICE(ev.v[MH_F_PROCESS_GUID].p, ev.v[MH_F_PROCESS_GUID].n,
			  "{0197231E-9BE6-6934-5301-000000000B00}");

	/* TIME: the lower prio (UtcTime) wins whatever the order. */
	m = LK(e, "Event.System.TimeCreated.#attributes.SystemTime");
	MH_CHECK_EQ_INT(
	    mh_dialect_apply(m, &ev, prio, "2025-12-06T21:11:02.649150Z", 27),
	    MH_OK);
	MH_CHECK(mh_event_has(&ev, MH_F_TIME));
	MH_CHECK_EQ_INT(ev.time_ns, 1765055462649150000LL);
	m = LK(e, "Event.EventData.UtcTime");
	MH_CHECK_EQ_INT(
	    mh_dialect_apply(m, &ev, prio, "2025-12-06 21:11:02.632", 23),
	    MH_OK);
	MH_CHECK_EQ_SLICE(ev.v[MH_F_TIME].p, ev.v[MH_F_TIME].n,
			  "2025-12-06 21:11:02.632");
	MH_CHECK_EQ_INT(ev.time_ns, 1765055462632000000LL);
	m = LK(e, "Event.System.TimeCreated.#attributes.SystemTime");
	MH_CHECK_EQ_INT(
	    mh_dialect_apply(m, &ev, prio, "2025-12-06T21:11:09Z", 20), MH_OK);
	MH_CHECK_EQ_INT(ev.time_ns, 1765055462632000000LL);

	/* An unparseable time leaves the event alone. */
	mh_event_clear(&ev);
	m = LK(s, "UtcTime");
	MH_CHECK_EQ_INT(mh_dialect_apply(m, &ev, prio, "garbage", 7),
			MH_EPARSE);
	MH_CHECK(!mh_event_has(&ev, MH_F_TIME));

	/* BOOL. */
	m = LK(s, "Initiated");
	MH_CHECK_EQ_INT(mh_dialect_apply(m, &ev, prio, "True", 4), MH_OK);
	MH_CHECK_EQ_SLICE(ev.v[MH_F_INITIATED].p, ev.v[MH_F_INITIATED].n,
			  "true");

	/* Empty never replaces non-empty; non-empty replaces empty. */
	m = LK(s, "Computer"); /* prio 1 */
	MH_CHECK_EQ_INT(mh_dialect_apply(m, &ev, prio, "", 0), MH_OK);
	MH_CHECK(mh_event_has(&ev, MH_F_HOST) && ev.v[MH_F_HOST].n == 0);
	MH_CHECK_EQ_INT(mh_dialect_apply(m, &ev, prio, "H1", 2), MH_OK);
	MH_CHECK_EQ_SLICE(ev.v[MH_F_HOST].p, ev.v[MH_F_HOST].n, "H1");
	m = LK(s, "Hostname"); /* prio 0 */
	MH_CHECK_EQ_INT(mh_dialect_apply(m, &ev, prio, "", 0), MH_OK);
	MH_CHECK_EQ_SLICE(ev.v[MH_F_HOST].p, ev.v[MH_F_HOST].n, "H1");
	MH_CHECK_EQ_INT(mh_dialect_apply(m, &ev, prio, "H0", 2), MH_OK);
	MH_CHECK_EQ_SLICE(ev.v[MH_F_HOST].p, ev.v[MH_F_HOST].n, "H0");

	mh_arena_free(&a);
}

int main(void)
{
	MH_RUN(test_registry);
	MH_RUN(test_lookup_all_keys);
	MH_RUN(test_lookup_examples);
	MH_RUN(test_prefix);
	MH_RUN(test_detect);
	MH_RUN(test_apply);
	MH_DONE();
}
