// help: test: threads, mutexes, condition variables, semaphores
/*
 * t_threads: threads and their synchronisation.
 *   1. N threads (default 8, or argv[1]) each add 1 to a shared counter
 *      ITERS times under a mutex; the total must be exact, and each
 *      thread_join must hand back that thread's own return value.  The
 *      harts the threads ran on (getcpu) are reported.
 *   2. Producer/consumer over a bounded buffer with a mutex and two
 *      condition variables.
 *   3. The same with two counting semaphores.
 */
#include <cond.h>
#include <errno.h>
#include <mutex.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <thread.h>
#include <unistd.h>

#define MAX_THREADS 32
#define ITERS       20000
#define ITEMS       2000                /* per producer/consumer test */
#define SLOTS       4                   /* bounded buffer size */

static int failures;

static void check(bool ok, const char *what)
{
    if (!ok) {
        printf("t_threads: FAILED: %s\n", what);
        failures++;
    }
}

/* ---- 1. counter ---- */

static mutex_t counter_lock = MUTEX_INITIALIZER;
static long counter;

struct worker {
    int index;
    uint64_t harts;                     /* bit h: ran on hart h */
};

static void *count(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < ITERS; i++) {
        mutex_lock(&counter_lock);
        counter++;
        mutex_unlock(&counter_lock);
        if (i % 1000 == 0) {
            int h = getcpu();
            if (h >= 0 && h < 64)
                w->harts |= (uint64_t)1 << h;
        }
    }
    return (void *)(uintptr_t)(1000 + w->index);
}

static int bits(uint64_t x)
{
    int n = 0;
    for (; x; x &= x - 1)
        n++;
    return n;
}

static void test_counter(int n)
{
    static struct worker workers[MAX_THREADS];
    int tids[MAX_THREADS];
    for (int i = 0; i < n; i++) {
        workers[i].index = i;
        tids[i] = thread_create(count, &workers[i]);
        if (tids[i] < 0) {
            printf("t_threads: thread_create: %s\n", strerror(errno));
            failures++;
            n = i;
            break;
        }
    }
    int good_retvals = 0;
    uint64_t harts = 0;
    for (int i = 0; i < n; i++) {
        void *rv = NULL;
        if (thread_join(tids[i], &rv) < 0) {
            printf("t_threads: thread_join(%d): %s\n", tids[i],
                   strerror(errno));
            failures++;
            continue;
        }
        if (rv == (void *)(uintptr_t)(1000 + i))
            good_retvals++;
        harts |= workers[i].harts;
    }
    printf("t_threads: %d threads, counter %ld (expected %ld)\n", n, counter,
           (long)n * ITERS);
    printf("t_threads: join returned the right value for %d of %d threads\n",
           good_retvals, n);
    printf("t_threads: threads ran on %d distinct hart(s)\n", bits(harts));
    check(counter == (long)n * ITERS, "counter total");
    check(good_retvals == n, "join return values");
}

/* ---- 2. condition variables ---- */

static struct {
    mutex_t lock;
    cond_t not_empty, not_full;
    int buf[SLOTS];
    int head, count;
} box = { MUTEX_INITIALIZER, COND_INITIALIZER, COND_INITIALIZER, { 0 }, 0, 0 };

static void *cond_producer(void *arg)
{
    (void)arg;
    for (int i = 1; i <= ITEMS; i++) {
        mutex_lock(&box.lock);
        while (box.count == SLOTS)
            cond_wait(&box.not_full, &box.lock);
        box.buf[(box.head + box.count) % SLOTS] = i;
        box.count++;
        cond_signal(&box.not_empty);
        mutex_unlock(&box.lock);
    }
    return NULL;
}

static void *cond_consumer(void *arg)
{
    (void)arg;
    long sum = 0;
    int in_order = 1;
    for (int i = 1; i <= ITEMS; i++) {
        mutex_lock(&box.lock);
        while (box.count == 0)
            cond_wait(&box.not_empty, &box.lock);
        int v = box.buf[box.head];
        box.head = (box.head + 1) % SLOTS;
        box.count--;
        cond_signal(&box.not_full);
        mutex_unlock(&box.lock);
        sum += v;
        in_order &= v == i;
    }
    return (void *)(uintptr_t)(in_order ? sum : -1);
}

/* ---- 3. semaphores ---- */

static sem_t free_slots = SEM_INITIALIZER(SLOTS);
static sem_t full_slots = SEM_INITIALIZER(0);
static int ring[SLOTS];

static void *sem_producer(void *arg)
{
    (void)arg;
    for (int i = 1; i <= ITEMS; i++) {
        sem_wait(&free_slots);
        ring[i % SLOTS] = i;
        sem_post(&full_slots);
    }
    return NULL;
}

static void *sem_consumer(void *arg)
{
    (void)arg;
    long sum = 0;
    int in_order = 1;
    for (int i = 1; i <= ITEMS; i++) {
        sem_wait(&full_slots);
        int v = ring[i % SLOTS];
        sem_post(&free_slots);
        sum += v;
        in_order &= v == i;
    }
    return (void *)(uintptr_t)(in_order ? sum : -1);
}

static void producer_consumer(const char *what, void *(*producer)(void *),
                              void *(*consumer)(void *))
{
    long expected = (long)ITEMS * (ITEMS + 1) / 2;
    int c = thread_create(consumer, NULL);
    int p = thread_create(producer, NULL);
    void *rv = NULL;
    if (c < 0 || p < 0 || thread_join(p, NULL) < 0 || thread_join(c, &rv) < 0) {
        printf("t_threads: %s: thread error: %s\n", what, strerror(errno));
        failures++;
        return;
    }
    long sum = (long)(uintptr_t)rv;
    if (sum == -1)
        printf("t_threads: %s: items arrived out of order\n", what);
    else
        printf("t_threads: %s: %d items in order, sum %ld (expected %ld)\n",
               what, ITEMS, sum, expected);
    check(sum == expected, what);
}

int main(int argc, char **argv)
{
    int n = 8;
    if (argc > 1) {
        n = atoi(argv[1]);
        if (n < 1 || n > MAX_THREADS) {
            printf("t_threads: thread count must be 1..%d\n", MAX_THREADS);
            return 1;
        }
    }
    test_counter(n);
    producer_consumer("condvar", cond_producer, cond_consumer);
    producer_consumer("semaphore", sem_producer, sem_consumer);
    if (failures) {
        printf("t_threads: FAIL (%d checks failed)\n", failures);
        return 1;
    }
    printf("t_threads: PASS\n");
    return 0;
}
