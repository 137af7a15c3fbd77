"""The tiny RS-MoE in PyTorch, computing exactly what the package's graphs compute
(tools/rsmoe/emit/{vision,decoder,layers}.ts): parameter names, shapes and layouts are the
emitters' (linear weights stored [in, out]), so the trained tensors drop into those graphs.

- vision: conv patch embedding (p×p, stride p) + learned positions, pre-norm ViT blocks, final
  LayerNorm; instruction-aware Q-Former: learned queries + Linear(masked mean of the instruction's
  embeddings), self-attention, cross-attention to the patches, MLP, LayerNorm → visual tokens.
- per expert, a prefix projector: LayerNorm, then per decoder layer a key and a value Linear →
  the decoder's initial KV cache [B, H, Q, hd].
- per expert, a GPT-style decoder: token + position embeddings, pre-norm blocks whose attention
  sees the visual prefix and the causal past, final LayerNorm, LM head without bias.
LayerNorm ε 1e-5, exact (erf) GELU, attention scale 1/√hd, masked scores −1e9.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

MASKED = -1e9


class Params(nn.Module):
    """Parameters under the emitters' dotted names."""

    def __init__(self):
        super().__init__()
        self._list = nn.ParameterList()
        self.index = {}

    def add(self, name, shape, init, gen):
        t = torch.empty(*shape)
        if init == 'one':
            t.fill_(1.0)
        elif init == 'zero':
            t.zero_()
        else:
            std = (1 / math.sqrt(init[1])) if init[0] == 'fanin' else init[1]
            t.normal_(0, std, generator=gen)
            t.clamp_(-2 * std, 2 * std)
        self.index[name] = len(self._list)
        self._list.append(nn.Parameter(t))

    def __getitem__(self, name):
        return self._list[self.index[name]]

    def named(self):
        return [(n, self._list[i]) for n, i in self.index.items()]


class RsMoeTiny(nn.Module):
    def __init__(self, cfg, vocab_size, seed=0, pos_std=0.02):
        super().__init__()
        self.cfg = cfg
        self.V = vocab_size
        self.p = Params()
        g = torch.Generator().manual_seed(seed)
        v, q, d = cfg['vision'], cfg['qformer'], cfg['decoder']
        D, patch = v['dim'], v['patch']
        grid = cfg['inputSize'] // patch

        def lin(name, i, o, bias=True):
            self.p.add(f'{name}.weight', [i, o], ('fanin', i), g)
            if bias:
                self.p.add(f'{name}.bias', [o], 'zero', g)

        def ln(name, dim):
            self.p.add(f'{name}.weight', [dim], 'one', g)
            self.p.add(f'{name}.bias', [dim], 'zero', g)

        def mha(name, dim):
            for k in ('q', 'k', 'v', 'proj'):
                lin(f'{name}.{k}', dim, dim)

        def mlp(name, dim, hidden):
            lin(f'{name}.fc1', dim, hidden)
            lin(f'{name}.fc2', hidden, dim)

        self.p.add('vision.patch.weight', [D, 3, patch, patch], ('fanin', 3 * patch * patch), g)
        self.p.add('vision.patch.bias', [D], 'zero', g)
        self.p.add('vision.pos', [1, grid * grid, D], ('normal', pos_std), g)
        for i in range(v['layers']):
            ln(f'vision.blocks.{i}.norm1', D)
            mha(f'vision.blocks.{i}.attn', D)
            ln(f'vision.blocks.{i}.norm2', D)
            mlp(f'vision.blocks.{i}.mlp', D, v['hidden'])
        ln('vision.norm', D)
        self.p.add('qformer.instruction_embed', [vocab_size, D], ('normal', 0.02), g)
        lin('qformer.instruction_proj', D, D)
        self.p.add('qformer.queries', [1, q['queries'], D], ('normal', 0.5), g)
        ln('qformer.norm1', D)
        mha('qformer.self_attn', D)
        ln('qformer.norm2', D)
        mha('qformer.cross_attn', D)
        ln('qformer.norm3', D)
        mlp('qformer.mlp', D, q['hidden'])
        ln('qformer.norm', D)

        dm = d['dim']
        for e in cfg['experts']:
            pre = f"expert.{e['id']}"
            ln(f'{pre}.prefix.norm', D)
            for i in range(d['layers']):
                lin(f'{pre}.prefix.{i}.key', D, dm)
                lin(f'{pre}.prefix.{i}.value', D, dm)
            self.p.add(f'{pre}.embed_tokens', [vocab_size, dm], ('normal', 0.02), g)
            self.p.add(f'{pre}.embed_positions', [d['maxPositions'], dm], ('normal', 0.02), g)
            for i in range(d['layers']):
                n = f'{pre}.layers.{i}'
                ln(f'{n}.norm1', dm)
                mha(f'{n}.attn', dm)
                ln(f'{n}.norm2', dm)
                mlp(f'{n}.mlp', dm, d['hidden'])
            ln(f'{pre}.norm', dm)
            lin(f'{pre}.lm_head', dm, vocab_size, bias=False)

    # primitive layers (emit/layers.ts)
    def linear(self, x, name, bias=True):
        y = x @ self.p[f'{name}.weight']
        return y + self.p[f'{name}.bias'] if bias else y

    def ln(self, x, name):
        w = self.p[f'{name}.weight']
        return F.layer_norm(x, (int(w.shape[0]),), w, self.p[f'{name}.bias'], 1e-5)

    def mlp(self, x, name):
        return self.linear(F.gelu(self.linear(x, f'{name}.fc1')), f'{name}.fc2')

    @staticmethod
    def split(x, heads):
        n, t, dim = x.shape
        return x.view(n, t, heads, dim // heads).transpose(1, 2)

    @staticmethod
    def merge(x):
        n, h, t, hd = x.shape
        return x.transpose(1, 2).reshape(n, t, h * hd)

    @staticmethod
    def attend(q, k, v, bias=None):
        s = (q @ k.transpose(-1, -2)) * (1 / math.sqrt(q.shape[-1]))
        if bias is not None:
            s = s + bias
        return torch.softmax(s, -1) @ v

    def mha(self, xq, xkv, heads, name):
        q = self.split(self.linear(xq, f'{name}.q'), heads)
        k = self.split(self.linear(xkv, f'{name}.k'), heads)
        v = self.split(self.linear(xkv, f'{name}.v'), heads)
        return self.linear(self.merge(self.attend(q, k, v)), f'{name}.proj')

    # graphs
    def vision(self, image, ids, mask):
        """image [N,3,S,S] normalised, ids/mask [N,L] → visual tokens [N,Q,D]."""
        v, qc = self.cfg['vision'], self.cfg['qformer']
        x = F.conv2d(image, self.p['vision.patch.weight'], self.p['vision.patch.bias'], stride=v['patch'])
        x = x.flatten(2).transpose(1, 2) + self.p['vision.pos']
        for i in range(v['layers']):
            n = f'vision.blocks.{i}'
            h = self.ln(x, f'{n}.norm1')
            x = x + self.mha(h, h, v['heads'], f'{n}.attn')
            x = x + self.mlp(self.ln(x, f'{n}.norm2'), f'{n}.mlp')
        patches = self.ln(x, 'vision.norm')
        emb = F.embedding(ids, self.p['qformer.instruction_embed'])
        m = mask.to(emb.dtype).unsqueeze(-1)
        mean = (emb * m).sum(1, keepdim=True) / torch.clamp(m.sum(1, keepdim=True), min=1.0)
        q = self.p['qformer.queries'] + self.linear(mean, 'qformer.instruction_proj')
        hq = self.ln(q, 'qformer.norm1')
        q = q + self.mha(hq, hq, qc['heads'], 'qformer.self_attn')
        q = q + self.mha(self.ln(q, 'qformer.norm2'), patches, qc['heads'], 'qformer.cross_attn')
        q = q + self.mlp(self.ln(q, 'qformer.norm3'), 'qformer.mlp')
        return self.ln(q, 'qformer.norm')

    def prefix(self, expert, visual):
        """visual [B,Q,D] → [(key, value)] per layer, each [B,H,Q,hd]."""
        d = self.cfg['decoder']
        pre = f'expert.{expert}'
        h = self.ln(visual, f'{pre}.prefix.norm')
        return [(self.split(self.linear(h, f'{pre}.prefix.{i}.key'), d['heads']),
                 self.split(self.linear(h, f'{pre}.prefix.{i}.value'), d['heads'])) for i in range(d['layers'])]

    def decoder(self, expert, ids, mask, positions, past):
        """The causal LM (emit/decoder.ts): ids/positions [B,S], mask [B,P+S], past [(k,v)] [B,H,P,hd]
        → logits [B,S,V], present [(k,v)] [B,H,P+S,hd]."""
        d = self.cfg['decoder']
        pre = f'expert.{expert}'
        S = ids.shape[1]
        T = mask.shape[1]
        q_idx = torch.arange(T - S, T).unsqueeze(1)
        k_idx = torch.arange(T).unsqueeze(0)
        causal = torch.where(k_idx <= q_idx, torch.tensor(0.0), torch.tensor(MASKED))
        pad = (1 - mask.to(torch.float32)) * MASKED
        bias = causal[None, None] + pad[:, None, None, :]
        x = F.embedding(ids, self.p[f'{pre}.embed_tokens']) + F.embedding(positions, self.p[f'{pre}.embed_positions'])
        present = []
        for i in range(d['layers']):
            n = f'{pre}.layers.{i}'
            h = self.ln(x, f'{n}.norm1')
            q = self.split(self.linear(h, f'{n}.attn.q'), d['heads'])
            k = torch.cat([past[i][0], self.split(self.linear(h, f'{n}.attn.k'), d['heads'])], 2)
            v = torch.cat([past[i][1], self.split(self.linear(h, f'{n}.attn.v'), d['heads'])], 2)
            present.append((k, v))
            x = x + self.linear(self.merge(self.attend(q, k, v, bias)), f'{n}.attn.proj')
            x = x + self.mlp(self.ln(x, f'{n}.norm2'), f'{n}.mlp')
        logits = self.linear(self.ln(x, f'{pre}.norm'), f'{pre}.lm_head', bias=False)
        return logits, present

    def tensors(self):
        """name → float32 numpy array, in the emitters' layouts."""
        return {n: p.detach().cpu().numpy().astype('float32') for n, p in self.p.named()}
