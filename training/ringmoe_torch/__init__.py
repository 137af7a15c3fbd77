"""PyTorch mirror of the RingMoE family (v1 window attention, hierarchical MoE) with the released
checkpoint's parameter names, checkpoint writers/readers (MindSpore .ckpt, safetensors) and the
training recipes. See training/README.md and MODEL-CONTRACT.md."""
