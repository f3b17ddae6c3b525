"""The scale data generator behind ``bench/scale_data.py``, by concern.

* ``fill``: ``fill()``, the orchestration of the named steps (and why it is fast).
* ``params``: the named SQL parameters every statement of a fill shares.
* ``users``: the generated accounts and their API keys.
* ``orders``: the orders, their statuses and links.
* ``money``: the ledger, wallets and deposit requests.
* ``history``: provider submissions, order events, policy decisions and refills.
* ``sources``: what the fill draws from (the catalog's services, a provider).
* ``links``: the link shapes, in Python and in SQL, and their checks.
* ``sql``: building ``INSERT … SELECT`` from the models, detaching indexes, sequences.
* ``lanes``: step timing, connection settings and two connections at once.
* ``cli``: the command line of ``bench/scale_data.py``.

Imported as ``scale`` by scripts that have ``bench/`` on ``sys.path`` (as running a
script in it does); nothing here imports Django models before ``fill()`` runs.
"""
