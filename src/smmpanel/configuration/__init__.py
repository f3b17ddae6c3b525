"""Panel configuration the owner edits on /staff/settings/ (site name, logo, contacts,
payment instructions, mail, Telegram, alert thresholds). A leaf: it imports nothing
from the domain apps, which read it through ``selectors``."""
