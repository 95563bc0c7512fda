"""Signing in and out, for every age: passwords, class picture passwords, QR badges."""
