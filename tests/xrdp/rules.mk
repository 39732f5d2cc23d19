# SPDX-License-Identifier: MIT
#
# xrdp with vscard's patch series (integrations/xrdp): `make xrdp` builds
# Debian 12's xrdp with it (cached under /var/cache/vscard/xrdp/<key>, see
# scripts/build-xrdp.sh) and installs the .debs on this machine.  Suite 85
# (tests/suites/85-xrdp.sh) does the same before its VM run.

.PHONY: xrdp xrdp-build
xrdp:
	@scripts/build-xrdp.sh --install

xrdp-build:
	@scripts/build-xrdp.sh
