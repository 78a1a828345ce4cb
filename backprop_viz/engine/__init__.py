"""The NumPy backpropagation engine: NumPy and the standard library only.

Everything backprop-viz shows comes from here: the computational graph, its
values and gradients, traces for stepping through a pass, training records.
"""

from .errors import SpecError
from .files import load_network, save_network
from .gradcheck import gradient_check
from .network import Network
from .neuron_view import NeuronView, NeuronViewUnavailable, neuron_view
from .trace import Trace, trace
from .trainer import Trainer

__all__ = [
    "Network", "Trainer", "SpecError", "Trace", "trace", "NeuronView", "neuron_view",
    "NeuronViewUnavailable", "gradient_check", "load_network", "save_network",
]
