"""A tiny RS-MoE (vision ViT + instruction-aware Q-Former, one prefix projector and one causal-LM
decoder per expert) trained on scenes built from real Statlog Landsat MSS patches, with captions and
question/answer pairs generated from the patches' labels. See recipes/rsmoe.py and docs/rsmoe.md."""
