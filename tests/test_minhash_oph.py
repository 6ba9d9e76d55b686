"""Tests of the one-permutation MinHash family (oph.py): a plain-Python reference of the family
as its docstring states it, exact Jaccard of constructed sets, and determinism across processes.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pipelines.text.redundancy.minhash import lsh_band_keys, minhash_signatures, section_runs
from pipelines.text.redundancy.near_duplicates import candidate_pairs
from pipelines.text.redundancy.oph import oph_signatures

MASK = (1 << 64) - 1
EMPTY = 0xFFFFFFFF
PROBES_PER_LEVEL = 5  # the family's documented level size
SEED_SALT = 0x6A09E667F3BCC909


def splitmix64(x: int) -> int:
    """Pure-Python splitmix64 finalizer."""
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & MASK
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def reference_signature(row: list[int], num_perm: int, seed: int) -> list[int]:
    """The family in plain Python ints, straight from the oph.py docstrings."""
    base = splitmix64(seed)
    multiplier = base | 1
    salt = splitmix64(base ^ SEED_SALT)
    shifts = sorted(range(1, num_perm), key=lambda r: splitmix64(r ^ salt))
    level_bits = 32 - num_perm.bit_length()
    own: list[int | None] = [None] * num_perm
    for x in row:
        v = ((x * multiplier) & MASK) >> 32
        bin_ = (v * num_perm) >> 32
        rank = v & ((1 << level_bits) - 1)
        if own[bin_] is None or rank < own[bin_]:  # type: ignore[operator]
            own[bin_] = rank
    levels = [shifts[i : i + PROBES_PER_LEVEL] for i in range(0, len(shifts), PROBES_PER_LEVEL)]
    signature = []
    for j in range(num_perm):
        value = own[j]
        if value is None:
            value = EMPTY
            for level, group in enumerate(levels, start=1):
                found = [own[(j + r) % num_perm] for r in group]
                present = [f for f in found if f is not None]
                if present:
                    value = (level << level_bits) | min(present)
                    break
        signature.append(value)
    return signature


def random_rows(rng: np.random.Generator, n_rows: int) -> list[np.ndarray]:
    """Rows of random uint64 hashes (sizes 1..299) plus an empty, a repeated and a one-shingle row."""
    rows = [rng.integers(0, 2**64, size=n, dtype=np.uint64) for n in rng.integers(1, 300, n_rows)]
    rows[1] = np.array([], dtype=np.uint64)
    rows[2] = np.array([5, 5, 5], dtype=np.uint64)
    rows[3] = np.array([9], dtype=np.uint64)
    return rows


@pytest.mark.parametrize("num_perm", [128, 64, 100, 7, 2, 1])
def test_oph_equals_the_plain_python_reference(num_perm: int) -> None:
    """Bit for bit the documented family, with power-of-two and other slot counts."""
    rows = random_rows(np.random.default_rng(num_perm), 40)
    offsets = np.concatenate([[0], np.cumsum([len(r) for r in rows])])
    got = oph_signatures(np.concatenate(rows), offsets, num_perm, seed=3)
    expected = [reference_signature([int(x) for x in row], num_perm, 3) for row in rows]
    assert got.dtype == np.uint32 and got.shape == (len(rows), num_perm)
    assert got.tolist() == expected
    assert got[1].tolist() == [EMPTY] * num_perm  # no shingles: every slot empty
    assert (np.delete(got, 1, axis=0) != EMPTY).all()  # every other row densified fully


def test_small_chunks_give_the_same_signatures(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shingle and row chunk sizes are a matter of speed only."""
    from pipelines.text.redundancy import oph

    rows = random_rows(np.random.default_rng(9), 300)
    offsets = np.concatenate([[0], np.cumsum([len(r) for r in rows])])
    whole = oph_signatures(np.concatenate(rows), offsets, 128, 1)
    monkeypatch.setattr(oph, "_SHINGLE_CHUNK", 97)
    monkeypatch.setattr(oph, "_ROW_CHUNK", 7)
    assert np.array_equal(oph_signatures(np.concatenate(rows), offsets, 128, 1), whole)


def constructed_pairs(
    rng: np.random.Generator, union: int, common: int, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """`count` pairs of sets with |A ∪ B| = union and |A ∩ B| = common: (hashes, offsets)."""
    rows = []
    for _ in range(count):
        values = rng.integers(0, 2**64, size=union, dtype=np.uint64)
        only_a = (union - common) // 2
        rows += [
            values[: common + only_a],
            np.concatenate([values[:common], values[common + only_a :]]),
        ]
    return np.concatenate(rows), np.concatenate([[0], np.cumsum([len(r) for r in rows])])


@pytest.mark.parametrize(("union", "common"), [(20, 10), (60, 18), (150, 75), (400, 320)])
def test_slot_agreement_is_the_exact_jaccard(union: int, common: int) -> None:
    """Over many constructed pairs, the share of equal slots is their Jaccard common / union."""
    hashes, offsets = constructed_pairs(np.random.default_rng(union), union, common, 300)
    signatures = oph_signatures(hashes, offsets, 128, seed=1)
    agreement = (signatures[0::2] == signatures[1::2]).mean()
    # 300 pairs x 128 slots; slots of one pair are correlated, so a wide margin (> 4 sigma).
    assert agreement == pytest.approx(common / union, abs=0.03)


def test_lsh_finds_pairs_above_the_threshold_as_the_banding_predicts() -> None:
    """32 bands x 4 rows: pairs of Jaccard 0.8 always meet; of Jaccard 0.1 almost never."""
    rng = np.random.default_rng(4)
    for union, common, low, high in [(100, 80, 0.99, 1.0), (100, 10, 0.0, 0.02)]:
        hashes, offsets = constructed_pairs(rng, union, common, 200)
        signatures = oph_signatures(hashes, offsets, 128, seed=1)
        a, b = signatures[0::2].reshape(-1, 32, 4), signatures[1::2].reshape(-1, 32, 4)
        found = (a == b).all(axis=2).any(axis=1).mean()
        # Theory for independent slots: 1 - (1 - J^4)^32 = 1.0000 at J 0.8, 0.0032 at J 0.1.
        assert low <= found <= high


def test_signatures_are_the_same_in_another_process() -> None:
    """No per-process state: a fresh interpreter computes the same bytes."""
    code = (
        "import hashlib, numpy as np\n"
        "from pipelines.text.redundancy.oph import oph_signatures\n"
        "rng = np.random.default_rng(11)\n"
        "hashes = rng.integers(0, 2**64, size=5000, dtype=np.uint64)\n"
        "offsets = np.arange(0, 5001, 50)\n"
        "print(hashlib.sha256(oph_signatures(hashes, offsets, 128, 1).tobytes()).hexdigest())\n"
    )
    root = Path(__file__).resolve().parents[1]
    other = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()
    rng = np.random.default_rng(11)
    hashes = rng.integers(0, 2**64, size=5000, dtype=np.uint64)
    here = oph_signatures(hashes, np.arange(0, 5001, 50), 128, 1)
    assert other == hashlib.sha256(here.tobytes()).hexdigest()


def test_signatures_do_not_depend_on_row_order() -> None:
    """Shuffled rows (sections apart and out of order) give the sorted ids and the same rows."""
    rng = np.random.default_rng(2)
    frame = pl.DataFrame(
        {
            "section_id": [f"s{i % 37:02d}" for i in range(3000)],
            "shingle": pl.Series(rng.integers(0, 2**64, size=3000, dtype=np.uint64)),
        }
    )
    grouped = frame.sort("section_id", maintain_order=True)
    ids, signatures = minhash_signatures(grouped)
    assert ids == sorted(set(frame["section_id"]))
    for shuffled in (frame, grouped.reverse(), grouped.sample(fraction=1.0, shuffle=True, seed=1)):
        other_ids, other = minhash_signatures(shuffled)
        assert other_ids == ids and np.array_equal(other, signatures)
    # Contiguous but unsorted runs are taken as they come (the signature rows are reordered).
    run_ids, hashes, offsets = section_runs(grouped.reverse())
    assert run_ids.to_list() == ids[::-1] and offsets[-1] == 3000
    by_section = frame.group_by("section_id").agg("shingle").rows()
    for section, shingles in by_section:
        i = run_ids.to_list().index(section)
        assert sorted(hashes[offsets[i] : offsets[i + 1]].tolist()) == sorted(shingles)
    empty_ids, empty = minhash_signatures(frame.head(0))
    assert empty_ids == [] and empty.shape == (0, 128)


def test_oph_pipeline_pairs_copies_across_reports() -> None:
    """Signatures -> band keys -> candidates: an edited copy in another report is a candidate."""
    rng = np.random.default_rng(6)
    base = rng.integers(0, 2**64, size=120, dtype=np.uint64)
    edited = np.concatenate([base[:110], rng.integers(0, 2**64, size=5, dtype=np.uint64)])
    other = rng.integers(0, 2**64, size=120, dtype=np.uint64)
    frame = pl.DataFrame(
        {
            "section_id": ["a"] * 120 + ["b"] * 115 + ["c"] * 120,
            "report_id": ["r1"] * 120 + ["r2"] * 115 + ["r3"] * 120,
            "shingle": pl.Series(np.concatenate([base, edited, other])),
        }
    )
    ids, signatures = minhash_signatures(frame)
    keys = lsh_band_keys(ids, signatures, 32, 4)
    pairs = candidate_pairs(keys, frame.select("section_id", "report_id").unique())
    assert pairs.rows() == [("a", "b")]  # Jaccard 110 / 125 = 0.88; c shares nothing


def test_candidate_pairs_equal_a_plain_python_bucket_join() -> None:
    """Crowded buckets (a tiny key space): every cross-report pair sharing a (band, key)."""
    rng = np.random.default_rng(8)
    n = 3000
    band_keys = pl.DataFrame(
        {
            "section_id": [f"s{i:03d}" for i in rng.integers(0, 400, n)],
            "band": pl.Series(rng.integers(0, 4, n), dtype=pl.Int32),
            "band_key": pl.Series(rng.integers(0, 300, n), dtype=pl.UInt64),
        }
    )
    report = {f"s{i:03d}": f"r{i // 3}" for i in range(400)}
    section_report = pl.DataFrame({"section_id": list(report), "report_id": list(report.values())})
    buckets: dict[tuple[int, int], set[str]] = {}
    for section, band, key in band_keys.iter_rows():
        buckets.setdefault((band, key), set()).add(section)
    expected = {
        (a, b)
        for members in buckets.values()
        for a in members
        for b in members
        if a < b and report[a] != report[b]
    }
    got = candidate_pairs(band_keys, section_report)
    assert set(got.iter_rows()) == expected and got.height == len(expected)
    assert got.equals(got.sort("section_id_a", "section_id_b"))
