"""Common given and family names per demo language, in the language's own script with their Latin spellings.

Each entry is `(native, latin, latin_other)`: `latin` is the usual English-language transliteration
(BGN/PCGN-style for Russian, the common Levantine/Gulf spelling for Arabic, Hanyu Pinyin for Chinese) and
`latin_other` a second scheme people also use (German Duden transcription for Russian, the Egyptian/French
spelling for Arabic, Wade-Giles as written in Taiwanese passports for Chinese). English and German names are
Latin already; German's other spelling is the ASCII one (ü -> ue, ß -> ss) that e-mail addresses use.
Gender is not modelled: a customer's given and family names are drawn independently.
"""

from __future__ import annotations

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})


def ascii_german(name: str) -> str:
    """`Jürgen Müller` -> `Juergen Mueller`: how German names are written without umlauts."""
    return name.translate(_UMLAUTS)


def _latin(names: tuple[str, ...]) -> tuple[tuple[str, str, str], ...]:
    return tuple((n, n, n) for n in names)


def _german(names: tuple[str, ...]) -> tuple[tuple[str, str, str], ...]:
    return tuple((n, n, ascii_german(n)) for n in names)


GIVEN: dict[str, tuple[tuple[str, str, str], ...]] = {
    "en": _latin(("James", "Oliver", "Harry", "George", "Jack", "Thomas", "William", "Charlie", "Daniel", "Samuel",
                  "Emily", "Olivia", "Amelia", "Sophie", "Jessica", "Charlotte", "Grace", "Hannah", "Lucy", "Chloe")),
    "de": _german(("Lukas", "Jürgen", "Jörg", "Günter", "Björn", "Sören", "Uwe", "Felix", "Jonas", "Maximilian",
                   "Anna", "Lena", "Jutta", "Marie", "Käthe", "Heike", "Sabine", "Ursula", "Katrin", "Bärbel")),
    "ru": (
        ("Александр", "Aleksandr", "Alexander"), ("Дмитрий", "Dmitriy", "Dmitri"), ("Сергей", "Sergey", "Sergej"),
        ("Андрей", "Andrey", "Andrej"), ("Алексей", "Aleksey", "Alexej"), ("Максим", "Maksim", "Maxim"),
        ("Иван", "Ivan", "Iwan"), ("Михаил", "Mikhail", "Michail"), ("Николай", "Nikolay", "Nikolai"),
        ("Евгений", "Yevgeniy", "Jewgeni"), ("Ольга", "Olga", "Olga"), ("Елена", "Yelena", "Jelena"),
        ("Татьяна", "Tatyana", "Tatjana"), ("Наталья", "Natalya", "Natalja"), ("Ирина", "Irina", "Irina"),
        ("Анна", "Anna", "Anna"), ("Мария", "Mariya", "Marija"), ("Екатерина", "Yekaterina", "Jekaterina"),
        ("Юлия", "Yuliya", "Julija"), ("Светлана", "Svetlana", "Swetlana"),
    ),
    "ar": (
        ("محمد", "Mohammed", "Muhammad"), ("أحمد", "Ahmed", "Ahmad"), ("علي", "Ali", "Aly"), ("عمر", "Omar", "Umar"),
        ("خالد", "Khaled", "Khalid"), ("يوسف", "Youssef", "Yusuf"), ("إبراهيم", "Ibrahim", "Ebrahim"),
        ("حسن", "Hassan", "Hasan"), ("مصطفى", "Mostafa", "Mustafa"), ("كريم", "Karim", "Kareem"),
        ("فاطمة", "Fatima", "Fatma"), ("عائشة", "Aisha", "Aicha"), ("مريم", "Maryam", "Mariam"),
        ("نور", "Nour", "Noor"), ("ليلى", "Layla", "Leila"), ("سارة", "Sara", "Sarah"), ("زينب", "Zainab", "Zeinab"),
        ("هدى", "Huda", "Hoda"), ("رانيا", "Rania", "Ranya"), ("سلمى", "Salma", "Selma"),
    ),
    "zh": (
        ("伟", "Wei", "Wei"), ("芳", "Fang", "Fang"), ("秀英", "Xiuying", "Hsiu-ying"), ("敏", "Min", "Min"),
        ("静", "Jing", "Ching"), ("丽", "Li", "Li"), ("强", "Qiang", "Chiang"), ("磊", "Lei", "Lei"),
        ("军", "Jun", "Chun"), ("洋", "Yang", "Yang"), ("勇", "Yong", "Yung"), ("艳", "Yan", "Yen"),
        ("杰", "Jie", "Chieh"), ("涛", "Tao", "Tao"), ("明", "Ming", "Ming"), ("超", "Chao", "Chao"),
        ("志强", "Zhiqiang", "Chih-chiang"), ("建华", "Jianhua", "Chien-hua"), ("晓明", "Xiaoming", "Hsiao-ming"),
        ("海燕", "Haiyan", "Hai-yen"),
    ),
}

FAMILY: dict[str, tuple[tuple[str, str, str], ...]] = {
    "en": _latin(("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
                  "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson",
                  "Clarke", "O'Brien", "Hughes")),
    "de": _german(("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
                   "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
                   "Krüger", "Weiß", "Groß", "Köhler")),
    "ru": (
        ("Иванов", "Ivanov", "Iwanow"), ("Смирнов", "Smirnov", "Smirnow"), ("Кузнецов", "Kuznetsov", "Kusnezow"),
        ("Попов", "Popov", "Popow"), ("Васильев", "Vasilyev", "Wassiljew"), ("Петров", "Petrov", "Petrow"),
        ("Соколов", "Sokolov", "Sokolow"), ("Михайлов", "Mikhaylov", "Michailow"), ("Новиков", "Novikov", "Nowikow"),
        ("Фёдоров", "Fyodorov", "Fjodorow"), ("Морозов", "Morozov", "Morosow"), ("Волков", "Volkov", "Wolkow"),
        ("Алексеев", "Alekseyev", "Alexejew"), ("Лебедев", "Lebedev", "Lebedew"), ("Семёнов", "Semyonov", "Semjonow"),
        ("Егоров", "Yegorov", "Jegorow"), ("Павлов", "Pavlov", "Pawlow"), ("Козлов", "Kozlov", "Koslow"),
        ("Степанов", "Stepanov", "Stepanow"), ("Николаев", "Nikolayev", "Nikolajew"), ("Орлов", "Orlov", "Orlow"),
        ("Зайцев", "Zaytsev", "Saizew"),
    ),
    "ar": (
        ("الأحمد", "Al-Ahmad", "El Ahmed"), ("الحسن", "Al-Hassan", "El Hassan"), ("العلي", "Al-Ali", "El Aly"),
        ("الخطيب", "Al-Khatib", "El Khatib"), ("حداد", "Haddad", "Hadad"), ("منصور", "Mansour", "Mansur"),
        ("سليمان", "Suleiman", "Soliman"), ("عبدالله", "Abdullah", "Abdallah"), ("النجار", "Al-Najjar", "El Naggar"),
        ("الشامي", "Al-Shami", "El Chami"), ("صالح", "Saleh", "Salih"), ("يوسف", "Youssef", "Yousef"),
        ("حسين", "Hussein", "Hussain"), ("قاسم", "Kassem", "Qasim"), ("الرفاعي", "Al-Rifai", "El Refaei"),
        ("عثمان", "Othman", "Osman"), ("الزين", "Al-Zein", "El Zein"), ("خليل", "Khalil", "Khaleel"),
        ("جابر", "Jaber", "Gaber"), ("المصري", "Al-Masri", "El Masry"), ("درويش", "Darwish", "Darwiche"),
        ("ناصر", "Nasser", "Nasir"),
    ),
    "zh": (
        ("王", "Wang", "Wang"), ("李", "Li", "Lee"), ("张", "Zhang", "Chang"), ("刘", "Liu", "Liu"),
        ("陈", "Chen", "Chen"), ("杨", "Yang", "Yang"), ("黄", "Huang", "Huang"), ("赵", "Zhao", "Chao"),
        ("周", "Zhou", "Chou"), ("吴", "Wu", "Wu"), ("徐", "Xu", "Hsu"), ("孙", "Sun", "Sun"), ("马", "Ma", "Ma"),
        ("朱", "Zhu", "Chu"), ("胡", "Hu", "Hu"), ("郭", "Guo", "Kuo"), ("林", "Lin", "Lin"), ("何", "He", "Ho"),
        ("高", "Gao", "Kao"), ("罗", "Luo", "Lo"), ("郑", "Zheng", "Cheng"), ("谢", "Xie", "Hsieh"),
    ),
}

NON_LATIN = ("ar", "ru", "zh")  # languages whose names are written in their own script in the CRM


def full_name(language: str, given: str, family: str) -> str:
    """A name as the CRM holds it: Chinese family name first without a space, the others `given family`."""
    return f"{family}{given}" if language == "zh" else f"{given} {family}"
