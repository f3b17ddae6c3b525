def test_api_places_an_order_over_real_http(api, api_customer, service):
    _, key = api_customer
    answer = api(key, "add", service=service.pk, link="https://instagram.com/p/Abc/", quantity=100)
    assert set(answer) == {"order"} and isinstance(answer["order"], int)
