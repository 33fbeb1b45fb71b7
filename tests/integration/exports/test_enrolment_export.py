"""The enrolment export of a cohort: who may take it (its scope, else 404), what Excel gets (names exactly, the
withdrawal and its reason), and the log of every export taken."""
import io

import openpyxl
from sqlalchemy import select

from lms.clock import utcnow
from lms.exports.models import ExportLog
from lms.extensions import db


def test_a_manager_exports_the_roster_as_xlsx_and_csv_and_each_is_logged(client, auth, make_user, programme):
    centre = programme.centre("casablanca-settat", "Centre Casa Anfa")
    cohort = programme.cohort(centre, name="Anfa A")
    programme.enrol(make_user(name="سلمى بنعلي", email="salma@test.ma"), cohort)
    gone = programme.enrol(make_user(name="=Karim+1", email="karim@test.ma"), cohort)
    gone.withdrawn_at, gone.withdrawal_reason = utcnow(), "Embauché"
    db.session.commit()
    manager = make_user("instructor")
    programme.grant(manager, "centre_manager", centre=centre)
    auth.login(manager)
    assert f"/exports/enrolment.xlsx?cohort={cohort.id}" in client.get(f"/programme/cohorts/{cohort.id}").text
    xlsx = client.get(f"/exports/enrolment.xlsx?cohort={cohort.id}&lang=ar")
    assert xlsx.status_code == 200
    assert xlsx.headers["Content-Disposition"].startswith("attachment;")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert sheet.sheet_view.rightToLeft and rows[0][0] == "الاسم"
    assert rows[1][:2] == ["سلمى بنعلي", "salma@test.ma"]
    assert rows[2][0] == "=Karim+1" and sheet.cell(3, 1).data_type == "s" and rows[2][5] == "Embauché"
    csv = client.get(f"/exports/enrolment.csv?cohort={cohort.id}")
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    text = csv.data.decode("utf-8-sig")
    assert csv.data.startswith(b"\xef\xbb\xbf") and text.startswith('"Nom","Adresse e-mail","Statut"')
    assert '"\'=Karim+1"' in text and '"Embauché"' in text and "\r\n" in text
    logs = db.session.scalars(select(ExportLog).order_by(ExportLog.id)).all()
    assert [(log.user_id, log.export, log.file_format, log.rows, log.parameters) for log in logs] == [
        (manager.id, "enrolment", "xlsx", 2, {"cohort": str(cohort.id)}),
        (manager.id, "enrolment", "csv", 2, {"cohort": str(cohort.id)})]


def test_the_export_of_a_cohort_outside_ones_scope_is_not_found_and_not_logged(client, auth, make_user, programme):
    cohort = programme.cohort(programme.centre("rabat-sale-kenitra"))
    programme.enrol(make_user(email="secret-learner@test.ma"), cohort)
    other = make_user("instructor")
    programme.grant(other, "instructor", cohort=programme.cohort())
    auth.login(other)
    for path in (f"/exports/enrolment.xlsx?cohort={cohort.id}", f"/exports/enrolment.csv?cohort={cohort.id}",
                 "/exports/enrolment.csv?cohort=abc", "/exports/enrolment.pdf?cohort=1", "/exports/nothing.csv"):
        answer = client.get(path)
        assert answer.status_code == 404 and b"secret-learner" not in answer.data, path
    auth.logout()
    auth.login(make_user())
    assert client.get(f"/exports/enrolment.csv?cohort={cohort.id}").status_code == 403
    assert db.session.scalar(select(ExportLog.id)) is None
