"""The languages of the pupil pages: each catalogue's review state, and which languages a school offers."""
