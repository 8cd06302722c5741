// help: hostile test: lies about which thread runs on its hart (h_forge MODE)
/*
 * h_forge MODE: a hostile program that lies in its shared region about
 * which thread runs on its hart, then traps into the kernel:
 *   nosuch   names a task record no thread of it owns
 *   huge     names an index far past the table
 *   other    forges a record claiming another process's thread (init's
 *            pid and tid) and names it
 * The kernel must refuse (kill it with a line saying why), touching no
 * other process.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "../lib/uthread.h"
#include "vdso.h"

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "nosuch";
    VDSO_DATA *v = (VDSO_DATA *)SHARED_BASE_ADDR;
    TaskSched *tasks = (TaskSched *)SHARED_TASKS_ADDR;
    uint32_t me = uthread_self()->task;
    uint32_t hart = tasks[me].hart;
    /* A slot with no thread, whose record page is mapped (slots 0..15
     * share the first page: the "other" mode writes a record there). */
    uint32_t forged = 12;
    if (strcmp(mode, "huge") == 0)
        forged = 100000;
    if (strcmp(mode, "other") == 0) {
        tasks[forged].pid = 1;                  /* init's */
        tasks[forged].tid = 1;
        tasks[forged].state = TASK_READY;
        tasks[forged].ctx[TASK_CTX_SP] = 0xffffffe080200000ULL;   /* the kernel */
        tasks[forged].ctx[TASK_CTX_RA] = 0xffffffe080200000ULL;
    }
    printf("h_forge: %s: claiming task %u runs on hart %u\n", mode, forged, hart);
    v->current[hart] = forged;
    getpid();                                   /* any trap will do */
    printf("h_forge: still running: the kernel believed it\n");
    return 0;
}
