"""A message's content on each channel, from each rep's lines and changes: an e-mail (plain text and
HTML), a Slack-compatible body, a JSON body. Same content in, same bytes out."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

# Message-IDs are <KEY@this>: the key is unique, the domain part only makes it a valid Message-ID.
MESSAGE_ID_DOMAIN = "territorial"


@dataclass(frozen=True)
class Section:
    """One rep's part of a message: the feed's lines, and the changed rows behind them."""

    rep_id: str
    lines: tuple[str, ...]
    changes: tuple[dict[str, str | None], ...]


def subject(sections: Sequence[Section]) -> str:
    reps = [s.rep_id for s in sections]
    named = ", ".join(reps) if len(reps) <= 3 else f"{len(reps)} reps"
    return f"Territory changes for {named}"


def email(key: str, sender: str, to: str, sections: Sequence[Section], at: datetime) -> EmailMessage:
    """A multipart/alternative e-mail whose Message-ID is the key."""
    message = EmailMessage()
    message["Subject"] = subject(sections)
    message["From"] = sender
    message["To"] = to
    message["Date"] = format_datetime(at)
    message["Message-ID"] = f"<{key}@{MESSAGE_ID_DOMAIN}>"
    text = [subject(sections), ""]
    markup = [f"<h2>{html.escape(subject(sections))}</h2>"]
    for section in sections:
        if len(sections) > 1:
            text.append(f"{section.rep_id}:")
            markup.append(f"<h3>{html.escape(section.rep_id)}</h3>")
        text += [f"- {line}" for line in section.lines] + [""]
        markup.append("<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in section.lines) + "</ul>")
    text.append("Sent by Territorial: `territorial feed --rep ID` shows the same.")
    message.set_content("\n".join(text) + "\n")
    message.add_alternative(f"<html><body>{''.join(markup)}</body></html>\n", subtype="html")
    return message


def slack_body(sections: Sequence[Section]) -> bytes:
    """Slack's incoming-webhook JSON: one text, in Slack's markup."""
    lines = [f"*{subject(sections)}*"]
    for section in sections:
        if len(sections) > 1:
            lines.append(f"*{section.rep_id}*")
        lines += [f"• {line}" for line in section.lines]
    return _json({"text": "\n".join(lines)})


def json_body(key: str, sections: Sequence[Section]) -> bytes:
    """The changes themselves, each rep's lines beside them."""
    reps = [{"rep_id": s.rep_id, "lines": list(s.lines), "changes": list(s.changes)} for s in sections]
    return _json({"key": key, "subject": subject(sections), "reps": reps})


def _json(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
