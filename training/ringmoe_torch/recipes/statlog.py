"""Supervised recipe `statlog`: the multispectral path of RingMoE trained on Statlog Landsat MSS.

python3 -m ringmoe_torch.recipes.statlog [--smoke] [--out DIR] [--epochs N] …  (run from training/)

Writes to --out: checkpoint/<name>.ckpt + .safetensors (released names), torch-config.json,
routing-stats.json, metrics.json; the written config to --config-out; golden outputs to --golden.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

from ..config import ModelConfig
from ..model import RingMoE, switch_aux_loss
from ..checkpoint import load_into, read_safetensors
from ..statlog import MEAN, N_TRAIN, STD, augment_indexed, band_stats, dihedral, load_statlog, preprocess
from ..train_utils import (Timer, cosine_lr, dump_json, evaluate, golden, routing_summary, save_checkpoints,
                           seed_all, single_thread)

MODALITY = 'multispectral'


def parse(argv):
    p = argparse.ArgumentParser(prog='statlog', description=__doc__.splitlines()[0])
    p.add_argument('--smoke', action='store_true', help='a few steps on a tiny subset (about a minute); still writes a checkpoint')
    p.add_argument('--out', default=None, help='output folder (default: ../models/ringmoe-statlog-ms, smoke: runs/statlog-smoke)')
    p.add_argument('--golden', default=None, help='golden outputs JSON (default: golden/<name>.json; smoke: <out>/golden.json)')
    p.add_argument('--config-out', default=None, help='written config JSON (default: configs/statlog-ms.json; smoke: <out>/config.json)')
    p.add_argument('--preprocessing-out', default=None,
                   help='written package preprocessing JSON for convert --preprocessing (default: configs/statlog-ms.preprocessing.json; smoke: <out>/preprocessing.json)')
    p.add_argument('--epochs', type=int, default=60)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--lr', type=float, default=2e-3)
    p.add_argument('--weight-decay', type=float, default=0.05)
    p.add_argument('--warmup-epochs', type=float, default=3)
    p.add_argument('--label-smoothing', type=float, default=0.1)
    p.add_argument('--aux-weight', type=float, default=0.001, help='Switch load-balancing loss weight')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--embed-dim', type=int, default=32)
    p.add_argument('--input-size', type=int, default=24)
    p.add_argument('--ema', type=float, default=0.0,
                   help='exponential moving average of the weights with this decay (e.g. 0.999); 0 = off. The averaged weights are the ones saved and evaluated at the end')
    p.add_argument('--drop-path', type=float, default=0.0,
                   help='stochastic depth rate of the last block (linearly less in earlier blocks; training only)')
    p.add_argument('--band-stats', choices=['sdk', 'train'], default='sdk',
                   help="normalisation: 'sdk' = the SDK's multispectral constants, 'train' = per-band mean/std of the training patches")
    p.add_argument('--val-rows', type=int, default=0,
                   help='hold out this many training rows (seeded) as a validation split and keep the epoch with the best '
                        'validation accuracy (ties: the later); the test split is never used for selection')
    p.add_argument('--teachers', default=None,
                   help='comma-separated trained model folders (torch-config.json + checkpoint/*.safetensors): distil from '
                        'the average of their softened predictions on the same augmented patch')
    p.add_argument('--distill-alpha', type=float, default=0.7, help='weight of the distillation term (the rest: cross-entropy)')
    p.add_argument('--distill-temp', type=float, default=2.0, help='softmax temperature of the distillation term')
    p.add_argument('--ckpt-split', type=int, default=1, help='store head.cls.fc.weight as this many .ckpt Values (exercises readers)')
    return p.parse_args(argv)


def teacher_probs(folders, patches, mean, std, temp, xte, yte_t):
    """Average softened class probabilities of the teachers for every dihedral variant of every patch:
    float32 [8, N, K]. Prints each teacher's and the ensemble's test accuracy."""
    out = None
    ens_test = None
    for folder in folders:
        tcfg = ModelConfig.from_json(json.load(open(os.path.join(folder, 'torch-config.json'))))
        teacher = RingMoE(tcfg)
        ckpt = [f for f in os.listdir(os.path.join(folder, 'checkpoint')) if f.endswith('.safetensors')]
        load_into(teacher, read_safetensors(os.path.join(folder, 'checkpoint', ckpt[0])))
        teacher.eval()
        acc, logits, _ = evaluate(teacher, xte, yte_t, MODALITY)
        ens_test = logits.softmax(1) if ens_test is None else ens_test + logits.softmax(1)
        print(f'[statlog] teacher {folder}: {sum(p.numel() for p in teacher.parameters())} parameters, test {acc:.4f}', flush=True)
        with torch.no_grad():
            per = torch.stack([evaluate(teacher, preprocess(dihedral(patches, v), tcfg.input_size, mean, std),
                                        torch.zeros(len(patches), dtype=torch.long), MODALITY)[1] for v in range(8)])
        p = (per / temp).softmax(-1)
        out = p if out is None else out + p
    ens_acc = (ens_test.argmax(1) == yte_t).float().mean().item()
    print(f'[statlog] teacher ensemble ({len(folders)}): test {ens_acc:.4f}', flush=True)
    return out / len(folders), ens_acc


def main(argv=None):
    args = parse(argv)
    single_thread()
    seed_all(args.seed)
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # training/
    name = 'ringmoe-statlog-ms'
    out = args.out or os.path.join(here, 'runs', 'statlog-smoke' if args.smoke else 'statlog')
    golden_path = args.golden or (os.path.join(out, 'golden.json') if args.smoke else os.path.join(here, 'golden', f'{name}.json'))
    config_out = args.config_out or (os.path.join(out, 'config.json') if args.smoke else os.path.join(here, 'configs', 'statlog-ms.json'))

    X, y, labels = load_statlog()
    xtr_raw, ytr = X[:N_TRAIN], y[:N_TRAIN]
    xte_raw, yte = X[N_TRAIN:], y[N_TRAIN:]
    epochs = args.epochs
    xva_raw = yva = None
    if args.val_rows > 0:
        perm = np.random.default_rng(args.seed + 7).permutation(len(xtr_raw))
        va_idx, tr_idx = np.sort(perm[:args.val_rows]), np.sort(perm[args.val_rows:])
        xva_raw, yva = xtr_raw[va_idx], ytr[va_idx]
        xtr_raw, ytr = xtr_raw[tr_idx], ytr[tr_idx]
    if args.smoke:
        rng0 = np.random.default_rng(args.seed)
        tr_idx = rng0.choice(len(xtr_raw), 256, replace=False)
        te_idx = rng0.choice(len(xte_raw), 200, replace=False)
        xtr_raw, ytr, xte_raw, yte = xtr_raw[tr_idx], ytr[tr_idx], xte_raw[te_idx], yte[te_idx]
        epochs = 2

    cfg = ModelConfig(name=name, input_size=args.input_size, embed_dim=args.embed_dim, labels=labels)
    model = RingMoE(cfg)
    params = sum(p.numel() for p in model.parameters())
    blocks = [blk for stage in model.encoder.layers for blk in stage.blocks]
    for i, blk in enumerate(blocks):
        blk.drop_path = args.drop_path * (i + 1) / len(blocks)
    print(f'[statlog] {name}: {params} parameters, train {len(xtr_raw)}, test {len(xte_raw)}, epochs {epochs}, seed {args.seed}', flush=True)

    mean, std = (MEAN, STD) if args.band_stats == 'sdk' else band_stats(xtr_raw)
    print(f'[statlog] normalisation ({args.band_stats}): mean {np.round(mean, 2).tolist()} std {np.round(std, 2).tolist()}', flush=True)
    xte = preprocess(xte_raw, cfg.input_size, mean, std)
    xtr_eval = preprocess(xtr_raw, cfg.input_size, mean, std)
    xva = preprocess(xva_raw, cfg.input_size, mean, std) if xva_raw is not None else None
    yva_t = torch.from_numpy(yva) if yva is not None else None
    best = None  # (val_acc, epoch, state) when --val-rows
    yte_t, ytr_t = torch.from_numpy(yte), torch.from_numpy(ytr)
    soft = None
    teacher_ens_acc = None
    if args.teachers:
        folders = [f for f in args.teachers.split(',') if f]
        soft, teacher_ens_acc = teacher_probs(folders, xtr_raw, mean, std, args.distill_temp, xte, yte_t)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    steps_per_epoch = (len(xtr_raw) + args.batch - 1) // args.batch
    total = steps_per_epoch * epochs
    warmup = int(args.warmup_epochs * steps_per_epoch) if not args.smoke else 2
    rng = np.random.default_rng(args.seed + 1)
    timer = Timer()
    ema = {k: v.detach().clone() for k, v in model.state_dict().items()} if args.ema > 0 else None
    history = []
    step = 0
    for ep in range(epochs):
        model.train()
        order = rng.permutation(len(xtr_raw))
        tot_loss = tot_aux = correct = seen = 0.0
        for b in range(steps_per_epoch):
            idx = order[b * args.batch:(b + 1) * args.batch]
            xa, variant = augment_indexed(xtr_raw[idx], rng)
            xb = preprocess(xa, cfg.input_size, mean, std)
            yb = torch.from_numpy(ytr[idx])
            for g in opt.param_groups:
                g['lr'] = cosine_lr(step, total, args.lr, warmup)
            res = model(xb, MODALITY)
            ce = F.cross_entropy(res['cls_logits'], yb, label_smoothing=args.label_smoothing)
            if soft is not None:
                t = args.distill_temp
                target = soft[torch.from_numpy(variant), torch.from_numpy(idx)]
                kd = F.kl_div(F.log_softmax(res['cls_logits'] / t, 1), target, reduction='batchmean') * t * t
                ce = (1 - args.distill_alpha) * ce + args.distill_alpha * kd
            aux = switch_aux_loss(res['routing'])
            loss = ce + args.aux_weight * aux
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            step += 1
            if ema is not None:
                with torch.no_grad():
                    for k, v in model.state_dict().items():
                        if v.dtype.is_floating_point:
                            ema[k].mul_(args.ema).add_(v.detach(), alpha=1 - args.ema)
                        else:
                            ema[k].copy_(v)
            tot_loss += ce.item() * len(idx)
            tot_aux += float(aux) * len(idx)
            correct += (res['cls_logits'].argmax(1) == yb).sum().item()
            seen += len(idx)
        test_acc, _, _ = evaluate(model, xte, yte_t, MODALITY)
        rec = dict(epoch=ep + 1, loss=round(tot_loss / seen, 4), aux=round(tot_aux / seen, 4), train_acc_aug=round(correct / seen, 4),
                   test_acc=round(test_acc, 4), seconds=round(timer(), 1))
        if ema is not None:
            live = {k: v.detach().clone() for k, v in model.state_dict().items()}
            model.load_state_dict(ema)
            rec['test_acc_ema'] = round(evaluate(model, xte, yte_t, MODALITY)[0], 4)
            model.load_state_dict(live)
        if xva is not None:
            live = {k: v.detach().clone() for k, v in model.state_dict().items()}
            chosen = ema if ema is not None else live
            model.load_state_dict(chosen)
            rec['val_acc'] = round(evaluate(model, xva, yva_t, MODALITY)[0], 4)
            model.load_state_dict(live)
            if best is None or rec['val_acc'] >= best[0]:
                best = (rec['val_acc'], ep + 1, {k: v.clone() for k, v in chosen.items()})
        history.append(rec)
        print(f"[statlog] epoch {rec['epoch']}/{epochs} loss {rec['loss']} aux {rec['aux']} train(aug) {rec['train_acc_aug']} test {rec['test_acc']}"
              + (f" ema {rec['test_acc_ema']}" if ema is not None else '')
              + (f" val {rec['val_acc']}" if 'val_acc' in rec else '') + f" {rec['seconds']}s", flush=True)

    if best is not None:
        model.load_state_dict(best[2])
        print(f'[statlog] selected epoch {best[1]} by validation accuracy {best[0]:.4f} ({len(yva)} held-out training rows)', flush=True)
    elif ema is not None:
        model.load_state_dict(ema)

    train_acc, _, tr_choices = evaluate(model, xtr_eval, ytr_t, MODALITY)
    test_acc, test_logits, te_choices = evaluate(model, xte, yte_t, MODALITY)
    wall = timer()
    print(f'[statlog] final: train {train_acc:.4f} test {test_acc:.4f} in {wall:.0f}s', flush=True)

    meta = {'recipe': 'statlog', 'name': name, 'seed': str(args.seed), 'epochs': str(epochs), 'test_acc': f'{test_acc:.4f}',
            'format': 'released RingMoE names (MODEL-CONTRACT.md)'}
    split = {'head.cls.fc.weight': args.ckpt_split} if args.ckpt_split > 1 else None
    sizes = save_checkpoints(model, os.path.join(out, 'checkpoint'), name, meta, split=split)
    dump_json(os.path.join(out, 'torch-config.json'), cfg.to_json())
    dump_json(config_out, cfg.written_config())
    preprocessing_out = args.preprocessing_out or (os.path.join(out, 'preprocessing.json') if args.smoke else os.path.join(here, 'configs', 'statlog-ms.preprocessing.json'))
    declared = {'stretch': 'none', 'interpolation': 'nearest', 'fit': 'resize'}
    if args.band_stats == 'train':
        declared['normalise'] = {'mean': [float(v) for v in mean], 'std': [float(v) for v in std]}
    dump_json(preprocessing_out, {'multispectral': declared})
    routing = {'train': routing_summary(model, tr_choices, ytr_t, labels), 'test': routing_summary(model, te_choices, yte_t, labels)}
    dump_json(os.path.join(out, 'routing-stats.json'), routing)
    # Golden: the first two test rows of every class.
    gi = np.concatenate([np.nonzero(yte == k)[0][:2] for k in range(len(labels))])
    gold = golden(model, xte_raw[gi], xte[gi], yte[gi], MODALITY, labels,
                  {'model': name, 'checkpoint': f'{name}.safetensors', 'preprocessing': 'nearest x%d, (v-mean)/std, stretch none' % (cfg.input_size // 3),
                   'mean': [float(v) for v in mean], 'std': [float(v) for v in std],
                   'test_rows': [int(N_TRAIN + i) if not args.smoke else -1 for i in gi]})
    dump_json(golden_path, gold)
    confusion = np.zeros((len(labels), len(labels)), dtype=int)
    for t, p in zip(yte, test_logits.argmax(1).numpy()):
        confusion[t, p] += 1
    metrics = dict(name=name, recipe='statlog', smoke=args.smoke, seed=args.seed, params=params, epochs=epochs,
                   train_acc=round(train_acc, 4), test_acc=round(test_acc, 4), wall_seconds=round(wall, 1),
                   val_rows=len(yva) if yva is not None else 0, selected_epoch=best[1] if best is not None else epochs,
                   val_acc=best[0] if best is not None else None, teacher_ensemble_test_acc=teacher_ens_acc,
                   checkpoint_bytes=sizes, args=vars(args), history=history, labels=labels, test_confusion=confusion.tolist(),
                   command=' '.join(['python3', '-m', 'ringmoe_torch.recipes.statlog'] + (argv if argv is not None else sys.argv[1:])))
    dump_json(os.path.join(out, 'metrics.json'), metrics)
    print(json.dumps({'out': out, 'train_acc': metrics['train_acc'], 'test_acc': metrics['test_acc'], 'params': params, 'checkpoint_bytes': sizes}), flush=True)
    return metrics


if __name__ == '__main__':
    main()
