"""Hostile solutions: each tries to escape or disturb the sandbox, or to cheat the grader.

``{labels}``, ``{journal}`` and ``{outside}`` are filled with host paths the solution must not
reach; a successful attack writes ``{outside}`` or prints PWNED.
"""

from __future__ import annotations

HOSTILE: dict[str, str] = {
    "infinite_loop": "while True:\n    pass\n",
    "memory_bomb": "blocks = []\nwhile True:\n    blocks.append(bytearray(50 * 2**20))\n",
    "fork_bomb": (
        "import os, time\n"
        "for _ in range(10000):\n"
        "    try:\n"
        "        os.fork()\n"
        "    except OSError:\n"
        "        pass\n"
        "time.sleep(60)\n"
    ),
    "network": (
        "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=3)\nprint('PWNED')\n"
    ),
    "read_test_labels": (
        "import shutil\nshutil.copy('{labels}', 'val_predictions.npy')\nprint('PWNED')\n"
    ),
    "write_outside": (
        "open('{outside}', 'w').write('PWNED')\nopen('/data/planted.txt', 'w').write('PWNED')\n"
    ),
    "delete_journal": "import os\nos.remove('{journal}')\nprint('PWNED')\n",
    "fake_score": 'print(\'{{"score": 1.0}}\')\nprint("validation accuracy: 1.0")\n',
}
