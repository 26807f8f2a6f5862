"""CarbonTrackerCallback on PyTorch Lightning 2.x (CPU): figures read back
from a CSVLogger, the tracker's logs, early stopping, an exception in a
training step."""

import csv
import pathlib

import pytest
import torch
from conftest import P, check_epochs, check_logs

import pytorch_lightning as pl
from carbontracker.integrations.lightning import CarbonTrackerCallback
from pytorch_lightning.callbacks import EarlyStopping
from pytorch_lightning.loggers import CSVLogger

torch.set_num_threads(1)


class Tiny(pl.LightningModule):
    def __init__(self, hw, fail_in_epoch=None, fail_with=None):
        super().__init__()
        self.fail_with = fail_with or ValueError("a bad batch")
        self.layer = torch.nn.Linear(4, 1)
        self.hw = hw
        self.fail_in_epoch = fail_in_epoch
        self.error = None

    def training_step(self, batch, batch_idx):
        if batch_idx == 0:
            self.hw.work()
        if self.current_epoch + 1 == self.fail_in_epoch and batch_idx == 1:
            self.error = self.fail_with
            raise self.error
        x, y = batch
        return torch.nn.functional.mse_loss(self.layer(x), y)

    def validation_step(self, batch, batch_idx):
        # Gets worse every epoch: EarlyStopping(patience=1) stops after epoch 2.
        self.log("score", float(self.current_epoch))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.01)


def data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(32, 4, generator=g)
    ds = torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True))
    return torch.utils.data.DataLoader(ds, batch_size=8)


def fit(hw, tmp_path, max_epochs, callbacks=(), fail_in_epoch=None, made=None, fail_with=None):
    cb = CarbonTrackerCallback(**hw.options)
    logger = CSVLogger(str(tmp_path / "csv"), name="run")
    trainer = pl.Trainer(max_epochs=max_epochs, accelerator="cpu", devices=1, logger=logger,
                         callbacks=[*callbacks, cb], enable_progress_bar=False,
                         enable_model_summary=False, enable_checkpointing=False,
                         log_every_n_steps=1)
    model = Tiny(hw, fail_in_epoch, fail_with)
    if made is not None:
        made.update(cb=cb, model=model)
    try:
        trainer.fit(model, data(), data())
    finally:
        logger.save()
    return cb, model, read_csv(pathlib.Path(logger.log_dir) / "metrics.csv")


def read_csv(path):
    """Rows of the CSV that hold a carbontracker figure, as dicts of floats."""
    with open(path) as f:
        rows = [{k: float(v) for k, v in r.items() if v != ""} for r in csv.DictReader(f)]
    return [r for r in rows if any(k.startswith(P) for k in r)]


def per_epoch(rows):
    return [r for r in rows if P + "energy_kwh" in r]


def test_three_epochs(hardware, tmp_path):
    cb, _, rows = fit(hardware, tmp_path, 3)
    figures = per_epoch(rows)
    assert [r["epoch"] for r in figures] == [0, 1, 2]
    check_epochs(hardware, cb.tracker, figures, 3)
    pred = [r for r in rows if P + "predicted_energy_kwh" in r]
    assert len(pred) == 1 and pred[0]["epoch"] == 0
    assert pred[0][P + "predicted_energy_kwh"] == pytest.approx(
        cb.tracker.results["prediction"]["energy_kwh"], rel=1e-6)
    total = [r for r in rows if P + "total_energy_kwh" in r]
    assert len(total) == 1
    assert total[0][P + "total_energy_kwh"] == pytest.approx(
        cb.tracker.results["actual"]["energy_kwh"], rel=1e-6)
    check_logs(hardware, 3, 3, early=False)


def test_early_stopping_after_two_of_five(hardware, tmp_path):
    stop = EarlyStopping(monitor="score", patience=1, mode="min")
    cb, _, rows = fit(hardware, tmp_path, 5, callbacks=[stop])
    check_epochs(hardware, cb.tracker, per_epoch(rows), 2)
    check_logs(hardware, 2, 5, early=True)


def test_an_exception_in_a_step_reaches_the_user(hardware, tmp_path):
    made = {}
    with pytest.raises(ValueError) as raised:
        fit(hardware, tmp_path, 3, fail_in_epoch=2, made=made)
    assert raised.value is made["model"].error  # the very exception, unchanged
    tracker = made["cb"].tracker
    assert not tracker.monitoring
    epochs = tracker.results["epochs"]
    assert [(e["index"], e["partial"]) for e in epochs] == [(1, False), (2, True)]
    run = check_logs(hardware, 2, 3, early=True, partial=True)
    assert run["actual"] is not None


def test_keyboard_interrupt_stops_the_tracker(sim, tmp_path):
    made = {}
    # Lightning's own handling: on_exception, then sys.exit(1).
    with pytest.raises(SystemExit):
        fit(sim, tmp_path, 3, fail_in_epoch=2, made=made, fail_with=KeyboardInterrupt())
    tracker = made["cb"].tracker
    assert not tracker.monitoring
    assert [(e["index"], e["partial"]) for e in tracker.results["epochs"]] == [(1, False), (2, True)]
    check_logs(sim, 2, 3, early=True, partial=True)


def test_with_the_lightning_package(sim, tmp_path):
    """The same callback in a trainer of the `lightning` package (both
    packages installed: it is a Callback of each)."""
    import lightning.pytorch as L

    class Module(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.layer = torch.nn.Linear(4, 1)

        def training_step(self, batch, batch_idx):
            if batch_idx == 0:
                sim.work()
            x, y = batch
            return torch.nn.functional.mse_loss(self.layer(x), y)

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.01)

    cb = CarbonTrackerCallback(**sim.options)
    assert isinstance(cb, L.Callback) and isinstance(cb, pl.Callback)
    logger = L.loggers.CSVLogger(str(tmp_path / "csv"), name="run")
    trainer = L.Trainer(max_epochs=3, accelerator="cpu", devices=1, logger=logger, callbacks=[cb],
                        enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False)
    trainer.fit(Module(), data())
    rows = read_csv(pathlib.Path(logger.log_dir) / "metrics.csv")
    check_epochs(sim, cb.tracker, per_epoch(rows), 3)
    check_logs(sim, 3, 3, early=False)
