// help: test: sleep lasts what was asked
/*
 * t_sleep: sleep(ms) measured with time().  Each sleep must last at least
 * what was asked and not much more (SLACK_MS: a few timer ticks).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#define SLACK_MS 60

static bool measure(uint64_t ms)
{
    uint64_t t0 = time();
    int r = sleep(ms);
    uint64_t ns = time() - t0;
    bool ok = r == 0 && ns >= ms * 1000000 && ns < (ms + SLACK_MS) * 1000000;
    printf("t_sleep: sleep(%lu) took %lu.%03lu ms (%s)\n", (unsigned long)ms,
           (unsigned long)(ns / 1000000), (unsigned long)(ns / 1000 % 1000),
           ok ? "ok" : r != 0 ? "sleep failed" : "out of range");
    return ok;
}

int main(void)
{
    bool ok = measure(100);
    ok &= measure(250);
    if (!ok) {
        printf("t_sleep: FAIL (want >= requested and < requested + %d ms)\n",
               SLACK_MS);
        return 1;
    }
    printf("t_sleep: PASS\n");
    return 0;
}
