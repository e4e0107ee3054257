"""The Telegram front end: a python-telegram-bot Application over the Advisor.

`app` only wires; user journeys live in `handlers`/`answering`/`inline`, admin journeys in `admin`,
HTML in `render`, buttons in `keyboards`. What the bot remembers is in `state` (SQLite); what its
buttons carry survives a restart in `buttons_file`. Nothing here touches Chroma: answers come from
the Advisor, writes from ingest's APIs.
"""
