// help: how threads were switched, user mode or kernel (schedstat [PID])
/*
 * schedstat [PID]: how threads were switched: in user mode (through the
 * shared runtime, without a system call) or by the kernel.  Without an
 * argument: the whole system since boot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int pid = argc > 1 ? atoi(argv[1]) : 0;
    struct schedstat s;
    if (schedstat(pid, &s) < 0) {
        printf("schedstat: %s: %s\n", argc > 1 ? argv[1] : "all", strerror(errno));
        return 1;
    }
    printf("scope: %s\n", pid ? argv[1] : "system");
    printf("user_switches_reported: %lu\n", (unsigned long)s.user_switches_reported);
    printf("user_switches_seen: %lu\n", (unsigned long)s.user_switches_seen);
    printf("yields_to_kernel_reported: %lu\n", (unsigned long)s.yields_to_kernel_reported);
    printf("yield_syscalls: %lu\n", (unsigned long)s.yield_syscalls);
    printf("kernel_switches: %lu\n", (unsigned long)s.kernel_switches);
    printf("parked_resumes: %lu\n", (unsigned long)s.parked_resumes);
    printf("shared_yields: %lu\n", (unsigned long)s.shared_yields);
    printf("sched_lock_waits: %lu\n", (unsigned long)s.sched_lock_waits);
    printf("commit_restarts: %lu\n", (unsigned long)s.commit_restarts);
    printf("tail_interrupts: %lu\n", (unsigned long)s.tail_interrupts);
    printf("tail_spared: %lu\n", (unsigned long)s.tail_spared);
    return 0;
}
