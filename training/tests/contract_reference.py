"""An independent NumPy reading of MODEL-CONTRACT.md: maps released checkpoint names to package
tensor names (as `ringmoe-edge convert` does) and runs the v1 graph's computation on them. Used to
check that the PyTorch module computes what the converted package will compute."""
import math

import numpy as np

RELEASED = {'optical': 0, 'sar-l1': 1, 'sar-l2': 2, 'multispectral': 3}


def to_package(t, cfg):
    """Released names → package names (subset needed for the trunk and the classification head)."""
    p = {}
    single = len(cfg.modalities) == 1
    for m in cfg.modalities:
        pre = 'encoder.patch_embed' + ('' if single else str(RELEASED[m]))
        p[f'embed.{m}.proj.weight'] = t[f'{pre}.projection.weight']
        p[f'embed.{m}.proj.bias'] = t[f'{pre}.projection.bias']
        p[f'embed.{m}.norm.weight'] = t[f'{pre}.norm.gamma']
        p[f'embed.{m}.norm.bias'] = t[f'{pre}.norm.beta']
    geo = cfg.geometry()
    for i, g in enumerate(geo):
        w = g['window']
        for j in range(g['depth']):
            r = f'encoder.layers.{i}.blocks.{j}.'
            B = f's{i + 1}.b{j}.'
            p[B + 'attn.qkv.weight'] = np.concatenate([t[r + f'attn.{x}.weight'].T for x in 'qkv'], axis=1)
            p[B + 'attn.qkv.bias'] = np.concatenate([t[r + f'attn.{x}.bias'] for x in 'qkv'])
            p[B + 'attn.proj.weight'] = t[r + 'attn.proj.weight'].T
            p[B + 'attn.proj.bias'] = t[r + 'attn.proj.bias']
            table = t[r + 'attn.relative_position_bias.relative_position_bias_table']
            tt = w * w
            bias = np.zeros((1, g['heads'], tt, tt), np.float32)
            for a in range(tt):
                for b in range(tt):
                    idx = (a // w - b // w + w - 1) * (2 * w - 1) + (a % w - b % w + w - 1)
                    bias[0, :, a, b] = table[idx]
            p[B + 'attn.relative_position_bias'] = bias
            for n in ('norm1', 'norm2'):
                p[B + f'{n}.weight'] = t[r + f'{n}.gamma']
                p[B + f'{n}.bias'] = t[r + f'{n}.beta']
            for m in cfg.modalities:
                sfx = '' if single else f'.{RELEASED[m]}'
                _experts(p, t, r + f'mlp.special_ffn{sfx}', B + f'modal.{m}')
                p[B + f'router.modal.{m}.weight'] = t[r + f'mlp.special_router{sfx}.dense.weight'].T
            _experts(p, t, r + 'mlp.cross_ffn', B + 'collaborative')
            p[B + 'router.collaborative.weight'] = t[r + 'mlp.cross_router.dense.weight'].T
            s = r + 'mlp.public_ffn.'
            p[B + 'shared.fc1.weight'] = t[s + 'mapping.weight']
            p[B + 'shared.fc1.bias'] = t[s + 'mapping.bias']
            p[B + 'shared.fc2.weight'] = t[s + 'projection.weight']
            p[B + 'shared.fc2.bias'] = t[s + 'projection.bias']
        if i + 1 < len(geo):
            d = f'encoder.layers.{i}.downsample.'
            p[f's{i + 2}.merge.reduction.weight'] = t[d + 'reduction.weight'].T
            p[f's{i + 2}.merge.norm.weight'] = t[d + 'norm.gamma']
            p[f's{i + 2}.merge.norm.bias'] = t[d + 'norm.beta']
            p[f's{i + 1}.out_norm.weight'] = t[f'encoder.stage_norm{i}.gamma']
            p[f's{i + 1}.out_norm.bias'] = t[f'encoder.stage_norm{i}.beta']
    p[f's{len(geo)}.out_norm.weight'] = t['encoder.norm.gamma']
    p[f's{len(geo)}.out_norm.bias'] = t['encoder.norm.beta']
    p['head.cls.fc.weight'] = t['head.cls.fc.weight'].T
    p['head.cls.fc.bias'] = t['head.cls.fc.bias']
    return p


def _experts(p, t, src, dst):
    W1, b1 = t[src + '.mapping.weight'], t[src + '.mapping.bias']
    W2, b2 = t[src + '.projection.weight'], t[src + '.projection.bias']
    for e in range(W1.shape[0]):
        p[f'{dst}.{e}.fc1.weight'] = W1[e]
        p[f'{dst}.{e}.fc1.bias'] = b1[0, e, 0]
        p[f'{dst}.{e}.fc2.weight'] = W2[e]
        p[f'{dst}.{e}.fc2.bias'] = b2[0, e, 0]


def ln(x, g, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def gelu(x):
    from math import erf
    return 0.5 * x * (1 + np.vectorize(erf)(x / math.sqrt(2)))


def ffn(x, p, e):
    return gelu(x @ p[e + '.fc1.weight'] + p[e + '.fc1.bias']) @ p[e + '.fc2.weight'] + p[e + '.fc2.bias']


def forward(p, cfg, image, modality):
    """image [N, C, H, W] float64 → (embedding [N, D], cls_logits [N, K], features NCHW)."""
    x = image.astype(np.float64)
    n = x.shape[0]
    ps = cfg.patch_size
    Wc = p[f'embed.{modality}.proj.weight']
    hp = x.shape[2] // ps
    patches = x.reshape(n, x.shape[1], hp, ps, hp, ps).transpose(0, 2, 4, 1, 3, 5).reshape(n, hp * hp, -1)
    x = patches @ Wc.reshape(Wc.shape[0], -1).T + p[f'embed.{modality}.proj.bias']
    x = ln(x, p[f'embed.{modality}.norm.weight'], p[f'embed.{modality}.norm.bias'], 1e-6)
    geo = cfg.geometry()
    feats = []
    for g in geo:
        s, D, H, w, h = g['stage'], g['dim'], g['size'], g['window'], g['heads']
        if s > 1:
            pd = geo[s - 2]['dim']
            m = x.reshape(n, H, 2, H, 2, pd).transpose(0, 1, 3, 4, 2, 5).reshape(n, H * H, 4 * pd)
            x = ln(m @ p[f's{s}.merge.reduction.weight'], p[f's{s}.merge.norm.weight'], p[f's{s}.merge.norm.bias'], 1e-4)
        for i in range(g['depth']):
            B = f's{s}.b{i}.'
            shift = g['shift'] if i % 2 == 1 else 0
            xs = x.reshape(n, H, H, D)
            if shift:
                xs = np.roll(xs, (-shift, -shift), (1, 2))
            t = w * w
            nw = (H // w) ** 2
            xw = xs.reshape(n, H // w, w, H // w, w, D).transpose(0, 1, 3, 2, 4, 5).reshape(-1, t, D)
            qkv = xw @ p[B + 'attn.qkv.weight'] + p[B + 'attn.qkv.bias']
            qkv = qkv.reshape(-1, t, 3, h, D // h).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            a = (q * (D // h) ** -0.5) @ k.transpose(0, 1, 3, 2) + p[B + 'attn.relative_position_bias']
            if shift:
                mask = _mask(H, w, shift)
                a = (a.reshape(n, nw, h, t, t) + mask[None, :, None]).reshape(-1, h, t, t)
            a = np.exp(a - a.max(-1, keepdims=True))
            a = a / a.sum(-1, keepdims=True)
            o = (a @ v).transpose(0, 2, 1, 3).reshape(-1, t, D)
            o = o @ p[B + 'attn.proj.weight'] + p[B + 'attn.proj.bias']
            o = o.reshape(n, H // w, H // w, w, w, D).transpose(0, 1, 3, 2, 4, 5).reshape(n, H, H, D)
            if shift:
                o = np.roll(o, (shift, shift), (1, 2))
            x = x + ln(o.reshape(n, H * H, D), p[B + 'norm1.weight'], p[B + 'norm1.bias'], 1e-6)
            tok = x.reshape(-1, D)
            out = np.zeros_like(tok)
            for grp, prefix in ((f'router.modal.{modality}', f'modal.{modality}'), ('router.collaborative', 'collaborative')):
                choice = (tok @ p[B + grp + '.weight']).argmax(1)
                for e in np.unique(choice):
                    sel = choice == e
                    out[sel] += ffn(tok[sel], p, B + f'{prefix}.{e}')
            out += ffn(tok, p, B + 'shared')
            x = x + ln(out.reshape(n, H * H, D), p[B + 'norm2.weight'], p[B + 'norm2.bias'], 1e-6)
        normed = ln(x, p[f's{s}.out_norm.weight'], p[f's{s}.out_norm.bias'], 1e-6)
        feats.append(normed.reshape(n, H, H, D).transpose(0, 3, 1, 2))
    emb = normed.mean(1)
    return emb, emb @ p['head.cls.fc.weight'] + p['head.cls.fc.bias'], feats


def _mask(H, w, s):
    lab = np.zeros((H, H), int)
    reg = lambda v: 0 if v < H - w else (1 if v < H - s else 2)
    for y in range(H):
        for x in range(H):
            lab[y, x] = reg(y) * 3 + reg(x)
    nwin = H // w
    win = lab.reshape(nwin, w, nwin, w).transpose(0, 2, 1, 3).reshape(nwin * nwin, w * w)
    return np.where(win[:, :, None] == win[:, None, :], 0.0, -100.0)
