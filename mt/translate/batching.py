"""Length-bucketed batching: sort by length, cut batches by a token budget, restore order later."""
from __future__ import annotations


def length_batches(lengths: list[int], batch_tokens: int, max_batch_size: int = 512) -> list[list[int]]:
    """Group item indices into batches of similar length.

    Items are sorted by length (longest first, so the first batch shows the worst
    memory use at once); a batch grows while ``len(batch) * longest_in_batch``
    (the padded size) stays within ``batch_tokens``. Every item lands in exactly
    one batch; an item longer than the budget gets a batch of its own.
    Callers restore the input order through the returned indices.
    """
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    batches: list[list[int]] = []
    current: list[int] = []
    longest = 0
    for i in order:
        n = max(1, lengths[i])
        new_longest = max(longest, n)
        if current and (new_longest * (len(current) + 1) > batch_tokens or len(current) >= max_batch_size):
            batches.append(current)
            current, new_longest = [], n
        current.append(i)
        longest = new_longest
    if current:
        batches.append(current)
    return batches
