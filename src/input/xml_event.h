/* Private to src/input/xml.c and src/input/evtx.c: one rendered Windows
 * event (<Event>...</Event>, as Windows, Sysmon for Linux and libevtx
 * write it) parsed with expat into a canonical event.
 *
 * Mapping: System/EventID, Computer, Channel, Provider@Name,
 * TimeCreated@SystemTime, Security@UserID|UserId (fallback for User),
 * and every EventData/Data[@Name] whose name is a known Sysmon, Windows
 * Security (5156/5157/5158) or PowerShell 4104 field. UtcTime wins over
 * TimeCreated. DIALECT is "sysmon", "winsec", "powershell" or "windows"
 * from the provider/channel. Values are copied into ev->arena (entities
 * decoded by expat); nothing points into the input after a parse.
 *
 * Not thread-safe: one mh_xmlev per reader. */
#ifndef MH_INPUT_XML_EVENT_H
#define MH_INPUT_XML_EVENT_H

#include "event/event.h"

typedef struct mh_xmlev mh_xmlev;

/* Largest value (one Data element's text) kept; longer values make the
 * record malformed. */
#define MH_XMLEV_MAX_VALUE (16u << 20)

/* Create a parser. need: the fields to fill (all if empty); TIME,
 * Protocol, EventID, Channel and Dialect are always filled (normalize.c
 * reads them). Returns MH_ENOMEM. */
mh_rc mh_xmlev_new(const mh_fieldset *need, mh_xmlev **out);
void mh_xmlev_free(mh_xmlev *x);

/* Parse the document p[0..n) (one <Event> element) into ev. The caller
 * clears ev and resets ev->arena beforehand. On MH_EPARSE (not
 * well-formed, not an <Event>, DOCTYPE, value too long) *why is a static
 * or parser-owned message valid until the next call, and *line, *col are
 * the 1-based position of the problem inside p. MH_ENOMEM when the arena
 * or the value buffer cannot grow. */
mh_rc mh_xmlev_parse(mh_xmlev *x, mh_event *ev, const char *p, size_t n,
		     const char **why, uint64_t *line, uint64_t *col);

/* The dialect name of the last event parsed ("sysmon", ...). */
const char *mh_xmlev_dialect(const mh_xmlev *x);

#endif
