"""Name, address and contact pools for business partners and employees in DE, AT, DK, NL, PL, CZ, CH, US, GB, SE.

Names keep their national letters (ä ö ü ß, æ ø å, ł ą ę, ř č ů ...). Letters outside Windows-1252
such as ł or ř are real content that a DATEV export must transliterate, not faults. Natural names
stay within 50 characters (DATEV's limit for a company name); longer ones only come from faults.
"""

from __future__ import annotations

import random
import unicodedata

MAX_NAME = 50

_SURNAMES = {
    "DE": (
        "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
        "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann",
        "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Werner", "Krause", "Lehmann", "Köhler", "Weiß",
        "Groß", "Jäger", "Böhm", "Krämer", "Strauß", "Mößner", "Bäumer", "Öztürk", "Kowalczyk", "Petersen",
        "Thießen", "Großkopf", "Lühmann", "Dvořák",
    ),
    "AT": (
        "Gruber", "Huber", "Bauer", "Wagner", "Pichler", "Steiner", "Moser", "Mayer", "Hofer", "Leitner",
        "Berger", "Fuchs", "Eder", "Winkler", "Reiter", "Brunner", "Wimmer", "Egger", "Lechner", "Auer",
        "Aigner", "Wallner", "Pölzl", "Höllerer",
    ),
    "DK": (
        "Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen", "Rasmussen",
        "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen", "Poulsen", "Møller", "Mortensen",
        "Kjær", "Østergaard", "Bækgaard", "Lindstrøm", "Frølund", "Aagaard", "Bøgh", "Kjærsgaard",
    ),
    "NL": (
        "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Visser", "Smit", "Meijer",
        "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "Dijkstra",
    ),
    "PL": (
        "Kowalski", "Nowak", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski", "Zieliński",
        "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur", "Krawczyk", "Michalski",
        "Pawłowski", "Król", "Wróbel", "Stępień", "Górski", "Sikora", "Głowacki",
    ),
    "CZ": (
        "Novák", "Svoboda", "Novotný", "Dvořák", "Černý", "Procházka", "Kučera", "Veselý", "Horák", "Němec",
        "Pokorný", "Pospíšil", "Hájek", "Jelínek", "Král", "Růžička", "Beneš", "Fiala", "Sedláček", "Doležal",
        "Kolář", "Navrátil", "Čermák", "Řezníček",
    ),
    "CH": (
        "Müller", "Meier", "Schmid", "Keller", "Weber", "Huber", "Steiner", "Gerber", "Brunner", "Baumann",
        "Frei", "Moser", "Widmer", "Wyss", "Graf", "Roth", "Bühler", "Lüthi", "Zürcher", "Tschudi", "Rüegg",
    ),
    "US": (
        "Miller", "Johnson", "Anderson", "Carter", "Mitchell", "Bennett", "Hayes", "Porter", "Sullivan", "Walsh",
    ),
    "GB": ("Clarke", "Hughes", "Whitfield", "Pemberton", "Ashworth", "Fairbairn", "Holloway", "Thornton"),
    "SE": (
        "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson", "Svensson",
        "Lindqvist", "Åkesson", "Öberg", "Lindström", "Björk", "Sjöberg",
    ),
}

_REGIONS = {
    "DE": ("Hanseatische", "Norddeutsche", "Bayerische", "Fränkische", "Schwäbische", "Rheinische",
           "Westfälische", "Sächsische", "Allgäuer", "Bremer", "Lübecker", "Münchner", "Kölner", "Elbtaler"),
    "AT": ("Steirische", "Tiroler", "Kärntner", "Wiener", "Salzburger", "Oberösterreichische", "Vorarlberger"),
    "DK": ("Københavns", "Jysk", "Fynsk", "Sjællandsk", "Nordsjællands", "Aarhus", "Aalborg", "Vestjysk",
           "Bornholms", "Limfjordens"),
    "NL": ("Rotterdamse", "Brabantse", "Groninger", "Zeeuwse", "Amsterdamse", "Utrechtse", "Twentse"),
    "PL": ("Wrocławskie", "Łódzkie", "Śląskie", "Pomorskie", "Małopolskie", "Poznańskie", "Gdańskie"),
    "CZ": ("Plzeňské", "Moravské", "Jihočeské", "Pražské", "Brněnské", "Ostravské"),
    "CH": ("Zürcher", "Berner", "Basler", "Luzerner", "Thurgauer", "Bündner"),
    "US": ("Great Lakes", "Pacific", "Atlantic", "Midwest", "Lone Star", "Golden Gate", "Blue Ridge", "Hudson Valley",
           "Evergreen", "Keystone"),
    "GB": ("Thames Valley", "Pennine", "Cotswold", "Mersey", "Clyde", "Northumbria", "Solent"),
    "SE": ("Göteborgs", "Malmö", "Norrlands", "Skånska", "Uppsala", "Värmlands"),
}

# Trade words by partner kind; vendors use their purchasing category, customers 'customer'.
_TRADES: dict[str, dict[str, tuple[str, ...]]] = {
    "DE": {
        "customer": ("Metallbau", "Schiffbau", "Maschinenbau", "Anlagenbau", "Elektrotechnik", "Bauunternehmung",
                     "Logistik", "Handelshaus", "Werft", "Fördertechnik", "Haustechnik", "Reederei", "Bäckerei",
                     "Brauerei", "Möbelwerkstätten", "Kältetechnik", "Windkraft", "Stadtwerke"),
        "goods": ("Metallbau", "Stahlhandel", "Industriebedarf", "Hydraulik", "Kunststofftechnik", "Elektrogroßhandel",
                  "Verpackungen", "Dichtungstechnik", "Antriebstechnik", "Schraubengroßhandel"),
        "office": ("Bürobedarf", "Büroservice", "Papierhandel", "Büromöbel"),
        "it": ("IT-Systemhaus", "Softwareentwicklung", "Datentechnik", "Netzwerktechnik"),
        "consulting": ("Steuerberatung", "Rechtsanwälte", "Unternehmensberatung", "Wirtschaftsprüfung"),
        "logistics": ("Spedition", "Logistik", "Transporte", "Kurierdienst"),
        "energy": ("Energieversorgung", "Stadtwerke", "Energiehandel"),
        "telecom": ("Telekommunikation", "Netzdienste"),
        "rent": ("Immobilien", "Grundstücksverwaltung", "Hausverwaltung"),
        "insurance": ("Versicherung", "Assekuranz"),
        "marketing": ("Werbeagentur", "Messebau", "Druckerei"),
        "travel": ("Hotelbetriebe", "Reisebüro", "Gästehaus"),
    },
    "AT": {
        "customer": ("Holzbau", "Maschinenbau", "Seilbahnen", "Baugesellschaft", "Elektro", "Handels"),
        "goods": ("Stahlbau", "Holzindustrie", "Kunststoffwerk", "Metallwaren"),
        "it": ("Softwarehaus", "IT-Dienstleistungen"),
        "logistics": ("Spedition", "Transporte"),
        "consulting": ("Unternehmensberatung", "Steuerberatung"),
        "marketing": ("Werbeagentur", "Druckerei"),
    },
    "DK": {
        "customer": ("Tømrerfirma", "Maskinfabrik", "VVS", "Vognmandsforretning", "Elektro", "Emballage",
                     "Kaffebrænderi", "Bryggeri", "Trælast", "Stålindustri", "Fiskeeksport", "Køleteknik", "Rederi"),
        "goods": ("Maskinfabrik", "Stålindustri", "Emballage", "Trælast", "Værktøj"),
        "office": ("Kontorforsyning", "Papirhandel"),
        "it": ("IT-Service", "Software", "Datacenter"),
        "consulting": ("Revision", "Advokatfirma", "Rådgivning"),
        "logistics": ("Vognmandsforretning", "Spedition", "Fragt"),
        "energy": ("Energi", "Forsyning"),
        "telecom": ("Telekommunikation",),
        "rent": ("Ejendomme", "Ejendomsadministration"),
        "insurance": ("Forsikring",),
        "marketing": ("Reklamebureau", "Trykkeri"),
        "travel": ("Hotel", "Rejsebureau"),
    },
    "NL": {
        "customer": ("Transport", "Installatietechniek", "Bouw", "Metaalbewerking", "Kaashandel", "Scheepvaart"),
        "goods": ("Metaalbewerking", "Verpakkingen", "Kunststoffen"),
        "it": ("Software", "ICT Diensten"),
        "logistics": ("Transport", "Logistiek", "Expeditie"),
        "consulting": ("Adviesgroep",),
        "marketing": ("Reclamebureau", "Drukkerij"),
    },
    "PL": {
        "customer": ("Budownictwo", "Meble", "Stal", "Opakowania", "Elektronika", "Hurtownia", "Przetwórstwo"),
        "goods": ("Stal", "Odlewnia", "Opakowania", "Tworzywa Sztuczne", "Tartak"),
        "it": ("Oprogramowanie", "Systemy Informatyczne"),
        "logistics": ("Transport", "Spedycja", "Logistyka"),
        "consulting": ("Doradztwo",),
        "marketing": ("Drukarnia", "Agencja Reklamowa"),
    },
    "CZ": {
        "customer": ("Stavební firma", "Strojírna", "Elektro", "Nábytek", "Sklárna", "Pivovar"),
        "goods": ("Strojírna", "Kovovýroba", "Sklárna", "Slévárna"),
        "it": ("Software", "Informační systémy"),
        "logistics": ("Doprava", "Spedice"),
        "consulting": ("Poradenství",),
        "marketing": ("Tiskárna",),
    },
    "CH": {
        "customer": ("Präzisionsmechanik", "Maschinenbau", "Uhrenmanufaktur", "Pharmahandel", "Logistik"),
        "goods": ("Präzisionsmechanik", "Feinwerktechnik", "Messtechnik"),
        "it": ("Informatik", "Software"),
        "logistics": ("Transporte", "Logistik"),
        "consulting": ("Treuhand", "Beratung"),
        "marketing": ("Werbeagentur",),
    },
    "US": {
        "customer": ("Industries", "Marine Supply", "Instruments", "Robotics", "Components"),
        "goods": ("Tooling", "Components", "Instruments"),
        "it": ("Software", "Cloud Services", "Analytics", "Data Systems"),
        "logistics": ("Freight", "Logistics"),
        "consulting": ("Advisory",),
        "marketing": ("Media",),
    },
    "GB": {
        "customer": ("Engineering", "Marine", "Supplies", "Trading"),
        "goods": ("Engineering", "Supplies"),
        "it": ("Software", "Digital"),
        "logistics": ("Logistics", "Shipping"),
        "consulting": ("Consulting",),
        "marketing": ("Creative",),
    },
    "SE": {
        "customer": ("Mekaniska", "Trä", "Förpackningar", "Logistik", "Verkstäder"),
        "goods": ("Mekaniska", "Stål", "Förpackningar"),
        "it": ("Mjukvara", "Data"),
        "logistics": ("Logistik", "Frakt"),
        "consulting": ("Konsult",),
        "marketing": ("Reklambyrå",),
    },
}

_LEGAL_FORMS = {
    "DE": ("GmbH", "GmbH", "GmbH", "GmbH & Co. KG", "AG", "KG", "OHG", "e.K.", "UG (haftungsbeschränkt)"),
    "AT": ("GmbH", "GmbH", "KG", "OG", "AG", "e.U."),
    "DK": ("ApS", "ApS", "A/S", "I/S"),
    "NL": ("B.V.", "B.V.", "N.V.", "V.O.F."),
    "PL": ("Sp. z o.o.", "Sp. z o.o.", "S.A.", "Sp.j."),
    "CZ": ("s.r.o.", "s.r.o.", "a.s."),
    "CH": ("AG", "GmbH", "SA"),
    "US": ("Inc.", "LLC", "Corp."),
    "GB": ("Ltd", "Ltd", "plc"),
    "SE": ("AB",),
}
_AND = {"DE": "&", "AT": "&", "DK": "&", "NL": "&", "PL": "i", "CZ": "a", "CH": "&", "US": "&", "GB": "&", "SE": "&"}
_SONS = {"DE": "Söhne", "AT": "Söhne", "DK": "Søn", "NL": "Zonen", "PL": "Synowie", "CZ": "syn", "CH": "Söhne",
         "US": "Sons", "GB": "Sons", "SE": "Söner"}

# (zip, city, phone area code) — real pairs.
_PLACES = {
    "DE": (("20095", "Hamburg", "40"), ("22767", "Hamburg", "40"), ("10115", "Berlin", "30"),
           ("80331", "München", "89"), ("50667", "Köln", "221"), ("60311", "Frankfurt am Main", "69"),
           ("40213", "Düsseldorf", "211"), ("70173", "Stuttgart", "711"), ("04109", "Leipzig", "341"),
           ("01067", "Dresden", "351"), ("90402", "Nürnberg", "911"), ("28195", "Bremen", "421"),
           ("30159", "Hannover", "511"), ("23552", "Lübeck", "451"), ("97070", "Würzburg", "931"),
           ("37073", "Göttingen", "551"), ("48143", "Münster", "251"), ("21335", "Lüneburg", "4131"),
           ("90762", "Fürth", "911"), ("49074", "Osnabrück", "541"), ("24103", "Kiel", "431"),
           ("26122", "Oldenburg", "441"), ("86150", "Augsburg", "821"), ("93047", "Regensburg", "941"),
           ("83022", "Rosenheim", "8031"), ("27568", "Bremerhaven", "471"), ("18055", "Rostock", "381")),
    "AT": (("1010", "Wien", "1"), ("1070", "Wien", "1"), ("8010", "Graz", "316"), ("4020", "Linz", "732"),
           ("5020", "Salzburg", "662"), ("6020", "Innsbruck", "512"), ("9020", "Klagenfurt am Wörthersee", "463"),
           ("6900", "Bregenz", "5574")),
    "DK": (("1050", "København K", "33"), ("2100", "København Ø", "35"), ("2200", "København N", "35"),
           ("8000", "Aarhus C", "86"), ("5000", "Odense C", "66"), ("9000", "Aalborg", "98"),
           ("6700", "Esbjerg", "75"), ("4000", "Roskilde", "46"), ("3000", "Helsingør", "49"),
           ("4700", "Næstved", "55"), ("4600", "Køge", "56"), ("2970", "Hørsholm", "45"), ("7100", "Vejle", "75"),
           ("8600", "Silkeborg", "86"), ("6000", "Kolding", "75"), ("2800", "Kongens Lyngby", "45")),
    "NL": (("1012 AB", "Amsterdam", "20"), ("3011 AD", "Rotterdam", "10"), ("3511 AA", "Utrecht", "30"),
           ("5611 AB", "Eindhoven", "40"), ("9711 AA", "Groningen", "50"), ("7511 JN", "Enschede", "53")),
    "PL": (("00-001", "Warszawa", "22"), ("30-001", "Kraków", "12"), ("90-001", "Łódź", "42"),
           ("50-001", "Wrocław", "71"), ("80-001", "Gdańsk", "58"), ("60-001", "Poznań", "61"),
           ("70-001", "Szczecin", "91"), ("40-001", "Katowice", "32")),
    "CZ": (("110 00", "Praha", "2"), ("602 00", "Brno", "5"), ("702 00", "Ostrava", "59"),
           ("301 00", "Plzeň", "37"), ("460 01", "Liberec", "48"), ("370 01", "České Budějovice", "38"),
           ("500 02", "Hradec Králové", "49")),
    "CH": (("8001", "Zürich", "44"), ("4051", "Basel", "61"), ("3011", "Bern", "31"), ("6003", "Luzern", "41"),
           ("8400", "Winterthur", "52"), ("9000", "St. Gallen", "71")),
    "US": (("10001", "New York, NY", "212"), ("60601", "Chicago, IL", "312"), ("78701", "Austin, TX", "512"),
           ("98101", "Seattle, WA", "206"), ("02108", "Boston, MA", "617"), ("94103", "San Francisco, CA", "415")),
    "GB": (("EC1A 1BB", "London", "20"), ("M1 1AE", "Manchester", "161"), ("B1 1AA", "Birmingham", "121"),
           ("LS1 1AA", "Leeds", "113"), ("BS1 4DJ", "Bristol", "117")),
    "SE": (("111 20", "Stockholm", "8"), ("411 01", "Göteborg", "31"), ("211 20", "Malmö", "40"),
           ("753 10", "Uppsala", "18"), ("652 24", "Karlstad", "54")),
}

_STREETS = {
    "DE": ("Hauptstraße", "Bahnhofstraße", "Schloßallee", "Am Mühlenteich", "Industriestraße", "Gewerbering",
           "Hafenstraße", "Lindenstraße", "Mühlenweg", "Große Elbstraße", "Königstraße", "Fürstenrieder Straße",
           "Süderstraße", "Am Güterbahnhof", "Äußere Bayreuther Straße", "Weißenburger Straße", "Überseering",
           "Brückenstraße", "Kaiserstraße"),
    "AT": ("Mariahilfer Straße", "Landstraßer Hauptstraße", "Getreidegasse", "Herrengasse", "Industriezeile",
           "Wiener Straße", "Grazer Straße"),
    "DK": ("Nørregade", "Østergade", "Vesterbrogade", "Åboulevarden", "Søndergade", "Frederiksberg Allé",
           "Blågårdsgade", "Jægersborg Allé", "Havnegade", "Industrivej", "Strandvejen", "Kongens Nytorv",
           "Gammel Kongevej", "Østre Havnevej"),
    "NL": ("Keizersgracht", "Damrak", "Coolsingel", "Oudegracht", "Industrieweg", "Havenstraat", "Stationsweg"),
    "PL": ("ul. Marszałkowska", "ul. Długa", "ul. Piłsudskiego", "ul. Świętokrzyska", "ul. Przemysłowa",
           "ul. Łąkowa", "ul. Grunwaldzka", "ul. Wrocławska"),
    "CZ": ("Václavské náměstí", "Nádražní", "Husova", "Masarykova", "Dvořákova", "Průmyslová", "Křižíkova"),
    "CH": ("Bahnhofstrasse", "Limmatquai", "Marktgasse", "Industriestrasse", "Seestrasse", "Hauptstrasse"),
    "US": ("Market Street", "Main Street", "Commerce Drive", "Industrial Parkway", "Harbor Boulevard",
           "Lakeshore Drive"),
    "GB": ("High Street", "Station Road", "Mill Lane", "Victoria Road", "Church Street", "Dockside Way"),
    "SE": ("Drottninggatan", "Storgatan", "Kungsgatan", "Hamngatan", "Industrivägen", "Södra Vägen"),
}

_PHONE_PREFIX = {"DE": "+49", "AT": "+43", "DK": "+45", "NL": "+31", "PL": "+48", "CZ": "+420", "CH": "+41",
                 "US": "+1", "GB": "+44", "SE": "+46"}
_TLD = {"DE": "de", "AT": "at", "DK": "dk", "NL": "nl", "PL": "pl", "CZ": "cz", "CH": "ch", "US": "com",
        "GB": "co.uk", "SE": "se"}
_MAILBOX = {"DE": ("info", "buchhaltung", "rechnung", "einkauf", "kontakt"), "AT": ("office", "buchhaltung"),
            "DK": ("info", "faktura", "regnskab", "bogholderi"), "NL": ("info", "administratie", "facturen"),
            "PL": ("biuro", "faktury", "ksiegowosc"), "CZ": ("info", "fakturace", "ucetni"),
            "CH": ("info", "buchhaltung"), "US": ("info", "accounts", "billing"), "GB": ("accounts", "info"),
            "SE": ("info", "ekonomi", "faktura")}

# Second name lines (Namenszusatz).
_NAME_2 = {
    "de": ("z. Hd. Buchhaltung", "Niederlassung Nord", "Abteilung Einkauf", "Werk Süd", "Zweigniederlassung Bremen",
           "Kreditorenbuchhaltung", "c/o Müller & Partner Steuerberater"),
    "da": ("Att. Bogholderiet", "Afd. Indkøb", "Filial Aarhus", "c/o Revisionsfirmaet Bøgh"),
    "en": ("Attn. Accounts Payable", "Purchasing Department", "European Branch"),
}

_FIRST_NAMES = {
    "de": ("Jürgen", "Jörg", "Björn", "Sören", "Günther", "Käthe", "Anna-Lena", "Maximilian", "Lea", "Sophie",
           "Lukas", "Felix", "Jonas", "Leonie", "Hannah", "Marie", "Paul", "Emma", "Tobias", "Stefan", "Andreas",
           "Thomas", "Sabine", "Claudia", "Birgit", "Dörte", "Hauke", "Malte", "Frauke", "Ömer", "Zoë", "Ayşe",
           "Agnieszka", "Łukasz", "Tomáš", "Jiří", "Katharina", "Matthias", "Renée", "Jens"),
    "da": ("Søren", "Mette", "Jens", "Kirsten", "Jørgen", "Bjørn", "Åse", "Rasmus", "Freja", "Ida", "Mikkel",
           "Anders", "Mads", "Line", "Sofie", "Frederik", "Magnus", "Astrid", "Kasper", "Signe", "Nikolaj", "Trine",
           "Ærling", "Østen"),
}
_LAST_NAMES = {
    "de": _SURNAMES["DE"] + ("Nowak", "Schulte", "Vogt", "Sommer", "Kühn", "Seifert", "Brandt", "Haas"),
    "da": _SURNAMES["DK"] + ("Kjeldsen", "Dahl", "Holm", "Lund", "Frandsen", "Ærbø"),
}

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe", "å": "aa", "ł": "l",
                       "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "Æ": "Ae", "Ø": "Oe", "Å": "Aa", "Ł": "L"})


def ascii_slug(text: str, separator: str = "-") -> str:
    """Lowercase ASCII for e-mail addresses and domains (ü -> ue, ø -> oe, ř -> r)."""
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD)).encode("ascii", "ignore").decode("ascii").lower()
    words = "".join(c if c.isalnum() else " " for c in folded).split()
    return separator.join(words)


def company_name(rnd: random.Random, country: str, trade_kind: str) -> str:
    """A business name typical for `country`, trading in `trade_kind` ('customer' or a vendor category)."""
    trades = _TRADES[country]
    trade = rnd.choice(trades.get(trade_kind) or trades["customer"])
    surname = rnd.choice(_SURNAMES[country])
    legal = rnd.choice(_LEGAL_FORMS[country])
    while True:
        pattern = rnd.randint(0, 5)
        if pattern == 0:
            name = f"{surname} {trade} {legal}"
        elif pattern == 1:
            name = f"{surname} {_AND[country]} {rnd.choice(_SURNAMES[country])} {legal}"
        elif pattern == 2:
            name = f"{rnd.choice(_REGIONS[country])} {trade} {legal}"
        elif pattern == 3:
            name = f"{trade} {surname} {legal}"
        elif pattern == 4:
            name = f"{surname} {_AND[country]} {_SONS[country]} {legal}"
        else:
            name = f"{rnd.choice(_REGIONS[country])} {trade} {surname} {legal}"
        if len(name) <= MAX_NAME:
            return name


def name_2(rnd: random.Random, country: str) -> str:
    """A second name line in the partner's language."""
    language = "de" if country in ("DE", "AT", "CH") else "da" if country == "DK" else "en"
    return rnd.choice(_NAME_2[language])


def address(rnd: random.Random, country: str) -> tuple[str, str, str, str]:
    """(street with number, zip code, city, phone area code) in `country`."""
    zip_code, city, area = rnd.choice(_PLACES[country])
    street = rnd.choice(_STREETS[country])
    number = str(rnd.randint(1, 180))
    if country in ("US", "GB"):
        return f"{number} {street}", zip_code, city, area
    if rnd.random() < 0.1 and country in ("DE", "AT"):
        number += rnd.choice("abc")
    return f"{street} {number}", zip_code, city, area


def phone(rnd: random.Random, country: str, area: str) -> str:
    """A phone number in international notation."""
    if country == "DK":
        return f"+45 {area} {rnd.randint(10, 99)} {rnd.randint(10, 99)} {rnd.randint(10, 99)}"
    if country == "US":
        return f"+1 {area} {rnd.randint(200, 999)}-{rnd.randint(1000, 9999)}"
    return f"{_PHONE_PREFIX[country]} {area} {rnd.randint(100000, 9999999)}"


def domain(name: str, country: str) -> str:
    """A web domain derived from a company name."""
    words = ascii_slug(name).split("-")
    return "-".join(words[:2]) + "." + _TLD[country]


def business_email(rnd: random.Random, name: str, country: str) -> str:
    """A functional mailbox at the company's domain."""
    return f"{rnd.choice(_MAILBOX[country])}@{domain(name, country)}"


def person(rnd: random.Random, language: str) -> tuple[str, str]:
    """(first name, last name) of an employee."""
    return rnd.choice(_FIRST_NAMES[language]), rnd.choice(_LAST_NAMES[language])


def person_email(first: str, last: str, company_domain: str) -> str:
    """first.last@domain, folded to ASCII."""
    return f"{ascii_slug(first, '')}.{ascii_slug(last, '')}@{company_domain}"
