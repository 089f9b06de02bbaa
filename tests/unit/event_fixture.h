/* Events for the matcher tests (test_rule_match.c, test_rule_index.c). */
#ifndef MH_TEST_EVENT_FIXTURE_H
#define MH_TEST_EVENT_FIXTURE_H

#include "event/event.h"

#include <stdarg.h>
#include <string.h>

/* ev_make(&ev, &arena, FIELD, "value", ..., MH_F_NONE): ev cleared, its
 * values in arena; a value holding MH_LIST_SEP is a list field. */
__attribute__((unused)) static void ev_make(mh_event *ev, mh_arena *a, ...)
{
	va_list ap;
	int f;

	mh_event_clear(ev);
	ev->arena = a;
	va_start(ap, a);
	while ((f = va_arg(ap, int)) != MH_F_NONE) {
		const char *v = va_arg(ap, const char *);
		mh_event_set(ev, (mh_field)f, v, strlen(v));
		if (strchr(v, MH_LIST_SEP))
			mh_fieldset_add(&ev->multi, (mh_field)f);
	}
	va_end(ap);
}

#endif
