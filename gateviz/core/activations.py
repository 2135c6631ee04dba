"""Activation functions by name, as the frameworks define them.

``hard_sigmoid`` is two functions (gate-conventions.md §2): Keras 2 / tf.keras use
``clip(0.2x + 0.5, 0, 1)``, Keras 3 uses ``clip(x/6 + 0.5, 0, 1)``. We always store
the slope and offset explicitly so a model file never depends on a version guess.
ONNX activations carry their own alpha/beta (onnx Operators.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# name -> (default alpha, default beta); None where the function takes no parameter
_DEFAULTS: dict[str, tuple[float | None, float | None]] = {
    "sigmoid": (None, None),
    "tanh": (None, None),
    "relu": (None, None),
    "linear": (None, None),  # identity (Keras "linear", ONNX "Affine" with 1, 0)
    "hard_sigmoid": (0.2, 0.5),  # clip(alpha*x + beta, 0, 1)
    "affine": (1.0, 0.0),  # alpha*x + beta
    "leaky_relu": (0.01, None),
    "thresholded_relu": (1.0, None),
    "scaled_tanh": (1.0, 1.0),  # alpha*tanh(beta*x)
    "elu": (1.0, None),
    "softsign": (None, None),
    "softplus": (None, None),
}
ALIASES = {
    "hard_sigmoid_keras2": ("hard_sigmoid", 0.2, 0.5),
    "hard_sigmoid_keras3": ("hard_sigmoid", 1.0 / 6.0, 0.5),
    "identity": ("linear", None, None),
    "none": ("linear", None, None),
}
# Output range of each function, for choosing fixed colour levels in the panels.
BOUNDED_01 = {"sigmoid", "hard_sigmoid"}
BOUNDED_11 = {"tanh", "softsign"}


@dataclass(frozen=True)
class Activation:
    name: str
    alpha: float | None = None
    beta: float | None = None

    def __post_init__(self) -> None:
        name = self.name.lower()
        if name in ALIASES:
            base, a, b = ALIASES[name]
            object.__setattr__(self, "name", base)
            if self.alpha is None:
                object.__setattr__(self, "alpha", a)
            if self.beta is None:
                object.__setattr__(self, "beta", b)
            name = base
        if name not in _DEFAULTS:
            known = ", ".join(sorted(_DEFAULTS))
            raise ValueError(f"unsupported activation {self.name!r}; gateviz knows {known}")
        object.__setattr__(self, "name", name)
        da, db = _DEFAULTS[name]
        if self.alpha is None and da is not None:
            object.__setattr__(self, "alpha", da)
        if self.beta is None and db is not None:
            object.__setattr__(self, "beta", db)

    # ---- what panels need ---------------------------------------------------
    @property
    def value_range(self) -> tuple[float, float] | None:
        if self.name in BOUNDED_01:
            return (0.0, 1.0)
        if self.name in BOUNDED_11:
            return (-1.0, 1.0)
        if self.name == "scaled_tanh":
            return (-abs(self.alpha), abs(self.alpha))
        return None

    def label(self) -> str:
        if self.name == "hard_sigmoid":
            if abs(self.alpha - 0.2) < 1e-12 and self.beta == 0.5:
                return "hard_sigmoid (0.2x+0.5)"
            if abs(self.alpha - 1 / 6) < 1e-12 and self.beta == 0.5:
                return "hard_sigmoid (x/6+0.5)"
        if self.alpha is not None or self.beta is not None:
            params = ", ".join(f"{k}={v:g}" for k, v in (("alpha", self.alpha), ("beta", self.beta)) if v is not None)
            return f"{self.name}({params})"
        return self.name

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "alpha": self.alpha, "beta": self.beta}

    @classmethod
    def from_dict(cls, d: dict[str, Any] | str) -> "Activation":
        if isinstance(d, str):
            return cls(d)
        return cls(d["name"], d.get("alpha"), d.get("beta"))

    # ---- evaluation -----------------------------------------------------------
    def torch(self, x):
        """Apply to a torch tensor (returns a new tensor)."""
        import torch

        n, a, b = self.name, self.alpha, self.beta
        if n == "sigmoid":
            return torch.sigmoid(x)
        if n == "tanh":
            return torch.tanh(x)
        if n == "relu":
            return torch.relu(x)
        if n == "linear":
            return x.clone()
        if n == "hard_sigmoid":
            return torch.clamp(x * a + b, 0.0, 1.0)
        if n == "affine":
            return x * a + b
        if n == "leaky_relu":
            return torch.nn.functional.leaky_relu(x, a)
        if n == "thresholded_relu":
            return torch.where(x > a, x, torch.zeros_like(x))
        if n == "scaled_tanh":
            return a * torch.tanh(b * x)
        if n == "elu":
            return torch.nn.functional.elu(x, a)
        if n == "softsign":
            return x / (1 + x.abs())
        if n == "softplus":
            return torch.nn.functional.softplus(x)
        raise AssertionError(n)

    def numpy(self, x):
        """Apply to a numpy array (float64 reference path and tests)."""
        import numpy as np

        n, a, b = self.name, self.alpha, self.beta
        if n == "sigmoid":
            return 1.0 / (1.0 + np.exp(-x))
        if n == "tanh":
            return np.tanh(x)
        if n == "relu":
            return np.maximum(x, 0)
        if n == "linear":
            return np.array(x, copy=True)
        if n == "hard_sigmoid":
            return np.clip(x * a + b, 0.0, 1.0)
        if n == "affine":
            return x * a + b
        if n == "leaky_relu":
            return np.where(x >= 0, x, a * x)
        if n == "thresholded_relu":
            return np.where(x > a, x, 0)
        if n == "scaled_tanh":
            return a * np.tanh(b * x)
        if n == "elu":
            return np.where(x > 0, x, a * (np.exp(x) - 1))
        if n == "softsign":
            return x / (1 + np.abs(x))
        if n == "softplus":
            return np.log1p(np.exp(x))
        raise AssertionError(n)

    @property
    def is_torch_native_gate(self) -> bool:
        return self.name == "sigmoid"
