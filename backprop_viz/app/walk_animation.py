"""The walk as an animated GIF or an MP4: one frame per position of the walk, captioned with its formula.

Frames are the computational graph as the scene export draws it; Pillow (MIT-CMU
licence, wheels for every platform) writes the GIF and PyAV, where installed, the MP4
(:mod:`.mp4_writer`), so no encoder lives here.
"""

from __future__ import annotations

from PySide6.QtCore import QMarginsF, QRect, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter

from ..engine.files import write_atomic
from .exporters import render_scene

START_CAPTION = "Start: the inputs, targets and parameters are known; nothing is computed yet."
CAPTION_PAD = 14
# Long enough to read a formula aloud; longer captions stay longer.
BASE_MS, MS_PER_CHAR, MAX_MS = 1500, 30, 8000


def walk_captions(stepper, digits: int = 9) -> list[str]:
    """The caption of every frame: the start, then each step's formula text."""
    return [START_CAPTION] + [stepper.describe(step, digits) for step in stepper.steps]


def _caption_font(scale: float) -> QFont:
    font = QFont()
    font.setPixelSize(max(int(13 * scale), 10))
    return font


def _with_caption(frame: QImage, caption: str, strip: int, font: QFont) -> QImage:
    out = QImage(frame.width(), frame.height() + strip, QImage.Format.Format_RGBA8888)
    out.fill(QColor("white"))
    painter = QPainter(out)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    painter.drawImage(0, 0, frame)
    painter.setPen(QColor("#d0d0d0"))
    painter.drawLine(0, frame.height(), out.width(), frame.height())
    painter.setPen(QColor("#1a1a1a"))
    painter.setFont(font)
    box = QRect(CAPTION_PAD, frame.height() + CAPTION_PAD, out.width() - 2 * CAPTION_PAD, strip - 2 * CAPTION_PAD)
    painter.drawText(box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap, caption)
    painter.end()
    return out


def _to_pil(image: QImage):
    from PIL import Image
    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    data = bytes(image.constBits())
    return Image.frombuffer("RGBA", (image.width(), image.height()), data, "raw", "RGBA",
                            image.bytesPerLine(), 1).convert("RGB")


def export_walk_gif(panel, path: str, scale: float = 1.5, digits: int = 9, progress=None) -> list[str]:
    """Writes the panel's walk as an animated GIF at ``path``; returns the captions, one per frame.
    ``progress(done, total)`` returning False cancels (nothing is written then)."""
    made = walk_frames(panel, scale, digits, progress)
    if made is None:
        return []
    frames, captions, durations = made

    def write(tmp):
        frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:], duration=durations,
                       loop=0, optimize=False)
    write_atomic(path, write)
    return captions


def export_walk_mp4(panel, path: str, scale: float = 1.5, digits: int = 9, progress=None) -> list[str]:
    """The same frames and timing as the GIF, as an MP4 video (needs PyAV; see :mod:`.mp4_writer`)."""
    from .mp4_writer import write_mp4
    made = walk_frames(panel, scale, digits, progress)
    if made is None:
        return []
    frames, captions, durations = made
    write_mp4(path, frames, durations)
    return captions


def walk_frames(panel, scale: float = 1.5, digits: int = 9, progress=None):
    """(PIL frames, captions, durations in ms) of the panel's walk; None if ``progress`` cancelled."""
    st = panel.stepper
    if st is None:
        raise ValueError("there is no walk to animate")
    captions = walk_captions(st, digits)
    scene = panel.graph.scene()
    kept = st.position
    st.restart()
    panel.graph.refresh()
    panel.graph.complete()      # every frame shows every node, in its state at that step
    # One frame size for the whole animation: highlights must not change the crop.
    rect = scene.itemsBoundingRect().marginsAdded(QMarginsF(30, 30, 30, 30))
    width = int(rect.width() * scale)
    font = _caption_font(scale)
    metrics = QFontMetrics(font)
    text_box = QRect(0, 0, max(width - 2 * CAPTION_PAD, 100), 10_000)
    flags = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap)
    strip = max(metrics.boundingRect(text_box, flags, c).height() for c in captions) + 2 * CAPTION_PAD
    frames = []
    try:
        for i, caption in enumerate(captions):
            panel.graph.refresh()
            panel.graph.complete()
            image = render_scene(scene, rect, scale, QColor("white"))
            if image is None:
                raise OSError("the graph could not be drawn")
            frames.append(_to_pil(_with_caption(image, caption, strip, font)))
            if progress is not None and not progress(i + 1, len(captions)):
                return None
            st.forward()
    finally:
        st.position = kept
        panel.graph.refresh()
        panel._update()
    durations = [min(BASE_MS + MS_PER_CHAR * len(c), MAX_MS) for c in captions]
    return frames, captions, durations
