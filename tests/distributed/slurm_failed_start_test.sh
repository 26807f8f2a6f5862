#!/bin/bash
# A Slurm test whose daemons fail to start (CT_SLURM_TEST_BREAK=slurmd: the
# node daemons get a node name the configuration lacks) must fail, say what
# the failing daemon logged, and leave no daemon running.
# usage: slurm_failed_start_test.sh SLURM_TEST_PY WORKDIR
set -u
test_py=$1 work=$2
rm -rf "$work"
out=$(CT_SLURM_TEST_BREAK=slurmd /usr/bin/python3 "$test_py" /none /none /none "$work" 2>&1)
rc=$?
echo "$out" | tail -n 30
fail=0
if [ "$rc" -eq 0 ]; then echo "FAIL: the broken start passed"; fail=1; fi
if ! grep -q 'slurmd.n0 exited with status' <<<"$out"; then
  echo "FAIL: the failed start does not name the daemon that exited"; fail=1
fi
if ! grep -q 'lookup failure for node "no-such-node"' <<<"$out"; then
  echo "FAIL: what slurmd logged is not shown"; fail=1
fi
# Every daemon of the test has the work directory on its command line.
left=$(pgrep -af -- "$work" | grep -E '^[0-9]+ [^ ]*(munged|slurmctld|slurmd) ')
if [ -n "$left" ]; then
  echo "FAIL: daemons still running after the test:"; echo "$left"
  for pid in $(awk '{print $1}' <<<"$left"); do kill "$pid"; done
  fail=1
fi
[ "$fail" -eq 0 ] && echo "OK: the failed start stopped every daemon and showed slurmd's log"
exit "$fail"
