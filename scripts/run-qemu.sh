#!/usr/bin/env bash
# Boots the kernel in QEMU (machine virt, OpenSBI from Debian's opensbi).
# Used by `make run`, `make debug` and the test suite, so there is one place
# that knows the QEMU command line.
#
#   scripts/run-qemu.sh --kernel build/kernel.elf [options]
#     --smp N            harts (default 4)
#     --mem SIZE         RAM (default 256M)
#     --append "ARGS"    kernel command line
#     --initrd FILE      initial ramdisk (cpio)
#     --blob FILE@ADDR   load FILE at physical ADDR (generic loader)
#     --sched-blob FILE  boot with the scheduling-policy blob FILE: QEMU loads
#                        it at SCHED_BLOB_PA and sched_blob= tells the kernel
#     --icount           -icount shift=0: one instruction = one ns, deterministic
#     --debug            start halted with a gdb stub on :1234 (or $GDB_PORT)
#     --plain            serial on stdio without the QEMU monitor (for tests)
#     --dry-run          print the command instead of running it
set -euo pipefail

SMP=4 MEM=256M APPEND= SCHED_APPEND= INITRD= KERNEL= DEBUG=0 PLAIN=0 ICOUNT=0 DRY=0
BLOBS=()
SCHED_BLOB_PA=0x80800000    # 8 MiB into RAM: above the kernel, below the initrd
FIRMWARE=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "run-qemu: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
    case "$1" in
        --smp) SMP=${2:?}; shift ;;
        --mem) MEM=${2:?}; shift ;;
        --append) APPEND=${2-}; shift ;;
        --initrd) INITRD=${2:?}; shift ;;
        --kernel) KERNEL=${2:?}; shift ;;
        --blob) BLOBS+=("${2:?}"); shift ;;
        --sched-blob)
            [ -f "${2:?}" ] || die "no scheduling-policy blob at '$2'"
            BLOBS+=("$2@$SCHED_BLOB_PA")
            SCHED_APPEND="sched_blob=$SCHED_BLOB_PA"; shift ;;
        --icount) ICOUNT=1 ;;
        --debug) DEBUG=1 ;;
        --plain) PLAIN=1 ;;
        --dry-run) DRY=1 ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown option '$1' (try --help)" ;;
    esac
    shift
done

[ -n "$KERNEL" ] || die "--kernel is required"
[ -f "$KERNEL" ] || die "no kernel at '$KERNEL' (run make first)"
[[ "$SMP" =~ ^[1-8]$ ]] || die "--smp must be 1..8, not '$SMP'"
[ -f "$FIRMWARE" ] || die "OpenSBI firmware missing at $FIRMWARE (run make deps)"

APPEND="$APPEND${SCHED_APPEND:+ $SCHED_APPEND}"
APPEND="${APPEND# }"
cmd=(qemu-system-riscv64 -machine virt -cpu rv64 -smp "$SMP" -m "$MEM"
     -bios "$FIRMWARE" -kernel "$KERNEL" -no-reboot)
[ -n "$APPEND" ] && cmd+=(-append "$APPEND")
if [ -n "$INITRD" ]; then
    [ -f "$INITRD" ] || die "no initrd at '$INITRD'"
    cmd+=(-initrd "$INITRD")
fi
for blob in "${BLOBS[@]}"; do
    file=${blob%@*} addr=${blob##*@}
    [ -f "$file" ] || die "no blob at '$file'"
    cmd+=(-device "loader,file=$file,addr=$addr,force-raw=on")
done
if [ $ICOUNT -eq 1 ]; then
    cmd+=(-icount shift=0)
elif [ "$SMP" -gt 1 ]; then
    cmd+=(-accel tcg,thread=multi)
fi
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
