"""Words for every choice: in a child's words on pupil pages, in staff words on staff pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# ---- pupil pages (Welsh: ti-forms) ----------------------------------------------------------

PUPIL_FEELINGS = {
    "worried": _l("Worried"),
    "sad": _l("Sad"),
    "scared": _l("Scared"),
    "angry": _l("Angry"),
    "confused": _l("Mixed up"),
    "ok": _l("OK"),
}
PUPIL_WHAT = {
    "unkind": _l("Someone was unkind to me or to someone else"),
    "upset": _l("I saw something that upset me"),
    "stranger": _l("Someone I don't know talked to me or wanted to meet"),
    "secrets": _l("Someone asked for pictures or my secrets"),
    "money": _l("Something about money, buying or games"),
    "other": _l("Something else"),
}
PUPIL_ABOUT = {
    "me": _l("About me"),
    "someone_else": _l("About someone else"),
    "not_sure": _l("I'm not sure"),
}
PUPIL_WHERE = {
    "school": _l("At school"),
    "school_web": _l("On a website or app at school"),
    "home": _l("At home"),
    "game": _l("In a game"),
    "app": _l("In an app or on a video site"),
    "dont_know": _l("I don't know"),
}
PUPIL_ANYONE = _l("Anyone")

# ---- staff pages (Welsh: chi-forms) ---------------------------------------------------------

FEELINGS = {
    "worried": _l("Worried"),
    "sad": _l("Sad"),
    "scared": _l("Scared"),
    "angry": _l("Angry"),
    "confused": _l("Confused"),
    "ok": _l("OK"),
}
WHAT = {
    "unkind": _l("Someone was unkind (to them or to someone else)"),
    "upset": _l("Saw something upsetting"),
    "stranger": _l("Someone unknown talked to them or wanted to meet"),
    "secrets": _l("Asked for pictures or secrets"),
    "money": _l("Money, buying or games"),
    "other": _l("Something else"),
}
CATEGORIES = {
    "content": _l("Content"),
    "contact": _l("Contact"),
    "conduct": _l("Conduct"),
    "commerce": _l("Commerce"),
    "bullying": _l("Cyber-bullying"),
    "unsure": _l("Not yet categorised"),
}
ABOUT = {
    "me": _l("The pupil"),
    "someone_else": _l("Someone else"),
    "not_sure": _l("Not sure"),
}
LOCATIONS = {
    "school": _l("At school"),
    "school_web": _l("A website or app at school"),
    "home": _l("At home"),
    "game": _l("In a game"),
    "app": _l("In an app or on a video site"),
    "dont_know": _l("Not known"),
    "other": _l("Somewhere else"),
}
STATUSES = {
    "new": _l("New"),
    "acknowledged": _l("Acknowledged"),
    "in_progress": _l("In progress"),
    "closed": _l("Closed"),
}
OUTCOMES = {
    "resolved_in_school": _l("Resolved in school"),
    "monitoring": _l("Closed with monitoring"),
    "early_help": _l("Early Help in place"),
    "social_care": _l("Referred to children's social care"),
    "police": _l("Referred to the police"),
    "no_further_action": _l("No further action"),
}
ENTRY_KINDS = {
    "action": _l("Action taken"),
    "decision": _l("Decision"),
    "conversation": _l("Conversation"),
    "note": _l("Note"),
    "change": _l("Change"),
}
MARKERS = {
    "parents_informed_on": _l("Parents or carers informed"),
    "social_care_on": _l("Referral to children's social care / local authority"),
    "police_on": _l("Police informed"),
    "early_help_on": _l("Early Help"),
}
SOURCES = {
    "pupil": _l("Pupil (Tell an adult)"),
    "staff": _l("Staff member"),
}
INTERRUPTED = _l("Not sent by the child: the session ended")
