"""Invitations by e-mail, when LMS_SMTP_HOST is set: plain text and HTML, in the learner's language (French by
default), through smtplib. A failure is returned as text for the instructor to see; the slip is still printable."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from lms.auth.models import User
from lms.programme.models import Cohort


def mail_configured() -> bool:
    return bool(current_app.config.get("LMS_SMTP_HOST"))


def invitation_message(learner: User, cohort: Cohort, link: str, expires_at) -> EmailMessage:
    with force_locale(learner.locale or "fr"):
        context = {"learner": learner, "cohort": cohort, "link": link, "expires_on": expires_at.strftime("%Y-%m-%d")}
        message = EmailMessage()
        message["Subject"] = _("Your JobInTech LMS account: choose your password")
        message["From"] = current_app.config["LMS_SMTP_FROM"]
        message["To"] = learner.email
        message.set_content(render_template("invitations/email.txt", **context))
        message.add_alternative(render_template("invitations/email.html", **context), subtype="html")
    return message


def send_all(messages: list[EmailMessage]) -> dict[str, str]:
    """Sends over one connection; returns {address: error} for those not sent (all of them if the server is out
    of reach)."""
    config = current_app.config
    errors = {}
    try:
        with smtplib.SMTP(config["LMS_SMTP_HOST"], config["LMS_SMTP_PORT"], timeout=15) as smtp:
            if config.get("LMS_SMTP_STARTTLS"):
                smtp.starttls()
            if config.get("LMS_SMTP_USER"):
                smtp.login(config["LMS_SMTP_USER"], config.get("LMS_SMTP_PASSWORD", ""))
            for message in messages:
                try:
                    smtp.send_message(message)
                except smtplib.SMTPException as exc:
                    errors[message["To"]] = str(exc)
    except (OSError, smtplib.SMTPException) as exc:
        errors.update({message["To"]: str(exc) or exc.__class__.__name__ for message in messages
                       if message["To"] not in errors})
    return errors
