#include "kernel/bootargs.h"
#include "kernel/printf.h"
#include "lib/string.h"

static const char *cmdline = "";

/* Options some part of the kernel reads; anything else gets a warning so a
 * typo does not pass silently. */
static const char *const known_keys[] = {
    "ktest",      /* kernel self-tests: all, list, or names separated by ',' */
    "sched",      /* scheduling policy: heap, bitmap, multiqueue, fifo */
    "sched_blob", /* physical address of an external policy blob */
    "sched_watchdog", /* ms a runnable thread may starve (0: no watchdog) */
    "sched_hart_local", /* 0: kernel yields never hold sched_lock shared */
    "timer",      /* timer=sbi: program the timer through SBI even with Sstc */
    "poison",     /* poison=1: fill freed frames with FRAME_POISON (mm/frame.h) */
    "timer_poke_us", /* extra timer interrupts between ticks (trap/timer.h) */
    "kdebug_inject", /* debug kernel: break an invariant on purpose (kernel/invariants.c) */
    "trace",      /* trace=ENTRIES: the scheduling timeline's ring (kernel/timeline.h) */
};

void bootargs_init(const char *line)
{
    cmdline = line ? line : "";
}

const char *bootargs_raw(void)
{
    return cmdline;
}

bool bootarg_next(size_t *cursor, struct bootarg *out)
{
    const char *p = cmdline + *cursor;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p)
        return false;
    out->key = p;
    while (*p && *p != '=' && *p != ' ' && *p != '\t')
        p++;
    out->key_len = (size_t)(p - out->key);
    out->has_value = *p == '=';
    out->value = p;
    out->value_len = 0;
    if (*p == '=') {
        p++;
        if (*p == '"') {
            out->value = ++p;
            while (*p && *p != '"')
                p++;
            out->value_len = (size_t)(p - out->value);
            if (*p == '"')
                p++;
        } else {
            out->value = p;
            while (*p && *p != ' ' && *p != '\t')
                p++;
            out->value_len = (size_t)(p - out->value);
        }
    }
    *cursor = (size_t)(p - cmdline);
    return true;
}

static bool key_is(const struct bootarg *a, const char *key)
{
    return a->key_len == strlen(key) && strncmp(a->key, key, a->key_len) == 0;
}

bool bootarg_find(const char *key, struct bootarg *out)
{
    size_t cursor = 0;
    struct bootarg a;
    bool found = false;
    while (bootarg_next(&cursor, &a))
        if (key_is(&a, key)) {
            *out = a;
            found = true;
        }
    return found;
}

bool bootarg_copy(const char *key, char *buf, size_t size)
{
    struct bootarg a;
    if (!bootarg_find(key, &a))
        return false;
    if (a.value_len + 1 > size) {
        kprintf("bootargs: value of '%s' is %zu bytes, longer than the %zu allowed; ignored\n",
                key, a.value_len, size - 1);
        return false;
    }
    memcpy(buf, a.value, a.value_len);
    buf[a.value_len] = '\0';
    return true;
}

bool bootarg_u64(const char *key, uint64_t *out)
{
    struct bootarg a;
    if (!bootarg_find(key, &a))
        return false;
    const char *p = a.value, *end = a.value + a.value_len;
    unsigned base = 10;
    if (end - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    uint64_t v = 0;
    bool ok = p < end;
    for (; ok && p < end; p++) {
        char c = *p;
        unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') :
                     c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) :
                     c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 99;
        if (d >= base || v > (UINT64_MAX - d) / base)
            ok = false;
        else
            v = v * base + d;
    }
    if (!ok) {
        kprintf("bootargs: '%s=%.*s' is not a number; ignored\n", key,
                (int)a.value_len, a.value);
        return false;
    }
    *out = v;
    return true;
}

bool bootarg_is(const char *key, const char *value)
{
    struct bootarg a;
    return bootarg_find(key, &a) && a.value_len == strlen(value) &&
           strncmp(a.value, value, a.value_len) == 0;
}

void bootargs_warn_unknown(void)
{
    size_t cursor = 0;
    struct bootarg a;
    while (bootarg_next(&cursor, &a)) {
        bool known = false;
        for (size_t i = 0; i < sizeof(known_keys) / sizeof(known_keys[0]); i++)
            known |= key_is(&a, known_keys[i]);
        if (!known)
            kprintf("bootargs: unknown option '%.*s' ignored\n", (int)a.key_len, a.key);
    }
}
