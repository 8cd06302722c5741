#!/usr/bin/env bash
# Attaches gdb-multiarch to the gdb stub of a running `make debug` and stops
# the kernel at kmain.  Used by `make gdb`.
#
#   scripts/gdb-attach.sh KERNEL PORT
#
# Without a stub on PORT it says so at once: gdb itself would print a bare
# "Connection refused" and leave you at its prompt.
set -euo pipefail

die() { echo "gdb: $*" >&2; exit 2; }
[ $# -eq 2 ] || die "usage: scripts/gdb-attach.sh KERNEL PORT"
kernel=$1 port=$2
[[ "$port" =~ ^[0-9]{1,5}$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] ||
    die "GDB_PORT must be a TCP port number, not '$port'"

# Is anything listening on the port?  Read from the kernel's socket tables
# rather than by connecting: a connection would look like a gdb to QEMU's
# stub.  (Column 2 is address:port in hex, column 4 the state, 0A = LISTEN.)
listening() {
    local hex
    hex=$(printf '%04X' "$1")
    awk -v p=":$hex" 'NR > 1 && $4 == "0A" && substr($2, length($2) - 4) == p { found = 1 }
                      END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
start="make debug"
[ "$port" = 1234 ] || start="make debug GDB_PORT=$port"
listening "$port" || die "no gdb stub on :$port; start \`$start\` in another terminal first"

[ -f "$kernel" ] || die "no kernel at '$kernel' (run make debug first)"
command -v gdb-multiarch >/dev/null || die "gdb-multiarch is not installed (run make deps)"
# hbreak, not break: until the kernel turns paging on, gdb cannot write a
# software breakpoint at kmain's virtual address.
exec gdb-multiarch "$kernel" -ex "target remote :$port" -ex 'hbreak kmain' -ex continue
