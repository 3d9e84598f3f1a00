"""Pure alerting rules: who hears about a finding, what they get, when to retry."""
