// help: test: the kernel refuses broken executables with ENOEXEC
/*
 * t_badelf: the kernel refuses broken executables with ENOEXEC and goes on.
 *
 * The initrd holds deliberately broken copies of a good program (made by
 * scripts/make-bad-elfs.py, one per rule of the kernel's ELF loader).
 * Spawning each must fail with ENOEXEC (and the kernel prints why); spawning
 * a good program afterwards must still work.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const broken[] = {
    "badelf_magic", "badelf_short", "badelf_trunc", "badelf_machine",
    "badelf_entry", "badelf_wx", "badelf_bounds", "badelf_kernel",
    "badelf_overlap",
};

int main(void)
{
    int failures = 0;
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        char *argv[] = { (char *)broken[i], NULL };
        int pid = spawn(broken[i], argv);
        int ok = pid < 0 && errno == ENOEXEC;
        printf("t_badelf: %-15s -> %s %s\n", broken[i],
               pid < 0 ? errname(errno) : "started!", ok ? "ok" : "WRONG");
        if (pid > 0)
            waitpid(pid, NULL, 0);
        failures += !ok;
    }
    char *argv[] = { "echo", "t_badelf: a good program still runs", NULL };
    int pid = spawn("echo", argv);
    int status = -1;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        printf("t_badelf: spawning echo afterwards failed\n");
        failures++;
    }
    if (failures) {
        printf("t_badelf: FAIL (%d wrong)\n", failures);
        return 1;
    }
    printf("t_badelf: PASS\n");
    return 0;
}
