"""The secrecy rules in force (defaults from the data dictionary, i.e. the conventions)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from workbench.dictionary import Dictionary


@dataclass(frozen=True)
class Rules:
    threshold: int = 11  # rule 1: units under which nothing is published
    min_response_rate: float = 0.60  # rule 2
    extremes: bool = True  # rule 3: no 0 % / 100 % shares
    protection: int = 3  # rule 5: the attacker must not pin a withheld value within ±3 units
    attribution_years: int = 3  # rule 4: cumulation window

    @classmethod
    def from_dictionary(cls, d: Dictionary) -> Rules:
        return cls(
            threshold=int(d.rules["threshold"]["default"]),
            min_response_rate=float(d.rules["response"]["default"]),
            protection=int(d.rules["protection"]["default"]),
            attribution_years=int(d.rules["attributions"]["default"]),
        )

    def as_dict(self) -> dict:
        return asdict(self)
