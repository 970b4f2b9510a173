"""Overlays drawn into an episode's video frames, so the mp4 alone tells what happened.

Each frame k (the world after step k; frame 0 is the reset) gets, drawn with Pillow's text
rendering onto the frame itself (same size):

- top left: the step, its reward and the return so far, then the agent's goal posterior as
  bars (the :data:`TOP_GOALS` likeliest goals, from ``explain["posterior"]``);
- top right: a zoomed inset of where the scene moves most (the robot, the user, a carried
  object): a crop around the peak of the recent frame-to-frame change, enlarged
  :data:`ZOOM` times, so objects a few pixels wide become visible;
- bottom: the last question the agent asked and the answer (kept from the step they were asked
  on) and the plan of this step.

The step records are those of :mod:`embodied.step_records`.
"""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

TOP_GOALS = 4
ZOOM = 2.5
INSET = 0.34  # the inset's width and height as fractions of the frame's
PANEL = (0, 0, 0, 150)  # RGBA of the text panels' background
TEXT = (255, 255, 255, 255)
MUTED = (200, 200, 200, 255)
BAR = (80, 160, 255, 255)
BAR_TOP = (255, 190, 60, 255)
BAR_BACK = (255, 255, 255, 60)
MOTION_DECAY = 0.8  # how fast old motion fades from the zoom's focus
FOCUS_SMOOTHING = 0.7  # how slowly the zoom's centre follows the focus (0: jumps)


@functools.cache
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans at ``size`` pixels where installed, else Pillow's own scalable font."""
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


class MotionFocus:
    """Where the frames change most of late, smoothed over time (pixel coordinates)."""

    def __init__(self, shape: tuple[int, ...], block: int) -> None:
        self.block = block
        self.heat = np.zeros((shape[0] // block, shape[1] // block), np.float32)
        self.centre = np.array([shape[1] / 2, shape[0] / 2], np.float32)
        self.previous: np.ndarray | None = None

    def update(self, frame: np.ndarray) -> tuple[float, float]:
        h, w, b = *self.heat.shape, self.block
        blocks = (
            frame[: h * b, : w * b].reshape(h, b, w, b, -1).mean(axis=(1, 3, 4), dtype=np.float32)
        )
        if self.previous is not None:
            self.heat = MOTION_DECAY * self.heat + np.abs(blocks - self.previous)
            if self.heat.max() > 0.5:  # a real change, not rendering noise
                # a 3x3 box sum, so the focus is the densest area, not one noisy block
                padded = np.pad(self.heat, 1)
                area = sum(padded[i : i + h, j : j + w] for i in range(3) for j in range(3))
                row, col = np.unravel_index(int(np.argmax(area)), area.shape)
                target = np.array([(col + 0.5) * self.block, (row + 0.5) * self.block])
                self.centre = FOCUS_SMOOTHING * self.centre + (1 - FOCUS_SMOOTHING) * target
        self.previous = blocks
        return float(self.centre[0]), float(self.centre[1])


def _zoom_inset(frame: np.ndarray, centre: tuple[float, float]) -> Image.Image:
    """The crop of ``frame`` around ``centre``, enlarged to the inset's size."""
    height, width = frame.shape[:2]
    out_w, out_h = int(width * INSET), int(height * INSET)
    crop_w, crop_h = max(2, round(out_w / ZOOM)), max(2, round(out_h / ZOOM))
    left = int(np.clip(centre[0] - crop_w / 2, 0, width - crop_w))
    top = int(np.clip(centre[1] - crop_h / 2, 0, height - crop_h))
    crop = Image.fromarray(frame[top : top + crop_h, left : left + crop_w])
    return crop.resize((out_w, out_h), Image.Resampling.LANCZOS)


def _wrap(text: str, width_px: int, size: int, lines: int) -> list[str]:
    """``text`` wrapped to ``width_px`` at font ``size`` (about), at most ``lines`` lines."""
    per_line = max(8, int(width_px / (size * 0.55)))
    wrapped = textwrap.wrap(" ".join(text.split()), per_line) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: per_line - 1] + "…"
    return wrapped


def _header(index: int, step: dict[str, Any] | None) -> list[str]:
    """The step's number, then its reward and the return so far (when recorded)."""
    if step is None:
        return ["start" if index == 0 else f"step {index}"]
    reward, total = step.get("reward"), step.get("return")
    parts = []
    if isinstance(reward, int | float):
        parts.append(f"reward {reward:+.2f}")
    if isinstance(total, int | float):
        parts.append(f"return {total:+.2f}")
    return [f"step {step.get('step', index)}", " · ".join(parts)] if parts else [f"step {index}"]


@dataclass(frozen=True)
class Layout:
    """Sizes of the overlay's text and panels for a frame ``height`` pixels high."""

    height: int

    @property
    def scale(self) -> float:
        return max(1.0, self.height / 300)  # as large as a 240-line frame needs, less on larger

    @property
    def size(self) -> int:
        return max(9, round(11 * self.scale))

    @property
    def small(self) -> int:
        return max(8, round(10 * self.scale))

    @property
    def pad(self) -> int:
        return round(4 * self.scale)

    @property
    def line(self) -> int:
        return round(13 * self.scale)


@functools.lru_cache(maxsize=256)
def _posterior_block(
    layout: Layout, panel_w: int, goals: tuple[tuple[str, float], ...]
) -> Image.Image:
    """The posterior panel: a caption, then one bar per goal (cached: it changes seldom)."""
    pad, line, small = layout.pad, layout.line, font(layout.small)
    block = Image.new("RGBA", (panel_w, line * (len(goals) + 1) + pad), PANEL)
    draw = ImageDraw.Draw(block)
    draw.text((pad, 0), "goal posterior", font=small, fill=MUTED)
    name_w = int(panel_w * 0.5)
    bar_x0, bar_x1 = pad + name_w, panel_w - pad - round(26 * layout.scale)
    for rank, (name, p) in enumerate(goals):
        y = line * (rank + 1)
        label = name.replace("_", " ")
        while draw.textlength(label, font=small) > name_w - pad and len(label) > 2:
            label = label[:-2] + "…"
        draw.text((pad, y), label, font=small, fill=TEXT)
        top, bottom = y + round(2 * layout.scale), y + line - round(2 * layout.scale)
        draw.rectangle((bar_x0, top, bar_x1, bottom), fill=BAR_BACK)
        draw.rectangle((bar_x0, top, bar_x0 + (bar_x1 - bar_x0) * p, bottom),
                       fill=BAR_TOP if rank == 0 else BAR)  # fmt: skip
        draw.text((bar_x1 + pad, y), f"{p:.0%}", font=small, fill=TEXT)
    return block


@functools.lru_cache(maxsize=256)
def _bottom_block(
    layout: Layout, width: int, dialogue: tuple[int, str, str] | None, plan: str | None
) -> Image.Image | None:
    """The bottom panel: the last question and answer, the plan (cached: it changes seldom)."""
    pad, line, small = layout.pad, layout.line, layout.small
    rows: list[tuple[str, tuple[int, int, int, int]]] = []
    if dialogue is not None:
        asked, question, answer = dialogue
        rows += [
            (t, TEXT) for t in _wrap(f"Q (step {asked}): {question}", width - 2 * pad, small, 2)
        ]
        rows += [(t, BAR_TOP) for t in _wrap(f"A: {answer}", width - 2 * pad, small, 2)]
    if plan:
        rows += [(t, MUTED) for t in _wrap(f"plan: {plan}", width - 2 * pad, small, 1)]
    if not rows:
        return None
    block = Image.new("RGBA", (width, pad * 2 + line * len(rows)), PANEL)
    draw = ImageDraw.Draw(block)
    for k, (text, colour) in enumerate(rows):
        draw.text((pad, pad + k * line), text, font=font(small), fill=colour)
    return block


def draw_overlay(
    frame: np.ndarray,
    index: int,
    step: dict[str, Any] | None,
    dialogue: tuple[int, str, str] | None,
    focus: tuple[float, float] | None,
) -> np.ndarray:
    """``frame`` (H×W×3 uint8) with the overlays of step ``index`` drawn in (same size).

    ``step``: its record (None for the reset's frame); ``dialogue``: (step, question, answer)
    of the last question asked by then; ``focus``: the zoom inset's centre (None: no inset).
    """
    height, width = frame.shape[:2]
    layout = Layout(height)
    pad, line = layout.pad, layout.line
    image = Image.fromarray(np.ascontiguousarray(frame, dtype=np.uint8)).convert("RGBA")
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    explain = (step or {}).get("explain") or {}

    # top left: step, reward, return, then the goal posterior
    header = _header(index, step)
    panel_w = int(width * 0.46)
    widest = max(draw.textlength(text, font=font(layout.size)) for text in header)
    draw.rectangle(
        (0, 0, max(panel_w, int(widest) + 2 * pad), pad + line * len(header)), fill=PANEL
    )
    for k, text in enumerate(header):
        draw.text((pad, pad + k * line), text, font=font(layout.size), fill=TEXT)
    posterior = explain.get("posterior") or {}
    if posterior:
        likeliest = sorted(posterior.items(), key=lambda kv: -kv[1])[:TOP_GOALS]
        goals = tuple((str(name), round(float(p), 2)) for name, p in likeliest)
        layer.paste(_posterior_block(layout, panel_w, goals), (0, pad + line * len(header)))

    # bottom: the last question and answer, the plan
    bottom = _bottom_block(layout, width, dialogue, explain.get("plan"))
    if bottom is not None:
        layer.paste(bottom, (0, height - bottom.height))

    image = Image.alpha_composite(image, layer)
    if focus is not None:  # top right: the zoomed view, framed
        inset = _zoom_inset(frame, focus)
        x = width - inset.width - pad
        image.paste(inset.convert("RGBA"), (x, pad))
        frame_draw = ImageDraw.Draw(image)
        frame_draw.rectangle((x - 1, pad - 1, x + inset.width, pad + inset.height), outline=TEXT)
        frame_draw.text((x + 2, pad + 1), f"zoom ×{ZOOM:g}", font=font(layout.small), fill=TEXT)
    return np.asarray(image.convert("RGB"))


def overlay_episode(
    frames: Sequence[np.ndarray], steps: Sequence[dict[str, Any]], zoom: bool = True
) -> list[np.ndarray]:
    """The episode's ``frames`` with the overlays of its step records (frame k is step k)."""
    by_step = {s.get("step"): s for s in steps}
    focus = MotionFocus(frames[0].shape, max(4, frames[0].shape[0] // 40)) if frames else None
    dialogue: tuple[int, str, str] | None = None
    out = []
    for index, frame in enumerate(frames):
        step = by_step.get(index)
        explain = (step or {}).get("explain") or {}
        if explain.get("question") is not None:
            dialogue = (index, explain["question"], explain.get("answer") or "")
        centre = focus.update(frame) if focus is not None and zoom else None
        out.append(draw_overlay(frame, index, step, dialogue, centre))
    return out
