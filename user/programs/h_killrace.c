// help: test: a process killed while creating threads (h_killrace [ROUNDS])
/*
 * h_killrace [ROUNDS]: a process killed while one of its threads is
 * creating another.  In each round a child runs a thread that creates
 * threads without pause (each exits at once) while another thread ends the
 * process (exit); on several harts the kill lands, now and then, between
 * the new thread's creation and its creator handing it to the policy.
 * (The kernel once woke such a thread for the kill, and its creator then
 * queued it a second time: a panic.)  Ends with "h_killrace: PASS" if
 * every child ended as asked.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <thread.h>
#include <unistd.h>

static void *quit(void *arg)
{
    (void)arg;
    return 0;
}

static void *creator(void *arg)
{
    (void)arg;
    for (;;)
        thread_create(quit, 0);     /* failures (no slot left) are fine */
    return 0;
}

static void child(int round)
{
    thread_create(creator, 0);
    thread_create(creator, 0);
    /* Let the creators get going, a little longer each round. */
    for (volatile int i = 0; i < 2000 * (round % 16); i++)
        ;
    exit(7);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 200;
    int bad = 0;
    for (int r = 0; r < rounds; r++) {
        int pid = fork();
        if (pid == 0)
            child(r);
        int status = 0;
        if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 7) {
            printf("h_killrace: round %d: child %d ended with status %#x\n", r, pid, status);
            bad++;
        }
    }
    printf("h_killrace: %d rounds, %d bad\n", rounds, bad);
    printf("h_killrace: %s\n", bad ? "FAIL" : "PASS");
    return bad != 0;
}
