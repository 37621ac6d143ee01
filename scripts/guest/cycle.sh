#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# cycle.sh N BDF: N rounds of `vdpa dev add` + `vdpa dev del` of vdpa0 on
# pci/BDF, stopping at the first failure. A separate script so the caller
# can bound the whole loop with timeout.
i=0
while [ "$i" -lt "$1" ]; do
	vdpa dev add name vdpa0 mgmtdev "pci/$2" || { echo "add failed at cycle $i"; exit 1; }
	vdpa dev del vdpa0 || { echo "del failed at cycle $i"; exit 1; }
	i=$((i + 1))
done
