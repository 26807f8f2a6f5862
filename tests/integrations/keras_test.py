"""CarbonTrackerCallback on Keras 3 (torch backend, CPU): figures read back
from the History, the tracker's logs, EarlyStopping, an exception in
train_step."""

import keras
import numpy as np
import pytest
import torch
from conftest import P, check_epochs, check_logs

from carbontracker.integrations.keras import CarbonTrackerCallback

torch.set_num_threads(1)


class Tiny(keras.Model):
    def __init__(self, hw, fail_in_epoch=None, fail_with=None):
        super().__init__()
        self.fail_with = fail_with or ValueError("a bad batch")
        self.dense = keras.layers.Dense(1)
        self.hw = hw
        self.fail_in_epoch = fail_in_epoch
        self.epoch = 0
        self.batch = 0
        self.error = None

    def call(self, x):
        return self.dense(x)

    def train_step(self, data):
        if self.batch == 0:
            self.hw.work()
        if self.epoch == self.fail_in_epoch and self.batch == 1:
            self.error = self.fail_with
            raise self.error
        self.batch += 1
        return super().train_step(data)


class Counter(keras.callbacks.Callback):
    """Tells the model its epoch and batch; puts a score that gets worse every
    epoch in the logs (EarlyStopping(patience=1) stops after epoch 2)."""

    def on_epoch_begin(self, epoch, logs=None):
        self.model.epoch, self.model.batch = epoch + 1, 0

    def on_epoch_end(self, epoch, logs=None):
        logs["score"] = float(epoch)


def fit(hw, epochs, callbacks=(), fail_in_epoch=None, made=None, fail_with=None):
    cb = CarbonTrackerCallback(**hw.options)
    model = Tiny(hw, fail_in_epoch, fail_with)
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse", jit_compile=False)
    if made is not None:
        made.update(cb=cb, model=model)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 4)).astype("float32")
    y = x.sum(1, keepdims=True)
    history = model.fit(x, y, batch_size=8, epochs=epochs, validation_data=(x, y), verbose=0,
                        callbacks=[Counter(), *callbacks, cb])
    return cb, history.history


def per_epoch(history):
    n = len(history[P + "energy_kwh"])
    return [{k: v[i] for k, v in history.items() if k.startswith(P) and len(v) == n} for i in range(n)]


def test_three_epochs(hardware):
    cb, history = fit(hardware, 3)
    assert len(history["loss"]) == 3 and len(history["val_loss"]) == 3
    check_epochs(hardware, cb.tracker, per_epoch(history), 3)
    # The prediction, made after epoch 1, is in that epoch's logs.
    assert history[P + "predicted_energy_kwh"] == [
        pytest.approx(cb.tracker.results["prediction"]["energy_kwh"], rel=1e-6)]
    check_logs(hardware, 3, 3, early=False)


def test_early_stopping_after_two_of_five(hardware):
    stop = keras.callbacks.EarlyStopping(monitor="score", patience=1, mode="min")
    cb, history = fit(hardware, 5, callbacks=[stop])
    assert len(history["loss"]) == 2
    check_epochs(hardware, cb.tracker, per_epoch(history), 2)
    check_logs(hardware, 2, 5, early=True)


def test_an_exception_in_a_step_reaches_the_user(hardware):
    made = {}
    with pytest.raises(ValueError) as raised:
        fit(hardware, 3, fail_in_epoch=2, made=made)
    assert raised.value is made["model"].error  # the very exception, unchanged
    tracker = made["cb"].tracker
    assert not tracker.monitoring
    assert [(e["index"], e["partial"]) for e in tracker.results["epochs"]] == [(1, False), (2, True)]
    # The model's train function is its own again.
    assert "_wrap_train_function" not in getattr(made["model"].train_function, "__qualname__", "")
    check_logs(hardware, 2, 3, early=True, partial=True)


def test_keyboard_interrupt_stops_the_tracker_and_propagates(sim):
    made = {}
    with pytest.raises(KeyboardInterrupt) as raised:
        fit(sim, 3, fail_in_epoch=2, made=made, fail_with=KeyboardInterrupt())
    assert raised.value is made["model"].error
    tracker = made["cb"].tracker
    assert not tracker.monitoring
    assert [(e["index"], e["partial"]) for e in tracker.results["epochs"]] == [(1, False), (2, True)]
    check_logs(sim, 2, 3, early=True, partial=True)
