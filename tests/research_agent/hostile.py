"""Hostile solutions: each tries to escape or disturb the sandbox, or to cheat the grader.

``{labels}``, ``{journal}`` and ``{outside}`` are filled with host paths the solution must not
reach; a successful attack writes ``{outside}`` or prints PWNED.
"""

from __future__ import annotations

# valid validation predictions (a score, so only the test output can make the node buggy)
VALID_VAL = (
    "import os\nimport numpy as np\n"
    "DATA, OUT = os.environ.get('DATA_DIR', '/data'), os.environ.get('OUTPUT_DIR', '.')\n"
    "n = len(np.load(os.path.join(DATA, 'val_X.npy')))\n"
    "np.save(os.path.join(OUT, 'val_predictions.npy'), np.zeros(n, dtype=int))\n"
)

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
    # outputs the host reads back after the search (the final grade, the ensemble): a link to
    # the host's private labels, a FIFO that blocks the reader, a file past the size cap
    "link_test_labels": VALID_VAL
    + "os.symlink('{labels}', os.path.join(OUT, 'test_predictions.npy'))\n",
    "link_val_outside": "import os\nos.symlink('/etc/hostname', 'val_predictions.npy')\n",
    "fifo_test_predictions": VALID_VAL + "os.mkfifo(os.path.join(OUT, 'test_predictions.npy'))\n",
    "huge_test_predictions": (
        VALID_VAL + "open(os.path.join(OUT, 'test_predictions.npy'), 'wb').truncate(100 * 2**20)\n"
    ),
}
