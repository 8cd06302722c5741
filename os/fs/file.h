/*
 * Open files: what a file descriptor refers to.  A file is shared (by dup,
 * fork and spawn) and counts its references; the last close releases it.
 * There are two kinds: the console and the two ends of a pipe.
 */
#ifndef FS_FILE_H
#define FS_FILE_H

#include <stddef.h>
#include <stdint.h>
#include "mm/uvm.h"
#include "kernel/cpu.h"
#include "kernel/cacheline.h"
#include "kernel/ordered_store.h"

struct pipe;

enum file_kind { FILE_CONSOLE, FILE_PIPE_READ, FILE_PIPE_WRITE };

/* A line each (kernel/cacheline.h): `refs` is written by whichever hart
 * takes or drops a reference (an asynchronous operation that waits takes
 * one on its submitter's hart and drops it on its completer's), and the
 * files of neighbouring pipes, which the stages of a ring on different
 * harts use, shared lines when they were 16 bytes each. */
struct file {
    enum file_kind kind;
    int refs;                 /* atomic */
    struct pipe *pipe;
} LINE_ALIGNED;

struct file *file_console(void);      /* a new reference to the console */
struct file *file_dup(struct file *f);
/* Drops a reference; the last one waits until no hart borrows f (below),
 * then releases it. */
void file_close(struct file *f);

/*
 * A borrow: a file used for part of one system call with no reference, by
 * a thread whose siblings may close its descriptor meanwhile on another
 * hart (an asynchronous submission: fd_borrow_submit).  Taking a reference
 * wrote the file's count, and finding the file took the descriptor
 * table's lock: both lines moved between the harts of a process's two
 * workers at every submission (docs/performance.md, "Scaling over harts").
 *
 * The borrower names the file in its hart's struct cpu, then checks that
 * the table still holds it (fdtable_peek): from then on the table's
 * reference, or the close that takes it out, keeps the file: the last
 * file_close, wherever it happens, first waits until no hart names the
 * file.  Either the borrower's check sees the table's entry gone (it then
 * takes the locked way), or the closer's look sees the borrower's name
 * (and waits): each stores, then a full fence, then loads the other's.
 *
 * Rules that keep the wait short and deadlock-free: a borrow does not
 * last past a sleep (what may sleep takes a reference first), and the
 * borrower lets go (file_borrow_end) before it closes any file itself or
 * finishes completed operations (their releases close files): so a hart
 * that waits in file_close never holds a borrow, and one that is waited
 * for never waits.  One borrow a hart at a time.
 */
static inline void file_borrow_begin(struct file *f)
{
    store_relaxed(&this_cpu()->borrowed_file, f);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);     /* before the check's loads */
}
static inline void file_borrow_end(void)
{
    store_release(&this_cpu()->borrowed_file, NULL);
}
/* A reference to a file this hart borrows, or false: its last reference
 * is gone already (a sibling's close dropped it, and waits for this
 * borrow to end before it releases the file), and no new one may be
 * taken: to the caller the descriptor was closed first.  Also for a file
 * the caller holds otherwise (never false then). */
bool file_dup_borrowed(struct file *f);
/* How a system call holds the file it found. */
enum fd_hold {
    FD_ALONE,       /* the process has one thread: nothing can close it */
    FD_BORROWED,    /* borrowed on this hart (above) */
    FD_REF,         /* a reference (file_close) */
};
/* The calling process's file behind fd for an asynchronous submission,
 * or NULL (then *hold says nothing to let go) (syscall/sys_file.c). */
struct file *fd_borrow_submit(uint64_t fd, enum fd_hold *hold);
/* Lets go of what fd_borrow_submit gave (f may be NULL).  Inline: every
 * submission ends here. */
static inline void fd_let_go(struct file *f, enum fd_hold hold)
{
    if (f && hold == FD_REF)
        file_close(f);
    else if (hold == FD_BORROWED)
        file_borrow_end();
}
/* A borrowed or lone file about to be used across a sleep: a reference
 * instead (*hold becomes FD_REF), taken while the borrow still keeps it.
 * False (the borrow ended, nothing held): closed meanwhile, -EBADF. */
bool fd_hold_across_sleep(struct file *f, enum fd_hold *hold);
/* Transfers between the file and user memory at uaddr (already checked by
 * the caller with uvm_range_ok).  Bytes moved, or -errno. */
long file_read(struct file *f, struct uspace *us, uint64_t uaddr, size_t n);
long file_write(struct file *f, struct uspace *us, uint64_t uaddr, size_t n);

/* Pipes (fs/pipe.c). */
int pipe_create(struct file **read_end, struct file **write_end);
void pipe_close_end(struct pipe *p, int writer);
long pipe_read(struct pipe *p, struct uspace *us, uint64_t uaddr, size_t n);
long pipe_write(struct pipe *p, struct uspace *us, uint64_t uaddr, size_t n);
/* pipe_write from a buffer within one page (uvm_one_page) that the caller
 * has not checked: a write that goes in at once leaves the check to its
 * copy (one page-table walk instead of two); one that would wait, or find
 * no reader, checks the buffer first (-EFAULT, as if the caller had). */
long pipe_write_checked_in_copy(struct pipe *p, struct uspace *us, uint64_t uaddr, size_t n);
/* An asynchronous read or write (fs/pipe_async.c) on pipe end f, op
 * prepared by coio_prepare (the caller's, on its stack): its result if it
 * completed at once, else -EINPROGRESS, and a copy of op in the kernel
 * heap (with a reference to f of its own) is the pipe's until it
 * completes.  f is the caller's for the call, in any of the ways of
 * enum fd_hold; a borrow of it is let go (file_borrow_end) once f is no
 * longer needed, before the completions the call made are finished.
 * check_in_copy: op's buffer (within one page) is not checked yet, and is
 * checked as pipe_write_checked_in_copy's is: by the copy of a transfer
 * that goes at once, first by any other outcome. */
struct coio_op;
long pipe_submit_async(struct file *f, struct coio_op *op, bool check_in_copy);

#endif
