/* A condition variable on a futex.  As everywhere, wait in a loop that
 * re-checks the condition: wake-ups may be spurious. */
#ifndef USER_COND_H
#define USER_COND_H

#include <stdint.h>
#include "mutex.h"

typedef struct {
    uint32_t seq;       /* bumped by every signal/broadcast */
} cond_t;

#define COND_INITIALIZER { 0 }

void cond_init(cond_t *c);
/* Releases m, sleeps until signalled, takes m again. */
void cond_wait(cond_t *c, mutex_t *m);
void cond_signal(cond_t *c);        /* wakes one waiter */
void cond_broadcast(cond_t *c);     /* wakes them all */

#endif
