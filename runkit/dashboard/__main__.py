"""``python -m runkit.dashboard``."""

from runkit.dashboard.app import main

main()
