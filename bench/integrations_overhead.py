"""Per-epoch overhead of the framework callbacks (carbontracker.integrations).

    V=$(bash scripts/setup-integrations.sh)
    PYTHONPATH=build/python $V/bin/python bench/integrations_overhead.py [EPOCHS]

For each of PyTorch Lightning, the Hugging Face Trainer and Keras 3 (torch
backend) it trains the same tiny model twice per round, without and with
CarbonTrackerCallback (simulated CPU, offline, log_dir in a temporary
directory, monitor_epochs=-1: every epoch is measured, logged and written),
alternating the order over 4 rounds, and prints the medians per epoch of:

  hooks    the time spent in the callback's epoch hooks (from the
           framework's call to its return, summed from one epoch's start to
           the next's);
  epoch    from an epoch's start to the next's (a timing callback in both
           runs), without and with the callback.

The first epoch of each training (warm-up) and the last (no next start) are
left out, as is on_train_begin/on_train_end (the tracker's start and stop,
once per training).
"""

import functools
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("KERAS_BACKEND", "torch")

import torch  # noqa: E402

torch.set_num_threads(1)
EPOCHS = int(sys.argv[1]) if len(sys.argv) > 1 else 20
ROUNDS = 4
OPTIONS = {"sim_cpu": "Bench CPU", "sim_cpu_tdp": 100.0, "offline": True, "verbose": 0, "monitor_epochs": -1}


def timed(cb, hooks, spent):
    """Wraps the callback's hooks: spent[-1] += their time."""
    for name in hooks:
        f = getattr(cb, name)

        @functools.wraps(f)
        def wrapper(*a, _f=f, **kw):
            t = time.perf_counter()
            try:
                return _f(*a, **kw)
            finally:
                spent[-1] += time.perf_counter() - t

        setattr(cb, name, wrapper)
    return cb


def periods(starts, spent):
    """Epoch n's time is from its start to epoch n+1's (everything in between,
    whatever the order of the callbacks); the hooks' time likewise (spent[0]
    is before the first epoch: on_train_begin)."""
    return [b - a for a, b in zip(starts, starts[1:])], spent[1:len(starts)]


# --- Lightning -------------------------------------------------------------

def lightning(with_callback, log_dir):
    import pytorch_lightning as pl

    from carbontracker.integrations.lightning import CarbonTrackerCallback

    class Tiny(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.layer = torch.nn.Linear(32, 1)

        def training_step(self, batch, batch_idx):
            x, y = batch
            return torch.nn.functional.mse_loss(self.layer(x), y)

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.01)

    epoch_s, spent = [], [0.0]

    class Clock(pl.Callback):
        def on_train_epoch_start(self, trainer, m):
            epoch_s.append(time.perf_counter())
            spent.append(0.0)

    x = torch.randn(512, 32, generator=torch.Generator().manual_seed(0))
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True)), batch_size=16)
    callbacks = [Clock()]
    if with_callback:
        callbacks.append(timed(CarbonTrackerCallback(log_dir=log_dir, **OPTIONS),
                               ["on_train_epoch_start", "on_train_epoch_end"], spent))
    trainer = pl.Trainer(max_epochs=EPOCHS, accelerator="cpu", devices=1, logger=False, callbacks=callbacks,
                         enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False)
    trainer.fit(Tiny(), data)
    return periods(epoch_s, spent)


# --- Hugging Face Trainer ----------------------------------------------------

def hf_trainer(with_callback, log_dir):
    import transformers
    from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

    from carbontracker.integrations.transformers import CarbonTrackerCallback

    transformers.logging.set_verbosity_error()
    epoch_s, spent = [], [0.0]

    class Clock(transformers.TrainerCallback):
        def on_epoch_begin(self, args, state, control, **kw):
            epoch_s.append(time.perf_counter())
            spent.append(0.0)

    class Data(torch.utils.data.Dataset):
        ids = torch.randint(0, 32, (64, 8), generator=torch.Generator().manual_seed(0))

        def __len__(self):
            return len(self.ids)

        def __getitem__(self, i):
            return {"input_ids": self.ids[i], "labels": int(self.ids[i, 0] % 2)}

    torch.manual_seed(0)
    model = BertForSequenceClassification(BertConfig(
        vocab_size=32, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
        max_position_embeddings=16, num_labels=2))
    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(output_dir=out, num_train_epochs=EPOCHS, per_device_train_batch_size=8,
                                 logging_strategy="epoch", save_strategy="no", report_to=[], use_cpu=True,
                                 disable_tqdm=True, dataloader_num_workers=0)
        callbacks = [Clock()]
        if with_callback:
            callbacks.append(timed(CarbonTrackerCallback(log_dir=log_dir, **OPTIONS),
                                   ["on_epoch_begin", "on_epoch_end"], spent))
        trainer = Trainer(model=model, args=args, train_dataset=Data(), callbacks=callbacks)
        trainer.remove_callback(transformers.PrinterCallback)  # no console line per log
        trainer.train()
    return periods(epoch_s, spent)


# --- Keras -------------------------------------------------------------------

def keras_fit(with_callback, log_dir):
    import keras
    import numpy as np

    from carbontracker.integrations.keras import CarbonTrackerCallback

    epoch_s, spent = [], [0.0]

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            epoch_s.append(time.perf_counter())
            spent.append(0.0)

    rng = np.random.default_rng(0)
    x = rng.standard_normal((512, 32)).astype("float32")
    model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", jit_compile=False)
    callbacks = [Clock()]
    if with_callback:
        callbacks.append(timed(CarbonTrackerCallback(log_dir=log_dir, **OPTIONS),
                               ["on_epoch_begin", "on_epoch_end"], spent))
    model.fit(x, x.sum(1, keepdims=True), batch_size=16, epochs=EPOCHS, verbose=0, callbacks=callbacks)
    return periods(epoch_s, spent)


def main():
    frameworks = [("Lightning", lightning), ("HF Trainer", hf_trainer), ("Keras", keras_fit)]
    print(f"{EPOCHS} epochs x {ROUNDS} rounds per framework, medians of epochs 2..{EPOCHS - 1}")
    print(f"{'framework':<11} {'hooks (ms/epoch)':>17} {'epoch without (ms)':>19} {'epoch with (ms)':>16}")
    for name, run in frameworks:
        without, with_, hooks = [], [], []
        for r in range(ROUNDS):
            for on in ((False, True) if r % 2 == 0 else (True, False)):
                with tempfile.TemporaryDirectory() as log_dir:
                    e, s = run(on, log_dir)
                (with_ if on else without).extend(e[1:])
                if on:
                    hooks.extend(s[1:])
        print(f"{name:<11} {statistics.median(hooks) * 1e3:>17.3f} {statistics.median(without) * 1e3:>19.1f} "
              f"{statistics.median(with_) * 1e3:>16.1f}", flush=True)


if __name__ == "__main__":
    main()
