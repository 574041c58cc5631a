# SPDX-License-Identifier: GPL-2.0
#
#   make                 module for $(KDIR) and cgsharectl
#   make check           host unit tests, then the guest suite on Debian's
#                        6.1, 6.12 and 7.3 kernels under QEMU
#   make check-debug     the whole guest suite on the debug kernel (KASAN,
#                        lockdep, kmemleak, ...: tools/debug-kernel.sh)
#   make check-debug-ci  DEBUG_CI_TESTS only on the debug kernel (CI's part)
#   make check-guest KERNELS=6.1 TESTS=counters
#                        the guest suite only: some kernels, some tests
#                        (names from selftests/tests.list); JOBS=2 runs
#                        two guests at once
#   make demo            boot a guest, run known work, show stats and watch
#   make example         the controller's worked example of the README
#   make bench           benchmarks in the guest, printed as ratios
#   make install         module, cgsharectl, man page (DESTDIR, PREFIX)
#   make dkms-install    register the source with DKMS

VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1)
KDIR ?= /lib/modules/$(shell uname -r)/build
PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= $(CURDIR)/build
# Debian's kernels the guest suite runs on: bookworm's 6.1, bookworm-
# backports' 6.12 and trixie-backports' newest series, NEWEST_KERNEL (each
# tag's suites are in tools/fetch-kernels.sh).
NEWEST_KERNEL ?= 7.3
KERNELS ?= 6.1 6.12 $(NEWEST_KERNEL)
# The guest tests to run (default: all of selftests/tests.list) and how
# many guests at once.
TESTS ?=
JOBS ?= 1
# The debug kernel is built from NEWEST_KERNEL's source
# (tools/debug-kernel.sh); `make check-debug` runs every guest test there,
# `make check-debug-ci` DEBUG_CI_TESTS, in a VM allowed DEBUG_VM_TIMEOUT
# seconds.
DEBUG_CI_TESTS ?= fuzz faults rmmod_load dump
DEBUG_VM_TIMEOUT ?= 7200
V ?= 0

export VERSION BUILD KERNELS NEWEST_KERNEL JOBS V
# TESTS is ours, not the sub-makes' (ctl's unit tests use the name).
MAKEOVERRIDES := $(filter-out TESTS=%,$(MAKEOVERRIDES))

.DELETE_ON_ERROR:
.PHONY: all module ctl check check-host check-guest uapi demo bench \
	kernels install dkms-install clean example debug-kernel check-debug \
	check-debug-ci

all: module ctl

module:
	@test -d "$(KDIR)" || { echo "cgshare: no kernel build tree at $(KDIR);" \
		"install the headers for this kernel or set KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) CGSHARE_VERSION=$(VERSION) modules

# vmlinux.h for the BPF collectors is made from the target kernel's BTF:
# the running kernel's, or for the guest targets (check, demo, bench,
# example) the BTF of 6.12 when it is in KERNELS, else of the last kernel
# in KERNELS. One CO-RE object serves every kernel. (7.x's BTF declares
# anonymous struct members by tag, which clang takes only with
# -fms-extensions.)
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
BTF_KERNEL = $(if $(filter 6.12,$(KERNELS)),6.12,$(lastword $(KERNELS)))
guest_btf = $(shell sed -n 's/^VMLINUX=//p' $$(tools/fetch-kernels.sh --env $(BTF_KERNEL)))
check check-host check-guest check-debug check-debug-ci demo example bench: \
	VMLINUX_BTF = $(guest_btf)
# Warnings are errors in the project's own checks only.
check check-host check-guest check-debug check-debug-ci: export WERROR = 1

ctl:
	$(MAKE) -C ctl VMLINUX_BTF=$(VMLINUX_BTF)

kernels:
	tools/fetch-kernels.sh $(KERNELS)

check: check-host check-guest

check-host: kernels ctl
	$(MAKE) -C ctl check VMLINUX_BTF=$(VMLINUX_BTF)
	tools/check-uapi.sh

uapi: kernels
	tools/check-uapi.sh --write

check-guest: kernels ctl
	TESTS="$(TESTS)" tools/vm-suite.sh $(KERNELS)

debug-kernel:
	tools/debug-kernel.sh $(NEWEST_KERNEL)

check-debug: kernels ctl
	VM_TIMEOUT=$(DEBUG_VM_TIMEOUT) TESTS="$(TESTS)" tools/vm-suite.sh debug

check-debug-ci: kernels ctl
	VM_TIMEOUT=$(DEBUG_VM_TIMEOUT) TESTS="$(DEBUG_CI_TESTS)" tools/vm-suite.sh debug

demo: kernels ctl
	tools/demo.sh $(firstword $(KERNELS))

example: kernels ctl
	tools/example.sh $(firstword $(KERNELS))

bench: kernels ctl
	tools/bench.sh $(KERNELS)

install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) CGSHARE_VERSION=$(VERSION) \
		INSTALL_MOD_DIR=extra modules_install
	$(MAKE) -C ctl install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX) VMLINUX_BTF=$(VMLINUX_BTF)

dkms-install:
	tools/dkms-install.sh $(VERSION)

clean:
	-test -d "$(KDIR)" && $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C ctl clean
	rm -rf $(BUILD)
