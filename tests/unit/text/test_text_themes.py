"""Themes: one id across languages, user edits validated, discovery lines clusters up."""

import pytest

from cxlens.errors import ConfigError
from cxlens.text import ThemeSet, assign_themes, discover_themes

PLANTED = {
    "billing_errors": ["I was charged twice on my bill", "تم خصم المبلغ مرتين من فاتورتي", "这个月账单重复扣费",
                       "С меня дважды списали деньги по счёту", "Mir wurde doppelt abgebucht, Rechnung falsch"],
    "network_coverage": ["No signal at my house", "لا توجد تغطية للشبكة في منزلي", "家里没有信号",
                         "Дома нет сигнала", "Zu Hause kein Netz"],
    "app_experience": ["The app keeps crashing", "التطبيق لا يعمل بعد التحديث", "app老是闪退", "Приложение постоянно вылетает",
                       "Die App stürzt ständig ab"],
    "friendly_staff": ["The agent was so friendly", "الموظف كان لطيف ومحترم", "客服态度很好", "Очень вежливый оператор",
                       "Sehr freundlicher Mitarbeiter"],
}
LANGS = ["en", "ar", "zh", "ru", "de"]


def test_arabic_and_english_billing_complaints_land_in_the_same_theme():
    got = assign_themes(["I was overcharged on my invoice", "الفاتورة فيها مبلغ خاطئ"], ["en", "ar"])
    assert "billing_errors" in got[0] and "billing_errors" in got[1]


@pytest.mark.parametrize("theme", sorted(PLANTED))
def test_planted_theme_is_found_in_all_five_languages(theme):
    got = assign_themes(PLANTED[theme], LANGS)
    assert all(theme in hits for hits in got), list(zip(PLANTED[theme], got))


def test_default_themes_cover_the_demo_themes():
    ids = set(ThemeSet.load().ids)
    assert {"billing_errors", "network_coverage", "waiting_time", "price_value", "app_experience",
            "friendly_staff", "fast_resolution", "contract_cancellation", "roaming", "store_experience"} <= ids


def test_merge_keeps_the_old_id_as_alias_and_assigns_to_the_target(tmp_path):
    merged = ThemeSet.load().merge(["waiting_time"], into="fast_resolution").rename("fast_resolution", "Speed")
    path = merged.save(tmp_path / "themes.yaml")
    again = ThemeSet.load(path)
    assert again.get("waiting_time").id == "fast_resolution" and again.get("fast_resolution").name == "Speed"
    assert "fast_resolution" in assign_themes(["Waited two hours on hold"], ["en"], again)[0]


def test_invalid_themes_file_names_the_file(tmp_path):
    path = tmp_path / "themes.yaml"
    path.write_text("themes:\n  - id: Bad Id\n  - id: ok\n  - id: ok\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="themes.yaml"):
        ThemeSet.load(path)


def test_discovery_aligns_clusters_across_languages_to_pinned_themes():
    texts, langs = [], []
    for lang_i, lang in enumerate(["en", "de"]):
        for theme in ("billing_errors", "network_coverage"):
            base = PLANTED[theme][LANGS.index(lang)]
            texts += [f"{base} {w}" for w in ("today", "again", "really", "now", "please", "ok", "help", "still")]
            langs += [lang] * 8
    found = discover_themes(texts, langs, per_language_k=2, min_size=4)
    aligned = {(d.language, d.aligned_to) for d in found}
    assert {("en", "billing_errors"), ("de", "billing_errors"), ("en", "network_coverage"), ("de", "network_coverage")} <= aligned


def test_english_keywords_reach_a_german_text_only_for_themes_without_german_ones():
    from cxlens.text.themes import Theme

    # "fast" is German for "almost", "Fee" a fairy: fast resolution and price have German keywords, so no false friends
    assert assign_themes(["Ich hätte fast aufgelegt. Die Fee im Märchen."], ["de"]) == [[]]
    # a user's theme with English keywords only still finds its loanword in German
    themes = ThemeSet.load().add(Theme(id="esim", keywords={"en": ["esim"]}))
    assert assign_themes(["Die eSIM lässt sich nicht aktivieren."], ["de"], themes) == [["esim"]]
    # English words inside Arabic are code-switching: every theme's English keywords apply
    assert "billing_errors" in assign_themes(["تم charged twice هذا الشهر"], ["ar"])[0]


def test_an_arabic_keyword_does_not_match_inside_another_word():
    # "السريع" in "الطريق السريع" (the highway) is not fast service; "حل سريع" (a quick fix) is
    got = assign_themes(["المكالمات تنقطع على الطريق السريع", "كان هناك حل سريع للمشكلة"], ["ar", "ar"])
    assert "fast_resolution" not in got[0] and "network_coverage" in got[0]
    assert "fast_resolution" in got[1]
