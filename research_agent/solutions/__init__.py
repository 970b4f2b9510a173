"""What a solution is: a config drawn from the config space (:mod:`.space`), the program a
template renders around it (:mod:`.program`, ``templates/``), and the files it leaves in its
workspace, read back without following what it planted (:mod:`.workspace_files`)."""
