/* Messages and names for every code of uapi/errno.h, and perror. */
#include <errno.h>
#include <stdio.h>

struct errinfo {
    int code;
    const char *name;
    const char *message;
};

static const struct errinfo errors[] = {
    { 0,            "OK",           "success" },
    { EPERM,        "EPERM",        "operation not permitted" },
    { ENOENT,       "ENOENT",       "no such file or entry" },
    { ESRCH,        "ESRCH",        "no such process or thread" },
    { EINTR,        "EINTR",        "interrupted" },
    { E2BIG,        "E2BIG",        "argument list too long" },
    { ENOEXEC,      "ENOEXEC",      "not a valid executable" },
    { EBADF,        "EBADF",        "bad file descriptor" },
    { ECHILD,       "ECHILD",       "no such child" },
    { EAGAIN,       "EAGAIN",       "try again" },
    { ENOMEM,       "ENOMEM",       "out of memory" },
    { EFAULT,       "EFAULT",       "bad address" },
    { EBUSY,        "EBUSY",        "busy" },
    { EINVAL,       "EINVAL",       "invalid argument" },
    { EMFILE,       "EMFILE",       "too many open files" },
    { EEXIST,       "EEXIST",       "already exists" },
    { EPIPE,        "EPIPE",        "broken pipe" },
    { ERANGE,       "ERANGE",       "result out of range" },
    { EDEADLK,      "EDEADLK",      "resource deadlock would occur" },
    { ENAMETOOLONG, "ENAMETOOLONG", "name too long" },
    { ENOSYS,       "ENOSYS",       "function not implemented" },
    { ETIMEDOUT,    "ETIMEDOUT",    "timed out" },
    { EINPROGRESS,  "EINPROGRESS",  "operation in progress" },
    { ECANCELED,    "ECANCELED",    "operation cancelled" },
};

static const struct errinfo *lookup(int err)
{
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
        if (errors[i].code == err)
            return &errors[i];
    return NULL;
}

const char *strerror(int err)
{
    const struct errinfo *e = lookup(err);
    return e ? e->message : "unknown error";
}

const char *errname(int err)
{
    const struct errinfo *e = lookup(err);
    return e ? e->name : "E?";
}

void perror(const char *prefix)
{
    int err = errno;        /* before dprintf can change it */
    if (prefix && *prefix)
        dprintf(2, "%s: %s\n", prefix, strerror(err));
    else
        dprintf(2, "%s\n", strerror(err));
}
