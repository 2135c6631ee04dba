"""PyTorch files (``torch.save`` of a state_dict, and ``.safetensors``) -> RecurrentModel.

Reading is split in two so other readers can reuse the second half:
    read_state_dict(path)         a flat {name: array} from a .pt/.pth/.bin or .safetensors file,
                                  with ``torch.load(..., weights_only=True)`` only (never unpickling)
    model_from_state_dict(state)  the seam that turns a flat dict into a model: finds the
                                  nn.RNN/LSTM/GRU groups (``torch_state``), picks one (--module),
                                  and builds the input stage and the head around it
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path

from ..core.errors import FormatError, GatevizError, ModuleChoiceRequired
from ..core.model import InputStage, RecurrentModel
from .torch_context import find_embedding, find_head
from .torch_state import _KEY, CELL_CLASSES, RecurrentModuleInfo, find_recurrent_modules, layers_from_info

SAVE_HINT = "save the weights instead with torch.save(model.state_dict(), path)"
TOP_LEVEL = "(top level)"


# --------------------------------------------------------------------------- reading


MAX_NESTING = 64  # dicts inside dicts; checkpoints nest a handful of levels


def _is_tensor(value: object) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype")


def _flatten(obj: Mapping, where: Path | str = "the file") -> dict[str, object]:
    """Nested dicts of tensors -> one flat dict with dotted names; non-tensors are dropped.

    Iterative with a depth bound (a file nested thousands deep would overflow Python's stack), and
    each dict is visited once: a pickle can make a dict hold itself, or the same dict under many names.
    """
    out: dict[str, object] = {}
    seen: set[int] = set()
    stack: list[tuple[Mapping, str, int]] = [(obj, "", 0)]
    while stack:
        mapping, prefix, depth = stack.pop()
        if id(mapping) in seen:
            continue
        seen.add(id(mapping))
        nested = []
        for key, value in mapping.items():
            name = f"{prefix}{key}"
            if isinstance(value, Mapping):
                if depth + 1 > MAX_NESTING:
                    raise FormatError(f"{where} nests dicts more than {MAX_NESTING} levels deep (at {name[:80]}...); "
                                      f"a state_dict is one flat dict of tensors: {SAVE_HINT}")
                nested.append((value, name + ".", depth + 1))
            elif _is_tensor(value):
                out[name] = value
            elif _KEY.match(name):  # where a recurrent module's tensor belongs, something else
                raise FormatError(f"{where}: {name} is a {type(value).__name__}, not a tensor; "
                                  f"a state_dict holds tensors: {SAVE_HINT}")
        stack.extend(reversed(nested))  # depth first, in file order
    return out


def _pick_state_dict(loaded: object, path: Path) -> dict[str, object]:
    """A checkpoint may be the state_dict itself or a dict with a 'state_dict' / 'model' entry."""
    if not isinstance(loaded, Mapping):
        raise FormatError(f"{path} holds a {type(loaded).__name__}, not a state_dict; {SAVE_HINT}")
    for key in ("state_dict", "model", "model_state_dict"):
        if isinstance(loaded.get(key), Mapping):
            return _flatten(loaded[key], path)
    return _flatten(loaded, path)


def _is_torchscript(path: Path) -> bool:
    """torch.jit.save writes the same zip layout as torch.save, plus compiled code."""
    import zipfile

    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as zf:
        return any(n.endswith("/constants.pkl") or "/code/" in n for n in zf.namelist())


def read_state_dict(path: str | os.PathLike, fmt: str | None = None) -> dict[str, object]:
    """A flat {name: tensor} from a torch.save file or a .safetensors file (``fmt`` as detect_format says)."""
    from .detect import detect_format

    path = Path(path)
    fmt = fmt or detect_format(path)
    if fmt == "safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        from .detect import check_safetensors_data, read_safetensors_header

        header = read_safetensors_header(path)
        if header is not None:
            check_safetensors_data(path, header)
        try:
            return load_file(str(path))
        except (SafetensorError, OSError, ValueError) as e:
            raise FormatError(f"{path}: cannot read the safetensors file, it is damaged ({e})") from None
    if fmt != "pytorch":
        raise FormatError(f"{path} is a {fmt} file, not a PyTorch file")

    if _is_torchscript(path):
        raise FormatError(f"{path} is a TorchScript archive (torch.jit.save), which gateviz does not run; "
                          f"{SAVE_HINT}")

    import pickle
    import warnings

    import torch

    try:
        # An open file, not the path: torch.load hands any path ending in .safetensors to safetensors,
        # whatever the content. Its warnings (pickle protocol 4/5...) would print three lines above
        # gateviz's one-line message.
        with open(path, "rb") as fh, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            loaded = torch.load(fh, map_location="cpu", weights_only=True)
    except RecursionError:
        raise FormatError(f"{path} nests its objects too deeply to read; a state_dict is one flat dict of "
                          f"tensors: {SAVE_HINT}") from None
    except pickle.UnpicklingError as e:
        protocol = re.search(r"Detected pickle protocol (\d+)", " ".join(str(w.message) for w in caught))
        if protocol and "Unsupported operand" in str(e):  # e.g. FRAME (protocol 4+): torch's safe loader stops
            raise FormatError(f"{path} was pickled with protocol {protocol.group(1)}, which torch's safe "
                              "(weights-only) loader cannot read, and gateviz never unpickles files otherwise; "
                              "save the weights again with torch.save(model.state_dict(), path) and its default "
                              "pickle_protocol") from None
        found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(e))
        if found and not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+", found.group(1)):
            # a name cut off mid-way ("torch._u."): the stream ended early, not a pickled object
            raise FormatError(f"{path}: cannot read the PyTorch file, it is damaged or truncated") from None
        what = f" (it contains a pickled {found.group(1)})" if found else ""
        raise FormatError(f"{path} holds a pickled Python object, not a state_dict{what}; gateviz never "
                          f"unpickles files, so {SAVE_HINT}") from None
    except MemoryError:
        raise FormatError(f"{path}: the PyTorch file declares more data than fits in memory; it is damaged, "
                          "or too large for this machine") from None
    except Exception as e:  # noqa: BLE001 - torch's loader raises anything (IndexError, AssertionError,
        # UnicodeDecodeError...) on damaged bytes; weights_only=True has already ruled out running code
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise FormatError(f"{path}: cannot read the PyTorch file, it is damaged or truncated ({first})") from None
    return _pick_state_dict(loaded, path)


# --------------------------------------------------------------------------- building


def _choose(modules: list[RecurrentModuleInfo], module: str | None, where: str) -> RecurrentModuleInfo:
    if module is not None:
        wanted = module.rstrip(".")
        for info in modules:  # a stack of cells answers to any of its cells' names
            if wanted in info.names or (wanted in ("", TOP_LEVEL) and info.prefix == ""):
                return info
        raise FormatError(f"{where} has no recurrent module named {module!r}; it holds: "
                          + "; ".join(" -> ".join(i.names) for i in modules))
    if len(modules) > 1:
        raise ModuleChoiceRequired(f"{where} holds {len(modules)} recurrent modules ("
                          + "; ".join(i.describe() for i in modules)
                          + "); choose one with --module NAME")
    return modules[0]


def model_from_state_dict(state: Mapping[str, object], *, module: str | None = None, nonlinearity: str = "tanh",
                          source: str = "", name: str | None = None) -> RecurrentModel:
    """The seam: a flat state_dict -> a RecurrentModel of one of its recurrent modules.

    The model reads raw features of the recurrent module's input size and has no head;
    discovering an nn.Embedding before and an nn.Linear after the module belongs here.
    """
    where = source or "the state_dict"
    if nonlinearity not in ("tanh", "relu"):
        raise FormatError(f"--nonlinearity must be tanh or relu (an nn.RNN's choice), not {nonlinearity!r}")
    modules = find_recurrent_modules(state)
    if not modules:
        shown = ", ".join(list(state)[:6]) + (", ..." if len(state) > 6 else "")
        raise FormatError(f"{where} holds no nn.RNN/nn.LSTM/nn.GRU weights, nor nn.LSTMCell/GRUCell/RNNCell ones "
                          f"(looked for keys like weight_ih_l0 or weight_ih; found {shown or 'no tensors'})")
    info = _choose(modules, module, where)
    layers = layers_from_info(state, info, nonlinearity=nonlinearity)
    stage, head, found = InputStage("raw", features=layers[0].input_size), None, []
    embedding = find_embedding(state, info)  # an nn.Embedding before / nn.Linear after (torch_context)
    if embedding is not None:
        stage = embedding[1]
        found.append(f"embedding {embedding[0]}")
    linear = find_head(state, info, layers[-1].output_size, exclude=embedding and embedding[0])
    if linear is not None:
        head = linear[1]
        found.append(f"head {linear[0]}")
    if info.cells:  # say so: the layers alone read like an nn.LSTM's
        count = f"{len(info.cells)} chained " if len(info.cells) > 1 else ""
        found.insert(0, f"{count}nn.{CELL_CLASSES[info.cell]}{'s' if count else ''} driven step by step")
    base = name or (" -> ".join(info.names) if info.prefix else "model")
    model = RecurrentModel(layers=layers, input=stage, head=head, source=source, framework="pytorch",
                           name=base + (f" ({', '.join(found)})" if found else ""))
    return model.validate()


@contextmanager
def _naming(path: Path):
    """Name the file in every message (the checks on single tensors do not know it)."""
    try:
        yield
    except ModuleChoiceRequired:
        raise
    except GatevizError as e:
        if str(path) in str(e):
            raise
        raise FormatError(f"{path}: {e}") from None


def list_pytorch_modules(path: str | os.PathLike, fmt: str | None = None) -> list[RecurrentModuleInfo]:
    state = read_state_dict(path, fmt)
    with _naming(Path(path)):
        return find_recurrent_modules(state)


def read_pytorch(path: str | os.PathLike, *, module: str | None = None, nonlinearity: str = "tanh",
                 fmt: str | None = None) -> RecurrentModel:
    path = Path(path)
    state = read_state_dict(path, fmt)
    with _naming(path):
        model = model_from_state_dict(state, module=module, nonlinearity=nonlinearity, source=str(path))
    if model.name == "model":
        model.name = path.stem
    return model
