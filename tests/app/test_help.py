"""Help for a first-time user: a welcome page on first launch, the Help menu, F1, the three ways in."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog

from backprop_viz.app.help_panel import ABOUT, LEGEND, SHORTCUTS, WELCOME
from backprop_viz.session.layout_geometry import BUILD, TRAIN, WALK

from .helpers import activate


def menu_titles(w):
    return [a.text().replace("&", "") for a in w.menuBar().actions()]


def test_welcome_on_first_launch_only_and_never_modal(qtbot, make_window):
    w = make_window("xor")
    assert w.docks["help"].isVisible() and w.help_panel.page == WELCOME
    assert w.help_panel.welcome.isVisible()
    assert not [d for d in QApplication.topLevelWidgets() if isinstance(d, QDialog) and d.isVisible()]
    assert not w.docks["help"].isFloating()
    w2 = make_window("xor")
    assert not w2.docks["help"].isVisible()


def test_the_three_ways_in(qtbot, make_window):
    w = make_window("xor")
    qtbot.mouseClick(w.help_panel.way_buttons[0], Qt.MouseButton.LeftButton)
    assert w.windowTitle().startswith("Worked example")
    assert w.workspace == WALK
    w.show_help(WELCOME)
    qtbot.mouseClick(w.help_panel.way_buttons[1], Qt.MouseButton.LeftButton)
    assert w.windowTitle().startswith("Deep sigmoid")
    assert w.workspace == TRAIN
    w.show_help(WELCOME)
    qtbot.mouseClick(w.help_panel.way_buttons[2], Qt.MouseButton.LeftButton)
    assert w.windowTitle().startswith("Your network")
    assert w.workspace == BUILD
    assert w.doc.project.network().n_inputs == 2


def test_help_menu_and_f1(qtbot, make_window):
    w = make_window("xor")
    w2 = make_window("xor")       # not a first launch: help is closed
    assert "Help" in menu_titles(w2)
    assert not w2.docks["help"].isVisible()
    activate(qtbot, w2)
    qtbot.keyClick(w2, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: w2.docks["help"].isVisible())
    assert "Getting started" in w2.help_panel.browser.toPlainText()
    assert w is not w2


def test_shortcuts_are_read_from_the_real_actions(qtbot, make_window):
    w = make_window("xor")
    w.act_shortcuts.trigger()
    text = w.help_panel.browser.toPlainText()
    assert w.help_panel.page == SHORTCUTS
    for act in (w.act_train, w.act_step, w.workspace_actions[WALK], w.act_reset_layout):
        key = act.shortcut().toString()
        assert key and key in text, key
    assert "Alt+Right" in text or "Alt+→" in text        # a stepper key, from the stepper's own action
    w.act_train.setShortcut("Ctrl+F12")
    w.act_shortcuts.trigger()
    assert "Ctrl+F12" in w.help_panel.browser.toPlainText()


def test_legend_and_about(qtbot, make_window):
    w = make_window("xor")
    w.act_legend.trigger()
    text = w.help_panel.browser.toPlainText()
    assert w.help_panel.page == LEGEND
    assert "∂E" in text and "blue" in text and "orange" in text and "wide" in text
    w.act_about.trigger()
    text = w.help_panel.browser.toPlainText()
    assert w.help_panel.page == ABOUT
    import backprop_viz
    assert backprop_viz.__version__ in text
    for name in ("numpy", "PySide6", "pyqtgraph", "CC BY 4.0", "LGPL"):
        assert name in text, name


def test_legends_can_be_shown_on_the_panels(qtbot, make_window):
    w = make_window("worked_example")
    w.set_workspace(WALK)
    qtbot.waitUntil(lambda: w.stepper_panel.graph.isVisible())
    canvas_legend, graph_legend = w.legends
    assert not canvas_legend.isVisible() and not graph_legend.isVisible()
    w.act_legends.trigger()
    assert canvas_legend.isVisible() and graph_legend.isVisible()
    assert "blue" in canvas_legend.text() and "∂E" in graph_legend.text()
    assert graph_legend.width() <= w.stepper_panel.graph.viewport().width()
    # A new document keeps the choice.
    w.new_project("xor")
    qtbot.waitUntil(lambda: [legend.isVisible() for legend in w.legends] == [True, True])
    w.act_legends.trigger()
    assert not any(legend.isVisible() for legend in w.legends)
