"""Customer links: one canonical spelling per target, and a shape check per link format.

Links are never fetched; these checks are all the panel knows about a link.
"""

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from smmpanel.catalog.link_formats import LINK_FORMATS, link_format
from smmpanel.catalog.links import TRACKING_PARAMS, BadLink, canonicalise, check_link

# --- canonical form: examples -------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("https://www.instagram.com/p/AbC123/", "https://instagram.com/p/AbC123"),
        ("http://WWW.Instagram.COM/p/AbC123/?igsh=MWQ1ZGUx", "https://instagram.com/p/AbC123"),
        ("instagram.com/p/AbC123", "https://instagram.com/p/AbC123"),
        ("//instagram.com/p/AbC123", "https://instagram.com/p/AbC123"),
        ("  https://instagram.com/p/AbC123  ", "https://instagram.com/p/AbC123"),
        ("https://m.instagram.com/p/AbC123", "https://instagram.com/p/AbC123"),
        ("https://www.m.instagram.com/p/AbC123", "https://instagram.com/p/AbC123"),
        ("https://instagr.am/p/AbC123", "https://instagram.com/p/AbC123"),
        ("https://instagram.com//p//AbC123//", "https://instagram.com/p/AbC123"),
        ("https://instagram.com/p/AbC123#comments", "https://instagram.com/p/AbC123"),
        (
            "https://instagram.com/p/AbC123/?utm_source=ig_web_copy_link&UTM_MEDIUM=x",
            "https://instagram.com/p/AbC123",
        ),
        ("https://youtu.be/dQw4w9WgXcQ?si=Xyz", "https://youtube.com/watch?v=dQw4w9WgXcQ"),
        ("https://youtu.be/dQw4w9WgXcQ/", "https://youtube.com/watch?v=dQw4w9WgXcQ"),
        (
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ&feature=share&pp=ygU",
            "https://youtube.com/watch?v=dQw4w9WgXcQ",
        ),
        ("https://m.youtube.com/watch?v=dQw4w9WgXcQ", "https://youtube.com/watch?v=dQw4w9WgXcQ"),
        ("https://twitter.com/jack/status/20", "https://x.com/jack/status/20"),
        ("https://mobile.twitter.com/jack/status/20", "https://x.com/jack/status/20"),
        ("https://www.x.com/jack", "https://x.com/jack"),
        ("https://telegram.me/durov/1", "https://t.me/durov/1"),
        (
            "https://www.tiktok.com/@user/video/7300000000000000000?is_from_webapp=1&_r=1",
            "https://tiktok.com/@user/video/7300000000000000000",
        ),
        ("https://vm.tiktok.com/ZMabc123/", "https://vm.tiktok.com/ZMabc123"),
        ("https://example.com:443/page/", "https://example.com/page"),
        ("http://example.com:80/", "https://example.com"),
        ("https://shop.example.com/?b=2&a=1&fbclid=x", "https://shop.example.com/?a=1&b=2"),
        ("https://bücher.de/x", "https://xn--bcher-kva.de/x"),
        ("https://www.com/", "https://www.com"),  # a bare "www." is the host itself
    ],
)
def test_canonical_form_examples(raw, canonical):
    assert canonicalise(raw).url == canonical


def test_the_path_keeps_its_case_because_ids_are_case_sensitive():
    assert (
        canonicalise("https://instagram.com/p/AbC").url
        != canonicalise("https://instagram.com/p/abc").url
    )


def test_a_query_parameter_that_names_the_target_is_kept():
    assert (
        canonicalise("https://youtube.com/watch?v=aaaaaaaaaaa").url
        != canonicalise("https://youtube.com/watch?v=bbbbbbbbbbb").url
    )


def test_the_key_is_a_fixed_width_digest_of_the_canonical_url():
    a = canonicalise("https://www.instagram.com/p/AbC/")
    b = canonicalise("instagram.com/p/AbC?igsh=1")

    assert a.key == b.key and len(a.key) == 40
    assert a.key != canonicalise("instagram.com/p/AbD").key


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "required"),
        ("   ", "required"),
        ("javascript:alert(1)", None),
        ("JavaScript://instagram.com/%0Aalert(1)", "https://"),
        ("data:text/html,<script>alert(1)</script>", None),
        ("ftp://example.com/file", "https://"),
        ("file:///etc/passwd", "https://"),
        ("https://user:secret@instagram.com/p/AbC", "user name or password"),
        ("https://user@instagram.com/p/AbC", "user name or password"),
        ("https://instagram.com:8443/p/AbC", "port"),
        ("https://instagram.com:99999/p/AbC", None),
        ("https://instagram.com/p/Ab C", "spaces"),
        ("https://instagram.com/p/Ab\nC", "spaces"),
        ("https://instagram.com/p/\x00", None),
        ("https://localhost/p/AbC", "valid web address"),
        ("https://exa_mple.com/", "valid web address"),
        ("https://[::1]/", "valid web address"),
        ("https://" + "a" * 2000 + ".com/", "too long"),
    ],
)
def test_unusable_links_are_refused_with_a_reason(raw, reason):
    with pytest.raises(BadLink, match=reason):
        canonicalise(raw)


# --- canonical form: properties -----------------------------------------------------------

_segment = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.@",
    min_size=1,
    max_size=12,
).filter(lambda s: s not in (".", ".."))  # dot segments name another path
_paths = st.lists(_segment, min_size=0, max_size=4).map(lambda parts: "/" + "/".join(parts))
_hosts = st.one_of(
    st.sampled_from(
        ["instagram.com", "tiktok.com", "youtube.com", "t.me", "x.com", "vm.tiktok.com"]
    ),
    st.from_regex(r"[a-z][a-z0-9-]{0,10}\.(com|org|net|ua)", fullmatch=True),
)
_query_keys = st.from_regex(r"[a-z]{1,6}[0-9]?", fullmatch=True).filter(
    lambda k: k not in TRACKING_PARAMS and not k.startswith("utm_")
)
_queries = st.dictionaries(_query_keys, st.text(min_size=1, max_size=8), max_size=3)
_tracking = st.dictionaries(
    st.sampled_from(sorted(TRACKING_PARAMS) + ["utm_source", "utm_campaign", "UTM_Medium"]),
    st.text(alphabet="abcXYZ0189=", min_size=1, max_size=8),
    max_size=3,
)


@st.composite
def targets(draw):
    return draw(_hosts), draw(_paths), draw(_queries)


def spell(host, path, query, *, scheme="https://", www="", trailing="", extra=None):
    from urllib.parse import urlencode

    params = list(query.items()) + list((extra or {}).items())
    url = f"{scheme}{www}{host}{path}{trailing}"
    return url + ("?" + urlencode(params) if params else "")


@given(st.text(max_size=80))
def test_canonicalising_any_text_twice_changes_nothing_more(raw):
    try:
        once = canonicalise(raw).url
    except BadLink:
        return
    assert canonicalise(once).url == once


@given(targets(), st.sampled_from(["www.", "WWW.", "m.", "www.m.", "www.www.", ""]))
def test_canonicalising_a_spelled_url_twice_changes_nothing_more(target, prefix):
    host, path, query = target
    once = canonicalise(spell(host, path, query, www=prefix)).url

    assert canonicalise(once).url == once


@given(
    targets(),
    st.sampled_from(["https://", "http://", "HTTPS://", "//", ""]),
    st.sampled_from(["", "www."]),
    st.sampled_from(["", "/", "//"]),
    _tracking,
    st.booleans(),
)
def test_spelling_variants_do_not_change_the_target(
    target, scheme, www, trailing, tracking, upper_host
):
    host, path, query = target
    plain = canonicalise(spell(host, path, query))
    shown_host = host.upper() if upper_host else host

    variant = canonicalise(
        spell(shown_host, path, query, scheme=scheme, www=www, trailing=trailing, extra=tracking)
    )

    assert variant.url == plain.url
    assert variant.key == plain.key


@given(targets())
def test_query_parameter_order_does_not_change_the_target(target):
    host, path, query = target
    reordered = dict(reversed(list(query.items())))

    assert (
        canonicalise(spell(host, path, reordered)).url == canonicalise(spell(host, path, query)).url
    )


@given(_paths)
def test_the_path_case_is_preserved(path):
    assume(path.lower() != path)

    assert canonicalise(f"https://example.com{path}").path == path.rstrip("/") or "/"
    assert (
        canonicalise(f"https://example.com{path}").url
        != canonicalise(f"https://example.com{path.lower()}").url
    )


@given(st.from_regex(r"[A-Za-z0-9_-]{11}", fullmatch=True), _tracking)
def test_youtu_be_and_youtube_watch_name_the_same_video(video, tracking):
    from urllib.parse import urlencode

    short = f"https://youtu.be/{video}" + ("?" + urlencode(tracking) if tracking else "")

    assert canonicalise(short).url == canonicalise(f"https://www.youtube.com/watch?v={video}").url


@given(
    st.from_regex(r"[A-Za-z0-9_]{1,15}", fullmatch=True),
    st.integers(min_value=10**5, max_value=10**19),
    st.sampled_from(["twitter.com", "www.twitter.com", "mobile.twitter.com", "x.com"]),
)
def test_twitter_and_x_name_the_same_post(user, post, host):
    assert canonicalise(f"https://{host}/{user}/status/{post}").url == (
        f"https://x.com/{user}/status/{post}"
    )


# --- shape check per link format ----------------------------------------------------------

GOOD = {
    "instagram_post": [
        "https://www.instagram.com/p/C0dExAmPlE/",
        "https://instagram.com/reel/C0dExAmPlE",
        "https://instagram.com/reels/C0dExAmPlE",
        "https://instagram.com/tv/C0dExAmPlE",
        "https://instagram.com/natgeo/p/C0dExAmPlE",
        "instagram.com/p/C0d_Ex-AmPlE?igsh=abc",
    ],
    "instagram_profile": [
        "https://www.instagram.com/natgeo/",
        "instagram.com/nat.geo_2",
        "https://m.instagram.com/natgeo?igsh=x",
    ],
    "tiktok_video": [
        "https://www.tiktok.com/@user.name/video/7300000000000000000",
        "https://tiktok.com/@user/photo/7300000000000000000",
        "https://vm.tiktok.com/ZMabc123/",
        "https://vt.tiktok.com/ZSabc123/",
    ],
    "tiktok_profile": ["https://www.tiktok.com/@user.name", "tiktok.com/@user_1?lang=en"],
    "youtube_video": [
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://youtu.be/dQw4w9WgXcQ",
        "https://youtube.com/shorts/dQw4w9WgXcQ",
        "https://youtube.com/live/dQw4w9WgXcQ",
        "https://m.youtube.com/watch?v=dQw4w9WgXcQ&t=42",
    ],
    "youtube_channel": [
        "https://www.youtube.com/@channel",
        "https://youtube.com/channel/UC" + "a" * 22,
        "https://youtube.com/c/SomeName",
    ],
    "telegram_post": ["https://t.me/durov/123", "https://t.me/s/durov/123", "telegram.me/durov/1"],
    "telegram_channel": [
        "https://t.me/durov",
        "https://t.me/+AbCdEfGhIjK",
        "https://t.me/joinchat/AbCdEfGhIjK",
    ],
    "x_post": [
        "https://x.com/jack/status/20000000",
        "https://twitter.com/jack/status/1700000000000000000?s=20",
    ],
    "x_profile": ["https://x.com/jack", "https://twitter.com/jack/"],
    "website": ["https://example.com", "https://shop.example.org/page?id=3", "example.net/a/b"],
}

BAD = {
    "instagram_post": [
        "https://www.tiktok.com/@user/video/7300000000000000000",  # another platform
        "https://www.instagram.com/natgeo/",  # a profile, not a post
        "https://instagram.com/explore/tags/cats",
        "https://instagram.com/p/",
        "https://instagram.com.evil.example/p/C0dExAmPlE",
        "https://notinstagram.com/p/C0dExAmPlE",
    ],
    "instagram_profile": [
        "https://instagram.com/p/C0dExAmPlE",  # a post, not a profile
        "https://instagram.com/explore",
        "https://instagram.com/stories/natgeo/1",
        "https://instagram.com/p",
        "https://instagram.com",
        "https://tiktok.com/@natgeo",
    ],
    "tiktok_video": [
        "https://www.tiktok.com/@user",
        "https://instagram.com/p/C0dExAmPlE",
        "https://tiktok.com/@user/video/123",
    ],
    "tiktok_profile": ["https://www.tiktok.com/@user/video/7300000000000000000", "https://x.com/u"],
    "youtube_video": [
        "https://youtube.com/@channel",
        "https://youtube.com/watch",
        "https://youtube.com/watch?list=PL123",
        "https://youtube.com/shorts/short",
        "https://vimeo.com/123456",
    ],
    "youtube_channel": ["https://youtube.com/watch?v=dQw4w9WgXcQ", "https://youtube.com/channel/x"],
    "telegram_post": ["https://t.me/durov", "https://t.me/durov/abc", "https://x.com/durov/1"],
    "telegram_channel": ["https://t.me/durov/123", "https://t.me/ab"],
    "x_post": ["https://x.com/jack", "https://x.com/jack/status/abc", "https://t.me/jack/1"],
    "x_profile": ["https://x.com/jack/status/20000000", "https://instagram.com/jack"],
    "website": [
        "javascript:alert(1)",
        "https://user:pw@example.com/",
        "https://example.com:8080/",
        "ftp://example.com/",
    ],
}


def test_every_link_format_has_good_and_bad_examples():
    codes = {f.code for f in LINK_FORMATS}
    assert set(GOOD) == codes and set(BAD) == codes


def test_each_formats_own_example_fits_it():
    for fmt in LINK_FORMATS:
        assert check_link(fmt.example, fmt)


@pytest.mark.parametrize(
    ("code", "link"), [(code, link) for code, links in GOOD.items() for link in links]
)
def test_check_link_accepts_the_shapes_of_its_format(code, link):
    assert check_link(link, link_format(code)).url.startswith("https://")


@pytest.mark.parametrize(
    ("code", "link"), [(code, link) for code, links in BAD.items() for link in links]
)
def test_check_link_refuses_other_shapes(code, link):
    with pytest.raises(BadLink):
        check_link(link, link_format(code))


def test_a_refused_shape_names_the_expected_shape_with_an_example():
    with pytest.raises(BadLink) as refused:
        check_link("https://www.instagram.com/natgeo/", link_format("instagram_post"))

    message = str(refused.value)
    assert "expected Instagram post or reel link" in message
    assert "https://www.instagram.com/p/C0dExAmPlE/" in message


# --- escapes, dot segments and platform query parameters ------------------------------------


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("https://example.org/banned/%70age", "https://example.org/banned/page"),
        ("https://example.org/%62anned/page", "https://example.org/banned/page"),
        ("https://example.org/%7euser/%2d", "https://example.org/~user/-"),
        ("https://example.org/banned/./page", "https://example.org/banned/page"),
        ("https://example.org/x/../banned/page", "https://example.org/banned/page"),
        ("https://example.org/x/%2e%2E/banned", "https://example.org/banned"),
        ("https://example.org/../../page", "https://example.org/page"),
        ("https://example.org/a%2fb", "https://example.org/a%2Fb"),  # not a path separator
        ("https://example.org/caf%c3%a9", "https://example.org/caf%C3%A9"),
        ("https://example.org/café", "https://example.org/caf%C3%A9"),
        ("https://example.org/100%", "https://example.org/100%25"),
    ],
)
def test_escapes_and_dot_segments_are_resolved(raw, canonical):
    assert canonicalise(raw).url == canonical


@pytest.mark.parametrize(
    "raw",
    [
        "https://instagram.com/p/DupTarget1/?a=1",
        "https://instagram.com/p/DupTarget1?hl=en&taken-by=someone",
        "https://t.me/channel/12?embed=1&mode=tme",
    ],
)
def test_query_parameters_are_dropped_where_the_target_lives_in_the_path(raw):
    assert "?" not in canonicalise(raw).url


def test_tiktok_query_parameters_are_dropped():
    link = "https://tiktok.com/@user/video/7300000000000000000?lang=en&q=x"

    assert canonicalise(link).url == "https://tiktok.com/@user/video/7300000000000000000"


def test_youtube_keeps_only_the_video_parameter():
    link = "https://youtube.com/watch?v=dQw4w9WgXcQ&list=PL1&index=2"

    assert canonicalise(link).url == "https://youtube.com/watch?v=dQw4w9WgXcQ"


def test_other_sites_keep_their_query_parameters():
    assert canonicalise("https://shop.example.com/item?id=7").url == (
        "https://shop.example.com/item?id=7"
    )


_unreserved_paths = st.lists(
    st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~",
        min_size=1,
        max_size=10,
    ).filter(lambda s: s not in (".", "..")),
    min_size=1,
    max_size=4,
).map(lambda parts: "/" + "/".join(parts))


@given(_unreserved_paths, st.data())
def test_escaping_unreserved_characters_does_not_change_the_target(path, data):
    escape = data.draw(st.lists(st.booleans(), min_size=len(path), max_size=len(path)))
    upper = data.draw(st.booleans())
    escaped = "".join(
        (f"%{ord(ch):02X}" if upper else f"%{ord(ch):02x}") if on and ch != "/" else ch
        for ch, on in zip(path, escape, strict=True)
    )

    assert canonicalise(f"https://example.org{escaped}").url == (
        canonicalise(f"https://example.org{path}").url
    )


@given(_unreserved_paths, _unreserved_paths, st.sampled_from(["/.", "/./.", ""]))
def test_dot_segments_do_not_change_the_target(path, detour, dot):
    plain = canonicalise(f"https://example.org{path}").url
    segments = detour.count("/")
    dotted = f"https://example.org{dot}{detour}{'/..' * segments}{path}"

    assert canonicalise(dotted).url == plain


@pytest.mark.parametrize(
    "raw",
    [
        "https://instagram.com/p/Ab\u200bC",  # zero-width space
        "https://insta\u200dgram.com/p/AbC",  # zero-width joiner in the host
        "https://example.com/\u202egnp.exe",  # right-to-left override
        "https://example.com/\u2066page\u2069",  # bidi isolates
        "\ufeffhttps://example.com/page",  # byte-order mark
    ],
)
def test_invisible_characters_in_a_link_are_refused(raw):
    with pytest.raises(BadLink, match="invisible characters"):
        canonicalise(raw)
