"""TensorFlow 1 checkpoints read without TensorFlow (issue 14): every fixture under tests/fixtures/tf1/ was
written by TensorFlow itself (scripts/make_tf_fixtures.py) with its own outputs in expected.npz; the
trace must reproduce them. Opening any file of a checkpoint, its folder or its prefix; damaged files
give one clear error."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from cli_checks import error_line

from gateviz.cli import main
from gateviz.core.engine import Tracer
from gateviz.core.errors import FormatError
from gateviz.formats import detect_format, load_model
from gateviz.formats.tf_bundle import TensorBundle, masked_crc32c, read_table, snappy_decompress
from gateviz.formats.tf_checkpoint import read_tf_checkpoint

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "tf1"
NAMES = ("note002_mnist_rows", "note003_binary_add", "lstm_peephole_clip_proj", "gru", "basic_rnn", "bidirectional",
         "lstm_stack_forget_bias", "rnn_relu_stack", "snappy_gru", "ptb_embedding")
# the options their graphs used are one value for every layer: they can be given instead of read
ONE_VALUE = NAMES[:6] + ("ptb_embedding",)
TOL = 1e-5


def _expected(name):
    with np.load(FIXTURES / name / "expected.npz") as data:
        return {k: data[k] for k in data.files}


def _options(e):
    """What TF's graph held but the checkpoint does not (the fixture script records it)."""
    return {k: float(e[k]) for k in ("forget_bias", "cell_clip", "proj_clip") if k in e}


def _without_meta(name, tmp_path):
    folder = tmp_path / name
    shutil.copytree(FIXTURES / name, folder)
    (folder / "model.ckpt.meta").unlink()
    return folder


@pytest.mark.parametrize("name", NAMES)
def test_trace_equals_tensorflow(name):
    """forget_bias, cell_clip, proj_clip and the activation read from the .meta."""
    e = _expected(name)
    _check_trace(read_tf_checkpoint(FIXTURES / name).validate(), e)


@pytest.mark.parametrize("name", ONE_VALUE)
def test_trace_equals_tensorflow_with_options_given_and_no_meta(name, tmp_path):
    e = _expected(name)
    model = read_tf_checkpoint(_without_meta(name, tmp_path), **_options(e)).validate()
    assert "the .meta was not read" in model.name  # the activation, at least, is TF's default
    _check_trace(model, e)


def _check_trace(model, e):
    trace = Tracer(model).trace(e["x"])
    last = len(model.layers) - 1
    if "h" in e:  # the top layer's output at every step
        np.testing.assert_allclose(trace.get(last, "forward", "hidden_state"), e["h"], atol=TOL, rtol=0)
    else:
        np.testing.assert_allclose(trace.get(0, "forward", "hidden_state"), e["h_fw"], atol=TOL, rtol=0)
        np.testing.assert_allclose(trace.get(0, "backward", "hidden_state"), e["h_bw"], atol=TOL, rtol=0)
    checked = 0
    for k, layer in enumerate(model.layers):
        for direction in layer.direction_names():
            suffix = "" if not layer.bidirectional else ("_fw" if direction == "forward" else "_bw")
            at = -1 if direction == "forward" else 0  # a backward direction ends at t = 0
            for state, key in (("hidden_state", f"final_h{k}{suffix}"), ("cell_state", f"final_c{k}{suffix}")):
                if key in e:
                    np.testing.assert_allclose(trace.get(k, direction, state)[at], e[key], atol=TOL, rtol=0)
                    checked += 1
    assert checked >= len(model.layers) or "out" in e  # ptb_embedding: every h and the logits, no final states
    if "out" in e:  # the dense head TF computed (logits); note 002 reads only the final h
        out = e["out"].reshape(-1, model.head.out_features)
        np.testing.assert_allclose(trace.output[-len(out):], out, atol=TOL, rtol=0)
    else:
        assert model.head is None


def test_what_the_readers_found():
    m = read_tf_checkpoint(FIXTURES / "note002_mnist_rows")
    # weights['in'] (28x6) folded into layer 0: the model reads the image's 28 pixels a row
    assert m.input_size == 28 and m.layers[0].units == 6 and m.layers[0].forget_bias == 1.0
    assert (m.head.in_features, m.head.out_features) == (6, 10) and m.head.bias is not None
    assert "forget_bias 1.0 (read from the .meta)" in m.name
    assert "head Variable_1 + Variable_3, linear" in m.name and "input projection Variable + Variable_2" in m.name
    m = read_tf_checkpoint(FIXTURES / "note003_binary_add")
    assert len(m.layers) == 2 and m.head.bias is None and "no bias variable" in m.name
    m = read_tf_checkpoint(FIXTURES / "lstm_peephole_clip_proj")
    assert m.layers[0].has_peepholes and m.layers[0].proj_size == 4 and m.layers[0].units == 6
    m = read_tf_checkpoint(FIXTURES / "gru")
    assert m.cell == "gru" and m.layers[0].reset_after is False
    m = read_tf_checkpoint(FIXTURES / "bidirectional")
    assert m.layers[0].bidirectional and "head dense/kernel + dense/bias" in m.name
    m = read_tf_checkpoint(FIXTURES / "ptb_embedding")  # word ids in, through the embedding table
    assert m.input.kind == "embedding" and m.input.embedding.shape == (11, 4) and m.layers[0].forget_bias == 0.0
    assert "head softmax_w + softmax_b" in m.name


@pytest.mark.parametrize("name", ["lstm_peephole_clip_proj", "lstm_stack_forget_bias", "rnn_relu_stack"])
def test_options_the_checkpoint_lacks_matter(name, tmp_path):
    """Without the .meta, TF's defaults (forget_bias 1.0, no clipping, tanh) come out different for the
    fixtures made with other values: reading them from the .meta is what makes these exact."""
    e = _expected(name)
    model = read_tf_checkpoint(_without_meta(name, tmp_path))
    assert "(TF's default; the .meta was not read)" in model.name
    top = Tracer(model).trace(e["x"]).get(len(model.layers) - 1, "forward", "hidden_state")
    assert np.abs(top - e["h"]).max() > 1e-2


def test_options_read_from_the_meta_per_layer():
    m = read_tf_checkpoint(FIXTURES / "lstm_stack_forget_bias")
    assert [layer.forget_bias for layer in m.layers] == pytest.approx([0.3, 2.0])
    assert "forget_bias 0.3, forget_bias 2.0" in m.name and "read from the .meta" in m.name
    m = read_tf_checkpoint(FIXTURES / "lstm_peephole_clip_proj")
    layer = m.layers[0]
    assert (layer.forget_bias, layer.cell_clip, layer.proj_clip) == pytest.approx((0.7, 0.8, 0.3))
    m = read_tf_checkpoint(FIXTURES / "rnn_relu_stack")
    assert [layer.activation.name for layer in m.layers] == ["relu", "relu"]
    m = read_tf_checkpoint(FIXTURES / "lstm_peephole_clip_proj", forget_bias=0.25)  # given beats the .meta
    assert m.layers[0].forget_bias == 0.25 and "forget_bias 0.25 (given)" in m.name


def test_a_damaged_meta_falls_back_to_tf_defaults_and_says_so(tmp_path):
    folder = tmp_path / "c"
    shutil.copytree(FIXTURES / "note003_binary_add", folder)
    (folder / "model.ckpt.meta").write_bytes(b"\x12\x05\x0a\x03\x0a\x01")  # a graph field longer than the file
    m = read_tf_checkpoint(folder)
    assert m.layers[0].forget_bias == 1.0 and "the .meta could not be read" in m.name


@pytest.mark.parametrize("part", ["", "checkpoint", "model.ckpt", "model.ckpt.index", "model.ckpt.meta",
                                  "model.ckpt.data-00000-of-00001"])
def test_every_file_of_a_checkpoint_opens(part):
    path = FIXTURES / "note003_binary_add" / part
    assert detect_format(path) == "tf-checkpoint"
    model = load_model(path)
    ref = read_tf_checkpoint(FIXTURES / "note003_binary_add")
    for a, b in zip(model.layers, ref.layers):
        np.testing.assert_array_equal(a.directions[0].Wx, b.directions[0].Wx)


@pytest.fixture
def copy(tmp_path):
    folder = tmp_path / "ckpt"
    shutil.copytree(FIXTURES / "gru", folder)
    return folder


def test_a_moved_folder_whose_state_file_names_an_absolute_path_opens(copy):
    (copy / "checkpoint").write_text('model_checkpoint_path: "/somewhere/else/model.ckpt"\n')
    assert load_model(copy).cell == "gru"


def _refused(path, *needles):
    with pytest.raises(FormatError) as info:
        load_model(path)
    for needle in needles:
        assert needle in str(info.value), str(info.value)


def test_a_truncated_index_is_refused(copy, capsys):
    index = copy / "model.ckpt.index"
    data = index.read_bytes()
    index.write_bytes(data[:-10])
    _refused(copy, "magic number")
    index.write_bytes(data[:20])
    _refused(index, "truncated")
    assert main(["info", str(index)]) == 2
    error_line(capsys, "model.ckpt.index", "truncated")


def test_a_damaged_index_block_fails_its_checksum(copy):
    index = copy / "model.ckpt.index"
    data = bytearray(index.read_bytes())
    data[20] ^= 0xFF  # inside the first data block (a key)
    index.write_bytes(bytes(data))
    _refused(copy, "checksum")


def test_damaged_and_missing_data_are_refused(copy, capsys):
    shard = copy / "model.ckpt.data-00000-of-00001"
    data = bytearray(shard.read_bytes())
    shard.write_bytes(bytes(data[:100]))
    _refused(copy, "truncated")
    data[5] ^= 0x01
    shard.write_bytes(bytes(data))
    _refused(copy, "checksum")
    shard.unlink()
    _refused(copy / "model.ckpt.index", "missing", "data-00000-of-00001")
    assert main(["trace", str(copy), "-o", str(copy / "t.npz")]) == 2
    error_line(capsys, "missing")


def test_a_checkpoint_without_rnn_cells_says_what_it_reads(copy):
    """The index's keys are renamed in place (same length, so the table stays valid): no cell left."""
    index = copy / "model.ckpt.index"
    entries = read_table(index.read_bytes(), str(index))
    assert [k for k, _ in entries][:2] == [b"", b"rnn/gru_cell/candidate/bias"]
    data = index.read_bytes().replace(b"gru_cell", b"gru_cexx")
    index.write_bytes(_reseal(data))
    _refused(copy, "without any rnn_cell variables")


def _reseal(buf: bytes) -> bytes:
    """Recompute the CRC of every block of a LevelDB table after its bytes were edited in place."""
    from gateviz.formats.tf_bundle import FOOTER_SIZE, _block_entries, _varint

    out = bytearray(buf)
    footer = buf[-FOOTER_SIZE:]
    pos = 0
    handles = []
    for _ in range(2):  # metaindex, index
        offset, pos = _varint(footer, pos, "")
        size, pos = _varint(footer, pos, "")
        handles.append((offset, size))
    index_offset, index_size = handles[1]
    for _, handle in _block_entries(buf[index_offset:index_offset + index_size], ""):
        offset, p = _varint(handle, 0, "")
        size, _ = _varint(handle, p, "")
        handles.append((offset, size))
    for offset, size in handles:
        crc = masked_crc32c(bytes(out[offset:offset + size + 1]))
        out[offset + size + 1:offset + size + 5] = crc.to_bytes(4, "little")
    return bytes(out)


def test_a_folder_without_a_checkpoint_is_still_a_folder(tmp_path):
    with pytest.raises(FormatError, match="is a folder"):
        detect_format(tmp_path)


def test_bundle_lists_every_tensor_with_its_shape():
    bundle = TensorBundle(FIXTURES / "note002_mnist_rows" / "model.ckpt")
    assert bundle.entries["rnn/basic_lstm_cell/kernel"].shape == (12, 24)  # [x; h] rows, 4 gates of 6
    assert bundle.entries["Variable/Adam"].dtype_name == "float32"
    assert bundle.tensor("beta1_power").shape == ()
    assert abs(float(bundle.tensor("beta1_power")) - 0.9) < 1e-7  # Adam's beta1, as TF stored it


def test_cli_info_and_trace(tmp_path, capsys):
    folder = _without_meta("note002_mnist_rows", tmp_path)
    assert main(["info", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "format:     tf-checkpoint" in out and "forget_bias 1.0 (TF's default; the .meta was not read)" in out
    assert "head:       linear 6 -> 10" in out
    e = _expected("note002_mnist_rows")
    x = tmp_path / "image.npy"
    np.save(x, e["x"])
    target = tmp_path / "t.npz"
    assert main(["trace", str(folder / "model.ckpt.index"), str(x), "-o", str(target)]) == 0
    with np.load(target, allow_pickle=False) as data:
        np.testing.assert_allclose(data["layer0.forward.hidden_state"], e["h"], atol=TOL, rtol=0)
        np.testing.assert_allclose(data["output"][-1], e["out"], atol=TOL, rtol=0)


def test_meta_graphs_of_both_control_flows_are_read():
    """TF 1.x graphs keep the while loop's cell at the top level (rnn/while/…); TF 2's v1 graphs put it in
    a library function: the fixtures hold both, and each shows its forget_bias."""
    from gateviz.formats.tf_meta import read_meta_options

    old = read_meta_options(FIXTURES / "lstm_stack_forget_bias" / "model.ckpt.meta")
    assert {(f.where, round(f.value, 6)) for f in old if f.option == "forget_bias"} == {
        ("/rnn/while/rnn/multi_rnn_cell/cell_0/", 0.3), ("/rnn/while/rnn/multi_rnn_cell/cell_1/", 2.0)}
    new = read_meta_options(FIXTURES / "bidirectional" / "model.ckpt.meta")
    fb = [f for f in new if f.option == "forget_bias"]
    assert len(fb) == 2 and all("while_body" in f.where for f in fb) and {f.value for f in fb} == {1.0}


def test_a_snappy_compressed_index_reads_as_the_plain_one():
    """snappy_gru's .index holds the gru fixture's table with every block snappy-compressed (cramjam), and
    TensorFlow read it back (scripts/make_tf_fixtures.py): the same tensors come out."""
    index = (FIXTURES / "snappy_gru" / "model.ckpt.index").read_bytes()
    footer = index[-48:]
    assert footer[-8:] == (0xDB4775248B80FB57).to_bytes(8, "little")
    plain, packed = TensorBundle(FIXTURES / "gru" / "model.ckpt"), TensorBundle(FIXTURES / "snappy_gru" / "model.ckpt")
    assert packed.entries.keys() == plain.entries.keys()
    for name in plain.entries:
        np.testing.assert_array_equal(packed.tensor(name), plain.tensor(name))


def test_snappy_every_element_kind():
    """A stream assembled by the format's rules: a long literal (length in an extra byte), a 1-byte-offset
    copy, an overlapping 2-byte-offset copy (run-length) and a 4-byte-offset copy."""
    literal = bytes(range(70))
    stream = bytes([60 << 2]) + bytes([69]) + literal  # literal of 70: tag 60 -> one length byte (len-1)
    expect = bytearray(literal)
    stream += bytes([((8 - 4) << 2) | 1 | (0 << 5), 10])  # copy 8 bytes from 10 back (11-bit offset)
    expect += expect[-10:-2]
    stream += bytes([((12 - 1) << 2) | 2]) + (1).to_bytes(2, "little")  # 12 copies of the last byte
    expect += bytes([expect[-1]]) * 12
    stream += bytes([((5 - 1) << 2) | 3]) + (70).to_bytes(4, "little")  # 5 bytes from 70 back
    expect += expect[-70:-65]
    assert snappy_decompress(bytes([len(expect)]) + stream) == bytes(expect)
    with pytest.raises(FormatError, match="declares"):
        snappy_decompress(bytes([len(expect) + 1]) + stream)
    with pytest.raises(FormatError, match="offset"):
        snappy_decompress(bytes([9]) + bytes([((4 - 4) << 2) | 1, 5]))  # a copy before anything was written


def test_every_damaged_byte_of_an_index_is_refused_or_harmless(tmp_path):
    """Each byte of the gru fixture's .index flipped in turn: a clear FormatError, never another exception,
    except in the bytes a bundle never reads — the metaindex block and its handle, the footer's padding —
    where the tensors come out unchanged."""
    from gateviz.formats.tf_bundle import FOOTER_SIZE, _varint

    folder = tmp_path / "c"
    shutil.copytree(FIXTURES / "gru", folder)
    index = folder / "model.ckpt.index"
    original = index.read_bytes()
    footer_at = len(original) - FOOTER_SIZE
    meta_offset, pos = _varint(original, footer_at, "")
    meta_size, after_meta = _varint(original, pos, "")
    _, pos = _varint(original, after_meta, "")
    _, handles_end = _varint(original, pos, "")
    unread = (set(range(meta_offset, meta_offset + meta_size + 5)) | set(range(footer_at, after_meta))
              | set(range(handles_end, len(original) - 8)))
    plain = TensorBundle(FIXTURES / "gru" / "model.ckpt")
    harmless = set()
    for i in range(len(original)):
        data = bytearray(original)
        data[i] ^= 0x5A
        index.write_bytes(bytes(data))
        try:
            bundle = TensorBundle(folder / "model.ckpt")
        except FormatError:
            continue
        for name in plain.entries:
            np.testing.assert_array_equal(bundle.tensor(name), plain.tensor(name))
        harmless.add(i)
    assert harmless == unread


def test_two_modules_are_listed_and_each_opens_with_its_own_forget_bias(capsys):
    """encoder/rnn and decoder/rnn in one checkpoint: info lists both, --module picks one, and each gets the
    forget_bias its own part of the .meta shows (0.5 and 1.5)."""
    from gateviz.formats import list_modules

    folder = FIXTURES / "two_modules"
    e = _expected("two_modules")
    assert list_modules(folder) == ["decoder/rnn", "encoder/rnn"]
    from gateviz.core.errors import ModuleChoiceRequired
    from gateviz.ui.workers import ModuleChoiceNeeded, load_model_file

    with pytest.raises(ModuleChoiceRequired, match="choose one with --module"):  # the app offers a chooser
        load_model(folder)
    with pytest.raises(ModuleChoiceNeeded) as chooser:
        load_model_file(str(folder))
    assert chooser.value.names == ["decoder/rnn", "encoder/rnn"]
    assert chooser.value.descriptions[1] == "encoder/rnn: basic_lstm_cell, 1 layer(s) of 3 units"
    for module in ("encoder", "decoder"):
        model = load_model(folder, module=f"{module}/rnn")
        assert model.layers[0].forget_bias == pytest.approx(float(e[f"forget_bias_{module}"]))
        h = Tracer(model).trace(e["x"]).get(0, "forward", "hidden_state")
        np.testing.assert_allclose(h, e[f"h_{module}"], atol=TOL, rtol=0)
    assert main(["info", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "holds 2 recurrent modules" in out and "encoder/rnn: basic_lstm_cell, 1 layer(s) of 3 units" in out
    assert main(["info", str(folder), "--module", "nope"]) == 2
    error_line(capsys, "no recurrent module 'nope'", "decoder/rnn, encoder/rnn")


def test_a_tf2_object_checkpoint_is_named_and_its_object_graph_reads(capsys):
    """tf.train.Checkpoint of a Keras LSTM (written by TF 2): not a TF1 model; the message says what it is and
    what to save instead. Its object graph, a string tensor, reads as a protobuf message."""
    from gateviz.formats.tf_bundle import _fields

    folder = FIXTURES / "tf2_object_checkpoint"
    assert main(["info", str(folder)]) == 2
    error_line(capsys, "TensorFlow 2 object-based checkpoint", "model.keras")
    bundle = TensorBundle(folder / "ckpt")
    graph = bundle.string("_CHECKPOINTABLE_OBJECT_GRAPH")
    nodes = [v for n, v in _fields(graph, "object graph") if n == 1]  # TrackableObjectGraph.nodes
    assert len(nodes) >= 4 and b"recurrent_kernel" in graph
    assert bundle.tensor("model/layer_with_weights-0/cell/kernel/.ATTRIBUTES/VARIABLE_VALUE").shape == (2, 12)


def test_cli_info_overrides_and_refuses_them_for_other_formats(tmp_path, capsys):
    folder = FIXTURES / "lstm_peephole_clip_proj"
    assert main(["info", str(folder), "--forget-bias", "0.25", "--cell-clip", "3", "--json"]) == 0
    import json

    layer = json.loads(capsys.readouterr().out)["layers"][0]
    assert (layer["forget_bias"], layer["cell_clip"], layer["proj_clip"]) == pytest.approx((0.25, 3.0, 0.3))
    gvm = tmp_path / "m.gvm"
    from gateviz.formats import save_model

    save_model(read_tf_checkpoint(folder), gvm)
    assert main(["info", str(gvm), "--forget-bias", "0.5"]) == 2
    error_line(capsys, "--forget-bias apply to TensorFlow 1 checkpoints")


def test_a_folder_of_several_saves_opens_the_one_its_checkpoint_file_names(tmp_path):
    """Saver keeps the last few saves (model.ckpt-1000, model.ckpt-2000); the checkpoint file names the newest.
    Without it the folder is ambiguous and the message lists the saves."""
    for step, name in ((1000, "gru"), (2000, "basic_rnn")):
        for f in (FIXTURES / name).glob("model.ckpt.*"):
            shutil.copy(f, tmp_path / f.name.replace("model.ckpt", f"model.ckpt-{step}"))
    (tmp_path / "checkpoint").write_text('model_checkpoint_path: "model.ckpt-2000"\n'
                                         'all_model_checkpoint_paths: "model.ckpt-1000"\n'
                                         'all_model_checkpoint_paths: "model.ckpt-2000"\n')
    assert load_model(tmp_path).cell == "rnn"
    assert load_model(tmp_path / "model.ckpt-1000.index").cell == "gru"
    (tmp_path / "checkpoint").unlink()
    _refused(tmp_path, "holds 2 checkpoints", "model.ckpt-1000.index")
    (tmp_path / "checkpoint").write_text('model_checkpoint_path: "model.ckpt-3000"\n')
    _refused(tmp_path, "names the checkpoint 'model.ckpt-3000'", "not in")


def test_the_override_flags_reach_trace_export_and_ablate(tmp_path, capsys):
    """--forget-bias/--cell-clip/--proj-clip are taken by every command that reads MODEL (cli/models.py)."""
    import numpy as np

    from gateviz.cli import main
    from gateviz.core.engine import Tracer
    from gateviz.core.trace import Trace
    from gateviz.formats import load_model

    folder = FIXTURES / "lstm_peephole_clip_proj"
    x = np.random.default_rng(0).standard_normal((7, 3)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "t.npz"
    assert main(["trace", str(folder), str(tmp_path / "x.npy"), "--forget-bias", "0.25", "--cell-clip", "2",
                 "-o", str(out)]) == 0
    got = Trace.load(out)
    model = load_model(folder, tf_options={"forget_bias": 0.25, "cell_clip": 2.0})
    assert model.layers[0].forget_bias == 0.25 and model.layers[0].cell_clip == 2.0
    want = Tracer(model).trace(x)
    np.testing.assert_array_equal(got.get(0, "forward", "cell_state"), want.get(0, "forward", "cell_state"))
    plain = Tracer(load_model(folder)).trace(x)
    assert not np.allclose(got.get(0, "forward", "cell_state"), plain.get(0, "forward", "cell_state"))
    assert main(["ablate", str(folder), str(tmp_path / "x.npy"), "--forget-bias", "0.25", "--top", "2"]) == 0
    assert main(["export", str(folder), str(tmp_path / "x.npy"), "--proj-clip", "0.5", "-o",
                 str(tmp_path / "e.npz")]) == 0
    capsys.readouterr()
    assert main(["trace", "bundled:brackets-lstm", "--forget-bias", "1", "-o", str(tmp_path / "b.npz")]) == 2
    assert "--forget-bias apply to TensorFlow 1 checkpoints" in capsys.readouterr().err
