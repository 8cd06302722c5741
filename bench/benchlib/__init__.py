"""The benchmark driver's parts (bench/bench.py is the command): what each
workload prints (contract), which runs to make (configs), booting and
running them (runner), reading their result lines (parse), and the
outputs (csvout, report, plots), beside the published figures
(published)."""
