"""Safeguarding records around a concern: attachments (screenshots, letters), and what joins them."""
