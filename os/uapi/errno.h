/* Error codes returned (negated) by system calls; shared by kernel and user
 * library.  The numbers are Linux's, so they read familiar in a debugger. */
#ifndef UAPI_ERRNO_H
#define UAPI_ERRNO_H

#define EPERM         1   /* not allowed */
#define ENOENT        2   /* no such file or entry */
#define ESRCH         3   /* no such process or thread */
#define EINTR         4   /* interrupted: the process is being killed */
#define E2BIG         7   /* argument list too long */
#define ENOEXEC       8   /* not a valid executable */
#define EBADF         9   /* bad file descriptor */
#define ECHILD       10   /* no such child */
#define EAGAIN       11   /* try again (futex value changed, WNOHANG) */
#define ENOMEM       12   /* out of memory */
#define EFAULT       14   /* bad address */
#define EBUSY        16   /* busy (exec with other threads alive) */
#define EEXIST       17   /* already exists (mapping) */
#define EINVAL       22   /* invalid argument */
#define EMFILE       24   /* too many open files */
#define EPIPE        32   /* write to a pipe with no reader */
#define ERANGE       34   /* result out of range (user library: strtol) */
#define EDEADLK      35   /* would deadlock (joining oneself) */
#define ENAMETOOLONG 36   /* path too long */
#define ENOSYS       38   /* no such system call */
#define ETIMEDOUT   110   /* timed out */
#define EINPROGRESS 115   /* asynchronous operation started; it completes later */
#define ECANCELED   125   /* operation cancelled */

#endif
