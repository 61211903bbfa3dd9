"""Patterns of the page layout: dates, credits, source footers, image suffixes, site chrome.

Rules are by structure and script; the few literal strings are site furniture of
vietnam.vn (labels, menus) that no rule can infer.
"""
from __future__ import annotations

import re
from datetime import date

from ..langid import strip_diacritics

# shared with align (credits on both sides) and review: one home, mt/text.py
from ..text import CREDIT_BRACKET, CREDIT_DASH, CREDIT_ONLY, arabic_digits, be_to_ce, credit_only, split_credit  # noqa: E402,F401


# ----------------------------------------------------------------- dates / metadata
_DATE = r"(?P<d>\d{1,2})\s*[/.\-]\s*(?P<m>\d{1,2})\s*[/.\-]\s*(?P<y>\d{4})"
_TIME = r"(?:\s*[-,|]?\s*\d{1,2}[:h]\d{2}(?::\d{2})?(?:\s*(?:GMT|UTC)?\s*[+-]?\d{0,2})?)?"
META_END = re.compile(r"^(?P<pub>.{0,100}?)\s*[-–|,•·]?\s*" + _TIME + r"\s*" + _DATE + _TIME + r"\s*$")
META_START = re.compile(r"^\s*" + _DATE + _TIME + r"\s*[-–|,•·]?\s*(?P<pub>.{0,100}?)\s*$")


def iso_date(d: str, m: str, y: str) -> str | None:
    day, month, year = int(d), int(m), int(y)
    year = be_to_ce(year)    # Buddhist era
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def undouble(name: str) -> str:
    """``Báo Quốc TếBáo Quốc Tế`` -> ``Báo Quốc Tế`` (scrapers glue the name twice)."""
    s = name.strip(" -|,•·")
    for sep in ("", " "):
        n = len(s)
        if n >= 2 and (n - len(sep)) % 2 == 0:
            half = (n - len(sep)) // 2
            if s[:half] == s[half + len(sep):] and s[half:half + len(sep)] == sep:
                return s[:half].strip()
    return s


_TH_MONTHS = ["มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม", "สิงหาคม",
              "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม"]
_TH_MONTHS_ABBR = ["ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."]
_TH_DATE = re.compile(r"(?P<d>\d{1,2})\s*(?P<mon>" + "|".join(re.escape(m) for m in _TH_MONTHS + _TH_MONTHS_ABBR)
                      + r")\s*(?:พ\.ศ\.\s*|ค\.ศ\.\s*)?(?P<y>\d{4})")


def _thai_month_date(t: str) -> str:
    """``12 ธันวาคม 2568`` -> ``12/12/2568`` so that the numeric patterns apply."""
    def repl(m: re.Match) -> str:
        mon = m.group("mon")
        n = (_TH_MONTHS.index(mon) if mon in _TH_MONTHS else _TH_MONTHS_ABBR.index(mon)) + 1
        return f"{m.group('d')}/{n:02d}/{m.group('y')}"
    return _TH_DATE.sub(repl, t)


def parse_metadata(text: str) -> dict | None:
    """A publication / date line -> ``{"publication", "date"}``; None if it is not one."""
    t = _thai_month_date(arabic_digits(text).strip())
    if len(t) > 140 or not t:
        return None
    m = META_END.match(t) or META_START.match(t)
    if not m:
        return None
    iso = iso_date(m.group("d"), m.group("m"), m.group("y"))
    if iso is None:
        return None
    pub = undouble(m.group("pub") or "")
    if len(pub) > 80 or re.search(r"[.!?…:]\s*$", pub):
        return None
    return {"publication": pub or None, "date": iso}


# ----------------------------------------------------------------- source footers / urls
_URL = (r"(?P<url>https?://\S*|https?:/?|https?|htt?p?|www\.\S*"
        r"|[\w-]+(?:\.[\w-]+)*\.(?:vn|com|org|net|th|asia|info)(?:/\S*)?)")
SOURCE_FOOTER = re.compile(r"^\s*(?:ที่มา|แหล่งที่มา|ลิงค์ที่มา|ลิงก์ที่มา|อ้างอิง|source|nguồn|theo)\s*(?:[:：]\s*)?"
                           + _URL + r"\s*$", re.IGNORECASE)
BARE_URL = re.compile(r"^\s*(?P<url>(?:https?://|www\.)\S+)\s*$", re.IGNORECASE)


def source_url(text: str) -> str | None:
    m = SOURCE_FOOTER.match(text) or BARE_URL.match(text)
    return m.group("url") if m else None


# ----------------------------------------------------------------- images
IMAGE_FILE = re.compile(r"^\s*\S*[\w-]\.(?:jpe?g|png|gif|webp|svg|bmp|avif|tiff?)(?:\?\S*)?\s*$", re.IGNORECASE)
_VI_IMG_SUFFIX = [
    re.compile(r"(?<!\s)\s*(?:[-–]\s*)?[Ảả]nh\s*\d{1,3}\s*\.?\s*$"),                           # "...số- Ảnh 1."
    re.compile(r"(?<!\s)\s+[-–]\s*\d{1,3}\s*\S*\.(?:jpe?g|png|gif|webp|avif)\s*$", re.I),   # " - 1abc.jpg"
    re.compile(r"(?<!\s)\s+\S+\.(?:jpe?g|png|gif|webp|avif)\s*$", re.I),                   # glued file name
    re.compile(r"(?<!\s)\s+[-–]\s*\d{1,3}\s*\.?\s*$"),                                     # " - 1"
]


def strip_image_suffix(text: str) -> str:
    s = text
    for _ in range(2):
        for rx in _VI_IMG_SUFFIX:
            t = rx.sub("", s)
            if t != s and t.strip():
                s = t
    return s.strip()


# ----------------------------------------------------------------- chrome
def chrome_key(text: str) -> str:
    return re.sub(r"\s+", " ", strip_diacritics(text).lower()).strip(" .:|")


CHROME_EXACT = {
    # Vietnamese / English page furniture
    "doc lap - tu do - hanh phuc", "cong hoa xa hoi chu nghia viet nam", "chia se", "binh luan",
    "no data", "simple empty", "no videos available", "share", "loading...", "loading", "xem them",
    "tin lien quan", "doc them", "theo doi", "dang nhap", "quang cao", "advertisement",
    # Thai labels and menus
    "แหล่งที่มา", "ลิงค์ที่มา", "ลิงก์ที่มา", "ที่มา", "แชร์", "หัวข้อเดียวกัน", "หมวดหมู่เดียวกัน",
    "ผู้เขียนเดียวกัน", "ข่าวที่เกี่ยวข้อง", "ข่าวล่าสุด", "อ่านเพิ่มเติม", "โฆษณา",
}
# labels that end the article: what follows is comments, related headlines and menus
END_LABELS = {"แหล่งที่มา", "ลิงค์ที่มา", "ลิงก์ที่มา", "ที่มา", "no data", "simple empty", "no videos available",
              "หัวข้อเดียวกัน", "หมวดหมู่เดียวกัน", "ผู้เขียนเดียวกัน", "ข่าวที่เกี่ยวข้อง", "tin lien quan"}
COMMENT_COUNTER = re.compile(r"^\s*(?:การแสดงความคิดเห็น|แสดงความคิดเห็น|ความคิดเห็น|bình luận|comments?)\s*\(\s*[\d๐-๙]+\s*\)\s*$",
                             re.IGNORECASE)
BANNER = re.compile(r"^\s*[\w-]+(?:\.[\w-]+)*\.(?:vn|com|net|org|asia|info)\b\s*(?:[-–|:]\s*.*)?$", re.IGNORECASE)
AD_PLACEHOLDER = re.compile(r"^\s*[\[{]\s*[^\[\]{}\s]{1,40}?[_\s-]*\d*\s*[\]}]\s*$")
AD_WORDS = re.compile(r"โฆษณา|quảng cáo|advert|banner|ads?\b", re.IGNORECASE)


def is_chrome_text(text: str) -> bool:
    key = chrome_key(text)
    return key in CHROME_EXACT or bool(COMMENT_COUNTER.match(text)) or bool(BANNER.match(text) and len(text) < 120)


def is_end_marker(text: str) -> bool:
    return chrome_key(text) in END_LABELS or bool(COMMENT_COUNTER.match(text))


def is_ad(text: str) -> bool:
    m = AD_PLACEHOLDER.match(text)
    return bool(m) and (bool(AD_WORDS.search(text)) or "_" in text or bool(re.search(r"\d\s*[\]}]\s*$", text)))


# ----------------------------------------------------------------- bylines
BYLINE_SEP = re.compile(r"(?<!\s)\s+[-–/]\s+|(?<!\s)\s*,\s*")
BYLINE_PREFIX = re.compile(r"^\s*(?:โดย|ผู้เขียน|ข่าว|ภาพและข่าว|เรื่องและภาพ|เรื่อง|Theo|Bài và ảnh|Bài|Tác giả)\s*[:：]?\s+", re.I)
SENTENCE_END = re.compile(r"[.!?…;:”\"')\]]\s*$|\.\.\.\s*$")


# ----------------------------------------------------------------- non-text lines
_IMG_EXT = r"(?:jpe?g|png|gif|webp|svg|bmp|avif|tiff?|heic)"
# a line that ends with an image file name (alt-text glued to it, or a URL of an image)
IMAGE_TAIL = re.compile(r"\." + _IMG_EXT + r"(?:\?\S*)?\s*\)?\s*$", re.IGNORECASE)
URL_IN_TEXT = re.compile(r"(?:https?://|www\.)[^\s<>()\[\]]+", re.IGNORECASE)
# the Vietnamese image suffix that vietnam.vn puts on alt-text ("... - ảnh 1", "... (ảnh: X)")
VI_IMAGE_SUFFIX = re.compile(r"(?<!\s)\s*[-–—]\s*[Ảả]nh\s*\d{1,3}\s*\.?\s*$|(?<!\s)\s*[(\[]\s*[Ảả]nh\s*[:：][^()\[\]]{0,60}[)\]]\s*\.?\s*$")
# a Thai caption tail that says "screenshot" / "photo by" (no colon, so not a credit split off)
CAPTION_TAIL = re.compile(r"[-–—]\s*(?:ภาพหน้าจอ|ภาพถ่ายหน้าจอ|ภาพจากหน้าจอ|ภาพประกอบ|ภาพ(?:ถ่าย)?(?:โดย|จาก)\s*\S.{0,60}"
                          r"|ภาพ(?:ถ่าย)?\s*[:：].{0,60})\s*\.?\s*$")

_AGENCIES = (r"TTXVN|VNA|VOV(?:\d|\.vn|\.VN)?|VTV\d?|VGP|VNP|VNS|TTO|Vietnam\+|VietnamPlus|VNExpress"
             r"|วีโอวี(?:\.เวียดนาม)?|ทีทีเอ็กซ์วีเอ็น|วีเอ็นเอ|วีทีวี|วีจีพี|เวียดนามพลัส")
AGENCY_ONLY = re.compile(r"^\s*[(\[]?\s*(?:" + _AGENCIES + r")\s*[)\]]?\s*\.?\s*$", re.IGNORECASE)
_SIG_PART = r"[^\s/()\[\]:：]{1,30}(?:\s+[^\s/()\[\]:：]{1,30}){0,3}"
AGENCY_SIGNATURE = re.compile(r"^\s*[(\[]?\s*" + _SIG_PART + r"(?:\s*/\s*" + _SIG_PART + r"){1,3}\s*[)\]]?\s*\.?\s*$")


def image_file_line(text: str) -> bool:
    """The line is (or ends with) an image file name or image URL: ``<alt> 0.png``, ``https://.../a.webp``."""
    return bool(IMAGE_TAIL.search(text))


def agency_signature(text: str) -> bool:
    """A reporter / agency signature on its own line: ``TTXVN``, ``Thu Hà/VOV``, ``PV/VOV.vn``, ``พีวี/วีโอวี.เวียดนาม``."""
    t = text.strip()
    if len(t) > 60 or not t:
        return False
    if AGENCY_ONLY.match(t):
        return True
    if not AGENCY_SIGNATURE.match(t):
        return False
    parts = [p.strip(" ()[].") for p in t.split("/")]
    # every part is a name (letters; no numbers: "22/12/2023", "1/2" are not signatures)
    return all(p and re.search(r"[^\W\d_]", p) and not re.search(r"\d", p) for p in parts)


def strip_urls(text: str) -> str:
    return re.sub(r"\s{2,}", " ", URL_IN_TEXT.sub(" ", text)).strip(" -–—|:()[]")


# ----------------------------------------------------------------- titles
def vi_words(text: str) -> list[str]:
    """Words of a Vietnamese text without diacritics, lower case (``Đại sứ`` -> ``dai``, ``su``)."""
    return re.findall(r"[a-z0-9]+", strip_diacritics(split_title_credit(text)).lower().replace("đ", "d"))


def split_title_credit(text: str) -> str:
    cr = split_credit(text)
    return text[cr[0][0]:cr[0][1]] if cr else text


def url_slug_words(url: str | None) -> set[str]:
    """Words of the last path segment of a URL (``.../dai-su-tam-viet-nam-301234.html`` -> dai, su, tam, viet, nam)."""
    if not url:
        return set()
    from urllib.parse import urlsplit

    path = urlsplit(url if "://" in url else "//" + url).path.rstrip("/")
    seg = path.rsplit("/", 1)[-1]
    seg = re.sub(r"\.(?:html?|php|aspx?)$", "", seg, flags=re.I)
    return {w for w in re.split(r"[-_]+", seg.lower()) if w and not re.fullmatch(r"[a-z]?\d+", w)}
