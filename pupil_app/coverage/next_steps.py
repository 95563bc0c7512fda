"""The top of a teacher's home: for each class, what to teach next and who to check on.

What to teach next: the first module of the class's year (in the 4Cs order) that is neither set
for the class nor passed by most of it, and the outcomes fewer than half the class has shown yet.
Who to check on: pupils who have not started anything, and pupils with a low score or many tries.
Built from the class grid and outcome queries the class pages already use (four queries a class).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..content import Module
from ..learning.assignments import assigned_module_ids
from ..schools.models import SchoolClass
from .classes import NOT_STARTED, PASSED, GridRow, PupilName, class_grid, class_questions

WEAK_PERCENT = 50  # an outcome shown by fewer than half the class is "still to teach"


@dataclass(frozen=True)
class ClassNextSteps:
    school_class: SchoolClass
    teach_next: Module | None  # None: everything this year is set or passed
    weak_outcomes: list[Any]  # content Outcomes, weakest first
    not_started: list[PupilName]
    needs_help: list[GridRow]
    pupils: int


def next_steps(school_class: SchoolClass) -> ClassNextSteps:
    grid = class_grid(school_class)
    assigned = assigned_module_ids(school_class.id)
    teach_next = None
    for i, module in enumerate(grid.modules):
        passed = sum(1 for r in grid.rows if r.cells[i].status == PASSED)
        if module.id not in assigned and passed * 2 < max(len(grid.rows), 1):
            teach_next = module
            break
    questions = class_questions(school_class)
    weak = sorted((o for o in questions.outcomes if o.percent is not None and o.percent < WEAK_PERCENT),
                  key=lambda o: (o.percent, o.outcome.id))
    not_started = [r.pupil for r in grid.rows if all(c.status == NOT_STARTED for c in r.cells)]
    return ClassNextSteps(school_class, teach_next, [o.outcome for o in weak], not_started, grid.needs_help,
                          len(grid.rows))
