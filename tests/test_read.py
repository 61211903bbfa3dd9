"""Reading pages: encodings, line ends, binary files, empty files, invisible characters."""
from __future__ import annotations

import unicodedata

import pytest

from mt.errors import ConfigError
from mt.read import decode_page, doc_id_for, find_inputs, read_doc
from mt.text import normalize_line


def test_bom_and_crlf_are_normalised():
    lines, problems = decode_page("\ufeffหัวข้อ\r\nบรรทัดสอง\rสาม\r\n".encode("utf-8"), "p.txt")
    assert lines == ["หัวข้อ", "บรรทัดสอง", "สาม"]
    assert problems == []


def test_invalid_utf8_names_only_the_bad_line():
    data = "ดี\n".encode() + "ข่าว".encode("tis-620") + b"\n" + "ok".encode()
    lines, problems = decode_page(data, "p.txt")
    assert len(lines) == 3 and lines[0] == "ดี" and lines[2] == "ok"
    assert [p["line"] for p in problems] == [2]
    assert "not UTF-8" in problems[0]["error"] and "iconv" in problems[0]["fix"]


def test_binary_file_is_reported_with_first_nul_line():
    lines, problems = decode_page(b"text\nmore\x00\x01\x00\x00\nend", "p.bin")
    assert len(lines) == 3
    assert problems[0]["line"] == 2 and problems[0]["all_lines"]
    assert "binary" in problems[0]["error"]


def test_one_nul_byte_sets_aside_its_line_not_the_page():
    text = "\n".join(["หัวข้อข่าว"] + [f"ย่อหน้าที่ {i} ของข่าว" for i in range(20)])
    data = text.encode().replace("ย่อหน้าที่ 7".encode(), "ย่อหน้าที่\x00 7".encode())
    lines, problems = decode_page(data, "p.txt")
    assert len(lines) == 21 and lines[8] == "ย่อหน้าที่ 7 ของข่าว"
    assert [(p["line"], p["error"]) for p in problems] == [(9, "NUL byte in the line")]
    assert not any(p.get("all_lines") for p in problems)


def test_utf16_with_bom_is_decoded():
    text = "หัวข้อ\r\nTiêu đề tiếng Việt\r\n"
    for codec in ("utf-16-le", "utf-16-be"):
        bom = b"\xff\xfe" if codec.endswith("le") else b"\xfe\xff"
        lines, problems = decode_page(bom + text.encode(codec), "u16.txt")
        assert lines == ["หัวข้อ", "Tiêu đề tiếng Việt"] and problems == []


@pytest.mark.parametrize("data,n_lines", [(b"", 0), (b"   \n\n", 2), (b"\n", 1)])
def test_empty_file_is_a_problem_and_its_lines_are_counted(data, n_lines):
    lines, problems = decode_page(data, "e.txt")
    assert lines == [""] * n_lines and problems[0]["error"] == "empty file (no text)"


def test_invisible_and_exotic_spaces():
    assert normalize_line("ก\u200bข\u00a0ค\u202fง  \t") == "กข ค ง"


def test_nfd_vietnamese_becomes_nfc():
    nfd = unicodedata.normalize("NFD", "Bộ Ngoại giao")
    assert nfd != "Bộ Ngoại giao"
    assert normalize_line(nfd) == "Bộ Ngoại giao"


def test_huge_line_is_read_whole(tmp_path):
    p = tmp_path / "big.txt"
    p.write_text("ก" * 2_000_000 + "\nข\n", encoding="utf-8")
    doc = read_doc(p, "big.txt")
    assert len(doc.raw_lines) == 2 and len(doc.raw_lines[0]) == 2_000_000


def test_directory_named_like_a_page_becomes_problem(tmp_path):
    p = tmp_path / "dir.txt"
    p.mkdir()
    doc = read_doc(p, "dir.txt")
    assert [x["error"] for x in doc.problems] == ["skipped: a directory, not a page file"]


def test_special_entries_are_listed_and_become_problems(tmp_path):
    import os

    (tmp_path / "ok.txt").write_text("ข่าว")
    (tmp_path / "loop.txt").symlink_to("loop.txt")
    (tmp_path / "dangling.txt").symlink_to("missing.txt")
    os.mkfifo(tmp_path / "fifo.txt")
    (tmp_path / "dir.txt").mkdir()
    found = find_inputs([tmp_path], ["*.txt"])
    assert [f.name for f in found] == ["dangling.txt", "dir.txt", "fifo.txt", "loop.txt", "ok.txt"]
    errors = {f.name: [p["error"] for p in read_doc(*f).problems] for f in found}
    assert errors == {"dangling.txt": ["skipped: dangling symbolic link (target missing)"],
                      "dir.txt": ["skipped: a directory, not a page file"],
                      "fifo.txt": ["skipped: not a regular file (FIFO, socket or device)"],
                      "loop.txt": ["skipped: symbolic link loop"], "ok.txt": []}


def test_unreadable_file_becomes_problem(tmp_path, monkeypatch):
    import os
    from pathlib import Path

    p = tmp_path / "locked.txt"
    p.write_text("ข่าว")
    p.chmod(0)
    if os.access(p, os.R_OK):   # root reads anything: the kernel's answer for other users, faked
        real = Path.read_bytes

        def denied(self):
            if self == p:
                raise PermissionError(13, "Permission denied", str(self))
            return real(self)

        monkeypatch.setattr(Path, "read_bytes", denied)
    doc = read_doc(p, "locked.txt")
    assert doc.problems[0]["error"] == "cannot read file: Permission denied"


def test_find_inputs_folders_patterns_and_missing(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.html").write_text("x")
    (tmp_path / "c.pdf").write_text("x")
    names = [f.name for f in find_inputs([tmp_path], ["*.txt", "*.html"])]
    assert names == ["a.txt", "sub/b.html"]
    with pytest.raises(ConfigError, match="nope.txt: input path does not exist"):
        find_inputs([tmp_path / "nope.txt"], ["*.txt"])


def test_colliding_names_get_distinct_ids(tmp_path):
    for name in ("a b.txt", "a__b.txt", "x.txt", "x.md", "plain.txt"):
        (tmp_path / name).write_text("ข่าว")
    ids = {f.name: f.doc_id for f in find_inputs([tmp_path], ["*.txt", "*.md"])}
    assert len(set(ids.values())) == 5
    assert ids["plain.txt"] == "plain"
    assert ids["a b.txt"].startswith("a__b~") and ids["x.md"].startswith("x~") and ids["x.txt"].startswith("x~")


def test_doc_ids_are_unique_and_safe():
    assert doc_id_for("sub dir/page 1.txt") == "sub__dir__page__1"
    assert doc_id_for("000_abc.txt") == "000_abc"
