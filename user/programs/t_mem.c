// help: test: memory goes back to the kernel after a process exits
/*
 * t_mem: memory goes back to the kernel.  The parent reads free_frames,
 * spawns itself as a child that mallocs and touches CHILD_MIB MiB, waits
 * for it, and reads free_frames again: the numbers must be equal.  A first
 * child runs unmeasured, so kernel caches (process structures, stacks) are
 * warm before the measured run.
 *
 * The child checks that the memory was really taken from the kernel: its
 * free_frames reading drops by at least the frames it touched.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHILD_MIB   4
#define PIECE       (256 * 1024)
#define PAGE        4096

static uint64_t free_frames(void)
{
    struct sysinfo si;
    return sysinfo(&si) == 0 ? si.free_frames : 0;
}

static int child(void)
{
    uint64_t before = free_frames();
    enum { NPIECES = CHILD_MIB * 1024 * 1024 / PIECE };
    uint8_t *pieces[NPIECES];
    for (int i = 0; i < NPIECES; i++) {
        pieces[i] = malloc(PIECE);
        if (!pieces[i]) {
            printf("t_mem: child: malloc: %s\n", strerror(errno));
            return 1;
        }
        for (size_t off = 0; off < PIECE; off += PAGE)
            pieces[i][off] = (uint8_t)(i + off / PAGE);
    }
    uint64_t during = free_frames();
    int bad = 0;
    for (int i = 0; i < NPIECES; i++)
        for (size_t off = 0; off < PIECE; off += PAGE)
            bad += pieces[i][off] != (uint8_t)(i + off / PAGE);
    printf("t_mem: child touched %d MiB: free_frames %lu -> %lu\n", CHILD_MIB,
           (unsigned long)before, (unsigned long)during);
    uint64_t touched = CHILD_MIB * 1024 * 1024 / PAGE;
    if (bad || during + touched > before) {
        printf("t_mem: child: %s\n", bad ? "memory lost its contents" :
               "free_frames did not drop by the memory touched");
        return 1;
    }
    return 0;
}

static int run_child(void)
{
    char *args[] = { "t_mem", "child", NULL };
    int pid = spawn("t_mem", args), status = -1;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        printf("t_mem: running the child: %s\n", strerror(errno));
        return -1;
    }
    return status;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "child") == 0)
        return child();

    run_child();                        /* warm-up, not measured */
    uint64_t before = free_frames();
    int status = run_child();
    uint64_t after = free_frames();
    printf("t_mem: free_frames before %lu, after %lu\n",
           (unsigned long)before, (unsigned long)after);
    bool child_ok = status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!child_ok || before != after || before == 0) {
        printf("t_mem: FAIL (%s)\n", !child_ok ? "the child failed" :
               before == 0 ? "sysinfo failed" : "frames were not returned");
        return 1;
    }
    printf("t_mem: PASS\n");
    return 0;
}
