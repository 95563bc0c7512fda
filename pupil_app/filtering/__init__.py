"""Filtering and monitoring: "report a website", the filtering lead's append-only record of what was
done, alerts from the school's monitoring system (JSON endpoint and CSV upload) triaged by the DSL,
and the yearly filtering and monitoring review governors and inspectors see."""
