#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/vm-run.sh TAG OUTDIR -- CMD [ARG...]
#
# Boots Debian's kernel TAG (fetched by tools/fetch-kernels.sh) under
# qemu-system-x86_64 with TCG and runs CMD inside it, in the host's own root
# file system (shared read-only over virtio-9p), so host-built binaries run
# unchanged.  OUTDIR is shared read-write at the same path.  The guest is a
# busybox initramfs (tools/guest/init) plus the 9p/virtio modules of TAG,
# cached in $CGSHARE_CACHE/initramfs (see tools/lib.sh).
#
# In the guest, CMD runs as root in the directory vm-run.sh was started
# from, with PATH, HOME=/root, and CGSHARE_KVER, CGSHARE_TAG, CGSHARE_KO,
# CGSHARE_MODDIR, CGSHARE_OUT=OUTDIR, BUILD, plus every CGSHARE_* variable of
# the caller.  `modprobe`/`depmod` work on a writable copy of the module
# tree, /run/cgshare/modroot (copy a .ko into its extra/ and run depmod).
#
# Results in OUTDIR: console.log (serial console), stdout and stderr (CMD's),
# dmesg (whole kernel log), rc (CMD's exit status), log-problems (the
# kernel log lines that match tools/guest/log-patterns, if any); when CMD
# hangs, the guest
# dumps its tasks to tasks-at-timeout and powers off a minute before
# VM_TIMEOUT.  CMD's stdout is also
# streamed to ours.  Exit status: CMD's, or non-zero if the VM timed out,
# crashed or the kernel log has warnings, oopses, lockups or leak reports.
#
# Environment: VM_TIMEOUT (s, 1800: a guard against a hang, twice the
# longest suite, 7.3 at about 850 s), VM_MEM (4G), VM_SMP (2), VM_CPU (max),
# VM_ACCEL (QEMU -accel, tcg,thread=single: see below),
# VM_MACHINE (QEMU -machine: pc, q35 for the debug kernel),
# VM_APPEND (extra kernel arguments), VM_KERNEL (image to boot), VM_LOG_ALLOW (ERE of log lines to
# forgive), VM_FWD (HOSTPORT:GUESTPORT ...: a virtio NIC on QEMU's user
# network, restricted to forwarded connections, each TCP HOSTPORT of the
# host's 127.0.0.1 forwarded to GUESTPORT of the guest's 10.0.2.15; the
# command brings the NIC up: modprobe virtio_net, address 10.0.2.15/24),
# BUILD, CGSHARE_CACHE, V.

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

VM_TIMEOUT=${VM_TIMEOUT:-1800}
VM_MEM=${VM_MEM:-4G}
VM_SMP=${VM_SMP:-2}
# One host thread runs every vCPU. With multi-threaded TCG, a vCPU can
# execute a stale int3 after the kernel has finished patching the code
# (text_poke_bp: static keys and static calls flip on every tracepoint
# probe register/unregister and BPF attach), and the guest dies with
# "Oops: int3" in __schedule or enqueue_entity. An insmod/rmmod loop with
# busy CPUs hit it within 30 s under MTTCG, and ran clean with
# thread=single; CI hit it once in the rmmod test.
VM_ACCEL=${VM_ACCEL:-tcg,thread=single}
VM_CPU=${VM_CPU:-max}
VM_APPEND=${VM_APPEND:-}
VM_LOG_ALLOW=${VM_LOG_ALLOW:-}
NET=()
if [[ -n ${VM_FWD:-} ]]; then
	fwd=
	for p in $VM_FWD; do
		[[ $p =~ ^[0-9]+:[0-9]+$ ]] || die "VM_FWD: '$p' is not HOSTPORT:GUESTPORT"
		fwd+=",hostfwd=tcp:127.0.0.1:${p%:*}-:${p#*:}"
	done
	# shellcheck disable=SC2054 # commas belong to QEMU options
	NET=(-netdev "user,id=net0,restrict=on$fwd" -device virtio-net-pci,netdev=net0)
fi

# What fails a run when it shows up in the guest's kernel log.
BAD_LOG=$(sed -e '/^#/d' -e '/^$/d' "$CGSHARE_ROOT/tools/guest/log-patterns" | paste -sd '|')
[[ -n $BAD_LOG ]] || die "no patterns in tools/guest/log-patterns"

need_cmd qemu-system-x86_64 qemu-system-x86
need_cmd cpio cpio
need_cmd busybox busybox-static

GUEST_DIR=$CGSHARE_ROOT/tools/guest
BUSYBOX=${BUSYBOX:-/bin/busybox}
# 9p modules needed to reach the host root; their dependencies come from
# modules.dep, and whatever is built in is skipped.
GUEST_MODULES=(virtio_pci 9pnet_virtio 9p)

[[ $(ldd "$BUSYBOX" 2>&1) == *"not a dynamic executable"* ]] ||
	die "$BUSYBOX is not statically linked; install busybox-static"

# modname NAME-or-PATH -> canonical module name (dashes as underscores)
modname() {
	local n=${1##*/}
	n=${n%%.ko*}
	printf '%s\n' "${n//-/_}"
}

builtin_module() {
	grep -q "/$(modname "$1" | sed 's/_/[-_]/g')\.ko\$" "$MODDIR/modules.builtin"
}

# Resolve GUEST_MODULES through modules.dep into load order (relative paths).
resolve_modules() {
	declare -A path=() seen=()
	local line key deps m d i
	while IFS= read -r line; do
		key=${line%%:*}
		path[$(modname "$key")]=$line
	done <"$MODDIR/modules.dep"
	for m in "${GUEST_MODULES[@]}"; do
		if builtin_module "$m"; then
			verbose "$m is built into $KVER"
			continue
		fi
		line=${path[$m]:-}
		[[ -n $line ]] || die "$KVER has no module $m (not in modules.dep nor modules.builtin)"
		read -r -a deps <<<"${line#*:}"
		# modules.dep lists dependencies so that the last must load first
		for ((i = ${#deps[@]} - 1; i >= 0; i--)); do
			d=${deps[i]}
			[[ -n ${seen[$d]:-} ]] || { seen[$d]=1; printf '%s\n' "$d"; }
		done
		d=${line%%:*}
		[[ -n ${seen[$d]:-} ]] || { seen[$d]=1; printf '%s\n' "$d"; }
	done
}

# make_initramfs DIR MODS: the per-kernel part of the initramfs, as
# DIR/initramfs.cpio.
# shellcheck disable=SC2317 # called through cache_build
make_initramfs() {
	local dir=$1 mods=$2 tmp=$1/tree rel name
	verbose "building the initramfs for $KVER"
	mkdir -p "$tmp"/{bin,dev,proc,sys,newroot,lib/modules}
	cp "$BUSYBOX" "$tmp/bin/busybox"
	for name in $("$BUSYBOX" --list); do
		[[ $name == busybox ]] || ln -s busybox "$tmp/bin/$name"
	done
	install -m 755 "$GUEST_DIR/init" "$tmp/init"
	: >"$tmp/modules.load"
	while IFS= read -r rel; do
		[[ -n $rel ]] || continue
		name=$(modname "$rel")
		case $rel in
		*.ko.xz) xz -dc "$MODDIR/$rel" >"$tmp/lib/modules/$name.ko" ;;
		*.ko.zst) zstd -qdc "$MODDIR/$rel" >"$tmp/lib/modules/$name.ko" ;;
		*.ko.gz) gzip -dc "$MODDIR/$rel" >"$tmp/lib/modules/$name.ko" ;;
		*.ko) cp "$MODDIR/$rel" "$tmp/lib/modules/$name.ko" ;;
		*) die "unexpected module file $rel in $MODDIR/modules.dep" ;;
		esac
		echo "$name" >>"$tmp/modules.load"
	done <<<"$mods"
	if [[ $EUID == 0 ]]; then
		mknod -m 600 "$tmp/dev/console" c 5 1
	fi
	(cd "$tmp" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$dir/initramfs.cpio" ||
		die "cpio failed building the initramfs for $KVER"
	rm -rf "$tmp"
}

# The per-kernel part of the initramfs, in the cache under the hash of what
# it is made of; prints its path.
base_initramfs() {
	local mods key dir
	mods=$(resolve_modules)
	key=$( {
		sha256sum "$GUEST_DIR/init" "$BUSYBOX" | cut -d' ' -f1
		printf '%s\n' "$KVER" "$MODDIR" "$mods"
	} | sha256sum | cut -c1-16)
	dir=$(cache_dir initramfs "$key")
	cache_build "$dir" make_initramfs "$mods"
	printf '%s\n' "$dir/initramfs.cpio"
}

# OUTDIR: absolute, existing, no characters that the kernel command line
# or the guest's shell would trip over.
mkdir -p "$OUT" || die "cannot create $OUT"
OUT=$(realpath "$OUT")
[[ $OUT =~ ^/[A-Za-z0-9._/+-]+$ ]] || die "OUTDIR '$OUT' has characters other than [A-Za-z0-9._/+-]"
case $OUT/ in
/ | /proc/* | /sys/* | /dev/*)
	die "OUTDIR must not be /, nor under /proc, /sys or /dev; e.g. use $BUILD/vm/..." ;;
esac

# The guest mounts a fresh tmpfs on these; the paths in KEEP that lie below
# one of them are bind-mounted back on top (outermost first, nested ones
# come along).
TMPFS_DIRS="/tmp /var/tmp /run /root /var/log"
keep_paths() {
	local p q kept=()
	while IFS= read -r p; do
		[[ $p =~ ^/[A-Za-z0-9._/+-]*$ ]] || { note "warning: '$p' has odd characters; the guest may not see it"; continue; }
		for q in "${kept[@]}"; do
			[[ $p/ == "$q"/* ]] && continue 2
		done
		kept+=("$p")
	done < <(printf '%s\n' "$@" | awk '{ print length($0), $0 }' | sort -n | cut -d' ' -f2-)
	printf '%s\n' "${kept[*]}"
}
KEEP=$(keep_paths "$CGSHARE_ROOT" "$BUILD" "$CGSHARE_CACHE" "$PWD")
rm -rf "$OUT/.vm"
rm -f "$OUT"/{console.log,stdout,stderr,dmesg,rc,tasks-at-timeout,log-problems}
mkdir -p "$OUT/.vm"

BASE=$(base_initramfs)

# The guest gives up on the command this long after starting it, first
# saving the kernel log and a dump of the blocked and all tasks, so that a
# hang is diagnosed rather than just killed; boot time is left over.
[[ $VM_TIMEOUT =~ ^[0-9]+$ ]] || die "VM_TIMEOUT must be a number of seconds"
GUEST_DEADLINE=$((VM_TIMEOUT > 90 ? VM_TIMEOUT - 60 : VM_TIMEOUT * 2 / 3))

# The per-run part: the command and its environment.
RUNDIR=$OUT/.vm/initramfs
mkdir -p "$RUNDIR"
{
	printf 'OUT=%q\nKVER=%q\nMODDIR=%q\n' "$OUT" "$KVER" "$MODDIR"
	printf 'DEADLINE=%d\n' "$GUEST_DEADLINE"
	printf 'TMPFS_DIRS="%s"\nKEEP="%s"\n' "$TMPFS_DIRS" "$KEEP"
} >"$RUNDIR/run.env"
{
	echo '#!/bin/bash'
	echo 'export PATH=/run/cgshare/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
	echo 'export HOME=/root LANG=C.UTF-8 TERM=dumb'
	while IFS='=' read -r name _; do
		[[ $name =~ ^CGSHARE_[A-Za-z0-9_]*$ ]] || continue
		printf 'export %s=%q\n' "$name" "${!name}"
	done < <(env)
	printf 'export CGSHARE_TAG=%q CGSHARE_KVER=%q CGSHARE_KO=%q CGSHARE_MODDIR=%q\n' \
		"$TAG" "$KVER" "$BUILD/mod/$TAG/cgshare.ko" "$MODDIR"
	printf 'export CGSHARE_OUT=%q BUILD=%q V=%q\n' "$OUT" "$BUILD" "$V"
	[[ -n ${VERSION:-} ]] && printf 'export VERSION=%q\n' "$VERSION"
	printf 'cd %q 2>/dev/null || cd /\n' "$PWD"
	printf 'exec'
	printf ' %q' "$@"
	printf '\n'
} >"$RUNDIR/cmd.sh"
(cd "$RUNDIR" && printf '%s\n' run.env cmd.sh | cpio -o -H newc -R 0:0 --quiet) >"$OUT/.vm/run.cpio"
cat "$BASE" "$OUT/.vm/run.cpio" >"$OUT/.vm/initrd"

# The ELF vmlinux boots through PVH, seconds faster under TCG than the bzImage.
KERNEL=${VM_KERNEL:-${VMLINUX:-$VMLINUZ}}
[[ -f $KERNEL ]] || KERNEL=$VMLINUZ
APPEND="console=ttyS0 loglevel=5 panic=-1 mitigations=off rdinit=/init $VM_APPEND"
# The debug kernel's ACPI interpreter, under KASAN and lockdep in TCG, ran
# into ACPICA's 30 s loop limit in the While loop of the PC machine's
# \_SB.PCI0._PRT, once per virtio-pci device (boot: 114 s). q35's _PRT is
# a plain table. (pci=noacpi avoids it too, but also the MADT's I/O APIC:
# the guest then had 1 CPU.) The debug kernel has no ACPI now; it kept q35,
# the machine its runs were measured on.
MACHINE=${VM_MACHINE:-$([[ $TAG == debug ]] && echo q35 || echo pc)}
# A kernel without ACPI finds its CPUs in the firmware's MP table, which
# lists one processor entry per package (SeaBIOS's does): with
# QEMU's default of one package of VM_SMP cores it booted with 1 CPU. One
# package per CPU there.
SMP=$VM_SMP
if [[ -f ${KCONFIG:-} ]] && ! grep -q '^CONFIG_ACPI=y' "$KCONFIG"; then
	SMP="$VM_SMP,sockets=$VM_SMP,cores=1,threads=1"
fi
# shellcheck disable=SC2054 # commas belong to QEMU options
QEMU=(
	qemu-system-x86_64 -machine "$MACHINE" -accel "$VM_ACCEL" -cpu "$VM_CPU"
	-smp "$SMP" -m "$VM_MEM"
	-nodefaults -nographic -no-reboot -monitor none
	-kernel "$KERNEL" -initrd "$OUT/.vm/initrd" -append "$APPEND"
	-serial "file:$OUT/console.log"
	-chardev stdio,id=cmdout,signal=off -serial chardev:cmdout
	-fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap
	-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot
	-fsdev "local,id=out,path=$OUT,security_model=none,multidevs=remap"
	-device virtio-9p-pci,fsdev=out,mount_tag=cgshare_out
	"${NET[@]}"
)
verbose "${QEMU[*]}"

guest_qemu - "${QEMU[@]}"
guest_verdict "$TAG" "$KVER"
