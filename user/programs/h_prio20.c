// help: hostile test: tries every way above its priority ceiling
/*
 * h_prio20 [THREADS]: a hostile program.  It tries every way it has to get
 * above its priority ceiling (set_priority(20), raising its own ceiling,
 * raising its parent's, spawning a child with a higher one), prints what
 * each attempt got, then takes the highest priority it can and spins
 * forever on THREADS threads (default: two per hart) and its main thread.
 * Under a strict-priority policy that once kept the shell from ever
 * running; the ceiling must keep it below whoever started it.  Only kill()
 * ends it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <thread.h>
#include <unistd.h>

#define MAX_THREADS 32

static int best_priority;

static const char *outcome(int r)
{
    return r < 0 ? errname(errno) : "accepted";
}

static void *spin(void *arg)
{
    (void)arg;
    set_priority(0, best_priority);     /* as high as it may, in case */
    for (;;)
        __asm__ volatile("" ::: "memory");
    return NULL;
}

int main(int argc, char **argv)
{
    struct sysinfo si;
    sysinfo(&si);
    int n = argc > 1 ? atoi(argv[1]) : 2 * (int)si.harts;
    if (n < 0 || n > MAX_THREADS) {
        printf("usage: h_prio20 [THREADS 0..%d]\n", MAX_THREADS);
        return 2;
    }
    int ceiling = get_ceiling(0);
    printf("h_prio20: ceiling %d, priority %d\n", ceiling, get_priority(0));

    errno = 0;
    printf("h_prio20: set_priority(self, 20) -> %s\n", outcome(set_priority(0, 20)));
    errno = 0;
    printf("h_prio20: set_ceiling(self, 20) -> %s\n", outcome(set_ceiling(0, 20)));
    errno = 0;
    printf("h_prio20: set_ceiling(parent, 20) -> %s\n",
           outcome(set_ceiling(getppid(), 20)));
    char *child_argv[] = { "echo", "h_prio20: a child got past the ceiling", NULL };
    errno = 0;
    int child = spawn_prio("echo", child_argv, 20, 20);
    printf("h_prio20: spawn with ceiling 20 -> %s\n", outcome(child));
    if (child > 0)
        waitpid(child, NULL, 0);

    for (best_priority = MAX_PRIORITY; best_priority > MIN_PRIORITY; best_priority--)
        if (set_priority(0, best_priority) == 0)
            break;
    for (int i = 0; i < n; i++)
        if (thread_create(spin, NULL) < 0) {
            perror("h_prio20: thread_create");
            return 1;
        }
    printf("h_prio20: %d threads spinning at priority %d (ceiling %d)\n", n + 1,
           get_priority(0), get_ceiling(0));
    spin(NULL);
    return 0;                           /* never reached */
}
