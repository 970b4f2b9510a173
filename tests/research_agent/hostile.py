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
    # issue 31: the private labels' host path was read from /proc/self/mountinfo, and the
    # predictions linked to them
    "labels_path_from_mountinfo": (
        "import os\n"
        "args = open('/proc/1/cmdline').read().split(chr(0))\n"
        "shown = [args[i - 1] for i, arg in enumerate(args) if arg == '/data']\n"
        "shown += [line.split()[3] for line in open('/proc/self/mountinfo')\n"
        "          if line.split()[4] == '/data']\n"
        "for public in shown:\n"
        "    if os.path.basename(public) == 'public':\n"
        "        print('PWNED')\n"
        "    private = os.path.join(os.path.dirname(public), 'private')\n"
        "    for split in ('val', 'test'):\n"
        "        target = f'{{split}}_predictions.npy'\n"
        "        if not os.path.lexists(target):\n"
        "            os.symlink(f'{{private}}/{{split}}_labels.npy', target)\n"
    ),
    # issue 31: three child processes held 700 MB each under a 1024 MB limit
    "tree_memory": (
        "import os, time\n"
        "MARK = 'zzsandboxtree.Mark'\n"
        "children = []\n"
        "for _ in range(3):\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        block = b'x' * (60 * 2**20)\n"
        "        time.sleep(2)\n"
        "        os._exit(0)\n"
        "    children.append(pid)\n"
        "for pid in children:\n"
        "    os.waitpid(pid, 0)\n"
    ),
    # issue 31: 1.4 GB went into /dev/shm under a 1024 MB limit
    "shm_flood": (
        "chunk = b'x' * 2**20\n"
        "with open('/dev/shm/flood', 'wb') as f:\n"
        "    for _ in range(96):\n"
        "        f.write(chunk)\n"
        "        f.flush()\n"
        "print('PWNED')\n"
    ),
    # issue 31: 800 MB were written into the workspace and the node still scored
    "disk_flood": (
        "chunk = b'x' * 2**20\n"
        "for name in range(6):\n"
        "    with open(f'flood{{name}}.bin', 'wb') as f:\n"
        "        for _ in range(8):\n"
        "            f.write(chunk)\n"
    ),
}
