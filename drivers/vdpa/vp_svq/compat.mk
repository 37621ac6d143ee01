# SPDX-License-Identifier: GPL-2.0
#
# Feature probes: each finds an interface in the headers of the kernel
# being built against and defines the VP_SVQ_HAVE_* macro compat.h tests.
# A probe reads the headers, not the version number, so a distribution
# kernel that backports an interface gets it. Included by the driver's and
# the KUnit suites' Makefiles.

# $(call vp_svq_probe,header,extended regexp,macro)
vp_svq_probe = $(if $(shell grep -s -l -E '$(2)' $(srctree)/$(1)),-D$(3))

# union virtio_map replaces the vDPA device's DMA device.
VP_SVQ_COMPAT_FLAGS := \
	$(call vp_svq_probe,include/linux/vdpa.h,\*get_vq_map,VP_SVQ_HAVE_VIRTIO_MAP)
# KUnit passes the test to a case's parameter generator (KUnit suites only).
VP_SVQ_COMPAT_FLAGS += \
	$(call vp_svq_probe,include/kunit/test.h,\*generate_params..struct kunit,VP_SVQ_HAVE_KUNIT_GEN_PARAMS_TEST)
