"""Recipe `kc-statlog`: collapse every block of the trained Statlog MoE into one dense FFN the way
the pruner's `kc` strategy does (or `ks` / `ka` with `--strategy`; routing frequencies from the
training split as calibration), then distil from the MoE teacher (KL on temperature-softened
logits + MSE on the normed stage features) and report test accuracy before and after.

python3 -m ringmoe_torch.recipes.kc [--strategy kc|ks|ka] [--teacher DIR] [--out DIR] [--epochs N] [--smoke]   (from training/)

The dense checkpoint uses the released dense MLP names of models/layers/mlp.py (MindSpore Linear,
weights [in, out]): `encoder.layers.{i}.blocks.{j}.mlp.mapping.weight` [C, h], `.mapping.bias` [h],
`.mlp.projection.weight` [h, C], `.projection.bias` [C]; every other name as the MoE checkpoint.
"""
import argparse
import copy
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

from ..checkpoint import load_into, read_safetensors
from ..collapse import STRATEGIES, collapse_model
from ..config import ModelConfig
from ..model import RingMoE
from ..statlog import MEAN, N_TRAIN, STD, augment, load_statlog, preprocess
from ..train_utils import Timer, cosine_lr, dump_json, evaluate, golden, save_checkpoints, seed_all, single_thread

MODALITY = 'multispectral'


def parse(argv):
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    p = argparse.ArgumentParser(prog='kc-statlog', description=__doc__.splitlines()[0])
    p.add_argument('--teacher', default=os.path.join(here, '..', 'models', 'ringmoe-statlog-ms'),
                   help='folder with torch-config.json and checkpoint/<name>.safetensors (the statlog recipe output)')
    p.add_argument('--strategy', default='kc', choices=STRATEGIES, help='dense collapse as the pruner does it: kc (per-expert SVD), ks (most-activated expert per group), ka (frequency-weighted average per group); ks/ka fold the groups with --fold auto')
    p.add_argument('--out', default=None, help='output folder (default: ../models/<teacher>-<strategy>; smoke: runs/<strategy>-smoke)')
    p.add_argument('--golden', default=None)
    p.add_argument('--epochs', type=int, default=12)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--lr', type=float, default=5e-4)
    p.add_argument('--weight-decay', type=float, default=0.05)
    p.add_argument('--temperature', type=float, default=2.0)
    p.add_argument('--feature-weight', type=float, default=1.0, help='weight of the stage-feature MSE')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--smoke', action='store_true')
    return p.parse_args(argv), here


def load_teacher(folder):
    with open(os.path.join(folder, 'torch-config.json')) as f:
        cfg = ModelConfig.from_json(json.load(f))
    model = RingMoE(cfg)
    load_into(model, read_safetensors(os.path.join(folder, 'checkpoint', f'{cfg.name}.safetensors')))
    return model.eval()


def main(argv=None):
    args, here = parse(argv)
    single_thread()
    seed_all(args.seed)
    teacher = load_teacher(args.teacher)
    for p in teacher.parameters():
        p.requires_grad_(False)
    cfg = teacher.cfg
    tag = args.strategy
    name = f'{cfg.name}-{tag}'
    out = args.out or (os.path.join(here, 'runs', f'{tag}-smoke') if args.smoke else os.path.join(here, '..', 'models', name))
    golden_path = args.golden or (os.path.join(out, 'golden.json') if args.smoke else os.path.join(here, 'golden', f'{name}.json'))

    X, y, labels = load_statlog()
    xtr_raw, ytr, xte_raw, yte = X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:]
    epochs = args.epochs
    if args.smoke:
        r0 = np.random.default_rng(args.seed)
        a, b = r0.choice(len(xtr_raw), 256, replace=False), r0.choice(len(xte_raw), 200, replace=False)
        xtr_raw, ytr, xte_raw, yte = xtr_raw[a], ytr[a], xte_raw[b], yte[b]
        epochs = 1
    xtr, xte = preprocess(xtr_raw, cfg.input_size), preprocess(xte_raw, cfg.input_size)
    ytr_t, yte_t = torch.from_numpy(ytr), torch.from_numpy(yte)
    timer = Timer()

    t_train, _, choices = evaluate(teacher, xtr, ytr_t, MODALITY)
    t_test, _, _ = evaluate(teacher, xte, yte_t, MODALITY)
    counts = []
    for blk in choices:
        counts.append({g: torch.bincount(c.reshape(-1), minlength=(cfg.modal_experts if g == 'modal' else cfg.collaborative_experts)).tolist()
                       for g, c in blk.items()})
    dense, notes = collapse_model(teacher, MODALITY, counts, args.strategy)
    student = copy.deepcopy(teacher)
    student.collapse_to_dense(dense)
    for p in student.parameters():
        p.requires_grad_(True)
    s_train0, _, _ = evaluate(student, xtr, ytr_t, MODALITY)
    s_test0, _, _ = evaluate(student, xte, yte_t, MODALITY)
    print(f'[{tag}] teacher train {t_train:.4f} test {t_test:.4f}; collapsed (before distillation) train {s_train0:.4f} test {s_test0:.4f}', flush=True)
    for n in notes:
        print(f'[{tag}] {n}', flush=True)

    opt = torch.optim.AdamW(student.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    steps = (len(xtr_raw) + args.batch - 1) // args.batch
    total = steps * epochs
    rng = np.random.default_rng(args.seed + 1)
    T = args.temperature
    history, step = [], 0
    for ep in range(epochs):
        student.train()
        order = rng.permutation(len(xtr_raw))
        tk = tf = 0.0
        for b in range(steps):
            idx = order[b * args.batch:(b + 1) * args.batch]
            xb = preprocess(augment(xtr_raw[idx], rng), cfg.input_size)
            for g in opt.param_groups:
                g['lr'] = cosine_lr(step, total, args.lr, max(1, steps // 2))
            with torch.no_grad():
                to = teacher(xb, MODALITY)
            so = student(xb, MODALITY)
            kl = F.kl_div(F.log_softmax(so['cls_logits'] / T, 1), F.softmax(to['cls_logits'] / T, 1), reduction='batchmean') * T * T
            fm = sum(F.mse_loss(a, b) for a, b in zip(so['features'], to['features'])) / len(so['features'])
            loss = kl + args.feature_weight * fm
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(student.parameters(), 5.0)
            opt.step()
            step += 1
            tk += kl.item() * len(idx)
            tf += fm.item() * len(idx)
        acc, _, _ = evaluate(student, xte, yte_t, MODALITY)
        rec = dict(epoch=ep + 1, kl=round(tk / len(xtr_raw), 4), feature_mse=round(tf / len(xtr_raw), 4), test_acc=round(acc, 4), seconds=round(timer(), 1))
        history.append(rec)
        print(f"[{tag}] epoch {rec['epoch']}/{epochs} kl {rec['kl']} feature-mse {rec['feature_mse']} test {rec['test_acc']} {rec['seconds']}s", flush=True)

    s_train, _, _ = evaluate(student, xtr, ytr_t, MODALITY)
    s_test, logits, _ = evaluate(student, xte, yte_t, MODALITY)
    agree = (logits.argmax(1) == evaluate(teacher, xte, yte_t, MODALITY)[1].argmax(1)).float().mean().item()
    print(f'[{tag}] distilled: train {s_train:.4f} test {s_test:.4f} (agreement with teacher {agree:.4f}) in {timer():.0f}s', flush=True)
    student_cfg = dict(cfg.to_json(), name=name)
    sizes = save_checkpoints(student, os.path.join(out, 'checkpoint'), name,
                             {'recipe': 'kc-statlog', 'strategy': tag, 'name': name, 'teacher': cfg.name, 'layout': 'dense mlp.mapping/mlp.projection [in,out]'})
    dump_json(os.path.join(out, 'torch-config.json'), dict(student_cfg, dense_mlp=True))
    gi = np.concatenate([np.nonzero(yte == k)[0][:2] for k in range(len(labels))])
    dump_json(golden_path, golden(student, xte_raw[gi], xte[gi], yte[gi], MODALITY, labels,
                                  {'model': name, 'checkpoint': f'{name}.safetensors', 'dense_mlp': True, 'strategy': tag,
                                   'preprocessing': 'nearest x%d, (v-mean)/std, stretch none' % (cfg.input_size // 3),
                                   'mean': [float(v) for v in MEAN], 'std': [float(v) for v in STD],
                                   'test_rows': [int(N_TRAIN + i) if not args.smoke else -1 for i in gi]}))
    metrics = dict(name=name, recipe='kc-statlog', strategy=tag, smoke=args.smoke, seed=args.seed, epochs=epochs,
                   params=sum(p.numel() for p in student.parameters()), teacher_params=sum(p.numel() for p in teacher.parameters()),
                   teacher=dict(train_acc=round(t_train, 4), test_acc=round(t_test, 4)),
                   collapsed_before_distillation=dict(train_acc=round(s_train0, 4), test_acc=round(s_test0, 4)),
                   distilled=dict(train_acc=round(s_train, 4), test_acc=round(s_test, 4), teacher_agreement=round(agree, 4)),
                   calibration_counts=counts, notes=notes, wall_seconds=round(timer(), 1), checkpoint_bytes=sizes, history=history,
                   args={k: (os.path.relpath(v, here) if k in ('teacher', 'out', 'golden') and v else v) for k, v in vars(args).items()},
                   command=' '.join(['python3', '-m', 'ringmoe_torch.recipes.kc'] + (argv if argv is not None else sys.argv[1:])))
    dump_json(os.path.join(out, 'metrics.json'), metrics)
    print(json.dumps({'out': out, 'before': metrics['collapsed_before_distillation'], 'after': metrics['distilled'], 'checkpoint_bytes': sizes}), flush=True)
    return metrics


if __name__ == '__main__':
    main()
