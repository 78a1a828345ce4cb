"""The Export menu: every view the app shows, to files a teacher can use the same day."""

from __future__ import annotations

import copy
import os

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMenu, QProgressDialog

from . import dialogs
from .background import Cancelled, run_busy
from .mp4_writer import mp4_available

FILTERS = {
    "plot": "PNG image (*.png);;SVG drawing (*.svg);;CSV data (*.csv)",
    "scene": "PNG image (*.png);;SVG drawing (*.svg)",
    "derivation": "Markdown (*.md);;LaTeX fragment (*.tex);;CSV (*.csv)",
    "history": "CSV (*.csv);;JSON with everything to reproduce the run (*.json)",
    "torch": "Python script (*.py)",
    "gif": "Animated GIF (*.gif)",
    "mp4": "MP4 video (*.mp4)",
}


# A training-run animation: this many updates from the project as it is, in this many frames.
RUN_UPDATES, RUN_FRAMES = 300, 30


PLOT_NAMES = ("loss", "accuracy", "gradient_norms", "gradient_heatmap", "gradient_histograms",
              "activation_derivative", "gradient_through_time", "decision_boundary")


def plots_of(window) -> dict:
    """Name → pyqtgraph PlotItem of every plot the app draws (in the order of PLOT_NAMES)."""
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
        # The names only: the plots themselves are built when the Train workspace is first shown.
        for name in PLOT_NAMES:
            plots.addAction(name.replace("_", " ").capitalize() + "…", lambda _=False, n=name: self.plot(n))
        m.addAction("Derivation of the traced sample (Markdown, LaTeX, CSV)…", self.derivation)
        m.addAction("Training history (CSV, JSON)…", self.history)
        m.addAction("Step-through as numbered PNGs…", self.step_sequence)
        m.addAction("Walk as animated GIF…", self.walk_gif)
        # Only where an encoder is installed (the optional "video" extra).
        self._act_walk_mp4 = m.addAction("Walk as MP4 video…", self.walk_mp4)
        self._mp4_checked = False
        m.aboutToShow.connect(lambda: self.act_walk_mp4)
        m.addAction("Training run as animated GIF…", self.run_gif)
        m.addSeparator()
        m.addAction("Network file…", self.w.export_network)
        m.addAction("PyTorch training script…", self.torch)
        return m

    @property
    def act_walk_mp4(self):
        """The MP4 entry, shown only where an encoder is installed. Looked for when the menu first
        opens, not with the first window: loading the encoder library takes a tenth of a second."""
        if not self._mp4_checked:
            self._mp4_checked = True
            self._act_walk_mp4.setVisible(mp4_available())
        return self._act_walk_mp4

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

    def _busy(self, text: str, path: str, fn) -> bool:
        """``fn()`` (text made and written, nothing of Qt) off the GUI thread with a busy dialog:
        a big net's derivation or a long run's history takes seconds."""
        try:
            run_busy(self.w, text, fn)
        except Cancelled:
            self.w.statusBar().showMessage("Export cancelled; nothing written", 5000)
            return False
        except (OSError, ValueError) as exc:
            dialogs.error(self.w, "Export failed", f"{path} could not be written: {getattr(exc, 'strerror', None) or exc}")
            return False
        self.w.statusBar().showMessage(f"Exported {path}", 5000)
        return True

    def _scene(self, scene, path: str) -> bool:
        """A drawing must be painted on the GUI thread: a big one is painted in parts under a
        progress dialog (modal at once, so nothing changes the scene meanwhile; Cancel works)."""
        from .exporters import PAINT_IN_PARTS_ABOVE, ExportCancelled, export_scene
        if len(scene.items()) <= PAINT_IN_PARTS_ABOVE:
            return self._run(path, lambda p: export_scene(scene, p))
        self.w.stepper_panel.play_timer.stop()
        dialog = QProgressDialog(f"Drawing {os.path.basename(path)}…", "Cancel", 0, 0, self.w)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoReset(False)      # drawn is not done: the PNG is encoded after
        dialog.setAutoClose(False)
        dialog.show()
        QApplication.processEvents()    # shown before the first part is painted

        def progress(done, total):
            if done is None:      # the image is being encoded: the drawing is done
                dialog.setLabelText(f"Writing {os.path.basename(path)}…")
            else:
                dialog.setMaximum(total)
                dialog.setValue(done)
            QApplication.processEvents()
            return not dialog.wasCanceled()
        try:
            return self._run(path, lambda p: export_scene(scene, p, progress=progress))
        except ExportCancelled:
            self.w.statusBar().showMessage("Export cancelled; nothing written", 5000)
            return False
        except RuntimeError:
            # An item went away while it was being drawn (the scene was rebuilt): nothing is published.
            dialogs.error(self.w, "Export failed", f"{path}: the drawing changed while it was being written; "
                          "please export it again")
            return False
        finally:
            dialog.close()
            dialog.deleteLater()

    @staticmethod
    def _ext(path, allowed, default):
        ext = os.path.splitext(path)[1].lower().lstrip(".")
        return path if ext in allowed else f"{path}.{default}"

    # -- actions -----------------------------------------------------------------------------
    def network_drawing(self, path=None) -> bool:
        path = path or self._path("Export network drawing", "scene", "network.png")
        if not path:
            return False
        path = self._ext(path, ("png", "svg"), "png")
        return self._scene(self.w.canvas.scene(), path)

    def graph(self, path=None) -> bool:
        path = path or self._path("Export computational graph", "scene", "graph.png")
        if not path:
            return False
        path = self._ext(path, ("png", "svg"), "png")
        graph = self.w.stepper_panel.graph
        graph.complete()        # a long walk's graph may still be being built: all of it is drawn
        return self._scene(graph.scene(), path)

    def plot(self, name, path=None, size=None) -> bool:
        from ..session.exports import heatmap_csv
        from .exporters import export_plot, export_text
        asked = path is None
        path = path or self._path(f"Export {name.replace('_', ' ')}", "plot", f"{name}.png")
        if not path:
            return False
        path = self._ext(path, ("png", "svg", "csv"), "png")
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
        make = {".md": markdown, ".tex": latex, ".csv": csv_rows}[ext]
        # The trace is only read: the walk moving meanwhile changes the stepper's position, not it.
        return self._busy("Writing the derivation…", path,
                          lambda: export_text(path, make(st.trace, digits, about=about)))

    def history(self, path=None) -> bool:
        from ..session.exports import history_csv, run_json
        from .exporters import export_text
        path = path or self._path("Export training history", "history", "history.csv")
        if not path:
            return False
        path = self._ext(path, ("csv", "json"), "csv")
        t = self.w.training
        if path.lower().endswith(".json"):
            project, history, steps, epoch = self.w.doc.project, copy.deepcopy(t.history), t.steps, t.epoch
            return self._busy("Writing the run…", path,
                              lambda: export_text(path, run_json(project, history, steps, epoch)))
        history = copy.deepcopy(t.history)
        return self._busy("Writing the training history…", path, lambda: export_text(path, history_csv(history)))

    def torch(self, path=None) -> bool:
        """train.py and its data and weights, in the folder the chosen file is in."""
        from ..session.torch_script import SCRIPT, write_torch_export
        path = path or self._path("Export PyTorch training script (its data is written beside it)", "torch",
                                  SCRIPT)
        if not path:
            return False
        folder = os.path.dirname(os.path.abspath(path))
        project = self.w.doc.project
        return self._busy("Writing the PyTorch script and its data…", os.path.join(folder, SCRIPT),
                          lambda: write_torch_export(project, folder))

    def _frames_progress(self, text: str, total: int):
        """A progress dialog with Cancel for work done frame by frame on the GUI thread, and the
        callback that moves it (False once cancelled)."""
        dialog = QProgressDialog(text, "Cancel", 0, total, self.w)
        dialog.setMinimumDuration(400)

        def progress(done, _total):
            dialog.setValue(done)
            QApplication.processEvents()    # the window stays responsive between frames
            return not dialog.wasCanceled()
        return dialog, progress

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
        dialog, progress = self._frames_progress("Writing the step-through…", total)
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
        return self._walk_animation(path, "gif")

    def walk_mp4(self, path=None) -> bool:
        """The walk as an MP4 video, the same frames and timing as the GIF."""
        return self._walk_animation(path, "mp4")

    def run_gif(self, path=None, updates: int = RUN_UPDATES) -> bool:
        """The training run from the project as it is, replayed: loss curve and decision boundary
        per frame, as an animated GIF; the frame titles are kept in ``last_run_titles``."""
        from .run_animation import export_run_gif
        path = path or self._path("Export a training run as an animated GIF", "gif", "training-run.gif")
        if not path:
            return False
        path = self._ext(path, ("gif",), "gif")
        dialog, progress = self._frames_progress("Replaying the run and drawing its frames…", RUN_FRAMES)
        try:
            titles = export_run_gif(self.w.doc.project, path, updates, RUN_FRAMES, progress=progress)
        except (OSError, ValueError) as exc:
            dialogs.error(self.w, "Export failed", f"{path} could not be written: {getattr(exc, 'strerror', None) or exc}")
            return False
        finally:
            dialog.close()
        if not titles:
            self.w.statusBar().showMessage("Training-run GIF cancelled; nothing written", 5000)
            return False
        self.last_run_titles = titles
        self.w.statusBar().showMessage(f"Exported {path} ({len(titles)} frames, {updates} updates)", 5000)
        return True

    def _walk_animation(self, path, kind: str) -> bool:
        from .walk_animation import export_walk_gif, export_walk_mp4
        panel = self.w.stepper_panel
        if panel.current_stepper() is None:
            dialogs.error(self.w, "Nothing to export", "The walk could not be made for the current "
                          f"project: {panel.sample_error.text() or 'see the stepper'}")
            return False
        what = "an animated GIF" if kind == "gif" else "an MP4 video"
        path = path or self._path(f"Export the walk as {what}", kind, f"walk.{kind}")
        if not path:
            return False
        path = self._ext(path, (kind,), kind)
        total = len(panel.stepper.steps) + 1
        dialog, progress = self._frames_progress("Drawing the walk's frames…", total)
        digits = self.w.doc.project.view.get("digits", 9)
        try:
            export = export_walk_gif if kind == "gif" else export_walk_mp4
            captions = export(panel, path, digits=digits, progress=progress)
        except (OSError, ValueError) as exc:
            dialogs.error(self.w, "Export failed", f"{path} could not be written: {getattr(exc, 'strerror', None) or exc}")
            return False
        finally:
            dialog.close()
        if not captions:
            self.w.statusBar().showMessage(f"{'Animated GIF' if kind == 'gif' else 'MP4 video'} cancelled; "
                                           "nothing written", 5000)
            return False
        self.last_gif_captions = captions
        self.w.statusBar().showMessage(f"Exported {path} ({len(captions)} frames)", 5000)
        return True
