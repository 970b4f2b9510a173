"""One encoder per observation modality, fused into one SimNorm-ed latent state.

Vector modalities (``proprio``: ``[..., D]``) get an MLP after standardisation; image
modalities (``rgb``: ``[..., H, W, 3]`` uint8, ``depth``: ``[..., H, W]``) get a CNN; the
``text`` modality (padded token ids ``[..., L]``) gets a pooled token embedding. The
embeddings of the modalities present are averaged; a modality that is absent, or masked out for
some samples, simply does not enter the average.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor, nn

from worldmodels.config import WorldModelConfig
from worldmodels.layers import SimNorm, activation, mlp
from worldmodels.text_encoder import TEXT_MODALITY, VOCAB_SIZES, TextEncoder


def is_image(shape: tuple[int, ...]) -> bool:
    """Whether a per-step observation shape is an image (``[H, W]`` or ``[H, W, C]``)."""
    return len(shape) >= 2


class Standardize(nn.Module):
    """Per-feature mean and std of a vector modality, fitted on the training data."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))

    def fit(self, data: Tensor) -> None:
        self.mean.copy_(data.mean(0))
        self.std.copy_(data.std(0).clamp(min=1e-3))

    def forward(self, x: Tensor) -> Tensor:
        return (x - self.mean) / self.std

    def inverse(self, x: Tensor) -> Tensor:
        return x * self.std + self.mean


def image_to_float(x: Tensor) -> Tensor:
    """``[N, H, W, C]`` uint8 or ``[N, H, W]`` float to ``[N, C, H, W]`` float in about [0, 1].

    Converted before the permute, while the pixels are contiguous (several times faster on a
    CPU than converting the permuted view); the result is a channels-last view.
    """
    x = x.unsqueeze(-1) if x.dim() == 3 else x
    x = x.float().mul_(1.0 / 255.0) if x.dtype == torch.uint8 else x.float()
    return x.permute(0, 3, 1, 2)


def random_shift(images: Tensor, pad: int, generator: torch.Generator | None = None) -> Tensor:
    """Each image of ``images[N, H, W(, C)]`` moved by its own random whole-pixel offset of at
    most ``pad`` along each axis, the border pixels repeated into the gap.

    DrQ's random-shift augmentation, which TD-MPC2 applies to its pixel observations (pad 3 at
    64×64); any dtype. ``pad`` 0 returns ``images`` itself.
    """
    if pad <= 0:
        return images
    n, h, w = images.shape[:3]
    device = images.device
    offset = torch.randint(-pad, pad + 1, (2, n, 1), generator=generator, device=device)
    rows = (torch.arange(h, device=device) + offset[0]).clamp_(0, h - 1)
    cols = (torch.arange(w, device=device) + offset[1]).clamp_(0, w - 1)
    return images[torch.arange(n, device=device)[:, None, None], rows[:, :, None], cols[:, None, :]]


class ImageEncoder(nn.Module):
    """Four stride-2 convolutions, pooled to 4×4, to an ``out_dim`` embedding (any image size)."""

    def __init__(self, in_channels: int, channels: int, out_dim: int, act: str) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for i in range(4):
            layers += [
                nn.Conv2d(in_channels if i == 0 else channels, channels, 4, stride=2, padding=1),
                activation(act),
            ]
        self.net = nn.Sequential(
            *layers, nn.AdaptiveAvgPool2d(4), nn.Flatten(), nn.Linear(16 * channels, out_dim)
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(image_to_float(x))


def text_encoder(cfg: WorldModelConfig) -> TextEncoder:
    """The encoder of the ``text`` modality (token ids of ``cfg.text_tokenizer``)."""
    if cfg.text_tokenizer not in VOCAB_SIZES:
        raise ValueError(
            f"unknown worldmodel.text_tokenizer {cfg.text_tokenizer!r}; "
            f"valid: {', '.join(VOCAB_SIZES)}"
        )
    vocab = VOCAB_SIZES[cfg.text_tokenizer]
    return TextEncoder(vocab, cfg.text_embed_dim, cfg.encoder_dim, cfg.activation)


class MultiModalEncoder(nn.Module):
    """Encoders of ``cfg.modalities`` and the fusion of their embeddings into the latent."""

    def __init__(self, cfg: WorldModelConfig, obs_shapes: Mapping[str, tuple[int, ...]]) -> None:
        super().__init__()
        missing = [m for m in cfg.modalities if m not in obs_shapes]
        if missing:
            raise ValueError(
                f"worldmodel.modalities asks for {missing}, but the data has only "
                f"{sorted(obs_shapes)}"
            )
        self.modalities = list(cfg.modalities)
        self.obs_shapes = {m: tuple(obs_shapes[m]) for m in self.modalities}
        self.encoders = nn.ModuleDict()
        self.normalizers = nn.ModuleDict()
        for name, shape in self.obs_shapes.items():
            if name == TEXT_MODALITY:
                self.encoders[name] = text_encoder(cfg)
            elif is_image(shape):
                channels = shape[2] if len(shape) == 3 else 1
                self.encoders[name] = ImageEncoder(
                    channels, cfg.cnn_channels, cfg.encoder_dim, cfg.activation
                )
            else:
                self.normalizers[name] = Standardize(shape[0])
                self.encoders[name] = mlp(
                    [shape[0], cfg.encoder_dim, cfg.encoder_dim], cfg.activation
                )
        self.fuse = mlp(
            [cfg.encoder_dim, cfg.encoder_dim, cfg.latent_dim],
            cfg.activation,
            SimNorm(cfg.simnorm_group),
        )

    def embed(self, name: str, x: Tensor) -> Tensor:
        """The embedding ``[N, E]`` of modality ``name`` for a batch ``x[N, ...]``."""
        if name in self.normalizers:
            x = self.normalizers[name](x.float())
        return self.encoders[name](x)

    def forward(
        self, obs: Mapping[str, Tensor], mask: Mapping[str, Tensor] | None = None
    ) -> Tensor:
        """Latent ``[N, Z]`` of ``obs`` (leading dims flattened and restored).

        ``mask[name]`` (``[N]`` bool, True = present) hides a modality for some samples; a
        modality missing from ``obs`` is hidden for all.
        """
        present = [m for m in self.modalities if m in obs]
        if not present:
            raise ValueError(f"no observation of {self.modalities} given (got {sorted(obs)})")
        first = obs[present[0]]
        lead = first.shape[: first.dim() - len(self.obs_shapes[present[0]])]
        total = 0.0
        count = 0.0
        for name in present:
            x = obs[name].reshape(-1, *obs[name].shape[len(lead) :])
            emb = self.embed(name, x)
            weight = torch.ones(emb.shape[0], 1, device=emb.device, dtype=emb.dtype)
            if mask is not None and name in mask:
                weight = mask[name].reshape(-1, 1).to(emb.dtype)
            total = total + emb * weight
            count = count + weight
        fused = total / count.clamp(min=1.0)
        return self.fuse(fused).reshape(*lead, -1)
