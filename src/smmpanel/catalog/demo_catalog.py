"""The demo catalog: a few platforms and 20+ services of several types.

Prices and limits are examples for trying the panel, not offers.
"""

# (platform, category, name, type, rate, min, max, refill_days|None, cancel, dripfeed,
#  link_format, start_time, speed)
DEMO_SERVICES = [
    ("Instagram", "Instagram Likes", "Instagram Likes — real-looking, 30 days refill", "Default",
     "0.90", 50, 10000, 30, True, True, "instagram_post", "0-1 hour", "5K/day"),
    ("Instagram", "Instagram Likes", "Instagram Likes — fast, no refill", "Default",
     "0.45", 20, 50000, None, True, False, "instagram_post", "0-15 minutes", "20K/day"),
    ("Instagram", "Instagram Followers", "Instagram Followers — 60 days refill", "Default",
     "2.80", 100, 20000, 60, False, True, "instagram_profile", "0-6 hours", "2K/day"),
    ("Instagram", "Instagram Views", "Instagram Reel Views", "Default",
     "0.05", 100, 1000000, None, True, True, "instagram_post", "0-30 minutes", "100K/day"),
    ("Instagram", "Instagram Comments", "Instagram Custom Comments", "Custom Comments",
     "12.00", 5, 500, None, False, False, "instagram_post", "0-12 hours", "500/day"),
    ("Instagram", "Instagram Comments", "Instagram Mentions — custom list", "Mentions Custom List",
     "8.00", 10, 1000, None, False, False, "instagram_post", "0-12 hours", "1K/day"),
    ("Instagram", "Instagram Packages", "Instagram Starter Package (1000 likes + 100 saves)",
     "Package", "3.50", 1, 1, None, False, False, "instagram_post", "0-2 hours", "1 day"),
    ("Instagram", "Instagram Auto", "Instagram Auto Likes — new posts", "Subscriptions",
     "1.10", 50, 5000, None, False, False, "instagram_profile", "on each new post", "1K/hour"),
    ("TikTok", "TikTok Views", "TikTok Views — instant", "Default",
     "0.02", 100, 10000000, None, True, True, "tiktok_video", "0-5 minutes", "1M/day"),
    ("TikTok", "TikTok Likes", "TikTok Likes — 30 days refill", "Default",
     "0.75", 50, 100000, 30, True, False, "tiktok_video", "0-1 hour", "10K/day"),
    ("TikTok", "TikTok Followers", "TikTok Followers", "Default",
     "3.20", 100, 50000, 30, False, False, "tiktok_profile", "0-6 hours", "3K/day"),
    ("TikTok", "TikTok Comments", "TikTok Custom Comments", "Custom Comments",
     "15.00", 5, 300, None, False, False, "tiktok_video", "0-12 hours", "300/day"),
    ("YouTube", "YouTube Views", "YouTube Views — retention 1-3 min", "Default",
     "1.60", 500, 1000000, 30, True, True, "youtube_video", "0-12 hours", "20K/day"),
    ("YouTube", "YouTube Likes", "YouTube Likes", "Default",
     "2.10", 50, 50000, 30, True, False, "youtube_video", "0-6 hours", "5K/day"),
    ("YouTube", "YouTube Subscribers", "YouTube Subscribers — 30 days refill", "Default",
     "18.00", 100, 10000, 30, False, False, "youtube_channel", "0-24 hours", "500/day"),
    ("YouTube", "YouTube Comments", "YouTube Custom Comments", "Custom Comments",
     "20.00", 5, 200, None, False, False, "youtube_video", "0-24 hours", "200/day"),
    ("Telegram", "Telegram Views", "Telegram Post Views — last post", "Default",
     "0.03", 100, 500000, None, True, True, "telegram_post", "0-10 minutes", "200K/day"),
    ("Telegram", "Telegram Members", "Telegram Channel Members", "Default",
     "1.90", 100, 50000, 30, False, False, "telegram_channel", "0-6 hours", "5K/day"),
    ("Telegram", "Telegram Polls", "Telegram Poll Votes", "Poll",
     "0.80", 50, 20000, None, False, False, "telegram_post", "0-1 hour", "10K/day"),
    ("X (Twitter)", "X Likes", "X Post Likes", "Default",
     "1.20", 20, 20000, None, True, False, "x_post", "0-2 hours", "5K/day"),
    ("X (Twitter)", "X Followers", "X Followers — 30 days refill", "Default",
     "4.50", 100, 20000, 30, False, False, "x_profile", "0-12 hours", "2K/day"),
    ("Website", "Website Traffic", "Website Visitors — worldwide", "Web Traffic",
     "0.60", 500, 1000000, None, True, True, "website", "0-12 hours", "50K/day"),
]  # fmt: skip

DEMO_DESCRIPTION = (
    "Demo service served by the built-in provider simulator: nothing is delivered to any "
    "real platform. Public links only; read the Acceptable Use policy before ordering."
)
