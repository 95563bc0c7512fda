"""Trusts, schools, classes and the people in them (pupils and staff)."""
