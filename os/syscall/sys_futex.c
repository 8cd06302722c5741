/*
 * Futexes: the one blocking primitive under the user library's mutexes,
 * semaphores and condition variables.  futex_wait blocks only if the 32-bit
 * word still holds the expected value, checked under futex_lock, and
 * futex_wake takes the same lock, so a wake between the user's check and
 * the sleep cannot be lost.  Waiters are keyed by (process, address).
 */
#include "syscall/syscall.h"
#include "proc/proc.h"
#include "mm/uvm.h"
#include "trap/timer.h"
#include "uapi/errno.h"

#define BUCKETS 16

static struct spinlock futex_lock = SPINLOCK_INIT("futex");
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
 * above them. */
static uint64_t key_of(struct proc *p, uint64_t addr)
{
    return addr | (uint64_t)p->pid << 40;
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
    if (copy_from_user(&p->vm, &value, addr, sizeof(value))) {
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
    if (!uvm_range_ok(&p->vm, addr, 4, false))
        return -EFAULT;
    uint64_t key = key_of(p, addr);
    spin_lock(&futex_lock);
    int n = waitq_wake_key(bucket(key), key, (int)max < 0 ? -1 : (int)max);
    spin_unlock(&futex_lock);
    return n;
}
