"""Route C (mt.segment.mtguided): the dynamic program with fake similarities, the English splitter, and one
end-to-end call with the real models (slow tier)."""
from __future__ import annotations

import time

import pytest

from mt.errors import InputError
from mt.segment.mtguided import GuideConfig, guided_boundaries, log_odds, split_english


def spans_of(keep: list[bool]) -> list[tuple[int, int]]:
    """Thai spans (cut a -> cut b, cut i is index i + 1) of a keep vector."""
    cuts = [0] + [i + 1 for i, k in enumerate(keep) if k] + [len(keep) + 1]
    return list(zip(cuts, cuts[1:]))


def oracle(true_spans: list[tuple[int, int]]):
    """Similarity 1 for the true (span, sentence) pairs, 0 otherwise."""
    def pair(a, b, k, t):
        return 1.0 if t == 1 and k < len(true_spans) and true_spans[k] == (a, b) else 0.0
    return pair


def fracs(n: int) -> list[float]:
    return [(i + 1) / (n + 1) for i in range(n)]


def test_similarity_picks_the_boundary_of_the_english_sentence_count():
    # 4 cuts, the model undecided everywhere; English has 2 sentences, the true break at cut 3
    logits = [0.0, 0.0, 0.0, 0.0]
    keep = guided_boundaries(logits, fracs(4), 2, oracle([(0, 3), (3, 5)]))
    assert keep == [False, False, True, False]


def test_similarity_overrides_a_confident_wrong_cut_when_the_count_is_fixed():
    # the model prefers cut 1 (p 0.8) but the English splits at cut 2
    logits = [log_odds(0.8), log_odds(0.3), log_odds(0.1)]
    keep = guided_boundaries(logits, fracs(3), 2, oracle([(0, 2), (2, 4)]))
    assert keep == [False, True, False]


def test_count_follows_english_unless_the_boundary_evidence_is_strong():
    flat = lambda a, b, k, t: 0.5  # noqa: E731  (uninformative similarity)
    cfg = GuideConfig(weight=1.0, merge_penalty=3.0)
    # two likely cuts (p 0.9, log-odds 2.2 < penalty 3), one English boundary: exactly one is kept
    keep = guided_boundaries([log_odds(0.9), log_odds(0.9)], fracs(2), 2, flat, cfg)
    assert sum(keep) == 1
    # very strong evidence (p 0.999, log-odds 6.9 > penalty): both kept, two Thai sentences for one English one
    keep = guided_boundaries([log_odds(0.999), log_odds(0.999)], fracs(2), 2, flat, cfg)
    assert keep == [True, True]
    # one English sentence, two Thai segments: 2:1 possible only with strong evidence
    assert guided_boundaries([log_odds(0.7)], [0.5], 1, flat, cfg) == [False]
    assert guided_boundaries([log_odds(0.9999)], [0.5], 1, flat, cfg) == [True]


def test_more_english_sentences_than_thai_segments_uses_one_to_two():
    flat = lambda a, b, k, t: 0.5  # noqa: E731
    # one cut, three English sentences: segments 1:1 + 1:2 (one merge penalty), the cut kept
    keep = guided_boundaries([log_odds(0.4)], [0.5], 3, flat, GuideConfig(weight=1.0))
    assert keep == [True]
    # no cut at all and three English sentences: no path (1:2 at most), the plain threshold
    assert guided_boundaries([], [], 3, flat) == []


def test_no_english_or_empty_input_falls_back_to_the_threshold():
    never = lambda a, b, k, t: pytest.fail("similarity called without English")  # noqa: E731
    logits = [log_odds(0.7), log_odds(0.2), log_odds(0.5)]
    assert guided_boundaries(logits, fracs(3), 0, never) == [True, False, True]
    assert guided_boundaries([], [], 0, never) == []
    assert guided_boundaries(logits, fracs(3), 0, never, GuideConfig(threshold=0.8)) == [False, False, False]


def test_bad_config_is_refused():
    with pytest.raises(InputError, match="bad GuideConfig"):
        GuideConfig(window=0)


def test_window_and_band_bound_the_work():
    def run(n):
        calls = [0]
        true = [(i, i + 1) for i in range(n + 1)]          # every cut is a boundary, one sentence per piece
        base = oracle(true)

        def pair(a, b, k, t):
            calls[0] += 1
            return base(a, b, k, t)

        cfg = GuideConfig(window=8, band=3)
        t0 = time.perf_counter()
        keep = guided_boundaries([0.0] * n, fracs(n), n + 1, pair, cfg)
        return keep, calls[0], time.perf_counter() - t0, cfg

    keep, calls, small, cfg = run(500)
    assert all(keep)
    big_keep, big_calls, big, _ = run(4000)
    assert all(big_keep)
    # per cut at most window starts x (2 band + 1) sentence counts x 3 moves
    assert big_calls <= 4001 * cfg.window * (2 * cfg.band + 1) * 3
    assert big_calls < 10 * calls                          # 8x the cuts: linear, not quadratic (64x)
    assert big < 20 * small + 1.0


def test_max_chars_limits_a_segment():
    # a segment may not span more than max_chars characters (pieces of 100): with max_chars 250 one
    # English sentence over 4 pieces must be cut at least once even though 1:1 is cheaper
    flat = lambda a, b, k, t: 0.5  # noqa: E731
    keep = guided_boundaries([0.0] * 3, fracs(3), 1, flat, GuideConfig(max_chars=250), lengths=[100] * 4)
    assert sum(keep) >= 1


def test_english_splitter():
    text = ('Mr. Smith went to Washington on Jan. 5. He said "Hi!" Then U.S. troops left in 2005. '
            '3 people stayed, e.g. the mayor. The end')
    assert split_english(text) == ["Mr. Smith went to Washington on Jan. 5.", 'He said "Hi!"',
                                   "Then U.S. troops left in 2005.", "3 people stayed, e.g. the mayor.",
                                   "The end"]
    assert split_english('He said, "This is serious. Rest assured." Then he left.') == [
        'He said, "This is serious. Rest assured."', "Then he left."]
    assert split_english("") == []
    assert split_english("   ") == []
    assert split_english("no final stop") == ["no final stop"]
    assert split_english("J. R. R. Tolkien wrote it. Dr. No did not.") == ["J. R. R. Tolkien wrote it.",
                                                                            "Dr. No did not."]


@pytest.mark.slow
def test_mtguided_end_to_end():
    from mt.segment.mtguided import MTGuided

    guide = MTGuided()
    th = ("นายกรัฐมนตรีเดินทางถึงกรุงเทพฯ เมื่อวานนี้ เขากล่าวว่าการประชุมเป็นไปด้วยดี "
          "ฝนตกหนักในภาคเหนือ ทำให้ถนนหลายสายถูกน้ำท่วม")
    en = ("The prime minister arrived in Bangkok yesterday. He said the meeting went well. "
          "Heavy rain fell in the north, flooding many roads.")
    [spans] = guide.segment_many([th], [en])
    assert all(th[a:b].strip() == th[a:b] and b > a for a, b in spans)
    assert len(spans) == 3
    assert guide.segment_many(["", "   "], ["x", ""]) == [[], []]
    with pytest.raises(InputError, match="translations"):
        guide.segment_many([th], [])
