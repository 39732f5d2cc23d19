# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2154
#
# Sourced by the VM suites (tests/suites/NN-*.sh) on the host side: the two
# steps every one of them takes around tests/vm/run.sh.  Expects $tag.

# private_module KERNEL DIR: builds vscard.ko for KERNEL (three tries: the
# module build dir is shared with other suites) and copies it to
# DIR/vscard.ko, so that a rebuild during the run cannot change the module
# under test.  Prints a FAIL line and fails if it does not build.
private_module() {
	local kernel=$1 dir=$2 kdir _
	mkdir -p "$dir"
	rm -f "$dir/vscard.ko"
	for _ in 1 2 3; do
		kdir=$(scripts/build-module.sh "$kernel" 2>"$dir/build.err") &&
			cp "$kdir/module/vscard.ko" "$dir/vscard.ko" && return 0
		sleep 5
	done
	echo "FAIL: $tag: vscard.ko does not build for $kernel ($dir/build.err)"
	return 1
}

# vm_verdict RC: a FAIL line for tests/vm/run.sh's exit status RC (a splat,
# a timeout, the guest's failure); returns RC.
vm_verdict() {
	case $1 in
	0) ;;
	125) echo "FAIL: $tag: kernel splat (see build/vm/$tag/console.log)" ;;
	124) echo "FAIL: $tag: VM timed out" ;;
	*) echo "FAIL: $tag: exit status $1 (logs: build/vm/$tag/out)" ;;
	esac
	return "$1"
}
