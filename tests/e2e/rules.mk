# SPDX-License-Identifier: MIT
#
# End-to-end scene (tests/e2e): suites 70-adapter and 75-e2e, `make demo`
# (tests/e2e/demo.sh) and bench-e2e (APDU round trip through vscard and
# RDP versus straight to the client's card, in QEMU).

.PHONY: bench-e2e
bench-e2e:
	@tests/e2e/vm.sh bench
