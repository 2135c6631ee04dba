"""TensorFlow SavedModel folders (issue 14): not read yet, but recognised — the folder, its
saved_model.pb (alone too: it was called a damaged ONNX file) and its variables/ checkpoint — with
a message saying what to open instead. ONNX files still open."""

import numpy as np
import pytest
from cli_checks import error_line

from gateviz.cli import main
from gateviz.core.errors import FormatError
from gateviz.formats import detect_format

# SavedModel's first bytes: saved_model_schema_version = 1, then a meta_graphs message
SAVED_MODEL_PB = b"\x08\x01\x12\x07\x0a\x05graph"


@pytest.fixture
def savedmodel(tmp_path):
    folder = tmp_path / "exported"
    (folder / "variables").mkdir(parents=True)
    (folder / "saved_model.pb").write_bytes(SAVED_MODEL_PB)
    (folder / "variables" / "variables.index").write_bytes(b"\x00" * 48)
    (folder / "variables" / "variables.data-00000-of-00001").write_bytes(b"\x00" * 8)
    return folder


@pytest.mark.parametrize("where", ["", "saved_model.pb", "variables", "variables/variables.index",
                                   "variables/variables.data-00000-of-00001"])
def test_every_part_of_a_savedmodel_says_what_it_is_and_what_to_open(savedmodel, where):
    with pytest.raises(FormatError, match="is a TensorFlow SavedModel;.*model.save\\('model.keras'\\)"):
        detect_format(savedmodel / where if where else savedmodel)


def test_a_lone_saved_model_pb_is_not_a_damaged_onnx_file(tmp_path, capsys):
    lone = tmp_path / "saved_model.pb"
    lone.write_bytes(SAVED_MODEL_PB)
    assert main(["info", str(lone)]) == 2
    error_line(capsys, "is a TensorFlow SavedModel", "tf.train.Saver checkpoint")


def test_onnx_files_still_open(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    H, I = 3, 2
    rng = np.random.default_rng(0)
    W = helper.make_tensor("W", TensorProto.FLOAT, [1, 4 * H, I], rng.standard_normal(4 * H * I).tolist())
    R = helper.make_tensor("R", TensorProto.FLOAT, [1, 4 * H, H], rng.standard_normal(4 * H * H).tolist())
    node = helper.make_node("LSTM", ["X", "W", "R"], ["Y"], hidden_size=H)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [5, 1, I])],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)], [W, R])
    path = tmp_path / "m.pb"  # an ONNX file with a .pb name is still ONNX
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]), path)
    assert detect_format(path) == "onnx"
