/* Alert writers: one file per sink, one row in the writer table.
 * Every string that came from a log is attacker-controlled and is
 * escaped for the sink (terminal control characters, CSV formula
 * prefixes and quoting, JSON). Field names are stable and documented in
 * docs/output.md. */
#ifndef MH_OUTPUT_OUTPUT_H
#define MH_OUTPUT_OUTPUT_H

#include "engine/alert.h"

#include <stdio.h>
#include <string.h>

typedef struct mh_summary {
	uint64_t files;
	uint64_t bytes;	 /* input bytes read (decompressed) */
	uint64_t events; /* records read */
	uint64_t malformed;
	uint64_t matched; /* events matching >= 1 detection rule */
	uint64_t alerts;
	uint64_t evicted;
	double seconds;
	const char *profile;
} mh_summary;

typedef struct mh_writer mh_writer;

typedef struct mh_writer_ops {
	const char *name; /* --format name */
	const char *desc;
	mh_rc (*open)(mh_writer *w, mh_err *err);
	mh_rc (*write)(mh_writer *w, const mh_alert *a, mh_err *err);
	/* Flush; the table writer prints its rows and the summary line. */
	mh_rc (*close)(mh_writer *w, const mh_summary *s, mh_err *err);
} mh_writer_ops;

struct mh_writer {
	const mh_writer_ops *ops;
	FILE *out;    /* alerts go here (stdout or -o FILE) */
	bool color;   /* ANSI severity colours (table, TTY only) */
	bool explain; /* print contributing events */
	void *priv;
};

extern const mh_writer_ops *const mh_writers[]; /* NULL-terminated */
const mh_writer_ops *mh_writer_find(const char *name);

/* The table writer sizes its columns from the rows it has buffered, up
 * to this many rows or bytes of text; after that it prints each row as it
 * comes, at the widths so far (see output/table.c). */
#define MH_TABLE_SETTLE_ROWS  1000u
#define MH_TABLE_SETTLE_BYTES (1u << 20)

extern const mh_writer_ops mh_output_table;
extern const mh_writer_ops mh_output_ndjson;
extern const mh_writer_ops mh_output_csv;

/* Escaping helpers (output/escape.c), usable by every writer.
 * Each appends to a growable buffer; returns false on ENOMEM. */
typedef struct mh_buf {
	char *p;
	size_t n, cap;
} mh_buf;
/* Room for extra more bytes in b (grows it); false on ENOMEM or
 * overflow, b unchanged. */
bool mh_buf_reserve(mh_buf *b, size_t extra);
static inline bool mh_buf_put(mh_buf *b, const char *s, size_t n)
{
	if (n > b->cap - b->n && !mh_buf_reserve(b, n))
		return false;
	if (n)
		memcpy(b->p + b->n, s, n);
	b->n += n;
	return true;
}
static inline bool mh_buf_putc(mh_buf *b, char c)
{
	if (b->n == b->cap && !mh_buf_reserve(b, 1))
		return false;
	b->p[b->n++] = c;
	return true;
}
void mh_buf_free(mh_buf *b);
/* JSON string body (no quotes); invalid UTF-8 becomes U+FFFD. */
bool mh_esc_json(mh_buf *b, const char *s, size_t n);
/* One CSV cell (RFC 4180 quoting when needed); a value starting with
 * = + - @ TAB or CR is prefixed with ' (formula injection). */
bool mh_esc_csv(mh_buf *b, const char *s, size_t n);
/* Terminal-safe: C0/C1 controls and DEL as \xNN, invalid UTF-8 as \xNN. */
bool mh_esc_term(mh_buf *b, const char *s, size_t n);

#endif
