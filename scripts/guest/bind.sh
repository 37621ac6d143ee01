#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# bind.sh BDF DRIVER: hand PCI function BDF to DRIVER through driver_override
# (unbinding its current driver first). Exits 0 if DRIVER ends up bound.
d="/sys/bus/pci/devices/$1"
echo "$2" >"$d/driver_override" || exit 1
if [ -e "$d/driver" ]; then
	echo "$1" >"$d/driver/unbind" || exit 1
fi
echo "$1" >/sys/bus/pci/drivers_probe
[ "$(basename "$(readlink "$d/driver")")" = "$2" ]
