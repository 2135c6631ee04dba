"""Live models from Python (issue 14): gateviz.trace and gateviz.show on models in memory.

Numbers are checked against the frameworks' own forward passes (torch; Keras 3 on the torch
backend, which conftest.py selects) to 1e-5 in float32.
"""

import os
import subprocess
import sys
import types

import numpy as np
import pytest

import gateviz
from gateviz import live
from gateviz.core.errors import FormatError, GatevizError, ModuleChoiceRequired, SequenceError

torch = pytest.importorskip("torch")
nn = torch.nn
TOL = 1e-5


def _np(t):
    return t.detach().cpu().numpy()


# --------------------------------------------------------------------------- torch


class Forecaster(nn.Module):
    """A 2-layer LSTM with a Linear on every step, batch first, as tutorials write it."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 8, num_layers=2, batch_first=True)
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        y, (h, c) = self.lstm(x)
        return self.fc(y), h, c


class CharModel(nn.Module):
    """Embedding -> GRU -> Linear, sequence first (the word_language_model layout)."""

    def __init__(self, vocab=20):
        super().__init__()
        self.embedding = nn.Embedding(vocab, 5)
        self.rnn = nn.GRU(5, 7)
        self.decoder = nn.Linear(7, vocab)

    def forward(self, tokens):
        y, h = self.rnn(self.embedding(tokens))
        return self.decoder(y), h


def test_torch_lstm_with_linear_equals_its_forward():
    torch.manual_seed(0)
    net = Forecaster()
    x = torch.randn(4, 10, 3)
    out, h, c = net(x)
    trace = gateviz.trace(net, x)  # a torch tensor, batch first (N, T, F)
    assert trace.output.shape == (4, 10, 2)
    np.testing.assert_allclose(trace.output, _np(out), atol=TOL, rtol=0)
    for k in range(2):
        np.testing.assert_allclose(trace.get(k, "forward", "hidden_state")[:, -1], _np(h[k]), atol=TOL, rtol=0)
        np.testing.assert_allclose(trace.get(k, "forward", "cell_state")[:, -1], _np(c[k]), atol=TOL, rtol=0)
    # one sequence (T, F): a numpy array and a float64 tensor give the same
    one = gateviz.trace(net, x[1].double())
    np.testing.assert_allclose(one.output, _np(out[1]), atol=TOL, rtol=0)
    np.testing.assert_allclose(gateviz.trace(net, x[1].numpy()).output, one.output, atol=TOL, rtol=0)


def test_torch_embedding_text_model_equals_its_forward():
    torch.manual_seed(1)
    net = CharModel()
    tokens = torch.randint(0, 20, (12, 3))  # (T, N): sequence first, as the module takes it
    out, h = net(tokens)
    trace = gateviz.trace(net, tokens.T)  # gateviz takes batches first: (N, T)
    assert trace.tokens.shape == (3, 12)
    np.testing.assert_allclose(trace.output, _np(out).transpose(1, 0, 2), atol=TOL, rtol=0)
    np.testing.assert_allclose(trace.get(0, "forward", "hidden_state")[:, -1], _np(h[0]), atol=TOL, rtol=0)
    model = live.as_model(net)
    assert model.input.kind == "embedding" and model.head is not None
    assert "embedding embedding" in model.name and "head decoder" in model.name


def test_torch_relu_rnn_uses_the_live_modules_nonlinearity():
    """A file cannot tell tanh from relu; the live module can (tanh would differ here)."""
    torch.manual_seed(2)
    net = nn.Sequential()
    net.add_module("rnn", nn.RNN(2, 6, nonlinearity="relu"))
    rnn = net.rnn
    x = torch.randn(15, 2)
    y, _ = rnn(x)
    trace = gateviz.trace(net, x)
    np.testing.assert_allclose(trace.get(0, "forward", "hidden_state"), _np(y), atol=TOL, rtol=0)
    tanh_rnn = nn.RNN(2, 6)
    tanh_rnn.load_state_dict(rnn.state_dict())
    assert np.abs(_np(tanh_rnn(x)[0]) - _np(y)).max() > 1e-3  # the choice matters on this input
    # the bare module too
    np.testing.assert_allclose(gateviz.trace(rnn, x).get(0, "forward", "hidden_state"), _np(y), atol=TOL, rtol=0)


def test_torch_chained_cells_equal_their_hand_driven_forward():
    """pytorch/examples' time_sequence_prediction: LSTMCell(1, 51) -> LSTMCell(51, 51) -> Linear(51, 1)."""

    class Sequence(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm1, self.lstm2, self.linear = nn.LSTMCell(1, 51), nn.LSTMCell(51, 51), nn.Linear(51, 1)

        def forward(self, x):  # x (N, T)
            h = c = h2 = c2 = torch.zeros(x.size(0), 51)
            outputs = []
            for x_t in x.split(1, dim=1):
                h, c = self.lstm1(x_t, (h, c))
                h2, c2 = self.lstm2(h, (h2, c2))
                outputs.append(self.linear(h2))
            return torch.cat(outputs, dim=1), h2

    torch.manual_seed(6)
    net = Sequence()
    x = torch.randn(3, 20)
    out, h2 = net(x)
    trace = gateviz.trace(net, x[..., None])  # (N, T, 1)
    np.testing.assert_allclose(trace.output[..., 0], _np(out), atol=TOL, rtol=0)
    np.testing.assert_allclose(trace.get(1, "forward", "hidden_state")[:, -1], _np(h2), atol=TOL, rtol=0)


def test_torch_chained_rnn_cells_keep_each_cells_nonlinearity():
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.RNNCell(2, 5, nonlinearity="relu"), nn.RNNCell(5, 4)

    torch.manual_seed(7)
    net = Two()
    x = torch.randn(9, 2)
    h1, h2, hs = torch.zeros(5), torch.zeros(4), []
    for x_t in x:
        h1 = net.a(x_t, h1)
        h2 = net.b(h1, h2)
        hs.append(h2)
    trace = gateviz.trace(net, x)
    np.testing.assert_allclose(trace.get(1, "forward", "hidden_state"), _np(torch.stack(hs)), atol=TOL, rtol=0)
    assert [layer.activation.name for layer in live.as_model(net).layers] == ["relu", "tanh"]


def test_torch_biasless_linear_before_the_lstm_is_not_taken_for_an_embedding():
    """In a file a bias-less nn.Linear looks like an embedding table; the live module says what it is."""

    class Projected(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Linear(4, 4, bias=False)  # weight (4, 4): shaped like a 4-token table
            self.lstm = nn.LSTM(4, 5)
            self.out = nn.Linear(5, 1)

    from gateviz.formats.pytorch import model_from_state_dict

    net = Projected()
    assert model_from_state_dict(net.state_dict()).input.kind == "embedding"  # what the file reader guesses
    model = live.as_model(net)
    assert model.input.kind == "raw" and model.input.features == 4
    assert model.head is not None and model.head.weight.shape == (1, 5)


class Seq2Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.LSTM(3, 6)
        self.dec = nn.GRU(4, 5)
        self.fc = nn.Linear(5, 4)


def test_torch_several_recurrent_modules_need_module_and_list_them():
    torch.manual_seed(3)
    net = Seq2Seq()
    with pytest.raises(ModuleChoiceRequired) as e:
        gateviz.trace(net, np.zeros((5, 3), np.float32))
    message = str(e.value)
    assert "'enc'" in message and "'dec'" in message and 'module="NAME"' in message and "--module" not in message
    x = torch.randn(7, 4)
    y, _ = net.dec(x)
    trace = gateviz.trace(net, x, module="dec")
    np.testing.assert_allclose(trace.get(0, "forward", "hidden_state"), _np(y), atol=TOL, rtol=0)
    np.testing.assert_allclose(trace.output, _np(net.fc(y)), atol=TOL, rtol=0)
    with pytest.raises(FormatError, match=r"no recurrent module named 'decoder'.*'enc', 'dec'"):
        gateviz.trace(net, x, module="decoder")


def test_bad_models_and_inputs_say_what_would_work():
    with pytest.raises(FormatError, match=r"builtins.int.*torch.nn.Module.*keras.Model.*bundled:NAME"):
        gateviz.trace(42, np.zeros((3, 1)))
    with pytest.raises(FormatError, match=r"Linear module holds no nn.RNN/nn.LSTM/nn.GRU"):
        gateviz.trace(nn.Linear(3, 3), np.zeros((3, 3)))
    net = Forecaster()
    with pytest.raises(SequenceError, match=r"expects 3 feature\(s\) per step but the sequence has 2"):
        gateviz.trace(net, torch.zeros(5, 2))
    with pytest.raises(SequenceError, match=r"no input given"):
        gateviz.trace(net, None)
    with pytest.raises(SequenceError, match=r"not a sequence; call trace\(model, x\)"):
        gateviz.trace(net, net)
    with pytest.raises(SequenceError, match=r"token ids as integers"):
        gateviz.trace(CharModel(), "hello")
    with pytest.raises(GatevizError, match=r"no such file|not found|does not exist"):
        gateviz.trace("/nonexistent/model.pt", np.zeros((3, 1)))


def test_recurrent_model_paths_and_bundled_names(tmp_path):
    from gateviz.bundled import load_bundled
    from gateviz.core.engine import Tracer
    from gateviz.formats import save_model

    model = load_bundled("brackets-lstm")
    text = "(()(()))"
    expected = Tracer(model).trace(text)
    for spec in (model, "bundled:brackets-lstm"):
        got = gateviz.trace(spec, text)
        np.testing.assert_array_equal(got.get(0, "forward", "cell_state"), expected.get(0, "forward", "cell_state"))
    path = tmp_path / "m.gvm"
    save_model(model, path)
    np.testing.assert_array_equal(gateviz.trace(path, text).output, expected.output)
    with pytest.raises(FormatError, match=r"drop module="):
        gateviz.trace(path, text, module="x")


def test_interventions_pass_through():
    torch.manual_seed(4)
    net = Forecaster()
    x = torch.randn(6, 3)
    trace = gateviz.trace(net, x, interventions=["layer0.forward.forget_gate[*]=0"])
    assert np.all(trace.get(0, "forward", "forget_gate") == 0)
    assert trace.meta["interventions"] == ["layer0.forward.forget_gate[*]=0"]


def test_import_gateviz_stays_light():
    code = ("import sys, gateviz; heavy = [m for m in ('torch', 'keras', 'PySide6', 'numpy') if m in sys.modules]; "
            "print(heavy); assert callable(gateviz.trace) and callable(gateviz.show)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=os.path.dirname(os.path.dirname(__file__)))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# --------------------------------------------------------------------------- keras


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def test_keras_sequential_equals_keras(keras):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((10, 3)),
                              keras.layers.Bidirectional(keras.layers.LSTM(6, return_sequences=True)),
                              keras.layers.LSTM(5, return_sequences=True),
                              keras.layers.Dense(2, activation="softmax")])
    x = np.random.default_rng(0).normal(size=(4, 10, 3)).astype("float32")
    trace = gateviz.trace(model, x)
    np.testing.assert_allclose(trace.output, _np(model(x)), atol=TOL, rtol=0)
    read = live.as_model(model)
    assert read.framework == "keras" and [len(layer.directions) for layer in read.layers] == [2, 1]
    # the top LSTM's last h against keras's own sub-model
    top = keras.Model(model.inputs, model.layers[1].output)
    np.testing.assert_allclose(trace.get(1, "forward", "hidden_state"), _np(top(x)), atol=TOL, rtol=0)


def test_keras_bidirectional_gru_sum_with_time_distributed_dense_equals_keras(keras):
    """get_weights() must list the backward GRU after the forward one, as the files do."""
    keras.utils.set_random_seed(3)
    layers = keras.layers
    model = keras.Sequential([keras.Input((7, 3)),
                              layers.Bidirectional(layers.GRU(4, return_sequences=True), merge_mode="sum"),
                              layers.TimeDistributed(layers.Dense(2))])
    x = np.random.default_rng(3).normal(size=(2, 7, 3)).astype("float32")
    np.testing.assert_allclose(gateviz.trace(model, x).output, _np(model(x)), atol=TOL, rtol=0)


def test_keras_functional_embedding_gru_equals_keras(keras):
    keras.utils.set_random_seed(1)
    tokens_in = keras.Input((None,), dtype="int32")
    h = keras.layers.GRU(8)(keras.layers.Embedding(30, 4)(tokens_in))
    model = keras.Model(tokens_in, keras.layers.Dense(3)(h))
    tokens = np.random.default_rng(1).integers(0, 30, size=(2, 9))
    trace = gateviz.trace(model, tokens)
    # Dense reads the final state: gateviz's head output at the last step is keras's output
    np.testing.assert_allclose(trace.output[:, -1], _np(model(tokens)), atol=TOL, rtol=0)


def test_keras_errors(keras):
    unbuilt = keras.Sequential([keras.layers.LSTM(4)])
    with pytest.raises(FormatError, match=r"no weights yet; build it first"):
        gateviz.trace(unbuilt, np.zeros((3, 2)))

    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__()
            self.lstm = keras.layers.LSTM(4)

        def call(self, x):
            return self.lstm(x)

    sub = Subclassed()
    sub(np.zeros((1, 3, 2), "float32"))
    with pytest.raises(FormatError, match=r"Sequential and functional models"):
        gateviz.trace(sub, np.zeros((3, 2)))
    mixed = keras.Sequential([keras.Input((5, 2)), keras.layers.LSTM(3, return_sequences=True, name="a"),
                              keras.layers.GRU(3, name="b")])
    with pytest.raises(ModuleChoiceRequired, match=r'module="NAME"'):
        gateviz.trace(mixed, np.zeros((5, 2)))
    x = np.random.default_rng(2).normal(size=(1, 5, 2)).astype("float32")
    lstm_out = _np(keras.Model(mixed.inputs, mixed.layers[0].output)(x))  # (1, 5, 3)
    trace = gateviz.trace(mixed, lstm_out, module="b")  # the GRU on its own input features
    assert trace.cell == "gru"
    np.testing.assert_allclose(trace.get(0, "forward", "hidden_state")[:, -1], _np(mixed(x)), atol=TOL, rtol=0)


# --------------------------------------------------------------------------- show


def _close_when_traced(found: list, qtbot_timeout_ms: int = 60000):
    """A QTimer that waits for show()'s window to show its trace, records it and closes it."""
    from PySide6.QtCore import QTimer

    timer = QTimer()
    timer.setInterval(50)
    waited = [0]

    def poll():
        waited[0] += 50
        for w in list(live._OPEN_WINDOWS):
            if w.state.trace is not None or waited[0] > qtbot_timeout_ms:
                found.append((w, w.state.trace, w.isVisible()))
                timer.stop()
                w.close()

    timer.timeout.connect(poll)
    timer.start()
    return timer


def test_show_blocks_in_a_script_until_the_window_closes(qtbot, settings_dir, shown_errors):
    torch.manual_seed(5)
    net = Forecaster()
    x = torch.randn(12, 3)
    found = []
    timer = _close_when_traced(found)  # keep a reference while show() blocks
    window = gateviz.show(net, x)
    assert timer is not None and found, "show() returned before its window was shown"
    shown, trace, visible = found[0]
    assert shown is window and visible and not window.isVisible()  # it ran until the window closed
    np.testing.assert_allclose(trace.output, _np(net(x[None])[0][0]), atol=TOL, rtol=0)
    assert window not in live._OPEN_WINDOWS and shown_errors == []


def _unblock_after(ms: int = 30000):
    """Should show() block where it must not, close its windows after ``ms`` so the test fails
    (the window is no longer visible) instead of hanging."""
    from PySide6.QtCore import QTimer

    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(lambda: [w.close() for w in list(live._OPEN_WINDOWS)])
    timer.start(ms)
    return timer


@pytest.mark.parametrize("loop", ["qt", "qt6"])  # IPython names the loop as asked, or by the Qt it picked
def test_show_returns_at_once_with_ipythons_qt_loop(qtbot, settings_dir, shown_errors, monkeypatch, loop):
    """``%gui qt``: IPython's shell reports the loop (as napari's tests fake it); show must not block."""
    shell = types.SimpleNamespace(active_eventloop=loop)
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
    guard = _unblock_after()
    window = gateviz.show("bundled:brackets-lstm", "(()())")
    guard.stop()
    try:
        assert window.isVisible()
        qtbot.waitUntil(lambda: window.state.trace is not None, timeout=60000)
        assert window.state.sequence == "(()())" and window.bundled_name == "brackets-lstm"
        assert shown_errors == []
    finally:
        window.close()


def test_show_turns_on_ipythons_qt_loop_when_off(qtbot, settings_dir, shown_errors, monkeypatch):
    """An IPython shell without ``%gui qt``: show() turns it on (as napari does) and does not block."""
    asked = []

    def enable_gui(gui):
        asked.append(gui)
        shell.active_eventloop = gui

    shell = types.SimpleNamespace(active_eventloop=None, enable_gui=enable_gui)
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
    guard = _unblock_after()
    window = gateviz.show("bundled:brackets-lstm")
    guard.stop()
    try:
        assert asked == ["qt"] and window.isVisible()
        qtbot.waitUntil(lambda: window.state.trace is not None, timeout=60000)
    finally:
        window.close()


def test_show_inside_a_running_event_loop_does_not_block(qtbot, settings_dir, shown_errors):
    from PySide6.QtCore import QTimer

    got = []

    def from_a_callback():  # a Qt slot runs inside the application's event loop
        got.append(gateviz.show("bundled:brackets-lstm"))

    guard = _unblock_after()
    QTimer.singleShot(0, from_a_callback)
    qtbot.waitUntil(lambda: bool(got), timeout=40000)
    guard.stop()
    window = got[0]
    try:
        assert window.isVisible()
        qtbot.waitUntil(lambda: window.state.trace is not None, timeout=60000)
    finally:
        window.close()


def test_show_raises_bad_inputs_before_opening_a_window(qtbot, settings_dir):
    before = len(live._OPEN_WINDOWS)
    with pytest.raises(SequenceError, match=r"expects 3 feature"):
        gateviz.show(Forecaster(), np.zeros((4, 5)))
    with pytest.raises(FormatError, match=r"builtins.str|no such file|not found"):
        gateviz.show("/nonexistent/model.h5")
    assert len(live._OPEN_WINDOWS) == before
