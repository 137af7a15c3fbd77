"""The KC collapse mirrors tools/prune/dense-merge.ts: exact on sparse-upcycled blocks (every
expert a copy of one FFN), rank budget floor(h/n) per expert, dense names mlp.mapping/projection."""
import copy
import unittest

import torch

from ringmoe_torch.checkpoint import checkpoint_tensors
from ringmoe_torch.collapse import collapse_model
from ringmoe_torch.config import ModelConfig
from ringmoe_torch.model import RingMoE


class KcCollapse(unittest.TestCase):
    def _model(self):
        torch.manual_seed(0)
        m = RingMoE(ModelConfig(labels=['a', 'b', 'c']))
        with torch.no_grad():
            for p in m.parameters():
                p.add_(torch.randn_like(p) * 0.1)
        return m.eval()

    def _counts(self, m):
        return [{'modal': [3, 1, 0, 2], 'collaborative': [1, 1, 1, 1]} for _ in range(sum(len(s.blocks) for s in m.encoder.layers))]

    def test_exact_on_upcycled_blocks(self):
        m = self._model()
        with torch.no_grad():
            for s in m.encoder.layers:
                for b in s.blocks:
                    pub = b.mlp.public_ffn
                    for stack in (b.mlp.special_ffn, b.mlp.cross_ffn):
                        stack.mapping.weight.copy_(pub.mapping.weight.expand_as(stack.mapping.weight))
                        stack.mapping.bias.copy_(pub.mapping.bias.expand_as(stack.mapping.bias))
                        stack.projection.weight.copy_(pub.projection.weight.expand_as(stack.projection.weight))
                        stack.projection.bias.copy_(pub.projection.bias.expand_as(stack.projection.bias))
        dense, notes = collapse_model(m, 'multispectral', self._counts(m))
        self.assertIn('byte-identical experts merged', notes[0])
        d = copy.deepcopy(m)
        d.collapse_to_dense(dense)
        x = torch.randn(3, 4, 24, 24)
        with torch.no_grad():
            self.assertLess((m(x, 'multispectral')['cls_logits'] - d(x, 'multispectral')['cls_logits']).abs().max().item(), 1e-4)

    def test_rank_budget_and_dense_names(self):
        m = self._model()
        dense, notes = collapse_model(m, 'multispectral', self._counts(m))
        self.assertIn('rank 14-15 each (hidden 128 / 9)', notes[0])
        w1, b1, w2, b2 = dense[(0, 0)]
        self.assertEqual(tuple(w1.shape), (32, 128))
        # 9 experts: ranks 15, 15, then 14 each = 128 columns; modal expert 2 (frequency 0, columns 30-43) gives zero W2 rows.
        self.assertEqual(float(w2[30:44].abs().sum()), 0.0)
        m.collapse_to_dense(dense)
        names = list(checkpoint_tensors(m))
        self.assertIn('encoder.layers.0.blocks.0.mlp.mapping.weight', names)
        self.assertIn('encoder.layers.1.blocks.1.mlp.projection.bias', names)
        self.assertFalse(any('special_ffn' in n or 'router' in n for n in names))


if __name__ == '__main__':
    unittest.main()
