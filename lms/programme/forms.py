from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from lms.programme.models import ScopedRole

EMAIL_VALIDATORS = [DataRequired(), Regexp(r"^[^@\s]+@[^@\s]+$", message=_l("Enter an email address.")), Length(max=254)]


def strip(value):
    return value.strip() if isinstance(value, str) else value


ROLE_LABELS = {ScopedRole.INSTRUCTOR: _l("Instructor"), ScopedRole.CENTRE_MANAGER: _l("Centre manager"),
               ScopedRole.REGIONAL_COORDINATOR: _l("Regional coordinator"),
               ScopedRole.PROGRAMME_STAFF: _l("Programme staff")}


class CentreForm(FlaskForm):
    region = SelectField(_l("Region"), coerce=int, validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=80)])


class CohortForm(FlaskForm):
    centre = SelectField(_l("Centre"), coerce=int, validators=[DataRequired()])
    track = SelectField(_l("Track"), coerce=int, validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    starts_on = DateField(_l("Start date"), validators=[DataRequired()])
    ends_on = DateField(_l("End date"), validators=[DataRequired()])
    capacity = IntegerField(_l("Capacity"), validators=[DataRequired(), NumberRange(min=1, max=500)])


class EmailForm(FlaskForm):
    """Enrol a learner, or assign an instructor, by their account's address."""
    email = EmailField(_l("Email"), validators=EMAIL_VALIDATORS, filters=[strip])


class EnrolForm(EmailForm):
    """Enrol a learner by address; for an address without an account, their name creates it (with an invitation),
    or the address is pre-enrolled."""
    name = StringField(_l("Name (for a new account)"), validators=[Optional(), Length(max=120)], filters=[strip])


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class StatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=[])


class GrantForm(FlaskForm):
    email = EmailField(_l("Email"), validators=EMAIL_VALIDATORS, filters=[strip])
    role = SelectField(_l("Role"), choices=[SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()
                                            if role != ScopedRole.INSTRUCTOR])
    region = SelectField(_l("Region"), coerce=int, validators=[Optional()])
    centre = SelectField(_l("Centre"), coerce=int, validators=[Optional()])
