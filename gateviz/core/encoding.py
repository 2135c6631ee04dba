"""A user's sequence checked and turned into the engine's features (and, for a Keras-masked model,
which steps are masked). ``engine.encode_sequence`` is this module's, re-exported."""

from __future__ import annotations

import numpy as np

from .errors import SequenceError
from .model import RecurrentModel


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
            raise SequenceError(f"this model reads {stage.features} numeric feature(s) per step, not text; "
                                "give a .npy or .csv sequence")
        if len(sequence) == 0:
            raise SequenceError("the text is empty; type at least one character")
        tokens = stage.encode_text(sequence)[None, :]
        batched = False
    elif stage.takes_tokens:
        arr = np.asarray(sequence)
        if arr.size == 0:
            raise SequenceError("the sequence is empty; give at least one token")
        if arr.ndim not in (1, 2) or not np.issubdtype(arr.dtype, np.integer):
            raise SequenceError(f"this text model takes a string or integer token ids of shape (T,) or (N, T); "
                                f"got {arr.dtype} array of shape {arr.shape}")
        batched = arr.ndim == 2
        tokens = arr.reshape(-1, arr.shape[-1]).astype(np.int64)
        vocab = stage.embedding.shape[0] if stage.kind == "embedding" else len(stage.vocab)
        if tokens.min() < 0 or tokens.max() >= vocab:
            raise SequenceError(f"token ids must lie in 0..{vocab - 1} (the vocabulary size is {vocab}); "
                                f"found {int(tokens.min())}..{int(tokens.max())}")
    else:
        try:
            arr = np.asarray(sequence, dtype=np.float64)
        except (TypeError, ValueError):
            raise SequenceError("the sequence is not numeric; give numbers of shape (T, features)") from None
        F = stage.features
        if arr.ndim == 1:
            if F != 1:
                raise SequenceError(f"the model expects {F} features per step but the sequence is 1-D "
                                    f"(one value per step); give an array of shape (T, {F})")
            arr = arr[:, None]
        if arr.ndim not in (2, 3):
            raise SequenceError(f"a sequence has shape (T, features) or (N, T, features); got shape {arr.shape}")
        batched = arr.ndim == 3
        arr = arr.reshape((int(np.prod(arr.shape[:-2])),) + arr.shape[-2:])  # (N, T, F), also when empty
        if arr.shape[0] == 0 or arr.shape[1] == 0:
            raise SequenceError("the sequence is empty (0 steps); give at least one step")
        if arr.shape[2] != F:
            raise SequenceError(f"the model expects {F} feature(s) per step but the sequence has {arr.shape[2]}; "
                                f"give an array of shape (T, {F})")
        bad = ~np.isfinite(arr)
        if bad.any():
            n, t, f = (int(v) for v in np.argwhere(bad)[0])
            kind = "NaN" if np.isnan(arr[n, t, f]) else "Inf"
            where = f"step {t}, feature {f}" + (f", sequence {n}" if batched else "")
            raise SequenceError(f"the sequence contains {kind} at {where} ({int(bad.sum())} non-finite value(s)); "
                                "replace them with finite numbers")
        return arr, None, batched

    if stage.kind == "embedding":
        feats = stage.embedding[tokens]  # (N, T, E)
    else:
        feats = np.eye(len(stage.vocab), dtype=np.float32)[tokens]  # (N, T, V)
    return feats, tokens, batched
