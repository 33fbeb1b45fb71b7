from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField
from wtforms.fields.choices import SelectChoice

from lms.imports.models import ImportMode

MODE_LABELS = {ImportMode.ADD: _l("Add only: new accounts, each enrolled"),
               ImportMode.ADD_UPDATE: _l("Add and update: also existing learners (their name updated), enrolled"),
               ImportMode.UPDATE: _l("Update only: existing learners, their name updated, enrolled")}


class UploadForm(FlaskForm):
    file = FileField(_l("File (CSV or XLSX)"))  # checked by lms.imports.parsing, whose messages say what is wrong
    mode = RadioField(_l("Mode"), choices=[SelectChoice(m.value, label) for m, label in MODE_LABELS.items()],
                      default=ImportMode.ADD.value)
    cohort = HiddenField()  # from a cohort's page: the cohort of the lines that name none


class CommitForm(FlaskForm):
    """Its two buttons send `policy`: all_valid or all_or_nothing."""
