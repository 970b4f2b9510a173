"""plotly.js and its stylesheet, both from the installed ``plotly`` Python package.

plotly.js adds its own CSS rules at run time through an inline ``<style>`` element, which the
dashboard's Content-Security-Policy (``style-src 'self'``) blocks. The rules are a table inside
plotly.min.js; :func:`plotly_css` turns that table into a stylesheet served from this server, so
plots keep their styling under the strict policy and always match the installed version.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path

# in plotly.min.js, "X" stands for the plot container and "Y" for the notifier
SELECTORS = {"X": ".js-plotly-plot .plotly", "Y": ".plotly-notifier"}
_RULE = re.compile(r"""(?:"([^"]*)"|'([^']*)'|([XY])):(?:"([^"]*)"|'([^']*)')""")


def plotly_js() -> Path:
    """plotly.min.js as shipped in the ``plotly`` Python package."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the dashboard needs the plotly package (pip install plotly)")
    return Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"


@functools.cache
def plotly_css() -> str:
    """plotly.js's style rules as a stylesheet (empty when the table is not found)."""
    source = plotly_js().read_text(encoding="utf-8")
    start = source.find('"X,X div":')
    if start < 0:
        return ""
    end = source.find("}", start)
    rules = []
    for match in _RULE.finditer(source, start, end):
        selector = next(g for g in match.groups()[:3] if g is not None)
        body = next(g for g in match.groups()[3:] if g is not None)
        for short, full in SELECTORS.items():
            selector = re.sub(rf"\b{short}\b", full, selector)
        rules.append(f"{selector} {{{body}}}")
    return "\n".join(rules) + "\n"
