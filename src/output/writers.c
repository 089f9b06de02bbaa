#include "output/output.h"

#include <string.h>

const mh_writer_ops *const mh_writers[] = {
    &mh_output_table,
    &mh_output_ndjson,
    &mh_output_csv,
    NULL,
};

const mh_writer_ops *mh_writer_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; mh_writers[i]; i++)
		if (strcmp(mh_writers[i]->name, name) == 0)
			return mh_writers[i];
	return NULL;
}
