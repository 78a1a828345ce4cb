"""Turns editing requests from the canvas and inspector into undoable edits.

A change the engine would reject is refused with its reason (``refused``),
and the document is left as it was.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from ..engine import SpecError
from ..session import edits
from .document import Document


class Editor(QObject):
    refused = Signal(str, str)   # where ("layers[0].residual"), why
    accepted = Signal(str)
    notice = Signal(str)         # something the user should know about an accepted edit

    def __init__(self, doc: Document, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.locked_reason = None   # set while training runs: structure edits wait
        self.lesson_lock = None     # set by a lesson step that keeps the network as it is: no edit at all

    def _edit(self, text: str, fn, *args, structural=True) -> bool:
        reason = self.lesson_lock or (self.locked_reason if structural else None)
        if reason:
            self.refused.emit("", reason)
            return False
        try:
            spec = fn(self.doc.project.network_spec, *args)
            project = self.doc.project.with_network(spec)
        except SpecError as exc:
            self.refused.emit(exc.path, exc.detail)
            return False
        data_replaced = project.data != self.doc.project.data
        self.doc.apply(project, text)
        self.accepted.emit(text)
        if data_replaced:
            self.notice.emit("The data no longer fits the network, so placeholder data is used; "
                             "choose data in the Data panel (Undo brings the old data back).")
        return True

    # -- structure -------------------------------------------------------------------
    def add_neuron(self, layer: int) -> bool:
        return self._edit("Add neuron", edits.add_units, layer, 1)

    def remove_neuron(self, layer: int, unit: int) -> bool:
        return self._edit("Remove neuron", edits.remove_unit, layer, unit)

    def set_units(self, layer: int, units: int) -> bool:
        return self._edit("Change layer width", edits.set_units, layer, units)

    def insert_layer(self, index: int) -> bool:
        return self._edit("Insert layer", edits.insert_layer, index)

    def remove_layer(self, index: int) -> bool:
        return self._edit("Remove layer", edits.remove_layer, index)

    def set_layer_option(self, layer: int, key: str, value) -> bool:
        return self._edit(f"Set {key}", edits.set_layer_option, layer, key, value)

    def apply_to_hidden_layers(self, layer: int) -> bool:
        """One undoable edit: every hidden layer gets this layer's activation, initialiser,
        normalisation and dropout."""
        return self._edit("Apply to all hidden layers", edits.apply_to_hidden_layers, layer)

    def set_network_option(self, key: str, value) -> bool:
        # Regularisation may change while training runs (at the next update).
        return self._edit(f"Set {key}", edits.set_network_option, key, value,
                          structural=key not in ("l1", "l2"))

    # -- values ------------------------------------------------------------------------
    def set_value(self, name: str, index: tuple, value: float) -> bool:
        label = "bias" if name.endswith("bias") else "weight"
        return self._edit(f"Edit {label}", edits.set_parameter_element, name, index, value,
                          structural=False)

    def reinitialise(self) -> bool:
        return self._edit("Reset weights", edits.reinitialise)
