"""Game-theory toolkit: voting and ranking, crowd aggregation, cooperative games.

Self-contained: depends only on the standard library, numpy, scipy and torch.
"""
