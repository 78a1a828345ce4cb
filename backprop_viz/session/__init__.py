"""The Qt-free session layer: project model, templates, training loop, stepper.

Imports the engine and the standard library only; the app drives it.
"""
