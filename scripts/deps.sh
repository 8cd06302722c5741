#!/usr/bin/env bash
# Installs the Debian packages the project needs.  Idempotent: when all are
# present it does nothing (and with --quiet prints nothing).
#   scripts/deps.sh [--quiet] [--check]
#     --check   only report what is missing (exit 1 if anything is)
set -euo pipefail

PACKAGES=(
    make
    gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf   # cross compiler
    qemu-system-misc opensbi                               # the machine, firmware
    gdb-multiarch                                          # make debug
    bear                                                   # make compile_commands.json
    python3 python3-pytest python3-pexpect python3-pytest-xdist   # make test
    cpio device-tree-compiler                              # initrd, DT tests
    gcc libc6-dev                                          # host-side tests
    python3-matplotlib                                     # make bench: plots
)

quiet=0 check=0
for arg in "$@"; do
    case "$arg" in
        --quiet) quiet=1 ;;
        --check) check=1 ;;
        -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
        *) echo "deps.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
    esac
done

missing=()
for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = installed ] || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
    [ $quiet -eq 1 ] || echo "deps: all ${#PACKAGES[@]} packages are installed"
    exit 0
fi
if [ $check -eq 1 ]; then
    echo "deps: missing: ${missing[*]}"
    exit 1
fi

echo "deps: installing ${missing[*]}"
SUDO=
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then
        SUDO=sudo
    else
        echo "deps: not root and no sudo; install these by hand: ${missing[*]}" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
