/*
 * The bystander: a well-behaved process that runs beside every seed's
 * child and must never notice it.  It forks an echo process; a round
 * sends BYSTANDER_WORDS words through one pipe, the echo sends each back
 * transformed through another, and every answer is checked.  A word lost,
 * duplicated, reordered or changed, or either process killed, shows.
 */
#include <stdio.h>
#include <unistd.h>
#include "fuzz.h"

static uint64_t echo_of(uint64_t x)
{
    return x * 0x9e3779b97f4a7c15ULL + 1;
}

static bool read_word(int fd, uint64_t *w)
{
    return read(fd, w, sizeof *w) == sizeof *w;
}

static bool write_word(int fd, uint64_t w)
{
    return write(fd, &w, sizeof w) == sizeof w;
}

/* The echo: every word back, transformed, until EOF. */
static int echo(int in, int out)
{
    uint64_t w;
    while (read_word(in, &w))
        if (!write_word(out, echo_of(w)))
            return 1;
    return 0;
}

/* One round: the words out and back, each checked. */
static bool round_ok(int to_echo, int from_echo, uint64_t *next)
{
    for (int i = 0; i < BYSTANDER_WORDS; i++) {
        uint64_t w = (*next)++, back;
        if (!write_word(to_echo, w) || !read_word(from_echo, &back)) {
            printf("# bystander: the echo is gone (word %lu)\n", w);
            return false;
        }
        if (back != echo_of(w)) {
            printf("# bystander: word %lu came back as %#lx, expected %#lx\n", w, back,
                   echo_of(w));
            return false;
        }
    }
    return true;
}

static int bystander(int tick, int done)
{
    int to[2], from[2];
    if (pipe(to) < 0 || pipe(from) < 0)
        return 1;
    int pid = fork();
    if (pid == 0) {
        close(to[1]);
        close(from[0]);
        exit(echo(to[0], from[1]));
    }
    if (pid < 0)
        return 1;
    close(to[0]);
    close(from[1]);
    uint64_t next = 1;
    bool all_ok = true;
    char c;
    while (read(tick, &c, 1) == 1) {
        bool ok = round_ok(to[1], from[0], &next);
        all_ok &= ok;
        if (write(done, ok ? "o" : "x", 1) != 1)
            all_ok = false;
    }
    close(to[1]);                            /* the echo sees EOF */
    int status = -1;
    bool echo_ok = waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
                   WEXITSTATUS(status) == 0;
    if (!echo_ok)
        printf("# bystander: the echo ended with status %#x\n", status);
    return all_ok && echo_ok ? 0 : 1;
}

int fuzz_start_bystander(int *tick_fd, int *done_fd)
{
    int tick[2], done[2];
    if (pipe(tick) < 0)
        return -1;
    if (pipe(done) < 0) {
        close(tick[0]);
        close(tick[1]);
        return -1;
    }
    int pid = fork();
    if (pid == 0) {
        close(tick[1]);
        close(done[0]);
        exit(bystander(tick[0], done[1]));
    }
    close(tick[0]);
    close(done[1]);
    if (pid < 0) {
        close(tick[1]);
        close(done[0]);
        return -1;
    }
    *tick_fd = tick[1];
    *done_fd = done[0];
    return pid;
}
