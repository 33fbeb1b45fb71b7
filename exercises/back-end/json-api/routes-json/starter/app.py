from flask import Flask, jsonify, request

app = Flask(__name__)


@app.get("/api/status")
def status():
    return jsonify(status="ok")


# TODO: GET /api/hello/<name> and POST /api/sum


if __name__ == "__main__":
    app.run(port=5000)
