"""Facturo, a small invoicing API with token authentication that checks who you are but not what is yours: an
insecure direct object reference (IDOR), deliberately (an exploit lab's target).

Run by the lab in a container of its own: LAB_SECRET is written on an invoice of another customer, LAB_SEED shapes
this instance's data (0: the example described in the statement; any other: another instance, with other invoice
numbers and other customers).
"""
import os
import random
import secrets
import threading

from flask import Flask, jsonify, request

SECRET = os.environ.get("LAB_SECRET", "local-test-secret")
SEED = int(os.environ.get("LAB_SEED", "0"))
PORT = int(os.environ.get("PORT", "8000"))
CUSTOMERS = ["hamza", "nadia", "youssef", "imane", "omar", "sara", "mehdi", "khadija"]
SERVICES = ["Site vitrine", "Maintenance mensuelle", "Audit de sécurité", "Formation Excel", "Hébergement annuel"]

app = Flask(__name__)
users = {"amina": "amina2026"}  # the learner's own account (given in the statement)
tokens = {}
invoices = {}
lock = threading.Lock()


def build_data():
    rng = random.Random(SEED)
    number = 1040 if SEED == 0 else rng.randrange(2000, 90000)
    owners = ["amina"] + rng.sample(CUSTOMERS, 5)
    rng.shuffle(owners)
    secret_owner = next(o for o in owners if o != "amina")
    for owner in owners:
        for _ in range(rng.randint(1, 3)):
            number += rng.randint(1, 4)  # invoice numbers follow each other, with gaps
            note = "Paiement à 30 jours."
            if owner == secret_owner and not any(i["owner"] == owner for i in invoices.values()):
                note = "Code d'accès du portail client : " + SECRET
            invoices[number] = {"id": number, "owner": owner, "service": rng.choice(SERVICES),
                                "amount": round(rng.uniform(500, 20000), 2), "note": note}


def current_user():
    header = request.headers.get("Authorization", "")
    return tokens.get(header[7:]) if header.startswith("Bearer ") else None


@app.get("/")
def home():
    return jsonify(app="Facturo", routes=["POST /api/login", "GET /api/invoices", "GET /api/invoices/<id>"])


@app.post("/api/login")
def login():
    data = request.get_json(silent=True) or {}
    if users.get(data.get("username")) != data.get("password"):
        return jsonify(error="wrong username or password"), 401
    token = secrets.token_hex(16)
    with lock:
        tokens[token] = data["username"]
    return jsonify(token=token)


@app.get("/api/invoices")
def my_invoices():
    user = current_user()
    if user is None:
        return jsonify(error="authentication required"), 401
    return jsonify([{"id": i["id"], "service": i["service"], "amount": i["amount"]}
                    for i in invoices.values() if i["owner"] == user])


@app.get("/api/invoices/<int:number>")
def one_invoice(number):
    if current_user() is None:
        return jsonify(error="authentication required"), 401
    invoice = invoices.get(number)
    if invoice is None:
        return jsonify(error="no such invoice"), 404
    # The vulnerability: any logged-in user reads any invoice; nobody checks invoice["owner"].
    return jsonify(invoice)


if __name__ == "__main__":
    build_data()
    app.run(host="127.0.0.1", port=PORT, threaded=True)
