# SPDX-License-Identifier: MIT
#
# End-to-end scene (tests/e2e): suites 70-adapter and 75-e2e, `make demo`
# (tests/e2e/demo.sh) and bench-e2e (APDU round trip through vscard and
# RDP versus straight to the client's card, in QEMU) and bench-opensc
# (OpenSC's pkcs11-tool -L / --list-objects through vscard versus on the
# client side, against the PIV card tests/e2e/pivcc.py; OPENSC_BENCH_N).

.PHONY: bench-e2e bench-opensc
bench-e2e:
	@tests/e2e/vm.sh bench

bench-opensc:
	@tests/e2e/vm.sh bench-opensc
