// help: memory, processes, threads, harts, uptime and policy
/* sysinfo: prints struct sysinfo, one "key: value" line per field. */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    struct sysinfo si;
    if (sysinfo(&si) < 0) {
        perror("sysinfo");
        return 1;
    }
    printf("free_frames: %lu\n", (unsigned long)si.free_frames);
    printf("total_frames: %lu\n", (unsigned long)si.total_frames);
    printf("nprocs: %lu\n", (unsigned long)si.nprocs);
    printf("nthreads: %lu\n", (unsigned long)si.nthreads);
    printf("harts: %lu\n", (unsigned long)si.harts);
    printf("uptime_ns: %lu\n", (unsigned long)si.uptime_ns);
    printf("sched_name: %.*s\n", (int)sizeof si.sched_name, si.sched_name);
    printf("sched_flags: %lu\n", (unsigned long)si.sched_flags);
    printf("heap_bytes: %lu\n", (unsigned long)si.heap_bytes);
    printf("heap_frames: %lu\n", (unsigned long)si.heap_frames);
    return 0;
}
