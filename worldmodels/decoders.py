"""Optional decoders from the latent back to each modality, to evaluate and visualise."""

from __future__ import annotations

from collections.abc import Mapping

import torch.nn.functional as F
from torch import Tensor, nn

from worldmodels.config import WorldModelConfig
from worldmodels.encoders import is_image
from worldmodels.layers import activation, mlp
from worldmodels.text_encoder import TEXT_MODALITY


class ImageDecoder(nn.Module):
    """Latent to a 4×4 map, four stride-2 transposed convolutions, resized to ``shape``."""

    def __init__(self, latent_dim: int, channels: int, shape: tuple[int, ...], act: str) -> None:
        super().__init__()
        self.shape = shape
        self.channels = channels
        out_channels = shape[2] if len(shape) == 3 else 1
        self.project = nn.Linear(latent_dim, 16 * channels)
        layers: list[nn.Module] = []
        for i in range(4):
            last = i == 3
            layers.append(nn.ConvTranspose2d(channels, out_channels if last else channels, 4, 2, 1))
            if not last:
                layers.append(activation(act))
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        """``z[N, Z]`` to images ``[N, H, W(, C)]`` in [0, 1] (scaled like the encoder input)."""
        x = self.project(z).view(-1, self.channels, 4, 4)
        x = F.interpolate(self.net(x), size=self.shape[:2], mode="bilinear", align_corners=False)
        x = x.permute(0, 2, 3, 1)
        return x if len(self.shape) == 3 else x.squeeze(-1)


def build_decoders(
    cfg: WorldModelConfig, obs_shapes: Mapping[str, tuple[int, ...]]
) -> nn.ModuleDict:
    """A decoder per modality of ``cfg.modalities``: an MLP for vectors, a CNN for images.

    Vector decoders predict the standardised observation (see ``Standardize``); the text
    modality, an input that does not change within an episode, has none.
    """
    decoders = nn.ModuleDict()
    for name in cfg.modalities:
        if name == TEXT_MODALITY:
            continue
        shape = tuple(obs_shapes[name])
        if is_image(shape):
            decoders[name] = ImageDecoder(cfg.latent_dim, cfg.cnn_channels, shape, cfg.activation)
        else:
            decoders[name] = mlp([cfg.latent_dim, cfg.hidden_dim, shape[0]], cfg.activation)
    return decoders
