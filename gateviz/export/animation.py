"""A range of steps of a view (one panel or the dashboard) as a GIF or an MP4 (H.264).

``AnimationExport`` renders one frame per step: it moves the view's ViewState to the
step, paints the widget into one reused QImage, and hands the pixels to the encoder
without copying (a numpy view of the QImage's memory):

    MP4  imageio-ffmpeg's bundled ffmpeg (libx264, yuv420p, even width and height),
         fed raw BGRA frames through a pipe; ffmpeg encodes in its own process while
         the next frame is painted, and dies with gateviz.
    GIF  gif_stream.GifStream: each frame quantised to its own 256-colour palette and written
         as it comes (only the rectangle that changed), in constant memory.

It runs frame by frame (``start``, ``render_next``, ``finish``/``abort``) so the app
can drive it from a QTimer and stay responsive, or all at once (``run``) for the CLI.
Output goes to a temporary sibling that is renamed into place only when complete.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Callable

import numpy as np
from PySide6.QtGui import QImage, QPixmapCache
from PySide6.QtWidgets import QGraphicsItem, QGraphicsView

from .figure import RenderPlan, export_mode, natural_size, plan_render, render_image, _minimum
from .files import (ExportCancelled, ExportError, check_target, give_normal_mode, interrupts_deferred,
                    release_temp, temp_sibling)

MAX_FPS = 120
MP4_PRESET = "ultrafast"  # x264 CPU time competes with painting on small machines (veryfast: ~1.5x the
# encoder CPU for files ~2.5x smaller); panel pictures are flat colour and stay crisp either way
MP4_QUALITY = 8  # imageio-ffmpeg's 1..10 scale (-> x264 crf); 8 keeps text and thin lines crisp


def parse_range(text: str, length: int) -> range:
    """'A:B' -> range(A, B) (B exclusive, either side may be empty), checked against the sequence."""
    try:
        a, b = text.split(":")
        start = int(a) if a.strip() else 0
        stop = int(b) if b.strip() else length
    except ValueError:
        raise ExportError(f"bad range {text!r}; give START:STOP steps, e.g. 0:100 (STOP excluded)") from None
    return check_range(range(start, stop), length)


def check_range(steps: range, length: int) -> range:
    if steps.start < 0 or steps.stop > length or len(steps) == 0:
        raise ExportError(f"steps {steps.start}:{steps.stop} are outside the sequence or empty; "
                          f"it has steps 0..{length - 1} (use START:STOP with 0 <= START < STOP <= {length})")
    return steps


ITEM_CACHE_KB = 512 * 1024  # pixmap cache while animating: every cached item of a 4K frame fits


def _worth_caching() -> tuple[type, ...]:
    """Items whose painting is costly and mostly constant across frames. Containers (layouts,
    view boxes, invisible border rects) paint nothing, and a cache would only add a
    transparent full-size pixmap to blend; cursors (InfiniteLine) change every frame."""
    import pyqtgraph as pg
    from PySide6.QtWidgets import QGraphicsSimpleTextItem, QGraphicsTextItem

    return (pg.AxisItem, pg.ImageItem, pg.PlotCurveItem, pg.ScatterPlotItem, pg.TextItem, pg.BarGraphItem,
            QGraphicsTextItem, QGraphicsSimpleTextItem)


_WORTH_CACHING: tuple[type, ...] = ()
FEW_POINTS = 16  # a scatter this small (a moving marker) is cheaper to draw than to re-cache each frame


def _worth_it(item) -> bool:
    if not isinstance(item, _WORTH_CACHING):
        return False
    points = getattr(item, "data", None)
    return not (type(item).__name__ == "ScatterPlotItem" and points is not None and len(points) <= FEW_POINTS)


@contextlib.contextmanager
def cached_items(widget):
    """Render only what changes: while animating, every graphics item keeps a device-pixel
    cache of its last painting (QGraphicsItem.DeviceCoordinateCache), so a frame repaints
    only the items that called update() since the previous frame (cursors, markers,
    labels) and blits the rest (heatmaps, axes, curves, text). Qt invalidates an item's
    cache whenever the item changes, so frames stay exact."""
    global _WORTH_CACHING
    _WORTH_CACHING = _WORTH_CACHING or _worth_caching()
    views = ([widget] if isinstance(widget, QGraphicsView) else []) + widget.findChildren(QGraphicsView)
    changed = []
    old_limit = QPixmapCache.cacheLimit()
    QPixmapCache.setCacheLimit(max(old_limit, ITEM_CACHE_KB))
    view_modes = [(view, view.cacheMode()) for view in views]
    try:
        for view in views:
            # the view's background cache is a 1x pixmap that would be rescaled every frame;
            # a plain fill of the background brush is cheaper
            view.setCacheMode(QGraphicsView.CacheModeFlag.CacheNone)
            for item in view.items():
                if _worth_it(item) and item.cacheMode() == QGraphicsItem.CacheMode.NoCache:
                    item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
                    changed.append(item)
        yield
    finally:
        for item in changed:
            with contextlib.suppress(RuntimeError):  # deleted meanwhile
                item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
        for view, mode in view_modes:
            with contextlib.suppress(RuntimeError):
                view.setCacheMode(mode)
        QPixmapCache.setCacheLimit(old_limit)


def even_size(size: tuple[int, int]) -> tuple[int, int]:
    """H.264 in yuv420p needs even width and height: round odd ones down."""
    return size[0] - size[0] % 2, size[1] - size[1] % 2


class _ImagePixels:
    """Exposes a QImage's memory to numpy and keeps the QImage alive as long as the array
    (a bare view of ``constBits()`` would dangle once a temporary QImage is collected)."""

    def __init__(self, image: QImage):
        self.image = image
        self._bits = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
        self.__array_interface__ = {
            "version": 3, "typestr": "|u1", "data": (self._bits.ctypes.data, True),
            "shape": (image.height(), image.width(), 4), "strides": (image.bytesPerLine(), 4, 1),
        }


def qimage_bgra(image: QImage) -> np.ndarray:
    """(H, W, 4) uint8 read-only view of a 32-bit QImage's memory (B, G, R, A on little-endian);
    no copy. The array keeps the image alive; repainting the image changes the array."""
    return np.asarray(_ImagePixels(image))


def _encoder_preexec() -> Callable[[], None]:
    """What the encoder's child process does before exec: its own process group (a Ctrl+C in the
    terminal reaches gateviz, which then stops the encoder itself), and on Linux SIGKILL as soon
    as gateviz dies (prctl PR_SET_PDEATHSIG), so a killed export never leaves ffmpeg running.
    The Linux signal fires when the *thread* that started the child ends: start encoders from a
    thread that lives as long as the export (the CLI's and the app's GUI thread do)."""
    import signal
    import sys

    parent = os.getpid()
    prctl = None
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved here: the child only calls it
        except (OSError, AttributeError):
            prctl = None
    pr_set_pdeathsig, sigkill = 1, int(signal.SIGKILL)

    def preexec() -> None:
        os.setpgrp()
        if prctl is not None:
            prctl(pr_set_pdeathsig, sigkill)
            if os.getppid() != parent:  # gateviz died before the prctl took effect
                os._exit(1)

    return preexec


def _ffmpeg_command(path: Path, size: tuple[int, int], fps: float) -> list[str]:
    """imageio-ffmpeg's bundled ffmpeg reading raw BGRA frames from stdin and writing H.264
    (the command imageio_ffmpeg.write_frames would build; run by us to own the process)."""
    from fractions import Fraction

    import imageio_ffmpeg

    crf = int((1 - MP4_QUALITY / 10) * 51)
    return [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-f", "rawvideo", "-vcodec", "rawvideo",
            "-s", f"{size[0]}x{size[1]}", "-pix_fmt", "bgra", "-r", str(Fraction(fps).limit_denominator()),
            "-i", "-", "-an", "-vcodec", "libx264", "-pix_fmt", "yuv420p", "-crf", str(crf),
            "-v", "error", "-preset", MP4_PRESET, "-f", "mp4", str(path)]


class _Mp4Encoder:
    """Frames go to ffmpeg from a writer thread, so painting frame n+1 overlaps with piping
    frame n (the pipe write releases the GIL; ffmpeg encodes in its own process).

    ``buffers`` QImages rotate: one being painted, one queued, one being written; a full
    queue blocks ``add``, so a buffer is never repainted while the thread still reads it.
    ffmpeg dies with gateviz (``_encoder_preexec``), is killed by ``abort`` and, if gateviz
    exits or is terminated mid-export, by ``files.track_process``'s exit hook."""

    buffers = 3

    def __init__(self, path: Path, size: tuple[int, int], fps: float):
        import queue
        import subprocess
        import tempfile
        import threading

        from .files import track_process

        self._log = tempfile.TemporaryFile()  # ffmpeg's messages (a pipe could fill and stall it)
        self._process = subprocess.Popen(_ffmpeg_command(path, size, fps), stdin=subprocess.PIPE,
                                         stdout=subprocess.DEVNULL, stderr=self._log,
                                         preexec_fn=_encoder_preexec())
        track_process(self._process)
        self._queue: "queue.Queue[QImage | None]" = queue.Queue(maxsize=self.buffers - 2)
        self._error: BaseException | None = None
        self._stop = False
        self._thread = threading.Thread(target=self._write_loop, name="gateviz-mp4-writer", daemon=True)
        self._thread.start()

    def _write_loop(self) -> None:
        while True:
            image = self._queue.get()
            if image is None:
                return
            if self._error is not None or self._stop:
                continue  # drain without writing
            try:
                self._process.stdin.write(qimage_bgra(image))  # a view of the QImage's memory: no copy
            except BaseException as exc:  # noqa: BLE001 - re-raised on the GUI thread
                self._error = exc

    def _failure(self) -> ExportError:
        self._log.seek(0)
        said = self._log.read()[-2000:].decode("utf-8", "replace").strip().splitlines()
        why = said[-1] if said else f"{type(self._error).__name__}: {self._error}" if self._error else "no message"
        return ExportError(f"ffmpeg stopped (exit status {self._process.poll()}): {why}")

    def add(self, image: QImage) -> None:
        if self._error is not None:
            self._process.wait()
            raise self._failure()
        self._queue.put(image)

    def _join(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _end(self) -> None:
        from .files import untrack_process

        untrack_process(self._process)
        self._log.close()

    def close(self) -> None:
        try:
            self._join()
            with contextlib.suppress(BrokenPipeError):
                self._process.stdin.close()
            self._process.wait()  # ffmpeg finishes the file
            if self._error is not None or self._process.returncode != 0:
                raise self._failure()
        finally:
            self._end()

    def abort(self) -> None:
        self._stop = True
        try:
            self._process.kill()  # the partial file is deleted anyway: no need to let ffmpeg finish it
            self._join()
            with contextlib.suppress(BrokenPipeError, OSError):
                self._process.stdin.close()
            self._process.wait()
        finally:
            self._end()


class _GifEncoder:
    """Frames go into the file as they come (gif_stream.GifStream): constant memory, however many."""

    buffers = 1

    def __init__(self, path: Path, size: tuple[int, int], fps: float):
        from .gif_stream import GifStream

        self._fh = open(path, "wb")  # noqa: SIM115 - closed in close()/abort()
        # GIF delays are in 1/100 s: the nearest the format can do (at least 2: browsers slow faster ones)
        self._stream = GifStream(self._fh, size, max(2, round(100 / fps)))

    def add(self, image: QImage) -> None:
        rgb = qimage_bgra(image)[:, :, 2::-1]  # BGRA -> RGB, a strided view of the QImage
        self._stream.add(np.ascontiguousarray(rgb))

    def close(self) -> None:
        try:
            self._stream.close()
        finally:
            self._fh.close()

    def abort(self) -> None:
        self._fh.close()  # the temporary file is removed by the caller


ENCODERS = {"mp4": _Mp4Encoder, "gif": _GifEncoder}


class AnimationExport:
    """Render ``steps`` of ``widget`` (which draws ``state``) into ``path``.

    ``size``: output pixels (W, H); default: the widget's own size. ``dpi`` scales like
    a figure. ``fps``: frames per second of the file. The widget is resized to the
    plan's layout size: give an offscreen view (``headless.build_view``).
    """

    def __init__(self, widget, state, path: str | os.PathLike, *, fmt: str | None = None,
                 steps: range | None = None, fps: float = 10, size: tuple[int, int] | None = None,
                 dpi: float | None = None, overwrite: bool = False):
        if state.trace is None:
            raise ExportError("nothing to animate: no trace is loaded")
        self.widget, self.state = widget, state
        self.path = Path(path)
        self.fmt = (fmt or self.path.suffix.lstrip(".")).lower()
        if self.fmt not in ENCODERS:
            raise ExportError(f"cannot write an animation as {self.fmt!r}; use gif or mp4")
        if not 0 < fps <= MAX_FPS:
            raise ExportError(f"bad frame rate {fps:g}; give 1..{MAX_FPS} frames per second")
        self.fps = fps
        self.steps = check_range(steps if steps is not None else range(state.trace.length), state.trace.length)
        self.overwrite = overwrite
        plan = plan_render(natural_size(widget), size, dpi, _minimum(widget))
        if self.fmt == "mp4" and even_size(plan.pixels) != plan.pixels:
            W, H = even_size(plan.pixels)
            plan = RenderPlan(plan.logical, plan.scale, (W, H))
        self.plan = plan
        self.done = 0
        self._encoder = None
        self._images: list[QImage | None] = [None]  # rotating frame buffers (see the encoders)
        self._tmp: Path | None = None
        self._modes: contextlib.ExitStack | None = None
        # seconds spent: panels following the step (their own code), painting, handing to the encoder
        self.timings = {"step": 0.0, "paint": 0.0, "encode": 0.0}

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def finished(self) -> bool:
        return self.done >= self.total

    def start(self) -> None:
        target = check_target(self.path, overwrite=self.overwrite)
        self._tmp = temp_sibling(target, f".{self.fmt}")
        try:
            self._encoder = ENCODERS[self.fmt](self._tmp, self.plan.pixels, self.fps)
        except Exception:
            release_temp(self._tmp)
            raise
        self._images = [None] * self._encoder.buffers
        # held for every frame: pyqtgraph's export look, and item caches that survive between frames
        self._modes = contextlib.ExitStack()
        self._modes.enter_context(export_mode(self.widget, self.plan.scale))
        self._modes.enter_context(cached_items(self.widget))

    def render_next(self) -> bool:
        """Render and encode the next frame; False when every frame is done."""
        if self._encoder is None:
            raise RuntimeError("call start() first")
        if self.finished:
            return False
        t0 = time.perf_counter()
        self.state.set_step(self.steps[self.done])
        t1 = time.perf_counter()
        slot = self.done % len(self._images)
        image = self._images[slot] = render_image(self.widget, self.plan, target=self._images[slot],
                                                  in_export_mode=True)
        t2 = time.perf_counter()
        self._encoder.add(image)
        self.timings["step"] += t1 - t0
        self.timings["paint"] += t2 - t1
        self.timings["encode"] += time.perf_counter() - t2
        self.done += 1
        return not self.finished

    def finish(self) -> Path:
        """Close the file and move it into place."""
        try:
            self._encoder.close()
            self._encoder = None
            if not self.overwrite and self.path.exists():
                raise ExportError(f"{self.path} appeared while exporting; not overwriting it")
            give_normal_mode(self._tmp, self.path)
            os.replace(self._tmp, self.path)
        finally:
            self._cleanup()
        return self.path

    def abort(self) -> None:
        """Stop and delete the partial file."""
        try:
            if self._encoder is not None:
                self._encoder.abort()
        finally:
            self._encoder = None
            self._cleanup()

    def _cleanup(self) -> None:
        if self._modes is not None:
            self._modes.close()
            self._modes = None
        if self._tmp is not None:
            release_temp(self._tmp)
            self._tmp = None

    def run(self, progress: Callable[[int, int], None] | None = None,
            cancelled: Callable[[], bool] | None = None) -> Path:
        """All frames at once. ``progress(done, total)`` after each frame; ``cancelled()``
        returning True stops, deletes the partial file and raises ExportCancelled."""
        self.start()
        try:
            while not self.finished:
                if cancelled is not None and cancelled():
                    raise ExportCancelled()
                with interrupts_deferred():  # Ctrl+C between frames, never inside a paint
                    self.render_next()
                if progress is not None:
                    progress(self.done, self.total)
        except BaseException:
            self.abort()
            raise
        return self.finish()


def export_animation(widget, state, path, **options) -> Path:
    """One call: see ``AnimationExport``; ``progress`` and ``cancelled`` go to ``run``."""
    progress = options.pop("progress", None)
    cancelled = options.pop("cancelled", None)
    return AnimationExport(widget, state, path, **options).run(progress, cancelled)
