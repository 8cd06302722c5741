// help: test: a ring whose wake went to co_join's sleeping run, which then ends, still gets a worker
/*
 * t_cojoinbell: co_join's run sleeps on CO_EXEC.seq beside the workers,
 * so a ring of the doorbell (an asynchronous read completed) may wake it
 * and nobody else: the kernel wakes one sleeper, and raises a worker only
 * when it woke none.  If the joined coroutine ends before that run looks
 * again, the run is over and ends without taking the doorbell in: the
 * rung coroutine waits, with no worker woken or raised for it.
 *
 * One worker W (co_workers(2)); the process's ceiling lowered to HIGH, so
 * that a thread woken from the executor's sleep (at the ceiling) does not
 * take the hart from another at HIGH.  H, at HIGH, waits in a co_read of
 * a pipe; U, at HIGH, waits for an event nobody sets; L, at LOW, on W,
 * spins until main yields and SPIN_MS more (W is awake, at LOW).  Thread
 * J joins U and sleeps in its run.  Thread R then writes the byte H reads
 * (the ring: J woken) and cancels U (done).  J's run is over; main yields
 * at HIGH (with a thread per other hart) until H has run, BOUND_S at
 * most.  Without a worker raised for H, W never gets the hart back on one
 * hart under a priority policy.
 *
 * The line says whether the order was reached ("the ring's wake went to
 * the joiner: yes": J asleep before the write, not yet run after the
 * cancel, and the doorbell not taken in between); it is certain on one
 * hart under a priority policy.  Prints "t_cojoinbell: PASS" or "FAIL".
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

#define EXEC ((const CO_EXEC *)SHARED_EXEC_ADDR)

struct reader {
    struct co co;
    char byte;
    long got;
};

static int fds[2];
static struct co_event never;           /* U waits for it; nobody sets it */
static volatile int h_ran, l_started, l_go;
static cid_t uid;
static volatile bool to_joiner;         /* the order was reached */

static bool before(uint64_t deadline)
{
    return (uint64_t)time() < deadline;
}

static int high(struct co *c)
{
    struct reader *f = (struct reader *)c;
    co_begin(c);
    co_read(c, f->got, fds[0], &f->byte, 1);
    h_ran = 1;
    co_return(c, 0);
    co_end(c);
}

static int waits_for_ever(struct co *c)
{
    co_begin(c);
    co_await_event(c, &never);
    co_end(c);
}

/* L: keeps W awake at LOW until main yields, then SPIN_MS more. */
static int low(struct co *c)
{
    (void)c;
    l_started = 1;
    uint64_t end = (uint64_t)time() + BOUND_S * 1000 * MS;
    while (!l_go && before(end))
        ;
    end = (uint64_t)time() + SPIN_MS * MS;
    while (before(end))
        ;
    return CO_READY;
}

static void *joiner(void *arg)
{
    (void)arg;
    co_join(uid, 0);
    return 0;
}

/* R: the ring (J, the only thread asleep on seq, woken), then U done. */
static void *ringer(void *arg)
{
    (void)arg;
    uint32_t asleep = EXEC->sleepers;
    uint64_t bells = EXEC->bells;
    char b = 'x';
    if (write(fds[1], &b, 1) != 1)
        return 0;
    co_cancel(uid);
    to_joiner = asleep == 1 && EXEC->sleepers == 1 && EXEC->bells == bells && !h_ran;
    return 0;
}

/* Waits (asleep: W may run) until *word reads want, BOUND_S at most. */
static bool wait_until(const volatile uint32_t *word, uint32_t want)
{
    for (int i = 0; i < BOUND_S * 1000 && *word != want; i++)
        sleep(1);
    return *word == want;
}

int main(void)
{
    if (set_priority(0, HIGH) < 0 || set_ceiling(0, HIGH) < 0 || co_workers(2) < 0 ||
        pipe(fds) < 0) {
        printf("t_cojoinbell: setup calls failed\n");
        return 1;
    }
    static struct reader h;
    static struct co u, l;
    cid_t hid = co_spawn(high, &h.co, HIGH);
    uid = co_spawn(waits_for_ever, &u, HIGH);
    /* Both polled once (waiting), W asleep again. */
    for (int i = 0; i < BOUND_S * 1000 && (co_polls(hid) < 1 || co_polls(uid) < 1); i++)
        sleep(1);
    bool set_up = hid != CO_NONE && uid != CO_NONE && wait_until(&EXEC->sleepers, 1);
    cid_t lid = co_spawn(low, &l, LOW);
    for (int i = 0; i < BOUND_S * 1000 && !l_started; i++)
        sleep(1);
    set_up = set_up && lid != CO_NONE && l_started && wait_until(&EXEC->sleepers, 0);
    int jid = set_up ? thread_create(joiner, 0) : -1;
    set_up = jid >= 0 && wait_until(&EXEC->sleepers, 1);     /* J asleep in its run */
    int rid = set_up ? thread_create(ringer, 0) : -1;
    if (rid >= 0)
        thread_join(rid, 0);
    if (jid >= 0)
        thread_join(jid, 0);
    if (!set_up || rid < 0) {
        printf("t_cojoinbell: setup failed\n");
        l_go = 1;
        return 1;
    }
    struct yielders y;
    yielders_start(&y);
    l_go = 1;
    uint64_t yields = yield_until(&h_ran, BOUND_S * 1000 * MS);
    bool ran = h_ran != 0;
    yielders_stop(&y);
    printf("t_cojoinbell: ring: the HIGH coroutine %s after %lu yields "
           "(the ring's wake went to the joiner: %s)\n",
           ran ? "ran" : "never ran", (unsigned long)yields, to_joiner ? "yes" : "no");
    co_join(hid, 0);
    co_join(lid, 0);
    printf("t_cojoinbell: %s\n", ran ? "PASS" : "FAIL");
    return ran ? 0 : 1;
}
