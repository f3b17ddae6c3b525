"""The order model's own readings."""

import pytest
from django.utils import translation

from smmpanel.orders.models import Order, OrderStatus


@pytest.mark.parametrize("status", OrderStatus.values)
@pytest.mark.parametrize("language", ["en", "uk"])
def test_status_label_is_the_status_display_in_the_active_language(status, language):
    order = Order(status=status)
    with translation.override(language):
        assert order.status_label == order.get_status_display()


def test_status_label_speaks_ukrainian():
    with translation.override("uk"):
        assert Order(status=OrderStatus.COMPLETED).status_label == "Виконано"
