/* See thread.h. */
#include "util/thread.h"

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>

typedef struct spawn {
	void *(*fn)(void *);
	void *arg;
	bool widen;
	cpu_set_t cpus; /* the process's CPUs */
} spawn;

static void *trampoline(void *p)
{
	spawn s = *(spawn *)p;

	free(p);
	if (s.widen)
		(void)pthread_setaffinity_np(pthread_self(), sizeof(s.cpus),
					     &s.cpus);
	return s.fn(s.arg);
}

int mh_thread_spawn(pthread_t *t, void *(*fn)(void *), void *arg)
{
	spawn *s = malloc(sizeof(*s));
	pthread_attr_t at;
	cpu_set_t other;
	int self = sched_getcpu(), rc;

	if (!s)
		return ENOMEM;
	s->fn = fn;
	s->arg = arg;
	s->widen = false;
	if (pthread_attr_init(&at) != 0) {
		free(s);
		return ENOMEM;
	}
	if (self >= 0 && sched_getaffinity(0, sizeof(s->cpus), &s->cpus) == 0) {
		other = s->cpus;
		CPU_CLR(self, &other);
		s->widen = CPU_COUNT(&other) > 0 &&
			   pthread_attr_setaffinity_np(&at, sizeof(other),
						       &other) == 0;
	}
	rc = pthread_create(t, &at, trampoline, s);
	if (rc != 0 && s->widen) {
		/* a mask the system refuses (a cpuset, say): plainly */
		s->widen = false;
		rc = pthread_create(t, NULL, trampoline, s);
	}
	pthread_attr_destroy(&at);
	if (rc != 0)
		free(s);
	return rc;
}
