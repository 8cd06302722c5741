// help: benchmark: instructions per thread switch (b_switch MODE [N])
/*
 * b_switch MODE [N]: instructions per switch, counted with rdinstret (run on
 * one hart, under QEMU's -icount shift=0 for numbers that repeat exactly).
 *
 *   user     two threads pass a turn with yield_(): user-mode switches
 *   kernel   two threads pass a turn with the yield system call
 *   process  two processes each call yield: every call switches address
 *            space (one system call and one process switch per switch)
 *   syscall  one thread calls yield with nothing else to run (the bare
 *            cost of the system call)
 *
 * Prints "b_switch: MODE: I instructions per switch (S switches)".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>

static volatile uint32_t *turn;
static uint32_t n = 20000;
static int use_user;

static uint64_t instret(void)
{
    uint64_t v;
    __asm__ volatile("rdinstret %0" : "=r"(v));
    return v;
}

static void pass(uint32_t me)
{
    for (uint32_t r = 0; r < n; r++) {
        while (__atomic_load_n(turn, __ATOMIC_ACQUIRE) % 2 != me) {
            if (use_user)
                yield_();
            else
                syscall_raw(SYS_yield, 0, 0, 0);
        }
        __atomic_fetch_add(turn, 1, __ATOMIC_RELEASE);
    }
}

static void *player(void *arg)
{
    pass((uint32_t)(uintptr_t)arg);
    return NULL;
}

static uint32_t shared_turn;

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "user";
    if (argc > 2)
        n = (uint32_t)atoi(argv[2]);
    turn = &shared_turn;
    uint64_t switches = 2ULL * n, start, end;
    if (strcmp(mode, "syscall") == 0) {
        start = instret();
        for (uint32_t i = 0; i < n; i++)
            syscall_raw(SYS_yield, 0, 0, 0);
        end = instret();
        switches = n;
    } else if (strcmp(mode, "process") == 0) {
        /* Two processes, each yielding: on one hart every yield switches
         * address spaces.  Counted on the hart, so the child's half is in. */
        int pid = fork();
        if (pid == 0) {
            for (uint32_t i = 0; i < n; i++)
                syscall_raw(SYS_yield, 0, 0, 0);
            exit(0);
        }
        start = instret();
        for (uint32_t i = 0; i < n; i++)
            syscall_raw(SYS_yield, 0, 0, 0);
        end = instret();
        waitpid(pid, NULL, 0);
    } else {
        use_user = strcmp(mode, "user") == 0;
        int a = thread_create(player, (void *)0), b = thread_create(player, (void *)1);
        start = instret();
        thread_join(a, NULL);
        thread_join(b, NULL);
        end = instret();
    }
    printf("b_switch: %s: %lu instructions per switch (%lu switches)\n", mode,
           (unsigned long)((end - start) / switches), (unsigned long)switches);
    return 0;
}
