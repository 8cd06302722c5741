// help: the shell: runs programs, pipelines and background jobs
/*
 * sh: the shell.  Reads a line at the prompt "schedos$ ", splits it into
 * words, and runs
 *
 *   NAME [ARGS...] [| NAME [ARGS...]]... [&]
 *
 * Programs are the initrd's files, started with spawn().  A pipeline gets
 * one pipe between each pair of stages; `&` at the end runs it in the
 * background as a job.  Builtins: exit [N], help, jobs, kill %JOB|PID,
 * wait [%JOB|PID].  Words may be quoted with '...' or "..." to keep spaces
 * or | and & in them.  docs/shell.md is the user's guide.
 *
 * Ctrl-C: before it waits for a foreground pipeline the shell names its
 * processes the console's foreground job (set_foreground); the console
 * driver ends them on Ctrl-C (status TERM_INTERRUPTED) and the shell says
 * so.  At the prompt there is no foreground job and Ctrl-C just gives a
 * fresh prompt.  `wait` makes the job it waits for the foreground job too.
 *
 * Priorities (docs/scheduler.md): the shell runs at the default priority
 * and starts every program with a priority ceiling no higher: the default
 * for a foreground command, one less for a background job (zsh's
 * BG_NICE), so that nothing it starts can keep it from answering under a
 * strict-priority policy.  A stage written `ceiling N NAME ARGS...` gets
 * ceiling N instead (up to the shell's own, which /init makes the
 * highest): the sanctioned way to run a program that needs more, like
 * t_prio.
 *
 * spawn() gives the child a copy of the caller's descriptors, so to start a
 * stage the shell points its own 0 and 1 at the stage's pipe ends (close,
 * then dup: dup takes the lowest free descriptor), spawns, and points them
 * back at the saved originals.  Stages are started left to right and the
 * shell closes each pipe's write end as soon as the writer has it, so no
 * later stage ever holds a write end of its own input: every reader sees
 * end of file once its writer is done.
 */
#include <errno.h>
#include "help_index.h"
#include <readline.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROMPT      "schedos$ "
#define LINE_MAX    512                 /* bytes, with the NUL */
#define MAX_TOKENS  LINE_MAX            /* each takes at least one byte */
#define MAX_STAGES  16
#define MAX_JOBS    32
_Static_assert(MAX_STAGES <= FOREGROUND_MAX, "a pipeline must fit in set_foreground");
#define BG_CEILING  (DEFAULT_PRIORITY - 1)   /* background jobs: below us */

enum token_kind { TOK_WORD, TOK_PIPE, TOK_AMP };

struct token {
    enum token_kind kind;
    char *text;
};

struct pipeline {
    int nstages;
    char **argv[MAX_STAGES];            /* slices of args, NULL-terminated */
    bool background;
};

#define CMD_MAX     64                  /* command text kept for `jobs` */

/* A background job: one pipeline, its processes and their ends.  Job N is
 * jobs[N - 1]; a number is free again once its job is reported done. */
struct job {
    bool used;
    int npids;
    int pids[MAX_STAGES];
    bool done[MAX_STAGES];
    int status[MAX_STAGES];             /* waitpid's, once done */
    char cmd[CMD_MAX];
};
static struct job jobs[MAX_JOBS];

/* Whether the kernel let this shell name the console's foreground job: only
 * the shell init starts may; a shell run from a shell is itself part of
 * the outer one's foreground job, so Ctrl-C ends it with its children. */
static bool have_console;

/* ---- reading and parsing ---- */

/* Splits line into tokens, copying the words into store (NUL-separated).
 * Returns the number of tokens, or -1 after printing a syntax error. */
static int tokenize(const char *line, struct token *toks, char *store)
{
    int n = 0;
    const char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            return n;
        if (*p == '|' || *p == '&') {
            toks[n].kind = *p == '|' ? TOK_PIPE : TOK_AMP;
            toks[n++].text = *p == '|' ? "|" : "&";
            p++;
            continue;
        }
        toks[n].kind = TOK_WORD;
        toks[n++].text = store;
        while (*p && *p != ' ' && *p != '\t' && *p != '|' && *p != '&') {
            if (*p == '\'' || *p == '"') {
                char quote = *p++;
                while (*p && *p != quote)
                    *store++ = *p++;
                if (!*p) {
                    dprintf(2, "sh: syntax error: unterminated %c\n", quote);
                    return -1;
                }
                p++;
            } else {
                *store++ = *p++;
            }
        }
        *store++ = '\0';
    }
}

/* Groups tokens into stages.  Returns 0, or -1 after printing why not. */
static int parse(struct token *toks, int ntoks, char **args,
                 struct pipeline *pl)
{
    pl->nstages = 0;
    pl->background = false;
    if (ntoks > 0 && toks[ntoks - 1].kind == TOK_AMP) {
        pl->background = true;
        ntoks--;
        if (ntoks == 0) {
            dprintf(2, "sh: syntax error near '&'\n");
            return -1;
        }
    }
    int nargs = 0, stage_len = 0;
    for (int i = 0; i <= ntoks; i++) {
        if (i == ntoks || toks[i].kind == TOK_PIPE) {
            if (stage_len == 0) {
                dprintf(2, "sh: syntax error near '|'\n");
                return -1;
            }
            if (pl->nstages == MAX_STAGES) {
                dprintf(2, "sh: too many pipeline stages (max %d)\n",
                        MAX_STAGES);
                return -1;
            }
            pl->argv[pl->nstages++] = &args[nargs - stage_len];
            args[nargs++] = NULL;
            stage_len = 0;
        } else if (toks[i].kind == TOK_AMP) {
            dprintf(2, "sh: syntax error: '&' must end the line\n");
            return -1;
        } else {
            args[nargs++] = toks[i].text;
            stage_len++;
        }
    }
    return 0;
}

/* ---- programs and statuses ---- */

static const char *term_reason(int status)
{
    switch (WTERMSIG(status)) {
    case TERM_FAULT:       return "fault";
    case TERM_KILLED:      return "killed";
    case TERM_INTERRUPTED: return "interrupted";
    default:               return "terminated";
    }
}

/* "status N", or why the kernel ended it. */
static void describe(int status, char *buf, size_t size)
{
    if (WIFSIGNALED(status))
        snprintf(buf, size, "%s", term_reason(status));
    else
        snprintf(buf, size, "status %d", WEXITSTATUS(status));
}

/* After a foreground command: silent on success, one line otherwise.
 * Ctrl-C is reported once for the whole pipeline, by the caller. */
static void report(const char *name, int status)
{
    if (WIFSIGNALED(status) && WTERMSIG(status) == TERM_INTERRUPTED)
        return;
    if (WIFSIGNALED(status))
        dprintf(2, "sh: %s killed (%s)\n", name, term_reason(status));
    else if (WEXITSTATUS(status) != 0)
        dprintf(2, "sh: %s exited with status %d\n", name,
                WEXITSTATUS(status));
}

/* Tells the kernel which processes Ctrl-C ends (none: NULL, 0, 0). */
static void foreground(const int *pids, int n, int flags)
{
    if (have_console && set_foreground(pids, n, flags) < 0)
        dprintf(2, "sh: set_foreground: %s\n", strerror(errno));
}

/* ---- jobs ---- */

static bool job_finished(const struct job *j)
{
    for (int i = 0; i < j->npids; i++)
        if (!j->done[i])
            return false;
    return true;
}

/* The job's status: its last stage's, as shells report a pipeline's. */
static int job_status(const struct job *j)
{
    return j->status[j->npids - 1];
}

static void print_job(const struct job *j)
{
    char how[32];
    int n = (int)(j - jobs) + 1;
    if (job_finished(j)) {
        describe(job_status(j), how, sizeof how);
        printf("[%d] done     %s (%s)\n", n, j->cmd, how);
        return;
    }
    char pids[MAX_STAGES * 12] = "";
    size_t len = 0;
    for (int i = 0; i < j->npids; i++)
        len += (size_t)snprintf(pids + len, sizeof pids - len, "%s%d",
                                i ? "," : "", j->pids[i]);
    printf("[%d] running  %s (pid%s %s)\n", n, j->cmd, j->npids > 1 ? "s" : "",
           pids);
}

/* Records a started pipeline as a job and says so. */
static void add_job(const int *pids, int n, const char *cmd)
{
    for (int i = 0; i < MAX_JOBS; i++) {
        struct job *j = &jobs[i];
        if (j->used)
            continue;
        memset(j, 0, sizeof *j);
        j->used = true;
        j->npids = n;
        memcpy(j->pids, pids, (size_t)n * sizeof pids[0]);
        strlcpy(j->cmd, cmd, sizeof j->cmd);
        printf("[%d] started  %s (pid %d)\n", i + 1, j->cmd, pids[n - 1]);
        return;
    }
    /* Still reaped (reap_background), only not listed. */
    dprintf(2, "sh: too many jobs (max %d): pid %d runs unlisted\n", MAX_JOBS,
            pids[n - 1]);
}

/* Marks pid of some job done with status; false if no job has it. */
static bool job_ended(int pid, int status)
{
    for (int i = 0; i < MAX_JOBS; i++) {
        for (int k = 0; jobs[i].used && k < jobs[i].npids; k++) {
            if (jobs[i].pids[k] == pid) {
                jobs[i].done[k] = true;
                jobs[i].status[k] = status;
                return true;
            }
        }
    }
    return false;
}

/* Collects finished background children without waiting. */
static void reap_background(void)
{
    int status, pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (!job_ended(pid, status)) {
            char how[32];
            describe(status, how, sizeof how);
            printf("[pid %d] done (%s)\n", pid, how);
        }
    }
}

/* Reports each finished job once, then forgets it. */
static void report_done_jobs(void)
{
    for (int i = 0; i < MAX_JOBS; i++) {
        if (jobs[i].used && job_finished(&jobs[i])) {
            print_job(&jobs[i]);
            jobs[i].used = false;
        }
    }
}

/* ---- running ---- */

/* Makes fd `target` (0 or 1) refer to what `source` refers to. */
static int redirect(int target, int source)
{
    close(target);
    int fd = dup(source);
    if (fd == target)
        return 0;
    if (fd >= 0)
        close(fd);
    dprintf(2, "sh: cannot set up descriptor %d\n", target);
    return -1;
}

/* A stage's ceiling: `ceiling N` in front of it (taken off its argv), or
 * the shell's rule.  -1 after printing why the prefix is wrong. */
static int stage_ceiling(char ***argv, bool background)
{
    char **words = *argv;
    int mine = get_ceiling(0);
    int rule = background ? BG_CEILING : DEFAULT_PRIORITY;
    if (strcmp(words[0], "ceiling") != 0)
        return mine > 0 && mine < rule ? mine : rule;
    char *end = words[1];
    long n = words[1] ? strtol(words[1], &end, 10) : 0;
    if (!words[1] || *end || end == words[1] || n < MIN_PRIORITY || n > MAX_PRIORITY ||
        !words[2]) {
        dprintf(2, "sh: usage: ceiling N (%d..%d) NAME [ARGS...]\n", MIN_PRIORITY,
                MAX_PRIORITY);
        return -1;
    }
    *argv = words + 2;
    return (int)n;
}

/* Runs pl; cmd is its text, for job lists and messages. */
static void run_pipeline(struct pipeline *pl, const char *cmd)
{
    int pids[MAX_STAGES], ceilings[MAX_STAGES];
    int n = pl->nstages;
    for (int i = 0; i < n; i++) {
        if ((ceilings[i] = stage_ceiling(&pl->argv[i], pl->background)) < 0)
            return;
        if (!program_exists(pl->argv[i][0])) {
            dprintf(2, "sh: %s: command not found\n", pl->argv[i][0]);
            return;
        }
    }

    /* Originals of 0 and 1, to put back after each stage is spawned. */
    int saved_in = -1, saved_out = -1;
    if (n > 1 && ((saved_in = dup(0)) < 0 || (saved_out = dup(1)) < 0)) {
        perror("sh: dup");
        if (saved_in >= 0)
            close(saved_in);
        return;
    }

    /* A foreground pipeline is named before its first stage starts, so
     * that no stage runs (and, say, prints) before Ctrl-C can end it. */
    if (!pl->background)
        foreground(NULL, 0, FG_NEW_CHILDREN);
    int prev_read = -1;                 /* read end feeding stage i */
    for (int i = 0; i < n; i++) {
        int p[2] = { -1, -1 };
        pids[i] = -1;
        if (i < n - 1 && pipe(p) < 0) {
            perror("sh: pipe");
            n = i;                      /* run nothing more */
            break;
        }
        bool ok = (prev_read < 0 || redirect(0, prev_read) == 0) &&
                  (p[1] < 0 || redirect(1, p[1]) == 0);
        if (ok) {
            int prio = ceilings[i] < DEFAULT_PRIORITY ? ceilings[i] : DEFAULT_PRIORITY;
            pids[i] = spawn_prio(pl->argv[i][0], pl->argv[i], prio, ceilings[i]);
            if (pids[i] < 0)
                dprintf(2, "sh: %s: %s\n", pl->argv[i][0], strerror(errno));
        }
        if (prev_read >= 0) {
            redirect(0, saved_in);
            close(prev_read);
        }
        if (p[1] >= 0) {
            redirect(1, saved_out);
            close(p[1]);                /* only the writer keeps it */
        }
        prev_read = p[0];
    }
    if (prev_read >= 0)
        close(prev_read);
    if (saved_in >= 0) {
        close(saved_in);
        close(saved_out);
    }

    int started[MAX_STAGES], nstarted = 0;
    for (int i = 0; i < n; i++)
        if (pids[i] >= 0)
            started[nstarted++] = pids[i];
    if (pl->background) {
        if (nstarted == 0)
            return;
        add_job(started, nstarted, cmd);
        return;
    }

    /* All started: named one by one now, which also ends them if Ctrl-C
     * came while they were being started. */
    foreground(started, nstarted, 0);
    bool interrupted = false;
    for (int i = 0; i < n; i++) {
        if (pids[i] < 0)
            continue;
        int status;
        if (waitpid(pids[i], &status, 0) < 0) {
            perror("sh: waitpid");
            continue;
        }
        interrupted |= WIFSIGNALED(status) && WTERMSIG(status) == TERM_INTERRUPTED;
        report(pl->argv[i][0], status);
    }
    foreground(NULL, 0, 0);
    if (interrupted)
        dprintf(2, "sh: %s: interrupted\n", cmd);
}

/* ---- builtins ---- */

static void builtin_exit(char **argv)
{
    int status = 0;
    if (argv[1]) {
        char *end;
        long v = strtol(argv[1], &end, 10);
        if (*end || end == argv[1]) {
            dprintf(2, "sh: exit: %s: numeric argument required\n", argv[1]);
            return;
        }
        if (argv[2]) {
            dprintf(2, "sh: exit: too many arguments\n");
            return;
        }
        status = (int)(v & 0xff);
    }
    exit(status);
}

/* The programs' descriptions: their "// help:" lines, gathered at build
 * time (user/user.mk).  An initrd file without one is not a program (a
 * test input such as badelf_magic) and is not listed. */
static const char *description(const char *name)
{
    for (int i = 0; i < help_count; i++)
        if (strcmp(help_index[i].name, name) == 0)
            return help_index[i].text;
    return NULL;
}

static void builtin_help(char **argv)
{
    (void)argv;                         /* help takes no topic */
    printf("usage: NAME [ARGS...] [| NAME [ARGS...]]... [&]\n"
           "builtins:\n"
           "  exit [N]          leave the shell; the machine powers off with status N\n"
           "  help              this text\n"
           "  jobs              list background jobs: number, state, command, pids\n"
           "  kill %%JOB|PID...  end a background job or a process\n"
           "  wait [%%JOB|PID]   wait for a background job (all if none named)\n"
           "prefix: ceiling N NAME [ARGS...]  run NAME with priority ceiling N\n"
           "keys: Ctrl-C ends the foreground job, Ctrl-D ends input, "
           "Ctrl-T lists processes\n"
           "programs:\n");
    struct dirent d;
    for (int i = 0; readdir(i, &d) == 0; i++) {
        char name[MAX_PATH];
        strlcpy(name, d.name, sizeof name);
        const char *text = description(name);
        if (text)
            printf("  %-14s %s\n", name, text);
    }

    struct sysinfo si;
    if (sysinfo(&si) == 0)
        printf("scheduling policy: %.*s\n", (int)sizeof si.sched_name,
               si.sched_name);
}

/* The job a "%N" argument names, or NULL after printing why not. */
static struct job *job_arg(const char *builtin, const char *arg)
{
    char *end;
    long n = strtol(arg + 1, &end, 10);
    if (!arg[1] || *end || n < 1 || n > MAX_JOBS || !jobs[n - 1].used) {
        dprintf(2, "sh: %s: %s: no such job (see jobs)\n", builtin, arg);
        return NULL;
    }
    return &jobs[n - 1];
}

/* A PID argument: > 0, or -1 after printing why not. */
static int pid_arg(const char *builtin, const char *arg)
{
    char *end;
    long pid = strtol(arg, &end, 10);
    if (!*arg || *end || pid < 1 || pid > 0x7fffffff) {
        dprintf(2, "sh: %s: %s: not a pid or %%job\n", builtin, arg);
        return -1;
    }
    return (int)pid;
}

static void kill_one(const char *arg)
{
    if (arg[0] == '%') {
        struct job *j = job_arg("kill", arg);
        /* A stage that has ended meanwhile (a zombie: EPERM; reaped:
         * ESRCH) needs no killing. */
        for (int i = 0; j && i < j->npids; i++)
            if (!j->done[i] && kill(j->pids[i]) < 0 && errno != ESRCH && errno != EPERM)
                dprintf(2, "sh: kill: %d: %s\n", j->pids[i], strerror(errno));
        return;
    }
    int pid = pid_arg("kill", arg);
    if (pid < 0)
        return;
    if (pid == getpid()) {
        dprintf(2, "sh: kill: %d: that is this shell (use exit)\n", pid);
        return;
    }
    if (kill(pid) < 0) {
        const char *why = errno == ESRCH ? "no such process" :
                          errno == EPERM ? "not permitted (init, or not running)" :
                          strerror(errno);
        dprintf(2, "sh: kill: %d: %s\n", pid, why);
    }
}

static void builtin_kill(char **argv)
{
    if (!argv[1]) {
        dprintf(2, "sh: usage: kill %%JOB|PID...\n");
        return;
    }
    for (int i = 1; argv[i]; i++)
        kill_one(argv[i]);
}

static void builtin_jobs(char **argv)
{
    if (argv[1]) {
        dprintf(2, "sh: usage: jobs\n");
        return;
    }
    reap_background();
    for (int i = 0; i < MAX_JOBS; i++) {
        if (!jobs[i].used)
            continue;
        print_job(&jobs[i]);
        if (job_finished(&jobs[i]))
            jobs[i].used = false;       /* reported: done with */
    }
}

/* Waits for every process of j left, as the foreground job (Ctrl-C ends
 * them), then reports it and forgets it. */
static void wait_job(struct job *j)
{
    int pending[MAX_STAGES] = { 0 }, n = 0;
    for (int i = 0; i < j->npids; i++)
        if (!j->done[i])
            pending[n++] = j->pids[i];
    foreground(pending, n, 0);
    /* Said once the job is in the foreground: Ctrl-C from here on ends it. */
    if (n > 0)
        printf("[%d] waiting  %s\n", (int)(j - jobs) + 1, j->cmd);
    for (int i = 0; i < n; i++) {
        int status;
        if (waitpid(pending[i], &status, 0) < 0) {
            dprintf(2, "sh: wait: %d: %s\n", pending[i], strerror(errno));
            status = 0;
        }
        job_ended(pending[i], status);
    }
    foreground(NULL, 0, 0);
    print_job(j);
    j->used = false;
}

static void builtin_wait(char **argv)
{
    if (argv[1] && argv[2]) {
        dprintf(2, "sh: usage: wait [%%JOB|PID]\n");
        return;
    }
    if (!argv[1]) {
        for (int i = 0; i < MAX_JOBS; i++)
            if (jobs[i].used)
                wait_job(&jobs[i]);
        return;
    }
    if (argv[1][0] == '%') {
        struct job *j = job_arg("wait", argv[1]);
        if (j)
            wait_job(j);
        return;
    }
    int pid = pid_arg("wait", argv[1]);
    if (pid < 0)
        return;
    for (int i = 0; i < MAX_JOBS; i++)
        for (int k = 0; jobs[i].used && k < jobs[i].npids; k++)
            if (jobs[i].pids[k] == pid) {
                wait_job(&jobs[i]);
                return;
            }
    dprintf(2, "sh: wait: %d: not a job of this shell (see jobs)\n", pid);
}

static const struct {
    const char *name;
    void (*run)(char **argv);
} builtins[] = {
    { "exit", builtin_exit }, { "help", builtin_help }, { "jobs", builtin_jobs },
    { "kill", builtin_kill }, { "wait", builtin_wait },
};
#define NBUILTINS (int)(sizeof builtins / sizeof builtins[0])

static int find_builtin(const char *name)
{
    for (int i = 0; i < NBUILTINS; i++)
        if (strcmp(builtins[i].name, name) == 0)
            return i;
    return -1;
}

/* Returns true if the line was a builtin (and has been handled). */
static bool run_builtin(struct pipeline *pl)
{
    for (int i = 0; i < pl->nstages; i++) {
        const char *name = pl->argv[i][0];
        if (find_builtin(name) >= 0 && (pl->nstages > 1 || pl->background)) {
            dprintf(2, "sh: %s: a builtin cannot be piped or put in the "
                    "background\n", name);
            return true;
        }
    }
    int b = find_builtin(pl->argv[0][0]);
    if (b < 0)
        return false;
    builtins[b].run(pl->argv[0]);
    return true;
}

static void run_line(const char *line)
{
    static struct token toks[MAX_TOKENS];
    static char store[2 * LINE_MAX];
    static char *args[MAX_TOKENS + MAX_STAGES];
    struct pipeline pl;

    int ntoks = tokenize(line, toks, store);
    if (ntoks <= 0)                     /* empty line, or an error */
        return;
    if (parse(toks, ntoks, args, &pl) < 0)
        return;
    if (run_builtin(&pl))
        return;
    /* The line as typed, for job lists and messages. */
    char cmd[CMD_MAX];
    while (*line == ' ' || *line == '\t')
        line++;
    size_t len = strlcpy(cmd, line, sizeof cmd);
    if (len >= sizeof cmd)
        len = sizeof cmd - 1;
    while (len > 0 && (cmd[len - 1] == ' ' || cmd[len - 1] == '\t' ||
                       (pl.background && cmd[len - 1] == '&')))
        cmd[--len] = '\0';
    run_pipeline(&pl, cmd);
}

int main(void)
{
    static char line[LINE_MAX];
    /* Claims the console: nobody else may then name its foreground job. */
    have_console = set_foreground(NULL, 0, 0) == 0;
    for (;;) {
        reap_background();
        report_done_jobs();
        write_all(1, PROMPT, sizeof PROMPT - 1);
        long n = read_line(0, line, sizeof line);
        if (n == READ_LINE_EOF)
            return 0;
        if (n == READ_LINE_TOO_LONG) {
            dprintf(2, "sh: line too long (max %d characters)\n",
                    LINE_MAX - 1);
            continue;
        }
        run_line(line);
    }
}
