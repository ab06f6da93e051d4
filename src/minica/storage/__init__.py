"""Keystores per environment, the password policy, the CA database and the home's file layout."""
