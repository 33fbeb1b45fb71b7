"""`flask lms seed-programme`: a realistic programme to measure against (issue 11's scale: 15,000 learners, 12
regions, 40 centres, 500 cohorts, 1,000,000 submissions, 2,000,000 attendance marks), written with bulk inserts,
deterministic for a seed.
Every seeded account shares one password (printed), so a benchmark can log in as any of them."""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from lms.attendance.models import AttendanceMark, AttendanceSession
from lms.auth.models import Role, User
from lms.catalog.models import Exercise, Module, Track
from lms.clock import utcnow
from lms.deadlines.models import Publication
from lms.deadlines.services import refresh_windows
from lms.extensions import db
from lms.gradebook.services import recompute_grades
from lms.programme.models import Centre, Cohort, CohortStatus, Enrolment, Region, RoleGrant, ScopedRole
from lms.programme.services import add_months
from lms.submissions.models import Submission

SEED_DOMAIN = "seed.jobintech.ma"
CITIES = {  # where centres open, in proportion to the regions' populations
    "casablanca-settat": ["Casablanca", "Mohammedia", "El Jadida", "Settat", "Berrechid", "Benslimane"],
    "rabat-sale-kenitra": ["Rabat", "Salé", "Kénitra", "Témara", "Khémisset"],
    "fes-meknes": ["Fès", "Meknès", "Taza", "Ifrane"],
    "marrakech-safi": ["Marrakech", "Safi", "Essaouira", "El Kelâa des Sraghna"],
    "tanger-tetouan-al-hoceima": ["Tanger", "Tétouan", "Al Hoceïma", "Larache"],
    "souss-massa": ["Agadir", "Inezgane", "Taroudant"],
    "oriental": ["Oujda", "Nador", "Berkane"],
    "beni-mellal-khenifra": ["Béni Mellal", "Khouribga", "Khénifra"],
    "draa-tafilalet": ["Errachidia", "Ouarzazate"],
    "guelmim-oued-noun": ["Guelmim", "Tan-Tan"],
    "laayoune-sakia-el-hamra": ["Laâyoune"],
    "dakhla-oued-ed-dahab": ["Dakhla"],
}
FIRST_NAMES = ["Amina", "Youssef", "Salma", "Omar", "Fatima-Zahra", "Mehdi", "Hajar", "Ayoub", "Khadija", "Hamza",
               "Imane", "Anas", "Sara", "Othmane", "Meryem", "Zakaria", "Nour", "Ilyas", "Hiba", "Soufiane",
               "يوسف", "أمينة", "سلمى", "عمر", "خديجة", "حمزة", "إيمان", "مريم"]
LAST_NAMES = ["El Idrissi", "Bennani", "Alaoui", "Tazi", "Berrada", "El Amrani", "Chraibi", "Fassi", "Ouazzani",
              "Aït Oufella", "Benjelloun", "Lahlou", "Skalli", "Naciri", "بن علي", "العلوي", "الإدريسي", "التازي"]
CHUNK = 20_000


@dataclass
class SeedReport:
    counts: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    password: str = ""


def insert(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        db.session.execute(model.__table__.insert(), rows[start:start + CHUNK])


def next_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def seed_programme(learners: int = 15_000, centres: int = 40, cohorts: int = 500, submissions: int = 1_000_000,
                   attendance_marks: int = 2_000_000, seed: int = 1, password: str = "seed-programme-pw",
                   progress=lambda message: None, tag: str = "") -> SeedReport:
    """Writes the programme into an installation whose content is imported (tracks, modules, exercises). `tag`
    goes into the accounts' addresses (learner00001<tag>@…), so that a test can seed twice."""
    rng = random.Random(seed)
    report = SeedReport(password=password)
    clock = time.monotonic()

    def lap(name: str) -> None:
        nonlocal clock
        report.seconds[name] = round(time.monotonic() - clock, 1)
        progress(f"{name}: {report.seconds[name]} s")
        clock = time.monotonic()

    tracks = db.session.scalars(select(Track).where(Track.archived.is_(False)).order_by(Track.position)).all()
    exercises_of = {track.id: db.session.execute(
        select(Exercise.id, Exercise.module_id, Exercise.points).join(Module)
        .where(Module.track_id == track.id, Module.archived.is_(False), Exercise.archived.is_(False))
        .order_by(Module.position, Exercise.position)).all() for track in tracks}
    tracks = [t for t in tracks if exercises_of[t.id]]
    if not tracks:
        raise ValueError("no exercise: import content first (flask lms import-content)")
    if db.session.scalar(select(User.id).where(User.email == f"staff{tag}@{SEED_DOMAIN}")):
        raise ValueError("this database is seeded already")
    now = utcnow().replace(microsecond=0)
    password_hash = generate_password_hash(password)

    # --- centres, cohorts ----------------------------------------------------------------------------------
    regions = {r.code: r for r in db.session.scalars(select(Region))}
    places = [(code, city) for code, cities in CITIES.items() for city in cities]
    centre_id = next_id(Centre)
    centre_rows = [{"id": centre_id + i, "region_id": regions[places[i % len(places)][0]].id,
                    "name": f"Centre JobInTech {places[i % len(places)][1]}{tag}"
                            + (f" {i // len(places) + 1}" if i >= len(places) else ""),
                    "city": places[i % len(places)][1], "created_at": now} for i in range(centres)]
    insert(Centre, centre_rows)
    cohort_id = next_id(Cohort)
    per_cohort = max(1, learners // cohorts)
    cohort_rows = []
    for i in range(cohorts):
        track = tracks[i % len(tracks)]
        starts_on = (now - timedelta(days=rng.randint(14, 240))).date()
        ends_on = add_months(starts_on, rng.choice((4, 5, 6)))
        status = CohortStatus.CLOSED if ends_on < now.date() else CohortStatus.RUNNING
        cohort_rows.append({"id": cohort_id + i, "name": f"{track.slug} {starts_on:%Y-%m} #{i + 1}{tag}",
                            "track_id": track.id, "centre_id": centre_rows[i % centres]["id"],
                            "starts_on": starts_on, "ends_on": ends_on, "capacity": per_cohort + 5,
                            "status": status, "created_at": now})
    insert(Cohort, cohort_rows)
    lap("centres and cohorts")

    # --- accounts, enrolments, roles ---------------------------------------------------------------------
    user_id = next_id(User)
    user_rows, enrolment_rows, grant_rows = [], [], []

    def account(email, name, role):
        row = {"id": user_id + len(user_rows), "email": email, "name": name, "role": role,
               "password_hash": password_hash, "active": True, "created_at": now}
        user_rows.append(row)
        return row["id"]

    learner_cohort = {}
    for n in range(learners):
        cohort = cohort_rows[min(n // per_cohort, cohorts - 1)]
        uid = account(f"learner{n + 1:05d}{tag}@{SEED_DOMAIN}", f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                      Role.LEARNER)
        learner_cohort[uid] = cohort
        enrolment_rows.append({"cohort_id": cohort["id"], "user_id": uid,
                               "enrolled_at": datetime.combine(cohort["starts_on"], datetime.min.time())})
    for i, cohort in enumerate(cohort_rows):
        uid = account(f"instructor{i + 1:03d}{tag}@{SEED_DOMAIN}", f"Formateur {i + 1}", Role.INSTRUCTOR)
        grant_rows.append({"user_id": uid, "role": ScopedRole.INSTRUCTOR, "cohort_id": cohort["id"],
                           "granted_at": now})
    for i, centre in enumerate(centre_rows):
        uid = account(f"manager{i + 1:02d}{tag}@{SEED_DOMAIN}", f"Responsable {centre['name']}", Role.INSTRUCTOR)
        grant_rows.append({"user_id": uid, "role": ScopedRole.CENTRE_MANAGER, "centre_id": centre["id"],
                           "granted_at": now})
    for code, region in regions.items():
        uid = account(f"coordinator-{code}{tag}@{SEED_DOMAIN}", f"Coordination {code}", Role.INSTRUCTOR)
        grant_rows.append({"user_id": uid, "role": ScopedRole.REGIONAL_COORDINATOR, "region_id": region.id,
                           "granted_at": now})
    uid = account(f"staff{tag}@{SEED_DOMAIN}", "Programme JobInTech", Role.INSTRUCTOR)
    grant_rows.append({"user_id": uid, "role": ScopedRole.PROGRAMME_STAFF, "granted_at": now})
    insert(User, user_rows)
    insert(Enrolment, enrolment_rows)
    insert(RoleGrant, [{"region_id": None, "centre_id": None, "cohort_id": None, **row} for row in grant_rows])
    lap("accounts, enrolments and roles")

    # --- publications (a module every two weeks from the start), windows ----------------------------------
    publication_rows, opens = [], {}
    for cohort in cohort_rows:
        start = datetime.combine(cohort["starts_on"], datetime.min.time()) + timedelta(hours=8)
        modules = list(dict.fromkeys(module_id for _, module_id, _ in exercises_of[cohort["track_id"]]))
        for k, module_id in enumerate(modules):
            opens_at = start + timedelta(weeks=2 * k)
            due_at = opens_at + timedelta(weeks=2, hours=15)
            opens[(cohort["id"], module_id)] = (opens_at, due_at)
            publication_rows.append({"cohort_id": cohort["id"], "module_id": module_id, "exercise_id": None,
                                     "opens_at": opens_at, "due_at": due_at, "cutoff_at": due_at + timedelta(days=3),
                                     "published_at": now})
    insert(Publication, publication_rows)
    for cohort in cohort_rows:
        refresh_windows(cohort["id"], commit=False)
    db.session.commit()
    lap("publications and windows")

    # --- submissions: each learner's attempts on the exercises opened to them -------------------------------
    per_learner = max(1, submissions // max(1, learners))
    submission_rows = []
    for uid, cohort in learner_cohort.items():
        exercises = [e for e in exercises_of[cohort["track_id"]] if opens[(cohort["id"], e.module_id)][0] < now]
        if not exercises:
            continue
        skill = rng.random()
        for k in range(per_learner):
            exercise = exercises[k % len(exercises)]
            opens_at, due_at = opens[(cohort["id"], exercise.module_id)]
            latest = min(now, due_at + timedelta(days=2))
            accepted = opens_at + (latest - opens_at) * rng.random()
            practice = rng.random() < 0.1
            score = None if practice else round(exercise.points * min(1.0, skill + rng.random() * 0.5), 1)
            submission_rows.append({
                "user_id": uid, "exercise_id": exercise.id, "files": {"solution.py": f"# attempt {k + 1}\n"},
                "mode": "practice" if practice else "graded", "status": "completed",
                "verdict": "passed" if score == exercise.points else "failed", "score": score,
                "max_score": 0.0 if practice else exercise.points, "feedback": {}, "diagnostics": {},
                "attempts": 1, "content_version": "", "created_at": accepted,
                "queued_at": accepted, "started_at": accepted, "finished_at": accepted + timedelta(seconds=1),
                "stored_at": accepted + timedelta(seconds=1)})
        if len(submission_rows) >= CHUNK:
            insert(Submission, submission_rows)
            submission_rows = []
    insert(Submission, submission_rows)
    db.session.commit()
    lap("submissions")

    # --- stored grades, as the workers would have written them ------------------------------------------------
    for cohort in cohort_rows:
        recompute_grades(cohort["id"], commit=False)
        db.session.commit()
    lap("stored grades")

    # --- attendance: closed sessions (mornings and afternoons of weekdays since the start), a mark each ----------
    session_id, marks, mark_rows = next_id(AttendanceSession), 0, []
    roster = {}
    for uid, cohort in learner_cohort.items():
        roster.setdefault(cohort["id"], []).append(uid)
    per_cohort_marks = 2 * attendance_marks // max(1, cohorts)  # older cohorts hold more; the total stops at the target
    written = 0
    for cohort in cohort_rows:
        session_rows, day = [], cohort["starts_on"]
        last_day = min(cohort["ends_on"], now.date() - timedelta(days=1))
        learners_here = roster.get(cohort["id"], [])
        while (day <= last_day and learners_here and len(session_rows) * len(learners_here) < per_cohort_marks
               and written + len(learners_here) <= attendance_marks):
            if day.weekday() < 5:
                for hour in (8, 13):  # 09:00 and 14:00 in Morocco
                    written += len(learners_here)
                    starts = datetime.combine(day, datetime.min.time()) + timedelta(hours=hour)
                    session_rows.append({"id": session_id, "cohort_id": cohort["id"], "starts_at": starts,
                                         "ends_at": starts + timedelta(hours=3, minutes=30), "room": "Salle 1",
                                         "secret": f"{rng.getrandbits(128):032x}", "status": "closed",
                                         "created_at": now, "closed_at": starts + timedelta(hours=4)})
                    for uid in learners_here:
                        draw = rng.random()
                        status = ("present" if draw < 0.85 else "late" if draw < 0.92 else
                                  "excused" if draw < 0.95 else "absent")
                        mark_rows.append({"session_id": session_id, "user_id": uid, "status": status,
                                          "source": "instructor", "marked_at": starts})
                    session_id += 1
            day += timedelta(days=1)
        insert(AttendanceSession, session_rows)
        if len(mark_rows) >= CHUNK:
            insert(AttendanceMark, mark_rows)
            marks += len(mark_rows)
            mark_rows = []
    insert(AttendanceMark, mark_rows)
    db.session.commit()
    lap("attendance")
    for model, name in ((Centre, "centres"), (Cohort, "cohorts"), (User, "accounts"), (Enrolment, "enrolments"),
                        (Submission, "submissions"), (AttendanceSession, "sessions"),
                        (AttendanceMark, "attendance marks")):
        report.counts[name] = db.session.scalar(select(func.count()).select_from(model))
    return report
