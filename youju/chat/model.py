"""The fitted answer model: which sentence answers (a conditional logit over the candidates'
features), whether the passages answer at all (a logistic model over the question's features,
with the probability threshold chosen on the fit split), and whether the answer needs the best
sentence's neighbour too (a logistic model over the pair, its threshold chosen likewise). All
three are small models over standardised features (linear, or with one small hidden layer),
stored as readable JSON (`answer_model.json`, tens of kilobytes) and written by
scripts/fit_answer_model.py, which also records how they were fitted and what they scored on
data the fit did not see."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from youju.chat.features import CANDIDATE_FEATURES, EXTEND_FEATURES, QUESTION_FEATURES
from youju.errors import ModelError

MODEL_FILE = "answer_model.json"


@dataclass(frozen=True)
class Linear:
    """score = ((x - mean) / scale) . weights + bias, over the named features."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float = 0.0

    def score(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.weights + self.bias

    def to_dict(self) -> dict[str, Any]:
        return {"features": list(self.features), "mean": _round(self.mean), "scale": _round(self.scale),
                "weights": _round(self.weights), "bias": round(float(self.bias), 6)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Linear:
        return cls(tuple(d["features"]), np.array(d["mean"]), np.array(d["scale"]), np.array(d["weights"]),
                   float(d.get("bias", 0.0)))

    @classmethod
    def neutral(cls, features: list[str], weights: dict[str, float], bias: float = 0.0) -> Linear:
        """Hand-set weights on raw features (no standardisation): for tests and as a fallback."""
        n = len(features)
        return cls(tuple(features), np.zeros(n), np.ones(n), np.array([weights.get(f, 0.0) for f in features]), bias)


@dataclass(frozen=True)
class Mlp:
    """score = linear part + w2 . tanh(W1 z + b1), z the standardised features: a linear model
    with a small hidden layer for what does not add up (a date matters only when one is asked)."""

    linear: Linear
    hidden_weights: np.ndarray  # hidden x features
    hidden_bias: np.ndarray
    out_weights: np.ndarray  # hidden

    @property
    def features(self) -> tuple[str, ...]:
        return self.linear.features

    def score(self, x: np.ndarray) -> np.ndarray:
        z = (x - self.linear.mean) / self.linear.scale
        return z @ self.linear.weights + self.linear.bias + np.tanh(z @ self.hidden_weights.T + self.hidden_bias) \
            @ self.out_weights

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "mlp", **self.linear.to_dict(), "hidden_weights": [_round(r) for r in self.hidden_weights],
                "hidden_bias": _round(self.hidden_bias), "out_weights": _round(self.out_weights)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Mlp:
        return cls(Linear.from_dict(d), np.array(d["hidden_weights"]), np.array(d["hidden_bias"]),
                   np.array(d["out_weights"]))


Scorer = Linear | Mlp


def scorer(d: dict[str, Any]) -> Scorer:
    return Mlp.from_dict(d) if d.get("kind") == "mlp" else Linear.from_dict(d)


@dataclass(frozen=True)
class AnswerModel:
    selector: Scorer  # candidate sentence -> score; softmax over a question's candidates
    answerable: Scorer  # question -> logit of "the passages answer it"
    threshold: float  # answer when P(answerable) >= threshold (chosen on the fit split)
    about: dict[str, Any] = field(default_factory=dict)  # how it was fitted, on what, with what result
    extend: Scorer | None = None  # (best, neighbour) pair -> logit of "the answer needs the neighbour too"
    extend_threshold: float = 1.0  # add the neighbour when P >= this (chosen on the fit split)

    def __post_init__(self) -> None:
        if list(self.selector.features) != CANDIDATE_FEATURES or list(self.answerable.features) != QUESTION_FEATURES \
                or (self.extend is not None and list(self.extend.features) != EXTEND_FEATURES):
            raise ValueError("the answer model was fitted on other features; run scripts/fit_answer_model.py")

    def select(self, matrix: np.ndarray) -> np.ndarray:
        """A score per candidate (higher: more likely the answering sentence)."""
        return self.selector.score(matrix) if len(matrix) else np.zeros(0)

    def p_answerable(self, question_row: np.ndarray) -> float:
        return float(1 / (1 + np.exp(-self.answerable.score(question_row))))

    def p_extend(self, pair_row: np.ndarray) -> float:
        """P(the answer needs this neighbour of the best sentence too); 0 without that part."""
        return float(1 / (1 + np.exp(-self.extend.score(pair_row)))) if self.extend is not None else 0.0

    def to_dict(self) -> dict[str, Any]:
        out = {"format": 1, "selector": self.selector.to_dict(), "answerable": self.answerable.to_dict(),
               "threshold": round(self.threshold, 6)}
        if self.extend is not None:
            out |= {"extend": self.extend.to_dict(), "extend_threshold": round(self.extend_threshold, 6)}
        return out | {"about": self.about}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AnswerModel:
        return cls(scorer(d["selector"]), scorer(d["answerable"]), float(d["threshold"]), dict(d.get("about", {})),
                   scorer(d["extend"]) if "extend" in d else None, float(d.get("extend_threshold", 1.0)))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


@lru_cache(maxsize=4)
def load_model(path: str | None = None) -> AnswerModel:
    """The fitted model shipped with youju (or the one at `path`, e.g. YOUJU_ANSWER_MODEL)."""
    try:
        text = Path(path).read_text(encoding="utf-8") if path else \
            resources.files("youju.chat").joinpath(MODEL_FILE).read_text(encoding="utf-8")
        return AnswerModel.from_dict(json.loads(text))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError("err.answer_model", path=path or MODEL_FILE, detail=str(exc)[:200]) from exc


def _round(a: np.ndarray) -> list[float]:
    return [round(float(x), 6) for x in a]
