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
# Variables passed through to QEMU: SMP (harts, default 4), MEM (default 256M),
# SCHED (policy name, becomes sched=NAME), APPEND (extra kernel command line).

SMP    ?= 4
MEM    ?= 256M
SCHED  ?=
APPEND ?=

CROSS  ?= riscv64-unknown-elf-
CC      = $(CROSS)gcc
OBJCOPY = $(CROSS)objcopy
OBJDUMP = $(CROSS)objdump
PYTHON  = /usr/bin/python3

BUILD  := build
KERNEL := $(BUILD)/kernel.elf
INITRD := $(BUILD)/initrd.cpio     # user programs, packed by user/user.mk

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
KERNEL_OBJS := $(patsubst %,$(BUILD)/%.o,$(KERNEL_SRCS))

GDB_PORT ?= 1234
export GDB_PORT

.PHONY: all run test debug gdb deps clean check-deps

all: check-deps $(KERNEL) $(INITRD)

# Quietly installs missing packages; a no-op when everything is present.
check-deps:
	@scripts/deps.sh --quiet

$(KERNEL): $(KERNEL_OBJS) os/kernel.ld
	@echo "  LD      $@"
	@$(CC) $(KERNEL_CFLAGS) $(KERNEL_LDFLAGS) -o $@ $(KERNEL_OBJS)
	@$(OBJDUMP) -d $@ > $(BUILD)/kernel.asm

$(BUILD)/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(KERNEL_CFLAGS) -c -o $@ $<

$(BUILD)/%.S.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) $(KERNEL_CFLAGS) -D__ASSEMBLY__ -c -o $@ $<

QEMU_ARGS = --smp $(SMP) --mem $(MEM) --kernel $(KERNEL) --initrd $(INITRD) \
	--append "$(strip $(if $(SCHED),sched=$(SCHED)) $(APPEND))"

run: all
	scripts/run-qemu.sh $(QEMU_ARGS) $(RUN_FLAGS)

debug: all
	scripts/run-qemu.sh $(QEMU_ARGS) --debug $(RUN_FLAGS)

PYTEST_ARGS ?=

test: all
	$(PYTHON) -m pytest testsuite $(PYTEST_ARGS)

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
