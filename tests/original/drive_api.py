"""The embedded run of the side-by-side tests, for the original's interpreter
and ours alike: 3 epochs of 0.3 s with a simulated CPU (100 W x 0.5) and GPU
(200 W x 0.5), prediction after the first epoch, a report after the third.

    python drive_api.py LOG_DIR
"""

import sys
import time

from carbontracker.tracker import CarbonTracker

EPOCHS = 3

tracker = CarbonTracker(
    epochs=EPOCHS,
    epochs_before_pred=1,
    monitor_epochs=EPOCHS,
    update_interval=0.1,
    decimal_precision=9,
    log_dir=sys.argv[1],
    sim_cpu="Sim CPU",
    sim_cpu_tdp=100,
    sim_gpu="Sim GPU",
    sim_gpu_watts=200,
)
for _ in range(EPOCHS):
    tracker.epoch_start()
    time.sleep(0.3)
    tracker.epoch_end()
tracker.stop()
