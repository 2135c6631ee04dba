"""The streaming GIF writer (issue 17): frames go into the file as they come, only the changed
rectangle of each, and Pillow reads back the same pictures."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from gateviz.export.gif_stream import GifStream


def _frames(n: int, w: int = 64, h: int = 40) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    base = np.zeros((h, w, 3), np.uint8)
    base[:, :, 0] = np.linspace(0, 255, w, dtype=np.uint8)[None]  # a gradient background
    base[::7] = (30, 200, 90)
    frames = []
    for k in range(n):
        f = base.copy()
        f[:, (3 * k) % w] = (0, 0, 0)  # a moving cursor
        if k % 3 == 0:
            f[5:9, 10:14] = rng.integers(0, 255, 3)  # a changing patch
        frames.append(f)
    return frames


def test_frames_read_back_as_written():
    frames = _frames(12)
    frames.insert(6, frames[5].copy())  # a repeated picture still takes its time
    buf = io.BytesIO()
    gif = GifStream(buf, (64, 40), delay_cs=5)
    for f in frames:
        gif.add(f)
    gif.close()
    assert gif.frames == len(frames)
    image = Image.open(io.BytesIO(buf.getvalue()))
    assert image.n_frames == len(frames) and image.info.get("loop") == 0
    for k, want in enumerate(frames):
        image.seek(k)
        got = np.asarray(image.convert("RGB"))
        assert image.info["duration"] == 50
        # these frames have far fewer than 256 colours: the palette holds them exactly
        np.testing.assert_array_equal(got, want, err_msg=f"frame {k}")


def test_only_the_changed_rectangle_is_stored_and_memory_stays_constant():
    frames = _frames(40, 320, 200)
    buf = io.BytesIO()
    gif = GifStream(buf, (320, 200), delay_cs=10)
    gif.add(frames[0])
    first = buf.tell()
    for f in frames[1:]:
        gif.add(f)
        assert not [v for v in vars(gif).values() if isinstance(v, list)], "no frames kept"
    gif.close()
    per_frame = (buf.tell() - first) / 39
    assert per_frame < first / 4, "a moving cursor stores a thin column, not the whole picture"


def test_many_colours_are_quantised_to_a_close_palette():
    rng = np.random.default_rng(1)
    smooth = np.stack(np.meshgrid(np.linspace(0, 255, 96), np.linspace(0, 255, 64)), -1)
    frame = np.concatenate([smooth, (smooth[..., :1] + smooth[..., 1:]) / 2], -1).astype(np.uint8)
    frame[::9, ::9] = rng.integers(0, 255, (8, 11, 3))
    buf = io.BytesIO()
    gif = GifStream(buf, (96, 64), delay_cs=4)
    gif.add(frame)
    gif.close()
    got = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB")).astype(int)
    assert np.abs(got - frame).mean() < 6
