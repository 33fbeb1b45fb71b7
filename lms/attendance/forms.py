from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, SelectMultipleField, StringField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from lms.attendance.models import MarkStatus

MARK_LABELS = {MarkStatus.PRESENT: _l("Present"), MarkStatus.LATE: _l("Late"), MarkStatus.EXCUSED: _l("Excused"),
               MarkStatus.ABSENT: _l("Absent")}
WEEKDAYS = [_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"),
            _l("Sunday")]


class SessionForm(FlaskForm):
    day = DateField(_l("Day"), validators=[DataRequired()])
    starts = TimeField(_l("Starts at"), validators=[DataRequired()])
    ends = TimeField(_l("Ends at"), validators=[DataRequired()])
    room = StringField(_l("Room"), validators=[Optional(), Length(max=80)])


class SeriesForm(FlaskForm):
    first_day = DateField(_l("From"), validators=[DataRequired()])
    last_day = DateField(_l("To"), validators=[DataRequired()])
    weekdays = SelectMultipleField(_l("Days of the week"), coerce=int, default=[0, 1, 2, 3, 4],
                                   choices=[SelectChoice(n, label) for n, label in enumerate(WEEKDAYS)],
                                   widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                                   validators=[DataRequired(message=_l("Choose at least one day."))])
    starts = TimeField(_l("Starts at"), validators=[DataRequired()])
    ends = TimeField(_l("Ends at"), validators=[DataRequired()])
    room = StringField(_l("Room"), validators=[Optional(), Length(max=80)])


class PolicyForm(FlaskForm):
    threshold = IntegerField(_l("Threshold (%)"), validators=[InputRequired(), NumberRange(min=0, max=100)])
    late_weight = IntegerField(_l("A late arrival counts (%)"), validators=[InputRequired(),
                                                                          NumberRange(min=0, max=100)])


class MarkForm(FlaskForm):
    learner = IntegerField(validators=[InputRequired()])
    status = SelectField(choices=[SelectChoice(s.value, label) for s, label in MARK_LABELS.items()],
                         validators=[InputRequired()])


class CodeForm(FlaskForm):
    """The check-in by the short code shown under the QR code."""
    session = SelectField(_l("Session"), coerce=int, validators=[InputRequired()])
    code = StringField(_l("Code"), validators=[DataRequired(), Regexp(r"^\s*\d{6}\s*$",
                                                                      message=_l("The code has six digits."))])
