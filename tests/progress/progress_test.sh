#!/usr/bin/env bash
# The progress line under tmux: it appears on the last row, is redrawn with
# new figures, never overwrites the command's lines, and is gone at the end;
# --no-progress and a piped stderr have none.
# Usage: progress_test.sh CARBONTRACKER_CLI
set -euo pipefail
cli=$(readlink -f "$1")
command -v tmux >/dev/null || { echo "FAIL: tmux is not installed (scripts/install-deps.sh)"; exit 1; }
work=$(mktemp -d /tmp/ct_progress_XXXXXX)
sock=
cleanup() {
  for s in "$work"/*.sock; do tmux -S "$s" kill-server 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
rows=20

cat > "$work/child.sh" <<'CHILD'
for i in 1 2 3; do
  echo epoch_start >&$CARBONTRACKER_EPOCH_FD
  echo "child line $i"
  sleep 1.2
  echo epoch_end >&$CARBONTRACKER_EPOCH_FD
done
echo "child done"
CHILD
run="$cli --log_dir '' --offline --update-interval 0.2 --epochs 3 --sim-cpu X --sim-cpu-tdp 100"
run="$run --sim-gpu G --sim-gpu-watts 200 --sim-gpu-util 1"

# Runs the wrapper (extra options in $1) in a fresh tmux pane and records the
# last row at each poll until the run has exited; leaves the final pane in
# $work/final and the rows seen in $work/seen.
watch_run() {
  [ -z "$sock" ] || tmux -S "$sock" kill-server 2>/dev/null || true
  sock=$(mktemp -u "$work/tmux_XXXXXX.sock")  # one server per run
  tmux -S "$sock" -f /dev/null new-session -d -x 200 -y $rows \
    "$run $1 -- sh $work/child.sh; echo EXIT=\$?; sleep 60"
  : > "$work/seen"
  for _ in $(seq 1 150); do
    pane=$(tmux -S "$sock" capture-pane -p -t 0)
    printf '%s\n' "$pane" > "$work/pane"
    sed -n "${rows}p" "$work/pane" >> "$work/seen"
    grep -q '^EXIT=' "$work/pane" && break
    sleep 0.1
  done
  cp "$work/pane" "$work/final"
  tmux -S "$sock" capture-pane -p -S - -t 0 > "$work/history"
}

fail() {
  echo "FAIL: $*"
  echo "--- final pane:"; cat "$work/final"
  echo "--- last rows seen:"; sort -u "$work/seen"
  exit 1
}

watch_run ""
grep -qx 'EXIT=0' "$work/final" || fail "the run did not exit 0"
lines=$(grep -c '^CarbonTracker: epoch [1-3]/3 | 0:00:0[0-9] | gpu 200.0 W, cpu 50.0 W | ' "$work/seen" || true)
distinct=$(grep '^CarbonTracker: epoch' "$work/seen" | sort -u | wc -l)
[ "$lines" -ge 3 ] || fail "the progress line was not on the last row at 3 polls or more ($lines)"
[ "$distinct" -ge 3 ] || fail "the progress line was not redrawn with new figures ($distinct)"
grep -q '^CarbonTracker: epoch 2/3 .* | predicted [0-9.]* Wh, [0-9.]* g CO2eq, 0:00:0[0-9] to go$' \
  "$work/seen" || fail "no line with the prediction during epoch 2"
# The line never scrolled into the rest of the screen or its history, is gone
# at the end, and the command's lines are whole.
if grep -q 'CarbonTracker: epoch' "$work/history"; then
  fail "the line is on screen or in the scrollback after the run"
fi
for l in "child line 1" "child line 2" "child line 3" "child done"; do
  grep -qx "$l" "$work/history" || fail "the command's line '$l' is not whole"
done
grep -q '^Predicted consumption for 3 epoch(s):' "$work/history" ||
  fail "the prediction block is missing"
echo "OK: $lines polls showed the line ($distinct distinct), e.g.:"
grep '^CarbonTracker: epoch 2/3' "$work/seen" | tail -1

watch_run "--no-progress"
grep -qx 'EXIT=0' "$work/final" || fail "the run with --no-progress did not exit 0"
if grep -q 'CarbonTracker: epoch' "$work/seen"; then fail "--no-progress showed the line"; fi
echo "OK: --no-progress shows none"

# Piped: stderr and stdout into a pipe have no line and no escape sequence.
eval "$run -- sh $work/child.sh" 2>&1 | cat > "$work/piped"
if grep -q $'\033\|CarbonTracker: epoch' "$work/piped"; then
  echo "FAIL: piped output has the progress line:"; cat -v "$work/piped"; exit 1
fi
grep -qx "child line 2" "$work/piped" || { echo "FAIL: piped output lost the command's lines"; exit 1; }
echo "OK: piped output has none"
