"""Python checks of the checkpoint writers/readers and of the module against the contract:
python3 -m unittest discover -s tests -t .   (from training/)"""
import os
import tempfile
import unittest

import numpy as np
import torch

from ringmoe_torch.checkpoint import checkpoint_tensors, load_into, read_ckpt, read_safetensors, write_ckpt, write_safetensors
from ringmoe_torch.config import ModelConfig
from ringmoe_torch.model import RingMoE
from tests.contract_reference import forward, to_package


def _model(seed, **kw):
    torch.manual_seed(seed)
    cfg = ModelConfig(labels=['a', 'b', 'c'], **kw)
    m = RingMoE(cfg)
    # Spread the parameters so routers pick different experts and LayerNorms are not identity.
    with torch.no_grad():
        for p in m.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    return m.eval()


class CheckpointRoundTrip(unittest.TestCase):
    def test_ckpt_and_safetensors_round_trip_with_split_values(self):
        m = _model(0)
        t = checkpoint_tensors(m)
        self.assertFalse(any('relative_position_index' in k or 'attn_mask' in k for k in t))
        with tempfile.TemporaryDirectory() as d:
            write_ckpt(os.path.join(d, 'm.ckpt'), t, split={'head.cls.fc.weight': 3, 'encoder.layers.0.blocks.0.mlp.cross_ffn.mapping.weight': 2})
            write_safetensors(os.path.join(d, 'm.safetensors'), t, {'k': 'v'})
            for back in (read_ckpt(os.path.join(d, 'm.ckpt')), read_safetensors(os.path.join(d, 'm.safetensors'))):
                self.assertEqual(list(back), list(t))
                for k in t:
                    np.testing.assert_array_equal(back[k], t[k])
            m2 = _model(1)
            load_into(m2, read_ckpt(os.path.join(d, 'm.ckpt')))
            x = torch.randn(2, 4, 24, 24)
            np.testing.assert_array_equal(m(x, 'multispectral')['cls_logits'].detach().numpy(), m2(x, 'multispectral')['cls_logits'].detach().numpy())

    def test_ckpt_reader_accepts_packed_dims(self):
        # TensorProto with packed dims (field 1, wire 2) as some writers emit it.
        from ringmoe_torch.checkpoint import _field, _varint
        arr = np.arange(6, dtype=np.float32).reshape(2, 3)
        tp = _field(1, 2, _varint(2) + _varint(3)) + _field(2, 2, b'Float32') + _field(3, 2, arr.tobytes())
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, 'p.ckpt')
            with open(path, 'wb') as f:
                f.write(_field(1, 2, _field(1, 2, b'w') + _field(2, 2, tp)))
            np.testing.assert_array_equal(read_ckpt(path)['w'], arr)


class MatchesContract(unittest.TestCase):
    def _check(self, m, modality, channels):
        x = torch.randn(3, channels, m.cfg.input_size, m.cfg.input_size)
        with torch.no_grad():
            out = m(x, modality)
        pkg = to_package(checkpoint_tensors(m), m.cfg)
        emb, logits, feats = forward(pkg, m.cfg, x.numpy().astype(np.float64), modality)
        self.assertLess(np.abs(out['embedding'].numpy() - emb).max(), 1e-4)
        self.assertLess(np.abs(out['cls_logits'].numpy() - logits).max(), 1e-4)
        for f, g, r in zip(out['features'], m.encoder.geo, feats):
            nchw = f.view(3, g['size'], g['size'], g['dim']).permute(0, 3, 1, 2).numpy()
            self.assertLess(np.abs(nchw - r).max(), 1e-4)
        # Routing is not degenerate in this check (several experts chosen somewhere).
        used = set()
        for blk in out['routing']:
            for grp, (c, _) in blk.items():
                used.update((grp, int(v)) for v in c.unique())
        self.assertGreater(len(used), 2)

    def test_statlog_geometry_single_modality(self):
        self._check(_model(2), 'multispectral', 4)

    def test_multi_modality_three_stages_with_shift(self):
        m = _model(3, modalities=['optical', 'multispectral'], input_size=48, depths=[2, 2, 2], heads=[2, 2, 4])
        names = [n for n, _ in m.named_parameters()]
        self.assertIn('encoder.patch_embed0.projection.weight', names)
        self.assertIn('encoder.layers.0.blocks.0.mlp.special_ffn.3.mapping.weight', names)
        self.assertIn('encoder.layers.0.blocks.0.mlp.special_router.0.dense.weight', names)
        self._check(m, 'optical', 3)
        self._check(m, 'multispectral', 4)


if __name__ == '__main__':
    unittest.main()
