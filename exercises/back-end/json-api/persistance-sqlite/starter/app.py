from flask import Flask, jsonify, request

app = Flask(__name__)
notes = {}  # TODO: in memory, the notes are lost when the server restarts: store them in notes.db (sqlite3)


@app.post("/api/notes")
def create_note():
    data = request.get_json(silent=True) or {}
    note = {"id": len(notes) + 1, "title": data.get("title"), "text": data.get("text", "")}
    notes[note["id"]] = note
    return jsonify(note), 201


@app.get("/api/notes/<int:note_id>")
def read_note(note_id):
    if note_id not in notes:
        return jsonify(error="no such note"), 404
    return jsonify(notes[note_id])


@app.get("/api/notes")
def list_notes():
    return jsonify(list(notes.values()))


if __name__ == "__main__":
    app.run(port=5000)
