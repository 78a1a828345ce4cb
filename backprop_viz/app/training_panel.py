"""Training controls and settings: optimizer, batching, clipping, schedule, early stopping."""

from __future__ import annotations

import copy

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QGridLayout, QGroupBox, QLabel,
                               QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from ..engine import SpecError
from ..engine.formatting import fmt
from ..engine.optimizers import DEFAULTS as OPTIMIZERS
from ..engine.schedules import DEFAULTS as SCHEDULES
from .document import Document
from .inspector import ERROR_STYLE, parse_number
from .setting_widgets import declared
from .training_controller import RUNNING, TrainingController

LIVE_KEYS = {"lr", "clip_grad_norm", "clip_grad_value"}

# What each optimizer setting does, in the words of the update it changes (names as in PyTorch).
OPTIMIZER_TIPS = {
    "lr": "Learning rate: how far each update moves the weights along the negative gradient",
    "momentum": "Momentum: the share of the previous update added to this one (0 = plain gradient descent)",
    "dampening": "Dampening: how much of the current gradient is left out of the momentum (SGD)",
    "nesterov": "Nesterov momentum: take the gradient at the point momentum is about to reach",
    "weight_decay": "Weight decay: shrink every weight toward zero by this factor at each update",
    "betas": "β1, β2: how slowly the running averages of the gradient and of its square forget (Adam)",
    "eps": "ε: added to the denominator so that a near-zero gradient history cannot divide by zero",
    "amsgrad": "AMSGrad: keep the largest squared-gradient average seen, so steps never grow back",
    "alpha": "α: how slowly the running average of the squared gradient forgets (RMSprop)",
    "centered": "Centred: divide by the gradient's variance instead of its mean square (RMSprop)",
    "lr_decay": "Learning-rate decay: the learning rate is divided by (1 + steps × decay) (Adagrad)",
    "initial_accumulator_value": "The starting value of the sum of squared gradients (Adagrad)",
    "rho": "ρ: how slowly the running averages of squared gradients and updates forget (Adadelta)",
}
SETTING_TIPS = {
    "optimizer": "The update rule: sgd (with optional momentum), adam, adamw, rmsprop, adagrad or adadelta",
    "batch_mode": "Full batch: one update per epoch from all samples; mini-batch: one update per batch of "
                  "shuffled samples; online: one update per sample",
    "batch_size": "Samples per update in mini-batch mode",
    "clip_grad_norm": "Scale all gradients down together when their overall norm exceeds this (off: never)",
    "clip_grad_value": "Cut every gradient element to ±this value (off: never)",
    "schedule": "Change the learning rate as the epochs go by (step, exponential, cosine…)",
    "seed": "The seed of the shuffling of samples into mini-batches (the same seed, the same run)",
}


class TrainingPanel(QWidget):
    walkRequested = Signal()

    def __init__(self, doc: Document, controller: TrainingController, parent=None):
        super().__init__(parent)
        self.setObjectName("trainingPanel")
        self.doc, self.controller = doc, controller
        self._loading = False
        outer = QVBoxLayout(self)
        row = QGridLayout()
        self.train_btn = QPushButton("Train")
        self.train_btn.setObjectName("trainButton")
        self.train_btn.setToolTip("Train until paused (F5)")
        self.step_btn = QPushButton("Step")
        self.step_btn.setObjectName("stepOnceButton")
        self.step_btn.setToolTip("One update (F10)")
        self.epoch_btn = QPushButton("Step epoch")
        self.epoch_btn.setObjectName("stepEpochButton")
        self.epoch_btn.setToolTip("One epoch: every batch once (Shift+F10)")
        self.reset_btn = QPushButton("Reset")
        self.reset_btn.setObjectName("resetButton")
        self.reset_btn.setToolTip("Re-initialise the weights from the seed and clear the run")
        for i, b in enumerate((self.train_btn, self.step_btn, self.epoch_btn, self.reset_btn)):
            row.addWidget(b, i // 2, i % 2)
        outer.addLayout(row)
        self.walk_btn = QPushButton("Walk the next update in the stepper")
        self.walk_btn.setObjectName("walkButton")
        self.walk_btn.setToolTip("Open this moment of training in the stepper: the current weights and "
                                 "the batch the next update will use")
        outer.addWidget(self.walk_btn)
        self.rate = QLabel("")
        self.rate.setObjectName("rateLabel")
        outer.addWidget(self.rate)
        self.train_btn.clicked.connect(controller.toggle)
        self.step_btn.clicked.connect(controller.step_once)
        self.epoch_btn.clicked.connect(controller.step_epoch)
        self.reset_btn.clicked.connect(controller.reset)
        self.walk_btn.clicked.connect(self.walkRequested.emit)

        box = QGroupBox("Settings")
        self.settings_box = box     # a lesson can lock the settings and leave Train working
        self.form = QFormLayout(box)
        outer.addWidget(box)
        self.optimizer = QComboBox()
        self.optimizer.setObjectName("optimizerCombo")
        self.optimizer.addItems(list(OPTIMIZERS))
        self.optimizer.setToolTip(SETTING_TIPS["optimizer"])
        self.optimizer.activated.connect(lambda _: self._set_optimizer(self.optimizer.currentText()))
        self.form.addRow("Optimizer", self.optimizer)
        self.opt_box = QWidget()
        self.opt_box_layout = QVBoxLayout(self.opt_box)
        self.opt_box_layout.setContentsMargins(0, 0, 0, 0)
        self.opt_host = None
        self.form.addRow(self.opt_box)
        self.batch_mode = QComboBox()
        self.batch_mode.addItems(["full batch", "mini-batch", "online (1 sample)"])
        self.batch_mode.setObjectName("batchMode")
        self.batch_mode.setToolTip(SETTING_TIPS["batch_mode"])
        self.batch_size = QSpinBox()
        self.batch_size.setRange(2, 100_000)
        self.batch_size.setValue(32)
        self.batch_size.setToolTip(SETTING_TIPS["batch_size"])
        self.batch_mode.activated.connect(lambda _: self._batch_changed())
        self.batch_size.editingFinished.connect(self._batch_changed)
        self.form.addRow("Batches", self.batch_mode)
        self.form.addRow("Batch size", self.batch_size)
        self.clip_norm = self._optional_number("clip_grad_norm", "clipNorm")
        self.clip_value = self._optional_number("clip_grad_value", "clipValue")
        self.form.addRow("Clip grad norm", self.clip_norm)
        self.form.addRow("Clip grad value", self.clip_value)
        self.schedule = QComboBox()
        self.schedule.addItems(["none"] + list(SCHEDULES))
        self.schedule.setToolTip(SETTING_TIPS["schedule"])
        self.schedule.activated.connect(lambda _: self._set_schedule())
        self.form.addRow("LR schedule", self.schedule)
        self.schedule_params = QLineEdit()
        self.schedule_params.setObjectName("scheduleParams")
        self.schedule_params.setToolTip("The schedule's settings, e.g. step_size=10, gamma=0.5 "
                                        "(stepped once per epoch)")
        self.schedule_params.editingFinished.connect(self._set_schedule_params)
        self.form.addRow("Schedule settings", self.schedule_params)
        self.early = QSpinBox()
        self.early.setRange(0, 10_000)
        self.early.setSpecialValueText("off")
        self.early.setToolTip("Stop when the validation loss has not improved for this many epochs")
        self.early.editingFinished.connect(self._set_early)
        self.form.addRow("Early stopping patience", self.early)
        self.seed = QSpinBox()
        declared(self.seed, "seed")
        self.seed.setToolTip(SETTING_TIPS["seed"])
        self.seed.editingFinished.connect(lambda: self._set("seed", self.seed.value()))
        self.form.addRow("Shuffle seed", self.seed)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.setObjectName("trainingError")
        self.form.addRow(self.error)
        outer.addStretch(1)
        self.fields: dict[str, QWidget] = {}
        doc.projectChanged.connect(lambda: self.doc.changed("training") and self.refresh())
        controller.stateChanged.connect(self._state)
        controller.snapshot.connect(self._snapshot)
        self.refresh()
        self._state(controller.state)

    def _optional_number(self, key, name):
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.setPlaceholderText("off")
        edit.setToolTip(SETTING_TIPS[key])
        edit.returnPressed.connect(lambda: self._set_number(key, edit, optional=True))
        edit.editingFinished.connect(lambda: self._set_number(key, edit, optional=True))
        return edit

    # -- from the project -------------------------------------------------------------
    def refresh(self) -> None:
        self._loading = True
        t = self.doc.project.training
        opt = t["optimizer"]
        self.optimizer.setCurrentText(opt["name"])
        self._build_optimizer_form(opt)
        bs = t["batch_size"]
        self.batch_mode.setCurrentIndex(0 if bs is None else 2 if bs == 1 else 1)
        if bs and bs > 1:
            self.batch_size.setValue(bs)
        self.batch_size.setEnabled(self.batch_mode.currentIndex() == 1 and not self.controller.is_running)
        self.clip_norm.setText("" if t["clip_grad_norm"] is None else fmt(t["clip_grad_norm"]))
        self.clip_value.setText("" if t["clip_grad_value"] is None else fmt(t["clip_grad_value"]))
        self.schedule.setCurrentText(t["schedule"]["name"] if t["schedule"] else "none")
        sched = t["schedule"]
        self.schedule_params.setText(", ".join(f"{k}={fmt(v)}" for k, v in sched.items() if k != "name")
                                     if sched else "")
        self.schedule_params.setEnabled(bool(sched))
        self.early.setValue(t["early_stopping"]["patience"] if t["early_stopping"] else 0)
        self.seed.setValue(t["seed"])
        self._loading = False
        self._state(self.controller.state)

    def _build_optimizer_form(self, opt: dict) -> None:
        # A fresh host each time; the old one is deleted later because the
        # field whose signal led here may live in it.
        if self.opt_host is not None:
            self.opt_host.hide()
            self.opt_host.deleteLater()
        self.opt_host = QWidget()
        self.opt_form = QFormLayout(self.opt_host)
        self.opt_form.setContentsMargins(0, 0, 0, 0)
        self.opt_box_layout.addWidget(self.opt_host)
        self.fields = {}
        for key, default in OPTIMIZERS[opt["name"]].items():
            value = opt.get(key, default)
            if isinstance(default, bool):
                w = QCheckBox()
                w.setChecked(bool(value))
                w.toggled.connect(lambda on, key=key: self._set_opt(key, on))
            elif isinstance(default, tuple):
                w = QLineEdit(f"{fmt(value[0])}, {fmt(value[1])}")
                w.editingFinished.connect(lambda key=key, w=w: self._set_betas(key, w))
            else:
                w = QLineEdit(fmt(value))
                w.editingFinished.connect(lambda key=key, w=w: self._set_number(key, w, optimizer=True))
            w.setObjectName(f"opt_{key}")
            w.setToolTip(OPTIMIZER_TIPS.get(key, key))
            self.fields[key] = w
            self.opt_form.addRow(key, w)

    # -- to the project ----------------------------------------------------------------------
    def _apply(self, training: dict, text: str) -> bool:
        try:
            project = self.doc.project.with_training(training)
        except SpecError as exc:
            self.error.setText(f"Not possible: {exc}")
            self.refresh()
            return False
        self.error.setText("")
        self.doc.apply(project, text)
        return True

    def _set(self, key, value) -> None:
        if self._loading:
            return
        t = copy.deepcopy(self.doc.project.training)
        if t.get(key) == value:
            return
        t[key] = value
        self._apply(t, f"Set {key}")

    def _set_opt(self, key, value) -> None:
        if self._loading:
            return
        t = copy.deepcopy(self.doc.project.training)
        if t["optimizer"].get(key) == value:
            return
        t["optimizer"][key] = value
        self._apply(t, "Set learning rate" if key == "lr" else f"Set {key}")

    def _set_optimizer(self, name: str) -> None:
        if self._loading:
            return
        t = copy.deepcopy(self.doc.project.training)
        t["optimizer"] = {"name": name, "lr": t["optimizer"]["lr"]}
        self._apply(t, f"Use {name}")

    def _set_number(self, key, edit, optional=False, optimizer=False) -> None:
        if self._loading:
            return
        text = edit.text().strip()
        if optional and text in ("", "off"):
            value = None
        else:
            value = parse_number(text)
            if value is None:
                self.error.setText(f"{key}: “{text}” is not a number")
                return
        if optimizer:
            self._set_opt(key, value)
        else:
            self._set(key, value)

    def _set_betas(self, key, edit) -> None:
        parts = [parse_number(p) for p in edit.text().split(",")]
        if len(parts) != 2 or None in parts:
            self.error.setText(f"{key}: enter two numbers, e.g. 0.9, 0.999")
            return
        self._set_opt(key, parts)

    def _batch_changed(self) -> None:
        if self._loading:
            return
        i = self.batch_mode.currentIndex()
        self._set("batch_size", None if i == 0 else 1 if i == 2 else self.batch_size.value())

    def _set_schedule(self) -> None:
        name = self.schedule.currentText()
        self._set("schedule", None if name == "none" else {"name": name})

    def _set_schedule_params(self) -> None:
        if self._loading or not self.doc.project.training["schedule"]:
            return
        sched = {"name": self.doc.project.training["schedule"]["name"]}
        for part in self.schedule_params.text().split(","):
            if not part.strip():
                continue
            key, _, value = part.partition("=")
            number = parse_number(value)
            if not key.strip() or number is None:
                self.error.setText(f"schedule: write settings as name=number, e.g. gamma=0.5 (got “{part.strip()}”)")
                return
            sched[key.strip()] = int(number) if key.strip() in ("step_size", "T_max") and number == int(number) \
                else number
        self._set("schedule", sched)

    def _set_early(self) -> None:
        v = self.early.value()
        self._set("early_stopping", None if v == 0 else {"patience": v})

    # -- state ----------------------------------------------------------------------------------
    def _state(self, state: str) -> None:
        running = state == RUNNING
        self.train_btn.setText("Pause" if running else "Train")
        for w in (self.step_btn, self.epoch_btn, self.walk_btn, self.optimizer, self.batch_mode,
                  self.batch_size, self.schedule, self.schedule_params, self.early, self.seed):
            w.setEnabled(not running)
        for key, w in self.fields.items():
            w.setEnabled(not running or key in LIVE_KEYS)
        if not running:
            self.batch_size.setEnabled(self.batch_mode.currentIndex() == 1)

    def _snapshot(self, snap) -> None:
        # Measured over training time only; single steps carry no rate and leave the last run's.
        if snap.steps_per_second:
            self.rate.setText(f"{snap.steps_per_second:,.0f} updates/s")
            self.rate.setToolTip("Updates per second while training ran (paused and idle time not counted)")
