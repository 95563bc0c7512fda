"""Staff home and class pages: sign-in links, badges and each pupil's progress."""
