/* Byte sources: a regular file (mmap'd), stdin or a pipe (large reads),
 * gzip (transparent, detected by magic), zip (first member, deflate).
 *
 * The source exposes a window of unread bytes. Readers look at the
 * window with mh_source_peek(), consume what they used, and call
 * mh_source_more() when a record spans past the window end. For mmap'd
 * files the window is the whole file, so more() returns 0 at once.
 *
 * Not thread-safe. One source per open input. */
#ifndef MH_INPUT_SOURCE_H
#define MH_INPUT_SOURCE_H

#include "util/mh.h"

typedef struct mh_source mh_source;

typedef struct mh_source_opts {
	size_t max_record; /* cap on one record (line); default 16 MiB */
} mh_source_opts;

/* path "-" is stdin. display name for diagnostics = path (or "<stdin>").
 * Fails only on I/O (cannot open/read). */
mh_rc mh_source_open(const char *path, const mh_source_opts *opts,
		     mh_source **out, mh_err *err);
/* Open over a caller-owned memory buffer (tests). Handles gzip too. */
mh_rc mh_source_open_mem(const char *name, const void *buf, size_t len,
			 mh_source **out, mh_err *err);
void mh_source_close(mh_source *s);

const char *mh_source_name(const mh_source *s);
/* Unread bytes. Pointer valid until the next more()/consume(). */
void mh_source_peek(mh_source *s, const char **p, size_t *n);
void mh_source_consume(mh_source *s, size_t n);
/* Consume n bytes that hold nlines whole lines ('\n' included), as
 * nlines calls of mh_source_line() would (line numbers, page release). */
void mh_source_skip_lines(mh_source *s, size_t n, uint64_t nlines);
/* The longest line mh_source_line() hands out. */
size_t mh_source_max_record(const mh_source *s);
/* Read more into the window, keeping unread bytes. Returns MH_OK when
 * more bytes were added, MH_EOF when none remain, MH_ELIMIT when the
 * window would exceed max_record, MH_EIO on read error. */
mh_rc mh_source_more(mh_source *s, mh_err *err);
/* Next line (without '\n' and a trailing '\r'). *line valid until the
 * next call. Returns MH_EOF at end. A line longer than max_record is
 * skipped to its end and reported as MH_ELIMIT (the caller counts it
 * as malformed and calls again). line_no receives the 1-based number. */
mh_rc mh_source_line(mh_source *s, mh_str *line, uint64_t *line_no,
		     mh_err *err);
/* Total bytes consumed so far (decompressed) and the compressed
 * position/size when known (for progress). */
uint64_t mh_source_offset(const mh_source *s);
uint64_t mh_source_size(const mh_source *s); /* 0 = unknown */

/* --- addition (source helper) ---
 * Compressed bytes consumed so far by the decompressor (gzip/zip), or
 * the same as mh_source_offset() for uncompressed input. Progress is
 * mh_source_raw_offset() / mh_source_size(). */
uint64_t mh_source_raw_offset(const mh_source *s);

/* --- additions (issue 4, speed and memory) ---
 * Peak RSS: an mmap'd regular file returns the pages behind the cursor
 * to the kernel every few MiB, so RSS stays flat for any file size.
 *
 * A source over bytes [off, off + len) of parent, which must be an
 * uncompressed in-memory source (mh_source_mem() true) and outlive the
 * slice. Lines are numbered from 1 within the slice; the name is the
 * parent's. Slices of one parent may be read by different threads at
 * once (each slice by one thread). */
mh_rc mh_source_open_slice(mh_source *parent, uint64_t off, size_t len,
			   mh_source **out, mh_err *err);
/* A slice releases the file pages it has read (in steps, and all at
 * close), so many threads keep little of the file mapped. Each release
 * interrupts every CPU running the process (a TLB shootdown): with few
 * threads, call this after opening the slice to leave the pages to the
 * parent, which releases them as it is consumed. */
void mh_source_slice_keep_pages(mh_source *s);
/* The whole input of an uncompressed in-memory source (an mmap'd file or
 * a buffer), independent of the cursor; false for streams and
 * compressed input. */
bool mh_source_mem(const mh_source *s, const char **p, size_t *n);
/* Bytes of a mapping given back to the kernel so far. */
uint64_t mh_source_released(const mh_source *s);
/* Lines returned by mh_source_line() so far, plus the base set with
 * mh_source_set_line() (call it before reading: the next line gets
 * number base + 1). */
uint64_t mh_source_lines(const mh_source *s);
void mh_source_set_line(mh_source *s, uint64_t base);
/* Chunk splitter: the end (exclusive) of the chunk of p[0..len) that
 * starts at off and holds about want bytes: just past the first '\n' at
 * or after off + want - 1, or len. A line longer than want makes a
 * longer chunk; the last chunk may lack a trailing newline. */
size_t mh_split_chunk(const char *p, size_t len, size_t off, size_t want);

#endif
