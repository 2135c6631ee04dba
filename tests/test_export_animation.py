"""Animations: GIF and MP4 (H.264) read back with imageio; progress, cancel, ranges, even sizes."""

import numpy as np
import pytest

from gateviz.export import headless
from gateviz.export.animation import AnimationExport, export_animation, parse_range
from gateviz.export.files import ExportCancelled, ExportError

from export_helpers import small_state


@pytest.fixture
def state(qapp):
    return small_state("gru", units=6, steps=20)


def test_gif_frames_size_and_the_cursor_moves(state, tmp_path):
    import imageio.v3 as iio

    widget = headless.build_view(state, "traces")
    path = tmp_path / "a.gif"
    seen = []
    export_animation(widget, state, path, steps=range(2, 7), fps=5, size=(320, 200),
                     progress=lambda done, total: seen.append((done, total)))
    frames = iio.imread(path, index=None)
    assert frames.shape[:3] == (5, 200, 320)
    assert seen == [(i, 5) for i in range(1, 6)]
    assert state.step == 6
    # the time cursor moves: consecutive frames differ, and not everywhere
    diff = np.abs(frames[1].astype(int) - frames[0].astype(int)).sum(axis=-1) > 30
    assert 0 < diff.mean() < 0.2
    assert iio.immeta(path, index=0).get("duration") == 200  # 5 fps -> 200 ms per frame


def test_mp4_is_h264_with_the_frame_count_and_even_size(state, tmp_path):
    import imageio_ffmpeg

    widget = headless.build_view(state, "heatmaps")
    path = tmp_path / "a.mp4"
    job = AnimationExport(widget, state, path, steps=range(0, 6), fps=12, size=(321, 241))
    assert job.plan.pixels == (320, 240)  # odd sides rounded down for yuv420p
    job.run()
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = reader.__next__()
    frames = list(reader)
    assert meta["size"] == (320, 240) and meta["codec"].startswith("h264") and meta["fps"] == 12
    assert len(frames) == 6
    first = np.frombuffer(frames[0], np.uint8).reshape(240, 320, 3)
    assert first.std() > 10  # a picture, not a flat frame


def test_cancel_leaves_no_file(state, tmp_path):
    widget = headless.build_view(state, "traces")
    for fmt in ("gif", "mp4"):
        path = tmp_path / f"c.{fmt}"
        calls = []
        with pytest.raises(ExportCancelled):
            export_animation(widget, state, path, size=(160, 120), cancelled=lambda: calls.append(1) or len(calls) > 2)
        assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_bad_requests(state, tmp_path):
    widget = headless.build_view(state, "traces")
    assert parse_range("5:", 20) == range(5, 20) and parse_range(":3", 20) == range(0, 3)
    with pytest.raises(ExportError, match="outside the sequence"):
        parse_range("10:40", 20)
    with pytest.raises(ExportError, match="START:STOP"):
        parse_range("ten", 20)
    with pytest.raises(ExportError, match="frame rate"):
        AnimationExport(widget, state, tmp_path / "x.gif", fps=0)
    with pytest.raises(ExportError, match="use gif or mp4"):
        AnimationExport(widget, state, tmp_path / "x.avi")
    existing = tmp_path / "x.gif"
    existing.write_bytes(b"mine")
    with pytest.raises(ExportError, match="already exists"):
        AnimationExport(widget, state, existing, size=(64, 64)).run()
    assert existing.read_bytes() == b"mine"


def test_cached_frames_match_a_fresh_render(state):
    """Animation frames reuse item caches between frames; a frame must still show its own step:
    step 10 reached through steps 0, 2, ..., 8 is the same picture as step 10 drawn first."""
    from gateviz.export.animation import cached_items, qimage_bgra
    from gateviz.export.figure import RenderPlan, export_mode, render_image

    plan = RenderPlan((800, 500), 1.5, (1200, 750))

    def frames(steps):
        view_state = headless.clone_state(state)
        view = headless.build_view(view_state, "dashboard")
        with export_mode(view, plan.scale), cached_items(view):
            for step in steps:
                view_state.set_step(step)
                yield qimage_bgra(render_image(view, plan, in_export_mode=True))[..., :3].astype(int)

    animated = list(frames(range(0, 12, 2)))[-1]
    first_10, = frames([10])
    first_0, = frames([0])
    changed = np.abs(animated - first_10).max(axis=-1) > 40
    assert changed.mean() < 1e-4, f"{changed.mean():.5f} of the pixels differ"
    assert (np.abs(first_0 - first_10).max(axis=-1) > 40).mean() > 0.001  # the step does show
