"""PrefLib data files (.soc, .soi, .toc): strict/partial/tied orders with multiplicities.

Both the current format (``# KEY: value`` header, ``count: 1,{2,3},4`` lines) and the
legacy one (alternative count, ``id,name`` lines, ``voters,sum,unique``, ``count,1,2``)
are read. Alternatives are named by their PrefLib names when all are given and unique,
otherwise by their integer ids.
"""

from __future__ import annotations

import re
from pathlib import Path

from gametheory.voting.profile import PreferenceProfile

_ITEM = re.compile(r"\{([^}]*)\}|([^,{}\s]+)")


def _parse_ranking(text: str, names: dict[int, object]) -> list:
    ranking: list = []
    for tied, single in _ITEM.findall(text):
        if single:
            ranking.append(names[int(single)])
        elif tied.strip():
            ranking.append(frozenset(names[int(t)] for t in tied.split(",") if t.strip()))
    return ranking


def _names(ids: dict[int, str]) -> dict[int, object]:
    if ids and len(set(ids.values())) == len(ids) and all(ids.values()):
        return dict(ids)
    return {i: i for i in ids}


def parse_preflib(text: str) -> PreferenceProfile:
    """Parse the contents of a PrefLib .soc/.soi/.toc file into a profile."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and lines[0].startswith("#"):
        ids: dict[int, str] = {}
        data = []
        for line in lines:
            if line.startswith("# ALTERNATIVE NAME"):
                key, _, name = line[len("# ALTERNATIVE NAME") :].partition(":")
                ids[int(key)] = name.strip()
            elif line.startswith("# NUMBER ALTERNATIVES:"):
                count = int(line.split(":")[1])
                ids = {i: ids.get(i, "") for i in range(1, count + 1)} | ids
            elif not line.startswith("#"):
                weight, _, ranking = line.partition(":")
                data.append((float(weight), ranking))
    else:
        count = int(lines[0])
        ids = {int(i): n.strip() for i, _, n in (ln.partition(",") for ln in lines[1 : 1 + count])}
        data = [
            (float(weight), ranking)
            for weight, _, ranking in (ln.partition(",") for ln in lines[2 + count :])
        ]
    names = _names(ids)
    votes = [(w, _parse_ranking(r, names)) for w, r in data if w > 0]
    return PreferenceProfile(votes, alternatives=[names[i] for i in sorted(names)])


def load_preflib(path: str | Path) -> PreferenceProfile:
    """Read a PrefLib file from disk."""
    return parse_preflib(Path(path).read_text(encoding="utf-8"))
