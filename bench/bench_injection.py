"""Injection detector: detection on the corpus (dev and held-back splits), false positives on the seeded genuine
reviews and contact notes, and speed; the phrase list the detector replaced is measured alongside as a baseline.

Only aggregate figures are printed (per split, language and hiding technique): the held-back split's individual
results are never shown, so it cannot be tuned on. The baseline's patterns are read from a git ref (`--before`).

Usage: python bench/bench_injection.py [--before 70e548e] [--large] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

from cadencia.tools.injection import detect
from cadencia.tools.seed.crm import contacts
from cadencia.tools.seed.reviews import reviews
from cadencia.tools.seed.sizes import SIZES, Scale

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "evals" / "injection_corpus"
TODAY = date(2026, 3, 2)


def phrase_list(ref: str) -> Callable[[str], bool]:
    """The marker regexes of the old `prompt_injection` check at `ref`, as a detector."""
    source = subprocess.run(
        ["git", "show", f"{ref}:agents/guardrails/checks/injection.py"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    block = source[source.index("_AUDIENCE =") : source.index('"""Wording of instructions')]
    scope: dict[str, object] = {"re": re}
    exec(block, scope)
    markers = scope["INJECTION_MARKERS"]
    assert isinstance(markers, tuple)
    return lambda text: any(m.search(text) for m in markers)


def load(split: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in (CORPUS / f"{split}.jsonl").open(encoding="utf-8")]


def rate(hits: int, total: int) -> str:
    return f"{hits}/{total} ({hits / total:.1%})" if total else "–"


def corpus_table(rows: list[dict[str, str]], split: str, flags: dict[str, Callable[[str], bool]]) -> list[str]:
    attacks = [r for r in rows if r["label"] == "attack"]
    benign = [r for r in rows if r["label"] == "benign"]
    out = []
    for name, flag in flags.items():
        caught = sum(flag(r["text"]) for r in attacks)
        false = sum(flag(r["text"]) for r in benign)
        out.append(f"| {split} | {name} | {rate(caught, len(attacks))} | {rate(false, len(benign))} |")
    return out


def breakdown(rows: list[dict[str, str]], key: str, flag: Callable[[str], bool]) -> str:
    groups: dict[str, list[bool]] = defaultdict(list)
    for r in rows:
        if r["label"] == "attack":
            groups[r[key]].append(flag(r["text"]))
    return ", ".join(f"{k} {sum(v)}/{len(v)}" for k, v in sorted(groups.items()))


def genuine(scale: Scale, seed: int) -> tuple[list[str], list[str]]:
    sizes = SIZES[scale]
    review_texts = [f"{r['title']}\n{r['body']}" for r in reviews(seed, sizes, TODAY)]
    notes = [c["notes"] for c in contacts(seed, sizes.contacts, TODAY) if c["notes"]]
    return review_texts, notes


def count(texts: Iterable[str], flag: Callable[[str], bool]) -> int:
    return sum(flag(t) for t in texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="70e548e", help="git ref whose phrase list is the baseline")
    parser.add_argument("--large", action="store_true", help="also the large world's reviews and notes (slow)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    old = phrase_list(args.before)
    flags: dict[str, Callable[[str], bool]] = {
        "detector (flagged, score ≥ 4)": lambda t: detect(t).flagged,
        "detector (suspicious, score ≥ 2)": lambda t: detect(t).suspicious,
        f"phrase list at {args.before}": old,
    }
    print("| split | detector | attacks detected | benign corpus texts flagged |")
    print("| --- | --- | --- | --- |")
    dev, held = load("dev"), load("heldout")
    for split, rows in (("dev", dev), ("held-back", held)):
        for line in corpus_table(rows, split, flags):
            print(line)
    flagged = flags["detector (flagged, score ≥ 4)"]
    for split, rows in (("dev", dev), ("held-back", held)):
        print(f"\n{split} by language: {breakdown(rows, 'lang', flagged)}")
        print(f"{split} by hiding technique: {breakdown(rows, 'obfuscation', flagged)}")
    scales = [Scale.SMALL, Scale.LARGE] if args.large else [Scale.SMALL]
    print("\n| world | genuine texts | flagged | suspicious | phrase list |")
    print("| --- | --- | --- | --- | --- |")
    for scale in scales:
        review_texts, notes = genuine(scale, args.seed)
        for what, texts in (("reviews", review_texts), ("contact notes", notes)):
            print(
                f"| {scale.value} | {len(texts)} {what} ({len(set(texts))} distinct) | {count(texts, flagged)} "
                f"| {count(texts, flags['detector (suspicious, score ≥ 2)'])} | {count(texts, old)} |"
            )
    texts = [r["text"] for r in dev + held]
    started = time.perf_counter()
    for text in texts:
        detect(text + " ")
    detector_ms = (time.perf_counter() - started) / len(texts) * 1000
    started = time.perf_counter()
    for _ in range(20):
        for text in texts:
            old(text)
    baseline_ms = (time.perf_counter() - started) / (20 * len(texts)) * 1000
    print(
        f"\nspeed on {len(texts)} corpus texts (uncached): detector {detector_ms:.2f} ms/text, phrase list "
        f"{baseline_ms:.3f} ms/text (ratio {detector_ms / baseline_ms:.0f}×)"
    )


if __name__ == "__main__":
    main()
