/* Per-hart data apart.  Two harts that write the same 64-byte line make it
 * move between their cores on every write, even when each writes only its
 * own field: under QEMU's MTTCG that is the host's coherence traffic, and
 * the extra host time of a two-hart run (docs/performance.md, "Where the
 * host's time goes").  So data one hart writes often, indexed by hart, is
 * laid out a whole number of lines per hart. */
#ifndef KERNEL_CACHELINE_H
#define KERNEL_CACHELINE_H

#define CACHE_LINE 64
/* On a type: each object (each element of an array of them) starts a line
 * and fills whole lines. */
#define LINE_ALIGNED __attribute__((aligned(CACHE_LINE)))

#endif
