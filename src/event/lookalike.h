/* Lookalike process names: "0utlook.exe", "outlook.exe.exe", "OUTLОOK.EXE"
 * with a Cyrillic О, full-width "ｏｕｔｌｏｏｋ.exe" look like a protected
 * mail client name but are not it.
 *
 * A name's skeleton is what it looks like, folded to lower-case ASCII:
 *  - UTF-8 is decoded strictly; an invalid sequence becomes a byte that
 *    never occurs in a skeleton of an ASCII name (so it matches nothing);
 *  - invisible code points (zero-width, bidi controls, soft hyphen,
 *    combining marks, variation selectors, BOM) are dropped;
 *  - full-width forms U+FF01..U+FF5E become ASCII (NFKC), U+3000 a space;
 *  - a small table of confusables (Cyrillic, Greek, Latin-1 and Latin
 *    letters with diacritics, dotless i, script g) maps to ASCII letters
 *    (see lookalike.c for the table);
 *  - ASCII letters are lower-cased; digits and symbols used for letters
 *    become the letter: 0->o 1->l 3->e 4->a 5->s 7->t @->a |->l $->s;
 *    'i' and 'l' (and capital I) are one letter (l); "rn" reads as "m"
 *    and "vv" as "w".
 * The stem of a skeleton is its text before the first '.', without
 * trailing spaces: "outlook.pdf.exe" and "outlook.exe.exe" have the stem
 * of "outlook.exe". Trailing dots and spaces of a name are ignored (as
 * Windows does).
 *
 * A candidate name is a lookalike of a protected name P when their stems
 * are equal and the candidate is neither P nor P's stem (ASCII
 * case-insensitive): OUTLOOK.EXE and Linux "thunderbird" are the genuine
 * names (their paths are judged by the allowlist), "outlook-helper.exe"
 * has another stem and is not a lookalike.
 *
 * All functions are pure, thread-safe and allocation-free. Work is
 * bounded: at most MH_LOOKALIKE_IN_MAX bytes of a name are folded (a
 * longer name is examined only through its part before the first '.'). */
#ifndef MH_EVENT_LOOKALIKE_H
#define MH_EVENT_LOOKALIKE_H

#include "event/event.h"

#define MH_LOOKALIKE_NAME_MAX 64   /* protected name, bytes incl. NUL */
#define MH_LOOKALIKE_MAX      64   /* protected names per ruleset */
#define MH_LOOKALIKE_IN_MAX   1024 /* candidate name bytes examined */
#define MH_LOOKALIKE_NONE     ((size_t)-1)

typedef struct mh_lookalike {
	char name[MH_LOOKALIKE_NAME_MAX]; /* as written, NUL-terminated */
	size_t name_n;
	size_t stem_n;			  /* name bytes before the first '.' */
	char skel[MH_LOOKALIKE_NAME_MAX]; /* skeleton of the stem */
	size_t skel_n;
} mh_lookalike;

/* Skeleton of the whole name (p, n) into out[0..cap). Returns its length,
 * or MH_LOOKALIKE_NONE when it does not fit in cap or n exceeds
 * MH_LOOKALIKE_IN_MAX. out is not NUL-terminated. */
size_t mh_lookalike_skeleton(const char *p, size_t n, char *out, size_t cap);

/* Fill e for the protected name (p, n). MH_EINVAL when the name is empty,
 * longer than MH_LOOKALIKE_NAME_MAX - 1 bytes, or has an empty stem. */
mh_rc mh_lookalike_init(mh_lookalike *e, const char *p, size_t n);

/* The protected name (p, n) is a lookalike of, or NULL. First match in
 * list order. */
const mh_lookalike *mh_lookalike_find(const mh_lookalike *list, size_t nlist,
				      const char *p, size_t n);

/* Derive LookalikeOf for ev from the basename of ProcessName, else of
 * Image. The field is always recomputed (a source value is dropped: it is
 * mailhunt's judgement, and unset without a list). Its value points into
 * list (lives as long as the ruleset). */
void mh_event_lookalike(const mh_lookalike *list, size_t nlist, mh_event *ev);

#endif
