/* spawn: time one command the way the benchmark needs it.
 *
 *   spawn OUT ERR CMD [ARG...]
 *
 * Runs CMD with stdout to OUT and stderr to ERR and prints one line,
 * "WALL CPU MAXRSS": seconds from just before the fork to the return
 * of wait4(), the child's user + system CPU seconds, and its peak RSS
 * in kB (the rusage fields /usr/bin/time reports). Exits with the
 * child's exit status (128 + N if signal N ended it; 127 if it could
 * not run). Timing a command from a shell with `date` before and after
 * also counts the start and end of `date` itself and of any wrapper,
 * about 2 ms a run on the benchmark machine. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double secs(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static double tv(const struct timeval *t)
{
	return (double)t->tv_sec + (double)t->tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	posix_spawn_file_actions_t fa;
	struct timespec t0, t1;
	struct rusage ru;
	pid_t pid;
	int st, err;

	if (argc < 4) {
		fprintf(stderr, "usage: spawn OUT ERR CMD [ARG...]\n");
		return 127;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, argv[1],
					 O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_addopen(&fa, 2, argv[2],
					 O_WRONLY | O_CREAT | O_TRUNC, 0644);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = posix_spawnp(&pid, argv[3], &fa, NULL, argv + 3, environ);
	if (err) {
		fprintf(stderr, "spawn: %s: %s\n", argv[3], strerror(err));
		return 127;
	}
	while (wait4(pid, &st, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("spawn: wait4");
			return 127;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	posix_spawn_file_actions_destroy(&fa);
	printf("%.6f %.4f %ld\n", secs(&t0, &t1),
	       tv(&ru.ru_utime) + tv(&ru.ru_stime), ru.ru_maxrss);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}
