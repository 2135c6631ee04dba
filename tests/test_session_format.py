"""Session files, the Qt-free core (issue 16, gateviz/session.py): writing, reading back every field,
the input's exact values, the model by path + sha256 or embedded, and the messages for broken,
foreign, future-version and ill-typed sessions."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from export_helpers import small_model

from gateviz import session as S


@pytest.fixture
def gvm(tmp_path):
    from gateviz.formats.gateviz_file import save_model

    from gateviz.core.model import InputStage

    model = small_model("gru", units=5, layers=2, bidirectional=True, input_size=3)
    model.input = InputStage(kind="raw", features=3)
    path = tmp_path / "stack.gvm"
    save_model(model, path)
    return model, path


def _full(model, path) -> S.Session:
    """A session with every field away from its default."""
    rng = np.random.default_rng(0)
    return S.Session(
        model=S.model_ref(model, str(path)), sequence=rng.normal(size=(17, 3)).astype(np.float32),
        input_name="my input", layer=1, direction="backward", pinned=[4, 2, 0], row_order=[4, 3, 2, 1, 0], step=9,
        snapshot=None, interventions=[("layer1.backward.update_gate[2]=1@3:", True),
                                      ("layer0.forward.hidden_state[*]=*0.5", False)],
        gradient_output=None, gradient_unit=(1, "backward", 3), show_memory=True, show_original=False,
        show_difference=True, layout="gates", hidden_panels=["traces"], splitter_sizes={"h": [[500, 400]]},
        view_size=(1100, 700), theme="dark", presentation=True, colormap="cividis", cell_scale="unit",
        gru_convention="textbook", language="zh_CN")


def test_round_trip_every_field_and_the_input_bit_for_bit(tmp_path, gvm):
    model, path = gvm
    session = _full(model, path)
    out = S.write_session(session, tmp_path / "a.gvsession")
    back = S.read_session(out)
    for name in S.Session.__dataclass_fields__:
        if name == "sequence":
            assert back.sequence.dtype == np.float32
            np.testing.assert_array_equal(back.sequence, session.sequence)
        else:
            assert getattr(back, name) == getattr(session, name), name
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["format"] == "gateviz-session" and data["version"] == 1
    assert data["model"]["source"] == "file" and data["model"]["embedded"] is None  # a .gvm: path and hash only
    assert data["model"]["path"] == str(path.resolve())
    import hashlib

    assert data["model"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    loaded, note = S.resolve_model(back.model)
    assert note is None and loaded.source == str(path.resolve())
    for a, b in zip(loaded.layers, model.layers):
        for da, db in zip(a.directions, b.directions):
            np.testing.assert_array_equal(da.Wx, db.Wx)
            np.testing.assert_array_equal(da.Wh, db.Wh)


def test_text_input_and_integer_arrays(tmp_path, gvm):
    model, path = gvm
    for seq in ("(()())(", "你好，世界", np.arange(10, dtype=np.int64), np.array([[1, 0], [0, 1]], dtype=np.uint8)):
        session = S.Session(model=S.model_ref(model, str(path)), sequence=seq)
        back = S.read_session(S.write_session(session, tmp_path / "t.gvsession", overwrite=True))
        if isinstance(seq, str):
            assert back.sequence == seq
        else:
            assert back.sequence.dtype == seq.dtype
            np.testing.assert_array_equal(back.sequence, seq)


def test_an_app_model_is_embedded_and_comes_back_exactly(tmp_path):
    model = small_model("lstm", units=4)
    session = S.Session(model=S.model_ref(model, "trained"), sequence=np.zeros((5, 1), np.float32))
    back = S.read_session(S.write_session(session, tmp_path / "e.gvsession"))
    assert back.model.source == "app" and back.model.path is None
    loaded, note = S.resolve_model(back.model)
    assert note is None and loaded.name == model.name
    np.testing.assert_array_equal(loaded.layers[0].directions[0].Wh, model.layers[0].directions[0].Wh)


def test_moved_and_changed_model_files(tmp_path, gvm):
    model, path = gvm
    session = S.read_session(S.write_session(_full(model, path), tmp_path / "m.gvsession"))
    assert S.check_model_file(session.model) is None
    moved = tmp_path / "elsewhere.gvm"
    path.rename(moved)
    assert S.check_model_file(session.model) == "missing"
    with pytest.raises(S.ModelMismatch, match="is missing") as info:
        S.resolve_model(session.model)
    assert info.value.reason == "missing" and str(path.resolve()) in str(info.value)
    assert S.check_model_file(session.model, str(moved)) is None  # located: the same bytes
    loaded, _ = S.resolve_model(session.model, str(moved))
    assert loaded.source == str(moved)
    moved.write_bytes(moved.read_bytes() + b" ")
    assert S.check_model_file(session.model, str(moved)) == "changed"
    with pytest.raises(S.ModelMismatch, match="has changed since the session was saved"):
        S.resolve_model(session.model, str(moved))
    # with an embedded copy the copy is used, and the note says so
    session.model.embedded = S.model_bytes(model)
    loaded, note = S.resolve_model(session.model, str(moved))
    assert "embedded" in note and "changed" in note


def _write(tmp_path, data, name="x.gvsession") -> Path:
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return p


@pytest.mark.parametrize("edit, needles", [
    (lambda d: d.update(version=2), ["written by a newer gateviz (session format 2)", "reads version 1",
                                     "update gateviz"]),
    (lambda d: d.update(format="something-else"), ["is not a gateviz session file"]),
    (lambda d: d["theme"].pop("colormap"), ["'theme.colormap' is missing"]),
    (lambda d: d["view"].update(step="7"), ["'view.step'", "an integer"]),
    (lambda d: d["view"].update(pinned=[1, -2]), ["'view.pinned'"]),
    (lambda d: d["view"].update(direction="sideways"), ["'view.direction'", "forward, backward"]),
    (lambda d: d["theme"].update(colormap="jet"), ["'theme.colormap'", "viridis, cividis, magma"]),
    (lambda d: d["layout"].update(name="grid"), ["'layout.name'"]),
    (lambda d: d["interventions"].append({"spec": "f[3]=0", "enabled": True}), ["'interventions[2].spec'"]),
    (lambda d: d["input"]["array"].update(data="!!"), ["'input.array.data'", "base64"]),
    (lambda d: d["input"]["array"].update(shape=[18, 3]), ["'input.array.data'", "for shape [18, 3]"]),
    (lambda d: d["model"].update(sha256="abc"), ["'model.sha256'"]),
    (lambda d: d.pop("model"), ["'model' is missing"]),
    (lambda d: d.update(language="fr"), ["'language'", "en, zh_CN"]),
])
def test_bad_sessions_name_what_is_wrong(tmp_path, gvm, edit, needles):
    model, path = gvm
    data = S.to_json(_full(model, path))
    edit(data)
    p = _write(tmp_path, data)
    with pytest.raises(S.SessionError) as info:
        S.read_session(p)
    for needle in needles:
        assert needle in str(info.value)
    assert str(p) in str(info.value)


def test_not_json_not_text_and_not_a_session(tmp_path):
    for content, needle in (("{ not json", "not valid JSON"), ("[1, 2]", "is not a gateviz session file"),
                            ("", "not valid JSON")):
        with pytest.raises(S.SessionError, match="is not a gateviz session file") as info:
            S.read_session(_write(tmp_path, content))
        assert needle in str(info.value)
    p = tmp_path / "bin.gvsession"
    p.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(S.SessionError, match="not UTF-8 text"):
        S.read_session(p)
    with pytest.raises(S.SessionError, match="no such file"):
        S.read_session(tmp_path / "nope.gvsession")


def test_writing_never_overwrites_unless_asked(tmp_path, gvm):
    model, path = gvm
    target = tmp_path / "s.gvsession"
    target.write_text("keep", encoding="utf-8")
    with pytest.raises(S.SessionError, match="already exists"):
        S.write_session(_full(model, path), target)
    assert target.read_text(encoding="utf-8") == "keep"
    S.write_session(_full(model, path), target, overwrite=True)
    assert S.read_session(target).layer == 1


def test_a_session_is_recognised_by_name_or_content(tmp_path, gvm):
    model, path = gvm
    p = S.write_session(_full(model, path), tmp_path / "renamed.json")
    assert S.is_session_file(p) and S.is_session_file(tmp_path / "x.gvsession")
    assert not S.is_session_file(path) and not S.is_session_file(tmp_path / "none.json")


def test_the_view_is_checked_against_the_model(tmp_path, gvm):
    from gateviz.core.engine import Tracer

    model, path = gvm
    session = _full(model, path)
    trace = Tracer(model).trace(session.sequence)
    S.check_against(session, model, trace)
    for change, needle in (({"layer": 2}, "'view.layer'"), ({"step": 17}, "'view.step'"),
                           ({"pinned": [5]}, "'view.pinned'"), ({"row_order": [0, 1, 2, 3, 3]}, "'view.row_order'"),
                           ({"snapshot": 0}, "'view.snapshot'")):
        bad = S.Session(**{**session.__dict__, **change})
        with pytest.raises(S.SessionError, match=needle.replace(".", r"\.")):
            S.check_against(bad, model, trace)


def test_constants_match_the_app():
    from gateviz.ui.layouts import LAYOUTS
    from gateviz.ui.theme import COLORMAPS
    from gateviz.ui import i18n

    from gateviz.cli.export_cmd import LAYOUT_NAMES

    assert S.COLORMAPS == COLORMAPS and set(LAYOUT_NAMES) == set(LAYOUTS) and set(S.LANGUAGES) == set(i18n.LANGUAGES)


def test_the_session_module_is_qt_free(tmp_path):
    """Importing it, writing, reading and resolving a session never imports Qt."""
    from gateviz.formats.gateviz_file import save_model

    gvm_path = tmp_path / "m.gvm"
    save_model(small_model("lstm", units=3), gvm_path)
    script = textwrap.dedent("""
        import importlib.abc, sys
        class NoQt(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("PySide6", "shiboken6", "pyqtgraph"):
                    raise ImportError(name + " is blocked")
        sys.meta_path.insert(0, NoQt())
        import numpy as np
        from gateviz import session as S
        from gateviz.core.model import RecurrentModel
        from gateviz.formats.gateviz_file import load_gateviz_model
        model = load_gateviz_model(sys.argv[1])
        ref = S.model_ref(model, sys.argv[1])
        path = S.write_session(S.Session(model=ref, sequence=np.zeros((4, 1), np.float32)), sys.argv[2])
        back = S.read_session(path)
        S.resolve_model(back.model)
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", script, str(gvm_path), str(tmp_path / "q.gvsession")],
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "ok", out.stderr
