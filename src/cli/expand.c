/* Expand command-line inputs: a directory stands for the regular files
 * below it (recursively, sorted by name, hidden entries skipped), so a
 * Zeek log directory or an export folder can be scanned as it is. */
#include "cli/cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define EXPAND_MAX_DEPTH 16
#define EXPAND_MAX_FILES 1000000

typedef struct plist {
	char **v;
	size_t n, cap;
} plist;

static bool plist_push(plist *l, char *s)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 16;
		char **v = realloc(l->v, nc * sizeof(*v));
		if (!v)
			return false;
		l->v = v;
		l->cap = nc;
	}
	l->v[l->n++] = s;
	return true;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *join(const char *dir, const char *name)
{
	size_t dn = strlen(dir), nn = strlen(name);
	bool slash = dn && dir[dn - 1] == '/';
	char *p = malloc(dn + !slash + nn + 1);

	if (!p)
		return NULL;
	memcpy(p, dir, dn);
	if (!slash)
		p[dn++] = '/';
	memcpy(p + dn, name, nn + 1);
	return p;
}

/* Append the files below dir to out. Returns an exit code. */
static int walk(const char *dir, int depth, plist *out)
{
	plist names = {0};
	struct dirent *de;
	DIR *d;
	int code = MH_EXIT_OK;

	if (depth > EXPAND_MAX_DEPTH) {
		fprintf(stderr,
			"mailhunt: %s: directories nested deeper "
			"than %d are not read\n",
			dir, EXPAND_MAX_DEPTH);
		return MH_EXIT_OK;
	}
	d = opendir(dir);
	if (!d) {
		fprintf(stderr, "mailhunt: %s: cannot read directory: %s\n",
			dir, strerror(errno));
		return MH_EXIT_INPUT;
	}
	while ((de = readdir(d)) != NULL) {
		char *p;
		if (de->d_name[0] == '.')
			continue; /* ., .., hidden files */
		p = join(dir, de->d_name);
		if (!p || !plist_push(&names, p)) {
			free(p);
			code = MH_EXIT_INTERNAL;
			break;
		}
	}
	closedir(d);
	if (names.n)
		qsort(names.v, names.n, sizeof(*names.v), cmp_str);
	for (size_t i = 0; i < names.n; i++) {
		struct stat sb;
		char *p = names.v[i];
		names.v[i] = NULL;
		if (code != MH_EXIT_OK && code != MH_EXIT_INPUT) {
			free(p);
			continue;
		}
		if (stat(p, &sb) != 0) {
			fprintf(stderr, "mailhunt: %s: %s\n", p,
				strerror(errno));
			code = MH_EXIT_INPUT;
			free(p);
		} else if (S_ISDIR(sb.st_mode)) {
			int c = walk(p, depth + 1, out);
			if (c != MH_EXIT_OK)
				code = c;
			free(p);
		} else if (!S_ISREG(sb.st_mode)) {
			free(p); /* sockets, fifos, devices below a directory */
		} else if (out->n >= EXPAND_MAX_FILES) {
			fprintf(stderr, "mailhunt: more than %d input files\n",
				EXPAND_MAX_FILES);
			free(p);
			code = MH_EXIT_USAGE;
		} else if (!plist_push(out, p)) {
			free(p);
			code = MH_EXIT_INTERNAL;
		}
	}
	free(names.v);
	return code;
}

int mh_cli_expand_inputs(char *const *args, size_t n, char ***out, size_t *nout)
{
	plist l = {0};
	int code = MH_EXIT_OK;

	for (size_t i = 0; i < n; i++) {
		struct stat sb;
		if (strcmp(args[i], "-") != 0 && stat(args[i], &sb) == 0 &&
		    S_ISDIR(sb.st_mode)) {
			int c = walk(args[i], 0, &l);
			if (c != MH_EXIT_OK && code == MH_EXIT_OK)
				code = c;
			continue;
		}
		/* files, "-", and paths that do not exist (the reader
		 * reports those with their name) */
		char *p = strdup(args[i]);
		if (!p || !plist_push(&l, p)) {
			free(p);
			code = MH_EXIT_INTERNAL;
			break;
		}
	}
	if (code == MH_EXIT_INTERNAL) {
		mh_cli_free_inputs(l.v, l.n);
		return code;
	}
	*out = l.v;
	*nout = l.n;
	return code;
}

void mh_cli_free_inputs(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
