"""Data export: the trace file (.npz) and the tidy CSV, read back and compared."""

import json

import numpy as np
import pytest

from gateviz.core.trace import Trace
from gateviz.export.data import csv_columns, read_csv, save_csv, save_npz
from gateviz.export.files import ExportError

from export_helpers import small_trace


def test_npz_is_the_trace_file_contract(tmp_path):
    model, _, trace = small_trace("lstm", units=5, steps=9, layers=2, bidirectional=True)
    path = tmp_path / "t.npz"
    save_npz(trace, path)
    with np.load(path, allow_pickle=False) as data:
        keys = set(data.files)
        assert "meta" in keys and json.loads(str(data["meta"]))["cell"] == "lstm"
        for k in range(2):
            for d in ("forward", "backward"):
                for q in ("input_gate", "forget_gate", "cell_candidate", "output_gate", "cell_state", "hidden_state"):
                    key = f"layer{k}.{d}.{q}"
                    assert data[key].shape == (9, 5)
                    np.testing.assert_array_equal(data[key], trace.get(k, d, q))
    assert Trace.load(path).length == 9


def test_csv_rows_are_steps_times_units_per_layer_and_direction(tmp_path):
    _, _, trace = small_trace("gru", units=4, steps=7, layers=2, bidirectional=True)
    path = tmp_path / "t.csv"
    rows = save_csv(trace, path)
    columns, values, directions = read_csv(path)
    assert columns == ["layer", "direction", "step", "unit", "reset_gate", "update_gate", "candidate", "hidden_state"]
    assert columns == csv_columns(trace)
    assert rows == len(values) == 2 * 2 * 7 * 4
    # every (layer, direction, step, unit) exactly once, values equal to the trace's to float32 precision
    seen = set()
    for row, d in zip(values, directions):
        layer, step, unit = int(row[0]), int(row[1]), int(row[2])
        seen.add((layer, d, step, unit))
        for j, q in enumerate(trace.quantities):
            assert row[3 + j] == pytest.approx(float(trace.get(layer, d, q)[step, unit]), rel=1e-6, abs=1e-7)
    assert len(seen) == rows


def test_csv_restricts_to_layer_direction_units_and_steps(tmp_path):
    _, _, trace = small_trace("lstm", units=6, steps=10, layers=2, bidirectional=True)
    path = tmp_path / "sub.csv"
    rows = save_csv(trace, path, layer=1, direction="backward", units=[0, 5], steps=range(2, 6))
    columns, values, directions = read_csv(path)
    assert rows == len(values) == 4 * 2
    assert set(directions) == {"backward"} and set(values[:, 0]) == {1.0}
    assert sorted(set(values[:, 1])) == [2, 3, 4, 5] and sorted(set(values[:, 2])) == [0, 5]
    h = columns.index("hidden_state") - 1  # read_csv drops the direction column
    assert values[-1, h] == pytest.approx(float(trace.get(1, "backward", "hidden_state")[5, 5]), rel=1e-6)


def test_bad_requests_and_no_overwrite(tmp_path):
    _, _, trace = small_trace("rnn", units=3, steps=5)
    path = tmp_path / "x.csv"
    with pytest.raises(ExportError, match="unit 7 does not exist; this layer has units 0..2"):
        save_csv(trace, path, units=[7])
    with pytest.raises(ExportError, match="layer 3 does not exist"):
        save_csv(trace, path, layer=3)
    with pytest.raises(ExportError, match="no backward direction"):
        save_csv(trace, path, direction="backward")
    assert not path.exists()  # nothing half-written
    path.write_text("precious")
    with pytest.raises(ExportError, match="already exists"):
        save_csv(trace, path)
    with pytest.raises(ExportError, match="already exists"):
        save_npz(trace, path)
    assert path.read_text() == "precious"
    save_csv(trace, path, overwrite=True)
    assert read_csv(path)[1].shape == (5 * 3, 4)
    assert not [p for p in tmp_path.iterdir() if ".part" in p.name]


def test_data_export_does_not_import_qt():
    import subprocess
    import sys

    code = ("import sys; sys.modules['PySide6'] = None; sys.modules['pyqtgraph'] = None\n"
            "import gateviz.export, gateviz.export.data, gateviz.export.files\n"
            "assert 'PySide6.QtCore' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(__import__('pathlib').Path(__file__).parents[1]))
