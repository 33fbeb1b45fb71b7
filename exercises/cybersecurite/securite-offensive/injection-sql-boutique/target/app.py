"""Souk Atlas, a small shop's product API, deliberately vulnerable to SQL injection (an exploit lab's target).

Run by the lab in a container of its own: LAB_SECRET is planted in a table the API never shows, LAB_SEED shapes
this instance's data (0: the example described in the statement; any other: another instance, whose hidden table
has another name, and other products).
"""
import os
import random
import sqlite3
import threading

from flask import Flask, jsonify, request

SECRET = os.environ.get("LAB_SECRET", "local-test-secret")
SEED = int(os.environ.get("LAB_SEED", "0"))
PORT = int(os.environ.get("PORT", "8000"))
PRODUCTS = ["Tapis berbère", "Théière en argent", "Huile d'argan", "Babouches en cuir", "Tajine en terre cuite",
            "Lanterne en cuivre", "Safran de Taliouine", "Savon noir", "Poufs en cuir", "Eau de rose"]

app = Flask(__name__)
db = sqlite3.connect(":memory:", check_same_thread=False)
db_lock = threading.Lock()  # one connection shared by the server's threads


def build_database():
    rng = random.Random(SEED)
    # The secret's table: its name differs from one instance to the next (found through sqlite_master).
    table = "notes_direction" if SEED == 0 else "notes_" + "".join(rng.choice("abcdefghijklmnop") for _ in range(8))
    db.execute("CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT, price REAL, hidden INTEGER DEFAULT 0)")
    db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, auteur TEXT, contenu TEXT)")
    names = PRODUCTS if SEED == 0 else rng.sample(PRODUCTS, len(PRODUCTS))
    for name in names:
        db.execute("INSERT INTO products (name, price) VALUES (?, ?)", (name, round(rng.uniform(20, 900), 2)))
    notes = [("karim", "Réunion fournisseurs jeudi."), ("direction", "Code du coffre : " + SECRET),
             ("salma", "Commander des boîtes.")]
    if SEED:
        rng.shuffle(notes)
    db.executemany(f"INSERT INTO {table} (auteur, contenu) VALUES (?, ?)", notes)
    db.commit()


@app.get("/")
def home():
    return jsonify(shop="Souk Atlas", routes=["/api/products?search=..."])


@app.get("/api/products")
def products():
    search = request.args.get("search", "")
    # The vulnerability: the search text pasted into the SQL statement.
    query = f"SELECT id, name, price FROM products WHERE hidden = 0 AND name LIKE '%{search}%'"
    try:
        with db_lock:
            rows = db.execute(query).fetchall()
    except sqlite3.Error as exc:
        return jsonify(error=f"database error: {exc}"), 500
    return jsonify([{"id": row[0], "name": row[1], "price": row[2]} for row in rows])


if __name__ == "__main__":
    build_database()
    app.run(host="127.0.0.1", port=PORT, threaded=True)
