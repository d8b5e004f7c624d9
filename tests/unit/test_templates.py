"""Template rules: placeholders vs declarations, opt-out wording, parameter
checks per type and length, rendering, verification-code detection."""

from __future__ import annotations

from tidings.domain import templates as t
from tidings.domain.templates import DeclaredVariable as D


def test_placeholders_in_order_of_first_use():
    assert t.placeholders("a ${2} b ${1} c ${2}") == [2, 1]
    assert t.placeholders("no variables") == []


def test_definition_must_match_the_content():
    assert t.check_definition("码${1}", [D(1, "CHARDIGIT")], "NOTIFY_TYPE") is None
    assert "${2}" in t.check_definition("${1}${2}", [D(1, "CHARDIGIT")], "NOTIFY_TYPE")
    assert "does not appear" in t.check_definition("${1}", [D(1, "CHARDIGIT"), D(2, "MONEY")], "NOTIFY_TYPE")
    assert "without gaps" in t.check_definition("${1}${3}", [D(1, "MONEY"), D(3, "MONEY")], "NOTIFY_TYPE")
    assert "declared twice" in t.check_definition("${1}", [D(1, "MONEY"), D(1, "MONEY")], "NOTIFY_TYPE")
    assert "variable_desc" in t.check_definition("${1}", [D(1, "TEXT")], "NOTIFY_TYPE")
    assert t.check_definition("${1}", [D(1, "TEXT", "name")], "NOTIFY_TYPE") is None
    assert "malformed" in t.check_definition("${x}", [], "NOTIFY_TYPE")
    many = "".join(f"${{{i}}}" for i in range(1, 22))
    assert "at most 20" in t.check_definition(many, [], "NOTIFY_TYPE")


def test_marketing_opt_out_forms():
    for ok in ("特惠回T退订", "特惠，回TD退订", "特惠 拒收请回复R", "特惠退订回T", "关注我们，回T取关", "特惠 回 t 退订"):
        assert t.has_opt_out(ok), ok
    for bad in ("特惠", "退订请联系客服", "回复T"):
        assert not t.has_opt_out(bad), bad
    assert "opt-out" in t.check_definition("五折", [], "PROMOTION_TYPE")
    assert t.check_definition("五折", [], "NOTIFY_TYPE") is None


def test_params_by_type_and_length():
    v = t.variables_of([D(1, "PHONE"), D(2, "CHARDIGIT"), D(3, "DATETIME"), D(4, "MONEY"), D(5, "TEXT", "n"), D(6, "NEWTEXT")])
    good = ["+86-10-12345", "AB12cd", "2024年5月1日", "12.50", "张三", "km2g.cn/PDiWqc"]
    assert t.check_params(v, good) is None
    assert "has 5 values" in t.check_params(v, good[:5])
    cases = {
        0: ("1" * 16, "at most 15"),
        1: ("ab-12", "letters and digits only"),
        2: ("tomorrow", "digits"),
        3: ("$12", "Chinese numerals"),
        4: ("a.b", "no . 。"),
        5: ("a b", "without spaces"),
    }
    for i, (value, words) in cases.items():
        params = list(good)
        params[i] = value
        reason = t.check_params(v, params)
        assert reason and f"${{{i + 1}}}" in reason and words in reason, (i, reason)
    params = list(good)
    params[1] = ""
    assert "must not be empty" in t.check_params(v, params)
    assert t.check_params(v, [*good[:3], "一百二十万", *good[4:]]) is None


def test_render_and_full_text():
    assert t.render("您的验证码是${1}，${2}分钟内有效。", ["123456", "5"]) == "您的验证码是123456，5分钟内有效。"
    assert t.render("${1}${3}", ["a"]) == "a${3}"
    assert t.full_text("示例", "hi") == "【示例】hi"


def test_code_template_detection():
    def send(kind, variables):
        return t.SendTemplate("id", "tn", kind, "", tuple(variables), True, "s", "n", True, "1069", "a", "LAUNCHED")

    code = t.TemplateVariable(1, "CHARDIGIT", 20)
    assert t.is_code_template(send("NOTIFY_TYPE", [code]))
    assert not t.is_code_template(send("PROMOTION_TYPE", [code]))
    assert not t.is_code_template(send("NOTIFY_TYPE", [code, t.TemplateVariable(2, "CHARDIGIT", 20)]))
    assert not t.is_code_template(send("NOTIFY_TYPE", [t.TemplateVariable(1, "TEXT", 20)]))


def test_params_refuse_control_characters_and_bidi_overrides():
    v = t.variables_of([D(1, "TEXT", "name"), D(2, "DATETIME")])
    for bad, code in (("a\x00b", "U+0000"), ("\x1b[31m", "U+001B"), ("abc\u202egnp", "U+202E"), ("a\x85b", "U+0085"),
                      ("a\u2066b", "U+2066"), ("a\ud800", "U+D800"), ("a\x7f", "U+007F"), ("a\rb", "U+000D")):
        reason = t.check_params(v, [bad, "2024-05-01"])
        assert reason and "${1}" in reason and "control characters" in reason and code in reason, (bad, reason)
    # A line feed is text in TEXT values, nowhere else.
    assert t.check_params(v, ["第一行\n第二行", "2024-05-01"]) is None
    assert "${2}" in t.check_params(v, ["张三", "2024-05-01\n"])
