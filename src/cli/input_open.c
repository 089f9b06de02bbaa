/* Open one input for a command: source, format detection, reader. */
#include "cli/cli.h"
#include "input/dialect.h"
#include "input/input.h"

#include <stdio.h>
#include <string.h>

int mh_cli_open_input(const char *path, const char *input_format,
		      const mh_fieldset *need, mh_malformed_fn on_malformed,
		      void *ud, mh_source **src_out, mh_reader *rd)
{
	mh_source *src = NULL;
	mh_err err;
	mh_rc rc = MH_OK;
	const char *buf;
	size_t blen;

	memset(rd, 0, sizeof(*rd));
	mh_err_clear(&err);
	*src_out = NULL;
	rc = mh_source_open(path, NULL, &src, &err);
	if (rc != MH_OK) {
		if (!err.file[0])
			snprintf(err.file, sizeof(err.file), "%s", path);
		mh_cli_print_err(NULL, &err);
		return MH_EXIT_INPUT;
	}
	/* Make sure the window holds enough bytes to probe. */
	mh_source_peek(src, &buf, &blen);
	while (blen < 4096) {
		rc = mh_source_more(src, &err);
		if (rc != MH_OK)
			break;
		mh_source_peek(src, &buf, &blen);
	}
	if (rc == MH_EIO) {
		mh_cli_print_err(NULL, &err);
		goto fail;
	}
	if (input_format && mh_reader_find(input_format)) {
		rd->ops = mh_reader_find(input_format);
	} else {
		rd->ops = mh_reader_detect(buf, blen);
		if (!rd->ops) {
			if (blen == 0) {
				/* An empty file is valid: no events. */
				*src_out = src;
				return MH_EXIT_OK;
			}
			fprintf(stderr,
				"mailhunt: %s: unknown input format (not one "
				"of:",
				mh_source_name(src));
			for (const mh_reader_ops *const *r = mh_readers; *r;
			     r++)
				fprintf(stderr, " %s", (*r)->name);
			fprintf(stderr, "); use --input-format\n");
			goto fail;
		}
	}
	if (input_format && !mh_reader_find(input_format)) {
		/* a dialect: the reader is detected, the dialect forced */
		if (rd->ops != &mh_input_json && rd->ops != &mh_input_csv) {
			fprintf(
			    stderr,
			    "mailhunt: %s: --input-format %s is a dialect of "
			    "JSON and CSV inputs, but this input reads as "
			    "%s\n",
			    mh_source_name(src), input_format, rd->ops->name);
			goto fail;
		}
		rd->force_dialect = input_format;
	}
	rd->src = src;
	rd->need = *need;
	rd->on_malformed = on_malformed;
	rd->ud = ud;
	rc = rd->ops->open(rd, &err);
	if (rc != MH_OK) {
		if (!err.file[0])
			snprintf(err.file, sizeof(err.file), "%s",
				 mh_source_name(src));
		mh_cli_print_err(NULL, &err);
		rd->ops = NULL;
		goto fail;
	}
	*src_out = src;
	return MH_EXIT_OK;
fail:
	mh_source_close(src);
	memset(rd, 0, sizeof(*rd));
	return MH_EXIT_INPUT;
}

bool mh_cli_input_format_ok(const char *name)
{
	if (mh_reader_find(name) || mh_dialect_find(name))
		return true;
	fprintf(stderr,
		"mailhunt: --input-format: unknown format '%s'; "
		"readers:",
		name);
	for (const mh_reader_ops *const *r = mh_readers; *r; r++)
		fprintf(stderr, " %s", (*r)->name);
	fprintf(stderr, "; dialects (JSON/CSV):");
	for (const mh_dialect *const *d = mh_dialects; *d; d++)
		fprintf(stderr, " %s", (*d)->name);
	fprintf(stderr, "\n");
	return false;
}
