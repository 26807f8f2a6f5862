"""The embedded run of the side-by-side test with 2.1.2, which has no
simulated components: a fake RAPL tree (powercap layout, one package zone)
that build/tests/fakes/fake_powercap_helper advances at a constant power.
2 epochs of 2.5 s, the CPU only, prediction after the first epoch.

    python drive_rapl.py LOG_DIR POWERCAP_ROOT original|ours
"""

import os
import sys
import time

log_dir, root, side = sys.argv[1:4]
if side == "original":
    # 2.1.2 reads the powercap tree from a module constant.
    import carbontracker.components.cpu.intel as intel

    intel.RAPL_DIR = root.rstrip("/") + "/"
else:
    os.environ["CARBONTRACKER_POWERCAP_ROOT"] = root

from carbontracker.tracker import CarbonTracker  # noqa: E402

EPOCHS = 2
tracker = CarbonTracker(
    epochs=EPOCHS,
    epochs_before_pred=1,
    monitor_epochs=EPOCHS,
    update_interval=0.1,
    decimal_precision=9,
    components="cpu",
    log_dir=log_dir,
)
for _ in range(EPOCHS):
    tracker.epoch_start()
    time.sleep(2.5)
    tracker.epoch_end()
tracker.stop()
