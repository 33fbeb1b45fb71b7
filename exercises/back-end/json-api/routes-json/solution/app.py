from flask import Flask, jsonify, request

app = Flask(__name__)


@app.get("/api/status")
def status():
    return jsonify(status="ok")


@app.get("/api/hello/<name>")
def hello(name):
    return jsonify(message=f"Bonjour {name}")


@app.post("/api/sum")
def add():
    data = request.get_json(silent=True) or {}
    return jsonify(sum=data.get("a", 0) + data.get("b", 0))


if __name__ == "__main__":
    app.run(port=5000)
