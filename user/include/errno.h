/*
 * errno for user programs: the codes come from the kernel's uapi/errno.h
 * (found after this directory on the include path, hence #include_next),
 * and errno itself is per thread (see lib/errno.c).
 */
#ifndef USER_ERRNO_H
#define USER_ERRNO_H

#include_next <errno.h>     /* os/uapi/errno.h: EPERM .. ETIMEDOUT */

int *__errno_location(void);
#define errno (*__errno_location())

/* "bad address" for EFAULT; "unknown error" for codes we do not know. */
const char *strerror(int err);
/* The symbolic name: "EFAULT"; "E?" for codes we do not know. */
const char *errname(int err);

#endif
