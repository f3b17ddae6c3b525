"""SMM panel: the shop, the ledger, the support desk and the policy guard."""
