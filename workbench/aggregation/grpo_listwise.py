"""Moved to workbench.ranking.grpo_groups; this module keeps old imports working."""
from workbench.ranking.grpo_groups import (group_features, groups_to_records, rm_advantages, train_group_rm,
                                           whole_order_report)

__all__ = ["group_features", "groups_to_records", "rm_advantages", "train_group_rm", "whole_order_report"]
