#!/usr/bin/env bash
# Boots the kernel in QEMU (machine virt, OpenSBI from Debian's opensbi).
# Used by `make run`, `make debug`, `make monitor` and the test suite, so
# there is one place that knows the QEMU command line and checks its options.
#
#   scripts/run-qemu.sh --kernel build/kernel.elf [options]
#     --smp N            harts, 1..8 (default 4)
#     --mem SIZE         RAM, e.g. 256M or 1G (default 256M)
#     --append "ARGS"    kernel command line (passed as is)
#     --initrd FILE      initial ramdisk (cpio); without one: the kernel monitor
#     --sched NAME       boot the built-in policy NAME (adds sched=NAME)
#     --policies "LIST"  the built-in policies --sched may name (default: the
#                        blobs built beside the kernel, build/sched/*.bin)
#     --sched-blob FILE  boot with the scheduling-policy blob FILE: QEMU loads
#                        it at SCHED_BLOB_PA and sched_blob= tells the kernel
#     --blob FILE@ADDR   load FILE at physical ADDR (generic loader)
#     --icount           -icount shift=0: one instruction = one ns, deterministic
#     --icount-exact     the same, and idle time jumps straight to the next timer
#                        deadline (sleep=off): a run is repeatable to the
#                        instruction even after waiting for input (make profile);
#                        an idle machine spins through its timer ticks meanwhile
#     --plugin SO[,ARGS] load the TCG plugin SO with its arguments, e.g.
#                        build/profile/insn_profile.so,out=FILE (make profile)
#     --debug            start halted with a gdb stub on :1234 (or $GDB_PORT)
#     --plain            serial on stdio without the QEMU monitor (for tests)
#     --dry-run          check everything, print the command instead of running it
#     --check-options    check only what needs no file (smp, mem, sched), then exit
set -euo pipefail

SMP=4 MEM=256M APPEND= SCHED= POLICIES= SCHED_BLOB= INITRD= KERNEL=
DEBUG=0 PLAIN=0 ICOUNT=0 DRY=0 CHECK_ONLY=0 PLUGIN=
BLOBS=()
SCHED_BLOB_PA=0x80800000    # 8 MiB into RAM: above the kernel, below the initrd
FIRMWARE=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
MAX_HARTS=8                 # os/memlayout.h

# The comment block at the top of this file is the help text.
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
die() { echo "run-qemu: $*" >&2; exit 2; }
# An option's value: its absence is a usage error, not bash's "unbound".
value() { [ $# -ge 2 ] || die "$1 needs a value (try --help)"; }

while [ $# -gt 0 ]; do
    case "$1" in
        --smp) value "$@"; SMP=$2; shift ;;
        --mem) value "$@"; MEM=$2; shift ;;
        --append) value "$@"; APPEND=$2; shift ;;
        --initrd) value "$@"; INITRD=$2; shift ;;
        --kernel) value "$@"; KERNEL=$2; shift ;;
        --sched) value "$@"; SCHED=$2; shift ;;
        --policies) value "$@"; POLICIES=$2; shift ;;
        --blob) value "$@"; BLOBS+=("$2"); shift ;;
        --sched-blob) value "$@"; SCHED_BLOB=$2; shift ;;
        --icount) ICOUNT=1 ;;
        --icount-exact) ICOUNT=2 ;;
        --plugin) value "$@"; PLUGIN=$2; shift ;;
        --debug) DEBUG=1 ;;
        --plain) PLAIN=1 ;;
        --dry-run) DRY=1 ;;
        --check-options) CHECK_ONLY=1 ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown option '$1' (try --help)" ;;
    esac
    shift
done

# shellcheck source=scripts/qemu-layout.sh
. "$(dirname "$0")/qemu-layout.sh"

# ---- options that need no file: checked first, so a typo costs nothing ----
[[ "$SMP" =~ ^[0-9]+$ ]] && [ "$((10#$SMP))" -ge 1 ] && [ "$((10#$SMP))" -le $MAX_HARTS ] ||
    die "SMP (--smp) is the number of harts, 1 to $MAX_HARTS; '$SMP' is not"
MEM_BYTES=$(ql_parse_size "$MEM") ||
    die "MEM (--mem) is a RAM size: a whole number and K, M, G or T (no suffix: MiB), e.g. 256M or 1G; '$MEM' is not"
# (Seven digits and a T can pass 2^63: caught here, not wrapped around.)
[ "$MEM_BYTES" -ge 0 ] && [ "$MEM_BYTES" -le $((1 << 50)) ] ||
    die "MEM=$MEM is too large: at most 1024T here, and QEMU needs the host to have it"
if [ -n "$SCHED" ] && [ -n "$SCHED_BLOB" ]; then
    die "SCHED=$SCHED and SCHED_BLOB=$SCHED_BLOB both pick the policy: give one"
fi
if [ -n "$SCHED" ]; then
    if [ -z "$POLICIES" ] && [ -n "$KERNEL" ]; then
        # The blobs the kernel build embedded (the Makefile's SCHED_POLICIES).
        for b in "$(dirname "$KERNEL")"/sched/*.bin; do
            name=$(basename "$b" .bin)
            if [ -f "$b" ] && [ "$name" != runtime ]; then POLICIES+="${POLICIES:+ }$name"; fi
        done
    fi
    [ -n "$POLICIES" ] || die "no policy list to check SCHED=$SCHED against (build the kernel first, or pass --policies)"
    [[ " $POLICIES " == *" $SCHED "* ]] ||
        die "unknown policy '$SCHED'; the policies are: $POLICIES (or SCHED_BLOB=file for your own)"
fi
[ $CHECK_ONLY -eq 0 ] || exit 0

# ---- files ----
[ -n "$KERNEL" ] || die "--kernel is required (try --help)"
[ -f "$KERNEL" ] || die "no kernel at '$KERNEL' (run make first)"
[ -f "$FIRMWARE" ] || die "OpenSBI firmware missing at $FIRMWARE (run make deps)"
[ -z "$INITRD" ] || [ -f "$INITRD" ] || die "no initrd at '$INITRD' (run make first)"
if [ -n "$SCHED_BLOB" ]; then
    [ -f "$SCHED_BLOB" ] || die "no scheduling-policy blob at '$SCHED_BLOB'"
    BLOBS+=("$SCHED_BLOB@$SCHED_BLOB_PA")
fi
if [ -n "$PLUGIN" ]; then
    [ -f "${PLUGIN%%,*}" ] || die "no TCG plugin at '${PLUGIN%%,*}' (make profile builds build/profile/insn_profile.so)"
fi
for blob in "${BLOBS[@]}"; do
    [[ "$blob" == *@* ]] || die "--blob takes FILE@ADDR, not '$blob'"
    [ -f "${blob%@*}" ] || die "no blob at '${blob%@*}'"
    [[ "${blob##*@}" =~ ^(0x[0-9a-fA-F]{1,16}|[0-9]{1,19})$ ]] ||
        die "--blob address '${blob##*@}' is not a number (e.g. 0x80800000)"
done

# ---- does it all fit in MEM? (QEMU's own message would be obscure) ----
ql_init "$FIRMWARE" "$KERNEL" "$INITRD" ${BLOBS[@]+"${BLOBS[@]}"}
if ! why=$(ql_conflict "$MEM_BYTES"); then
    what="this kernel"
    if [ -n "$INITRD" ] && [ ${#BLOBS[@]} -gt 0 ]; then what+=", initrd and blob"
    elif [ -n "$INITRD" ]; then what+=" and initrd"
    elif [ ${#BLOBS[@]} -gt 0 ]; then what+=" and blob"
    fi
    die "MEM=$MEM is too small for $what: use MEM=$(ql_minimum_mib)M or more (with $MEM, $why)"
fi

# ---- the command line ----
# Order: sched= first, then the caller's words, then sched_blob=.  The kernel
# takes a repeated key's last value, so an APPEND word overrides --sched.
APPEND="${SCHED:+sched=$SCHED }$APPEND${SCHED_BLOB:+ sched_blob=$SCHED_BLOB_PA}"
APPEND="${APPEND# }" APPEND="${APPEND% }"
cmd=(qemu-system-riscv64 -machine virt -cpu rv64 -smp "$SMP" -m "$MEM"
     -bios "$FIRMWARE" -kernel "$KERNEL" -no-reboot)
[ -n "$APPEND" ] && cmd+=(-append "$APPEND")
[ -n "$INITRD" ] && cmd+=(-initrd "$INITRD")
for blob in "${BLOBS[@]}"; do
    cmd+=(-device "loader,file=${blob%@*},addr=${blob##*@},force-raw=on")
done
if [ $ICOUNT -eq 1 ]; then
    cmd+=(-icount shift=0)
elif [ $ICOUNT -eq 2 ]; then
    # sleep=off: an idle hart's wait ends at its next timer deadline at
    # once, not after that much real time, so what follows does not
    # depend on how long the host took (to type a command, say).
    cmd+=(-icount shift=0,sleep=off)
elif [ "$SMP" -gt 1 ]; then
    cmd+=(-accel tcg,thread=multi)
fi
[ -n "$PLUGIN" ] && cmd+=(-plugin "$PLUGIN")
if [ $PLAIN -eq 1 ]; then
    # signal=off: Ctrl-C is a byte for the guest (it ends the foreground
    # job), not SIGINT for QEMU, as under -nographic.
    cmd+=(-chardev stdio,id=serial0,signal=off -serial chardev:serial0
          -monitor none -display none)
else
    cmd+=(-nographic)       # Ctrl-A X quits, Ctrl-A C toggles the monitor
fi
if [ $DEBUG -eq 1 ]; then
    port=${GDB_PORT:-1234}
    cmd+=(-S -gdb "tcp::$port")
    cat >&2 <<MSG
QEMU is halted with a gdb stub on port $port.  In another terminal run
    make gdb GDB_PORT=$port
or by hand:
    gdb-multiarch $KERNEL -ex 'target remote :$port' -ex 'hbreak kmain' -ex continue
(hbreak, not break: until the kernel turns paging on, gdb cannot write a
software breakpoint at kmain's virtual address.)
MSG
fi

if [ $DRY -eq 1 ]; then
    printf '%q ' "${cmd[@]}"; echo
    exit 0
fi
if [ ! -t 0 ]; then
    # Piped input (printf 'ls\r' | make run): the firmware empties the UART
    # while it starts, losing the first byte that has arrived by then, so
    # one NUL goes first.  Lost or not, it does no harm: the kernel's
    # console ignores NUL bytes (os/drivers/console.c).
    exec "${cmd[@]}" < <(printf '\0'; exec cat)
fi
exec "${cmd[@]}"
