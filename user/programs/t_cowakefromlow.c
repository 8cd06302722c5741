// help: test: a LOW coroutine that wakes a HIGH one, its worker the only one, gets it run
/*
 * t_cowakefromlow: the raise of "No worker left below the work"
 * (docs/coroutines.md) passes over the waker: in the process the caller
 * of the wake, in the kernel the thread whose own system call completed
 * the operation.  But when the waker is the only worker below the work,
 * and its poll goes on after the wake, nobody was raised: the worker, at
 * LOW, lost its hart to a thread of the process that yields at HIGH, and
 * never came back to poll the coroutine it woke.
 *
 * One worker W (co_workers(2)); main at HIGH.  H, at HIGH, waits: for an
 * event ("event": W's own co_event_set, the runtime's raise), or in an
 * asynchronous read of a pipe ("write": W's own write() completes it, the
 * kernel's raise).  L, at LOW, on W: wakes H, then goes on with its poll
 * for SPIN_MS.  Main sleeps (blocked) until L has woken H, then yields
 * at HIGH (with a thread per other hart) until H has run, BOUND_S at
 * most.
 *
 * Prints one line per check and "t_cowakefromlow: PASS" or "FAIL".
 */
#include <coroutine.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>
#include <yielders.h>

#define HIGH     10
#define LOW      1
#define SPIN_MS  300
#define BOUND_S  10
#define MS       1000000ULL

static volatile int woke, high_ran;
static struct co_event ev;
static int fds[2];
static bool by_write;

struct reader {
    struct co co;
    char byte;
    long got;
};

static int high(struct co *c)
{
    struct reader *f = (struct reader *)c;
    co_begin(c);
    if (by_write)
        co_read(c, f->got, fds[0], &f->byte, 1);
    else
        co_await_event(c, &ev);
    high_ran = 1;
    co_return(c, 0);
    co_end(c);
}

/* L: wakes H from W, then its poll goes on. */
static int low(struct co *c)
{
    (void)c;
    if (by_write) {
        char b = 'x';
        if (write(fds[1], &b, 1) != 1)
            return CO_READY;
    } else {
        co_event_set(&ev);
    }
    woke = 1;
    uint64_t end = (uint64_t)time() + SPIN_MS * MS;
    while ((uint64_t)time() < end)
        ;
    return CO_READY;
}

static bool check(const char *name, bool write_kind)
{
    by_write = write_kind;
    woke = high_ran = 0;
    co_event_init(&ev);
    static struct reader h;
    static struct co l;
    memset(&h, 0, sizeof h);
    memset(&l, 0, sizeof l);
    if (write_kind && pipe(fds) < 0) {
        printf("t_cowakefromlow: %s: pipe failed\n", name);
        return false;
    }
    cid_t hid = co_spawn(high, &h.co, HIGH);
    for (int i = 0; i < 2000 && hid != CO_NONE && co_polls(hid) < 1; i++)
        sleep(1);           /* waiting, on the event or in its read */
    cid_t lid = co_spawn(low, &l, LOW);
    for (int i = 0; i < BOUND_S * 1000 && !woke; i++)
        sleep(1);
    if (hid == CO_NONE || lid == CO_NONE || !woke) {
        printf("t_cowakefromlow: %s: setup failed\n", name);
        return false;
    }
    struct yielders y;
    yielders_start(&y);
    uint64_t yields = yield_until(&high_ran, BOUND_S * 1000 * MS);
    bool ran = high_ran != 0;
    yielders_stop(&y);
    printf("t_cowakefromlow: %s: the HIGH coroutine %s after %lu yields\n", name,
           ran ? "ran" : "never ran", (unsigned long)yields);
    co_join(hid, 0);
    co_join(lid, 0);
    if (write_kind) {
        close(fds[0]);
        close(fds[1]);
    }
    return ran;
}

int main(void)
{
    if (set_priority(0, HIGH) < 0 || co_workers(2) < 0) {
        printf("t_cowakefromlow: set_priority or co_workers failed\n");
        return 1;
    }
    bool ok = check("event", false);
    ok = check("write", true) && ok;
    printf("t_cowakefromlow: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
