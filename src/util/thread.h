/* Starting a helper thread away from its creator's CPU.
 *
 * Linux often queues a new thread on the CPU of the thread that created
 * it, where it waits for the creator's time slice to end (3 ms on the
 * 2-vCPU development VM, against 0.1 ms on the idle CPU) while the other
 * CPUs idle. mh_thread_spawn() creates the thread with the other CPUs
 * as its affinity mask; the thread widens it to the process's CPUs as
 * soon as it runs, so the scheduler is free to move it later. When the
 * process may run on one CPU only, or the mask cannot be set, the thread
 * is created plainly. */
#ifndef MH_UTIL_THREAD_H
#define MH_UTIL_THREAD_H

#include <pthread.h>

/* Like pthread_create(*t, NULL, fn, arg): 0 or an errno value. The
 * spawn state (a few hundred bytes) is allocated and freed inside. */
int mh_thread_spawn(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
