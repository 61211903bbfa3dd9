"""Offline language identification for page lines: script rules first, lingua for plain Latin text.

Thai, CJK and Vietnamese-specific letters are decided by script; only Latin text
without Vietnamese-specific letters (``VietnamPlus``, ``No data``, names) goes to
a lingua detector restricted to a few languages. The detector is built lazily on
the :class:`LangId` instance (no global model cache).
"""
from __future__ import annotations

import re
import unicodedata

from .registry import require

_THAI = re.compile("[\u0e00-\u0e7f]")
_THAI_LETTER = re.compile("[\u0e01-\u0e2e\u0e30-\u0e4e]")
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile("[\u3040-\u30ff]")
_HANGUL = re.compile("[\uac00-\ud7af]")
_OTHER_SCRIPT = re.compile("[\u0400-\u04ff\u0600-\u06ff\u0900-\u097f\u0e80-\u0eff\u1780-\u17ff]")
# letters that occur in Vietnamese and (practically) nowhere else
_VI_LETTER = re.compile("[ăâđêôơưĂÂĐÊÔƠƯ\u1ea0-\u1ef9ĩũĨŨ]")
_LATIN = re.compile("[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")

FOREIGN_SCRIPTS = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
    "\u0400-\u04ff\u0600-\u06ff\u0900-\u097f\u0e80-\u0eff\u1780-\u17ff]+")

LINGUA_LANGS = ("th", "vi", "en", "zh")


def strip_diacritics(text: str) -> str:
    """``Lê Hoài Trung`` -> ``Le Hoai Trung`` (đ -> d)."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    out = []
    latin_base = False
    for c in text:
        if unicodedata.category(c) == "Mn":
            if latin_base:          # only Latin letters lose their marks; Thai vowels stay
                continue
        else:
            latin_base = c < "\u0250" or "\u1e00" <= c <= "\u1eff"
        out.append(c)
    return unicodedata.normalize("NFC", "".join(out))


def script_counts(text: str) -> dict[str, int]:
    return {
        "thai": len(_THAI_LETTER.findall(text)),
        "latin": len(_LATIN.findall(text)),
        "vi": len(_VI_LETTER.findall(text)),
        "cjk": len(_CJK.findall(text)),
        "other": len(_OTHER_SCRIPT.findall(text)),
    }


class LangId:
    """Language of a line: ``"th"``, ``"vi"``, ``"en"``, ``"zh"``, ``"ja"``, ``"ko"`` ... or None."""

    def __init__(self, languages: tuple[str, ...] = LINGUA_LANGS):
        self.languages = languages
        self._detector = None

    @property
    def detector(self):
        if self._detector is None:
            lingua = require("lingua", "language identification")
            langs = [lingua.Language.from_iso_code_639_1(getattr(lingua.IsoCode639_1, code.upper()))
                     for code in self.languages]
            self._detector = lingua.LanguageDetectorBuilder.from_languages(*langs).build()
        return self._detector

    def detect(self, text: str) -> str | None:
        c = script_counts(text)
        letters = c["thai"] + c["latin"] + c["cjk"] + c["other"]
        if letters == 0:
            return None
        if c["thai"] and (c["thai"] >= 0.3 * letters or c["thai"] >= 12):
            return "th"
        if c["cjk"] > max(c["latin"], c["other"]) / 2:
            if _HAN.search(text) and not _KANA.search(text) and not _HANGUL.search(text):
                return "zh"
            return "ja" if _KANA.search(text) else ("ko" if _HANGUL.search(text) else "zh")
        if c["other"] > c["latin"]:
            return None
        if c["vi"]:
            return "vi"
        if c["thai"]:
            return "th"
        if c["latin"] < 2:
            return None
        lang = self.detector.detect_language_of(text)
        if lang is None:
            return None
        return lang.iso_code_639_1.name.lower()
