"""The page's words in Indonesian (the default: the city's officers and residents read it) and English.

Only labels live here; place names are Kemendagri's, the same in both
languages (``Kec. Wua-Wua``, ``Wua-Wua district``), and come with the
snapshot. Numbers and dates are formatted in the browser with
the language's locale (``id-ID`` writes Rp 302.400.000, ``en-US``
Rp 302,400,000). Pick a language with ``?lang=en``; anything else is
Indonesian.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Literal

from models.occupations import Occupation

__all__ = ["LANGUAGES", "Language", "labels", "language"]

Language = Literal["id", "en"]
LANGUAGES: tuple[Language, ...] = ("id", "en")

_TEXT: dict[str, tuple[str, str]] = {
    # key: (Indonesian, English)
    "locale": ("id-ID", "en-US"),
    "title": ("Jaring · Dasbor kota", "Jaring · City dashboard"),
    "heading": ("Perlindungan pekerja informal", "Cover for informal workers"),
    "subtitle": (
        "Iuran BPJS Ketenagakerjaan (JKK + JKM) dibayar dari dana CSR",
        "BPJS Ketenagakerjaan premiums (JKK + JKM) paid from CSR pledges",
    ),
    "switch_label": ("English", "Bahasa Indonesia"),
    "region": ("Wilayah", "Region"),
    "period": ("Bulan berjalan", "Current month"),
    "live": ("Langsung", "Live"),
    "offline": ("Terputus, menyambung ulang…", "Disconnected, reconnecting…"),
    "events": ("peristiwa", "events"),
    "covered": ("Terlindungi", "Covered"),
    "waiting": ("Menunggu", "Waiting"),
    "ever_covered": ("Pernah terlindungi", "Ever covered"),
    "rejected": ("Ditolak", "Rejected"),
    "registering": ("Menunggu registrasi BPJS", "Awaiting BPJS registration"),
    "lapsed": ("Kepesertaan putus", "Lapsed"),
    "withdrawn": ("Keluar program", "Left the programme"),
    "claims_jkm": ("Klaim JKM (meninggal)", "JKM claims (deaths)"),
    "claims_jkk": ("Klaim JKK (kecelakaan)", "JKK claims (accidents)"),
    "money_by_state": ("Tagihan iuran dan pembayarannya", "Premium bills and what was paid"),
    "billed": ("Ditagih", "Billed"),
    "due": ("Belum jatuh tempo", "Billed, not yet due"),
    "arrears": ("Tunggakan", "In arrears"),
    "written_off": ("Dihapus (kepesertaan putus)", "Written off (lapsed)"),
    "refunds_owed": ("Wajib dikembalikan ke pembayar", "Refunds owed to payers"),
    "refunded": ("Sudah dikembalikan", "Refunded"),
    "payer": ("Pembayar", "Payer"),
    "by_district": ("Menurut kecamatan", "By district"),
    "by_occupation": ("Menurut pekerjaan", "By occupation"),
    "district": ("Kec. {name}", "{name} district"),  # a name from Kemendagri's table, same in both
    "regions": ("Wilayah yang dilayani", "Regions served"),
    "people_over_time": ("Pekerja per bulan", "Workers by month"),
    "money_over_time": ("Dana per bulan", "Money by month"),
    "runway_over_time": ("Sisa masa bayar", "Runway"),
    "runway": ("Sisa masa bayar", "Runway"),
    "months_unit": ("bln", "mo"),
    "pledged": ("Dijanjikan", "Pledged"),
    "committed": ("Terikat", "Committed"),
    "paid": ("Dibayar", "Paid"),
    "remaining": ("Sisa", "Remaining"),
    "returned": ("Dikembalikan", "Returned"),
    "sponsors": ("Sponsor dan janji dana", "Sponsors and pledges"),
    "sponsor": ("Sponsor", "Sponsor"),
    "pledge": ("Janji dana", "Pledge"),
    "seats": ("Kursi terisi", "Seats filled"),
    "status": ("Status", "Status"),
    "status_accepted": ("Aktif", "Open"),
    "status_exhausted": ("Penuh", "Full"),
    "status_expired": ("Berakhir", "Expired"),
    "status_rejected": ("Ditolak", "Rejected"),
    "recent": ("Aktivasi terbaru", "Recent activations"),
    "fairness": ("Pemerataan: cakupan dibanding kebutuhan", "Fairness: coverage against need"),
    "fairness_lede": (
        "Bagian tiap kelompok di antara pekerja yang terlindungi dibanding bagiannya di antara pekerja "
        "yang layak (memenuhi syarat), akhir {month}. Rasio cakupan 1 berarti setara dengan wilayah.",
        "Each group's share of the covered workers against its share of the eligible ones, end of "
        "{month}. A coverage ratio of 1 is the region's own rate.",
    ),
    "dim_district": ("Kecamatan", "District"),
    "dim_occupation": ("Pekerjaan", "Occupation"),
    "dim_sex": ("Jenis kelamin", "Sex"),
    "dim_decile": ("Desil kesejahteraan", "Welfare decile"),
    "dim_disability": ("Disabilitas", "Disability"),
    "group": ("Kelompok", "Group"),
    "eligible": ("Layak", "Eligible"),
    "share_eligible": ("% layak", "% of eligible"),
    "share_covered": ("% terlindungi", "% of covered"),
    "gap": ("Selisih (poin)", "Gap (points)"),
    "ratio": ("Rasio", "Ratio"),
    "sex_F": ("Perempuan", "Women"),
    "sex_M": ("Laki-laki", "Men"),
    "unknown": ("Tidak diketahui", "Unknown"),
    "decile_n": ("Desil {n}", "Decile {n}"),
    "disability_yes": ("Penyandang disabilitas", "With a disability"),
    "disability_no": ("Tanpa disabilitas", "Without a disability"),
    "merged_row": ("Kelompok kecil digabung", "Small groups combined"),
    "merged_cell": ("Digabung ke kelompok kecil", "Combined into the small groups"),
    "min_cell_note": (
        "Angka di bawah {n} orang digabung agar tidak ada yang dapat dikenali; jumlah total tetap tepat.",
        "Counts under {n} people are combined so that nobody can be recognised; totals stay exact.",
    ),
    "worker": ("Pekerja", "Worker"),
    "new_cover": ("baru", "new"),
    "renewal": ("perpanjangan", "renewal"),
    "term": ("masa ke-", "term "),
    "empty": ("Belum ada data", "No data yet"),
    "privacy": (
        "Tidak ada pekerja yang ditampilkan satu per satu; NIK dan nama tidak pernah keluar dari "
        "pendaftaran.",
        "No worker is shown one by one; NIK and name never leave enrolment.",
    ),
}

_OCCUPATIONS: dict[Occupation, tuple[str, str]] = {
    Occupation.FISHER: ("Nelayan", "Fisher"),
    Occupation.CONSTRUCTION_WORKER: ("Buruh bangunan", "Construction worker"),
    Occupation.OJEK_DRIVER: ("Pengemudi ojek", "Ojek driver"),
    Occupation.PARKING_ATTENDANT: ("Juru parkir", "Parking attendant"),
    Occupation.STREET_VENDOR: ("Pedagang kaki lima", "Street vendor"),
    Occupation.FOOD_SELLER: ("Penjual makanan keliling", "Mobile food seller"),
    Occupation.FARMER: ("Petani", "Farmer"),
    Occupation.TAILOR: ("Penjahit", "Tailor"),
    Occupation.ARTIST: ("Seniman", "Artist"),
    Occupation.OTHER: ("Lainnya", "Other"),
}


def language(requested: str | None) -> Language:
    """``"en"`` on request; Indonesian otherwise."""
    return "en" if (requested or "").strip().lower() == "en" else "id"


def _build(index: int) -> MappingProxyType[str, object]:
    text = {key: pair[index] for key, pair in _TEXT.items()}
    occupations = {str(job): pair[index] for job, pair in _OCCUPATIONS.items()}
    return MappingProxyType({**text, "occupations": occupations})


_LABELS = {lang: _build(i) for i, lang in enumerate(LANGUAGES)}


def labels(lang: Language) -> MappingProxyType[str, object]:
    """Every label of the page in one language, occupations under ``"occupations"``."""
    return _LABELS[lang]
