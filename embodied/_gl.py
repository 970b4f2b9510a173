"""Choose MuJoCo's offscreen OpenGL backend before mujoco is first imported.

EGL renders headless without extra packages; set ``MUJOCO_GL=osmesa`` (needs libosmesa6) to
fall back to software rendering.
"""

import os

os.environ.setdefault("MUJOCO_GL", "egl")
