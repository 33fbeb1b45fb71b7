from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import DataRequired


class RegradeForm(FlaskForm):
    exercise = SelectField(_l("Exercise"), coerce=int, validators=[DataRequired()])
