/*
 * Futexes: the one blocking primitive under the user library's mutexes,
 * semaphores and condition variables.  futex_wait blocks only if the 32-bit
 * word still holds the expected value, checked under futex_lock, and
 * futex_wake takes the same lock, so a wake between the user's check and
 * the sleep cannot be lost.  Waiters are keyed by (process, address).
 *
 * Besides user memory, a futex word may be in the process's executor pages
 * (SHARED_EXEC_ADDR, sched/coexec.h): its workers sleep on CO_EXEC.seq,
 * which the kernel's doorbell bumps (futex_wake below).
 */
#include "syscall/syscall.h"
#include "kernel/cacheline.h"
#include "proc/proc.h"
#include "mm/uvm.h"
#include "trap/timer.h"
#include "uapi/errno.h"
#include "sched/coexec.h"

#define BUCKETS 256                 /* thousands of threads may wait at once */

/* Hot locks each start a line: not one line for two of them (kernel/cacheline.h). */
static struct spinlock futex_lock LINE_ALIGNED = SPINLOCK_INIT("futex");
static struct waitq buckets[BUCKETS];

/* The buckets' lists are set up at boot (futex_init). */
void futex_init(void)
{
    for (int i = 0; i < BUCKETS; i++)
        waitq_init(&buckets[i]);
}

static struct waitq *bucket(uint64_t key)
{
    return &buckets[(key >> 2) % BUCKETS];
}

/* Distinct per process: user addresses fit in 38 bits, so the pid goes
 * above them.  An address in the shared region (all high bits set) is
 * keyed by its offset there, with bit 39 to tell it from user memory. */
static uint64_t key_of(struct proc *p, uint64_t addr)
{
    if (addr >= SHARED_BASE_ADDR)
        addr = (addr - SHARED_BASE_ADDR) | 1ULL << 39;
    return addr | (uint64_t)p->pid << 40;
}

/* The word at addr, from user memory or from the executor pages. */
static int read_word(struct proc *p, uint64_t addr, uint32_t *value)
{
    if (addr >= SHARED_EXEC_ADDR)
        return coexec_read_u32(p, addr, value);
    return copy_from_user(&p->vm, value, addr, sizeof(*value));
}

int futex_wake(struct proc *p, uint64_t addr, int max)
{
    uint64_t key = key_of(p, addr);
    spin_lock(&futex_lock);
    int n = waitq_wake_key(bucket(key), key, max);
    spin_unlock(&futex_lock);
    return n;
}

long sys_futex_wait(uint64_t addr, uint64_t expected, uint64_t timeout_ms)
{
    struct thread *t = thread_current();
    struct proc *p = t->proc;
    if (addr % 4)
        return -EINVAL;
    if (timeout_ms > 1000ULL * 1000 * 1000)
        return -EINVAL;
    uint64_t until = timeout_ms ? timer_now_ns() + timeout_ms * 1000000ULL : 0;
    spin_lock(&futex_lock);
    uint32_t value;
    if (read_word(p, addr, &value)) {
        spin_unlock(&futex_lock);
        return -EFAULT;
    }
    if (value != (uint32_t)expected) {
        spin_unlock(&futex_lock);
        return -EAGAIN;
    }
    t->futex_key = key_of(p, addr);
    int r = waitq_sleep(bucket(t->futex_key), &futex_lock, until);
    t->futex_key = 0;
    spin_unlock(&futex_lock);
    return r;
}

long sys_futex_wake(uint64_t addr, uint64_t max, uint64_t u2)
{
    (void)u2;
    struct proc *p = thread_current()->proc;
    if (addr % 4)
        return -EINVAL;
    if (addr >= SHARED_EXEC_ADDR ? !coexec_contains(p, addr)
                                 : !uvm_range_ok(&p->vm, addr, 4, false))
        return -EFAULT;
    return futex_wake(p, addr, (int)max < 0 ? -1 : (int)max);
}
