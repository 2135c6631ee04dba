"""A user's sequence checked and turned into the engine's features (and, for a Keras-masked model,
which steps are masked). ``engine.encode_sequence`` is this module's, re-exported."""

from __future__ import annotations

import numpy as np

from .errors import SequenceError
from .model import RecurrentModel
from .texts import QT_TRANSLATE_NOOP

# what is wrong with a user's input, as Messages (gateviz.core.texts): the app shows them translated
_NOT_TEXT = QT_TRANSLATE_NOOP("CoreErrors", "this model reads {n} numeric feature(s) per step, not text; give a .npy "
                                            "or .csv sequence")
_EMPTY_TEXT = QT_TRANSLATE_NOOP("CoreErrors", "the text is empty; type at least one character")
_NO_TOKENS = QT_TRANSLATE_NOOP("CoreErrors", "the sequence is empty; give at least one token")
_BAD_TOKENS = QT_TRANSLATE_NOOP("CoreErrors", "this text model takes a string or integer token ids of shape (T,) or "
                                              "(N, T); got {dtype} array of shape {shape}")
_TOKEN_RANGE = QT_TRANSLATE_NOOP("CoreErrors", "token ids must lie in 0..{last} (the vocabulary size is {size}); "
                                               "found {lo}..{hi}")
_NOT_NUMERIC = QT_TRANSLATE_NOOP("CoreErrors", "the sequence is not numeric; give numbers of shape (T, features)")
_ONE_D = QT_TRANSLATE_NOOP("CoreErrors", "the model expects {n} features per step but the sequence is 1-D (one "
                                         "value per step); give an array of shape (T, {n})")
_BAD_SHAPE = QT_TRANSLATE_NOOP("CoreErrors", "a sequence has shape (T, features) or (N, T, features); got shape "
                                             "{shape}")
_NO_STEPS = QT_TRANSLATE_NOOP("CoreErrors", "the sequence is empty (0 steps); give at least one step")
_FEATURES = QT_TRANSLATE_NOOP("CoreErrors", "the model expects {n} feature(s) per step but the sequence has {got}; "
                                            "give an array of shape (T, {n})")
_NON_FINITE = QT_TRANSLATE_NOOP("CoreErrors", "the sequence contains {kind} at {where} ({count} non-finite "
                                              "value(s)); replace them with finite numbers")
_AT_STEP = QT_TRANSLATE_NOOP("CoreErrors", "step {t}, feature {f}")
_AT_STEP_OF = QT_TRANSLATE_NOOP("CoreErrors", "step {t}, feature {f}, sequence {n}")


def encode_sequence(model: RecurrentModel, sequence) -> tuple[np.ndarray, np.ndarray | None, bool]:
    """Check a user's sequence and turn it into features.

    Returns (features (N, T, F), tokens (N, T) or None, batched).
    Accepts: a str (text models), token ids (T,) / (N, T) for text models,
    numeric (T,), (T, F) or (N, T, F) for raw-feature models.
    """
    stage = model.input
    tokens = None
    if isinstance(sequence, str):
        if not stage.takes_tokens:
            raise SequenceError(_NOT_TEXT.format(n=stage.features))
        if len(sequence) == 0:
            raise SequenceError(_EMPTY_TEXT)
        tokens = stage.encode_text(sequence)[None, :]
        batched = False
    elif stage.takes_tokens:
        arr = np.asarray(sequence)
        if arr.size == 0:
            raise SequenceError(_NO_TOKENS)
        if arr.ndim not in (1, 2) or not np.issubdtype(arr.dtype, np.integer):
            raise SequenceError(_BAD_TOKENS.format(dtype=str(arr.dtype), shape=str(arr.shape)))
        batched = arr.ndim == 2
        tokens = arr.reshape(-1, arr.shape[-1]).astype(np.int64)
        vocab = stage.embedding.shape[0] if stage.kind == "embedding" else len(stage.vocab)
        if tokens.min() < 0 or tokens.max() >= vocab:
            raise SequenceError(_TOKEN_RANGE.format(last=vocab - 1, size=vocab, lo=int(tokens.min()),
                                                    hi=int(tokens.max())))
    else:
        try:
            arr = np.asarray(sequence, dtype=np.float64)
        except (TypeError, ValueError):
            raise SequenceError(_NOT_NUMERIC) from None
        F = stage.features
        if arr.ndim == 1:
            if F != 1:
                raise SequenceError(_ONE_D.format(n=F))
            arr = arr[:, None]
        if arr.ndim not in (2, 3):
            raise SequenceError(_BAD_SHAPE.format(shape=str(arr.shape)))
        batched = arr.ndim == 3
        arr = arr.reshape((int(np.prod(arr.shape[:-2])),) + arr.shape[-2:])  # (N, T, F), also when empty
        if arr.shape[0] == 0 or arr.shape[1] == 0:
            raise SequenceError(_NO_STEPS)
        if arr.shape[2] != F:
            raise SequenceError(_FEATURES.format(n=F, got=arr.shape[2]))
        bad = ~np.isfinite(arr)
        if bad.any():
            n, t, f = (int(v) for v in np.argwhere(bad)[0])
            kind = "NaN" if np.isnan(arr[n, t, f]) else "Inf"
            where = _AT_STEP_OF.format(t=t, f=f, n=n) if batched else _AT_STEP.format(t=t, f=f)
            raise SequenceError(_NON_FINITE.format(kind=kind, where=where, count=int(bad.sum())))
        return arr, None, batched

    if stage.kind == "embedding":
        feats = stage.embedding[tokens]  # (N, T, E)
    else:
        feats = np.eye(len(stage.vocab), dtype=np.float32)[tokens]  # (N, T, V)
    return feats, tokens, batched
