import sqlite3

from flask import Flask, jsonify, render_template, request

app = Flask(__name__)
DATABASE = "taches.db"


@app.get("/")
def index():
    return render_template("index.html")


@app.get("/api/taches")
def list_tasks():
    # TODO: lire les tâches dans SQLite (table taches : id, titre, faite)
    return jsonify([])


# TODO: POST /api/taches (201 et la tâche créée ; 400 si le titre manque)
# TODO: PATCH /api/taches/<id> ({"faite": true} ; 404 si la tâche n'existe pas)


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=5000)
