# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Sourced by the session suites' guest scripts: the test users alice (2001)
# and bob (2002), made in the VM's overlay root if missing.
make_test_users() {
	local u name uid
	for u in alice:2001 bob:2002; do
		name=${u%:*} uid=${u#*:}
		id -u "$name" >/dev/null 2>&1 ||
			useradd --no-create-home --home-dir /nonexistent --shell /bin/sh \
				--uid "$uid" --user-group "$name" 2>/dev/null ||
			{ echo "$name:x:$uid:$uid::/nonexistent:/bin/sh" >> /etc/passwd &&
			  echo "$name:x:$uid:" >> /etc/group; }
	done
	[ "$(id -u alice 2>/dev/null)/$(id -u bob 2>/dev/null)" = 2001/2002 ]
}
