"""Routing statistics of a trained Statlog model on the train and test splits (per block and router:
tokens per expert, overall and per class), written as <model>/routing-stats.json.

python3 -m ringmoe_torch.routing_report [--model DIR]   (from training/)"""
import argparse
import os

import torch

from .recipes.kc import load_teacher
from .statlog import N_TRAIN, load_statlog, preprocess
from .train_utils import dump_json, evaluate, routing_summary, single_thread


def main(argv=None):
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p = argparse.ArgumentParser(prog='routing_report', description=__doc__.splitlines()[0])
    p.add_argument('--model', default=os.path.join(here, '..', 'models', 'ringmoe-statlog-ms'))
    args = p.parse_args(argv)
    single_thread()
    model = load_teacher(args.model)
    X, y, labels = load_statlog()
    out = {'modality': 'multispectral', 'unit': 'tokens (stage 1: 36 per patch, stage 2: 9 per patch)'}
    for split, sl in (('train', slice(0, N_TRAIN)), ('test', slice(N_TRAIN, None))):
        yt = torch.from_numpy(y[sl])
        acc, _, choices = evaluate(model, preprocess(X[sl], model.cfg.input_size), yt, 'multispectral')
        out[split] = dict(accuracy=round(acc, 4), patches=int(len(yt)), blocks=routing_summary(model, choices, yt, labels))
    dump_json(os.path.join(args.model, 'routing-stats.json'), out)
    for name, blk in out['test']['blocks'].items():
        print(name, {g: dict(share=v['share'], entropy=v['entropy_nats'], class_mi=v['class_mutual_information_nats']) for g, v in blk.items() if g != 'package_block'})


if __name__ == '__main__':
    main()
