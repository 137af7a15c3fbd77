"""The dense collapses mirror tools/prune/dense-merge.ts: kc exact on sparse-upcycled blocks (every
expert a copy of one FFN), rank budget floor(h/n) per expert, dense names mlp.mapping/projection;
ks and ka (fold `auto`) exact on upcycled blocks, ks keeping units of the most-activated experts
only, ka folding aligned groups unit by unit."""
import copy
import unittest

import torch

from ringmoe_torch.checkpoint import checkpoint_tensors
import numpy as np

from ringmoe_torch.collapse import block_groups, collapse_model
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

    def _upcycle(self, m, noise=0.0):
        """Every expert a copy of the block's shared FFN (+ noise x N(0, 1) per element)."""
        with torch.no_grad():
            for s in m.encoder.layers:
                for b in s.blocks:
                    pub = b.mlp.public_ffn
                    for stack in (b.mlp.special_ffn, b.mlp.cross_ffn):
                        stack.mapping.weight.copy_(pub.mapping.weight.expand_as(stack.mapping.weight))
                        stack.mapping.bias.copy_(pub.mapping.bias.expand_as(stack.mapping.bias))
                        stack.projection.weight.copy_(pub.projection.weight.expand_as(stack.projection.weight))
                        stack.projection.bias.copy_(pub.projection.bias.expand_as(stack.projection.bias))
                        if noise:
                            for t in (stack.mapping.weight, stack.mapping.bias, stack.projection.weight, stack.projection.bias):
                                t.add_(torch.randn_like(t) * noise)
        return m

    def _same_outputs(self, m, dense):
        d = copy.deepcopy(m)
        d.collapse_to_dense(dense)
        x = torch.randn(3, 4, 24, 24)
        with torch.no_grad():
            return (m(x, 'multispectral')['cls_logits'] - d(x, 'multispectral')['cls_logits']).abs().max().item()

    def test_exact_on_upcycled_blocks(self):
        m = self._upcycle(self._model())
        dense, notes = collapse_model(m, 'multispectral', self._counts(m))
        self.assertIn('byte-identical experts merged', notes[0])
        self.assertLess(self._same_outputs(m, dense), 1e-4)

    def test_ks_ka_exact_on_upcycled_blocks(self):
        m = self._upcycle(self._model())
        for strategy in ('ks', 'ka'):
            dense, notes = collapse_model(m, 'multispectral', self._counts(m), strategy)
            self.assertIn('group FFNs are identical (sparse upcycling), folded exactly', notes[0])
            self.assertLess(self._same_outputs(m, dense), 1e-4, strategy)

    def test_ks_keeps_units_of_the_most_activated_experts(self):
        m = self._model()
        counts = self._counts(m)
        dense, notes = collapse_model(m, 'multispectral', counts, 'ks')
        self.assertIn('ks: most-activated expert per group; folded by keeping the 128 highest-importance hidden units', notes[0])
        # modal counts [3, 1, 0, 2] -> modal expert 0; collaborative [1, 1, 1, 1] -> expert 0 (lowest index); + the shared FFN
        ex = block_groups(m.encoder.layers[0].blocks[0].mlp, 'multispectral', counts[0])
        chosen = np.concatenate([ex[0][0][0][0], ex[1][0][0][0], ex[2][0][0][0]], 1).astype(np.float32)
        w1 = dense[(0, 0)][0].numpy()
        for j in range(w1.shape[1]):
            self.assertTrue((np.abs(chosen - w1[:, j:j + 1]).max(0) == 0).any(), f'unit {j}')

    def test_ka_folds_aligned_groups_unit_by_unit(self):
        m = self._upcycle(self._model(), noise=0.01)
        counts = self._counts(m)
        dense, notes = collapse_model(m, 'multispectral', counts, 'ka')
        self.assertIn('ka: frequency-weighted average per group; the 3 group FFNs folded unit by unit', notes[0])
        groups = block_groups(m.encoder.layers[0].blocks[0].mlp, 'multispectral', counts[0])
        avg = [sum(f / sum(freq) * ex[e][0] for e, f in enumerate(freq)) for ex, freq in groups]
        np.testing.assert_allclose(dense[(0, 0)][0].numpy(), sum(avg) / 3, atol=1e-6)
        # close to the MoE it came from (the experts differ by 1 % noise)
        self.assertLess(self._same_outputs(m, dense), 0.1)

    def test_unknown_strategy(self):
        m = self._model()
        with self.assertRaisesRegex(ValueError, 'E_STRATEGY'):
            collapse_model(m, 'multispectral', self._counts(m), 'ep')

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
