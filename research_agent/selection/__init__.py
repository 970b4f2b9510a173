"""The final choice of a run's solution: a cross-validated race over a shortlist
(:mod:`.cross_validation`), with the ensemble of the best (:mod:`.ensemble`) as a contender."""
