/*
 * A test program's view of its own shared region (sched_abi/vdso.h): the
 * VDSO_DATA page and the TaskSched records, which the kernel and the
 * runtime write and which the hostile and white-box test programs read
 * (and forge).  Volatile: other threads of the process and the kernel
 * change them under the program's feet.
 */
#ifndef USER_LIB_SHARED_RECORDS_H
#define USER_LIB_SHARED_RECORDS_H

#include <stdint.h>
#include "vdso.h"

#define SHARED_VDSO    ((volatile VDSO_DATA *)SHARED_BASE_ADDR)
#define SHARED_RECORDS ((volatile TaskSched *)SHARED_TASKS_ADDR)

/* The record slot of thread `tid` of this process (its queue lock value is
 * the slot + 1), or -1 if no record in use names it.  Bounded by the
 * kernel's SCHED_MAX_TASKS as well as by nrecords, which the process can
 * write. */
static inline int shared_slot_of(int tid)
{
    for (uint32_t i = 0; i < SHARED_VDSO->nrecords && i < SCHED_MAX_TASKS; i++)
        if (SHARED_RECORDS[i].tid == (uint32_t)tid && SHARED_RECORDS[i].state != TASK_FREE)
            return (int)i;
    return -1;
}

#endif
