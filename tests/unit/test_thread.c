/* mh_thread_spawn(): the thread runs its function with its argument, on
 * another CPU than its creator's when there is one, and ends with the
 * process's whole CPU mask; on a process held to one CPU it still runs. */
#include "mh_test.h"
#include "util/thread.h"

#include <sched.h>
#include <stdint.h>

typedef struct seen {
	int arg;
	int cpu;
	cpu_set_t mask;
} seen;

static void *record(void *p)
{
	seen *s = p;

	s->arg++;
	s->cpu = sched_getcpu();
	CPU_ZERO(&s->mask);
	(void)pthread_getaffinity_np(pthread_self(), sizeof(s->mask), &s->mask);
	return (void *)(intptr_t)42;
}

static void test_runs_and_widens(void)
{
	cpu_set_t all;
	seen s = {.arg = 41, .cpu = -1};
	pthread_t t;
	void *ret = NULL;

	MH_CHECK(sched_getaffinity(0, sizeof(all), &all) == 0);
	MH_CHECK_EQ_INT(mh_thread_spawn(&t, record, &s), 0);
	MH_CHECK_EQ_INT(pthread_join(t, &ret), 0);
	MH_CHECK_EQ_INT((intptr_t)ret, 42);
	MH_CHECK_EQ_INT(s.arg, 42);
	MH_CHECK(s.cpu >= 0);
	/* widened again: the process's CPUs, not "all but one" */
	MH_CHECK(CPU_EQUAL(&s.mask, &all));
}

/* Several at once, as the scan's workers are started. */
static void test_many(void)
{
	seen s[4];
	pthread_t t[4];

	for (int i = 0; i < 4; i++) {
		s[i].arg = i;
		MH_CHECK_EQ_INT(mh_thread_spawn(&t[i], record, &s[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		MH_CHECK_EQ_INT(pthread_join(t[i], NULL), 0);
		MH_CHECK_EQ_INT(s[i].arg, i + 1);
	}
}

/* Held to one CPU (taskset -c N): no other CPU to start on. */
static void test_one_cpu(void)
{
	cpu_set_t all, one;
	seen s = {.arg = 0, .cpu = -1};
	pthread_t t;
	int cpu = sched_getcpu();

	MH_CHECK(cpu >= 0 && sched_getaffinity(0, sizeof(all), &all) == 0);
	if (cpu < 0)
		return;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	MH_CHECK(sched_setaffinity(0, sizeof(one), &one) == 0);
	MH_CHECK_EQ_INT(mh_thread_spawn(&t, record, &s), 0);
	MH_CHECK_EQ_INT(pthread_join(t, NULL), 0);
	MH_CHECK_EQ_INT(s.arg, 1);
	MH_CHECK_EQ_INT(s.cpu, cpu);
	MH_CHECK(CPU_EQUAL(&s.mask, &one));
	MH_CHECK(sched_setaffinity(0, sizeof(all), &all) == 0);
}

int main(void)
{
	MH_RUN(test_runs_and_widens);
	MH_RUN(test_many);
	MH_RUN(test_one_cpu);
	MH_DONE();
}
