# Where QEMU puts things in RAM on the virt machine, so that run-qemu.sh can
# refuse a MEM that is too small with a message naming the minimum, instead
# of QEMU's "Some ROM regions are overlapping".  Sourced by run-qemu.sh.
#
# The rules are QEMU 7.2's (hw/riscv/boot.c, the version Debian 12 ships):
#   - RAM starts at 0x80000000; OpenSBI (-bios) is loaded there.
#   - The kernel ELF is loaded at its physical addresses (0x80200000 up).
#   - The initrd goes at the kernel's lowest address + min(RAM/2, 128 MiB).
#   - The device tree (1 MiB) goes at the top of RAM, capped at 3 GiB
#     physical, minus 1 MiB, rounded down to 2 MiB.
#   - A --blob (and the policy blob) goes exactly where it is asked to.
# Because of the rounding, the sizes that fit are not a simple "N or more":
# for a small initrd 7M can fit where 8M does not.  The minimum reported is
# the smallest whole MiB from which every larger size fits.
#
# What the kernel itself needs on top is not a separate limit: wherever
# everything fits, the free RAM below the initrd is RAM/2 minus the kernel
# image, at least 2.5 MiB, and the shell boots and runs a pipeline with
# 3 MiB free on 8 harts (measured with an initrd of init and sh at MEM=6M).
# QEMU's own overlap check stays the backstop if its rules ever change.

readonly QL_RAM_BASE=$((0x80000000))
readonly QL_MIB=$((1024 * 1024))
readonly QL_FDT_SIZE=$QL_MIB
readonly QL_FDT_CAP=$((3072 * QL_MIB))

# ql_parse_size TEXT: prints TEXT as bytes, or fails.  QEMU's -m syntax: a
# whole number with an optional K, M, G or T suffix; no suffix means MiB.
ql_parse_size() {
    local text=$1 digits unit
    [[ "$text" =~ ^([0-9]{1,7})([KkMmGgTt]?)$ ]] || return 1
    digits=$((10#${BASH_REMATCH[1]})) unit=${BASH_REMATCH[2]^^}
    case "$unit" in
        K) echo $((digits * 1024)) ;;
        M|"") echo $((digits * QL_MIB)) ;;
        G) echo $((digits * 1024 * QL_MIB)) ;;
        T) echo $((digits * 1024 * 1024 * QL_MIB)) ;;
    esac
}

# ql_u LEN OFFSET FILE: the little-endian unsigned number of LEN bytes at
# OFFSET in FILE.
ql_u() {
    local v
    v=$(od -An -t "u$1" -j "$2" -N "$1" "$3") || return 1
    echo $((v))
}

# ql_elf_span FILE: prints "LOW HIGH", the physical range of the ELF's
# loadable segments; a file that is not a 64-bit ELF is taken as a raw image
# at 0x80200000 (where OpenSBI jumps).
ql_elf_span() {
    local file=$1 low=-1 high=0 phoff phentsize phnum i ph paddr memsz
    if [ "$(head -c 5 "$file" | od -An -t x1 | tr -d ' \n')" != 7f454c4602 ]; then
        echo "$((0x80200000)) $((0x80200000 + $(stat -c %s "$file")))"
        return
    fi
    phoff=$(ql_u 8 32 "$file") phentsize=$(ql_u 2 54 "$file") phnum=$(ql_u 2 56 "$file")
    for ((i = 0; i < phnum; i++)); do
        ph=$((phoff + i * phentsize))
        [ "$(ql_u 4 "$ph" "$file")" -eq 1 ] || continue          # PT_LOAD
        paddr=$(ql_u 8 $((ph + 24)) "$file") memsz=$(ql_u 8 $((ph + 40)) "$file")
        [ "$memsz" -gt 0 ] || continue
        if [ $low -lt 0 ] || [ "$paddr" -lt $low ]; then low=$paddr; fi
        if [ $((paddr + memsz)) -gt $high ]; then high=$((paddr + memsz)); fi
    done
    [ $low -ge 0 ] || { low=$((0x80200000)) high=$low; }
    echo "$low $high"
}

# Filled by ql_init: the fixed regions, each "NAME START END" (END exclusive).
QL_FIXED=()
QL_KERNEL_LOW=0
QL_INITRD_SIZE=-1          # no initrd

# ql_init FIRMWARE KERNEL INITRD BLOB@ADDR...: reads the sizes once.
ql_init() {
    local firmware=$1 kernel=$2 initrd=$3 span blob file addr
    shift 3
    QL_FIXED=("OpenSBI $QL_RAM_BASE $((QL_RAM_BASE + $(stat -c %s "$firmware")))")
    span=$(ql_elf_span "$kernel")
    QL_KERNEL_LOW=${span% *}
    QL_FIXED+=("the kernel ${span% *} ${span#* }")
    if [ -n "$initrd" ]; then QL_INITRD_SIZE=$(stat -c %s "$initrd"); fi
    for blob in "$@"; do
        file=${blob%@*} addr=$((${blob##*@}))
        QL_FIXED+=("the blob $(basename "$file") $addr $((addr + $(stat -c %s "$file")))")
    done
}

ql_hex() { printf '%#x' "$1"; }

# ql_conflict MEM_BYTES: prints what does not fit with that much RAM and
# fails, or succeeds silently.
ql_conflict() {
    local mem=$1 ram_end=$((QL_RAM_BASE + $1)) top half start regions r i j
    local -a name lo hi
    top=$ram_end; [ $top -le $QL_FDT_CAP ] || top=$QL_FDT_CAP
    regions=("${QL_FIXED[@]}")
    if [ "$QL_INITRD_SIZE" -ge 0 ]; then
        half=$((mem / 2)); [ $half -le $((128 * QL_MIB)) ] || half=$((128 * QL_MIB))
        start=$((QL_KERNEL_LOW + half))
        regions+=("the initrd $start $((start + QL_INITRD_SIZE))")
    fi
    start=$(( (top - QL_FDT_SIZE) & ~(2 * QL_MIB - 1) ))
    regions+=("the device tree $start $((start + QL_FDT_SIZE))")
    for r in "${regions[@]}"; do
        hi+=("${r##* }"); r=${r% *}; lo+=("${r##* }"); name+=("${r% *}")
    done
    for ((i = 0; i < ${#name[@]}; i++)); do
        if [ "${lo[i]}" -lt $QL_RAM_BASE ] || [ "${hi[i]}" -gt $ram_end ]; then
            echo "${name[i]} ($(ql_hex "${lo[i]}")-$(ql_hex "${hi[i]}")) would not fit in RAM ($(ql_hex $QL_RAM_BASE)-$(ql_hex $ram_end))"
            return 1
        fi
        for ((j = i + 1; j < ${#name[@]}; j++)); do
            if [ "${lo[i]}" -lt "${hi[j]}" ] && [ "${lo[j]}" -lt "${hi[i]}" ]; then
                echo "${name[j]} ($(ql_hex "${lo[j]}")-$(ql_hex "${hi[j]}")) would overlap ${name[i]} ($(ql_hex "${lo[i]}")-$(ql_hex "${hi[i]}"))"
                return 1
            fi
        done
    done
}

# ql_minimum_mib: the smallest whole MiB from which every larger size fits.
# From 256 MiB up the initrd's place is fixed and only the device tree moves
# (upwards), so a fit there holds for every larger size.
ql_minimum_mib() {
    local m=256
    if ql_conflict $((m * QL_MIB)) >/dev/null; then
        while [ $m -gt 1 ] && ql_conflict $(((m - 1) * QL_MIB)) >/dev/null; do
            m=$((m - 1))
        done
    else
        while [ $m -lt 3072 ] && ! ql_conflict $((m * QL_MIB)) >/dev/null; do
            m=$((m + 1))
        done
    fi
    echo $m
}
