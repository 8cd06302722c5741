"""The published figures our results are set beside (bench/README.md says
where they come from).  All from QEMU with 4 harts; times in ms."""

# Synchronous ring, 1-byte token (threads): ring length -> ms.
SYNC_RING_1B = {64: 22, 128: 42, 256: 77, 512: 167, 1024: 308, 2048: 614, 3600: 1097}
# Asynchronous ring, 3876-byte token (coroutines): ring length -> ms.
ASYNC_RING_3876B = {16: 25, 32: 38, 64: 75, 128: 149, 256: 269, 512: 534}
# Parallel rings: speedup over one worker with 4 workers on 4 harts.
PRINGS_SPEEDUP_4 = 3.07
# Parallel rings (4 rings of 512, 3876-byte token): workers -> ms.
PRINGS_MS = {1: 1872, 2: 940, 3: 760, 4: 609, 5: 1906}
# Long connections at 128 connections (a request every 50 ms, 5 s):
# server -> (replies, mean latency in us).
CONN_128 = {"thread": (3301, 108451), "coro": (6327, 2466)}
# Replies per priority level, highest priority first, on one core.  Eight
# figures as published, for seven levels: shown as they are.
PRIO_THROUGHPUT_1CORE = (1532, 1496, 1326, 536, 43, 16, 16, 16)

# Which of our rings each published series corresponds to: (mode, size).
RING_SERIES = {("thread", 1): SYNC_RING_1B, ("coro", 3876): ASYNC_RING_3876B}
