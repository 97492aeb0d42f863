"""Reward Workbench: losses, reward models, process rewards, rule rewards,
aggregation and annotation for learning, studying and doing reward modelling."""

__version__ = "0.1.0"
