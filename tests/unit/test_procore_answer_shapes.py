"""The Procore adapter against answers shaped as Procore's reference shapes them, not the sandbox.

Procore's company settings decide its Work Breakdown Structure (segment names, delimiters,
tiered cost codes), and its API reference answers a budget line item without a cost type code or
sub job, and a sync with a bare list of line items. The adapter matches a key to Procore's codes
by their segment items, creates a code from segment item ids, reads a line's key from its WBS
code when the line leaves it out, and checks every written line among the sync's line items
(docs/targets/procore.md); these tests hand it such answers through a recording client.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from chalicelib.adapters.targets.procore import ProcoreBudget, _Answer
from chalicelib.domain.errors import TargetRejected
from chalicelib.domain.model import TargetWrite, WbsKey

BASE = "/rest/v1.0/projects/7/work_breakdown_structure"


class Recorder:
    """Answers GETs from a table of paths; records every call; a POST makes code 900."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, str, Any]] = []

    def call(self, method: str, path: str, body: Any = None, **_: Any) -> _Answer:
        self.calls.append((method, path, body))
        if method == "POST":
            return _Answer(201, {}, {"id": 900})
        return _Answer(200, {}, self.answers[path.split("?")[0]])

    def quote(self, text: str, limit: int) -> str:
        return text[:limit]

    def posts(self) -> list[Any]:
        return [body for method, _, body in self.calls if method == "POST"]


def _item(item_id: int, code: str, **more: Any) -> dict[str, Any]:
    return {"id": item_id, "code": code, **more}


def _budget(answers: dict[str, Any]) -> tuple[ProcoreBudget, Recorder]:
    client = Recorder(answers)
    return ProcoreBudget(client, "7"), client  # type: ignore[arg-type]


SEGMENTS = [  # named, not typed, as a company's own pattern may answer them
    {"id": 11, "name": "Sub Job"},
    {"id": 12, "name": "Cost Code", "structure": "tiered"},
    {"id": 13, "type": "line_item_type", "name": "Type"},
]


def test_an_existing_code_is_found_by_its_segment_items_whatever_its_flat_code_joins_them_with():
    code = {
        "id": 55,
        "flat_code": "02-03-300-L",  # the company's delimiters, not the adapter's
        "segment_items": [
            {"code": "02", "segment": {"type": "sub_job"}},
            {"code": "300", "path_code": "03-300", "segment": {"name": "Cost Code"}},
            {"code": "L", "segment_type": "cost_type"},
        ],
    }
    budget, client = _budget({f"{BASE}/wbs_codes": [code]})

    assert budget.ensure_wbs_codes([(WbsKey("02", "03-300", "L"), "Concrete")]) == {
        WbsKey("02", "03-300", "L"): "55"
    }
    assert client.posts() == []


def test_a_tiered_cost_code_is_named_by_its_path_and_a_flat_one_by_its_own_code():
    budget, client = _budget(
        {
            f"{BASE}/wbs_codes": [],
            f"{BASE}/segments": SEGMENTS,
            f"{BASE}/segments/11/segment_items": [_item(101, "02")],
            f"{BASE}/segments/12/segment_items": [
                _item(120, "03", is_parent=True),
                _item(121, "300", parent_id=120, path_codes=["03", "300"]),  # no path_code
                _item(122, "05-100"),  # a flat cost code holding its whole code
            ],
            f"{BASE}/segments/13/segment_items": [_item(131, "L"), _item(132, "M")],
        }
    )

    budget.ensure_wbs_codes(
        [(WbsKey("02", "03-300", "L"), "Concrete"), (WbsKey("", "05-100", "M"), "Steel")]
    )

    assert client.posts() == [
        {
            "segment_items": [
                {"segment_id": 11, "segment_item_id": 101},
                {"segment_id": 12, "segment_item_id": 121},
                {"segment_id": 13, "segment_item_id": 131},
            ],
            "description": "Concrete",
        },
        {
            "segment_items": [
                {"segment_id": 12, "segment_item_id": 122},
                {"segment_id": 13, "segment_item_id": 132},
            ],
            "description": "Steel",
        },
    ]


def test_a_sub_job_the_project_lacks_is_added_once_before_the_codes_that_name_it():
    budget, client = _budget(
        {
            f"{BASE}/wbs_codes": [],
            f"{BASE}/segments": SEGMENTS,
            f"{BASE}/segments/11/segment_items": [_item(101, "02")],
            f"{BASE}/segments/12/segment_items": [_item(121, "03-300")],
            f"{BASE}/segments/13/segment_items": [_item(131, "L"), _item(132, "M")],
        }
    )

    budget.ensure_wbs_codes(
        [(WbsKey("09", "03-300", "L"), "one"), (WbsKey("09", "03-300", "M"), "two")]
    )

    posts = [(path, body) for method, path, body in client.calls if method == "POST"]
    assert posts[0] == (f"{BASE}/segments/11/segment_items", {"code": "09", "name": "09"})
    assert [path for path, _ in posts[1:]] == [f"{BASE}/wbs_codes"] * 2
    assert [body["segment_items"][0] for _, body in posts[1:]] == [
        {"segment_id": 11, "segment_item_id": 900}
    ] * 2


def test_a_cost_code_is_named_as_procore_spells_it_back_and_an_ambiguous_one_is_refused():
    """Not by a division, nor by a leaf's own code ("300" for "03-300": Procore's line would come
    back as 03-300, another key, sharing its WBS code), and never by a code two items go by."""
    budget, client = _budget(
        {
            f"{BASE}/wbs_codes": [],
            f"{BASE}/segments": SEGMENTS,
            f"{BASE}/segments/12/segment_items": [
                _item(120, "03", is_parent=True),
                _item(121, "300", parent_id=120, path_code="03-300"),
                _item(122, "100", parent_id=120, path_code="03-100"),
                _item(123, "100", path_code="03-100"),
            ],
            f"{BASE}/segments/13/segment_items": [_item(131, "L")],
        }
    )

    with pytest.raises(TargetRejected) as refused:
        budget.ensure_wbs_codes(
            [
                (WbsKey("", "03-300", "L"), "fine"),
                (WbsKey("", "03", "L"), "a division"),
                (WbsKey("", "300", "L"), "a leaf's own code"),
                (WbsKey("", "03-100", "L"), "two codes 03-100"),
            ]
        )

    assert [(e.line, e.field) for e in refused.value.errors] == [
        (2, "cost_code"), (3, "cost_code"), (4, "cost_code"),
    ]  # fmt: skip
    assert "no Cost Code 03 " in refused.value.errors[0].message
    assert "no Cost Code 300 " in refused.value.errors[1].message
    assert "more than one Cost Code 03-100" in refused.value.errors[2].message
    assert refused.value.keys == [
        WbsKey("", "03", "L"), WbsKey("", "300", "L"), WbsKey("", "03-100", "L"),
    ]  # fmt: skip
    assert client.posts() == []


def _line_item(line_id: int, wbs_id: int, amount: str, **spelled: Any) -> dict[str, Any]:
    """A budget line item as Procore's reference shapes it: `line_item_type` with a name and
    no code, no `sub_job` (unless `spelled` gives the parts)."""
    return {
        "id": line_id,
        "original_budget_amount": amount,
        "wbs_code": {"id": wbs_id, "flat_code": "whatever the company's delimiters make"},
        "cost_code": {"id": 1, "code": "300", "full_code": "03-300"},
        "line_item_type": {"id": 2, "name": "Labor"},
        **spelled,
    }


LINES = "/rest/v1.0/budget_line_items"


def test_lines_that_do_not_spell_out_their_key_take_it_from_their_wbs_code_s_segment_items():
    code = {
        "id": 55,
        "segment_items": [
            {"code": "02", "segment": {"type": "sub_job"}},
            {"code": "300", "path_codes": ["03", "300"], "segment": {"name": "Cost Code"}},
            {"code": "L", "segment": {"type": "line_item_type"}},
        ],
    }
    spelled = {"sub_job": None, "line_item_type": {"id": 3, "code": "M", "name": "Material"}}
    budget, client = _budget(
        {
            LINES: [_line_item(1, 55, "10.00"), _line_item(2, 56, "20.00", **spelled)],
            f"{BASE}/wbs_codes": [code],
        }  # fmt: skip
    )

    lines = {held.line.key: held.line.original_budget_amount for held in budget.read_lines()}

    assert lines == {
        WbsKey("02", "03-300", "L"): Decimal("10.00"),
        WbsKey("", "03-300", "M"): Decimal("20.00"),
    }


def test_a_line_whose_key_cannot_be_read_anywhere_fails_the_read_rather_than_guess():
    budget, _ = _budget({LINES: [_line_item(1, 55, "10.00")], f"{BASE}/wbs_codes": []})

    with pytest.raises(TargetRejected) as refused:
        budget.read_lines()

    assert "1 of Procore's budget lines" in refused.value.message
    assert "55" in refused.value.message


class SyncAnswers(Recorder):
    """A Procore whose sync answers with a bare list of line items, as its reference shows."""

    def __init__(self, confirmed: dict[int, str]) -> None:
        super().__init__({})
        self.confirmed = confirmed

    def call(self, method: str, path: str, body: Any = None, **_: Any) -> _Answer:
        self.calls.append((method, path, body))
        entities = [
            {"id": 1000 + code, "wbs_code": {"id": code}, "original_budget_amount": amount}
            for code, amount in self.confirmed.items()
        ]
        return _Answer(200, {}, entities)


def _write(code: int, amount: str) -> TargetWrite:
    return TargetWrite(
        ref=str(code),
        key=WbsKey("", f"03-{code}", "L"),
        old_amount=Decimal("0.00"),
        new_amount=Decimal(amount),
    )


def test_a_sync_answered_as_a_bare_list_confirms_the_lines_it_carries_and_refuses_the_rest():
    client = SyncAnswers({301: "10.00", 302: "99.00"})
    budget = ProcoreBudget(client, "7")  # type: ignore[arg-type]

    budget.write([_write(301, "10.00")])
    with pytest.raises(TargetRejected) as refused:
        budget.write([_write(301, "10.00"), _write(302, "20.00"), _write(303, "30.00")])

    assert [(e.line, e.field) for e in refused.value.errors] == [
        (2, "original_budget_amount"),
        (3, "original_budget_amount"),
    ]


def test_a_line_naming_its_codes_but_no_sub_job_is_on_no_sub_job_when_its_wbs_code_says_no_more():
    spelled = {"line_item_type": {"id": 3, "code": "M", "name": "Material"}}
    budget, _ = _budget(
        {LINES: [_line_item(1, 55, "10.00", **spelled)], f"{BASE}/wbs_codes": [{"id": 55}]}
    )

    assert [held.line.key for held in budget.read_lines()] == [WbsKey("", "03-300", "M")]
