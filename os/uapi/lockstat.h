/* What SYS_lockstat returns: for each kind of kernel lock (locks are told
 * apart by name: every pipe's lock is "pipe"), how often a hart had to
 * wait for it and how long it spun, since boot or the last reset
 * (kernel/lockstat.h; user/programs/lockstat.c prints them). */
#ifndef UAPI_LOCKSTAT_H
#define UAPI_LOCKSTAT_H

#include <stdint.h>

#define LOCKSTAT_NAME_LEN 24        /* with its NUL; a longer name ends in '~' */
#define LOCKSTAT_MAX      64        /* entries one call returns at most */
#define LOCKSTAT_RESET    1u        /* flag: zero the counts after reading them */
/* The entry that counts the waits of kinds the kernel's table had no room
 * for (it holds LOCKSTAT_MAX - 1 kinds): nothing is dropped unsaid. */
#define LOCKSTAT_OTHERS   "(other locks)"

struct lockstat_entry {
    char name[LOCKSTAT_NAME_LEN];
    uint64_t waits;                 /* waits: each a hart that found it held */
    uint64_t spin_us;               /* time those waits spun, in all */
    uint64_t max_us;                /* the longest one */
};

#endif
