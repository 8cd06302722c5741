// help: hostile test: writes a bogus holder into its queue lock
/*
 * h_badlock MODE: a hostile program.  Four threads, at the highest
 * priority the process may take, pass a turn with yield_(); half way,
 * player 0 writes a bogus holder into its process's queue lock
 * (VDSO_DATA.queue_lock, which holds the holder's slot + 1), and again at
 * each of its later turns, since a real holder's release would clear it:
 *
 *   nothread  slot 60, which no thread has (the kernel never marks it off
 *             its hart, so a waiter used to spin on it for ever)
 *   blocked   slot 0, the main thread, blocked in thread_join (off its
 *             hart: a waiter used to yield and try again, for ever)
 *   huge      a slot past the task table
 *
 * The runtime must give up on the lock, turn user-mode switching off for
 * this process only, and let the threads finish their turns with the
 * kernel's yields.  The last line says how the turns went and why
 * user-mode switching is off.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>
#include "vdso.h"

#define PLAYERS 4
#define ROUNDS  200      /* few: four harts on a slow host pass turns slowly */

static volatile uint32_t turn;
static uint32_t out_of_turn, bogus;
static uint64_t user_switched[PLAYERS];

static void *player(void *arg)
{
    uint32_t me = (uint32_t)(uintptr_t)arg;
    VDSO_DATA *v = (VDSO_DATA *)SHARED_BASE_ADDR;
    for (uint32_t r = 0; r < ROUNDS; r++) {
        while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) % PLAYERS != me)
            user_switched[me] += (uint64_t)yield_();
        uint32_t t = __atomic_load_n(&turn, __ATOMIC_RELAXED);
        if (t != PLAYERS * r + me)
            out_of_turn++;
        if (me == 0 && r == ROUNDS / 2)
            printf("h_badlock: writing holder %u into the queue lock\n", bogus);
        if (me == 0 && r >= ROUNDS / 2)
            __atomic_store_n(&v->queue_lock, bogus, __ATOMIC_RELEASE);
        __atomic_store_n(&turn, t + 1, __ATOMIC_RELEASE);
    }
    return NULL;
}

static const char *why_off(uint32_t rt_off)
{
    switch (rt_off) {
    case 0:                   return "on";
    case RT_OFF_POLICY_FAULT: return "off (the policy faulted)";
    case RT_OFF_LOCK:         return "off (the queue lock was wrecked)";
    case RT_OFF_QUEUE:        return "off (the queue was wrecked)";
    default:                  return "off (unknown reason)";
    }
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "nothread";
    if (strcmp(mode, "nothread") == 0)
        bogus = 60 + 1;
    else if (strcmp(mode, "blocked") == 0)
        bogus = 0 + 1;
    else if (strcmp(mode, "huge") == 0)
        bogus = 0x7fff0000u;
    else {
        printf("usage: h_badlock [nothread|blocked|huge]\n");
        return 2;
    }
    int prio = get_ceiling(0);
    set_priority(0, prio);              /* the players start at it */
    printf("h_badlock: %d players at priority %d\n", PLAYERS, get_priority(0));
    int tids[PLAYERS];
    for (int i = 0; i < PLAYERS; i++)
        tids[i] = thread_create(player, (void *)(uintptr_t)i);
    for (int i = 0; i < PLAYERS; i++)
        thread_join(tids[i], NULL);
    const VDSO_DATA *v = (const VDSO_DATA *)SHARED_BASE_ADDR;
    uint64_t switched = 0;
    for (int i = 0; i < PLAYERS; i++)
        switched += user_switched[i];
    printf("h_badlock: turns %u, %u out of turn, user-mode switches %lu, "
           "user-mode switching %s\n", turn, out_of_turn, (unsigned long)switched,
           why_off(v->rt_off));
    return 0;
}
