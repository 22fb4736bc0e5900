"""The demo world (docs/local-stack.md, README "Demo sign-ins"): companies, users, cost catalogs and ERP budgets, deterministic.

Everything here is plain data, computed the same on every machine and every run; the sandbox ERP
serves the ERP side of it and the local-stack seeder writes the Budget Bridge side from it.

How to use it (the whole API):

    from devstack import demo_data

    demo_data.DEMO_PASSWORD                     # "Demo-pass-1", every demo user's password
    demo_data.SANDBOX_USERNAME, SANDBOX_PASSWORD  # the sandbox ERP sign-in: "admin" / "sandbox"
    demo_data.SANDBOX_PORT                      # 8001, the sandbox ERP's default port
    demo_data.companies()                       # [DemoCompany(demo), (other), (fresh), (pilot), ...]
    demo_data.PROCORE_COMPANY_ID, ...           # pilot's target: the Procore sandbox company
                                                #   1001, project 2001, client pilot-client
    demo_data.company("demo")                   # one DemoCompany; KeyError for an unknown id
    demo_data.users()                           # [DemoUser], each with permissions per company;
                                                #   accountant@demo.test belongs to both

    company.company_id, .name, .tenant          # "demo", "Demo Construction Co.", "Demo"
    company.erp_system                          # "acumatica" (the ERP registry name)
    company.cost_codes                          # {"01-100": "General Conditions", ...}
    company.cost_types                          # {"L": "Labor", "M": "Material", ...}
    company.projects                            # [DemoProject]
    company.seeded                              # False for `fresh`: only its admin is seeded;
                                                #   its projects live in the sandbox ERP alone

    project.project_id                          # "P-1001": the project id AND the ERP job id
    project.name, .status, .locked              # "Riverside Medical Center", "synced", False
    project.erp_lines                           # [DemoErpLine]: the ERP budget, cost and revenue
    project.cost_sums()                         # {(task, cost_code, account_group): KeySum}:
                                                #   the Expense lines summed per WBS key, in key
                                                #   order, keys summing to 0 left out -- exactly
                                                #   what an import creates
    project.project_units                       # {(task, cost_code, account_group):
                                                #   (uom, quantity, unit_cost)} entered by hand
                                                #   on the project side (synced projects only)

    demo_data.large_project("P-9001", 10_000, seed=1)   # a synthetic budget for benchmarks

A WBS key is `(sub_job, cost_code, cost_type)`, which in Acumatica's words is
`(ProjectTaskID, CostCode, AccountGroup)`. Only `type == "Expense"` lines form the cost budget;
the `"Income"` lines are the revenue budget, which Budget Bridge ignores.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

DEMO_PASSWORD = "Demo-pass-1"
SANDBOX_USERNAME = "admin"
SANDBOX_PASSWORD = "sandbox"
SANDBOX_PORT = 8001  # the local stack's sandbox ERP port (ERP_SANDBOX_PORT overrides it)
ERP_SYSTEM = "acumatica"

EXPENSE = "Expense"  # Acumatica's Type of a cost-budget line
INCOME = "Income"  # Acumatica's Type of a revenue-budget line
REVENUE_ACCOUNT_GROUP = "R"  # revenue lines' account group; not a cost type, and never needs to be

Key = tuple[str, str, str]  # (task = sub job, cost code, account group = cost type)


@dataclass(frozen=True, slots=True)
class DemoErpLine:
    """One line of an Acumatica project budget, in Acumatica's terms."""

    task: str  # ProjectTaskID -> sub job
    cost_code: str  # CostCode
    account_group: str  # AccountGroup -> cost type
    type: str  # "Expense" (cost budget) or "Income" (revenue budget)
    amount: Decimal  # OriginalBudgetedAmount, two places
    description: str
    uom: str | None = None  # Acumatica's own UOM/quantity: shown, never synced
    qty: Decimal | None = None
    inventory_id: str | None = None  # tells apart two ERP lines with the same WBS key

    @property
    def key(self) -> Key:
        return (self.task, self.cost_code, self.account_group)


@dataclass(frozen=True, slots=True)
class KeySum:
    amount: Decimal
    description: str  # the first line's description, as the import takes it
    line_count: int


@dataclass(frozen=True, slots=True)
class DemoProject:
    project_id: str  # also the ERP job id (Acumatica's ProjectID)
    name: str
    status: str  # "synced" | "ready_to_import"
    locked: bool
    erp_lines: list[DemoErpLine]
    project_units: dict[Key, tuple[str, Decimal, Decimal]] = field(default_factory=dict)

    def cost_sums(self) -> dict[Key, KeySum]:
        """The Expense lines summed per WBS key, in key order, zero sums left out."""
        sums: dict[Key, KeySum] = {}
        for line in self.erp_lines:
            if line.type != EXPENSE:
                continue
            seen = sums.get(line.key)
            if seen is None:
                sums[line.key] = KeySum(line.amount, line.description, 1)
            else:
                sums[line.key] = KeySum(
                    seen.amount + line.amount, seen.description, seen.line_count + 1
                )
        return {key: sums[key] for key in sorted(sums) if sums[key].amount != 0}


@dataclass(frozen=True, slots=True)
class DemoConnection:
    """How the company's connection reaches its sandbox system (see docs/erps/)."""

    path: str  # the system's prefix on the sandbox ERP server ("" for Acumatica at the root)
    settings: dict[str, str]
    credentials: dict[str, str]  # go to the secret store only


@dataclass(frozen=True, slots=True)
class DemoCompany:
    company_id: str
    name: str
    tenant: str  # the Acumatica company (tenant) name used at sign-in
    cost_codes: dict[str, str]
    cost_types: dict[str, str]
    projects: list[DemoProject]
    erp_system: str = ERP_SYSTEM
    # False for a company that sets itself up (docs/adoption.md): Budget Bridge holds only the
    # company and its first admin; the sandbox ERP still serves its tenant's projects and catalog.
    seeded: bool = True
    connection: DemoConnection | None = None  # None: Acumatica's cookie sign-in at the root

    def erp_connection(self) -> DemoConnection:
        if self.connection is not None:
            if GENERATED_PRIVATE_KEY not in self.connection.credentials.values():
                return self.connection
            from devstack import keys  # the key pair is made on first use, not on import

            credentials = {name: keys.netsuite_private_key() if value == GENERATED_PRIVATE_KEY
                           else value for name, value in self.connection.credentials.items()}  # fmt: skip
            return DemoConnection(self.connection.path, self.connection.settings, credentials)
        return DemoConnection(
            "",
            {"company": self.tenant},
            {"username": SANDBOX_USERNAME, "password": SANDBOX_PASSWORD},
        )

    def project(self, project_id: str) -> DemoProject:
        for candidate in self.projects:
            if candidate.project_id == project_id:
                return candidate
        raise KeyError(project_id)


@dataclass(frozen=True, slots=True)
class DemoUser:
    email: str
    name: str
    # company_id -> (ERP Integrations permission, Budget permission), as Permission labels
    permissions: dict[str, tuple[str, str]]


COST_TYPES = {"L": "Labor", "M": "Material", "S": "Subcontract", "E": "Equipment", "O": "Other"}

DEMO_COST_CODES = {
    "01-100": "General Conditions",
    "01-500": "Temporary Facilities",
    "02-200": "Site Preparation",
    "03-300": "Cast-in-place Concrete",
    "04-200": "Unit Masonry",
    "05-100": "Structural Steel",
    "06-100": "Rough Carpentry",
    "07-200": "Insulation",
    "08-100": "Doors, Frames & Hardware",
    "09-200": "Drywall",
    "22-100": "Plumbing",
    "23-100": "HVAC",
    "26-100": "Electrical",
}

# The other company keeps a smaller, partly different list: a line from one tenant's catalog is
# not automatically valid in the other.
OTHER_COST_CODES = {
    "01-100": "General Conditions",
    "02-300": "Earthwork",
    "03-300": "Cast-in-place Concrete",
    "05-100": "Structural Steel",
    "09-900": "Painting",
    "26-100": "Electrical",
}

# The company whose budgets live in Procore (docs/targets/procore.md): its Procore sandbox company
# and project, and the service account's client credentials.
PILOT_NAME = "Procore Pilot Co."
PILOT_COST_CODES = {
    "01-100": "General Conditions",
    "03-300": "Cast-in-place Concrete",
    "05-100": "Structural Steel",
    "09-200": "Drywall",
    "22-100": "Plumbing",
    "26-100": "Electrical",
}
PROCORE_COMPANY_ID = "1001"
PROCORE_PROJECT_ID = "2001"
PROCORE_CLIENT_ID = "pilot-client"
PROCORE_CLIENT_SECRET = "pilot-secret"


@dataclass(frozen=True, slots=True)
class DemoProcoreTarget:
    """A demo company whose budgets live in the Procore sandbox (its path prefix: /procore)."""

    procore_company_id: str
    projects: dict[str, str]  # ERP job id -> Procore project id
    client_id: str
    client_secret: str
    path: str = "/procore"


def procore_target(company_id: str) -> DemoProcoreTarget | None:
    """The Procore side of a demo company, or None when its budgets stay in Budget Bridge."""
    if company_id != "pilot":
        return None
    return DemoProcoreTarget(
        PROCORE_COMPANY_ID, {"K-4001": PROCORE_PROJECT_ID}, PROCORE_CLIENT_ID, PROCORE_CLIENT_SECRET
    )


# Fresh Start Builders' ERP keeps its own list, which Budget Bridge learns by syncing the catalog.
FRESH_COST_CODES = {
    "01-100": "General Conditions",
    "03-100": "Concrete Forming",
    "03-300": "Cast-in-place Concrete",
    "05-100": "Structural Steel",
    "09-200": "Drywall",
    "26-100": "Electrical",
}

# Units a person might enter for a cost type on the project side.
_UNITS = {"L": "HR", "M": "EA", "S": "LS", "E": "DAY", "O": "LS"}


def _cents(rng: random.Random, low: int, high: int) -> Decimal:
    """A random whole-cent amount between low and high dollars, always with two places."""
    return Decimal(rng.randint(low * 100, high * 100)).scaleb(-2)


def _generate_lines(
    rng: random.Random,
    cost_codes: dict[str, str],
    tasks: list[str],
    n_expense: int,
) -> list[DemoErpLine]:
    """`n_expense` Expense lines on distinct keys, in Acumatica's usual order (task, code, type)."""
    every_key = [(t, c, ct) for t in tasks for c in cost_codes for ct in COST_TYPES]
    keys = sorted(rng.sample(every_key, n_expense))
    lines = []
    for task, code, cost_type in keys:
        uom = _UNITS[cost_type] if rng.random() < 0.4 else None
        lines.append(
            DemoErpLine(
                task=task,
                cost_code=code,
                account_group=cost_type,
                type=EXPENSE,
                amount=_cents(rng, 500, 250_000),
                description=f"{cost_codes[code]} - {COST_TYPES[cost_type]}",
                uom=uom,
                qty=Decimal(rng.randint(1, 400)) if uom else None,
            )
        )
    return lines


def _revenue_lines(tasks: list[str], rng: random.Random, count: int = 2) -> list[DemoErpLine]:
    return [
        DemoErpLine(
            task=task,
            cost_code="01-100",
            account_group=REVENUE_ACCOUNT_GROUP,
            type=INCOME,
            amount=_cents(rng, 250_000, 2_500_000),
            description=f"Contract revenue - task {task}",
        )
        for task in tasks[:count]
    ]


def _units_for(rng: random.Random, sums: dict[Key, KeySum], share: float) -> dict:
    """Hand-entered UOM, quantity and unit cost on about `share` of the project's lines."""
    units: dict[Key, tuple[str, Decimal, Decimal]] = {}
    for key, key_sum in sums.items():
        if rng.random() >= share:
            continue
        quantity = Decimal(rng.randint(2, 500))
        unit_cost = (key_sum.amount / quantity).quantize(Decimal("0.01"))
        units[key] = (_UNITS[key[2]], quantity, unit_cost)
    return units


def _project(
    company_cost_codes: dict[str, str],
    project_id: str,
    name: str,
    status: str,
    locked: bool,
    n_expense: int,
    tasks: list[str],
    revenue_lines: int = 2,
) -> DemoProject:
    """`n_expense` generated Expense lines, one more on the first key, and the revenue lines."""
    rng = random.Random(f"budget-bridge-demo:{project_id}")  # a str seed is stable across runs
    lines = _generate_lines(rng, company_cost_codes, tasks, n_expense)
    # A second ERP line on an existing key (told apart by its inventory item): the rules sum
    # these, so the demo shows a project line fed by two ERP lines.
    first = lines[0]
    lines.insert(
        1,
        DemoErpLine(
            task=first.task,
            cost_code=first.cost_code,
            account_group=first.account_group,
            type=EXPENSE,
            amount=_cents(rng, 100, 20_000),
            description=f"{first.description} (change order 1)",
            inventory_id="CO-001",
        ),
    )
    lines.extend(_revenue_lines(tasks, rng, revenue_lines))
    project = DemoProject(project_id, name, status, locked, lines)
    if status == "synced":
        project.project_units.update(_units_for(rng, project.cost_sums(), share=0.3))
    return project


@cache
def _companies() -> tuple[DemoCompany, ...]:
    demo_projects = [
        _project(
            DEMO_COST_CODES,
            "P-1001",
            "Riverside Medical Center",
            "synced",
            False,
            28,
            ["01", "02", "03"],
        ),
        _project(
            DEMO_COST_CODES, "P-1002", "Harbor View Apartments", "synced", True, 14, ["01", "02"]
        ),
        _project(
            DEMO_COST_CODES,
            "P-1003",
            "Lincoln Elementary School Addition",
            "synced",
            False,
            45,
            ["01", "02", "03", "04"],
        ),
        _project(
            DEMO_COST_CODES,
            "P-1004",
            "Westgate Logistics Warehouse",
            "ready_to_import",
            False,
            20,
            ["01", "02"],
        ),
    ]
    other_projects = [
        _project(
            OTHER_COST_CODES, "P-2001", "Cedar Ridge Office Park", "synced", False, 12, ["01", "02"]
        ),
    ]
    pilot_project = _project(
        PILOT_COST_CODES, "K-4001", "Pilot Logistics Hub", "synced", False, 24, ["01", "02"]
    )
    # Its budget lives in Procore, where every line already carries a unit and a quantity.
    pilot_project.project_units.update(
        _units_for(random.Random("pilot-units"), pilot_project.cost_sums(), share=1.0)
    )
    return (
        DemoCompany("demo", "Demo Construction Co.", "Demo", dict(DEMO_COST_CODES),
                    dict(COST_TYPES), demo_projects),
        DemoCompany("other", "Other Builders", "Other", dict(OTHER_COST_CODES), dict(COST_TYPES),
                    other_projects),
        _fresh(),
        DemoCompany("pilot", PILOT_NAME, "Pilot", dict(PILOT_COST_CODES), dict(COST_TYPES),
                    [pilot_project]),
    )  # fmt: skip


def _fresh() -> DemoCompany:
    """Fresh Start Builders: a company that adopts Budget Bridge on its own. Only its sandbox
    tenant `Fresh` holds data (F-3001 with 30 Expense and 3 Income lines, F-3002 with 12 lines);
    Budget Bridge starts with no connection, no projects and an empty catalog."""
    tower = _project(
        FRESH_COST_CODES,
        "F-3001",
        "Fresh Tower",
        "ready_to_import",
        False,
        29,
        ["01", "02", "03"],
        revenue_lines=3,
    )
    depot = _project(
        FRESH_COST_CODES,
        "F-3002",
        "Fresh Depot",
        "ready_to_import",
        False,
        11,
        ["01"],
        revenue_lines=0,
    )
    return DemoCompany("fresh", "Fresh Start Builders", "Fresh", dict(FRESH_COST_CODES),
                       dict(COST_TYPES), [tower, depot], seeded=False)  # fmt: skip


def companies() -> list[DemoCompany]:
    """Every demo company. The objects are shared: treat them as read-only."""
    return [*_companies(), *_erp_companies()]


def company(company_id: str) -> DemoCompany:
    for candidate in companies():
        if candidate.company_id == company_id:
            return candidate
    raise KeyError(company_id)


def company_for_tenant(tenant: str) -> DemoCompany:
    """The demo company behind a sandbox tenant name (case-insensitive, as Acumatica's is)."""
    for candidate in companies():
        if candidate.tenant.lower() == tenant.lower():
            return candidate
    raise KeyError(tenant)


def users() -> list[DemoUser]:
    return [
        DemoUser("admin@demo.test", "Dana Admin", {"demo": ("admin", "admin")}),
        DemoUser("standard@demo.test", "Sam Standard", {"demo": ("standard", "standard")}),
        DemoUser("readonly@demo.test", "Riley Reader", {"demo": ("read_only", "read_only")}),
        DemoUser("none@demo.test", "Nico None", {"demo": ("none", "none")}),
        DemoUser("admin@other.test", "Olive Admin", {"other": ("admin", "admin")}),
        DemoUser("admin@pilot.test", "Pia Pilot", {"pilot": ("admin", "admin")}),
        DemoUser("admin@fresh.test", "Frankie Admin", {"fresh": ("admin", "admin")}),
        # A member of both companies with different rights in each: the web app's company
        # switcher, and permissions that follow the company, have someone to show them.
        DemoUser(
            "accountant@demo.test",
            "Avery Accountant",
            {"demo": ("standard", "read_only"), "other": ("read_only", "standard")},
        ),
        *_erp_users(),
    ]


def large_project(
    project_id: str,
    n_lines: int,
    seed: int = 1,
    company_id: str = "demo",
    name: str | None = None,
) -> DemoProject:
    """A synthetic synced budget of `n_lines` Expense lines on `n_lines` distinct WBS keys.

    Uses the company's own cost codes and types (so every line is valid) and as many sub jobs
    ("0001", "0002", ...) as the count needs. Deterministic for a given seed.
    """
    if n_lines < 0:
        raise ValueError("n_lines must be 0 or more")
    owner = company(company_id)
    rng = random.Random(seed)
    per_task = len(owner.cost_codes) * len(owner.cost_types)
    task_count = max(1, -(-n_lines // per_task))
    width = max(4, len(str(task_count)))
    lines = []
    keys = (
        (f"{t:0{width}d}", code, cost_type)
        for t in range(1, task_count + 1)
        for code in owner.cost_codes
        for cost_type in owner.cost_types
    )
    for (task, code, cost_type), _ in zip(keys, range(n_lines), strict=False):
        lines.append(
            DemoErpLine(
                task=task,
                cost_code=code,
                account_group=cost_type,
                type=EXPENSE,
                amount=_cents(rng, 1, 100_000),
                description=f"{owner.cost_codes[code]} - {owner.cost_types[cost_type]}",
            )
        )
    return DemoProject(project_id, name or f"Benchmark {project_id}", "synced", False, lines)


# -- the companies of the other ERPs (docs/erps/): one synced job each ---------------------------

MYOB_COST_CODES = {
    "01-000": "Preliminaries",
    "02-100": "Demolition",
    "03-200": "Concrete Works",
    "05-300": "Metalwork",
    "06-200": "Joinery",
    "09-400": "Plastering",
    "15-100": "Mechanical Services",
}
INTACCT_TASKS = {
    "100": "Site Work",
    "200": "Foundations",
    "300": "Framing",
    "400": "Roofing",
    "500": "Finishes",
    "600": "MEP Rough-in",
}
# The demo CMiC job C-7001 is a controlling job; its budget sits on these sub-jobs.
CMIC_SUB_JOBS = {
    "C-7001-01": "Northgate Transit Hub - Station Box",
    "C-7001-02": "Northgate Transit Hub - Bus Concourse",
}
CMIC_PHASES = {
    "01-010": "Mobilization",
    "02-050": "Excavation",
    "03-100": "Concrete Forming",
    "04-100": "Masonry",
    "08-200": "Glazing",
    "16-100": "Electrical Distribution",
}
QBO_ACCOUNTS = {
    "5100": "Job Materials",
    "5200": "Subcontractors",
    "5300": "Direct Labor",
    "5400": "Equipment Rental",
    "5500": "Permits and Fees",
    "5600": "Site Utilities",
}
QBO_REALM = "9130350000000001"

# Xero: accounts are the cost codes; each account's cost type comes from the connection's table.
XERO_ACCOUNTS = {
    "400": "Preliminaries", "405": "Site Establishment", "410": "Demolition", "415": "Earthworks",
    "420": "Concrete", "425": "Formwork", "430": "Reinforcement", "435": "Structural Steel",
    "440": "Carpentry", "445": "Roofing", "450": "Cladding", "455": "Windows and Glazing",
    "460": "Plasterboard", "465": "Painting", "470": "Floor Coverings", "475": "Plumbing",
    "480": "Electrical", "485": "Mechanical", "490": "Landscaping", "495": "Cleaning",
}  # fmt: skip
XERO_ACCOUNT_TYPES = {code: "LMSE"[n % 4] for n, code in enumerate(XERO_ACCOUNTS) if n % 5}
# A sub-account `<account>.<type>` per account and every other cost type, in the demo connection's
# table too: the budget of account 400 (type O) for cost type L is held on account 400.L, as a
# Xero administrator would split an account to budget it under several cost types.
XERO_TYPE_ACCOUNTS = {
    f"{code}.{cost_type}": cost_type
    for code in XERO_ACCOUNTS
    for cost_type in COST_TYPES
    if cost_type != XERO_ACCOUNT_TYPES.get(code, "O")
}
XERO_TENANT = "b1f2c3d4-0000-4000-8000-000000000001"
NETSUITE_ACCOUNTS = {
    "6100": "Job Labor",
    "6200": "Job Materials",
    "6300": "Subcontract Costs",
    "6400": "Equipment Costs",
    "6500": "Job Overhead",
    "6600": "Permits and Inspections",
}
NETSUITE_ACCOUNT = "1234567"
# Stands for the private key the devstack generates (devstack/keys.py); never a key itself.
GENERATED_PRIVATE_KEY = "<generated by the devstack>"


def _xero_project(project_id: str, name: str) -> DemoProject:
    """One line per account, two accounts split over a sub-account, three revenue lines."""
    rng = random.Random(f"budget-bridge-erp:{project_id}")
    lines = [
        DemoErpLine("", code, XERO_ACCOUNT_TYPES.get(code, "O"), EXPENSE,
                    _cents(rng, 2_000, 180_000), title)
        for code, title in XERO_ACCOUNTS.items()
    ]  # fmt: skip
    for split in (lines[1], lines[6]):
        lines.append(DemoErpLine("", split.cost_code, split.account_group, EXPENSE,
                                 _cents(rng, 100, 20_000), f"{split.description} (variation)",
                                 inventory_id="CO-001"))  # fmt: skip
    for code in ("200", "210", "220"):
        lines.append(DemoErpLine("", code, "", INCOME, _cents(rng, 100_000, 900_000),
                                 f"Sales {code}"))  # fmt: skip
    project = DemoProject(project_id, name, "synced", False, lines)
    project.project_units.update(_units_for(rng, project.cost_sums(), share=0.3))
    return project


WORKDAY_COST_CODES = {
    "CC-100": "Preconstruction",
    "CC-200": "Earthwork",
    "CC-300": "Concrete",
    "CC-400": "Steel Erection",
    "CC-500": "Interiors",
    "CC-600": "Mechanical",
}
YARDI_COST_CATEGORIES = {  # Yardi's cost categories: Budget Bridge's cost codes
    "1000": "Land Improvements",
    "2000": "Foundations",
    "3000": "Shell",
    "4000": "Tenant Improvements",
    "5000": "Soft Costs",
    "6000": "Contingency",
}
MRI_COST_CODES = {
    "100-01": "Demolition",
    "200-01": "Structure",
    "300-01": "Envelope",
    "400-01": "Fit-out",
    "500-01": "Services",
    "600-01": "External Works",
}


SPREADSHEET_COST_CODES = {
    "A100": "Site Establishment",
    "B200": "Substructure",
    "C300": "Superstructure",
    "D400": "Roof",
    "E500": "Finishes",
    "F600": "Services",
}
# The demo spreadsheet company's column mapping: its ERP's export names columns its own way.
SPREADSHEET_COLUMNS = {
    "sub_job_column": "Phase",
    "cost_code_column": "Cost Code",
    "cost_type_column": "Cost Type",
    "amount_column": "Budget Amount",
    "kind_column": "Line Type",
    "description_column": "Description",
}


def export_csv(project: DemoProject) -> bytes:
    """The project's ERP budget as its ERP's CSV export (row n+1 holds erp_lines[n])."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Job", "Phase", "Cost Code", "Cost Type", "Budget Amount", "Line Type",
                     "Description"])  # fmt: skip
    for line in project.erp_lines:
        kind = "Cost" if line.type == EXPENSE else "Revenue"
        writer.writerow([project.project_id, line.task, line.cost_code, line.account_group,
                         f"{line.amount:.2f}", kind, line.description])  # fmt: skip
    return out.getvalue().encode()


def _erp_project(
    codes: dict[str, str], project_id: str, name: str, tasks: list[str]
) -> DemoProject:
    """A synced budget of 24 keys, two of them split over two lines, and three revenue lines."""
    base = _project(codes, project_id, name, "ready_to_import", False, 24, tasks)
    rng = random.Random(f"budget-bridge-erp:{project_id}")
    lines = list(base.erp_lines)
    cost = [line for line in lines if line.type == EXPENSE]
    split = cost[7]
    lines.insert(
        lines.index(split) + 1,
        DemoErpLine(split.task, split.cost_code, split.account_group, EXPENSE,
                    _cents(rng, 100, 20_000), f"{split.description} (variation)",
                    inventory_id="CO-001"),
    )  # fmt: skip
    lines.append(
        DemoErpLine(tasks[0], cost[0].cost_code, REVENUE_ACCOUNT_GROUP, INCOME,
                    _cents(rng, 100_000, 900_000), "Contract revenue - variations")
    )  # fmt: skip
    while sum(1 for line in lines if line.type == INCOME) < 3:
        lines.append(
            DemoErpLine(tasks[-1], cost[1].cost_code, REVENUE_ACCOUNT_GROUP, INCOME,
                        _cents(rng, 100_000, 900_000), "Contract revenue - progress claims")
        )  # fmt: skip
    project = DemoProject(project_id, name, "synced", False, lines)
    project.project_units.update(_units_for(rng, project.cost_sums(), share=0.3))
    return project


@cache
def _erp_companies() -> tuple[DemoCompany, ...]:
    return (
        DemoCompany(
            "myob", "MYOB Demo Builders", "MYOB Demo", dict(MYOB_COST_CODES), dict(COST_TYPES),
            [_erp_project(MYOB_COST_CODES, "M-5001", "Harbourside Apartments", ["01", "02"])],
            erp_system="myob",
            connection=DemoConnection(
                "/myob",
                {"company": "MYOB Demo", "endpoint_version": "22.200.001"},
                {"client_id": "myob-client", "client_secret": "myob-secret",
                 "username": SANDBOX_USERNAME, "password": SANDBOX_PASSWORD},
            ),
        ),
        DemoCompany(
            "intacct", "Intacct Demo Contractors", "intacct-demo", dict(INTACCT_TASKS),
            dict(COST_TYPES),
            [_erp_project(INTACCT_TASKS, "I-6001", "Summit Ridge Clinic", [""])],
            erp_system="intacct",
            connection=DemoConnection(
                "/intacct",
                {"company_id": "intacct-demo"},
                {"client_id": "intacct-client", "client_secret": "intacct-secret"},
            ),
        ),
        DemoCompany(
            "cmic", "CMiC Demo Constructors", "BB", dict(CMIC_PHASES), dict(COST_TYPES),
            [_erp_project(CMIC_PHASES, "C-7001", "Northgate Transit Hub", list(CMIC_SUB_JOBS))],
            erp_system="cmic",
            connection=DemoConnection(
                "/cmic",
                {"company_code": "BB"},
                {"username": "cmicapi", "password": SANDBOX_PASSWORD},
            ),
        ),
        DemoCompany(
            "qbo", "QuickBooks Demo Remodelers", QBO_REALM, dict(QBO_ACCOUNTS), dict(COST_TYPES),
            [_erp_project(QBO_ACCOUNTS, "Q-8001", "Maple Street Remodel", [""])],
            erp_system="qbo",
            connection=DemoConnection(
                "/qbo",
                {"realm_id": QBO_REALM, "budget_name": "Construction budget",
                 "default_cost_type": "O"},
                {"client_id": "qbo-client", "client_secret": "qbo-secret",
                 "refresh_token": "qbo-refresh-1"},
            ),
        ),
        DemoCompany(
            "xero", "Xero Demo Builders", XERO_TENANT, dict(XERO_ACCOUNTS), dict(COST_TYPES),
            [_xero_project("X-9001", "Harbour Point Offices")],
            erp_system="xero",
            connection=DemoConnection(
                "/xero",
                {"tenant_id": XERO_TENANT, "tracking_category": "Jobs",
                 "budget_id": "Jobs budget", "default_cost_type": "O",
                 "account_cost_types": ", ".join(
                     f"{a}={t}" for a, t in {**XERO_ACCOUNT_TYPES, **XERO_TYPE_ACCOUNTS}.items())},
                {"client_id": "xero-client", "client_secret": "xero-secret",
                 "refresh_token": "xero-refresh-1"},
            ),
        ),
        DemoCompany(
            "netsuite", "NetSuite Demo Contractors", NETSUITE_ACCOUNT, dict(NETSUITE_ACCOUNTS),
            dict(COST_TYPES),
            [_erp_project(NETSUITE_ACCOUNTS, "N-1101", "Lakeside Distribution Center", [""])],
            erp_system="netsuite",
            connection=DemoConnection(
                "/netsuite",
                {"account_id": NETSUITE_ACCOUNT, "certificate_id": "bb-cert",
                 "default_cost_type": "O"},
                {"client_id": "netsuite-client", "private_key": GENERATED_PRIVATE_KEY},
            ),
        ),
        DemoCompany(
            "workday", "Workday Demo Developments", "bb_demo", dict(WORKDAY_COST_CODES),
            dict(COST_TYPES),
            [_erp_project(WORKDAY_COST_CODES, "W-1201", "Eastbank Innovation Campus", ["01", "02"])],
            erp_system="workday",
            connection=DemoConnection(
                "/workday",
                {"tenant": "bb_demo", "owner": "ISU_BudgetBridge",
                 "report": "Budget_Bridge_Budget"},
                {"username": "ISU_BudgetBridge", "password": SANDBOX_PASSWORD},
            ),
        ),
        DemoCompany(
            "yardi", "Yardi Demo Properties", "bb_demo", dict(YARDI_COST_CATEGORIES),
            dict(COST_TYPES),
            [_erp_project(YARDI_COST_CATEGORIES, "Y-1301", "Lakeshore Retail Centre", [""])],
            erp_system="yardi",
            connection=DemoConnection(
                "/yardi",
                {"server": "bb_sandbox_sql", "database": "bb_demo", "platform": "SQL Server",
                 "interface_entity": "Budget Bridge"},
                {"username": "bbapi", "password": SANDBOX_PASSWORD},
            ),
        ),
        DemoCompany(
            "mri", "MRI Demo Estates", "BBDEMO", dict(MRI_COST_CODES), dict(COST_TYPES),
            [_erp_project(MRI_COST_CODES, "R-1401", "Parkside Office Tower", [""])],
            erp_system="mri",
            connection=DemoConnection(
                "/mri",
                {"client_id": "BBDEMO", "database": "BBDEMO", "default_cost_type": "O"},
                {"username": "bbapi", "password": SANDBOX_PASSWORD},
            ),
        ),
        DemoCompany(
            "spreadsheet", "Spreadsheet Demo Builders", "spreadsheet",
            dict(SPREADSHEET_COST_CODES), dict(COST_TYPES),
            [_erp_project(SPREADSHEET_COST_CODES, "S-1501", "Quayside Library", ["01", "02"])],
            erp_system="spreadsheet",
            connection=DemoConnection(
                "", {"exports_prefix": "spreadsheet", **SPREADSHEET_COLUMNS}, {},
            ),
        ),
    )  # fmt: skip


def _erp_users() -> list[DemoUser]:
    return [
        DemoUser(f"admin@{company_id}.test", f"{label} Admin", {company_id: ("admin", "admin")})
        for company_id, label in (
            ("myob", "Morgan"),
            ("intacct", "Indy"),
            ("cmic", "Casey"),
            ("qbo", "Quinn"),
            ("xero", "Xavi"),
            ("netsuite", "Nell"),
            ("workday", "Wren"),
            ("yardi", "Yael"),
            ("mri", "Marley"),
            ("spreadsheet", "Sasha"),
        )
    ]
