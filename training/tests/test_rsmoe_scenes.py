"""The RS-MoE scenes and their generated text: a label grid gives back the layout it was built
from, every generated caption part, question and answer is in the vocabulary (no [UNK]), the
renderer's false colour and 4x4 pixel repetition, and a cached greedy step equals full
recomputation in the PyTorch module."""
import unittest

import numpy as np
import torch

from ringmoe_torch.rsmoe import scenes as S
from ringmoe_torch.rsmoe.model import RsMoeTiny
from ringmoe_torch.rsmoe.text import WordTokenizer, build_vocabulary, route


class Scenes(unittest.TestCase):
    def test_layouts_round_trip_and_text_is_in_vocabulary(self):
        rng = np.random.default_rng(0)
        tok = WordTokenizer(build_vocabulary())
        n_sec = set()
        for _ in range(300):
            dominant, secondary = S.sample_layout(rng)
            n_sec.add(len(secondary))
            self.assertEqual(S.scene_facts(S.cell_labels(dominant, secondary)), (dominant, secondary))
            texts = list(S.caption_parts(dominant, secondary).values())
            for _, q, a in S.questions(dominant, secondary, rng):
                texts += [q, a]
                for role in ('theme', 'objects', 'relations'):
                    texts.append(route(role, 'vqa', q))
            for t in texts:
                self.assertNotIn(tok.unk, tok.encode(t), t)
                self.assertEqual(tok.decode(tok.encode(t)), ' '.join(t.split()))
        self.assertEqual(n_sec, {0, 1, 2})

    def test_render_false_colour_and_repetition(self):
        X = np.zeros((2, 3, 3, 4), dtype=np.uint8)
        X[1, 0, 2] = [10, 40, 0, 200]  # bands 1, 2, 3, 4 of pixel (0, 2) of row 1
        rows = np.zeros((4, 4), dtype=np.int64)
        rows[2, 3] = 1
        img = S.render(X, rows)
        self.assertEqual(img.shape, (48, 48, 3))
        # cell (2, 3), pixel (0, 2) → image rows 24..27, columns 36 + 8..11
        want = [min(255, 2 * 200 - 54), 2 * 40 - 54, 0]
        self.assertTrue((img[24:28, 44:48] == want).all())
        self.assertTrue((img[28:32, 44:48] == 0).all())
        self.assertTrue((img[:24] == 0).all())


class CachedDecoding(unittest.TestCase):
    def test_cached_step_equals_full_recomputation(self):
        cfg = {'inputSize': 48, 'vision': {'patch': 12, 'dim': 16, 'layers': 1, 'heads': 2, 'hidden': 32},
               'qformer': {'queries': 4, 'heads': 2, 'hidden': 32},
               'decoder': {'dim': 16, 'layers': 2, 'heads': 2, 'hidden': 32, 'maxPositions': 32},
               'maxInstructionTokens': 8, 'experts': [{'id': 'theme', 'role': 'theme'}]}
        m = RsMoeTiny(cfg, 20, seed=3).eval()
        torch.manual_seed(0)
        with torch.no_grad():
            visual = m.vision(torch.randn(1, 3, 48, 48), torch.tensor([[5, 6, 0, 0, 0, 0, 0, 0]]), torch.tensor([[1, 1, 0, 0, 0, 0, 0, 0]]))
            ids = torch.tensor([[1, 7, 8, 9]])
            full, _ = m.decoder('theme', ids, torch.ones(1, 8), torch.arange(4)[None], m.prefix('theme', visual))
            first, past = m.decoder('theme', ids[:, :3], torch.ones(1, 7), torch.arange(3)[None], m.prefix('theme', visual))
            step, _ = m.decoder('theme', ids[:, 3:], torch.ones(1, 8), torch.tensor([[3]]), past)
        self.assertLess(float((full[0, 3] - step[0, 0]).abs().max()), 1e-5)
        self.assertLess(float((full[0, :3] - first[0]).abs().max()), 1e-5)


if __name__ == '__main__':
    unittest.main()
