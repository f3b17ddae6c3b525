"""The back office's actions: one function per thing a staff member does, taking the
acting staff member and the reason (``orders``, ``money``, ``catalog``). Staff views call
them; each checks the actor's rank, writes through the domain apps' services in one
transaction and records who did what, and why, in the audit log. Enforcement that the
rules apply on their own too (restrictions, API limits, balance reviews, the deny list)
stays in ``policy.services``.
"""
