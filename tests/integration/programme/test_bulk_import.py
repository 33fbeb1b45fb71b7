"""Bulk import of learners through its pages: the files an operator really has (CSV UTF-8 with a BOM and `;`,
Windows-1256 from an Arabic Excel, XLSX), the dry run's per-line report (nothing written), the commit of all valid
lines or of all-or-nothing in one transaction (re-checked at commit time), the error file, scope and modes."""
import html
import io
import re

import openpyxl
import pytest
from sqlalchemy import func, select

from lms.auth.models import User
from lms.extensions import db
from lms.imports.models import ImportBatch
from lms.programme.models import Enrolment

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
BATCH = re.compile(r"/imports/(\d+)$")
NAMES = ("Fatima-Zahra El Idrissi", "يوسف بن علي", "Hélène Aït Oufella")


@pytest.fixture
def anfa(programme):
    return programme.centre("casablanca-settat", "Centre Casa Anfa")


@pytest.fixture
def manager(make_user, programme, anfa):
    user = make_user("instructor", name="Nadia Manager")
    programme.grant(user, "centre_manager", centre=anfa)
    return user


@pytest.fixture
def upload(client):
    def send(content: bytes, filename: str = "apprenants.csv", mode: str = "add", cohort=None):
        token = TOKEN.search(client.get("/imports/").text).group(1)
        data = {"csrf_token": token, "mode": mode, "file": (io.BytesIO(content), filename)}
        if cohort is not None:
            data["cohort"] = str(cohort.id)
        return client.post("/imports/", data=data, content_type="multipart/form-data")
    return send


@pytest.fixture
def commit(client):
    def send(batch_id: int, policy: str):
        token = TOKEN.search(client.get(f"/imports/{batch_id}").text).group(1)
        return client.post(f"/imports/{batch_id}/commit", data={"csrf_token": token, "policy": policy})
    return send


def batch_id(response) -> int:
    assert response.status_code == 303, response.text
    return int(BATCH.search(response.headers["Location"]).group(1))


def csv_of(lines: list[str], encoding: str = "utf-8-sig", newline: str = "\r\n") -> bytes:
    return newline.join(lines).encode(encoding)


def report_rows(page: str) -> dict[int, str]:
    """The report's lines as the operator reads them: line number -> the row's text."""
    rows = re.findall(r'<tr class="outcome-\w+">(.*?)</tr>', page, re.S)
    cleaned = {}
    for row in rows:
        cells = [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
                 for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        cleaned[int(cells[0])] = " | ".join(" ".join(cell.split()) for cell in cells[1:])
    return cleaned


def counts() -> tuple[int, int]:
    return (db.session.scalar(select(func.count(User.id))), db.session.scalar(select(func.count(Enrolment.id))))


def learner(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def test_a_utf8_csv_with_semicolons_is_checked_then_imported_names_exactly(client, auth, manager, programme, anfa,
                                                                           upload, commit):
    cohort = programme.cohort(anfa, name="Anfa Fullstack A")
    auth.login(manager)
    assert "/imports/" in client.get("/programme/").text
    assert f"/imports/?cohort={cohort.id}" in client.get(f"/programme/cohorts/{cohort.id}").text
    before = counts()
    content = csv_of(["Courriel ; Nom complet ; Cohorte",
                      f" fatima@test.ma ; {NAMES[0]} ; Anfa Fullstack A ",
                      f"youssef@test.ma;{NAMES[1]};{cohort.id}",
                      f"HELENE@test.ma;{NAMES[2]};anfa fullstack a"])
    assert content.startswith(b"\xef\xbb\xbf")
    batch = batch_id(upload(content))
    page = client.get(f"/imports/{batch}").text
    assert report_rows(page) == {
        2: f"{NAMES[0]} | fatima@test.ma | Anfa Fullstack A | Créera le compte et l'inscrira",
        3: f"{NAMES[1]} | youssef@test.ma | Anfa Fullstack A | Créera le compte et l'inscrira",
        4: f"{NAMES[2]} | HELENE@test.ma | Anfa Fullstack A | Créera le compte et l'inscrira"}
    assert "Lignes : 3 ; valides : 3 ; en erreur : 0" in page and "Vérifié, pas encore importé" in page
    assert counts() == before  # the dry run wrote nothing but the batch

    done = commit(batch, "all_or_nothing")
    assert done.status_code == 303
    page = client.get(f"/imports/{batch}").text
    assert "Import terminé. Comptes créés : 3 ; mis à jour : 0 ; inscriptions : 3." in page
    assert "Compte créé et inscrit" in page and "Importer seulement" not in page  # done: no second commit
    for email, name in zip(("fatima@test.ma", "youssef@test.ma", "helene@test.ma"), NAMES):
        user = learner(email)
        assert user.name == name and user.role == "learner"
        assert not user.check_password("") and not user.password_hash.startswith(("scrypt", "pbkdf2"))
    roster = client.get(f"/programme/cohorts/{cohort.id}").text
    assert all(name in roster for name in NAMES)
    assert commit(batch, "all_valid").status_code == 409  # the same file does not land twice


def test_a_windows_1256_csv_with_arabic_headers(client, auth, manager, programme, anfa, upload, commit):
    programme.cohort(anfa, name="الفوج الأول")
    auth.login(manager)
    content = csv_of(["البريد الإلكتروني,الاسم,الفوج", f"youssef@test.ma,{NAMES[1]},الفوج الأول",
                      "salma@test.ma,سلمى العلوي,الفوج الأول"], encoding="cp1256")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    batch = batch_id(upload(content, "arabe.csv"))
    assert report_rows(client.get(f"/imports/{batch}").text)[2] == (
        f"{NAMES[1]} | youssef@test.ma | الفوج الأول | Créera le compte et l'inscrira")
    assert commit(batch, "all_or_nothing").status_code == 303
    assert learner("youssef@test.ma").name == NAMES[1] and learner("salma@test.ma").name == "سلمى العلوي"
    arabic = client.get(f"/imports/{batch}?lang=ar").text
    assert 'dir="rtl"' in arabic and "أُنشئ الحساب وسُجِّل" in arabic


def test_an_xlsx_with_first_and_last_names_and_the_cohort_number(client, auth, manager, programme, anfa, upload,
                                                                 commit):
    cohort = programme.cohort(anfa, name="Anfa Data")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["E-mail", "Prénom", "Nom", "Cohort"])
    sheet.append(["helene@test.ma", "Hélène", "Aït Oufella", cohort.id])  # a number cell
    sheet.append([None, None, None, None])  # an empty row, skipped
    sheet.append(["fatima@test.ma", "Fatima-Zahra", "El Idrissi", str(cohort.id)])
    out = io.BytesIO()
    book.save(out)
    auth.login(manager)
    batch = batch_id(upload(out.getvalue(), "liste.xlsx"))
    assert report_rows(client.get(f"/imports/{batch}").text) == {
        2: f"{NAMES[2]} | helene@test.ma | Anfa Data | Créera le compte et l'inscrira",
        4: f"{NAMES[0]} | fatima@test.ma | Anfa Data | Créera le compte et l'inscrira"}
    assert commit(batch, "all_valid").status_code == 303
    assert learner("helene@test.ma").name == NAMES[2]


def test_the_dry_run_reports_each_kind_of_error_and_writes_nothing(client, auth, manager, make_user, programme, anfa,
                                                                   upload):
    track = programme.track()
    open_cohort = programme.cohort(anfa, name="Anfa A", capacity=3)
    small = programme.cohort(anfa, name="Anfa Petite", capacity=1)
    closed = programme.cohort(anfa, name="Anfa 2025")
    closed.status = "closed"
    db.session.commit()
    other_centre = programme.centre("souss-massa", "Centre Agadir")
    programme.cohort(other_centre, name="Agadir A")
    programme.enrol(make_user(email="inside@test.ma"), open_cohort)
    elsewhere = programme.cohort(anfa, name="Anfa B", track=track)
    programme.enrol(make_user(email="busy@test.ma"), elsewhere)
    make_user("instructor", email="staff@test.ma")
    auth.login(manager)
    before = counts()
    content = csv_of(["email;nom;cohorte",
                      "pas-une-adresse;Ali Ok;Anfa A",  # 2
                      "amal@test.ma;Amal;Anfa A",  # 3 valid
                      "AMAL@test.ma;Amal bis;Anfa A",  # 4 duplicate of 3
                      "x1@test.ma;X Un;Cohorte Fantôme",  # 5
                      "x2@test.ma;X Deux;Agadir A",  # 6 another centre's: unknown, never "outside"
                      "x3@test.ma;X Trois;Anfa 2025",  # 7 closed
                      "x4@test.ma;X Quatre;Anfa Petite",  # 8 valid, takes the last seat
                      "x5@test.ma;X Cinq;Anfa Petite",  # 9 full
                      "staff@test.ma;Staff;Anfa A",  # 10
                      "inside@test.ma;;Anfa A",  # 11 (add mode: the account exists)
                      "x6@test.ma;;Anfa A",  # 12 no name
                      "x7@test.ma;X Sept;"],  # 13 no cohort
                     newline="\n")
    response = upload(content)
    page = client.get(f"/imports/{batch_id(response)}").text
    rows = report_rows(page)
    assert rows[2].endswith("Erreur : Adresse e-mail invalide.")
    assert rows[3].endswith("Créera le compte et l'inscrira")
    assert rows[4].endswith("Erreur : Même adresse e-mail que la ligne 3.")
    assert rows[5].endswith("Erreur : Cohorte inconnue : aucune des vôtres n'a ce nom ou ce numéro.")
    assert rows[6].endswith("Erreur : Cohorte inconnue : aucune des vôtres n'a ce nom ou ce numéro.")
    assert rows[7].endswith("Erreur : Cette cohorte est clôturée.")
    assert rows[8].endswith("Créera le compte et l'inscrira")
    assert rows[9].endswith("Erreur : La cohorte est complète (1 apprenants, en comptant les lignes précédentes).")
    assert rows[10].endswith("Erreur : Cette adresse est celle d'un compte de l'équipe, pas d'un apprenant.")
    assert rows[11].endswith("Erreur : Un compte a déjà cette adresse (mode : ajout seul).")
    assert rows[12].endswith("Erreur : Le nom manque.")
    assert rows[13].endswith("Erreur : La cohorte manque.")
    assert "Lignes : 12 ; valides : 2 ; en erreur : 10" in page
    assert "Centre Agadir" not in page  # the other centre's cohort is never revealed
    assert counts() == before

    # Existing learners, in add-and-update mode: already here, or active in another cohort of the track.
    response = upload(csv_of(["email;nom;cohorte", "inside@test.ma;;Anfa A", "busy@test.ma;Busy;Anfa A"]),
                      mode="add_update")
    rows = report_rows(client.get(f"/imports/{batch_id(response)}").text)
    assert rows[2].endswith("Erreur : Déjà dans cette cohorte.")
    assert rows[3].endswith("Erreur : Déjà actif dans une autre cohorte de ce parcours (Anfa B).")
    assert counts() == before


def test_the_commit_checks_again_all_valid_lines_or_nothing(client, auth, manager, make_user, programme, anfa, upload,
                                                            commit):
    cohort = programme.cohort(anfa, name="Anfa A", capacity=2)
    auth.login(manager)
    batch = batch_id(upload(csv_of(["email,name,cohort", "a@test.ma,Amina,Anfa A", "b@test.ma,Brahim,Anfa A"])))
    assert "valides : 2 ; en erreur : 0" in client.get(f"/imports/{batch}").text
    programme.enrol(make_user(email="early@test.ma"), cohort)  # a seat taken between the dry run and the commit
    before = counts()

    refused = commit(batch, "all_or_nothing")
    assert refused.status_code == 409
    assert "Rien n'a été importé. Lignes en erreur : 1." in html.unescape(refused.text)
    assert "Refusé : rien n'a été importé" in html.unescape(refused.text)
    assert report_rows(refused.text)[3].endswith("Erreur : La cohorte est complète (2 apprenants, en comptant les "
                                                 "lignes précédentes).")
    assert counts() == before and learner("a@test.ma") is None  # not even the line that still fits

    done = commit(batch, "all_valid")
    assert done.status_code == 303
    page = client.get(f"/imports/{batch}").text
    assert "Comptes créés : 1 ; mis à jour : 0 ; inscriptions : 1." in page
    assert learner("a@test.ma").name == "Amina" and learner("b@test.ma") is None
    assert db.session.get(ImportBatch, batch).status == "committed"


def test_a_file_with_only_errors_is_refused_whatever_the_choice(client, auth, manager, programme, anfa, upload,
                                                               commit):
    programme.cohort(anfa, name="Anfa A")
    auth.login(manager)
    batch = batch_id(upload(csv_of(["email,name,cohort", "nope,Amina,Anfa A"])))
    page = client.get(f"/imports/{batch}").text
    assert "Importer les lignes valides" not in page
    response = commit(batch, "all_valid")
    assert response.status_code == 409 and "Rien n'a été importé" in html.unescape(response.text)


def test_the_error_file_gives_back_the_refused_lines_with_their_reason(client, auth, manager, make_user, programme,
                                                                       anfa, upload, commit):
    programme.cohort(anfa, name="Anfa A")
    auth.login(manager)
    batch = batch_id(upload(csv_of(["Courriel;Nom;Cohorte",
                                    "ok@test.ma;Amina;Anfa A",
                                    "=HYPERLINK(\"http://x\");Karim;Anfa A",
                                    "bad@test.ma;Hélène Aït Oufella;Nulle part"])))
    page = client.get(f"/imports/{batch}").text
    link = f"/exports/import-errors.csv?batch={batch}"
    assert link in page
    response = client.get(link)
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf")
    lines = response.data.decode("utf-8-sig").split("\r\n")
    assert lines[0] == '"Courriel","Nom","Cohorte","Erreur"'
    assert lines[1] == '"\'=HYPERLINK(""http://x"")","Karim","Anfa A","Ligne 3 : Adresse e-mail invalide."'
    assert lines[2] == ('"bad@test.ma","Hélène Aït Oufella","Nulle part","Ligne 4 : Cohorte inconnue : aucune des '
                        'vôtres n\'a ce nom ou ce numéro."')
    assert lines[3:] == [""]
    # The corrected error file goes back as it is: its "Erreur" column is ignored.
    fixed = response.data.decode("utf-8-sig").replace("'=HYPERLINK(\"\"http://x\"\")", "karim@test.ma") \
        .replace("Nulle part", "Anfa A").encode("utf-8-sig")
    again = batch_id(upload(fixed, "erreurs-corrigees.csv"))
    assert "valides : 2 ; en erreur : 0" in client.get(f"/imports/{again}").text

    auth.logout()
    other = make_user("instructor")
    programme.grant(other, "centre_manager", centre=anfa)
    auth.login(other)
    assert client.get(link).status_code == 404  # an import is its author's
    assert client.get(f"/imports/{batch}").status_code == 404


def test_scope_a_centre_manager_imports_into_their_centre_only(client, auth, manager, make_user, programme, anfa,
                                                              upload):
    agadir = programme.cohort(programme.centre("souss-massa", "Centre Agadir"), name="Agadir A")
    auth.login(manager)
    batch = batch_id(upload(csv_of(["email,name,cohort", f"a@test.ma,Amina,{agadir.id}",
                                    "b@test.ma,Brahim,Agadir A"])))
    rows = report_rows(client.get(f"/imports/{batch}").text)
    assert all(row.endswith("Cohorte inconnue : aucune des vôtres n'a ce nom ou ce numéro.") for row in rows.values())
    assert client.get(f"/imports/?cohort={agadir.id}").status_code == 404
    assert upload(csv_of(["email,name", "a@test.ma,Amina"]), cohort=agadir).status_code == 404

    auth.logout()
    teacher = make_user("instructor")
    programme.grant(teacher, "instructor", cohort=agadir)
    auth.login(teacher)
    assert client.get("/imports/").status_code == 403
    assert "/imports/" not in client.get("/programme/").text
    assert "Importer des apprenants" not in client.get(f"/programme/cohorts/{agadir.id}").text
    token = TOKEN.search(client.get("/programme/").text).group(1)
    response = client.post("/imports/", data={"csrf_token": token, "mode": "add",
                                              "file": (io.BytesIO(b"email,name,cohort\n"), "a.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 403
    assert client.get(f"/imports/{batch}").status_code == 403


def test_from_a_cohort_page_the_cohort_column_is_optional(client, auth, manager, programme, anfa, upload, commit):
    cohort = programme.cohort(anfa, name="Anfa A")
    auth.login(manager)
    assert "Dans la cohorte Anfa A" in client.get(f"/imports/?cohort={cohort.id}").text
    batch = batch_id(upload(csv_of(["email,nom", "a@test.ma,Amina"]), cohort=cohort))
    assert report_rows(client.get(f"/imports/{batch}").text)[2].endswith("Anfa A | Créera le compte et l'inscrira")
    missing = upload(csv_of(["email,nom", "a@test.ma,Amina"]))
    assert missing.status_code == 400 and "Des colonnes manquent" in missing.text


@pytest.mark.parametrize("filename, content, message", [
    ("liste.pdf", b"%PDF-1.4", "Envoyez un fichier .csv ou .xlsx."),
    ("liste.csv", b"x" * (2 * 1024 * 1024 + 1), "Le fichier dépasse 2 Mo."),
    ("liste.csv", b"email,name,cohort\n" + b"a@b.ma,A,1\n" * 5001, "Le fichier a 5001 lignes ; 5000 au plus"),
    ("liste.csv", b"email;telephone;cohorte\na@b.ma;06;1\n", "Colonne inconnue « telephone »"),
    ("liste.csv", b"nom;cohorte\nAmina;1\n", "Des colonnes manquent. Les colonnes sont : courriel"),
    ("liste.csv", b"email;nom;cohorte\n", "Le fichier a une ligne d'en-tête mais aucun apprenant."),
    ("liste.csv", b"", "Le fichier est vide."),
    ("liste.xlsx", b"PK not really a workbook", "Ce fichier XLSX est illisible."),
    ("liste.csv", "email,name\x00".encode("utf-16-le"), "enregistrez-le en CSV UTF-8"),
])
def test_a_file_that_cannot_be_read_is_refused_with_a_message(client, auth, manager, upload, filename, content,
                                                              message):
    auth.login(manager)
    response = upload(content, filename)
    assert response.status_code == 400
    assert message in html.unescape(response.text)
    assert db.session.scalar(select(func.count(ImportBatch.id))) == 0


def test_the_modes_add_add_and_update_update_only(client, auth, manager, make_user, programme, anfa, upload, commit):
    cohort = programme.cohort(anfa, name="Anfa A")
    make_user(email="known@test.ma", name="Fatima Zahra")
    make_user(email="same@test.ma", name="Hélène Aït Oufella")
    auth.login(manager)
    content = csv_of(["email,name,cohort", f"known@test.ma,{NAMES[0]},Anfa A", f"same@test.ma,{NAMES[2]},Anfa A",
                      f"new@test.ma,{NAMES[1]},Anfa A"])

    add = report_rows(client.get(f"/imports/{batch_id(upload(content, mode='add'))}").text)
    assert add[2].endswith("Un compte a déjà cette adresse (mode : ajout seul).")
    assert add[3].endswith("Un compte a déjà cette adresse (mode : ajout seul).")
    assert add[4].endswith("Créera le compte et l'inscrira")

    update = report_rows(client.get(f"/imports/{batch_id(upload(content, mode='update'))}").text)
    assert update[2].endswith("Mettra à jour le nom et inscrira") and update[3].endswith("| Inscrira")
    assert update[4].endswith("Aucun compte n'a cette adresse (mode : mise à jour seule).")

    both = batch_id(upload(content, mode="add_update"))
    rows = report_rows(client.get(f"/imports/{both}").text)
    assert [rows[2].rsplit(" | ", 1)[1], rows[3].rsplit(" | ", 1)[1], rows[4].rsplit(" | ", 1)[1]] == [
        "Mettra à jour le nom et inscrira", "Inscrira", "Créera le compte et l'inscrira"]
    assert commit(both, "all_or_nothing").status_code == 303
    assert "Comptes créés : 1 ; mis à jour : 1 ; inscriptions : 3." in client.get(f"/imports/{both}").text
    assert learner("known@test.ma").name == NAMES[0] and learner("new@test.ma").name == NAMES[1]
    assert db.session.scalar(select(func.count(Enrolment.id)).where(Enrolment.cohort_id == cohort.id)) == 3

    # Update only, for a learner already in the cohort: the name is corrected, nobody enrolled twice.
    rename = batch_id(upload(csv_of(["email,name,cohort", "known@test.ma,Fatima-Zahra EL IDRISSI,Anfa A"]),
                             mode="update"))
    assert report_rows(client.get(f"/imports/{rename}").text)[2].endswith("| Mettra à jour le nom")
    assert commit(rename, "all_or_nothing").status_code == 303
    assert learner("known@test.ma").name == "Fatima-Zahra EL IDRISSI"
    assert db.session.scalar(select(func.count(Enrolment.id)).where(Enrolment.cohort_id == cohort.id)) == 3


def test_a_far_too_large_upload_gets_a_413_with_the_limit(client, auth, manager, upload):
    auth.login(manager)
    response = upload(b"x" * (9 * 1024 * 1024), "enorme.csv")
    assert response.status_code == 413 and response.text == "Le fichier dépasse 2 Mo."


def test_programme_staff_name_a_cohort_two_centres_share_by_its_number(client, auth, make_staff, make_user,
                                                                       programme, anfa, upload):
    first = programme.cohort(anfa, name="Data 2027")
    second = programme.cohort(programme.centre("oriental", "Centre Oujda"), name="Data 2027")
    gone = programme.enrol(make_user(email="gone@test.ma"), first)
    gone.withdrawn_at, gone.withdrawal_reason = gone.enrolled_at, "Embauchée"
    db.session.commit()
    auth.login(make_staff())
    batch = batch_id(upload(csv_of(["email,name,cohort", "a@test.ma,Amina,Data 2027", f"b@test.ma,Brahim,{second.id}",
                                    f"gone@test.ma,,{first.id}"]), mode="add_update"))
    rows = report_rows(client.get(f"/imports/{batch}").text)
    assert rows[2].endswith(f"Erreur : Plusieurs de vos cohortes ont ce nom : indiquez son numéro "
                            f"({first.id}, {second.id}).")
    assert rows[3].endswith("Data 2027 | Créera le compte et l'inscrira")
    assert rows[4].endswith("Erreur : Cet apprenant s'est retiré de cette cohorte.")


def test_an_unknown_mode_is_refused(client, auth, manager, programme, anfa):
    programme.cohort(anfa, name="Anfa A")
    auth.login(manager)
    token = TOKEN.search(client.get("/imports/").text).group(1)
    response = client.post("/imports/", data={"csrf_token": token, "mode": "replace_all",
                                              "file": (io.BytesIO(b"email,name,cohort\na@b.ma,A,Anfa A\n"), "a.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and 'class="field-error" role="alert"' in response.text
    assert db.session.scalar(select(func.count(ImportBatch.id))) == 0


def test_imported_learners_get_the_dates_of_their_cohorts_published_modules(client, auth, manager, programme, anfa,
                                                                            upload, commit):
    from lms.deadlines.models import EffectiveWindow

    cohort = programme.cohort(anfa, name="Anfa A")
    exercise = programme.exercise()
    programme.publish(cohort, exercise.module)
    auth.login(manager)
    batch = batch_id(upload(csv_of(["email,nom", "a@test.ma,Amina"]), cohort=cohort))
    assert commit(batch, "all_valid").status_code == 303
    imported = learner("a@test.ma")
    assert db.session.get(EffectiveWindow, (cohort.id, imported.id, exercise.id)) is not None  # the module opens
