/* The bare-metal ceiling: how much faster two busy virtual harts of one
 * QEMU run work that shares nothing than one hart does, with no kernel at
 * all (bench/bare/README.md).  Every hart QEMU starts runs each loop of
 * loops.S in TRIALS trials of ITERATIONS turns, all harts starting a trial
 * together, each on its own page; after each trial hart 0 prints how long
 * every hart took by the time CSR (10 MHz on virt).  At the end it powers
 * the machine off.  bench/bare_ceiling.py boots it with -smp 1 and -smp 2
 * and divides. */
#include <stdbool.h>
#include <stdint.h>

#ifndef ITERATIONS
#define ITERATIONS 1000000ull           /* turns of a loop in one trial */
#endif
#ifndef TRIALS
#define TRIALS 15u                      /* trials of each loop, each timed */
#endif
#define MAX_HARTS 16
#define CHECK_IN_TICKS 2000000ull       /* 0.2 s at 10 MHz: every hart is up */
/* How many harts the machine has, when the one who boots it says so: a
 * word QEMU's generic loader writes before any hart starts
 * (-device loader,addr=0x80100000,data=N,data-len=4; bare.ld keeps the
 * image below it).  0 (RAM's first state): count the harts that check in
 * within CHECK_IN_TICKS, which a host that leaves a virtual hart
 * unscheduled that long gets wrong. */
#define EXPECTED_HARTS ((volatile uint32_t *)0x80100000ul)
#define TICK_PERIOD 100000ull           /* 10 ms at 10 MHz: the kernel's 100 Hz */

#define UART_THR ((volatile uint8_t *)0x10000000ul)
#define UART_LSR ((volatile uint8_t *)0x10000005ul)
#define CLINT_MTIMECMP(h) ((volatile uint64_t *)(0x2004000ul + 8ul * (h)))
#define TEST_FINISHER ((volatile uint32_t *)0x100000ul)
#define FINISHER_PASS 0x5555u

void loop_plain(uint64_t iterations, uint8_t *area);
void loop_fence(uint64_t iterations, uint8_t *area);
void loop_amo(uint64_t iterations, uint8_t *area);
void loop_lrsc(uint64_t iterations, uint8_t *area);
void bare_tick_entry(void);

struct variant {
    const char *name;
    void (*loop)(uint64_t, uint8_t *);
    bool tick;                  /* a 100 Hz machine timer interrupt meanwhile */
};

static const struct variant variants[] = {
    { "plain", loop_plain, false },
    { "fence", loop_fence, false },
    { "amo",   loop_amo,   false },
    { "lrsc",  loop_lrsc,  false },
    { "tick",  loop_plain, true  },
};
#define NVARIANTS (sizeof variants / sizeof variants[0])

/* Each hart's page: the loops' save areas and words, then its timer slot.
 * A page apart, so no two harts ever touch one cache line in a loop. */
static uint8_t pages[MAX_HARTS][4096] __attribute__((aligned(4096)));

static volatile uint32_t checked_in;
static uint32_t harts;                          /* set by hart 0 at the start */
static volatile uint32_t started;               /* 1 once harts is set */
static volatile uint32_t arrived, generation;   /* the barrier */
static uint64_t elapsed[MAX_HARTS];

static inline uint64_t now(void)
{
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}

static void putc_(char c)
{
    while (!(*UART_LSR & 0x20))
        ;
    *UART_THR = (uint8_t)c;
}

static void puts_(const char *s)
{
    while (*s)
        putc_(*s++);
}

static void putu(uint64_t v)
{
    char buf[21];
    int i = 20;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    puts_(buf + i);
}

static void tick_on(uint64_t hart)
{
    uint64_t *slot = (uint64_t *)(pages[hart] + 2048);
    slot[0] = (uint64_t)CLINT_MTIMECMP(hart);
    slot[1] = TICK_PERIOD;
    __asm__ volatile("csrw mscratch, %0" :: "r"(slot));
    __asm__ volatile("csrw mtvec, %0" :: "r"((uint64_t)bare_tick_entry));
    *CLINT_MTIMECMP(hart) = now() + TICK_PERIOD;
    __asm__ volatile("csrs mie, %0" :: "r"(1ul << 7));      /* MTIE */
    __asm__ volatile("csrs mstatus, %0" :: "r"(1ul << 3));  /* MIE */
}

static void tick_off(uint64_t hart)
{
    __asm__ volatile("csrc mstatus, %0" :: "r"(1ul << 3));
    __asm__ volatile("csrc mie, %0" :: "r"(1ul << 7));
    *CLINT_MTIMECMP(hart) = ~0ull;
}

/* Every hart waits here until all have arrived: a trial starts with every
 * hart at once, and no hart's printing overlaps another's loop. */
static void barrier(void)
{
    uint32_t gen = __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
    if (__atomic_add_fetch(&arrived, 1, __ATOMIC_ACQ_REL) == harts) {
        __atomic_store_n(&arrived, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&generation, gen + 1, __ATOMIC_RELEASE);
    } else {
        while (__atomic_load_n(&generation, __ATOMIC_ACQUIRE) == gen)
            ;
    }
}

static void run(uint64_t hart, unsigned v)
{
    if (variants[v].tick)
        tick_on(hart);
    uint64_t start = now();
    variants[v].loop(ITERATIONS, pages[hart]);
    elapsed[hart] = now() - start;
    if (variants[v].tick)
        tick_off(hart);
}

static void report(unsigned v, unsigned trial)
{
    for (uint32_t h = 0; h < harts; h++) {
        puts_("BARE variant=");
        puts_(variants[v].name);
        puts_(" harts=");
        putu(harts);
        puts_(" trial=");
        putu(trial);
        puts_(" hart=");
        putu(h);
        puts_(" ticks=");
        putu(elapsed[h]);
        puts_(" iterations=");
        putu(ITERATIONS);
        puts_("\n");
    }
}

void bare_main(uint64_t hart)
{
    if (hart >= MAX_HARTS)
        return;
    __atomic_fetch_add(&checked_in, 1, __ATOMIC_RELAXED);
    if (hart == 0) {
        uint32_t expected = *EXPECTED_HARTS;
        if (expected > MAX_HARTS)
            expected = MAX_HARTS;
        uint64_t t0 = now();
        if (expected)
            while (__atomic_load_n(&checked_in, __ATOMIC_ACQUIRE) < expected)
                ;
        else
            while (now() - t0 < CHECK_IN_TICKS)
                ;
        harts = __atomic_load_n(&checked_in, __ATOMIC_ACQUIRE);
        __atomic_store_n(&started, 1, __ATOMIC_RELEASE);
    } else {
        while (!__atomic_load_n(&started, __ATOMIC_ACQUIRE))
            ;
    }
    for (unsigned v = 0; v < NVARIANTS; v++) {
        for (unsigned trial = 0; trial < TRIALS; trial++) {
            barrier();
            run(hart, v);
            barrier();
            if (hart == 0)
                report(v, trial);
        }
    }
    if (hart == 0) {
        puts_("BARE-DONE\n");
        *TEST_FINISHER = FINISHER_PASS;
    }
    for (;;)
        __asm__ volatile("wfi");
}
