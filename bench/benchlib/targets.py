"""The fast-path targets (issue 13): instructions per operation under the
heap policy on one hart, `-icount shift=0`, as b_micro measures them.  The
report sets each beside the figure reached; docs/performance.md says how
each was reached.  An operation missing here has no target."""

# b_micro op -> the most instructions it may take (heap, one hart).
MICRO_HEAP = {
    "syscall": 200,        # a system call the kernel does not have
    "yield": 300,          # the yield system call, nothing else ready
    "yield_other": 500,    # a kernel thread switch by yield
    "procswitch": 550,     # a process switch by yield
    "uswitch": 200,        # a user-mode thread switch (fifo: 150)
    "coswitch": 100,       # a coroutine switch
    "pipe_sync": 4000,     # a 1-byte round trip through two pipes
    "fork": 100_000,       # fork, the child exits, waitpid
    "exec": 200_000,       # fork, exec /true, exit, waitpid
    "sbrk": 250_000,       # sbrk 1 MiB, touch every page, sbrk -1 MiB
}

# The user-mode switch under fifo, the simplest policy.
MICRO_FIFO = {"uswitch": 150}

# Parallel rings: 2 workers on 2 harts over 1 worker, without icount.
PRINGS_SPEEDUP_2 = 1.8
