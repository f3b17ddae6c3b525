"""What the back office reads across apps, one module per page."""
