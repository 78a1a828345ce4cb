"""Workspaces, layouts that fit any screen, and saved layouts that are checked before use."""

from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray, Qt
from PySide6.QtWidgets import QApplication

from backprop_viz.app.window_layout import LAYOUT_VERSION
from backprop_viz.session.layout_geometry import BUILD, TRAIN, WALK, WORKSPACES
from backprop_viz.session.templates import TEMPLATES, open_template

from .helpers import activate
from .layout_checks import cut_off_texts, graph_share, side_panels_scrolling_sideways

SIZES = [(1280, 800), (1366, 768), (1920, 1080), (2560, 1440)]
SHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"


def settle(qtbot, w, workspace):
    w.set_workspace(workspace)
    # The layout is final once the deferred sizing has run and the docks have their sizes.
    qtbot.waitUntil(lambda: w.workspace == workspace and w.centralWidget().width() > 0, timeout=3000)
    for _ in range(3):
        QApplication.processEvents()


@pytest.mark.parametrize("size", SIZES, ids=[f"{a}x{b}" for a, b in SIZES])
def test_every_template_fits_every_workspace(qtbot, make_window, size):
    w = make_window("worked_example")
    w.resize(*size)
    problems = []
    for t in TEMPLATES:
        w.replace_document(open_template(t.key), None)
        for ws in WORKSPACES:
            settle(qtbot, w, ws)
            for tab in ("inspector", "training", "help"):
                if not w.docks[tab].isVisible():
                    continue
                w.docks[tab].raise_()
                QApplication.processEvents()
                where = f"{t.key} {ws} {tab} {size[0]}x{size[1]}"
                problems += [f"{where}: {p}" for p in cut_off_texts(w) + side_panels_scrolling_sideways(w)]
            where = f"{t.key} {ws} {size[0]}x{size[1]}"
            if t.key in ("worked_example", "deep_sigmoid"):
                # To look at: every workspace at every size (out/ is not committed).
                SHOTS.mkdir(parents=True, exist_ok=True)
                assert w.grab().save(str(SHOTS / f"layout_{t.key}_{ws}_{size[0]}x{size[1]}.png"))
            if ws == WALK:
                share = graph_share(w)
                if share < 1 / 3:
                    problems.append(f"{where}: the graph has {share:.0%} of the window")
    assert not problems, "\n".join(problems)


def test_the_checks_see_cut_off_text_and_sideways_scrolling(qtbot, make_window):
    w = make_window("worked_example")
    settle(qtbot, w, TRAIN)
    w.docks["training"].raise_()
    QApplication.processEvents()
    assert not cut_off_texts(w)
    w.training_panel.epoch_btn.setFixedWidth(40)
    qtbot.waitUntil(lambda: w.training_panel.epoch_btn.width() == 40)
    assert any("Step epoch" in p for p in cut_off_texts(w))
    w.training_panel.setMinimumWidth(3000)
    QApplication.processEvents()
    assert any(p.startswith("training") for p in side_panels_scrolling_sideways(w)) or \
        w.docks["training"].width() >= 3000


def test_workspaces_by_toolbar_and_shortcut(qtbot, make_window):
    w = make_window("worked_example")
    w.resize(1280, 800)
    buttons = {a.text().replace("&", ""): w.workspace_toolbar.widgetForAction(a)
               for a in w.workspace_actions.values()}
    qtbot.mouseClick(buttons["Walk"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.docks["stepper"].isVisible())
    assert not w.docks["plots"].isVisible() and w.workspace_actions[WALK].isChecked()
    activate(qtbot, w)
    qtbot.keyClick(w, "3", Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: w.docks["plots"].isVisible())
    assert not w.docks["stepper"].isVisible() and w.workspace == TRAIN
    qtbot.keyClick(w, "1", Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: w.workspace == BUILD)
    assert w.docks["inspector"].isVisible() or w.docks["training"].isVisible()
    assert not w.docks["plots"].isVisible() and not w.docks["stepper"].isVisible()


def test_walk_the_next_update_opens_the_walk_workspace(qtbot, make_window):
    w = make_window("xor")
    w.set_workspace(TRAIN)
    qtbot.mouseClick(w.training_panel.walk_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.docks["stepper"].isVisible())
    assert w.workspace == WALK


def test_reset_layout_restores_the_default(qtbot, make_window):
    w = make_window("xor")
    w.resize(1280, 800)
    settle(qtbot, w, WALK)
    default = (w.docks["stepper"].height(), w.centralWidget().height())
    w.docks["stepper"].setFloating(True)
    w.resizeDocks([w.docks["stepper"]], [100], Qt.Orientation.Vertical)
    w.docks["plots"].show()
    w.act_reset_layout.trigger()
    qtbot.waitUntil(lambda: not w.docks["stepper"].isFloating())
    for _ in range(3):
        QApplication.processEvents()
    assert not w.docks["plots"].isVisible()
    assert abs(w.docks["stepper"].height() - default[0]) <= 2
    assert graph_share(w) >= 1 / 3


def _saved_then_reopened(qtbot, make_window, tamper):
    w = make_window("xor")
    w.docks["inspector"].hide()
    # The offscreen screen is 800×800 and a saved layout must fit it: a narrower window.
    w.docks["data"].hide()
    qtbot.waitUntil(lambda: (w.resize(760, 700), w.width() == 760)[1])
    w.save_layout()
    tamper(w.settings)
    w.settings.sync()
    return make_window("xor")


@pytest.mark.parametrize("tamper", [
    lambda s: s.setValue("state", QByteArray(b"\x00\x00\x00\xff garbage")),
    lambda s: s.setValue("state", QByteArray(bytes(s.value("state")).replace(
        "dock_stepper".encode("utf-16-be"), "dock_foreign".encode("utf-16-be")))),
    lambda s: s.setValue("geometry", "not a geometry"),
    lambda s: s.setValue("layout/window", "0,0,5000,3000"),
    lambda s: s.setValue("layout/window", "lots"),
    lambda s: s.setValue("layout/version", LAYOUT_VERSION - 1),
    lambda s: s.setValue("layout/workspace", "cinema"),
], ids=["broken state", "foreign panel", "broken geometry", "larger than the screen", "unreadable size",
        "older version", "unknown workspace"])
def test_a_broken_or_foreign_saved_layout_is_ignored(qtbot, make_window, tamper):
    w2 = _saved_then_reopened(qtbot, make_window, tamper)
    # The default Build layout: every panel docked, the inspector there again.
    assert not w2.docks["inspector"].isHidden()
    assert not any(d.isFloating() for d in w2.docks.values())
    assert w2.workspace == BUILD


def test_a_good_saved_layout_is_restored(qtbot, make_window):
    w2 = _saved_then_reopened(qtbot, make_window, lambda s: None)
    assert w2.docks["inspector"].isHidden()


def test_a_template_opens_with_its_own_title(qtbot, make_window):
    w = make_window("deep_sigmoid")
    assert w.windowTitle().startswith("Deep sigmoid (vanishing gradients)")
    w.new_project("xor")
    assert w.windowTitle().startswith("XOR")


def test_a_stepper_key_in_another_workspace_opens_the_walk(qtbot, make_window):
    w = make_window("worked_example")
    w.set_workspace(BUILD)
    assert not w.docks["stepper"].isVisible()
    activate(qtbot, w)
    w.canvas.setFocus()
    qtbot.keyClick(w.canvas, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: w.docks["stepper"].isVisible())
    assert w.workspace == WALK
    assert w.stepper_panel.stepper.position == 0
