/*
 * Memory given to a process holds nothing of the frame's last owner.  The
 * kernel hands out frames it does not zero first where it overwrites them
 * whole (fork's copy, exec's pages), and zeroes the rest (sbrk, thread
 * stacks) in batches: a slip in either shows another process's bytes.
 *
 * Each case first has a child take every frame it can get and fill it
 * with DIRT, then exit: from then on every free frame held DIRT (or a
 * page table, or a kernel object) and any frame the case is given is a
 * used one.  Then memory from each way the kernel gives it must read
 * zero, and a forked copy must read exactly what its parent wrote.
 */
#include <stdbool.h>
#include <string.h>
#include <thread.h>
#include "suite.h"

#define MIB (1024L * 1024)
#define PAGE 4096L
#define DIRT 0xa5
#define DIRTY_MAX (1024 * MIB)          /* more than any machine we boot */
#define HEAP_CHECKED (16 * MIB)         /* 4096 frames: several batches */

/* A child that takes frames (heap) until the kernel says no, fills each
 * with DIRT, and exits: its frames go back, dirty.  0, or nonzero after a
 * diagnostic if the child did not end as it should. */
static int dirty_free_frames(void)
{
    int pid = fork();
    if (pid == 0) {
        for (long taken = 0; taken < DIRTY_MAX; taken += MIB) {
            char *m = sbrk(MIB);
            if (m == (char *)-1)
                exit(0);                      /* every frame is dirty now */
            memset(m, DIRT, MIB);
        }
        exit(0);
    }
    int status = -1;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return EXPECT(0, "the dirtying child: fork or waitpid: %s", strerror(errno));
    return EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the dirtying child ended with status %#x", status);
}

/* The offset of the first nonzero byte of [p, p+n), or -1. */
static long first_nonzero(const volatile unsigned char *p, long n)
{
    for (long i = 0; i < n; i++)
        if (p[i])
            return i;
    return -1;
}

/* sbrk's pages (mapped a batch of frames at a time), big and small. */
static int heap_zeroed(const struct suite_case *c)
{
    (void)c;
    if (dirty_free_frames())
        return 1;
    int bad = 0;
    for (long size = HEAP_CHECKED; size >= PAGE && !bad; size /= 64) {
        unsigned char *m = sbrk(size);
        if (m == (unsigned char *)-1)
            return EXPECT(0, "sbrk(%ld): %s", size, strerror(errno));
        long at = first_nonzero(m, size);
        bad |= EXPECT(at < 0, "sbrk(%ld): byte %ld is %#x, not 0", size, at,
                      at < 0 ? 0 : m[at]);
    }
    return bad;
}

/* A thread's stack below its sp: the pages it touches first are mapped
 * then (demand paging), the top one is kept for the slot's next thread;
 * both must read zero for a new thread, and the thread then dirties them
 * for the next one.  2 KiB just below sp are left out: the frames of
 * what ran before this function (the runtime's thread start) and of the
 * calls it makes lie there.  Returns the offset of a nonzero byte, or -1. */
#define STACK_SKIPPED 2048L
#define STACK_CHECKED (USER_THREAD_STACK - 2 * PAGE)
static void *stack_below_sp(void *arg)
{
    (void)arg;
    unsigned char *sp;
    __asm__ volatile("mv %0, sp" : "=r"(sp));
    volatile unsigned char *low = sp - STACK_SKIPPED - STACK_CHECKED;
    long at = first_nonzero(low, STACK_CHECKED);
    for (long i = 0; i < STACK_CHECKED; i++)
        low[i] = DIRT;
    return (void *)at;
}

static int stack_zeroed(const struct suite_case *c)
{
    (void)c;
    if (dirty_free_frames())
        return 1;
    int bad = 0;
    /* The second thread takes the first one's slot: its kept top page. */
    for (int round = 0; round < 2 && !bad; round++) {
        int tid = thread_create(stack_below_sp, 0);
        void *at = (void *)-2L;
        if (tid < 0 || thread_join(tid, &at) != 0)
            return EXPECT(0, "thread %d: %s", round, strerror(errno));
        bad |= EXPECT((long)at == -1,
                      "thread %d: byte %ld of its stack below sp - 2 KiB is not 0", round,
                      (long)at);
    }
    return bad;
}

/* fork copies every page into a frame it does not zero first: the child
 * must see the parent's bytes, every one, and its own fresh heap zeroed. */
#define FORK_CHECKED (4 * MIB)
static uint64_t pattern(long i)
{
    return (uint64_t)i * 0x9e3779b97f4a7c15ULL + 1;
}

static int fork_copy_exact(const struct suite_case *c)
{
    (void)c;
    uint64_t *m = sbrk(FORK_CHECKED);
    if (m == (uint64_t *)-1)
        return EXPECT(0, "sbrk: %s", strerror(errno));
    for (long i = 0; i < FORK_CHECKED / 8; i++)
        m[i] = pattern(i);
    if (dirty_free_frames())
        return 1;
    int pid = fork();
    if (pid == 0) {
        for (long i = 0; i < FORK_CHECKED / 8; i++)
            if (m[i] != pattern(i)) {
                printf("# the child's word %ld is %#lx, not the parent's %#lx\n", i,
                       (unsigned long)m[i], (unsigned long)pattern(i));
                exit(1);
            }
        unsigned char *fresh = sbrk(MIB);
        exit(fresh != (unsigned char *)-1 && first_nonzero(fresh, MIB) < 0 ? 0 : 2);
    }
    int status = -1;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return EXPECT(0, "fork or waitpid: %s", strerror(errno));
    return EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the child ended with status %#x (1: its copy differs, 2: its heap "
                  "is not zero)", status);
}

void suite_reuse_cases(void)
{
    suite_add("reuse/heap_zeroed", heap_zeroed, END_EXIT0, 0, 0);
    suite_add("reuse/stack_zeroed", stack_zeroed, END_EXIT0, 0, 0);
    suite_add("reuse/fork_copy_exact", fork_copy_exact, END_EXIT0, 0, 0);
}
