"""Statlog Landsat MSS data (mlbench): 3×3 patches × 4 MSS bands (green, red, NIR, NIR), 6 classes.
Split per the contract: first 4,435 rows train, last 2,000 test. Preprocessing is exactly the SDK's
multispectral path with `stretch: 'none'`: DN 0..255, nearest-neighbour upsampling by an integer
factor, (v − mean_c) / std_c with the SDK's multispectral constants."""
import os

import numpy as np
import torch

DATA_REL = os.path.join('labels', 'mlbench_statlog_landsat', 'statlog_satellite.npz')
MEAN = np.array([0.485, 0.456, 0.406, 0.406], dtype=np.float32) * 255
STD = np.array([0.229, 0.224, 0.225, 0.225], dtype=np.float32) * 255
N_TRAIN = 4435


def shared_data_dir():
    """../shared/data relative to the repository root (this file is training/ringmoe_torch/statlog.py)."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.environ.get('RINGMOE_SHARED_DATA', os.path.join(root, '..', 'shared', 'data'))


def load_statlog(data_dir=None):
    """Returns (X uint8 [N,3,3,4], y int64 [N], class names)."""
    path = os.path.join(data_dir or shared_data_dir(), DATA_REL)
    if not os.path.exists(path):
        raise FileNotFoundError(f'E_DATA_MISSING: Statlog data not found at {path} (set RINGMOE_SHARED_DATA)')
    d = np.load(path, allow_pickle=False)
    return d['X'], d['y'].astype(np.int64), [str(c) for c in d['classes']]


def band_stats(patches):
    """Per-band mean and standard deviation of DN over every pixel of `patches` [N, h, w, 4]."""
    x = np.asarray(patches, dtype=np.float64).reshape(-1, patches.shape[-1])
    return x.mean(0).astype(np.float32), x.std(0).astype(np.float32)


def preprocess(patches, input_size, mean=MEAN, std=STD):
    """uint8/float DN [N, h, w, 4] → float32 [N, 4, input_size, input_size], NN-upsampled and normalised
    with (v − mean_c) / std_c (default: the SDK's multispectral constants)."""
    x = np.asarray(patches, dtype=np.float32)
    n, h, w, c = x.shape
    k = input_size // h
    if k * h != input_size or k * w != input_size:
        raise ValueError(f'input size {input_size} is not an integer multiple of the {h}x{w} patch')
    x = np.clip(x, 0, 255)
    x = x.repeat(k, axis=1).repeat(k, axis=2)
    x = (x - mean) / std
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


def augment(patches, rng):
    """Random flips and 90° rotations of each 3×3 patch (the labels are rotation-invariant)."""
    return augment_indexed(patches, rng)[0]


def dihedral(patches, variant):
    """Variant v of the 8 dihedral transforms: rotate by 90°·(v // 2), then flip columns when v is odd
    (the order `augment` applies them in)."""
    out = np.rot90(patches, variant // 2, axes=(1, 2))
    return np.ascontiguousarray(out[:, :, ::-1] if variant % 2 else out)


def augment_indexed(patches, rng):
    """`augment`, also returning each patch's dihedral variant (0–7, as `dihedral`)."""
    out = patches.copy()
    k = rng.integers(0, 4, size=len(out))
    flip = rng.integers(0, 2, size=len(out)).astype(bool)
    for r in range(4):
        sel = k == r
        if sel.any():
            out[sel] = np.rot90(out[sel], r, axes=(1, 2))
    out[flip] = out[flip][:, :, ::-1]
    return out, k * 2 + flip.astype(np.int64)
