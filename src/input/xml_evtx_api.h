/* Private to src/input/evtx.c: the part of the libevtx API it uses.
 *
 * <libevtx.h> includes <libbfio.h> (libbfio-dev), which Debian's
 * libevtx-dev does not pull in. When that header is present the real
 * declarations are used; otherwise the few functions called here are
 * declared from libevtx's sub-headers, with the prototypes of
 * libevtx 20181227 (stable C ABI). */
#ifndef MH_INPUT_XML_EVTX_API_H
#define MH_INPUT_XML_EVTX_API_H

#if defined(__has_include)
#if __has_include(<libbfio.h>)
#define MH_HAVE_LIBEVTX_H 1
#endif
#endif

#ifdef MH_HAVE_LIBEVTX_H
#include <libevtx.h>
#else
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <libevtx/definitions.h>
#include <libevtx/error.h>
#include <libevtx/types.h>

int libevtx_file_initialize(libevtx_file_t **file, libevtx_error_t **error);
int libevtx_file_free(libevtx_file_t **file, libevtx_error_t **error);
int libevtx_file_open(libevtx_file_t *file, const char *filename,
		      int access_flags, libevtx_error_t **error);
int libevtx_file_close(libevtx_file_t *file, libevtx_error_t **error);
int libevtx_file_get_number_of_records(libevtx_file_t *file, int *n,
				       libevtx_error_t **error);
int libevtx_file_get_record_by_index(libevtx_file_t *file, int index,
				     libevtx_record_t **record,
				     libevtx_error_t **error);
int libevtx_file_get_number_of_recovered_records(libevtx_file_t *file, int *n,
						 libevtx_error_t **error);
int libevtx_file_get_recovered_record_by_index(libevtx_file_t *file, int index,
					       libevtx_record_t **record,
					       libevtx_error_t **error);
int libevtx_record_free(libevtx_record_t **record, libevtx_error_t **error);
int libevtx_record_get_identifier(libevtx_record_t *record, uint64_t *id,
				  libevtx_error_t **error);
int libevtx_record_get_utf8_xml_string_size(libevtx_record_t *record,
					    size_t *size,
					    libevtx_error_t **error);
int libevtx_record_get_utf8_xml_string(libevtx_record_t *record,
				       uint8_t *utf8_string, size_t size,
				       libevtx_error_t **error);
void libevtx_error_free(libevtx_error_t **error);
int libevtx_error_sprint(libevtx_error_t *error, char *string, size_t size);
int libevtx_error_backtrace_sprint(libevtx_error_t *error, char *string,
				   size_t size);
#endif

#endif
