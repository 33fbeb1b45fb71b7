"""Front-end pages: the learner's index.html, style.css and script.js opened in headless Chromium in the web sandbox,
at the viewports the exercise declares, and checked as data.

exercise.yaml `options:`
    viewports: [{name: desktop, width: 1280, height: 800}, {name: phone, width: 375, height: 740, hidden: true}]
    javascript: true          false: the page is opened with JavaScript off (HTML/CSS exercises)
A check names its viewport(s) (`viewport: phone` or `viewports: [...]`; the first visible one by default) and holds
one observation, maybe after `actions`:
    selector + count / min / max                    how many elements match
    selector + text / value: {equals|contains|matches: ...}   text content (spaces collapsed), a field's value
    selector + attribute: alt + present / equals / matches
    selector + style: {display: grid, color: "#333"}  computed style, colours and lengths normalised
    selector + layout: visible | hidden | inside-viewport | {left-of|right-of|above|below|same-row: other}
    layout: no-horizontal-overflow
    axe: [label, image-alt, color-contrast, heading-order]   axe-core rules with no violation
    source: {css-property: display | {display: grid}} | {css-at-rule: media} | {no-inline-style: true}
            | {element: nav} | {no-element: table}   static facts of the files, judged here, without any container
    actions: [{click: sel}, {type: {into: sel, text: "..."}}, {type: {into: sel, generate: item}},
              {press: Enter} | {press: {key: Enter, into: sel}}, {submit: form-sel}, {reload: true}]
`generate: item` types a word chosen here at plan time (SandboxPlan.trusted), used in expectations as {{item}}.
The container gets the selectors, properties and actions only; every expected value stays here. Element lists are
observed up to 10 elements; text, value, attribute and style checks hold for every observed element.

Visible checks (tests/public) and every visible viewport's screenshot run in the visible step; hidden checks
(tests/hidden, at any viewport, hidden widths included) run in the hidden step, after the visible page is gone.
"""
from __future__ import annotations

import re
import secrets
from html.parser import HTMLParser

from graders import register
from graders.base import (LIMIT_PRECEDENCE, Artifact, CheckFeedback, ExerciseSpec, Grader, GradeResult, Verdict,
                          sandbox_outcome)
from graders.judging import decoded_picture, inert_text, localized_message, parse_records, score
from sandboxes.runner import SandboxPlan, SandboxResult, StepOutcome

CHECK_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
VIEWPORT_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,19}$")
FILE_NAME = re.compile(r"^[a-z0-9_-]{1,40}\.(html|css|js)$")
PLACEHOLDER = re.compile(r"\{\{([a-z][a-z0-9_]{0,19})\}\}")
STYLE_PROPERTY = re.compile(r"^-?[a-z][a-z-]{0,40}$")
AXE_RULE = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")
VISIBLE_STEP, HIDDEN_STEP = "visible", "hidden"
SCREENSHOT_ID = "screenshot@{}"
SCREENSHOT_MAX_BYTES = 150 * 1024  # a JPEG of one viewport; three of them stay within the records channel
SCREENSHOT_QUALITY = 70
MAX_SCREENSHOTS = 3
MAX_VIEWPORTS = 6
SELECTOR_CAP = 300
MESSAGE_CAP = 500
TOLERANCE_PX = 1.0
ROOT_FONT_PX = 16.0  # rem and em in expected values: the browser's default root font size
RECORD_KEYS = {"obs", "error", "jpeg"}
# What the browser needs: Chromium, its renderers and the driver.
MIN_LIMITS = {"memory_mb": 384, "pids": 128, "nofile": 512, "tmpfs_mb": 32, "wall_seconds": 3}
TEXT_OPERATORS = ("equals", "contains", "matches")
RELATIONS = ("left-of", "right-of", "above", "below", "same-row")
LAYOUT_FACTS = ("visible", "hidden", "inside-viewport", "no-horizontal-overflow")
SOURCE_FACTS = ("css-property", "css-at-rule", "no-inline-style", "element", "no-element")
ACTIONS = ("click", "type", "press", "submit", "reload")
OBSERVATION_KEYS = ("count", "text", "value", "attribute", "style", "layout", "axe", "source")
WORDS = ("olive", "argan", "cedre", "atlas", "sahara", "menthe", "datte", "safran", "figue", "jasmin", "oasis",
         "medina", "zellige", "tajine", "amande", "grenade")

# --- feedback messages (visible checks only) -------------------------------------------------------------------

MESSAGES = {
    "no_element": {"fr": "Aucun élément ne correspond à « {selector} » (fenêtre de {width} px).",
                   "ar": "لا يوجد أي عنصر يطابق «{selector}» (نافذة بعرض {width} بكسل).",
                   "en": "No element matches \u201c{selector}\u201d ({width} px wide window)."},
    "count": {"fr": "« {selector} » : {got} élément(s), attendu {expected} (fenêtre de {width} px).",
              "ar": "«{selector}»: {got} عنصر، والمتوقع {expected} (نافذة بعرض {width} بكسل).",
              "en": "\u201c{selector}\u201d: {got} element(s), expected {expected} ({width} px wide window)."},
    "text": {"fr": "« {selector} » : {what} « {got} », attendu : {expected} « {want} ».",
             "ar": "«{selector}»: {what} «{got}»، والمتوقع: {expected} «{want}».",
             "en": "\u201c{selector}\u201d: {what} \u201c{got}\u201d, expected: {expected} \u201c{want}\u201d."},
    "attribute_missing": {"fr": "« {selector} » n'a pas d'attribut {name}.",
                          "ar": "«{selector}» لا يحتوي على السمة {name}.",
                          "en": "\u201c{selector}\u201d has no {name} attribute."},
    "attribute_present": {"fr": "« {selector} » ne devrait pas avoir d'attribut {name}.",
                          "ar": "«{selector}» لا ينبغي أن يحتوي على السمة {name}.",
                          "en": "\u201c{selector}\u201d should not have a {name} attribute."},
    "attribute": {"fr": "« {selector} » : l'attribut {name} vaut « {got} », attendu : {expected} « {want} ».",
                  "ar": "«{selector}»: قيمة السمة {name} هي «{got}»، والمتوقع: {expected} «{want}».",
                  "en": "\u201c{selector}\u201d: attribute {name} is \u201c{got}\u201d, expected: {expected} "
                        "\u201c{want}\u201d."},
    "style": {"fr": "« {selector} » : {property} vaut « {got} », attendu « {want} » (fenêtre de {width} px).",
              "ar": "«{selector}»: قيمة {property} هي «{got}»، والمتوقع «{want}» (نافذة بعرض {width} بكسل).",
              "en": "\u201c{selector}\u201d: {property} is \u201c{got}\u201d, expected \u201c{want}\u201d "
                    "({width} px wide window)."},
    "relation": {"fr": "« {selector} » devrait être {relation} « {other} » dans une fenêtre de {width} px.",
                 "ar": "ينبغي أن يكون «{selector}» {relation} «{other}» في نافذة بعرض {width} بكسل.",
                 "en": "\u201c{selector}\u201d should be {relation} \u201c{other}\u201d in a {width} px wide window."},
    "visible": {"fr": "« {selector} » n'est pas visible (fenêtre de {width} px).",
                "ar": "«{selector}» غير ظاهر (نافذة بعرض {width} بكسل).",
                "en": "\u201c{selector}\u201d is not visible ({width} px wide window)."},
    "hidden": {"fr": "« {selector} » devrait être caché (fenêtre de {width} px).",
               "ar": "ينبغي أن يكون «{selector}» مخفيًا (نافذة بعرض {width} بكسل).",
               "en": "\u201c{selector}\u201d should be hidden ({width} px wide window)."},
    "inside-viewport": {"fr": "« {selector} » dépasse du bord de la fenêtre de {width} px.",
                        "ar": "«{selector}» يتجاوز حافة النافذة بعرض {width} بكسل.",
                        "en": "\u201c{selector}\u201d goes past the edge of the {width} px wide window."},
    "overflow": {"fr": "La page déborde horizontalement : {got} px de contenu pour une fenêtre de {width} px.",
                 "ar": "الصفحة تتجاوز أفقيًا: {got} بكسل من المحتوى لنافذة بعرض {width} بكسل.",
                 "en": "The page overflows horizontally: {got} px of content in a {width} px wide window."},
    "axe": {"fr": "Accessibilité : {details}.", "ar": "إمكانية الوصول: {details}.", "en": "Accessibility: {details}."},
    "action_failed": {"fr": "L'action n° {index} ({action}) n'a pas pu être faite : élément absent, caché ou désactivé.",
                      "ar": "تعذّر تنفيذ الإجراء رقم {index} ({action}): العنصر غير موجود أو مخفي أو معطّل.",
                      "en": "Action #{index} ({action}) could not be done: the element is missing, hidden or "
                            "disabled."},
    "invalid_selector": {"fr": "Le navigateur refuse le sélecteur « {selector} ».",
                         "ar": "المتصفح يرفض المُحدِّد «{selector}».",
                         "en": "The browser refuses the selector \u201c{selector}\u201d."},
    "timeout": {"fr": "La page n'a pas répondu à temps (une boucle sans fin ?).",
                "ar": "لم تستجب الصفحة في الوقت المحدد (حلقة لا نهائية؟).",
                "en": "The page did not answer in time (an endless loop?)."},
    "memory": {"fr": "La page a utilisé trop de mémoire.", "ar": "استهلكت الصفحة ذاكرة أكثر من اللازم.",
               "en": "The page used too much memory."},
    "crashed": {"fr": "La page a planté dans le navigateur.", "ar": "تعطّلت الصفحة في المتصفح.",
                "en": "The page crashed in the browser."},
    "not_ready": {"fr": "La page n'a pas pu être chargée : votre serveur n'a pas répondu.",
                  "ar": "تعذّر تحميل الصفحة: لم يستجب خادمك.",
                  "en": "The page could not be loaded: your server did not answer."},
    "missing": {"fr": "Pas de résultat pour cette vérification.", "ar": "لا توجد نتيجة لهذا الفحص.",
                "en": "No result for this check."},
    "css_property": {"fr": "Le CSS n'utilise pas {declaration}.", "ar": "لا يستخدم CSS الخاصية {declaration}.",
                     "en": "The CSS does not use {declaration}."},
    "css_at_rule": {"fr": "Le CSS n'a pas de règle @{name}.", "ar": "لا يحتوي CSS على قاعدة @{name}.",
                    "en": "The CSS has no @{name} rule."},
    "inline_style": {"fr": "{count} élément(s) ont un attribut style : mettez le style dans style.css.",
                     "ar": "{count} عنصر يحتوي على السمة style: ضع التنسيق في style.css.",
                     "en": "{count} element(s) have a style attribute: put the styles in style.css."},
    "element_missing": {"fr": "Le HTML n'utilise pas d'élément <{name}>.", "ar": "لا يستخدم HTML العنصر <{name}>.",
                        "en": "The HTML uses no <{name}> element."},
    "element_present": {"fr": "Le HTML ne devrait pas utiliser d'élément <{name}>.",
                        "ar": "لا ينبغي أن يستخدم HTML العنصر <{name}>.",
                        "en": "The HTML should not use a <{name}> element."},
}
WORDING = {
    "text": {"fr": "texte", "ar": "النص", "en": "text"},
    "value": {"fr": "valeur", "ar": "القيمة", "en": "value"},
    "equals": {"fr": "égal à", "ar": "يساوي", "en": "equal to"},
    "contains": {"fr": "contient", "ar": "يحتوي على", "en": "contains"},
    "matches": {"fr": "correspond à l'expression", "ar": "يطابق التعبير", "en": "matches"},
    "left-of": {"fr": "à gauche de", "ar": "على يسار", "en": "to the left of"},
    "right-of": {"fr": "à droite de", "ar": "على يمين", "en": "to the right of"},
    "above": {"fr": "au-dessus de", "ar": "فوق", "en": "above"},
    "below": {"fr": "en dessous de", "ar": "تحت", "en": "below"},
    "same-row": {"fr": "sur la même ligne que", "ar": "في نفس السطر مع", "en": "on the same row as"},
    "violations": {"fr": "{rule} ({count} élément(s) : {targets})", "ar": "{rule} ({count} عنصر: {targets})",
                   "en": "{rule} ({count} element(s): {targets})"},
}
CAPTION = {"fr": "Votre page dans une fenêtre de {width} px", "ar": "صفحتك في نافذة بعرض {width} بكسل",
           "en": "Your page in a {width} px wide window"}


def message(key: str, **values) -> dict[str, str]:
    """localized_message with per-language words: a value given as {"fr", "ar", "en"} is taken in each language."""
    out = {}
    for language, template in MESSAGES[key].items():
        chosen = {k: (v[language] if isinstance(v, dict) else v) for k, v in values.items()}
        out.update(localized_message({language: template}, **chosen))
    return out


# --- style values: colours to rgb()/rgba(), lengths to px, keywords lower-case --------------------------------

NAMED_COLOURS = {
    "black": (0, 0, 0), "silver": (192, 192, 192), "gray": (128, 128, 128), "grey": (128, 128, 128),
    "white": (255, 255, 255), "maroon": (128, 0, 0), "red": (255, 0, 0), "purple": (128, 0, 128),
    "fuchsia": (255, 0, 255), "magenta": (255, 0, 255), "green": (0, 128, 0), "lime": (0, 255, 0),
    "olive": (128, 128, 0), "yellow": (255, 255, 0), "navy": (0, 0, 128), "blue": (0, 0, 255),
    "teal": (0, 128, 128), "aqua": (0, 255, 255), "cyan": (0, 255, 255), "orange": (255, 165, 0),
    "aliceblue": (240, 248, 255), "antiquewhite": (250, 235, 215), "aquamarine": (127, 255, 212),
    "azure": (240, 255, 255), "beige": (245, 245, 220), "bisque": (255, 228, 196), "blanchedalmond": (255, 235, 205),
    "blueviolet": (138, 43, 226), "brown": (165, 42, 42), "burlywood": (222, 184, 135), "cadetblue": (95, 158, 160),
    "chartreuse": (127, 255, 0), "chocolate": (210, 105, 30), "coral": (255, 127, 80),
    "cornflowerblue": (100, 149, 237), "cornsilk": (255, 248, 220), "crimson": (220, 20, 60),
    "darkblue": (0, 0, 139), "darkcyan": (0, 139, 139), "darkgoldenrod": (184, 134, 11),
    "darkgray": (169, 169, 169), "darkgrey": (169, 169, 169), "darkgreen": (0, 100, 0), "darkkhaki": (189, 183, 107),
    "darkmagenta": (139, 0, 139), "darkolivegreen": (85, 107, 47), "darkorange": (255, 140, 0),
    "darkorchid": (153, 50, 204), "darkred": (139, 0, 0), "darksalmon": (233, 150, 122),
    "darkseagreen": (143, 188, 143), "darkslateblue": (72, 61, 139), "darkslategray": (47, 79, 79),
    "darkslategrey": (47, 79, 79), "darkturquoise": (0, 206, 209), "darkviolet": (148, 0, 211),
    "deeppink": (255, 20, 147), "deepskyblue": (0, 191, 255), "dimgray": (105, 105, 105),
    "dimgrey": (105, 105, 105), "dodgerblue": (30, 144, 255), "firebrick": (178, 34, 34),
    "floralwhite": (255, 250, 240), "forestgreen": (34, 139, 34), "gainsboro": (220, 220, 220),
    "ghostwhite": (248, 248, 255), "gold": (255, 215, 0), "goldenrod": (218, 165, 32),
    "greenyellow": (173, 255, 47), "honeydew": (240, 255, 240), "hotpink": (255, 105, 180),
    "indianred": (205, 92, 92), "indigo": (75, 0, 130), "ivory": (255, 255, 240), "khaki": (240, 230, 140),
    "lavender": (230, 230, 250), "lavenderblush": (255, 240, 245), "lawngreen": (124, 252, 0),
    "lemonchiffon": (255, 250, 205), "lightblue": (173, 216, 230), "lightcoral": (240, 128, 128),
    "lightcyan": (224, 255, 255), "lightgoldenrodyellow": (250, 250, 210), "lightgray": (211, 211, 211),
    "lightgrey": (211, 211, 211), "lightgreen": (144, 238, 144), "lightpink": (255, 182, 193),
    "lightsalmon": (255, 160, 122), "lightseagreen": (32, 178, 170), "lightskyblue": (135, 206, 250),
    "lightslategray": (119, 136, 153), "lightslategrey": (119, 136, 153), "lightsteelblue": (176, 196, 222),
    "lightyellow": (255, 255, 224), "limegreen": (50, 205, 50), "linen": (250, 240, 230),
    "mediumaquamarine": (102, 205, 170), "mediumblue": (0, 0, 205), "mediumorchid": (186, 85, 211),
    "mediumpurple": (147, 112, 219), "mediumseagreen": (60, 179, 113), "mediumslateblue": (123, 104, 238),
    "mediumspringgreen": (0, 250, 154), "mediumturquoise": (72, 209, 204), "mediumvioletred": (199, 21, 133),
    "midnightblue": (25, 25, 112), "mintcream": (245, 255, 250), "mistyrose": (255, 228, 225),
    "moccasin": (255, 228, 181), "navajowhite": (255, 222, 173), "oldlace": (253, 245, 230),
    "olivedrab": (107, 142, 35), "orangered": (255, 69, 0), "orchid": (218, 112, 214),
    "palegoldenrod": (238, 232, 170), "palegreen": (152, 251, 152), "paleturquoise": (175, 238, 238),
    "palevioletred": (219, 112, 147), "papayawhip": (255, 239, 213), "peachpuff": (255, 218, 185),
    "peru": (205, 133, 63), "pink": (255, 192, 203), "plum": (221, 160, 221), "powderblue": (176, 224, 230),
    "rebeccapurple": (102, 51, 153), "rosybrown": (188, 143, 143), "royalblue": (65, 105, 225),
    "saddlebrown": (139, 69, 19), "salmon": (250, 128, 114), "sandybrown": (244, 164, 96),
    "seagreen": (46, 139, 87), "seashell": (255, 245, 238), "sienna": (160, 82, 45), "skyblue": (135, 206, 235),
    "slateblue": (106, 90, 205), "slategray": (112, 128, 144), "slategrey": (112, 128, 144), "snow": (255, 250, 250),
    "springgreen": (0, 255, 127), "steelblue": (70, 130, 180), "tan": (210, 180, 140), "thistle": (216, 191, 216),
    "tomato": (255, 99, 71), "turquoise": (64, 224, 208), "violet": (238, 130, 238), "wheat": (245, 222, 179),
    "whitesmoke": (245, 245, 245), "yellowgreen": (154, 205, 50),
}
LENGTH_UNITS = {"px": 1.0, "rem": ROOT_FONT_PX, "em": ROOT_FONT_PX, "pt": 4 / 3, "pc": 16.0, "in": 96.0,
                "cm": 96 / 2.54, "mm": 96 / 25.4, "q": 96 / 101.6}
KEYWORDS = {"font-weight": {"normal": "400", "bold": "700"}}
HEX_COLOUR = re.compile(r"^#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$")
FUNCTION_COLOUR = re.compile(r"^(rgba?|hsla?)\((.*)\)$")
LENGTH = re.compile(r"^(-?(?:\d+\.?\d*|\.\d+))(px|rem|em|pt|pc|in|cm|mm|q)?$")


def _number(value: float) -> str:
    rounded = round(value, 2)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:g}"


def _colour(red, green, blue, alpha=1.0) -> str:
    channels = ", ".join(str(max(0, min(255, round(c)))) for c in (red, green, blue))
    alpha = max(0.0, min(1.0, alpha))
    return f"rgb({channels})" if alpha >= 1 else f"rgba({channels}, {_number(round(alpha, 3))})"


def _channel(text: str, scale: float) -> float:
    return float(text[:-1]) * scale / 100 if text.endswith("%") else float(text)


def _hsl(hue: float, saturation: float, lightness: float) -> tuple[float, float, float]:
    def f(n):
        k = (n + hue / 30) % 12
        a = saturation * min(lightness, 1 - lightness)
        return 255 * (lightness - a * max(-1, min(k - 3, 9 - k, 1)))
    return f(0), f(8), f(4)


def normalise_colour(token: str) -> str | None:
    """A CSS colour as the browser computes it (rgb(r, g, b) or rgba(r, g, b, a)), None if `token` is none."""
    if token in NAMED_COLOURS:
        return _colour(*NAMED_COLOURS[token])
    if token == "transparent":
        return _colour(0, 0, 0, 0)
    match = HEX_COLOUR.match(token)
    if match:
        digits = match.group(1)
        if len(digits) in (3, 4):
            digits = "".join(d * 2 for d in digits)
        values = [int(digits[i:i + 2], 16) for i in range(0, len(digits), 2)]
        return _colour(*values[:3], values[3] / 255 if len(values) == 4 else 1.0)
    match = FUNCTION_COLOUR.match(token)
    if not match:
        return None
    parts = [p for p in re.split(r"[\s,/]+", match.group(2).strip()) if p]
    if len(parts) not in (3, 4):
        return None
    try:
        alpha = _channel(parts[3], 1.0) if len(parts) == 4 else 1.0
        if match.group(1).startswith("rgb"):
            return _colour(*(_channel(p, 255) for p in parts[:3]), alpha)
        hue = float(parts[0].removesuffix("deg"))
        return _colour(*_hsl(hue, _channel(parts[1], 1.0), _channel(parts[2], 1.0)), alpha)
    except ValueError:
        return None


def _tokens(value: str) -> list[str]:
    """Split on spaces outside parentheses (so rgb(1, 2, 3) stays one token)."""
    tokens, depth, current = [], 0, ""
    for char in value:
        depth += (char == "(") - (char == ")")
        if char.isspace() and depth == 0:
            if current:
                tokens.append(current)
            current = ""
        else:
            current += char
    return tokens + ([current] if current else [])


def normalise_style(prop: str, value) -> str:
    """A style value in the form getComputedStyle gives: colours rgb()/rgba(), lengths px, keywords lower-case."""
    text = re.sub(r"\s+", " ", str(value).strip().lower()).removesuffix("!important").strip()
    text = re.sub(r"\s*,\s*", ", ", text)
    keywords = KEYWORDS.get(prop, {})
    out = []
    for token in _tokens(text):
        if token in keywords:
            out.append(keywords[token])
            continue
        colour = normalise_colour(token)
        if colour:
            out.append(colour)
            continue
        length = LENGTH.match(token)
        if length and (length.group(2) or float(length.group(1)) == 0 or prop in LENGTH_PROPERTIES):
            out.append(_number(float(length.group(1)) * LENGTH_UNITS[length.group(2) or "px"]) + "px")
            continue
        out.append(token)
    return " ".join(out)


# Properties whose unitless 0 (or number) is a length: "margin: 0" computes to "0px".
LENGTH_PROPERTIES = {"margin", "padding", "width", "height", "top", "left", "right", "bottom", "gap", "row-gap",
                     "column-gap", "border-width", "border-radius", "font-size", "max-width", "min-width",
                     "max-height", "min-height", "margin-top", "margin-bottom", "margin-left", "margin-right",
                     "padding-top", "padding-bottom", "padding-left", "padding-right"}


# --- judging observations (plain data) -------------------------------------------------------------------------

def substitute(template: str, typed: dict[str, str], for_regex: bool = False) -> str:
    """{{name}} placeholders replaced by the text typed for them (escaped in a regular expression)."""
    return PLACEHOLDER.sub(lambda m: re.escape(typed.get(m.group(1), "")) if for_regex
                           else typed.get(m.group(1), ""), template)


def text_matches(operator: str, expected: str, got, typed: dict[str, str]) -> bool:
    if not isinstance(got, str):
        return False
    if operator == "matches":
        return re.search(substitute(expected, typed, for_regex=True), got) is not None
    want = " ".join(substitute(expected, typed).split())
    return got == want if operator == "equals" else want in got


def _rect(value) -> dict | None:
    if not isinstance(value, dict):
        return None
    try:
        rect = {k: float(value[k]) for k in ("x", "y", "w", "h")}
    except (KeyError, TypeError, ValueError):
        return None
    return rect


def relation_holds(relation: str, a: dict, b: dict) -> bool:
    if relation == "left-of":
        return a["x"] + a["w"] <= b["x"] + TOLERANCE_PX
    if relation == "right-of":
        return a["x"] >= b["x"] + b["w"] - TOLERANCE_PX
    if relation == "above":
        return a["y"] + a["h"] <= b["y"] + TOLERANCE_PX
    if relation == "below":
        return a["y"] >= b["y"] + b["h"] - TOLERANCE_PX
    overlap = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
    return overlap > TOLERANCE_PX


def _list(obs: dict, key: str) -> list:
    value = obs.get(key)
    return value if isinstance(value, list) else []


def _count(obs: dict) -> int:
    count = obs.get("count")
    return count if type(count) is int and count >= 0 else 0


def judge_observation(check: dict, obs: dict, typed: dict[str, str], width: int) -> tuple[bool, dict | None]:
    """(passed, message) of one check's observation at one viewport; the message only says what the learner can
    act on. `obs` is untrusted plain data: anything odd fails."""
    selector = check.get("selector", "")
    kind = observation_kind(check)
    if "invalid" in obs:
        return False, message("invalid_selector", selector=selector)
    if "action_failed" in obs:
        failed = obs["action_failed"] if isinstance(obs["action_failed"], dict) else {}
        index = failed.get("index") if type(failed.get("index")) is int else 0
        actions = check.get("actions", [])
        described = _describe_action(actions[index]) if 0 <= index < len(actions) else "?"
        return False, message("action_failed", index=index + 1, action=described)
    if kind == "count":
        got = obs.get("count")
        if type(got) is not int or got < 0:
            return False, message("missing")
        low, high = check.get("min", check.get("count")), check.get("max", check.get("count"))
        passed = (low is None or got >= low) and (high is None or got <= high)
        expected = (str(check["count"]) if "count" in check else
                    " – ".join(str(v) for v in (check.get("min", 0), check.get("max", "…"))))
        return passed, None if passed else message("count", selector=selector, got=got, expected=expected,
                                                   width=width)
    if kind == "layout" and check["layout"] == "no-horizontal-overflow":
        viewport = obs.get("viewport") if isinstance(obs.get("viewport"), dict) else {}
        scroll, client = obs.get("scroll_width"), viewport.get("width")
        if not all(type(v) in (int, float) for v in (scroll, client)):
            return False, message("missing")
        passed = scroll <= client + TOLERANCE_PX
        return passed, None if passed else message("overflow", got=int(scroll), width=width)
    if kind == "layout" and isinstance(check["layout"], dict):
        relation, other = next(iter(check["layout"].items()))
        a, b = _rect(obs.get("a")), _rect(obs.get("b"))
        if a is None or b is None:
            return False, message("no_element", selector=selector if a is None else other, width=width)
        passed = relation_holds(relation, a, b)
        return passed, None if passed else message("relation", selector=selector, other=other,
                                                   relation=WORDING[relation], width=width)
    if kind == "layout" and check["layout"] == "hidden":
        passed = not any(v is True for v in _list(obs, "visible"))
        return passed, None if passed else message("hidden", selector=selector, width=width)
    if kind == "axe":
        violations = [v for v in _list(obs, "violations") if isinstance(v, dict)]
        if "violations" not in obs:
            return False, message("missing")
        if not violations:
            return True, None
        return False, {language: message("axe", details="; ".join(
            WORDING["violations"][language].format(
                rule=inert_text(v.get("rule"), 60), count=v.get("count") if type(v.get("count")) is int else "?",
                targets=", ".join(inert_text(t, 80) for t in _list(v, "targets")[:3]))
            for v in violations[:5]))[language] for language in ("fr", "ar", "en")}
    count = _count(obs)
    if count == 0:
        return False, message("no_element", selector=selector, width=width)
    if kind in ("text", "value"):
        operator, expected = next(iter(check[kind].items()))
        values = _list(obs, "texts" if kind == "text" else "values")
        for got in values or [None]:
            if not text_matches(operator, expected, got, typed):
                return False, message("text", selector=selector, what=WORDING[kind],
                                      got=got if isinstance(got, str) else "", expected=WORDING[operator],
                                      want=substitute(expected, typed))
        return True, None
    if kind == "attribute":
        name = check["attribute"]
        for got in _list(obs, "values") or [None]:
            if got is not None and not isinstance(got, str):
                return False, message("missing")
            if check.get("present") is False:
                if got is not None:
                    return False, message("attribute_present", selector=selector, name=name)
                continue
            if got is None:
                return False, message("attribute_missing", selector=selector, name=name)
            for operator in ("equals", "matches"):
                if operator in check and not text_matches(operator, str(check[operator]), got, typed):
                    return False, message("attribute", selector=selector, name=name, got=got,
                                          expected=WORDING[operator], want=str(check[operator]))
        return True, None
    if kind == "style":
        for styles in _list(obs, "styles") or [None]:
            styles = styles if isinstance(styles, dict) else {}
            for prop, want in check["style"].items():
                got = styles.get(prop)
                if not isinstance(got, str) or normalise_style(prop, got) != normalise_style(prop, want):
                    return False, message("style", selector=selector, property=prop,
                                          got=got if isinstance(got, str) else "", want=normalise_style(prop, want),
                                          width=width)
        return True, None
    if kind == "layout" and check["layout"] == "visible":
        passed = bool(_list(obs, "visible")) and all(v is True for v in _list(obs, "visible"))
        return passed, None if passed else message("visible", selector=selector, width=width)
    if kind == "layout" and check["layout"] == "inside-viewport":
        viewport = obs.get("viewport") if isinstance(obs.get("viewport"), dict) else {}
        client = viewport.get("width")
        rects = [_rect(r) for r in _list(obs, "rects")]
        if type(client) not in (int, float) or not rects or None in rects:
            return False, message("missing")
        passed = all(r["x"] >= -TOLERANCE_PX and r["x"] + r["w"] <= client + TOLERANCE_PX for r in rects)
        return passed, None if passed else message("inside-viewport", selector=selector, width=width)
    return False, message("missing")


def _describe_action(action: dict) -> str:
    kind, target = next(iter(action.items()))
    if kind == "type":
        return f"type → {target.get('into', '')}"
    if kind == "press":
        return f"press {target}" if isinstance(target, str) else f"press {target.get('key')} → {target.get('into')}"
    if kind == "reload":
        return "reload"
    return f"{kind} {target}"


# --- static facts of the sources (no container) ----------------------------------------------------------------

class _HtmlFacts(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.inline_styles = 0
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if any(name == "style" for name, _ in attrs):
            self.inline_styles += 1
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def source_facts(files: dict[str, str]) -> dict:
    """What the submitted sources use: HTML elements, inline style attributes, CSS declarations and at-rules."""
    html = _HtmlFacts()
    for name, text in files.items():
        if name.endswith(".html"):
            try:
                html.feed(text)
                html.close()
            except Exception:  # noqa: BLE001 - html.parser is lenient; a broken file still yields what it saw
                pass
    css = "\n".join([text for name, text in files.items() if name.endswith(".css")] + html.styles)
    css = re.sub(r"/\*.*?\*/", " ", css, flags=re.S)
    declarations = [(prop.lower(), normalise_style(prop.lower(), value))
                    for prop, value in re.findall(r"([-a-zA-Z]+)\s*:\s*([^;{}]+)", css)]
    at_rules = {name.lower() for name in re.findall(r"@([a-zA-Z-]+)", css)}
    return {"tags": html.tags, "inline_styles": html.inline_styles, "declarations": declarations,
            "at_rules": at_rules}


def judge_source(check: dict, facts: dict) -> tuple[bool, dict | None]:
    fact, argument = next(iter(check["source"].items()))
    if fact == "css-property":
        if isinstance(argument, dict):
            prop, value = next(iter(argument.items()))
            want = normalise_style(prop, value)
            passed = any(p == prop and want in v.split(" ") + [v] for p, v in facts["declarations"])
            return passed, None if passed else message("css_property", declaration=f"{prop}: {value}")
        passed = any(p == argument for p, _ in facts["declarations"])
        return passed, None if passed else message("css_property", declaration=argument)
    if fact == "css-at-rule":
        passed = argument in facts["at_rules"]
        return passed, None if passed else message("css_at_rule", name=argument)
    if fact == "no-inline-style":
        passed = facts["inline_styles"] == 0
        return passed, None if passed else message("inline_style", count=facts["inline_styles"])
    if fact == "element":
        passed = argument in facts["tags"]
        return passed, None if passed else message("element_missing", name=argument)
    passed = argument not in facts["tags"]
    return passed, None if passed else message("element_present", name=argument)


# --- the exercise definition ------------------------------------------------------------------------------------

def is_hidden(check: dict) -> bool:
    return check.get("hidden", True) is not False


def observation_kind(check: dict) -> str | None:
    kinds = {key for key in OBSERVATION_KEYS if key in check}
    if kinds & {"count"} or {"min", "max"} & set(check):
        kinds = (kinds - {"count"}) | {"count"}
    return next(iter(kinds)) if len(kinds) == 1 else None


def viewports_of(spec: ExerciseSpec) -> list[dict]:
    return list(spec.options.get("viewports") or [])


def check_viewports(check: dict, spec: ExerciseSpec) -> list[str]:
    if "viewports" in check:
        return list(check["viewports"])
    if "viewport" in check:
        return [check["viewport"]]
    visible = [v["name"] for v in viewports_of(spec) if not v.get("hidden")]
    return visible[:1]


def generated_names(check: dict) -> list[str]:
    """The names of the check's generated texts: those its `type` actions generate, and (fullstack) those it
    declares in `generate:`, whose values the fullstack kind chooses."""
    typed = [a["type"]["generate"] for a in check.get("actions", [])
             if isinstance(a, dict) and isinstance(a.get("type"), dict) and "generate" in a["type"]]
    declared = check.get("generate") if isinstance(check.get("generate"), dict) else {}
    return typed + [name for name in declared if name not in typed]


def _problems_of_options(spec: ExerciseSpec) -> list[str]:
    problems = []
    options = spec.options
    unknown = set(options) - {"viewports", "javascript", "screenshots"}
    if unknown:
        problems.append(f"options: unknown key(s) {', '.join(sorted(unknown))}")
    if not isinstance(options.get("javascript", True), bool) or not isinstance(options.get("screenshots", True),
                                                                                bool):
        problems.append("options: javascript and screenshots must be true or false")
    viewports = options.get("viewports")
    if not isinstance(viewports, list) or not 1 <= len(viewports) <= MAX_VIEWPORTS:
        return problems + [f"options.viewports: a list of 1 to {MAX_VIEWPORTS} viewports is required"]
    names = set()
    for index, viewport in enumerate(viewports):
        where = f"options.viewports #{index + 1}"
        if not isinstance(viewport, dict) or set(viewport) - {"name", "width", "height", "hidden"}:
            problems.append(f"{where}: takes name, width, height and hidden")
            continue
        if not isinstance(viewport.get("name"), str) or not VIEWPORT_NAME.match(viewport["name"]):
            problems.append(f"{where}: name must match {VIEWPORT_NAME.pattern}")
        elif viewport["name"] in names:
            problems.append(f"{where}: duplicate name {viewport['name']!r}")
        names.add(viewport.get("name"))
        for key, low, high in (("width", 240, 2560), ("height", 240, 2000)):
            value = viewport.get(key)
            if type(value) is not int or not low <= value <= high:
                problems.append(f"{where}: {key} must be a whole number of pixels from {low} to {high}")
        if not isinstance(viewport.get("hidden", False), bool):
            problems.append(f"{where}: hidden must be true or false")
    if all(v.get("hidden") for v in viewports if isinstance(v, dict)):
        problems.append("options.viewports: at least one viewport must be visible (hidden: false)")
    return problems


def _problems_of_text(where: str, key: str, value, placeholders: set[str]) -> list[str]:
    if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in TEXT_OPERATORS:
        return [f"{where}: {key} takes one of {', '.join(TEXT_OPERATORS)}"]
    operator, expected = next(iter(value.items()))
    return _problems_of_expected(where, f"{key}.{operator}", operator, expected, placeholders)


def _problems_of_expected(where: str, key: str, operator: str, expected, placeholders: set[str]) -> list[str]:
    if not isinstance(expected, str):
        return [f"{where}: {key} must be text"]
    problems = [f"{where}: {key} uses {{{{{name}}}}}, which no action of this check generates"
                for name in PLACEHOLDER.findall(expected) if name not in placeholders]
    if operator == "matches":
        try:
            re.compile(substitute(expected, dict.fromkeys(placeholders, "x"), for_regex=True))
        except re.error as exc:
            problems.append(f"{where}: {key} is not a valid regular expression ({exc})")
    return problems


def _problems_of_actions(where: str, actions) -> list[str]:
    if not isinstance(actions, list) or not 1 <= len(actions) <= 20:
        return [f"{where}: actions must be a list of 1 to 20 actions"]
    problems = []
    generated = []
    for number, action in enumerate(actions, start=1):
        at = f"{where}: action #{number}"
        if not isinstance(action, dict) or len(action) != 1 or next(iter(action)) not in ACTIONS:
            problems.append(f"{at}: one of {', '.join(ACTIONS)}")
            continue
        kind, target = next(iter(action.items()))
        if kind in ("click", "submit"):
            problems += _problems_of_selector(at, target)
        elif kind == "reload":
            if target is not True:
                problems.append(f"{at}: reload takes true")
        elif kind == "type":
            if not isinstance(target, dict) or set(target) - {"into", "text", "generate"} or \
                    ("text" in target) == ("generate" in target):
                problems.append(f"{at}: type takes into and one of text or generate")
                continue
            problems += _problems_of_selector(at, target.get("into"))
            if "text" in target and (not isinstance(target["text"], str) or len(target["text"]) > 200):
                problems.append(f"{at}: type.text must be text of at most 200 characters")
            if "generate" in target:
                if not isinstance(target["generate"], str) or not re.match(r"^[a-z][a-z0-9_]{0,19}$",
                                                                           target["generate"]):
                    problems.append(f"{at}: type.generate must name the text, e.g. item")
                elif target["generate"] in generated:
                    problems.append(f"{at}: {target['generate']!r} is generated twice")
                generated.append(target.get("generate"))
        else:
            key = target if isinstance(target, str) else target.get("key") if isinstance(target, dict) else None
            if not isinstance(key, str) or not re.match(r"^[A-Za-z0-9+]{1,30}$", key):
                problems.append(f"{at}: press takes a key name (Enter, Tab, Escape...) or {{key, into}}")
            if isinstance(target, dict):
                problems += _problems_of_selector(at, target.get("into"))
    return problems


def _problems_of_selector(where: str, selector) -> list[str]:
    if not isinstance(selector, str) or not selector.strip() or len(selector) > SELECTOR_CAP:
        return [f"{where}: a CSS selector (text of at most {SELECTOR_CAP} characters) is required"]
    return []


def _problems_of_check(check: dict, spec: ExerciseSpec, where: str) -> list[str]:
    problems = []
    kind = observation_kind(check)
    if kind is None:
        return [f"{where}: exactly one observation is required: {', '.join(OBSERVATION_KEYS)} (or min/max)"]
    placeholders = set(generated_names(check)) if isinstance(check.get("actions"), list) else set()
    if "actions" in check:
        if kind == "source":
            problems.append(f"{where}: a source check takes no actions")
        problems += _problems_of_actions(where, check["actions"])
        settle = check.get("settle_ms", 50)
        if type(settle) is not int or not 0 <= settle <= 2000:
            problems.append(f"{where}: settle_ms must be 0 to 2000")
    if kind == "source":
        source = check["source"]
        if not isinstance(source, dict) or len(source) != 1 or next(iter(source)) not in SOURCE_FACTS:
            return problems + [f"{where}: source takes one of {', '.join(SOURCE_FACTS)}"]
        fact, argument = next(iter(source.items()))
        if fact == "css-property":
            valid = (isinstance(argument, str) and STYLE_PROPERTY.match(argument)) or (
                isinstance(argument, dict) and len(argument) == 1 and STYLE_PROPERTY.match(str(next(iter(argument))))
                and isinstance(next(iter(argument.values())), (str, int, float)))
            if not valid:
                problems.append(f"{where}: css-property takes a property name or {{property: value}}")
        elif fact == "no-inline-style":
            if argument is not True:
                problems.append(f"{where}: no-inline-style takes true")
        elif not isinstance(argument, str) or not re.match(r"^[a-z][a-z0-9-]{0,30}$", argument):
            problems.append(f"{where}: {fact} takes a name (lower case)")
        return problems
    names = check_viewports(check, spec)
    declared = {v.get("name"): v for v in viewports_of(spec) if isinstance(v, dict)}
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        problems.append(f"{where}: viewport(s) must name declared viewports")
    else:
        for name in names:
            if name not in declared:
                problems.append(f"{where}: unknown viewport {name!r}")
            elif not is_hidden(check) and declared[name].get("hidden"):
                problems.append(f"{where}: a visible example cannot use the hidden viewport {name!r}")
        if len(set(names)) != len(names):
            problems.append(f"{where}: a viewport is named twice")
    needs_selector = kind not in ("axe",) and not (kind == "layout" and check["layout"] == "no-horizontal-overflow")
    if needs_selector:
        problems += _problems_of_selector(where, check.get("selector"))
    if kind == "count":
        for key in ("count", "min", "max"):
            if key in check and (type(check[key]) is not int or check[key] < 0):
                problems.append(f"{where}: {key} must be a whole number >= 0")
        if "count" in check and ({"min", "max"} & set(check)):
            problems.append(f"{where}: count excludes min and max")
    elif kind in ("text", "value"):
        problems += _problems_of_text(where, kind, check[kind], placeholders)
    elif kind == "attribute":
        if not isinstance(check["attribute"], str) or not re.match(r"^[a-zA-Z_:][-a-zA-Z0-9_:.]{0,40}$",
                                                                   check["attribute"]):
            problems.append(f"{where}: attribute must name an attribute")
        tests = [k for k in ("present", "equals", "matches") if k in check]
        if len(tests) != 1:
            problems.append(f"{where}: attribute takes one of present, equals, matches")
        elif tests[0] == "present" and not isinstance(check["present"], bool):
            problems.append(f"{where}: present must be true or false")
        elif tests[0] != "present":
            problems += _problems_of_expected(where, tests[0], tests[0], check[tests[0]], placeholders)
    elif kind == "style":
        style = check["style"]
        if not isinstance(style, dict) or not style or not all(
                isinstance(k, str) and STYLE_PROPERTY.match(k) and isinstance(v, (str, int, float))
                for k, v in style.items()):
            problems.append(f"{where}: style maps CSS properties to expected values")
    elif kind == "layout":
        layout = check["layout"]
        if isinstance(layout, dict):
            if len(layout) != 1 or next(iter(layout)) not in RELATIONS:
                problems.append(f"{where}: layout takes one of {', '.join(RELATIONS)} with another selector")
            else:
                problems += _problems_of_selector(where, next(iter(layout.values())))
        elif layout not in LAYOUT_FACTS:
            problems.append(f"{where}: layout is one of {', '.join(LAYOUT_FACTS)}, or a relation")
    elif kind == "axe":
        rules = check["axe"]
        if not isinstance(rules, list) or not rules or not all(isinstance(r, str) and AXE_RULE.match(r)
                                                              for r in rules):
            problems.append(f"{where}: axe lists axe-core rule ids (label, image-alt, color-contrast...)")
    return problems


def observation_spec(check: dict, observation_id: str) -> dict:
    """What the container is asked to observe for a check: never an expected value."""
    kind = observation_kind(check)
    selector = check.get("selector")
    if kind in ("count", "text", "value"):
        return {"id": observation_id, "type": kind, "selector": selector}
    if kind == "attribute":
        return {"id": observation_id, "type": "attribute", "selector": selector, "name": check["attribute"]}
    if kind == "style":
        return {"id": observation_id, "type": "style", "selector": selector, "properties": sorted(check["style"])}
    if kind == "axe":
        return {"id": observation_id, "type": "axe", "rules": list(check["axe"])}
    layout = check["layout"]
    if isinstance(layout, dict):
        return {"id": observation_id, "type": "relation", "selector": selector, "other": next(iter(layout.values()))}
    if layout == "no-horizontal-overflow":
        return {"id": observation_id, "type": "overflow"}
    return {"id": observation_id, "type": "inside_viewport" if layout == "inside-viewport" else "visible",
            "selector": selector}


def container_actions(check: dict, typed: dict[str, str]) -> list[dict]:
    actions = []
    for action in check.get("actions", []):
        kind, target = next(iter(action.items()))
        if kind == "type":
            text = typed[target["generate"]] if "generate" in target else target["text"]
            actions.append({"do": "type", "selector": target["into"], "text": text})
        elif kind == "press":
            key, into = (target, None) if isinstance(target, str) else (target["key"], target.get("into"))
            actions.append({"do": "press", "key": key, **({"selector": into} if into else {})})
        elif kind == "reload":
            actions.append({"do": "reload"})
        else:
            actions.append({"do": kind, "selector": target})
    return actions


def generate_text() -> str:
    """A word the page cannot have guessed: chosen per run, on this side."""
    return f"{secrets.choice(WORDS)}-{secrets.randbelow(9000) + 1000}"


def observation_id(check: dict, viewport: str) -> str:
    return f"{check['id']}@{viewport}"


@register
class WebPageGrader(Grader):
    kind = "web-page"
    image = "web"
    # The visible examples are the public tests: shown on the exercise page, and run alone by a practice run
    # (the visible step only, with its screenshots; no score).
    public_test_glob = "checks.yaml"

    def supports_practice(self, spec: ExerciseSpec) -> bool:
        return any(not is_hidden(check) for check in spec.checks)

    def validate(self, spec: ExerciseSpec) -> list[str]:
        problems = []
        if "index.html" not in spec.files:
            problems.append("files: index.html is required")
        problems += [f"files: {name!r} must be a lower-case .html, .css or .js file name" for name in spec.files
                     if not FILE_NAME.match(name)]
        for key, minimum in MIN_LIMITS.items():
            if getattr(spec.limits, key) < minimum:
                problems.append(f"limits: {key} must be at least {minimum} for the browser")
        problems += _problems_of_options(spec)
        if problems:
            return problems
        if not any(is_hidden(check) for check in spec.checks):
            problems.append("checks: at least one hidden check is required")
        problems += [f"check {check.get('id', '?')}: generate and setup are the fullstack kind's" for check in
                     spec.checks if isinstance(check, dict) and ({"generate", "setup"} & set(check))]
        return problems + self.check_problems(spec)

    @staticmethod
    def check_problems(spec: ExerciseSpec) -> list[str]:
        """What is wrong with each of the spec's checks (its options are valid)."""
        problems = []
        seen = set()
        for index, check in enumerate(spec.checks):
            where = f"check #{index + 1} ({check.get('id', '?')})"
            if not isinstance(check, dict):
                problems.append(f"{where}: must be a mapping")
                continue
            check_id = check.get("id")
            if not isinstance(check_id, str) or not CHECK_ID.match(check_id):
                problems.append(f"{where}: id must match {CHECK_ID.pattern}")
            elif check_id in seen:
                problems.append(f"{where}: duplicate id")
            seen.add(check_id)
            if not check.get("name"):
                problems.append(f"{where}: a name is required")
            weight = check.get("weight", 1)
            if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight <= 0:
                problems.append(f"{where}: weight must be a positive number")
            problems += _problems_of_check(check, spec, where)
        return problems

    def plan(self, spec: ExerciseSpec, files: dict[str, str], practice: bool = False) -> SandboxPlan:
        typed = self.typed_values(spec)
        return SandboxPlan(image=self.image, files={name: files.get(name, "") for name in spec.files},
                           steps=self.page_steps(spec, typed, practice), limits=spec.limits, runtime=spec.runtime,
                           trusted={"typed": typed, "practice": practice})

    @staticmethod
    def typed_values(spec: ExerciseSpec) -> dict[str, dict[str, str]]:
        """The text each check's `type` actions type, chosen for this run: {check id: {name: text}}."""
        return {check["id"]: {name: generate_text() for name in generated_names(check)} for check in spec.checks}

    @staticmethod
    def page_steps(spec: ExerciseSpec, typed: dict, practice: bool = False) -> list[dict]:
        """The `page` steps (visible, hidden): per viewport, what to observe on the page as loaded, and each
        scenario of actions with what to observe after it."""
        javascript = bool(spec.options.get("javascript", True))
        viewports = viewports_of(spec)
        steps = []
        for hidden, name in ((False, VISIBLE_STEP), (True, HIDDEN_STEP))[:1 if practice else 2]:
            step_viewports = []
            for viewport in viewports:
                plain, scenarios = [], []
                for check in spec.checks:
                    if is_hidden(check) != hidden or "source" in check or \
                            viewport["name"] not in check_viewports(check, spec):
                        continue
                    observation = observation_spec(check, observation_id(check, viewport["name"]))
                    if "actions" in check:
                        scenarios.append({"actions": container_actions(check, typed[check["id"]]),
                                          "settle_ms": check.get("settle_ms", 50), "observations": [observation]})
                    else:
                        plain.append(observation)
                # Every visible viewport is shown to the learner (its screenshot), checked or not.
                screenshot = (not hidden and not viewport.get("hidden") and spec.options.get("screenshots", True)
                              and sum(1 for v in step_viewports if "screenshot" in v) < MAX_SCREENSHOTS)
                if not (plain or scenarios or screenshot):
                    continue
                entry = {"name": viewport["name"], "width": viewport["width"], "height": viewport["height"],
                         "observations": plain, "sessions": scenarios}
                if screenshot:
                    entry["screenshot"] = {"quality": SCREENSHOT_QUALITY, "max_bytes": SCREENSHOT_MAX_BYTES}
                step_viewports.append(entry)
            if step_viewports:
                steps.append({"name": name, "action": "page", "hidden": hidden, "timeout": spec.limits.wall_seconds,
                              "args": {"javascript": javascript, "page_errors": not hidden,
                                       "viewports": step_viewports}})
        return steps

    def evaluate(self, spec: ExerciseSpec, plan: SandboxPlan, result: SandboxResult) -> GradeResult:
        typed = plan.trusted.get("typed", {})
        widths = {v["name"]: v["width"] for v in viewports_of(spec)}
        facts = source_facts(plan.files)
        diagnostics: dict = {"sandbox_status": result.status, "outputs": {}}
        limit_hits: set[Verdict] = set()
        errors: list[str] = []
        records = {}
        artifacts: list[Artifact] = []
        for hidden, name in ((False, VISIBLE_STEP), (True, HIDDEN_STEP)):
            ids = [observation_id(c, v) for c in spec.checks if is_hidden(c) == hidden and "source" not in c
                   for v in check_viewports(c, spec)]
            step_plan = next((s for s in plan.steps if s["name"] == name), None)
            if step_plan is None:
                continue
            shots = [v["name"] for v in step_plan["args"]["viewports"] if "screenshot" in v]
            step = result.step(name)
            parsed = parse_records(step.records, ids + [SCREENSHOT_ID.format(v) for v in shots], RECORD_KEYS)
            records.update({i: parsed for i in ids})
            limit_hits |= self._step_limits(step)
            if not hidden:
                artifacts = self._screenshots(parsed, shots, widths)
                errors += [inert_text(line, 300) for line in step.stdout.splitlines()[:1]]
            diagnostics["outputs"][name] = {"exit_code": step.exit_code, "timed_out": step.timed_out,
                                            "stderr": inert_text(step.stderr[-500:], 500)}
        shown = {a.name for a in artifacts}

        checks = []
        for check in spec.checks:
            hidden = is_hidden(check)
            if hidden and plan.trusted.get("practice"):
                continue
            feedback = CheckFeedback(id=check["id"], name=check["name"], passed=False, hidden=hidden,
                                     weight=float(check.get("weight", 1)))
            if "source" in check:
                feedback.passed, note = judge_source(check, facts)
                feedback.status = "passed" if feedback.passed else "failed"
            else:
                feedback.passed, note, feedback.status = self._judge_dom(check, spec, records, typed.get(
                    check["id"], {}), widths, limit_hits)
            if not hidden:
                feedback.message = note or ""
                viewport = next(iter(check_viewports(check, spec)), None)
                artifact = f"screenshot-{viewport}.jpeg"
                if "source" not in check and artifact in shown:
                    feedback.details = {"artifact": artifact}
            checks.append(feedback)

        if plan.trusted.get("practice"):
            # A practice run informs: the visible examples as public tests, no graded check, no score.
            examples = [c for c in checks if not c.hidden]
            verdict, text = self._verdict(result, examples, limit_hits, errors)
            return GradeResult(verdict=verdict, score=0.0, max_score=0.0, checks=[], public_tests=examples,
                               message=inert_text(text, MESSAGE_CAP), diagnostics=diagnostics, artifacts=artifacts)
        points = score([(c.weight, c.passed) for c in checks], spec.points, spec.scoring)
        verdict, text = self._verdict(result, checks, limit_hits, errors)
        return GradeResult(verdict=verdict, score=points, max_score=spec.points, checks=checks,
                           message=inert_text(text, MESSAGE_CAP), diagnostics=diagnostics, artifacts=artifacts)

    @staticmethod
    def _judge_dom(check, spec, records, typed, widths, limit_hits) -> tuple[bool, dict | None, str]:
        """(passed, message, status) of a check over all its viewports: it passes at every one of them."""
        for viewport in check_viewports(check, spec):
            oid = observation_id(check, viewport)
            record, problem = records[oid].get(oid) if oid in records else (None, "missing")
            if record is None:
                return False, message("missing"), "missing"
            if "error" in record:
                error = record["error"] if record["error"] in ("timeout", "memory", "crashed", "not_ready") \
                    else "missing"
                limit_hits.add({"timeout": Verdict.TIME_LIMIT, "memory": Verdict.MEMORY_LIMIT}.get(
                    error, Verdict.RUNTIME_ERROR))
                return False, message(error), "timeout" if error == "timeout" else "error"
            obs = record.get("obs") if isinstance(record.get("obs"), dict) else {}
            passed, note = judge_observation(check, obs, typed, widths.get(viewport, 0))
            if not passed:
                return False, note, "failed"
        return True, None, "passed"

    @staticmethod
    def _step_limits(step: StepOutcome) -> set[Verdict]:
        hits = set()
        if step.pids_exhausted:
            hits.add(Verdict.PROCESS_LIMIT)
        if step.oom_killed:
            hits.add(Verdict.MEMORY_LIMIT)
        if step.timed_out:
            hits.add(Verdict.TIME_LIMIT)
        if step.exit_code == 2:
            hits.add(Verdict.GRADING_ERROR)
        elif step.exit_code not in (0, None) or step.missing:
            hits.add(Verdict.RUNTIME_ERROR)
        return hits

    @staticmethod
    def _screenshots(parsed, shots: list[str], widths: dict) -> list[Artifact]:
        artifacts = []
        for viewport in shots:
            record, _ = parsed.get(SCREENSHOT_ID.format(viewport))
            image = decoded_picture(record.get("jpeg") if record else None, b"\xff\xd8\xff", SCREENSHOT_MAX_BYTES)
            if image is None:
                continue
            artifacts.append(Artifact(name=f"screenshot-{viewport}.jpeg", content_type="image/jpeg", data=image,
                                      caption={k: v.format(width=widths.get(viewport, 0)) for k, v in CAPTION.items()}))
        return artifacts

    @staticmethod
    def _verdict(result: SandboxResult, checks, limit_hits, errors) -> tuple[Verdict, str]:
        outcome = sandbox_outcome(result)
        if outcome:
            return outcome
        if Verdict.GRADING_ERROR in limit_hits:
            return Verdict.GRADING_ERROR, ""
        if checks and all(c.passed for c in checks):
            return Verdict.PASSED, ""
        for verdict in LIMIT_PRECEDENCE:
            if verdict in limit_hits:
                return verdict, ""
        if Verdict.RUNTIME_ERROR in limit_hits:
            return Verdict.RUNTIME_ERROR, errors[0] if errors else ""
        return Verdict.FAILED, errors[0] if errors else ""
