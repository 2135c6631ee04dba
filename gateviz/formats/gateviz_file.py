"""The gateviz model file (``.gvm``): one safetensors file, nothing executed on load.

Tensors (dtypes kept as they are):
    layers.{k}.dir{j}.{Wx,Wh,bx,bh[,peephole][,Whr]}   j = 0 forward (or the lone direction), 1 backward
    input.embedding                                     (V, E), embedding input stage only
    head.weight, head.bias                              the linear read-out, when there is one
    snapshots.{s}.{name}                                training snapshot s's copy of tensor {name}
                                                        (each of the above), float32 or float16
Metadata (safetensors metadata is a str -> str map):
    gateviz_format  "1"
    model           JSON of everything that is not an array: each layer's options, the input
                    stage (kind, features, vocab, feature_names), the head's options, task, name
    snapshots       only when the model has training snapshots (issue 16): a JSON list, oldest
                    first, of {"step", "epoch", "loss", "metric", "metric_name", "metric_step"}

A model without snapshots is written exactly as before snapshots existed (no key, no tensor), and
a gateviz that predates them opens a file with snapshots as the plain model (it reads only the
tensors it names), so the format number stays 1.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..core.activations import Activation
from ..core.errors import FormatError, GatevizError
from ..core.model import DirectionWeights, Head, InputStage, RecurrentLayer, RecurrentModel
from ..core.snapshots import SNAPSHOT_DTYPES, Snapshot, check_snapshot, finite_or_none, weight_arrays

FORMAT_VERSION = 1
EXTENSION = ".gvm"
_DIRECTION_ARRAYS = ("Wx", "Wh", "bx", "bh", "peephole", "Whr")


def _model_json(model: RecurrentModel) -> dict[str, Any]:
    return {
        "name": model.name,
        "framework": model.framework,  # where the weights came from originally
        "layers": [layer.options() for layer in model.layers],
        "input": model.input.options(),
        "head": None if model.head is None else model.head.options(),
        "task": model.task,
        **({"initial_state_from": model.initial_state_from} if model.initial_state_from else {}),
    }


def _tensors(model: RecurrentModel) -> dict[str, np.ndarray]:
    return weight_arrays(model)


def _snapshot_parts(model: RecurrentModel, dtype: str | None) -> tuple[dict[str, np.ndarray], str | None]:
    """(tensors, metadata JSON) of the model's snapshots, each array cast to ``dtype`` (None: as it is);
    ({}, None) for a model without snapshots, so its file stays as it always was."""
    snaps = model.snapshots or []
    if not snaps:
        return {}, None
    if dtype is not None and dtype not in SNAPSHOT_DTYPES:
        raise FormatError(f"snapshot dtype {dtype!r}; choose {' or '.join(SNAPSHOT_DTYPES)}")
    tensors: dict[str, np.ndarray] = {}
    infos = []
    for s, snap in enumerate(snaps):
        try:
            check_snapshot(model, snap, s)
        except GatevizError as e:
            raise FormatError(str(e)) from None
        # float16 snapshots stay float16: widening them would hide that their weights were rounded
        target = "float16" if snap.dtype == "float16" else dtype
        for name, a in snap.weights.items():
            a = np.asarray(a)
            if target is not None:
                a = a.astype(target, copy=False)
            tensors[f"snapshots.{s}.{name}"] = np.ascontiguousarray(a)
        info = snap.info()
        info["loss"], info["metric"] = finite_or_none(info["loss"]), finite_or_none(info["metric"])
        infos.append(info)
    return tensors, json.dumps(infos, sort_keys=True, separators=(",", ":"))


def _deterministic_header(blob: bytes) -> bytes:
    """The same safetensors file with its header written in a fixed order.

    safetensors keeps the metadata in a Rust HashMap, so "gateviz_format" and "model" come out
    in a random order from one save to the next. Layout: 8-byte little-endian header length,
    the JSON header (space-padded to a multiple of 8), then the tensor data, which is left as is
    (the header's data offsets are relative to the data, so a rewritten header keeps them valid).
    """
    n = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8:8 + n])
    ordered: dict[str, Any] = {}
    if "__metadata__" in header:
        ordered["__metadata__"] = dict(sorted(header.pop("__metadata__").items()))
    ordered.update(header)  # the tensors, in safetensors' own (data) order, which is already fixed
    text = json.dumps(ordered, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text + blob[8 + n:]


def save_model(model: RecurrentModel, path: str | os.PathLike, *, overwrite: bool = False,
               snapshot_dtype: str | None = None) -> Path:
    """Write ``model`` as a gateviz model file. Refuses to replace an existing file unless asked.
    ``snapshot_dtype``: "float32" or "float16" for the training snapshots' weights (None: as they are;
    snapshots already rounded to float16 stay float16).

    The same model gives the same bytes every time (sorted JSON, a fixed header order), so
    saved files can be compared and versioned. The file is written next to its destination
    and renamed into place, so an interrupted save never leaves a half-written model behind.
    """
    from safetensors.numpy import save

    path = Path(path)
    if path.is_dir():
        raise FormatError(f"{path} is a folder; give a file name such as model{EXTENSION}")
    if path.exists() and not overwrite:
        raise FormatError(f"{path} already exists; choose another name or allow overwriting "
                          "(--force on the command line)")
    model.validate()
    try:
        meta = json.dumps(_model_json(model), sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError) as e:
        raise FormatError(f"the model's description cannot be stored as JSON ({e}); keep task values to "
                          "numbers, strings, lists and dicts") from None
    tensors = _tensors(model)
    snapshot_tensors, snapshot_meta = _snapshot_parts(model, snapshot_dtype)
    tensors.update(snapshot_tensors)
    metadata = {"gateviz_format": str(FORMAT_VERSION), "model": meta}
    if snapshot_meta is not None:
        metadata["snapshots"] = snapshot_meta
    # Qt-free helpers: a temporary sibling named so a later run can tell it is a leftover
    from gateviz.export.files import give_normal_mode, release_temp, temp_sibling

    tmp = None
    try:
        tmp = temp_sibling(path)
        blob = save(tensors, metadata=metadata)
        with open(tmp, "wb") as f:
            f.write(_deterministic_header(blob))
        give_normal_mode(tmp, path)  # mkstemp made tmp private (0600): the user's mode, or the replaced file's
        os.replace(tmp, path)
    except OSError as e:  # name the user's file, not our temporary one
        why = e.strerror or type(e).__name__
        raise FormatError(f"cannot write {path}: {why} (in the folder {path.parent.resolve()}); "
                          "choose a folder you can write to") from None
    finally:
        if tmp is not None:
            release_temp(tmp)
    return path


def load_gateviz_model(path: str | os.PathLike) -> RecurrentModel:
    """Read a gateviz model file. FormatError for anything that is not a valid one."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    from .detect import _check_file, check_safetensors_data, read_safetensors_header

    path = _check_file(path)
    header = read_safetensors_header(path)
    meta = (header or {}).get("__metadata__") or {}
    if "gateviz_format" not in meta:
        raise FormatError(f"{path} is not a gateviz model file (no gateviz_format in its safetensors metadata)")
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise FormatError(f"{path}: the safetensors metadata must map names to strings; the file is damaged")
    try:
        version = int(meta["gateviz_format"])
    except ValueError:
        raise FormatError(f"{path}: gateviz_format {meta['gateviz_format']!r} is not a number") from None
    if version > FORMAT_VERSION:
        raise FormatError(f"{path} was written by a newer gateviz (model file format {version}; this gateviz "
                          f"reads up to {FORMAT_VERSION}); update gateviz")
    check_safetensors_data(path, header)
    try:
        desc = json.loads(meta["model"])
        tensors = load_file(str(path))
    except KeyError:
        raise FormatError(f"{path}: the gateviz metadata lacks the model description") from None
    except json.JSONDecodeError as e:
        raise FormatError(f"{path}: the model description is not valid JSON ({e})") from None
    except RecursionError:
        raise FormatError(f"{path}: the model description nests too deeply to read; the file is damaged or was "
                          "not written by gateviz") from None
    except (SafetensorError, OSError, ValueError) as e:
        raise FormatError(f"{path}: cannot read the weights, the file is damaged ({e})") from None
    try:
        _check_description(desc)
        model = _model_from(desc, tensors)
        if "snapshots" in meta:
            model.snapshots = _snapshots_from(meta["snapshots"], tensors, model)
    except GatevizError as e:
        raise FormatError(f"{path}: {e}") from None
    except (KeyError, TypeError, ValueError, IndexError) as e:
        raise FormatError(f"{path}: the model description is incomplete or inconsistent "
                          f"({type(e).__name__}: {e})") from None
    model.source = str(path)
    return model


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(value), "a number")


def _check_activation(value: Any, where: str) -> None:
    name = value.get("name") if isinstance(value, dict) else value
    params = [value.get("alpha"), value.get("beta")] if isinstance(value, dict) else []
    if not isinstance(name, str) or any(p is not None and (isinstance(p, bool) or not isinstance(p, (int, float)))
                                        for p in params):
        raise FormatError(f"{where} is {value!r}, expected an activation such as {{\"name\": \"tanh\"}} "
                          "(alpha and beta numbers or null)")


def _check_description(desc: Any) -> None:
    """The JSON's shape, before anything is built from it: each wrong type gets its own message
    (the model description is written by save_model, so any other shape means a damaged or forged file)."""
    if not isinstance(desc, dict):
        raise FormatError(f"the model description is {_kind(desc)}, expected an object with \"layers\", "
                          "\"input\" and \"head\"; the file is damaged or was not written by gateviz")
    layers = desc.get("layers")
    if not isinstance(layers, list) or not layers:
        raise FormatError(f"the model description's \"layers\" is {_kind(layers)}, expected a non-empty list "
                          "of layer objects")
    for k, opt in enumerate(layers):
        if not isinstance(opt, dict):
            raise FormatError(f"layer {k} of the model description is {_kind(opt)}, expected an object")
        if not isinstance(opt.get("cell"), str):
            raise FormatError(f"layer {k}: cell is {opt.get('cell')!r}, expected \"lstm\", \"gru\" or \"rnn\"")
        for key in ("units", "input_size"):
            value = opt.get(key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise FormatError(f"layer {k}: {key} is {value!r}, expected a positive whole number")
        directions = opt.get("directions")
        if (not isinstance(directions, list) or not 1 <= len(directions) <= 2
                or any(d not in ("forward", "backward") for d in directions)):
            raise FormatError(f"layer {k}: directions is {directions!r}, expected [\"forward\"], [\"backward\"] "
                              "or [\"forward\", \"backward\"]")
        overrides = opt.get("direction_activations")
        if overrides is not None and not (isinstance(overrides, list) and len(overrides) == len(directions)
                                          and all(isinstance(o, dict) for o in overrides)):
            raise FormatError(f"layer {k}: direction_activations must be one object per direction")
        for key in ("activation", "recurrent_activation"):
            _check_activation(opt.get(key), f"layer {k}: {key}")
        if opt.get("output_activation") is not None:  # an LSTM's h = o*ψ(c) with its own ψ (ONNX)
            _check_activation(opt["output_activation"], f"layer {k}: output_activation")
        for j, own in enumerate(overrides or []):
            for key, value in own.items():
                if value is not None:
                    _check_activation(value, f"layer {k}, direction {j}: {key}")
        for key in ("forget_bias", "cell_clip", "proj_clip", "gate_clip"):
            value = opt.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise FormatError(f"layer {k}: {key} is {value!r}, expected a number or null")
    for key in ("input", "head", "task"):
        if desc.get(key) is not None and not isinstance(desc[key], dict):
            raise FormatError(f"the model description's \"{key}\" is {_kind(desc[key])}, expected an object"
                              + (" such as {\"name\": \"sine\"}" if key == "task" else " or null"))
    inp = desc.get("input") or {}
    features = inp.get("features", 1)
    if isinstance(features, bool) or not isinstance(features, int) or features < 1:
        raise FormatError(f"the input's features is {features!r}, expected a positive whole number")
    if desc.get("name") is not None and not isinstance(desc["name"], str):
        raise FormatError(f"the model's name is {_kind(desc['name'])}, expected a string")


def _model_from(desc: dict[str, Any], tensors: dict[str, np.ndarray]) -> RecurrentModel:
    def need(name: str) -> np.ndarray:
        if name not in tensors:
            raise FormatError(f"missing tensor {name}")
        return tensors[name]

    layers = []
    for k, opt in enumerate(desc["layers"]):
        directions = []
        overrides = opt.get("direction_activations") or [{} for _ in opt["directions"]]
        for j, direction in enumerate(opt["directions"]):
            base = f"layers.{k}.dir{j}."
            arrays = {n: tensors.get(base + n) for n in _DIRECTION_ARRAYS}
            for n in ("Wx", "Wh", "bx", "bh"):
                arrays[n] = need(base + n)
            own = {key: Activation.from_dict(v) for key, v in overrides[j].items() if v is not None}
            directions.append(DirectionWeights(reverse=direction == "backward", **arrays, **own))
        layers.append(RecurrentLayer(
            cell=opt["cell"], units=int(opt["units"]), input_size=int(opt["input_size"]), directions=directions,
            activation=Activation.from_dict(opt["activation"]),
            recurrent_activation=Activation.from_dict(opt["recurrent_activation"]),
            reset_after=bool(opt.get("reset_after", True)), forget_bias=float(opt.get("forget_bias") or 0.0),
            cell_clip=opt.get("cell_clip"), proj_clip=opt.get("proj_clip"), gate_clip=opt.get("gate_clip"),
            input_forget=bool(opt.get("input_forget", False)), merge=opt.get("merge", "concat"),
            output_activation=Activation.from_dict(opt["output_activation"]) if opt.get("output_activation") else None,
        ))
    inp = desc.get("input") or {}
    stage = InputStage(kind=inp.get("kind", "raw"), features=int(inp.get("features", 1)), vocab=inp.get("vocab"),
                       embedding=tensors.get("input.embedding"), feature_names=inp.get("feature_names"),
                       mask_value=_mask_value(inp.get("mask_value")), mask_zero=inp.get("mask_zero") is True,
                       zero_output_layers=[int(k) for k in inp.get("zero_output_layers") or []])
    if stage.kind == "embedding" and stage.embedding is None:
        raise FormatError("the input stage is an embedding but the file has no input.embedding tensor")
    head = None
    if desc.get("head") is not None:
        h = desc["head"]
        head = Head(weight=need("head.weight"), bias=tensors.get("head.bias"), activation=h.get("activation", "identity"),
                    on=h.get("on", "every_step"), labels=h.get("labels"))
    return RecurrentModel(layers=layers, input=stage, head=head, task=desc.get("task"),
                          name=desc.get("name") or "model", framework=desc.get("framework") or "gateviz",
                          initial_state_from=_initial_state_from(desc.get("initial_state_from"))).validate()


def _snapshots_from(text: str, tensors: dict[str, np.ndarray], model: RecurrentModel) -> list[Snapshot]:
    """The training snapshots: the metadata's list, each entry with its snapshots.{s}.* tensors."""
    try:
        infos = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        raise FormatError(f"the snapshots' description is not valid JSON ({e}); the file is damaged") from None
    if not isinstance(infos, list) or not all(isinstance(i, dict) for i in infos):
        raise FormatError("the snapshots' description is not a list of objects; the file is damaged")
    names = list(weight_arrays(model))
    snaps = []
    for s, info in enumerate(infos):
        def number(key: str, whole: bool = False):
            value = info.get(key)
            if value is None and key not in ("step", "epoch"):
                return None
            if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
                raise FormatError(f"snapshot {s}: {key} is {str(value)[:40]!r}, expected "
                                  f"{'a whole number' if whole else 'a number or null'}")
            return value

        weights = {}
        for name in names:
            a = tensors.get(f"snapshots.{s}.{name}")
            if a is None:
                raise FormatError(f"snapshot {s} lacks its tensor snapshots.{s}.{name}; the file is damaged")
            weights[name] = a
        dtypes = {str(a.dtype) for a in weights.values()}
        if len(dtypes) != 1 or next(iter(dtypes)) not in SNAPSHOT_DTYPES:
            raise FormatError(f"snapshot {s} holds {', '.join(sorted(dtypes))} weights; expected float32 or float16")
        metric_name = info.get("metric_name") or ""
        if not isinstance(metric_name, str):
            raise FormatError(f"snapshot {s}: metric_name is {metric_name!r}, expected a string")
        snap = Snapshot(step=number("step", True), epoch=number("epoch", True), loss=number("loss"),
                        metric=number("metric"), weights=weights, metric_name=metric_name,
                        metric_step=number("metric_step", True), dtype=dtypes.pop())
        check_snapshot(model, snap, s)
        snaps.append(snap)
    return snaps


def _initial_state_from(value: Any) -> dict[str, Any] | None:
    """A decoder's link to its encoder (RecurrentModel.initial_state_from), checked."""
    if value is None:
        return None
    if (not isinstance(value, dict) or not isinstance(value.get("module"), str)
            or not isinstance(value.get("states", []), list)
            or any(s not in ("h", "c") for s in value.get("states", []))
            or not isinstance(value.get("input_repeat", 1), int) or value.get("input_repeat", 1) < 1):
        raise FormatError(f"the model's initial_state_from is {str(value)[:80]!r}, expected an object such as "
                          '{"module": "encoder", "states": ["h", "c"]}')
    return value


def _mask_value(value) -> float | None:
    """The input stage's Keras mask value (issue 14): None, or a number."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FormatError(f"the input stage's mask_value is {str(value)[:40]!r}, not a number; the file is damaged: "
                          "save the model again")
    return float(value)
