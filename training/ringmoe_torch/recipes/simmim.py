"""Recipe `simmim`: SimMIM masked-image pre-training of the multi-modal RingMoE trunk.

python3 -m ringmoe_torch.recipes.simmim [--smoke] [--out DIR] [--steps N]   (from training/)

Data (real tiles from ../shared/data, random crops with flips):
- optical: the aerial photos (opencv aero1/aero3 RGB, pywt 512×512 gray replicated to RGB) and the
  Blue Marble mosaic; 8-bit, ImageNet mean/std (the SDK's optical constants).
- multispectral: Landsat-5 TM bands 1-4 (B, G, R, NIR) of both Ethiopia dates; 8-bit DN with the
  SDK's multispectral mean/std and no stretch.
- sar-l1: GENERATED quad-pol frames (no raw SAR exists in the reachable data): the product model of
  sdk/sensors/synthetic/sar-quadpol.ts (sea/land/urban covariances, K-distributed texture), 8 channels
  re/im of HH, HV, VH, VV with the SDK's span-clip scaling. As in RingMoE's pre-training, the SAR-L1
  target is the total power P (clipped to 1, min-max normalised per tile), not the complex channels.
Masking: random 60 % of 2×patch squares; the masked embedded tokens are replaced by a learned
`mask_token`; a per-modality linear decoder (`decoder{m}`) on the last stage's normed tokens
predicts stride² × channels pixels (pixel shuffle); L1 loss on masked pixels only (+ the Switch
load-balancing loss). The checkpoint holds `encoder.*` under the released names plus `mask_token` and
`decoder*`, which the converter ignores.
"""
import argparse
import glob
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..config import ModelConfig, RELEASED_MODALITY_INDEX
from ..model import Encoder, switch_aux_loss
from ..statlog import shared_data_dir
from ..train_utils import Timer, cosine_lr, dump_json, save_checkpoints, seed_all, single_thread

OPT_MEAN = np.array([0.485, 0.456, 0.406], np.float32) * 255
OPT_STD = np.array([0.229, 0.224, 0.225], np.float32) * 255
MS_MEAN = np.array([0.485, 0.456, 0.406, 0.406], np.float32) * 255
MS_STD = np.array([0.229, 0.224, 0.225, 0.225], np.float32) * 255
TARGET_CHANNELS = {'optical': 3, 'multispectral': 4, 'sar-l1': 1}


def load_optical(root):
    from PIL import Image
    files = ['pan_aerial/opencv_aero/aero1.jpg', 'pan_aerial/opencv_aero/aero3.jpg', 'pan_aerial/pywt_aero/aero_512x512_gray.png',
             'global_rgb/marble/bluemarble_2700x1350.jpg']
    out = []
    for f in files:
        p = os.path.join(root, f)
        if os.path.exists(p):
            out.append(np.asarray(Image.open(p).convert('RGB'), dtype=np.float32))
    return out


def load_multispectral(root):
    from PIL import Image
    out = []
    for d in sorted(glob.glob(os.path.join(root, 'multispectral', 'satellite_landsat5_ethiopia_*', 'bands'))):
        files = {b: [f for f in sorted(os.listdir(d)) if f.upper().endswith(f'_B{b}.TIF')] for b in (1, 2, 3, 4)}
        if not all(files.values()):
            continue
        bands = [np.asarray(Image.open(os.path.join(d, files[b][0])), dtype=np.float32) for b in (1, 2, 3, 4)]
        out.append(np.stack(bands, -1))
    return out


DB = lambda x: 10 ** (x / 10)
# (hh, vv, hv, rho, phase, nu) per class, as sdk/sensors/synthetic/sar-quadpol.ts: sea, land, urban.
SAR_CLASSES = [(DB(-19), DB(-15), DB(-32), 0.8, 0.0, 8.0), (DB(-11), DB(-11.5), DB(-17), 0.35, 0.0, 4.0), (DB(-3), DB(-6), DB(-13), 0.5, math.pi, 1.5)]


def generate_quadpol(size, rng):
    """One GENERATED quad-pol frame [size, size, 8] (re/im of HH, HV, VH, VV) with a blobby class map."""
    coarse = rng.integers(0, 3, size=(size // 8 + 1, size // 8 + 1))
    cls = np.kron(coarse, np.ones((8, 8), dtype=int))[:size, :size]
    out = np.zeros((size, size, 8), np.float32)
    for c, (hh, vv, hv, rho, ph, nu) in enumerate(SAR_CLASSES):
        sel = cls == c
        n = int(sel.sum())
        if not n:
            continue
        cov = np.zeros((3, 3), complex)  # HH, HV, VV (HV = VH, reflection symmetric)
        cov[0, 0], cov[1, 1], cov[2, 2] = hh, hv, vv
        cov[0, 2] = rho * math.sqrt(hh * vv) * np.exp(1j * ph)
        cov[2, 0] = np.conj(cov[0, 2])
        L = np.linalg.cholesky(cov)
        z = (rng.standard_normal((n, 3)) + 1j * rng.standard_normal((n, 3))) / math.sqrt(2)
        tau = rng.gamma(nu, 1 / nu, size=(n, 1))
        k = np.sqrt(tau) * (z @ L.T)
        hh_, hv_, vv_ = k[:, 0], k[:, 1], k[:, 2]
        vals = np.stack([hh_.real, hh_.imag, hv_.real, hv_.imag, hv_.real, hv_.imag, vv_.real, vv_.imag], -1)
        out[sel] = vals.astype(np.float32)
    return out


def sar_l1_input(k):
    """span-clip scaling of [H, W, 8] and the power target P (clipped to 1, min-max per tile) [H, W, 1]."""
    span = (k ** 2).sum(-1, keepdims=True)
    scaled = np.where(span > 1, k / np.sqrt(np.maximum(span, 1e-30)), k)
    p = np.minimum(span, 1.0)
    p = (p - p.min()) / max(float(p.max() - p.min()), 1e-12)
    return scaled, p


def crop(img, size, rng):
    h, w = img.shape[:2]
    y, x = rng.integers(0, h - size + 1), rng.integers(0, w - size + 1)
    c = img[y:y + size, x:x + size]
    if rng.random() < 0.5:
        c = c[:, ::-1]
    if rng.random() < 0.5:
        c = c[::-1]
    return np.ascontiguousarray(c)


def batch_for(modality, sources, n, size, rng):
    """(input [n, C, size, size], target [n, T, size, size]) for one modality."""
    xs, ts = [], []
    for _ in range(n):
        if modality == 'sar-l1':
            k, p = sar_l1_input(generate_quadpol(size, rng))
            xs.append(k)
            ts.append(p)
        else:
            img = crop(sources[modality][rng.integers(len(sources[modality]))], size, rng)
            mean, std = (OPT_MEAN, OPT_STD) if modality == 'optical' else (MS_MEAN, MS_STD)
            v = (img - mean) / std
            xs.append(v)
            ts.append(v)
    f = lambda a: torch.from_numpy(np.stack(a).transpose(0, 3, 1, 2).astype(np.float32))
    return f(xs), f(ts)


class SimMIM(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        geo = self.encoder.geo
        self.stride = cfg.patch_size * 2 ** (len(geo) - 1)
        self.mask_token = nn.Parameter(torch.zeros(cfg.embed_dim))
        nn.init.trunc_normal_(self.mask_token, std=0.02)
        for m in cfg.modalities:
            setattr(self, f'decoder{RELEASED_MODALITY_INDEX[m]}', nn.Linear(geo[-1]['dim'], self.stride ** 2 * TARGET_CHANNELS[m]))
        for mod in self.modules():
            if isinstance(mod, nn.Linear):
                nn.init.trunc_normal_(mod.weight, std=0.02)
                if mod.bias is not None:
                    nn.init.zeros_(mod.bias)

    def forward(self, x, modality, mask):
        stats = []
        feats, _ = self.encoder(x, modality, stats, mask=mask, mask_token=self.mask_token)
        last = feats[-1]
        g = self.encoder.geo[-1]
        dec = getattr(self, f'decoder{RELEASED_MODALITY_INDEX[modality]}')(last)  # [N, L, s²·T]
        n = x.shape[0]
        y = dec.transpose(1, 2).reshape(n, -1, g['size'], g['size'])
        return F.pixel_shuffle(y, self.stride), stats


def random_mask(n, size, patch, mask_patch, ratio, rng):
    """Token mask [n, (size/patch)²] from random masked squares of mask_patch pixels, and its pixel version."""
    g = size // mask_patch
    k = mask_patch // patch
    m = np.zeros((n, g * g), np.float32)
    for i in range(n):
        m[i, rng.permutation(g * g)[:int(round(ratio * g * g))]] = 1
    m = m.reshape(n, g, g)
    tok = torch.from_numpy(m.repeat(k, 1).repeat(k, 2).reshape(n, -1))
    pix = torch.from_numpy(m.repeat(mask_patch, 1).repeat(mask_patch, 2))[:, None]
    return tok, pix


def parse(argv):
    p = argparse.ArgumentParser(prog='simmim', description=__doc__.splitlines()[0])
    p.add_argument('--smoke', action='store_true')
    p.add_argument('--out', default=None, help='output folder (default: runs/simmim; smoke: runs/simmim-smoke)')
    p.add_argument('--steps', type=int, default=1500)
    p.add_argument('--batch', type=int, default=16)
    p.add_argument('--input-size', type=int, default=48)
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--mask-ratio', type=float, default=0.6)
    p.add_argument('--aux-weight', type=float, default=0.001)
    p.add_argument('--seed', type=int, default=0)
    return p.parse_args(argv)


@torch.no_grad()
def held_out_loss(model, batches, cfg):
    model.eval()
    out = {}
    for m, (x, t, tok, pix) in batches.items():
        pred, _ = model(x, m, tok)
        out[m] = round(float(((pred - t).abs() * pix).sum() / (pix.sum() * t.shape[1])), 4)
    model.train()
    return out


def main(argv=None):
    args = parse(argv)
    single_thread()
    seed_all(args.seed)
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = args.out or os.path.join(here, 'runs', 'simmim-smoke' if args.smoke else 'simmim')
    root = shared_data_dir()
    sources = {'optical': load_optical(root), 'multispectral': load_multispectral(root)}
    if not sources['optical'] or not sources['multispectral']:
        raise FileNotFoundError(f'E_DATA_MISSING: optical/multispectral tiles not found under {root}')
    cfg = ModelConfig(name='ringmoe-simmim-tiny', input_size=args.input_size, modalities=['optical', 'sar-l1', 'multispectral'], labels=[])
    model = SimMIM(cfg)
    steps = 12 if args.smoke else args.steps
    params = sum(p.numel() for p in model.encoder.parameters())
    print(f'[simmim] {cfg.name}: encoder {params} parameters; optical tiles {len(sources["optical"])}, multispectral {len(sources["multispectral"])}, sar-l1 generated; steps {steps}', flush=True)
    rng = np.random.default_rng(args.seed)
    hold_rng = np.random.default_rng(args.seed + 1000)
    held = {}
    for m in cfg.modalities:
        x, t = batch_for(m, sources, 16, args.input_size, hold_rng)
        tok, pix = random_mask(16, args.input_size, cfg.patch_size, 2 * cfg.patch_size, args.mask_ratio, hold_rng)
        held[m] = (x, t, tok, pix)
    before = held_out_loss(model, held, cfg)
    print(f'[simmim] held-out masked L1 before: {before}', flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05)
    timer = Timer()
    history = []
    run = {m: 0.0 for m in cfg.modalities}
    for step in range(steps):
        m = cfg.modalities[step % len(cfg.modalities)]
        x, t = batch_for(m, sources, args.batch, args.input_size, rng)
        tok, pix = random_mask(args.batch, args.input_size, cfg.patch_size, 2 * cfg.patch_size, args.mask_ratio, rng)
        for g in opt.param_groups:
            g['lr'] = cosine_lr(step, steps, args.lr, max(1, steps // 20))
        pred, stats = model(x, m, tok)
        rec = ((pred - t).abs() * pix).sum() / (pix.sum() * t.shape[1])
        loss = rec + args.aux_weight * switch_aux_loss(stats)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        run[m] = 0.9 * run[m] + 0.1 * rec.item() if run[m] else rec.item()
        if (step + 1) % max(1, steps // 15) == 0 or step + 1 == steps:
            history.append(dict(step=step + 1, **{k: round(v, 4) for k, v in run.items()}, seconds=round(timer(), 1)))
            print(f'[simmim] step {step + 1}/{steps} masked L1 (running) {json.dumps({k: round(v, 4) for k, v in run.items()})} {timer():.0f}s', flush=True)
    after = held_out_loss(model, held, cfg)
    print(f'[simmim] held-out masked L1 after: {after}', flush=True)
    sizes = save_checkpoints(model, os.path.join(out, 'checkpoint'), cfg.name, {'recipe': 'simmim', 'name': cfg.name, 'sar-l1': 'generated frames'})
    dump_json(os.path.join(out, 'torch-config.json'), cfg.to_json())
    metrics = dict(name=cfg.name, recipe='simmim', smoke=args.smoke, seed=args.seed, steps=steps, encoder_params=params,
                   held_out_masked_l1_before=before, held_out_masked_l1_after=after, wall_seconds=round(timer(), 1), checkpoint_bytes=sizes,
                   args=vars(args), history=history, sar_l1='GENERATED quad-pol frames (product model), not measured data',
                   command=' '.join(['python3', '-m', 'ringmoe_torch.recipes.simmim'] + (argv if argv is not None else sys.argv[1:])))
    dump_json(os.path.join(out, 'metrics.json'), metrics)
    print(json.dumps({'out': out, 'before': before, 'after': after, 'checkpoint_bytes': sizes}), flush=True)
    return metrics


if __name__ == '__main__':
    main()
