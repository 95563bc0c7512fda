"""Tell an adult and the DSL dashboard: concerns, chronology, incident log, audit trail, alerts."""
