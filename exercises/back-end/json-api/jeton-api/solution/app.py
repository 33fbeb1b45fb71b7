import secrets

from flask import Flask, jsonify, request
from werkzeug.security import check_password_hash, generate_password_hash

app = Flask(__name__)
users = {}  # username -> password hash
tokens = {}  # token -> username


def credentials():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return None
    username, password = data.get("username"), data.get("password")
    if not isinstance(username, str) or not username or not isinstance(password, str) or not password:
        return None
    return username, password


@app.post("/api/register")
def register():
    given = credentials()
    if given is None:
        return jsonify(error="username and password are required"), 400
    username, password = given
    if username in users:
        return jsonify(error="this username is taken"), 409
    users[username] = generate_password_hash(password)
    return jsonify(username=username), 201


@app.post("/api/login")
def login():
    given = credentials()
    if given is None:
        return jsonify(error="username and password are required"), 400
    username, password = given
    if username not in users or not check_password_hash(users[username], password):
        return jsonify(error="wrong username or password"), 401
    token = secrets.token_hex(16)
    tokens[token] = username
    return jsonify(token=token)


@app.get("/api/me")
def me():
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return jsonify(error="a token is required"), 401
    username = tokens.get(header[len("Bearer "):])
    if username is None:
        return jsonify(error="this token is not valid"), 403
    return jsonify(username=username)


if __name__ == "__main__":
    app.run(port=5000)
