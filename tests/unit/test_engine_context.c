/* Alert context across contributing events (src/engine/group.c): a
 * field the newest event lacks is kept from an older event only when
 * both are provably the same process (ProcessGuid, else host+ProcessId). */
#include "engine/engine.h"
#include "mh_test.h"

#include <stdio.h>
#include <string.h>

#define S  ((int64_t)1000000000)
#define T0 ((int64_t)1700000000 * S)

#define YAML                                                                   \
	"title: evidence\n"                                                    \
	"name: ev\n"                                                           \
	"logsource: {category: process_creation}\n"                            \
	"detection:\n"                                                         \
	"  sel: {CommandLine|contains: 'imap://'}\n"                           \
	"  condition: sel\n"                                                   \
	"level: medium\n"                                                      \
	"---\n"                                                                \
	"title: connection\n"                                                  \
	"name: conn\n"                                                         \
	"logsource: {category: network_connection}\n"                          \
	"detection:\n"                                                         \
	"  sel: {DestinationPort: 143}\n"                                      \
	"  condition: sel\n"                                                   \
	"level: low\n"                                                         \
	"---\n"                                                                \
	"title: evidence then connection\n"                                    \
	"name: joined\n"                                                       \
	"correlation:\n"                                                       \
	"  type: temporal\n"                                                   \
	"  rules: [ev, conn]\n"                                                \
	"  group-by: [Computer]\n"                                             \
	"  timespan: 10m\n"                                                    \
	"level: high\n"

static const char *const yaml = YAML;

static mh_ruleset *load(void)
{
	mh_ruleset *rs = NULL;
	mh_err err;

	mh_err_clear(&err);
	if (mh_ruleset_new(&rs) != MH_OK)
		return NULL;
	if (mh_ruleset_add_yaml(rs, "t.yml", yaml, strlen(yaml), &err) !=
		MH_OK ||
	    mh_ruleset_compile(rs, &err) != MH_OK) {
		fprintf(stderr, "ruleset: %s\n", err.msg);
		mh_ruleset_free(rs);
		return NULL;
	}
	return rs;
}

static uint32_t ridx(const mh_ruleset *rs, const char *name)
{
	for (size_t i = 0; i < mh_ruleset_count(rs); i++) {
		const mh_rule *r = mh_ruleset_rule(rs, i);
		if (r->name && strcmp(r->name, name) == 0)
			return (uint32_t)i;
	}
	return UINT32_MAX;
}

static void set(mh_event *ev, mh_field f, const char *v)
{
	mh_event_set(ev, f, v, strlen(v));
}

/* The context value of f in the correlation alert, or NULL. */
static const char *ctx_of(const mh_engine *e, mh_field f, char *buf, size_t cap)
{
	for (size_t i = 0; i < mh_engine_alert_count(e); i++) {
		const mh_alert *a = mh_engine_alert(e, i);
		if (!a->rule->is_correlation)
			continue;
		for (size_t k = 0; k < a->nctx; k++)
			if (a->ctx[k].field == f) {
				snprintf(buf, cap, "%.*s", (int)a->ctx[k].val.n,
					 a->ctx[k].val.p);
				return buf;
			}
	}
	return NULL;
}

/* Feed a process event then a connection event and return the alert
 * count; the connection's identity fields are given. */
static size_t run(const char *proc_guid, const char *proc_pid,
		  const char *conn_guid, const char *conn_pid,
		  const char *conn_host, char *cmd_out, size_t cap,
		  bool *has_cmd)
{
	mh_ruleset *rs = load();
	mh_engine *e = NULL;
	mh_engine_opts o;
	mh_event ev;
	mh_arena ar;
	mh_err err;
	uint32_t m;
	size_t n = 0;

	memset(&o, 0, sizeof(o));
	mh_err_clear(&err);
	*has_cmd = false;
	if (!rs || mh_engine_new(rs, &o, &e, &err) != MH_OK)
		goto out;
	mh_arena_init(&ar, 4096, 0);
	memset(&ev, 0, sizeof(ev));
	ev.arena = &ar;

	mh_event_clear(&ev);
	set(&ev, MH_F_HOST, "WS1");
	set(&ev, MH_F_IMAGE, "/usr/bin/curl");
	set(&ev, MH_F_COMMAND_LINE, "curl imap://u:p@127.0.0.1/INBOX");
	set(&ev, MH_F_PARENT_IMAGE, "/bin/bash");
	if (proc_guid)
		set(&ev, MH_F_PROCESS_GUID, proc_guid);
	if (proc_pid)
		set(&ev, MH_F_PROCESS_ID, proc_pid);
	ev.time_ns = T0;
	mh_event_set(&ev, MH_F_TIME, "t", 1);
	m = ridx(rs, "ev");
	mh_engine_note_time(e, ev.time_ns);
	mh_engine_feed(e, &ev, &m, 1, &err);

	mh_event_clear(&ev);
	set(&ev, MH_F_HOST, conn_host);
	set(&ev, MH_F_IMAGE, "/usr/bin/curl");
	set(&ev, MH_F_DESTINATION_IP, "127.0.0.1");
	set(&ev, MH_F_DESTINATION_PORT, "143");
	if (conn_guid)
		set(&ev, MH_F_PROCESS_GUID, conn_guid);
	if (conn_pid)
		set(&ev, MH_F_PROCESS_ID, conn_pid);
	ev.time_ns = T0 + 5 * S;
	mh_event_set(&ev, MH_F_TIME, "t", 1);
	m = ridx(rs, "conn");
	mh_engine_note_time(e, ev.time_ns);
	mh_engine_feed(e, &ev, &m, 1, &err);

	if (mh_engine_finish(e, &err) != MH_OK)
		goto out_ar;
	n = mh_engine_alert_count(e);
	*has_cmd = ctx_of(e, MH_F_COMMAND_LINE, cmd_out, cap) != NULL;
out_ar:
	mh_arena_free(&ar);
out:
	mh_engine_free(e);
	mh_ruleset_free(rs);
	return n;
}

static void test_same_guid_keeps_command_line(void)
{
	char cmd[128];
	bool has;
	size_t n = run("{A}", NULL, "{A}", NULL, "WS1", cmd, sizeof(cmd), &has);

	MH_CHECK(n >= 1);
	MH_CHECK(has);
	if (has)
		MH_CHECK_EQ_STR(cmd, "curl imap://u:p@127.0.0.1/INBOX");
}

static void test_same_host_and_pid_keeps_command_line(void)
{
	char cmd[128];
	bool has;
	size_t n =
	    run(NULL, "4242", NULL, "4242", "WS1", cmd, sizeof(cmd), &has);

	MH_CHECK(n >= 1);
	MH_CHECK(has);
}

static void test_other_process_does_not_merge(void)
{
	char cmd[128];
	bool has;

	/* another GUID */
	MH_CHECK(run("{A}", NULL, "{B}", NULL, "WS1", cmd, sizeof(cmd), &has) >=
		 1);
	MH_CHECK(!has);
	/* another pid */
	MH_CHECK(run(NULL, "4242", NULL, "4243", "WS1", cmd, sizeof(cmd),
		     &has) >= 1);
	MH_CHECK(!has);
	/* no identity at all: never merged */
	MH_CHECK(run(NULL, NULL, NULL, NULL, "WS1", cmd, sizeof(cmd), &has) >=
		 1);
	MH_CHECK(!has);
}

/* One event updates two groups: one merges it with the same process's
 * older context, the other takes the event's own context. The event's
 * context is shared between groups (group.c), so the merge must not
 * leak into the other group's alert. */
static const char *const yaml2 = YAML "---\n"
				      "title: connections\n"
				      "name: conns\n"
				      "correlation:\n"
				      "  type: event_count\n"
				      "  rules: [conn]\n"
				      "  group-by: [Computer]\n"
				      "  timespan: 10m\n"
				      "  condition: {gte: 1}\n"
				      "level: high\n";

static const mh_alert *alert_titled(const mh_engine *e, const char *title)
{
	for (size_t i = 0; i < mh_engine_alert_count(e); i++) {
		const mh_alert *a = mh_engine_alert(e, i);
		if (a->rule->title && strcmp(a->rule->title, title) == 0)
			return a;
	}
	return NULL;
}

static bool alert_has(const mh_alert *a, mh_field f, const char *v)
{
	for (size_t k = 0; a && k < a->nctx; k++)
		if (a->ctx[k].field == f)
			return a->ctx[k].val.n == strlen(v) &&
			       memcmp(a->ctx[k].val.p, v, a->ctx[k].val.n) == 0;
	return false;
}

static bool alert_lacks(const mh_alert *a, mh_field f)
{
	for (size_t k = 0; a && k < a->nctx; k++)
		if (a->ctx[k].field == f)
			return false;
	return a != NULL;
}

static void test_shared_context_merge_stays_in_its_group(void)
{
	mh_ruleset *rs = NULL;
	mh_engine *e = NULL;
	mh_engine_opts o;
	mh_event ev;
	mh_arena ar;
	mh_err err;
	uint32_t m[2];

	memset(&o, 0, sizeof(o));
	mh_err_clear(&err);
	MH_CHECK(mh_ruleset_new(&rs) == MH_OK);
	MH_CHECK(mh_ruleset_add_yaml(rs, "t2.yml", yaml2, strlen(yaml2),
				     &err) == MH_OK);
	MH_CHECK(mh_ruleset_compile(rs, &err) == MH_OK);
	MH_CHECK(mh_engine_new(rs, &o, &e, &err) == MH_OK);
	if (!e) {
		mh_ruleset_free(rs);
		return;
	}
	mh_arena_init(&ar, 4096, 0);
	memset(&ev, 0, sizeof(ev));
	ev.arena = &ar;

	mh_event_clear(&ev);
	set(&ev, MH_F_HOST, "WS1");
	set(&ev, MH_F_PROCESS_GUID, "{A}");
	set(&ev, MH_F_COMMAND_LINE, "curl imap://u:p@127.0.0.1/INBOX");
	ev.time_ns = T0;
	mh_event_set(&ev, MH_F_TIME, "t", 1);
	m[0] = ridx(rs, "ev");
	MH_CHECK(mh_engine_feed(e, &ev, m, 1, &err) == MH_OK);

	mh_event_clear(&ev);
	set(&ev, MH_F_HOST, "WS1");
	set(&ev, MH_F_PROCESS_GUID, "{A}");
	set(&ev, MH_F_DESTINATION_IP, "127.0.0.1");
	set(&ev, MH_F_DESTINATION_PORT, "143");
	ev.time_ns = T0 + 5 * S;
	mh_event_set(&ev, MH_F_TIME, "t", 1);
	m[0] = ridx(rs, "conn");
	MH_CHECK(mh_engine_feed(e, &ev, m, 1, &err) == MH_OK);

	MH_CHECK(mh_engine_finish(e, &err) == MH_OK);
	/* the join keeps the command line of the same process ... */
	MH_CHECK(alert_has(alert_titled(e, "evidence then connection"),
			   MH_F_COMMAND_LINE,
			   "curl imap://u:p@127.0.0.1/INBOX"));
	MH_CHECK(alert_has(alert_titled(e, "evidence then connection"),
			   MH_F_DESTINATION_IP, "127.0.0.1"));
	/* ... the connection count has only the connection's own fields */
	MH_CHECK(
	    alert_lacks(alert_titled(e, "connections"), MH_F_COMMAND_LINE));
	MH_CHECK(alert_has(alert_titled(e, "connections"), MH_F_DESTINATION_IP,
			   "127.0.0.1"));
	mh_arena_free(&ar);
	mh_engine_free(e);
	mh_ruleset_free(rs);
}

int main(void)
{
	MH_RUN(test_shared_context_merge_stays_in_its_group);
	MH_RUN(test_same_guid_keeps_command_line);
	MH_RUN(test_same_host_and_pid_keeps_command_line);
	MH_RUN(test_other_process_does_not_merge);
	MH_DONE();
}
