"""The Acceptable Use pledge: signed at first log-on, versioned per school, acknowledged by parents."""
