/*
 * ktest=fdtable: a file-descriptor table (proc/fdtable.h) on its own, with
 * console references as the files: growth by doubling from FDTABLE_FIRST
 * to MAX_FDS and EMFILE past it, the lowest free descriptor, lookups of
 * descriptors no table holds, copies (each file referenced once more) and
 * the references all given back.  The kernel heap must be where it was.
 */
#include "ktest/ktest.h"
#include "proc/fdtable.h"
#include "fs/file.h"
#include "mm/kmalloc.h"
#include "uapi/errno.h"

static int console_refs(void)
{
    struct file *c = file_console();
    int refs = __atomic_load_n(&c->refs, __ATOMIC_RELAXED) - 1;
    file_close(c);
    return refs;
}

int ktest_fdtable(void)
{
    struct kmalloc_stats heap0, heap1;
    kmalloc_stats(&heap0);
    int refs0 = console_refs();
    struct fdtable t = { 0 }, copy = { 0 };

    /* Empty: no memory, nothing found, whatever the fd. */
    KT_CHECK(t.size == 0 && t.slot == NULL);
    static const uint64_t nowhere[] = { 0, 1, 15, 16, MAX_FDS, ~0ull, 1ull << 63 };
    for (unsigned i = 0; i < sizeof nowhere / sizeof nowhere[0]; i++)
        KT_CHECK(fdtable_get(&t, nowhere[i]) == NULL && fdtable_remove(&t, nowhere[i]) == NULL);

    /* Filled to the limit: descriptors in order, sizes doubling. */
    uint32_t grew = 0, last_size = 0;
    for (int fd = 0; fd < MAX_FDS; fd++) {
        int got = fdtable_install(&t, file_console());
        KT_CHECK(got == fd);
        if (t.size != last_size) {
            KT_CHECK(t.size == (last_size ? 2 * last_size : FDTABLE_FIRST));
            last_size = t.size;
            grew++;
        }
    }
    KT_CHECK(t.size == MAX_FDS && t.open == MAX_FDS);
    struct file *extra = file_console();
    KT_CHECK(fdtable_install(&t, extra) == -EMFILE && t.open == MAX_FDS);
    file_close(extra);
    KT_CHECK(console_refs() == refs0 + MAX_FDS);
    for (unsigned i = 0; i < sizeof nowhere / sizeof nowhere[0]; i++)
        if (nowhere[i] >= MAX_FDS)
            KT_CHECK(fdtable_get(&t, nowhere[i]) == NULL);
    KT_DIAG("fdtable grow: %u sizes from %d to %d, then EMFILE\n", grew, FDTABLE_FIRST,
            MAX_FDS);

    /* Holes are handed out lowest first. */
    file_close(fdtable_remove(&t, 5000));
    file_close(fdtable_remove(&t, 7));
    file_close(fdtable_remove(&t, MAX_FDS - 1));
    KT_CHECK(fdtable_get(&t, 7) == NULL && fdtable_remove(&t, 7) == NULL);
    KT_CHECK(fdtable_install(&t, file_console()) == 7);
    KT_CHECK(fdtable_install(&t, file_console()) == 5000);
    KT_CHECK(fdtable_install(&t, file_console()) == MAX_FDS - 1);
    KT_DIAG("fdtable lowest free: 7, 5000, %d\n", MAX_FDS - 1);

    /* A copy: the same files, each referenced once more; then each
     * table's closes are its own. */
    KT_CHECK(fdtable_copy(&copy, &t) == 0);
    KT_CHECK(copy.size == t.size && copy.open == t.open && copy.slot != t.slot);
    KT_CHECK(console_refs() == refs0 + 2 * MAX_FDS);
    file_close(fdtable_remove(&copy, 3));
    KT_CHECK(fdtable_get(&t, 3) != NULL && fdtable_get(&copy, 3) == NULL);
    fdtable_close_all(&copy);
    KT_CHECK(console_refs() == refs0 + MAX_FDS && copy.slot == NULL);

    /* Taken out and closed: every reference and byte back. */
    struct fdtable taken;
    fdtable_take(&t, &taken);
    KT_CHECK(t.size == 0 && fdtable_get(&t, 0) == NULL && taken.open == MAX_FDS);
    fdtable_close_all(&taken);
    KT_CHECK(console_refs() == refs0);

    /* fdtable_set, as spawn and init use it: grows to cover fd. */
    KT_CHECK(fdtable_set(&t, 2, file_console()) == 0 && t.size == FDTABLE_FIRST);
    KT_CHECK(fdtable_install(&t, file_console()) == 0);
    KT_CHECK(fdtable_install(&t, file_console()) == 1);
    KT_CHECK(fdtable_install(&t, file_console()) == 3);
    fdtable_close_all(&t);
    KT_CHECK(console_refs() == refs0);
    kmalloc_stats(&heap1);
    KT_CHECK(heap1.bytes_in_use == heap0.bytes_in_use);
    KT_DIAG("fdtable copy and close: references and heap bytes back\n");
    return 0;
}
