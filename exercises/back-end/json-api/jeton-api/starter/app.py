import secrets

from flask import Flask, jsonify, request
from werkzeug.security import check_password_hash, generate_password_hash

app = Flask(__name__)
users = {}  # username -> password hash
tokens = {}  # token -> username


@app.post("/api/register")
def register():
    data = request.get_json(silent=True) or {}
    users[data["username"]] = generate_password_hash(data["password"])
    return jsonify(username=data["username"]), 201


@app.post("/api/login")
def login():
    data = request.get_json(silent=True) or {}
    if not check_password_hash(users.get(data.get("username"), ""), data.get("password", "")):
        return jsonify(error="wrong username or password"), 401
    token = secrets.token_hex(16)
    tokens[token] = data["username"]
    return jsonify(token=token)


@app.get("/api/me")
def me():
    # TODO: read the token from the Authorization header: 401 without one, 403 for a token nobody was given
    return jsonify(username=next(iter(tokens.values()), None))


if __name__ == "__main__":
    app.run(port=5000)
