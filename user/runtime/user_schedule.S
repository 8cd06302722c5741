/*
 * user_schedule, me in a2: the runtime's yield, entered from yield_()
 * (user/lib/yield.S; not a C function: it takes the slot in a2, where the
 * policy's call wants it, as user_schedule_light does).
 * docs/user-mode-switching.md, "A yield",
 * gives the steps; runtime.c's user_schedule_saved is the whole of them
 * in C.
 *
 * This file is the fast path for the common case: one thread of this
 * process switching to another that waits in the process's queue, with
 * nothing unusual anywhere: the queue lock free at the first look, the
 * queue set up, this thread not left in the queue by the kernel, its
 * priority the kernel's, nothing as urgent waiting in the kernel, no
 * timeline being recorded, no hart due to rest, and a policy answer that
 * is a READY thread of this process other than us.  (Under a per-hart
 * policy it asks top_priority first, as the C half does, and keeps the
 * hart when that says nobody is queued on it.)
 *
 * Why assembly: the entry has saved every register a call preserves (the
 * switch needs that save anyway), so from then on the fast path may use
 * s0..s11 freely.  The C half cannot know that, and its prologue saved
 * them all again; it also rebuilt addresses the fast path keeps in
 * registers.
 *
 * It makes the same checks as the C half, in the same order where order
 * matters (those that read what the lock guards are made under it).  At
 * the first check that does not hold it hands over to C, at one of three
 * points, each of which the C half can take up as if it had got there
 * itself:
 *
 *   .Lslow      nothing done yet (or undone): user_schedule_saved(me)
 *   .Lpinned    the lock held (which pins us): user_schedule_pinned()
 *   .Lfetched   the policy has answered: user_schedule_fetched()
 *
 * (each with the caller's s0..s11 back: from the save on, s5 holds
 * nharts - 1 and s3 the hart where it is kept, which .Lslow_saved and
 * .Lpinned load back).
 * It ends in the restartable commit and the switch's tail, which the C
 * half and rt_park enter too (step 7 below).
 *
 * Each hand-over counts one in VDSO_DATA.slow_yields, which the test
 * suite reads to see both paths taken (t_uswitch_paths).  Nothing here
 * trusts the shared pages more than the C half does: the process can
 * write all of them.
 */
#include "../../os/arch/callee_saved.h"
#include "rt_layout.h"

/* One ld reads rt_ready and rt_off (step 3). */
.if RT_RT_OFF != RT_READY_WORD + 4 || RT_READY_WORD % 8 != 0 || RT_READY_MAGIC >= 0x80000000
.error "rt_layout.h: step 3 reads rt_ready and rt_off as one doubleword, RT_READY one lui's"
.endif

/* The pin's test of the hart reads our flags with it (one lhu). */
.if RT_TASK_FLAGS != RT_TASK_HART + 1 || RT_MAX_HARTS > 256
.error "rt_layout.h: the pin's lhu reads the hart and the flags bytes together"
.endif

/* Step 4's bookkeeping before the policy is called: age = ++age_clock,
 * and our record marked as in the queue (still RUNNING: nobody may claim
 * it yet: its flags were 0, and IN_QUEUE is their only one).  Writes t0
 * and s8, which keeps RT_STATE_READY across the policy's call, for the
 * claim's test and the switch's tail (step 8), which marks us READY with
 * it: the same value as the flag, so one `li` makes both.  s10 holds
 * VDSO_DATA, s11 our record. */
.if RT_FLAG_IN_QUEUE != RT_STATE_READY
.error "rt_layout.h: QUEUE_US marks the flag with RT_STATE_READY's register"
.endif
.macro QUEUE_US
    ld      t0, RT_AGE_CLOCK(s10)
    addi    t0, t0, 1
    sd      t0, RT_AGE_CLOCK(s10)
    sd      t0, RT_TASK_AGE(s11)
    li      s8, RT_STATE_READY      /* s8: READY, = RT_FLAG_IN_QUEUE */
    sb      s8, RT_TASK_FLAGS(s11)
.endm

/* The last of step 3's tests, with the lock held and the hart in a1: may
 * this hart be due to rest (a run of futile switches on it)?  Then the C
 * half decides (.Lpinned).  One hart never rests, and needs no hart after
 * the policy's call (it is 0): only with more harts is it kept in s3, for
 * count_switch (step 6), here (`keep` s3) or by the caller (.Lunbound, for
 * its calls).  Writes t0, t2. */
.macro REST_CHECK keep
    beqz    s5, 2f                  /* one hart: it never rests */
    .ifnb \keep
    mv      \keep, a1
    .endif
    slli    t0, a1, 2
    add     t0, t0, s10
    lw      t0, RT_QUICK_SWITCHES(t0)
    li      t2, RT_REST_AFTER_N
    bgeu    t0, t2, .Lpinned        /* this hart may be due to rest */
2:
.endm

/* One try of the claim of the fetched thread (READY -> RUNNING in the
 * state byte, bits 8..15 of the word at t2), as claim_ready does: a state
 * other than READY (s8) hands the answer to the C half (the kernel took
 * it); a lost race goes to `lost`; a won one falls through.  Writes t0,
 * t1. */
.macro CLAIM_TRY lost
    lr.w.aqrl t0, (t2)
    srliw   t1, t0, 8
    andi    t1, t1, 0xff
    bne     t1, s8, .Lfetched       /* not READY: the kernel took it */
    addiw   t0, t0, 1 << 8          /* READY + 1 = RUNNING */
    sc.w.rl t1, t0, (t2)
    bnez    t1, \lost
.endm

/* The checks before the save, the same for both entries, in the
 * registers each names: `me` (our slot), then what they leave: `base`
 * VDSO_DATA, `nrec` nrecords, `recs` the records, `off` our record's
 * offset among them (me << RT_TASK_SHIFT, the full save's mark) and `rec`
 * our record (`off` may be `rec`).  A slot with no mapped record goes to
 * the C half (`slow`), which sends it to the kernel: nothing is written
 * there.  VDSO_DATA.ntasks is not read: the policy calls' context is
 * SCHED_KINFO's rt_ctx, the kernel's (ntasks RT_MAX_TASKS), so the
 * process's copy of it plays no part here; the C half, which builds its
 * context from that copy, checks it itself. */
.macro ENTRY_CHECKS me, base, nrec, recs, off, rec, slow
    li      \base, -1
    slli    \base, \base, RT_BASE_SHIFT /* VDSO_DATA, the region's base */
    lw      \nrec, RT_NRECORDS(\base) /* nrecords, read once (the process
                                       may write it while we look) */
    bgeu    \me, \nrec, \slow        /* me >= nrecords */
    li      t0, RT_MAX_TASKS
    bltu    t0, \nrec, \slow          /* more records than tasks: the kernel
                                       never says so.  With the test before
                                       it, this is also "me < RT_MAX_TASKS":
                                       me < nrecords <= RT_MAX_TASKS */
    lui     \recs, RT_TASKS_PAGES
    add     \recs, \recs, \base      /* the TaskSched heap (the records) */
    slli    \off, \me, RT_TASK_SHIFT
    add     \rec, \off, \recs        /* our record */
.endm

/* The registers a light yield keeps (yield_light, <unistd.h>): ra, sp, tp
 * and s0..s2, at their places in the context (the layout of
 * os/arch/callee_saved.h); and s3..s11, which only a full save holds. */
/* The fast path keeps its own values in s3..s6, s10 and s11 (s11: the
 * context the entry saved the caller's into); a hand-over to the C half
 * puts the caller's back first.  t1 is free on those ways. */
.macro CALLERS_FAST_REGS_BACK
    mv      t1, s11
    ld      s3, RT_CTX_S3(t1)
    ld      s4, RT_CTX_S4(t1)
    ld      s5, RT_CTX_S5(t1)
    ld      s6, RT_CTX_S6(t1)
    ld      s10, RT_CTX_S10(t1)
    ld      s11, RT_CTX_S11(t1)
.endm

.macro LIGHT_EACH op, base, off
    \op     ra, \off(\base)
    \op     sp, \off + 8(\base)
    \op     tp, \off + 16(\base)
    \op     s0, \off + 24(\base)
    \op     s1, \off + 32(\base)
    \op     s2, \off + 40(\base)
.endm
.macro REST_EACH op, base, off
    .set    rest_off, \off + 48
    .irp    reg, s3, s4, s5, s6, s7, s8, s9, s10, s11
    \op     \reg, rest_off(\base)
    .set    rest_off, rest_off + 8
    .endr
.endm

    .section .text
    .globl user_schedule
    .hidden user_schedule
user_schedule:
    /* 0. Save ra, sp, tp, s0..s11 into this thread's record: where a
     * thread that switches back to us returns, where the kernel resumes
     * us, and (the rescue word) where a policy fault sends us.  Entered
     * with our slot `me` in a2, as the light entry (yield_, user/lib/
     * yield.S, passes it there: where the policy's call wants it), so not
     * a C function.  The rescue word says "a full save": our record's
     * offset among the records (below 1 << RT_RECORDS_SHIFT, which no
     * other writer of the word uses: rt_rescue, switch.S), a value the
     * checks leave in t1. */
    ENTRY_CHECKS a2, t6, a3, a5, t1, a1, .Lslow
    SAVE_CALLEE_SAVED a1, 1, RT_CTX
    sd      t1, RT_CTX_RESCUE(a1)   /* "a full save, in the record at t1" */
    mv      s10, t6                 /* the registers the rest works in, */
    mv      s11, a1                 /* which the light entry computes its */
    mv      s4, a3                  /* values straight into (its caller */
    mv      s6, a5                  /* keeps nothing there) */
    j       .Lsaved

    /* user_schedule_light, entered with our slot `me` in a2 (not a C
     * function: only yield_light_call in user/lib/yield.S jumps here, and
     * it passes the slot where the policy's call wants it): the same yield for a caller
     * that keeps only ra, sp, tp and s0..s2 across it (yield_light in
     * <unistd.h> declares s3..s11 changed, so the compiler saves what it
     * has live in them).  The save holds those six, and the rescue word
     * says so: it holds the record's own address (the light save's
     * mark, rt_layout.h), which rt_rescue knows, and whoever switches back to
     * us loads those six only (step 8).  Everything else is user_schedule's,
     * the hand-overs to the C half included (a C function keeps more than
     * we need; what they load of s3..s11 from the save is stale, and ours
     * to lose). */
    .globl user_schedule_light
    .hidden user_schedule_light
user_schedule_light:
    ENTRY_CHECKS a2, s10, s4, s6, s11, s11, .Llight_slow
    LIGHT_EACH sd, s11, RT_CTX
    sd      s11, RT_CTX_RESCUE(s11) /* "a light save": the record itself */
    /* From here on, for both entries: s10 VDSO_DATA, s11 our record, s4
     * nrecords, s6 the records, a2 me (kept for the policy's call:
     * yield_fetch's third argument). */
.Lsaved:

    /* 1. The rest of what the C half checks before it pins (but rt_off,
     * read with rt_ready under the lock, step 3).  From here
     * on s3 and s5 are ours too (their values kept across the policy
     * calls): a hand-over before the policy has answered loads the
     * caller's s3..s6, s10 and s11 back from the save (.Lslow_saved,
     * .Lpinned).
     *
     * The machine's hart count, the policy calls' context and the
     * policy's entry come from SCHED_KINFO, where the kernel bound them
     * at boot (shared_bind_policy): a page no process can write, so,
     * unlike VDSO_DATA.nharts and policy_flags, they need no check. */
    lui     t5, RT_KINFO_PAGES
    add     t5, t5, s10             /* t5: SCHED_KINFO */
    lw      s5, RT_KINFO_LAST_HART(t5) /* s5: nharts - 1, the last hart;
                                       0 stands out as "one hart" */
    ld      t0, RT_KINFO_SWITCH_OFF(t5) /* two words, one load: */
    bnez    t0, .Lslow_saved        /* switching off for every process, or
                                       a timeline to record (the C half
                                       records it) */

    /* 2. Pin: take the queue lock, which holding pins us (the kernel's
     * timer spares the thread that holds its process's lock, for a
     * bounded time), then read the hart we run on (pin_fast in
     * runtime.c, which says why no fence is needed before that read:
     * the kernel writes it only in a trap on this hart). */
    addiw   t1, a2, 1               /* the lock holds its holder's slot + 1 */
    addi    t2, s10, RT_QUEUE_LOCK
1:  lr.w.aq t0, (t2)                /* take it if free (acquire) */
    bnez    t0, .Lslow_saved        /* in use: the C half waits for it */
    sc.w    t0, t1, (t2)
    bnez    t0, 1b
    lhu     a1, RT_TASK_HART(s11)   /* a1: the hart we run on, and above
                                       it our flags (only we write them),
                                       the byte after it: */
    bltu    s5, a1, .Lunlock        /* past the last hart, or our flags not
                                       0: IN_QUEUE, their only one
                                       (RT_FLAGS_ALL), the kernel resumed us
                                       from the queue.  Both to the C half,
                                       from the start (user_schedule_saved
                                       takes the lock again and leaves the
                                       queue): one test for the two, the
                                       hart a byte, and a1 the hart alone
                                       from here on, where the policy's
                                       call wants it (kept across the call
                                       in s3 where it is needed after it:
                                       REST_CHECK, .Lunbound) */

    /* 3. Under the lock: is this the common case?  (The C half's
     * ensure_ready, the queued_top test and the resting test, after
     * leave_queue_locked's, made with the hart's above; each answer other
     * than "nothing to do" is its.) */
    ld      t0, RT_READY_WORD(s10)  /* rt_ready, and rt_off above it */
    lui     t1, RT_READY_MAGIC >> 12 /* RT_READY, one lui (its low 12 bits
                                       are 0, bit 31 too), and 0 above it */
    bne     t0, t1, .Lunlock        /* the queue not set up yet, or switching
                                       off for this process (rt_off): to the
                                       C half from the start, which tests
                                       rt_off before it pins, then sets the
                                       queue up.  Read here, under the lock,
                                       not before the pin: one load for the
                                       two words, and with rt_off set we only
                                       take the lock and let it go */
    add     t0, s10, a2
    lui     t1, RT_KPRIO >> 12
    add     t0, t0, t1
    lbu     t0, RT_KPRIO & 0xfff(t0) /* kprio[me] */
    lbu     a7, RT_TASK_PRIO(s11)   /* a7: our record's priority */
    bne     t0, a7, .Lpinned        /* the kernel changed it */
    lw      t0, RT_KINFO_QUEUED_TOP(t5)
    bgeu    t0, a7, .Lpinned        /* the kernel has one at least as urgent
                                       (queued_top is the kernel's, in a page
                                       the process cannot write: 0 or more, so
                                       this also sends priority 0 away) */
    li      t1, RT_PRIO_MAX
    bltu    t1, a7, .Lpinned        /* so with this: not in 1..RT_PRIO_MAX */
    /* 4. Queue this thread and fetch the next, through the policy.  The
     * values live in s3..s11, which the policy preserves (and which a full
     * save holds for whoever comes back here); the calls' arguments are
     * put in place as soon as they are known (a2, me, since the entry; a1,
     * the hart, since the pin). */
    /* a0: the policy calls' struct sched_ctx, SCHED_KINFO.rt_ctx (the
     * kernel's: ntasks RT_MAX_TASKS, whatever the process wrote into
     * VDSO_DATA.ntasks; serial_calls is set: the calls are made under the
     * lock). */
    addi    a0, t5, RT_KINFO_CTX
    ld      t1, RT_KINFO_YIELD_FETCH(t5) /* t1: the policy's yield_fetch, */
    beqz    t1, .Lunbound           /* unless it is per-hart or has none */
    REST_CHECK s3                   /* the last of step 3's tests */
    QUEUE_US
    jalr    t1                      /* a0 = yield_fetch(ctx, hart, me) */
.Lanswered:

    /* 5. Check the answer: a record that is mapped, of a thread of ours,
     * not us (the policy keeping us running is the C half's to finish),
     * and READY, which we claim (READY -> RUNNING), as claim_ready does:
     * the kernel may claim it too.  An answer with garbage above bit 31
     * is out of range here, and the C half truncates it as C does. */
    bgeu    a0, s4, .Lfetched       /* past nrecords (so past RT_MAX_TASKS) */
    slli    a1, a0, RT_TASK_SHIFT
    add     a1, a1, s6              /* a1: the next thread's record (no call
                                       from here on: a scratch register) */
    beq     a1, s11, .Lfetched      /* us */
    addi    t2, a1, RT_TASK_STATE - 1   /* the word holding the state byte
                                       (s8: READY, since QUEUE_US) */
    CLAIM_TRY .Lclaim_retry         /* the first try; a lost race retries
                                       out of line, with the bound on tries
                                       (the process may flip the word for
                                       ever), which the first try needs no
                                       register for */
.Lclaimed:
    /* 6. Switch: the bookkeeping of a switch, as the C half does it. */
    sb      zero, RT_TASK_FLAGS(a1) /* out of the queue (IN_QUEUE is the
                                       only flag: RT_FLAGS_ALL) */
    beqz    s5, 5f                  /* more harts: count_switch, for resting */
    rdinstret t0
    slli    t1, s3, 3
    add     t1, t1, s10
    ld      t2, RT_SWITCHED_AT(t1)
    sd      t0, RT_SWITCHED_AT(t1)
    sub     t2, t0, t2              /* instructions since the last switch */
    slli    t1, s3, 2
    add     t1, t1, s10
    lw      t3, RT_QUICK_SWITCHES(t1)
    addiw   t3, t3, 1               /* another futile one in a row... */
    li      t5, RT_QUICK_INSNS
    bltu    t2, t5, 6f
    li      t3, 0                   /* ... or the end of the run */
6:  sw      t3, RT_QUICK_SWITCHES(t1)
5:  ld      t0, RT_TASK_SWITCHES(a1)
    addi    t0, t0, 1
    sd      t0, RT_TASK_SWITCHES(a1)
    add     t0, s10, a0
    sb      zero, RT_OFF_HART(t0)   /* on a hart again */
    ld      t0, RT_USER_SWITCHES(s10)
    addi    t0, t0, 1
    sd      t0, RT_USER_SWITCHES(s10)

    /* 7. Commit: current[hart] = next, and next->hart = hart, where hart
     * is the one we run on *now*: the record's, which the kernel rewrites
     * before every return to user mode.  The hart read at the pin may be
     * stale by now: the kernel preempts a thread that stays pinned too
     * long and may resume it on another hart.
     *
     * The runtime's one restartable sequence, shared by every writer of
     * current[] (rt_switch for the C half and rt_park, switch.S, come in
     * here with the same registers): if the hart traps anywhere after
     * rt_commit_current and up to the store at rt_commit_store, the
     * kernel sends it back to rt_commit_current (the runtime's header
     * gives it both addresses; shared_restart_commit), so the hart read
     * and the store that depends on it are never separated by a move to
     * another hart.  It only reads its inputs and writes t0, so it may
     * start again any number of times:
     *   s10 VDSO_DATA, s11 our record, a1 the next thread's record (ours
     *   when parking), a0 the value for current[hart]; and for the
     *   switch's tail after it (not the park), s8 RT_STATE_READY. */
    .globl rt_commit_current
    .hidden rt_commit_current
    .globl rt_commit_store
    .hidden rt_commit_store
rt_commit_current:
    lbu     t0, RT_TASK_HART(s11)
    sb      t0, RT_TASK_HART(a1)
    slli    t0, t0, 2
    add     t0, t0, s10
rt_commit_store:
    sw      a0, RT_CURRENT(t0)      /* the commit */
    beq     a1, s11, .Lparking      /* "next" is us: rt_park's commit */

    /* 8. Switch (rt_switch's steps, for the C half too): mark us READY
     * (only now may anyone, the kernel included, claim us: our registers
     * were saved at the entry), release the lock, which unpins, and load
     * the other thread's registers.  The release comes before the load,
     * not after: current[hart] names the other thread already, so a trap
     * here is that thread's, which the lock does not name.  The kernel
     * spares it all the same, knowing the window by the pc: from after
     * rt_commit_store up to the release at .Lswitch_release, an address
     * the runtime's header exports (switch_release_offset, vdso.h;
     * reconcile.c, in_switch_tail).  Were it preempted with the lock held
     * in our name, every waiter would wait for a thread that is parked.
     * (The label names these instructions in a profile: without it they
     * would count as rt_commit_store's.  The release has no symbol of its
     * own, so that the profile keeps one name for the tail: the header
     * gives it as rt_switch_to_next + RT_SWITCH_RELEASE_AT, checked below.) */
    .globl rt_switch_to_next
    .hidden rt_switch_to_next
rt_switch_to_next:
    fence   rw, w                   /* our registers saved, the queue
                                       written, before... */
    sb      s8, RT_TASK_STATE(s11)  /* ...we may be claimed (READY)... */
.Lswitch_release:
    sw      zero, RT_QUEUE_LOCK(s10) /* ...and the lock is free: unpinned */
    .if .Lswitch_release - rt_switch_to_next != RT_SWITCH_RELEASE_AT
    .error "rt_layout.h: RT_SWITCH_RELEASE_AT is not where the tail releases the lock"
    .endif
    LIGHT_EACH ld, a1, RT_CTX       /* we are the other thread now (a1 is
                                       none of the registers loaded)... */
    ld      t0, RT_CTX_RESCUE(a1)
    beq     t0, a1, 7f              /* ...which saved no more (a light
                                       yield's save: user_schedule_light) */
    REST_EACH ld, a1, RT_CTX
7:  li      a0, 1                   /* its user_schedule returns 1 */
    ret

    /* rt_park's commit (current[hart] = us | CURRENT_PARKING) is done: ask
     * the kernel, with the lock still held and our record still RUNNING
     * (the kernel marks it READY and releases the lock: switch.S). */
.Lparking:
    mv      a0, s2                  /* parked = how (rt_park put it in s2) */
    li      a7, 17                  /* SYS_yield */
    ecall
    unimp                           /* not reached: the kernel resumes a
                                       parked thread through rt_load */

    /* No entry bound (SCHED_KINFO.rt_yield_fetch 0): a per-hart policy,
     * or one without yield_fetch.  The policy's header (read-only) says
     * how to call it. */
.Lunbound:
    mv      s3, a1                  /* s3: the hart, for after the calls */
    REST_CHECK                      /* (s3 set already) */
    lui     s7, RT_CODE_PAGES
    add     s7, s7, s10             /* s7: the policy's header (read-only) */
    lw      t0, RT_POLICY_FLAGS(s10)
    andi    t0, t0, RT_FLAG_PER_HART
    bnez    t0, .Lper_hart          /* asks top_priority first */
.Lqueue_us:
    QUEUE_US
    mv      a1, s3
    ld      t0, RT_OP_YIELD_FETCH_AT(s7) /* the policy's yield_fetch, */
    beqz    t0, .Ltwo_calls         /* if it has one (ABI 2.4) */
    add     t0, t0, s7
    jalr    t0                      /* a0 = yield_fetch(ctx, hart, me) */
    j       .Lanswered

    /* A per-hart policy's fetch takes another hart's thread when this
     * hart's queue is empty: with nobody queued here we keep the hart
     * (decide_with_top: with nothing as urgent in the kernel, as checked
     * above, that is its only other answer).  Out of line, the arguments
     * of the call after it kept in s2 and s9. */
.Lper_hart:
    mv      s9, a0                  /* s9: the sched_ctx */
    mv      s2, a2                  /* s2: me */
    ld      t0, RT_OP_TOP_AT(s7)
    add     t0, t0, s7
    jalr    t0                      /* a0 = top_priority(ctx, hart: a1) */
    sext.w  a0, a0                  /* a uint32_t: its low 32 bits */
    beqz    a0, .Lnobody_else
    mv      a0, s9
    mv      a2, s2
    j       .Lqueue_us

    /* A policy without a yield_fetch: yield, then fetch (out of line, so
     * that the usual case makes no jump). */
.Ltwo_calls:
    mv      s9, a0                  /* s9: the sched_ctx, for the fetch */
    ld      t0, RT_OP_YIELD_AT(s7)
    add     t0, t0, s7
    jalr    t0                      /* yield(ctx, hart, me) */
    ld      t0, RT_OP_FETCH_AT(s7)
    add     t0, t0, s7
    mv      a0, s9
    mv      a1, s3
    jalr    t0                      /* a0 = fetch(ctx, hart) */
    j       .Lanswered

    /* Nobody to switch to: let go of the lock (unpin), and return 0 with
     * the caller's registers. */
.Lnobody_else:
    fence   rw, w
    sw      zero, RT_QUEUE_LOCK(s10)
    addi    t0, s11, RT_CTX
    LOAD_CALLEE_SAVED t0, 1
    li      a0, 0
    ret

    /* The claim's retries after a lost race (a store to the word between
     * our lr and sc: the kernel's claim, or the process's): RT_CAS_TRIES
     * tries in all, the first one in line. */
.Lclaim_retry:
    li      t3, RT_CAS_TRIES - 1
8:  CLAIM_TRY 9f
    j       .Lclaimed
9:  addi    t3, t3, -1
    bnez    t3, 8b
    j       .Lfetched

    /* Hand-overs to the C half. */
.Lunlock:                           /* let go of the lock (release): */
    fence   rw, w                   /* nothing else was done under it */
    sw      zero, RT_QUEUE_LOCK(s10)
.Lslow_saved:                       /* the caller's registers back: */
    mv      t6, s10
    CALLERS_FAST_REGS_BACK
.Lslow:                             /* a2 = me, t6 VDSO_DATA; ra, sp, s0..s11
                                       the caller's */
    ld      t0, RT_SLOW_YIELDS(t6)
    addi    t0, t0, 1
    sd      t0, RT_SLOW_YIELDS(t6)
    mv      a0, a2                  /* user_schedule_saved(me) */
    j       user_schedule_saved
.Llight_slow:                       /* the light entry's checks: s3..s11 */
    mv      t6, s10                 /* are not the caller's to keep */
    j       .Lslow

.Lpinned:                           /* the caller's registers but s3..s6,
                                       s10, s11; a1 the hart */
    ld      t0, RT_SLOW_YIELDS(s10)
    addi    t0, t0, 1
    sd      t0, RT_SLOW_YIELDS(s10)
    mv      a0, a2                  /* (me, hart, ntasks, nharts): ntasks */
    li      a2, RT_MAX_TASKS        /* is rt_ctx's, RT_MAX_TASKS */
    addi    a3, s5, 1
    CALLERS_FAST_REGS_BACK
    j       user_schedule_pinned

.Lfetched:                          /* s3..s11 are ours: load the caller's */
    ld      t0, RT_SLOW_YIELDS(s10)
    addi    t0, t0, 1
    sd      t0, RT_SLOW_YIELDS(s10)
    sext.w  a2, a0                  /* (me, hart, next, ntasks, nharts), */
                                    /* next as the ABI passes a uint32_t */
    sub     a0, s11, s6             /* me: our record's index */
    srli    a0, a0, RT_TASK_SHIFT
    li      a1, 0                   /* the hart: 0 on one hart (checked */
    beqz    s5, 1f                  /* against nharts - 1 at the pin), */
    mv      a1, s3                  /* else kept in s3 (REST_CHECK, */
1:                                  /* .Lunbound) */
    li      a3, RT_MAX_TASKS        /* ntasks: rt_ctx's, as the policy had it */
    addi    a4, s5, 1
    addi    t0, s11, RT_CTX
    LOAD_CALLEE_SAVED t0, 1
    j       user_schedule_fetched
