"""One rank of a small DDP training job (torchrun, gloo backend) that uses the
embedded tracker in every rank, and optionally writes epoch markers for a
surrounding `carbontracker` wrapper.

Environment (set by torchrun_test.py):
  CT_TEST_SYNC      directory of the ready_N/done_N handshake (world.py) and
                    of each rank's stdout/stderr and results
  CT_TEST_LOG_DIR   the trackers' log_dir
  CT_TEST_POLICY    the trackers' distributed option ("auto" or "off")
  CT_TEST_EPOCHS    epochs to train
  CT_TEST_MARKERS   "1": also write "epoch_start rank=R" / "epoch_end rank=R"
                    to CARBONTRACKER_EPOCH_PATH
"""

import gc
import json
import os
import sys
import time

sync = os.environ["CT_TEST_SYNC"]
rank_env = os.environ["RANK"]
# Everything this rank prints goes to its own files, so the test can tell
# which rank said what.
for fd, name in ((1, "stdout"), (2, "stderr")):
    f = os.open(os.path.join(sync, f"{name}_{rank_env}.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(f, fd)
    os.close(f)

import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
from torch.nn.parallel import DistributedDataParallel  # noqa: E402

from carbontracker.tracker import CarbonTracker  # noqa: E402

epochs = int(os.environ.get("CT_TEST_EPOCHS", "2"))
markers = os.environ.get("CT_TEST_MARKERS") == "1"
torch.set_num_threads(1)
dist.init_process_group("gloo")
rank = dist.get_rank()
torch.manual_seed(rank)
model = DistributedDataParallel(torch.nn.Linear(16, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

tracker = CarbonTracker(
    epochs=epochs, monitor_epochs=epochs, components="cpu", offline=True, update_interval=0.2,
    log_dir=os.environ["CT_TEST_LOG_DIR"], distributed=os.environ.get("CT_TEST_POLICY", "auto"),
    pue=1.0)


def marker(word):
    # torchrun does not pass the wrapper's descriptor on: the pipe by name.
    if markers:
        with open(os.environ["CARBONTRACKER_EPOCH_PATH"], "w") as f:
            f.write(f"{word} rank={rank}\n")


steps = 0
for n in range(1, epochs + 1):
    tracker.epoch_start()
    marker("epoch_start")
    dist.barrier()
    if rank == 0:
        if markers:
            time.sleep(1.0)  # the wrapper has read the markers before the world runs
        open(os.path.join(sync, f"ready_{n}"), "w").close()
    done = os.path.join(sync, f"done_{n}")
    while True:
        x = torch.randn(32, 16)
        loss = model(x).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        steps += 1
        flag = torch.tensor([1.0 if os.path.exists(done) else 0.0])
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        if flag.item() > 0:
            break
    dist.barrier()
    marker("epoch_end")
    tracker.epoch_end()
tracker.stop()

with open(os.path.join(sync, f"result_{rank}.json"), "w") as f:
    json.dump({"pid": os.getpid(), "steps": steps, "results": tracker.results}, f)
sys.stdout.flush()
# Tear the process group down while the interpreter is whole. Left to the
# interpreter's exit, a gloo worker thread may still hold the last
# collective's work and drop its tensors during finalization; torch then
# aborts the rank ("terminate called without an active exception", the
# worker thread unwound inside ~AsyncWork), after its results were written.
# Seen under load in 2 of 10 runs; the DDP module holds the group too, so it
# goes first and the group's destruction joins the worker threads.
del model, optimizer, x, loss, flag
gc.collect()
dist.destroy_process_group()
