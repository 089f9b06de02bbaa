/* Shared fixtures for tests/unit/test_output_*.c: hand-built rules and
 * alerts, and a helper that runs a writer into a memory stream. */
#ifndef MH_OUTPUT_FIXTURE_H
#define MH_OUTPUT_FIXTURE_H

#include "output/output.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(lit) MH_STR_LIT(lit)
#define KV(nm, f, v)                                                           \
	{                                                                      \
		(nm), (f), true, MH_STR_LIT(v)                                 \
	}
#define KV_UNSET(nm, f)                                                        \
	{                                                                      \
		(nm), (f), false,                                              \
		{                                                              \
			NULL, 0                                                \
		}                                                              \
	}

/* 2021-03-14T06:39:30.227Z and 2021-03-14T06:39:39.023Z */
#define T_FIRST 1615703970227000000LL
#define T_LAST	1615703979023000000LL

static const mh_rule fx_det_conn = {
    .index = 0,
    .id = NULL,
    .name = "mh_smtp_conn",
    .title = "Mail port connection",
    .level = MH_LVL_LOW,
};
static const mh_rule fx_det_title_only = {
    .index = 1,
    .title = "Title only",
    .level = MH_LVL_LOW,
};
static const mh_corr fx_corr_count = {.type = MH_CORR_EVENT_COUNT};
static const mh_corr fx_corr_vcount = {.type = MH_CORR_VALUE_COUNT};
static const mh_rule fx_beacon = {
    .index = 2,
    .is_correlation = true,
    .id = "c0ffee00-0000-4000-8000-000000000001",
    .name = "mh_beacon",
    .title = "SMTP beaconing",
    .level = MH_LVL_HIGH,
    .corr = &fx_corr_count,
};
static const mh_rule fx_fanout = {
    .index = 3,
    .is_correlation = true,
    .name = "mh_fanout",
    .title = "Many mail servers",
    .level = MH_LVL_MEDIUM,
    .corr = &fx_corr_vcount,
};

static const mh_rule *const fx_contrib2[] = {&fx_det_conn, &fx_det_title_only};
static const mh_rule *const fx_contrib1[] = {&fx_det_conn};

static const mh_alert_kv fx_group1[] = {
    KV("Computer", MH_F_HOST, "WS1"),
    KV("ProcessName", MH_F_PROCESS_NAME, "evil.exe"),
};
static const mh_str fx_users1[] = {S("CORP\\bob"), S("alice")};
static const mh_alert_kv fx_ctx1[] = {
    KV("Computer", MH_F_HOST, "WS1"),
    KV("Image", MH_F_IMAGE, "C:\\x\\evil.exe"),
    KV("CommandLine", MH_F_COMMAND_LINE, "evil.exe -x"),
    KV("DestinationIp", MH_F_DESTINATION_IP, "203.0.113.5"),
    KV("DestinationPort", MH_F_DESTINATION_PORT, "587"),
    KV("MailProtocol", MH_F_MAIL_PROTOCOL, "SMTP"),
};
static const mh_str fx_refs1[] = {S("a.json:3"), S("a.json:7")};

/* A correlation alert with everything set. */
static const mh_alert fx_alert1 = {
    .rule = &fx_beacon,
    .level = MH_LVL_HIGH,
    .count = 3,
    .distinct_dst = 1,
    .bytes_set = true,
    .bytes_sent = 1200,
    .first_ns = T_FIRST,
    .last_ns = T_LAST,
    .value = 3,
    .ngroup = 2,
    .group = fx_group1,
    .nusers = 2,
    .users = fx_users1,
    .ncontrib = 2,
    .contrib = fx_contrib2,
    .nctx = 6,
    .ctx = fx_ctx1,
    .nrefs = 2,
    .refs = fx_refs1,
};

/* value_count correlation: unset group value, truncated users, bytes
 * unset, a value. */
static const mh_alert_kv fx_group3[] = {
    KV("Computer", MH_F_HOST, "WS;2\\x"),
    KV_UNSET("User", MH_F_USER),
};
static const mh_str fx_users3[] = {S("a;b"), S("c\\d")};
static const mh_alert_kv fx_ctx3[] = {
    KV("DestinationIp", MH_F_DESTINATION_IP, "2001:db8::1"),
    KV("DestinationPort", MH_F_DESTINATION_PORT, "465"),
};
static const mh_alert fx_alert3 = {
    .rule = &fx_fanout,
    .level = MH_LVL_MEDIUM,
    .count = 12,
    .distinct_dst = 4,
    .bytes_set = false,
    .first_ns = T_FIRST,
    .last_ns = T_FIRST,
    .value = 4,
    .ngroup = 2,
    .group = fx_group3,
    .nusers = 2,
    .users = fx_users3,
    .users_truncated = true,
    .ncontrib = 1,
    .contrib = fx_contrib1,
    .nctx = 2,
    .ctx = fx_ctx3,
};

/* Run ops over alerts into a memory stream. Returns the malloc'd output
 * (NUL-terminated); *rc gets the first non-OK rc (or MH_OK). */
__attribute__((unused)) static char *fx_run(const mh_writer_ops *ops,
					    const mh_alert *const *alerts,
					    size_t n, bool color, bool explain,
					    const mh_summary *s, mh_rc *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	mh_writer w = {
	    .ops = ops, .out = f, .color = color, .explain = explain};
	mh_err err;
	mh_rc r;

	*rc = MH_OK;
	if (!f)
		return NULL;
	r = ops->open(&w, &err);
	if (r != MH_OK)
		*rc = r;
	for (size_t i = 0; r == MH_OK && i < n; i++) {
		r = ops->write(&w, alerts[i], &err);
		if (r != MH_OK)
			*rc = r;
	}
	r = ops->close(&w, s, &err);
	if (r != MH_OK && *rc == MH_OK)
		*rc = r;
	fclose(f);
	return buf;
}

/* Writing to /dev/full must fail with MH_EIO, at write or close. */
__attribute__((unused)) static mh_rc
fx_run_full(const mh_writer_ops *ops, const mh_alert *a, const mh_summary *s)
{
	FILE *f = fopen("/dev/full", "w");
	mh_writer w = {.ops = ops, .out = f};
	mh_err err;
	mh_rc r, rc = MH_OK;

	if (!f)
		return MH_EINVAL;
	r = ops->open(&w, &err);
	if (r != MH_OK)
		rc = r;
	if (r == MH_OK) {
		r = ops->write(&w, a, &err);
		if (r != MH_OK)
			rc = r;
	}
	r = ops->close(&w, s, &err);
	if (r != MH_OK && rc == MH_OK)
		rc = r;
	fclose(f);
	return rc;
}

#endif
