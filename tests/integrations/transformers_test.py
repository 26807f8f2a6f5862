"""CarbonTrackerCallback on the Hugging Face Trainer (a 2-layer BERT made from
its config, synthetic data, CPU): figures read back from the Trainer's
log_history, the tracker's logs, EarlyStoppingCallback, an exception in a
training step."""

import pytest
import torch
import transformers
from conftest import P, check_epochs, check_logs
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

from carbontracker.integrations.transformers import CarbonTrackerCallback

torch.set_num_threads(1)
transformers.logging.set_verbosity_error()


class Steps(transformers.TrainerCallback):
    """Counts epochs and training batches for the model's hook."""

    def __init__(self):
        self.epoch = 0
        self.batch = 0
        self.evaluations = 0

    def on_epoch_begin(self, args, state, control, **kwargs):
        self.epoch, self.batch = self.epoch + 1, 0


class Data(torch.utils.data.Dataset):
    def __init__(self, n=32):
        g = torch.Generator().manual_seed(0)
        self.ids = torch.randint(0, 32, (n, 8), generator=g)

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        return {"input_ids": self.ids[i], "labels": int(self.ids[i, 0] % 2)}


def train(hw, tmp_path, epochs, fail_in_epoch=None, early_stopping=False, made=None, fail_with=None):
    torch.manual_seed(0)
    config = BertConfig(vocab_size=32, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=16, num_labels=2)
    model = BertForSequenceClassification(config)
    steps = Steps()
    error = fail_with or ValueError("a bad batch")

    def before_forward(module, args, kwargs):
        if not module.training:
            return
        if steps.batch == 0:
            hw.work()
        if steps.epoch == fail_in_epoch and steps.batch == 1:
            raise error
        steps.batch += 1

    model.register_forward_pre_hook(before_forward, with_kwargs=True)

    def score(_):
        # Gets worse every evaluation: patience 1 stops after epoch 2.
        steps.evaluations += 1
        return {"score": float(steps.evaluations)}

    args = TrainingArguments(
        output_dir=str(tmp_path / "out"), num_train_epochs=epochs, per_device_train_batch_size=8,
        per_device_eval_batch_size=16, learning_rate=1e-3, eval_strategy="epoch", logging_strategy="epoch",
        save_strategy="no", report_to=[], use_cpu=True, disable_tqdm=True, dataloader_num_workers=0,
        metric_for_best_model="score" if early_stopping else None, greater_is_better=False)
    cb = CarbonTrackerCallback(**hw.options)
    callbacks = [steps, cb]
    if early_stopping:
        callbacks.insert(0, transformers.EarlyStoppingCallback(early_stopping_patience=1))
    trainer = Trainer(model=model, args=args, train_dataset=Data(), eval_dataset=Data(16),
                      compute_metrics=score, callbacks=callbacks)
    if made is not None:
        made.update(cb=cb, error=error, trainer=trainer)
    trainer.train()
    return cb, trainer.state.log_history


def per_epoch(history):
    return [h for h in history if P + "energy_kwh" in h]


def test_three_epochs(hardware, tmp_path):
    cb, history = train(hardware, tmp_path, 3)
    figures = per_epoch(history)
    assert [h["epoch"] for h in figures] == [1.0, 2.0, 3.0]
    check_epochs(hardware, cb.tracker, figures, 3)
    pred = [h for h in history if P + "predicted_energy_kwh" in h]
    assert len(pred) == 1 and pred[0]["epoch"] == 1.0
    assert pred[0][P + "predicted_energy_kwh"] == pytest.approx(
        cb.tracker.results["prediction"]["energy_kwh"], rel=1e-6)
    # Each epoch's evaluation is logged before its figures: it is part of it.
    evals = [i for i, h in enumerate(history) if "eval_loss" in h]
    marks = [i for i, h in enumerate(history) if P + "energy_kwh" in h]
    assert len(evals) == 3 and all(e < m for e, m in zip(evals, marks))
    total = [h for h in history if P + "total_energy_kwh" in h]
    assert len(total) == 1 and total[0][P + "total_energy_kwh"] == pytest.approx(
        cb.tracker.results["actual"]["energy_kwh"], rel=1e-6)
    check_logs(hardware, 3, 3, early=False)


def test_early_stopping_after_two_of_five(hardware, tmp_path):
    cb, history = train(hardware, tmp_path, 5, early_stopping=True)
    assert len([h for h in history if "eval_loss" in h]) == 2
    check_epochs(hardware, cb.tracker, per_epoch(history), 2)
    check_logs(hardware, 2, 5, early=True)


def test_an_exception_in_a_step_reaches_the_user(hardware, tmp_path):
    made = {}
    with pytest.raises(ValueError) as raised:
        train(hardware, tmp_path, 3, fail_in_epoch=2, made=made)
    assert raised.value is made["error"]  # the very exception, unchanged
    tracker = made["cb"].tracker
    assert not tracker.monitoring
    assert [(e["index"], e["partial"]) for e in tracker.results["epochs"]] == [(1, False), (2, True)]
    assert "training_step" not in vars(made["trainer"])  # the trainer's own again
    check_logs(hardware, 2, 3, early=True, partial=True)


def test_keyboard_interrupt_stops_the_tracker_and_propagates(sim, tmp_path):
    made = {}
    with pytest.raises(KeyboardInterrupt) as raised:
        train(sim, tmp_path, 3, fail_in_epoch=2, made=made, fail_with=KeyboardInterrupt())
    assert raised.value is made["error"]
    tracker = made["cb"].tracker
    assert not tracker.monitoring
    assert [(e["index"], e["partial"]) for e in tracker.results["epochs"]] == [(1, False), (2, True)]
    check_logs(sim, 2, 3, early=True, partial=True)
