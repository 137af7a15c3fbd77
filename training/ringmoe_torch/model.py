"""The RingMoE trunk in PyTorch with the released checkpoint's parameter names.

Computes exactly what the `v1` TypeScript graph computes (MODEL-CONTRACT.md):
patch embedding (conv + LayerNorm 1e-6) → stages of Swin v1 window attention blocks with
res-post-norm (x + LN1(attn(x)); x + LN2(moe(x)), eps 1e-6) and the hierarchical MoE (modal group
of the batch's modality + collaborative group + shared expert, top-1, combine weight 1.0) →
patch merging (eps 1e-4) → stage output norms (eps 1e-6) → mean-pooled embedding → linear head.

Parameter names follow the released MindSpore code: `encoder.patch_embed{m}.projection|norm`,
`encoder.layers.{i}.blocks.{j}.attn.{q,k,v,proj}`, `…attn.relative_position_bias.relative_position_bias_table`,
`…norm1|norm2.gamma|beta`, `…mlp.special_ffn[.{m}].mapping|projection.weight|bias` (stacks [E,in,out],
biases [1,E,1,out]), `…mlp.special_router[.{m}].dense.weight` [E,C], `…mlp.cross_ffn|cross_router`,
`…mlp.public_ffn.mapping|projection` ([in,out]), `encoder.layers.{i}.downsample.reduction|norm`,
`encoder.stage_norm{k}` (extension), `encoder.norm`, `head.cls.fc` (extension).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .config import ModelConfig, RELEASED_MODALITY_INDEX


class LayerNorm(nn.Module):
    """LayerNorm whose parameters are named gamma/beta, as MindSpore names them."""

    def __init__(self, dim, eps):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(dim))
        self.beta = nn.Parameter(torch.zeros(dim))
        self.eps = eps

    def forward(self, x):
        return F.layer_norm(x, (x.shape[-1],), self.gamma, self.beta, self.eps)


def gelu(x):
    """Exact (erf) GELU, as the graph's Erf pattern."""
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def relative_position_index(w):
    """[w², w²] index into the (2w−1)² table: (r_i − r_j + w − 1)·(2w − 1) + (c_i − c_j + w − 1)."""
    t = torch.arange(w * w)
    r, c = t // w, t % w
    return (r[:, None] - r[None, :] + w - 1) * (2 * w - 1) + (c[:, None] - c[None, :] + w - 1)


def shift_mask(size, w, shift):
    """Swin's shifted-window mask [nW, w², w²]: 0 inside a region, −100 across."""
    label = torch.zeros(size, size, dtype=torch.long)

    def region(x):
        return 0 if x < size - w else (1 if x < size - shift else 2)

    for y in range(size):
        for x in range(size):
            label[y, x] = region(y) * 3 + region(x)
    n = size // w
    win = label.view(n, w, n, w).permute(0, 2, 1, 3).reshape(n * n, w * w)
    return torch.where(win[:, :, None] == win[:, None, :], torch.tensor(0.0), torch.tensor(-100.0))


class RelativePositionBias(nn.Module):
    def __init__(self, w, heads):
        super().__init__()
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * w - 1) ** 2, heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)
        self.register_buffer('relative_position_index', relative_position_index(w), persistent=False)
        self.w = w

    def forward(self):
        t = self.w * self.w
        bias = self.relative_position_bias_table[self.relative_position_index.reshape(-1)].view(t, t, -1)
        return bias.permute(2, 0, 1).unsqueeze(0)  # [1, heads, t, t]


class WindowAttention(nn.Module):
    """Swin v1 window attention: (q·hd^−0.5)·kᵀ + relative position bias (+ shift mask)."""

    def __init__(self, dim, heads, w):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)
        self.relative_position_bias = RelativePositionBias(w, heads)

    def forward(self, x, mask=None):
        """x: [B·nW, t, D]; mask: [nW, t, t] or None."""
        bw, t, d = x.shape
        h = self.heads

        def split(y):
            return y.view(bw, t, h, d // h).transpose(1, 2)

        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        a = (q * self.scale) @ k.transpose(-2, -1) + self.relative_position_bias()
        if mask is not None:
            nw = mask.shape[0]
            a = a.view(bw // nw, nw, h, t, t) + mask[None, :, None]
            a = a.view(bw, h, t, t)
        a = a.softmax(-1)
        o = (a @ v).transpose(1, 2).reshape(bw, t, d)
        return self.proj(o)


class ExpertStack(nn.Module):
    """E FFN experts in the released layout: mapping [E, in, hidden] + [1, E, 1, hidden], projection [E, hidden, out] + [1, E, 1, out]."""

    def __init__(self, experts, dim, hidden):
        super().__init__()
        self.mapping = _StackLinear(experts, dim, hidden)
        self.projection = _StackLinear(experts, hidden, dim)

    def expert(self, x, e):
        return self.projection.one(gelu(self.mapping.one(x, e)), e)


class _StackLinear(nn.Module):
    def __init__(self, experts, n_in, n_out):
        super().__init__()
        bound = 1 / math.sqrt(n_in)
        self.weight = nn.Parameter(torch.empty(experts, n_in, n_out).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(1, experts, 1, n_out).uniform_(-bound, bound))

    def one(self, x, e):
        return x @ self.weight[e] + self.bias[0, e, 0]


class DenseFfn(nn.Module):
    """One FFN in the released dense layout: mapping.weight [in, hidden], projection.weight [hidden, out]."""

    def __init__(self, dim, hidden):
        super().__init__()
        self.mapping = _DenseLinear(dim, hidden)
        self.projection = _DenseLinear(hidden, dim)

    def forward(self, x):
        return self.projection(gelu(self.mapping(x)))


class _DenseLinear(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        bound = 1 / math.sqrt(n_in)
        self.weight = nn.Parameter(torch.empty(n_in, n_out).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(n_out).uniform_(-bound, bound))

    def forward(self, x):
        return x @ self.weight + self.bias


class Router(nn.Module):
    """Bias-free top-1 router, `dense.weight` [E, C]."""

    def __init__(self, experts, dim):
        super().__init__()
        self.dense = nn.Linear(dim, experts, bias=False)


def routed(stack, router, x, stats):
    """Top-1 routed output with combine weight 1.0 in value; the router gets gradient through
    p_top / p_top.detach() (exactly 1.0 forward). Appends (choice, probs) to `stats`."""
    logits = router.dense(x)
    probs = logits.softmax(-1)
    choice = logits.argmax(-1)
    p_top = probs.gather(1, choice[:, None])
    gate = p_top / p_top.detach()
    out = torch.zeros_like(x)
    for e in range(stack.mapping.weight.shape[0]):
        idx = (choice == e).nonzero(as_tuple=True)[0]
        if idx.numel() == 0:
            continue
        y = stack.expert(x[idx], e) * gate[idx]
        out = out.index_put((idx,), y)
    stats.append((choice, probs))
    return out


class HierarchicalMoE(nn.Module):
    def __init__(self, cfg: ModelConfig, dim, hidden):
        super().__init__()
        self.single = len(cfg.modalities) == 1
        self.dense = None
        if cfg.modal_experts > 0:
            if self.single:
                self.special_ffn = ExpertStack(cfg.modal_experts, dim, hidden)
                if cfg.modal_experts > 1:
                    self.special_router = Router(cfg.modal_experts, dim)
            else:
                self.special_ffn = nn.ModuleDict({str(RELEASED_MODALITY_INDEX[m]): ExpertStack(cfg.modal_experts, dim, hidden) for m in cfg.modalities})
                if cfg.modal_experts > 1:
                    self.special_router = nn.ModuleDict({str(RELEASED_MODALITY_INDEX[m]): Router(cfg.modal_experts, dim) for m in cfg.modalities})
        if cfg.collaborative_experts > 0:
            self.cross_ffn = ExpertStack(cfg.collaborative_experts, dim, hidden)
            if cfg.collaborative_experts > 1:
                self.cross_router = Router(cfg.collaborative_experts, dim)
        if cfg.shared_experts:
            self.public_ffn = DenseFfn(dim, hidden)

    def forward(self, x, modality, stats):
        """x: [T, D] tokens of one modality. `stats` receives {'modal'|'collaborative': (choice, probs)}."""
        out = torch.zeros_like(x)
        if hasattr(self, 'special_ffn'):
            key = str(RELEASED_MODALITY_INDEX[modality])
            stack = self.special_ffn if self.single else self.special_ffn[key]
            router = getattr(self, 'special_router', None)
            if router is not None and not self.single:
                router = router[key]
            if router is None:
                out = out + stack.expert(x, 0)
            else:
                s = []
                out = out + routed(stack, router, x, s)
                stats['modal'] = s[0]
        if hasattr(self, 'cross_ffn'):
            router = getattr(self, 'cross_router', None)
            if router is None:
                out = out + self.cross_ffn.expert(x, 0)
            else:
                s = []
                out = out + routed(self.cross_ffn, router, x, s)
                stats['collaborative'] = s[0]
        if hasattr(self, 'public_ffn'):
            out = out + self.public_ffn(x)
        return out


class DenseMlp(DenseFfn):
    """The collapsed (KC) block MLP: one dense FFN, released names `mlp.mapping` / `mlp.projection`."""

    def forward(self, x, modality=None, stats=None):
        return super().forward(x)


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig, g, index):
        super().__init__()
        self.size, self.w = g['size'], g['window']
        self.shift = g['shift'] if index % 2 == 1 else 0
        dim = g['dim']
        self.attn = WindowAttention(dim, g['heads'], self.w)
        self.norm1 = LayerNorm(dim, 1e-6)
        self.mlp = HierarchicalMoE(cfg, dim, g['hidden'])
        self.norm2 = LayerNorm(dim, 1e-6)
        self.drop_path = 0.0  # stochastic depth (training only; set by a recipe, never exported)
        if self.shift:
            self.register_buffer('attn_mask', shift_mask(self.size, self.w, self.shift), persistent=False)
        else:
            self.attn_mask = None

    def forward(self, x, modality, stats):
        n, L, d = x.shape
        H = W = self.size
        w, s = self.w, self.shift
        xs = x.view(n, H, W, d)
        if s:
            xs = torch.roll(xs, (-s, -s), (1, 2))
        xw = xs.view(n, H // w, w, W // w, w, d).permute(0, 1, 3, 2, 4, 5).reshape(-1, w * w, d)
        o = self.attn(xw, self.attn_mask)
        o = o.view(n, H // w, W // w, w, w, d).permute(0, 1, 3, 2, 4, 5).reshape(n, H, W, d)
        if s:
            o = torch.roll(o, (s, s), (1, 2))
        x = x + self._dropped(self.norm1(o.reshape(n, L, d)))
        block_stats = {}
        m = self.mlp(x.reshape(-1, d), modality, block_stats).view(n, L, d)
        stats.append(block_stats)
        return x + self._dropped(self.norm2(m))

    def _dropped(self, branch):
        """Stochastic depth: in training, drops the residual branch for a random subset of samples
        (scaling the kept ones); at inference the branch passes unchanged, so exported graphs are unaffected."""
        if not self.training or self.drop_path <= 0:
            return branch
        keep = 1.0 - self.drop_path
        mask = branch.new_empty((branch.shape[0],) + (1,) * (branch.dim() - 1)).bernoulli_(keep)
        return branch * mask / keep


class PatchMerging(nn.Module):
    def __init__(self, dim, size):
        super().__init__()
        self.size = size
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = LayerNorm(2 * dim, 1e-4)

    def forward(self, x):
        n, L, c = x.shape
        H = W = self.size
        m = x.view(n, H // 2, 2, W // 2, 2, c).permute(0, 1, 3, 4, 2, 5).reshape(n, (H // 2) * (W // 2), 4 * c)
        return self.norm(self.reduction(m))


class Stage(nn.Module):
    def __init__(self, cfg, g, next_g):
        super().__init__()
        self.blocks = nn.ModuleList([Block(cfg, g, j) for j in range(g['depth'])])
        if next_g is not None:
            self.downsample = PatchMerging(g['dim'], g['size'])


class PatchEmbed(nn.Module):
    def __init__(self, channels, dim, patch):
        super().__init__()
        self.projection = nn.Conv2d(channels, dim, patch, stride=patch)
        self.norm = LayerNorm(dim, 1e-6)

    def forward(self, x):
        return self.norm(self.projection(x).flatten(2).transpose(1, 2))


class Encoder(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.geo = cfg.geometry()
        single = len(cfg.modalities) == 1
        for m in cfg.modalities:
            name = 'patch_embed' if single else f'patch_embed{RELEASED_MODALITY_INDEX[m]}'
            setattr(self, name, PatchEmbed(cfg.channels(m), cfg.embed_dim, cfg.patch_size))
        self.layers = nn.ModuleList([Stage(cfg, g, self.geo[i + 1] if i + 1 < len(self.geo) else None) for i, g in enumerate(self.geo)])
        for k in range(len(self.geo) - 1):
            setattr(self, f'stage_norm{k}', LayerNorm(self.geo[k]['dim'], 1e-6))
        self.norm = LayerNorm(self.geo[-1]['dim'], 1e-6)

    def embed(self, modality):
        if len(self.cfg.modalities) == 1:
            if modality != self.cfg.modalities[0]:
                raise ValueError(f'model has no modality {modality!r}')
            return self.patch_embed
        return getattr(self, f'patch_embed{RELEASED_MODALITY_INDEX[modality]}')

    def forward(self, image, modality, stats, mask=None, mask_token=None):
        """Returns (features: list of [N, L, D] normed stage outputs, embedding [N, D_last]).
        SimMIM: `mask` [N, L] (1 = masked) replaces those embedded tokens by `mask_token` [D]."""
        x = self.embed(modality)(image)
        if mask is not None:
            w = mask.unsqueeze(-1).type_as(x)
            x = x * (1 - w) + mask_token * w
        features = []
        last = len(self.layers) - 1
        for i, stage in enumerate(self.layers):
            for blk in stage.blocks:
                x = blk(x, modality, stats)
            norm = self.norm if i == last else getattr(self, f'stage_norm{i}')
            features.append(norm(x))
            if i < last:
                x = stage.downsample(x)
        return features, features[-1].mean(1)


class ClsHead(nn.Module):
    def __init__(self, dim, classes):
        super().__init__()
        self.fc = nn.Linear(dim, classes)


class Head(nn.Module):
    def __init__(self, dim, classes):
        super().__init__()
        self.cls = ClsHead(dim, classes)


class RingMoE(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        self.head = Head(self.encoder.geo[-1]['dim'], len(cfg.labels))
        self.apply(_init)

    def forward(self, image, modality):
        """Returns dict(embedding, cls_logits, features, routing=[per block {group: (choice, probs)}])."""
        stats = []
        features, emb = self.encoder(image, modality, stats)
        return {'embedding': emb, 'cls_logits': self.head.cls.fc(emb), 'features': features, 'routing': stats}

    def collapse_to_dense(self, dense_state):
        """Replaces every block's MoE by a DenseMlp holding `dense_state[(stage, block)]` = (W1, b1, W2, b2)."""
        for i, stage in enumerate(self.encoder.layers):
            for j, blk in enumerate(stage.blocks):
                w1, b1, w2, b2 = dense_state[(i, j)]
                mlp = DenseMlp(w1.shape[0], w1.shape[1])
                with torch.no_grad():
                    mlp.mapping.weight.copy_(w1)
                    mlp.mapping.bias.copy_(b1)
                    mlp.projection.weight.copy_(w2)
                    mlp.projection.bias.copy_(b2)
                blk.mlp = mlp


def _init(m):
    if isinstance(m, nn.Linear):
        nn.init.trunc_normal_(m.weight, std=0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)


def switch_aux_loss(routing):
    """Switch Transformer load-balancing loss summed over every router: E · Σ_e f_e · P_e."""
    total = 0.0
    for block in routing:
        for choice, probs in block.values():
            e = probs.shape[1]
            f = torch.bincount(choice, minlength=e).float() / choice.numel()
            total = total + e * (f * probs.mean(0)).sum()
    return total
