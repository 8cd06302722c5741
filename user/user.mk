# User library and programs, included by the top Makefile after it defines
# CC, CROSS, TARGET_CFLAGS, BUILD and INITRD.
#
#   build/user/lib/*.o       the user library (user/lib/*.c, *.S)
#   build/user/klib/*.o      os/lib/format.c and os/lib/string.c, shared with
#                            the kernel (compiled against os/ headers only)
#   build/user/libuser.a     all of the above but crt0
#   build/user/programs/*.o  one object per program
#   build/user/bin/NAME      the programs: static ELFs linked with user/user.ld
#   build/initrd.cpio        every program, by plain name ("init", "sh", ...)
#
# Objects are named NAME.o, not NAME.c.o, so the kernel's $(BUILD)/%.c.o
# pattern rule never applies to them.

# The programs: every user/programs/NAME.c becomes /NAME in the initrd,
# found by itself (docs/adding-a-program.md).  Lines naming programs
# (`USER_PROGRAMS += NAME`, from before the list found itself) are harmless:
# the list is deduplicated below, and a name without its NAME.c is an error.
USER_PROGRAM_SRCS := $(sort $(wildcard user/programs/*.c))
USER_PROGRAMS := $(basename $(notdir $(USER_PROGRAM_SRCS)))
USER_PROGRAMS += h_vmrace h_threadleak
USER_PROGRAMS += h_blockrenew
USER_PROGRAMS += h_prio20 h_badlock
USER_PROGRAMS += t_coro b_coro
USER_PROGRAMS += h_coio
USER_PROGRAMS += h_killrace
USER_PROGRAMS += t_coidle
USER_PROGRAMS += t_coprio
USER_PROGRAMS += h_coforge
USER_PROGRAMS += t_stress

# Broken executables for t_badelf: copies of echo, each breaking one rule of
# the kernel's ELF loader (scripts/make-bad-elfs.py).
USER_BAD_ELFS := badelf_magic badelf_short badelf_trunc badelf_machine \
	badelf_entry badelf_wx badelf_bounds badelf_kernel badelf_overlap

# The list, each name once (a `+=` line may repeat a found program); a name
# without its source is a mistake to report, not to skip.
USER_PROGRAMS := $(sort $(USER_PROGRAMS))
$(foreach p,$(USER_PROGRAMS),$(if $(wildcard user/programs/$(p).c),,\
	$(error USER_PROGRAMS names '$(p)', but there is no user/programs/$(p).c)))

USER_BUILD := $(BUILD)/user

# -ffunction-sections + --gc-sections: a program carries only the library
# functions it uses.  User code sees user/include (the C-library headers) and
# os/uapi (syscall.h, errno.h), never os/ itself, so os/lib/string.h and
# user/include/string.h cannot be confused.
USER_CFLAGS := $(TARGET_CFLAGS) -ffunction-sections -fdata-sections \
	-Iuser/include -Ios/uapi -Isched_abi
USER_KLIB_CFLAGS := $(TARGET_CFLAGS) -ffunction-sections -fdata-sections -Ios
USER_LDFLAGS := -nostdlib -no-pie -static -Wl,-T,user/user.ld \
	-Wl,--gc-sections -Wl,-z,max-page-size=4096 -Wl,--build-id=none

USER_CRT0 := $(USER_BUILD)/lib/crt0.o
USER_LIB_SRCS := $(sort $(filter-out user/lib/crt0.S, \
	$(wildcard user/lib/*.c user/lib/*.S)))
USER_LIB_OBJS := $(patsubst user/%,$(USER_BUILD)/%, \
	$(addsuffix .o,$(basename $(USER_LIB_SRCS))))
USER_KLIB_OBJS := $(USER_BUILD)/klib/format.o $(USER_BUILD)/klib/string.o
USER_LIB := $(USER_BUILD)/libuser.a

USER_PROG_OBJS := $(patsubst %,$(USER_BUILD)/programs/%.o,$(USER_PROGRAMS))
USER_BINS := $(patsubst %,$(USER_BUILD)/bin/%,$(USER_PROGRAMS))

USER_OBJS := $(USER_CRT0) $(USER_LIB_OBJS) $(USER_KLIB_OBJS) $(USER_PROG_OBJS)

# Flags live here and in the top Makefile: a change to either rebuilds.
$(USER_OBJS): user/user.mk Makefile

$(USER_BUILD)/%.o: user/%.c | check-deps
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(USER_CFLAGS) -c -o $@ $<

$(USER_BUILD)/%.o: user/%.S | check-deps
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) $(USER_CFLAGS) -D__ASSEMBLY__ -c -o $@ $<

$(USER_BUILD)/klib/%.o: os/lib/%.c | check-deps
	@mkdir -p $(dir $@)
	@echo "  CC      $< (user)"
	@$(CC) $(USER_KLIB_CFLAGS) -c -o $@ $<

$(USER_LIB): $(USER_LIB_OBJS) $(USER_KLIB_OBJS)
	@echo "  AR      $@"
	@rm -f $@
	@$(CROSS)ar rcs $@ $^

# A program's objects: its own, and any other .o it depends on (the
# shell's help index, below).
$(USER_BUILD)/bin/%: $(USER_BUILD)/programs/%.o $(USER_CRT0) $(USER_LIB) user/user.ld
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(USER_CFLAGS) $(USER_LDFLAGS) -o $@ $(USER_CRT0) $< \
		$(filter-out $< $(USER_CRT0),$(filter %.o,$^)) $(USER_LIB)

# The shell's `help` descriptions: the "// help: ..." first line of every
# program, gathered into a C table (scripts/make-help-index.py; a program
# without the line is a build error naming its file).  Its recipe runs
# every time, the file changes only when a description does.
USER_HELP_INDEX := $(USER_BUILD)/gen/help_index.c
$(USER_HELP_INDEX): $(USER_PROGRAM_SRCS) scripts/make-help-index.py user-list-check
	@mkdir -p $(dir $@)
	@python3 scripts/make-help-index.py $@ $(USER_PROGRAM_SRCS)

$(USER_BUILD)/gen/help_index.o: $(USER_HELP_INDEX) user/programs/help_index.h \
		user/user.mk Makefile | check-deps
	@echo "  CC      $<"
	@$(CC) $(USER_CFLAGS) -Iuser/programs -c -o $@ $<

$(USER_BUILD)/bin/sh: $(USER_BUILD)/gen/help_index.o

# b_conn's parts (user/programs/conn/: the messages, the latency
# histograms, the server process): objects linked into b_conn only; the
# directory is not searched for programs.
USER_CONN_OBJS := $(patsubst user/%.c,$(USER_BUILD)/%.o,$(sort $(wildcard user/programs/conn/*.c)))
USER_OBJS += $(USER_CONN_OBJS)
$(USER_CONN_OBJS): user/user.mk Makefile
$(USER_BUILD)/bin/b_conn: $(USER_CONN_OBJS)

# The program list as a file, rewritten only when it changes (its recipe
# runs every time, its date moves only then): `make USER_PROGRAMS=...`
# rebuilds the archive even though no program is newer than it.
USER_LIST := $(USER_BUILD)/programs.list
$(USER_LIST): user-list-check
	@mkdir -p $(dir $@)
	@echo '$(USER_PROGRAMS)' | cmp -s - $@ || echo '$(USER_PROGRAMS)' > $@

.PHONY: user-list-check
user-list-check:

# newc archive of plain names, made from inside bin/; rebuilt when any
# program changes.  Owner 0:0 and --reproducible keep it independent of who
# built it; the .tmp + mv keeps a failed run from leaving half an archive.
$(USER_BUILD)/badelf.stamp: $(USER_BUILD)/bin/echo scripts/make-bad-elfs.py
	@echo "  BADELF  $(USER_BUILD)/bin/badelf_*"
	@python3 scripts/make-bad-elfs.py $< $(USER_BUILD)/bin
	@touch $@

$(INITRD): $(USER_BINS) $(USER_LIST) $(USER_BUILD)/badelf.stamp user/user.mk
	@echo "  CPIO    $@"
	@cd $(USER_BUILD)/bin && printf '%s\n' $(USER_PROGRAMS) $(USER_BAD_ELFS) | \
		cpio -o -H newc --quiet -R 0:0 --reproducible > $(abspath $@).tmp
	@mv $@.tmp $@

# h_suite's parts (user/programs/suite/: the cases, a file per theme):
# objects linked into h_suite only; the directory is not searched for
# programs.
USER_SUITE_OBJS := $(patsubst user/%.c,$(USER_BUILD)/%.o,$(sort $(wildcard user/programs/suite/*.c)))
USER_OBJS += $(USER_SUITE_OBJS)
$(USER_SUITE_OBJS): user/user.mk Makefile
$(USER_BUILD)/bin/h_suite: $(USER_SUITE_OBJS)

# h_fuzz's parts (user/programs/fuzz/: the arguments, the calls, the
# scribbles, the bystander) and the pointer classes it shares with
# h_suite: objects linked into h_fuzz only.
USER_FUZZ_OBJS := $(patsubst user/%.c,$(USER_BUILD)/%.o,$(sort $(wildcard user/programs/fuzz/*.c))) \
	$(USER_BUILD)/programs/suite/ptr_classes.o
USER_OBJS += $(USER_FUZZ_OBJS)
$(USER_FUZZ_OBJS): user/user.mk Makefile
$(USER_BUILD)/bin/h_fuzz: $(USER_FUZZ_OBJS)

-include $(USER_OBJS:.o=.d)


