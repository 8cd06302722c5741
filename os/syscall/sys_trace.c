/* The scheduling timeline: SYS_trace (os/uapi/timeline.h, kernel/timeline.h). */
#include "syscall/syscall.h"
#include "kernel/timeline.h"
#include "mm/uvm.h"
#include "proc/proc.h"
#include "proc/thread.h"
#include "uapi/errno.h"
#include "uapi/timeline.h"

static long read_events(struct uspace *us, uint64_t buf, uint64_t from, uint64_t count)
{
    if (count == 0 || count > TL_READ_MAX)
        return -EINVAL;
    /* The whole buffer first: a bad one fails before anything is copied. */
    if (!uvm_range_ok(us, buf, count * sizeof(struct tl_event), true))
        return -EFAULT;
    long copied = 0;
    for (uint64_t i = 0; i < count; i++) {
        struct tl_event e;
        int got = timeline_get(from + i, &e);
        if (got < 0)
            return copied ? copied : got;      /* overwritten meanwhile */
        if (got == 0)
            break;
        if (copy_to_user(us, buf + i * sizeof(e), &e, sizeof(e)) < 0)
            return -EFAULT;
        copied++;
    }
    return copied;
}

long sys_trace(uint64_t op, uint64_t buf, uint64_t from, uint64_t count)
{
    struct uspace *us = &thread_current()->proc->vm;
    switch (op) {
    case TL_OP_OFF:
        return timeline_set(false);
    case TL_OP_ON:
        return timeline_set(true);
    case TL_OP_CLEAR:
        timeline_clear();
        return 0;
    case TL_OP_STATUS: {
        struct tl_status st;
        timeline_status(&st);
        return copy_to_user(us, buf, &st, sizeof(st)) < 0 ? -EFAULT : 0;
    }
    case TL_OP_READ:
        return read_events(us, buf, from, count);
    default:
        return -EINVAL;
    }
}
