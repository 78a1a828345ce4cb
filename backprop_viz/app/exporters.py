"""Writing what the app shows to files: plots, drawings, derivations, runs.

Every writer goes through a temporary file and a rename, so a failed export
never leaves half a file behind.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QBuffer, QIODevice, QMarginsF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPainter
from PySide6.QtSvg import QSvgGenerator

from ..engine.files import write_atomic, write_bytes, write_text_atomic



def _save_png(image: QImage, tmp: str) -> bool:
    """Encoded in memory, then written by Python: QImage.save to a file on a
    full disk can report success for a truncated file."""
    buf = QBuffer()
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buf, "PNG"):
        return False
    write_bytes(tmp, bytes(buf.data()))
    return True


def export_plot(plot_item, path: str, width: int = 1200, height: int = 800) -> None:
    """A pyqtgraph plot as PNG (width × height pixels), SVG or CSV (by the file's extension)."""
    import pyqtgraph.exporters as ex
    kind = os.path.splitext(path)[1].lower().lstrip(".")
    if kind == "png":
        def write(tmp):
            # pyqtgraph keeps the on-screen aspect ratio, so the plot is laid out at
            # half the requested size for the moment of the export (text at 2× resolution).
            view = plot_item.getViewWidget()
            old = view.size() if view is not None else None
            if view is not None:
                view.resize(max(width // 2, 50), max(height // 2, 50))
                plot_item.setGeometry(QRectF(0, 0, max(width // 2, 50), max(height // 2, 50)))
            try:
                exporter = ex.ImageExporter(plot_item)
                exporter.parameters()["width"] = width
                exporter.parameters()["antialias"] = True
                image = exporter.export(toBytes=True)
                if image.height() != height:
                    image = image.scaled(width, height)
                return _save_png(image, tmp)
            finally:
                if view is not None:
                    view.resize(old)
        write_atomic(path, write)
    elif kind == "svg":
        write_atomic(path, lambda tmp: _plot_svg(plot_item, tmp))
    elif kind == "csv":
        write_atomic(path, lambda tmp: ex.CSVExporter(plot_item).export(tmp))
    else:
        raise ValueError(f"{os.path.basename(path)}: choose .png, .svg or .csv")


def _plot_svg(plot_item, tmp: str) -> bool:
    """The plot drawn by Qt's own SVG generator (pyqtgraph's SVGExporter fails on PySide6 ≥ 6.11);
    False when Qt could not paint or write it, so nothing is published."""
    scene = plot_item.scene()
    if scene is None:
        raise ValueError("the plot is not shown, so there is nothing to draw")
    rect = plot_item.sceneBoundingRect()
    if rect.width() < 1 or rect.height() < 1:
        raise ValueError("the plot has no size yet")
    view = plot_item.getViewWidget()
    background = view.backgroundBrush() if view is not None else QBrush(QColor("white"))
    gen = QSvgGenerator()
    gen.setFileName(tmp)
    gen.setSize(QSize(int(rect.width()), int(rect.height())))
    gen.setViewBox(QRectF(0, 0, rect.width(), rect.height()))
    gen.setTitle("backprop-viz")
    if view is not None:
        # The screen's resolution: pyqtgraph's axes are recorded pictures, which Qt
        # rescales by the ratio of resolutions when they are played back.
        gen.setResolution(view.logicalDpiX())
    # Items told they are being exported draw for a file, not the screen: scatter
    # symbols as shapes rather than fragments of a cached image (which Qt's SVG
    # writer cannot crop). Thick pens make pyqtgraph draw a curve as separate
    # segments; in an SVG each curve should be one <path> an editor can restyle.
    import pyqtgraph as pg
    items = [plot_item] + [item for item in scene.items() if plot_item.isAncestorOf(item)]
    curves = [item for item in items if isinstance(item, pg.PlotCurveItem)]
    modes = [curve.opts["segmentedLineMode"] for curve in curves]
    options = {"antialias": True, "background": background.color()}
    painter = QPainter()
    try:
        for item in items:
            if hasattr(item, "setExportMode"):
                item.setExportMode(True, options)
        for curve in curves:
            curve.setSegmentedLineMode("off")
        if not painter.begin(gen):
            return False
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.fillRect(QRectF(0, 0, rect.width(), rect.height()), background)
            scene.render(painter, QRectF(0, 0, rect.width(), rect.height()), rect)
        finally:
            ended = painter.end()
    finally:
        for curve, mode in zip(curves, modes):
            curve.setSegmentedLineMode(mode)
        for item in items:
            if hasattr(item, "setExportMode"):
                item.setExportMode(False)
    return ended and os.path.getsize(tmp) > 0


def render_scene(scene, rect: QRectF, scale: float, background: QColor) -> QImage | None:
    """The part ``rect`` of a scene as an image ``scale`` times its size; None when Qt could not paint."""
    image = QImage(QSize(int(rect.width() * scale), int(rect.height() * scale)), QImage.Format.Format_ARGB32)
    image.fill(background)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    scene.render(painter, QRectF(0, 0, image.width(), image.height()), rect)
    return image if painter.end() else None


def export_scene(scene, path: str, scale: float = 2.0, background=None, rect=None) -> None:
    """A QGraphicsScene (network drawing, computational graph) as PNG or SVG."""
    rect = rect or scene.itemsBoundingRect().marginsAdded(QMarginsF(20, 20, 20, 20))
    kind = os.path.splitext(path)[1].lower().lstrip(".")
    bg = background or QColor("white")
    if kind == "png":
        def write(tmp):
            image = render_scene(scene, rect, scale, bg)
            return image is not None and _save_png(image, tmp)
        write_atomic(path, write)
    elif kind == "svg":
        def write(tmp):
            # Into memory first: QSvgGenerator reports no write errors, a full
            # disk would leave an empty or truncated file that looked fine.
            buf = QBuffer()
            buf.open(QIODevice.OpenModeFlag.WriteOnly)
            gen = QSvgGenerator()
            gen.setOutputDevice(buf)
            gen.setSize(QSize(int(rect.width()), int(rect.height())))
            gen.setViewBox(QRectF(0, 0, rect.width(), rect.height()))
            gen.setTitle("backprop-viz")
            painter = QPainter(gen)
            painter.fillRect(QRectF(0, 0, rect.width(), rect.height()), bg)
            scene.render(painter, QRectF(0, 0, rect.width(), rect.height()), rect,
                         Qt.AspectRatioMode.KeepAspectRatio)
            if not painter.end() or buf.size() == 0:
                return False
            write_bytes(tmp, bytes(buf.data()))
        write_atomic(path, write)
    else:
        raise ValueError(f"{os.path.basename(path)}: choose .png or .svg")


def export_text(path: str, text: str) -> None:
    write_text_atomic(path, text)


def export_step_sequence(panel, folder: str, stem: str = "step", scale: float = 1.5, progress=None) -> list[str]:
    """The graph view walking the whole pass: one numbered PNG per step (step_000.png …)."""
    os.makedirs(folder, exist_ok=True)
    st = panel.stepper
    st.restart()
    # One frame size for the whole sequence: highlights must not change the crop.
    rect = panel.graph.scene().itemsBoundingRect().marginsAdded(QMarginsF(30, 30, 30, 30))
    paths = []
    total = len(st.steps) + 1
    for i in range(total):
        panel.graph.refresh()
        path = os.path.join(folder, f"{stem}_{i:03d}.png")
        export_scene(panel.graph.scene(), path, scale, rect=rect)
        paths.append(path)
        if progress is not None and not progress(i + 1, total):
            break
        if not st.forward():
            break
    panel._update()
    return paths
