"""Writing what the app shows to files: plots, drawings, derivations, runs.

Every writer goes through a temporary file and a rename, so a failed export
never leaves half a file behind.
"""

from __future__ import annotations

import os
import threading

from PySide6.QtCore import QBuffer, QIODevice, QMarginsF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QTransform
from PySide6.QtWidgets import QGraphicsItem, QStyle, QStyleOptionGraphicsItem
from PySide6.QtSvg import QSvgGenerator

from ..engine.files import write_atomic, write_bytes, write_text_atomic



def _png_bytes(image: QImage) -> bytes | None:
    buf = QBuffer()
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    return bytes(buf.data()) if image.save(buf, "PNG") else None


def _save_png(image: QImage, tmp: str, progress=None) -> bool:
    """Encoded in memory, then written by Python: QImage.save to a file on a
    full disk can report success for a truncated file. With ``progress``, a big image is
    encoded in a worker thread (a QImage may be read there) while the window answers."""
    if progress is None:
        data = _png_bytes(image)
    else:
        box: dict = {}
        worker = threading.Thread(target=lambda: box.update(data=_png_bytes(image)), name="png encoder")
        worker.start()
        while worker.is_alive():
            worker.join(0.03)
            if not progress(None, None):
                worker.join()
                raise ExportCancelled("cancelled")
        data = box.get("data")
    if data is None:
        return False
    write_bytes(tmp, data)
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


# A PNG bigger than this is drawn at a smaller scale: Qt cannot allocate or paint
# a raster image much past it, and no slide needs more.
MAX_IMAGE_SIDE = 16_000
MAX_IMAGE_PIXELS = 60_000_000
PAINT_IN_PARTS_ABOVE = 400  # scene items; a smaller drawing is painted in one go
SLICE_ITEMS = 100          # scene items painted between two looks at the event loop


class ExportCancelled(Exception):
    """The person pressed Cancel while a drawing was being written: nothing is published."""


MIN_READABLE_SCALE = 0.25  # below this a node's text is under 3 pixels high


def fitted_scale(rect: QRectF, scale: float) -> float:
    """``scale``, lowered if the image would pass the size limits; ValueError if the drawing
    would then be too small to read (SVG has no such limit)."""
    w, h = max(rect.width(), 1.0), max(rect.height(), 1.0)
    fitted = min(scale, MAX_IMAGE_SIDE / w, MAX_IMAGE_SIDE / h, (MAX_IMAGE_PIXELS / (w * h)) ** 0.5)
    if fitted < min(scale, MIN_READABLE_SCALE):
        raise ValueError(f"the drawing is {w:,.0f} × {h:,.0f} pixels; a PNG of at most {MAX_IMAGE_SIDE:,} pixels "
                         f"a side would show it at {fitted:.0%} of its size, too small to read. Export it as SVG "
                         "(any size, zoomable), or make it smaller first (fold time, fold wide layers)")
    return fitted


_UNSUPPORTED = (QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations
                | QGraphicsItem.GraphicsItemFlag.ItemClipsToShape
                | QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape)


def _paintable_one_by_one(item) -> bool:
    return not (item.flags() & _UNSUPPORTED) and item.graphicsEffect() is None and not item.isWidget()


def _render(scene, painter: QPainter, target: QRectF, rect: QRectF, progress=None) -> None:
    """``rect`` of the scene into ``target`` of the painter. With ``progress``, a big scene is
    painted item by item, bottom to top as Qt would, with ``progress(done, total)`` every
    SLICE_ITEMS items (the window answers in between; False cancels). Not in strips of the
    area: an item across a strip's edge would be drawn twice (twice into an SVG, too)."""
    items = scene.items(rect, Qt.ItemSelectionMode.IntersectsItemBoundingRect, Qt.SortOrder.AscendingOrder)
    if progress is None or len(items) <= PAINT_IN_PARTS_ABOVE or not all(_paintable_one_by_one(i) for i in items):
        # Keep the aspect ratio: a scale that differs by a hair between x and y sends every
        # pen and glyph down Qt's slow path (seconds instead of milliseconds on a long walk).
        scene.render(painter, target, rect, Qt.AspectRatioMode.KeepAspectRatio)
        return
    scale = min(target.width() / rect.width(), target.height() / rect.height())
    base = (QTransform.fromTranslate(-rect.left(), -rect.top())
            * QTransform.fromScale(scale, scale)
            * QTransform.fromTranslate(target.left(), target.top()) * painter.worldTransform())
    option = QStyleOptionGraphicsItem()
    total = -(-len(items) // SLICE_ITEMS)
    painter.save()
    painter.setClipRect(target)
    try:
        for i, item in enumerate(items):
            painter.save()
            painter.setWorldTransform(item.sceneTransform() * base)
            painter.setOpacity(item.effectiveOpacity())
            option.exposedRect = item.boundingRect()
            option.rect = item.boundingRect().toRect()
            option.state = QStyle.StateFlag.State_None
            item.paint(painter, option, None)
            painter.restore()
            if (i + 1) % SLICE_ITEMS == 0 and not progress((i + 1) // SLICE_ITEMS, total):
                raise ExportCancelled("cancelled")
    finally:
        painter.restore()
    progress(total, total)


def render_scene(scene, rect: QRectF, scale: float, background: QColor, progress=None) -> QImage | None:
    """The part ``rect`` of a scene as an image ``scale`` times its size (less if that would pass
    the size limits); None when Qt could not paint."""
    scale = fitted_scale(rect, scale)
    image = QImage(QSize(max(int(rect.width() * scale), 1), max(int(rect.height() * scale), 1)),
                   QImage.Format.Format_ARGB32_Premultiplied)   # the format Qt paints fastest
    if image.isNull():
        return None
    image.fill(background)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    try:
        _render(scene, painter, QRectF(0, 0, image.width(), image.height()), rect, progress)
    finally:
        ended = painter.end()
    return image if ended else None


def export_scene(scene, path: str, scale: float = 2.0, background=None, rect=None, progress=None) -> None:
    """A QGraphicsScene (network drawing, computational graph) as PNG or SVG. Drawn in strips;
    ``progress(done, total)`` is called between them and may return False to cancel
    (:class:`ExportCancelled`, nothing written)."""
    rect = rect or scene.itemsBoundingRect().marginsAdded(QMarginsF(20, 20, 20, 20))
    kind = os.path.splitext(path)[1].lower().lstrip(".")
    bg = background or QColor("white")
    if kind == "png":
        def write(tmp):
            image = render_scene(scene, rect, scale, bg, progress)
            return image is not None and _save_png(image, tmp, progress)
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
            try:
                painter.fillRect(QRectF(0, 0, rect.width(), rect.height()), bg)
                _render(scene, painter, QRectF(0, 0, rect.width(), rect.height()), rect, progress)
            finally:
                ended = painter.end()
            if not ended or buf.size() == 0:
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
    panel.graph.refresh()
    panel.graph.complete()      # every frame shows every node, in its state at that step
    # One frame size for the whole sequence: highlights must not change the crop.
    rect = panel.graph.scene().itemsBoundingRect().marginsAdded(QMarginsF(30, 30, 30, 30))
    paths = []
    total = len(st.steps) + 1
    for i in range(total):
        panel.graph.refresh()
        panel.graph.complete()
        path = os.path.join(folder, f"{stem}_{i:03d}.png")
        export_scene(panel.graph.scene(), path, scale, rect=rect)
        paths.append(path)
        if progress is not None and not progress(i + 1, total):
            break
        if not st.forward():
            break
    panel._update()
    return paths
