"""What surrounds a recurrent module in a PyTorch state_dict: an nn.Embedding before, an nn.Linear after.

A state_dict keeps the order in which the modules were registered, which is almost always
the order data flows through them (``self.emb``, ``self.rnn``, ``self.fc``). So:

- the embedding is a bias-less 2-D ``<name>.weight`` of shape (vocabulary, input_size), a name
  like ``emb``/``embedding``/``encoder`` first, then one listed before the recurrent module;
- the head is a 2-D ``<name>.weight`` of shape (out, last layer's output size), with its
  ``<name>.bias`` if there is one, listed after it first (the nearest wins), then one with a
  name like ``fc``/``head``/``out``/``decoder``. Order helps only for torch.save files:
  safetensors lists tensors sorted by name. It reads every step:
  a state_dict cannot say whether forward() used only the last step, nor which activation
  (softmax...) it applied, so the head is linear.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..core.model import Head, InputStage
from .torch_state import _KEY, RecurrentModuleInfo, _np

EMBEDDING_HINTS = ("emb", "encoder", "tok", "lookup")
HEAD_HINTS = ("fc", "head", "out", "decoder", "classifier", "linear", "proj", "dense", "logit")


def _weights(state: Mapping[str, object], info: RecurrentModuleInfo) -> list[tuple[str, object, int]]:
    """(module name, weight, side) for every 2-D ``*.weight`` outside the recurrent module; side is
    -1 listed before it, +1 after (safetensors files list tensors sorted by name, so order only helps)."""
    keys = list(state)
    own = [i for i, k in enumerate(keys) if k.startswith(info.prefix) and "." not in k[len(info.prefix):]
           and _KEY.match(k[len(info.prefix):])]
    if not own:
        return []
    first, last = min(own), max(own)
    out = []
    for i, key in enumerate(keys):
        if not key.endswith(".weight") or (first <= i <= last) or len(getattr(state[key], "shape", ())) != 2:
            continue
        out.append((key[:-len(".weight")], state[key], -1 if i < first else 1))
    return out


def _hinted(name: str, hints: tuple[str, ...]) -> bool:
    last = name.lower().rsplit(".", 1)[-1]
    return any(h in last for h in hints)


def find_embedding(state: Mapping[str, object], info: RecurrentModuleInfo) -> tuple[str, InputStage] | None:
    """(module name, embedding input stage) when an nn.Embedding feeds the recurrent module."""
    candidates = [(name, w, side) for name, w, side in _weights(state, info)
                  if f"{name}.bias" not in state and tuple(w.shape)[1] == info.input_size]
    if not candidates:
        return None
    # a telling name first, then one listed before the recurrent module
    name, weight, _ = max(candidates, key=lambda c: (_hinted(c[0], EMBEDDING_HINTS), c[2] < 0))
    table = _np(weight, f"{name}.weight")
    return name, InputStage(kind="embedding", features=int(table.shape[1]), embedding=table)


def find_head(state: Mapping[str, object], info: RecurrentModuleInfo, in_features: int,
              exclude: str | None = None) -> tuple[str, Head] | None:
    """(module name, head) for an nn.Linear that reads the recurrent module's output."""
    candidates = []
    for name, weight, side in _weights(state, info):
        bias = state.get(f"{name}.bias")
        if name == exclude or tuple(weight.shape)[1] != in_features:
            continue
        if bias is not None and tuple(bias.shape) != (tuple(weight.shape)[0],):
            continue
        candidates.append((name, weight, bias, side))
    if not candidates:
        return None
    # listed after the recurrent module first, then a telling name; stable, so the nearest after wins
    name, weight, bias, _ = max(candidates, key=lambda c: (c[3] > 0, _hinted(c[0], HEAD_HINTS)))
    return name, Head(weight=_np(weight, f"{name}.weight"), bias=None if bias is None else _np(bias, f"{name}.bias"),
                      on="every_step")
