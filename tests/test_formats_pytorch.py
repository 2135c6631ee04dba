"""PyTorch / safetensors files, format detection by content, and the load_model dispatcher."""

import zipfile

import numpy as np
import pytest
import torch

from gateviz.core import FormatError
from gateviz.core.errors import ModuleChoiceRequired
from gateviz.core.engine import trace
from gateviz.formats import describe_modules, detect_format, list_modules, load_model


class Seq2Seq(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = torch.nn.Module()
        self.encoder.rnn = torch.nn.LSTM(3, 5, num_layers=2, bidirectional=True)
        self.decoder = torch.nn.GRU(10, 4)
        self.out = torch.nn.Linear(4, 2)


def _h(mod, x):
    with torch.no_grad():
        return mod(torch.as_tensor(x, dtype=torch.float32)[:, None])[0][:, 0].numpy()


def _ours(model, x):
    tr = trace(model, x)
    last = len(model.layers) - 1
    return np.concatenate([tr.get(last, d, "hidden_state") for d in tr.directions(last)], -1)


@pytest.mark.parametrize("wrap", ["plain", "state_dict", "model", "legacy"])
def test_state_dict_files(tmp_path, wrap):
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 6, num_layers=2, proj_size=2)
    sd = lstm.state_dict()
    path = tmp_path / "m.pt"
    if wrap == "legacy":
        torch.save(sd, path, _use_new_zipfile_serialization=False)
        assert path.read_bytes()[:2] == b"\x80\x02"
    else:
        torch.save(sd if wrap == "plain" else {wrap: sd, "epoch": 3, "lr": 0.1}, path)
    assert detect_format(path) == "pytorch"
    model = load_model(path)
    assert model.framework == "pytorch" and len(model.layers) == 2 and model.layers[0].proj_size == 2
    x = np.random.default_rng(0).standard_normal((12, 3))
    np.testing.assert_allclose(_ours(model, x), _h(lstm, x), atol=1e-5)


def test_prefixed_modules_need_module_choice(tmp_path):
    torch.manual_seed(1)
    net = Seq2Seq()
    path = tmp_path / "ck.pth"
    torch.save({"model": net.state_dict(), "optimizer": {"state": {}}}, path)
    assert list_modules(path) == ["encoder.rnn", "decoder"]
    lines = describe_modules(path)
    assert lines[0] == "encoder.rnn: LSTM input 3, hidden 5, 2 layer(s), bidirectional"
    with pytest.raises(ModuleChoiceRequired, match=r"holds 2 recurrent modules .*encoder\.rnn.*decoder.*--module NAME"):
        load_model(path)
    with pytest.raises(FormatError, match="no recurrent module named 'dec'.*encoder.rnn; decoder"):
        load_model(path, module="dec")
    enc = load_model(path, module="encoder.rnn")
    assert enc.name == "encoder.rnn" and enc.layers[1].bidirectional and enc.input_size == 3
    x = np.random.default_rng(0).standard_normal((7, 3))
    np.testing.assert_allclose(_ours(enc, x), _h(net.encoder.rnn, x), atol=1e-5)
    dec = load_model(path, module="decoder")
    x = np.random.default_rng(0).standard_normal((7, 10))
    np.testing.assert_allclose(_ours(dec, x), _h(net.decoder, x), atol=1e-5)


def test_safetensors_file_and_relu_rnn(tmp_path):
    from safetensors.torch import save_file

    torch.manual_seed(2)
    rnn = torch.nn.RNN(2, 5, num_layers=2, nonlinearity="relu", bidirectional=True)
    path = tmp_path / "w.safetensors"
    save_file({f"rnn.{k}": v.contiguous() for k, v in rnn.state_dict().items()}, str(path))
    assert detect_format(path) == "safetensors"
    x = np.random.default_rng(0).standard_normal((9, 2))
    model = load_model(path, nonlinearity="relu")
    assert model.layers[0].activation.name == "relu"
    np.testing.assert_allclose(_ours(model, x), _h(rnn, x), atol=1e-5)
    tanh_model = load_model(path)  # the weights do not say relu: the default is tanh
    assert not np.allclose(_ours(tanh_model, x), _h(rnn, x), atol=1e-3)


def test_pickled_module_gets_state_dict_advice(tmp_path):
    path = tmp_path / "whole.pt"
    torch.save(torch.nn.GRU(2, 3), path)
    with pytest.raises(FormatError, match=r"pickled .*torch\.save\(model\.state_dict\(\), path\)"):
        load_model(path)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.jit is deprecated, yet users have such files
def test_torchscript_archive_gets_state_dict_advice(tmp_path):
    path = tmp_path / "scripted.pt"
    torch.jit.save(torch.jit.script(torch.nn.LSTM(2, 3)), str(path))
    assert detect_format(path) == "pytorch"
    with pytest.raises(FormatError, match=r"TorchScript archive .*torch\.save\(model\.state_dict\(\), path\)"):
        load_model(path)


def test_no_recurrent_weights(tmp_path):
    path = tmp_path / "lin.pt"
    torch.save(torch.nn.Linear(3, 2).state_dict(), path)
    with pytest.raises(FormatError, match="no nn.RNN/nn.LSTM/nn.GRU weights.*weight, bias"):
        load_model(path)
    path2 = tmp_path / "tensor.pt"
    torch.save(torch.zeros(3), path2)
    with pytest.raises(FormatError, match="holds a Tensor, not a state_dict"):
        load_model(path2)


def test_float64_and_half_weights(tmp_path):
    torch.manual_seed(3)
    gru = torch.nn.GRU(2, 3, dtype=torch.float64)
    torch.save(gru.state_dict(), tmp_path / "d.pt")
    model = load_model(tmp_path / "d.pt")
    assert model.layers[0].directions[0].Wx.dtype == np.float64
    x = np.random.default_rng(0).standard_normal((5, 2))
    with torch.no_grad():
        want = gru(torch.as_tensor(x)[:, None])[0][:, 0].numpy()
    np.testing.assert_allclose(_ours(model, x), want, atol=1e-10)
    torch.save(gru.half().state_dict(), tmp_path / "h.pt")
    assert load_model(tmp_path / "h.pt").layers[0].directions[0].Wx.dtype == np.float32


def test_detect_by_content_not_extension(tmp_path):
    sd = torch.nn.LSTM(1, 2).state_dict()
    odd = tmp_path / "weights.onnx"  # misleading extension: the content decides
    torch.save(sd, odd)
    assert detect_format(odd) == "pytorch"
    h5 = tmp_path / "model.bin"
    h5.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    assert detect_format(h5) == "keras-h5"
    keras = tmp_path / "model.zip"
    with zipfile.ZipFile(keras, "w") as zf:
        zf.writestr("config.json", "{}")
        zf.writestr("metadata.json", "{}")
        zf.writestr("model.weights.h5", b"\x89HDF")
    assert detect_format(keras) == "keras-zip"
    onnx_file = tmp_path / "m.onnx"
    onnx_file.write_bytes(b"\x08\x09\x12\x07pytorch")
    assert detect_format(onnx_file) == "onnx"


@pytest.mark.parametrize("content,message", [
    (b"", "empty"),
    (b"hello, this is a text file\n", "unrecognised file format.*gateviz model.*ONNX"),
    (b"PK\x03\x04garbage", "damaged"),
])
def test_unknown_empty_and_corrupt(tmp_path, content, message):
    path = tmp_path / "thing.dat"
    path.write_bytes(content)
    with pytest.raises(FormatError, match=message):
        load_model(path)


def test_other_zip_and_missing_file(tmp_path):
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hi")
    with pytest.raises(FormatError, match="neither a PyTorch file"):
        load_model(path)
    with pytest.raises(FormatError, match="no such file"):
        load_model(tmp_path / "nope.pt")
    with pytest.raises(FormatError, match="is a folder"):
        load_model(tmp_path)


def test_truncated_torch_file(tmp_path):
    path = tmp_path / "m.pt"
    torch.save(torch.nn.LSTM(2, 3).state_dict(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match="m.pt"):
        load_model(path)
    legacy = tmp_path / "l.pt"
    torch.save(torch.nn.LSTM(2, 3).state_dict(), legacy, _use_new_zipfile_serialization=False)
    legacy.write_bytes(legacy.read_bytes()[:200])
    with pytest.raises(FormatError, match="damaged or truncated"):
        load_model(legacy)


def test_truncated_safetensors(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "w.safetensors"
    save_file(torch.nn.GRU(2, 3).state_dict(), str(path))
    data = path.read_bytes()
    path.write_bytes(data[:-8])
    with pytest.raises(FormatError, match="w.safetensors"):
        load_model(path)


def test_foreign_reader_missing_is_a_clear_error(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "gateviz.formats.onnx_reader", None)  # import fails like a missing module
    path = tmp_path / "m.onnx"
    path.write_bytes(b"\x08\x09\x12\x07pytorch")
    with pytest.raises(FormatError, match="ONNX file; gateviz recognises it but its ONNX reader is not available"):
        load_model(path)
