#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/system-run.sh TAG OUTDIR -- CMD [ARG...]
#
# Boots the Debian bookworm system image (tools/system-image.sh) on
# Debian's kernel TAG under QEMU/TCG: ext4 root on virtio-blk, opened
# copy-on-write so the cached image never changes, the kernel's own
# initramfs, systemd as PID 1. Unlike tools/vm-run.sh's guest, nothing of
# the host is visible inside: the guest is a host of its own. OUTDIR is
# shared over virtio-9p and mounted at /run/cgshare-test; put what CMD
# needs into OUTDIR/in/ first. After boot, cgshare-test.service runs CMD
# (as root, by bash, in /run/cgshare-test/in), then powers off.
#
# Results in OUTDIR: console.log (serial console), stdout, stderr, rc
# (CMD's), dmesg, journal (the guest's whole journal), log-problems (the
# kernel log check of tools/lib.sh), tasks-at-timeout. Exit status: CMD's,
# or non-zero when the guest timed out, crashed or logged a kernel problem.
#
# Environment: VM_TIMEOUT (s, 900), VM_MEM (3G), VM_SMP (2), VM_CPU (max),
# VM_ACCEL (tcg,thread=single, for the reason given in tools/vm-run.sh),
# VM_LOG_ALLOW, CGSHARE_CACHE, BUILD, V.

# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
	echo "usage: $PROG TAG OUTDIR -- CMD [ARG...]" >&2
	exit 2
}

if (($# < 4)) || [[ $3 != -- ]]; then usage; fi
TAG=$1
OUT=$2
shift 3
valid_tag "$TAG"
kernel_env "$TAG"
need_cmd qemu-system-x86_64 qemu-system-x86

VM_TIMEOUT=${VM_TIMEOUT:-900}
VM_MEM=${VM_MEM:-3G}
VM_SMP=${VM_SMP:-2}
VM_ACCEL=${VM_ACCEL:-tcg,thread=single}
VM_CPU=${VM_CPU:-max}
[[ $VM_TIMEOUT =~ ^[0-9]+$ ]] || die "VM_TIMEOUT must be a number of seconds"

# one image for all KERNELS (each boots with its own initramfs)
IMG=$("$CGSHARE_ROOT/tools/system-image.sh") || die "no system image"
INITRD=$IMG/boot/initrd.img-$KVER
[[ -f $INITRD && -f $IMG/disk.ext4 ]] || die "the system image in $IMG has no initramfs for $KVER"

mkdir -p "$OUT/in" || die "cannot create $OUT"
OUT=$(realpath "$OUT")
rm -rf "$OUT/.vm"
rm -f "$OUT"/{console.log,stdout,stderr,dmesg,journal,rc,tasks-at-timeout,log-problems}
mkdir -p "$OUT/.vm"
{
	printf 'export CGSHARE_TAG=%q CGSHARE_KVER=%q V=%q\n' "$TAG" "$KVER" "$V"
	printf 'exec'
	printf ' %q' "$@"
	printf '\n'
} >"$OUT/in/cmd"
# the guest ends a hung command itself, saving its tasks, before we kill it
echo $((VM_TIMEOUT > 120 ? VM_TIMEOUT - 90 : VM_TIMEOUT / 2)) >"$OUT/in/deadline"

# The ELF vmlinux boots through PVH, seconds faster under TCG than the bzImage.
KERNEL=${VMLINUX:-$VMLINUZ}
[[ -f $KERNEL ]] || KERNEL=$VMLINUZ
APPEND="root=/dev/vda rw console=ttyS0 loglevel=5 panic=-1 mitigations=off"
APPEND+=" systemd.show_status=error cgshare_test=1"
# shellcheck disable=SC2054 # commas belong to QEMU options
QEMU=(
	qemu-system-x86_64 -accel "$VM_ACCEL" -cpu "$VM_CPU" -smp "$VM_SMP" -m "$VM_MEM"
	-nodefaults -nographic -no-reboot -monitor none
	-kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND"
	-drive "file=$IMG/disk.ext4,format=raw,if=virtio,snapshot=on"
	-device virtio-rng-pci
	-serial "file:$OUT/console.log"
	-fsdev "local,id=out,path=$OUT,security_model=none,multidevs=remap"
	-device virtio-9p-pci,fsdev=out,mount_tag=cgshare_out
)
verbose "${QEMU[*]}"

guest_qemu "$OUT/.vm/qemu.stdout" "${QEMU[@]}"
guest_verdict "$TAG" "$KVER, system image"
