"""MP4 (H.264) files from a list of frames, where an encoder is installed.

PyAV (BSD licence; its wheels bundle FFmpeg with libx264, which makes those binaries GPL) is an
optional dependency: ``pip install backprop-viz[video]``. Without it :func:`mp4_available` is
False and the app offers no MP4 export; GIF needs only Pillow.
"""

from __future__ import annotations

from fractions import Fraction

from ..engine.files import write_atomic

FPS = 4         # frames repeat to hold each caption as long as the GIF does (to the quarter second)


def _codec() -> str | None:
    try:
        import av
        import av.codec
    except ImportError:
        return None
    for name in ("libx264", "mpeg4"):
        try:
            av.codec.Codec(name, "w")
        except Exception:       # an FFmpeg build without that encoder
            continue
        return name
    return None


def mp4_available() -> bool:
    return _codec() is not None


def write_mp4(path: str, frames, durations_ms, fps: int = FPS) -> int:
    """Writes PIL RGB ``frames`` as an MP4 at ``path``, each shown for its duration (at least one
    video frame); returns the number of video frames. Atomic: a failure leaves no file."""
    codec = _codec()
    if codec is None:
        raise OSError("no MP4 encoder is installed (pip install av)")
    import av
    import numpy as np
    width, height = frames[0].size
    # yuv420p needs even sides: pad with white rather than crop the caption.
    even_w, even_h = width + width % 2, height + height % 2
    written = 0

    def write(tmp):
        nonlocal written
        with av.open(tmp, mode="w", format="mp4") as container:
            stream = container.add_stream(codec, rate=Fraction(fps, 1))
            stream.width, stream.height = even_w, even_h
            stream.pix_fmt = "yuv420p"
            if codec == "libx264":
                stream.options = {"preset": "veryfast"}
            for image, ms in zip(frames, durations_ms):
                rgb = np.full((even_h, even_w, 3), 255, dtype=np.uint8)
                rgb[:height, :width] = np.asarray(image.convert("RGB"))
                frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
                for _ in range(max(1, round(ms * fps / 1000))):
                    for packet in stream.encode(frame):
                        container.mux(packet)
                    written += 1
            for packet in stream.encode():
                container.mux(packet)
    write_atomic(path, write)
    return written
