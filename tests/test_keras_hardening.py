"""Issue 11, hostile Keras files (.h5 and .keras): links out of the file, sizes beyond it, odd configs, zip bombs.

Every file is made here with h5py / zipfile / json and kept small (the large ones only declare their
size). Each case runs through the command line: exit status 2, one stderr line "gateviz: error: ..."
naming the problem, no "unexpected", no traceback; a file that an HDF5 link points to is never read.
"""

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest
from cli_checks import Opens as _Opens
from cli_checks import error_line as _error_line
from fuzz_corpus import set_declared_size

from gateviz.cli import main

ROOT = Path(__file__).resolve().parents[1]
UNITS, FEATURES = 3, 2


def _refused(capsys, path, *needles: str, argv=("info",)) -> str:
    assert main([*argv, str(path)]) == 2
    return _error_line(capsys, *needles)




# --------------------------------------------------------------------------- files


def _weights(seed=0):
    rng = np.random.default_rng(seed)
    return {"kernel": rng.normal(0, .5, (FEATURES, 4 * UNITS)).astype(np.float32),
            "recurrent_kernel": rng.normal(0, .5, (UNITS, 4 * UNITS)).astype(np.float32),
            "bias": rng.normal(0, .5, (4 * UNITS,)).astype(np.float32)}


def _lstm_layer(**extra):
    cfg = {"name": "lstm", "units": UNITS, "activation": "tanh", "recurrent_activation": "sigmoid",
           "use_bias": True, "return_sequences": False, "batch_input_shape": [None, 5, FEATURES]}
    cfg.update(extra)
    return {"class_name": "LSTM", "config": cfg}


def _config(*layers):
    return {"class_name": "Sequential", "config": {"name": "s", "layers": list(layers) or [_lstm_layer()]}}


def write_h5(path: Path, *, config=None, model_config=None, mutate=None) -> Path:
    """A tf.keras-2 style model.h5: Sequential[LSTM(3) on 2 features]; ``mutate(file, layer_group)`` spoils it."""
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.15.0"
        f.attrs["model_config"] = json.dumps(config or _config()) if model_config is None else model_config
        mw = f.create_group("model_weights")
        group = mw.create_group("lstm")
        w = _weights()
        group.attrs["weight_names"] = np.array([f"lstm/lstm_cell/{k}:0".encode() for k in w], dtype="S")
        for k, v in w.items():
            group.create_dataset(f"lstm/lstm_cell/{k}:0", data=v)
        if mutate is not None:
            mutate(f, group)
    return path


def weights_h5_bytes(mutate=None) -> bytes:
    """A Keras 3 model.weights.h5 in memory: layers/lstm/cell/vars/0..2."""
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        vars_group = f.create_group("layers/lstm/cell/vars")
        f.create_group("layers/lstm/vars")
        for i, v in enumerate(_weights().values()):
            vars_group.create_dataset(str(i), data=v)
        if mutate is not None:
            mutate(f)
    return buf.getvalue()


def write_keras(path: Path, *, config=None, meta=None, config_bytes=None, meta_bytes=None, weights=None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("metadata.json", meta_bytes if meta_bytes is not None else json.dumps(meta or {"keras_version": "3.5.0"}))
        zf.writestr("config.json", config_bytes if config_bytes is not None else json.dumps(config or _config()))
        zf.writestr("model.weights.h5", weights if weights is not None else weights_h5_bytes())
    return path


def _set_declared_size(path: Path, member: str, size: int) -> None:
    """Make the zip's headers (local and central) declare ``size`` uncompressed bytes for ``member``: a lying header."""
    path.write_bytes(set_declared_size(path.read_bytes(), member, size))


def _input(tmp_path) -> Path:
    path = tmp_path / "x.npy"
    np.save(path, np.zeros((5, FEATURES), np.float32))
    return path


def test_the_baseline_files_open(tmp_path, capsys):
    for path in (write_h5(tmp_path / "m.h5"), write_keras(tmp_path / "m.keras")):
        assert main(["info", str(path)]) == 0, capsys.readouterr().err
        assert "LSTM" in capsys.readouterr().out


# --------------------------------------------------------------------------- links out of the file


@pytest.fixture
def decoy(tmp_path):
    """Another .h5 with plausible weights, its access time set in the past so any read of it shows."""
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        for k, v in _weights(seed=99).items():
            f[k] = v
    os.utime(path, (1_000_000, path.stat().st_mtime))  # atime < mtime: a read updates it (relatime)
    return path


def _assert_untouched(decoy: Path, opened: list[str]):
    assert decoy.stat().st_atime == 1_000_000, "the external link's target was read"
    assert not any(Path(p).name == decoy.name for p in opened), opened


def test_h5_weight_that_is_an_external_link_is_refused_unread(tmp_path, capsys, decoy):
    def mutate(f, group):
        del group["lstm/lstm_cell/kernel:0"]
        group["lstm/lstm_cell/kernel:0"] = h5py.ExternalLink(str(decoy), "/kernel")

    path = write_h5(tmp_path / "ext.h5", mutate=mutate)
    _Opens.active = opened = []
    try:
        line = _refused(capsys, path, "layer 'lstm' weight 'lstm/lstm_cell/kernel:0' is an HDF5 external link to",
                        str(decoy), "gateviz reads only the file you name", "weights inside")
        assert main(["trace", str(path), str(_input(tmp_path)), "-o", str(tmp_path / "t.npz")]) == 2
        _error_line(capsys, "external link")
    finally:
        _Opens.active = None
    assert line.startswith(f"gateviz: error: {path}")
    _assert_untouched(decoy, opened)


@pytest.mark.parametrize("target", ["/etc/passwd", "other.h5"])
def test_h5_model_weights_group_as_external_link(tmp_path, capsys, decoy, target):
    target = str(decoy) if target == "other.h5" else target

    def mutate(f, group):
        f.move("model_weights", "kept")
        f["model_weights"] = h5py.ExternalLink(target, "/")

    path = write_h5(tmp_path / "extgroup.h5", mutate=mutate)
    _refused(capsys, path, "the model_weights group is an HDF5 external link to", target)
    _assert_untouched(decoy, [])


def test_keras_zip_weight_that_is_an_external_link(tmp_path, capsys, decoy):
    def mutate(f):
        del f["layers/lstm/cell/vars/0"]
        f["layers/lstm/cell/vars/0"] = h5py.ExternalLink(str(decoy), "/kernel")

    path = write_keras(tmp_path / "ext.keras", weights=weights_h5_bytes(mutate))
    _refused(capsys, path, "model.weights.h5", "external link to", str(decoy), "layer 'lstm'")
    _assert_untouched(decoy, [])


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace to watch the C library's opens")
def test_strace_shows_the_link_target_never_opened(tmp_path, decoy):
    def mutate(f, group):
        del group["lstm/lstm_cell/bias:0"]
        group["lstm/lstm_cell/bias:0"] = h5py.ExternalLink(str(decoy), "/bias")

    path = write_h5(tmp_path / "ext.h5", mutate=mutate)
    log = tmp_path / "strace.log"
    proc = subprocess.run(["strace", "-f", "-e", "trace=open,openat,openat2", "-o", str(log), sys.executable, "-m",
                           "gateviz", "info", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    if "ptrace" in proc.stderr or not log.exists():
        pytest.skip(f"strace cannot trace here: {proc.stderr[:200]}")
    assert proc.returncode == 2 and "external link" in proc.stderr
    trace = log.read_text()
    assert str(path) in trace  # the named file was opened: the trace works
    assert str(decoy) not in trace


@pytest.mark.parametrize("kind", ["self", "loop", "dangling", "out"])
def test_h5_soft_links_that_loop_or_lead_nowhere(tmp_path, capsys, kind):
    def mutate(f, group):
        name = "lstm/lstm_cell/recurrent_kernel:0"
        del group[name]
        full = f"{group.name}/{name}"
        if kind == "self":
            group[name] = h5py.SoftLink(full)
        elif kind == "loop":
            group[name] = h5py.SoftLink("/a")
            f["a"] = h5py.SoftLink("/b")
            f["b"] = h5py.SoftLink("/a")
        elif kind == "dangling":
            group[name] = h5py.SoftLink("/nothing/here")
        else:  # a path that reads like one out of the file: HDF5 resolves it inside, and it is not there
            group[name] = h5py.SoftLink("/../../etc/passwd")

    path = write_h5(tmp_path / f"soft-{kind}.h5", mutate=mutate)
    needle = "soft links loop" if kind in ("self", "loop") else "not in the file"
    _refused(capsys, path, "layer 'lstm' weight 'lstm/lstm_cell/recurrent_kernel:0'", needle)


def test_h5_soft_link_inside_the_file_is_followed(tmp_path, capsys):
    def mutate(f, group):
        name = "lstm/lstm_cell/bias:0"
        f["stash"] = group[name][()]
        del group[name]
        group[name] = h5py.SoftLink("/stash")

    assert main(["info", str(write_h5(tmp_path / "soft-ok.h5", mutate=mutate))]) == 0, capsys.readouterr().err


def test_h5_dataset_with_external_raw_data_or_virtual(tmp_path, capsys, decoy):
    raw = tmp_path / "raw.bin"
    raw.write_bytes(np.zeros(4 * UNITS, np.float32).tobytes())
    os.utime(raw, (1_000_000, raw.stat().st_mtime))

    def external(f, group):
        del group["lstm/lstm_cell/bias:0"]
        group.create_dataset("lstm/lstm_cell/bias:0", shape=(4 * UNITS,), dtype="<f4",
                             external=[(str(raw), 0, 4 * 4 * UNITS)])

    _refused(capsys, write_h5(tmp_path / "extraw.h5", mutate=external), "keeps its values in the external file",
             str(raw))
    assert raw.stat().st_atime == 1_000_000

    def virtual(f, group):
        del group["lstm/lstm_cell/bias:0"]
        layout = h5py.VirtualLayout(shape=(4 * UNITS,), dtype="f4")
        layout[:] = h5py.VirtualSource(str(decoy), "bias", shape=(4 * UNITS,))
        group.create_virtual_dataset("lstm/lstm_cell/bias:0", layout)

    _refused(capsys, write_h5(tmp_path / "vds.h5", mutate=virtual), "virtual dataset")
    _assert_untouched(decoy, [])


# --------------------------------------------------------------------------- declared sizes


def test_h5_dataset_declaring_far_more_than_the_file_holds(tmp_path, capsys):
    def mutate(f, group):
        del group["lstm/lstm_cell/kernel:0"]
        group.create_dataset("lstm/lstm_cell/kernel:0", shape=(10**6, 10**6), dtype="f4")  # never written

    path = write_h5(tmp_path / "huge.h5", mutate=mutate)
    assert path.stat().st_size < 100_000
    _refused(capsys, path, "weight 'lstm/lstm_cell/kernel:0' (shape (1000000, 1000000), float32: 3725.3 GiB) has only 0 bytes",
             "beyond the file")


def test_h5_compressed_dataset_inflating_past_any_ratio(tmp_path, capsys):
    def mutate(f, group):
        del group["lstm/lstm_cell/kernel:0"]
        ds = group.create_dataset("lstm/lstm_cell/kernel:0", shape=(4096, 4096), dtype="f4", chunks=(64, 4096),
                                  compression="gzip")
        ds[:64] = 0  # one tiny chunk in the file; the rest is declared

    _refused(capsys, write_h5(tmp_path / "ratio.h5", mutate=mutate), "would inflate from", "more than compression")


def test_h5_compressed_dataset_beyond_the_memory_budget(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GATEVIZ_MEMORY_LIMIT", "1M")

    def mutate(f, group):
        del group["lstm/lstm_cell/kernel:0"]
        data = np.random.default_rng(0).normal(size=(512, 1024)).astype(np.float32)  # 2 MiB, barely compressible
        group.create_dataset("lstm/lstm_cell/kernel:0", data=data, chunks=(64, 1024), compression="gzip")

    _refused(capsys, write_h5(tmp_path / "budget.h5", mutate=mutate), "reading layer 'lstm' weight",
             "would need about 2.2 MiB of memory")


def test_h5_weight_that_is_not_numbers(tmp_path, capsys):
    def mutate(f, group):
        del group["lstm/lstm_cell/bias:0"]
        group["lstm/lstm_cell/bias:0"] = np.array([b"a", b"b"])

    _refused(capsys, write_h5(tmp_path / "strings.h5", mutate=mutate), "weight 'lstm/lstm_cell/bias:0' holds |S1")


# --------------------------------------------------------------------------- configs


def _deep(levels: int) -> str:
    return '{"class_name": "Sequential", "config": ' + "[" * levels + "]" * levels + "}"


@pytest.mark.parametrize("levels", [300, 100_000])
def test_configs_nested_too_deep(tmp_path, capsys, levels):
    _refused(capsys, write_h5(tmp_path / "deep.h5", model_config=_deep(levels)),
             f"the model_config attribute is nested {levels + 1} levels deep; gateviz reads at most 200")
    _refused(capsys, write_keras(tmp_path / "deep.keras", config_bytes=_deep(levels)),
             f"config.json is nested {levels + 1} levels deep")


@pytest.mark.parametrize("case, needle", [
    ("meta-list", "metadata.json holds a JSON list, not an object"),
    ("config-list", "config.json holds a JSON list, not an object"),
    ("config-string", "config.json holds a JSON str, not an object"),
    ("config-utf8", "config.json is not UTF-8 text (byte 1 is b'\\xff')"),
    ("meta-utf8", "metadata.json is not UTF-8 text"),
    ("config-no-class", "config.json names no model class"),
])
def test_keras_zip_json_of_the_wrong_kind(tmp_path, capsys, case, needle):
    kw = {"meta-list": dict(meta_bytes="[1, 2]"), "config-list": dict(config_bytes="[]"),
          "config-string": dict(config_bytes='"Sequential"'), "config-utf8": dict(config_bytes=b"{\xff}"),
          "meta-utf8": dict(meta_bytes=b'{"keras_version": "\xe93"}'),
          "config-no-class": dict(config_bytes='{"config": {}}')}[case]
    _refused(capsys, write_keras(tmp_path / f"{case}.keras", **kw), needle)


@pytest.mark.parametrize("value, needle", [
    (np.bytes_(b'{"class_name": "Seq\xffuential"}'), "the model_config attribute is not UTF-8 text"),
    (np.int64(7), "the model_config attribute holds int64, not JSON text"),
    (np.array([b"{}", b"{}"]), "the model_config attribute holds ndarray of shape (2,), not JSON text"),
    ('["Sequential"]', "the model_config attribute holds a JSON list, not an object"),
])
def test_h5_model_config_of_the_wrong_kind(tmp_path, capsys, value, needle):
    _refused(capsys, write_h5(tmp_path / "cfg.h5", model_config=value), needle)


@pytest.mark.parametrize("kind, needle", [
    ("missing", "layer 'lstm': its weights are missing from the file"),
    ("numbers", "layer 'lstm': its 'weight_names' attribute holds int64 values of shape (3,), not a list of names"),
    ("matrix", "not a list of names"),
    ("empty", "layer 'lstm': its weights are missing from the file"),  # how Keras marks a layer without weights
])
def test_h5_weight_names_missing_or_wrong(tmp_path, capsys, kind, needle):
    def mutate(f, group):
        del group.attrs["weight_names"]
        if kind == "numbers":
            group.attrs["weight_names"] = np.array([1, 2, 3])
        elif kind == "matrix":
            group.attrs["weight_names"] = np.array([[b"a", b"b"]], dtype="S")
        elif kind == "empty":
            group.attrs["weight_names"] = np.array([])

    _refused(capsys, write_h5(tmp_path / f"wn-{kind}.h5", mutate=mutate), needle)


def _functional(inbound):
    return {"class_name": "Functional", "config": {"name": "f", "output_layers": [["lstm", 0, 0]], "layers": [
        {"class_name": "InputLayer", "name": "in", "config": {"name": "in"}, "inbound_nodes": []},
        dict(_lstm_layer(), name="lstm", inbound_nodes=inbound)]}}


@pytest.mark.parametrize("config, needle", [
    ({"class_name": "Sequential", "config": {"name": "s", "layers": {"lstm": 1}}}, "has no list of layers"),
    (_config({"config": {"name": "x"}}), "layer 0 of the model config has no class_name"),
    (_config(5), "layer 0 of the model config is a JSON int, not an object"),
    (_config({"class_name": "LSTM", "config": [1]}), "layer 0 (LSTM) has a config that is a JSON list"),
    (_config({"class_name": "LSTM", "config": {"name": ["x"]}}), "has the name ['x'], not a string"),
    (_config(_lstm_layer(units="three")), "layer 'lstm': units is 'three', not a positive whole number"),
    (_config(_lstm_layer(units=None)), "units is None"),
    (_config(_lstm_layer(activation=["tanh"])), "activation \"['tanh']\" is not an activation name"),
    (_config({"class_name": "Bidirectional", "config": {"name": "lstm", "layer": "LSTM"}}),
     "layer 'lstm': its 'layer' is not a layer"),
    (_config({"class_name": "RNN", "config": {"name": "lstm", "cell": [1]}}), "its 'cell' is not a layer"),
    (_functional({"args": 1}), "layer 'lstm' has inbound_nodes that are a JSON dict, not a list"),
    (_functional([5]), "layer 'lstm' has an inbound node that is a JSON int"),
    (_functional([{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": [{"a": 1}, 0, 0]}}]}]),
     "layer 'lstm' is fed by {'a': 1}, which is not a layer name"),
    ({"class_name": "Functional", "config": {"name": "f", "output_layers": [[3, 0, 0]], "layers": []}},
     "output_layers ([[3, 0, 0]]) are not [layer name, node, tensor] lists"),
    ({"class_name": ["Sequential"], "config": {}}, "names no model class"),
])
def test_odd_but_valid_json_configs(tmp_path, capsys, config, needle):
    _refused(capsys, write_h5(tmp_path / "odd.h5", config=config), needle)
    _refused(capsys, write_keras(tmp_path / "odd.keras", config=config), needle)


def test_odd_config_through_export(tmp_path, capsys):
    path = write_keras(tmp_path / "odd.keras", config=_config(_lstm_layer(units="three")))
    assert main(["export", str(path), str(_input(tmp_path)), "-o", str(tmp_path / "x.png")]) == 2
    _error_line(capsys, "units is 'three'")


# --------------------------------------------------------------------------- zip bombs


@pytest.mark.parametrize("member", ["config.json", "metadata.json"])
def test_keras_json_member_declaring_gigabytes(tmp_path, capsys, member):
    path = write_keras(tmp_path / "bomb.keras")
    _set_declared_size(path, member, 3 * 2**30)
    _Opens.active = opened = []
    try:
        _refused(capsys, path, f"{member} inside this .keras file declares 3.0 GiB uncompressed",
                 "gateviz reads at most 64.0 MiB", "zip bomb")
    finally:
        _Opens.active = None
    assert all(Path(p).name == path.name or not p.startswith(str(tmp_path)) for p in opened), opened


def test_keras_weights_member_declaring_gigabytes(tmp_path, capsys):
    path = write_keras(tmp_path / "wbomb.keras")
    _set_declared_size(path, "model.weights.h5", 3 * 2**30)
    _refused(capsys, path, "model.weights.h5 inside this .keras file would inflate", "to 3.0 GiB", "zip bomb")


def test_keras_weights_member_beyond_the_memory_budget(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GATEVIZ_MEMORY_LIMIT", "4K")
    _refused(capsys, write_keras(tmp_path / "small.keras"), "inflating model.weights.h5 (",
             "declared) would need about", "of memory")


def test_keras_member_inflating_past_its_declared_size(tmp_path, capsys):
    """A lying header: 8 MiB of JSON whitespace declared as 100 bytes is stopped after 100, not inflated whole."""
    body = json.dumps(_config()).encode() + b" " * (8 * 2**20)
    path = write_keras(tmp_path / "liar.keras", config_bytes=body)
    _set_declared_size(path, "config.json", 100)
    _refused(capsys, path, "config.json inside this .keras file cannot be read", "the archive is damaged")


# --------------------------------------------------------------------------- damaged bytes


def test_damaged_hdf5_bytes_end_cleanly(tmp_path, capsys):
    """Bytes flipped at random in a .h5 and in a .keras's model.weights.h5: opened (exit 0) or one line (exit 2)."""
    rng = np.random.default_rng(11)
    sources = [write_h5(tmp_path / "good.h5").read_bytes(), weights_h5_bytes()]
    outcomes = {0: 0, 2: 0}
    for i in range(60):
        data = bytearray(sources[i % 2])
        for pos in rng.integers(0, len(data), rng.integers(1, 9)):
            data[pos] = rng.integers(0, 256)
        if i % 2 == 0:
            path = tmp_path / f"flip{i}.h5"
            path.write_bytes(bytes(data))
        else:
            path = write_keras(tmp_path / f"flip{i}.keras", weights=bytes(data))
        rc = main(["info", str(path)])
        captured = capsys.readouterr()
        assert rc in outcomes, (path, captured.err)
        outcomes[rc] += 1
        if rc == 2:
            lines = captured.err.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith(f"gateviz: error: {path}"), captured.err
            assert "unexpected" not in captured.err and "cannot follow" not in captured.err, captured.err
    assert outcomes[2] >= 10, outcomes  # the flips did reach the structure
