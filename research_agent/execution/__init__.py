"""Running solutions: the sandbox (:mod:`.sandbox`, limited by a cgroup, :mod:`.cgroup`), the
sandboxes started ahead of their solutions (:mod:`.spares`), one solution run and graded
(:mod:`.execute`) and where a run's solutions execute, threads or Ray (:mod:`.distributed`)."""
