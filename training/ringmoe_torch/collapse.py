"""The dense collapses (kc, ks, ka), as tools/prune/dense-merge.ts does them, on the PyTorch module.

KC (`compress` there):

Per block (for one modality): the groups are the modality's modal experts (weights = routing
frequency within the group), the collaborative experts (same) and the shared expert (weight 1).
With n experts in all and block hidden width h, expert i gets rank floor(h/n) (+1 for the first
h mod n). Each expert's hidden space is projected onto the top-r left singular vectors U_r of its
W2 [H, d]: W1' = W1·U_r, b1' = b1·U_r, W2' = p·Σ_r·V_rᵀ; b2 += p·b2. Byte-identical experts are
merged first (weights and ranks add); an expert whose rank reaches its width is kept whole
(scaled W2). The results are concatenated along the hidden axis (unused units stay zero).

KS / KA (`fold` there), fold mode `auto`: each group becomes one FFN — ks its most-activated expert
(ties: the lowest index), ka the frequency-weighted average of its experts' four tensors — then the
group FFNs fold into one of width h: exactly (W2, b2 × groups) when they are identical; `aligned`
(W1, b1 averaged unit by unit, W2, b2 summed) when the mean cosine between group 0's W1 columns and
each other group's is ≥ 0.5; otherwise `importance`: the h hidden units of [g1 | g2 | g3] with the
largest ‖W1[:, j]‖·‖W2[j, :]‖, kept in group then unit order, b2 summed.
"""
from collections import OrderedDict

import numpy as np
import torch

from .config import RELEASED_MODALITY_INDEX


def _experts(stack):
    """[(W1 [d,H], b1 [H], W2 [H,d], b2 [d])] of an ExpertStack, float64."""
    W1 = stack.mapping.weight.detach().double().numpy()
    B1 = stack.mapping.bias.detach().double().numpy()[0, :, 0]
    W2 = stack.projection.weight.detach().double().numpy()
    B2 = stack.projection.bias.detach().double().numpy()[0, :, 0]
    return [(W1[e], B1[e], W2[e], B2[e]) for e in range(W1.shape[0])]


def _dense(ffn):
    return (ffn.mapping.weight.detach().double().numpy(), ffn.mapping.bias.detach().double().numpy(),
            ffn.projection.weight.detach().double().numpy(), ffn.projection.bias.detach().double().numpy())


def block_groups(mlp, modality, counts):
    """Groups of (expert tensors, frequencies) of one block's MoE for `modality`. counts: {'modal': [...], 'collaborative': [...]}."""
    groups = []
    if hasattr(mlp, 'special_ffn'):
        stack = mlp.special_ffn if mlp.single else mlp.special_ffn[str(RELEASED_MODALITY_INDEX[modality])]
        ex = _experts(stack)
        groups.append((ex, _freq(counts.get('modal'), len(ex))))
    if hasattr(mlp, 'cross_ffn'):
        ex = _experts(mlp.cross_ffn)
        groups.append((ex, _freq(counts.get('collaborative'), len(ex))))
    if hasattr(mlp, 'public_ffn'):
        groups.append(([_dense(mlp.public_ffn)], [1.0]))
    return groups


def _freq(c, n):
    if n == 1:
        return [1.0]
    if c is None or sum(c) == 0:
        raise ValueError('E_CALIBRATION: a router routed no tokens in the calibration statistics')
    t = float(sum(c))
    return [x / t for x in c]


def kc_collapse(groups, hidden):
    """Returns (W1 [d,h], b1 [h], W2 [h,d], b2 [d]) float32 and a note."""
    n = sum(len(ex) for ex, _ in groups)
    ranks, i = [], 0
    for ex, _ in groups:
        for _ in ex:
            ranks.append(hidden // n + (1 if i < hidden % n else 0))
            i += 1
    parts = OrderedDict()
    k = 0
    for ex, freq in groups:
        total = sum(freq)
        for e, t in enumerate(ex):
            key = b''.join(np.asarray(a, dtype=np.float32).tobytes() for a in t)
            if key in parts:
                parts[key][1] += freq[e] / total
                parts[key][2] += ranks[k]
            else:
                parts[key] = [t, freq[e] / total, ranks[k]]
            k += 1
    d = groups[0][0][0][0].shape[0]
    w1 = np.zeros((d, hidden))
    b1 = np.zeros(hidden)
    w2 = np.zeros((hidden, d))
    b2 = np.zeros(d)
    col = 0
    whole = 0
    for (W1, B1, W2, B2), p, r in parts.values():
        H = W1.shape[1]
        if r >= H:
            whole += 1
            w1[:, col:col + H] = W1
            b1[col:col + H] = B1
            w2[col:col + H] = p * W2
        else:
            U, S, Vt = np.linalg.svd(W2, full_matrices=False)
            rank = min(r, int((S > S[0] * 1e-12).sum()) if S.size else 0)
            U, S, Vt = U[:, :rank], S[:rank], Vt[:rank]
            w1[:, col:col + rank] = W1 @ U
            b1[col:col + rank] = B1 @ U
            w2[col:col + rank] = p * S[:, None] * Vt
        b2 += p * B2
        col += r
    note = f'kc: {n} experts, rank {hidden // n}-{-(-hidden // n)} each (hidden {hidden} / {n}), frequency-scaled and concatenated'
    if n > len(parts):
        note += f'; {n - len(parts)} byte-identical experts merged'
    if whole:
        note += f'; {whole} kept whole'
    return tuple(torch.from_numpy(a.astype(np.float32)) for a in (w1, b1, w2, b2)), note


ALIGNED_FOLD_THRESHOLD = 0.5
STRATEGIES = ('kc', 'ks', 'ka')


def _group_ffn(ex, freq, strategy):
    """ks: the most-activated expert (lowest index on ties); ka: the frequency-weighted average (exact when all are identical)."""
    if strategy == 'ks' or len(ex) == 1:
        best = max(range(len(ex)), key=lambda e: (freq[e], -e))
        return ex[best]
    first = ex[0]
    if all(all(np.array_equal(np.asarray(a, dtype=np.float32), np.asarray(b, dtype=np.float32)) for a, b in zip(first, t)) for t in ex[1:]):
        return first
    total = float(sum(freq))
    return tuple(sum((freq[e] / total) * ex[e][part] for e in range(len(ex))) for part in range(4))


def _column_agreement(a, b):
    na, nb = np.linalg.norm(a, axis=0), np.linalg.norm(b, axis=0)
    dot = (a * b).sum(0)
    cos = np.where((na > 0) & (nb > 0), dot / np.where((na > 0) & (nb > 0), na * nb, 1.0), 0.0)
    return float(cos.mean())


def fold_collapse(groups, hidden, strategy):
    """ks / ka with fold `auto`. Returns (W1 [d,h], b1 [h], W2 [h,d], b2 [d]) float32 and a note."""
    # Group FFNs go through float32 as the package stores them.
    ffns = [tuple(np.asarray(np.asarray(a, dtype=np.float32), dtype=np.float64) for a in _group_ffn(ex, freq, strategy)) for ex, freq in groups]
    G = len(ffns)
    what = 'most-activated expert per group' if strategy == 'ks' else 'frequency-weighted average per group'
    same_width = all(f[0].shape[1] == hidden for f in ffns)
    identical = all(all(np.array_equal(np.float32(a), np.float32(b)) for a, b in zip(ffns[0], f)) for f in ffns[1:])
    if identical and same_width:
        w1, b1, w2, b2 = ffns[0]
        out = (w1, b1, w2 * G, b2 * G)
        note = f'{strategy}: {what}; the {G} group FFNs are identical (sparse upcycling), folded exactly: W2 and b2 x {G}'
    else:
        agreement = 1.0 if G == 1 else (sum(_column_agreement(ffns[0][0], f[0]) for f in ffns[1:]) / (G - 1) if same_width else 0.0)
        if same_width and agreement >= ALIGNED_FOLD_THRESHOLD:
            out = (sum(f[0] for f in ffns) / G, sum(f[1] for f in ffns) / G, sum(f[2] for f in ffns), sum(f[3] for f in ffns))
            note = f'{strategy}: {what}; the {G} group FFNs folded unit by unit (W1, b1 averaged, W2, b2 summed; their units agree, mean W1 column cosine {agreement:.3f})'
        else:
            units = []
            for g, (w1, _, w2, _) in enumerate(ffns):
                score = np.linalg.norm(w1, axis=0) * np.linalg.norm(w2, axis=1)
                units += [(-float(score[j]), g, j) for j in range(w1.shape[1])]
            keep = [[] for _ in ffns]
            for _, g, j in sorted(units)[:hidden]:
                keep[g].append(j)
            keep = [sorted(k) for k in keep]
            w1 = np.concatenate([f[0][:, k] for f, k in zip(ffns, keep)], 1)
            b1 = np.concatenate([f[1][k] for f, k in zip(ffns, keep)])
            w2 = np.concatenate([f[2][k] for f, k in zip(ffns, keep)], 0)
            out = (w1, b1, w2, sum(f[3] for f in ffns))
            kept = ', '.join(f'group {g} {len(k)}' for g, k in enumerate(keep))
            note = (f'{strategy}: {what}; folded by keeping the {hidden} highest-importance hidden units of the {G} group FFNs ({kept}); '
                    f'their units do not agree (mean W1 column cosine {agreement:.3f})')
    return tuple(torch.from_numpy(np.asarray(a, dtype=np.float32)) for a in out), note


def collapse_model(model, modality, routing_counts, strategy='kc'):
    """{(stage, block): dense tensors} for every block; routing_counts[block_index] = {'modal': counts, 'collaborative': counts}."""
    if strategy not in STRATEGIES:
        raise ValueError(f'E_STRATEGY: unknown dense collapse {strategy!r}; one of {", ".join(STRATEGIES)}')
    out, notes, k = {}, [], 0
    for i, stage in enumerate(model.encoder.layers):
        for j, blk in enumerate(stage.blocks):
            hidden = blk.mlp.public_ffn.mapping.weight.shape[1] if hasattr(blk.mlp, 'public_ffn') else blk.mlp.cross_ffn.mapping.weight.shape[2]
            groups = block_groups(blk.mlp, modality, routing_counts[k])
            out[(i, j)], note = kc_collapse(groups, hidden) if strategy == 'kc' else fold_collapse(groups, hidden, strategy)
            notes.append(f'encoder.layers.{i}.blocks.{j}: {note}')
            k += 1
    return out, notes
