"""Keras models (legacy ``.h5`` and Keras 3 ``.keras``) -> the canonical RecurrentModel.

Reads with h5py and zipfile only (keras_files.py): TensorFlow and keras are not needed.
Conversion follows gate-conventions.md §2 (keras_layers.py, with what each layer is):
    Wx = kernel.T, Wh = recurrent_kernel.T; LSTM keeps i|f|c|o (= i,f,g,o), bx = bias, bh = 0;
    GRU permutes blocks z|r|h -> r|z|n, reset_after=True: bx = bias[0], bh = bias[1].

The model's layers (keras_graph.py) are split into *runs*: consecutive recurrent layers of
one cell kind (LSTM/GRU/SimpleRNN, also inside Bidirectional or RNN(cell)), with inference
no-ops (Dropout, GaussianNoise...) allowed between them. A model with exactly one run and
nothing unsupported before it opens as is: an Embedding right before it becomes the input
stage, a Dense (or TimeDistributed(Dense)) right after it becomes the head (an Activation
layer after that Dense folds into it). Otherwise FormatError names the layers in the way;
``module=`` (CLI ``--module``) opens one run on its raw input features.

Encoder-decoder models (keras-io lstm_seq2seq: the decoder LSTM called with
``initial_state=[state_h, state_c]`` of the encoder) offer the encoder (walked back from its
layer) and the decoder as modules; the decoder's ``initial_state_from`` names the encoder module
and which of its final states (h, c) it starts from, for the caller to trace the encoder first.

Direction bookkeeping: Keras ``go_backwards`` returns a sequence in processing order, i.e.
reversed. Tracking that parity through the stack, a layer runs backward in input time iff
(its input is reversed) xor (go_backwards); the canonical model stores it time-aligned.
"""

from __future__ import annotations

import os

import numpy as np

from ..core.errors import FormatError, GatevizError, ModuleChoiceRequired
from ..core.model import Head, InputStage, RecurrentLayer, RecurrentModel
from .keras_files import KerasFile, open_keras_file
from .keras_graph import LayerSpec, layer_chain, layer_order
from .keras_layers import (HEAD_ACTIVATIONS, SUPPORTED_TEXT, _activation, _as_recurrent, _blockers, _describe,  # noqa: F401
                           _direction, _kind, _nested, _Recurrent, _reset_after, _Run, _runs, _units)
# (F401: keras_seq2seq.py reads _as_recurrent and _kind from this module)


class _Builder:
    def __init__(self, kf: KerasFile, end: str | None = None):
        self.kf = kf
        self.where = kf.path
        self.major = kf.major_version
        self.links: dict[str, tuple[str, list[int]]] = {}  # decoder layer -> (encoder layer, state outputs)
        self.name, self.chain, self.notes = layer_chain(kf.config, kf.path, end=end, links=self.links)
        self.order = [(s.name, s.class_name) for s in self.chain]
        self.runs = _runs(self.chain)
        # the encoders of an encoder-decoder model: chains that end at a decoder's state source
        self.encoders: list[_Builder] = []
        if end is None and self.links:
            self.order = layer_order(kf.config)
            own = {s.name for s in self.chain}
            for src in dict.fromkeys(src for src, _ in self.links.values()):
                if src not in own:
                    enc = _Builder(kf, end=src)
                    enc.order = self.order
                    self.encoders.append(enc)

    def _all(self) -> list[tuple["_Builder", _Run]]:
        """Every module (encoders first) with the builder whose chain holds it."""
        return [(b, r) for b in self.encoders + [self] for r in b.runs]

    def weights(self, spec: LayerSpec) -> list[np.ndarray]:
        return self.kf.layer_weights(spec.name, spec.class_name, self.order)

    # ---- choosing what to open ------------------------------------------------
    def module_names(self) -> list[str]:
        return [b.chain[r.indices[0]].name for b, r in self._all()]

    def module_lines(self) -> list[str]:
        lines = []
        for b, run in self._all():
            parts = []
            for i in run.indices:
                rec = _as_recurrent(b.chain[i])
                kind = {"lstm": "LSTM", "gru": "GRU", "rnn": "SimpleRNN"}[rec.cell]
                part = f"{kind}({rec.forward.get('units', '?')})"
                parts.append(f"Bidirectional({part}, merge={rec.merge})" if rec.bidirectional else part)
            link = self.links.get(b.chain[run.indices[0]].name) if b is self else None
            starts = f"  (a decoder: starts from {link[0]}'s final state; trace with --encoder-input)" if link else ""
            k = b.runs.index(run)
            if not link and k and any(s.class_name == "RepeatVector"
                                      for s in b.chain[b.runs[k - 1].indices[-1] + 1:run.indices[0]]):
                starts = "  (a decoder: reads the previous module's final h repeated; trace with --encoder-input)"
            lines.append(f"{b.chain[run.indices[0]].name}: {' -> '.join(parts)}  "
                         f"[{', '.join(run.names(b.chain))}]{starts}")
        return lines

    def pick_run(self, module: str | None) -> _Run:
        chain = self.chain
        cudnn = [s for s in chain if s.class_name in ("CuDNNLSTM", "CuDNNGRU")]
        if cudnn:
            raise FormatError(f"{self.where}: {_describe(cudnn[0])} stores its weights in the GPU-only cuDNN layout, "
                              "which gateviz does not read; in Keras 2 rebuild the model with LSTM/GRU "
                              "(GRU with reset_after=True), load_weights (Keras converts them) and save again")
        if not self.runs:
            found = ", ".join(_describe(s) for s in chain if _kind(s) != "pass") or "no layers"
            raise FormatError(f"{self.where}: this Keras model has no recurrent layer (found {found}); gateviz "
                              f"opens models with {SUPPORTED_TEXT}")
        listing = "; ".join(f"{self.chain[r.indices[0]].name} ({' + '.join(r.names(chain))})" for r in self.runs)
        if self.encoders:
            listing = "; ".join(f"{b.chain[r.indices[0]].name} ({' + '.join(r.names(b.chain))})"
                                for b, r in self._all())
            if module is None:
                raise ModuleChoiceRequired(f"{self.where}: this is an encoder-decoder model; open the encoder or the "
                                           f"decoder with --module NAME: {listing}")
        if module is not None:
            for run in self.runs:
                if module in run.names(chain) or module == "+".join(run.names(chain)):
                    return run
            raise FormatError(f"{self.where}: no recurrent layers named {module!r}; this model has: {listing}")
        if len(self.runs) > 1:
            first, second = self.runs[0], self.runs[1]
            between = [s for s in chain[first.indices[-1] + 1:second.indices[0]] if _kind(s) != "pass"]
            why = (f"separated by {', '.join(_describe(s) for s in between)}, which gateviz cannot trace"
                   if between else f"of different cell kinds ({first.cell.upper()} then {second.cell.upper()})")
            raise ModuleChoiceRequired(f"{self.where}: the recurrent layers are {why}; open one group of them on its own "
                              f"input features with --module NAME: {listing}")
        run = self.runs[0]
        blockers = _blockers(chain, run)
        if blockers:
            raise ModuleChoiceRequired(f"{self.where}: {', '.join(_describe(s) for s in blockers)} before the recurrent "
                              f"layers cannot be traced (gateviz reads Input, Embedding, Dropout, then {SUPPORTED_TEXT}); "
                              f"open the recurrent layers on their raw input features with --module "
                              f"{chain[run.indices[0]].name}")
        return run

    # ---- building ------------------------------------------------------------
    def build(self, module: str | None) -> RecurrentModel:
        for enc in self.encoders:
            if module is not None and any(module in r.names(enc.chain) or module == "+".join(r.names(enc.chain))
                                          for r in enc.runs):
                return enc.build(module)
        run = self.pick_run(module)
        layers, reversed_out, last = self._layers(run)
        stage = self._input_stage(run, layers[0].input_size)
        if stage.masked:
            stage.zero_output_layers = self._zero_output_layers(run)
        elif any(self.chain[i].mask_from for i in run.indices):
            spec = next(self.chain[i] for i in run.indices if self.chain[i].mask_from)
            raise FormatError(f"{self.where}: layer {spec.name!r} is given a mask computed by {spec.mask_from!r}, "
                              "which gateviz cannot follow; it traces masks from a Masking layer or an "
                              "Embedding(mask_zero=True) right before the recurrent layers")
        head = self._head(run, last, layers[-1], reversed_out)
        if len(layers[-1].directions) == 2 and last.merge is None:
            if head is None:
                self.notes.append("merge_mode=None shown as concat")
        from .keras_seq2seq import state_link  # it reads this module's helpers

        link = state_link(self, run)
        if link and link.get("input_repeat"):  # its input is said by the repeat note instead
            self.notes = [n for n in self.notes if not n.startswith("recurrent layers traced on the outputs")]
        name = self.name + (f" ({'; '.join(self.notes)})" if self.notes else "")
        model = RecurrentModel(layers=layers, input=stage, head=head, name=name, source=str(self.kf.path),
                               framework="keras", initial_state_from=link)
        try:
            return model.validate()
        except GatevizError as e:
            raise FormatError(f"{self.where}: {e}") from None

    def _layers(self, run: _Run) -> tuple[list[RecurrentLayer], bool, _Recurrent]:
        layers = []
        reversed_in = False  # is this layer's input in reversed time order (after a lone go_backwards)?
        rec = None
        for idx in run.indices:
            spec = self.chain[idx]
            rec = _as_recurrent(spec)
            where = f"{self.where}: layer {spec.name!r}"
            arrays = self.weights(spec)
            if not arrays:
                raise FormatError(f"{where}: its weights are missing from the file; save the model again with "
                                  "model.save() after building it")
            fcfg = rec.forward
            act = _activation(fcfg.get("activation", "tanh"), self.major, where)
            rec_act = _activation(fcfg.get("recurrent_activation", "sigmoid"), self.major, where)
            if not rec.bidirectional:
                reverse = reversed_in != bool(fcfg.get("go_backwards", False))
                directions = [_direction(rec.cell, fcfg, arrays, reverse, where)]
                reset_after = _reset_after(fcfg, arrays)
                merge = "concat"
                reversed_in = reverse if rec.return_sequences else False
            else:
                if reversed_in:
                    raise FormatError(f"{where}: a Bidirectional layer after a go_backwards layer is not supported")
                if fcfg.get("go_backwards", False):
                    raise FormatError(f"{where}: a Bidirectional layer whose forward layer has go_backwards=True "
                                      "is not supported")
                bcfg = rec.backward
                n_fwd = 3 if fcfg.get("use_bias", True) else 2
                directions = [_direction(rec.cell, fcfg, arrays[:n_fwd], False, where + " (forward)"),
                              _direction(rec.cell, bcfg, arrays[n_fwd:], True, where + " (backward)")]
                reset_after = _reset_after(fcfg, arrays[:n_fwd])
                if rec.cell == "gru" and _reset_after(bcfg, arrays[n_fwd:]) != reset_after:
                    raise FormatError(f"{where}: forward and backward GRUs disagree on reset_after")
                if _units(bcfg, where) != _units(fcfg, where):
                    raise FormatError(f"{where}: forward ({fcfg['units']}) and backward ({bcfg['units']}) layers "
                                      "have different sizes; gateviz needs equal sizes")
                b_act = _activation(bcfg.get("activation", "tanh"), self.major, where)
                b_rec = _activation(bcfg.get("recurrent_activation", "sigmoid"), self.major, where)
                if b_act != act:
                    directions[1].activation = b_act
                if b_rec != rec_act:
                    directions[1].recurrent_activation = b_rec
                merge = rec.merge or "concat"
            layers.append(RecurrentLayer(
                cell=rec.cell, units=_units(fcfg, where), input_size=int(directions[0].Wx.shape[1]),
                directions=directions, activation=act, recurrent_activation=rec_act,
                reset_after=reset_after if rec.cell == "gru" else True, merge=merge))
        return layers, reversed_in, rec

    def _zero_output_layers(self, run: _Run) -> list[int]:
        """Layers whose sequence output Keras zeros on masked steps: zero_output_for_mask, which
        Bidirectional forces to return_sequences."""
        out = []
        for k, idx in enumerate(run.indices):
            rec = _as_recurrent(self.chain[idx])
            if rec.return_sequences and (rec.bidirectional or rec.forward.get("zero_output_for_mask")):
                out.append(k)
        return out

    def _input_stage(self, run: _Run, features: int) -> InputStage:
        before = [s for s in self.chain[:run.indices[0]] if _kind(s) != "pass"]
        if before and _kind(before[-1]) == "embedding" and len(before) == 1:
            spec = before[-1]
            arrays = self.weights(spec)
            if len(arrays) != 1 or arrays[0].ndim != 2:
                raise FormatError(f"{self.where}: Embedding layer {spec.name!r} has no (vocabulary, dim) matrix "
                                  "in the file; the file is damaged")
            return InputStage(kind="embedding", features=int(arrays[0].shape[1]), embedding=arrays[0],
                              mask_zero=bool(spec.config.get("mask_zero")))
        if before and _kind(before[-1]) == "masking":
            # Keras skips the steps whose features all equal mask_value (state carried over)
            value = before[-1].config.get("mask_value", 0.0)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
                raise FormatError(f"{self.where}: Masking layer {before[-1].name!r} has mask_value {value!r}; "
                                  "gateviz traces masks of one finite number (a step is skipped when all its "
                                  "features equal it)")
            return InputStage(kind="raw", features=features, mask_value=float(value))
        masks = [s for s in before if _kind(s) == "masking" or s.config.get("mask_zero")]
        if masks:  # the mask reaches the recurrent layers through layers we do not trace: refuse, never differ
            raise FormatError(f"{self.where}: the mask of {_describe(masks[0])} reaches the recurrent layers through "
                              f"{_describe(before[-1])}, which gateviz cannot follow; open a model whose Masking or "
                              "Embedding(mask_zero=True) sits right before the recurrent layers")
        if before:
            self.notes.append(f"recurrent layers traced on the outputs of {before[-1].name}")
        return InputStage(kind="raw", features=features)

    def _head(self, run: _Run, last: _Recurrent, last_layer: RecurrentLayer, reversed_out: bool) -> Head | None:
        after = [s for s in self.chain[run.indices[-1] + 1:] if _kind(s) != "pass"]
        if not after:
            if reversed_out:
                self.notes.append(f"Keras returns {last.spec.name}'s outputs in reverse order (go_backwards); "
                                  "shown aligned with the input")
            return None
        spec = after[0]
        if _kind(spec) != "dense":
            self.notes.append(f"the model continues with {_describe(spec)}, not traced")
            return None
        dense_cfg = spec.config if spec.class_name == "Dense" else _nested(spec.config, "layer", spec.where)[1]
        arrays = self.weights(spec)
        if not arrays or arrays[0].ndim != 2:
            raise FormatError(f"{self.where}: Dense layer {spec.name!r} has no kernel in the file; the file is damaged")
        kernel = arrays[0]  # (in, out)
        bias = arrays[1] if len(arrays) > 1 and dense_cfg.get("use_bias", True) else None
        act_value = dense_cfg.get("activation")
        if isinstance(act_value, dict):
            act_value = act_value.get("config") if isinstance(act_value.get("config"), str) else act_value.get("class_name")
        activation = HEAD_ACTIVATIONS.get(act_value) if act_value is None or isinstance(act_value, str) else None
        rest = after[1:]
        if activation is not None and rest and _kind(rest[0]) == "activation" and activation == "identity":
            extra = "softmax" if rest[0].class_name == "Softmax" else rest[0].config.get("activation")
            if isinstance(extra, str) and extra in HEAD_ACTIVATIONS:
                activation = HEAD_ACTIVATIONS[extra]
                rest = rest[1:]
        if activation is None:
            self.notes.append(f"{spec.name} has activation {act_value!r}, not shown as the head")
            return None
        if kernel.shape[0] != last_layer.output_size:
            self.notes.append(f"{spec.name} reads {kernel.shape[0]} features, not the last layer's "
                              f"{last_layer.output_size}; not shown as the head")
            return None
        if rest:
            self.notes.append(f"head = {spec.name}; later layers not traced: {', '.join(s.name for s in rest)}")
        if reversed_out and last.return_sequences:
            self.notes.append(f"Keras returns {last.spec.name}'s outputs in reverse order (go_backwards); "
                              "shown aligned with the input")
        return Head(weight=np.ascontiguousarray(kernel.T), bias=None if bias is None else bias.reshape(-1),
                    activation=activation, on="every_step" if last.return_sequences else "final_state")


def _open(path: str | os.PathLike) -> KerasFile:
    if not os.path.exists(path):
        raise FormatError(f"no such file: {path}")
    return open_keras_file(path)


def _with_file(path, fn):
    with _open(path) as kf:
        return fn(kf)


def _guard(path, fn):
    """Run fn; configs or weights shaped in ways we did not foresee become a FormatError, not a traceback."""
    try:
        return fn()
    except (GatevizError, FileNotFoundError, PermissionError, IsADirectoryError):
        raise
    except (OSError, RuntimeError) as e:  # HDF5 (through h5py) on a damaged file; RecursionError is caught below
        if isinstance(e, RecursionError):
            raise FormatError(f"{path}: this Keras file's model config nests too deeply to follow; the file is "
                              "damaged: save the model again with model.save('model.keras')") from None
        raise FormatError(f"{path}: the HDF5 data in this Keras file is damaged ({e}); save the model again with "
                          "model.save('model.keras')") from None
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as e:
        raise FormatError(f"{path}: gateviz cannot follow this Keras file's model config ({type(e).__name__}: {e}); "
                          "save the model again with Keras 3 model.save('model.keras')") from None


def read_keras(path: str | os.PathLike, module: str | None = None) -> RecurrentModel:
    """A Keras ``.h5`` or ``.keras`` file -> a validated RecurrentModel (framework "keras")."""
    return _guard(path, lambda: _with_file(path, lambda kf: _Builder(kf).build(module)))


def describe_keras_modules(path: str | os.PathLike) -> list[str]:
    """One line per group of recurrent layers: its --module name, cells and sizes, layer names."""
    return _guard(path, lambda: _with_file(path, lambda kf: _Builder(kf).module_lines()))


def list_keras_modules(path: str | os.PathLike) -> list[str]:
    """Names that ``module=`` accepts: the first layer of each group of recurrent layers."""
    return _guard(path, lambda: _with_file(path, lambda kf: _Builder(kf).module_names()))
