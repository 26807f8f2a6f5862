"""Lightning with strategy="ddp", 2 processes on the CPU (gloo), each with a
CarbonTrackerCallback on a simulated CPU. Lightning's launcher starts rank 1
by running this script again. Each rank writes WORKDIR/result_<rank>.json.

usage: lightning_ddp.py WORKDIR
"""

import json
import os
import sys

import pytorch_lightning as pl
import torch
from pytorch_lightning.loggers import CSVLogger

from carbontracker.integrations.lightning import CarbonTrackerCallback

workdir = sys.argv[1]
torch.set_num_threads(1)


class Tiny(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(4, 1)

    def training_step(self, batch, batch_idx):
        x, y = batch
        return torch.nn.functional.mse_loss(self.layer(x), y)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.01)


x = torch.randn(32, 4, generator=torch.Generator().manual_seed(0))
data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True)), batch_size=8)
cb = CarbonTrackerCallback(sim_cpu="Test CPU", sim_cpu_tdp=100.0, offline=True, update_interval=0.05,
                           monitor_epochs=-1, log_dir=os.path.join(workdir, "logs"))
trainer = pl.Trainer(max_epochs=2, accelerator="cpu", devices=2, strategy="ddp",
                     logger=CSVLogger(os.path.join(workdir, "csv"), name="run", version=0),
                     callbacks=[cb], enable_progress_bar=False, enable_model_summary=False,
                     enable_checkpointing=False, log_every_n_steps=1)
trainer.fit(Tiny(), data)
with open(os.path.join(workdir, f"result_{trainer.global_rank}.json"), "w") as f:
    json.dump({"results": cb.tracker.results, "log_files": cb.tracker.log_files}, f)
