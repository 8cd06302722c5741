"""What the benchmark programs promise to print (bench/README.md, "Result
lines"): the workloads of their BENCH lines (a run's BENCH-DONE names its
own workload: b_conn -p ends with `BENCH-DONE prio`), and the keys every
line of a workload must carry.  The parser checks
records against this, so a program that drops a figure fails loudly
instead of leaving an empty cell."""

# workload -> keys each of its BENCH lines must have (parameters, figures).
REQUIRED_KEYS = {
    "ring": ("mode", "len", "size", "laps", "us"),
    "prings": ("rings", "len", "workers", "laps", "size", "us"),
    "conn": ("server", "conns", "period_ms", "msize", "secs", "replies",
             "lat_mean_us", "lat_p50_us", "lat_p99_us", "mem_per_conn_bytes"),
    "prio": ("server", "conns", "levels", "level", "prio", "period_ms", "msize",
             "secs", "replies", "lat_mean_us", "lat_p50_us", "lat_p99_us"),
    "micro": ("op", "instr", "iters"),
    "policycost": ("where", "policy", "n", "op"),
}

# Workloads in the order the report shows them.
WORKLOADS = ("ring", "prings", "conn", "prio", "micro", "policycost")
