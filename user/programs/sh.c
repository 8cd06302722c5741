/*
 * sh: the shell.  Reads a line at the prompt "schedos$ ", splits it into
 * words, and runs
 *
 *   NAME [ARGS...] [| NAME [ARGS...]]... [&]
 *
 * Programs are the initrd's files, started with spawn().  A pipeline gets
 * one pipe between each pair of stages; `&` at the end runs it in the
 * background.  Builtins: exit [N], help, kill PID.  Words may be quoted
 * with '...' or "..." to keep spaces or | and & in them.
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

/* Background jobs still running: pid and name, for the "done" line. */
static struct {
    int pid;
    char name[MAX_PATH];
} jobs[MAX_JOBS];

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

static bool program_exists(const char *name)
{
    struct dirent d;
    for (int i = 0; readdir(i, &d) == 0; i++)
        if (strncmp(d.name, name, sizeof d.name) == 0)
            return true;
    return false;
}

static const char *term_reason(int status)
{
    switch (WTERMSIG(status)) {
    case TERM_FAULT:  return "fault";
    case TERM_KILLED: return "killed";
    default:          return "terminated";
    }
}

/* After a foreground command: silent on success, one line otherwise. */
static void report(const char *name, int status)
{
    if (WIFSIGNALED(status))
        dprintf(2, "sh: %s killed (%s)\n", name, term_reason(status));
    else if (WEXITSTATUS(status) != 0)
        dprintf(2, "sh: %s exited with status %d\n", name,
                WEXITSTATUS(status));
}

static void add_job(int pid, const char *name)
{
    for (int i = 0; i < MAX_JOBS; i++) {
        if (jobs[i].pid == 0) {
            jobs[i].pid = pid;
            strlcpy(jobs[i].name, name, sizeof jobs[i].name);
            break;
        }
    }
    /* A full table only loses the name; the job is still reaped. */
    printf("[%d] started\n", pid);
}

/* Collects finished background children without waiting. */
static void reap_background(void)
{
    int status, pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < MAX_JOBS; i++)
            if (jobs[i].pid == pid)
                jobs[i].pid = 0;
        if (WIFSIGNALED(status))
            printf("[%d] done, killed (%s)\n", pid, term_reason(status));
        else
            printf("[%d] done, status %d\n", pid, WEXITSTATUS(status));
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

static void run_pipeline(struct pipeline *pl)
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

    for (int i = 0; i < n; i++) {
        if (pids[i] < 0)
            continue;
        if (pl->background) {
            add_job(pids[i], pl->argv[i][0]);
            continue;
        }
        int status;
        if (waitpid(pids[i], &status, 0) < 0)
            perror("sh: waitpid");
        else
            report(pl->argv[i][0], status);
    }
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

static void builtin_help(void)
{
    printf("usage: NAME [ARGS...] [| NAME [ARGS...]]... [&]\n");
    printf("builtins: exit [N], help, kill PID; prefix: ceiling N\n");

    char line[STDIO_CHUNK];
    size_t len = strlcpy(line, "programs:", sizeof line);
    struct dirent d;
    for (int i = 0; readdir(i, &d) == 0 && len < sizeof line; i++) {
        len += (size_t)snprintf(line + len, sizeof line - len, " %.*s",
                                (int)sizeof d.name, d.name);
    }
    printf("%s\n", line);

    struct sysinfo si;
    if (sysinfo(&si) == 0)
        printf("scheduling policy: %.*s\n", (int)sizeof si.sched_name,
               si.sched_name);
}

static void builtin_kill(char **argv)
{
    char *end = argv[1];
    long pid = argv[1] ? strtol(argv[1], &end, 10) : 0;
    if (!argv[1] || *end || end == argv[1] || argv[2]) {
        dprintf(2, "sh: usage: kill PID\n");
        return;
    }
    if (kill((int)pid) < 0)
        dprintf(2, "sh: kill: %ld: %s\n", pid, strerror(errno));
}

/* Returns true if the line was a builtin (and has been handled). */
static bool run_builtin(struct pipeline *pl)
{
    for (int i = 0; i < pl->nstages; i++) {
        const char *name = pl->argv[i][0];
        bool builtin = strcmp(name, "exit") == 0 || strcmp(name, "help") == 0 ||
                       strcmp(name, "kill") == 0;
        if (builtin && (pl->nstages > 1 || pl->background)) {
            dprintf(2, "sh: %s: a builtin cannot be piped or put in the "
                    "background\n", name);
            return true;
        }
    }
    if (strcmp(pl->argv[0][0], "exit") == 0) {
        builtin_exit(pl->argv[0]);
        return true;
    }
    if (strcmp(pl->argv[0][0], "help") == 0) {
        builtin_help();
        return true;
    }
    if (strcmp(pl->argv[0][0], "kill") == 0) {
        builtin_kill(pl->argv[0]);
        return true;
    }
    return false;
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
    if (!run_builtin(&pl))
        run_pipeline(&pl);
}

int main(void)
{
    static char line[LINE_MAX];
    for (;;) {
        reap_background();
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
        reap_background();
    }
}
