/* A counting semaphore on a futex. */
#ifndef USER_SEMAPHORE_H
#define USER_SEMAPHORE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint32_t value;     /* the count; waiters sleep while it is 0 */
    uint32_t waiters;   /* threads in sem_wait: post skips the wake if 0 */
} sem_t;

#define SEM_INITIALIZER(n) { (n), 0 }

void sem_init(sem_t *s, uint32_t value);
void sem_wait(sem_t *s);            /* P: take one, sleeping while none */
bool sem_trywait(sem_t *s);         /* true if it took one */
void sem_post(sem_t *s);            /* V: give one back */

#endif
