#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/check-install.sh TAG...   (make check-install)
#
# The install paths, tested on this host against each fetched kernel's
# Debian headers, as TAP (the last line `N passed, N failed, N skipped`):
#
#   make install / uninstall  DESTDIR stays inside DESTDIR; without it the
#                             module lands in /lib/modules/KVER/extra and
#                             depmod makes modprobe find it; uninstall
#                             removes it all
#   DKMS                      make dkms-install builds and installs for the
#                             kernel; an upgrade to a newer version replaces
#                             it (one registration left); removal
#   the dkms 3.0.10 bug       /etc/kernel/postinst.d/dkms for a kernel that
#                             BUILD_EXCLUSIVE refuses: exit 11 with a plain
#                             AUTOINSTALL, exit 0 with our dkms.conf; and the
#                             hook still builds for a kernel it admits
#   the units                 systemd-analyze verify, and security scores
#
# Each kernel's checks run in a private mount namespace: tmpfs on
# /lib/modules, /var/lib/dkms, /usr/src and /usr/local, with
# /lib/modules/KVER/build pointing at the fetched headers, so dkms and
# make install run exactly as on a host and leave this one untouched. A
# vmlinux that tools/build-module.sh linked into 6.1's headers (Debian's
# have none) is hidden, so that the module builds as on a stock host.
# Needs root. Output in $BUILD/install/.

# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

(($# > 0)) || { echo "usage: $PROG TAG..." >&2; exit 2; }
[[ $1 == --inside ]] || for tag in "$@"; do valid_tag "$tag"; done
((EUID == 0)) || die "the install tests need root (mount namespaces, dkms); run: sudo make check-install"
need_cmd dkms dkms
need_cmd unshare util-linux
need_cmd systemd-analyze systemd

OUT=$BUILD/install
mkdir -p "$OUT"
VERSION=$(<"$CGSHARE_ROOT/VERSION")
NEWER=$VERSION.1
EXCLUDED=5.10.0-0-cgshare-excluded

n=0 pass=0 fail=0 skip=0
ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $*"; }
skipped() { n=$((n + 1)); skip=$((skip + 1)); echo "ok $n - $1 # SKIP $2"; }
# check NAME CMD...: ok when CMD succeeds; its output goes to the log
check() {
	local name=$1
	shift
	if "$@" >>"$LOG" 2>&1; then ok "$name"; else notok "$name (see $LOG)"; fi
}

# The namespace: everything dkms and make install write is a tmpfs.
sandbox() {
	# (a machine whose kernel has no modules may lack /lib/modules itself)
	mkdir -p /lib/modules /var/lib/dkms /usr/src /usr/local
	mount -t tmpfs cgshare-mods /lib/modules
	mount -t tmpfs cgshare-dkms /var/lib/dkms
	mount -t tmpfs cgshare-src /usr/src
	mount -t tmpfs cgshare-local /usr/local
	mkdir -p "/lib/modules/$KVER"
	ln -s "$KDIR" "/lib/modules/$KVER/build"
	cp "$MODDIR"/modules.builtin* "$MODDIR/modules.order" "/lib/modules/$KVER/" 2>/dev/null || true
	if [[ -L $KDIR/vmlinux ]]; then
		mount --bind /dev/null "$KDIR/vmlinux"
	fi
}

modfile() { find "/lib/modules/$1" -name 'cgshare.ko*' 2>/dev/null; }

t_make_install() {
	local dest=$OUT/$TAG/destdir before
	rm -rf "$dest"
	before=$(find /lib/modules | sort)
	check "$TAG: make install DESTDIR=... PREFIX=/usr" \
		make -C "$CGSHARE_ROOT" install KDIR="$KDIR" DESTDIR="$dest" PREFIX=/usr \
		UNITDIR=/lib/systemd/system
	if [[ -n $(find "$dest/lib/modules/$KVER/extra" -name 'cgshare.ko*' 2>/dev/null) &&
		-x $dest/usr/sbin/cgsharectl && -f $dest/lib/systemd/system/cgshare.service ]] &&
		[[ $(find /lib/modules | sort) == "$before" ]]; then
		ok "$TAG: DESTDIR install wrote the module and cgsharectl under DESTDIR, nothing in /lib/modules"
	else
		notok "$TAG: DESTDIR install left files outside DESTDIR or missed some"
	fi
	check "$TAG: make install (PREFIX=/usr/local, SYSCONFDIR=/usr/local/etc)" \
		make -C "$CGSHARE_ROOT" install KDIR="$KDIR" SYSCONFDIR=/usr/local/etc
	if modprobe -S "$KVER" --show-depends cgshare 2>>"$LOG" | grep -q "/extra/cgshare.ko"; then
		ok "$TAG: modprobe finds cgshare after make install (depmod ran)"
	else
		notok "$TAG: modprobe -S $KVER cannot find cgshare after make install"
	fi
	if grep -q "^ExecStart=/usr/local/sbin/cgsharectl run" /usr/local/lib/systemd/system/cgshare.service; then
		ok "$TAG: the installed units start /usr/local/sbin/cgsharectl"
	else
		notok "$TAG: the installed cgshare.service does not name /usr/local/sbin/cgsharectl"
	fi
	check "$TAG: make uninstall" \
		make -C "$CGSHARE_ROOT" uninstall KDIR="$KDIR" SYSCONFDIR=/usr/local/etc
	if [[ -z $(modfile "$KVER") && -z $(find /usr/local -type f) ]] &&
		! modprobe -S "$KVER" --show-depends cgshare >/dev/null 2>&1; then
		ok "$TAG: make uninstall removed every file and the module from modules.dep"
	else
		notok "$TAG: make uninstall left: $(modfile "$KVER") $(find /usr/local -type f | tr '\n' ' ')"
	fi
}

t_dkms() {
	local f
	check "$TAG: make dkms-install: dkms add, build, install $VERSION for $KVER" \
		"$CGSHARE_ROOT/tools/dkms-install.sh" "$VERSION" "$KVER"
	f=$(modfile "$KVER")
	if [[ $f == */updates/dkms/* ]] && [[ $(modinfo -F version "$f") == "$VERSION" ]] &&
		modprobe -S "$KVER" --show-depends cgshare 2>/dev/null | grep -q updates/dkms; then
		ok "$TAG: DKMS installed cgshare $VERSION and modprobe finds it"
	else
		notok "$TAG: no cgshare $VERSION from DKMS for $KVER (found '$f')"
	fi
	# An upgrade: the source of a newer version, registered over the old.
	check "$TAG: upgrade to $NEWER through make dkms-install" \
		"$CGSHARE_ROOT/tools/dkms-install.sh" "$NEWER" "$KVER"
	f=$(modfile "$KVER")
	if [[ $(dkms status -m cgshare | grep -c .) == 1 ]] &&
		dkms status -m cgshare | grep -q "^cgshare/$NEWER, $KVER, .*installed" &&
		[[ $(modinfo -F version "$f") == "$NEWER" && ! -d /usr/src/cgshare-$VERSION ]]; then
		ok "$TAG: after the upgrade only cgshare/$NEWER is registered and installed"
	else
		notok "$TAG: after the upgrade: $(dkms status -m cgshare | tr '\n' ';') module $(modinfo -F version "$f" 2>&1)"
	fi
	check "$TAG: make dkms-remove" "$CGSHARE_ROOT/tools/dkms-install.sh" --remove
	if [[ -z $(dkms status -m cgshare) && -z $(modfile "$KVER") ]] &&
		! compgen -G '/usr/src/cgshare-*' >/dev/null; then
		ok "$TAG: after removal no registration, module or source is left"
	else
		notok "$TAG: after removal: $(dkms status -m cgshare) $(modfile "$KVER")"
	fi
}

# /etc/kernel/postinst.d/dkms, as a kernel package's postinst runs it.
t_postinst() {
	local rc conf=/usr/src/cgshare-$VERSION/dkms.conf
	mkdir -p "/lib/modules/$EXCLUDED"
	ln -s "$KDIR" "/lib/modules/$EXCLUDED/build"
	make -C "$CGSHARE_ROOT" -s dkms-source DKMS_SRC="/usr/src/cgshare-$VERSION" >>"$LOG" 2>&1
	# dkms.conf without the workaround: is the reported bug real here?
	sed -i '/^AUTOINSTALL=""$/,$d' "$conf"
	echo 'AUTOINSTALL="yes"' >>"$conf"
	dkms add -m cgshare -v "$VERSION" >>"$LOG" 2>&1
	rc=0
	/etc/kernel/postinst.d/dkms "$EXCLUDED" >>"$LOG" 2>&1 || rc=$?
	if ((rc == 11)); then
		echo "# dkms $(dkms --version | sed 's/.* //'): with a plain AUTOINSTALL, postinst.d/dkms for a refused kernel exits 11 (the bug is real)"
		ok "$TAG: the dkms autoinstall bug reproduced without the workaround (exit 11)"
	elif ((rc == 0)); then
		skipped "$TAG: the dkms autoinstall bug" "this dkms ($(dkms --version)) exits 0 for a refused kernel: fixed upstream"
	else
		notok "$TAG: postinst.d/dkms for a refused kernel exited $rc without the workaround (expected 11)"
	fi
	dkms remove -m cgshare -v "$VERSION" --all >>"$LOG" 2>&1
	rm -rf "/usr/src/cgshare-$VERSION"
	# Our dkms.conf: the refused kernel is skipped, the admitted one built.
	"$CGSHARE_ROOT/tools/dkms-install.sh" "$VERSION" "$KVER" >>"$LOG" 2>&1
	dkms uninstall -m cgshare -v "$VERSION" -k "$KVER" >>"$LOG" 2>&1
	rc=0
	/etc/kernel/postinst.d/dkms "$EXCLUDED" >>"$LOG" 2>&1 || rc=$?
	if ((rc == 0)) && [[ -z $(modfile "$EXCLUDED") ]]; then
		ok "$TAG: with our dkms.conf postinst.d/dkms for a refused kernel exits 0 and builds nothing"
	else
		notok "$TAG: with our dkms.conf postinst.d/dkms $EXCLUDED exited $rc"
	fi
	rc=0
	/etc/kernel/postinst.d/dkms "$KVER" >>"$LOG" 2>&1 || rc=$?
	if ((rc == 0)) && [[ -n $(modfile "$KVER") ]]; then
		ok "$TAG: postinst.d/dkms for $KVER (admitted) autoinstalls the module"
	else
		notok "$TAG: postinst.d/dkms $KVER exited $rc, module '$(modfile "$KVER")'"
	fi
	"$CGSHARE_ROOT/tools/dkms-install.sh" --remove >>"$LOG" 2>&1
}

if [[ ${1:-} == --inside ]]; then
	# the per-kernel part, in the namespace
	TAG=$2
	LOG=$3
	n=$4
	kernel_env "$TAG"
	sandbox
	t_make_install
	t_dkms
	[[ $TAG == "${5:-}" ]] && t_postinst
	echo "$n $pass $fail $skip" >"$OUT/$TAG/counts"
	exit 0
fi

echo "TAP version 13"
first=$1
for TAG in "$@"; do
	mkdir -p "$OUT/$TAG"
	LOG=$OUT/$TAG/log
	: >"$LOG"
	"$CGSHARE_ROOT/tools/fetch-kernels.sh" "$TAG" || { notok "$TAG: fetching the kernel failed"; continue; }
	rm -f "$OUT/$TAG/counts"
	unshare -m --propagation private "$0" --inside "$TAG" "$LOG" "$n" "$first" ||
		notok "$TAG: the install checks stopped early (see $LOG)"
	if [[ -f $OUT/$TAG/counts ]]; then
		read -r n p f s <"$OUT/$TAG/counts"
		pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	fi
done

# README's host package list is tools/deps.sh's "host" group.
readme=$(awk '/^### On a host, from source/ { on = 1 } on && /apt-get install/ { grab = 1 }
	grab { line = $0; sub(/\\$/, "", line); sub(/linux-headers-[$][(]uname -r[)]/, "", line); printf "%s ", line; if ($0 !~ /\\$/) exit }' \
	"$CGSHARE_ROOT/README.md" | tr ' ' '\n' | grep -v -e '^$' -e '^apt-get$' -e '^install$' \
	| sort | tr '\n' ' ')
deps=$("$CGSHARE_ROOT/tools/deps.sh" list host | sort | tr '\n' ' ')
if [[ -n $readme && $readme == "$deps" ]]; then
	ok "README's host package list is tools/deps.sh's host group"
else
	notok "README lists '$readme', tools/deps.sh host has '$deps'"
fi

# The units: verified as installed, and their exposure scores.
LOG=$OUT/units.log
: >"$LOG"
dest=$OUT/units
rm -rf "$dest"
if make -C "$CGSHARE_ROOT" -s install-ctl DESTDIR="$dest" PREFIX=/usr >>"$LOG" 2>&1; then
	for u in cgshare.service cgshare-export.service cgshare-gpu.service; do
		unit=$dest/usr/lib/systemd/system/$u
		sed -i "s|/usr/sbin/cgsharectl|$dest/usr/sbin/cgsharectl|" "$unit"
		check "unit $u: systemd-analyze verify" systemd-analyze verify --man=no "$unit"
		score=$(systemd-analyze security --offline=yes "$unit" 2>>"$LOG" |
			sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) \(.*\)/\1 \2/p')
		echo "# $u: systemd-analyze security: ${score:-none}"
		if [[ -n $score ]] && awk -v s="${score%% *}" 'BEGIN { exit !(s <= 5.0) }'; then
			ok "unit $u: exposure ${score} (at most 5.0, 'OK' or better)"
		else
			notok "unit $u: exposure '${score}' above 5.0 or not computed (see $LOG)"
		fi
	done
else
	notok "installing the units failed (see $LOG)"
fi

echo "1..$n"
echo "$pass passed, $fail failed, $skip skipped"
((fail == 0))
