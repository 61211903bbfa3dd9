"""A small, realistic OUTPUT_DIR (layout of docs/DEVELOPING.md) for tests, demos and the
scale benchmark. Thai lines come from the seed pages; English and Vietnamese are
hand-written, with deliberate problems (wrong year, dropped name, copy, degeneration,
stray Chinese fragment, low alignment) so every review flag occurs.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# (line, kind, th, en, vi, vi_line, align, flags)
_DOC_A = [
    (3, "title", "กระทรวงการต่างประเทศเชื่อมโยงการปรับโครงสร้างองค์กรกับการส่งเสริมการเปลี่ยนแปลงทางดิจิทัล",
     "Ministry of Foreign Affairs links organisational restructuring with promoting digital transformation",
     "Bộ Ngoại giao gắn tổ chức sắp xếp bộ máy với đẩy mạnh chuyển đổi số", 5, 0.82, []),
    (7, "caption_th", 'รองนายกรัฐมนตรี Tran Luu Quang เข้าร่วมการประชุมเต็มคณะในหัวข้อ "การสร้างและพัฒนาภาคการทูต" - ภาพ: VGP/Hai Minh',
     'Deputy Prime Minister attends the plenary session on "Building and developing the diplomatic sector" - Photo: VGP/Hai Minh',
     'Phó Thủ tướng Trần Lưu Quang dự phiên toàn thể "Xây dựng và phát triển ngành ngoại giao". Ảnh: VGP/Hải Minh', 6, 0.77, []),
    (9, "lead", 'เมื่อเช้าวันที่ 22 ธันวาคม ณ กรุงฮานอย กระทรวงการต่างประเทศได้จัดการประชุมเต็มคณะในหัวข้อ "การสร้างและพัฒนาภาคการทูต" ซึ่งเป็นส่วนหนึ่งของการประชุมทางการทูตครั้งที่ 32',
     'On the morning of December 22 in Hanoi, the Ministry of Foreign Affairs held a plenary session on "Building and developing the diplomatic sector", part of the 32nd Diplomatic Conference.',
     None, None, None, []),
    (11, "body", "ในการประชุม รองนายกรัฐมนตรี Tran Luu Quang ได้กล่าวชื่นชมความสำเร็จอันโดดเด่นของภาคการทูตในปี 2566",
     "At the conference, Deputy Prime Minister Tran Luu Quang praised the outstanding achievements of the diplomatic sector in 2024.",
     None, None, None, []),
    (13, "body", "รัฐมนตรี Bui Thanh Son เสนอแนะให้ผู้แทนที่เข้าร่วมการประชุมมุ่งเน้นไปที่การหารือประเด็นสำคัญต่างๆ",
     "The Minister suggested that the delegates focus on discussing key issues.",
     None, None, None, []),
    (15, "body", "เราประสบความสำเร็จในการจัดการเยือนเวียดนามของผู้นำระดับสูงในต่างประเทศ 15 ครั้ง และการเยือนเวียดนามของผู้นำระดับสูงของประเทศอื่นๆ 21 ครั้ง",
     "We successfully organised 15 trips abroad by senior Vietnamese leaders and 21 visits to Vietnam by senior leaders of other countries.",
     None, None, None, []),
    (17, "body", "การทูตทางเศรษฐกิจยังคงได้รับการส่งเสริมอย่างต่อเนื่อง",
     "", None, None, None, []),
    (19, "heading", "3 จุดเน้นทางการทูตในปี 2024", "Three diplomatic priorities in 2024", None, None, None, []),
]
_DOC_B = [
    (2, "title", "คณะกรรมาธิการการต่างประเทศกลางจัดการประชุมเพื่อทบทวนงานกิจการต่างประเทศของประชาชนในปี 2566 และจัดสรรภารกิจสำหรับปี 2567",
     "The Central Foreign Affairs Commission holds a conference to review people-to-people diplomacy in 2023 and assign tasks for 2024",
     "Ban Đối ngoại Trung ương tổng kết công tác đối ngoại nhân dân năm 2023, triển khai nhiệm vụ năm 2024", 4, 0.9, []),
    (6, "caption_th", "สหายเล หว้าย จุง เลขาธิการคณะกรรมการกลางพรรค กล่าวสุนทรพจน์ในการประชุม (ที่มา: VNA)",
     "Comrade Le Hoai Trung, Secretary of the Party Central Committee, speaks at the conference (Source: VNA)",
     "Đồng chí Lê Hoài Trung, Bí thư Trung ương Đảng, phát biểu chỉ đạo hội nghị. (Nguồn: TTXVN)", 5, 0.31, []),
    (8, "body", "การประชุมครั้งนี้มีผู้แทนเกือบ 250 คน ซึ่งรวมถึงผู้นำและเจ้าหน้าที่ที่ทำงานด้านกิจการต่างประเทศของประชาชน",
     "The conference was attended by nearly 250 delegates, including leaders and officials working in people-to-people diplomacy.",
     None, None, None, []),
    (10, "body", "การทูตประชาชนมีส่วนช่วยพัฒนาเศรษฐกิจและสังคมอย่างแข็งขัน",
     "การทูตประชาชนมีส่วนช่วยพัฒนาเศรษฐกิจและสังคมอย่างแข็งขัน", None, None, None, []),
    (12, "body", "เราขอให้ผู้นำหน่วยงานด้านการต่างประเทศในท้องถิ่นติดต่อและแลกเปลี่ยนข้อมูลกับหน่วยงานต่างๆ อย่าง积极",
     "We ask local foreign affairs leaders to contact and exchange information with the agencies actively.",
     None, None, None, ["foreign_fragment"]),
    (14, "body", "ปัจจุบัน จังหวัดนิงบิงห์กำลังมุ่งเน้นการดำเนินงานตามแผนพัฒนาจังหวัดฉบับปี 2021-2030 โดยมีวิสัยทัศน์ถึงปี 2050",
     "Currently, Ninh Binh province is focusing on the province's development plan for 2021-2030 with a vision to 2050, "
     "with a vision to 2050, with a vision to 2050, with a vision to 2050, with a vision to 2050, with a vision to 2050.",
     None, None, None, ["degenerate_repeat"]),
    (16, "body", "การประชุมได้รับฟังรายงานของ VUFO ซึ่งมีผู้เข้าร่วม 1,250 คน",
     "The conference heard a report from VUFO, attended by 1250 people.", None, None, None, []),
]

_DOCS = [
    ("000_396c13a82e5e0acf", "000_396c13a82e5e0acf.txt", _DOC_A,
     {"publication": "Báo Tài nguyên Môi trường", "date": "2023-12-22",
      "source_url": "https://example.org/bo-ngoai-giao", "title_vi": "Bộ Ngoại giao gắn tổ chức sắp xếp bộ máy với đẩy mạnh chuyển đổi số"},
     [(12, "Bộ trưởng Bùi Thanh Sơn phát biểu khai mạc hội nghị. Ảnh: Tuấn Anh", "unpaired", None, None, None,
       "Minister Bui Thanh Son speaks at the opening of the conference. Photo: Tuan Anh")]),
    ("002_02c73740b218f54e", "002_02c73740b218f54e.txt", _DOC_B,
     {"publication": "Báo Quốc Tế", "date": "2024-01-03", "source_url": "https://example.org/doi-ngoai-nhan-dan",
      "title_vi": "Ban Đối ngoại Trung ương tổng kết công tác đối ngoại nhân dân năm 2023"},
     []),
]


def sample_rows(copies: int = 1) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(sentences rows, captions rows); ``copies`` > 1 repeats the documents under new ids."""
    rows: list[dict[str, Any]] = []
    caps: list[dict[str, Any]] = []
    for copy in range(copies):
        for base_id, base_file, lines, meta, extra_caps in _DOCS:
            doc_id = base_id if copy == 0 else f"{base_id}-{copy:05d}"
            file = base_file if copy == 0 else f"{doc_id}.txt"
            title_th = lines[0][2]
            for line, kind, th, en, vi, vi_line, align, flags in lines:
                ratio = round(len(en) / len(th), 3) if en else None
                rows.append({
                    "id": f"{doc_id}:{line}:1", "doc_id": doc_id, "file": file, "line": line,
                    "start": 0, "end": len(th), "kind": kind, "th": th, "en": en, "vi": vi,
                    "vi_line": vi_line, "relation": "translation" if vi else None,
                    "n_sentences": 1,
                    "scores": {"align": align, "similarity": align, "length_ratio": ratio},
                    "flags": list(flags), "source_url": meta["source_url"], "date": meta["date"],
                    "publication": meta["publication"], "title_th": title_th, "title_vi": meta["title_vi"],
                })
                if vi:
                    caps.append({
                        "id": f"{doc_id}:vi{vi_line}", "doc_id": doc_id, "file": file, "line": vi_line,
                        "vi": vi, "th": th, "th_line": line, "en_from_th": en, "en_from_vi": None,
                        "relation": "title" if kind == "title" else "translation", "score": align,
                        "reason": "aligned", "flags": [],
                    })
            for vline, vi, relation, th, th_line, score, en_vi in extra_caps:
                caps.append({
                    "id": f"{doc_id}:vi{vline}", "doc_id": doc_id, "file": file, "line": vline,
                    "vi": vi, "th": th, "th_line": th_line, "en_from_th": None, "en_from_vi": en_vi,
                    "relation": relation, "score": score or 0.0, "reason": "no Thai counterpart",
                    "flags": [],
                })
    return rows, caps


def write_sample_output(output_dir: Path, copies: int = 1,
                        rows: list[dict[str, Any]] | None = None,
                        captions: list[dict[str, Any]] | None = None) -> Path:
    """Write corpus.jsonl, captions.jsonl, manifest.json (the files mt.review reads)."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    if rows is None:
        rows, sample_caps = sample_rows(copies)
        captions = sample_caps if captions is None else captions
    captions = captions or []
    with (output_dir / "corpus.jsonl").open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    with (output_dir / "captions.jsonl").open("w", encoding="utf-8") as handle:
        for cap in captions:
            handle.write(json.dumps(cap, ensure_ascii=False) + "\n")
    manifest = {"name": output_dir.name, "rows": len(rows), "captions": len(captions),
                "docs": len({r["doc_id"] for r in rows}), "mt_version": "0.1.0"}
    (output_dir / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return output_dir
