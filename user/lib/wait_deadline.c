#include <unistd.h>

/* Polls with a backoff that stops at 16 ms: a child that ends at once is
 * reaped within a millisecond, one that takes seconds costs few wakes. */
int waitpid_deadline(int pid, int *status, unsigned long timeout_s)
{
    uint64_t deadline = time() + timeout_s * 1000000000ULL;
    for (uint64_t ms = 1; time() < deadline; ms = ms < 16 ? ms * 2 : ms) {
        if (waitpid(pid, status, WNOHANG) == pid)
            return 1;
        sleep(ms);
    }
    kill(pid);
    waitpid(pid, status, 0);
    return 0;
}
