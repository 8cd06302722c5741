// help: test: threads that exit unjoined do not use up the kernel
/*
 * h_threadleak: a process whose threads exit without being joined must not
 * use up the kernel (kernel stacks, task records) while it lives.
 *
 *   h_threadleak [count]   (default 300; more than the kernel's 4096 task
 *                          records, e.g. 5000, shows they are reused)
 *
 * Starts `count` threads that exit at once, never joined, then checks that
 * the kernel's thread count is back where it was, that another process can
 * still be started, that a late join still gets each thread's value, and
 * that a second join of the same thread fails with ESRCH.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>

static void *exit_at_once(void *arg)
{
    return arg;
}

static uint64_t kernel_threads(void)
{
    struct sysinfo si;
    return sysinfo(&si) == 0 ? si.nthreads : 0;
}

int main(int argc, char **argv)
{
    int count = argc > 1 ? atoi(argv[1]) : 300;
    if (count < 10) {
        printf("usage: h_threadleak [count >= 10]\n");
        return 2;
    }
    uint64_t before = kernel_threads();
    int *tids = malloc(sizeof(int) * (size_t)count);
    if (!tids)
        return 3;
    for (int i = 0; i < count; i++) {
        /* At most 4096 live threads in the system: when they are all
         * still on their way out, wait for one. */
        int tries = 0;
        while ((tids[i] = thread_create(exit_at_once, (void *)(intptr_t)(i + 1))) < 0 &&
               errno == EAGAIN && tries++ < 10000)
            yield();
        if (tids[i] < 0) {
            printf("h_threadleak: thread %d of %d: %s (kernel threads: %lu)\n", i, count,
                   strerror(errno), (unsigned long)kernel_threads());
            printf("h_threadleak: FAIL\n");
            return 1;
        }
    }
    /* All of them exit promptly; their kernel side goes with them. */
    uint64_t deadline = time() + 20ULL * 1000000000;
    while (kernel_threads() > before && time() < deadline)
        sleep(10);
    uint64_t after = kernel_threads();
    printf("h_threadleak: %d threads exited unjoined; kernel threads %lu before, %lu after\n",
           count, (unsigned long)before, (unsigned long)after);
    bool ok = after == before;

    char *echo[] = { "echo", "h_threadleak: another process still starts", NULL };
    int pid = spawn("echo", echo), status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
        printf("h_threadleak: spawn failed: %s\n", strerror(errno));
        ok = false;
    }
    int late_ok = 0;
    for (int i = count - 10; i < count; i++) {
        void *value = NULL;
        if (thread_join(tids[i], &value) == 0 && value == (void *)(intptr_t)(i + 1))
            late_ok++;
    }
    printf("h_threadleak: %d of 10 late joins got their thread's value\n", late_ok);
    ok &= late_ok == 10;
    errno = 0;
    int again = thread_join(tids[count - 1], NULL);
    printf("h_threadleak: a second join: %s\n", again < 0 ? strerror(errno) : "succeeded");
    ok &= again < 0 && errno == ESRCH;
    printf("h_threadleak: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
