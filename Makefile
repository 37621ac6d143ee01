# SPDX-License-Identifier: GPL-2.0
#
# vp_svq: top-level entry points. See README.md.
#
#   make            build vp_svq.ko against KDIR and the samples/ client
#   make check      every test harness; ends with "N passed, M failed"
#   make demo       QEMU guest, narrated: device created, config shown, traffic
#   make e2e        the QEMU end-to-end harness alone
#   make e2e-qemu   QEMU 7.2 and 10.0 in the test guest as vhost-vdpa client of a nested guest
#   make kunit      KUnit suites in UML against the device model
#   make kbuild     vp_svq.ko with W=1 C=1 against Debian's 6.12 and 7.3 headers
#   make fuzz       the KUnit fuzz suites alone: FUZZ_CASES=N FUZZ_SEED=S
#   make coverage   line coverage of drivers/vdpa/vp_svq from a KUnit run
#   make bench      figures: UML device model, iperf3 in a guest (not part of make check)
#
# KDIR defaults to the running kernel's build directory; the harnesses pass
# Debian's 6.12 headers themselves.

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
DRV_DIR := $(CURDIR)/drivers/vdpa/vp_svq

.PHONY: all module client clean deps e2e e2e-qemu demo check kunit kbuild fuzz coverage bench

all: module client

module:
	$(MAKE) -C $(KDIR) M=$(DRV_DIR) CONFIG_VP_SVQ=m modules

client:
	$(MAKE) -C samples/vhost_vdpa_client

clean:
	-$(MAKE) -C $(KDIR) M=$(DRV_DIR) clean
	-$(MAKE) -C samples/vhost_vdpa_client clean

deps:
	scripts/install-deps.sh

e2e:
	scripts/e2e.sh

e2e-qemu:
	scripts/e2e-qemu.sh

demo:
	scripts/demo.sh

check:
	scripts/check.sh

kunit:
	scripts/kunit.sh

kbuild:
	scripts/kbuild.sh

fuzz:
	scripts/fuzz.sh

coverage:
	scripts/coverage.sh

bench:
	scripts/bench.sh
