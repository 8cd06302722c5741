/*
 * The programs' one-line descriptions for the shell's `help`: generated at
 * build time from the first line of each user/programs/NAME.c,
 *
 *   // help: <one-line description>
 *
 * by scripts/make-help-index.py (a program without that line does not
 * build).  Only the shell links the generated table.
 */
#ifndef USER_PROGRAMS_HELP_INDEX_H
#define USER_PROGRAMS_HELP_INDEX_H

struct help_entry {
    const char *name;                   /* the program: NAME in the initrd */
    const char *text;                   /* what it does, one line */
};

extern const struct help_entry help_index[];
extern const int help_count;

#endif
