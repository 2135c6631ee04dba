"""Built-in tasks: data generators, samples, decoding, metrics, the MNIST IDX reader."""

import gzip
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gateviz.core.errors import FormatError, GatevizError
from gateviz.core.model import DirectionWeights, Head, RecurrentLayer, RecurrentModel
from gateviz.core.trace import Trace
from gateviz.tasks import TASK_NAMES, get_task, get_task_for_model, sample_catalogue
from gateviz.tasks.base import Sample

ROOT = Path(__file__).resolve().parent.parent


def fake_trace(output: np.ndarray) -> Trace:
    """A trace carrying only a head output: what decode() reads."""
    T = len(output)
    return Trace("rnn", {(0, "forward"): {"hidden_state": np.zeros((T, 1), np.float32)}}, output=output)


def linear_model(task, units=4, seed=0) -> RecurrentModel:
    """An untrained RNN with the task's input stage and head (for shape checks)."""
    rng = np.random.default_rng(seed)
    I = task.input_size
    d = DirectionWeights(Wx=rng.normal(0, 0.3, (units, I)).astype(np.float32),
                         Wh=rng.normal(0, 0.3, (units, units)).astype(np.float32),
                         bx=np.zeros(units, np.float32), bh=np.zeros(units, np.float32))
    head = Head(weight=rng.normal(0, 0.3, (task.output_size, units)).astype(np.float32),
                bias=np.zeros(task.output_size, np.float32), activation=task.head_activation, on=task.head_on)
    return RecurrentModel([RecurrentLayer("rnn", units, I, [d])], input=task.input_stage(), head=head,
                          task=task.options()).validate()


def test_task_names_and_unknown_task():
    assert TASK_NAMES == ("sine", "binary-addition", "digits", "brackets", "adding", "text")
    with pytest.raises(GatevizError) as err:
        get_task("parity")
    for name in TASK_NAMES:
        assert name in str(err.value)
    with pytest.raises(GatevizError, match="bad option for the sine task"):
        get_task("sine", colour="red")


@pytest.mark.parametrize("name", TASK_NAMES)
def test_every_task_has_samples_data_and_a_metric(name):
    task = get_task(name)
    assert task.title and task.description and task.metric
    samples = task.samples()
    assert samples and all(isinstance(s, Sample) and s.name and s.description for s in samples)
    stage = task.input_stage()
    for s in samples:
        if stage.takes_tokens:
            assert isinstance(s.sequence, str) and set(s.sequence) <= set(stage.vocab)
        else:
            assert s.sequence.ndim == 2 and s.sequence.shape[1] == stage.features
    batch = next(iter(task.training_data(0).epoch(np.random.default_rng(0), 8)))
    assert len(batch.x) == len(batch.y) == 8
    if stage.takes_tokens:
        assert batch.x.dtype == np.int64 and batch.x.max() < len(stage.vocab)
    else:
        assert batch.x.dtype == np.float32 and batch.x.shape[2] == stage.features
    # the metric runs on a real (untrained) model traced by the engine and gives finite numbers
    metrics = linear_model(task).task and task.evaluate(linear_model(task))
    assert task.metric in metrics and all(np.isfinite(v) for v in metrics.values())
    assert not task.meets_bar({task.metric: float("nan")})


def test_same_seed_same_batches():
    for name in ("binary-addition", "brackets", "adding", "text"):
        task = get_task(name)
        a = next(iter(task.training_data(3).epoch(np.random.default_rng(3), 4)))
        b = next(iter(task.training_data(3).epoch(np.random.default_rng(3), 4)))
        np.testing.assert_array_equal(a.x, b.x)
        np.testing.assert_array_equal(a.y, b.y)


def test_sample_catalogue_lists_every_task():
    cat = sample_catalogue()
    assert list(cat) == list(TASK_NAMES)
    assert cat["brackets"][0].name == "deep nesting"


# ---- sine --------------------------------------------------------------------


def test_sine_windows_predict_the_next_value():
    task = get_task("sine")
    series = np.sin(np.linspace(-100, 100, 1000)).astype(np.float32)
    x, y = task.test_windows()
    assert x.shape[1:] == (50, 1)
    np.testing.assert_array_equal(x[0, :, 0], series[800:850])
    np.testing.assert_array_equal(y[0, :, 0], series[801:851])
    sample = task.samples()[0]
    out = np.zeros((50, 1), np.float32)
    out[-1] = 0.25
    d = task.decode(sample.sequence, fake_trace(out))
    assert d["prediction"] == 0.25
    assert d["target"] == pytest.approx(float(series[sample.extra["start"] + 50]))
    np.testing.assert_array_equal(d["truth"], sample.extra["continuation"])
    assert d["rollout"] is None  # rollout needs the model


def test_sine_rollout_feeds_predictions_back():
    task = get_task("sine")
    model = linear_model(task)
    window = task.samples()[0].sequence
    roll = task.rollout(model, window[None], steps=3)
    from gateviz.core.engine import Tracer

    seq = window.copy()
    for k in range(3):
        nxt = Tracer(model).trace(seq).output[-1, 0]
        assert roll[0, k] == pytest.approx(nxt, abs=1e-6)
        seq = np.concatenate([seq, [[nxt]]])


# ---- binary addition ---------------------------------------------------------------


def test_binary_addition_bits_and_held_out_pairs():
    task = get_task("binary-addition")
    from gateviz.tasks.binary_addition import from_bits, to_bits

    np.testing.assert_array_equal(to_bits(np.array([6]), 4)[0], [0, 1, 1, 0])  # LSB first
    assert from_bits(np.array([1, 0, 1, 1])) == 13
    assert len(task.held_out_pairs) == 1000 and len(set(task.held_out_pairs.tolist())) == 1000
    batch = next(iter(task.training_data(0).epoch(np.random.default_rng(0), 4000)))
    a, b = from_bits(batch.x[:, :, 0]), from_bits(batch.x[:, :, 1])
    assert not np.isin(a * 256 + b, task.held_out_pairs).any()
    np.testing.assert_array_equal(from_bits(batch.y[:, :, 0]), a + b)


def test_binary_addition_decode():
    task = get_task("binary-addition")
    s = task.samples()[0]
    assert (s.extra["a"], s.extra["b"]) == (127, 1)
    probs = np.zeros((9, 1), np.float32)
    probs[7] = 0.9  # 128
    d = task.decode(s.sequence, fake_trace(probs))
    assert (d["a"], d["b"], d["sum"], d["predicted_sum"], d["correct"]) == (127, 1, 128, 128, True)
    np.testing.assert_array_equal(d["a_bits"], [1, 1, 1, 1, 1, 1, 1, 0, 0])
    np.testing.assert_array_equal(d["sum_bits"], [0, 0, 0, 0, 0, 0, 0, 1, 0])
    with pytest.raises(GatevizError, match="0..255"):
        task.sample(300, 1)


# ---- brackets ----------------------------------------------------------------


def test_brackets_strings_are_valid_and_reach_depth_8():
    task = get_task("brackets")
    from gateviz.tasks.brackets import VOCAB, depth_of

    tokens, depths = task.test_set()
    assert depths.min() == 0 and depths.max() == 8
    for row_t, row_d in zip(tokens[:50], depths[:50]):
        np.testing.assert_array_equal(depth_of("".join(VOCAB[t] for t in row_t)), row_d)
    deep = task.samples()[0].sequence
    assert depth_of(deep).max() == 8 and depth_of(deep)[-1] == 0
    probs = np.eye(9, dtype=np.float32)[depth_of(deep)]
    d = task.decode(deep, fake_trace(probs))
    assert d["correct"].all() and d["chars"] == list(deep)


# ---- adding ------------------------------------------------------------------


def test_adding_has_two_markers_and_their_sum():
    task = get_task("adding")
    x, y = task.generate(np.random.default_rng(0), 200)
    assert x.shape == (200, 50, 2)
    np.testing.assert_array_equal(x[:, :, 1].sum(axis=1), 2)
    np.testing.assert_allclose(y[:, 0], (x[:, :, 0] * x[:, :, 1]).sum(axis=1), rtol=1e-6)
    far = task.samples()[0]
    assert far.extra["marked"] == [2, 46]
    d = task.decode(far.sequence, fake_trace(np.full((50, 1), 0.5, np.float32)))
    assert d["marked"] == [2, 46] and d["target"] == pytest.approx(far.extra["target"]) and d["prediction"] == 0.5


def test_adding_mean_predictor_scores_about_0_17():
    task = get_task("adding")
    _, y = task.test_set()
    assert float(np.mean((y - 1.0) ** 2)) == pytest.approx(1 / 6, abs=0.02)


# ---- digits and MNIST -------------------------------------------------------------


def test_digits_default_data_is_sklearn_8x8():
    task = get_task("digits")
    d = task.data()
    assert d["train_x"].shape == (1438, 8, 8) and d["test_x"].shape == (359, 8, 8)
    assert 0.0 <= d["train_x"].min() and d["train_x"].max() == 1.0
    s = task.samples()[0]
    assert s.extra["label"] == 7
    probs = np.full((8, 10), 0.01, np.float32)
    probs[-1, 7] = 0.91
    dec = task.decode(s.sequence, fake_trace(probs))
    assert dec["predicted"] == 7 and dec["label"] == 7 and dec["image"].shape == (8, 8)


def write_idx(path: Path, array: np.ndarray, gz: bool) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    raw = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(raw) if gz else raw)


@pytest.fixture
def mnist_dir(tmp_path):
    rng = np.random.default_rng(0)
    for split, n in (("train", 60), ("t10k", 20)):
        images = rng.integers(0, 256, (n, 28, 28))
        labels = np.arange(n) % 10
        write_idx(tmp_path / f"{split}-images-idx3-ubyte.gz", images, gz=True)
        write_idx(tmp_path / f"{split}-labels-idx1-ubyte", labels, gz=False)
    return tmp_path


def test_idx_reader_round_trip_and_errors(tmp_path, mnist_dir):
    from gateviz.tasks.idx import load_mnist, read_idx

    data = load_mnist(mnist_dir)
    assert data["train_images"].shape == (60, 28, 28) and data["test_labels"].tolist()[:3] == [0, 1, 2]
    bad = tmp_path / "bad"
    bad.write_bytes(b"PK\x03\x04 not idx")
    with pytest.raises(FormatError, match="not an IDX file"):
        read_idx(bad)
    short = tmp_path / "short"
    short.write_bytes(bytes([0, 0, 8, 1]) + (100).to_bytes(4, "big") + b"\x00" * 10)
    with pytest.raises(FormatError, match="fewer values"):
        read_idx(short)
    (mnist_dir / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FormatError, match="t10k-labels-idx1-ubyte"):
        load_mnist(mnist_dir)


def test_digits_from_mnist_reads_28_rows_and_keeps_samples(tmp_path, mnist_dir):
    task = get_task("digits", mnist_dir=str(mnist_dir))
    assert task.input_stage().features == 28 and task.image_shape == (28, 28)
    opts = task.options()
    assert opts["source"] == "mnist" and len(opts["stored_samples"]) == 6
    # a model trained on MNIST keeps its samples when the files are gone
    model = linear_model(task)
    moved = dict(model.task, mnist_dir=str(tmp_path / "gone"))
    model.task = moved
    again = get_task_for_model(model)
    samples = again.samples()
    assert samples[0].sequence.shape == (28, 28)
    np.testing.assert_allclose(samples[0].sequence, task.samples()[0].sequence, atol=1 / 255)
    with pytest.raises(GatevizError, match="MNIST"):
        again.evaluate(model)


# ---- text --------------------------------------------------------------------


def test_text_default_corpus_is_offline_and_deterministic():
    task = get_task("text")
    from gateviz.tasks.text import ASCII_VOCAB, stdlib_corpus

    text = task.text()
    assert len(text) > 100_000 and set(text) <= set(ASCII_VOCAB)
    assert task.vocab == ASCII_VOCAB and len(task.vocab) == 96
    stdlib_corpus.cache_clear()
    assert get_task("text").text() == text
    train, held = task.tokens()
    assert len(held) == pytest.approx(0.1 * (len(train) + len(held)), abs=2)


def test_text_from_a_user_file(tmp_path):
    short = tmp_path / "short.txt"
    short.write_text("too short")
    with pytest.raises(GatevizError, match="at least 2000"):
        get_task("text", path=str(short)).text()
    book = tmp_path / "book.txt"
    book.write_text("Ünïcode lines\tand tabs.\n" * 200, encoding="utf-8")
    task = get_task("text", path=str(book))
    assert "Ü" in task.vocab and "\t" not in task.vocab
    opts = task.options()
    assert opts["corpus"] == "file" and opts["stored_samples"]
    model = linear_model(task)
    again = get_task_for_model(model)
    assert again.vocab == task.vocab


def test_text_decode_and_unigram_baseline():
    task = get_task("text")
    text = "ab\n"
    V = len(task.vocab)
    probs = np.full((3, V), 1.0 / V, np.float32)
    d = task.decode(text, fake_trace(probs))
    np.testing.assert_allclose(d["surprisal"], np.log2(V), rtol=1e-5)
    m = task.evaluate(linear_model(task))
    assert 4.0 < m["unigram_bits_per_char"] < 5.5
    assert m["bits_below_unigram"] == pytest.approx(m["unigram_bits_per_char"] - m["bits_per_char"])


# ---- the model's task dict ------------------------------------------------------


def test_get_task_for_model():
    task = get_task("adding", length=20)
    model = linear_model(task)
    model.task = dict(task.options(), trained_with={"seed": 1}, metrics={"test_mse": 0.1})
    again = get_task_for_model(model)
    assert again.name == "adding" and again.length == 20
    model.task = None
    assert get_task_for_model(model) is None
    model.task = {"name": "something-else"}
    assert get_task_for_model(model) is None


def test_tasks_and_training_never_import_qt():
    code = ("import sys\n"
            "class Block:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] in ('PySide6', 'pyqtgraph', 'superqt'):\n"
            "            raise ImportError('Qt blocked: ' + name)\n"
            "sys.meta_path.insert(0, Block())\n"
            "import gateviz.tasks, gateviz.training, gateviz.bundled, gateviz.cli.train_cmd\n"
            "from gateviz.tasks import sample_catalogue\n"
            "sample_catalogue()\n"
            "from gateviz.bundled import default_bundled, default_sample, load_bundled\n"
            "default_sample(load_bundled(default_bundled().name))\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
