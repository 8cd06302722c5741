/*
 * errno is per thread: it lives in the thread's descriptor, found through
 * tp (see uthread.h).  A global would let one thread's failing call
 * overwrite the errno another thread is about to read.
 */
#include <errno.h>
#include "uthread.h"

int *__errno_location(void)
{
    return &uthread_self()->err;
}
