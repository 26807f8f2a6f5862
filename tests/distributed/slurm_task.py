"""One Slurm task of slurm_test.py: EPOCHS epochs of world.py's handshake.

  slurm_task.py SYNC_DIR EPOCHS markers EXIT
      under `srun carbontracker --epochs N ...`: writes "epoch_start" and
      "epoch_end" on CARBONTRACKER_EPOCH_FD, exits with EXIT
  slurm_task.py SYNC_DIR EPOCHS api LOG_DIR
      the embedded Python API (distributed="auto"); writes
      SYNC_DIR/result_<SLURM_PROCID>.json

The local rank 0 of each node creates SYNC_DIR/ready_N_<SLURM_NODEID> once
its epoch has started; every task ends its epoch when SYNC_DIR/done_N exists.
"""

import json
import os
import sys
import time

sync, epochs, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
local = os.environ["SLURM_LOCALID"] == "0"
node = os.environ["SLURM_NODEID"]
tracker = None
if mode == "api":
    from carbontracker.tracker import CarbonTracker

    tracker = CarbonTracker(epochs=epochs, monitor_epochs=epochs, components="cpu", offline=True,
                            update_interval=0.2, log_dir=sys.argv[4], pue=1.0)


def marker(word):
    if mode == "markers":
        os.write(int(os.environ["CARBONTRACKER_EPOCH_FD"]), f"{word}\n".encode())


for n in range(1, epochs + 1):
    if tracker:
        tracker.epoch_start()
    marker("epoch_start")
    if local:
        if mode == "markers":
            time.sleep(1.0)  # the wrapper has read the marker before the world runs
        open(os.path.join(sync, f"ready_{n}_{node}"), "w").close()
    while not os.path.exists(os.path.join(sync, f"done_{n}")):
        time.sleep(0.02)
    marker("epoch_end")
    if tracker:
        tracker.epoch_end()

if tracker:
    tracker.stop()
    with open(os.path.join(sync, f"result_{os.environ['SLURM_PROCID']}.json"), "w") as f:
        json.dump({"pid": os.getpid(), "node": node, "results": tracker.results}, f)
sys.exit(int(sys.argv[4]) if mode == "markers" else 0)
