import sqlite3

from flask import Flask, jsonify, render_template, request

app = Flask(__name__)
DATABASE = "taches.db"


def connect():
    connection = sqlite3.connect(DATABASE)
    connection.row_factory = sqlite3.Row
    connection.execute("CREATE TABLE IF NOT EXISTS taches (id INTEGER PRIMARY KEY, titre TEXT NOT NULL,"
                       " faite INTEGER NOT NULL DEFAULT 0)")
    return connection


def as_json(row):
    return {"id": row["id"], "titre": row["titre"], "faite": bool(row["faite"])}


@app.get("/")
def index():
    return render_template("index.html")


@app.get("/api/taches")
def list_tasks():
    with connect() as connection:
        rows = connection.execute("SELECT * FROM taches ORDER BY id").fetchall()
    return jsonify([as_json(row) for row in rows])


@app.post("/api/taches")
def add_task():
    data = request.get_json(silent=True) or {}
    titre = data.get("titre")
    if not isinstance(titre, str) or not titre.strip():
        return jsonify({"error": "titre requis"}), 400
    with connect() as connection:
        cursor = connection.execute("INSERT INTO taches (titre) VALUES (?)", (titre.strip(),))
        row = connection.execute("SELECT * FROM taches WHERE id = ?", (cursor.lastrowid,)).fetchone()
    return jsonify(as_json(row)), 201


@app.patch("/api/taches/<int:task_id>")
def mark_done(task_id):
    data = request.get_json(silent=True) or {}
    with connect() as connection:
        cursor = connection.execute("UPDATE taches SET faite = ? WHERE id = ?", (int(bool(data.get("faite"))), task_id))
        if cursor.rowcount == 0:
            return jsonify({"error": "tâche inconnue"}), 404
        row = connection.execute("SELECT * FROM taches WHERE id = ?", (task_id,)).fetchone()
    return jsonify(as_json(row))


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=5000)
