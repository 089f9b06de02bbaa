/* anchors: raw-scan speed limits on one NDJSON file, single-threaded,
 * warm page cache. They bound what any scanner of the file can reach.
 *
 *   anchors [--reps N] [--key KEY] FILE
 *
 * (a) lines:  mmap + memchr('\n') line count;
 * (b) ports:  per line, find the destination-port key (Defender
 *     `"RemotePort":`, Sysmon `"DestinationPort":"`; chosen from the first
 *     line unless --key is given), parse the number and count lines on
 *     the 7 Sentinel mail ports. The key is searched from the start of
 *     each line; the rest of the line is then skipped with memchr.
 *
 * Each anchor runs once untimed (to fault the mapping in), then --reps
 * times (default 5); the median is printed:
 *   ANCHOR name=lines seconds=0.123 gbps=8.7 lines=1700000
 *   ANCHOR name=ports seconds=0.321 gbps=3.3 lines=1700000 mail=30000 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct res {
	uint64_t lines, mail;
} res;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static res count_lines(const char *p, size_t n)
{
	const char *end = p + n;
	res r = {0, 0};

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			break;
		r.lines++;
		p = nl + 1;
	}
	return r;
}

static int mail_port(unsigned v)
{
	switch (v) {
	case 25:
	case 465:
	case 587:
	case 110:
	case 995:
	case 143:
	case 993:
		return 1;
	default:
		return 0;
	}
}

/* Per line: memmem for the key within the line, parse up to 5 digits. */
static res count_ports(const char *p, size_t n, const char *key, size_t kn)
{
	const char *end = p + n;
	res r = {0, 0};

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *k;

		if (!nl)
			nl = end;
		k = memmem(p, (size_t)(nl - p), key, kn);
		if (k) {
			const char *d = k + kn;
			unsigned v = 0;
			int nd = 0;

			while (d < nl && nd < 6 && *d >= '0' && *d <= '9') {
				v = v * 10 + (unsigned)(*d - '0');
				d++;
				nd++;
			}
			if (nd && nd < 6 && mail_port(v))
				r.mail++;
		}
		r.lines++;
		p = nl + 1;
	}
	return r;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *path = NULL, *key = NULL;
	int reps = 5, fd;
	struct stat st;
	char *map;
	size_t n;
	double t[64];
	res r = {0, 0};

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
			reps = (int)strtol(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--key") && i + 1 < argc) {
			key = argv[++i];
		} else if (argv[i][0] != '-' && !path) {
			path = argv[i];
		} else {
			fprintf(stderr,
				"usage: anchors [--reps N] [--key KEY] FILE\n");
			return 2;
		}
	}
	if (!path || reps < 1 || reps > 64) {
		fprintf(stderr, "usage: anchors [--reps N] [--key KEY] FILE\n");
		return 2;
	}
	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "anchors: %s: %s\n", path, strerror(errno));
		return 1;
	}
	n = (size_t)st.st_size;
	if (!n) {
		fprintf(stderr, "anchors: %s: empty\n", path);
		return 1;
	}
	map = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		fprintf(stderr, "anchors: mmap: %s\n", strerror(errno));
		return 1;
	}
	madvise(map, n, MADV_SEQUENTIAL);
	if (!key) {
		const char *nl = memchr(map, '\n', n);
		size_t ln = nl ? (size_t)(nl - map) : n;

		key = memmem(map, ln, "\"RemotePort\":", 13)
			  ? "\"RemotePort\":"
			  : "\"DestinationPort\":\"";
	}

	/* (a) */
	r = count_lines(map, n);
	for (int i = 0; i < reps; i++) {
		double t0 = now_s();

		r = count_lines(map, n);
		t[i] = now_s() - t0;
	}
	qsort(t, (size_t)reps, sizeof(t[0]), cmp_d);
	printf("ANCHOR name=lines seconds=%.4f gbps=%.3f lines=%llu\n",
	       t[reps / 2], (double)n / t[reps / 2] / 1e9,
	       (unsigned long long)r.lines);

	/* (b) */
	r = count_ports(map, n, key, strlen(key));
	for (int i = 0; i < reps; i++) {
		double t0 = now_s();

		r = count_ports(map, n, key, strlen(key));
		t[i] = now_s() - t0;
	}
	qsort(t, (size_t)reps, sizeof(t[0]), cmp_d);
	printf("ANCHOR name=ports seconds=%.4f gbps=%.3f lines=%llu mail=%llu "
	       "key=%s\n",
	       t[reps / 2], (double)n / t[reps / 2] / 1e9,
	       (unsigned long long)r.lines, (unsigned long long)r.mail, key);
	munmap(map, n);
	close(fd);
	return 0;
}
