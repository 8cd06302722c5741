/*
 * The system-call interface: numbers, argument conventions, structures and
 * flags.  This one header is shared by the kernel and the user library; it
 * must stay free of anything else from either side.
 *
 * Calling convention: `ecall` with the number in a7 and arguments in
 * a0..a5.  The result comes back in a0: >= 0 on success, -ERRNO on failure
 * (the error codes are in uapi/errno.h).  The user library turns a negative
 * result into -1 and sets errno.
 *
 * Pointers passed in are checked by the kernel (they must be user addresses
 * mapped with the right rights); a bad one gives -EFAULT and nothing else.
 */
#ifndef UAPI_SYSCALL_H
#define UAPI_SYSCALL_H

#include <stdint.h>

/*  number                   arguments -> result                                   */
#define SYS_read          0  /* (int fd, void *buf, size_t n) -> bytes read, 0 at EOF */
#define SYS_write         1  /* (int fd, const void *buf, size_t n) -> bytes written   */
#define SYS_close         2  /* (int fd) -> 0                                          */
#define SYS_pipe          3  /* (int fds[2]) -> 0; fds[0] reads, fds[1] writes.
                                 -EMFILE past MAX_FDS, -ENOMEM: nothing opened */
#define SYS_dup           4  /* (int fd) -> lowest free fd referring to the same file;
                                 -EBADF, -EMFILE, -ENOMEM as SYS_pipe             */
#define SYS_fork          5  /* () -> child pid in the parent, 0 in the child           */
#define SYS_exec          6  /* (const char *path, char *const argv[]) -> on success
                                 returns into the new program (a0 = argc); fails
                                 with -EBUSY while other threads are alive         */
#define SYS_spawn         7  /* (const char *path, char *const argv[], uint64_t
                                 prio = SPAWN_PRIO(priority, ceiling) or 0) -> child
                                 pid; the child gets the caller's fds 0-2 (only
                                 those).  prio 0: the caller's ceiling, and its
                                 priority lowered to that; a field of 0 means the
                                 same; a ceiling above the caller's, or a priority
                                 above the ceiling: -EPERM.  For both: path is a
                                 program name as readdir lists it; argv must not
                                 be NULL                                          */
#define SYS_waitpid       8  /* (int pid, or -1 for any child; int *status or 0;
                                 int options) -> pid, 0 with WNOHANG if none has
                                 exited; other pid values: -EINVAL                */
#define SYS_exit          9  /* (int status) -> no return; ends every thread            */
#define SYS_kill         10  /* (int pid) -> 0                                          */
#define SYS_getpid       11  /* () -> pid                                               */
#define SYS_getppid      12  /* () -> parent's pid (1 once reparented to init)          */
#define SYS_thread_create 13 /* (void (*start)(uint64_t, uint64_t), uint64_t a0,
                                 uint64_t a1) -> tid; the thread starts at
                                 start(a0, a1) on a fresh kernel-allocated stack of
                                 USER_THREAD_STACK bytes, with the creator's priority */
#define SYS_thread_join  14  /* (int tid, uint64_t *retval or 0) -> 0                  */
#define SYS_thread_exit  15  /* (uint64_t retval) -> no return; the last thread's
                                 exit ends the process with status 0                 */
#define SYS_gettid       16  /* () -> tid                                               */
#define SYS_yield        17  /* (int parked) -> 0.  parked = 1 (the shared runtime):
                                 the caller has saved its registers in its TaskSched
                                 record and queued itself in its process's queue;
                                 it comes back through the runtime, not here.
                                 parked = 2: the same, and the hart rests (idles)
                                 until its next tick: the process's threads there
                                 only waited for one running elsewhere.
                                 parked = 3: a plain yield, and the hart rests so */
#define SYS_sleep        18  /* (uint64_t ms) -> 0                                      */
#define SYS_time         19  /* () -> nanoseconds since boot                            */
#define SYS_sbrk         20  /* (intptr_t increment) -> previous break; a negative
                                 increment gives memory back (not below the image:
                                 -EINVAL)                                         */
#define SYS_set_priority 21  /* (int tid or 0 for self, int prio) -> 0; -EPERM above
                                 the process's priority ceiling; a third argument
                                 CO_LOWER_UNLESS_MOVED | seq (sched_abi/coro.h):
                                 a lowering of the caller undone, -EAGAIN, if its
                                 executor's seq moved from it; CO_RAISE_ONLY: a
                                 thread at prio or above stays as it is            */
#define SYS_get_priority 22  /* (int tid or 0 for self) -> prio                         */
#define SYS_futex_wait   23  /* (uint32_t *addr, uint32_t expected, uint64_t timeout_ms
                                 or 0 for none) -> 0 when woken; -EAGAIN if *addr !=
                                 expected; -ETIMEDOUT; -EINVAL if addr is not
                                 4-byte aligned or the timeout is over 10^9 ms    */
#define SYS_futex_wake   24  /* (uint32_t *addr, int max) -> number of threads woken    */
#define SYS_shutdown     25  /* (int status) -> no return; powers off, QEMU exits with
                                 status (0..255)                                      */
#define SYS_readdir      26  /* (int index, struct dirent *out) -> 0, -ENOENT past the
                                 end; lists the programs/files of the initrd          */
#define SYS_sysinfo      27  /* (struct sysinfo *out) -> 0                              */
#define SYS_getcpu       28  /* () -> id of the hart running the caller                 */
#define SYS_schedstat    29  /* (int pid: 0 = the whole system, -1 = the caller;
                                 struct schedstat *out) -> 0                       */
#define SYS_set_ceiling  30  /* (int pid or 0 for self, int ceiling) -> 0.  The highest
                                 priority the process's threads may take.  One's
                                 own may only be lowered (threads above it come
                                 down to it); a child's may only be raised, up to
                                 the caller's own ceiling; anyone else's: -EPERM */
#define SYS_get_ceiling  31  /* (int pid or 0 for self) -> that process's ceiling      */
/* Coroutines (sched_abi/coro.h; docs/coroutines.md).  `struct co_io` is
 * { int64_t result; uint32_t cid; uint32_t done; }: 16 bytes, 8-aligned, in
 * user memory (not the shared region), writable.  The caller fills cid
 * (and done = 0); an operation that completes later gets result, then
 * done = 1, then the doorbell rung for cid (CO_EXEC.bell).  */
#define SYS_co_setup     32  /* (uint32_t capacity) -> records now mapped.  Maps the
                                 executor region (first call: the CO_EXEC page and
                                 the queue pages; then records, a page of 16 at a
                                 time) at SHARED_EXEC_ADDR, zeroed, user RW, and
                                 writes the count into CO_EXEC.capacity and
                                 VDSO_DATA.exec_capacity.  Never shrinks: a smaller
                                 capacity maps nothing and returns what is mapped.
                                 -EINVAL for 0 or > CO_MAX; -ENOMEM (nothing of the
                                 call mapped).  Gone at exec and exit; a forked
                                 child has none                                    */
#define SYS_read_async   33  /* (int fd, void *buf, size_t n, struct co_io *io) -> bytes
                                 or -errno as SYS_read if it can complete now (data
                                 there, or EOF, and no reader queued before it);
                                 else -EINPROGRESS, and it completes later, in FIFO
                                 order with every other reader of the pipe,
                                 synchronous or not.  Checked first, whatever
                                 happens next: io (-EFAULT), io->cid below the
                                 executor's capacity (-EINVAL, also with no
                                 executor), buf (-EFAULT), fd (-EBADF), the same io
                                 already pending (-EBUSY), COIO_MAX_PENDING
                                 operations pending (-EAGAIN).  A console fd
                                 completes synchronously (the call may block until
                                 a line is typed); never -EINPROGRESS             */
#define SYS_write_async  34  /* (int fd, const void *buf, size_t n, struct co_io *io)
                                 -> as SYS_write if it can complete now (room for
                                 all n <= PIPE_BUF_SIZE bytes, or for any of a
                                 larger n, or no reader: -EPIPE); else
                                 -EINPROGRESS.  n <= PIPE_BUF_SIZE goes in whole; a
                                 larger n completes with the bytes that fitted at
                                 the time (a short write, as non-blocking writes
                                 do).  Checks as SYS_read_async; console: at once */
#define SYS_sleep_async  35  /* (uint64_t ms, struct co_io *io) -> -EINPROGRESS; it
                                 completes with result 0 after ms (at a timer tick:
                                 10 ms granularity); ms = 0: returns 0 at once;
                                 ms > 10^9: -EINVAL; io checks, -EBUSY and -EAGAIN
                                 as SYS_read_async                                 */
#define SYS_co_cancel_io 36  /* (struct co_io *io) -> 0 if a pending operation on io
                                 was removed (nothing was done: a read took no
                                 bytes, a write added none); -ENOENT if there was
                                 none (completed, or never).  After it returns the
                                 kernel does not touch io again.  An exit or exec
                                 cancels every pending operation this way, without
                                 writing to the process's memory                   */
#define SYS_set_foreground 37 /* (const int *pids, int n, int flags) -> 0.  Names the
                                 console's foreground job: Ctrl-C ends these
                                 processes and their descendants (status
                                 TERM_INTERRUPTED); with FG_NEW_CHILDREN also
                                 every child the caller starts from now on
                                 (if Ctrl-C comes before the next call, that
                                 call ends the pids it names).  n = 0 and
                                 flags = 0 clear it.  Only the
                                 console's controller may call it: the first
                                 child of init that does (the shell), for as
                                 long as it lives; anyone else: -EPERM.  Every
                                 pid must be a child of the caller (-ESRCH);
                                 n above FOREGROUND_MAX, unknown flags: -EINVAL */
#define SYS_trace        38  /* (int op, void *buf, uint64_t from, uint64_t count) ->
                                 0 or, for TL_OP_READ, the number of events copied.
                                 The scheduling timeline (os/uapi/timeline.h):
                                 TL_OP_ON / OFF / CLEAR record or forget events
                                 (ON: -ENOMEM when booted with trace=0);
                                 TL_OP_STATUS fills a struct tl_status at buf;
                                 TL_OP_READ copies events from..from+count-1
                                 (numbered since the last clear; fewer if the
                                 ring ends first, 0 past the end) to buf.
                                 -ERANGE if `from` was overwritten already
                                 (older than recorded - capacity); count 0 or
                                 above TL_READ_MAX, an unknown op: -EINVAL;
                                 a bad buf: -EFAULT.  Any process may call it:
                                 the timeline is the machine's, like Ctrl-T's */
#define SYS_lockstat     39  /* (struct lockstat_entry *buf, int n, unsigned flags) ->
                                 the number of entries copied: the kinds of
                                 kernel lock a hart waited for since boot or
                                 the last reset, the longest spin first, at
                                 most n of them (os/uapi/lockstat.h).  flags
                                 LOCKSTAT_RESET: zero the counts after
                                 reading them.  n below 1 or above
                                 LOCKSTAT_MAX, unknown flags: -EINVAL; a bad
                                 buf: -EFAULT.  Any process may call it: the
                                 counts are the machine's, like SYS_trace's */
#define NSYSCALLS        40

/* Limits. */
#define MAX_PRIORITY      20        /* priorities are 1 (lowest) .. 20 (highest) */
#define MIN_PRIORITY      1
#define DEFAULT_PRIORITY  10
/* spawn's third argument: the child's priority and ceiling (0: inherit). */
#define SPAWN_PRIO(priority, ceiling) \
    ((uint64_t)(priority) | (uint64_t)(ceiling) << 8)
#define MAX_ARGS          32        /* argv entries for exec/spawn, not counting
                                       the terminating NULL */
#define MAX_ARG_BYTES     4096      /* all argv strings together, with NULs */
#define MAX_PATH          56        /* path length including the NUL */
/* Open files per process.  A process's table starts empty and doubles
 * from 16 entries as it fills (fd lookup stays one index); past this,
 * pipe and dup fail with -EMFILE, and with -ENOMEM if the table cannot
 * grow (nothing is opened then). */
#define MAX_FDS           8192
#define USER_THREAD_STACK (64 * 1024)
#define PIPE_BUF_SIZE     4096      /* writes of up to this many bytes are atomic */
/* Asynchronous operations pending per process; one more is -EAGAIN.
 * Each costs a small kernel record while it waits, nothing before. */
#define COIO_MAX_PENDING  8192
#define FOREGROUND_MAX    16        /* pids SYS_set_foreground takes */
#define FG_NEW_CHILDREN   1         /* SYS_set_foreground: the children started
                                       next are in the foreground job too (so
                                       none can run before it is named) */

/* waitpid options and status decoding (POSIX-like). */
#define WNOHANG           1
#define WIFEXITED(s)      (((s) & 0x7f) == 0)
#define WEXITSTATUS(s)    (((s) >> 8) & 0xff)
#define WIFSIGNALED(s)    (((s) & 0x7f) != 0)
#define WTERMSIG(s)       ((s) & 0x7f)
/* Why a process was ended by the kernel (WTERMSIG). */
#define TERM_INTERRUPTED  2         /* Ctrl-C on the console (SYS_set_foreground) */
#define TERM_KILLED       9         /* kill() */
#define TERM_FAULT        11        /* page fault, illegal instruction, misaligned
                                       access, ... (the console line says which) */

/* Standard file descriptors: every process starts with the console on 0-2. */
#define STDIN_FILENO      0
#define STDOUT_FILENO     1
#define STDERR_FILENO     2

struct dirent {
    char name[MAX_PATH];            /* NUL-terminated */
    uint64_t size;                  /* bytes */
};

struct sysinfo {
    uint64_t free_frames;           /* 4 KiB frames free (heap caches included) */
    uint64_t total_frames;
    uint64_t nprocs;                /* live processes (zombies included) */
    uint64_t nthreads;              /* live threads */
    uint64_t harts;                 /* harts online */
    uint64_t uptime_ns;
    char sched_name[16];            /* scheduling policy in use */
    uint64_t sched_flags;           /* SCHED_FLAG_* of that policy */
    uint64_t heap_bytes;            /* kernel heap in use (kmalloc) */
    uint64_t heap_frames;           /* frames holding live heap objects: where
                                       they lie is the heap's choice, so a
                                       leak check adds these to free_frames
                                       and compares heap_bytes on its own */
};

/* Frames that nothing but the kernel heap holds: free, or filled with heap
 * objects.  What a leak check compares (with heap_bytes), since which
 * frames the heap's live objects fill depends on what ran before. */
static inline uint64_t frames_free_or_heap(const struct sysinfo *si)
{
    return si->free_frames + si->heap_frames;
}

/* Switches, counted by the kernel, and as the process's runtime reports
 * them (from its shared page: a process could lie about those two). */
struct schedstat {
    int64_t  pid;                   /* 0: totals of every process, living or not */
    uint64_t yield_syscalls;        /* yield system calls */
    uint64_t kernel_switches;       /* switches to its threads made by the kernel */
    uint64_t user_switches_seen;    /* user-mode switches the kernel noticed at
                                       traps (several between two traps count 1) */
    uint64_t parked_resumes;        /* threads parked in user mode that the
                                       kernel resumed itself */
    uint64_t user_switches_reported;     /* VDSO_DATA.user_switches */
    uint64_t yields_to_kernel_reported;  /* VDSO_DATA.yields_to_kernel */
    uint64_t shared_yields;         /* kernel yields made while other harts could
                                       make theirs (SCHED_FLAG_HART_LOCAL) */
    uint64_t sched_lock_waits;      /* whole system, whatever pid: times a hart
                                       found the scheduler lock taken */
    uint64_t commit_restarts;       /* interrupts that came inside the user-mode
                                       switch's restartable commit and sent it
                                       back to its start (shared_restart_commit) */
    uint64_t tail_interrupts;       /* interrupts (not pokes) that came in the
                                       switch's tail, after the commit and
                                       before the queue lock's release
                                       (reconcile_block_sched) */
    uint64_t tail_spared;           /* of those, the ones the kernel spared */
};

/* sysinfo.sched_flags (the same bits as in sched_abi/sched_abi.h). */
#define SCHED_FLAG_PRIORITY 0x1     /* on one hart, the most urgent task runs first */
#define SCHED_FLAG_PER_HART 0x2     /* a queue per hart */
#define SCHED_FLAG_HART_LOCAL 0x4   /* harts yield at the same time */
#define SCHED_FLAG_TAKES_STALLED 0x8 /* a stalled hart's queue is taken */

#endif
