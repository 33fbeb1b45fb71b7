import sqlite3

from flask import Flask, g, jsonify, request

DATABASE = "notes.db"
app = Flask(__name__)


def db():
    if "db" not in g:
        g.db = sqlite3.connect(DATABASE)
        g.db.row_factory = sqlite3.Row
    return g.db


@app.teardown_appcontext
def close_db(exception):
    connection = g.pop("db", None)
    if connection is not None:
        connection.close()


def init_db():
    with sqlite3.connect(DATABASE) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                           " title TEXT NOT NULL, text TEXT NOT NULL DEFAULT '')")


@app.post("/api/notes")
def create_note():
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("title"), str) or not data["title"].strip():
        return jsonify(error="title is required"), 400
    text = data.get("text", "")
    if not isinstance(text, str):
        return jsonify(error="text must be a string"), 400
    cursor = db().execute("INSERT INTO notes (title, text) VALUES (?, ?)", (data["title"], text))
    db().commit()
    return jsonify(id=cursor.lastrowid, title=data["title"], text=text), 201


@app.get("/api/notes/<int:note_id>")
def read_note(note_id):
    row = db().execute("SELECT id, title, text FROM notes WHERE id = ?", (note_id,)).fetchone()
    if row is None:
        return jsonify(error="no such note"), 404
    return jsonify(dict(row))


@app.get("/api/notes")
def list_notes():
    return jsonify([dict(row) for row in db().execute("SELECT id, title, text FROM notes ORDER BY id")])


init_db()

if __name__ == "__main__":
    app.run(port=5000)
