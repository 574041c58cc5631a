# SPDX-License-Identifier: GPL-2.0
#
#   make                 module for $(KDIR) and cgsharectl
#   make check           host unit tests, then the guest suite on Debian's
#                        6.1 and 6.12 kernels under QEMU
#   make demo            boot a guest, run known work, show stats and watch
#   make example         the controller's worked example of the README
#   make bench           benchmarks in the guest, printed as ratios
#   make install         module, cgsharectl, man page (DESTDIR, PREFIX)
#   make dkms-install    register the source with DKMS

# The one version of the module, cgsharectl and the packages.
VERSION := $(shell cat $(CURDIR)/VERSION)
KDIR ?= /lib/modules/$(shell uname -r)/build
PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= $(CURDIR)/build
KERNELS ?= 6.1 6.12
V ?= 0

export VERSION BUILD KERNELS V

.DELETE_ON_ERROR:
.PHONY: all module ctl check check-host check-guest uapi demo bench \
	kernels install dkms-install clean example

all: module ctl

module:
	@test -d "$(KDIR)" || { echo "cgshare: no kernel build tree at $(KDIR);" \
		"install the headers for this kernel or set KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) CGSHARE_VERSION=$(VERSION) modules

# Warnings are errors in the project's own checks only.
check check-host check-guest: export WERROR = 1

ctl:
	$(MAKE) -C ctl

kernels:
	tools/fetch-kernels.sh $(KERNELS)

check: check-host check-guest

check-host: kernels ctl
	$(MAKE) -C ctl check
	tools/check-uapi.sh

uapi: kernels
	tools/check-uapi.sh --write

check-guest: kernels ctl
	tools/vm-suite.sh $(KERNELS)

demo: kernels ctl
	tools/demo.sh $(firstword $(KERNELS))

example: kernels ctl
	tools/example.sh $(firstword $(KERNELS))

bench: kernels ctl
	tools/bench.sh $(KERNELS)

install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) CGSHARE_VERSION=$(VERSION) \
		INSTALL_MOD_DIR=extra modules_install
	$(MAKE) -C ctl install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)

dkms-install:
	tools/dkms-install.sh $(VERSION)

clean:
	-test -d "$(KDIR)" && $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C ctl clean
	rm -rf $(BUILD)
