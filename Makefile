# schedos, a teaching OS for 64-bit RISC-V: one entry point for everything.
#
# Targets:
#   make                   build the kernel, the policy blobs, the user programs
#   make run               boot in QEMU into the shell, console on this terminal
#   make monitor           boot without the initrd: the kernel's monitor (kmon>)
#   make test              run the whole test suite (pytest driving QEMU)
#   make test-external TESTS=dir   a grader's own tests, with the harness plugin
#   make test-fuzz         the system-call fuzzer's test (testsuite/test_fuzz.py) alone, with
#                          FUZZ_SEEDS seeds of FUZZ_CALLS calls per policy and hart count
#   make debug             boot halted with a gdb stub; prints the gdb command
#   make gdb               in a second terminal: attach gdb to `make debug`, stop at kmain
#   make sched-blob SRC=f.c    build a policy blob from one C file (build/sched/ext/f.bin)
#   make grade SRC=f.c     grade a policy: host model test, then QEMU tests; a score
#                          (build/grade/results.json, junit.xml); SCHED_BLOB=b.bin: QEMU part only
#   make policy-test SRC=f.c   check one policy source on the host (ASan/UBSan, fixed seeds)
#   make policycost-host   the policies' add+fetch and remove on the host CPU, in ps (BENCH lines)
#   make profile CMD="b_coro switch 1000"   instructions per function for one command:
#                          one hart, -icount, a QEMU plugin; same command, same table
#   make lineshare CMD="b_prings -s 3876 4 512 2 5"   cache lines moved between harts by one
#                          command: SMP harts (2 unless given), no -icount, a QEMU plugin
#   make lineshare-plugin  that plugin alone: build/profile/lineshare.so (its test builds it)
#   make trace CMD="..."   a scheduling timeline of one run: build/trace/trace.json (Perfetto,
#                          chrome://tracing) and build/trace/timeline.png; SCHED=, SMP= apply
#   make compile_commands.json    editor support (clangd): rebuilds once under bear
#   make bench             every benchmark under every policy: CSV, report.md, PNG plots
#                          in bench/results/ (11 minutes on 2 cores; bench/README.md)
#   make bench-quick       the same workloads at small sizes (about a minute)
#   make deps              install the Debian packages the project needs
#   make kdebug            the debug kernel alone: build-debug/kernel.elf (KDEBUG=1 below)
#   make stress            the multi-hart stress (t_chaos) on the debug kernel, every policy,
#                          4 and 8 harts, STRESS_SECONDS each (docs/testing.md)
#   make clean             remove build/ and build-debug/
#   make help              print this text
#
# Variables, e.g. `make run SMP=2 MEM=64M` (default after the =):
#   SMP=4                  harts, 1..8 (run, monitor, debug; profile: 1 unless given)
#   MEM=256M               RAM; too small for the kernel and initrd is refused
#   SCHED=                 a built-in policy, listed below (unset: the kernel's heap)
#   SCHED_BLOB=            a policy blob file, loaded by QEMU: no kernel rebuild
#   APPEND=                more kernel command line, e.g. APPEND=ktest=all
#   RUN_FLAGS=             more scripts/run-qemu.sh options, e.g. --icount, --dry-run
#   GDB_PORT=1234          the gdb stub's TCP port (debug, gdb)
#   PYTEST_ARGS=           more pytest arguments for test and grade, e.g. "-k ktest -x"
#   TEST_JOBS=2            tests run at once by make test (pytest-xdist); PYTEST_ARGS="-n 0": one
#   TESTS=                 the test files or folders for test-external
#   FUZZ_SEEDS=30          test-fuzz (and make test): seeds per configuration, e.g. 5000
#   FUZZ_CALLS=300         test-fuzz (and make test): system calls per seed
#   SRC=                   the policy's C file, for sched-blob, policy-test, grade
#   POLICYCOST_HOST_RUN_ARGS=  the argument of make policycost-host's programs: MAXN (sizes up to it)
#   ARGS=                  bench/bench.py options for bench and bench-quick, e.g.
#                          ARGS="--workloads ring,micro --policies heap,fifo --sizes 16,64"
#   CROSS=riscv64-unknown-elf-   the cross toolchain's prefix
#   CMD=                   the shell command line for profile and lineshare (required: a
#                          program and its arguments) and for trace (default: t_pingpong 4 500)
#   TOP=                   profile, lineshare: show the N biggest rows only (unset: every
#                          function; lineshare: 20)
#   PROFILE_SELF=          profile: 1 = CMD marks its own sections (user/include/profile.h)
#   KDEBUG=                1 = build everything into build-debug/ with the kernel's invariant
#                          checks (scheduler, frames, locks: os/kernel/invariants.h), e.g.
#                          `make run KDEBUG=1`; build/ is left alone
#   STRESS_SECONDS=600     stress: how long each t_chaos run lasts

# (The block above is the text of `make help`: one line per target and per
# variable, with its default.  testsuite/test_make.py checks it names every
# target and variable.)

SMP    ?= 4
MEM    ?= 256M
SCHED  ?=
SCHED_BLOB ?=
APPEND ?=
RUN_FLAGS ?=

CROSS  ?= riscv64-unknown-elf-
CC      = $(CROSS)gcc
OBJCOPY = $(CROSS)objcopy
OBJDUMP = $(CROSS)objdump
PYTHON  = /usr/bin/python3

BUILD  := build
# The debug kernel has a tree of its own, so that building it never
# replaces the kernel that tests running meanwhile boot.
KDEBUG ?=
ifneq ($(filter-out 0 1,$(KDEBUG)),)
$(error KDEBUG is 1 (the debug kernel) or 0/empty, not '$(KDEBUG)')
endif
ifeq ($(KDEBUG),1)
BUILD  := build-debug
endif
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
ifeq ($(KDEBUG),1)
KERNEL_CFLAGS += -DKDEBUG
endif
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

.PHONY: all run test test-fuzz test-external debug gdb deps clean check-deps sched-blob grade policy-test
.PHONY: profile

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
RUNTIME_SRCS := user/runtime/runtime.c user/runtime/switch.S user/runtime/user_schedule.S \
                user/runtime/coro_exec.c user/runtime/user_entry.c
$(BUILD)/sched/runtime.elf: $(RUNTIME_SRCS) user/runtime/rt_trace.h user/runtime/rt_layout.h os/arch/callee_saved.h $(SCHED_ABI_HEADERS) sched_abi/blob.ld Makefile | check-deps
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
	@$(CC) $(KERNEL_CFLAGS) -D__ASSEMBLY__ -Wa,-I$(BUILD) -c -o $@ $<

# scripts/run-qemu.sh checks these (SMP's range, MEM's syntax and size,
# SCHED against the policies built here) and says what is wrong.
QEMU_MONITOR_ARGS = --smp $(SMP) --mem $(MEM) --kernel $(KERNEL) \
	$(if $(SCHED),--sched $(SCHED)) --policies "$(SCHED_POLICIES)" \
	$(if $(SCHED_BLOB),--sched-blob $(SCHED_BLOB)) \
	$(if $(strip $(APPEND)),--append "$(strip $(APPEND))")
QEMU_ARGS = $(QEMU_MONITOR_ARGS) --initrd $(INITRD)

.PHONY: run-check monitor help compile_commands.json

# Before building: a mistyped SCHED or SMP is refused at once, not after
# a build.  (What depends on the built files, MEM's size, is checked after.)
run-check:
	@scripts/run-qemu.sh $(QEMU_ARGS) $(RUN_FLAGS) --check-options

run: run-check all
	scripts/run-qemu.sh $(QEMU_ARGS) $(RUN_FLAGS)

# Without an initrd there is no /init: the kernel runs its monitor (kmon>).
monitor: run-check check-deps $(KERNEL)
	scripts/run-qemu.sh $(QEMU_MONITOR_ARGS) $(RUN_FLAGS)

debug: run-check all
	scripts/run-qemu.sh $(QEMU_ARGS) --debug $(RUN_FLAGS)

PYTEST_ARGS ?=
# make test runs this many tests at once with pytest-xdist, if installed
# (faster on two cores: docs/testing.md); PYTEST_ARGS="-n 0" runs one at a time.
TEST_JOBS ?= 2
TEST_PARALLEL = $(shell $(PYTHON) -c 'import xdist' 2>/dev/null && echo "-n $(TEST_JOBS)")

test: all kdebug
	$(PYTHON) -m pytest testsuite $(TEST_PARALLEL) $(PYTEST_ARGS)

# The debug kernel (KDEBUG=1), beside the normal one: test_stress.py boots
# it with build/initrd.cpio.
.PHONY: kdebug stress
kdebug: check-deps
	@$(MAKE) --no-print-directory KDEBUG=1 build-debug/kernel.elf

# The long form of test_stress.py: every policy on 4 and 8 harts, each run
# STRESS_SECONDS long (8 runs: 80 minutes at the default; PYTEST_ARGS="-k
# 'heap and smp8'" picks one).
STRESS_SECONDS ?= 600
stress: all kdebug
	SCHEDOS_STRESS_SECONDS=$(STRESS_SECONDS) $(PYTHON) -m pytest testsuite/test_stress.py \
		-n 0 $(PYTEST_ARGS)

# The fuzzer's test alone, long or short: FUZZ_SEEDS and FUZZ_CALLS reach
# it through the environment (docs/testing.md, "The system-call fuzzer").
FUZZ_SEEDS ?= 30
FUZZ_CALLS ?= 300
test-fuzz: all
	FUZZ_SEEDS=$(FUZZ_SEEDS) FUZZ_CALLS=$(FUZZ_CALLS) \
		$(PYTHON) -m pytest testsuite/test_fuzz.py -k "test_fuzz[" $(TEST_PARALLEL) $(PYTEST_ARGS)

# A grader's own tests outside testsuite/, with the harness as a plugin.
test-external: all
	@test -n "$(TESTS)" || { echo "usage: make test-external TESTS=path/to/tests [PYTEST_ARGS=...]"; exit 2; }
	@test -e "$(firstword $(TESTS))" || { echo "test-external: no such file or directory '$(firstword $(TESTS))'"; exit 2; }
	PYTHONPATH=$(CURDIR)/testsuite$(if $(PYTHONPATH),:$(PYTHONPATH)) \
		$(PYTHON) -m pytest -p schedos.plugin $(TESTS) $(PYTEST_ARGS)

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

# ---- make profile: instructions per function (bench/README.md) ----
# The plugin is a host shared object, loaded by QEMU (-plugin): built with
# the host's compiler against bench/profile/qemu_plugin_api.h.
CMD ?=
TOP ?=
PROFILE_SELF ?=
PROFILE_PLUGIN := $(BUILD)/profile/insn_profile.so
$(PROFILE_PLUGIN): bench/profile/insn_profile.c bench/profile/qemu_plugin_api.h Makefile | check-deps
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@gcc -std=c11 -Wall -Wextra -Werror -O2 -shared -fPIC -fvisibility=hidden \
		-o $@ $< -lpthread
# Built with everything else: the tests profile, and it takes a second.
all: $(PROFILE_PLUGIN)

profile: run-check all $(PROFILE_PLUGIN)
	@test -n "$(strip $(CMD))" || { echo 'usage: make profile CMD="b_coro switch 1000"' \
		'[SCHED=NAME | SCHED_BLOB=FILE] [TOP=N] [PROFILE_SELF=1] [SMP=N]'; exit 2; }
	@$(PYTHON) scripts/profile.py '$(subst ','\'',$(CMD))' \
		$(if $(SCHED),--sched $(SCHED)) $(if $(SCHED_BLOB),--sched-blob $(SCHED_BLOB)) \
		$(if $(TOP),--top $(TOP)) $(if $(filter 1,$(PROFILE_SELF)),--self) \
		$(if $(filter command line environment,$(origin SMP)),--smp $(SMP))

# ---- make lineshare: cache lines moved between harts (bench/README.md) ----
# A second plugin, built the same way (bench/profile/lineshare.c); not
# part of `all`: only make lineshare and its test need it.
LINESHARE_PLUGIN := $(BUILD)/profile/lineshare.so
$(LINESHARE_PLUGIN): bench/profile/lineshare.c bench/profile/qemu_plugin_api.h Makefile | check-deps
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@gcc -std=c11 -Wall -Wextra -Werror -O2 -shared -fPIC -fvisibility=hidden \
		-o $@ $< -lpthread

.PHONY: lineshare lineshare-plugin
lineshare-plugin: $(LINESHARE_PLUGIN)
lineshare: run-check all $(LINESHARE_PLUGIN)
	@test -n "$(strip $(CMD))" || { echo 'usage: make lineshare CMD="b_prings -s 3876 4 512 2 5"' \
		'[SCHED=NAME] [TOP=N] [SMP=N]'; exit 2; }
	@$(PYTHON) scripts/lineshare.py '$(subst ','\'',$(CMD))' \
		$(if $(SCHED),--sched $(SCHED)) $(if $(TOP),--top $(TOP)) \
		$(if $(filter command line environment,$(origin SMP)),--smp $(SMP))

# Not after `all`: a rebuild would give gdb symbols that no longer match
# the kernel `make debug` is running.
gdb:
	@scripts/gdb-attach.sh $(KERNEL) $(GDB_PORT)

# ---- make trace: a scheduling timeline (bench/trace.py, bench/README.md) ----
.PHONY: trace
# CMD (declared with profile's variables above) defaults to this here.
TRACE_CMD = $(or $(strip $(CMD)),t_pingpong 4 500)
TRACE_DIR := $(BUILD)/trace
trace: run-check all
	@/usr/bin/python3 bench/trace.py --policy "$(SCHED)" --smp $(SMP) --cmd "$(TRACE_CMD)" \
		--json $(TRACE_DIR)/trace.json --png $(TRACE_DIR)/timeline.png \
		--dump $(TRACE_DIR)/dump.txt

help:
	@awk '!/^#/ { exit } { sub(/^# ?/, ""); print }' $(firstword $(MAKEFILE_LIST))
	@echo "Built-in policies (SCHED=): $(SCHED_POLICIES)"

# bear records every compiler command of a full rebuild (make -B: the tree
# in build/ is rebuilt in place, the same as before); editors read it.
compile_commands.json: check-deps
	@echo "  BEAR    $@ (rebuilding everything once)"
	@bear --output $(CURDIR)/$@ -- $(MAKE) --no-print-directory -B all
	@echo "wrote $@ ($$(grep -c '"file"' $@) files); for clangd add --query-driver=$$(command -v $(CC))"

# ---- benchmarks: bench/bench.py boots QEMU per policy and configuration,
# runs the b_* programs and writes bench/results/ (bench/README.md).  Exit
# status 1 if any run failed (each is named in the report).
ARGS ?=
.PHONY: bench bench-quick
bench: all
	$(PYTHON) bench/bench.py $(ARGS)

bench-quick: all
	$(PYTHON) bench/bench.py --quick $(ARGS)

deps:
	@scripts/deps.sh

clean:
	rm -rf build build-debug

# User library and programs: defines USER_PROGRAMS and the $(INITRD) rule.
include user/user.mk

# The host version of b_policy: make policycost-host (bench/policycost.mk).
include bench/policycost.mk

# Flags live here: a change to this file rebuilds everything.
$(KERNEL_OBJS): Makefile

-include $(KERNEL_OBJS:.o=.d)
