"""Each matcher mechanism on its own: a test here fails when the mechanism is removed or inverted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

import guard
from guard.data import data_dir
from guard.errors import RuleFileError
from guard.text.lexicon import ALL_PLATFORMS, Entry, Lexicon, bundled_lexicon
from guard.text.matcher import Matcher
from guard.text.normalise import normalise_term
from guard.text.referent import CLAUSE_REACH, Referents, load_referents
from guard.text.segment import Segmenter
from guard.text.senses import load_senses


def _entry(term: str, mode: str = "word", family: str = "absolute") -> Entry:
    return Entry(term=term, family=family, tier="general", mode=mode, note="n", rewrites=("r",),
                 allowed_categories=frozenset(), platforms=frozenset(ALL_PLATFORMS), cite=())


class FixedSegmenter:
    """Token boundaries given by the test, so each side of the boundary check is seen alone."""

    def __init__(self, boundaries: dict[str, set[int]]) -> None:
        self._boundaries = boundaries

    def boundaries(self, block: str) -> frozenset[int]:
        return frozenset(self._boundaries[block])


def _matcher(term: str, boundaries: dict[str, set[int]], mode: str = "word") -> Matcher:
    lexicon = Lexicon({term: _entry(term, mode)}, ())
    return Matcher(lexicon, segmenter=FixedSegmenter(boundaries), pinyin=False)  # type: ignore[arg-type]


def test_word_hit_on_both_boundaries_is_kept() -> None:
    assert [(h.start, h.end) for h in _matcher("最好", {"甲最好乙": {0, 1, 3, 4}}).scan("甲最好乙")] == [(1, 3)]


def test_word_hit_whose_start_is_inside_a_token_is_dropped() -> None:
    # end on a boundary, start inside the token 甲最: only the start check can refuse it
    assert _matcher("最好", {"甲最好乙": {0, 2, 3, 4}}).scan("甲最好乙") == []


def test_word_hit_whose_end_is_inside_a_token_is_dropped() -> None:
    # start on a boundary, end inside the token 好乙: only the end check can refuse it
    assert _matcher("最好", {"甲最好乙": {0, 1, 4}}).scan("甲最好乙") == []


def test_prefix_hit_needs_only_its_start_on_a_boundary() -> None:
    assert [(h.start, h.end) for h in _matcher("最好", {"甲最好乙": {0, 1, 4}}, "prefix").scan("甲最好乙")] == [(1, 3)]
    assert _matcher("最好", {"甲最好乙": {0, 2, 4}}, "prefix").scan("甲最好乙") == []


def test_substring_hit_needs_no_boundary() -> None:
    assert len(_matcher("最好", {"甲最好乙": {0, 4}}, "substring").scan("甲最好乙")) == 1


def test_real_segmentation_keeps_a_claim_that_jieba_joins_into_one_token() -> None:
    findings = guard.lint("这款面霜天下无敌。", platform="douyin")
    assert [(f.rule, f.matched) for f in findings] == [("CONTENT-001", "天下无敌")]


def test_real_segmentation_drops_a_term_inside_a_longer_word() -> None:
    assert guard.lint("最近到货的新款。", platform="douyin").findings == ()


REVIEWED_HIDING_WORDS = Path(__file__).parent / "corpus" / "jieba_hidden_reviewed.tsv"
_CHAPTER = re.compile(r"第[一二三四五六七八九十零百千]+回?")  # 第一一七回: chapter numbers, not words


def _words_hiding_a_term(matcher: Matcher, terms: set[str]) -> dict[str, str]:
    """Every jieba dictionary word that begins or ends with a word-mode term, is not a term itself, and in
    which the matcher finds nothing: the term inside it never meets a word boundary."""
    import jieba

    jieba.initialize()
    hidden: dict[str, str] = {}
    for word, freq in jieba.dt.FREQ.items():
        if freq <= 0 or len(word) < 2 or word in terms or _CHAPTER.fullmatch(word):
            continue
        for k in range(1, min(len(word), 6)):
            for term in (word[:k], word[-k:]):
                if term in terms and word not in hidden and not matcher.scan(f"这款{word}。"):
                    hidden[word] = term
    return hidden


def test_every_jieba_word_that_hides_a_term_was_reviewed() -> None:
    """A word jieba keeps whole (最合适, 信誉第一, 消肿止痛) hides the term inside it. Each such word of
    jieba's dictionary is a term itself or is listed, with the reason it is not a claim, in
    tests/corpus/jieba_hidden_reviewed.tsv; a new jieba or a new term shows up here."""
    lexicon = bundled_lexicon()
    terms = {term for term, entry in lexicon.entries.items() if entry.mode == "word"}
    hidden = _words_hiding_a_term(Matcher(lexicon, pinyin=False), terms)
    reviewed = {}
    for line in REVIEWED_HIDING_WORDS.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            word, term, reason = line.split("\t")
            assert reason, word
            reviewed[word] = term
    assert len(hidden) > 500  # the dictionary was read
    assert sorted(set(hidden) - set(reviewed)) == []
    assert sorted(set(reviewed) - set(hidden)) == []  # a listed word that no longer hides a term is stale
    matcher = Matcher(lexicon, pinyin=False)
    for claim in ("最合适", "信誉第一", "消肿止痛", "手机号码"):  # terms because jieba keeps them whole
        assert [h.entry.term for h in matcher.scan(f"这款{claim}。")] == [claim]


def test_pinyin_spellings_are_matched_only_when_enabled() -> None:
    lexicon = Lexicon({"最好": _entry("最好", "substring")}, ())
    segmenter = FixedSegmenter({})
    assert [h.entry.term for h in Matcher(lexicon, segmenter=segmenter).scan("效果zui好")] == ["最好"]  # type: ignore[arg-type]
    assert Matcher(lexicon, segmenter=segmenter, pinyin=False).scan("效果zui好") == []  # type: ignore[arg-type]


def test_pinyin_spelling_inside_a_latin_word_is_no_hit() -> None:
    lexicon = Lexicon({"第一": _entry("第一", "substring")}, ())
    matcher = Matcher(lexicon, segmenter=FixedSegmenter({}))  # type: ignore[arg-type]
    assert [h.entry.term for h in matcher.scan("排名diyi")] == ["第一"]
    assert matcher.scan("audiyields") == []


def test_a_drop_sense_removes_the_hit_and_an_info_sense_keeps_it_as_advice() -> None:
    dropped = guard.lint("我最怕起球。", platform="douyin")
    assert dropped.findings == ()
    advised = guard.lint("他拿了冠军奖杯。", platform="douyin")
    assert [(f.rule, f.tier, f.matched) for f in advised] == [("CONTENT-012", "info", "冠军")]


def test_senses_are_what_drops_harmless_uses() -> None:
    lexicon = guard.text.lexicon.bundled_lexicon()
    without = Matcher(lexicon, senses=(), pinyin=False)
    with_senses = Matcher(lexicon, senses=load_senses(), pinyin=False)
    for text, term in (("我最怕起球。", "最"), ("它最大的特点是轻。", "最大"), ("唯一的区别是颜色。", "唯一")):
        assert [h.entry.term for h in without.scan(text)] == [term]
        assert with_senses.scan(text) == []


def test_pattern_entries_match_claims_no_word_list_enumerates() -> None:
    findings = guard.lint("坚持喝，14天瘦8斤。", platform="douyin")
    assert [(f.rule, f.matched) for f in findings] == [("CONTENT-010", "14天瘦8斤")]


@pytest.mark.parametrize("body, message", [
    ("entries: [{id: S, kind: feeling, verdict: drop, after: x, reason: {zh: a, en: b}}]", "terms or families"),
    ("entries: [{id: S, kind: mood, verdict: drop, terms: [最], after: x, reason: {zh: a, en: b}}]", "kind must be"),
    ("entries: [{id: S, kind: feeling, verdict: drop, terms: [最], reason: {zh: a, en: b}}]", "before"),
    ("entries: [{id: S, kind: feeling, verdict: drop, terms: [最], after: '(', reason: {zh: a, en: b}}]", "bad pattern"),
])
def test_sense_file_mistakes_are_load_errors(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "senses.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(RuleFileError, match=message):
        load_senses(path)


def test_a_claim_sense_keeps_a_violation_that_a_catch_all_sense_would_downgrade() -> None:
    claim = guard.lint("这是全网唯一一款双层面料的。", platform="douyin")
    assert [(f.rule, f.tier) for f in claim] == [("CONTENT-001", "general")]
    narrated = guard.lint("唯一一位没来的是小王。", platform="douyin")
    assert [(f.rule, f.tier) for f in narrated] == [("CONTENT-012", "info")]


class SpySegmenter:
    """The real segmenter, recording what it is asked to tag."""

    def __init__(self) -> None:
        self._real = Segmenter()
        self.tagged: list[str] = []

    def boundaries(self, block: str) -> frozenset[int]:
        return self._real.boundaries(block)

    def tags(self, text: str) -> tuple[tuple[str, str], ...]:
        self.tagged.append(text)
        return self._real.tags(text)


def _referent_matcher(*terms: str, referents: Referents | None = None, family: str = "absolute",
                      segmenter: Segmenter | SpySegmenter | None = None) -> Matcher:
    lexicon = Lexicon({t: _entry(t, family=family) for t in terms}, ())
    return Matcher(lexicon, segmenter=segmenter, pinyin=False,  # type: ignore[arg-type]
                   referents=referents if referents is not None else load_referents())


def _decisions(matcher: Matcher, text: str) -> list[tuple[str, str | None]]:
    return [(text[h.start:h.end], h.sense.id if h.sense else None) for h in matcher.scan(text)]


@pytest.mark.parametrize("text, decision", [
    ("老城区最大的公园就在隔壁。", ("最大", "REFERENT-PLACE")),
    ("这是最大的一款收纳箱。", ("最大", None)),
    ("几位顶尖演员今晚都会到场。", ("顶尖", "REFERENT-PERSON")),
    ("几款顶尖面霜今晚都会上架。", ("顶尖", None)),
    ("腊月是一年里最忙碌的时期。", ("最", "REFERENT-TIME")),
    ("最柔软的是这条围巾。", ("最", None)),
    ("最寒碜的是外包装。", ("最", "REFERENT-COMPLAINT")),
    ("买之前最好对照一下尺码表。", ("最好", "REFERENT-ADVICE")),
    ("这件是最好的。", ("最好", None)),
    ("质量最好也耐用。", ("最好", None)),
    ("号称最好的面霜，其实用着一般。", ("最好", "REFERENT-REPORTED")),
    ("号称最好的面霜，用着很滋润。", ("最好", None)),
    ("我认为是最好的面霜，但是有点贵。", ("最好", None)),
])
def test_an_absolute_hit_about_something_other_than_the_goods_is_advice(text: str,
                                                                        decision: tuple[str, str | None]) -> None:
    assert _decisions(_referent_matcher("最", "最大", "最好", "顶尖"), text) == [decision]


def test_without_referents_a_hit_about_a_place_is_a_claim() -> None:
    lexicon = Lexicon({"最大": _entry("最大")}, ())
    assert _decisions(Matcher(lexicon, pinyin=False), "老城区最大的公园就在隔壁。") == [("最大", None)]


def test_words_that_show_the_goods_keep_the_claim_beside_a_non_goods_head() -> None:
    matcher = _referent_matcher("最大")
    assert _decisions(matcher, "这款是老城区最大的公园里卖的。") == [("最大", None)]
    assert _decisions(matcher, "老城区最大的公园里卖的。") == [("最大", "REFERENT-PLACE")]


def test_a_third_person_subject_makes_a_predicate_about_a_person_but_their_shop_is_the_goods() -> None:
    matcher = _referent_matcher("家喻户晓")
    assert _decisions(matcher, "他在我们那儿家喻户晓。") == [("家喻户晓", "REFERENT-PERSON")]
    assert _decisions(matcher, "他们家在本地家喻户晓。") == [("家喻户晓", None)]
    assert _decisions(matcher, "这个牌子家喻户晓。") == [("家喻户晓", None)]


@pytest.mark.parametrize("text, decision", [
    ("公安系统的责任最大。", ("最大", "REFERENT-ABSTRACT")),
    ("课题组里老张年纪最大。", ("最大", "REFERENT-PERSON")),
    ("农忙时节劳作最辛苦。", ("最", "REFERENT-ABSTRACT")),
    ("入冬以来气温最低。", ("最低", "REFERENT-NATURE")),
    ("入冬以来价格最低。", ("最低", None)),  # a goods subject
    ("课题组里这台仪器精度最高。", ("最高", None)),  # a goods noun before the hit
    ("这两年销量全省最高。", ("最高", None)),  # 全省 is the scope, 销量 the subject
    ("让孩子最安全。", ("最", None)),  # 孩子 is the object of 让; the goods are the hidden subject
    ("医生最推荐。", ("最", None)),  # a verb's subject is its agent, not what the claim describes
])
def test_an_adjective_predicate_without_a_head_is_judged_by_its_subject(
        text: str, decision: tuple[str, str | None]) -> None:
    assert _decisions(_referent_matcher("最", "最大", "最低", "最高"), text) == [decision]


def test_goods_before_a_copula_keep_a_claim_whose_head_is_a_metaphor() -> None:
    matcher = _referent_matcher("最好")
    assert _decisions(matcher, "熬夜党最好的伙伴今晚来了。") == [("最好", "REFERENT-PERSON")]
    assert _decisions(matcher, "面膜是熬夜党最好的伙伴。") == [("最好", None)]


def test_referents_apply_only_to_their_families() -> None:
    assert _decisions(_referent_matcher("最大", family="unverifiable"), "老城区最大的公园就在隔壁。") == [("最大", None)]


def test_parts_of_speech_are_computed_on_the_hit_clause_only() -> None:
    spy = SpySegmenter()
    matcher = _referent_matcher("最大", segmenter=spy)
    filler = "今天天气不错大家早上好" * 30
    assert matcher.scan(filler) == []
    assert spy.tagged == []  # no candidate: nothing is tagged
    text = filler + "老城区最大的公园就在隔壁" + filler
    assert _decisions(matcher, text) == [("最大", "REFERENT-PLACE")]
    assert spy.tagged and all(len(piece) <= CLAUSE_REACH and piece in text for piece in spy.tagged)


def test_the_tagger_reuses_the_word_tag_table_that_importing_jieba_posseg_builds() -> None:
    # reading jieba's dictionary into a second word-tag table costs every run about half a second
    from jieba import posseg

    segmenter = Segmenter()
    assert segmenter.tags("最大的公园") == (("最大", "a"), ("的", "uj"), ("公园", "n"))
    assert segmenter._tagger is posseg.dt


@pytest.mark.parametrize("body, message", [
    ("heads: []\nadvice: {id: A, reason: {zh: a, en: b}}\nreported: {id: R, reason: {zh: a, en: b}}", "complaint"),
    ("complaint: {id: C}\nadvice: {id: A, reason: {zh: a, en: b}}\nreported: {id: R, reason: {zh: a, en: b}}", "zh"),
])
def test_referent_file_mistakes_are_load_errors(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "referents.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(RuleFileError, match=message):
        load_referents(path)


def test_referent_word_classes_are_normalised_and_disjoint_from_the_goods() -> None:
    raw = yaml.safe_load((data_dir("lexicons") / "referents.yaml").read_text(encoding="utf-8"))
    goods = set(raw["goods"]["words"])
    for word_class in raw["heads"]:
        words = word_class.get("words") or []
        assert all(normalise_term(w) == w for w in words), word_class["id"]
        assert not goods & set(words), (word_class["id"], goods & set(words))
    referents = load_referents()
    assert referents is not None
    ids = [sense.id for sense in referents.senses()]
    assert len(ids) == len(set(ids)) and all(sense.verdict == "info" for sense in referents.senses())


# A pattern's exclusions, each next to the claim it must still catch. Fixture `ok` lines must hold a
# lexicon term, and these hold none, so they are tested here.
@pytest.mark.parametrize("claim, harmless", [
    ("这款洗发水能治脱发", "这个问题不能治标不治本"),
    ("这个鱼油能预防老年痴呆", "这件毛衣能预防起球的毛病"),
    ("下单就送iPhone", "下单就送手机壳"),
    ("今天不买明天就涨价十倍", "明天就涨价了，活动到今晚十二点"),
    ("这款蓝牙耳机音质是天花板", "这款吸顶灯装在天花板上很好看"),
    ("某某品牌的面霜含激素，千万别买", "我们家的面霜不含激素，孕妈也能用"),
    ("私聊我，给你改价", "有问题私信客服，价格以链接为准"),
    ("用了保证不长痘", "用了不满意可以七天无理由退"),
    ("这个床垫治腰椎间盘突出", "惩前毖后，治病救人"),
    ("这个按摩仪治颈椎病", "老毛病了，治不好的病就别折腾"),
    ("跟官方一样，便宜一半", "跟官方一样的售后"),
    ("别家的橙子都是打了药的", "别家的橙子也很甜"),
    ("这个魔芋爽吃了刮油", "这个魔芋爽口感很爽"),
    ("抑菌率达到99%", "有效成分含量30%"),
    ("仅剩最后3件", "仅剩的时间不多了"),
    ("喝三个月血糖恢复正常", "血糖高的朋友请遵医嘱"),
])
def test_a_pattern_catches_its_claim_and_not_its_near_miss(claim: str, harmless: str) -> None:
    assert guard.lint(claim, platform="douyin").findings, claim
    assert guard.lint(harmless, platform="douyin").findings == (), harmless


def test_a_referent_judgement_is_remembered_by_its_window() -> None:
    spy = SpySegmenter()
    matcher = _referent_matcher("最大", segmenter=spy)
    text = "老城区最大的公园就在隔壁。"
    assert _decisions(matcher, text) == [("最大", "REFERENT-PLACE")]
    asked = len(spy.tagged)
    assert asked > 0
    assert _decisions(matcher, text) == [("最大", "REFERENT-PLACE")]  # the same window: not asked again
    assert len(spy.tagged) == asked
    assert _decisions(matcher, "老城区最大的广场就在隔壁。") == [("最大", "REFERENT-PLACE")]  # another window: asked
    assert len(spy.tagged) > asked


def test_judging_the_window_alone_gives_the_whole_line_s_answer() -> None:
    """The memo judges only SENTENCE_REACH (+1) characters on each side of a hit: every referent fixture
    line, padded far beyond that reach on both sides, is judged alike both ways."""
    from guard.text.referent import SENTENCE_REACH

    referents = load_referents()
    assert referents is not None
    segmenter = Segmenter()
    pad = "今天天气不错大家早上好" * 8
    lines = [line for line in (Path(__file__).parent / "fixtures" / "lint" / "referents.txt").read_text(
        encoding="utf-8").splitlines() if line and not line.startswith("#")]
    judged = 0
    for body in lines:
        line = pad + "，" + body + "，" + pad
        for term in ("最大", "最好", "最", "顶尖", "最低", "最高", "全球最", "家喻户晓", "全网最低价"):
            at = line.find(term, len(pad))
            if at < 0:
                continue
            end = at + len(term)
            low, high = max(0, at - SENTENCE_REACH - 1), min(len(line), end + SENTENCE_REACH + 1)
            whole = referents.judge(line, at, end, term, segmenter)
            window = referents.judge(line[low:high], at - low, end - low, term, segmenter)
            assert whole == window, (body, term)
            judged += 1
    assert judged > 20


def test_a_hit_s_end_block_is_the_block_a_second_walk_finds() -> None:
    """_Blocks.at_end reuses the start's block only where at(end - 1) finds that same block: runs of
    block characters shorter and longer than the reach on either side, cut by punctuation or not."""
    from guard.text.matcher import _BLOCK_REACH, _Blocks

    run = "今天天气不错大家早上好最好的面霜"
    texts = [run * k for k in (1, 8, 20)] + [(run + "，") * 20, (run * 9 + "，") * 3,
                                             "ab" + run * 10 + "。" + run, run * 16 + "x"]
    assert any(len(t) > 2 * _BLOCK_REACH for t in texts)
    checked = 0
    for text in texts:
        blocks = _Blocks(text)
        for start in range(len(text)):
            found = blocks.at(start)
            if found[1] is None:
                continue
            for end in range(start + 1, min(len(text), start + 6) + 1):
                assert blocks.at_end(start, end, found) == blocks.at(end - 1), (len(text), start, end)
                checked += 1
    assert checked > 5000
