// help: hostile test: corrupts its run queue so the policy faults (h_badqueue [light])
/*
 * h_badqueue [light]: a hostile program.  Two threads pass a turn with
 * yield_() (with yield_light() if asked: then the save the rescue goes
 * back to is a light one, which the record's rescue word marks with the
 * record's own address, not its offset: rt_rescue, user/runtime/switch.S);
 * from half way, it fills its process's run queue (in its shared pages)
 * with bytes that make the policy read far outside the task table, until
 * the policy has faulted.  The policy
 * then faults in user mode, inside the runtime: the kernel must send the
 * thread back into the runtime, turn user-mode switching off for this
 * process only, and let it finish with the kernel's yields.  It prints how
 * the turns went and how the yields were made before and after.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>
#include "vdso.h"

#define ROUNDS 2000

static volatile uint32_t turn;
static int light;                       /* the players yield with yield_light() */
static uint32_t out_of_turn;
static uint64_t user_switched[2];

static void *player(void *arg)
{
    uint32_t me = (uint32_t)(uintptr_t)arg;
    VDSO_DATA *v = (VDSO_DATA *)SHARED_BASE_ADDR;
    for (uint32_t r = 0; r < ROUNDS; r++) {
        while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) % 2 != me)
            user_switched[me] += (uint64_t)(light ? yield_light() : yield_());
        uint32_t t = __atomic_load_n(&turn, __ATOMIC_RELAXED);
        if (t != 2 * r + me)
            out_of_turn++;
        if (me == 0 && r == ROUNDS / 2)
            printf("h_badqueue: wrecking the run queue after %lu user-mode switches\n",
                   (unsigned long)(user_switched[0] + user_switched[1]));
        /* Wrecked at every turn from half way until the policy has
         * faulted on it: a policy call under way on the other hart (this
         * write does not take the queue lock) may write sane values back
         * over the first wreck, and the run would then end without the
         * fault it is here to cause. */
        if (me == 0 && r >= ROUNDS / 2 && !__atomic_load_n(&v->rt_off, __ATOMIC_RELAXED))
            memset(&v->queue, 0x7f, sizeof(v->queue));
        __atomic_store_n(&turn, t + 1, __ATOMIC_RELEASE);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    light = argc > 1 && strcmp(argv[1], "light") == 0;
    if (argc > 2 || (argc > 1 && !light)) {
        printf("usage: h_badqueue [light]\n");
        return 2;
    }
    printf("h_badqueue: the players yield with %s\n", light ? "yield_light()" : "yield_()");
    int a = thread_create(player, (void *)0);
    int b = thread_create(player, (void *)1);
    thread_join(a, NULL);
    thread_join(b, NULL);
    const VDSO_DATA *v = (const VDSO_DATA *)SHARED_BASE_ADDR;
    printf("h_badqueue: turns %u, %u out of turn, user-mode switches %lu, "
           "user-mode switching %s\n", turn, out_of_turn,
           (unsigned long)(user_switched[0] + user_switched[1]),
           v->rt_off ? "off" : "on");
    return 0;
}
