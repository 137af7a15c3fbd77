"""Shared training pieces: seeding, cosine schedule with warmup, evaluation, routing statistics,
golden outputs, checkpoint saving."""
import json
import math
import os
import random
import time
from collections import OrderedDict

import numpy as np
import torch

from .checkpoint import checkpoint_tensors, write_ckpt, write_safetensors


def seed_all(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def single_thread():
    os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
    torch.set_num_threads(1)


def cosine_lr(step, total, base, warmup):
    if step < warmup:
        return base * (step + 1) / warmup
    t = (step - warmup) / max(1, total - warmup)
    return base * 0.5 * (1 + math.cos(math.pi * t))


@torch.no_grad()
def evaluate(model, x, y, modality, batch=500):
    """Returns (accuracy, logits [N,K], routing choices per block {group: LongTensor [N·L]})."""
    model.eval()
    logits, choices = [], []
    for i in range(0, len(x), batch):
        out = model(x[i:i + batch], modality)
        logits.append(out['cls_logits'])
        choices.append([{g: c.view(len(x[i:i + batch]), -1) for g, (c, _) in blk.items()} for blk in out['routing']])
    logits = torch.cat(logits)
    merged = []
    for b in range(len(choices[0])):
        merged.append({g: torch.cat([c[b][g] for c in choices]) for g in choices[0][b]})
    acc = (logits.argmax(1) == y).float().mean().item()
    return acc, logits, merged


def block_names(model):
    return [f'encoder.layers.{i}.blocks.{j}' for i, s in enumerate(model.encoder.layers) for j in range(len(s.blocks))]


def routing_summary(model, choices, y, labels, modality='multispectral'):
    """Per block and group: token counts and share per expert, overall and per class (do experts
    specialise?), with the package ids of the block, router and experts (MODEL-CONTRACT.md)."""
    out = OrderedDict()
    pkg_blocks = [f's{i + 1}.b{j}' for i, s in enumerate(model.encoder.layers) for j in range(len(s.blocks))]
    for name, pb, blk in zip(block_names(model), pkg_blocks, choices):
        groups = OrderedDict(package_block=pb)
        for g, c in blk.items():
            n_exp = model.cfg.modal_experts if g == 'modal' else model.cfg.collaborative_experts
            router = f'{pb}.router.modal.{modality}' if g == 'modal' else f'{pb}.router.collaborative'
            experts = [f'{pb}.modal.{modality}.{e}' if g == 'modal' else f'{pb}.collaborative.{e}' for e in range(n_exp)]
            counts = torch.bincount(c.reshape(-1), minlength=n_exp).tolist()
            total = sum(counts)
            per_class = OrderedDict()
            joint = []
            for k, label in enumerate(labels):
                sel = c[y == k].reshape(-1)
                cc = torch.bincount(sel, minlength=n_exp).tolist()
                joint.append(cc)
                per_class[label] = [round(v / max(1, len(sel)), 4) for v in cc]
            share = [v / total for v in counts]
            ent = -sum(p * math.log(p) for p in share if p > 0)
            # Mutual information between the class and the chosen expert: 0 = routing ignores the
            # class, H(expert) = the expert is a function of the class.
            jt = np.array(joint, dtype=np.float64) / max(1, total)
            pc, pe = jt.sum(1, keepdims=True), jt.sum(0, keepdims=True)
            nz = jt > 0
            mi = float((jt[nz] * np.log(jt[nz] / (pc @ pe)[nz])).sum())
            groups[g] = OrderedDict(router=router, experts=experts, tokens=total, counts=counts, share=[round(v, 4) for v in share],
                                    entropy_nats=round(ent, 4), max_entropy_nats=round(math.log(n_exp), 4),
                                    class_mutual_information_nats=round(mi, 4),
                                    share_by_class=per_class)
        out[name] = groups
    return out


def save_checkpoints(model, out_dir, name, metadata, split=None):
    """Writes <name>.ckpt and <name>.safetensors with the released names; returns their sizes."""
    os.makedirs(out_dir, exist_ok=True)
    tensors = checkpoint_tensors(model)
    ckpt = os.path.join(out_dir, f'{name}.ckpt')
    st = os.path.join(out_dir, f'{name}.safetensors')
    write_ckpt(ckpt, tensors, split=split)
    write_safetensors(st, tensors, metadata)
    return {os.path.basename(ckpt): os.path.getsize(ckpt), os.path.basename(st): os.path.getsize(st)}


def _r(a):
    return [float(f'{v:.9g}') for v in np.asarray(a, dtype=np.float64).reshape(-1)]


@torch.no_grad()
def golden(model, raw, x, y, modality, labels, meta):
    """Golden outputs for the TypeScript tests: raw DN patches, preprocessed inputs, embedding,
    cls_logits and the NCHW stage features, all flattened row-major with their shapes."""
    model.eval()
    out = model(x, modality)
    geo = model.encoder.geo
    feats = []
    for g, f in zip(geo, out['features']):
        nchw = f.view(len(x), g['size'], g['size'], g['dim']).permute(0, 3, 1, 2)
        stride = model.cfg.patch_size * 2 ** (g['stage'] - 1)  # graph output names go by stride
        feats.append({'name': f'features_s{stride}', 'shape': list(nchw.shape), 'data': _r(nchw)})
    return OrderedDict(
        meta,
        modality=modality,
        labels=labels,
        count=len(x),
        raw_dn={'shape': list(raw.shape), 'layout': 'N,row,col,band (uint8 DN)', 'data': [int(v) for v in np.asarray(raw).reshape(-1)]},
        target=[int(v) for v in y],
        input={'shape': list(x.shape), 'layout': 'NCHW float32 after SDK preprocessing', 'data': _r(x)},
        embedding={'shape': list(out['embedding'].shape), 'data': _r(out['embedding'])},
        cls_logits={'shape': list(out['cls_logits'].shape), 'data': _r(out['cls_logits'])},
        features=feats,
    )


class Timer:
    def __init__(self):
        self.t0 = time.time()

    def __call__(self):
        return time.time() - self.t0


def dump_json(path, obj):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(obj, f, indent=1)
        f.write('\n')
