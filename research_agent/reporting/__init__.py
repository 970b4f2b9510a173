"""What a run leaves to read: the end-of-run report and plots (:mod:`.report`) and MLGym's
performance profiles and AUP (:mod:`.aup`), which the leaderboard uses."""
