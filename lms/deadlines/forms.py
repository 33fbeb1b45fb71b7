from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (DateTimeLocalField, DecimalField, IntegerField, SelectField, SelectMultipleField, StringField,
                     TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends; typed in the programme's time zone


def moment(label):
    return DateTimeLocalField(label, format=FORMAT, validators=[Optional()])


class DatesForm(FlaskForm):
    """A module's publication, an exercise's own dates, a group's dates."""
    opens_at = moment(_l("Opens"))
    due_at = moment(_l("Due"))
    cutoff_at = moment(_l("Cut-off"))


class ExerciseDatesForm(DatesForm):
    exercise = SelectField(_l("Exercise"), coerce=int, validators=[DataRequired()])


class ExtensionForm(FlaskForm):
    learner = SelectField(_l("Learner"), coerce=int, validators=[DataRequired()])
    exercise = SelectField(_l("Exercise"), coerce=int, validators=[DataRequired()])
    due_at = moment(_l("New due date"))
    cutoff_at = moment(_l("New cut-off"))
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class GroupForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])


class MembersForm(FlaskForm):
    learners = SelectMultipleField(_l("Learners"), coerce=int, validators=[Optional()])


PENALTIES = [SelectChoice("none", _l("No penalty")), SelectChoice("linear", _l("A deduction per started period")),
             SelectChoice("steps", _l("Steps"))]


class LatePolicyForm(FlaskForm):
    exercise = SelectField(_l("For"), coerce=int, default=0, validators=[Optional()])  # 0: the whole cohort
    grace_minutes = IntegerField(_l("Grace (minutes)"), validators=[NumberRange(min=0, max=10080)], default=15)
    penalty = SelectField(_l("Late penalty"), choices=PENALTIES, default="linear")
    interval_hours = SelectField(_l("Per started"), coerce=int, default=24,
                                 choices=[SelectChoice(1, _l("hour")), SelectChoice(24, _l("day"))])
    rate_percent = DecimalField(_l("Deduction per period (%)"), places=None, default=10,
                                validators=[NumberRange(min=0, max=100)])
    cap_percent = DecimalField(_l("At most (%)"), places=None, default=50, validators=[NumberRange(min=0, max=100)])
    floor_percent = DecimalField(_l("Never below (percent of the points)"), places=None, default=0,
                                 validators=[NumberRange(min=0, max=100)])
    steps = StringField(_l("Steps (hours:percent, e.g. 24:10, 72:30, *:60)"), validators=[Optional(), Length(max=200)])
    counting = SelectField(_l("Attempt that counts"), default="best",
                           choices=[SelectChoice("best", _l("The best")), SelectChoice("last", _l("The last"))])


def parse_steps(text: str | None) -> list[dict]:
    """"24:10, 72:30, *:60" -> [{"up_to_hours": 24, "percent": 10}, ..., {"up_to_hours": None, "percent": 60}];
    ValueError on anything else."""
    steps = []
    for part in (text or "").replace(";", ",").split(","):
        if not part.strip():
            continue
        bound, _, percent = part.partition(":")
        bound = bound.strip()
        steps.append({"up_to_hours": None if bound == "*" else float(bound), "percent": float(percent)})
    return steps


def format_steps(steps: list[dict]) -> str:
    def number(value):
        return f"{value:g}"
    return ", ".join(f"{'*' if s.get('up_to_hours') is None else number(s['up_to_hours'])}:{number(s['percent'])}"
                     for s in steps or [])
