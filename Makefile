# SPDX-License-Identifier: GPL-2.0
#
#   make                 module for $(KDIR) and cgsharectl
#   make check           host unit tests, then the guest suite on Debian's
#                        6.1 and 6.12 kernels under QEMU, the deploy/
#                        checks and the three-guest Prometheus scenario
#   make demo            boot a guest, run known work, show stats and watch
#   make example         the controller's worked example of the README
#   make bench           benchmarks in the guest, printed as ratios
#   make soak            30 minutes of everything at once in a guest
#   make install         module, cgsharectl, man page (DESTDIR, PREFIX)
#   make dkms-install    register the source with DKMS

VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1)
KDIR ?= /lib/modules/$(shell uname -r)/build
PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= $(CURDIR)/build
KERNELS ?= 6.1 6.12
V ?= 0

export VERSION BUILD KERNELS V

.DELETE_ON_ERROR:
.PHONY: all module ctl check check-host check-guest uapi demo bench \
	kernels install dkms-install clean example check-deploy check-fleet soak

all: module ctl

module:
	@test -d "$(KDIR)" || { echo "cgshare: no kernel build tree at $(KDIR);" \
		"install the headers for this kernel or set KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) CGSHARE_VERSION=$(VERSION) modules

# vmlinux.h for the BPF collectors is made from the target kernel's BTF:
# the running kernel's, or for the guest targets (check, demo, bench,
# example) the BTF of the last kernel in KERNELS. One CO-RE object serves
# every kernel.
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
guest_btf = $(shell sed -n 's/^VMLINUX=//p' $(BUILD)/kernels/$(lastword $(KERNELS))/env)
check check-host check-guest check-fleet demo example bench soak: VMLINUX_BTF = $(guest_btf)
# Warnings are errors in the project's own checks only.
check check-host check-guest check-fleet: export WERROR = 1

ctl:
	$(MAKE) -C ctl VMLINUX_BTF=$(VMLINUX_BTF)

kernels:
	tools/fetch-kernels.sh $(KERNELS)

check: check-host check-deploy check-guest check-fleet

check-host: kernels ctl
	$(MAKE) -C ctl check VMLINUX_BTF=$(VMLINUX_BTF)
	tools/check-uapi.sh

uapi: kernels
	tools/check-uapi.sh --write

check-guest: kernels ctl
	tools/vm-suite.sh $(KERNELS)

# deploy/: rules (promtool), Kubernetes manifests, dashboard; offline
check-deploy:
	tools/check-deploy.sh

# three guests at once scraped by one Prometheus (tools/fleet.sh)
check-fleet: kernels ctl
	tools/fleet.sh

demo: kernels ctl
	tools/demo.sh $(firstword $(KERNELS))

example: kernels ctl
	tools/example.sh $(firstword $(KERNELS))

bench: kernels ctl
	tools/bench.sh $(KERNELS)

# half an hour of churn, dumps, scrapes, charges and fences; not in check
soak: kernels ctl
	tools/soak.sh

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
