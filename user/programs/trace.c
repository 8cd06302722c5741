// help: record a scheduling timeline and print it (trace on|off|clear|status|dump)
/*
 * trace on|off|clear|status|dump: drives the kernel's scheduling timeline
 * (SYS_trace, uapi/timeline.h), which `make trace` turns into Chrome trace
 * JSON and a PNG (bench/trace.py).  `dump` prints every event the ring
 * holds, oldest first, one line each (bench/trace.py reads them):
 *
 *   TRACE-BEGIN timebase_hz=HZ harts=N recorded=R capacity=C first=F
 *   tl KIND WHEN HART PID TID ARG [NAME]
 *   TRACE-END events=E
 *
 * KIND is run, name, uswitch, poll, polled or lost (uapi/timeline.h says
 * what each means); WHEN is in time-CSR ticks.
 */
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include "timeline.h"

static const char *const kind_names[] = {
    [TL_RUN] = "run", [TL_NAME] = "name", [TL_USWITCH] = "uswitch",
    [TL_POLL_BEGIN] = "poll", [TL_POLL_END] = "polled", [TL_LOST] = "lost",
};

static void usage(void)
{
    printf("usage: trace on|off|clear|status|dump\n"
           "  on      start recording what every hart runs (threads, user-mode\n"
           "          switches, coroutine polls); programs started from now on\n"
           "          record their user-mode events too\n"
           "  off     stop recording\n"
           "  clear   forget every event\n"
           "  status  events recorded, the ring's size, on or off\n"
           "  dump    print the events, oldest first (make trace reads them)\n");
}

/* A name as one word of printable characters (the host splits on
 * spaces), into out[size + 1]. */
static void word_of(char *out, const char *name, size_t size)
{
    size_t i = 0;
    for (; i < size && name[i]; i++)
        out[i] = name[i] > ' ' && name[i] < 127 ? name[i] : '?';
    out[i] = '\0';
}

static int dump(const struct tl_status *st)
{
    uint64_t end = st->recorded;
    uint64_t first = end > st->capacity ? end - st->capacity : 0;
    printf("TRACE-BEGIN timebase_hz=%lu harts=%u recorded=%lu capacity=%u first=%lu\n",
           (unsigned long)st->timebase_hz, st->nharts, (unsigned long)end, st->capacity,
           (unsigned long)first);
    static struct tl_event buf[TL_READ_MAX];
    uint64_t printed = 0;
    for (uint64_t at = first; at < end;) {
        uint64_t want = end - at < TL_READ_MAX ? end - at : TL_READ_MAX;
        long got = trace_ctl(TL_OP_READ, buf, at, want);
        if (got < 0 && errno == ERANGE) {           /* recording still: skip ahead */
            at += want;
            continue;
        }
        if (got < 0) {
            printf("trace: dump: %s\n", strerror(errno));
            return 1;
        }
        if (got == 0)
            break;
        for (long i = 0; i < got; i++) {
            const struct tl_event *e = &buf[i];
            const char *kind = e->kind < sizeof(kind_names) / sizeof(kind_names[0]) &&
                               kind_names[e->kind] ? kind_names[e->kind] : "?";
            char name[sizeof(e->name) + 1] = "";
            if (e->kind == TL_NAME)
                word_of(name, e->name, sizeof(e->name));
            /* One printf, one write: lines of different harts never mix. */
            printf("tl %s %lu %u %d %d %u%s%s\n", kind, (unsigned long)e->when, e->hart,
                   e->pid, e->tid, e->arg, name[0] ? " " : "", name);
        }
        printed += (uint64_t)got;
        at += (uint64_t)got;
    }
    printf("TRACE-END events=%lu\n", (unsigned long)printed);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        usage();
        return 2;
    }
    const char *cmd = argv[1];
    struct tl_status st;
    if (trace_ctl(TL_OP_STATUS, &st, 0, 0) < 0) {
        printf("trace: %s\n", strerror(errno));
        return 1;
    }
    if (!strcmp(cmd, "on") || !strcmp(cmd, "off")) {
        if (trace_ctl(!strcmp(cmd, "on") ? TL_OP_ON : TL_OP_OFF, 0, 0, 0) < 0) {
            printf("trace: %s: %s%s\n", cmd, strerror(errno),
                   errno == ENOMEM ? " (booted with trace=0: no ring)" : "");
            return 1;
        }
        printf("trace: %s (ring of %u events)\n", cmd, st.capacity);
        return 0;
    }
    if (!strcmp(cmd, "clear")) {
        trace_ctl(TL_OP_CLEAR, 0, 0, 0);
        printf("trace: cleared\n");
        return 0;
    }
    if (!strcmp(cmd, "status")) {
        printf("trace: %s, %lu events recorded, ring of %u, %u harts, %lu Hz\n",
               st.on ? "on" : "off", (unsigned long)st.recorded, st.capacity, st.nharts,
               (unsigned long)st.timebase_hz);
        return 0;
    }
    if (!strcmp(cmd, "dump"))
        return dump(&st);
    printf("trace: unknown command '%s'\n", cmd);
    usage();
    return 2;
}
