#!/bin/sh
# SPDX-License-Identifier: MIT
# Install libifdvscard.so and its reader.conf.d entry under $DESTDIR.
#   install.sh LIBRARY [CONF]
set -e
lib=${1:?usage: install.sh LIBRARY [CONF]}
conf=${2:-$(dirname "$0")/conf/vscard}
drivers=${PCSC_DRIVERS_DIR:-/usr/lib/pcsc/drivers}
confdir=${PCSC_CONF_DIR:-/etc/reader.conf.d}
install -D -m 0644 "$lib" "$DESTDIR$drivers/serial/libifdvscard.so"
install -D -m 0644 "$conf" "$DESTDIR$confdir/vscard"
