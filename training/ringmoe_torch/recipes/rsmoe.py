"""Recipe `rsmoe`: a tiny RS-MoE trained end to end on scenes of real Statlog Landsat MSS patches.

python3 -m ringmoe_torch.recipes.rsmoe [--smoke] [--out DIR] [--steps N] …  (run from training/)

Scenes are 4×4 mosaics of real labelled 3×3 Statlog patches (training scenes from the training
split only, held-out scenes from the test split only); captions and question/answer pairs are
generated from the cell labels by templates (ringmoe_torch/rsmoe/scenes.py). The vision encoder,
Q-Former, prefix projectors and the three expert decoders (theme, objects, relations) are trained
jointly: each expert learns its part of the caption and every expert learns the answers.

Writes to --out: rsmoe.safetensors (the emitters' tensor names and layouts), config.json,
tokenizer.json, tokenizer_config.json, metrics.json, golden.json (a golden scene: image, visual
tokens, first-step logits and greedy tokens per expert), heldout.json (held-out scenes: cell row
numbers, references, questions, and the template baselines) and decoder.theme.onnx (the theme
decoder exported by torch.onnx.export in the standard causal-LM I/O), pytorch-heldout.json (every
expert's greedy text on the first 100 held-out scenes). Unless --no-package, it then runs
tools/scripts/rsmoe-package.ts to assemble <model-dir>/package (default
models/rsmoe-statlog-tiny/package) and copies metrics, held-out scenes, golden and PyTorch outputs
beside it. --package-from RUN_DIR and --eval-from RUN_DIR redo those steps for a finished run.
"""
import argparse
import collections
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F

from ..rsmoe import scenes as S
from ..rsmoe.model import RsMoeTiny
from ..rsmoe.text import WordTokenizer, build_vocabulary, route, tokenizer_config_json, tokenizer_json
from ..checkpoint import read_safetensors, write_safetensors
from ..statlog import load_statlog
from ..train_utils import Timer, cosine_lr, dump_json, seed_all, single_thread

NAME = 'rsmoe-statlog-tiny'
# The SDK's optical preprocessing: RGB / 255, ImageNet mean/std.
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
ROLES = ['theme', 'objects', 'relations']


def config(args):
    return {
        'name': NAME,
        'inputSize': S.SCENE_PX,
        'vision': {'patch': S.CELL_PX, 'dim': args.dim, 'layers': args.vision_layers, 'heads': 2, 'hidden': 2 * args.dim},
        'qformer': {'queries': args.queries, 'heads': args.qformer_heads, 'hidden': 2 * args.dim},
        'decoder': {'dim': args.dim, 'layers': args.layers, 'heads': 2, 'hidden': 2 * args.dim, 'maxPositions': 64},
        'maxInstructionTokens': 16,
        'experts': [{'id': r, 'role': r} for r in ROLES],
    }


def parse(argv):
    p = argparse.ArgumentParser(prog='rsmoe', description=__doc__.splitlines()[0])
    p.add_argument('--smoke', action='store_true', help='a few steps on a few scenes (about a minute); still writes every output and a package')
    p.add_argument('--out', default=None, help='output folder (default runs/rsmoe, smoke: runs/rsmoe-smoke)')
    p.add_argument('--model-dir', default=None, help='model folder: the package in <model-dir>/package plus metrics, held-out scenes, golden and PyTorch outputs (default ../models/rsmoe-statlog-tiny, smoke: <out>/model)')
    p.add_argument('--no-package', action='store_true', help='do not assemble the package')
    p.add_argument('--package-from', default=None, metavar='RUN_DIR', help='no training: assemble --model-dir from a finished run folder')
    p.add_argument('--eval-from', default=None, metavar='RUN_DIR', help='no training: recompute the PyTorch held-out outputs of a finished run (writes RUN_DIR/pytorch-heldout.json)')
    p.add_argument('--steps', type=int, default=2000)
    p.add_argument('--batch', type=int, default=48)
    p.add_argument('--lr', type=float, default=3e-3)
    p.add_argument('--weight-decay', type=float, default=0.01)
    p.add_argument('--train-scenes', type=int, default=12000)
    p.add_argument('--heldout-scenes', type=int, default=200)
    p.add_argument('--dim', type=int, default=64)
    p.add_argument('--layers', type=int, default=2)
    p.add_argument('--vision-layers', type=int, default=1)
    p.add_argument('--queries', type=int, default=8)
    p.add_argument('--qformer-heads', type=int, default=2)
    p.add_argument('--pos-std', type=float, default=0.02, help='initial std of the vision encoder\'s learned positions')
    p.add_argument('--seed', type=int, default=0)
    return p.parse_args(argv)


def normalise(images):
    """uint8 [N,H,W,3] → float32 [N,3,H,W] as the SDK's optical preprocessing gives it."""
    x = (images.astype(np.float32) / 255.0 - MEAN) / STD
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


def samples_of(scene):
    """(task, text for the Q-Former, {role: target text}) per training sample of a scene."""
    parts = S.caption_parts(scene['dominant'], scene['secondary'])
    out = [('caption', S.CAPTION_INSTRUCTION, parts)]
    for _, q, a in scene['qa']:
        out.append(('vqa', q, {r: a for r in ROLES}))
    return out


class Batcher:
    """Token tensors of a batch of samples: the Q-Former instruction and one sequence per expert."""

    def __init__(self, tok, cfg):
        self.tok, self.L = tok, cfg['maxInstructionTokens']

    def instruction(self, texts):
        ids = torch.full((len(texts), self.L), self.tok.pad, dtype=torch.long)
        mask = torch.zeros((len(texts), self.L), dtype=torch.long)
        for i, t in enumerate(texts):
            e = self.tok.encode(' '.join(t.strip().lower().split()))[:self.L]
            ids[i, :len(e)] = torch.tensor(e)
            mask[i, :len(e)] = 1
        return ids, mask

    def sequences(self, role, tasks, texts, targets):
        """Right-padded [BOS]+prompt+target+[EOS]; labels −100 except on target and EOS."""
        seqs, labels = [], []
        for task, text, tgt in zip(tasks, texts, targets):
            prompt = [self.tok.bos] + self.tok.encode(route(role, task, text))
            answer = self.tok.encode(tgt) + [self.tok.eos]
            seqs.append(prompt + answer)
            labels.append([-100] * len(prompt) + answer)
        T = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), T), self.tok.pad, dtype=torch.long)
        lab = torch.full((len(seqs), T), -100, dtype=torch.long)
        for i, (s, l) in enumerate(zip(seqs, labels)):
            ids[i, :len(s)] = torch.tensor(s)
            lab[i, :len(l)] = torch.tensor(l)
        return ids, lab


def expert_loss(model, role, visual, ids, labels):
    past = model.prefix(role, visual)
    B, T = ids.shape
    Q = visual.shape[1]
    mask = torch.ones((B, Q + T), dtype=torch.long)
    pos = torch.arange(T).unsqueeze(0).expand(B, T)
    logits, _ = model.decoder(role, ids, mask, pos, past)
    return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1), ignore_index=-100)


@torch.no_grad()
def greedy(model, role, visual, prompt, tok, max_tokens=24):
    """Greedy decoding of one sequence with the KV cache, as the SDK does it."""
    past = model.prefix(role, visual)
    Q = visual.shape[1]
    ids = torch.tensor([prompt])
    out, first_logits = [], None
    total = Q + len(prompt)
    mask = torch.ones((1, total), dtype=torch.long)
    pos = torch.arange(len(prompt)).unsqueeze(0)
    logits, past = model.decoder(role, ids, mask, pos, past)
    first_logits = logits[0, -1].clone()
    for _ in range(max_tokens):
        nxt = int(torch.argmax(logits[0, -1]))
        if nxt == tok.eos:
            break
        out.append(nxt)
        total += 1
        logits, past = model.decoder(role, torch.tensor([[nxt]]), torch.ones((1, total), dtype=torch.long),
                                     torch.tensor([[total - Q - 1]]), past)
    return out, first_logits


def words(s):
    return ' '.join(s.replace('.', ' ').replace(',', ' ').replace(':', ' ').split())


@torch.no_grad()
def evaluate(model, tok, batcher, scenes_, images, limit):
    """Greedy PyTorch outputs on the first `limit` held-out scenes: the exact-match rate of each
    expert's caption part and of the voted answers, and every expert's text per sample (the SDK's
    outputs are compared with these by tools/rsmoe/evaluate-trained.ts)."""
    model.eval()
    parts_ok = collections.Counter()
    qa_ok, qa_n = 0, 0
    outputs = []
    for k, sc in enumerate(scenes_[:limit]):
        img = normalise(images[k:k + 1])
        rec = {'caption': None, 'vqa': []}
        for task, text, targets in samples_of(sc):
            ids, mask = batcher.instruction([text])
            visual = model.vision(img, ids, mask)
            outs = {}
            for r in ROLES:
                toks, _ = greedy(model, r, visual, [tok.bos] + tok.encode(route(r, task, text)), tok)
                outs[r] = tok.decode(toks)
            if task == 'caption':
                rec['caption'] = outs
                for r in ROLES:
                    parts_ok[r] += words(outs[r]) == words(targets[r])
            else:
                rec['vqa'].append({'question': text, 'experts': outs})
                votes = collections.Counter(words(o) for o in outs.values())
                qa_ok += votes.most_common(1)[0][0] == words(targets['theme'])
                qa_n += 1
        outputs.append(rec)
    model.train()
    n = min(limit, len(scenes_))
    return {'caption_part_exact': {r: parts_ok[r] / n for r in ROLES}, 'vqa_exact': qa_ok / max(1, qa_n), 'scenes': n}, outputs


def write_pytorch_outputs(path, outputs):
    dump_json(path, {'about': 'Greedy PyTorch outputs of every expert on the first held-out scenes (same order as heldout.json), max 24 new tokens.',
                     'scenes': outputs})


def heldout_record(sc):
    return {
        'rows': sc['rows'].tolist(),
        'labels': [[S.CLASS_NAMES[c] for c in row] for row in sc['labels'].tolist()],
        'caption': S.caption(sc['dominant'], sc['secondary']),
        'parts': S.caption_parts(sc['dominant'], sc['secondary']),
        'qa': [{'type': t, 'question': q, 'answer': a} for t, q, a in sc['qa']],
    }


def baselines(train_scenes):
    caps = collections.Counter(S.caption(s['dominant'], s['secondary']) for s in train_scenes)
    per_type = collections.defaultdict(collections.Counter)
    for s in train_scenes:
        for t, _, a in s['qa']:
            per_type[t][a] += 1
    return {'caption': caps.most_common(1)[0][0],
            'answers': {t: c.most_common(1)[0][0] for t, c in sorted(per_type.items())}}


class DecoderExport(torch.nn.Module):
    """One expert decoder with the standard causal-LM ONNX I/O (positional past/present tensors)."""

    def __init__(self, model, role):
        super().__init__()
        self.model, self.role = model, role

    def forward(self, input_ids, attention_mask, position_ids, *past):
        pairs = [(past[2 * i], past[2 * i + 1]) for i in range(len(past) // 2)]
        logits, present = self.model.decoder(self.role, input_ids, attention_mask, position_ids, pairs)
        return (logits, *[t for kv in present for t in kv])


def export_decoder(model, role, path):
    d = model.cfg['decoder']
    hd = d['dim'] // d['heads']
    n = d['layers']
    past = [torch.zeros(1, d['heads'], 3, hd) for _ in range(2 * n)]
    args = (torch.tensor([[1, 5]]), torch.ones(1, 5, dtype=torch.long), torch.tensor([[0, 1]]), *past)
    past_names = [f'past_key_values.{i}.{kv}' for i in range(n) for kv in ('key', 'value')]
    present_names = [f'present.{i}.{kv}' for i in range(n) for kv in ('key', 'value')]
    axes = {'input_ids': {0: 'batch', 1: 'sequence'}, 'attention_mask': {0: 'batch', 1: 'total'},
            'position_ids': {0: 'batch', 1: 'sequence'}, 'logits': {0: 'batch', 1: 'sequence'}}
    axes.update({p: {0: 'batch', 2: 'past'} for p in past_names})
    axes.update({p: {0: 'batch', 2: 'total'} for p in present_names})
    model.eval()
    torch.onnx.export(DecoderExport(model, role), args, path, input_names=['input_ids', 'attention_mask', 'position_ids', *past_names],
                      output_names=['logits', *present_names], dynamic_axes=axes, opset_version=17, do_constant_folding=True)


def _r(a):
    return [float(f'{v:.9g}') for v in np.asarray(a, dtype=np.float64).reshape(-1)]


MODEL_FILES = ['metrics.json', 'heldout.json', 'golden.json', 'pytorch-heldout.json']


def eval_from(run, limit):
    """Reloads a finished run's weights and rewrites its PyTorch held-out outputs."""
    with open(os.path.join(run, 'config.json')) as f:
        cfg = json.load(f)
    with open(os.path.join(run, 'heldout.json')) as f:
        held_file = json.load(f)
    vocab = build_vocabulary()
    tok = WordTokenizer(vocab)
    model = RsMoeTiny(cfg, len(vocab))
    tensors = read_safetensors(os.path.join(run, 'rsmoe.safetensors'))
    names = dict(model.p.named())
    if set(names) != set(tensors):
        raise SystemExit(f'E_CHECKPOINT_MISMATCH: {run}/rsmoe.safetensors does not hold the model\'s tensors')
    with torch.no_grad():
        for n, prm in names.items():
            prm.copy_(torch.from_numpy(np.array(tensors[n], dtype=np.float32)))
    X, y, _ = load_statlog()
    held = S.make_scenes(X, y, len(held_file['scenes']), 'test', held_file['seed'])
    if [h['rows'].tolist() for h in held] != [h['rows'] for h in held_file['scenes']]:
        raise SystemExit('E_DATASET: the regenerated held-out scenes differ from heldout.json')
    images = np.stack([S.render(X, h['rows']) for h in held])
    ev, outputs = evaluate(model, tok, Batcher(tok, cfg), held, images, limit)
    write_pytorch_outputs(os.path.join(run, 'pytorch-heldout.json'), outputs)
    print(f'rsmoe: held-out (PyTorch, greedy) caption parts exact {ev["caption_part_exact"]}, vqa exact {ev["vqa_exact"]:.3f}; wrote {run}/pytorch-heldout.json', flush=True)
    return 0


def main(argv=None):
    args = parse(argv)
    single_thread()
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # training/
    if args.eval_from:
        return eval_from(args.eval_from, 100)
    if args.package_from:
        return package_run(args.package_from, args.model_dir or os.path.join(here, '..', 'models', NAME), os.path.dirname(here))
    seed_all(args.seed)
    out = args.out or os.path.join(here, 'runs', 'rsmoe-smoke' if args.smoke else 'rsmoe')
    model_dir = args.model_dir or (os.path.join(out, 'model') if args.smoke else os.path.join(here, '..', 'models', NAME))
    if args.smoke:
        args.steps, args.train_scenes, args.heldout_scenes = 60, 400, 16
    os.makedirs(out, exist_ok=True)
    timer = Timer()

    X, y, _ = load_statlog()
    train_scenes = S.make_scenes(X, y, args.train_scenes, 'train', args.seed)
    held = S.make_scenes(X, y, args.heldout_scenes, 'test', args.seed + 1000)
    train_images = np.stack([S.render(X, s['rows']) for s in train_scenes])
    held_images = np.stack([S.render(X, s['rows']) for s in held])
    vocab = build_vocabulary()
    tok = WordTokenizer(vocab)
    cfg = config(args)
    batcher = Batcher(tok, cfg)
    samples = [(k, s) for k, sc in enumerate(train_scenes) for s in samples_of(sc)]
    print(f'rsmoe: {len(train_scenes)} training scenes ({len(samples)} samples), {len(held)} held-out scenes, vocabulary {len(vocab)}', flush=True)

    model = RsMoeTiny(cfg, len(vocab), seed=args.seed, pos_std=args.pos_std)
    nparams = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    rng = np.random.default_rng(args.seed)
    warmup = max(1, args.steps // 20)
    losses = []
    for step in range(args.steps):
        for g in opt.param_groups:
            g['lr'] = cosine_lr(step, args.steps, args.lr, warmup)
        pick = rng.integers(0, len(samples), size=args.batch)
        batch = [samples[i] for i in pick]
        img = normalise(train_images[[k for k, _ in batch]])
        tasks = [s[0] for _, s in batch]
        texts = [s[1] for _, s in batch]
        ids, mask = batcher.instruction(texts)
        visual = model.vision(img, ids, mask)
        loss = 0
        for r in ROLES:
            sid, lab = batcher.sequences(r, tasks, texts, [s[2][r] for _, s in batch])
            loss = loss + expert_loss(model, r, visual, sid, lab)
        loss = loss / len(ROLES)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(float(loss))
        if step % 100 == 0 or step == args.steps - 1:
            print(f'rsmoe: step {step + 1}/{args.steps} loss {np.mean(losses[-100:]):.4f} ({timer():.0f} s)', flush=True)

    train_time = timer()
    ev, outputs = evaluate(model, tok, batcher, held, held_images, 16 if args.smoke else 100)
    write_pytorch_outputs(os.path.join(out, 'pytorch-heldout.json'), outputs)
    print(f'rsmoe: held-out (PyTorch, greedy) caption parts exact {ev["caption_part_exact"]}, vqa exact {ev["vqa_exact"]:.3f}', flush=True)

    write_safetensors(os.path.join(out, 'rsmoe.safetensors'), collections.OrderedDict(model.tensors()), {'name': NAME, 'steps': args.steps, 'seed': args.seed})
    dump_json(os.path.join(out, 'config.json'), cfg)
    dump_json(os.path.join(out, 'tokenizer.json'), tokenizer_json(vocab))
    dump_json(os.path.join(out, 'tokenizer_config.json'), tokenizer_config_json(64))
    dump_json(os.path.join(out, 'heldout.json'), {
        'about': 'Held-out scenes: 4x4 mosaics of real Statlog Landsat MSS test-split patches (rows are 0-based row numbers of statlog_satellite.csv / .npz); captions and answers generated from the labels by templates.',
        'render': 'RGB = DN bands (4, 2, 1) as clip(2v - 54, 0, 255), each patch pixel repeated 4x4; 48x48',
        'seed': args.seed + 1000,
        'baseline': baselines(train_scenes),
        'scenes': [heldout_record(s) for s in held],
    })

    # Golden scene: held-out scene 0 captioned.
    model.eval()
    with torch.no_grad():
        img = normalise(held_images[:1])
        ids, mask = batcher.instruction([S.CAPTION_INSTRUCTION])
        visual = model.vision(img, ids, mask)
        experts = {}
        for r in ROLES:
            prompt = [tok.bos] + tok.encode(route(r, 'caption', S.CAPTION_INSTRUCTION))
            toks, first = greedy(model, r, visual, prompt, tok)
            experts[r] = {'prompt_ids': prompt, 'first_logits': _r(first), 'tokens': toks, 'text': tok.decode(toks)}
    dump_json(os.path.join(out, 'golden.json'), {
        'name': NAME, 'instruction': S.CAPTION_INSTRUCTION,
        'rows': held[0]['rows'].tolist(),
        'image_hwc_uint8': [int(v) for v in held_images[0].reshape(-1)],
        'input': {'shape': list(img.shape), 'data': _r(img)},
        'visual_tokens': {'shape': list(visual.shape), 'data': _r(visual)},
        'experts': experts,
    })
    export_decoder(model, 'theme', os.path.join(out, 'decoder.theme.onnx'))
    metrics = {'name': NAME, 'steps': args.steps, 'batch': args.batch, 'params': nparams, 'vocab': len(vocab),
               'train_seconds': round(train_time, 1), 'final_loss': float(np.mean(losses[-100:])), 'heldout_pytorch': ev,
               'train_scenes': len(train_scenes), 'heldout_scenes': len(held), 'smoke': args.smoke}
    dump_json(os.path.join(out, 'metrics.json'), metrics)
    print(f'rsmoe: {nparams} parameters, trained in {train_time:.0f} s; wrote {out}', flush=True)

    if not args.no_package:
        root = os.path.dirname(here)
        return package_run(out, model_dir, root)
    return 0


def package_run(out, model_dir, root):
    """Assembles <model_dir>/package from the run folder and copies the run's records beside it."""
    os.makedirs(model_dir, exist_ok=True)
    cmd = ['npx', 'tsx', os.path.join('tools', 'scripts', 'rsmoe-package.ts'), os.path.abspath(out), '-o', os.path.abspath(os.path.join(model_dir, 'package')), '--force']
    print('rsmoe: ' + ' '.join(cmd), flush=True)
    r = subprocess.run(cmd, cwd=root)
    if r.returncode != 0:
        print('rsmoe: E_PACKAGE: assembling the package failed', file=sys.stderr)
        return 1
    for f in MODEL_FILES:
        shutil.copyfile(os.path.join(out, f), os.path.join(model_dir, f))
    print(f'rsmoe: wrote {os.path.abspath(model_dir)}', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
