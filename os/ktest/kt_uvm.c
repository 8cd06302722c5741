/*
 * ktest uvm: user memory on its fast and its slow paths (docs/design.md,
 * "Memory fast paths").  Each fast path is checked against what the slow
 * one guarantees: a batch of frames from frame_alloc_many is as good as
 * frames one by one, uvm_alloc across leaf tables and past a batch maps
 * every page zeroed and undoes itself on a collision, vm_unmap frees
 * across tables, fork's table-by-table copy is a copy, and a copy within
 * one page (no check of the range first) fails as whole as a longer one
 * (checked first), while the partial copies stop at the bad page.
 */
#include "ktest/ktest.h"
#include "mm/frame.h"
#include "mm/uvm.h"
#include "lib/string.h"
#include "uapi/errno.h"
#include "memlayout.h"

/* Three pages below a 2 MiB boundary: a range from here crosses from one
 * leaf table to the next. */
#define BASE   (0x400000UL - 3 * PAGE_SIZE)
#define NPAGES 40                     /* more than one batch of uvm_alloc */
#define MANY   40

static bool page_is(const void *page, uint8_t byte)
{
    const uint8_t *p = page;
    for (size_t i = 0; i < PAGE_SIZE; i++)
        if (p[i] != byte)
            return false;
    return true;
}

static int check_frames_many(void)
{
    size_t free0 = frame_free_count();
    void *f[MANY];
    KT_CHECK(frame_alloc_many(f, MANY) == MANY);
    KT_CHECK(frame_free_count() == free0 - MANY);
    for (int i = 0; i < MANY; i++) {
        KT_CHECK(((uintptr_t)f[i] & (PAGE_SIZE - 1)) == 0);
        for (int j = 0; j < i; j++)
            KT_CHECK(f[i] != f[j]);
    }
    /* Frames handed out singly now are none of the batch. */
    void *g = frame_alloc_unzeroed();
    KT_CHECK(g != NULL);
    for (int i = 0; i < MANY; i++)
        KT_CHECK(g != f[i]);
    frame_free(g);
    frame_free_many(f, MANY);
    KT_CHECK(frame_free_count() == free0);

    /* A run longer than a bitmap word: none of its frames is handed out
     * again while it is held. */
    char *run = frame_alloc_contig(70);
    KT_CHECK(run != NULL && page_is(run + 69 * PAGE_SIZE, 0));
    KT_CHECK(frame_alloc_many(f, MANY) == MANY);
    for (int i = 0; i < MANY; i++)
        KT_CHECK((char *)f[i] < run || (char *)f[i] >= run + 70 * PAGE_SIZE);
    frame_free_many(f, MANY);
    frame_free_contig(run, 70);
    KT_CHECK(frame_free_count() == free0);
    KT_DIAG("uvm frames: a batch of %d, a run of 70, all back\n", MANY);
    return 0;
}

static int check_alloc_and_free(struct uspace *us)
{
    size_t free0 = frame_free_count();
    uint64_t pa, flags;
    KT_CHECK(uvm_alloc(us->pt, BASE, NPAGES * PAGE_SIZE, PTE_R | PTE_W) == 0);
    for (int i = 0; i < NPAGES; i++) {
        KT_CHECK(vm_translate(us->pt, BASE + (uint64_t)i * PAGE_SIZE, &pa, &flags));
        KT_CHECK((flags & (PTE_U | PTE_R | PTE_W | PTE_X)) == (PTE_U | PTE_R | PTE_W));
        KT_CHECK(page_is(PA2VA(pa), 0));
        memset(PA2VA(pa), 0x77, PAGE_SIZE);     /* the next owner must see zeros */
    }
    size_t mapped = frame_free_count();
    /* A range over a page already there: -EEXIST, and what the call
     * mapped before it reached that page is gone again. */
    uint64_t from = BASE - 5 * PAGE_SIZE;
    KT_CHECK(uvm_alloc(us->pt, from, 6 * PAGE_SIZE, PTE_R) == -EEXIST);
    KT_CHECK(!vm_translate(us->pt, from, &pa, &flags));
    KT_CHECK(frame_free_count() == mapped);
    /* Freed across the table boundary: every page unmapped, every frame back
     * (the tables stay until the space goes). */
    uvm_free(us->pt, BASE, NPAGES * PAGE_SIZE);
    for (int i = 0; i < NPAGES; i++)
        KT_CHECK(!vm_translate(us->pt, BASE + (uint64_t)i * PAGE_SIZE, &pa, &flags));
    KT_CHECK(frame_free_count() == mapped + NPAGES);
    /* Mapped again: zeroed again, though the frames were dirtied. */
    KT_CHECK(uvm_alloc(us->pt, BASE, NPAGES * PAGE_SIZE, PTE_R | PTE_W) == 0);
    for (int i = 0; i < NPAGES; i++) {
        KT_CHECK(vm_translate(us->pt, BASE + (uint64_t)i * PAGE_SIZE, &pa, &flags));
        KT_CHECK(page_is(PA2VA(pa), 0));
    }
    uvm_free_all(us->pt);
    KT_CHECK(frame_free_count() == free0);
    KT_DIAG("uvm alloc: %d pages over two tables, EEXIST undone, freed, zeroed again\n",
            NPAGES);
    return 0;
}

static int check_copy_space(struct uspace *us)
{
    size_t free0 = frame_free_count();
    uint64_t pa, flags, cpa, cflags;
    KT_CHECK(uvm_alloc(us->pt, BASE, NPAGES * PAGE_SIZE, PTE_R | PTE_W) == 0);
    KT_CHECK(uvm_alloc(us->pt, USER_BASE, PAGE_SIZE, PTE_R | PTE_X) == 0);
    for (int i = 0; i < NPAGES; i++) {
        KT_CHECK(vm_translate(us->pt, BASE + (uint64_t)i * PAGE_SIZE, &pa, &flags));
        memset(PA2VA(pa), i + 1, PAGE_SIZE);
    }
    pagetable_t child = vm_create();
    KT_CHECK(child != NULL);
    KT_CHECK(uvm_copy(us, child) == 0);
    for (int i = 0; i < NPAGES; i++) {
        uint64_t va = BASE + (uint64_t)i * PAGE_SIZE;
        KT_CHECK(vm_translate(us->pt, va, &pa, &flags));
        KT_CHECK(vm_translate(child, va, &cpa, &cflags));
        KT_CHECK(cpa != pa && (cflags & 0xff) == (flags & 0xff));
        KT_CHECK(page_is(PA2VA(cpa), (uint8_t)(i + 1)));
    }
    KT_CHECK(vm_translate(child, USER_BASE, &cpa, &cflags));
    KT_CHECK((cflags & (PTE_R | PTE_W | PTE_X | PTE_U)) == (PTE_R | PTE_X | PTE_U));
    KT_CHECK(!vm_translate(child, BASE + NPAGES * PAGE_SIZE, &cpa, &cflags));
    uvm_free_all(child);
    vm_destroy(child);
    uvm_free_all(us->pt);
    KT_CHECK(frame_free_count() == free0);
    KT_DIAG("uvm copy: %d pages and a text page, same rights, own frames\n", NPAGES);
    return 0;
}

static int check_user_copies(struct uspace *us)
{
    size_t free0 = frame_free_count();
    char buf[64], back[64];
    /* Two writable pages, then a read-only one, then nothing. */
    uint64_t rw = BASE, ro = BASE + 2 * PAGE_SIZE, hole = BASE + 3 * PAGE_SIZE;
    KT_CHECK(uvm_alloc(us->pt, rw, 2 * PAGE_SIZE, PTE_R | PTE_W) == 0);
    KT_CHECK(uvm_alloc(us->pt, ro, PAGE_SIZE, PTE_R) == 0);
    for (int i = 0; i < 64; i++)
        buf[i] = (char)(i + 1);

    /* Within one page (no check first), and across two (checked first). */
    KT_CHECK(copy_to_user(us, rw + 100, buf, 64) == 0);
    KT_CHECK(copy_to_user(us, rw + PAGE_SIZE - 32, buf, 64) == 0);
    memset(back, 0, sizeof(back));
    KT_CHECK(copy_from_user(us, back, rw + PAGE_SIZE - 32, 64) == 0);
    KT_CHECK(memcmp(back, buf, 64) == 0);
    KT_CHECK(copy_from_user(us, back, rw + 100, 1) == 0 && back[0] == 1);
    KT_CHECK(uvm_range_ok(us, rw + 100, 64, true));
    KT_CHECK(uvm_range_ok(us, rw + PAGE_SIZE - 32, 64, true));

    /* Refusals within one page: nothing copied. */
    KT_CHECK(copy_to_user(us, ro + 8, buf, 8) == -EFAULT);
    KT_CHECK(copy_to_user(us, hole + 8, buf, 8) == -EFAULT);
    KT_CHECK(copy_from_user(us, back, hole, 1) == -EFAULT);
    KT_CHECK(copy_to_user(us, USER_TOP - 8, buf, 8) == -EFAULT);
    KT_CHECK(!uvm_range_ok(us, ro + 8, 8, true) && uvm_range_ok(us, ro + 8, 8, false));
    KT_CHECK(!uvm_range_ok(us, hole, 1, false));
    uint64_t pa, flags;
    KT_CHECK(vm_translate(us->pt, ro, &pa, &flags) && page_is(PA2VA(pa), 0));

    /* Across a good page and a bad one: the whole copies move nothing,
     * the partial ones stop at the bad page with the good part copied. */
    uint64_t edge = ro - 32;                   /* 32 writable bytes, then ro */
    KT_CHECK(copy_to_user(us, edge, buf, 64) == -EFAULT);
    KT_CHECK(copy_from_user(us, back, edge, 32) == 0);
    KT_CHECK(back[0] == 0 && back[31] == 0);   /* untouched: never written */
    memset(back, 0x5a, sizeof(back));
    KT_CHECK(copy_from_user(us, back, hole - 32, 64) == -EFAULT);  /* ro, then hole */
    KT_CHECK(back[0] == 0x5a && back[63] == 0x5a);                 /* untouched */
    KT_CHECK(copy_from_user_partial(us, back, hole - 32, 64) == -EFAULT);
    KT_CHECK(back[0] == 0 && back[31] == 0 && back[32] == 0x5a);   /* ro's part */
    char mark[64];
    memset(mark, 0x33, sizeof(mark));
    KT_CHECK(copy_to_user_partial(us, edge, mark, 64) == -EFAULT);
    KT_CHECK(copy_from_user(us, back, edge, 32) == 0);
    KT_CHECK(back[0] == 0x33 && back[31] == 0x33);
    KT_CHECK(vm_translate(us->pt, ro, &pa, &flags) && page_is(PA2VA(pa), 0));

    uvm_free_all(us->pt);
    KT_CHECK(frame_free_count() == free0);
    KT_DIAG("uvm copies: one page and two, whole and partial, refusals move nothing\n");
    return 0;
}

int ktest_uvm(void)
{
    size_t free0 = frame_free_count();
    if (check_frames_many())
        return -1;
    struct uspace us = { .lock = USPACE_LOCK_INIT("kt_uvm") };   /* no stack slot */
    us.pt = vm_create();
    KT_CHECK(us.pt != NULL);
    int err = check_alloc_and_free(&us) || check_copy_space(&us) ||
              check_user_copies(&us);
    vm_destroy(us.pt);
    KT_CHECK(!err);
    KT_CHECK(frame_free_count() == free0);
    return 0;
}
