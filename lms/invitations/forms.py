from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional


class PasswordChoiceForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[
        DataRequired(), Length(min=10, max=200, message=_l("A password has at least 10 characters."))])
    confirmation = PasswordField(_l("The same password again"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])


class InviteForm(FlaskForm):
    """One learner (its id), or everyone who has not logged in yet (empty)."""
    learner = HiddenField()


class AccountStatusForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=500)])
