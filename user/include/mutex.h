/* A sleeping mutex on a futex; not recursive.  MUTEX_INITIALIZER or
 * mutex_init() before use. */
#ifndef USER_MUTEX_H
#define USER_MUTEX_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint32_t state;     /* 0 unlocked, else the holder's TaskSched index + 1,
                           with MUTEX_WAITERS if a thread may sleep on it */
} mutex_t;

#define MUTEX_WAITERS 0x80000000u

#define MUTEX_INITIALIZER { 0 }

void mutex_init(mutex_t *m);
void mutex_lock(mutex_t *m);
bool mutex_trylock(mutex_t *m);     /* true if it took the lock */
void mutex_unlock(mutex_t *m);

#endif
