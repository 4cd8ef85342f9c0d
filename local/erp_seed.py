"""The parties ``ErpSimulator.seed`` makes the ERP hold, built as plain records: numbered customers and
companies, the bad customers an import must skip, an anonymised customer. The simulator stores them
(``local/erp_simulator.py``); keeping the generation here leaves it the app and its state."""

from datetime import datetime, timedelta
from typing import Any

# Generated parties (``seed``): fixed-width codes, so they sort and compare as text and never meet the
# codes ``POST /customers`` / ``POST /companies`` hand out (C10001, B20001: shorter).
SEEDED = {
    "customers": ("C", 7, "C" + "[0-9]" * 7),
    "companies": ("B", 6, "B" + "[0-9]" * 6),
}
# The bad customers ``seed(bad=True)`` adds, by their key in the table (the first has no code at all)
BAD_NO_CODE, BAD_EMAIL, BAD_DUPLICATE = "~bad:no-code", "CBAD00001", "~bad:duplicate"
FIRST_NAMES = (
    "Anna",
    "Erik",
    "Maria",
    "Lars",
    "Karin",
    "Johan",
    "Sara",
    "Anders",
    "Eva",
    "Per",
    "Lena",
    "Nils",
)
LAST_NAMES = ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson")
CITIES = (("Stockholm", "111"), ("Göteborg", "411"), ("Malmö", "211"), ("Uppsala", "753"), ("Umeå", "903"))


def seeded_code(kind: str, number: int) -> str:
    """The code of generated party ``number`` (``customers``: ``C0000001``, ``companies``: ``B000001``)."""
    prefix, width, _ = SEEDED[kind]
    return f"{prefix}{number:0{width}d}"


def missing_companies(wanted: int, known: set[str], changed_at: str) -> list[dict[str, Any]]:
    """Generated companies 1..``wanted`` whose code is not ``known`` yet."""
    companies = []
    for number in range(1, wanted + 1):
        code = seeded_code("companies", number)
        if code not in known:
            companies.append(generated_company(code, number, changed_at))
    return companies


def missing_customers(wanted: int, known: set[str], companies: int, changed_at: str) -> list[dict[str, Any]]:
    """Generated customers 1..``wanted`` whose code is not ``known`` yet (``companies``: how many generated
    companies there are to be a contact of)."""
    customers = []
    for number in range(1, wanted + 1):
        code = seeded_code("customers", number)
        if code not in known:
            customers.append(generated_customer(code, number, companies, changed_at))
    return customers


def later_than(newest: str | None, now: str) -> str:
    """``now``, or a microsecond after ``newest`` when the clock has not moved past it (so what is stamped
    with it comes last in the export)."""
    if newest is not None and now <= newest:
        now = (datetime.fromisoformat(newest) + timedelta(microseconds=1)).isoformat(timespec="microseconds")
    return now


def bad_customers(
    changed_at: str, first: dict[str, Any] | None
) -> list[tuple[str, str | None, dict[str, Any]]]:
    """(key, e-mail, body) of three customers the integration must skip: no code and no e-mail, an invalid
    e-mail, and a second customer with the code of ``first`` (an existing one: exported twice; none when the
    ERP holds no customer)."""
    base = {"isActive": True, "changedAt": changed_at, "address": None, "companyCode": None}
    bad: list[tuple[str, str | None, dict[str, Any]]] = [
        (BAD_NO_CODE, None, {**base, "code": None, "email": None, "firstName": "No", "lastName": "Code"}),
        (
            BAD_EMAIL,
            "not-an-email",
            {**base, "code": BAD_EMAIL, "email": "not-an-email", "firstName": "Bad"},
        ),
    ]
    if first is not None:
        twin = {**first, "changedAt": changed_at, "firstName": "Duplicate"}
        bad.append((BAD_DUPLICATE, twin.get("email"), twin))
    return bad


def anonymised(customer: dict[str, Any], changed_at: str) -> dict[str, Any]:
    """The customer marked ``anonymised: true``, changed at ``changed_at``."""
    return {**customer, "anonymised": True, "changedAt": changed_at}


def generated_address(number: int) -> dict[str, Any]:
    city, zip_prefix = CITIES[number % len(CITIES)]
    return {
        "line1": f"Storgatan {number % 150 + 1}",
        "zipCode": f"{zip_prefix}{number % 100:02d}",
        "city": city,
        "country": "SE",
    }


def generated_customer(code: str, number: int, companies: int, changed_at: str) -> dict[str, Any]:
    """Customer ``number`` of ``seed``: every 5th is a contact of one of the ``companies`` generated ones."""
    company = None
    if companies and number % 5 == 0:
        company = seeded_code("companies", (number // 5 - 1) % companies + 1)
    return {
        "code": code,
        "email": f"customer{number}@example.com",
        "firstName": FIRST_NAMES[number % len(FIRST_NAMES)],
        "lastName": LAST_NAMES[(number // len(FIRST_NAMES)) % len(LAST_NAMES)],
        "cellPhone": f"+4670{number:07d}",
        "address": generated_address(number),
        "companyCode": company,
        "isActive": True,
        "changedAt": changed_at,
    }


def generated_company(code: str, number: int, changed_at: str) -> dict[str, Any]:
    organization_no = f"55{number:08d}"
    return {
        "code": code,
        "name": f"Företag {number} AB",
        "organizationNo": organization_no,
        "vatNo": f"SE{organization_no}01",
        "address": generated_address(number),
        "isActive": True,
        "changedAt": changed_at,
    }
