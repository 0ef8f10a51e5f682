"""What the group sells and buys, and the texts its documents carry.

Prices are in EUR; the Danish company converts them to DKK. `tax` is the tax role of an item
('full', 'reduced' for the German 7 % rate on books, maps, food, hotels and rail, 'exempt' for
insurance); `qty` says how quantities look ('pcs', 'hours', 'days', 'kg', 'length', 'energy', 'flat').
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Item:
    """A sales product or a purchased good/service."""

    item_no: str
    text_de: str
    text_da: str
    unit: str
    price: float
    tax: str = "full"
    qty: str = "pcs"
    price_unit: int = 1
    account: str | None = None  # purchase items: overrides the category's expense account


# Products per line of business of the selling company.
SALES_ITEMS: dict[str, tuple[Item, ...]] = {
    "marine": (
        Item("SA-10020", "Edelstahl-Schäkel 10 mm, A4", "", "Stk", 12.90),
        Item("SA-10115", "Festmacherleine Polyester Ø 24 mm", "", "m", 8.45, qty="length"),
        Item("SA-20410", "Rettungsweste 275N mit Lifebelt", "", "Stk", 189.00),
        Item("SA-31002", "Bilgepumpe 24 V, 3.700 l/h", "", "Stk", 264.50),
        Item("SA-40077", "Antifouling Hartgrund, 2,5 l", "", "Dose", 96.80),
        Item("SA-50310", "Seekarte Deutsche Bucht, Ausgabe 2025", "", "Stk", 34.90, tax="reduced"),
        Item("SA-50420", "Handbuch Seemannschaft, 32. Auflage", "", "Stk", 49.90, tax="reduced"),
        Item("SA-60555", "Hydraulikschlauch DN12, 2-lagig", "", "m", 18.75, qty="length"),
        Item("SA-70018", "Kaffee Hanseatische Röstung, 1 kg", "", "Pkg", 16.90, tax="reduced"),
        Item("SA-80200", "Arbeitsschutzhandschuhe Gr. 10 (12 Paar)", "", "Pkg", 42.00),
        Item("SA-80310", "Schweißelektroden 3,2 mm", "", "kg", 9.80, qty="kg"),
        Item("DL-9001", "Montagearbeiten an Bord", "", "Std", 78.00, qty="hours"),
        Item("DL-9002", "Technikereinsatz Wochenende", "", "Std", 112.00, qty="hours"),
        Item("DL-9010", "Anfahrtspauschale Hafen Hamburg", "", "Psch", 65.00, qty="flat"),
    ),
    "machinery": (
        Item("MT-100-4711", "CNC-Frästeil Aluminium EN AW-6082", "", "Stk", 48.60),
        Item("MT-100-4712", "Getriebewelle Ø 40 mm, gehärtet", "", "Stk", 312.00),
        Item("MT-200-0815", "Spindelbaugruppe HSK-A63", "", "Stk", 4890.00, qty="flat"),
        Item("MT-300-1100", "Kugelgewindetrieb 32x10, Länge 1.200 mm", "", "Stk", 1240.00),
        Item("MT-400-2000", "Zahnrad Modul 3, z = 48", "", "Stk", 186.40),
        Item("MT-500-3300", "Dichtungssatz Hydraulikzylinder", "", "Satz", 76.30),
        Item("SV-010", "Servicetechniker vor Ort", "", "Std", 98.00, qty="hours"),
        Item("SV-020", "Inbetriebnahme Bearbeitungszentrum", "", "Psch", 2850.00, qty="flat"),
        Item("SV-030", "Schulung Bedienpersonal (Tagessatz)", "", "Tag", 1150.00, qty="days"),
        Item("SV-040", "Wartungsvertrag Fräszentrum, Quartal", "", "Psch", 1980.00, qty="flat"),
        Item("SV-050", "Reisekostenpauschale Techniker", "", "Psch", 145.00, qty="flat"),
        Item("DOK-01", "Technische Dokumentation, gedruckt", "", "Stk", 59.00, tax="reduced"),
    ),
    "logistics": (
        Item("FR-CPH-HAM", "", "Fragt København-Hamburg, pr. palle", "pll", 194.00),
        Item("FR-CPH-GOT", "", "Fragt København-Göteborg, pr. palle", "pll", 131.00),
        Item("FR-AAR-ROT", "", "Containerfragt Aarhus-Rotterdam, 20 fod", "stk", 1314.00, qty="flat"),
        Item("LG-PLADS", "", "Lagerleje pr. palleplads pr. måned", "md", 24.80),
        Item("LG-HAND", "", "Håndteringsgebyr ind/ud", "stk", 5.70),
        Item("TOLD-01", "", "Toldbehandling og fortoldning", "stk", 87.10, qty="flat"),
        Item("KONS-01", "", "Konsulenttimer logistikplanlægning", "time", 120.00, qty="hours"),
        Item("BRS-01", "", "Brændstoftillæg", "stk", 41.50, qty="flat"),
        Item("EMB-01", "", "Emballage og strækfilm", "rulle", 17.30),
        Item("FAER-01", "", "Færgebillet lastbil Rødby-Puttgarden", "stk", 328.00, qty="flat"),
        Item("KOEL-01", "", "Kølelager pr. palleplads pr. døgn", "døgn", 3.75),
    ),
    "energy": (
        Item("WL-100", "Wärmelieferung Fernwärme", "", "MWh", 112.40, qty="energy"),
        Item("WL-110", "Grundpreis Wärmeanschluss, monatlich", "", "Monat", 186.00, qty="flat"),
        Item("PV-200", "Wartung Photovoltaikanlage bis 100 kWp", "", "Psch", 890.00, qty="flat"),
        Item("PV-210", "Reinigung Solarmodule", "", "m²", 1.85, qty="length"),
        Item("EB-300", "Energieberatung vor Ort", "", "Std", 95.00, qty="hours"),
        Item("EB-310", "Energieausweis Nichtwohngebäude", "", "Stk", 1450.00, qty="flat"),
        Item("MS-400", "Messstellenbetrieb, jährlich", "", "Stk", 120.00),
        Item("LS-500", "Ladesäule 22 kW inkl. Montage", "", "Stk", 3890.00, qty="flat"),
        Item("ST-600", "Stromlieferung Gewerbe", "", "kWh", 0.2890, qty="energy"),
        Item("WP-700", "Wärmepumpen-Service", "", "Std", 89.00, qty="hours"),
    ),
}

# Purchased goods and services per vendor category.
PURCHASE_ITEMS: dict[str, tuple[Item, ...]] = {
    "goods": (
        Item("ST-1430", "Edelstahlblech 1.4301, 2 mm", "Rustfri stålplade 1.4301, 2 mm", "kg", 6.80, qty="kg"),
        Item("ST-0408", "Flachstahl S235 40x8", "Fladstål S235 40x8", "m", 7.20, qty="length"),
        Item("AL-4040", "Aluminiumprofil 40x40", "Aluminiumsprofil 40x40", "m", 11.90, qty="length"),
        Item("KL-6205", "Kugellager 6205-2RS", "Kugleleje 6205-2RS", "Stk", 4.95),
        Item("SR-1040", "Sechskantschraube M10x40 DIN 933 verzinkt", "Sekskantbolt M10x40 DIN 933", "Stk", 14.50,
             price_unit=100),
        Item("US-0010", "Unterlegscheibe M10 DIN 125", "Spændeskive M10 DIN 125", "Stk", 3.20, price_unit=100),
        Item("DR-4052", "Radialwellendichtring NBR 40x52x7", "Akseltætning NBR 40x52x7", "Stk", 0.85),
        Item("KB-5250", "Kabel NYM-J 5x2,5 mm²", "Kabel 5x2,5 mm²", "m", 2.35, qty="length"),
        Item("EP-1200", "Europalette EPAL", "EUR-palle", "Stk", 18.50),
        Item("SF-0500", "Stretchfolie 500 mm", "Strækfilm 500 mm", "Rolle", 21.90),
        Item("SM-0400", "Schmierfett Lithium, Kartusche 400 g", "Smørefedt, patron 400 g", "Stk", 9.40),
        Item("LM-0001", "Lebensmittel Kantine", "Fødevarer kantine", "Psch", 86.00, tax="reduced", qty="flat"),
    ),
    "office": (
        Item("BP-A480", "Druckerpapier A4 80 g, 500 Blatt", "Kopipapir A4 80 g, 500 ark", "Pkg", 4.79),
        Item("TN-59A", "Toner HP 59A schwarz", "Toner HP 59A sort", "Stk", 119.00),
        Item("OR-0080", "Ordner 8 cm, blau", "Ringbind 8 cm, blå", "Stk", 2.49),
        Item("KS-0010", "Kugelschreiber, 10er-Pack", "Kuglepenne, 10 stk.", "Pkg", 9.90),
        Item("BS-0100", "Bürostuhl ergonomisch", "Kontorstol ergonomisk", "Stk", 349.00, qty="flat"),
    ),
    "it": (
        Item("MS-365", "Microsoft 365 Business Standard, Lizenz/Monat", "Microsoft 365 Business Standard, licens/md",
             "Lizenz", 11.70, account="licenses"),
        Item("CL-SRV", "Cloud-Server Hosting, monatlich", "Cloud-server hosting, månedlig", "Monat", 289.00,
             qty="flat"),
        Item("NW-WTG", "Wartungspauschale Netzwerk", "Vedligehold netværk", "Psch", 450.00, qty="flat"),
        Item("NB-14", "Notebook 14 Zoll, 16 GB RAM", "Bærbar 14 tommer, 16 GB RAM", "Stk", 1190.00, qty="flat",
             account="low_value_writeoff"),
        Item("SP-STD", "IT-Support", "IT-support", "Std", 95.00, qty="hours"),
        Item("DOM-01", "Domain und SSL-Zertifikat, jährlich", "Domæne og SSL-certifikat, årligt", "Jahr", 39.00,
             qty="flat"),
    ),
    "consulting": (
        Item("BER-01", "Steuerberatung Monatsabschluss", "Bogføring månedsafslutning", "Psch", 850.00, qty="flat",
             account="bookkeeping"),
        Item("BER-02", "Rechtsberatung Vertragsprüfung", "Juridisk rådgivning kontrakt", "Std", 240.00, qty="hours"),
        Item("BER-03", "Lohnabrechnung je Mitarbeiter", "Lønadministration pr. medarbejder", "Stk", 28.50,
             account="bookkeeping"),
        Item("BER-04", "Jahresabschlussprüfung, Abschlag", "Revision årsregnskab, acontobeløb", "Psch", 4500.00,
             qty="flat", account="audit"),
    ),
    "logistics": (
        Item("FR-STK", "Frachtkosten Stückgut", "Fragt stykgods", "Psch", 185.00, qty="flat"),
        Item("FR-PAL", "Palettenversand national", "Pallefragt indenlands", "Stk", 79.00),
        Item("FR-EXP", "Expresskurier", "Ekspresbud", "Stk", 24.90),
        Item("FR-CON", "Containertransport Hafen", "Containertransport havn", "Psch", 1250.00, qty="flat"),
    ),
    "energy": (
        Item("EN-STR", "Strom Arbeitspreis", "El, forbrug", "kWh", 0.2650, qty="energy"),
        Item("EN-GRD", "Grundgebühr Strom", "Fast afgift el", "Monat", 14.90, qty="flat"),
        Item("EN-GAS", "Erdgas Arbeitspreis", "Naturgas, forbrug", "kWh", 0.0980, qty="energy"),
        Item("EN-WAS", "Frischwasser", "Vand", "m³", 4.35, qty="kg"),
    ),
    "telecom": (
        Item("TK-MOB", "Mobilfunkvertrag Business", "Mobilabonnement erhverv", "Monat", 39.95),
        Item("TK-GF", "Glasfaser-Internet 1 Gbit/s", "Fiberinternet 1 Gbit/s", "Monat", 89.00, qty="flat",
             account="internet"),
        Item("TK-PBX", "Cloud-Telefonanlage", "Cloud-omstilling", "Monat", 120.00, qty="flat"),
    ),
    "rent": (
        Item("MI-BUE", "Büromiete", "Husleje kontor", "Monat", 4850.00, qty="flat"),
        Item("MI-LAG", "Miete Lagerhalle", "Leje lagerhal", "Monat", 6200.00, qty="flat"),
        Item("MI-NK", "Nebenkostenvorauszahlung", "Aconto fællesudgifter", "Monat", 780.00, qty="flat"),
    ),
    "insurance": (
        Item("VS-BHV", "Betriebshaftpflichtversicherung", "Erhvervsansvarsforsikring", "Jahr", 2480.00, tax="exempt",
             qty="flat"),
        Item("VS-MAS", "Maschinenversicherung", "Maskinforsikring", "Jahr", 3150.00, tax="exempt", qty="flat"),
        Item("VS-KFZ", "Kfz-Flottenversicherung, Quartal", "Flådeforsikring, kvartal", "Quartal", 1890.00,
             tax="exempt", qty="flat"),
    ),
    "marketing": (
        Item("MK-MES", "Messestand Planung und Aufbau", "Messestand planlægning og opbygning", "Psch", 3400.00,
             qty="flat"),
        Item("MK-FLY", "Flyer DIN A5, 4/4-farbig", "Flyer A5, 4/4 farver", "Stk", 95.00, price_unit=1000),
        Item("MK-ADS", "Online-Anzeigen Kampagne", "Online-annoncer kampagne", "Psch", 750.00, qty="flat"),
        Item("MK-BRO", "Imagebroschüre 24 Seiten", "Firmabrochure 24 sider", "Stk", 2.80),
    ),
    "travel": (
        Item("RE-HOT", "Hotelübernachtung", "Hotelovernatning", "Nacht", 109.00, tax="reduced"),
        Item("RE-BAH", "Bahnticket Fernverkehr", "Togbillet", "Stk", 139.00, tax="reduced"),
        Item("RE-TAX", "Taxifahrt", "Taxa", "Stk", 28.50, tax="reduced"),
        Item("RE-MW", "Mietwagen", "Lejebil", "Tag", 79.00, qty="days"),
    ),
}

# Expense account and whether the category's EU/foreign purchases are goods (acquisition) or services.
CATEGORY_ACCOUNT = {
    "goods": "goods_19", "office": "office_supplies", "it": "it_maintenance", "consulting": "legal_advice",
    "logistics": "incidental_costs", "energy": "energy", "telecom": "telephone", "rent": "rent",
    "insurance": "insurance", "marketing": "advertising", "travel": "travel",
}
GOODS_CATEGORIES = frozenset({"goods", "office"})
# Categories a purchase order is raised for.
ORDERED_CATEGORIES = ("goods", "office", "it", "marketing")

# (category, weight) of domestic and of foreign vendors.
DOMESTIC_CATEGORIES = (("goods", 30), ("office", 8), ("it", 10), ("consulting", 6), ("logistics", 10),
                       ("energy", 3), ("telecom", 3), ("rent", 2), ("insurance", 3), ("marketing", 8),
                       ("travel", 6))
FOREIGN_CATEGORIES = (("goods", 50), ("it", 25), ("logistics", 15), ("marketing", 5), ("consulting", 5))

# Surcharges on purchase orders: (German, Danish, category).
LINE_SURCHARGES = (
    ("Legierungszuschlag", "Legeringstillæg", "pcs"),
    ("Mindermengenzuschlag", "Småordretillæg", "fixed"),
)
HEADER_SURCHARGES = (
    ("Frachtkosten pauschal", "Fragt", "fixed"),
    ("Verpackungspauschale", "Emballagetillæg", "percent"),
    ("Energiezuschlag", "Energitillæg", "percent"),
)

SALES_HEADER_TEXTS = {
    "de": ("Vielen Dank für Ihren Auftrag.", "Leistungszeitraum laut Lieferschein.",
           "Gemäß unserem Angebot, Lieferung frei Haus.", "Bitte geben Sie bei Zahlung die Rechnungsnummer an.",
           "Abrechnung gemäß Rahmenvertrag.", "Teillieferung, Restmenge folgt.", "Es gelten unsere AGB."),
    "da": ("Tak for ordren.", "Betaling senest på forfaldsdatoen.", "Ydelse leveret i henhold til aftale.",
           "Angiv venligst fakturanummer ved betaling.", "Delvis levering, restordre følger."),
}
CREDIT_NOTE_TEXT = {"de": "Gutschrift", "da": "Kreditnota"}
PURCHASE_HEADER_TEXTS = {
    "de": ("Eingangsrechnung geprüft.", "Sachlich und rechnerisch richtig.", "Abschlagsrechnung.",
           "Rechnung per E-Mail erhalten."),
    "da": ("Købsfaktura godkendt.", "Modtaget pr. e-mail.", "Acontofaktura."),
}
PO_DESCRIPTIONS = {
    "de": ("Nachbestellung Lager", "Material für Kundenauftrag", "Abruf aus Rahmenvertrag", "Ersatzteile Wartung",
           "Büromaterial Quartal", "Ausstattung neue Arbeitsplätze", "Messematerial"),
    "da": ("Genbestilling lager", "Materialer til kundeordre", "Afkald på rammeaftale", "Reservedele vedligehold",
           "Kontorartikler kvartal"),
}

# Journal texts by purpose, in German and Danish.
JOURNAL_TEXTS = {
    "receipt": ("Zahlungseingang", "Indbetaling"),
    "payment": ("Zahlung", "Betaling"),
    "refund": ("Erstattung Gutschrift", "Tilbagebetaling kreditnota"),
    "discount": ("Skonto", "Kontantrabat"),
    "salaries": ("Gehälter", "Løn"),
    "net_pay": ("Auszahlung Nettolöhne", "Udbetaling nettoløn"),
    "wage_tax": ("Lohnsteuer, Soli, KiSt", "A-skat og AM-bidrag"),
    "social": ("Sozialversicherungsbeiträge", "ATP og feriepenge"),
    "depreciation": ("AfA", "Afskrivning"),
    "accrual": ("Rückstellung Jahresabschluss", "Hensættelse revision"),
    "accrual_release": ("Auflösung Rückstellung", "Tilbageførsel hensættelse"),
    "manual": ("Barkauf", "Kontantkøb"),
    "input_tax": ("Vorsteuer", "Købsmoms"),
    "reclass": ("Umbuchung", "Ompostering"),
}
# Cash and card receipts posted by hand: expense account key -> (German, Danish) posting text.
MANUAL_PURPOSES = {
    "office_supplies": ("Bürobedarf Barkauf", "Kontorartikler kontant"),
    "vehicle_costs": ("Tankquittung", "Brændstof"),
    "entertainment": ("Bewirtung Kunde", "Frokostmøde kunde"),
    "postage": ("Paketporto", "Porto"),
    "other_supplies": ("Reinigungsmittel", "Rengøringsmidler"),
}


QTY_KINDS = ("pcs", "hours", "days", "kg", "length", "energy", "flat")


@dataclass(frozen=True)
class ItemArrays:
    """Items of several companies as arrays; company c's items are rows start[c] .. start[c] + count[c]."""

    start: npt.NDArray[np.int64]
    count: npt.NDArray[np.int64]
    price4: npt.NDArray[np.int64]  # local currency x 10^4
    price_unit4: npt.NDArray[np.int64]
    qty_kind: npt.NDArray[np.int64]
    tax: list[str]
    item_no: list[str]
    text: list[str]
    unit: list[str]
    account: list[str | None]


def item_arrays(per_company: list[tuple[tuple[Item, ...], str, float]]) -> ItemArrays:
    """Stack (items, language, currency factor) per company into arrays; prices in local currency."""
    rows: list[Item] = []
    texts: list[str] = []
    prices: list[int] = []
    count = []
    for items, language, factor in per_company:
        count.append(len(items))
        for item in items:
            rows.append(item)
            texts.append(item.text_da if language == "da" else item.text_de)
            price = item.price * factor
            # sub-cent prices (energy per kWh) keep 4 decimals, the rest are whole cents
            prices.append(round(price * 10_000) if item.price < 1 else round(price * 100) * 100)
    counts = np.array(count, dtype=np.int64)
    return ItemArrays(
        start=np.cumsum(counts) - counts,
        count=counts,
        price4=np.array(prices, dtype=np.int64),
        price_unit4=np.array([i.price_unit * 10_000 for i in rows], dtype=np.int64),
        qty_kind=np.array([QTY_KINDS.index(i.qty) for i in rows], dtype=np.int64),
        tax=[i.tax for i in rows],
        item_no=[i.item_no for i in rows],
        text=texts,
        unit=[i.unit for i in rows],
        account=[i.account for i in rows],
    )


def quantities(
    rng: np.random.Generator, kind: npt.NDArray[np.int64], price4: npt.NDArray[np.int64],
    price_unit4: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """Plausible quantities (x 10^4) for each line's quantity kind."""
    n = len(kind)
    pieces = np.clip(np.rint(rng.lognormal(1.6, 1.0, n)), 1, 500).astype(np.int64)
    qty = np.select(
        [kind == 0, kind == 1, kind == 2, kind == 3, kind == 4, kind == 5],
        [
            pieces * 10_000,
            rng.integers(2, 161, n) * 2_500,  # quarter hours, 0.5 .. 40 h
            rng.integers(1, 6, n) * 10_000,
            rng.integers(500, 400_000, n) * 10,  # kg with 3 decimals
            rng.integers(10, 3_000, n) * 1_000,  # metres with 1 decimal
            np.where(price4 < 10_000, rng.integers(500, 60_000, n) * 10_000, rng.integers(1_000, 400_000, n) * 10),
        ],
        default=10_000,
    )
    # goods priced per 100 or 1000 pieces are bought in such lots
    lots = price_unit4 > 10_000
    qty[lots] = rng.integers(1, 40, int(lots.sum())) * price_unit4[lots]
    return np.asarray(qty, dtype=np.int64)
