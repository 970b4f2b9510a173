"""The record chain: record 0 is the plain GPT script, each later record adds one improvement.

An :class:`Improvement` is what a record changes relative to the one before: settings of its
``CONFIG`` block and exact code edits (each ``old`` snippet must occur exactly once), plus the
hints a task gives about it (a description and pseudocode). Record ``i`` is the GPT template
rendered with the settings of records ``1..i`` and their code edits applied in order, so every
record reads as a complete, self-contained training script.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from research_agent.solutions.program import render
from research_agent.solutions.space import default_config

KIND = "language_modeling"


@dataclass(frozen=True)
class Improvement:
    """One record's change: ``params`` merged into CONFIG, ``edits`` (old, new) applied."""

    name: str
    description: str
    pseudocode: str
    params: dict[str, Any] = field(default_factory=dict)
    edits: tuple[tuple[str, str], ...] = ()

    def apply(self, code: str) -> str:
        """``code`` with this improvement's edits applied."""
        for old, new in self.edits:
            count = code.count(old)
            if count != 1:
                raise ValueError(
                    f"improvement {self.name!r}: the snippet {old.splitlines()[0]!r} occurs "
                    f"{count} times in the previous record (expected exactly once)"
                )
            code = code.replace(old, new)
        return code


WARMUP = Improvement(
    "lr_warmup",
    "Raise the learning rate from 1e-3 to 3e-3 and ramp it up linearly over the first 100 "
    "steps, so the higher rate does not destabilise the freshly initialised network.",
    "lr(step) = base_lr * min(1, (step + 1) / warmup_steps)   # base_lr = 3e-3, warmup = 100",
    params={"lr": 0.003, "warmup_steps": 100},
    edits=(
        (
            "def lr_scale(step):\n    return 1.0\n",
            'def lr_scale(step):\n    return min(1.0, (step + 1) / P["warmup_steps"])\n',
        ),
    ),
)

ROTARY = Improvement(
    "rotary",
    "Replace the learned absolute position embedding by rotary position embeddings (RoPE): "
    "rotate each pair of query and key channels by an angle proportional to the position, "
    "so attention scores depend on relative positions.",
    "theta_j = 10000^(-2j/head_dim); angle[t, j] = t * theta_j\n"
    "rotate(x) = [x1 * cos + x2 * sin, -x1 * sin + x2 * cos]   # x = [x1, x2] halves\n"
    "q, k = rotate(q), rotate(k) before attention; drop the position embedding",
    edits=(
        (
            "class Attention(nn.Module):\n",
            "def rotate(x, cos, sin):\n"
            "    x1, x2 = x.chunk(2, dim=-1)\n"
            "    return torch.cat([x1 * cos + x2 * sin, -x1 * sin + x2 * cos], dim=-1)\n"
            "\n\n"
            "class Attention(nn.Module):\n",
        ),
        (
            "        self.proj = nn.Linear(dim, dim, bias=False)\n",
            "        self.proj = nn.Linear(dim, dim, bias=False)\n"
            "        half = dim // heads // 2\n"
            "        freqs = 10000.0 ** (-torch.arange(half) / half)\n"
            '        angles = torch.outer(torch.arange(SETUP["seq_len"]).float(), freqs)\n'
            '        self.register_buffer("cos", angles.cos(), persistent=False)\n'
            '        self.register_buffer("sin", angles.sin(), persistent=False)\n',
        ),
        (
            "        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)\n",
            "        cos, sin = self.cos[:t, None], self.sin[:t, None]\n"
            "        q, k = rotate(q, cos, sin), rotate(k, cos, sin)\n"
            "        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)\n",
        ),
        ("        self.pos = nn.Embedding(seq_len, dim)\n", ""),
        (
            "        positions = torch.arange(idx.shape[1], device=idx.device)\n"
            "        x = self.embed(idx) + self.pos(positions)\n",
            "        x = self.embed(idx)\n",
        ),
    ),
)

MUON = Improvement(
    "muon",
    "Train the hidden weight matrices with Muon: SGD with Nesterov momentum whose update is "
    "orthogonalised by a few Newton-Schulz iterations (embedding, head and norms keep AdamW).",
    "buf = momentum * buf + grad; g = grad + momentum * buf\n"
    "X = g / |g|; repeat 5: A = X X^T; X = a X + (b A + c A A) X\n"
    "    # (a, b, c) = (3.4445, -4.775, 2.0315)\n"
    "W -= muon_lr * sqrt(max(1, rows/cols)) * X",
    params={"muon_lr": 0.02},
    edits=(
        (
            "def make_optimizers(model):\n"
            '    return [torch.optim.AdamW(model.parameters(), lr=P["lr"], '
            'weight_decay=P["weight_decay"])]\n',
            "def orthogonalize(g, steps=5):\n"
            "    a, b, c = 3.4445, -4.7750, 2.0315\n"
            "    x = g / (g.norm() + 1e-7)\n"
            "    tall = x.size(0) > x.size(1)\n"
            "    x = x.T if tall else x\n"
            "    for _ in range(steps):\n"
            "        m = x @ x.T\n"
            "        x = a * x + (b * m + c * m @ m) @ x\n"
            "    return x.T if tall else x\n"
            "\n\n"
            "class Muon(torch.optim.Optimizer):\n"
            "    def __init__(self, params, lr, momentum=0.95):\n"
            "        super().__init__(params, {'lr': lr, 'momentum': momentum})\n"
            "\n"
            "    @torch.no_grad()\n"
            "    def step(self):\n"
            "        for group in self.param_groups:\n"
            "            for p in group['params']:\n"
            "                buf = self.state[p].setdefault('buf', torch.zeros_like(p))\n"
            "                buf.mul_(group['momentum']).add_(p.grad)\n"
            "                g = p.grad.add(buf, alpha=group['momentum'])\n"
            "                scale = max(1.0, p.size(0) / p.size(1)) ** 0.5\n"
            "                p.add_(orthogonalize(g), alpha=-group['lr'] * scale)\n"
            "\n\n"
            "def make_optimizers(model):\n"
            "    hidden = [p for p in model.blocks.parameters() if p.ndim == 2]\n"
            "    ids = {id(p) for p in hidden}\n"
            "    other = [p for p in model.parameters() if id(p) not in ids]\n"
            '    adam = torch.optim.AdamW(other, lr=P["lr"], weight_decay=P["weight_decay"])\n'
            '    return [adam, Muon(hidden, lr=P["muon_lr"])]\n',
        ),
    ),
)


CHAIN: tuple[Improvement, ...] = (WARMUP, MUON, ROTARY)
"""Records 1, 2, 3 add these, in this order (each measured faster than the one before)."""


def num_records() -> int:
    """How many records the chain has (record 0 included)."""
    return len(CHAIN) + 1


def _check(index: int) -> None:
    if not 0 <= index < num_records():
        raise IndexError(f"record {index} does not exist; valid: 0..{num_records() - 1}")


def record_config(index: int) -> dict[str, Any]:
    """The ``CONFIG`` block of record ``index``."""
    _check(index)
    config = default_config("gpt")
    for improvement in CHAIN[:index]:
        config["params"].update(improvement.params)
    return config


def record_code(index: int) -> str:
    """The complete training script of record ``index``."""
    code = render(record_config(index), KIND)
    for improvement in CHAIN[:index]:
        code = improvement.apply(code)
    return code


def record_name(index: int) -> str:
    """``plain_gpt`` for record 0, else the name of the improvement it adds."""
    _check(index)
    return "plain_gpt" if index == 0 else CHAIN[index - 1].name
