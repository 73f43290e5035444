"""The registry service (sổ đăng ký): who and what the party organisations are, on any date."""
