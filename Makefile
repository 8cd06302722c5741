# Top-level build for the teaching OS.  One entry point for everything:
#
#   make            build the kernel (build/kernel.elf)
#   make run        boot it in QEMU, serial console on this terminal
#   make test       run the whole test suite (pytest driving QEMU)
#   make debug      boot halted with a gdb stub; prints the gdb command to use
#   make gdb        attach gdb-multiarch to `make debug`, stopped at kmain
#   make deps       install the Debian packages the project needs
#   make clean      remove build/
#
#   make grade SRC=my_policy.c   grade a scheduling policy: build its blob,
#                   check the source on the host (policy-test), run the
#                   scheduling tests in QEMU on the blob; points per test and
#                   a score (also build/grade/results.json, junit.xml).
#                   SCHED_BLOB=my_policy.bin instead: the QEMU tests only
#   make policy-test SRC=my_policy.c   check one policy source against a model
#                   of the ABI's rules on the host (ASan/UBSan, fixed seeds)
#   make sched-blob SRC=my_policy.c   build a scheduling-policy blob from one
#                   C file using only sched_abi/ (out: build/sched/ext/NAME.bin)
#
# Variables passed through to QEMU: SMP (harts, default 4), MEM (default 256M),
# SCHED (policy name, becomes sched=NAME), SCHED_BLOB (a policy blob file,
# loaded by QEMU, no kernel rebuild), APPEND (extra kernel command line).

SMP    ?= 4
MEM    ?= 256M
SCHED  ?=
SCHED_BLOB ?=
APPEND ?=

CROSS  ?= riscv64-unknown-elf-
CC      = $(CROSS)gcc
OBJCOPY = $(CROSS)objcopy
OBJDUMP = $(CROSS)objdump
PYTHON  = /usr/bin/python3

BUILD  := build
KERNEL := $(BUILD)/kernel.elf
# User programs, packed by user/user.mk.
INITRD := $(BUILD)/initrd.cpio

# Flags shared by everything that runs on the target (kernel, blobs, user code).
TARGET_CFLAGS := -std=c11 -Wall -Wextra -Werror -O2 -g \
	-ffreestanding -nostdlib -fno-builtin-printf -fno-common \
	-fno-stack-protector -fno-pie -fno-omit-frame-pointer \
	-march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany \
	-MMD -MP

# No tail calls: every function keeps its frame, so backtraces are complete.
KERNEL_CFLAGS := $(TARGET_CFLAGS) -fno-optimize-sibling-calls -Ios -Isched_abi
KERNEL_LDFLAGS := -nostdlib -no-pie -Wl,--no-relax -Wl,-T,os/kernel.ld \
	-Wl,--gc-sections -Wl,-z,max-page-size=4096

KERNEL_SRCS := $(shell find os -name '*.c' -o -name '*.S' | sort)
KERNEL_OBJS := $(patsubst %,$(BUILD)/%.o,$(KERNEL_SRCS)) $(BUILD)/sched/builtin_heap.o

# ---- scheduling policies: each sched_impls/NAME/NAME.c becomes a blob ----
SCHED_POLICIES := heap bitmap multiqueue fifo
SCHED_BLOBS := $(SCHED_POLICIES:%=$(BUILD)/sched/%.bin)
SCHED_ABI_HEADERS := $(wildcard sched_abi/*.h)
# The compiler's own headers (stdint.h, stddef.h): asked of the compiler the
# first time a blob is built, not when this file is read, because on a fresh
# machine the compiler is installed only by check-deps, after reading.  (So
# nothing may expand BLOB_CFLAGS while reading: BLOB_RULE escapes it.)
GCC_INCLUDE = $(eval GCC_INCLUDE := $$(shell $$(CC) -print-file-name=include))$(GCC_INCLUDE)
# Freestanding and position-independent; only sched_abi/ on the include path.
# (`=`, not `:=`: GCC_INCLUDE is expanded at the first use.)
BLOB_CFLAGS = -std=c11 -Wall -Wextra -Werror -O2 -g -ffreestanding -nostdlib \
	-nostdinc -isystem $(GCC_INCLUDE) \
	-fPIC -fvisibility=hidden -fno-stack-protector -fno-common \
	-march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany -Isched_abi
# Undefined symbols are left for the checker to name (rather than the
# linker's less helpful error); relocations are kept for it to inspect.
BLOB_LDFLAGS := -nostdlib -static -Wl,-T,sched_abi/blob.ld -Wl,--emit-relocs \
	-Wl,--no-relax -Wl,--unresolved-symbols=ignore-all

GDB_PORT ?= 1234
export GDB_PORT

.PHONY: all run test debug gdb deps clean check-deps sched-blob grade policy-test

all: check-deps $(KERNEL) $(INITRD)

# Quietly installs missing packages; a no-op when everything is present.
check-deps:
	@scripts/deps.sh --quiet

$(KERNEL): $(KERNEL_OBJS) os/kernel.ld
	@echo "  LD      $@"
	@$(CC) $(KERNEL_CFLAGS) $(KERNEL_LDFLAGS) -o $@ $(KERNEL_OBJS)
	@$(OBJDUMP) -d $@ > $(BUILD)/kernel.asm

define BLOB_RULE
$(BUILD)/sched/$(1).o: sched_impls/$(1)/$(1).c $(SCHED_ABI_HEADERS) Makefile | check-deps
	@mkdir -p $$(dir $$@)
	@echo "  CC      $$<"
	@$$(CC) $$(BLOB_CFLAGS) -c -o $$@ $$<
endef
$(foreach p,$(SCHED_POLICIES),$(eval $(call BLOB_RULE,$(p))))

# Keep the ELFs: they carry the debug information for gdb.
.SECONDARY: $(SCHED_POLICIES:%=$(BUILD)/sched/%.elf) $(SCHED_POLICIES:%=$(BUILD)/sched/%.o)

$(BUILD)/sched/%.elf: $(BUILD)/sched/%.o sched_abi/blob.ld
	@$(CC) $(BLOB_LDFLAGS) -o $@ $<

# The checker refuses a blob that breaks the ABI's rules, and says which.
$(BUILD)/sched/%.bin: $(BUILD)/sched/%.elf scripts/blobcheck.py
	@echo "  BLOB    $@"
	@python3 scripts/blobcheck.py $< -o $@

# The user-side runtime (user/runtime/): a blob too, mapped after the policy
# in every process.
RUNTIME_SRCS := user/runtime/runtime.c user/runtime/switch.S user/runtime/coro_exec.c \
                user/runtime/user_entry.c
$(BUILD)/sched/runtime.elf: $(RUNTIME_SRCS) $(SCHED_ABI_HEADERS) sched_abi/blob.ld Makefile | check-deps
	@mkdir -p $(dir $@)
	@echo "  CC      user/runtime"
	@$(CC) $(BLOB_CFLAGS) $(BLOB_LDFLAGS) -o $@ $(RUNTIME_SRCS)
$(BUILD)/sched/runtime.bin: $(BUILD)/sched/runtime.elf scripts/blobcheck.py
	@echo "  BLOB    $@"
	@python3 scripts/blobcheck.py --runtime $< -o $@

# The kernel embeds every blob (sched=NAME picks one) and the runtime, and
# compiles the heap policy's source in as its fallback.
$(BUILD)/os/sched/blobs.S.o: $(SCHED_BLOBS) $(BUILD)/sched/runtime.bin
$(BUILD)/sched/builtin_heap.o: sched_impls/heap/heap.c $(SCHED_ABI_HEADERS) Makefile | check-deps
	@mkdir -p $(dir $@)
	@echo "  CC      $< (built-in fallback)"
	@$(CC) $(KERNEL_CFLAGS) -DSCHED_BUILTIN_OPS=sched_builtin_heap -c -o $@ $<

# make sched-blob SRC=path/to/my_policy.c
SCHED_BLOB_NAME = $(basename $(notdir $(SRC)))
sched-blob: check-deps
	@test -n "$(SRC)" || { echo "usage: make sched-blob SRC=my_policy.c"; exit 2; }
	@test -f "$(SRC)" || { echo "sched-blob: no file '$(SRC)'"; exit 2; }
	@mkdir -p $(BUILD)/sched/ext
	@echo "  CC      $(SRC)"
	@$(CC) $(BLOB_CFLAGS) -c -o $(BUILD)/sched/ext/$(SCHED_BLOB_NAME).o $(SRC)
	@$(CC) $(BLOB_LDFLAGS) -o $(BUILD)/sched/ext/$(SCHED_BLOB_NAME).elf \
		$(BUILD)/sched/ext/$(SCHED_BLOB_NAME).o
	@python3 scripts/blobcheck.py $(BUILD)/sched/ext/$(SCHED_BLOB_NAME).elf \
		-o $(BUILD)/sched/ext/$(SCHED_BLOB_NAME).bin
	@echo "blob: $(BUILD)/sched/ext/$(SCHED_BLOB_NAME).bin (boot it: make run SCHED_BLOB=$(BUILD)/sched/ext/$(SCHED_BLOB_NAME).bin)"

# Order-only on check-deps: even `make -j` installs the compiler before
# the first compile.
$(BUILD)/%.c.o: %.c | check-deps
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(KERNEL_CFLAGS) -c -o $@ $<

$(BUILD)/%.S.o: %.S | check-deps
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) $(KERNEL_CFLAGS) -D__ASSEMBLY__ -c -o $@ $<

QEMU_ARGS = --smp $(SMP) --mem $(MEM) --kernel $(KERNEL) --initrd $(INITRD) \
	$(if $(SCHED_BLOB),--sched-blob $(SCHED_BLOB)) \
	--append "$(strip $(if $(SCHED),sched=$(SCHED)) $(APPEND))"

run: all
	scripts/run-qemu.sh $(QEMU_ARGS) $(RUN_FLAGS)

debug: all
	scripts/run-qemu.sh $(QEMU_ARGS) --debug $(RUN_FLAGS)

PYTEST_ARGS ?=

test: all
	$(PYTHON) -m pytest testsuite $(PYTEST_ARGS)

# make policy-test SRC=my_policy.c: the host model test of one source file
# (testsuite/policy_model.py; exit status nonzero on a failure).
policy-test: check-deps
	@test -n "$(SRC)" || { echo "usage: make policy-test SRC=my_policy.c"; exit 2; }
	@test -f "$(SRC)" || { echo "policy-test: no file '$(SRC)'"; exit 2; }
	@$(PYTHON) testsuite/policy_model.py $(SRC)

# make grade SRC=my_policy.c (or SCHED_BLOB=my_policy.bin): the tests that
# take a policy, run against that policy only, as one graded run (grade.py):
# with SRC, the blob is built from it and the host model test runs on it too.
GRADE_DIR := $(BUILD)/grade
GRADE_BLOB = $(if $(SRC),$(BUILD)/sched/ext/$(SCHED_BLOB_NAME).bin,$(SCHED_BLOB))
grade: all
	@test -n "$(SRC)$(SCHED_BLOB)" || { echo "usage: make grade SRC=my_policy.c" \
		"(or SCHED_BLOB=my_policy.bin: the QEMU tests only)"; exit 2; }
	@test -z "$(SRC)" || test -z "$(SCHED_BLOB)" || \
		{ echo "grade: give SRC= or SCHED_BLOB=, not both"; exit 2; }
	@$(if $(SRC),$(MAKE) --no-print-directory sched-blob SRC=$(SRC))
	@test -f "$(GRADE_BLOB)" || { echo "grade: no file '$(GRADE_BLOB)'"; exit 2; }
	@$(if $(SRC),,echo "grade: no source given (SRC=): the host model test is skipped")
	@mkdir -p $(GRADE_DIR)
	cd testsuite && $(PYTHON) -m pytest -p grade -q -k external \
		--sched-blob=$(abspath $(GRADE_BLOB)) $(if $(SRC),--policy-src=$(abspath $(SRC))) \
		--grade-dir=$(abspath $(GRADE_DIR)) --junitxml=$(abspath $(GRADE_DIR)/junit.xml) \
		$(PYTEST_ARGS)

gdb: all
	gdb-multiarch $(KERNEL) -ex 'target remote :$(GDB_PORT)' \
		-ex 'hbreak kmain' -ex continue

deps:
	@scripts/deps.sh

clean:
	rm -rf $(BUILD)

# User library and programs: defines USER_PROGRAMS and the $(INITRD) rule.
include user/user.mk

# Flags live here: a change to this file rebuilds everything.
$(KERNEL_OBJS): Makefile

-include $(KERNEL_OBJS:.o=.d)
