"""TensorFlow SavedModel folders (issue 14): a tf.keras one (keras_metadata.pb, or TF <= 2.4's Keras JSON in
saved_model.pb's object graph) opens — the folder, its saved_model.pb and its variables/ — and traces to
TensorFlow's own outputs; any other SavedModel (tf.saved_model.save of a tf.keras model since TF 2.5, Keras 3
export(), a tf.Module) is recognised and refused with a message saying which it is and what to open instead.
ONNX files still open."""

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


# ---- TF2 Keras SavedModel folders, read (fixtures: scripts/make_savedmodel_fixtures.py) --------------

from pathlib import Path  # noqa: E402

from fixtures_frameworks import max_abs  # noqa: E402

from gateviz.core.engine import trace  # noqa: E402
from gateviz.formats import describe_modules, load_model  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "savedmodel"
NAMES = ["lstm", "gru", "simplernn", "bilstm_dense", "embedding_lstm", "functional_lstm2_dense"]
LEGACY = ["legacy_gru", "legacy_bilstm_dense", "legacy_embedding_lstm"]  # TF <= 2.4: no keras_metadata.pb
TOL = 1e-5


def _tf_output(gm, x):
    """The trace's output in the shape TensorFlow returned it: the head's, else the last layer's."""
    tr = trace(gm, x)
    if gm.head is not None:
        mode = tr.meta["output_mode"]  # "final": one output; "running": the head at every step, the last is Keras's
        return tr.output[:, 0] if mode == "final" else tr.output[:, -1] if mode == "running" else tr.output
    layer = gm.layers[-1]
    hs = [tr.states[(len(gm.layers) - 1, n)]["hidden_state"] for n in layer.direction_names()]
    assert len(hs) == 1  # the fixtures' sequence outputs are one direction
    return hs[0]


@pytest.mark.parametrize("name", NAMES + LEGACY)
def test_every_fixture_traces_to_tensorflows_own_output(name):
    ref = np.load(FIXTURES / name / "expected.npz")
    gm = load_model(FIXTURES / name)
    assert gm.framework == "keras"
    got = _tf_output(gm, ref["x"])
    assert got.shape == ref["y"].shape
    assert max_abs(got, ref["y"]) <= TOL


def test_the_cells_inputs_and_heads_are_what_was_saved():
    kinds = {n: [l.cell for l in load_model(FIXTURES / n).layers] for n in NAMES}
    assert kinds == {"lstm": ["lstm"], "gru": ["gru"], "simplernn": ["rnn"], "bilstm_dense": ["lstm"],
                     "embedding_lstm": ["lstm"], "functional_lstm2_dense": ["lstm", "lstm"]}
    bi = load_model(FIXTURES / "bilstm_dense")
    assert len(bi.layers[0].directions) == 2 and bi.head is not None
    emb = load_model(FIXTURES / "embedding_lstm")
    assert emb.input.kind == "embedding" and emb.input.embedding.shape == (10, 3)


@pytest.mark.parametrize("where", ["", "saved_model.pb", "variables", "variables/variables.index"])
def test_the_folder_its_saved_model_pb_and_variables_open(where):
    folder = FIXTURES / "gru"
    path = folder / where if where else folder
    assert detect_format(path) == "tf-savedmodel"
    ref = np.load(folder / "expected.npz")
    assert max_abs(_tf_output(load_model(path), ref["x"]), ref["y"]) <= TOL


def test_gateviz_info_lists_the_recurrent_layers(capsys):
    assert any("bidirectional" in line for line in describe_modules(FIXTURES / "bilstm_dense"))
    assert main(["info", str(FIXTURES / "bilstm_dense")]) == 0
    assert "bidirectional" in capsys.readouterr().out


def test_a_savedmodel_without_keras_metadata_is_refused_as_tf_saved_model_writes_it(tmp_path, capsys):
    import shutil

    folder = tmp_path / "nometa"
    shutil.copytree(FIXTURES / "lstm", folder)
    (folder / "keras_metadata.pb").unlink()  # Keras objects in the object graph, their configs gone
    with pytest.raises(FormatError, match="is a TensorFlow SavedModel; tf.saved_model.save wrote it from a tf.keras "
                                          "model.*keras_metadata.pb.*model.save\\('model.keras'\\)"):
        load_model(folder)
    assert main(["info", str(folder)]) == 2
    error_line(capsys, "is a TensorFlow SavedModel", "activations and options are unknown", "model.save('dir')")


# ---- SavedModels without keras_metadata.pb ---------------------------------------------------------

REFUSED = {  # fixture -> what the message says it is
    "refused_tf_saved_model": "tf.saved_model.save wrote it from a tf.keras model",
    "refused_keras3_export": "Keras 3 export\\(\\) or tf.saved_model.save of a non-Keras object wrote it: it holds "
                             "no layer structure",
    "refused_tf_module": "Keras 3 export\\(\\) or tf.saved_model.save of a non-Keras object wrote it: it holds no "
                         "layer structure",
}


@pytest.mark.parametrize("name", sorted(REFUSED))
@pytest.mark.parametrize("where", ["", "saved_model.pb", "variables", "variables/variables.index"])
def test_savedmodels_without_layer_configs_are_refused_saying_which_they_are(name, where, capsys):
    path = FIXTURES / name / where if where else FIXTURES / name
    message = f"{FIXTURES / name} is a TensorFlow SavedModel; {REFUSED[name]}.*model.save\\('model.keras'\\)"
    with pytest.raises(FormatError, match=message):
        detect_format(path)
    with pytest.raises(FormatError, match=message):
        load_model(path)
    assert main(["info", str(path)]) == 2
    error_line(capsys, "is a TensorFlow SavedModel", "model.save('model.h5')")


@pytest.mark.parametrize("where", ["", "saved_model.pb", "variables", "variables/variables.index"])
def test_a_tf24_savedmodel_opens_from_its_folder_saved_model_pb_and_variables(where):
    folder = FIXTURES / "legacy_bilstm_dense"
    assert not (folder / "keras_metadata.pb").exists()
    path = folder / where if where else folder
    assert detect_format(path) == "tf-savedmodel"
    ref = np.load(folder / "expected.npz")
    gm = load_model(path)
    assert [l.cell for l in gm.layers] == ["lstm"] and len(gm.layers[0].directions) == 2 and gm.head is not None
    assert max_abs(_tf_output(gm, ref["x"]), ref["y"]) <= TOL


def test_a_tf24_savedmodel_keeps_its_embedding_and_gateviz_info_describes_it(capsys):
    emb = load_model(FIXTURES / "legacy_embedding_lstm")
    assert emb.input.kind == "embedding" and emb.input.embedding.shape == (10, 3)
    assert main(["info", str(FIXTURES / "legacy_gru")]) == 0
    out = capsys.readouterr().out
    assert "format:     tf-savedmodel" in out and "GRU 4 units, input 3" in out


def test_a_tf24_savedmodel_without_variables_says_so(tmp_path, capsys):
    import shutil

    folder = tmp_path / "noweights"
    shutil.copytree(FIXTURES / "legacy_gru", folder)
    shutil.rmtree(folder / "variables")
    for path in (folder, folder / "saved_model.pb"):  # saved_model.pb copied alone into a folder
        assert main(["info", str(path)]) == 2
        error_line(capsys, "without its weights", "variables/ included")


def test_a_renamed_saved_model_pb_says_to_open_its_folder(tmp_path, capsys):
    import shutil

    shutil.copy(FIXTURES / "legacy_gru" / "saved_model.pb", tmp_path / "model.pb")
    assert main(["info", str(tmp_path / "model.pb")]) == 2
    error_line(capsys, "under another name", "rename it saved_model.pb")
    shutil.copy(FIXTURES / "refused_keras3_export" / "saved_model.pb", tmp_path / "export.pb")
    assert main(["info", str(tmp_path / "export.pb")]) == 2
    error_line(capsys, "it holds no layer structure", "model.save('model.keras')")


def test_a_truncated_saved_model_pb_is_called_damaged(tmp_path, capsys):
    import shutil

    folder = tmp_path / "cut"
    shutil.copytree(FIXTURES / "refused_tf_module", folder)
    data = (folder / "saved_model.pb").read_bytes()
    (folder / "saved_model.pb").write_bytes(data[:len(data) // 2])
    assert main(["info", str(folder)]) == 2
    error_line(capsys, "cannot be decoded", "save the model again")


def test_a_keras_savedmodel_without_its_variables_says_so(tmp_path, capsys):
    import shutil

    folder = tmp_path / "noweights"
    shutil.copytree(FIXTURES / "lstm", folder)
    shutil.rmtree(folder / "variables")
    assert main(["info", str(folder)]) == 2
    error_line(capsys, "without its weights", "variables/ included")


@pytest.mark.parametrize("where", ["variables", "variables/variables.index"])
def test_a_variables_folder_without_its_saved_model_pb_says_to_open_the_whole_folder(tmp_path, capsys, where):
    import shutil

    shutil.copytree(FIXTURES / "gru" / "variables", tmp_path / "variables")  # copied alone
    assert main(["info", str(tmp_path / where)]) == 2
    error_line(capsys, "object-based checkpoint", "open the whole SavedModel folder, saved_model.pb included")
