// help: test: pipes, end of file and broken pipes
/*
 * t_pipe: pipes.
 *   1. A forked child writes TOTAL bytes into a pipe in odd-sized chunks;
 *      the parent reads them in other odd sizes.  Every byte is a function
 *      of its position, so the parent checks each one, and both ends keep a
 *      running checksum (FNV-1a) that the child sends back on a second
 *      pipe.  After the child closes its end the parent must read 0 (EOF).
 *   2. Writing to a pipe whose read end is closed fails with EPIPE and does
 *      not end the process.
 *   3. dup gives a second descriptor for the same pipe end; the reader sees
 *      EOF only when both are closed.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define TOTAL (4u << 20)

static int failures;

static void check(bool ok, const char *what)
{
    if (!ok) {
        printf("t_pipe: FAILED: %s\n", what);
        failures++;
    }
}

/* The byte at stream position k: cheap, and not periodic in small steps. */
static uint8_t byte_at(uint32_t k)
{
    uint32_t x = k * 2654435761u;
    return (uint8_t)((x >> 13) ^ (k >> 9));
}

static uint32_t fnv1a(uint32_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

#define FNV_START 2166136261u

static const size_t write_sizes[] = { 1, 3, 17, 251, 509, 1021, 4093, 4099,
                                      8191, 777, 12289 };
static const size_t read_sizes[] = { 7, 333, 4097, 1, 2049, 65, 10007, 4095 };

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static uint8_t buf[16384];

/* The child: writes the stream, then its checksum on `report`. */
static void writer(int out, int report)
{
    uint32_t pos = 0, sum = FNV_START;
    for (size_t c = 0; pos < TOTAL; c++) {
        size_t n = write_sizes[c % NELEM(write_sizes)];
        if (n > TOTAL - pos)
            n = TOTAL - pos;
        for (size_t i = 0; i < n; i++)
            buf[i] = byte_at(pos + (uint32_t)i);
        if (write_all(out, buf, n) < 0) {
            printf("t_pipe: child: write: %s\n", strerror(errno));
            exit(1);
        }
        sum = fnv1a(sum, buf, n);
        pos += (uint32_t)n;
    }
    close(out);
    if (write_all(report, &sum, sizeof sum) < 0)
        exit(1);
    exit(0);
}

static void test_transfer(void)
{
    int data[2], report[2];
    if (pipe(data) < 0 || pipe(report) < 0) {
        printf("t_pipe: pipe: %s\n", strerror(errno));
        failures++;
        return;
    }
    uint64_t t0 = time();
    int pid = fork();
    if (pid == 0) {
        close(data[0]);
        close(report[0]);
        writer(data[1], report[1]);
    }
    /* Our copies of the write ends must go, or we would never see EOF. */
    close(data[1]);
    close(report[1]);
    if (pid < 0) {
        printf("t_pipe: fork: %s\n", strerror(errno));
        failures++;
        close(data[0]);
        close(report[0]);
        return;
    }

    uint32_t pos = 0, sum = FNV_START, bad = 0, first_bad = 0;
    bool eof = false;
    for (size_t c = 0;; c++) {
        size_t want = read_sizes[c % NELEM(read_sizes)];
        ssize_t n = read(data[0], buf, want);
        if (n == 0) {
            eof = true;
            break;
        }
        if (n < 0) {
            printf("t_pipe: read: %s\n", strerror(errno));
            break;
        }
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] != byte_at(pos + (uint32_t)i) && bad++ == 0)
                first_bad = pos + (uint32_t)i;
        }
        sum = fnv1a(sum, buf, (size_t)n);
        pos += (uint32_t)n;
    }
    uint64_t ms = (time() - t0) / 1000000;
    close(data[0]);

    uint32_t child_sum = 0;
    ssize_t r = read(report[0], &child_sum, sizeof child_sum);
    close(report[0]);
    int status = -1;
    waitpid(pid, &status, 0);

    printf("t_pipe: transferred %u bytes in %lu ms\n", pos, (unsigned long)ms);
    printf("t_pipe: checksum reader %08x writer %08x\n", sum, child_sum);
    if (bad)
        printf("t_pipe: %u wrong bytes, first at offset %u\n", bad, first_bad);
    printf("t_pipe: reader saw EOF: %s\n", eof ? "yes" : "no");
    check(pos == TOTAL, "all bytes arrived");
    check(bad == 0, "every byte is right");
    check(r == sizeof child_sum && sum == child_sum, "checksums agree");
    check(eof, "read returns 0 after the writer closes");
    check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer exited 0");
}

static void test_epipe(void)
{
    int p[2];
    if (pipe(p) < 0) {
        failures++;
        return;
    }
    close(p[0]);
    ssize_t r = write(p[1], "x", 1);
    int err = errno;
    close(p[1]);
    printf("t_pipe: write with no reader -> %ld (%s), still running\n",
           (long)r, r < 0 ? errname(err) : "no error");
    check(r == -1 && err == EPIPE, "write to a pipe without reader: EPIPE");
}

static void test_dup(void)
{
    int p[2];
    if (pipe(p) < 0) {
        failures++;
        return;
    }
    int d = dup(p[1]);
    check(d >= 0 && d != p[0] && d != p[1], "dup returns a new descriptor");
    check(write(d, "through dup", 11) == 11, "write through the dup");
    close(p[1]);
    check(write(d, "!", 1) == 1, "the dup still works after closing the original");
    close(d);
    char got[32] = { 0 };
    ssize_t n = read(p[0], got, sizeof got - 1);
    ssize_t eof = read(p[0], got + 20, 1);
    close(p[0]);
    printf("t_pipe: read through dup'ed writer: \"%s\", then %ld\n", got,
           (long)eof);
    check(n == 12 && memcmp(got, "through dup!", 12) == 0, "data through dup");
    check(eof == 0, "EOF once both write descriptors are closed");

    errno = 0;
    int r = dup(99);
    check(r == -1 && errno == EBADF, "dup(99) fails with EBADF");
}

int main(void)
{
    test_transfer();
    test_epipe();
    test_dup();
    if (failures) {
        printf("t_pipe: FAIL (%d checks failed)\n", failures);
        return 1;
    }
    printf("t_pipe: PASS\n");
    return 0;
}
