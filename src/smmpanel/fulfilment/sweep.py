"""One pass of background housekeeping, safe to run from any number of workers.

Every step claims its rows with conditional UPDATEs, so overlapping passes do no
harm; the periodic task still holds a Huey lock so only one runs at a time.
"""

import logging

from smmpanel.fulfilment import customer_requests, forwarding, status_sync, watch
from smmpanel.providers.models import Provider

log = logging.getLogger(__name__)


def sweep_once() -> dict[str, int]:
    """Forward what is due, settle crashed claims, sync statuses, refills and cancels;
    then raise or clear staff alerts."""
    done = {
        "stale": forwarding.release_stale_claims() + customer_requests.release_stale_refills(),
        "forwarded": 0,
        "synced": 0,
        "refills": 0,
    }
    for submission_id in forwarding.due_submissions():
        if forwarding.forward_submission(submission_id) == "accepted":
            done["forwarded"] += 1
    for refill_id in customer_requests.due_refills():
        customer_requests.forward_refill(refill_id)
    done["cancels"] = customer_requests.forward_cancels()
    for provider in Provider.objects.filter(active=True):
        done["synced"] += status_sync.sync_provider(provider)
    done["refills"] = customer_requests.sync_refills()
    done["alerts"] = watch.check_alerts()  # also the worker's heartbeat
    return done
