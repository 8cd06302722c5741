// help: test: a faulting process is ended, not the machine
/*
 * t_fault: a process that faults is ended by the kernel, not the machine.
 *
 * Without arguments it is the parent: it spawns itself once per mode and
 * checks that waitpid reports each child as ended by the kernel with
 * TERM_FAULT (WIFSIGNALED), not as a normal exit.  A control mode exits 7
 * and must be reported as a normal exit.  With a mode argument it is the
 * child and does the bad thing.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>

#define KADDR 0xffffffe080200000UL

int main(int argc, char **argv);

/* A `ret` instruction in a data page: runnable only if data were X. */
static uint32_t data_code[1] = { 0x00008067 };

static void *fault_in_thread(void *arg)
{
    (void)arg;
    *(volatile int *)0 = 1;
    return NULL;
}

/* Grows the stack by a KiB a call until it runs into the guard page under
 * it: the stack's pages come on demand, the guard page never does. */
static int overflow(int depth)
{
    volatile char frame[1024];
    frame[0] = (char)depth;
    frame[sizeof frame - 1] = (char)depth;
    /* 1 GiB deep: far past any stack (and no endless recursion to warn of). */
    return depth < (1 << 20) ? overflow(depth + 1) + frame[0] : 0;
}

static void *overflow_in_thread(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)overflow(0);
}

/* The stack of a slot no thread has (a sibling that has exited): its
 * pages went with the thread (but the top one, kept for the slot's next
 * thread), and touching them faults. */
static void *report_deep_page(void *arg)
{
    volatile char deep[16 * 1024];
    deep[0] = 1;                       /* a page 12 KiB or more under the top */
    *(uintptr_t *)arg = (uintptr_t)&deep[0];
    return NULL;
}

/* The child: does what the mode says.  Returning means it did not fault. */
static int child(const char *mode)
{
    if (strcmp(mode, "null_store") == 0) {
        *(volatile int *)0 = 42;
    } else if (strcmp(mode, "jump_unmapped") == 0) {
        void (*f)(void) = (void (*)(void))0x1000;  /* below the program */
        f();
    } else if (strcmp(mode, "illegal") == 0) {
        __asm__ volatile("unimp");
    } else if (strcmp(mode, "text_write") == 0) {
        *(volatile uint32_t *)(uintptr_t)main = 0;
    } else if (strcmp(mode, "kernel_read") == 0) {
        printf("t_fault: read %lx\n", *(volatile unsigned long *)KADDR);
    } else if (strcmp(mode, "exec_data") == 0) {
        void (*f)(void) = (void (*)(void))(uintptr_t)data_code;
        f();
    } else if (strcmp(mode, "thread_fault") == 0) {
        /* A fault in any thread ends the whole process. */
        int tid = thread_create(fault_in_thread, NULL);
        thread_join(tid, NULL);
    } else if (strcmp(mode, "stack_overflow") == 0) {
        overflow(0);
    } else if (strcmp(mode, "thread_overflow") == 0) {
        int tid = thread_create(overflow_in_thread, NULL);
        thread_join(tid, NULL);
    } else if (strcmp(mode, "dead_stack") == 0) {
        uintptr_t sp = 0;
        int tid = thread_create(report_deep_page, &sp);
        thread_join(tid, NULL);
        printf("t_fault: reading the exited thread's stack at 0x%lx\n", (unsigned long)sp);
        printf("t_fault: read %d\n", *(volatile char *)sp);
    } else if (strcmp(mode, "exit7") == 0) {
        return 7;
    } else {
        printf("t_fault: unknown mode %s\n", mode);
        return 2;
    }
    printf("t_fault: %s did not fault\n", mode);
    return 3;
}

static const char *const fault_modes[] = {
    "null_store", "jump_unmapped", "illegal", "text_write", "kernel_read",
    "exec_data", "thread_fault", "stack_overflow", "thread_overflow", "dead_stack",
};

/* Spawns a child in `mode` and returns its waitpid status (-1 on error). */
static int run_child(const char *mode)
{
    char *args[] = { "t_fault", (char *)mode, NULL };
    int pid = spawn("t_fault", args);
    if (pid < 0) {
        printf("t_fault: spawn: %s\n", strerror(errno));
        return -1;
    }
    int status;
    if (waitpid(pid, &status, 0) != pid) {
        printf("t_fault: waitpid: %s\n", strerror(errno));
        return -1;
    }
    return status;
}

static void describe(char *buf, size_t size, int status)
{
    if (status == -1)
        snprintf(buf, size, "not run");
    else if (WIFSIGNALED(status))
        snprintf(buf, size, "killed (%s)", WTERMSIG(status) == TERM_FAULT ?
                 "fault" : WTERMSIG(status) == TERM_KILLED ? "killed" : "other");
    else
        snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return child(argv[1]);

    int failures = 0;
    char what[48];
    for (size_t i = 0; i < sizeof fault_modes / sizeof fault_modes[0]; i++) {
        int status = run_child(fault_modes[i]);
        bool ok = status != -1 && WIFSIGNALED(status) &&
                  WTERMSIG(status) == TERM_FAULT;
        describe(what, sizeof what, status);
        printf("t_fault: %-14s -> %s %s\n", fault_modes[i], what,
               ok ? "ok" : "WRONG (expected killed (fault))");
        failures += !ok;
    }
    int status = run_child("exit7");
    bool ok = status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 7;
    describe(what, sizeof what, status);
    printf("t_fault: %-14s -> %s %s\n", "exit7", what,
           ok ? "ok" : "WRONG (expected exited with status 7)");
    failures += !ok;

    if (failures) {
        printf("t_fault: FAIL (%d modes wrong)\n", failures);
        return 1;
    }
    printf("t_fault: PASS\n");
    return 0;
}
