/**
 * A small Flask app with two findings, FS201 (SQL built from the request) and FS101 (debug on), for tests
 * that only need a file the server reports something about.
 */
export const SEARCH_APP_IN_DEBUG = `from flask import Flask, request
import sqlite3

app = Flask(__name__)


@app.route("/search")
def search():
    db = sqlite3.connect("shop.db")
    return str(db.execute(f"SELECT * FROM items WHERE name = '{request.args['q']}'").fetchall())


app.run(debug=True)
`;
