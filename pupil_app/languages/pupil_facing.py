"""Which catalogue entries a pupil (or a parent, from the letter home) can meet.

Polish, Romanian, Urdu and Arabic must translate every one of these (tests/test_languages.py checks
it); staff pages may stay in English for those languages. An entry is pupil-facing when it comes from
content, from a pupil page's template or pupil-only code, or is one of the pupil messages that live in
code shared with staff pages (listed below, checked against the extracted strings).
"""

from __future__ import annotations

from fnmatch import fnmatch

PUPIL_SOURCES = (
    "content/*",
    "pupil_app/content*",
    "pupil_app/__init__.py",  # error pages
    "pupil_app/templates/base.html", "pupil_app/templates/pupil.html", "pupil_app/templates/error.html",
    "pupil_app/templates/_language_switch.html",
    "pupil_app/auth/forms.py", "pupil_app/auth/views/sign_in.py",
    "pupil_app/auth/templates/auth/badge.html", "pupil_app/auth/templates/auth/class_page.html",
    "pupil_app/auth/templates/auth/link_not_working.html", "pupil_app/auth/templates/auth/picture_sign_in.html",
    "pupil_app/auth/templates/auth/sign_in.html",
    "pupil_app/learning/*",
    "pupil_app/concerns/views/pupil.py", "pupil_app/concerns/telling.py",
    "pupil_app/pledge/views/pupil.py", "pupil_app/pledge/views/parents.py", "pupil_app/pledge/parents.py",
    "pupil_app/concerns/templates/concerns/_home_status.html", "pupil_app/concerns/templates/concerns/calm.html",
    "pupil_app/concerns/templates/concerns/step.html", "pupil_app/concerns/templates/concerns/tell_now.html",
    "pupil_app/concerns/templates/concerns/thanks.html",
    "pupil_app/pledge/templates/pledge/done.html", "pupil_app/pledge/templates/pledge/message.html",
    "pupil_app/pledge/templates/pledge/mine.html", "pupil_app/pledge/templates/pledge/promise.html",
    "pupil_app/pledge/templates/pledge/sign.html", "pupil_app/pledge/templates/pledge/start.html",
    "pupil_app/pledge/templates/pledge/parent/*",
)

# Pupil and parent messages in modules that also hold staff strings (Tell an adult, the pledge).
PUPIL_MESSAGES_IN_SHARED_CODE = frozenset({
    # Tell an adult: the child's choices and screens
    "Worried", "Sad", "Scared", "Angry", "Mixed up", "OK",
    "Someone was unkind to me or to someone else", "I saw something that upset me",
    "Someone I don't know talked to me or wanted to meet", "Someone asked for pictures or my secrets",
    "Something about money, buying or games", "Something else", "About me", "About someone else", "I'm not sure",
    "At home", "At school", "In a game", "In an app or on a video site", "I don't know", "Anyone",
    "How do you feel?", "What happened?", "Is it about you or someone else?", "Where did it happen?",
    "Is there anything else you want to tell us?", "Who would you like to talk to?", "Ready to send your message?",
    "This page was open too long. Please tell the adult in your room.",
    "We have sent your message. Thank you for telling us.",
    "That is a lot of words! Please make it a little shorter, or tell the adult in your room.",
    "That is not one of the pictures. Please tap a picture.",
    "Something was not right. Please tell the adult in your room.",
    "Tap a picture, or tap Skip.", "Tap a picture or write a few words, so we know how to help you.",
    # The pupil's pledge
    "My promises", "Start again", "You are not in a class yet", "Please ask your teacher.", "One promise at a time",
    "Let's make the promises in order.", "Go to promise %(number)d", "Your promises have just changed",
    "Let's look at them again from the start.", "Go to my promises", "You have not made your promises yet",
    "Let's make them now, one at a time.", "Make my promises",
    "You are not in a class yet. Please ask your teacher.",
    "These promises belong to someone else. Please sign in as yourself.",
    "These promises have changed. Let's look at them again.", "You have already made these promises.",
    "Make each promise first, one at a time.", "Type your first name to sign.",
    "That is not quite your first name. Type your first name to sign.", "Your first name",
    "The page has changed since you opened it. Please read it again.",
    # The parent/carer page
    "Mother", "Father", "Parent", "Carer", "Grandparent", "Other family member or guardian", "Type your name.",
    "Your name is too long (at most %(max)d characters).", "Your name must be plain text, without < or >.",
    "Choose how you are related to the child.", "Only the statements on this page can be ticked.",
    "Tick every statement to acknowledge the policy (%(done)d of %(total)d are ticked).", "Please check the form.",
    "Your name", "You are the child's", "Choose...",
})


def is_pupil_facing(msgid: str, context: str | None, locations) -> bool:
    """True for an entry a pupil or parent can see (``locations``: (path, line) pairs from the catalogue)."""
    if context == "staff":
        return False
    if msgid in PUPIL_MESSAGES_IN_SHARED_CODE:
        return True
    return any(fnmatch(path, pattern) for path, _line in locations for pattern in PUPIL_SOURCES)
