"""Tests of the provider URL SSRF guard. DNS is always injected; nothing is resolved for real."""

import ipaddress
import re
import socket

import pytest

from smmpanel.providers.url_safety import (
    CheckedUrl,
    ProviderHostUnresolvable,
    UnsafeProviderUrl,
    check_provider_url,
    check_url_shape,
)

PUBLIC_IP = "93.184.216.34"


def resolver(*addresses):
    """A getaddrinfo stand-in answering with ``addresses``; records what it was asked."""

    def resolve(host, port, *args, **kwargs):
        resolve.asked.append((host, port))
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    resolve.asked = []
    return resolve


def no_dns(*args, **kwargs):
    raise AssertionError("must not resolve")


def test_public_https_url_is_accepted_with_its_addresses():
    checked = check_provider_url("https://provider.example/api/v2", resolve=resolver(PUBLIC_IP))
    assert checked == CheckedUrl(
        "https://provider.example/api/v2", "provider.example", 443, (PUBLIC_IP,)
    )


def test_resolver_is_asked_for_the_host_and_port():
    resolve = resolver(PUBLIC_IP)
    check_provider_url("https://provider.example:8443/api/v2", resolve=resolve)
    assert resolve.asked == [("provider.example", 8443)]


def test_duplicate_addresses_are_listed_once():
    checked = check_provider_url("https://p.example/", resolve=resolver(PUBLIC_IP, PUBLIC_IP))
    assert checked.addresses == (PUBLIC_IP,)


def test_unsafe_provider_url_is_a_value_error():
    assert issubclass(UnsafeProviderUrl, ValueError)
    assert issubclass(ProviderHostUnresolvable, UnsafeProviderUrl)


def test_http_is_refused_without_allow_private():
    with pytest.raises(UnsafeProviderUrl, match="https"):
        check_provider_url("http://provider.example/api/v2", resolve=resolver(PUBLIC_IP))


def test_http_to_the_simulator_is_accepted_with_allow_private():
    checked = check_provider_url("http://127.0.0.1:8765/api/v2", allow_private=True, resolve=no_dns)
    assert (checked.host, checked.port, checked.addresses) == ("127.0.0.1", 8765, ("127.0.0.1",))


@pytest.mark.parametrize("url", ["ftp://provider.example/", "file:///etc/passwd", "gopher://x/"])
def test_other_schemes_are_refused_even_with_allow_private(url):
    with pytest.raises(UnsafeProviderUrl):
        check_provider_url(url, allow_private=True, resolve=no_dns)


@pytest.mark.parametrize(
    "url", ["https://user:pass@provider.example/", "https://user@provider.example/"]
)
def test_credentials_in_the_url_are_refused(url):
    with pytest.raises(UnsafeProviderUrl, match="user name or password"):
        check_provider_url(url, resolve=resolver(PUBLIC_IP))


@pytest.mark.parametrize(
    "url",
    ["", "   ", "not a url", "https://", "https:///api", "https://exa mple.com/", "https://a..b/"],
)
def test_malformed_urls_are_refused(url):
    with pytest.raises(UnsafeProviderUrl):
        check_provider_url(url, resolve=resolver(PUBLIC_IP))


def test_port_out_of_range_is_refused():
    with pytest.raises(UnsafeProviderUrl, match="port"):
        check_provider_url("https://provider.example:99999/", resolve=resolver(PUBLIC_IP))


def test_fragment_is_dropped():
    checked = check_provider_url("https://provider.example/api/v2#x", resolve=resolver(PUBLIC_IP))
    assert checked.url == "https://provider.example/api/v2"


def test_international_host_is_checked_in_its_ascii_form():
    resolve = resolver(PUBLIC_IP)
    checked = check_provider_url("https://bücher.example/api/v2", resolve=resolve)
    assert checked.host == "xn--bcher-kva.example"
    assert resolve.asked == [("xn--bcher-kva.example", 443)]


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "metadata"),
        ("169.254.1.1", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("100.100.100.200", "metadata"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("192.0.2.1", "private"),
        ("[::1]", "loopback"),
        ("[::]", "unspecified"),
        ("[fe80::1]", "link-local"),
        ("[fc00::1]", "private"),
        ("[fd00:ec2::254]", "metadata"),
        ("[ff02::1]", "multicast"),
        ("[::ffff:127.0.0.1]", "loopback"),
        ("[::ffff:7f00:1]", "loopback"),
        ("[::ffff:169.254.169.254]", "metadata"),
        ("[::ffff:10.0.0.1]", "private"),
        ("[2002:7f00:1::]", "loopback"),
        ("[64:ff9b::a9fe:a9fe]", "metadata"),
        ("[2001:db8::1]", "private"),
    ],
)
def test_forbidden_ip_literals_are_refused(host, reason):
    with pytest.raises(UnsafeProviderUrl, match=reason):
        check_provider_url(f"https://{host}/api/v2", resolve=no_dns)


def test_ipv6_zone_identifier_is_refused():
    with pytest.raises(UnsafeProviderUrl):
        check_provider_url("https://[fe80::1%25eth0]/", resolve=no_dns)


def test_public_ip_literal_is_accepted_without_resolving():
    checked = check_provider_url(f"https://{PUBLIC_IP}/api/v2", resolve=no_dns)
    assert checked.addresses == (PUBLIC_IP,)


def test_public_ipv6_literal_is_accepted():
    checked = check_provider_url("https://[2606:4700::1111]/api/v2", resolve=no_dns)
    assert checked.addresses == ("2606:4700::1111",)


@pytest.mark.parametrize(
    "host",
    [
        "2130706433",  # decimal 127.0.0.1
        "0x7f.1",  # hex + shortened
        "017700000001",  # octal
        "0x7f000001",  # hex
        "127.1",  # shortened
        "127.0.0.1.",  # trailing dot
        "0xa9fea9fe",  # 169.254.169.254
        "1.2.3.4.5",
    ],
)
def test_odd_ipv4_encodings_are_refused(host):
    with pytest.raises(UnsafeProviderUrl, match="unusual IPv4 spelling"):
        check_provider_url(f"https://{host}/api/v2", resolve=no_dns)


@pytest.mark.parametrize("host", ["0177.0.0.1", "93.184.216.034"])
def test_dotted_quads_with_leading_zeros_are_refused(host):
    # inet_aton() would read these octets as octal; httpx refuses them before we look.
    with pytest.raises(UnsafeProviderUrl, match="Invalid IPv4"):
        check_provider_url(f"https://{host}/api/v2", resolve=no_dns)


@pytest.mark.parametrize("url", ["http://2130706433/", "http://0x7f.1/", "http://017700000001/"])
def test_odd_ipv4_encodings_in_plain_http_are_refused(url):
    with pytest.raises(UnsafeProviderUrl):
        check_provider_url(url, resolve=no_dns)


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "10.0.0.5", "169.254.169.254", "::1", "::ffff:127.0.0.1", "fd00::1"]
)
def test_name_resolving_to_a_forbidden_address_is_refused(address):
    shown = re.escape(str(ipaddress.ip_address(address)))
    with pytest.raises(UnsafeProviderUrl, match=f"resolves to {shown}"):
        check_provider_url("https://provider.example/", resolve=resolver(address))


def test_name_resolving_to_public_and_private_addresses_is_refused():
    with pytest.raises(UnsafeProviderUrl, match="127.0.0.1"):
        check_provider_url("https://provider.example/", resolve=resolver(PUBLIC_IP, "127.0.0.1"))


def test_scope_id_from_the_resolver_is_ignored_and_address_still_checked():
    with pytest.raises(UnsafeProviderUrl, match="link-local"):
        check_provider_url("https://provider.example/", resolve=resolver("fe80::1%eth0"))


@pytest.mark.parametrize("host", ["localhost", "api.localhost", "metadata.google.internal"])
def test_local_names_are_refused_without_resolving(host):
    with pytest.raises(UnsafeProviderUrl, match="local name"):
        check_provider_url(f"https://{host}/", resolve=no_dns)


def test_unresolvable_host_raises_host_unresolvable():
    def failing(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(ProviderHostUnresolvable, match="does not resolve"):
        check_provider_url("https://nowhere.example/", resolve=failing)


def test_empty_resolution_raises_host_unresolvable():
    with pytest.raises(ProviderHostUnresolvable):
        check_provider_url("https://nowhere.example/", resolve=resolver())


def test_resolver_garbage_is_refused():
    with pytest.raises(UnsafeProviderUrl, match="not an address"):
        check_provider_url("https://p.example/", resolve=lambda *a, **k: [(2, 1, 6, "", ("x",))])


def test_allow_private_returns_private_addresses_unchecked():
    checked = check_provider_url(
        "http://simulator.internal:8765/", allow_private=True, resolve=resolver("10.0.0.9")
    )
    assert checked.addresses == ("10.0.0.9",)


def test_shape_check_does_not_resolve_names():
    checked = check_url_shape("https://provider.example/api/v2")
    assert checked.addresses == ()


def test_refusal_message_names_the_host_and_the_reason():
    with pytest.raises(UnsafeProviderUrl) as caught:
        check_provider_url("https://provider.example/", resolve=resolver("192.168.0.10"))
    assert str(caught.value) == (
        "provider host 'provider.example' resolves to 192.168.0.10, which is a private "
        "address; refused"
    )


# -- allow_private (the simulator) still never reaches metadata or link-local addresses --------


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("169.254.169.254", "metadata"),
        ("169.254.1.1", "link-local"),
        ("100.100.100.200", "metadata"),
        ("[fd00:ec2::254]", "metadata"),
        ("[fe80::1]", "link-local"),
        ("[::ffff:169.254.169.254]", "metadata"),
    ],
)
def test_metadata_and_link_local_literals_are_refused_even_with_allow_private(host, reason):
    with pytest.raises(UnsafeProviderUrl, match=reason):
        check_provider_url(f"http://{host}/api/v2", allow_private=True, resolve=no_dns)


@pytest.mark.parametrize("address", ["169.254.169.254", "fe80::1", "100.100.100.200"])
def test_name_resolving_to_metadata_or_link_local_is_refused_even_with_allow_private(address):
    with pytest.raises(UnsafeProviderUrl, match=f"resolves to {re.escape(address)}"):
        check_provider_url(
            "http://simulator.internal:8765/", allow_private=True, resolve=resolver(address)
        )


@pytest.mark.parametrize(
    "url",
    ["http://0x7f000001:18099/", "http://2130706433/", "http://017700000001/", "http://127.1/"],
)
def test_odd_ipv4_encodings_are_refused_even_with_allow_private(url):
    with pytest.raises(UnsafeProviderUrl, match="unusual IPv4 spelling"):
        check_provider_url(url, allow_private=True, resolve=no_dns)


def test_metadata_name_is_refused_even_with_allow_private():
    with pytest.raises(UnsafeProviderUrl, match="local name"):
        check_provider_url("http://metadata.google.internal/", allow_private=True, resolve=no_dns)


@pytest.mark.parametrize("host", ["127.0.0.1", "10.0.0.9", "[::1]", "localhost"])
def test_loopback_and_private_hosts_are_still_accepted_with_allow_private(host):
    checked = check_provider_url(
        f"http://{host}:8765/", allow_private=True, resolve=resolver("127.0.0.1")
    )
    assert checked.addresses
