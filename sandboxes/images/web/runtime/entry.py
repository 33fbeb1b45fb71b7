"""Entry process of the web sandbox image: the learner's page (index.html, style.css, script.js) opened in headless
Chromium, driven by Playwright from this process, at the viewports a step asks for.

The job protocol is entrylib's. The browser is launched by `prepare`, before the ready frame, so that a pooled
container has it waiting; a step is the in-process action `page`. Where observations come from, and why:
- the learner's files are served from http://page.test/ by Playwright's routing; every other request (other
  hosts, the loopback, file://) is aborted, and a proxy that does not exist catches what routing does not see
  (WebSockets): the container has no network anyway;
- what the checks read (elements, text, attributes, computed styles, boxes, axe-core's verdicts) is read by our
  script in an isolated world (CDP Page.createIsolatedWorld), where the page's own script cannot redefine any
  global or prototype; actions (click, type, press) are Playwright's trusted input events;
- screenshots (visible steps only, JPEG, capped) are the compositor's.
Each step is bounded twice: a guard thread kills every renderer at the step's deadline or when one grows past its
memory budget, and the step's coroutine is cancelled at that deadline (Playwright's async API: a call to a page
whose renderer is gone, or stuck in the page's infinite loop, may otherwise never answer). A page in an endless
loop or a memory bomb ends the step with a named flag instead of hanging it.
As fullstack's prober (a container of its own, no learner file, sharing only the learner container's network
namespace) the page comes from the learner's server instead: `page` steps with a `server` wait for its port and
let the requests for its origin (http://127.0.0.1:PORT/) through, from a context whose proxy setting lets the
browser reach that port, every other request refused as above; `probe` steps are the HTTP checks (httpprobe.py).
Between phases the contexts are closed and every renderer killed (`end_phase`); the browser itself stays, and
after a visible phase opens the next phase's blank page (a new context, a new renderer) in the background, while
the frame goes out: nothing of the visible phase is alive by then, and the page learns the hidden steps only when
the hidden phase takes it.
Where time goes, and what is done once: the first renderer is warmed in `prepare` (fonts, layout, a screenshot) on
our own blank content; our isolated world is made once per document, axe-core loaded into it once; the viewport's
first scenario of actions acts on the page as loaded and observed (read-only until then), every other one on a
fresh document.
"""
import asyncio
import base64
import json
import os
import signal
import sys
import threading
import time

from playwright.async_api import Error as PlaywrightError

sys.path.insert(0, "/opt/lms")
from entrylib import (WORK_DIR, Runtime, kill_leftovers, main, oom_kills, pids_max_hits, safe_relative,  # noqa: E402
                      step_result)
from httpprobe import action_probe, send_setup, wait_for_port  # noqa: E402

ORIGIN = "http://page.test/"
BROWSER_ENV = {
    "HOME": "/work",
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "TMPDIR": "/tmp",
    "XDG_CACHE_HOME": "/tmp/.cache",
    "XDG_CONFIG_HOME": "/tmp/.config",
    "FONTCONFIG_PATH": "/etc/fonts",
}
CHROMIUM = "/usr/lib/chromium/chromium"
V8_HEAP_MB = 128  # a page's script heap: a memory bomb crashes its renderer long before the container's limit
CRASH_NEAR_HEAP_CAP = 0.6
CHROMIUM_ARGS = [
    "--no-sandbox",  # the container is the sandbox: no user namespaces for Chromium's own inside it
    "--disable-dev-shm-usage",  # /dev/shm is tiny; shared memory goes to /tmp
    "--disable-gpu",
    "--block-new-web-contents",  # window.open and popups fail
    "--disable-blink-features=AutomationControlled",  # the page sees a browser, not a test driver
    "--proxy-server=127.0.0.1:9",  # nothing listens there: what routing does not catch goes nowhere
    "--proxy-bypass-list=<-loopback>",
    "--disable-breakpad",
    "--disable-crash-reporter",
    f"--js-flags=--max-old-space-size={V8_HEAP_MB}",
    "--renderer-process-limit=4",
]
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
                 ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".mjs": "text/javascript; charset=utf-8", ".json": "application/json", ".svg": "image/svg+xml",
                 ".txt": "text/plain; charset=utf-8"}
OBSERVE_JS = "/opt/lms/observe.js"
AXE_JS = "/opt/lms/axe.min.js"
AXE_RUN = """(async function (rules) {
  const result = await axe.run(document, {runOnly: {type: "rule", values: rules}, resultTypes: ["violations"]});
  return {violations: result.violations.map((v) => ({rule: v.id, count: v.nodes.length,
    targets: v.nodes.slice(0, 3).map((n) => String(n.target).slice(0, 120))}))};
})"""
# Timers do not run in a page with JavaScript off, not even in our isolated world: axe-core's deferrals (setTimeout,
# requestAnimationFrame) become microtasks there, in our world only.
NO_TIMERS_SHIM = """window.setTimeout = (fn, ms, ...rest) => { Promise.resolve().then(() => fn(...rest)); return 1; };
window.clearTimeout = () => {}; window.requestAnimationFrame = (fn) => window.setTimeout(fn, 0, 0);
window.requestIdleCallback = (fn) => window.setTimeout(fn, 0, {timeRemaining: () => 50, didTimeout: false}); 0"""
# Dialogs and popups answer at once, as dismissed ones would (a page that digs the real ones out of an iframe gets
# Playwright's auto-dismissal, within the step's time limit).
QUIET_DIALOGS = """(() => { window.alert = () => undefined; window.confirm = () => false; window.prompt = () => null;
window.print = () => undefined; window.open = () => null; })();"""
GUARD_POLL_SECONDS = 0.02
DEADLINE_MARGIN_SECONDS = 0.6  # left to close the contexts and write the frame
RENDERER_MEMORY_SHARE = 0.45  # of the container's memory, for one renderer's anonymous memory
RECORDS_BUDGET = 900 * 1024  # below entrylib's and the runner's 1 MB cap, or the whole channel is refused
PAGE_ERRORS_CAP = 5
SETTLE_MS_CAP = 2000
NETWORK_SETTLE_SECONDS = 3.0
ANSWER_HANDLED_SECONDS = 0.05  # after the last answer: the page's own handler updating the DOM
ACTION_GAP_SECONDS = 0.02  # after an action, for the requests it made to be told (Playwright's events) before the wait
ACTION_TIMEOUT_MS = 3000
RESPONSIVE_SECONDS = 1.0
FIRST_LOAD_MS = 3000
PREWARM_SECONDS = 5.0
SCREENSHOT_WARMUP_QUALITY = 70
WARMUP_HTML = ("<!doctype html><html lang=en><head><meta charset=utf-8><style>main{display:grid;"
               "grid-template-columns:1fr 1fr;gap:1rem;font-family:sans-serif}b{font-weight:bold}i{font-style:italic}"
               "@media (max-width:600px){main{display:block}}</style></head><body><main><h1>Titre</h1><p>Texte "
               "<b>gras</b> <i>italique</i> éè العربية</p>"
               "<button>+1</button><label for=x>Nom</label><input id=x><img alt=''></main></body></html>")
WORLD_NAME = "lms-observer"
AXE_URL = "lms://axe.min.js"  # axe-core's compiled script is found again in a renderer by its source and this URL
# An action's target, found and checked in our isolated world (the page's own script cannot answer for the DOM
# there): what Playwright's actionability checks ask (attached, visible, enabled, not covered, not moving), for the
# common cases only: "ok" with the point to click, else what Playwright's own action (which waits and retries) is
# left to do. A click that may navigate by itself (a link, a form's submit button, a label or summary that acts
# for another element) is Playwright's too: its click waits for the navigation it starts.
ACTION_TARGET_JS = r"""(({selector, purpose}) => {
  let element;
  try { element = document.querySelector(selector); } catch (error) { return {state: "selector"}; }
  if (!element) return {state: "missing"};
  if (purpose === "submit") {
    if (!(element instanceof HTMLFormElement)) return {state: "other"};
    element.requestSubmit();
    return {state: "ok"};
  }
  if (!element.checkVisibility({visibilityProperty: true})) return {state: "hidden"};
  if (element.matches(":disabled") || element.closest("[aria-disabled=true]")) return {state: "disabled"};
  if (purpose === "fill") {
    const textual = ["text", "search", "email", "url", "tel", "password"];
    const input = element instanceof HTMLInputElement && textual.includes(element.type);
    if (!(input || element instanceof HTMLTextAreaElement) || element.readOnly) return {state: "other"};
    element.focus();
    if (document.activeElement !== element) return {state: "other"};
    element.select();
    return {state: "ok"};
  }
  const submits = (element instanceof HTMLButtonElement && element.type === "submit")
    || (element instanceof HTMLInputElement && ["submit", "image", "reset"].includes(element.type));
  if ((submits && element.form) || element.closest("a[href], area[href], label, summary")) return {state: "native"};
  element.scrollIntoView({block: "nearest", inline: "nearest", behavior: "instant"});
  const box = element.getBoundingClientRect();
  if (box.width < 1 || box.height < 1) return {state: "hidden"};
  const x = box.left + box.width / 2, y = box.top + box.height / 2;
  const hit = document.elementFromPoint(x, y);
  if (!hit || !(hit === element || element.contains(hit))) return {state: "covered"};
  return {state: "ok", x, y};
})"""


async def run_script(cdp, source, context_id):
    """Compile `source` as a script of AXE_URL's origin, then run it in a context: V8's per-renderer cache of
    compiled scripts serves that compilation again (Runtime.evaluate's is not kept). The Runtime agent is on only
    meanwhile: our session must not get every console call of the page."""
    await cdp.send("Runtime.enable")
    try:
        compiled = await cdp.send("Runtime.compileScript", {"expression": source, "sourceURL": AXE_URL,
                                                            "persistScript": True, "executionContextId": context_id})
        if "exceptionDetails" in compiled:
            raise RuntimeError(compiled["exceptionDetails"].get("text", "compilation failed")[:200])
        answer = await cdp.send("Runtime.runScript", {"scriptId": compiled["scriptId"],
                                                      "executionContextId": context_id})
        if "exceptionDetails" in answer:
            raise RuntimeError(answer["exceptionDetails"].get("text", "evaluation failed")[:200])
    finally:
        await cdp.send("Runtime.disable")


class PageHung(Exception):
    """The page's script holds its renderer (an endless loop in an event handler)."""


def renderer_pids():
    """Chromium's renderers (where page script runs), not its own WebUI renderer."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                args = handle.read()  # a zygote's child rewrites its title: one string, not NUL-separated args
        except OSError:
            continue
        if b"--type=renderer" in args and b"--top-chrome-webui" not in args:
            pids.append(int(entry))
    return pids


def anonymous_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def kill_renderers(timeout=2.0, keep=frozenset()):
    """SIGKILL every renderer (but those in `keep`) and wait until they are gone; True if none is left."""
    deadline = time.monotonic() + timeout
    while True:
        pids = [pid for pid in renderer_pids() if alive(pid) and pid not in keep]
        if not pids:
            return True
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)


def container_memory_kb():
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path) as handle:
                value = handle.read().strip()
            if value.isdigit():
                return min(int(value) // 1024, 8 * 1024 * 1024)
        except OSError:
            continue
    return 1024 * 1024


class Guard(threading.Thread):
    """Kills the renderers at the step's deadline or when one outgrows its memory budget."""

    def __init__(self, deadline):
        super().__init__(daemon=True)
        self.deadline = deadline
        self.budget_kb = int(container_memory_kb() * RENDERER_MEMORY_SHARE)
        self.stopped = threading.Event()
        self.timed_out = False
        self.memory_exceeded = False
        self.peak_kb = 0  # the largest renderer seen: a renderer that crashed near V8's heap cap ran out of memory

    def run(self):
        while not self.stopped.wait(GUARD_POLL_SECONDS):
            if time.monotonic() >= self.deadline:
                self.timed_out = True
            else:
                largest = max((anonymous_kb(pid) for pid in renderer_pids()), default=0)
                self.peak_kb = max(self.peak_kb, largest)
                if largest <= self.budget_kb:
                    continue
                self.memory_exceeded = True
            kill_renderers()
            return

    @property
    def fired(self):
        return self.timed_out or self.memory_exceeded

    def remaining(self):
        return max(0.05, self.deadline - time.monotonic())

    def stop(self):
        self.stopped.set()
        self.join(timeout=2)


class Browser:
    """The one Chromium of this container, launched ahead of the job, driven from one event loop."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.playwright = None
        self.browser = None
        self.observe_js = ""
        self.axe_js = ""
        self.spare = None
        # The next phase's blank page, opened before the job in a context of its own, and its renderer's pid: a
        # renderer serves one browser context only, so no page of the visible phase can be in it (end_phase
        # kills every other renderer, and keeps this one only if it is still alone and answering).
        self.next_spare = None
        self.next_spare_pid = None
        self.prewarming = None

    def launch(self):
        self.loop.run_until_complete(self._launch())

    async def _launch(self):
        from playwright.async_api import async_playwright

        os.environ.update(BROWSER_ENV)
        for folder in (BROWSER_ENV["XDG_CACHE_HOME"], BROWSER_ENV["XDG_CONFIG_HOME"]):
            os.makedirs(folder, exist_ok=True)
        with open(OBSERVE_JS, encoding="utf-8") as handle:
            self.observe_js = handle.read()
        if self.playwright is None:
            self.playwright = await async_playwright().start()
        self.browser = await self.playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                                             ignore_default_args=["--enable-automation"])
        self.spare = await self._new_page(javascript=True)
        try:
            # What a renderer and the browser do slowly the first time (fonts, style, layout, the compositor's first
            # capture, the JPEG encoder) is paid here, before the ready frame, on our own content in the blank page
            # (no script, no storage, no request): the learner's page, its first navigation, keeps that renderer.
            await self.spare[1].set_content(WARMUP_HTML, timeout=5000)
            await self.spare[1].screenshot(type="jpeg", quality=SCREENSHOT_WARMUP_QUALITY, timeout=5000)
            await self.spare[1].goto("about:blank", timeout=5000)
            await self._warm_axe(self.spare[1])
        except Exception:  # noqa: BLE001 - only a warm-up
            pass
        await self._open_next_spare()

    async def _warm_axe(self, page):
        """axe-core compiled ahead in this page's renderer (in an isolated world of its blank document, dropped
        with it): a check that loads axe-core into the learner's document there skips most of that work."""
        cdp = await page.context.new_cdp_session(page)
        try:
            frame = (await cdp.send("Page.getFrameTree"))["frameTree"]["frame"]
            world = await cdp.send("Page.createIsolatedWorld", {"frameId": frame["id"], "worldName": WORLD_NAME,
                                                                "grantUniveralAccess": False})
            await run_script(cdp, self.axe(), world["executionContextId"])
        finally:
            await cdp.detach()

    async def _open_next_spare(self):
        before = set(renderer_pids())
        self.next_spare, self.next_spare_pid = await self._new_page(javascript=True), None
        try:
            await self.next_spare[1].set_content(WARMUP_HTML, timeout=5000)
            await self.next_spare[1].screenshot(type="jpeg", quality=SCREENSHOT_WARMUP_QUALITY, timeout=5000)
            await self.next_spare[1].goto("about:blank", timeout=5000)
            await self._warm_axe(self.next_spare[1])
        except Exception:  # noqa: BLE001 - only a warm-up
            pass
        new = set(renderer_pids()) - before
        if len(new) == 1:
            self.next_spare_pid = new.pop()
        else:  # not told apart from the others: opened again after the visible phase instead
            await self.next_spare[0].close()
            self.next_spare = None

    def take_next_spare(self):
        """After a visible phase whose renderers are dead but the next spare's: that page becomes the spare, if its
        renderer still answers."""
        spare, self.next_spare = self.next_spare, None
        if spare is None:
            return False
        try:
            self.loop.run_until_complete(asyncio.wait_for(spare[1].evaluate("1"), 2.0))
        except Exception:  # noqa: BLE001 - gone or stuck: the usual way then
            return False
        self.spare = spare
        return True

    async def _new_page(self, javascript, proxy=None):
        # The user agent of a desktop Chromium, not "HeadlessChrome": a page must not behave otherwise when graded.
        agent = (f"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                 f"Chrome/{self.browser.version} Safari/537.36")
        context = await self.browser.new_context(java_script_enabled=javascript, service_workers="block",
                                                 accept_downloads=False, user_agent=agent, proxy=proxy)
        return context, await context.new_page()

    def prewarm(self):
        """Open the next phase's blank page (a context of its own) in the background, while the phase's frame goes
        out and the next message comes in. Called only once every renderer of the phase is dead: the new one never
        ran anything but about:blank, and it learns nothing of the next phase before that phase takes it."""
        def run():
            try:
                self.spare = self.loop.run_until_complete(asyncio.wait_for(self._new_page(True), PREWARM_SECONDS))
            except Exception:  # noqa: BLE001 - the step opens its own page then
                self.spare = None
        self.wait_prewarm()
        self.prewarming = threading.Thread(target=run, daemon=True)
        self.prewarming.start()

    def wait_prewarm(self):
        """The event loop is this thread's again (the prewarm's thread is done with it)."""
        thread, self.prewarming = self.prewarming, None
        if thread is not None:
            thread.join(PREWARM_SECONDS + 1)
            if thread.is_alive():  # bounded by its own wait_for: not expected; the next step then reports the loop
                sys.stderr.write("prewarm still running\n")

    async def take_page(self, javascript, proxy=None):
        """A blank page in a context of its own. A step gets the one opened ahead (before the job, or once the
        previous phase's renderers were dead) unless the step needs a proxy of its own (JavaScript is turned off
        per page: Session.open)."""
        spare, self.spare = self.spare, None
        if spare is not None:
            if proxy is None:
                return spare
            await spare[0].close()
        return await self._new_page(javascript, proxy)

    def connected(self):
        try:
            return self.browser is not None and self.browser.is_connected()
        except Exception:  # noqa: BLE001 - a dead driver raises
            return False

    def axe(self):
        if not self.axe_js:
            with open(AXE_JS, encoding="utf-8") as handle:
                self.axe_js = handle.read()
        return self.axe_js


BROWSER = Browser()
PHASE_LIMITS = {"timed_out": False,  # what an earlier step of this job ran into
                "next_phase_likely": False,  # the phase's steps were visible ones: hidden ones may follow
                "last_page_step": None}  # the phase's last page step: end_phase kills its renderer


def load_site():
    """The submitted files, served as they are (read once per step: the page cannot write to them)."""
    site = {}
    for folder, _, names in os.walk(WORK_DIR):
        for name in names:
            path = os.path.relpath(os.path.join(folder, name), WORK_DIR)
            full = os.path.join(WORK_DIR, path)
            if safe_relative(path) and not os.path.islink(full):
                with open(full, "rb") as handle:
                    site[path] = handle.read()
    return site


def serve(site):
    async def handle(route):
        url = route.request.url
        if not url.startswith(ORIGIN):
            if route.request.is_navigation_request():
                # No Content: the browser stays on the learner's page (an aborted navigation would show an error
                # page instead).
                await route.fulfill(status=204, body=b"")
            else:
                await route.abort("blockedbyclient")
            return
        path = url[len(ORIGIN):].split("?", 1)[0].split("#", 1)[0] or "index.html"
        body = site.get(path)
        if body is None:
            await route.fulfill(status=404, body=b"not found", content_type="text/plain")
            return
        extension = os.path.splitext(path)[1].lower()
        await route.fulfill(status=200, body=body,
                            content_type=CONTENT_TYPES.get(extension, "application/octet-stream"))
    return handle


def forward(origin):
    """Fullstack: the requests for the learner's server go to it, from the browser itself (its cookies, its
    redirects); every other request is refused as `serve` does."""
    async def handle(route):
        if route.request.url.startswith(origin):
            await route.continue_()
        elif route.request.is_navigation_request():
            await route.fulfill(status=204, body=b"")
        else:
            await route.abort("blockedbyclient")
    return handle


class Session:
    """The step's one page (one browser context), loaded again for each viewport and for each scenario of actions
    but the viewport's first (which acts on the page as loaded and observed): a fresh document each time, with the
    origin's storage cleared before it."""

    def __init__(self, javascript, guard, page_errors, origin=ORIGIN, start="index.html", handler=None,
                 server=None):
        self.javascript = javascript
        self.server = server  # fullstack: (address, port) of the learner's server
        self.origin = origin
        self.start = start
        self.handler = handler
        self.guard = guard
        self.page_errors = page_errors
        self.crashed = False
        self.context = self.page = self.cdp = None
        self.fresh = True  # no document of the learner's loaded yet: its context's storage is empty
        self.pending_requests = 0  # the page's requests not answered yet (settle waits for them)
        # The current document started a navigation that we refused (another origin, file://) before its load
        # event: Chromium stops a document's loading when a navigation starts, so that event never comes.
        self.loading_stopped = asyncio.Event()
        self.world = None  # (loader id of the main frame's document, our isolated world's context id, axe loaded)

    async def open(self):
        # Fullstack: the learner's server is on the loopback, which the browser's own proxy setting sends nowhere;
        # this context reaches that port directly (routing still refuses every other origin).
        proxy = None if self.server is None else {
            "server": "http://127.0.0.1:9", "bypass": f"127.0.0.1:{self.server[1]},[::1]:{self.server[1]}"}
        self.context, self.page = await BROWSER.take_page(self.javascript, proxy)
        self.context.set_default_timeout(self._remaining_ms())
        self.context.set_default_navigation_timeout(self._remaining_ms())
        await self.context.route("**/*", self.handler)
        await self.context.add_init_script(QUIET_DIALOGS)
        self.context.on("page", self._close_popup)
        self.page.on("crash", self._on_crash)
        self.page.on("request", self._on_request)
        self.page.on("requestfinished", self._on_request_done)
        self.page.on("requestfailed", self._on_request_failed)
        self.page.on("framenavigated", self._on_frame_navigated)
        if self.page_errors is not None:
            self.page.on("pageerror", self._on_page_error)
        self.cdp = await self.context.new_cdp_session(self.page)
        if not self.javascript:
            # What Playwright's java_script_enabled=False does to each page of a context: so a page opened ahead
            # with JavaScript on serves here too.
            await self.cdp.send("Emulation.setScriptExecutionDisabled", {"value": True})

    def _remaining_ms(self):
        return max(100.0, self.guard.remaining() * 1000)

    async def load(self, viewport):
        self.world = None
        if not self.fresh:
            await self.cdp.send("Storage.clearDataForOrigin", {"origin": self.origin.rstrip("/"),
                                                               "storageTypes": "all"})
        self.fresh = False
        await self.page.set_viewport_size({"width": int(viewport["width"]), "height": int(viewport["height"])})
        await self._navigate(lambda timeout: self.page.goto(self.origin + self.start, wait_until="commit",
                                                            timeout=timeout))

    async def reload(self):
        await self._navigate(lambda timeout: self.page.reload(wait_until="commit", timeout=timeout))

    async def _navigate(self, start):
        """Start our navigation and wait until the new document is loaded (`loaded`). The previous document's own
        late navigation (a timer setting location) can cancel ours before it commits: once more then, unless the
        page's script holds the renderer (an endless loop while loading: a time limit)."""
        try:
            await start(min(FIRST_LOAD_MS, self._remaining_ms()))
        except PlaywrightError as exc:
            await self._unless_hung(exc)
            try:
                await start(min(FIRST_LOAD_MS, self._remaining_ms()))
            except PlaywrightError as again:
                await self._unless_hung(again)
                raise
        await self.loaded()

    async def loaded(self):
        """Until the current document's load event, or until its own navigation we refused stopped its loading
        (then what it had fetched is in: `wait_for_answers`). A page that neither loads nor navigates within
        FIRST_LOAD_MS but still runs scripts is observed as it is; one whose script holds the renderer is a time
        limit."""
        load = asyncio.ensure_future(self.page.wait_for_load_state("load", timeout=self._remaining_ms()))
        stopped = asyncio.ensure_future(self.loading_stopped.wait())
        try:
            done, _ = await asyncio.wait({load, stopped}, timeout=min(FIRST_LOAD_MS, self._remaining_ms()) / 1000,
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (load, stopped):
                task.cancel()
            await asyncio.gather(load, stopped, return_exceptions=True)
        if load in done and load.exception() is None:
            return
        if stopped in done:
            await self.wait_for_answers(0)
            return
        if self.guard.fired or self.crashed:
            raise PlaywrightError("the page stopped while loading: its limits, or a crash")
        if not await self.responsive():
            raise PageHung()

    async def _unless_hung(self, exc):
        """Go on after a failed navigation only if it was not the step's limit or a page whose script never gives
        its renderer back (PageHung: the step's time limit, not a crash)."""
        if self.guard.fired or self.crashed:
            raise exc
        if not await self.responsive():
            raise PageHung() from exc

    def _on_request(self, request):
        self.pending_requests += 1

    def _on_request_done(self, request):
        self.pending_requests = max(0, self.pending_requests - 1)

    def _on_request_failed(self, request):
        self._on_request_done(request)
        try:
            refused = (request.is_navigation_request() and request.frame == self.page.main_frame
                       and not request.url.startswith(self.origin))
        except PlaywrightError:  # a frame already detached
            refused = False
        if refused:
            self.loading_stopped.set()

    def _on_frame_navigated(self, frame):
        if frame == self.page.main_frame:
            self.loading_stopped.clear()  # a new document: its own load is to come

    def _on_crash(self, page):
        self.crashed = True

    def _on_page_error(self, error):
        if len(self.page_errors) < PAGE_ERRORS_CAP:
            self.page_errors.append(str(error)[:300])

    async def _close_popup(self, page):
        if page != self.page:
            try:
                await page.close()
            except Exception:  # noqa: BLE001
                pass

    async def evaluate(self, function_source, argument, with_axe=False):
        """Call `function_source` with `argument` in our isolated world of the main frame's current document: one
        world per document (made again if the page navigated by itself), axe-core loaded into it once."""
        frame = (await self.cdp.send("Page.getFrameTree"))["frameTree"]["frame"]
        if self.world is None or self.world[0] != frame["loaderId"]:
            self.world = None
            world = await self.cdp.send("Page.createIsolatedWorld", {"frameId": frame["id"], "worldName": WORLD_NAME,
                                                                     "grantUniveralAccess": False})
            self.world = [frame["loaderId"], world["executionContextId"], False]
        context_id = self.world[1]
        if with_axe and not self.world[2]:
            if not self.javascript:
                await self._run(NO_TIMERS_SHIM, context_id)
            await run_script(self.cdp, BROWSER.axe(), context_id)
            self.world[2] = True
        return await self._run(f"({function_source})({json.dumps(argument)})", context_id)

    async def _run(self, expression, context_id):
        answer = await self.cdp.send("Runtime.evaluate", {"expression": expression, "contextId": context_id,
                                                          "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in answer:
            raise RuntimeError(answer["exceptionDetails"].get("text", "evaluation failed")[:200])
        return answer.get("result", {}).get("value")

    async def act(self, actions):
        """Trusted input events, in order; None, or why an action could not be done. A target our world finds
        ready gets its events through CDP at once (`quick_action`); any other is left to Playwright's action,
        which waits for it to be ready."""
        for index, action in enumerate(actions):
            kind, selector = action["do"], action.get("selector")
            try:
                if index:
                    await self.wait_for_answers(ACTION_GAP_SECONDS)
                if selector:
                    state = await self.quick_action(kind, selector, action)
                    if state == "missing":
                        return {"index": index, "reason": "missing"}  # at once: no waiting for what is not there
                    if state == "ok":
                        continue
                target = self.page.locator(selector).first if selector else None
                if target is not None and not await target.count():
                    return {"index": index, "reason": "missing"}  # at once: no waiting for what is not there
                if kind == "click":
                    await target.click(timeout=self._action_timeout())
                elif kind == "type":
                    # Input.insertText: trusted input and change events, in one call whatever the length.
                    await target.fill(action["text"], timeout=self._action_timeout())
                elif kind == "press":
                    if target is not None:
                        await target.press(action["key"], timeout=self._action_timeout())
                    else:
                        await self.page.keyboard.press(action["key"])
                elif kind == "reload":  # the same URL again: what the page keeps (storage, its server's data)
                    await self.reload()
                elif kind == "submit":
                    # requestSubmit() validates the form and fires its submit event, as a click on its button does.
                    await target.evaluate("(form) => form.requestSubmit()", timeout=self._action_timeout())
            except Exception as exc:  # noqa: BLE001 - Playwright's TimeoutError and Error alike
                if self.guard.fired or self.crashed:
                    raise
                if not await self.responsive():
                    raise PageHung() from exc  # its script never gives the page back: a time limit, not a miss
                return {"index": index, "reason": type(exc).__name__}
        return None

    async def quick_action(self, kind, selector, action):
        """The action done on a target ACTION_TARGET_JS found ready ("ok"), else that state ("missing", or what
        Playwright is left to wait for). Input.dispatchMouseEvent and Input.insertText are trusted input, what
        Playwright itself sends, without its injected script's start-up in each document (~60 ms)."""
        purpose = {"click": "click", "type": "fill", "submit": "submit"}.get(kind)
        if purpose is None or (kind == "type" and not action["text"]):  # an empty text: Playwright's key press
            return "other"
        found = await self.evaluate(ACTION_TARGET_JS, {"selector": selector, "purpose": purpose}) or {}
        if kind == "click" and found.get("state") == "ok":
            # Not moving: the same point once more (a transition that moves it is Playwright's to wait out).
            again = await self.evaluate(ACTION_TARGET_JS, {"selector": selector, "purpose": purpose}) or {}
            if (again.get("state"), again.get("x"), again.get("y")) != ("ok", found["x"], found["y"]):
                return "moving"
            point = {"x": found["x"], "y": found["y"]}
            await self.cdp.send("Input.dispatchMouseEvent", {"type": "mouseMoved", **point})
            await self.cdp.send("Input.dispatchMouseEvent", {"type": "mousePressed", "button": "left", "buttons": 1,
                                                             "clickCount": 1, **point})
            await self.cdp.send("Input.dispatchMouseEvent", {"type": "mouseReleased", "button": "left",
                                                             "buttons": 0, "clickCount": 1, **point})
        elif kind == "type" and found.get("state") == "ok":
            await self.cdp.send("Input.insertText", {"text": action["text"]})  # replaces the selected value
        return found.get("state", "other")

    async def responsive(self):
        """Whether the page's renderer still runs scripts (ours, in a fresh isolated world)."""
        try:
            await asyncio.wait_for(self.evaluate("(x) => x", 1), RESPONSIVE_SECONDS)
            return True
        except Exception:  # noqa: BLE001 - a timeout or a dead renderer alike
            return False

    def _action_timeout(self):
        # For an element that is there but hidden or disabled; a busy machine needs more than a human would.
        return min(ACTION_TIMEOUT_MS, self._remaining_ms())

    async def settle(self, milliseconds):
        """The scenario's settle time, then until what the page asked for after the actions has come (a fetch to
        the learner's server: the DOM changes once the answer is in), within NETWORK_SETTLE_SECONDS."""
        await self.wait_for_answers(max(0, min(int(milliseconds), SETTLE_MS_CAP)) / 1000)
        await self.loaded()  # an action that navigated: the new document's (at once when it is in, or none started)

    async def wait_for_answers(self, pause):
        """`pause` seconds, then until the page's requests are answered (within NETWORK_SETTLE_SECONDS) and their
        handlers ran: what a user waits for before the next action, so that a fetch's late answer (a handler
        clearing the field once the task is saved) lands before what comes next, however fast we type."""
        await asyncio.sleep(pause)
        deadline = time.monotonic() + NETWORK_SETTLE_SECONDS
        waited = False
        while self.pending_requests and time.monotonic() < deadline and not self.guard.fired:
            waited = True
            await asyncio.sleep(0.02)
        if waited:
            await asyncio.sleep(ANSWER_HANDLED_SECONDS)

    async def screenshot(self, quality, max_bytes):
        for attempt_quality in (quality, max(20, quality // 2)):
            data = await self.page.screenshot(type="jpeg", quality=attempt_quality, timeout=self._action_timeout())
            if len(data) <= max_bytes:
                return data
        return None

    async def close(self):
        if self.context is not None:
            try:
                await asyncio.wait_for(self.context.close(), 2.0)
            except (asyncio.TimeoutError, Exception):  # noqa: BLE001 - a crashed or killed page may refuse
                pass


class Records:
    """The step's record lines, within budget (screenshots give way first)."""

    def __init__(self):
        self.lines = []
        self.size = 0

    def add(self, record, optional=False):
        line = json.dumps(record, separators=(",", ":"))
        if optional and self.size + len(line) > RECORDS_BUDGET - 64 * 1024:
            return False
        self.lines.append(line)
        self.size += len(line) + 1
        return True

    def text(self):
        return "\n".join(self.lines) + ("\n" if self.lines else "")


async def observe_page(session, observations):
    plain = [o for o in observations if o["type"] != "axe"]
    found = dict(await session.evaluate(BROWSER.observe_js, plain) or {}) if plain else {}
    for observation in observations:
        if observation["type"] == "axe":
            found[observation["id"]] = await session.evaluate(AXE_RUN, observation["rules"], with_axe=True)
    return found


async def visit(session, args, answer, records):
    """Every viewport of the step: the page as loaded (observations, screenshot), then each scenario of actions."""
    await session.open()
    for viewport in args.get("viewports", []):
        await session.load(viewport)
        answer(await observe_page(session, viewport.get("observations", [])))
        screenshot = viewport.get("screenshot")
        if screenshot:
            data = await session.screenshot(int(screenshot.get("quality", 70)), int(screenshot["max_bytes"]))
            if data is not None:
                records.add({"id": f"screenshot@{viewport['name']}",
                             "jpeg": base64.b64encode(data).decode("ascii")}, optional=True)
        # The first scenario acts on the page as loaded: nothing has acted on it yet (our reads are in our world,
        # the screenshot is the compositor's). axe-core only reads too, but its rules are many: a page it ran on is
        # not reused. Every other scenario gets a fresh document, with the origin's storage cleared.
        reusable = not any(o["type"] == "axe" for o in viewport.get("observations", []))
        for index, scenario in enumerate(viewport.get("sessions", [])):
            # Fullstack: requests to the learner's server before the scenario's document is loaded (an account to
            # log in with, data the page should list); what they got comes back with the observations.
            setup = send_setup(session.server, scenario["setup"]) if scenario.get("setup") else None
            if index or not reusable or setup is not None:
                await session.load(viewport)
            failed = await session.act(scenario["actions"])
            if failed is not None:
                found = {o["id"]: {"action_failed": failed} for o in scenario["observations"]}
            else:
                await session.settle(scenario.get("settle_ms", 50))
                found = await observe_page(session, scenario["observations"])
            if setup is not None:
                found = {key: {**value, "setup": setup} if isinstance(value, dict) else value
                         for key, value in found.items()}
            answer(found)


def action_page(step, limits):
    """Open the page at each viewport of the step, observe, act, observe: one record per observation id."""
    started = time.monotonic()
    args = step.get("args", {})
    timeout = float(step.get("timeout", limits.get("wall_seconds", 10)))
    guard = Guard(started + max(0.5, timeout - DEADLINE_MARGIN_SECONDS))
    records = Records()
    page_errors = [] if args.get("page_errors") else None
    pending = {o["id"] for vp in args.get("viewports", []) for o in vp.get("observations", [])}
    pending |= {o["id"] for vp in args.get("viewports", []) for s in vp.get("sessions", [])
                for o in s["observations"]}
    PHASE_LIMITS["next_phase_likely"] = step.get("hidden") is False
    if PHASE_LIMITS["timed_out"]:
        # The previous phase's page ran out of time: this one would too, and only make the learner wait.
        for observation_id in sorted(pending):
            records.add({"id": observation_id, "error": "timeout"})
        return step_result(step["name"], started, records=records.text(), timed_out=True)
    if not BROWSER.connected():
        return step_result(step["name"], started, exit_code=1, stderr="the browser is not running\n")
    oom_before, pids_before = oom_kills(), pids_max_hits()
    platform_failure = False
    problem = ""
    server = args.get("server")
    if server:
        # Fullstack: the learner's server, in the container whose network namespace this one shares.
        address = wait_for_port(int(server["port"]), min(float(server["ready_seconds"]), guard.remaining()))
        if address is None:
            for observation_id in sorted(pending):
                records.add({"id": observation_id, "error": "not_ready"})
            return step_result(step["name"], started, records=records.text())
        host = f"[{address}]" if ":" in address else address
        origin = f"http://{host}:{int(server['port'])}/"
        session = Session(bool(args.get("javascript", True)), guard, page_errors, origin=origin,
                          start=str(server.get("path", "/")).lstrip("/"), handler=forward(origin),
                          server=(address, int(server["port"])))
    else:
        session = Session(bool(args.get("javascript", True)), guard, page_errors, handler=serve(load_site()))

    def answer(found):
        for observation_id, value in found.items():
            if observation_id in pending:
                pending.discard(observation_id)
                records.add({"id": observation_id, "obs": value if isinstance(value, dict) else {}})

    guard.start()
    try:
        # A little after the guard's kill, so that Playwright's own errors usually end the step first.
        BROWSER.loop.run_until_complete(asyncio.wait_for(visit(session, args, answer, records),
                                                         guard.remaining() + 0.2))
    except (asyncio.TimeoutError, PageHung):
        guard.timed_out = True
    except Exception as exc:  # noqa: BLE001 - a killed or crashed renderer makes Playwright raise anything
        problem = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
        # Playwright's errors come from the page (crashed, killed, navigated away); anything else is ours.
        platform_failure = not isinstance(exc, PlaywrightError) and not guard.fired and not session.crashed
    finally:
        if guard.timed_out:
            kill_renderers()
        if step is not PHASE_LIMITS["last_page_step"]:
            BROWSER.loop.run_until_complete(session.close())
        # else its renderer is killed by end_phase, next: a graceful close would only make the learner wait
        guard.stop()
    crashed = session.crashed
    memory = (guard.memory_exceeded or oom_kills() > oom_before
              or (crashed and guard.peak_kb > V8_HEAP_MB * 1024 * CRASH_NEAR_HEAP_CAP))
    reason = "timeout" if guard.timed_out else "memory" if memory else "crashed" if crashed or problem else ""
    for observation_id in sorted(pending):
        records.add({"id": observation_id, "error": reason or "missing"})
    PHASE_LIMITS["timed_out"] = PHASE_LIMITS["timed_out"] or guard.timed_out
    exit_code = 2 if platform_failure else 1 if (crashed or problem) and not guard.fired else 0
    result = step_result(step["name"], started, exit_code=exit_code, records=records.text(),
                         timed_out=guard.timed_out, stdout="".join(f"{line}\n" for line in page_errors or []),
                         stderr=f"{problem}\n" if problem else "")
    result["oom_killed"] = memory
    result["pids_exhausted"] = pids_max_hits() > pids_before
    return result


def end_phase():
    """No page of this phase may live on: every renderer is killed; the browser stays (it never
    ran page script). A browser that died goes too, with everything else, and is launched again for the next
    phase. Once every renderer is dead, after visible steps, the next phase's blank page is opened in the
    background (`Browser.prewarm`; `before_phase` waits for it)."""
    BROWSER.wait_prewarm()
    if BROWSER.connected():
        following = PHASE_LIMITS["next_phase_likely"] and not PHASE_LIMITS["timed_out"]
        kept = BROWSER.next_spare if following and BROWSER.next_spare_pid else None
        # The frame waits for this: renderers are killed, not closed page by page (20-60 ms a context); the dead
        # pages' contexts stay in the browser, which serves one job only.
        if not kill_renderers(keep={BROWSER.next_spare_pid} if kept else frozenset()):
            return False
        if kept and [pid for pid in renderer_pids() if alive(pid)] == [BROWSER.next_spare_pid] \
                and BROWSER.take_next_spare():
            return True
        if kept:  # not alone, or not answering: every renderer goes, the next page is opened afresh
            if not kill_renderers():
                return False
        BROWSER.next_spare = BROWSER.next_spare_pid = None
        if following:
            BROWSER.prewarm()
        return True
    BROWSER.browser = BROWSER.playwright = None
    return kill_leftovers()


def before_phase(steps):
    BROWSER.wait_prewarm()
    pages = [step for step in steps if step.get("action") == "page"]
    PHASE_LIMITS["last_page_step"] = pages[-1] if pages else None
    if not BROWSER.connected() and any(step.get("action") == "page" for step in steps):
        try:
            BROWSER.launch()
        except Exception as exc:  # noqa: BLE001 - the steps report the browser missing
            sys.stderr.write(f"browser relaunch failed: {exc}\n")


RUNTIME = Runtime(actions={}, child_env=BROWSER_ENV, inprocess={"page": action_page, "probe": action_probe},
                  prepare=BROWSER.launch,
                  end_phase=end_phase, before_phase=before_phase)

if __name__ == "__main__":
    os._exit(main(RUNTIME))
