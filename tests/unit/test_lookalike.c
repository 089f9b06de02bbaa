/* Lookalike process names: skeletons, LookalikeOf, the pack document. */
#include "event/lookalike.h"
#include "event/normalize.h"
#include "mh_test.h"
#include "rule/rule.h"

#include <stdlib.h>
#include <string.h>

static const char *const protected_names[] = {
    "outlook.exe",
    "olk.exe",
    "hxtsr.exe",
    "thunderbird.exe",
    "mailclient.exe",
    "mailbird.exe",
    "msexchangehmworker.exe",
    "edgetransport.exe",
    "msexchangefrontendtransport.exe",
    "msexchangetransport.exe",
};

static mh_lookalike list[MH_ARRAY_LEN(protected_names)];
static const size_t nlist = MH_ARRAY_LEN(protected_names);

static void setup(void)
{
	for (size_t i = 0; i < nlist; i++)
		MH_CHECK(mh_lookalike_init(&list[i], protected_names[i],
					   strlen(protected_names[i])) ==
			 MH_OK);
}

/* The protected name s looks like, or NULL. */
static const char *of(const char *s)
{
	const mh_lookalike *e = mh_lookalike_find(list, nlist, s, strlen(s));

	return e ? e->name : NULL;
}

static void test_skeleton(void)
{
	char out[64];
	size_t n;

	n = mh_lookalike_skeleton("OUTLOOK.EXE", 11, out, sizeof(out));
	MH_CHECK_EQ_SLICE(out, n, "outlook.exe");
	/* digits and symbols for letters; i and l are one letter */
	n = mh_lookalike_skeleton("0utl00k.3x3", 11, out, sizeof(out));
	MH_CHECK_EQ_SLICE(out, n, "outlook.exe");
	n = mh_lookalike_skeleton("Th1s@$47|", 9, out, sizeof(out));
	MH_CHECK_EQ_SLICE(out, n, "thlsasatl");
	/* rn reads m, vv reads w */
	n = mh_lookalike_skeleton("rnailvvorker", 12, out, sizeof(out));
	MH_CHECK_EQ_SLICE(out, n, "mallworker");
	/* trailing dots and spaces ignored */
	n = mh_lookalike_skeleton("outlook.exe. . ", 15, out, sizeof(out));
	MH_CHECK_EQ_SLICE(out, n, "outlook.exe");
	/* too small an output buffer */
	MH_CHECK(mh_lookalike_skeleton("outlook.exe", 11, out, 4) ==
		 MH_LOOKALIKE_NONE);
	/* empty */
	MH_CHECK_EQ_INT(mh_lookalike_skeleton("", 0, out, sizeof(out)), 0);
}

static void test_digit_tricks(void)
{
	MH_CHECK_EQ_STR(of("0utlook.exe"), "outlook.exe");
	MH_CHECK_EQ_STR(of("0UTL00K.EXE"), "outlook.exe");
	MH_CHECK_EQ_STR(of("thunderb1rd.exe"), "thunderbird.exe");
	MH_CHECK(!of("Thunderbird.exe"));
	MH_CHECK_EQ_STR(of("ma1lb1rd.exe"), "mailbird.exe");
	MH_CHECK_EQ_STR(of("edgetransp0rt.exe"), "edgetransport.exe");
	/* capital I for l */
	MH_CHECK_EQ_STR(of("OutIook.exe"), "outlook.exe");
	/* rn for m */
	MH_CHECK_EQ_STR(of("rnailbird.exe"), "mailbird.exe");
}

static void test_extensions(void)
{
	MH_CHECK_EQ_STR(of("outlook.exe.exe"), "outlook.exe");
	MH_CHECK_EQ_STR(of("OUTLOOK.EXE.EXE"), "outlook.exe");
	MH_CHECK_EQ_STR(of("outlook.pdf.exe"), "outlook.exe");
	MH_CHECK_EQ_STR(of("outlook.exe.scr"), "outlook.exe");
	MH_CHECK_EQ_STR(of("outlook.scr"), "outlook.exe");
	MH_CHECK_EQ_STR(of("outlook.exe."), "outlook.exe");
	MH_CHECK_EQ_STR(of("outlook.exe "), "outlook.exe");
	MH_CHECK_EQ_STR(of("outlook .exe"), "outlook.exe");
	/* a very long appended extension does not hide the stem */
	{
		char name[600];
		memcpy(name, "outlook.", 8);
		memset(name + 8, 'x', 500);
		memcpy(name + 508, ".exe", 5);
		MH_CHECK_EQ_STR(of(name), "outlook.exe");
	}
}

static void test_homoglyphs(void)
{
	/* Cyrillic о U+043E */
	MH_CHECK_EQ_STR(of("\xd0\xbeutlook.exe"), "outlook.exe");
	/* Cyrillic О U+041E in upper case */
	MH_CHECK_EQ_STR(of("OUTL\xd0\x9eOK.EXE"), "outlook.exe");
	/* Greek ο U+03BF */
	MH_CHECK_EQ_STR(of("outl\xce\xbfok.exe"), "outlook.exe");
	/* Greek capital Ο U+039F and Cyrillic small е U+0435 */
	MH_CHECK_EQ_STR(of("\xce\x9f"
			   "utlook.\xd0\xb5xe"),
			"outlook.exe");
	/* full-width ｏｕｔｌｏｏｋ.exe (U+FF4F ...) */
	MH_CHECK_EQ_STR(of("\xef\xbd\x8f\xef\xbd\x95\xef\xbd\x94\xef\xbd\x8c"
			   "\xef\xbd\x8f\xef\xbd\x8f\xef\xbd\x8b.exe"),
			"outlook.exe");
	/* full-width capitals and a full-width dot (U+FF0E) */
	MH_CHECK_EQ_STR(of("\xef\xbc\xaf\xef\xbc\xb5\xef\xbc\xb4\xef\xbc\xac"
			   "\xef\xbc\xaf\xef\xbc\xaf\xef\xbc\xab\xef\xbc\x8e"
			   "EXE"),
			"outlook.exe");
	/* Cyrillic і U+0456 in thunderbird */
	MH_CHECK_EQ_STR(of("thunderb\xd1\x96rd.exe"), "thunderbird.exe");
	/* Latin-1 diacritics: outlöök */
	MH_CHECK_EQ_STR(of("outl\xc3\xb6\xc3\xb6k.exe"), "outlook.exe");
	/* zero-width space and right-to-left override are invisible */
	MH_CHECK_EQ_STR(of("out\xe2\x80\x8blook.exe"), "outlook.exe");
	MH_CHECK_EQ_STR(of("outlook\xe2\x80\xae.exe"), "outlook.exe");
	/* combining diaeresis */
	MH_CHECK_EQ_STR(of("outlo\xcc\x88ok.exe"), "outlook.exe");
	/* several tricks at once */
	MH_CHECK_EQ_STR(of("\xd0\x9e"
			   "UTL0\xce\xbf"
			   "K.pdf.exe"),
			"outlook.exe");
	/* a script with no Latin lookalike */
	MH_CHECK(!of("\xe4\xb8\xad"
		     "utlook.exe"));
}

static void test_genuine_and_unrelated(void)
{
	MH_CHECK(!of("OUTLOOK.EXE"));
	MH_CHECK(!of("outlook.exe"));
	MH_CHECK(!of("OuTlOoK.ExE"));
	MH_CHECK(!of("HxTsr.exe"));
	MH_CHECK(!of("MSExchangeFrontendTransport.exe"));
	MH_CHECK(!of("EdgeTransport.exe"));
	MH_CHECK(!of("MailClient.exe"));
	/* Linux names without the extension are the genuine program */
	MH_CHECK(!of("thunderbird"));
	MH_CHECK(!of("thunderbird-bin"));
	/* but a lookalike without extension is not */
	MH_CHECK_EQ_STR(of("thunderb1rd"), "thunderbird.exe");
	/* other names */
	MH_CHECK(!of("svchost.exe"));
	MH_CHECK(!of("notepad.exe"));
	MH_CHECK(!of("outlook-helper.exe"));
	MH_CHECK(!of("outlooks.exe"));
	MH_CHECK(!of("microsoft.outlook.exe"));
	MH_CHECK(!of("MSExchangeDelivery.exe"));
	MH_CHECK(!of(""));
	MH_CHECK(!of(".exe"));
	MH_CHECK(mh_lookalike_find(NULL, 0, "0utlook.exe", 11) == NULL);
}

static void test_invalid_utf8_and_bounds(void)
{
	static const char *const bad[] = {
	    "0utl\xffok.exe",		  /* invalid byte */
	    "0utlook\xd0",		  /* truncated sequence at the end */
	    "\xc0\xafutlook.exe",	  /* overlong '/' */
	    "\xed\xa0\x80utlook.exe",	  /* surrogate */
	    "\xf4\x90\x80\x80utlook.exe", /* > U+10FFFF */
	    "\x80\x80\x80",		  /* stray continuation bytes */
	};
	char big[MH_LOOKALIKE_IN_MAX + 16];
	char out[64];

	for (size_t i = 0; i < MH_ARRAY_LEN(bad); i++)
		MH_CHECK(!of(bad[i]));
	/* the skeleton of invalid bytes matches no ASCII name */
	{
		size_t n = mh_lookalike_skeleton("a\xff", 2, out, sizeof(out));
		MH_CHECK_EQ_INT(n, 2);
		MH_CHECK(n == 2 && out[0] == 'a' && (out[1] & 0x80));
	}
	/* inputs past the cap are not examined */
	memset(big, 'o', sizeof(big));
	MH_CHECK(mh_lookalike_skeleton(big, sizeof(big), out, sizeof(out)) ==
		 MH_LOOKALIKE_NONE);
	MH_CHECK(mh_lookalike_find(list, nlist, big, sizeof(big)) == NULL);
	/* thousands of invisible characters around a name: bounded, and
	 * still a lookalike while within the cap */
	{
		char z[3 * 300 + 12];
		size_t k = 0;
		for (int i = 0; i < 300; i++) {
			memcpy(z + k, "\xe2\x80\x8b", 3);
			k += 3;
		}
		memcpy(z + k, "0utlook.exe", 11);
		k += 11;
		MH_CHECK(mh_lookalike_find(list, nlist, z, k) != NULL);
	}
}

static void test_init(void)
{
	mh_lookalike e;
	char longname[80];

	MH_CHECK(mh_lookalike_init(&e, "", 0) == MH_EINVAL);
	MH_CHECK(mh_lookalike_init(&e, ".exe", 4) == MH_EINVAL);
	memset(longname, 'a', sizeof(longname));
	MH_CHECK(mh_lookalike_init(&e, longname, sizeof(longname)) ==
		 MH_EINVAL);
	MH_CHECK(mh_lookalike_init(&e, "OLK.exe", 7) == MH_OK);
	MH_CHECK_EQ_STR(e.name, "OLK.exe");
	MH_CHECK_EQ_INT(e.stem_n, 3);
	MH_CHECK_EQ_SLICE(e.skel, e.skel_n, "olk");
}

/* Normalisation: ProcessName, else the basename of Image; genuine names
 * and a source value. */
static void test_normalize(void)
{
	mh_norm_ctx ctx;
	mh_event ev;
	const mh_str *v;

	memset(&ctx, 0, sizeof(ctx));
	ctx.lookalikes = list;
	ctx.nlookalikes = nlist;
	memset(&ev, 0, sizeof(ev));

	mh_event_clear(&ev);
	mh_event_set(&ev, MH_F_IMAGE, "C:\\Temp\\0utlook.exe", 19);
	mh_event_normalize(&ctx, &ev);
	v = mh_event_get(&ev, MH_F_LOOKALIKE_OF);
	MH_CHECK(v != NULL);
	if (v)
		MH_CHECK_EQ_SLICE(v->p, v->n, "outlook.exe");

	/* ProcessName wins over Image */
	mh_event_clear(&ev);
	mh_event_set(&ev, MH_F_IMAGE, "C:\\Temp\\x.exe", 13);
	mh_event_set(&ev, MH_F_PROCESS_NAME, "outlook.pdf.exe", 15);
	mh_event_normalize(&ctx, &ev);
	v = mh_event_get(&ev, MH_F_LOOKALIKE_OF);
	MH_CHECK(v && v->n == 11 && memcmp(v->p, "outlook.exe", 11) == 0);

	/* genuine name in an untrusted folder: no LookalikeOf (the
	 * allowlist judges the path), and a source value is dropped */
	mh_event_clear(&ev);
	mh_event_set(&ev, MH_F_IMAGE, "C:\\Users\\Public\\OUTLOOK.EXE", 27);
	mh_event_set(&ev, MH_F_LOOKALIKE_OF, "forged", 6);
	mh_event_normalize(&ctx, &ev);
	MH_CHECK(!mh_event_has(&ev, MH_F_LOOKALIKE_OF));

	/* no list: never set */
	ctx.nlookalikes = 0;
	mh_event_clear(&ev);
	mh_event_set(&ev, MH_F_IMAGE, "C:\\Temp\\0utlook.exe", 19);
	mh_event_normalize(&ctx, &ev);
	MH_CHECK(!mh_event_has(&ev, MH_F_LOOKALIKE_OF));

	/* only when needed */
	ctx.nlookalikes = nlist;
	mh_fieldset_add(&ctx.need, MH_F_MAIL_PROTOCOL);
	mh_event_clear(&ev);
	mh_event_set(&ev, MH_F_IMAGE, "C:\\Temp\\0utlook.exe", 19);
	mh_event_normalize(&ctx, &ev);
	MH_CHECK(!mh_event_has(&ev, MH_F_LOOKALIKE_OF));
	mh_fieldset_add(&ctx.need, MH_F_LOOKALIKE_OF);
	mh_event_normalize(&ctx, &ev);
	MH_CHECK(mh_event_has(&ev, MH_F_LOOKALIKE_OF));
}

/* The pack document: the built-in list, and errors. */
static void test_pack_doc(void)
{
	mh_ruleset *rs = NULL;
	const mh_lookalike *l;
	size_t n = 0;
	mh_err err;
	static const char dup[] = "mailhunt-lookalikes: [a.exe, A.EXE]\n"
				  "---\n"
				  "mailhunt-lookalikes: [b.exe]\n";
	static const char bad1[] = "mailhunt-lookalikes: {a: b}\n";
	static const char bad2[] = "mailhunt-lookalikes: [.exe]\n";

	MH_CHECK(mh_ruleset_new(&rs) == MH_OK);
	MH_CHECK(mh_ruleset_add_builtin(rs, "mailhunt", NULL) == MH_OK);
	MH_CHECK(mh_ruleset_compile(rs, NULL) == MH_OK);
	l = mh_ruleset_lookalikes(rs, &n);
	MH_CHECK_EQ_INT(n, 10);
	MH_CHECK(l != NULL);
	if (l && n == 10) {
		MH_CHECK_EQ_STR(l[0].name, "outlook.exe");
		MH_CHECK_EQ_STR(l[9].name, "msexchangetransport.exe");
		MH_CHECK(mh_lookalike_find(l, n, "0utlook.exe", 11) == &l[0]);
	}
	mh_ruleset_free(rs);

	/* every profile shares the list */
	MH_CHECK(mh_ruleset_new(&rs) == MH_OK);
	MH_CHECK(mh_ruleset_add_builtin(rs, "sentinel", NULL) == MH_OK);
	l = mh_ruleset_lookalikes(rs, &n);
	MH_CHECK_EQ_INT(n, 10);
	mh_ruleset_free(rs);

	MH_CHECK(mh_ruleset_new(&rs) == MH_OK);
	l = mh_ruleset_lookalikes(rs, &n);
	MH_CHECK(l == NULL && n == 0);
	MH_CHECK(mh_ruleset_add_yaml(rs, "t", dup, strlen(dup), NULL) == MH_OK);
	l = mh_ruleset_lookalikes(rs, &n);
	MH_CHECK_EQ_INT(n, 2);
	if (l && n == 2) {
		MH_CHECK_EQ_STR(l[0].name, "a.exe");
		MH_CHECK_EQ_STR(l[1].name, "b.exe");
	}
	mh_err_clear(&err);
	MH_CHECK(mh_ruleset_add_yaml(rs, "t", bad1, strlen(bad1), &err) ==
		 MH_EPARSE);
	MH_CHECK_EQ_INT(err.line, 1);
	MH_CHECK_EQ_STR(err.field, "mailhunt-lookalikes");
	mh_err_clear(&err);
	MH_CHECK(mh_ruleset_add_yaml(rs, "t", bad2, strlen(bad2), &err) ==
		 MH_EPARSE);
	MH_CHECK_EQ_INT(err.line, 1);
	MH_CHECK(err.col > 1);
	mh_ruleset_free(rs);
}

int main(void)
{
	setup();
	MH_RUN(test_skeleton);
	MH_RUN(test_digit_tricks);
	MH_RUN(test_extensions);
	MH_RUN(test_homoglyphs);
	MH_RUN(test_genuine_and_unrelated);
	MH_RUN(test_invalid_utf8_and_bounds);
	MH_RUN(test_init);
	MH_RUN(test_normalize);
	MH_RUN(test_pack_doc);
	MH_DONE();
}
