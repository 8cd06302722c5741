/*
 * Built-in policy: one FIFO list per priority level and a bitmap of the
 * non-empty levels, so add, fetch and peek are O(1).  Strict priority:
 * the highest non-empty level always wins; within a level, the oldest
 * (first added) thread goes first.
 */
#include "sched/policy.h"
#include "lib/list.h"
#include "uapi/syscall.h"
#include <stdint.h>

static struct list_node levels[MAX_PRIORITY + 1];
static uint32_t nonempty;               /* bit p set: levels[p] has threads */

void policy_init(void)
{
    for (int p = 0; p <= MAX_PRIORITY; p++)
        list_init(&levels[p]);
    nonempty = 0;
}

const char *policy_name(void) { return "builtin"; }

static int highest_level(void)
{
    int p = 0;
    for (uint32_t bits = nonempty >> 1; bits; bits >>= 1)
        p++;
    return p;
}

void policy_add(struct thread *t, int hart)
{
    (void)hart;
    list_push_back(&levels[t->priority], &t->run_node);
    nonempty |= 1u << t->priority;
}

struct thread *policy_fetch(int hart)
{
    (void)hart;
    if (!nonempty)
        return NULL;
    int p = highest_level();
    struct list_node *n = list_pop_front(&levels[p]);
    if (list_empty(&levels[p]))
        nonempty &= ~(1u << p);
    return list_entry(n, struct thread, run_node);
}

void policy_remove(struct thread *t)
{
    list_remove(&t->run_node);
    if (list_empty(&levels[t->priority]))
        nonempty &= ~(1u << t->priority);
}

int policy_top_priority(int hart)
{
    (void)hart;
    return nonempty ? highest_level() : 0;
}
