"""The mock certification authority: hierarchy, profiles, issuance, status, revocation, requests."""
