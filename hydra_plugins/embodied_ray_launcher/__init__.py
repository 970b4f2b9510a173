"""A hydra launcher that runs each job of a ``-m`` sweep as a Ray task (``hydra/launcher=ray``)."""
