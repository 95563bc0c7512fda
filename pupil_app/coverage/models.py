"""Indexes the coverage pages read through. Coverage keeps no tables of its own: it reads the
learning tables (module_progress, quiz_attempts), so its indexes are declared on them here."""

from __future__ import annotations

from sqlalchemy import Index

from ..learning.models import ModuleProgress

# The grid and the school and trust heat maps need each pupil's best score per module; with the
# scores in the index SQLite answers from the index alone (the trust overview's aggregate over
# 34,000 rows takes about half the time). Migration 0004 creates it.
PUPIL_SCORES = Index("ix_module_progress_pupil_scores", ModuleProgress.pupil_id, ModuleProgress.module_id,
                     ModuleProgress.best_score, ModuleProgress.best_total)
