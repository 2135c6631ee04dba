"""Write small TF2 Keras SavedModel folders with TensorFlow's own outputs (issue 14), for
tests/test_tf_savedmodel.py. Needs TensorFlow with tf-keras (Keras 2, whose model.save("dir") writes
keras_metadata.pb):

    TF_USE_LEGACY_KERAS=1 /tmp/tfenv/bin/python scripts/make_savedmodel_fixtures.py [NAME ...]

Each tests/fixtures/savedmodel/<name>/ holds the SavedModel (saved without optimizer state) and
expected.npz: x (the input, batch 1) and y (TensorFlow's output for it).
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


def main(only=()):
    tf.random.set_seed(0)
    for k, (name, model, kind) in enumerate(models()):
        rng = np.random.default_rng(k)  # one seed per model: any one fixture can be written again alone
        if only and name not in only:
            continue
        # random biases too, so a misplaced gate bias shows
        for w in model.weights:
            w.assign(rng.standard_normal(w.shape).astype("float32") * 0.5)
        shape = (1,) + tuple(model.input_shape[1:])
        x = rng.integers(0, 10, shape).astype("int32") if kind == "int" else rng.standard_normal(shape).astype("float32")
        y = model(x).numpy()
        folder = OUT / name
        shutil.rmtree(folder, ignore_errors=True)
        # save_traces=False: no traced tf.functions, which made the folders 0.2-2 MB
        model.save(str(folder), include_optimizer=False, save_format="tf", save_traces=False)
        np.savez(folder / "expected.npz", x=x, y=y)
        size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
        print(f"{name}: {size:,} bytes, y {y.shape}")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])  # names to write (default: all)
