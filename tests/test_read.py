"""Reading pages: encodings, line ends, binary files, empty files, invisible characters."""
from __future__ import annotations

import unicodedata

import pytest

from mt.errors import InputError
from mt.read import decode_page, doc_id_for, find_inputs, normalize_line, read_doc


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
    lines, problems = decode_page(b"text\nmore\x00\x01\nend", "p.bin")
    assert len(lines) == 3
    assert problems[0]["line"] == 2 and problems[0]["all_lines"]
    assert "binary" in problems[0]["error"]


@pytest.mark.parametrize("data", [b"", b"   \n\n", b"\n"])
def test_empty_file_is_a_problem_not_a_crash(data):
    lines, problems = decode_page(data, "e.txt")
    assert lines == [] and problems[0]["error"] == "empty file"


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


def test_unreadable_file_becomes_problem(tmp_path):
    p = tmp_path / "dir.txt"
    p.mkdir()
    doc = read_doc(p, "dir.txt")
    assert doc.problems and "cannot read file" in doc.problems[0]["error"]


def test_find_inputs_folders_patterns_and_missing(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.html").write_text("x")
    (tmp_path / "c.pdf").write_text("x")
    names = [n for _, n in find_inputs([tmp_path], ["*.txt", "*.html"])]
    assert names == ["a.txt", "sub/b.html"]
    with pytest.raises(InputError, match="nope.txt: input path does not exist"):
        find_inputs([tmp_path / "nope.txt"], ["*.txt"])


def test_doc_ids_are_unique_and_safe():
    assert doc_id_for("sub dir/page 1.txt") == "sub__dir__page__1"
    assert doc_id_for("000_abc.txt") == "000_abc"
