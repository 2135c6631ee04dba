"""Write small TF2 Keras SavedModel folders with TensorFlow's own outputs (issue 14), for
tests/test_tf_savedmodel.py. Needs TensorFlow with tf-keras (Keras 2, whose model.save("dir") writes
keras_metadata.pb):

    TF_USE_LEGACY_KERAS=1 /tmp/tfenv/bin/python scripts/make_savedmodel_fixtures.py [NAME ...]

Each tests/fixtures/savedmodel/<name>/ holds the SavedModel (saved without optimizer state) and
expected.npz: x (the input, batch 1) and y (TensorFlow's output for it).

legacy_*: the layout TF 2.0-2.4 wrote (no keras_metadata.pb; each Keras object's JSON in saved_model.pb's
object graph, SavedUserObject.metadata). TF 2.21 no longer writes it, so the folder model.save() wrote is
rewritten: every keras_metadata.pb node's JSON moves to the object-graph node of the same id (tf_keras's
save.py numbers them so) and keras_metadata.pb is removed. tf_keras's own loader then reads it through
its legacy path (load.py _read_legacy_metadata); its output is checked against y before saving.

refused_*: SavedModels that hold no Keras layer configs (tests check the refusal), without expected.npz:
tf.saved_model.save of a tf.keras model (TF >= 2.5: Keras identifiers, empty metadata; its GraphDef of
traced functions is emptied to keep it small, the object graph is TensorFlow's), Keras 3 model.export()
and a plain tf.Module.
"""

import os
import shutil
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "savedmodel"
L = keras.layers


def models():
    yield "lstm", keras.Sequential([L.Input((6, 3)), L.LSTM(4, return_sequences=True)]), "float"
    yield "gru", keras.Sequential([L.Input((6, 3)), L.GRU(4, return_sequences=True)]), "float"
    yield "simplernn", keras.Sequential([L.Input((6, 3)), L.SimpleRNN(4, return_sequences=True)]), "float"
    yield "bilstm_dense", keras.Sequential([L.Input((6, 3)), L.Bidirectional(L.LSTM(4)),
                                            L.Dense(2)]), "float"
    yield "embedding_lstm", keras.Sequential([L.Input((7,), dtype="int32"), L.Embedding(10, 3),
                                              L.LSTM(5, return_sequences=True)]), "int"
    i = L.Input((5, 2))  # a functional model: two stacked LSTMs and a Dense head
    yield "functional_lstm2_dense", keras.Model(i, L.Dense(2)(L.LSTM(4)(L.LSTM(3, return_sequences=True)(i)))), "float"


def legacy_models():
    yield "legacy_gru", keras.Sequential([L.Input((6, 3)), L.GRU(4, return_sequences=True)]), "float"
    yield "legacy_bilstm_dense", keras.Sequential([L.Input((6, 3)), L.Bidirectional(L.LSTM(4)),
                                                   L.Dense(2)]), "float"
    yield "legacy_embedding_lstm", keras.Sequential([L.Input((7,), dtype="int32"), L.Embedding(10, 3),
                                                     L.LSTM(5, return_sequences=True)]), "int"


def _randomise(model, kind, rng):
    for w in model.weights:  # random biases too, so a misplaced gate bias shows
        w.assign(rng.standard_normal(w.shape).astype("float32") * 0.5)
    shape = (1,) + tuple(model.input_shape[1:])
    return rng.integers(0, 10, shape).astype("int32") if kind == "int" else rng.standard_normal(shape).astype("float32")


def _size(folder):
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def _to_legacy_layout(folder):
    """Move keras_metadata.pb's JSON into saved_model.pb's object graph (SavedUserObject.metadata)."""
    from tensorflow.core.protobuf import saved_model_pb2
    from tf_keras.protobuf import saved_metadata_pb2

    meta = saved_metadata_pb2.SavedMetadata()
    meta.ParseFromString((folder / "keras_metadata.pb").read_bytes())
    sm = saved_model_pb2.SavedModel()
    sm.ParseFromString((folder / "saved_model.pb").read_bytes())
    nodes = sm.meta_graphs[0].object_graph_def.nodes
    for node in meta.nodes:
        target = nodes[node.node_id].user_object
        assert target.identifier == node.identifier, (node.node_id, target.identifier, node.identifier)
        target.metadata = node.metadata
    (folder / "saved_model.pb").write_bytes(sm.SerializeToString(deterministic=True))
    (folder / "keras_metadata.pb").unlink()


def write_legacy(only=()):
    for k, (name, model, kind) in enumerate(legacy_models()):
        if only and name not in only:
            continue
        x = _randomise(model, kind, np.random.default_rng(100 + k))
        y = model(x).numpy()
        folder = OUT / name
        shutil.rmtree(folder, ignore_errors=True)
        model.save(str(folder), include_optimizer=False, save_format="tf", save_traces=False)
        _to_legacy_layout(folder)
        again = keras.models.load_model(str(folder))(x).numpy()  # tf_keras's legacy loader reads it
        assert np.abs(again - y).max() <= 1e-6, name
        np.savez(folder / "expected.npz", x=x, y=y)
        print(f"{name}: {_size(folder):,} bytes, y {y.shape}, reloaded by tf_keras")


def _drop_graph(folder):
    """Empty the GraphDef (the traced functions, 0.6 MB here); the object graph the refusal reads stays
    as TensorFlow wrote it."""
    from tensorflow.core.protobuf import saved_model_pb2

    sm = saved_model_pb2.SavedModel()
    sm.ParseFromString((folder / "saved_model.pb").read_bytes())
    sm.meta_graphs[0].graph_def.Clear()
    (folder / "saved_model.pb").write_bytes(sm.SerializeToString(deterministic=True))


def write_refused(only=()):
    import keras as keras3  # Keras 3 (TF_USE_LEGACY_KERAS only changes tf.keras)

    rng = np.random.default_rng(200)
    if not only or "refused_tf_saved_model" in only:
        folder = OUT / "refused_tf_saved_model"
        shutil.rmtree(folder, ignore_errors=True)
        model = keras.Sequential([L.Input((3, 2)), L.LSTM(2)])
        _randomise(model, "float", rng)
        tf.saved_model.save(model, str(folder))
        _drop_graph(folder)
        print(f"refused_tf_saved_model: {_size(folder):,} bytes")
    if not only or "refused_keras3_export" in only:
        folder = OUT / "refused_keras3_export"
        shutil.rmtree(folder, ignore_errors=True)
        model = keras3.Sequential([keras3.Input((3, 2)), keras3.layers.LSTM(2)])
        model.export(str(folder), format="tf_saved_model", verbose=False)
        print(f"refused_keras3_export: {_size(folder):,} bytes")
    if not only or "refused_tf_module" in only:
        folder = OUT / "refused_tf_module"
        shutil.rmtree(folder, ignore_errors=True)

        class Affine(tf.Module):
            def __init__(self):
                self.w = tf.Variable(rng.standard_normal((2, 3)).astype("float32"))

            @tf.function(input_signature=[tf.TensorSpec((None, 2))])
            def __call__(self, x):
                return tf.matmul(x, self.w)

        tf.saved_model.save(Affine(), str(folder))
        print(f"refused_tf_module: {_size(folder):,} bytes")


def main(only=()):
    tf.random.set_seed(0)
    for k, (name, model, kind) in enumerate(models()):
        rng = np.random.default_rng(k)  # one seed per model: any one fixture can be written again alone
        if only and name not in only:
            continue
        x = _randomise(model, kind, rng)
        y = model(x).numpy()
        folder = OUT / name
        shutil.rmtree(folder, ignore_errors=True)
        # save_traces=False: no traced tf.functions, which made the folders 0.2-2 MB
        model.save(str(folder), include_optimizer=False, save_format="tf", save_traces=False)
        np.savez(folder / "expected.npz", x=x, y=y)
        print(f"{name}: {_size(folder):,} bytes, y {y.shape}")


if __name__ == "__main__":
    import sys

    only = sys.argv[1:]  # names to write (default: all)
    main(only)
    write_legacy(only)
    write_refused(only)
