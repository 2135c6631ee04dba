"""Write the TensorFlow 1 checkpoint fixtures under tests/fixtures/tf1/ (issue 14).

Run it in its own virtual environment, never gateviz's (the test suite must not need TensorFlow):

    python3.11 -m venv /tmp/tfenv && /tmp/tfenv/bin/pip install tensorflow tf-keras cramjam
    TF_USE_LEGACY_KERAS=1 /tmp/tfenv/bin/python scripts/make_tf_fixtures.py

(TF 2.x runs the TF1 graph code through ``tf.compat.v1``; its rnn_cell classes live in tf-keras.)

Each fixture is a folder with the ``tf.compat.v1.train.Saver`` files (``model.ckpt.index``,
``model.ckpt.data-00000-of-00001``, ``model.ckpt.meta``, ``checkpoint``) and ``expected.npz``:
``x`` the input (T, F), ``h`` TensorFlow's top-layer output at every step (T, Hout) — for a
bidirectional model ``h_fw`` and ``h_bw`` —, ``final_c{k}`` / ``final_h{k}`` each layer's final state
(``_fw``/``_bw`` suffixed for a bidirectional one), ``out`` the dense head's output (pre-activation:
the logits) where the model has one, and the cell options the checkpoint does not store
(``forget_bias`` or ``forget_bias_layers``, ``cell_clip``, ``proj_clip``, ``activation``): the reader
finds them in the ``.meta``. Weights are random (no training): the reader is
checked on TensorFlow's arithmetic, not on a task.
"""

from __future__ import annotations

import os
import shutil
import struct
import sys
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

v1 = tf.compat.v1
rnn_cell = v1.nn.rnn_cell
OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "tf1"


def save(name: str, sess, fetches: dict, feed: dict, extra: dict) -> None:
    """Run the graph on the input, save the checkpoint and TensorFlow's outputs. The cells' biases are
    made random first (TF initialises them to zeros or ones), so a misplaced bias block shows."""
    rng = np.random.default_rng(len(name))
    for var in v1.global_variables():
        if "_cell/" in var.name and var.name.endswith("bias:0"):
            var.load(rng.normal(size=var.shape).astype(np.float32), sess)
    folder = OUT / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    values = sess.run(fetches, feed_dict=feed)
    # relative paths in the `checkpoint` file, so the folder can move; no default attrs in the .meta (smaller)
    v1.train.Saver(save_relative_paths=True).save(sess, str(folder / "model.ckpt"), strip_default_attrs=True)
    arrays = {k: np.asarray(v[0] if np.ndim(v) >= 2 else v, dtype=np.float32) for k, v in values.items()}
    np.savez(folder / "expected.npz", **arrays,
             **{k: np.asarray(v) if isinstance(v, str) else np.float32(v) for k, v in extra.items()})
    size = sum(f.stat().st_size for f in folder.iterdir())
    print(f"{name}: {size / 1024:.1f} KiB, variables: {[v.name for v in v1.global_variables()]}")


def graph(seed: int) -> None:
    """A fresh default graph for the next fixture, seeded."""
    v1.reset_default_graph()
    v1.set_random_seed(seed)


def note_002_mnist_rows() -> None:
    """Seed note 002: an MNIST image read row by row (28 steps of 28 pixels), a dense input projection
    weights['in'], BasicLSTMCell + dynamic_rnn, the logits from the final h through weights['out'].
    Smaller than the note (6 units); an AdamOptimizer adds its slot variables, as a trained one would."""
    graph(2)
    n_inputs, n_steps, n_hidden, n_classes = 28, 28, 6, 10
    x = v1.placeholder(tf.float32, [None, n_steps, n_inputs])
    y = v1.placeholder(tf.float32, [None, n_classes])
    weights = {"in": tf.Variable(v1.random_normal([n_inputs, n_hidden])),
               "out": tf.Variable(v1.random_normal([n_hidden, n_classes]))}
    biases = {"in": tf.Variable(tf.constant(0.1, shape=[n_hidden])),
              "out": tf.Variable(v1.random_normal([n_classes]))}
    X = tf.reshape(x, [-1, n_inputs])
    X_in = tf.reshape(tf.matmul(X, weights["in"]) + biases["in"], [-1, n_steps, n_hidden])
    cell = rnn_cell.BasicLSTMCell(n_hidden, forget_bias=1.0, state_is_tuple=True)
    outputs, final_state = v1.nn.dynamic_rnn(cell, X_in, dtype=tf.float32, time_major=False)
    results = tf.matmul(final_state[1], weights["out"]) + biases["out"]
    cost = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits=results, labels=y))
    v1.train.AdamOptimizer(0.001).minimize(cost)
    image = np.random.default_rng(2).random((1, n_steps, n_inputs), dtype=np.float32)
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        save("note002_mnist_rows", sess,
             {"x": x, "h": outputs, "final_c0": final_state[0], "final_h0": final_state[1], "out": results},
             {x: image}, {"forget_bias": 1.0})


def note_003_binary_add() -> None:
    """Seed note 003: MultiRNNCell of two BasicLSTMCells adding 8-bit numbers (2 bits a step), a
    sigmoid read-out of every step through one weight variable and a constant zero bias."""
    graph(3)
    binary_dim, lstm_size, lstm_layers = 8, 5, 2
    x = v1.placeholder(tf.float32, [None, binary_dim, 2], name="input_x")
    cell = rnn_cell.MultiRNNCell([rnn_cell.BasicLSTMCell(lstm_size) for _ in range(lstm_layers)])
    outputs, final_state = v1.nn.dynamic_rnn(cell, x, dtype=tf.float32)
    weights = tf.Variable(v1.truncated_normal([lstm_size, 1], stddev=0.5))
    bias = tf.zeros([1])
    logits = tf.matmul(tf.reshape(outputs, [-1, lstm_size]), weights) + bias
    bits = np.random.default_rng(3).integers(0, 2, (1, binary_dim, 2)).astype(np.float32)
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        fetch = {"x": x, "h": outputs, "out": tf.reshape(logits, [1, binary_dim, 1])}
        for k, state in enumerate(final_state):
            fetch[f"final_c{k}"], fetch[f"final_h{k}"] = state.c, state.h
        save("note003_binary_add", sess, fetch, {x: bits}, {"forget_bias": 1.0})


def lstm_peephole_clip_proj() -> None:
    """LSTMCell with every option: peepholes, cell_clip, a projection with proj_clip, forget_bias 0.7."""
    graph(4)
    x = v1.placeholder(tf.float32, [None, 9, 3])
    cell = rnn_cell.LSTMCell(6, use_peepholes=True, cell_clip=0.8, num_proj=4, proj_clip=0.3,
                             forget_bias=0.7, initializer=v1.random_normal_initializer(stddev=0.8))
    outputs, final_state = v1.nn.dynamic_rnn(cell, x, dtype=tf.float32)
    seq = np.random.default_rng(4).normal(size=(1, 9, 3)).astype(np.float32) * 2
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        save("lstm_peephole_clip_proj", sess,
             {"x": x, "h": outputs, "final_c0": final_state.c, "final_h0": final_state.h}, {x: seq},
             {"forget_bias": 0.7, "cell_clip": 0.8, "proj_clip": 0.3})


def gru() -> None:
    graph(5)
    x = v1.placeholder(tf.float32, [None, 7, 3])
    cell = rnn_cell.GRUCell(5, kernel_initializer=v1.random_normal_initializer(stddev=0.7))
    outputs, final_state = v1.nn.dynamic_rnn(cell, x, dtype=tf.float32)
    seq = np.random.default_rng(5).normal(size=(1, 7, 3)).astype(np.float32)
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        save("gru", sess, {"x": x, "h": outputs, "final_h0": final_state}, {x: seq}, {})


def basic_rnn() -> None:
    graph(6)
    x = v1.placeholder(tf.float32, [None, 6, 2])
    cell = rnn_cell.BasicRNNCell(4)
    outputs, final_state = v1.nn.dynamic_rnn(cell, x, dtype=tf.float32)
    seq = np.random.default_rng(6).normal(size=(1, 6, 2)).astype(np.float32)
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        save("basic_rnn", sess, {"x": x, "h": outputs, "final_h0": final_state}, {x: seq}, {})


def bidirectional() -> None:
    """bidirectional_dynamic_rnn of two BasicLSTMCells (forget_bias 1.0), outputs concatenated into a
    dense head (tf.layers-style named variables dense/kernel, dense/bias) at every step."""
    graph(7)
    x = v1.placeholder(tf.float32, [None, 6, 3])
    fw, bw = rnn_cell.BasicLSTMCell(4), rnn_cell.BasicLSTMCell(4)
    (out_fw, out_bw), (st_fw, st_bw) = v1.nn.bidirectional_dynamic_rnn(fw, bw, x, dtype=tf.float32)
    with v1.variable_scope("dense"):
        kernel = v1.get_variable("kernel", [8, 2], initializer=v1.random_normal_initializer())
        bias = v1.get_variable("bias", [2], initializer=v1.random_normal_initializer())
    out = tf.tensordot(tf.concat([out_fw, out_bw], axis=2), kernel, 1) + bias
    seq = np.random.default_rng(7).normal(size=(1, 6, 3)).astype(np.float32)
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        save("bidirectional", sess,
             {"x": x, "h_fw": out_fw, "h_bw": out_bw, "final_c0_fw": st_fw.c, "final_h0_fw": st_fw.h,
              "final_c0_bw": st_bw.c, "final_h0_bw": st_bw.h, "out": out}, {x: seq}, {"forget_bias": 1.0})


def lstm_stack_forget_bias() -> None:
    """MultiRNNCell of two BasicLSTMCells with different forget_bias (0.3, then 2.0): only the .meta tells."""
    graph(8)
    x = v1.placeholder(tf.float32, [None, 7, 2])
    cell = rnn_cell.MultiRNNCell([rnn_cell.BasicLSTMCell(4, forget_bias=0.3),
                                  rnn_cell.BasicLSTMCell(3, forget_bias=2.0)])
    outputs, final_state = v1.nn.dynamic_rnn(cell, x, dtype=tf.float32)
    seq = np.random.default_rng(8).normal(size=(1, 7, 2)).astype(np.float32)
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        fetch = {"x": x, "h": outputs}
        for k, state in enumerate(final_state):
            fetch[f"final_c{k}"], fetch[f"final_h{k}"] = state.c, state.h
        save("lstm_stack_forget_bias", sess, fetch, {x: seq}, {"forget_bias_layers": [0.3, 2.0]})


def rnn_relu_stack() -> None:
    """MultiRNNCell of two BasicRNNCells with activation=relu: only the .meta tells."""
    graph(9)
    x = v1.placeholder(tf.float32, [None, 6, 3])
    cell = rnn_cell.MultiRNNCell([rnn_cell.BasicRNNCell(5, activation=tf.nn.relu) for _ in range(2)])
    outputs, final_state = v1.nn.dynamic_rnn(cell, x, dtype=tf.float32)
    seq = np.random.default_rng(9).normal(size=(1, 6, 3)).astype(np.float32)
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        fetch = {"x": x, "h": outputs, "final_h0": final_state[0], "final_h1": final_state[1]}
        save("rnn_relu_stack", sess, fetch, {x: seq}, {"activation": "relu"})


def tf2_object_checkpoint() -> None:
    """Not a TF1 checkpoint: tf.train.Checkpoint of a Keras LSTM (eager, TF 2), whose variables are named by
    the objects that held them (…/.ATTRIBUTES/VARIABLE_VALUE). The reader must say what it is."""
    folder = OUT / "tf2_object_checkpoint"
    shutil.rmtree(folder, ignore_errors=True)
    model = tf.keras.Sequential([tf.keras.layers.LSTM(3, input_shape=(4, 2))])
    tf.train.Checkpoint(model=model).write(str(folder / "ckpt"))
    print("tf2_object_checkpoint:", sorted(p.name for p in folder.iterdir()))


def ptb_embedding() -> None:
    """tensorflow/models' PTB language model in small: an ``embedding`` variable looked up by word id, two
    BasicLSTMCells with forget_bias=0.0 (as the PTB model sets it), softmax_w/softmax_b logits every step."""
    graph(11)
    vocab, size, steps = 11, 4, 9
    ids = v1.placeholder(tf.int32, [None, steps])
    embedding = v1.get_variable("embedding", [vocab, size])
    inputs = tf.nn.embedding_lookup(embedding, ids)
    cell = rnn_cell.MultiRNNCell([rnn_cell.BasicLSTMCell(size, forget_bias=0.0) for _ in range(2)])
    outputs, _ = v1.nn.dynamic_rnn(cell, inputs, dtype=tf.float32)
    softmax_w = v1.get_variable("softmax_w", [size, vocab])
    softmax_b = v1.get_variable("softmax_b", [vocab])
    logits = tf.tensordot(outputs, softmax_w, 1) + softmax_b
    words = np.random.default_rng(11).integers(0, vocab, (1, steps)).astype(np.int32)
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        save("ptb_embedding", sess, {"h": outputs, "out": logits}, {ids: words}, {"forget_bias": 0.0})
    with np.load(OUT / "ptb_embedding" / "expected.npz") as data:
        arrays = dict(data)
    np.savez(OUT / "ptb_embedding" / "expected.npz", **arrays, x=words[0].astype(np.int64))  # word ids (T,)


def two_modules() -> None:
    """An encoder and a decoder, each a dynamic_rnn of a BasicLSTMCell under its own variable scope, with
    forget_bias 0.5 and 1.5: two recurrent modules in one checkpoint (--module picks one)."""
    graph(10)
    x = v1.placeholder(tf.float32, [None, 5, 2])
    with v1.variable_scope("encoder"):
        enc_out, enc_state = v1.nn.dynamic_rnn(rnn_cell.BasicLSTMCell(3, forget_bias=0.5), x, dtype=tf.float32)
    with v1.variable_scope("decoder"):
        dec_out, dec_state = v1.nn.dynamic_rnn(rnn_cell.BasicLSTMCell(3, forget_bias=1.5), x, dtype=tf.float32)
    seq = np.random.default_rng(10).normal(size=(1, 5, 2)).astype(np.float32)
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        save("two_modules", sess, {"x": x, "h_encoder": enc_out, "h_decoder": dec_out}, {x: seq},
             {"forget_bias_encoder": 0.5, "forget_bias_decoder": 1.5})


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _put_varint(n: int) -> bytes:
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def _entries(block: bytes) -> list[tuple[bytes, bytes]]:
    (restarts,) = struct.unpack_from("<I", block, len(block) - 4)
    limit, pos, key, out = len(block) - 4 - 4 * restarts, 0, b"", []
    while pos < limit:
        shared, pos = _varint(block, pos)
        unshared, pos = _varint(block, pos)
        size, pos = _varint(block, pos)
        key = key[:shared] + block[pos:pos + unshared]
        out.append((key, block[pos + unshared:pos + unshared + size]))
        pos += unshared + size
    return out


def _encode_block(entries: list[tuple[bytes, bytes]]) -> bytes:
    """Every key in full (one restart point at 0): a valid LevelDB block without prefix compression."""
    body = b"".join(_put_varint(0) + _put_varint(len(k)) + _put_varint(len(v)) + k + v for k, v in entries)
    return body + struct.pack("<II", 0, 1)


def _masked_crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    crc ^= 0xFFFFFFFF
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def snappy_gru() -> None:
    """The GRU fixture with every block of its .index snappy-compressed (TensorFlow writes them
    uncompressed; LevelDB tables may compress them): cramjam's snappy, then read back by TensorFlow."""
    import cramjam

    src, folder = OUT / "gru", OUT / "snappy_gru"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    for name in ("model.ckpt.data-00000-of-00001", "expected.npz", "checkpoint"):
        shutil.copy(src / name, folder / name)
    buf = (src / "model.ckpt.index").read_bytes()
    footer = buf[-48:]
    handles, pos = [], 0
    for _ in range(2):  # metaindex, index
        offset, pos = _varint(footer, pos)
        size, pos = _varint(footer, pos)
        handles.append((offset, size))
    (meta_off, meta_size), (index_off, index_size) = handles
    out = bytearray()

    def put(block: bytes) -> bytes:  # snappy block + trailer; returns its handle
        data = bytes(cramjam.snappy.compress_raw(block))
        handle = _put_varint(len(out)) + _put_varint(len(data))
        out.extend(data + b"\x01" + struct.pack("<I", _masked_crc32c(data + b"\x01")))
        return handle

    index = []
    for key, handle in _entries(buf[index_off:index_off + index_size]):
        offset, p = _varint(handle, 0)
        size, _ = _varint(handle, p)
        index.append((key, put(buf[offset:offset + size])))
    meta_handle = put(buf[meta_off:meta_off + meta_size])
    index_handle = put(_encode_block(index))
    handles = meta_handle + index_handle
    out += handles + b"\0" * (40 - len(handles)) + struct.pack("<Q", 0xDB4775248B80FB57)
    (folder / "model.ckpt.index").write_bytes(bytes(out))
    reader = tf.train.load_checkpoint(str(folder / "model.ckpt"))
    original = tf.train.load_checkpoint(str(src / "model.ckpt"))
    for name in original.get_variable_to_shape_map():
        assert np.array_equal(reader.get_tensor(name), original.get_tensor(name)), name
    print(f"snappy_gru: TensorFlow reads the snappy index ({len(out)} bytes, was {len(buf)})")


def main() -> int:
    tf2_object_checkpoint()  # eager, before the graph-mode fixtures
    v1.disable_eager_execution()
    # The seed notes ran on TF 1.x: their .meta graphs have the old while-loop ops (control flow v1) at the
    # top level; TF 2's v1 graphs keep the loop body in a library function. Both kinds are written.
    v1.disable_control_flow_v2()
    note_002_mnist_rows()
    note_003_binary_add()
    lstm_stack_forget_bias()
    v1.enable_control_flow_v2()
    for make in (lstm_peephole_clip_proj, gru, basic_rnn, bidirectional, rnn_relu_stack, two_modules,
                 ptb_embedding):
        make()
    snappy_gru()
    return 0


if __name__ == "__main__":
    sys.exit(main())
