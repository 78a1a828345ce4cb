"""The Export menu: every view the app shows, to files a teacher can use the same day."""

from __future__ import annotations

import os

from PySide6.QtWidgets import QApplication, QMenu, QProgressDialog

from . import dialogs

FILTERS = {
    "plot": "PNG image (*.png);;SVG drawing (*.svg);;CSV data (*.csv)",
    "scene": "PNG image (*.png);;SVG drawing (*.svg)",
    "derivation": "Markdown (*.md);;LaTeX fragment (*.tex);;CSV (*.csv)",
    "history": "CSV (*.csv);;JSON with everything to reproduce the run (*.json)",
    "torch": "Python script (*.py)",
    "gif": "Animated GIF (*.gif)",
}


def plots_of(window) -> dict:
    """Name → pyqtgraph PlotItem of every plot the app draws."""
    p = window.plots
    return {"loss": p.loss_plot.getPlotItem(), "accuracy": p.acc_plot.getPlotItem(),
            "gradient_norms": p.norm_plot.getPlotItem(), "gradient_heatmap": p.heat_plot.getPlotItem(),
            "gradient_histograms": p.hist_plot.getPlotItem(), "activation_derivative": p.deriv_plot.getPlotItem(),
            "gradient_through_time": p.time_plot.getPlotItem(),
            "decision_boundary": window.data_panel.plot.getPlotItem()}


class ExportActions:
    def __init__(self, window):
        self.w = window

    def build_menu(self, parent_menu: QMenu) -> QMenu:
        m = parent_menu.addMenu("E&xport")
        m.addAction("Network drawing (PNG, SVG)…", self.network_drawing)
        m.addAction("Computational graph (PNG, SVG)…", self.graph)
        plots = m.addMenu("Plot (PNG, SVG, CSV)")
        for name in plots_of(self.w):
            plots.addAction(name.replace("_", " ").capitalize() + "…", lambda _=False, n=name: self.plot(n))
        m.addAction("Derivation of the traced sample (Markdown, LaTeX, CSV)…", self.derivation)
        m.addAction("Training history (CSV, JSON)…", self.history)
        m.addAction("Step-through as numbered PNGs…", self.step_sequence)
        m.addAction("Walk as animated GIF…", self.walk_gif)
        m.addSeparator()
        m.addAction("Network file…", self.w.export_network)
        m.addAction("PyTorch training script…", self.torch)
        return m

    # -- helpers ---------------------------------------------------------------------------
    def _path(self, title, filter_key, suggested):
        folder = self.w.settings.value("export_folder", self.w._last_folder(), type=str)
        path = dialogs.save_path(self.w, title, os.path.join(folder, suggested), FILTERS[filter_key])
        if path:
            self.w.settings.setValue("export_folder", os.path.dirname(os.path.abspath(path)))
        return path

    def _run(self, path, fn) -> bool:
        try:
            fn(path)
        except (OSError, ValueError) as exc:
            dialogs.error(self.w, "Export failed", f"{path} could not be written: {getattr(exc, 'strerror', None) or exc}")
            return False
        self.w.statusBar().showMessage(f"Exported {path}", 5000)
        return True

    @staticmethod
    def _ext(path, allowed, default):
        ext = os.path.splitext(path)[1].lower().lstrip(".")
        return path if ext in allowed else f"{path}.{default}"

    # -- actions -----------------------------------------------------------------------------
    def network_drawing(self, path=None) -> bool:
        from .exporters import export_scene
        path = path or self._path("Export network drawing", "scene", "network.png")
        if not path:
            return False
        path = self._ext(path, ("png", "svg"), "png")
        return self._run(path, lambda p: export_scene(self.w.canvas.scene(), p))

    def graph(self, path=None) -> bool:
        from .exporters import export_scene
        path = path or self._path("Export computational graph", "scene", "graph.png")
        if not path:
            return False
        path = self._ext(path, ("png", "svg"), "png")
        return self._run(path, lambda p: export_scene(self.w.stepper_panel.graph.scene(), p))

    def plot(self, name, path=None, size=None) -> bool:
        from ..session.exports import heatmap_csv
        from .exporters import export_plot, export_text
        asked = path is None
        path = path or self._path(f"Export {name.replace('_', ' ')}", "plot", f"{name}.png")
        if not path:
            return False
        path = self._ext(path, ("png", "svg", "csv"), "png")
        self.w.plots.draw_all()      # hidden tabs are drawn only when shown: bring them up to date
        if path.lower().endswith(".png"):
            if size is None and asked:
                size = dialogs.png_size(self.w)
                if size is None:
                    return False
            size = size or (1200, 800)
            return self._run(path, lambda p: export_plot(plots_of(self.w)[name], p, *size))
        if name == "gradient_heatmap" and path.lower().endswith(".csv"):
            return self._run(path, lambda p: export_text(p, heatmap_csv(self.w.training.history)))
        return self._run(path, lambda p: export_plot(plots_of(self.w)[name], p))

    def derivation(self, path=None) -> bool:
        from ..engine.derivation import csv_rows, latex, markdown
        from .exporters import export_text
        panel = self.w.stepper_panel
        # Never a walk of a network that is no longer there: re-traced first if out of date.
        st = panel.current_stepper()
        if st is None:
            dialogs.error(self.w, "Nothing to export", "The walk could not be made for the current "
                          f"project: {panel.sample_error.text() or 'see the stepper'}")
            return False
        about = panel.walk_about()
        path = path or self._path("Export derivation", "derivation", "derivation.md")
        if not path:
            return False
        path = self._ext(path, ("md", "tex", "csv"), "md")
        digits = self.w.doc.project.view.get("digits", 9)
        ext = os.path.splitext(path)[1].lower()
        text = {".md": lambda: markdown(st.trace, digits, about=about),
                ".tex": lambda: latex(st.trace, digits, about=about),
                ".csv": lambda: csv_rows(st.trace, digits, about=about)}[ext]()
        return self._run(path, lambda p: export_text(p, text))

    def history(self, path=None) -> bool:
        from ..session.exports import history_csv, run_json
        from .exporters import export_text
        path = path or self._path("Export training history", "history", "history.csv")
        if not path:
            return False
        path = self._ext(path, ("csv", "json"), "csv")
        t = self.w.training
        if path.lower().endswith(".json"):
            text = run_json(self.w.doc.project, t.history, t.steps, t.epoch)
        else:
            text = history_csv(t.history)
        return self._run(path, lambda p: export_text(p, text))

    def torch(self, path=None) -> bool:
        """train.py and its data and weights, in the folder the chosen file is in."""
        from ..session.torch_script import SCRIPT, write_torch_export
        path = path or self._path("Export PyTorch training script (its data is written beside it)", "torch",
                                  SCRIPT)
        if not path:
            return False
        folder = os.path.dirname(os.path.abspath(path))
        return self._run(os.path.join(folder, SCRIPT), lambda p: write_torch_export(self.w.doc.project, folder))

    def step_sequence(self, folder=None) -> bool:
        from .exporters import export_step_sequence
        if folder is None:
            path = self._path("Export step-through (choose the first file's name)", "scene", "step_000.png")
            if not path:
                return False
            folder = os.path.dirname(path)
        panel = self.w.stepper_panel
        if panel.stepper is None:
            return False
        total = len(panel.stepper.steps) + 1
        dialog = QProgressDialog("Writing the step-through…", "Cancel", 0, total, self.w)
        dialog.setMinimumDuration(400)

        def progress(done, total):
            dialog.setValue(done)
            QApplication.processEvents()    # the window stays responsive between frames
            return not dialog.wasCanceled()
        try:
            paths = export_step_sequence(panel, folder, progress=progress)
        except OSError as exc:
            dialogs.error(self.w, "Export failed", f"{folder}: {exc.strerror or exc}")
            return False
        finally:
            dialog.close()
        self.w.statusBar().showMessage(f"Wrote {len(paths)} images to {folder}", 5000)
        return True

    def walk_gif(self, path=None) -> bool:
        """The walk, one captioned frame per step, as an animated GIF; the captions are kept
        in ``last_gif_captions`` for whoever wants to check them."""
        from .walk_animation import export_walk_gif
        panel = self.w.stepper_panel
        if panel.current_stepper() is None:
            dialogs.error(self.w, "Nothing to export", "The walk could not be made for the current "
                          f"project: {panel.sample_error.text() or 'see the stepper'}")
            return False
        path = path or self._path("Export the walk as an animated GIF", "gif", "walk.gif")
        if not path:
            return False
        path = self._ext(path, ("gif",), "gif")
        total = len(panel.stepper.steps) + 1
        dialog = QProgressDialog("Drawing the walk's frames…", "Cancel", 0, total, self.w)
        dialog.setMinimumDuration(400)

        def progress(done, total):
            dialog.setValue(done)
            QApplication.processEvents()    # the window stays responsive between frames
            return not dialog.wasCanceled()
        digits = self.w.doc.project.view.get("digits", 9)
        try:
            captions = export_walk_gif(panel, path, digits=digits, progress=progress)
        except (OSError, ValueError) as exc:
            dialogs.error(self.w, "Export failed", f"{path} could not be written: {getattr(exc, 'strerror', None) or exc}")
            return False
        finally:
            dialog.close()
        if not captions:
            self.w.statusBar().showMessage("Animated GIF cancelled; nothing written", 5000)
            return False
        self.last_gif_captions = captions
        self.w.statusBar().showMessage(f"Exported {path} ({len(captions)} frames)", 5000)
        return True
