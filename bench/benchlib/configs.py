"""Which runs to make: every workload's sweep, for `make bench` (full) and
`make bench-quick` (small sizes, the same workloads), cut down by the
command line's --workloads, --policies and --sizes.

A Run is one command typed at the shell of a machine booted with a
policy, a number of harts and with or without -icount.  Runs that share
those three share one boot (runner.py), so the order here is only the
order within a boot."""
from dataclasses import dataclass, field

POLICIES = ("heap", "bitmap", "multiqueue", "fifo")

# The rings of the published experiment (published.py): a synchronous
# (thread) 1-byte ring and an asynchronous (coroutine) 3876-byte ring, run
# at every length; 32 is a length of the published asynchronous series.
RING_LENGTHS = (16, 64, 128, 256, 512, 1024, 2048, 3600)
RING_ASYNC_EXTRA_LENGTHS = (32,)
RING_SIZES = (1, 228, 912, 3876)
# The other token sizes, and each published ring in the other mode (for
# the coroutine/thread ratio), at a few lengths only: the full run has to
# fit in about 20 minutes for four policies on two cores.
RING_SUBSET_LENGTHS = (64, 512, 2048)
RING_LAPS = 5
# The published runs had 4 harts; a ring is serial, and this host has 2
# cores: 4 virtual harts on 2 cores would measure the host's contention.
RING_HARTS = 2

PRINGS_RINGS, PRINGS_LEN, PRINGS_LAPS = 4, 512, 5
PRINGS_SIZE = 3876                  # the published token
PRINGS_WORKERS = (1, 2, 3, 4)       # on as many harts
# Runs per point (b_prings -r), after one left out: the median is the
# figure.  One run is one host's luck: on a 2-core machine with other
# work the same point varied by up to 2x from run to run.
PRINGS_RUNS = 5

CONN_COUNTS = (1, 2, 4, 8, 16, 32, 64, 128)
CONN_PERIODS_MS = (50, 100)
CONN_MSIZES = (1, 20)
CONN_SERVERS = ("thread", "coro")
CONN_SECS = 5
CONN_HARTS = 2                      # the host's cores (published: 4 harts)
# Policies after the first: one period and size, fewer connection counts.
CONN_SUBSET_COUNTS = (1, 16, 128)

PRIO_LEVELS, PRIO_CONNS = 7, 112
# (period ms, matrix size): the published run's load (its 1532 replies at
# the top level in 5 s are 16 connections' requests every 50 ms), which does
# not saturate our server on this host, and a load that does (the published
# run was saturated: its lower levels starved).
PRIO_LOADS = ((50, 20), (10, 32))
PRIO_HARTS = (1, 2)

# Quick: the same workloads, small.
QUICK_RING_LENGTHS = (16, 64)
QUICK_RING_LAPS = 2
QUICK_PRINGS = dict(rings=2, len=16, laps=2, workers=(1, 2), runs=1)
QUICK_CONN_COUNTS = (1, 4)
QUICK_SECS = 1
QUICK_PRIO_CONNS = 14               # 2 per level
QUICK_POLICY_MAXN = 64
QUICK_HARTS = 2                     # rings and connections: shares prings' 2-hart boot

# Seconds a run may take before it counts as hung (times --timeout-factor).
# Generous: the host is shared, and a hang costs only its timeout.
TIMEOUT_RING = 300
TIMEOUT_PRINGS = 300
TIMEOUT_MICRO = 300
TIMEOUT_POLICY = 600
TIMEOUT_CONN_EXTRA = 120            # beyond the run's own seconds x 3


@dataclass
class Run:
    workload: str                   # the section it belongs to (contract.WORKLOADS)
    program: str                    # b_ring, b_prings, b_conn, b_micro, b_policy
    args: tuple
    policy: str
    harts: int
    icount: bool
    timeout: int                    # seconds
    note: str = field(default="")   # why this run is there, for the report

    @property
    def command(self):
        return " ".join((self.program,) + tuple(str(a) for a in self.args))

    @property
    def boot(self):
        return (self.policy, self.harts, self.icount)

    def describe(self):
        return (f"{self.policy} smp={self.harts}{' icount' if self.icount else ''} "
                f"{self.command}")


@dataclass
class Selection:
    quick: bool = False
    workloads: tuple = ("ring", "prings", "conn", "prio", "micro", "policycost")
    policies: tuple = POLICIES
    sizes: tuple = ()               # overrides each workload's size axis


def ring_runs(sel, policy):
    if sel.quick:
        lengths, laps = sel.sizes or QUICK_RING_LENGTHS, QUICK_RING_LAPS
        plan = [(mode, size, n) for n in lengths for size in (1, 3876)
                for mode in ("thread", "coro")]
    else:
        lengths, laps = sel.sizes or RING_LENGTHS, RING_LAPS
        extra = () if sel.sizes else RING_ASYNC_EXTRA_LENGTHS
        subset = [n for n in lengths if n in RING_SUBSET_LENGTHS] or list(lengths)[:1]
        plan = [("thread", 1, n) for n in lengths]
        plan += [("coro", 3876, n) for n in sorted(set(lengths) | set(extra))]
        plan += [("coro", 1, n) for n in subset] + [("thread", 3876, n) for n in subset]
        plan += [(mode, size, n) for size in RING_SIZES if size not in (1, 3876)
                 for n in subset for mode in ("thread", "coro")]
    harts = QUICK_HARTS if sel.quick else RING_HARTS
    return [Run("ring", "b_ring", (mode, n, size, laps), policy, harts, False,
                TIMEOUT_RING) for mode, size, n in plan]


def prings_runs(sel, policy):
    if sel.quick:
        q = QUICK_PRINGS
        rings, length, laps, workers, runs = (q["rings"], q["len"], q["laps"], q["workers"],
                                              q["runs"])
    else:
        rings, length, laps, workers, runs = (PRINGS_RINGS, PRINGS_LEN, PRINGS_LAPS,
                                              PRINGS_WORKERS, PRINGS_RUNS)
    if sel.sizes:
        length = max(sel.sizes)
    return [Run("prings", "b_prings", ("-r", runs, "-s", PRINGS_SIZE, rings, length, w, laps), policy, w, False,
                TIMEOUT_PRINGS) for w in workers]


def conn_runs(sel, policy):
    if sel.quick:
        counts, periods, msizes, secs = sel.sizes or QUICK_CONN_COUNTS, (50,), (1,), QUICK_SECS
    elif policy == sel.policies[0]:
        counts, periods, msizes, secs = (sel.sizes or CONN_COUNTS, CONN_PERIODS_MS,
                                         CONN_MSIZES, CONN_SECS)
    else:
        counts = sel.sizes or CONN_SUBSET_COUNTS
        periods, msizes, secs = CONN_PERIODS_MS[:1], CONN_MSIZES[:1], CONN_SECS
    timeout = secs * 3 + TIMEOUT_CONN_EXTRA
    harts = QUICK_HARTS if sel.quick else CONN_HARTS
    return [Run("conn", "b_conn", (server, n, period, msize, secs), policy, harts,
                False, timeout)
            for period in periods for msize in msizes for n in counts
            for server in CONN_SERVERS]


def prio_runs(sel, policy):
    conns = QUICK_PRIO_CONNS if sel.quick else PRIO_CONNS
    secs = QUICK_SECS if sel.quick else CONN_SECS
    harts = PRIO_HARTS[:1] if sel.quick else PRIO_HARTS
    loads = PRIO_LOADS[1:] if sel.quick else PRIO_LOADS
    # Under `ceiling 20`: from the shell (ceiling 10) the kernel would see
    # the coroutine server's levels 20..14, and the client's workers, all
    # as 10, and the threads' levels as 10..4 (bench/README.md, "-p"): the
    # two servers would not be compared at the same priorities.
    return [Run("prio", "ceiling", (20, "b_conn", "-p", PRIO_LEVELS, server, conns, period,
                                    msize, secs),
                policy, h, False, secs * 3 + TIMEOUT_CONN_EXTRA)
            for h in harts for period, msize in loads for server in CONN_SERVERS]


def micro_runs(sel, policy):
    return [Run("micro", "b_micro", (), policy, 1, True, TIMEOUT_MICRO)]


def policycost_runs(sel, policy):
    if sel.sizes:
        args = (max(sel.sizes),)
    else:
        args = (QUICK_POLICY_MAXN,) if sel.quick else ()
    return [Run("policycost", "b_policy", args, policy, 1, True, TIMEOUT_POLICY)]


MAKERS = {
    "ring": ring_runs, "prings": prings_runs, "conn": conn_runs, "prio": prio_runs,
    "micro": micro_runs, "policycost": policycost_runs,
}


def plan_runs(sel):
    """Every run, grouped so that runs sharing a boot are together: per
    policy, per (harts, icount), in the order of MAKERS."""
    runs = [r for policy in sel.policies for w in MAKERS if w in sel.workloads
            for r in MAKERS[w](sel, policy)]
    order = {}
    for r in runs:
        order.setdefault(r.boot, len(order))
    return sorted(runs, key=lambda r: order[r.boot])   # stable: keeps each boot's order
