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

struct pipe;

enum file_kind { FILE_CONSOLE, FILE_PIPE_READ, FILE_PIPE_WRITE };

struct file {
    enum file_kind kind;
    int refs;                 /* atomic */
    struct pipe *pipe;
};

struct file *file_console(void);      /* a new reference to the console */
struct file *file_dup(struct file *f);
/* The calling process's file behind fd, with a reference, or NULL
 * (syscall/sys_file.c). */
struct file *fd_file(uint64_t fd);
void file_close(struct file *f);
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
 * heap (with the caller's reference to f) is the pipe's until it
 * completes.  check_in_copy: op's buffer (within one page) is not checked
 * yet, and is checked as pipe_write_checked_in_copy's is: by the copy of
 * a transfer that goes at once, first by any other outcome. */
struct coio_op;
long pipe_submit_async(struct file *f, struct coio_op *op, bool check_in_copy);

#endif
