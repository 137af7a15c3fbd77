"""Resolved architecture config for the PyTorch side: the subset of tools/ringmoe/config.ts that
the trunk needs, plus the stage geometry rule (window clipped to the feature size, odd blocks
shifted by floor(w/2) when the window is smaller than the feature map)."""
import json
from dataclasses import dataclass, field, asdict
from typing import List

# Modality index in the released checkpoint order (encoder.patch_embed{m}, mlp.special_ffn.{m}).
RELEASED_MODALITY_INDEX = {'optical': 0, 'sar-l1': 1, 'sar-l2': 2, 'multispectral': 3}
MODALITY_CHANNELS = {'optical': 3, 'sar-l1': 8, 'sar-l2': 3, 'multispectral': 4}


@dataclass
class ModelConfig:
    name: str = 'ringmoe-statlog-ms'
    base: str = 'ringmoe-tiny'
    attention: str = 'v1'
    input_size: int = 24
    patch_size: int = 4
    embed_dim: int = 32
    depths: List[int] = field(default_factory=lambda: [2, 2])
    heads: List[int] = field(default_factory=lambda: [2, 4])
    window: int = 3
    mlp_ratio: float = 4.0
    modalities: List[str] = field(default_factory=lambda: ['multispectral'])
    modal_experts: int = 4
    collaborative_experts: int = 4
    shared_experts: int = 1
    labels: List[str] = field(default_factory=list)

    def channels(self, modality: str) -> int:
        return MODALITY_CHANNELS[modality]

    def geometry(self):
        """Per stage: dim, heads, depth, size (square), window, shift, hidden."""
        out = []
        size = self.input_size // self.patch_size
        for s, depth in enumerate(self.depths):
            if s > 0:
                size //= 2
            dim = self.embed_dim * 2 ** s
            w = min(self.window, size)
            shift = w // 2 if w < size else 0
            if size % w:
                raise ValueError(f'stage {s + 1}: window {w} does not divide feature size {size}')
            out.append(dict(stage=s + 1, dim=dim, heads=self.heads[s], depth=depth, size=size, window=w, shift=shift,
                            hidden=int(round(dim * self.mlp_ratio))))
        return out

    def to_json(self):
        return asdict(self)

    @staticmethod
    def from_json(d):
        return ModelConfig(**d)

    def written_config(self):
        """The config as tools/ringmoe written-config JSON (what `ringmoe-edge convert --config` reads)."""
        return {
            'base': self.base,
            'name': self.name,
            'attention': self.attention,
            'inputSize': {'height': self.input_size, 'width': self.input_size},
            'patchSize': self.patch_size,
            'embedDim': self.embed_dim,
            'depths': list(self.depths),
            'heads': list(self.heads),
            'window': self.window,
            'mlpRatio': self.mlp_ratio,
            'modalities': list(self.modalities),
            'fusion': [],
            'change': [],
            'tasks': ['classification'],
            'taskHeads': {'classification': {'labels': list(self.labels)}},
            'experts': {'modalPerModality': self.modal_experts, 'collaborative': self.collaborative_experts,
                        'shared': self.shared_experts},
        }


def load_config(path) -> ModelConfig:
    with open(path) as f:
        return ModelConfig.from_json(json.load(f))
