"""The domain's rules as pure code: rule codes and rule sets, thresholds, ages, validity,
deadlines, the Vietnamese working-day calendar and the value types every service accepts."""
