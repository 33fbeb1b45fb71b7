from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional


class OverrideForm(FlaskForm):
    points = DecimalField(_l("Mark (points; empty: the computed one)"), places=None,
                          validators=[Optional(), NumberRange(min=0)])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=500)])


class ExcuseForm(FlaskForm):
    excused = BooleanField(_l("Excused (left out of every total)"))
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=500)])
