"""Faster CPU weights for serving the embedded model, batch-invariant and faithful to its file.

The model ships as a Q4_1 GGUF (4-bit weights, a float16 scale and offset per 32) that
transformers de-quantises to float32. ``fast`` serves it with:

- the transformer layers' linear weights in float16 (fbgemm's float16 GEMM, float32
  arithmetic): every Q4_1 weight, ``d * q + m`` with ``d`` and ``m`` float16 and ``q`` in 0..15,
  is within float16 rounding (relative 2^-11) of its float32 value, and each output row is
  computed alone, so a row's result does not depend on the other rows in the batch;
- the output head (49152 x 576, a fifth of the weights, tied to the embeddings) in int8, one
  scale per vocabulary row, applied one batch row at a time (:class:`RowwiseInt8Linear`), so
  each row's activations are quantised with their own scale and a row's logits never depend on
  the batch. At batch 8 this is many times cheaper than one float32 matrix product.

``none`` keeps float32, as the file de-quantised. Only for a CPU model in float32.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear
from torch.ao.quantization import float16_dynamic_qconfig

QUANTIZATIONS = ("none", "fast")


def resolve_quantize(quantize: str, device: torch.device, dtype: str) -> str:
    """``quantize``, with ``auto`` made ``fast`` for a CPU model in float32, else ``none``."""
    if quantize == "auto":
        return "fast" if device.type == "cpu" and dtype == "float32" else "none"
    if quantize not in QUANTIZATIONS:
        raise ValueError(f"quantize={quantize!r} is not one of {['auto', *QUANTIZATIONS]}")
    return quantize


class RowwiseInt8Linear(nn.Module):
    """``linear`` with int8 weights (a scale per output row), applied one input row at a time.

    Each input row's activations are quantised alone (fbgemm's dynamic int8 matmul), so a row's
    output is the same whatever else is in the batch."""

    def __init__(self, linear: nn.Linear) -> None:
        super().__init__()
        weight = linear.weight.detach().float()
        scales = (weight.abs().amax(dim=1).clamp(min=1e-12) / 127).double()
        zeros = torch.zeros(weight.shape[0], dtype=torch.long)
        qweight = torch.quantize_per_channel(weight, scales, zeros, axis=0, dtype=torch.qint8)
        bias = None if linear.bias is None else linear.bias.detach().float()
        self._packed = torch.ops.quantized.linear_prepack(qweight, bias)
        self.in_features, self.out_features = linear.in_features, linear.out_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.reshape(-1, self.in_features)
        out = torch.cat(
            [torch.ops.quantized.linear_dynamic(row[None], self._packed, True) for row in rows]
        )
        return out.reshape(*x.shape[:-1], self.out_features)


def _float16_layers(module: nn.Module) -> None:
    """Every ``nn.Linear`` under ``module`` replaced by fbgemm's float16-weight linear."""
    for name, child in module.named_children():
        if type(child) is nn.Linear:
            child.qconfig = float16_dynamic_qconfig
            setattr(module, name, DynamicLinear.from_float(child))
        else:
            _float16_layers(child)


def quantize_for_serving(model: nn.Module, quantize: str) -> nn.Module:
    """``model`` (a transformers causal LM on CPU in float32) with ``quantize``'s weights, in
    place; ``none`` leaves it as it is."""
    if quantize not in QUANTIZATIONS:
        raise ValueError(f"quantize={quantize!r} is not one of {list(QUANTIZATIONS)}")
    if quantize == "none":
        return model
    parameter = next(model.parameters())
    if parameter.device.type != "cpu" or parameter.dtype != torch.float32:
        raise ValueError(
            f"quantize={quantize!r} needs the model on CPU in float32, not "
            f"{parameter.device.type} {parameter.dtype}: use quantize='none' there"
        )
    head = RowwiseInt8Linear(model.get_output_embeddings())
    model.config.tie_word_embeddings = False  # the head no longer shares the embeddings' tensor
    _float16_layers(model.model)
    model.set_output_embeddings(head)
    return model
