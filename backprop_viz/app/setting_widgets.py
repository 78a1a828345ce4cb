"""Spin boxes take their range and tooltip from the declared settings
(engine/fields.py), so a form never allows what the file format refuses."""

from __future__ import annotations

from ..engine.fields import SETTINGS


def declared(spin, key: str):
    setting = SETTINGS[key]
    cast = int if setting.kind == "int" else float
    spin.setRange(cast(setting.low), cast(setting.high))
    if not spin.toolTip():
        spin.setToolTip(setting.help)
    return spin
