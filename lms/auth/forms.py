from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[
        DataRequired(), Regexp(r"^[^@\s]+@[^@\s]+$", message=_l("Enter an email address.")), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    next = HiddenField()


class LanguageForm(FlaskForm):
    language = SelectField(_l("Language"), choices=[SelectChoice("fr", "Français"), SelectChoice("ar", "العربية"),
                                                    SelectChoice("en", "English")])
    next = HiddenField()


class EmptyForm(FlaskForm):
    """A form with only its CSRF token, for POST buttons (logout, new API token)."""
