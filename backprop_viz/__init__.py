"""backprop-viz: see backpropagation work."""

__version__ = "0.1.0"
